#pragma once
// The IPA (SGP.32 §3.1, IPAd) of a software eUICC: polls an eIM over ESipa (§6.3), runs what it gets on the eUICC,
// returns results and delivers notifications, in SGP.32 v1.2 or v1.0 (the eUICC's version decides).
//
// One poll cycle (poll_until_idle):
//   1. deliver what is waiting: package results not yet delivered (e.g. after a rollback) as HandleNotificationEsipa
//      provideEimPackageResult, then pending notifications as HandleNotificationEsipa pendingNotification (each
//      removed once the eIM accepted it);
//   2. GetEimPackageRequest (notifyStateChange / stateChangeCause after a fallback or rollback, rPLMN when known) ->
//      EuiccPackageRequest: run on the eUICC, ProvideEimPackageResult (v1.2 with the EID, and with
//      notifications_with_result the notifications the package caused as ePRAndNotifications; v1.0 without either);
//      IpaEuiccDataRequest: ProvideEimPackageResult ipaEuiccDataResponse;
//      ProfileDownloadTriggerRequest: the indirect profile download (ipa_download.cpp, below);
//      eimPackageError noEimPackageAvailable: idle, stop; any other eimPackageError: an Error;
//   3. EimAcknowledgements in a ProvideEimPackageResultResponse drop the acknowledged notifications and results;
//   4. repeat from 1 until idle or max_rounds.
// Indirect profile download (SGP.32 §3.2.3 with SGP.22 ES10b on the eUICC), on ProfileDownloadTriggerRequest with an
// activation code: GetEuiccChallenge + EUICCInfo1 -> InitiateAuthenticationRequestEsipa -> AuthenticateServer on the
// eUICC -> AuthenticateClientRequestEsipa -> PrepareDownload (with the hashCc the eIM supplies) ->
// GetBoundProfilePackageRequestEsipa -> LoadBoundProfilePackage. The ProfileInstallationResult (success or error) is
// then delivered as HandleNotificationEsipa pendingNotification (and dropped from the eUICC once accepted), and the
// trigger is answered with ProvideEimPackageResult profileDownloadTriggerResult carrying the same
// ProfileInstallationResult. When the eUICC refuses a step (or cannot load the BPP), the IPA cancels the session on
// the eUICC and sends CancelSessionRequestEsipa with the eUICC's CancelSessionResponse, then answers the trigger with
// profileDownloadError (v1.2 reason undefinedError(127); errorResponse = the eUICC's refusal when there is one). When
// the eIM/SM-DP+ refuses a step, the eUICC's session is dropped locally and the trigger answered the same way.
// Other profileDownloadData (contactDefaultSmdp, contactSmds) are answered with profileDownloadError.
//
// When an exchange fails while an enable with rollbackFlag is pending, the eUICC rolls back (the new profile could not
// reach the eIM) before the error is returned.
//
// Thread-safety: none; one Ipa per device, driven by one thread at a time.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "twin/software_euicc.hpp"

namespace esimo::net {
class HttpClient;
}

namespace esimo::twin {

// One ESipa request/response exchange. Returns the response body (empty: the eIM answered 204 No Content).
class EsipaTransport {
 public:
  virtual ~EsipaTransport() = default;
  virtual Result<Bytes> exchange(ByteView request_der) = 0;
};

struct HttpEsipaOptions {
  // X-Admin-Protocol value. Empty: "gsma/rsp/v<version>.0" of the eUICC (v1.2.0 / v1.0.0). The public IPAd sends
  // "gsma/rsp/v2.1.0" (an SGP.22 version) for SGP.32 v1.0; set it here to imitate it.
  std::string admin_protocol;
  bool tls = false;
  std::string ca_file;  // PEM bundle to trust (TLS); empty: the system store
  bool verify = true;
  std::chrono::milliseconds timeout{30000};
};

// ESipa over HTTP(S) (SGP.32 §6.1): POST <prefix>/gsma/rsp2/asn1, Content-Type application/x-gsma-rsp-asn1.
class HttpEsipaTransport final : public EsipaTransport {
 public:
  // eim_url: "http(s)://host[:port][/prefix]" (the scheme in the URL decides TLS).
  static Result<std::unique_ptr<HttpEsipaTransport>> connect(std::string_view eim_url, sgp::Version version,
                                                             HttpEsipaOptions options = {});
  ~HttpEsipaTransport() override;
  // 200 -> body; 204 -> empty; any other status -> Error (unavailable for 5xx, failed_precondition otherwise) naming
  // the status and the start of the body.
  Result<Bytes> exchange(ByteView request_der) override;
  const std::string& admin_protocol() const { return admin_protocol_; }

 private:
  HttpEsipaTransport(std::unique_ptr<net::HttpClient> client, std::string target, std::string admin_protocol);
  std::unique_ptr<net::HttpClient> client_;
  std::string target_;
  std::string admin_protocol_;
};

struct IpaOptions {
  std::string eim_id;  // the eIM this IPA polls (selects the association token); empty: the first one
  // 3 octets (TS 24.008) of the last registered PLMN, sent in GetEimPackageRequest; unset: the enabled profile's home
  // PLMN when it has one.
  std::optional<Bytes> rplmn;
  // SGP.32 v1.2: the notifications pending after a package travel with its result (ProvideEimPackageResult
  // ePRAndNotifications) instead of one HandleNotificationEsipa each; those the eIM does not acknowledge are sent
  // the usual way on the next round. Off by default (one exchange per notification, as deployed IPAds do); v1.0
  // IPAs always send them one by one.
  bool notifications_with_result = false;
  // Profile download (ipa_download.cpp): the time the eUICC checks SM-DP+ certificates at (the twin's virtual clock);
  // null: the wall clock. device_tac: DeviceInfo.tac sent in ctxParams1.
  const Clock* clock = nullptr;
  Bytes device_tac = {0x35, 0x29, 0x06, 0x11};
};

struct PollReport {
  std::vector<std::string> lines;  // what happened, one human-readable line each (for `esimo device poll`)
  std::size_t rounds = 0;          // GetEimPackageRequests sent
  std::size_t packages = 0;        // eUICC packages executed
  std::size_t data_requests = 0;   // IpaEuiccDataRequests answered
  std::size_t notifications_sent = 0;         // delivered in any way (HandleNotificationEsipa or with a result)
  std::size_t notifications_with_result = 0;  // of those, carried in a ProvideEimPackageResult (no own exchange)
  bool idle = false;  // the eIM said noEimPackageAvailable
  std::size_t downloads = 0;                 // ProfileDownloadTriggerRequests handled
  std::vector<std::string> installed_iccids;  // profiles a download installed
  std::vector<std::string> download_errors;   // why a download failed, one named reason each
};

class Ipa {
 public:
  Ipa(SoftwareEuicc& euicc, EsipaTransport& transport, IpaOptions options = {});
  Result<PollReport> poll_until_idle(std::size_t max_rounds);

 private:
  Result<Bytes> exchange(const sgp::EsipaMessageFromIpaToEim& message, PollReport& report);
  Status deliver_pending(PollReport& report);
  Status handle_result_response(ByteView body, PollReport& report);
  Status provide(sgp::EimPackageResult result, PollReport& report);
  // Indirect profile download (ipa_download.cpp).
  Status run_download(const sgp::ProfileDownloadTriggerRequest& trigger, PollReport& report);
  Status deliver_installation_results(PollReport& report);
  Status cancel_download(const Bytes& transaction_id, std::int64_t reason, PollReport& report);

  SoftwareEuicc& euicc_;
  EsipaTransport& transport_;
  IpaOptions options_;
};

}  // namespace esimo::twin
