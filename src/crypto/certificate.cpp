#include "crypto/certificate.hpp"

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>

#include "crypto/file_io.hpp"
#include "crypto/ossl.hpp"

namespace esimo::crypto {

namespace detail {
void X509Free::operator()(x509_st* p) const noexcept { X509_free(p); }
X509Handle up_ref(x509_st* p) {
  if (p) X509_up_ref(p);
  return X509Handle(p);
}
}  // namespace detail

namespace cert_detail {

std::string name_text(const X509_NAME* name) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !name) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return ossl::bio_contents(bio.get());
}

std::optional<std::string> name_attribute(const X509_NAME* name, int nid) {
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) {
    ossl::drain_errors();
    return std::nullopt;
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

TimePoint to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return TimePoint{};
  using namespace std::chrono;
  sys_days date = year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                 std::chrono::day{static_cast<unsigned>(tm.tm_mday)};
  return TimePoint(duration_cast<microseconds>(date.time_since_epoch() + hours{tm.tm_hour} + minutes{tm.tm_min} +
                                               seconds{tm.tm_sec}));
}

Bytes octets(const ASN1_OCTET_STRING* s) {
  const unsigned char* d = ASN1_STRING_get0_data(s);
  return Bytes(d, d + ASN1_STRING_length(s));
}

ChainFailure classify(int err) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return ChainFailure::expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ChainFailure::not_yet_valid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return ChainFailure::unknown_issuer;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return ChainFailure::bad_signature;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      return ChainFailure::not_a_ca;
    default:
      return ChainFailure::invalid;
  }
}

// Certificate::public_key() hands out a PublicKey, whose invariant is "P-256": hold certificates to it at parse time.
Status check_key(X509* x) {
  if (ossl::is_p256(X509_get0_pubkey(x))) return {};
  ossl::drain_errors();
  return Error(Errc::unsupported, "certificate: public key is not EC P-256");
}

}  // namespace cert_detail

// ---- Certificate ----

Result<Certificate> Certificate::adopt(x509_st* x509) {
  detail::X509Handle h(x509);
  if (!h) return Error(Errc::invalid_argument, "certificate: null");
  ESIMO_CHECK(cert_detail::check_key(h.get()));
  unsigned char* buf = nullptr;
  int n = i2d_X509(h.get(), &buf);
  if (n <= 0) {
    ossl::drain_errors();
    return Error(Errc::parse_error, "certificate: cannot encode as DER");
  }
  Bytes der(buf, buf + n);
  OPENSSL_free(buf);
  return Certificate(std::move(h), std::move(der));
}

Result<Certificate> Certificate::from_der(ByteView der) {
  const unsigned char* p = der.data();
  ossl::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) {
    ossl::drain_errors();
    return Error(Errc::parse_error, "certificate: not a DER X.509 certificate");
  }
  if (p != der.data() + der.size())
    return Error(Errc::parse_error, "certificate: " + std::to_string(der.data() + der.size() - p) +
                                        " trailing bytes after the certificate");
  ESIMO_CHECK(cert_detail::check_key(x.get()));
  return Certificate(detail::X509Handle(x.release()), Bytes(der.begin(), der.end()));
}

// ---- CertificateCache ----

// Orders stored DER (Bytes) against a looked-up view without copying the view into a key.
struct CertificateCacheDerLess {
  using is_transparent = void;
  static bool less(ByteView a, ByteView b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()); }
  bool operator()(const Bytes& a, const Bytes& b) const { return less(a, b); }
  bool operator()(const Bytes& a, ByteView b) const { return less(a, b); }
  bool operator()(ByteView a, const Bytes& b) const { return less(a, b); }
};

struct CertificateCache::Impl {
  explicit Impl(std::size_t c) : capacity(c) {}
  const std::size_t capacity;
  mutable std::mutex mu;
  std::map<Bytes, Certificate, CertificateCacheDerLess> parsed;  // guarded by mu
};

CertificateCache::CertificateCache(std::size_t capacity) : impl_(std::make_unique<Impl>(capacity)) {}
CertificateCache::~CertificateCache() = default;

Result<Certificate> CertificateCache::from_der(ByteView der) {
  {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->parsed.find(der); it != impl_->parsed.end()) return it->second;
  }
  return Certificate::from_der(der);
}

void CertificateCache::remember(const Certificate& cert) {
  std::lock_guard lock(impl_->mu);
  if (impl_->parsed.size() >= impl_->capacity || impl_->parsed.contains(cert.der())) return;
  impl_->parsed.emplace(cert.der(), cert);
}

std::size_t CertificateCache::size() const {
  std::lock_guard lock(impl_->mu);
  return impl_->parsed.size();
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  auto bio = ossl::mem_bio(pem);
  X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!x) {
    ossl::drain_errors();
    return Error(Errc::parse_error, "certificate: no PEM CERTIFICATE found");
  }
  return adopt(x);
}

Result<std::vector<Certificate>> Certificate::chain_from_pem(std::string_view pem) {
  auto bio = ossl::mem_bio(pem);
  std::vector<Certificate> out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    ESIMO_TRY(Certificate c, adopt(x));
    out.push_back(std::move(c));
  }
  unsigned long last = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  ossl::drain_errors();
  if (!clean_end) return Error(Errc::parse_error, "certificate chain: malformed PEM block after certificate #" +
                                                      std::to_string(out.size()));
  if (out.empty()) return Error(Errc::parse_error, "certificate chain: no PEM CERTIFICATE found");
  return out;
}

Result<Certificate> Certificate::load_pem_file(const std::filesystem::path& path) {
  ESIMO_TRY(std::string text, file_io::read_text(path));
  auto cert = from_pem(text);
  if (!cert) return Error(cert.error().code, path.string() + ": " + cert.error().message, path.string());
  return cert;
}

std::string Certificate::to_pem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x509_.get()) != 1) std::abort();
  return ossl::bio_contents(bio.get());
}

std::string Certificate::subject() const { return cert_detail::name_text(X509_get_subject_name(x509_.get())); }
std::string Certificate::issuer() const { return cert_detail::name_text(X509_get_issuer_name(x509_.get())); }

std::optional<std::string> Certificate::subject_serial_number() const {
  return cert_detail::name_attribute(X509_get_subject_name(x509_.get()), NID_serialNumber);
}
std::optional<std::string> Certificate::subject_common_name() const {
  return cert_detail::name_attribute(X509_get_subject_name(x509_.get()), NID_commonName);
}

Bytes Certificate::serial() const {
  ossl::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509_.get()), nullptr));
  if (!bn) return {};
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

std::string Certificate::serial_hex() const { return to_hex(serial()); }

TimePoint Certificate::not_before() const { return cert_detail::to_time_point(X509_get0_notBefore(x509_.get())); }
TimePoint Certificate::not_after() const { return cert_detail::to_time_point(X509_get0_notAfter(x509_.get())); }

PublicKey Certificate::public_key() const {
  // X509_get0_pubkey is a borrowed pointer; the PublicKey takes its own reference.
  return PublicKey(detail::up_ref(X509_get0_pubkey(x509_.get())));
}

std::optional<Bytes> Certificate::subject_key_identifier() const {
  const ASN1_OCTET_STRING* s = X509_get0_subject_key_id(x509_.get());
  if (!s) return std::nullopt;
  return cert_detail::octets(s);
}

std::optional<Bytes> Certificate::authority_key_identifier() const {
  const ASN1_OCTET_STRING* s = X509_get0_authority_key_id(x509_.get());
  if (!s) return std::nullopt;
  return cert_detail::octets(s);
}

std::vector<std::string> Certificate::policies() const {
  std::vector<std::string> out;
  ossl::PoliciesPtr pol(
      static_cast<CERTIFICATEPOLICIES*>(X509_get_ext_d2i(x509_.get(), NID_certificate_policies, nullptr, nullptr)));
  if (!pol) return out;
  for (int i = 0; i < sk_POLICYINFO_num(pol.get()); ++i) {
    char buf[128];
    int n = OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(pol.get(), i)->policyid, 1);
    if (n > 0 && static_cast<std::size_t>(n) < sizeof buf) out.emplace_back(buf, static_cast<std::size_t>(n));
  }
  return out;
}

bool Certificate::is_ca() const { return (X509_get_extension_flags(x509_.get()) & EXFLAG_CA) != 0; }
bool Certificate::is_self_signed() const { return X509_self_signed(x509_.get(), 0) == 1; }

std::optional<std::string> Certificate::subject_organization() const {
  return cert_detail::name_attribute(X509_get_subject_name(x509_.get()), NID_organizationName);
}

// ---- chain verification ----

const char* chain_failure_name(ChainFailure f) noexcept {
  switch (f) {
    case ChainFailure::expired: return "expired";
    case ChainFailure::not_yet_valid: return "not_yet_valid";
    case ChainFailure::unknown_issuer: return "unknown_issuer";
    case ChainFailure::bad_signature: return "bad_signature";
    case ChainFailure::not_a_ca: return "not_a_ca";
    case ChainFailure::invalid: return "invalid";
  }
  return "invalid";
}

std::optional<ChainFailure> chain_failure_of(const Error& e) {
  if (e.code != Errc::unauthenticated) return std::nullopt;
  for (auto f : {ChainFailure::expired, ChainFailure::not_yet_valid, ChainFailure::unknown_issuer,
                 ChainFailure::bad_signature, ChainFailure::not_a_ca, ChainFailure::invalid})
    if (e.field == chain_failure_name(f)) return f;
  return std::nullopt;
}

struct TrustStore::Impl {
  ossl::StorePtr store;
};

TrustStore::TrustStore(std::span<const Certificate> trusted_roots) : impl_(std::make_unique<Impl>()) {
  impl_->store.reset(X509_STORE_new());
  if (!impl_->store) std::abort();
  for (const auto& root : trusted_roots) {
    // Duplicates (the same root listed twice) are harmless; any other failure is an allocation failure.
    X509_STORE_add_cert(impl_->store.get(), root.native());
  }
  ossl::drain_errors();
}

TrustStore::~TrustStore() = default;
TrustStore::TrustStore(TrustStore&&) noexcept = default;
TrustStore& TrustStore::operator=(TrustStore&&) noexcept = default;

Status TrustStore::verify(const Certificate& leaf, std::span<const Certificate> intermediates, TimePoint at) const {
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  ossl::X509StackPtr untrusted(sk_X509_new_null());
  if (!ctx || !untrusted) std::abort();
  for (const auto& c : intermediates) {
    if (!sk_X509_push(untrusted.get(), c.native())) std::abort();  // the stack borrows; Certificates own
  }
  if (X509_STORE_CTX_init(ctx.get(), impl_->store.get(), leaf.native(), untrusted.get()) != 1)
    return Error(Errc::internal, "certificate chain: cannot initialise verification: " + ossl::drain_errors());
  // Validity is judged at the caller's time (virtual clock in the twin), not the wall clock.
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(secs));
  if (X509_verify_cert(ctx.get()) == 1) {
    ossl::drain_errors();
    return {};
  }
  int err = X509_STORE_CTX_get_error(ctx.get());
  int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  X509* at_fault = X509_STORE_CTX_get_current_cert(ctx.get());
  ossl::drain_errors();
  ChainFailure f = cert_detail::classify(err);
  std::string who = at_fault ? cert_detail::name_text(X509_get_subject_name(at_fault)) : std::string("?");
  return Error(Errc::unauthenticated,
               std::string("certificate chain: ") + chain_failure_name(f) + ": " + X509_verify_cert_error_string(err) +
                   " (depth " + std::to_string(depth) + ", subject " + who + ")",
               chain_failure_name(f));
}

Status verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                    std::span<const Certificate> trusted_roots, TimePoint at) {
  return TrustStore(trusted_roots).verify(leaf, intermediates, at);
}

}  // namespace esimo::crypto
