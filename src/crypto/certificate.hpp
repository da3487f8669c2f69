#pragma once
// X.509 certificates (RFC 5280) as GSMA RSP uses them (SGP.22 §4.5.2: CI, EUM, eUICC, SM-DP+), and chain verification
// against the time the caller gives (the twin runs on a virtual clock), never the wall clock.
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/keys.hpp"

struct x509_st;  // OpenSSL's X509

namespace esimo::crypto {

namespace detail {
struct X509Free {
  void operator()(x509_st* p) const noexcept;
};
using X509Handle = std::unique_ptr<x509_st, X509Free>;
X509Handle up_ref(x509_st* p);
}  // namespace detail

// Only certificates with a P-256 public key are accepted (unsupported otherwise), so public_key() always works.
// brainpoolP256r1, which SGP.22 also allows, is not supported.
class Certificate {
 public:
  // Exactly one DER Certificate, no trailing bytes.
  static Result<Certificate> from_der(ByteView der);
  // The first "-----BEGIN CERTIFICATE-----" block.
  static Result<Certificate> from_pem(std::string_view pem);
  // Every CERTIFICATE block, in order (at least one).
  static Result<std::vector<Certificate>> chain_from_pem(std::string_view pem);
  // Reads and parses a PEM file (first certificate); errors name the file.
  static Result<Certificate> load_pem_file(const std::filesystem::path& path);

  const Bytes& der() const { return der_; }
  std::string to_pem() const;

  // RFC 2253 one-line form, e.g. "CN=esimo Test CI,O=esimo test".
  std::string subject() const;
  std::string issuer() const;
  // The subject's serialNumber attribute (SGP.22 puts the EID there in eUICC certificates); nullopt when absent.
  std::optional<std::string> subject_serial_number() const;
  std::optional<std::string> subject_common_name() const;
  std::optional<std::string> subject_organization() const;
  // Certificate serialNumber: big-endian magnitude bytes and lower-case hex of the same.
  Bytes serial() const;
  std::string serial_hex() const;
  TimePoint not_before() const;
  TimePoint not_after() const;
  PublicKey public_key() const;
  std::optional<Bytes> subject_key_identifier() const;
  std::optional<Bytes> authority_key_identifier() const;  // the keyIdentifier field
  // certificatePolicies OIDs in dotted form (SGP.22 id-rspRole-*), empty when absent.
  std::vector<std::string> policies() const;
  bool is_ca() const;
  bool is_self_signed() const;

  bool operator==(const Certificate& other) const { return der_ == other.der_; }

  Certificate(const Certificate& other) : x509_(detail::up_ref(other.x509_.get())), der_(other.der_) {}
  Certificate& operator=(const Certificate& other) {
    if (this != &other) {
      x509_ = detail::up_ref(other.x509_.get());
      der_ = other.der_;
    }
    return *this;
  }
  Certificate(Certificate&&) noexcept = default;
  Certificate& operator=(Certificate&&) noexcept = default;
  ~Certificate() = default;

  x509_st* native() const noexcept { return x509_.get(); }
  // Takes ownership of a parsed X509 (src/crypto internals).
  static Result<Certificate> adopt(x509_st* x509);

 private:
  Certificate(detail::X509Handle x509, Bytes der) : x509_(std::move(x509)), der_(std::move(der)) {}
  detail::X509Handle x509_;
  Bytes der_;
};

// Parsed certificates by their exact DER, for a certificate that many peers present alike: every eUICC sends its
// EUM's certificate with its own, and parsing X.509 in OpenSSL 3.0 (its decoder framework) costs more than verifying
// a signature. Only what the caller `remember`s is kept — a certificate it has verified — so certificates an
// unauthenticated peer sends cannot fill the cache. Thread-safe; holds at most `capacity` certificates (past that,
// `remember` keeps nothing).
class CertificateCache {
 public:
  explicit CertificateCache(std::size_t capacity = 256);
  ~CertificateCache();
  CertificateCache(const CertificateCache&) = delete;
  CertificateCache& operator=(const CertificateCache&) = delete;

  // As Certificate::from_der, from the cache when these bytes were remembered before; parsed otherwise (not kept).
  Result<Certificate> from_der(ByteView der);
  // Keeps `cert` (by its DER) for later from_der calls.
  void remember(const Certificate& cert);
  std::size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Why a chain did not verify. verify_chain puts the name (chain_failure_name) in Error::field.
enum class ChainFailure {
  expired,          // a certificate's notAfter is before the given time
  not_yet_valid,    // a certificate's notBefore is after the given time
  unknown_issuer,   // no path to a trusted root
  bad_signature,    // a signature in the path does not verify
  not_a_ca,         // an issuer lacks CA basicConstraints/keyCertSign, or path length exceeded
  invalid,          // anything else (malformed extension, unsupported critical extension, ...)
};
const char* chain_failure_name(ChainFailure f) noexcept;
// The failure of an Error returned by verify_chain/TrustStore::verify; nullopt for other errors.
std::optional<ChainFailure> chain_failure_of(const Error& e);

// Trusted roots, built once and shared (verification is thread-safe). Cache one per configured CI set.
class TrustStore {
 public:
  explicit TrustStore(std::span<const Certificate> trusted_roots);
  ~TrustStore();
  TrustStore(TrustStore&&) noexcept;
  TrustStore& operator=(TrustStore&&) noexcept;

  // leaf -> intermediates -> one of the roots, every validity period checked at `at`. Error code unauthenticated,
  // field = chain_failure_name, message names the certificate at fault.
  Status verify(const Certificate& leaf, std::span<const Certificate> intermediates, TimePoint at) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Status verify_chain(const Certificate& leaf, std::span<const Certificate> intermediates,
                    std::span<const Certificate> trusted_roots, TimePoint at);

}  // namespace esimo::crypto
