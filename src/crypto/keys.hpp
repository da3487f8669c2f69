#pragma once
// NIST P-256 keys (the only curve SGP.22/SGP.32 certificates and eUICC packages use here), OpenSSL 3 behind the scenes.
// Values are cheap to copy (reference-counted, immutable OpenSSL keys) and safe to share between threads.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace esimo::crypto {

namespace detail {
struct PkeyFree {
  void operator()(evp_pkey_st* p) const noexcept;
};
using PkeyHandle = std::unique_ptr<evp_pkey_st, PkeyFree>;
PkeyHandle up_ref(evp_pkey_st* p);
}  // namespace detail

// Size of an uncompressed SEC 1 point 04||X||Y on P-256.
inline constexpr std::size_t kP256PointSize = 65;

class PublicKey {
 public:
  // DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7); must be an EC key on P-256 and use every byte.
  static Result<PublicKey> from_spki_der(ByteView der);
  // Uncompressed point 04||X||Y (65 bytes), as SGP.22 carries eUICC/eIM public keys; the point must be on the curve.
  static Result<PublicKey> from_uncompressed_point(ByteView point);
  // "-----BEGIN PUBLIC KEY-----" (SPKI).
  static Result<PublicKey> from_pem(std::string_view pem);

  Bytes to_uncompressed_point() const;  // 65 bytes
  Bytes to_spki_der() const;
  std::string to_pem() const;

  bool operator==(const PublicKey& other) const;

  PublicKey(const PublicKey& other) : key_(detail::up_ref(other.key_.get())) {}
  PublicKey& operator=(const PublicKey& other) {
    if (this != &other) key_ = detail::up_ref(other.key_.get());
    return *this;
  }
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;
  ~PublicKey() = default;

  // For src/crypto internals (and an HSM signer): the OpenSSL EVP_PKEY; null only in a moved-from key.
  evp_pkey_st* native() const noexcept { return key_.get(); }
  explicit PublicKey(detail::PkeyHandle key) : key_(std::move(key)) {}

 private:
  detail::PkeyHandle key_;
};

class PrivateKey {
 public:
  // A fresh P-256 key from the OpenSSL DRBG.
  static PrivateKey generate();
  // PEM "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC 1); unencrypted; must be P-256.
  static Result<PrivateKey> from_pem(std::string_view pem);
  // Reads and parses a PEM file; errors name the file.
  static Result<PrivateKey> load_pem_file(const std::filesystem::path& path);

  // Unencrypted PKCS#8 PEM. Handle the result as a secret.
  std::string to_pem() const;
  PublicKey public_key() const;

  PrivateKey(const PrivateKey& other)
      : key_(detail::up_ref(other.key_.get())), public_(detail::up_ref(other.public_.get())) {}
  PrivateKey& operator=(const PrivateKey& other) {
    if (this != &other) {
      key_ = detail::up_ref(other.key_.get());
      public_ = detail::up_ref(other.public_.get());
    }
    return *this;
  }
  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;
  ~PrivateKey() = default;

  evp_pkey_st* native() const noexcept { return key_.get(); }
  // Derives the public half once (see public_key()); `key` must be a P-256 private key.
  explicit PrivateKey(detail::PkeyHandle key);

 private:
  detail::PkeyHandle key_;
  // The public half as its own public-only EVP_PKEY, built once: public_key() is on the path of every certificate
  // issued or checked against this key, and rebuilding it from the point cost an EVP_PKEY_fromdata each time.
  detail::PkeyHandle public_;
};

}  // namespace esimo::crypto
