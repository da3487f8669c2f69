#include "crypto/ecdsa.hpp"

#include <array>
#include <cstring>
#include <mutex>

#include "crypto/ossl.hpp"

namespace esimo::crypto {

namespace ecdsa_detail {

// Order n of the P-256 base point (FIPS 186-4 D.1.2.3).
constexpr std::array<std::uint8_t, 32> kP256Order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

// 1 <= v < n for a 32-byte big-endian v.
bool scalar_in_range(const std::uint8_t* v) {
  bool nonzero = false;
  for (std::size_t i = 0; i < 32; ++i) nonzero = nonzero || v[i] != 0;
  return nonzero && std::memcmp(v, kP256Order.data(), 32) < 0;
}

// Appends INTEGER v (32-byte big-endian, positive) in minimal DER.
void append_der_integer(Bytes& out, const std::uint8_t* v) {
  std::size_t skip = 0;
  while (skip < 31 && v[skip] == 0) ++skip;
  bool pad = (v[skip] & 0x80) != 0;
  out.push_back(0x02);
  out.push_back(static_cast<std::uint8_t>(32 - skip + (pad ? 1 : 0)));
  if (pad) out.push_back(0x00);
  out.insert(out.end(), v + skip, v + 32);
}

// Reads one INTEGER at der[pos] into out32 (right-aligned). Errors name the component and offset.
Status read_der_integer(ByteView der, std::size_t& pos, std::uint8_t* out32, const char* name) {
  auto fail = [&](const std::string& why) {
    return Error(Errc::invalid_argument, std::string("ECDSA DER signature: ") + name + " at offset " +
                                             std::to_string(pos) + ": " + why, name);
  };
  if (pos + 2 > der.size() || der[pos] != 0x02) return fail("expected INTEGER");
  std::size_t len = der[pos + 1];
  if (len == 0 || len > 33) return fail("bad length " + std::to_string(len));
  if (pos + 2 + len > der.size()) return fail("truncated");
  const std::size_t encoded_len = len;
  const std::uint8_t* v = der.data() + pos + 2;
  if (v[0] & 0x80) return fail("negative");
  if (len > 1 && v[0] == 0 && !(v[1] & 0x80)) return fail("non-minimal encoding");
  if (v[0] == 0 && len > 1) {
    ++v;
    --len;
  }
  if (len > 32) return fail("longer than 32 bytes");
  std::memset(out32, 0, 32);
  std::memcpy(out32 + (32 - len), v, len);
  if (!scalar_in_range(out32)) return fail("out of range [1, n-1]");
  pos += 2 + encoded_len;
  return {};
}

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 digest_of(ByteView message) {
  Sha256 d{};
  unsigned int len = 0;
  if (EVP_Digest(message.data(), message.size(), d.data(), &len, ossl::sha256_md(), nullptr) != 1) std::abort();
  return d;
}

ossl::PkeyCtxPtr new_sign_ctx(EVP_PKEY* key) {
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) {
    ossl::drain_errors();
    return nullptr;
  }
  return ctx;
}

ossl::PkeyCtxPtr new_verify_ctx(EVP_PKEY* key) {
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) {
    ossl::drain_errors();
    return nullptr;
  }
  return ctx;
}

Result<Bytes> sign_with(EVP_PKEY_CTX* ctx, ByteView message) {
  if (!ctx) return Error(Errc::internal, "ECDSA sign: no OpenSSL context");
  Sha256 d = digest_of(message);
  std::array<std::uint8_t, 80> sig{};  // a P-256 DER signature is at most 72 bytes
  std::size_t sig_len = sig.size();
  if (EVP_PKEY_sign(ctx, sig.data(), &sig_len, d.data(), d.size()) != 1)
    return Error(Errc::internal, "ECDSA sign failed: " + ossl::drain_errors());
  return Bytes(sig.begin(), sig.begin() + static_cast<std::ptrdiff_t>(sig_len));
}

// Expects a DER signature already checked by der_to_raw (so OpenSSL only sees canonical encodings).
Status verify_with(EVP_PKEY_CTX* ctx, ByteView message, ByteView der) {
  if (!ctx) return Error(Errc::internal, "ECDSA verify: no OpenSSL context");
  Sha256 d = digest_of(message);
  int rc = EVP_PKEY_verify(ctx, der.data(), der.size(), d.data(), d.size());
  if (rc == 1) return {};
  ossl::drain_errors();
  return Error(Errc::unauthenticated, "ECDSA signature does not verify");
}

// A context cached for the uncontended case; a concurrent caller builds its own rather than waiting.
struct CachedCtx {
  std::mutex mu;
  ossl::PkeyCtxPtr ctx;
};

template <class Fn>
auto with_ctx(CachedCtx& cache, ossl::PkeyCtxPtr (*make)(EVP_PKEY*), EVP_PKEY* key, Fn&& fn) {
  std::unique_lock lock(cache.mu, std::try_to_lock);
  if (lock.owns_lock()) {
    if (!cache.ctx) cache.ctx = make(key);
    return fn(cache.ctx.get());
  }
  auto own = make(key);
  return fn(own.get());
}

}  // namespace ecdsa_detail

Result<Bytes> raw_to_der(ByteView raw) {
  if (raw.size() != kRawSignatureSize)
    return Error(Errc::invalid_argument,
                 "ECDSA raw signature: expected 64 bytes r||s, got " + std::to_string(raw.size()));
  if (!ecdsa_detail::scalar_in_range(raw.data()))
    return Error(Errc::invalid_argument, "ECDSA raw signature: r out of range [1, n-1]", "r");
  if (!ecdsa_detail::scalar_in_range(raw.data() + 32))
    return Error(Errc::invalid_argument, "ECDSA raw signature: s out of range [1, n-1]", "s");
  Bytes body;
  body.reserve(70);
  ecdsa_detail::append_der_integer(body, raw.data());
  ecdsa_detail::append_der_integer(body, raw.data() + 32);
  Bytes out;
  out.reserve(body.size() + 2);
  out.push_back(0x30);
  out.push_back(static_cast<std::uint8_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<Bytes> der_to_raw(ByteView der) {
  if (der.size() < 2 || der[0] != 0x30) return Error(Errc::invalid_argument, "ECDSA DER signature: expected SEQUENCE");
  // At most 2 * 35 content bytes: the short length form is the only minimal one.
  if (der[1] & 0x80) return Error(Errc::invalid_argument, "ECDSA DER signature: non-minimal or oversized length");
  if (der[1] != der.size() - 2)
    return Error(Errc::invalid_argument, "ECDSA DER signature: SEQUENCE length " + std::to_string(der[1]) +
                                             " does not match " + std::to_string(der.size() - 2) + " content bytes");
  Bytes raw(kRawSignatureSize, 0);
  std::size_t pos = 2;
  ESIMO_CHECK(ecdsa_detail::read_der_integer(der, pos, raw.data(), "r"));
  ESIMO_CHECK(ecdsa_detail::read_der_integer(der, pos, raw.data() + 32, "s"));
  if (pos != der.size())
    return Error(Errc::invalid_argument, "ECDSA DER signature: trailing bytes at offset " + std::to_string(pos));
  return raw;
}

Result<Bytes> sign_der(const PrivateKey& key, ByteView message) {
  auto ctx = ecdsa_detail::new_sign_ctx(key.native());
  return ecdsa_detail::sign_with(ctx.get(), message);
}

Result<Bytes> sign_raw(const PrivateKey& key, ByteView message) {
  ESIMO_TRY(Bytes der, sign_der(key, message));
  return der_to_raw(der);
}

Status verify_der(const PublicKey& key, ByteView message, ByteView der_signature) {
  ESIMO_TRY(Bytes raw, der_to_raw(der_signature));  // strictness check; the DER itself goes to OpenSSL
  (void)raw;
  auto ctx = ecdsa_detail::new_verify_ctx(key.native());
  return ecdsa_detail::verify_with(ctx.get(), message, der_signature);
}

Status verify_raw(const PublicKey& key, ByteView message, ByteView raw_signature) {
  ESIMO_TRY(Bytes der, raw_to_der(raw_signature));
  auto ctx = ecdsa_detail::new_verify_ctx(key.native());
  return ecdsa_detail::verify_with(ctx.get(), message, der);
}

// ---- SoftwareSigner ----

struct SoftwareSigner::Impl {
  ecdsa_detail::CachedCtx cache;
};

SoftwareSigner::SoftwareSigner(PrivateKey key)
    : key_(std::move(key)), public_key_(key_.public_key()), impl_(std::make_unique<Impl>()) {}

SoftwareSigner::~SoftwareSigner() = default;

Result<std::unique_ptr<SoftwareSigner>> SoftwareSigner::load_pem_file(const std::filesystem::path& path) {
  ESIMO_TRY(PrivateKey key, PrivateKey::load_pem_file(path));
  return std::make_unique<SoftwareSigner>(std::move(key));
}

Result<Bytes> SoftwareSigner::sign_der(ByteView message) {
  return ecdsa_detail::with_ctx(impl_->cache, &ecdsa_detail::new_sign_ctx, key_.native(),
                                [&](EVP_PKEY_CTX* ctx) { return ecdsa_detail::sign_with(ctx, message); });
}

Result<Bytes> SoftwareSigner::sign_raw(ByteView message) {
  ESIMO_TRY(Bytes der, sign_der(message));
  return der_to_raw(der);
}

// ---- Verifier ----

struct Verifier::Impl {
  ecdsa_detail::CachedCtx cache;
};

Verifier::Verifier(PublicKey key) : key_(std::move(key)), impl_(std::make_unique<Impl>()) {}
Verifier::~Verifier() = default;
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;

Status Verifier::verify_der(ByteView message, ByteView der_signature) {
  ESIMO_TRY(Bytes raw, der_to_raw(der_signature));
  (void)raw;
  return ecdsa_detail::with_ctx(impl_->cache, &ecdsa_detail::new_verify_ctx, key_.native(),
                                [&](EVP_PKEY_CTX* ctx) { return ecdsa_detail::verify_with(ctx, message, der_signature); });
}

Status Verifier::verify_raw(ByteView message, ByteView raw_signature) {
  ESIMO_TRY(Bytes der, raw_to_der(raw_signature));
  return ecdsa_detail::with_ctx(impl_->cache, &ecdsa_detail::new_verify_ctx, key_.native(),
                                [&](EVP_PKEY_CTX* ctx) { return ecdsa_detail::verify_with(ctx, message, der); });
}

}  // namespace esimo::crypto
