// IPA poll loop over ESipa (SGP.32 §6.3) and its HTTP binding (§6.1).
#include "twin/ipa.hpp"

#include <utility>

#include "base/http_message.hpp"
#include "der/der.hpp"
#include "net/http_client.hpp"
#include "sgp/codec.hpp"

namespace esimo::twin {
namespace ipa_impl {

std::string code_line(const sgp::EuiccResultData& r) {
  std::string s = sgp::euicc_result_kind_name(r.kind);
  if (r.kind == sgp::EuiccResultKind::list_profile_info) {
    return s + (r.list_error ? " error(" + std::to_string(*r.list_error) + ")"
                             : " " + std::to_string(r.profiles.size()) + " profile(s)");
  }
  if (r.kind == sgp::EuiccResultKind::list_eim) {
    return s + (r.list_error ? " error(" + std::to_string(*r.list_error) + ")"
                             : " " + std::to_string(r.eims.size()) + " eIM(s)");
  }
  if (r.association_token) return s + " associationToken=" + std::to_string(*r.association_token);
  return s + (r.code == 0 ? " ok" : " error(" + std::to_string(r.code) + ")");
}

std::string describe(const sgp::EuiccPackageResult& result) {
  if (const auto* s = std::get_if<sgp::EuiccPackageResultSigned>(&result)) {
    std::string line = "package from " + s->data.eim_id + " counter " + std::to_string(s->data.counter_value) +
                       " (seq " + std::to_string(s->data.seq_number) + "):";
    for (std::size_t i = 0; i < s->data.euicc_result.size(); ++i) {
      line += (i ? ", " : " ") + code_line(s->data.euicc_result[i]);
    }
    return line;
  }
  if (const auto* e = std::get_if<sgp::EuiccPackageErrorSigned>(&result)) {
    const auto c = e->data.euicc_package_error_code;
    const char* name = c == 3 ? "invalidEid" : c == 4 ? "replayError" : c == 6 ? "counterValueOutOfRange" : "error";
    return "package from " + e->data.eim_id + " counter " + std::to_string(e->data.counter_value) +
           " refused: " + name + "(" + std::to_string(c) + ")";
  }
  const auto& u = std::get<sgp::EuiccPackageErrorUnsigned>(result);
  return "package from " + u.eim_id + " refused: the eIM could not be authenticated (unknown eimId or bad signature)";
}

}  // namespace ipa_impl

// ---------------------------------------------------------------------------------------------------------------
// HTTP transport

HttpEsipaTransport::HttpEsipaTransport(std::unique_ptr<net::HttpClient> client, std::string target,
                                       std::string admin_protocol)
    : client_(std::move(client)), target_(std::move(target)), admin_protocol_(std::move(admin_protocol)) {}

HttpEsipaTransport::~HttpEsipaTransport() = default;

Result<std::unique_ptr<HttpEsipaTransport>> HttpEsipaTransport::connect(std::string_view eim_url, sgp::Version version,
                                                                        HttpEsipaOptions options) {
  ESIMO_TRY(net::UrlParts url, net::parse_url(eim_url));
  net::ClientOptions co;
  co.tls = url.tls || options.tls;
  co.ca_file = options.ca_file;
  co.verify = options.verify;
  co.timeout = options.timeout;
  ESIMO_TRY(auto client, net::HttpClient::connect(url.host, url.port, co));
  std::string ap = options.admin_protocol.empty() ? std::string("gsma/rsp/v") + sgp::version_name(version) + ".0"
                                                  : options.admin_protocol;
  return std::unique_ptr<HttpEsipaTransport>(
      new HttpEsipaTransport(std::move(client), url.prefix + "/gsma/rsp2/asn1", std::move(ap)));
}

Result<Bytes> HttpEsipaTransport::exchange(ByteView request_der) {
  ESIMO_TRY(http::Response resp,
            client_->request(http::Method::post, target_, {http::Header{"x-admin-protocol", admin_protocol_}},
                             as_chars(request_der), "application/x-gsma-rsp-asn1"));
  if (resp.status == 204) return Bytes{};
  if (resp.status == 200) return Bytes(resp.body.begin(), resp.body.end());
  const std::string snippet = resp.body.substr(0, 200);
  return Error(resp.status >= 500 ? Errc::unavailable : Errc::failed_precondition,
               "eIM answered HTTP " + std::to_string(resp.status) + (snippet.empty() ? "" : ": " + snippet));
}

// ---------------------------------------------------------------------------------------------------------------
// Poll loop

Ipa::Ipa(SoftwareEuicc& euicc, EsipaTransport& transport, IpaOptions options)
    : euicc_(euicc), transport_(transport), options_(std::move(options)) {}

Result<Bytes> Ipa::exchange(const sgp::EsipaMessageFromIpaToEim& message, PollReport& report) {
  ESIMO_TRY(Bytes request, sgp::encode(message, euicc_.version()));
  auto response = transport_.exchange(request);
  if (!response.ok()) {
    if (euicc_.rollback_pending()) {
      // The profile enabled with rollbackFlag cannot reach the eIM: return to the previous one (SGP.32 §3.2.x).
      const Status rb = euicc_.rollback();
      report.lines.push_back(rb.ok() ? "eIM unreachable after an enable with rollbackFlag: rolled back"
                                     : "rollback failed: " + rb.error().message);
    }
    return response;
  }
  euicc_.connectivity_confirmed();
  return response;
}

Status Ipa::handle_result_response(ByteView body, PollReport& report) {
  if (body.empty()) return ok_status();
  ESIMO_TRY(auto msg, sgp::decode_eim_to_ipa(body, euicc_.version()));
  const auto* resp = std::get_if<sgp::ProvideEimPackageResultResponse>(&msg);
  if (!resp) return Error(Errc::parse_error, "the eIM did not answer ProvideEimPackageResult with BF50");
  switch (resp->kind) {
    case sgp::ProvideEimPackageResultResponse::Kind::acknowledgements:
      euicc_.acknowledge(resp->seq_numbers);
      if (!resp->seq_numbers.empty()) {
        std::string line = "eIM acknowledged seq";
        for (auto s : resp->seq_numbers) line += " " + std::to_string(s);
        report.lines.push_back(std::move(line));
      }
      return ok_status();
    case sgp::ProvideEimPackageResultResponse::Kind::empty:
      return ok_status();
    case sgp::ProvideEimPackageResultResponse::Kind::error:
      return Error(Errc::failed_precondition,
                   "eIM refused the result: provideEimPackageResultError " + std::to_string(resp->error_code));
  }
  return ok_status();
}

Status Ipa::provide(sgp::EimPackageResult result, PollReport& report) {
  sgp::ProvideEimPackageResult p;
  if (euicc_.version() == sgp::Version::v1_2) {
    const auto eid = euicc_.eid().to_bytes();
    p.eid = Bytes(eid.begin(), eid.end());
  }
  p.result = std::move(result);
  ESIMO_TRY(Bytes body, exchange(sgp::EsipaMessageFromIpaToEim(std::move(p)), report));
  return handle_result_response(body, report);
}

Status Ipa::deliver_pending(PollReport& report) {
  ESIMO_CHECK(deliver_installation_results(report));  // ProfileInstallationResults left by an interrupted download
  const bool v12 = euicc_.version() == sgp::Version::v1_2;
  std::vector<std::pair<std::int64_t, Bytes>> undelivered;
  for (const auto& r : euicc_.stored_results()) {
    if (!r.delivered) undelivered.emplace_back(r.seq_number, r.der);
  }
  for (auto& [seq, der_bytes] : undelivered) {
    ESIMO_TRY(auto result, sgp::decode_euicc_package_result(der_bytes, euicc_.version()));
    sgp::ProvideEimPackageResult p;
    if (v12) {
      const auto eid = euicc_.eid().to_bytes();
      p.eid = Bytes(eid.begin(), eid.end());
    }
    report.lines.push_back("delivering stored result: " + ipa_impl::describe(result));
    p.result = std::move(result);
    ESIMO_TRY(Bytes body, exchange(sgp::EsipaMessageFromIpaToEim(sgp::HandleNotificationEsipa(std::move(p))), report));
    (void)body;  // HandleNotificationEsipa has no response data (204)
    euicc_.mark_result_delivered(seq);
  }
  ESIMO_TRY(auto notes, euicc_.signed_notifications());
  for (auto& n : notes) {
    const NotificationEvent ev = [&] {
      for (auto k : {NotificationEvent::install, NotificationEvent::enable, NotificationEvent::disable,
                     NotificationEvent::del}) {
        if (n.metadata->profile_management_operation == (1u << static_cast<unsigned>(k))) return k;
      }
      return NotificationEvent::enable;
    }();
    const std::int64_t seq = n.metadata->seq_number;
    const std::string line = "notification seq " + std::to_string(seq) + ": " + notification_event_name(ev) + " " +
                             iccid_text(*n.metadata->iccid);
    ESIMO_TRY(Bytes body, exchange(sgp::EsipaMessageFromIpaToEim(sgp::HandleNotificationEsipa(std::move(n))), report));
    (void)body;
    euicc_.remove_notification(seq);
    ++report.notifications_sent;
    report.lines.push_back(line);
  }
  return ok_status();
}

Result<PollReport> Ipa::poll_until_idle(std::size_t max_rounds) {
  PollReport report;
  const sgp::Version v = euicc_.version();
  const bool v12 = v == sgp::Version::v1_2;
  const auto eid = euicc_.eid().to_bytes();
  for (std::size_t round = 0; round < max_rounds; ++round) {
    ESIMO_CHECK(deliver_pending(report));

    sgp::GetEimPackageRequest get;
    get.eid = Bytes(eid.begin(), eid.end());
    get.notify_state_change = euicc_.state_change().notify;
    if (v12) get.state_change_cause = euicc_.state_change().cause;
    get.rplmn = options_.rplmn;
    if (!get.rplmn) {
      // Without a network model, the enabled profile's home network stands for the last registered PLMN.
      if (const Profile* p = euicc_.enabled_profile(); p && p->home_plmn) {
        get.rplmn = Bytes(p->home_plmn->begin(), p->home_plmn->end());
      }
    }
    ESIMO_TRY(Bytes body, exchange(sgp::EsipaMessageFromIpaToEim(get), report));
    ++report.rounds;
    if (get.notify_state_change) report.lines.push_back("told the eIM the profile state changed");
    euicc_.clear_state_change();
    if (body.empty()) return Error(Errc::parse_error, "the eIM answered GetEimPackageRequest with an empty body");
    ESIMO_TRY(auto msg, sgp::decode_eim_to_ipa(body, v));
    const auto* response = std::get_if<sgp::GetEimPackageResponse>(&msg);
    if (!response) return Error(Errc::parse_error, "the eIM did not answer GetEimPackageRequest with BF4F");

    if (const auto* err = std::get_if<sgp::EimPackageError>(response)) {
      if (err->code == 1) {
        report.idle = true;
        report.lines.push_back("eIM: no package available");
        return report;
      }
      static constexpr const char* kNames[] = {"", "noEimPackageAvailable", "eidNotFound", "invalidEid", "missingEid"};
      const std::string name = err->code >= 0 && err->code <= 4 ? kNames[err->code] : "undefinedError";
      return Error(Errc::failed_precondition,
                   "eIM answered eimPackageError " + name + "(" + std::to_string(err->code) + ")");
    }
    if (const auto* pkg = std::get_if<sgp::EuiccPackageRequest>(response)) {
      // Hand the eUICC the exact bytes the eIM signed: the BF51 inside the BF4F answer.
      ESIMO_TRY(der::Tlv outer, der::read_single(body));
      der::Reader r = outer.children();
      ESIMO_TRY(der::Tlv inner, r.next());
      auto result_der = euicc_.execute_package(inner.raw);
      ++report.packages;
      if (!result_der.ok()) {
        report.lines.push_back("package rejected as malformed: " + result_der.error().message);
        sgp::EimPackageResultError e;
        if (v12) e.eim_transaction_id = pkg->euicc_package_signed.eim_transaction_id;
        e.code = 1;  // invalidPackageFormat
        ESIMO_CHECK(provide(e, report));
        continue;
      }
      ESIMO_TRY(auto result, sgp::decode_euicc_package_result(*result_der, v));
      report.lines.push_back(ipa_impl::describe(result));
      std::optional<std::int64_t> seq;
      if (const auto* s = std::get_if<sgp::EuiccPackageResultSigned>(&result)) seq = s->data.seq_number;
      std::vector<sgp::PendingNotification> notes;
      if (v12 && options_.notifications_with_result) {
        ESIMO_TRY(notes, euicc_.signed_notifications());
      }
      if (notes.empty()) {
        ESIMO_CHECK(provide(std::move(result), report));
      } else {
        // ePRAndNotifications (SGP.32 v1.2 ProvideEimPackageResult): the acknowledged ones are dropped by the
        // EimAcknowledgements of the answer; the rest go out one by one on the next round.
        std::vector<std::int64_t> sent;
        for (const auto& n : notes) sent.push_back(n.metadata->seq_number);
        ESIMO_CHECK(provide(sgp::EprAndNotifications{std::move(result), std::move(notes)}, report));
        for (const auto s : sent) {
          bool pending = false;
          for (const auto& left : euicc_.pending_notifications()) pending = pending || left.seq_number == s;
          if (pending) continue;
          ++report.notifications_sent;
          ++report.notifications_with_result;
        }
      }
      if (seq) euicc_.mark_result_delivered(*seq);
      continue;
    }
    if (const auto* data_req = std::get_if<sgp::IpaEuiccDataRequest>(response)) {
      sgp::IpaEuiccDataResponse data = euicc_.ipa_euicc_data(*data_req, options_.eim_id);
      ++report.data_requests;
      if (const auto* e = std::get_if<sgp::IpaEuiccDataError>(&data)) {
        report.lines.push_back("eUICC data request refused: ipaEuiccDataErrorCode " + std::to_string(e->code));
      } else {
        report.lines.push_back("eUICC data sent (tagList " + to_hex(data_req->tag_list) + ")");
      }
      ESIMO_CHECK(provide(std::move(data), report));
      continue;
    }
    ESIMO_CHECK(run_download(std::get<sgp::ProfileDownloadTriggerRequest>(*response), report));
  }
  report.lines.push_back("stopped after " + std::to_string(max_rounds) + " round(s) with packages still coming");
  return report;
}

}  // namespace esimo::twin
