// Human-readable dumps and code names of the SGP.22 download messages (rsp22.hpp). Same format rules as text.cpp: one
// field per line, two-space indent, byte strings in lower-case hex, codes followed by their ASN.1 name. The golden
// vectors in tests/unit/sgp/rsp22_vectors pin this format.
#include <string>

#include "sgp/rsp22.hpp"

namespace esimo::sgp::rsp22 {
namespace rsp22_text {

struct Code {
  std::int64_t value;
  const char* name;
};

template <std::size_t N>
std::string named(std::int64_t v, const Code (&table)[N]) {
  for (const auto& n : table) {
    if (n.value == v) return std::string(n.name) + "(" + std::to_string(v) + ")";
  }
  return "unknown(" + std::to_string(v) + ")";
}

constexpr Code kAuthenticateError[] = {{1, "invalidCertificate"}, {2, "invalidSignature"}, {3, "unsupportedCurve"},
                                       {4, "noSessionContext"},   {5, "invalidOid"},       {6, "euiccChallengeMismatch"},
                                       {7, "ciPKUnknown"},        {127, "undefinedError"}};
constexpr Code kDownloadError[] = {{1, "invalidCertificate"}, {2, "invalidSignature"},    {3, "unsupportedCurve"},
                                   {4, "noSessionContext"},   {5, "invalidTransactionId"}, {127, "undefinedError"}};
constexpr Code kErrorReason[] = {{1, "incorrectInputValues"},
                                 {2, "invalidSignature"},
                                 {3, "invalidTransactionId"},
                                 {4, "unsupportedCrtValues"},
                                 {5, "unsupportedRemoteOperationType"},
                                 {6, "unsupportedProfileClass"},
                                 {7, "scp03tStructureError"},
                                 {8, "scp03tSecurityError"},
                                 {9, "installFailedDueToIccidAlreadyExistsOnEuicc"},
                                 {10, "installFailedDueToInsufficientMemoryForProfile"},
                                 {11, "installFailedDueToInterruption"},
                                 {12, "installFailedDueToPEProcessingError"},
                                 {13, "installFailedDueToDataMismatch"},
                                 {14, "testProfileInstallFailedDueToInvalidNaaKey"},
                                 {15, "pprNotAllowed"},
                                 {127, "installFailedDueToUnknownError"}};
constexpr Code kCancelReason[] = {{0, "endUserRejection"}, {1, "postponed"},      {2, "timeout"},
                                  {3, "pprNotAllowed"},    {4, "metadataMismatch"}, {5, "loadBppExecutionError"},
                                  {127, "undefinedReason"}};
constexpr Code kCancelError[] = {{5, "invalidTransactionId"}, {127, "undefinedError"}};
constexpr Code kBppCommand[] = {{0, "initialiseSecureChannel"}, {1, "configureISDP"},     {2, "storeMetadata"},
                                {3, "storeMetadata2"},          {4, "replaceSessionKeys"}, {5, "loadProfileElements"}};
constexpr Code kProfileClass[] = {{0, "test"}, {1, "provisioning"}, {2, "operational"}};

class Out {
 public:
  void line(int indent, const std::string& text) {
    s_.append(static_cast<std::size_t>(indent) * 2, ' ');
    s_ += text;
    s_ += '\n';
  }
  void kv(int indent, const std::string& key, const std::string& value) { line(indent, key + ": " + value); }
  std::string take() { return std::move(s_); }

 private:
  std::string s_;
};

std::string hx(const Bytes& b) { return b.empty() ? "(empty)" : to_hex(b); }
std::string q(const std::string& s) { return "\"" + s + "\""; }
// Certificates and other long blobs: their size and first bytes only (the vectors stay readable).
std::string blob(const Bytes& b) {
  std::string s = std::to_string(b.size()) + " bytes";
  if (!b.empty()) s += " " + to_hex(ByteView(b.data(), std::min<std::size_t>(b.size(), 8))) + "...";
  return s;
}

void ctx(Out& o, int in, const CtxParams1& c) {
  o.line(in, "ctxParams1.ctxParamsForCommonAuthentication");
  if (c.matching_id) o.kv(in + 1, "matchingId", q(*c.matching_id));
  o.kv(in + 1, "deviceInfo.tac", hx(c.device_info.tac));
  o.kv(in + 1, "deviceInfo.deviceCapabilities", hx(c.device_info.device_capabilities));
  if (c.device_info.imei) o.kv(in + 1, "deviceInfo.imei", hx(*c.device_info.imei));
}

void metadata(Out& o, int in, const NotificationMetadata& m) {
  o.line(in, "notificationMetadata");
  o.kv(in + 1, "seqNumber", std::to_string(m.seq_number));
  o.kv(in + 1, "profileManagementOperation", std::to_string(m.profile_management_operation));
  o.kv(in + 1, "notificationAddress", q(m.notification_address));
  if (m.iccid) o.kv(in + 1, "iccid", hx(*m.iccid));
}

}  // namespace rsp22_text

namespace t = rsp22_text;

std::string authenticate_error_name(std::int64_t code) { return t::named(code, t::kAuthenticateError); }
std::string download_error_name(std::int64_t code) { return t::named(code, t::kDownloadError); }
std::string profile_installation_error_name(std::int64_t r) { return t::named(r, t::kErrorReason); }
std::string cancel_session_reason_name(std::int64_t r) { return t::named(r, t::kCancelReason); }

std::string to_text(const EuiccInfo1& m) {
  t::Out o;
  o.line(0, "euiccInfo1");
  o.kv(1, "svn", t::hx(m.svn));
  for (const auto& k : m.ci_pkids_verification) o.kv(1, "euiccCiPKIdListForVerification", t::hx(k));
  for (const auto& k : m.ci_pkids_signing) o.kv(1, "euiccCiPKIdListForSigning", t::hx(k));
  return o.take();
}

std::string to_text(const AuthenticateServerRequest& m) {
  t::Out o;
  o.line(0, "authenticateServerRequest");
  o.line(1, "serverSigned1");
  o.kv(2, "transactionId", t::hx(m.server_signed1.transaction_id));
  o.kv(2, "euiccChallenge", t::hx(m.server_signed1.euicc_challenge));
  o.kv(2, "serverAddress", t::q(m.server_signed1.server_address));
  o.kv(2, "serverChallenge", t::hx(m.server_signed1.server_challenge));
  o.kv(1, "serverSignature1", t::hx(m.server_signature1));
  o.kv(1, "euiccCiPKIdToBeUsed", t::hx(m.euicc_ci_pkid_to_be_used));
  o.kv(1, "serverCertificate", t::blob(m.server_certificate));
  t::ctx(o, 1, m.ctx_params1);
  return o.take();
}

std::string to_text(const AuthenticateServerResponse& m) {
  t::Out o;
  o.line(0, "authenticateServerResponse");
  if (const auto* ok = std::get_if<AuthenticateResponseOk>(&m)) {
    o.line(1, "authenticateResponseOk");
    o.line(2, "euiccSigned1");
    o.kv(3, "transactionId", t::hx(ok->euicc_signed1.transaction_id));
    o.kv(3, "serverAddress", t::q(ok->euicc_signed1.server_address));
    o.kv(3, "serverChallenge", t::hx(ok->euicc_signed1.server_challenge));
    o.kv(3, "euiccInfo2", t::blob(ok->euicc_signed1.euicc_info2));
    t::ctx(o, 3, ok->euicc_signed1.ctx_params1);
    o.kv(2, "euiccSignature1", t::hx(ok->euicc_signature1));
    o.kv(2, "euiccCertificate", t::blob(ok->euicc_certificate));
    o.kv(2, "eumCertificate", t::blob(ok->eum_certificate));
  } else {
    const auto& e = std::get<AuthenticateResponseError>(m);
    o.line(1, "authenticateResponseError");
    o.kv(2, "transactionId", t::hx(e.transaction_id));
    o.kv(2, "authenticateErrorCode", authenticate_error_name(e.code));
  }
  return o.take();
}

std::string to_text(const PrepareDownloadRequest& m) {
  t::Out o;
  o.line(0, "prepareDownloadRequest");
  o.line(1, "smdpSigned2");
  o.kv(2, "transactionId", t::hx(m.smdp_signed2.transaction_id));
  o.kv(2, "ccRequiredFlag", m.smdp_signed2.cc_required_flag ? "true" : "false");
  if (m.smdp_signed2.bpp_euicc_otpk) o.kv(2, "bppEuiccOtpk", t::hx(*m.smdp_signed2.bpp_euicc_otpk));
  o.kv(1, "smdpSignature2", t::hx(m.smdp_signature2));
  if (m.hash_cc) o.kv(1, "hashCc", t::hx(*m.hash_cc));
  o.kv(1, "smdpCertificate", t::blob(m.smdp_certificate));
  return o.take();
}

std::string to_text(const PrepareDownloadResponse& m) {
  t::Out o;
  o.line(0, "prepareDownloadResponse");
  if (const auto* ok = std::get_if<PrepareDownloadResponseOk>(&m)) {
    o.line(1, "downloadResponseOk");
    o.line(2, "euiccSigned2");
    o.kv(3, "transactionId", t::hx(ok->euicc_signed2.transaction_id));
    o.kv(3, "euiccOtpk", t::hx(ok->euicc_signed2.euicc_otpk));
    if (ok->euicc_signed2.hash_cc) o.kv(3, "hashCc", t::hx(*ok->euicc_signed2.hash_cc));
    o.kv(2, "euiccSignature2", t::hx(ok->euicc_signature2));
  } else {
    const auto& e = std::get<PrepareDownloadResponseError>(m);
    o.line(1, "downloadResponseError");
    o.kv(2, "transactionId", t::hx(e.transaction_id));
    o.kv(2, "downloadErrorCode", download_error_name(e.code));
  }
  return o.take();
}

std::string to_text(const StoreMetadataRequest& m) {
  t::Out o;
  o.line(0, "storeMetadataRequest");
  o.kv(1, "iccid", t::hx(m.iccid));
  o.kv(1, "serviceProviderName", t::q(m.service_provider_name));
  o.kv(1, "profileName", t::q(m.profile_name));
  if (m.icon_type) o.kv(1, "iconType", std::to_string(*m.icon_type));
  if (m.icon) o.kv(1, "icon", t::blob(*m.icon));
  o.kv(1, "profileClass", t::named(m.profile_class, t::kProfileClass));
  for (const auto& n : m.notification_configuration_info) {
    o.line(1, "notificationConfigurationInfo");
    o.kv(2, "profileManagementOperation", std::to_string(n.profile_management_operation));
    o.kv(2, "notificationAddress", t::q(n.notification_address));
  }
  if (m.profile_owner) {
    o.kv(1, "profileOwner.mccMnc", t::hx(m.profile_owner->mcc_mnc));
    if (m.profile_owner->gid1) o.kv(1, "profileOwner.gid1", t::hx(*m.profile_owner->gid1));
    if (m.profile_owner->gid2) o.kv(1, "profileOwner.gid2", t::hx(*m.profile_owner->gid2));
  }
  if (m.profile_policy_rules) o.kv(1, "profilePolicyRules", std::to_string(*m.profile_policy_rules));
  return o.take();
}

std::string to_text(const BoundProfilePackage& m) {
  t::Out o;
  o.line(0, "boundProfilePackage");
  const auto& isc = m.initialise_secure_channel;
  o.line(1, "initialiseSecureChannelRequest");
  o.kv(2, "remoteOpId", std::to_string(isc.remote_op_id));
  o.kv(2, "transactionId", t::hx(isc.transaction_id));
  o.kv(2, "controlRefTemplate.keyType", t::hx(isc.control_ref_template.key_type));
  o.kv(2, "controlRefTemplate.keyLen", t::hx(isc.control_ref_template.key_len));
  o.kv(2, "controlRefTemplate.hostId", t::hx(isc.control_ref_template.host_id));
  o.kv(2, "smdpOtpk", t::hx(isc.smdp_otpk));
  o.kv(2, "smdpSign", t::hx(isc.smdp_sign));
  for (const auto& e : m.first_sequence_of_87) o.kv(1, "firstSequenceOf87", t::hx(e));
  for (const auto& e : m.sequence_of_88) o.kv(1, "sequenceOf88", t::hx(e));
  if (m.second_sequence_of_87) {
    for (const auto& e : *m.second_sequence_of_87) o.kv(1, "secondSequenceOf87", t::hx(e));
  }
  for (const auto& e : m.sequence_of_86) o.kv(1, "sequenceOf86", t::hx(e));
  return o.take();
}

std::string to_text(const ProfileInstallationResult& m) {
  t::Out o;
  o.line(0, "profileInstallationResult");
  o.line(1, "profileInstallationResultData");
  o.kv(2, "transactionId", t::hx(m.data.transaction_id));
  t::metadata(o, 2, m.data.notification_metadata);
  o.kv(2, "smdpOid", m.data.smdp_oid);
  if (const auto* s = std::get_if<SuccessResult>(&m.data.final_result)) {
    o.line(2, "finalResult.successResult");
    o.kv(3, "aid", t::hx(s->aid));
    o.kv(3, "simaResponse", t::hx(s->sima_response));
  } else {
    const auto& e = std::get<ErrorResult>(m.data.final_result);
    o.line(2, "finalResult.errorResult");
    o.kv(3, "bppCommandId", t::named(e.bpp_command_id, t::kBppCommand));
    o.kv(3, "errorReason", profile_installation_error_name(e.error_reason));
    if (e.sima_response) o.kv(3, "simaResponse", t::hx(*e.sima_response));
  }
  o.kv(1, "euiccSignPIR", t::hx(m.euicc_sign_pir));
  return o.take();
}

std::string to_text(const CancelSessionRequest& m) {
  t::Out o;
  o.line(0, "cancelSessionRequest");
  o.kv(1, "transactionId", t::hx(m.transaction_id));
  o.kv(1, "reason", cancel_session_reason_name(m.reason));
  return o.take();
}

std::string to_text(const CancelSessionResponse& m) {
  t::Out o;
  o.line(0, "cancelSessionResponse");
  if (const auto* ok = std::get_if<CancelSessionResponseOk>(&m)) {
    o.line(1, "cancelSessionResponseOk");
    o.kv(2, "transactionId", t::hx(ok->signed_data.transaction_id));
    o.kv(2, "smdpOid", ok->signed_data.smdp_oid);
    o.kv(2, "reason", cancel_session_reason_name(ok->signed_data.reason));
    o.kv(2, "euiccCancelSessionSignature", t::hx(ok->signature));
  } else {
    o.kv(1, "cancelSessionResponseError", t::named(std::get<CancelSessionResponseError>(m).code, t::kCancelError));
  }
  return o.take();
}

}  // namespace esimo::sgp::rsp22
