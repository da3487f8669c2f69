#include "crypto/keys.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <cstring>

#include "crypto/file_io.hpp"
#include "crypto/ossl.hpp"

namespace esimo::crypto {

namespace detail {
void PkeyFree::operator()(evp_pkey_st* p) const noexcept { EVP_PKEY_free(p); }
PkeyHandle up_ref(evp_pkey_st* p) {
  if (p) EVP_PKEY_up_ref(p);
  return PkeyHandle(p);
}
}  // namespace detail

namespace keys_detail {

// Never prompt on a terminal for a passphrase: encrypted PEM is refused.
int no_passphrase(char*, int, int, void*) { return 0; }

// X||Y of an EC key, each left-padded to 32 bytes, behind 0x04.
Bytes point_of(EVP_PKEY* k) {
  Bytes out(kP256PointSize, 0);
  out[0] = 0x04;
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  bool ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
            EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 && BN_bn2binpad(x, out.data() + 1, 32) == 32 &&
            BN_bn2binpad(y, out.data() + 33, 32) == 32;
  BN_free(x);
  BN_free(y);
  if (!ok) std::abort();  // a P-256 key always has a 32-byte affine point; anything else is a bug
  return out;
}

}  // namespace keys_detail

// ---- PublicKey ----

Result<PublicKey> PublicKey::from_spki_der(ByteView der) {
  const unsigned char* p = der.data();
  ossl::PkeyPtr k(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!k) {
    ossl::drain_errors();
    return Error(Errc::parse_error, "public key: not a DER SubjectPublicKeyInfo");
  }
  if (p != der.data() + der.size())
    return Error(Errc::parse_error, "public key: trailing bytes after SubjectPublicKeyInfo");
  if (!ossl::is_p256(k.get())) return Error(Errc::unsupported, "public key: not an EC P-256 key");
  return PublicKey(detail::PkeyHandle(k.release()));
}

Result<PublicKey> PublicKey::from_uncompressed_point(ByteView point) {
  if (point.size() != kP256PointSize || point[0] != 0x04)
    return Error(Errc::invalid_argument, "public key: expected 65-byte uncompressed point 04||X||Y, got " +
                                             std::to_string(point.size()) + " bytes");
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(point.data()), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    ossl::drain_errors();
    return Error(Errc::invalid_argument, "public key: point is not on P-256");
  }
  ossl::PkeyPtr k(raw);
  // On-curve and not the point at infinity. P-256 has cofactor 1, so that is full public-key validation (NIST SP
  // 800-56A r3 §5.6.2.3.4 suffices when h = 1); EVP_PKEY_public_check would also multiply the point by the group order,
  // a scalar multiplication that proves nothing more here and cost ~10% of a first contact.
  ossl::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    ossl::drain_errors();
    return Error(Errc::invalid_argument, "public key: point is not a valid P-256 public key");
  }
  return PublicKey(detail::PkeyHandle(k.release()));
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  auto bio = ossl::mem_bio(pem);
  ossl::PkeyPtr k(PEM_read_bio_PUBKEY(bio.get(), nullptr, &keys_detail::no_passphrase, nullptr));
  if (!k) {
    ossl::drain_errors();
    return Error(Errc::parse_error, "public key: no PEM PUBLIC KEY found");
  }
  if (!ossl::is_p256(k.get())) return Error(Errc::unsupported, "public key: not an EC P-256 key");
  return PublicKey(detail::PkeyHandle(k.release()));
}

Bytes PublicKey::to_uncompressed_point() const { return keys_detail::point_of(key_.get()); }

Bytes PublicKey::to_spki_der() const {
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(key_.get(), &buf);
  if (n <= 0) std::abort();
  Bytes out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

std::string PublicKey::to_pem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) std::abort();
  return ossl::bio_contents(bio.get());
}

bool PublicKey::operator==(const PublicKey& other) const { return EVP_PKEY_eq(key_.get(), other.key_.get()) == 1; }

// ---- PrivateKey ----

PrivateKey PrivateKey::generate() {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!k) std::abort();  // DRBG or allocation failure: nothing safe to do
  return PrivateKey(detail::PkeyHandle(k));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  auto bio = ossl::mem_bio(pem);
  ossl::PkeyPtr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, &keys_detail::no_passphrase, nullptr));
  if (!k) {
    ossl::drain_errors();
    return Error(Errc::parse_error, "private key: no unencrypted PEM private key found");
  }
  if (!ossl::is_p256(k.get())) return Error(Errc::unsupported, "private key: not an EC P-256 key");
  // The file may carry its public key (SEC1 publicKey): it must be the private scalar's, on the curve, since the
  // PrivateKey keeps that public half for every certificate and signature check made against this key.
  ossl::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    ossl::drain_errors();
    return Error(Errc::invalid_argument, "private key: its public key does not belong to its private key");
  }
  return PrivateKey(detail::PkeyHandle(k.release()));
}

Result<PrivateKey> PrivateKey::load_pem_file(const std::filesystem::path& path) {
  auto text = file_io::read_text(path);
  if (!text) return std::move(text).error();
  auto key = from_pem(*text);
  if (!key) return Error(key.error().code, path.string() + ": " + key.error().message, path.string());
  return key;
}

std::string PrivateKey::to_pem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    std::abort();
  std::string out = ossl::bio_contents(bio.get());
  return out;
}

PrivateKey::PrivateKey(detail::PkeyHandle key) : key_(std::move(key)) {
  if (!key_) return;  // moved-from or null handle: no public half either
  // Rebuilt from the point so the PublicKey never carries the private scalar.
  auto pub = PublicKey::from_uncompressed_point(keys_detail::point_of(key_.get()));
  if (!pub) std::abort();  // a P-256 private key always has a valid public point
  public_ = detail::up_ref(pub->native());
}

PublicKey PrivateKey::public_key() const { return PublicKey(detail::up_ref(public_.get())); }

}  // namespace esimo::crypto
