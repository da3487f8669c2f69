#include "crypto/test_pki.hpp"

#include <algorithm>
#include <chrono>

#include "crypto/file_io.hpp"
#include "crypto/ossl.hpp"
#include "crypto/random.hpp"

namespace esimo::crypto {

namespace test_pki_detail {

time_t to_time_t(TimePoint t) {
  return static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

struct Extension {
  int nid;
  std::string value;  // OpenSSL v3 config syntax, e.g. "critical,CA:TRUE"
};

// certificatePolicies built directly: OpenSSL's text form for it wants a config database.
Status add_policy(X509* x, std::string_view oid, bool critical) {
  ossl::PoliciesPtr pols(CERTIFICATEPOLICIES_new());
  POLICYINFO* info = POLICYINFO_new();
  if (!pols || !info) std::abort();
  info->policyid = OBJ_txt2obj(std::string(oid).c_str(), 1);
  if (!info->policyid || !sk_POLICYINFO_push(pols.get(), info)) {
    POLICYINFO_free(info);
    return Error(Errc::internal, "certificatePolicies " + std::string(oid) + ": " + ossl::drain_errors());
  }
  if (X509_add1_ext_i2d(x, NID_certificate_policies, pols.get(), critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
    return Error(Errc::internal, "certificatePolicies: " + ossl::drain_errors());
  return {};
}

std::string_view policy_of(CertRole role) {
  switch (role) {
    case CertRole::ci: return rsp_role::kCi;
    case CertRole::eum: return rsp_role::kEum;
    case CertRole::euicc: return rsp_role::kEuicc;
    case CertRole::eim: return {};  // no eIM role OID could be confirmed for SGP.32: none is set
    case CertRole::dp_auth: return rsp_role::kDpAuth;
    case CertRole::dp_pb: return rsp_role::kDpPb;
    case CertRole::dp_tls: return rsp_role::kDpTls;
  }
  return {};
}

std::vector<Extension> extensions_for(CertRole role, bool self_signed, const std::vector<std::string>& dns_names) {
  std::vector<Extension> ext;
  ext.push_back({NID_subject_key_identifier, "hash"});
  if (!self_signed) ext.push_back({NID_authority_key_identifier, "keyid:always"});
  switch (role) {
    case CertRole::ci:
      ext.push_back({NID_basic_constraints, "critical,CA:TRUE"});
      ext.push_back({NID_key_usage, "critical,keyCertSign,cRLSign"});
      break;
    case CertRole::eum:
      ext.push_back({NID_basic_constraints, "critical,CA:TRUE,pathlen:0"});
      ext.push_back({NID_key_usage, "critical,keyCertSign,cRLSign"});
      break;
    default:  // end entities sign (ECDSA); none is a CA
      ext.push_back({NID_key_usage, "critical,digitalSignature"});
      break;
  }
  if (role == CertRole::dp_tls) ext.push_back({NID_ext_key_usage, "serverAuth,clientAuth"});
  if (!dns_names.empty() || role == CertRole::dp_tls) {
    std::string san;
    for (const auto& d : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
    if (role == CertRole::dp_tls) san += san.empty() ? "IP:127.0.0.1" : ",IP:127.0.0.1";
    ext.push_back({NID_subject_alt_name, san});
  }
  return ext;
}

bool is_eid(std::string_view eid) {
  return eid.size() == 32 && std::all_of(eid.begin(), eid.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<KeyAndCertificate> load_pair(const std::filesystem::path& dir, std::string_view cert_file,
                                    std::string_view key_file) {
  ESIMO_TRY(Certificate cert, Certificate::load_pem_file(dir / cert_file));
  ESIMO_TRY(PrivateKey key, PrivateKey::load_pem_file(dir / key_file));
  if (!(cert.public_key() == key.public_key()))
    return Error(Errc::invalid_argument,
                 (dir / key_file).string() + ": key does not match certificate " + (dir / cert_file).string(),
                 (dir / key_file).string());
  return KeyAndCertificate{std::move(cert), std::move(key)};
}

Status save_pair(const KeyAndCertificate& pair, const std::filesystem::path& dir, std::string_view cert_file,
                 std::string_view key_file) {
  ESIMO_CHECK(file_io::write_text_atomic(dir / cert_file, pair.certificate.to_pem(), false));
  return file_io::write_text_atomic(dir / key_file, pair.key.to_pem(), true);
}

}  // namespace test_pki_detail

Result<Certificate> issue_test_certificate(CertRole role, const std::vector<std::pair<std::string, std::string>>& subject,
                                           const PublicKey& subject_key, const Certificate* issuer,
                                           const PrivateKey& issuer_key, Validity validity,
                                           const std::vector<std::string>& dns_names) {
  if (validity.not_after <= validity.not_before)
    return Error(Errc::invalid_argument, "certificate validity: not_after must be after not_before", "validity");
  if (subject.empty()) return Error(Errc::invalid_argument, "certificate subject: empty", "subject");
  if (!issuer && !(issuer_key.public_key() == subject_key))
    return Error(Errc::invalid_argument, "self-signed certificate: issuer key is not the subject key", "issuer_key");

  ossl::X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) std::abort();

  // 127-bit random positive serial (RFC 5280 §4.1.2.2: unique per issuer, at most 20 octets).
  Bytes serial = random_bytes(16);
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x3F) | 0x40);
  ossl::BignumPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()))) std::abort();

  if (!ASN1_TIME_set(X509_getm_notBefore(x.get()), test_pki_detail::to_time_t(validity.not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(x.get()), test_pki_detail::to_time_t(validity.not_after))) {
    ossl::drain_errors();
    return Error(Errc::invalid_argument, "certificate validity: time out of range", "validity");
  }

  ossl::NamePtr name(X509_NAME_new());
  if (!name) std::abort();
  for (const auto& [attr, value] : subject) {
    if (X509_NAME_add_entry_by_txt(name.get(), attr.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1) {
      ossl::drain_errors();
      return Error(Errc::invalid_argument, "certificate subject: bad attribute " + attr + "=" + value, "subject");
    }
  }
  X509_set_subject_name(x.get(), name.get());
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer->native()) : name.get());
  if (X509_set_pubkey(x.get(), subject_key.native()) != 1) std::abort();

  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer ? issuer->native() : x.get(), x.get(), nullptr, nullptr, 0);
  for (const auto& e : test_pki_detail::extensions_for(role, issuer == nullptr, dns_names)) {
    ossl::ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &v3, e.nid, e.value.c_str()));
    if (!ext || X509_add_ext(x.get(), ext.get(), -1) != 1)
      return Error(Errc::invalid_argument,
                   std::string("certificate extension ") + OBJ_nid2sn(e.nid) + "=" + e.value + ": " + ossl::drain_errors(),
                   "extensions");
  }
  if (auto oid = test_pki_detail::policy_of(role); !oid.empty())
    // GSMA's test certificates (SGP.26) mark the policy critical in the eUICC certificate only.
    ESIMO_CHECK(test_pki_detail::add_policy(x.get(), oid, role == CertRole::euicc));
  if (X509_sign(x.get(), issuer_key.native(), EVP_sha256()) <= 0)
    return Error(Errc::internal, "certificate signing failed: " + ossl::drain_errors());
  return Certificate::adopt(x.release());
}

Result<Certificate> issue_euicc_certificate(const Certificate& eum_cert, const PrivateKey& eum_key, std::string_view eid,
                                            const PublicKey& euicc_public_key, Validity validity) {
  if (!test_pki_detail::is_eid(eid))
    return Error(Errc::invalid_argument, "eUICC certificate: EID must be 32 decimal digits", "eid");
  if (!(eum_cert.public_key() == eum_key.public_key()))
    return Error(Errc::invalid_argument, "eUICC certificate: EUM key does not match the EUM certificate", "eum_key");
  // The eUICC's O follows its EUM's O, serialNumber carries the EID (SGP.22 §4.5.2, CERT.EUICC.ECDSA).
  std::vector<std::pair<std::string, std::string>> subject;
  if (auto org = eum_cert.subject_organization()) subject.emplace_back("O", *org);
  subject.emplace_back("CN", "eUICC");
  subject.emplace_back("serialNumber", std::string(eid));
  return issue_test_certificate(CertRole::euicc, subject, euicc_public_key, &eum_cert, eum_key, validity);
}

Result<KeyAndCertificate> make_test_euicc(const TestPki& pki, std::string_view eid, TimePoint now) {
  PrivateKey key = PrivateKey::generate();
  Validity v{now - std::chrono::hours(1), now + std::chrono::hours(24 * 3650)};
  ESIMO_TRY(Certificate cert, issue_euicc_certificate(pki.eum.certificate, pki.eum.key, eid, key.public_key(), v));
  return KeyAndCertificate{std::move(cert), std::move(key)};
}

Result<TestPki> make_test_pki(const TestPkiOptions& o) {
  if (o.lifetime <= Duration::zero()) return Error(Errc::invalid_argument, "test PKI: lifetime must be positive", "lifetime");
  const TimePoint from = o.now - std::chrono::hours(1);
  const Validity leaf{from, o.now + o.lifetime};
  const Validity root{from, o.now + 2 * o.lifetime};
  using Subject = std::vector<std::pair<std::string, std::string>>;
  auto named = [&](std::string cn) { return Subject{{"O", o.organisation}, {"CN", std::move(cn)}}; };

  PrivateKey ci_key = PrivateKey::generate();
  ESIMO_TRY(Certificate ci, issue_test_certificate(CertRole::ci, named("esimo Test CI"), ci_key.public_key(), nullptr,
                                                   ci_key, root));
  auto issue = [&](CertRole role, std::string cn, const std::vector<std::string>& dns = {}) -> Result<KeyAndCertificate> {
    PrivateKey key = PrivateKey::generate();
    ESIMO_TRY(Certificate c, issue_test_certificate(role, named(std::move(cn)), key.public_key(), &ci, ci_key, leaf, dns));
    return KeyAndCertificate{std::move(c), std::move(key)};
  };
  ESIMO_TRY(KeyAndCertificate eum, issue(CertRole::eum, "esimo Test EUM"));
  ESIMO_TRY(KeyAndCertificate eim, issue(CertRole::eim, "esimo Test eIM"));
  ESIMO_TRY(KeyAndCertificate dpauth, issue(CertRole::dp_auth, "esimo Test SM-DP+ auth"));
  ESIMO_TRY(KeyAndCertificate dppb, issue(CertRole::dp_pb, "esimo Test SM-DP+ pb"));
  ESIMO_TRY(KeyAndCertificate dptls, issue(CertRole::dp_tls, o.tls_host, {o.tls_host}));
  return TestPki{KeyAndCertificate{std::move(ci), std::move(ci_key)}, std::move(eum), std::move(eim),
                 std::move(dpauth), std::move(dppb), std::move(dptls)};
}

Status save_test_pki(const TestPki& pki, const std::filesystem::path& dir, bool overwrite) {
  namespace f = test_pki_files;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(Errc::io_error, "cannot create directory " + dir.string() + ": " + ec.message(), dir.string());
  if (!overwrite && std::filesystem::exists(dir / f::kCi, ec))
    return Error(Errc::already_exists, (dir / f::kCi).string() + " exists: refusing to replace a CI", dir.string());
  ESIMO_CHECK(test_pki_detail::save_pair(pki.ci, dir, f::kCi, f::kCiKey));
  ESIMO_CHECK(test_pki_detail::save_pair(pki.eum, dir, f::kEum, f::kEumKey));
  ESIMO_CHECK(test_pki_detail::save_pair(pki.eim, dir, f::kEim, f::kEimKey));
  ESIMO_CHECK(test_pki_detail::save_pair(pki.dpauth, dir, f::kDpAuth, f::kDpAuthKey));
  ESIMO_CHECK(test_pki_detail::save_pair(pki.dppb, dir, f::kDpPb, f::kDpPbKey));
  return test_pki_detail::save_pair(pki.dptls, dir, f::kDpTls, f::kDpTlsKey);
}

Result<TestPki> write_test_pki(const std::filesystem::path& dir, const TestPkiOptions& options, bool overwrite) {
  ESIMO_TRY(TestPki pki, make_test_pki(options));
  ESIMO_CHECK(save_test_pki(pki, dir, overwrite));
  return pki;
}

Result<TestPki> load_test_pki(const std::filesystem::path& dir) {
  namespace f = test_pki_files;
  ESIMO_TRY(KeyAndCertificate ci, test_pki_detail::load_pair(dir, f::kCi, f::kCiKey));
  ESIMO_TRY(KeyAndCertificate eum, test_pki_detail::load_pair(dir, f::kEum, f::kEumKey));
  ESIMO_TRY(KeyAndCertificate eim, test_pki_detail::load_pair(dir, f::kEim, f::kEimKey));
  ESIMO_TRY(KeyAndCertificate dpauth, test_pki_detail::load_pair(dir, f::kDpAuth, f::kDpAuthKey));
  ESIMO_TRY(KeyAndCertificate dppb, test_pki_detail::load_pair(dir, f::kDpPb, f::kDpPbKey));
  ESIMO_TRY(KeyAndCertificate dptls, test_pki_detail::load_pair(dir, f::kDpTls, f::kDpTlsKey));
  return TestPki{std::move(ci), std::move(eum), std::move(eim), std::move(dpauth), std::move(dppb), std::move(dptls)};
}

}  // namespace esimo::crypto
