#pragma once
// INTERNAL to src/crypto: OpenSSL 3 RAII handles and small helpers. Never include from a public header.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace esimo::crypto::ossl {

template <auto FreeFn>
struct Free {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Free<&EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Free<&EVP_MD_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Free<&X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Free<&X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free<&X509_STORE_CTX_free>>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
using BioPtr = std::unique_ptr<BIO, Free<&BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Free<&BN_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Free<&X509_NAME_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Free<&X509_EXTENSION_free>>;
using Asn1IntPtr = std::unique_ptr<ASN1_INTEGER, Free<&ASN1_INTEGER_free>>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, Free<&ASN1_OCTET_STRING_free>>;
using AkidPtr = std::unique_ptr<AUTHORITY_KEYID, Free<&AUTHORITY_KEYID_free>>;
using PoliciesPtr = std::unique_ptr<CERTIFICATEPOLICIES, Free<&CERTIFICATEPOLICIES_free>>;

// Drains the thread's OpenSSL error queue into one line (so no stale error leaks into a later call).
inline std::string drain_errors() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("no OpenSSL detail") : out;
}

// SHA-256, fetched once: implicit fetches per call are measurable on the sign/verify hot path.
inline const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// The one curve esimo accepts (OpenSSL may name it any of these).
inline bool is_p256(const EVP_PKEY* k) {
  if (!k || !EVP_PKEY_is_a(k, "EC")) return false;
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(k, name, sizeof name, &len) != 1) return false;
  std::string_view n(name, len);
  return n == "prime256v1" || n == "P-256" || n == "secp256r1";
}

inline BioPtr mem_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

inline std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace esimo::crypto::ossl
