// The IPA's indirect profile download (SGP.32 v1.2 §3.2.3, ESipa §6.3.2.1-6.3.2.5; the eUICC side is SGP.22 ES10b).
// See ipa.hpp for the sequence and what is reported to the eIM in each outcome.
#include "sgp/codec.hpp"
#include "sgp/rsp22.hpp"
#include "twin/download_crypto.hpp"
#include "twin/ipa.hpp"

namespace esimo::twin {
namespace ipa_download_impl {

namespace rsp = sgp::rsp22;

constexpr std::int64_t kReasonLoadBppExecutionError = 5, kReasonUndefined = 127;

// Why a download ended before a ProfileInstallationResult, with what the eIM is told.
struct Refusal {
  std::string reason;                 // named, for the report
  std::optional<Bytes> error_response;  // the eUICC's refusal (DER), when the eUICC refused
};

std::string esipa_error(const char* step, std::int64_t code) {
  return std::string(step) + " refused by the eIM/SM-DP+: error code " + std::to_string(code);
}

sgp::PendingNotification pir_notification(const rsp::ProfileInstallationResult& pir, Bytes der_bytes) {
  sgp::PendingNotification n;
  n.kind = sgp::PendingNotificationKind::profile_installation_result;
  n.der = std::move(der_bytes);
  n.metadata = pir.data.notification_metadata;
  return n;
}

}  // namespace ipa_download_impl

namespace idl = ipa_download_impl;

Status Ipa::deliver_installation_results(PollReport& report) {
  std::vector<StoredInstallationResult> pending = euicc_.installation_results();
  for (auto& r : pending) {
    ESIMO_TRY(auto pir, sgp::rsp22::decode_profile_installation_result(r.der));
    ESIMO_TRY(Bytes body, exchange(sgp::EsipaMessageFromIpaToEim(sgp::HandleNotificationEsipa(
                                       idl::pir_notification(pir, r.der))),
                                   report));
    (void)body;  // HandleNotificationEsipa has no response data
    euicc_.remove_installation_result(r.seq_number);
    ++report.notifications_sent;
    report.lines.push_back("notification seq " + std::to_string(r.seq_number) + ": profile installation result");
  }
  return ok_status();
}

Status Ipa::cancel_download(const Bytes& transaction_id, std::int64_t reason, PollReport& report) {
  namespace rsp = sgp::rsp22;
  ESIMO_TRY(rsp::CancelSessionResponse resp, euicc_.cancel_session(rsp::CancelSessionRequest{transaction_id, reason}));
  ESIMO_TRY(Bytes alt, rsp::encode_cancel_session_response_alternative(resp));
  sgp::CancelSessionRequestEsipa cancel{transaction_id, std::move(alt)};
  ESIMO_TRY(Bytes body, exchange(sgp::EsipaMessageFromIpaToEim(std::move(cancel)), report));
  report.lines.push_back("download session cancelled (" + rsp::cancel_session_reason_name(reason) + ")");
  if (body.empty()) return ok_status();
  auto msg = sgp::decode_eim_to_ipa(body, euicc_.version());
  if (msg.ok()) {
    if (const auto* r = std::get_if<sgp::CancelSessionResponseEsipa>(&*msg)) {
      if (const auto* e = std::get_if<sgp::CancelSessionErrorEsipa>(r)) {
        report.lines.push_back("eIM answered CancelSession with error code " + std::to_string(e->code));
      }
    }
  }
  return ok_status();
}

Status Ipa::run_download(const sgp::ProfileDownloadTriggerRequest& trigger, PollReport& report) {
  namespace rsp = sgp::rsp22;
  const sgp::Version v = euicc_.version();
  const bool v12 = v == sgp::Version::v1_2;
  const TimePoint now = options_.clock ? options_.clock->now() : SystemClock::instance().now();
  ++report.downloads;

  // Ends the trigger with profileDownloadError (SGP.32 §2.11.2.3).
  auto refuse = [&](idl::Refusal r) -> Status {
    report.lines.push_back("profile download failed: " + r.reason);
    report.download_errors.push_back(r.reason);
    sgp::ProfileDownloadTriggerResult result;
    if (v12) result.eim_transaction_id = trigger.eim_transaction_id;
    sgp::ProfileDownloadError err;
    if (v12) err.profile_download_error_reason = idl::kReasonUndefined;
    err.error_response = std::move(r.error_response);
    result.result = std::move(err);
    return provide(std::move(result), report);
  };
  // The eUICC refused a step: cancel its session, tell the SM-DP+ (CancelSessionRequestEsipa), end the trigger.
  auto euicc_refused = [&](const Bytes& tid, std::int64_t reason, std::string why,
                           std::optional<Bytes> error_response) -> Status {
    ESIMO_CHECK(cancel_download(tid, reason, report));
    return refuse({std::move(why), std::move(error_response)});
  };
  // The eIM/SM-DP+ refused a step: the SM-DP+ already ended its session; drop the eUICC's.
  auto server_refused = [&](const Bytes& tid, std::string why) -> Status {
    (void)euicc_.cancel_session(rsp::CancelSessionRequest{tid, idl::kReasonUndefined});
    return refuse({std::move(why), std::nullopt});
  };

  // An eIM answer that is empty or does not decode ends the download like a refusal (an eIM without the relay).
  auto answer = [&](const Bytes& body) -> std::optional<sgp::EsipaMessageFromEimToIpa> {
    if (body.empty()) return std::nullopt;
    auto m = sgp::decode_eim_to_ipa(body, v);
    if (!m.ok()) return std::nullopt;
    return std::move(m).value();
  };

  const auto* ac_data = trigger.profile_download_data
                            ? std::get_if<sgp::DownloadActivationCode>(&*trigger.profile_download_data)
                            : nullptr;
  if (!ac_data) return refuse({"only downloads with an activation code are supported", std::nullopt});
  auto ac = download::parse_activation_code(ac_data->activation_code);
  if (!ac.ok()) return refuse({ac.error().message, std::nullopt});
  report.lines.push_back("profile download from " + ac->smdp_address + " (matching ID " + ac->matching_id + ")");

  // 1. InitiateAuthentication
  sgp::InitiateAuthenticationRequestEsipa init;
  init.euicc_challenge = euicc_.get_euicc_challenge();
  init.smdp_address = ac->smdp_address;
  ESIMO_TRY(init.euicc_info1, rsp::encode(euicc_.get_euicc_info1()));
  if (v12) init.eim_transaction_id = trigger.eim_transaction_id;
  ESIMO_TRY(Bytes body1, exchange(sgp::EsipaMessageFromIpaToEim(std::move(init)), report));
  auto msg1 = answer(body1);
  const auto* r1 = msg1 ? std::get_if<sgp::InitiateAuthenticationResponseEsipa>(&*msg1) : nullptr;
  if (!r1) return refuse({"the eIM did not answer InitiateAuthenticationRequestEsipa with BF39", std::nullopt});
  if (const auto* e = std::get_if<sgp::InitiateAuthenticationErrorEsipa>(r1)) {
    return refuse({idl::esipa_error("initiateAuthentication", e->code), std::nullopt});
  }
  const auto& ok1 = std::get<sgp::InitiateAuthenticationOkEsipa>(*r1);

  // 2. AuthenticateServer on the eUICC
  rsp::AuthenticateServerRequest asr;
  ESIMO_TRY(asr.server_signed1, rsp::decode_server_signed1(ok1.server_signed1));
  asr.server_signed1_der = ok1.server_signed1;
  asr.server_signature1 = ok1.server_signature1;
  asr.euicc_ci_pkid_to_be_used = ok1.euicc_ci_pkid_to_be_used;
  asr.server_certificate = ok1.server_certificate;
  asr.ctx_params1.matching_id = ok1.matching_id ? *ok1.matching_id : ac->matching_id;
  asr.ctx_params1.device_info.tac = options_.device_tac;
  const Bytes tid = ok1.transaction_id ? *ok1.transaction_id : asr.server_signed1.transaction_id;
  ESIMO_TRY(rsp::AuthenticateServerResponse asr_resp, euicc_.authenticate_server(asr, now));
  ESIMO_TRY(Bytes asr_der, rsp::encode(asr_resp));
  if (const auto* e = std::get_if<rsp::AuthenticateResponseError>(&asr_resp)) {
    return euicc_refused(tid, idl::kReasonUndefined,
                         "the eUICC refused the SM-DP+ (AuthenticateServer " + rsp::authenticate_error_name(e->code) +
                             ")",
                         asr_der);
  }

  // 3. AuthenticateClient
  ESIMO_TRY(Bytes body2, exchange(sgp::EsipaMessageFromIpaToEim(sgp::AuthenticateClientRequestEsipa{tid, asr_der}),
                                  report));
  auto msg2 = answer(body2);
  const auto* r2 = msg2 ? std::get_if<sgp::AuthenticateClientResponseEsipa>(&*msg2) : nullptr;
  if (!r2) return server_refused(tid, "the eIM did not answer AuthenticateClientRequestEsipa with BF3B");
  if (const auto* e = std::get_if<sgp::AuthenticateClientErrorEsipa>(r2)) {
    return server_refused(tid, idl::esipa_error("authenticateClient", e->code));
  }
  const auto* ok2 = std::get_if<sgp::AuthenticateClientOkDpEsipa>(r2);
  if (!ok2) return server_refused(tid, "authenticateClient answered with an SM-DS event (not supported)");

  // 4. PrepareDownload on the eUICC
  rsp::PrepareDownloadRequest pdr;
  ESIMO_TRY(pdr.smdp_signed2, rsp::decode_smdp_signed2(ok2->smdp_signed2));
  pdr.smdp_signed2_der = ok2->smdp_signed2;
  pdr.smdp_signature2 = ok2->smdp_signature2;
  pdr.hash_cc = ok2->hash_cc;
  pdr.smdp_certificate = ok2->smdp_certificate;
  ESIMO_TRY(rsp::PrepareDownloadResponse pd_resp, euicc_.prepare_download(pdr, now));
  ESIMO_TRY(Bytes pd_der, rsp::encode(pd_resp));
  if (const auto* e = std::get_if<rsp::PrepareDownloadResponseError>(&pd_resp)) {
    return euicc_refused(tid, idl::kReasonUndefined,
                         "the eUICC refused PrepareDownload (" + rsp::download_error_name(e->code) + ")", pd_der);
  }

  // 5. GetBoundProfilePackage
  ESIMO_TRY(Bytes body3,
            exchange(sgp::EsipaMessageFromIpaToEim(sgp::GetBoundProfilePackageRequestEsipa{tid, pd_der}), report));
  auto msg3 = answer(body3);
  const auto* r3 = msg3 ? std::get_if<sgp::GetBoundProfilePackageResponseEsipa>(&*msg3) : nullptr;
  if (!r3) return server_refused(tid, "the eIM did not answer GetBoundProfilePackageRequestEsipa with BF3A");
  if (const auto* e = std::get_if<sgp::GetBoundProfilePackageErrorEsipa>(r3)) {
    return server_refused(tid, idl::esipa_error("getBoundProfilePackage", e->code));
  }
  const auto& ok3 = std::get<sgp::GetBoundProfilePackageOkEsipa>(*r3);

  // 6. LoadBoundProfilePackage on the eUICC
  auto pir = euicc_.load_bound_profile_package(ok3.bound_profile_package);
  if (!pir.ok()) {
    return euicc_refused(tid, idl::kReasonLoadBppExecutionError,
                         "the eUICC could not load the bound profile package: " + pir.error().message, std::nullopt);
  }
  ESIMO_TRY(Bytes pir_der, rsp::encode(*pir));
  if (const auto* s = std::get_if<rsp::SuccessResult>(&pir->data.final_result)) {
    (void)s;
    const std::string iccid = pir->data.notification_metadata.iccid
                                  ? iccid_text(*pir->data.notification_metadata.iccid)
                                  : std::string("?");
    report.installed_iccids.push_back(iccid);
    report.lines.push_back("profile " + iccid + " installed");
  } else {
    const auto& e = std::get<rsp::ErrorResult>(pir->data.final_result);
    const std::string why = "installation failed: " + rsp::profile_installation_error_name(e.error_reason);
    report.lines.push_back(why);
    report.download_errors.push_back(why);
  }

  // 7. The ProfileInstallationResult: as a notification (relayed to the SM-DP+), then as the trigger's result.
  ESIMO_CHECK(deliver_installation_results(report));
  sgp::ProfileDownloadTriggerResult result;
  if (v12) result.eim_transaction_id = trigger.eim_transaction_id;
  result.result = idl::pir_notification(*pir, std::move(pir_der));
  return provide(std::move(result), report);
}

}  // namespace esimo::twin
