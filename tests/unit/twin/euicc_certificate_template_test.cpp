#include "twin/euicc_certificate_template.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "twin/software_euicc.hpp"
#include "twin_test_util.hpp"

namespace esimo::twin {
namespace {
using namespace esimo::twin::testing;  // NOLINT: test helpers

crypto::Validity ten_years() { return {test_now() - std::chrono::hours(1), test_now() + std::chrono::hours(24 * 3650)}; }

domain::Eid eid_n(int n) {
  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "8904903200000000000000%08d", n);
  return domain::Eid::from_prefix30(prefix).value();
}

TEST(EuiccCertificateTemplate, IssuesCertificatesTheEimVerifiesUpToTheCi) {
  const auto key = crypto::PrivateKey::generate();
  auto tmpl = EuiccCertificateTemplate::make(pki().eum.certificate, pki().eum.key, key.public_key(), ten_years());
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message;
  const crypto::TrustStore trust(std::vector<crypto::Certificate>{pki().ci.certificate});
  const std::vector<crypto::Certificate> eum{pki().eum.certificate};
  for (int n : {1, 2, 77}) {
    auto der = tmpl->issue(eid_n(n));
    ASSERT_TRUE(der.ok()) << der.error().message;
    auto cert = crypto::Certificate::from_der(*der);  // strict parse of the whole certificate
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    EXPECT_EQ(cert->subject_serial_number(), eid_n(n).str());
    EXPECT_TRUE(cert->public_key() == key.public_key());
    EXPECT_EQ(cert->issuer(), pki().eum.certificate.subject());
    const Status st = trust.verify(*cert, eum, test_now());
    EXPECT_TRUE(st.ok()) << st.error().message;
  }
}

TEST(EuiccCertificateTemplate, EachCertificateHasItsOwnSerialAndSignature) {
  const auto key = crypto::PrivateKey::generate();
  auto tmpl = EuiccCertificateTemplate::make(pki().eum.certificate, pki().eum.key, key.public_key(), ten_years());
  ASSERT_TRUE(tmpl.ok());
  auto a = crypto::Certificate::from_der(tmpl->issue(eid_n(5)).value()).value();
  auto b = crypto::Certificate::from_der(tmpl->issue(eid_n(5)).value()).value();
  EXPECT_NE(a.serial(), b.serial());
  EXPECT_NE(a.der(), b.der());
  EXPECT_EQ(a.serial().size(), 16u);
}

TEST(EuiccCertificateTemplate, ATamperedCertificateDoesNotVerify) {
  const auto key = crypto::PrivateKey::generate();
  auto tmpl = EuiccCertificateTemplate::make(pki().eum.certificate, pki().eum.key, key.public_key(), ten_years());
  ASSERT_TRUE(tmpl.ok());
  Bytes der = tmpl->issue(eid_n(9)).value();
  // Change one EID digit inside the signed TBSCertificate: the EUM's signature no longer covers it.
  const std::string digits = eid_n(9).str();
  auto at = std::search(der.begin(), der.end(), digits.begin(), digits.end());
  ASSERT_NE(at, der.end());
  at[20] = at[20] == '1' ? '2' : '1';
  auto cert = crypto::Certificate::from_der(der);
  ASSERT_TRUE(cert.ok());
  const crypto::TrustStore trust(std::vector<crypto::Certificate>{pki().ci.certificate});
  const std::vector<crypto::Certificate> eum{pki().eum.certificate};
  EXPECT_FALSE(trust.verify(*cert, eum, test_now()).ok());
}

TEST(EuiccCertificateTemplate, RefusesAnEumKeyThatIsNotTheCertificates) {
  const auto key = crypto::PrivateKey::generate();
  auto tmpl = EuiccCertificateTemplate::make(pki().eum.certificate, pki().ci.key, key.public_key(), ten_years());
  ASSERT_FALSE(tmpl.ok());
  EXPECT_EQ(tmpl.error().code, Errc::invalid_argument);
}

TEST(EuiccCertificateTemplate, SoftwareEuiccFromATemplateSignsWithItsKey) {
  const auto key = crypto::PrivateKey::generate();
  auto tmpl = EuiccCertificateTemplate::make(pki().eum.certificate, pki().eum.key, key.public_key(), ten_years());
  ASSERT_TRUE(tmpl.ok());
  auto e = SoftwareEuicc::create_from_template(*tmpl, eid_n(3), sgp::Version::v1_2, key, pki().eum.certificate);
  ASSERT_TRUE(e.ok()) << e.error().message;
  auto cert = crypto::Certificate::from_der(e->euicc_certificate_der()).value();
  EXPECT_EQ(cert.subject_serial_number(), eid_n(3).str());
  EXPECT_EQ(e->eum_certificate_der(), pki().eum.certificate.der());

  // Another key than the template's subject key is refused.
  auto wrong = SoftwareEuicc::create_from_template(*tmpl, eid_n(3), sgp::Version::v1_2, crypto::PrivateKey::generate(),
                                                   pki().eum.certificate);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().field, "euicc_key");
}

}  // namespace
}  // namespace esimo::twin
