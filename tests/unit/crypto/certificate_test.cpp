#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "base/bytes.hpp"
#include "crypto/certificate.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/random.hpp"
#include "crypto/test_pki.hpp"

namespace esimo::crypto {
namespace {

using std::chrono::hours;

constexpr std::string_view kEid = "89049032123451234512345678901235";

TimePoint t0() {
  using namespace std::chrono;
  return TimePoint(sys_days{year{2026} / January / 1}.time_since_epoch());
}

// One PKI for the whole suite: key generation is the slow part.
struct Fixture {
  TestPki pki;
  KeyAndCertificate euicc;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    TestPkiOptions o;
    o.now = t0();
    o.lifetime = hours(24 * 365);
    TestPki pki = make_test_pki(o).value();
    KeyAndCertificate euicc = make_test_euicc(pki, kEid, t0()).value();
    return Fixture{std::move(pki), std::move(euicc)};
  }();
  return f;
}

std::optional<ChainFailure> failure_of(const Status& s) {
  if (s.ok()) return std::nullopt;
  return chain_failure_of(s.error());
}

std::filesystem::path temp_dir(std::string_view tag) {
  return std::filesystem::temp_directory_path() / ("esimo_" + std::string(tag) + "_" + random_alnum(10));
}

TEST(CertificateCache, KeepsOnlyWhatIsRememberedUpToItsCapacity) {
  const auto& f = fixture();
  CertificateCache cache(2);
  auto a = cache.from_der(f.pki.eum.certificate.der());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->subject(), f.pki.eum.certificate.subject());
  EXPECT_EQ(cache.size(), 0u);  // parsed, not kept: nothing an unauthenticated peer sends fills the cache
  cache.remember(*a);
  cache.remember(*a);
  EXPECT_EQ(cache.size(), 1u);
  auto again = cache.from_der(f.pki.eum.certificate.der());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->der(), f.pki.eum.certificate.der());

  Bytes bad = f.pki.eum.certificate.der();
  bad.resize(bad.size() - 1);  // a prefix of a kept certificate is not that certificate
  EXPECT_FALSE(cache.from_der(bad).ok());
  bad = f.pki.eum.certificate.der();
  bad.push_back(0x00);  // nor is a longer string that starts with it
  EXPECT_FALSE(cache.from_der(bad).ok());

  cache.remember(f.pki.ci.certificate);
  cache.remember(f.euicc.certificate);  // past capacity: not kept
  EXPECT_EQ(cache.size(), 2u);
  auto third = cache.from_der(f.euicc.certificate.der());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->subject_serial_number(), std::string(kEid));
}

TEST(Certificate, TestPkiShapeFollowsSgp22) {
  const auto& pki = fixture().pki;
  EXPECT_TRUE(pki.ci.certificate.is_self_signed());
  EXPECT_TRUE(pki.ci.certificate.is_ca());
  EXPECT_TRUE(pki.eum.certificate.is_ca());
  EXPECT_FALSE(pki.eim.certificate.is_ca());
  EXPECT_FALSE(pki.dpauth.certificate.is_ca());
  EXPECT_EQ(pki.ci.certificate.subject(), "CN=esimo Test CI,O=esimo test");
  EXPECT_EQ(pki.eum.certificate.issuer(), pki.ci.certificate.subject());
  using V = std::vector<std::string>;
  EXPECT_EQ(pki.ci.certificate.policies(), V{std::string(rsp_role::kCi)});
  EXPECT_EQ(pki.eum.certificate.policies(), V{std::string(rsp_role::kEum)});
  EXPECT_EQ(pki.dpauth.certificate.policies(), V{std::string(rsp_role::kDpAuth)});
  EXPECT_EQ(pki.dppb.certificate.policies(), V{std::string(rsp_role::kDpPb)});
  EXPECT_EQ(pki.dptls.certificate.policies(), V{std::string(rsp_role::kDpTls)});
  EXPECT_TRUE(pki.eim.certificate.policies().empty());
  EXPECT_EQ(fixture().euicc.certificate.policies(), V{std::string(rsp_role::kEuicc)});
  for (const auto* kc : {&pki.eum, &pki.eim, &pki.dpauth, &pki.dppb, &pki.dptls}) {
    EXPECT_EQ(kc->certificate.authority_key_identifier(), pki.ci.certificate.subject_key_identifier());
    EXPECT_TRUE(kc->certificate.public_key() == kc->key.public_key());
    EXPECT_TRUE(verify_chain(kc->certificate, {}, std::span(&pki.ci.certificate, 1), t0() + hours(1)).ok())
        << kc->certificate.subject();
  }
}

TEST(Certificate, EuiccCertificateCarriesEidAndChainsToCi) {
  const auto& f = fixture();
  const Certificate& cert = f.euicc.certificate;
  EXPECT_EQ(cert.subject_serial_number(), std::string(kEid));
  EXPECT_EQ(cert.subject_organization(), std::string("esimo test"));
  EXPECT_EQ(cert.issuer(), f.pki.eum.certificate.subject());
  EXPECT_EQ(cert.authority_key_identifier(), f.pki.eum.certificate.subject_key_identifier());
  ASSERT_TRUE(cert.subject_key_identifier().has_value());
  EXPECT_EQ(cert.subject_key_identifier()->size(), 20u);
  EXPECT_TRUE(cert.public_key() == f.euicc.key.public_key());
  EXPECT_FALSE(cert.serial().empty());
  EXPECT_EQ(cert.serial_hex(), to_hex(cert.serial()));
  EXPECT_NE(cert.serial(), f.pki.eum.certificate.serial());
  EXPECT_EQ(cert.not_before(), t0() - hours(1));
  EXPECT_EQ(cert.not_after(), t0() + hours(24 * 3650));
  EXPECT_TRUE(verify_chain(cert, std::span(&f.pki.eum.certificate, 1), std::span(&f.pki.ci.certificate, 1),
                           t0() + hours(24))
                  .ok());
  // The eUICC signs with the key its certificate names.
  auto sig = sign_raw(f.euicc.key, as_bytes("euiccSigned1"));
  EXPECT_TRUE(verify_raw(cert.public_key(), as_bytes("euiccSigned1"), sig.value()).ok());
}

TEST(Certificate, ValidityIsJudgedAtTheGivenTime) {
  const auto& f = fixture();
  const auto& eum = f.pki.eum.certificate;
  auto roots = std::span(&f.pki.ci.certificate, 1);
  EXPECT_EQ(eum.not_before(), t0() - hours(1));
  EXPECT_EQ(eum.not_after(), t0() + hours(24 * 365));
  EXPECT_TRUE(verify_chain(eum, {}, roots, t0()).ok());
  // One day after the EUM's notAfter (CI still valid): expired.
  auto expired = verify_chain(eum, {}, roots, t0() + hours(24 * 366));
  EXPECT_EQ(failure_of(expired), ChainFailure::expired);
  EXPECT_EQ(expired.error().code, Errc::unauthenticated);
  EXPECT_EQ(expired.error().field, "expired");
  EXPECT_NE(expired.error().message.find("esimo Test EUM"), std::string::npos) << expired.error().message;
  // Before notBefore: not yet valid.
  EXPECT_EQ(failure_of(verify_chain(eum, {}, roots, t0() - hours(2))), ChainFailure::not_yet_valid);
  // The eUICC leaf outlives its EUM: still expired through the intermediate.
  EXPECT_EQ(failure_of(verify_chain(f.euicc.certificate, std::span(&eum, 1), roots, t0() + hours(24 * 400))),
            ChainFailure::expired);
}

TEST(Certificate, ExpiredLeafIssuedWithExplicitValidity) {
  const auto& f = fixture();
  PrivateKey key = PrivateKey::generate();
  auto cert = issue_euicc_certificate(f.pki.eum.certificate, f.pki.eum.key, kEid, key.public_key(),
                                      Validity{t0() - hours(48), t0() - hours(24)});
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  auto s = verify_chain(*cert, std::span(&f.pki.eum.certificate, 1), std::span(&f.pki.ci.certificate, 1), t0());
  EXPECT_EQ(failure_of(s), ChainFailure::expired);
}

TEST(Certificate, WrongRootOrMissingIntermediateIsUnknownIssuer) {
  const auto& f = fixture();
  TestPkiOptions o;
  o.now = t0();
  TestPki other = make_test_pki(o).value();  // same names, different keys
  ASSERT_EQ(other.ci.certificate.subject(), f.pki.ci.certificate.subject());
  auto eum = std::span(&f.pki.eum.certificate, 1);
  EXPECT_EQ(failure_of(verify_chain(f.euicc.certificate, eum, std::span(&other.ci.certificate, 1), t0())),
            ChainFailure::unknown_issuer);
  EXPECT_EQ(failure_of(verify_chain(f.euicc.certificate, {}, std::span(&f.pki.ci.certificate, 1), t0())),
            ChainFailure::unknown_issuer);
  EXPECT_EQ(failure_of(verify_chain(f.euicc.certificate, eum, {}, t0())), ChainFailure::unknown_issuer);
  // An EUM from the other PKI does not vouch for this eUICC.
  EXPECT_FALSE(
      verify_chain(f.euicc.certificate, std::span(&other.eum.certificate, 1), std::span(&other.ci.certificate, 1), t0())
          .ok());
}

TEST(Certificate, TamperedCertificateHasBadSignature) {
  const auto& f = fixture();
  Bytes der = f.euicc.certificate.der();
  std::string_view text = as_chars(der);
  auto at = text.find(kEid);
  ASSERT_NE(at, std::string_view::npos);
  der[at + kEid.size() - 1] = der[at + kEid.size() - 1] == '5' ? '6' : '5';  // another EID, same length
  auto tampered = Certificate::from_der(der);
  ASSERT_TRUE(tampered.ok());
  EXPECT_NE(tampered->subject_serial_number(), std::string(kEid));
  auto s = verify_chain(*tampered, std::span(&f.pki.eum.certificate, 1), std::span(&f.pki.ci.certificate, 1), t0());
  EXPECT_EQ(failure_of(s), ChainFailure::bad_signature) << s.error().message;
}

TEST(Certificate, LeafCannotActAsIssuer) {
  const auto& f = fixture();
  // A certificate "issued" by the eIM leaf key: the eIM certificate is not a CA.
  PrivateKey key = PrivateKey::generate();
  auto cert = issue_test_certificate(CertRole::eim, {{"CN", "rogue"}}, key.public_key(), &f.pki.eim.certificate,
                                     f.pki.eim.key, Validity{t0() - hours(1), t0() + hours(24)});
  ASSERT_TRUE(cert.ok());
  auto s = verify_chain(*cert, std::span(&f.pki.eim.certificate, 1), std::span(&f.pki.ci.certificate, 1), t0());
  EXPECT_EQ(failure_of(s), ChainFailure::not_a_ca) << (s.ok() ? "" : s.error().message);
}

TEST(Certificate, TrustStoreIsReusable) {
  const auto& f = fixture();
  TrustStore store(std::span(&f.pki.ci.certificate, 1));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(store.verify(f.euicc.certificate, std::span(&f.pki.eum.certificate, 1), t0()).ok());
    EXPECT_EQ(failure_of(store.verify(f.euicc.certificate, {}, t0())), ChainFailure::unknown_issuer);
  }
}

TEST(Certificate, DerAndPemRoundTrip) {
  const Certificate& cert = fixture().euicc.certificate;
  auto from_der = Certificate::from_der(cert.der());
  ASSERT_TRUE(from_der.ok());
  EXPECT_TRUE(*from_der == cert);
  std::string pem = cert.to_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  auto from_pem = Certificate::from_pem(pem);
  ASSERT_TRUE(from_pem.ok());
  EXPECT_EQ(from_pem->der(), cert.der());
  auto chain = Certificate::chain_from_pem(pem + fixture().pki.eum.certificate.to_pem());
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_TRUE((*chain)[1] == fixture().pki.eum.certificate);
}

TEST(Certificate, MalformedInputRejected) {
  Bytes der = fixture().euicc.certificate.der();
  Bytes trailing = der;
  trailing.push_back(0x00);
  EXPECT_EQ(Certificate::from_der(trailing).error().code, Errc::parse_error);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{10}, der.size() / 2, der.size() - 1})
    EXPECT_FALSE(Certificate::from_der(ByteView(der).first(n)).ok()) << n;
  EXPECT_EQ(Certificate::from_pem("hello").error().code, Errc::parse_error);
  EXPECT_FALSE(Certificate::from_pem(fixture().pki.ci.key.to_pem()).ok());
  EXPECT_FALSE(Certificate::chain_from_pem("").ok());
  std::string pem = fixture().euicc.certificate.to_pem();
  std::string broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
  EXPECT_FALSE(Certificate::chain_from_pem(pem + broken).ok());
}

TEST(Certificate, NonP256KeyIsUnsupported) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  X509* x = X509_new();
  ASSERT_TRUE(key && x);
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("p384"), -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(x));
  X509_set_pubkey(x, key);
  ASSERT_GT(X509_sign(x, key, EVP_sha384()), 0);
  unsigned char* buf = nullptr;
  int n = i2d_X509(x, &buf);
  ASSERT_GT(n, 0);
  Bytes der(buf, buf + n);
  OPENSSL_free(buf);
  X509_free(x);
  EVP_PKEY_free(key);
  auto cert = Certificate::from_der(der);
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.error().code, Errc::unsupported);
}

TEST(Certificate, IssueRejectsBadInput) {
  const auto& f = fixture();
  PublicKey pub = PrivateKey::generate().public_key();
  Validity v{t0(), t0() + hours(1)};
  EXPECT_EQ(issue_euicc_certificate(f.pki.eum.certificate, f.pki.eum.key, "1234", pub, v).error().field, "eid");
  EXPECT_EQ(issue_euicc_certificate(f.pki.eum.certificate, f.pki.eum.key, "8904903212345123451234567890123X", pub, v)
                .error()
                .field,
            "eid");
  EXPECT_EQ(issue_euicc_certificate(f.pki.eum.certificate, f.pki.eim.key, kEid, pub, v).error().field, "eum_key");
  EXPECT_EQ(issue_euicc_certificate(f.pki.eum.certificate, f.pki.eum.key, kEid, pub, Validity{t0(), t0()})
                .error()
                .field,
            "validity");
}

// ---- test PKI files ----

TEST(TestPki, WriteLoadRoundTrip) {
  auto dir = temp_dir("pki");
  TestPkiOptions o;
  o.now = t0();
  auto written = write_test_pki(dir, o);
  ASSERT_TRUE(written.ok()) << written.error().message;
  for (std::string_view name : {test_pki_files::kCi, test_pki_files::kCiKey, test_pki_files::kEum,
                                test_pki_files::kEumKey, test_pki_files::kEim, test_pki_files::kEimKey,
                                test_pki_files::kDpAuth, test_pki_files::kDpAuthKey, test_pki_files::kDpPb,
                                test_pki_files::kDpPbKey, test_pki_files::kDpTls, test_pki_files::kDpTlsKey})
    EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
  auto perms = std::filesystem::status(dir / test_pki_files::kEimKey).permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto loaded = load_test_pki(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(loaded->ci.certificate == written->ci.certificate);
  EXPECT_TRUE(loaded->eum.certificate == written->eum.certificate);
  EXPECT_TRUE(loaded->eim.certificate == written->eim.certificate);
  EXPECT_TRUE(loaded->dpauth.certificate == written->dpauth.certificate);
  EXPECT_TRUE(loaded->dppb.certificate == written->dppb.certificate);
  EXPECT_TRUE(loaded->dptls.certificate == written->dptls.certificate);
  EXPECT_TRUE(loaded->eim.key.public_key() == written->eim.key.public_key());
  // A loaded PKI issues eUICC certificates that chain to the CI written earlier.
  auto euicc = make_test_euicc(*loaded, kEid, t0());
  ASSERT_TRUE(euicc.ok());
  EXPECT_TRUE(verify_chain(euicc->certificate, std::span(&written->eum.certificate, 1),
                           std::span(&written->ci.certificate, 1), t0())
                  .ok());

  // A second write into the same directory refuses to replace the CI.
  auto again = write_test_pki(dir, o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_TRUE(write_test_pki(dir, o, /*overwrite=*/true).ok());
  std::filesystem::remove_all(dir);
}

TEST(TestPki, LoadErrorsNameTheFile) {
  auto dir = temp_dir("pki_bad");
  TestPkiOptions o;
  o.now = t0();
  ASSERT_TRUE(write_test_pki(dir, o).ok());
  // A key that does not match its certificate.
  {
    std::ofstream(dir / test_pki_files::kDpPbKey, std::ios::trunc) << PrivateKey::generate().to_pem();
  }
  auto mismatch = load_test_pki(dir);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("dppb.key.pem"), std::string::npos) << mismatch.error().message;
  // A missing certificate.
  std::filesystem::remove(dir / test_pki_files::kEum);
  auto missing = load_test_pki(dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io_error);
  EXPECT_NE(missing.error().message.find("eum.pem"), std::string::npos) << missing.error().message;
  // A corrupt certificate.
  {
    std::ofstream(dir / test_pki_files::kEum) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  }
  auto corrupt = load_test_pki(dir);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().code, Errc::parse_error);
  EXPECT_NE(corrupt.error().message.find("eum.pem"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace esimo::crypto
