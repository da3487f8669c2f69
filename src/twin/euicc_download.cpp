// The software eUICC's side of the profile download: ES10b GetEUICCChallenge, GetEUICCInfo, AuthenticateServer,
// PrepareDownload, LoadBoundProfilePackage and CancelSession (SGP.22 v2.x §5.7, as SGP.32 §3.2 indirect profile
// download uses them). Certificates are verified up to the trusted CI at the caller's (virtual) time; every signature
// is ECDSA P-256 raw r||s. The BPP content is simplified (download_crypto.hpp, docs/twin.md "Profile download").
#include <algorithm>
#include <mutex>
#include <boost/json.hpp>

#include "crypto/certificate.hpp"
#include "crypto/ecdh.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/random.hpp"
#include "crypto/test_pki.hpp"
#include "der/der.hpp"
#include "twin/download_crypto.hpp"
#include "twin/software_euicc.hpp"

namespace esimo::twin {
namespace euicc_download_impl {

namespace rsp = sgp::rsp22;

// SGP.22 AuthenticateErrorCode / DownloadErrorCode / ErrorReason / BppCommandId values used here.
constexpr std::int64_t kInvalidCertificate = 1, kInvalidSignature = 2, kNoSessionContext = 4, kInvalidOid = 5,
                       kChallengeMismatch = 6, kCiPkUnknown = 7, kUndefined = 127;
constexpr std::int64_t kDownloadInvalidTransactionId = 5;
constexpr std::int64_t kCmdInitialiseSecureChannel = 0, kCmdConfigureIsdp = 1, kCmdStoreMetadata = 2,
                       kCmdReplaceSessionKeys = 4, kCmdLoadProfileElements = 5;
constexpr std::int64_t kReasonIncorrectInput = 1, kReasonInvalidSignature = 2, kReasonInvalidTransactionId = 3,
                       kReasonUnsupportedCrt = 4, kReasonUnsupportedRemoteOp = 5, kReasonUnsupportedClass = 6,
                       kReasonScp03tStructure = 7, kReasonScp03tSecurity = 8, kReasonIccidExists = 9,
                       kReasonInsufficientMemory = 10, kReasonPeProcessing = 12, kReasonDataMismatch = 13;

// A certificate of `role` issued (directly) under the trusted CI, valid at `now`.
Result<crypto::Certificate> verified_server_certificate(const Bytes& der_bytes, const Bytes& ci_der,
                                                        std::string_view role, TimePoint now) {
  ESIMO_TRY(crypto::Certificate cert, crypto::Certificate::from_der(der_bytes));
  ESIMO_TRY(crypto::Certificate ci, crypto::Certificate::from_der(ci_der));
  const crypto::Certificate roots[] = {ci};
  ESIMO_CHECK(crypto::verify_chain(cert, {}, roots, now));
  const auto pols = cert.policies();
  if (std::find(pols.begin(), pols.end(), role) == pols.end()) {
    return Error(Errc::permission_denied, "certificate lacks the role " + std::string(role), "role");
  }
  return cert;
}

// One copy of each trusted CI certificate per process (a fleet of eUICCs trusts the same one or two).
std::shared_ptr<const Bytes> shared_ci(const Bytes& der_bytes) {
  static std::mutex mu;
  static std::vector<std::shared_ptr<const Bytes>> known;
  std::lock_guard lock(mu);
  for (const auto& k : known) {
    if (*k == der_bytes) return k;
  }
  known.push_back(std::make_shared<const Bytes>(der_bytes));
  return known.back();
}

}  // namespace euicc_download_impl

namespace edl = euicc_download_impl;

void SoftwareEuicc::set_trusted_ci(const crypto::Certificate& ci) { trusted_ci_der_ = edl::shared_ci(ci.der()); }

Bytes SoftwareEuicc::get_euicc_challenge() {
  session_ = std::make_shared<DownloadSession>();
  session_->euicc_challenge = crypto::random_bytes(16);
  return session_->euicc_challenge;
}

sgp::rsp22::EuiccInfo1 SoftwareEuicc::get_euicc_info1() const {
  sgp::rsp22::EuiccInfo1 info;
  info.svn = Bytes{2, 3, 0};
  info.ci_pkids_verification = {ci_pkid_};
  info.ci_pkids_signing = {ci_pkid_};
  return info;
}

Bytes SoftwareEuicc::euicc_info2_der() const {
  // The same EUICCInfo2 the eIM gets through IpaEuiccData (tag BF22).
  sgp::IpaEuiccDataRequest req;
  req.tag_list = Bytes{0xBF, 0x22};
  auto data = ipa_euicc_data(req);
  if (const auto* d = std::get_if<sgp::IpaEuiccData>(&data); d && d->euicc_info2) return *d->euicc_info2;
  return {};
}

Result<sgp::rsp22::AuthenticateServerResponse> SoftwareEuicc::authenticate_server(
    const sgp::rsp22::AuthenticateServerRequest& req, TimePoint now) {
  namespace rsp = sgp::rsp22;
  const Bytes& tid = req.server_signed1.transaction_id;
  auto refuse = [&](std::int64_t code) { return rsp::AuthenticateServerResponse(rsp::AuthenticateResponseError{tid, code}); };
  if (!session_ || session_->authenticated) return refuse(edl::kNoSessionContext);
  if (!trusted_ci_der_ || req.euicc_ci_pkid_to_be_used != ci_pkid_) return refuse(edl::kCiPkUnknown);
  auto cert = edl::verified_server_certificate(req.server_certificate, *trusted_ci_der_, crypto::rsp_role::kDpAuth, now);
  if (!cert.ok()) return refuse(cert.error().field == "role" ? edl::kInvalidOid : edl::kInvalidCertificate);
  Bytes signed1 = req.server_signed1_der;
  if (signed1.empty()) {
    ESIMO_TRY(signed1, rsp::encode_server_signed1(req.server_signed1));
  }
  if (!crypto::verify_raw(cert->public_key(), signed1, req.server_signature1).ok()) {
    return refuse(edl::kInvalidSignature);
  }
  if (req.server_signed1.euicc_challenge != session_->euicc_challenge) return refuse(edl::kChallengeMismatch);

  rsp::AuthenticateResponseOk ok;
  ok.euicc_signed1.transaction_id = tid;
  ok.euicc_signed1.server_address = req.server_signed1.server_address;
  ok.euicc_signed1.server_challenge = req.server_signed1.server_challenge;
  ok.euicc_signed1.euicc_info2 = euicc_info2_der();
  ok.euicc_signed1.ctx_params1 = req.ctx_params1;
  ESIMO_TRY(Bytes signed_der, rsp::encode_euicc_signed1(ok.euicc_signed1));
  ESIMO_TRY(ok.euicc_signature1, sign(signed_der));
  ok.euicc_certificate = euicc_cert_der_;
  ok.eum_certificate = *eum_cert_der_;

  session_->authenticated = true;
  session_->transaction_id = tid;
  session_->server_address = req.server_signed1.server_address;
  session_->matching_id = req.ctx_params1.matching_id;
  session_->euicc_signature1 = ok.euicc_signature1;
  return rsp::AuthenticateServerResponse(std::move(ok));
}

Result<Bytes> SoftwareEuicc::authenticate_server_der(ByteView bf38, TimePoint now) {
  ESIMO_TRY(auto req, sgp::rsp22::decode_authenticate_server_request(bf38));
  ESIMO_TRY(auto resp, authenticate_server(req, now));
  return sgp::rsp22::encode(resp);
}

Result<sgp::rsp22::PrepareDownloadResponse> SoftwareEuicc::prepare_download(
    const sgp::rsp22::PrepareDownloadRequest& req, TimePoint now) {
  namespace rsp = sgp::rsp22;
  const Bytes& tid = req.smdp_signed2.transaction_id;
  auto refuse = [&](std::int64_t code) {
    return rsp::PrepareDownloadResponse(rsp::PrepareDownloadResponseError{tid, code});
  };
  if (!session_ || !session_->authenticated) return refuse(edl::kNoSessionContext);
  if (tid != session_->transaction_id) return refuse(edl::kDownloadInvalidTransactionId);
  auto cert = edl::verified_server_certificate(req.smdp_certificate, *trusted_ci_der_, crypto::rsp_role::kDpPb, now);
  if (!cert.ok()) return refuse(edl::kInvalidCertificate);
  Bytes signed2 = req.smdp_signed2_der;
  if (signed2.empty()) {
    ESIMO_TRY(signed2, rsp::encode_smdp_signed2(req.smdp_signed2));
  }
  const Bytes covered = rsp::signed_data_with_signature_object(signed2, session_->euicc_signature1);
  if (!crypto::verify_raw(cert->public_key(), covered, req.smdp_signature2).ok()) {
    return refuse(edl::kInvalidSignature);
  }
  if (req.smdp_signed2.cc_required_flag && !req.hash_cc) return refuse(edl::kUndefined);

  // A retry after a failed BPP binding may ask for the one-time key already used (bppEuiccOtpk): keep it then.
  const bool reuse = req.smdp_signed2.bpp_euicc_otpk && session_->one_time_key &&
                     *req.smdp_signed2.bpp_euicc_otpk == session_->euicc_otpk;
  if (!reuse) {
    session_->one_time_key = crypto::PrivateKey::generate();
    session_->euicc_otpk = session_->one_time_key->public_key().to_uncompressed_point();
  }
  rsp::PrepareDownloadResponseOk ok;
  ok.euicc_signed2.transaction_id = tid;
  ok.euicc_signed2.euicc_otpk = session_->euicc_otpk;
  ok.euicc_signed2.hash_cc = req.hash_cc;
  ESIMO_TRY(Bytes signed_der, rsp::encode_euicc_signed2(ok.euicc_signed2));
  ESIMO_TRY(ok.euicc_signature2, sign(rsp::signed_data_with_signature_object(signed_der, req.smdp_signature2)));
  session_->prepared = true;
  session_->euicc_signature2 = ok.euicc_signature2;
  session_->dppb_key = cert->public_key();
  return rsp::PrepareDownloadResponse(std::move(ok));
}

Result<Bytes> SoftwareEuicc::prepare_download_der(ByteView bf21, TimePoint now) {
  ESIMO_TRY(auto req, sgp::rsp22::decode_prepare_download_request(bf21));
  ESIMO_TRY(auto resp, prepare_download(req, now));
  return sgp::rsp22::encode(resp);
}

Result<sgp::rsp22::ProfileInstallationResult> SoftwareEuicc::finish_installation(
    const Bytes& transaction_id, const std::string& smdp_oid, const std::optional<Bytes>& iccid,
    std::variant<sgp::rsp22::SuccessResult, sgp::rsp22::ErrorResult> final_result) {
  namespace rsp = sgp::rsp22;
  rsp::ProfileInstallationResult pir;
  pir.data.transaction_id = transaction_id;
  pir.data.notification_metadata.seq_number = next_seq();
  pir.data.notification_metadata.profile_management_operation = 1u << 0;  // notificationInstall
  pir.data.notification_metadata.notification_address =
      session_ && !session_->server_address.empty() ? session_->server_address : notification_address();
  if (iccid && iccid->size() == 10) pir.data.notification_metadata.iccid = *iccid;
  pir.data.smdp_oid = smdp_oid;
  pir.data.final_result = std::move(final_result);
  ESIMO_TRY(Bytes data_der, rsp::encode_profile_installation_result_data(pir.data));
  ESIMO_TRY(pir.euicc_sign_pir, sign(data_der));
  ESIMO_TRY(Bytes der_bytes, rsp::encode(pir));
  // Bounded like the package results: the oldest undelivered one gives way (its download's outcome is also in the
  // ProfileDownloadTriggerResult the IPA sent).
  if (installation_results_.size() >= kMaxStoredResults) installation_results_.erase(installation_results_.begin());
  installation_results_.push_back(StoredInstallationResult{pir.data.notification_metadata.seq_number, der_bytes});
  session_.reset();  // the session ends with the installation result, whatever it says
  return pir;
}

Result<sgp::rsp22::ProfileInstallationResult> SoftwareEuicc::load_bound_profile_package(ByteView bf36) {
  namespace rsp = sgp::rsp22;
  ESIMO_TRY(rsp::BoundProfilePackage bpp, rsp::decode_bound_profile_package(bf36));
  const auto& isc = bpp.initialise_secure_channel;
  std::string smdp_oid(download::kUnknownSmdpOid);
  std::optional<Bytes> iccid;
  auto error = [&](std::int64_t command, std::int64_t reason) {
    return finish_installation(isc.transaction_id, smdp_oid, iccid, rsp::ErrorResult{command, reason, std::nullopt});
  };

  // InitialiseSecureChannel (SGP.22 §5.5.1)
  if (!session_ || !session_->prepared || isc.transaction_id != session_->transaction_id) {
    return error(edl::kCmdInitialiseSecureChannel, edl::kReasonInvalidTransactionId);
  }
  if (isc.remote_op_id != 1) return error(edl::kCmdInitialiseSecureChannel, edl::kReasonUnsupportedRemoteOp);
  if (isc.control_ref_template.key_type != Bytes{0x88} || isc.control_ref_template.key_len != Bytes{0x10}) {
    return error(edl::kCmdInitialiseSecureChannel, edl::kReasonUnsupportedCrt);
  }
  Bytes signed_part = isc.signed_part_der;
  const Bytes covered = rsp::signed_data_with_signature_object(signed_part, session_->euicc_signature2);
  if (!crypto::verify_raw(*session_->dppb_key, covered, isc.smdp_sign).ok()) {
    return error(edl::kCmdInitialiseSecureChannel, edl::kReasonInvalidSignature);
  }
  auto smdp_otpk = crypto::PublicKey::from_uncompressed_point(isc.smdp_otpk);
  if (!smdp_otpk.ok()) return error(edl::kCmdInitialiseSecureChannel, edl::kReasonIncorrectInput);
  ESIMO_TRY(Bytes shared, crypto::ecdh_shared_secret(*session_->one_time_key, *smdp_otpk));
  download::ElementProtector mac(download::derive_session_keys(shared, isc.control_ref_template));

  // ConfigureISDP (one element of firstSequenceOf87)
  if (bpp.first_sequence_of_87.size() != 1) return error(edl::kCmdConfigureIsdp, edl::kReasonScp03tStructure);
  auto configure = mac.verify(download::kTag87, bpp.first_sequence_of_87[0]);
  if (!configure.ok()) return error(edl::kCmdConfigureIsdp, edl::kReasonScp03tSecurity);
  auto dp_oid = download::parse_configure_isdp(*configure);
  if (!dp_oid.ok()) return error(edl::kCmdConfigureIsdp, edl::kReasonScp03tStructure);
  if (*dp_oid) smdp_oid = **dp_oid;
  if (profiles_.size() >= kMaxProfiles) return error(edl::kCmdConfigureIsdp, edl::kReasonInsufficientMemory);

  // StoreMetadata (one element of sequenceOf88)
  if (bpp.sequence_of_88.size() != 1) return error(edl::kCmdStoreMetadata, edl::kReasonScp03tStructure);
  auto metadata_der = mac.verify(download::kTag88, bpp.sequence_of_88[0]);
  if (!metadata_der.ok()) return error(edl::kCmdStoreMetadata, edl::kReasonScp03tSecurity);
  auto metadata = rsp::decode_store_metadata_request(*metadata_der);
  if (!metadata.ok()) return error(edl::kCmdStoreMetadata, edl::kReasonIncorrectInput);
  iccid = metadata->iccid;
  auto domain_iccid = domain::Iccid::from_wire(metadata->iccid);
  if (!domain_iccid.ok()) return error(edl::kCmdStoreMetadata, edl::kReasonIncorrectInput);
  if (find_profile(metadata->iccid)) return error(edl::kCmdStoreMetadata, edl::kReasonIccidExists);
  if (metadata->profile_class < 0 || metadata->profile_class > 2) {
    return error(edl::kCmdStoreMetadata, edl::kReasonUnsupportedClass);
  }
  std::optional<domain::Plmn> plmn;
  if (metadata->profile_owner) {
    auto p = domain::Plmn::from_wire(metadata->profile_owner->mcc_mnc);
    if (!p.ok()) return error(edl::kCmdStoreMetadata, edl::kReasonIncorrectInput);
    plmn = *p;
  }

  // ReplaceSessionKeys is not used by the test SM-DP+.
  if (bpp.second_sequence_of_87) return error(edl::kCmdReplaceSessionKeys, edl::kReasonScp03tStructure);

  // LoadProfileElements (sequenceOf86): the simplified profile element must name the same ICCID.
  if (bpp.sequence_of_86.empty()) return error(edl::kCmdLoadProfileElements, edl::kReasonScp03tStructure);
  for (const auto& element : bpp.sequence_of_86) {
    auto pe = mac.verify(download::kTag86, element);
    if (!pe.ok()) return error(edl::kCmdLoadProfileElements, edl::kReasonScp03tSecurity);
    auto pe_iccid = download::parse_simplified_profile_element(*pe);
    if (!pe_iccid.ok()) return error(edl::kCmdLoadProfileElements, edl::kReasonPeProcessing);
    if (*pe_iccid != metadata->iccid) return error(edl::kCmdLoadProfileElements, edl::kReasonDataMismatch);
  }

  ProfileSpec spec{*domain_iccid};
  spec.profile_class = static_cast<ProfileClass>(metadata->profile_class);
  spec.home_plmn = plmn;
  spec.service_provider_name = metadata->service_provider_name;
  spec.profile_name = metadata->profile_name;
  const Status added = add_profile(spec);
  if (!added.ok()) return error(edl::kCmdLoadProfileElements, edl::kReasonInsufficientMemory);
  const Profile* installed = find_profile(metadata->iccid);
  return finish_installation(isc.transaction_id, smdp_oid, iccid,
                             rsp::SuccessResult{Bytes(installed->isdp_aid.begin(), installed->isdp_aid.end()), {}});
}

Result<sgp::rsp22::CancelSessionResponse> SoftwareEuicc::cancel_session(const sgp::rsp22::CancelSessionRequest& req) {
  namespace rsp = sgp::rsp22;
  if (!session_ || session_->transaction_id.empty() || req.transaction_id != session_->transaction_id) {
    return rsp::CancelSessionResponse(rsp::CancelSessionResponseError{5});  // invalidTransactionId
  }
  rsp::CancelSessionResponseOk ok;
  ok.signed_data.transaction_id = req.transaction_id;
  ok.signed_data.smdp_oid = std::string(download::kUnknownSmdpOid);
  ok.signed_data.reason = req.reason;
  ESIMO_TRY(Bytes signed_der, rsp::encode_euicc_cancel_session_signed(ok.signed_data));
  ESIMO_TRY(ok.signature, sign(signed_der));
  session_.reset();
  return rsp::CancelSessionResponse(std::move(ok));
}

void SoftwareEuicc::remove_installation_result(std::int64_t seq_number) {
  std::erase_if(installation_results_, [&](const auto& r) { return r.seq_number == seq_number; });
}

std::string SoftwareEuicc::download_state_to_json() const {
  namespace json = boost::json;
  json::object o;
  if (trusted_ci_der_) {
    auto ci = crypto::Certificate::from_der(*trusted_ci_der_);
    o["trusted_ci_pem"] = ci.ok() ? json::value(ci->to_pem()) : json::value(nullptr);
  } else {
    o["trusted_ci_pem"] = nullptr;
  }
  json::array pirs;
  for (const auto& r : installation_results_) {
    pirs.push_back(json::object{{"seq_number", r.seq_number}, {"der", to_hex(r.der)}});
  }
  o["installation_results"] = std::move(pirs);
  return json::serialize(o);
}

Status SoftwareEuicc::download_state_from_json(std::string_view json_text) {
  namespace json = boost::json;
  auto bad = [](const std::string& path, const std::string& what) {
    return Error(Errc::invalid_argument, "state: download." + path + ": " + what, "download." + path);
  };
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec || !v.is_object()) return bad("", "must be an object");
  const auto& o = v.as_object();
  if (const auto* ci = o.if_contains("trusted_ci_pem"); ci && !ci->is_null()) {
    if (!ci->is_string()) return bad("trusted_ci_pem", "must be a string or null");
    auto cert = crypto::Certificate::from_pem(std::string(ci->as_string()));
    if (!cert.ok()) return bad("trusted_ci_pem", cert.error().message);
    trusted_ci_der_ = edl::shared_ci(cert->der());
  }
  installation_results_.clear();
  if (const auto* list = o.if_contains("installation_results")) {
    if (!list->is_array()) return bad("installation_results", "must be an array");
    if (list->as_array().size() > kMaxStoredResults) return bad("installation_results", "too many");
    for (std::size_t i = 0; i < list->as_array().size(); ++i) {
      const std::string at = "installation_results[" + std::to_string(i) + "]";
      const auto& e = list->as_array()[i];
      if (!e.is_object()) return bad(at, "must be an object");
      const auto* seq = e.as_object().if_contains("seq_number");
      const auto* der_hex = e.as_object().if_contains("der");
      if (!seq || !seq->is_int64() || seq->as_int64() < 1) return bad(at + ".seq_number", "must be an integer >= 1");
      if (!der_hex || !der_hex->is_string()) return bad(at + ".der", "must be a hex string");
      auto der_bytes = from_hex(std::string(der_hex->as_string()));
      if (!der_bytes.ok()) return bad(at + ".der", der_bytes.error().message);
      auto pir = sgp::rsp22::decode_profile_installation_result(*der_bytes);
      if (!pir.ok()) return bad(at + ".der", pir.error().message);
      if (seq->as_int64() >= next_seq_number_) return bad(at + ".seq_number", "not below next_seq_number");
      installation_results_.push_back(StoredInstallationResult{seq->as_int64(), std::move(der_bytes).value()});
    }
  }
  return ok_status();
}

}  // namespace esimo::twin
