#pragma once
// ECDSA with P-256 and SHA-256, in both signature encodings esimo meets:
//  - DER ECDSA-Sig-Value (RFC 3279 §2.2.3; X.509 certificates, TLS),
//  - raw r||s, 32 bytes each (BSI TR-03111 "plain" format) as GSMA puts it under tag 5F37
//    (SGP.32 eUICC package and result signatures, SGP.22 euiccSignature1/2 and serverSignature1).
// Malformed signatures are errors (invalid_argument), a well-formed signature that does not verify is unauthenticated.
#include <filesystem>
#include <memory>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/keys.hpp"

namespace esimo::crypto {

inline constexpr std::size_t kRawSignatureSize = 64;

// Strict conversions. raw: exactly 64 bytes, 1 <= r,s < n. DER: one SEQUENCE of two minimal positive INTEGERs, no
// trailing bytes, 1 <= r,s < n.
Result<Bytes> raw_to_der(ByteView raw);
Result<Bytes> der_to_raw(ByteView der);

// One-shot operations (a new OpenSSL context per call; use Signer/Verifier on hot paths).
Result<Bytes> sign_der(const PrivateKey& key, ByteView message);
Result<Bytes> sign_raw(const PrivateKey& key, ByteView message);
Status verify_der(const PublicKey& key, ByteView message, ByteView der_signature);
Status verify_raw(const PublicKey& key, ByteView message, ByteView raw_signature);

// Signs with a private key it may not hold (software key today, a PKCS#11 HSM key later).
class Signer {
 public:
  virtual ~Signer() = default;
  // ECDSA P-256 / SHA-256 over `message`, raw r||s (64 bytes).
  virtual Result<Bytes> sign_raw(ByteView message) = 0;
  virtual const PublicKey& public_key() const = 0;
};

// Software signer over a PrivateKey. Thread-safe: one cached OpenSSL context serves the uncontended case; a concurrent
// caller gets a fresh context instead of waiting.
class SoftwareSigner final : public Signer {
 public:
  explicit SoftwareSigner(PrivateKey key);
  ~SoftwareSigner() override;
  SoftwareSigner(const SoftwareSigner&) = delete;
  SoftwareSigner& operator=(const SoftwareSigner&) = delete;

  static Result<std::unique_ptr<SoftwareSigner>> load_pem_file(const std::filesystem::path& path);

  Result<Bytes> sign_raw(ByteView message) override;
  Result<Bytes> sign_der(ByteView message);
  const PublicKey& public_key() const override { return public_key_; }

 private:
  struct Impl;
  PrivateKey key_;
  PublicKey public_key_;
  std::unique_ptr<Impl> impl_;
};

// Verifier bound to one public key, reusing its OpenSSL context. Same thread-safety as SoftwareSigner.
class Verifier {
 public:
  explicit Verifier(PublicKey key);
  ~Verifier();
  Verifier(Verifier&&) noexcept;
  Verifier& operator=(Verifier&&) noexcept;

  Status verify_raw(ByteView message, ByteView raw_signature);
  Status verify_der(ByteView message, ByteView der_signature);
  const PublicKey& public_key() const { return key_; }

 private:
  struct Impl;
  PublicKey key_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::crypto
