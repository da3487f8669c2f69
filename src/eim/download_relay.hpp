#pragma once
// Indirect profile download (SGP.32 §3.2.x, ESipa §6.3.2.1-6.3.2.5): the eIM triggers a download on the device's next
// poll (profileDownloadTriggerRequest) and relays the IPA's ESipa download messages to the SM-DP+ over ES9+
// (SGP.22 §6.5, through the Es9Client port), answering the IPA with the ESipa responses. Internal to src/eim.
//
// One Session per triggered download operation. A session is found by the eimTransactionId of its trigger (v1.2
// InitiateAuthenticationRequestEsipa carries it), by the SM-DP+'s TransactionId once initiateAuthentication answered,
// or by the EID in the eUICC certificate of AuthenticateServerResponse (v1.0 IPAs send no eimTransactionId; this also
// rebuilds a session after an eIM restart from the delivered operation in the store).
//
// Outcomes on the download operation (domain::Operation::outcome):
//   ok (succeeded; result_json has the ICCID)        smdp_unreachable            smdp_not_allowed
//   smdp_rejected:<name>                             matching_id_unknown         matching_id_expired
//   bad_smdp_signature (the eUICC refused the SM-DP+ signature)                  euicc_memory_full
//   too_many_profiles   iccid_already_exists   confirmation_code_missing|refused|retries_exceeded
//   euicc_rejected:<name>   install_failed:<name>   cancelled   session_timeout   profile_download_error:<reason>
//
// Threading: every method may be called from any server thread. `mu_` guards the session maps only and is never held
// across a call out (store, ES9+); each session's own mutex serialises the messages of that session (the ES9+ calls
// run under it, so one slow SM-DP+ delays only its own sessions).
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "eim/download.hpp"
#include "eim/eim_impl.hpp"
#include "eim/es9_client.hpp"

namespace esimo::eim {

class DownloadRelay {
 public:
  DownloadRelay(EimService::Impl& eim, std::shared_ptr<Es9Client> es9, DownloadOptions options);
  ~DownloadRelay();
  DownloadRelay(const DownloadRelay&) = delete;
  DownloadRelay& operator=(const DownloadRelay&) = delete;

  // Submit-time check of a download request: a valid activation code whose SM-DP+ may be reached.
  Status validate(const OpDownload& request) const;

  // Poll slow path, under the device's busy mutex: the profileDownloadTriggerRequest for the device's first queued
  // operation, a download. Durable before it leaves (the trigger's eimTransactionId is recorded as a package and the
  // operation moves to delivered). nullopt: nothing to send now (another download of this device is in progress).
  std::optional<Result<Bytes>> trigger(const HotDevice& dev, const domain::Operation& op, const OpDownload& request,
                                       sgp::Version v, TimePoint now);

  // ESipa InitiateAuthentication / AuthenticateClient / GetBoundProfilePackage / CancelSession requests -> the DER
  // answer (EsipaMessageFromEimToIpa). Errc::unsupported for any other message.
  Result<Bytes> handle(const sgp::EsipaMessageFromIpaToEim& message, sgp::Version v);
  // ProvideEimPackageResult carrying a ProfileDownloadTriggerResult.
  void on_trigger_result(const sgp::ProfileDownloadTriggerResult& result, const std::optional<EidKey>& eid_hint);
  // A pending notification from the IPA: a ProfileInstallationResult (BF37) of a relayed download is forwarded to the
  // SM-DP+ (handleNotification) and ends its operation. Other notifications are left alone.
  void on_notification(const sgp::PendingNotification& notification, const std::optional<EidKey>& eid_hint);
  // Cancel of a delivered download operation: it ends `cancelled` now; the IPA's next download message is answered
  // with an error so that it cancels the eUICC session (its CancelSession is relayed to the SM-DP+).
  Result<domain::Operation> cancel(const domain::Operation& op);
  // Ends sessions idle for longer than session_timeout (outcome session_timeout). Also run by every entry point.
  void sweep(TimePoint now);

  std::size_t active_sessions() const;

  struct Session;

 private:
  std::shared_ptr<Session> find_by_smdp_tid(const Bytes& tid);
  std::shared_ptr<Session> find_by_trigger_tid(const Bytes& tid);
  // The session of a device's delivered download operation, rebuilt from the store when the relay has none
  // (an eIM restart, or a v1.0 IPA bound late by its EID).
  std::shared_ptr<Session> session_for_device(const EidKey& key);
  std::shared_ptr<Session> session_for_operation(domain::Operation op);
  void index_smdp_tid(const std::shared_ptr<Session>& s, const Bytes& tid);
  void forget(const std::shared_ptr<Session>& s);
  // Ends the session's operation (once) and frees its device; the caller forgets the session unless the eUICC still
  // has to cancel it (the IPA's CancelSession is then relayed).
  void finish(Session& s, bool success, const std::string& outcome, const std::string& result_json);
  void record_euicc_certificates(const Session& s, const Bytes& euicc_cert, const Bytes& eum_cert);
  // False when the result was ignored (not the eUICC's signature, or another session's): the session stays.
  bool installation_result(Session& s, const sgp::PendingNotification& n);

  Result<Bytes> initiate(const sgp::InitiateAuthenticationRequestEsipa& m, sgp::Version v);
  Result<Bytes> authenticate(const sgp::AuthenticateClientRequestEsipa& m, sgp::Version v);
  Result<Bytes> bound_profile_package(const sgp::GetBoundProfilePackageRequestEsipa& m, sgp::Version v);
  Result<Bytes> cancel_session(const sgp::CancelSessionRequestEsipa& m, sgp::Version v);

  // The eUICC refused a step and its refusal went to the SM-DP+ in the relayed request (`smdp`: the SM-DP+'s answer):
  // ends the operation with `outcome`, forgets the session, returns the ESipa error code for the IPA.
  template <class R, class CodeTable>
  std::int64_t euicc_refused(const std::shared_ptr<Session>& s, const std::string& outcome, const char* code_name,
                             std::int64_t euicc_code, const Result<R>& smdp, const CodeTable& codes);
  // One ES9+ call under the retry policy (retriable: transport errors and status Expired).
  template <class R, class F>
  Result<R> call_with_retry(const char* function, F&& call);

  EimService::Impl& eim_;
  std::shared_ptr<Es9Client> es9_;
  DownloadOptions options_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> by_op_;           // operation id
  std::unordered_map<std::string, std::shared_ptr<Session>> by_trigger_tid_;  // hex of the trigger's eimTransactionId
  std::unordered_map<std::string, std::shared_ptr<Session>> by_smdp_tid_;     // hex of the SM-DP+ TransactionId
  std::unordered_map<EidKey, std::shared_ptr<Session>, EidKeyHash> by_device_;
};

// ---- hooks for the shared eIM files (esipa.cpp, eim_service.cpp), so each hook there is a line or two ----
// Poll slow path, under the device's busy mutex: the trigger for the device's first queued operation, a download (or
// the no-package answer when nothing can be sent now).
Result<Bytes> download_trigger(EimService::Impl& m, const HotDevice& dev, const domain::Operation& op,
                               const OpDownload& request, sgp::Version v, TimePoint now);
// InitiateAuthentication / AuthenticateClient / GetBoundProfilePackage / CancelSession requests.
Result<Bytes> download_handle(EimService::Impl& m, const sgp::EsipaMessageFromIpaToEim& message, sgp::Version v);
void download_trigger_result(EimService::Impl& m, const sgp::ProfileDownloadTriggerResult& result,
                             const std::optional<EidKey>& eid_hint);
void download_notification(EimService::Impl& m, const sgp::PendingNotification& notification,
                           const std::optional<EidKey>& eid_hint);
// Submit: ok for anything but a download; a download needs a valid activation code and a reachable SM-DP+.
Status download_validate(EimService::Impl& m, domain::TenantId tenant, const OperationRequest& request);
// Cancel of a delivered download (nullopt: not one; the caller's rules apply).
std::optional<Result<domain::Operation>> download_cancel(EimService::Impl& m, const domain::Operation& op);

}  // namespace esimo::eim
