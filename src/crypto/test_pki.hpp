#pragma once
// A GSMA-like test PKI for the twin, lab set-ups and tests (`esimo pki test-ca`), shaped after SGP.22 §4.5.2:
//
//   CI (self-signed root, id-rspRole-ci)
//    ├── EUM (CA, pathLen 0, id-rspRole-eum) ── eUICC (serialNumber = EID, id-rspRole-euicc)  [issue_euicc_certificate]
//    ├── SM-DP+ DPauth (id-rspRole-dp-auth), DPpb (id-rspRole-dp-pb), DP TLS (id-rspRole-dp-tls, SAN host + 127.0.0.1)
//    └── eIM (digitalSignature; no certificatePolicies: no eIM role OID could be confirmed for SGP.32)
//
// All keys are P-256, all signatures ecdsa-with-SHA256. NOT a production PKI: the CI key is written next to the
// certificates, and the EUM carries no nameConstraints on the EID range (real EUM certificates do).
//
// Directory layout written by save_test_pki / read by load_test_pki (PEM; keys PKCS#8, mode 0600):
//   ci.pem      ci.key.pem       CI root certificate and key
//   eum.pem     eum.key.pem      EUM certificate and key (issues eUICC certificates)
//   eim.pem     eim.key.pem      eIM certificate and signing key (eUICC packages)
//   dpauth.pem  dpauth.key.pem   SM-DP+ CERT.DPauth.ECDSA and key (ES9+ AuthenticateServer)
//   dppb.pem    dppb.key.pem     SM-DP+ CERT.DPpb.ECDSA and key (profile binding)
//   dptls.pem   dptls.key.pem    TLS server certificate for the test SM-DP+ / eIM listener on loopback
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"

namespace esimo::crypto {

// SGP.22 certificatePolicies values, id-rspRole = {2 23 146 1 2 1}.
namespace rsp_role {
inline constexpr std::string_view kCi = "2.23.146.1.2.1.0";
inline constexpr std::string_view kEuicc = "2.23.146.1.2.1.1";
inline constexpr std::string_view kEum = "2.23.146.1.2.1.2";
inline constexpr std::string_view kDpTls = "2.23.146.1.2.1.3";
inline constexpr std::string_view kDpAuth = "2.23.146.1.2.1.4";
inline constexpr std::string_view kDpPb = "2.23.146.1.2.1.5";
}  // namespace rsp_role

namespace test_pki_files {
inline constexpr std::string_view kCi = "ci.pem";
inline constexpr std::string_view kCiKey = "ci.key.pem";
inline constexpr std::string_view kEum = "eum.pem";
inline constexpr std::string_view kEumKey = "eum.key.pem";
inline constexpr std::string_view kEim = "eim.pem";
inline constexpr std::string_view kEimKey = "eim.key.pem";
inline constexpr std::string_view kDpAuth = "dpauth.pem";
inline constexpr std::string_view kDpAuthKey = "dpauth.key.pem";
inline constexpr std::string_view kDpPb = "dppb.pem";
inline constexpr std::string_view kDpPbKey = "dppb.key.pem";
inline constexpr std::string_view kDpTls = "dptls.pem";
inline constexpr std::string_view kDpTlsKey = "dptls.key.pem";
}  // namespace test_pki_files

struct Validity {
  TimePoint not_before;
  TimePoint not_after;
};

struct KeyAndCertificate {
  Certificate certificate;
  PrivateKey key;
};

struct TestPki {
  KeyAndCertificate ci;
  KeyAndCertificate eum;
  KeyAndCertificate eim;
  KeyAndCertificate dpauth;
  KeyAndCertificate dppb;
  KeyAndCertificate dptls;
};

struct TestPkiOptions {
  TimePoint now;                                       // from the caller's clock (virtual in the twin)
  Duration lifetime = std::chrono::hours(24 * 3650);  // every certificate: [now - 1 h, now + lifetime]; CI: 2x
  std::string organisation = "esimo test";
  std::string tls_host = "localhost";  // DNS subjectAltName of dptls (127.0.0.1 is always added)
};

// What kind of certificate issue_test_certificate makes (extensions and policy OID follow the role).
enum class CertRole { ci, eum, euicc, eim, dp_auth, dp_pb, dp_tls };

// One certificate. subject: (attribute short name, value) pairs, e.g. {"O","esimo test"},{"CN","X"},
// {"serialNumber", eid}. issuer == nullptr makes a self-signed certificate (issuer_key must then be the subject's key).
// dns_names: subjectAltName DNS entries (dp_tls also gets IP 127.0.0.1).
Result<Certificate> issue_test_certificate(CertRole role, const std::vector<std::pair<std::string, std::string>>& subject,
                                           const PublicKey& subject_key, const Certificate* issuer,
                                           const PrivateKey& issuer_key, Validity validity,
                                           const std::vector<std::string>& dns_names = {});

// eUICC certificate (CERT.EUICC.ECDSA) for `eid` (32 decimal digits) under the EUM: subject O = EUM's O,
// CN = "eUICC", serialNumber = EID.
Result<Certificate> issue_euicc_certificate(const Certificate& eum_cert, const PrivateKey& eum_key, std::string_view eid,
                                            const PublicKey& euicc_public_key, Validity validity);

// A fresh key plus its eUICC certificate under pki.eum, valid [now - 1 h, now + 10 years].
Result<KeyAndCertificate> make_test_euicc(const TestPki& pki, std::string_view eid, TimePoint now);

// Fresh keys and certificates.
Result<TestPki> make_test_pki(const TestPkiOptions& options);
// Writes the files listed above into dir (created if missing). Refuses (already_exists) when dir already holds ci.pem
// unless overwrite is set. Each file is written atomically.
Status save_test_pki(const TestPki& pki, const std::filesystem::path& dir, bool overwrite = false);
// make_test_pki + save_test_pki.
Result<TestPki> write_test_pki(const std::filesystem::path& dir, const TestPkiOptions& options, bool overwrite = false);
// Reads the files listed above; errors name the file. Checks every key matches its certificate.
Result<TestPki> load_test_pki(const std::filesystem::path& dir);

}  // namespace esimo::crypto
