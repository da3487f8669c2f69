#pragma once
// eUICC certificates for a simulated fleet at the cost of one ECDSA signature each.
//
// The twin materialises up to millions of software eUICCs whose keys come from a small pool (DeviceFactory::key_pool),
// and each needs its own CERT.EUICC.ECDSA (subject serialNumber = its EID, SGP.22 §4.5.2). Issuing one through
// OpenSSL's X509 builder costs far more than its signature (OpenSSL 3 re-encodes and re-decodes the public key
// through its provider decoders on every X509_set_pubkey), and it was a quarter of a first contact's CPU. A template
// is one real certificate issued for a pool key through crypto::issue_euicc_certificate; issue() copies its
// TBSCertificate, puts a fresh random serialNumber and the device's EID in place (both have fixed lengths, so no
// length changes) and signs it with the EUM key. The result is an ordinary certificate that the eIM parses and
// verifies up to the CI like any other; nothing is shared but the subject public key and the validity.
//
// Thread-safe after make() (issue() is const; the signer is thread-safe).
#include <cstddef>
#include <memory>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/certificate.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/keys.hpp"
#include "crypto/test_pki.hpp"
#include "domain/identifiers.hpp"

namespace esimo::twin {

class EuiccCertificateTemplate {
 public:
  // Checks that eum_key matches eum_cert (as issue_euicc_certificate does) and issues the template certificate.
  static Result<EuiccCertificateTemplate> make(const crypto::Certificate& eum_cert, const crypto::PrivateKey& eum_key,
                                               const crypto::PublicKey& euicc_public_key, crypto::Validity validity);

  // DER of a certificate for `eid` with a fresh 127-bit random serialNumber, signed by the EUM key.
  Result<Bytes> issue(const domain::Eid& eid) const;

  const crypto::PublicKey& subject_public_key() const { return subject_key_; }

 private:
  EuiccCertificateTemplate(Bytes tbs, std::size_t serial_at, std::size_t eid_at, Bytes signature_algorithm,
                           std::shared_ptr<crypto::SoftwareSigner> signer, crypto::PublicKey subject_key)
      : tbs_(std::move(tbs)),
        serial_at_(serial_at),
        eid_at_(eid_at),
        signature_algorithm_(std::move(signature_algorithm)),
        signer_(std::move(signer)),
        subject_key_(std::move(subject_key)) {}

  Bytes tbs_;                  // TBSCertificate of the template
  std::size_t serial_at_;      // offset of the serialNumber's 16 content octets in tbs_
  std::size_t eid_at_;         // offset of the subject serialNumber's 32 digits in tbs_
  Bytes signature_algorithm_;  // AlgorithmIdentifier (ecdsa-with-SHA256), as encoded in the template
  std::shared_ptr<crypto::SoftwareSigner> signer_;  // the EUM key
  crypto::PublicKey subject_key_;
};

}  // namespace esimo::twin
