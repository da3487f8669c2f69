// The indirect profile download relay (SGP.32 §3.2.x and §6.3.2.1-6.3.2.5 on the ESipa side, SGP.22 §6.5 ES9+ on the
// SM-DP+ side). See download_relay.hpp for the session model and the outcomes.
#include "eim/download_relay.hpp"

#include <boost/json.hpp>
#include <thread>

#include "base/log.hpp"
#include "crypto/certificate.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "der/der.hpp"
#include "sgp/codec.hpp"
#include "sgp/rsp22.hpp"

namespace esimo::eim {

struct DownloadRelay::Session {
  std::mutex m;  // serialises this session's messages (held across its ES9+ calls)
  // The download operation (empty op_id: a v1.0 session not bound to a device yet, see initiate()).
  std::string op_id;
  domain::TenantId tenant = 0;
  domain::Eid eid;
  EidKey key{};
  sgp::Version version = sgp::Version::v1_2;
  std::string smdp_address;  // lower-case FQDN[:port]
  std::string matching_id;
  std::optional<Bytes> cc_sha256;
  bool enable = false;
  std::optional<std::string> carrier_id;
  Bytes trigger_tid;                   // eimTransactionId of the profileDownloadTriggerRequest
  Bytes smdp_tid;                      // the SM-DP+'s TransactionId, once initiateAuthentication answered
  std::optional<domain::Iccid> iccid;  // from the profile metadata (AuthenticateClient)
  std::optional<domain::ProfileClass> profile_class;
  std::optional<Bytes> profile_owner_plmn;
  bool finished = false;       // the operation has its outcome
  bool smdp_notified = false;  // the ProfileInstallationResult went to handleNotification
  TimePoint last_activity{};
  // The IPA cancelled the eUICC session (relayed to the SM-DP+): the trigger's result, which says why, follows.
  std::optional<TimePoint> cancelled_at;
  std::string cancel_json;
  // The eUICC key of this session's certificate (the one the SM-DP+ accepted in AuthenticateClient, naming the EID):
  // what the installation result is signed with, even where the eIM's own CI roots do not reach it.
  std::shared_ptr<crypto::Verifier> euicc_key;
};

namespace download_detail {
// How long a cancelled session waits for the trigger's result (which names the eUICC's refusal) before it ends
// `cancelled` without one.
constexpr std::chrono::seconds kCancelGrace{30};
}  // namespace download_detail

namespace download_detail {

std::string jstr(std::string_view s) { return boost::json::serialize(boost::json::value(s)); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Contents of one DER TLV (a 5F37 signature object, a 04 SubjectKeyIdentifier): ESipa carries these as contents.
Bytes tlv_contents(const Bytes& tlv) {
  auto t = der::read_single(tlv);
  if (!t.ok()) return tlv;
  return Bytes(t->value.begin(), t->value.end());
}

Bytes wrap(std::uint32_t tag, ByteView contents, bool constructed) {
  der::Writer w;
  if (constructed) {
    w.constructed(der::tag(tag), [&] { w.raw(contents); });
  } else {
    w.octets(der::tag(tag), contents);
  }
  return w.take();
}

// What an ES9+ Failed/Expired status means for the download, and the ESipa error code the IPA gets
// (SGP.22 §6.5.2.x status codes; SGP.32 §6.3.2.x ESipa error codes).
struct Named {
  const char* subject;
  const char* reason;
  const char* outcome;
  std::int64_t esipa_code;
};

constexpr Named kInitiateCodes[] = {
    {"8.8.1", "3.8", "smdp_rejected:invalid_smdp_address", 1},   // invalidDpAddress
    {"8.8.2", "3.1", "smdp_rejected:ci_pkid_not_supported", 3},  // ciPKIdNotSupported
    {"8.8.3", "3.1", "smdp_rejected:svn_not_supported", 2},      // euiccVersionNotSupportedByDp
    {"8.8.4", "3.7", "smdp_rejected:no_dpauth_certificate", 127},
};
constexpr Named kAuthenticateCodes[] = {
    {"8.1.2", "6.1", "smdp_rejected:eum_certificate_invalid", 1},
    {"8.1.2", "6.3", "smdp_rejected:eum_certificate_expired", 2},
    {"8.1.3", "6.1", "smdp_rejected:euicc_certificate_invalid", 3},
    {"8.1.3", "6.3", "smdp_rejected:euicc_certificate_expired", 4},
    {"8.1", "6.1", "smdp_rejected:euicc_signature_invalid", 5},
    {"8.1", "4.8", "euicc_memory_full", 11},  // insufficientMemory
    {"8.11.1", "3.9", "smdp_rejected:ci_pk_unknown", 9},
    {"8.2", "1.2", "smdp_rejected:profile_not_released", 127},
    {"8.10.1", "3.9", "smdp_rejected:unknown_transaction", 10},
    {"8.2.6", "3.8", "matching_id_unknown", 6},  // matchingIdRefused
    {"8.1.1", "3.8", "smdp_rejected:eid_refused", 7},
    {"8.2.5", "4.3", "smdp_rejected:no_eligible_profile", 8},
    {"8.8.5", "4.10", "matching_id_expired", 18},  // downloadOrderExpired
    {"8.8.5", "6.4", "smdp_rejected:max_retries_exceeded", 127},
};
constexpr Named kBppCodes[] = {
    {"8.1", "6.1", "smdp_rejected:euicc_signature_invalid", 1},
    {"8.2", "3.7", "smdp_rejected:bpp_rebinding_refused", 5},
    {"8.10.1", "3.9", "smdp_rejected:unknown_transaction", 95},
    {"8.2.7", "2.2", "confirmation_code_missing", 2},
    {"8.2.7", "3.8", "confirmation_code_refused", 3},
    {"8.2.7", "6.4", "confirmation_code_retries_exceeded", 4},
    {"8.8.5", "4.10", "matching_id_expired", 127},
};
constexpr Named kCancelCodes[] = {
    {"8.10.1", "3.9", "smdp_rejected:unknown_transaction", 1},  // invalidTransactionId
    {"8.1", "6.1", "smdp_rejected:euicc_signature_invalid", 2},
};

template <std::size_t N>
std::pair<std::string, std::int64_t> name_failure(const sgp::es9::FunctionExecutionStatus& st,
                                                  const Named (&table)[N]) {
  if (!st.status_code_data) return {"smdp_rejected:" + std::string(sgp::es9::execution_status_name(st.status)), 127};
  const auto& d = *st.status_code_data;
  for (const auto& n : table) {
    if (d.subject_code == n.subject && d.reason_code == n.reason) return {n.outcome, n.esipa_code};
  }
  return {"smdp_rejected:" + d.subject_code + "/" + d.reason_code, 127};
}

std::string status_json(const sgp::es9::FunctionExecutionStatus& st) {
  boost::json::object o;
  o["status"] = sgp::es9::execution_status_name(st.status);
  if (st.status_code_data) {
    o["subject_code"] = st.status_code_data->subject_code;
    o["reason_code"] = st.status_code_data->reason_code;
    if (st.status_code_data->message) o["message"] = *st.status_code_data->message;
  }
  return boost::json::serialize(o);
}

std::string error_json(const Error& e) {
  boost::json::object o;
  o["error"] = e.message;
  o["code"] = errc_name(e.code);
  return boost::json::serialize(o);
}

const sgp::es9::FunctionExecutionStatus& status_of(const sgp::es9::FunctionExecutionStatus& s) { return s; }
template <class Ok>
const sgp::es9::FunctionExecutionStatus& status_of(const sgp::es9::Response<Ok>& r) {
  return r.status;
}

// A transport-level failure of the SM-DP+ (what the retry policy and smdp_unreachable are about).
bool transport_failure(const Error& e) { return e.code == Errc::unavailable || e.code == Errc::timeout; }

// SGP.22 AuthenticateErrorCode / DownloadErrorCode (the eUICC's refusal inside the relayed responses).
std::string euicc_auth_error(std::int64_t code) {
  switch (code) {
    case 1: return "invalid_certificate";
    case 2: return "invalid_signature";
    case 3: return "unsupported_curve";
    case 4: return "no_session_context";
    case 5: return "invalid_oid";
    case 6: return "euicc_challenge_mismatch";
    case 7: return "ci_pk_unknown";
    default: return "undefined_error";
  }
}
std::string euicc_download_error(std::int64_t code) {
  switch (code) {
    case 1: return "invalid_certificate";
    case 2: return "invalid_signature";
    case 3: return "unsupported_curve";
    case 4: return "no_session_context";
    case 5: return "invalid_transaction_id";
    default: return "undefined_error";
  }
}
// SGP.22 ProfileInstallationResult errorReason -> the operation's outcome.
std::string install_error_outcome(std::int64_t bpp_command_id, std::int64_t reason) {
  switch (reason) {
    case 2: return "bad_smdp_signature";  // invalidSignature: the BPP's SM-DP+ signature did not verify
    case 9: return "iccid_already_exists";
    // installFailedDueToInsufficientMemoryForProfile. Failing already at configureISDP (bppCommandId 1) means the
    // eUICC could not create another ISD-P: it holds as many profiles as it can (SGP.22 has no separate code).
    case 10: return bpp_command_id == 1 ? "too_many_profiles" : "euicc_memory_full";
    case 1: return "install_failed:incorrect_input_values";
    case 3: return "install_failed:invalid_transaction_id";
    case 4: return "install_failed:unsupported_crt_values";
    case 5: return "install_failed:unsupported_remote_operation_type";
    case 6: return "install_failed:unsupported_profile_class";
    case 7: return "install_failed:scp03t_structure_error";
    case 8: return "install_failed:scp03t_security_error";
    case 11: return "install_failed:interruption";
    case 12: return "install_failed:pe_processing_error";
    case 13: return "install_failed:data_mismatch";
    case 14: return "install_failed:invalid_naa_key";
    case 15: return "install_failed:ppr_not_allowed";
    default: return "install_failed:unknown_error";
  }
}
std::string cancel_reason_name(std::int64_t reason) {
  switch (reason) {
    case 0: return "end_user_rejection";
    case 1: return "postponed";
    case 2: return "timeout";
    case 3: return "ppr_not_allowed";
    case 4: return "metadata_mismatch";
    case 5: return "load_bpp_execution_error";
    default: return "undefined_reason";
  }
}

std::optional<domain::Eid> eid_of_certificate(const Bytes& der) {
  auto cert = crypto::Certificate::from_der(der);
  if (!cert) return std::nullopt;
  auto serial = cert->subject_serial_number();
  if (!serial) return std::nullopt;
  auto eid = domain::Eid::parse(*serial);
  if (!eid) return std::nullopt;
  return *eid;
}

template <class R>
Result<Bytes> encode_answer(R response, sgp::Version v) {
  return sgp::encode(sgp::EsipaMessageFromEimToIpa(std::move(response)), v);
}

}  // namespace download_detail

namespace dd = download_detail;

DownloadRelay::DownloadRelay(EimService::Impl& eim, std::shared_ptr<Es9Client> es9, DownloadOptions options)
    : eim_(eim), es9_(std::move(es9)), options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (options_.es9_attempts < 1) options_.es9_attempts = 1;
}

DownloadRelay::~DownloadRelay() = default;

std::size_t DownloadRelay::active_sessions() const {
  std::lock_guard g(mu_);
  std::size_t n = by_op_.size();
  for (const auto& [tid, s] : by_smdp_tid_) n += s->op_id.empty() ? 1 : 0;
  return n;
}

Status DownloadRelay::validate(const OpDownload& request) const {
  ESIMO_TRY(ActivationCode ac, parse_activation_code(request.activation_code));
  if (Status st = es9_->check_address(ac.smdp_address); !st.ok()) {
    return Error(Errc::failed_precondition, "activation_code: " + st.error().message, "activation_code");
  }
  if (request.confirmation_code_sha256 && request.confirmation_code_sha256->size() != 32) {
    return Error(Errc::invalid_argument, "confirmation_code_sha256: must be 32 octets", "confirmation_code_sha256");
  }
  return {};
}

// ---- session bookkeeping ----

std::shared_ptr<DownloadRelay::Session> DownloadRelay::find_by_smdp_tid(const Bytes& tid) {
  std::lock_guard g(mu_);
  auto it = by_smdp_tid_.find(to_hex(tid));
  return it == by_smdp_tid_.end() ? nullptr : it->second;
}

std::shared_ptr<DownloadRelay::Session> DownloadRelay::find_by_trigger_tid(const Bytes& tid) {
  {
    std::lock_guard g(mu_);
    auto it = by_trigger_tid_.find(to_hex(tid));
    if (it != by_trigger_tid_.end()) return it->second;
  }
  // Not in memory (an eIM restart): the trigger was recorded as a package with its operation.
  if (tid.empty() || tid.size() > 16) return nullptr;
  auto ops = eim_.store.find_operations_by_transaction(to_hex(tid));
  if (!ops || ops->empty()) return nullptr;
  return session_for_operation(ops->front());
}

std::shared_ptr<DownloadRelay::Session> DownloadRelay::session_for_device(const EidKey& key) {
  {
    std::lock_guard g(mu_);
    auto it = by_device_.find(key);
    if (it != by_device_.end()) return it->second;
  }
  auto dev = eim_.snapshot(key);
  if (!dev || dev->ambiguous) return nullptr;
  store::OperationFilter f;
  f.eid = dev->eid;
  f.state = domain::OperationState::delivered;
  f.type = "download";
  auto ops = eim_.store.list_operations(dev->tenant, f, store::Page{.limit = 10, .after = {}});
  if (!ops || ops->items.empty()) return nullptr;
  return session_for_operation(ops->items.front());
}

std::shared_ptr<DownloadRelay::Session> DownloadRelay::session_for_operation(domain::Operation op) {
  if (op.type != "download" || op.state != domain::OperationState::delivered) return nullptr;
  {
    std::lock_guard g(mu_);
    if (auto it = by_op_.find(op.id); it != by_op_.end()) return it->second;
  }
  auto req = operation_request_from_json(op.type, op.params_json);
  if (!req) return nullptr;
  const auto* dl = std::get_if<OpDownload>(&*req);
  if (dl == nullptr) return nullptr;
  auto ac = parse_activation_code(dl->activation_code);
  if (!ac) return nullptr;
  auto dev = eim_.snapshot(op.eid.to_bytes());
  auto s = std::make_shared<Session>();
  s->op_id = op.id;
  s->tenant = op.tenant_id;
  s->eid = op.eid;
  s->key = op.eid.to_bytes();
  s->version = dev ? dev->version : sgp::Version::v1_2;
  s->smdp_address = ac->smdp_address;
  s->matching_id = ac->matching_id;
  s->cc_sha256 = dl->confirmation_code_sha256;
  s->enable = dl->enable;
  s->carrier_id = dl->carrier_id;
  if (auto tid = from_hex(op.eim_transaction_id)) s->trigger_tid = std::move(*tid);
  s->last_activity = eim_.clock.now();
  std::lock_guard g(mu_);
  auto [it, inserted] = by_op_.try_emplace(op.id, s);
  if (!inserted) return it->second;
  if (!s->trigger_tid.empty()) by_trigger_tid_[to_hex(s->trigger_tid)] = s;
  by_device_[s->key] = s;
  return s;
}

void DownloadRelay::index_smdp_tid(const std::shared_ptr<Session>& s, const Bytes& tid) {
  std::lock_guard g(mu_);
  if (!s->smdp_tid.empty()) by_smdp_tid_.erase(to_hex(s->smdp_tid));
  s->smdp_tid = tid;
  by_smdp_tid_[to_hex(tid)] = s;
}

void DownloadRelay::forget(const std::shared_ptr<Session>& s) {
  std::lock_guard g(mu_);
  auto drop = [&s](auto& map, const auto& key) {
    auto it = map.find(key);
    if (it != map.end() && it->second == s) map.erase(it);
  };
  if (!s->op_id.empty()) drop(by_op_, s->op_id);
  if (!s->trigger_tid.empty()) drop(by_trigger_tid_, to_hex(s->trigger_tid));
  if (!s->smdp_tid.empty()) drop(by_smdp_tid_, to_hex(s->smdp_tid));
  if (!s->op_id.empty()) drop(by_device_, s->key);
}

void DownloadRelay::finish(Session& s, bool success, const std::string& outcome, const std::string& result_json) {
  if (!s.finished && !s.op_id.empty()) {
    s.finished = true;
    auto op = eim_.store.get_operation(s.tenant, s.op_id);
    if (op) {
      auto done = eim_.finish_operation(*op, success, outcome, result_json);
      if (!done) {
        log::warn("download operation result not recorded",
                  {{"operation", s.op_id}, {"outcome", outcome}, {"error", done.error().message}});
      }
    }
    eim_.metrics.counter("esimo_eim_downloads_total", "Relayed profile downloads by outcome", {{"outcome", outcome}})
        .inc();
    log::info("profile download finished", {{"operation", s.op_id}, {"eid", s.eid.str()}, {"outcome", outcome}});
  }
  s.finished = true;
  // The device is free for its next download now; the session itself may stay indexed by the SM-DP+ TransactionId
  // until the eUICC's CancelSession is relayed (or the session times out).
  std::lock_guard g(mu_);
  if (!s.op_id.empty()) {
    auto it = by_device_.find(s.key);
    if (it != by_device_.end() && it->second.get() == &s) by_device_.erase(it);
  }
}

void DownloadRelay::sweep(TimePoint now) {
  const Duration timeout = std::chrono::duration_cast<Duration>(options_.session_timeout);
  std::vector<std::shared_ptr<Session>> idle;
  {
    std::lock_guard g(mu_);
    auto collect = [&](const auto& map) {
      for (const auto& kv : map) {
        const Session& c = *kv.second;
        if (now - c.last_activity >= timeout ||
            (c.cancelled_at &&
             now - *c.cancelled_at >= std::chrono::duration_cast<Duration>(download_detail::kCancelGrace))) {
          idle.push_back(kv.second);
        }
      }
    };
    collect(by_op_);
    collect(by_smdp_tid_);
  }
  for (auto& s : idle) {
    std::unique_lock sl(s->m, std::try_to_lock);
    if (!sl.owns_lock()) continue;  // a message of this session is being handled right now: not idle
    if (s->cancelled_at) {
      finish(*s, false, "cancelled", s->cancel_json);
      forget(s);
      continue;
    }
    if (now - s->last_activity < timeout) continue;
    // SGP.22 gives the eIM no way to cancel the SM-DP+ session without the eUICC's signed CancelSessionResponse: the
    // SM-DP+ ends its own session on its timer. The operation ends here so the device is free for the next one.
    finish(*s, false, "session_timeout", "{\"idle_seconds\":" + std::to_string(options_.session_timeout.count()) + "}");
    forget(s);
  }
}

// ---- the trigger (GetEimPackageResponse on the device's poll) ----

std::optional<Result<Bytes>> DownloadRelay::trigger(const HotDevice& dev, const domain::Operation& op,
                                                    const OpDownload& request, sgp::Version v, TimePoint now) {
  sweep(now);
  {
    std::lock_guard g(mu_);
    auto it = by_device_.find(dev.eid.to_bytes());
    if (it != by_device_.end() && it->second->op_id != op.id) return std::nullopt;  // one download at a time
  }
  auto ac = parse_activation_code(request.activation_code);
  if (!ac) {
    (void)eim_.finish_operation(op, false, "invalid_activation_code", dd::error_json(ac.error()));
    return std::nullopt;
  }
  sgp::ProfileDownloadTriggerRequest t;
  t.profile_download_data = sgp::DownloadActivationCode{ac->text};
  const Bytes tid = crypto::random_bytes(8);
  t.eim_transaction_id = tid;
  store::EimPackageRecord rec;
  rec.eim_transaction_id = tid;
  rec.tenant_id = dev.tenant;
  rec.eid = dev.eid;
  rec.eim_id = dev.eim_id;
  rec.kind = "download";
  rec.created_at = now;
  // Durable before the trigger leaves: the operation is delivered with the trigger's eimTransactionId.
  if (Status st = eim_.store.record_package(rec, {op.id}); !st.ok()) return Result<Bytes>(st.error());
  auto s = std::make_shared<Session>();
  s->op_id = op.id;
  s->tenant = dev.tenant;
  s->eid = dev.eid;
  s->key = dev.eid.to_bytes();
  s->version = v;
  s->smdp_address = ac->smdp_address;
  s->matching_id = ac->matching_id;
  s->cc_sha256 = request.confirmation_code_sha256;
  s->enable = request.enable;
  s->carrier_id = request.carrier_id;
  s->trigger_tid = tid;
  s->last_activity = now;
  {
    std::lock_guard g(mu_);
    by_op_[op.id] = s;
    by_trigger_tid_[to_hex(tid)] = s;
    by_device_[s->key] = s;
  }
  log::info("profile download triggered", {{"operation", op.id}, {"eid", dev.eid.str()}, {"smdp", ac->smdp_address}});
  return dd::encode_answer(sgp::GetEimPackageResponse(std::move(t)), v);
}

// ---- ESipa download messages ----

Result<Bytes> DownloadRelay::handle(const sgp::EsipaMessageFromIpaToEim& message, sgp::Version v) {
  sweep(eim_.clock.now());
  if (const auto* m = std::get_if<sgp::InitiateAuthenticationRequestEsipa>(&message)) return initiate(*m, v);
  if (const auto* m = std::get_if<sgp::AuthenticateClientRequestEsipa>(&message)) return authenticate(*m, v);
  if (const auto* m = std::get_if<sgp::GetBoundProfilePackageRequestEsipa>(&message)) {
    return bound_profile_package(*m, v);
  }
  if (const auto* m = std::get_if<sgp::CancelSessionRequestEsipa>(&message)) return cancel_session(*m, v);
  return Error(Errc::unsupported, "not an indirect profile download message", "message");
}

template <class R, class F>
Result<R> DownloadRelay::call_with_retry(const char* function, F&& call) {
  auto delay = options_.es9_backoff;
  for (int attempt = 1;; ++attempt) {
    Result<R> r = call();
    const bool retriable =
        r.ok() ? dd::status_of(*r).status == sgp::es9::ExecutionStatus::expired : dd::transport_failure(r.error());
    const char* result = !r.ok() ? "error" : dd::status_of(*r).executed() ? "executed" : "failed";
    eim_.metrics
        .counter("esimo_eim_es9_requests_total", "ES9+ requests to SM-DP+s",
                 {{"function", function}, {"result", result}})
        .inc();
    if (!retriable || attempt >= options_.es9_attempts) return r;
    log::warn("ES9+ request failed; retrying", {{"function", function},
                                                {"attempt", attempt},
                                                {"error", r.ok() ? std::string("status Expired") : r.error().message}});
    options_.sleep(delay);
    delay *= 2;
  }
}

Result<Bytes> DownloadRelay::initiate(const sgp::InitiateAuthenticationRequestEsipa& m, sgp::Version v) {
  auto answer_error = [v](std::int64_t code) {
    return dd::encode_answer(sgp::InitiateAuthenticationResponseEsipa(sgp::InitiateAuthenticationErrorEsipa{code}), v);
  };
  const TimePoint now = eim_.clock.now();
  std::string address = m.smdp_address ? dd::lower(*m.smdp_address) : std::string();
  std::shared_ptr<Session> s;
  if (m.eim_transaction_id) {
    s = find_by_trigger_tid(*m.eim_transaction_id);
    if (!s) return answer_error(52);  // invalidEimTransactionId
  } else {
    // v1.0: no eimTransactionId. Bind now when exactly one triggered download waits for this SM-DP+; otherwise the
    // session is bound at AuthenticateClient by the EID of the eUICC certificate.
    std::lock_guard g(mu_);
    int candidates = 0;
    for (const auto& [id, c] : by_op_) {
      if (c->smdp_tid.empty() && !c->finished && (address.empty() || c->smdp_address == address)) {
        ++candidates;
        s = c;
      }
    }
    if (candidates != 1) s.reset();
  }
  std::unique_lock<std::mutex> sl;
  if (s) {
    sl = std::unique_lock<std::mutex>(s->m);
    if (s->finished) return answer_error(127);
    s->last_activity = now;
    if (address.empty()) address = s->smdp_address;
    if (address != s->smdp_address) {
      finish(*s, false, "smdp_address_mismatch",
             "{\"trigger\":" + dd::jstr(s->smdp_address) + ",\"ipa\":" + dd::jstr(address) + "}");
      forget(s);
      return answer_error(50);  // smdpAddressMismatch
    }
  }
  if (address.empty()) return answer_error(1);  // invalidDpAddress
  if (Status st = es9_->check_address(address); !st.ok()) {
    if (s) {
      finish(*s, false, "smdp_not_allowed", dd::error_json(st.error()));
      forget(s);
    }
    return answer_error(1);
  }
  if (!m.euicc_info1) {
    if (s) {
      finish(*s, false, "ipa_error", "{\"error\":\"InitiateAuthenticationRequestEsipa without euiccInfo1\"}");
      forget(s);
    }
    return answer_error(127);
  }
  sgp::es9::InitiateAuthenticationRequest req{m.euicc_challenge, *m.euicc_info1, address};
  auto r = call_with_retry<sgp::es9::InitiateAuthenticationResponse>(
      "initiateAuthentication", [&] { return es9_->initiate_authentication(address, req); });
  if (!r.ok()) {
    if (s) {
      finish(*s, false, dd::transport_failure(r.error()) ? "smdp_unreachable" : "smdp_protocol_error",
             dd::error_json(r.error()));
      forget(s);
    }
    return answer_error(127);
  }
  if (!r->status.executed()) {
    auto [outcome, code] = dd::name_failure(r->status, dd::kInitiateCodes);
    if (s) {
      finish(*s, false, outcome, dd::status_json(r->status));
      forget(s);
    }
    return answer_error(code);
  }
  const auto& ok = *r->ok;
  if (!s) {
    // Not bound to a device yet (v1.0): remembered by the SM-DP+'s TransactionId until AuthenticateClient.
    s = std::make_shared<Session>();
    s->smdp_address = address;
    s->last_activity = now;
  }
  index_smdp_tid(s, ok.transaction_id);
  sgp::InitiateAuthenticationOkEsipa out;
  out.transaction_id = ok.transaction_id;
  out.server_signed1 = ok.server_signed1;
  out.server_signature1 = dd::tlv_contents(ok.server_signature1);
  out.euicc_ci_pkid_to_be_used = dd::tlv_contents(ok.euicc_ci_pkid_to_be_used);
  out.server_certificate = ok.server_certificate;
  if (!s->matching_id.empty()) out.matching_id = s->matching_id;
  return dd::encode_answer(sgp::InitiateAuthenticationResponseEsipa(std::move(out)), v);
}

void DownloadRelay::record_euicc_certificates(const Session& s, const Bytes& euicc_der, const Bytes& eum_der) {
  auto euicc = crypto::Certificate::from_der(euicc_der);
  auto eum = crypto::Certificate::from_der(eum_der);
  if (!euicc || !eum) return;
  std::vector<crypto::Certificate> inter{*eum};
  if (Status st = eim_.trust->verify(*euicc, inter, eim_.clock.now()); !st.ok()) {
    // The SM-DP+ makes its own decision; the eIM only records what verifies up to its CI roots.
    log::warn("eUICC certificate seen in AuthenticateClient does not verify; not recorded",
              {{"eid", s.eid.str()}, {"error", st.error().message}});
    return;
  }
  // As at first contact: only a certificate naming this EID (subject serialNumber) may become the device's key.
  if (euicc->subject_serial_number() != s.eid.str()) {
    log::warn("eUICC certificate seen in AuthenticateClient does not name the device's EID; not recorded",
              {{"eid", s.eid.str()}});
    return;
  }
  auto busy = eim_.busy_of(s.key);
  if (!busy) return;
  std::lock_guard dev_lock(*busy);
  auto stored = eim_.store.get_euicc_state(s.tenant, s.eid);
  store::EuiccEimState st;
  if (stored) {
    if (stored->euicc_certificate_der == euicc_der && stored->eum_certificate_der == eum_der) return;
    st = std::move(*stored);
  } else if (stored.error().code == Errc::not_found) {
    auto dev = eim_.snapshot(s.key);
    st.tenant_id = s.tenant;
    st.eid = s.eid;
    st.eim_id = dev ? dev->eim_id : eim_.identity.eim_id;
    st.counter_value = dev ? dev->counter : 0;
  } else {
    return;
  }
  st.euicc_certificate_der = euicc_der;
  st.eum_certificate_der = eum_der;
  st.updated_at = eim_.clock.now();
  if (Status w = eim_.store.put_euicc_state(st); !w.ok()) {
    log::warn("eUICC certificates not recorded", {{"eid", s.eid.str()}, {"error", w.error().message}});
    return;
  }
  std::unique_lock lock(eim_.mu);
  if (auto it = eim_.devices.find(s.key); it != eim_.devices.end()) {
    it->second.euicc_verifier = std::make_shared<crypto::Verifier>(euicc->public_key());
  }
}

template <class R, class CodeTable>
std::int64_t DownloadRelay::euicc_refused(const std::shared_ptr<Session>& s, const std::string& outcome,
                                          const char* code_name, std::int64_t euicc_code, const Result<R>& smdp,
                                          const CodeTable& codes) {
  finish(*s, false, outcome,
         "{\"" + std::string(code_name) + "\":" + std::to_string(euicc_code) +
             (smdp.ok() ? ",\"smdp\":" + dd::status_json(smdp->status) : std::string()) + "}");
  forget(s);
  return smdp.ok() && !smdp->status.executed() ? dd::name_failure(smdp->status, codes).second : 127;
}

Result<Bytes> DownloadRelay::authenticate(const sgp::AuthenticateClientRequestEsipa& m, sgp::Version v) {
  auto answer_error = [v](std::int64_t code) {
    return dd::encode_answer(sgp::AuthenticateClientResponseEsipa(sgp::AuthenticateClientErrorEsipa{code}), v);
  };
  const TimePoint now = eim_.clock.now();
  auto asr = sgp::rsp22::decode_authenticate_server_response(m.authenticate_server_response);
  const auto* asr_ok = asr.ok() ? std::get_if<sgp::rsp22::AuthenticateResponseOk>(&*asr) : nullptr;
  const auto* asr_err = asr.ok() ? std::get_if<sgp::rsp22::AuthenticateResponseError>(&*asr) : nullptr;
  std::optional<domain::Eid> cert_eid;
  if (asr_ok != nullptr) cert_eid = dd::eid_of_certificate(asr_ok->euicc_certificate);

  std::shared_ptr<Session> s = find_by_smdp_tid(m.transaction_id);
  if (s && s->op_id.empty()) {
    // A v1.0 session bound now, by the EID the eUICC certificate names.
    std::shared_ptr<Session> bound = cert_eid ? session_for_device(cert_eid->to_bytes()) : nullptr;
    {
      std::lock_guard sl(s->m);
      if (bound && bound != s) {
        std::lock_guard bl(bound->m);
        if (bound->smdp_tid.empty() && bound->smdp_address == s->smdp_address) {
          forget(s);
          index_smdp_tid(bound, m.transaction_id);
        } else {
          bound.reset();
        }
      }
      if (!bound) forget(s);
    }
    s = bound;
    if (!s) {
      log::warn("AuthenticateClient of a download the eIM did not trigger; refused",
                {{"eid", cert_eid ? cert_eid->str() : std::string("unknown")}});
      return answer_error(127);
    }
  } else if (!s && cert_eid) {
    // After an eIM restart: the device's delivered download operation, continued with this TransactionId.
    s = session_for_device(cert_eid->to_bytes());
    if (s) {
      std::lock_guard sl(s->m);
      if (!s->finished) index_smdp_tid(s, m.transaction_id);
    }
  }
  if (!s) return answer_error(10);  // invalidTransactionId
  std::lock_guard sl(s->m);
  if (s->finished) return answer_error(127);  // aborted by the eIM: the IPA cancels the eUICC session
  s->last_activity = now;
  if (cert_eid && *cert_eid != s->eid) {
    finish(*s, false, "eid_mismatch", "{\"certificate_eid\":" + dd::jstr(cert_eid->str()) + "}");
    return answer_error(7);  // eidMismatch
  }
  if (!asr.ok()) {
    finish(*s, false, "ipa_error", dd::error_json(asr.error()));
    return answer_error(127);
  }

  sgp::es9::AuthenticateClientRequest req{m.transaction_id, m.authenticate_server_response};
  auto r = call_with_retry<sgp::es9::AuthenticateClientResponse>(
      "authenticateClient", [&] { return es9_->authenticate_client(s->smdp_address, req); });
  if (asr_err != nullptr) {
    // The eUICC refused the SM-DP+ (SGP.22 AuthenticateErrorCode); the SM-DP+ was told so through authenticateClient.
    return answer_error(euicc_refused(
        s, asr_err->code == 2 ? "bad_smdp_signature" : "euicc_rejected:" + dd::euicc_auth_error(asr_err->code),
        "authenticate_error_code", asr_err->code, r, dd::kAuthenticateCodes));
  }
  if (!r.ok()) {
    // The eUICC holds a session now: keep it so the IPA's CancelSession still reaches the SM-DP+.
    finish(*s, false, dd::transport_failure(r.error()) ? "smdp_unreachable" : "smdp_protocol_error",
           dd::error_json(r.error()));
    return answer_error(127);
  }
  if (!r->status.executed()) {
    auto [outcome, code] = dd::name_failure(r->status, dd::kAuthenticateCodes);
    finish(*s, false, outcome, dd::status_json(r->status));
    forget(s);
    return answer_error(code);
  }
  const auto& ok = *r->ok;
  // Recorded once the SM-DP+ has accepted euiccSignature1 under this certificate (proof that the eUICC holds its key).
  if (asr_ok != nullptr) {
    if (auto cert = crypto::Certificate::from_der(asr_ok->euicc_certificate);
        cert && cert->subject_serial_number() == s->eid.str()) {
      s->euicc_key = std::make_shared<crypto::Verifier>(cert->public_key());
    }
    record_euicc_certificates(*s, asr_ok->euicc_certificate, asr_ok->eum_certificate);
  }
  if (ok.profile_metadata) {
    if (auto md = sgp::rsp22::decode_store_metadata_request(*ok.profile_metadata)) {
      if (auto iccid = domain::Iccid::from_wire(md->iccid)) s->iccid = *iccid;
      if (md->profile_class == 0) s->profile_class = domain::ProfileClass::test;
      if (md->profile_class == 1) s->profile_class = domain::ProfileClass::provisioning;
      if (md->profile_class == 2) s->profile_class = domain::ProfileClass::operational;
      if (md->profile_owner) s->profile_owner_plmn = md->profile_owner->mcc_mnc;
    }
  }
  sgp::AuthenticateClientOkDpEsipa out;
  out.transaction_id = ok.transaction_id;
  out.profile_metadata = ok.profile_metadata;
  out.smdp_signed2 = ok.smdp_signed2;
  out.smdp_signature2 = dd::tlv_contents(ok.smdp_signature2);
  out.smdp_certificate = ok.smdp_certificate;
  if (s->cc_sha256) {
    // hashCc = SHA-256(SHA-256(Confirmation Code) || TransactionId) (SGP.22 §5.7.5); the IPA hands it to the eUICC.
    Bytes in = *s->cc_sha256;
    in.insert(in.end(), m.transaction_id.begin(), m.transaction_id.end());
    const auto h = crypto::sha256(in);
    out.hash_cc = Bytes(h.begin(), h.end());
  }
  return dd::encode_answer(sgp::AuthenticateClientResponseEsipa(std::move(out)), v);
}

Result<Bytes> DownloadRelay::bound_profile_package(const sgp::GetBoundProfilePackageRequestEsipa& m, sgp::Version v) {
  auto answer_error = [v](std::int64_t code) {
    return dd::encode_answer(sgp::GetBoundProfilePackageResponseEsipa(sgp::GetBoundProfilePackageErrorEsipa{code}), v);
  };
  std::shared_ptr<Session> s = find_by_smdp_tid(m.transaction_id);
  if (!s || s->op_id.empty()) return answer_error(95);  // invalidTransactionId
  std::lock_guard sl(s->m);
  if (s->finished) return answer_error(127);
  s->last_activity = eim_.clock.now();
  auto pdr = sgp::rsp22::decode_prepare_download_response(m.prepare_download_response);
  if (!pdr.ok()) {
    finish(*s, false, "ipa_error", dd::error_json(pdr.error()));
    return answer_error(127);
  }
  sgp::es9::GetBoundProfilePackageRequest req{m.transaction_id, m.prepare_download_response};
  auto r = call_with_retry<sgp::es9::GetBoundProfilePackageResponse>(
      "getBoundProfilePackage", [&] { return es9_->get_bound_profile_package(s->smdp_address, req); });
  if (const auto* err = std::get_if<sgp::rsp22::PrepareDownloadResponseError>(&*pdr)) {
    // The eUICC refused smdpSigned2 (SGP.22 DownloadErrorCode); relayed so the SM-DP+ ends its session.
    return answer_error(euicc_refused(
        s, err->code == 2 ? "bad_smdp_signature" : "euicc_rejected:" + dd::euicc_download_error(err->code),
        "download_error_code", err->code, r, dd::kBppCodes));
  }
  if (!r.ok()) {
    finish(*s, false, dd::transport_failure(r.error()) ? "smdp_unreachable" : "smdp_protocol_error",
           dd::error_json(r.error()));
    return answer_error(127);
  }
  if (!r->status.executed()) {
    auto [outcome, code] = dd::name_failure(r->status, dd::kBppCodes);
    // The eUICC still holds its session: its CancelSession is relayed when the IPA sends it.
    finish(*s, false, outcome, dd::status_json(r->status));
    return answer_error(code);
  }
  sgp::GetBoundProfilePackageOkEsipa out;
  out.transaction_id = r->ok->transaction_id;
  out.bound_profile_package = r->ok->bound_profile_package;
  return dd::encode_answer(sgp::GetBoundProfilePackageResponseEsipa(std::move(out)), v);
}

Result<Bytes> DownloadRelay::cancel_session(const sgp::CancelSessionRequestEsipa& m, sgp::Version v) {
  auto answer_error = [v](std::int64_t code) {
    return dd::encode_answer(sgp::CancelSessionResponseEsipa(sgp::CancelSessionErrorEsipa{code}), v);
  };
  std::shared_ptr<Session> s = find_by_smdp_tid(m.transaction_id);
  if (!s) return answer_error(1);  // invalidTransactionId
  std::lock_guard sl(s->m);
  s->last_activity = eim_.clock.now();
  std::string reason = "undefined_reason";
  if (auto alt = sgp::rsp22::decode_cancel_session_response_alternative(m.cancel_session_response)) {
    if (const auto* ok = std::get_if<sgp::rsp22::CancelSessionResponseOk>(&*alt)) {
      reason = dd::cancel_reason_name(ok->signed_data.reason);
    }
  }
  // ES9+ carries the eUICC's whole CancelSessionResponse (BF41); ESipa carries its alternative alone.
  sgp::es9::CancelSessionRequest req{m.transaction_id, dd::wrap(0xBF41, m.cancel_session_response, true)};
  auto r = call_with_retry<sgp::es9::CancelSessionResponse>("cancelSession",
                                                            [&] { return es9_->cancel_session(s->smdp_address, req); });
  std::string json = "{\"cancel_reason\":" + dd::jstr(reason);
  if (r.ok()) json += ",\"smdp\":" + dd::status_json(r->status);
  json += "}";
  if (s->finished || s->op_id.empty() || s->trigger_tid.empty() || s->version == sgp::Version::v1_0) {
    // Nothing more to learn (or, in v1.0, no eimTransactionId that would match the trigger's result to it).
    finish(*s, false, "cancelled", json);
    forget(s);
  } else {
    // A v1.2 IPA answers the trigger next, with the eUICC's refusal in profileDownloadError: that names the outcome.
    s->cancelled_at = eim_.clock.now();
    s->cancel_json = json;
    std::lock_guard g(mu_);
    by_smdp_tid_.erase(to_hex(s->smdp_tid));
  }
  if (!r.ok()) return answer_error(127);
  if (!r->status.executed()) return answer_error(dd::name_failure(r->status, dd::kCancelCodes).second);
  return dd::encode_answer(sgp::CancelSessionResponseEsipa(sgp::CancelSessionOkEsipa{}), v);
}

// ---- the installation result ----

bool DownloadRelay::installation_result(Session& s, const sgp::PendingNotification& n) {
  // The IPA relays the result, the eUICC signed it (euiccSignPIR over DER(profileInstallationResultData), SGP.22
  // §5.7.x): one that does not verify under the device's key (recorded at AuthenticateClient), or that belongs to
  // another SM-DP+ session, is ignored — not forwarded, not recorded, the operation left open for the genuine one.
  // Without this, anyone reaching ESipa who knew an EID with a download under way could record a profile of their
  // choice on it and finish the operation.
  auto pir = sgp::rsp22::decode_profile_installation_result(n.der);
  if (pir.ok()) {
    std::string why;
    std::shared_ptr<crypto::Verifier> device_key;
    if (auto dev = eim_.snapshot(s.key)) device_key = dev->euicc_verifier;
    if (!s.smdp_tid.empty() && pir->data.transaction_id != s.smdp_tid) {
      why = "another session's TransactionId";
    } else if (s.euicc_key && s.euicc_key->verify_raw(pir->data_der, pir->euicc_sign_pir).ok()) {
      // the session's key (guarded by the session mutex the caller holds)
    } else if (!device_key) {
      why = s.euicc_key ? "euiccSignPIR does not verify" : "no eUICC key known for the device";
    } else if (auto busy = eim_.busy_of(s.key); !busy) {
      why = "device gone";
    } else {
      std::lock_guard dev_lock(*busy);  // the device's verifier is used under the device's mutex
      if (!device_key->verify_raw(pir->data_der, pir->euicc_sign_pir).ok()) why = "euiccSignPIR does not verify";
    }
    if (!why.empty()) {
      eim_.verification_failures->inc();
      log::warn("ProfileInstallationResult ignored", {{"operation", s.op_id}, {"eid", s.eid.str()}, {"error", why}});
      return false;
    }
  }
  if (!s.smdp_notified) {
    auto r = call_with_retry<sgp::es9::FunctionExecutionStatus>("handleNotification", [&] {
      return es9_->handle_notification(s.smdp_address, sgp::es9::HandleNotificationRequest{n.der});
    });
    s.smdp_notified = r.ok();
    if (!r.ok()) {
      log::warn("ProfileInstallationResult not delivered to the SM-DP+",
                {{"operation", s.op_id}, {"error", r.error().message}});
    }
  }
  if (s.finished) return true;
  if (!pir.ok()) {
    finish(s, false, "ipa_error", dd::error_json(pir.error()));
    return true;
  }
  const std::string notified = s.smdp_notified ? "true" : "false";
  if (const auto* err = std::get_if<sgp::rsp22::ErrorResult>(&pir->data.final_result)) {
    finish(s, false, dd::install_error_outcome(err->bpp_command_id, err->error_reason),
           "{\"bpp_command_id\":" + std::to_string(err->bpp_command_id) +
               ",\"error_reason\":" + std::to_string(err->error_reason) + ",\"smdp_notified\":" + notified + "}");
    return true;
  }
  std::optional<domain::Iccid> iccid = s.iccid;
  if (pir->data.notification_metadata.iccid) {
    if (auto i = domain::Iccid::from_wire(*pir->data.notification_metadata.iccid)) iccid = *i;
  }
  if (!iccid) {
    finish(s, false, "ipa_error", "{\"error\":\"installation result names no ICCID\"}");
    return true;
  }
  // The installed profile, disabled (SGP.22 §3.1.3: a downloaded profile is installed Disabled), recorded against the
  // device; then, when asked, an enable queued behind it.
  std::string carrier = s.carrier_id.value_or("");
  if (carrier.empty() && s.profile_owner_plmn) {
    if (auto plmn = domain::Plmn::from_wire(*s.profile_owner_plmn)) {
      if (auto c = eim_.store.find_carrier_by_plmn(s.tenant, *plmn)) carrier = c->id;
    }
  }
  std::string enable_op;
  std::string profile_error;
  if (carrier.empty()) {
    // The store keeps profiles under a carrier; without one (no "carrier" in the request and no profile owner PLMN
    // that names a known carrier) the profile is installed on the eUICC but not recorded: a list_profiles reports it.
    profile_error = "no carrier for the installed profile: give \"carrier\" in the download request";
  } else {
    auto busy = eim_.busy_of(s.key);
    std::unique_lock<std::mutex> dev_lock;
    if (busy) dev_lock = std::unique_lock<std::mutex>(*busy);
    domain::Profile p;
    p.tenant_id = s.tenant;
    p.iccid = *iccid;
    p.eid = s.eid;
    p.carrier_id = carrier;
    p.profile_class = s.profile_class.value_or(domain::ProfileClass::operational);
    p.state = domain::ProfileState::disabled;
    p.updated_at = eim_.clock.now();
    if (Status st = eim_.store.put_profile(p); !st.ok()) {
      profile_error = st.error().message;
    } else {
      std::unique_lock lock(eim_.mu);
      eim_.iccid_index[iccid->str()] = s.key;
    }
    if (s.enable && profile_error.empty()) {
      domain::Operation op;
      op.tenant_id = s.tenant;
      op.eid = s.eid;
      op.type = "enable";
      op.params_json = to_json(OpEnable{*iccid, false});
      op.reason = "download:" + s.op_id;
      op.created_at = eim_.next_created_at();
      op.id = impl_detail::operation_id(op.created_at);
      op.updated_at = op.created_at;
      op.expires_at = op.created_at + std::chrono::duration_cast<Duration>(eim_.options.default_operation_ttl);
      if (Status st = eim_.store.create_operation(op); st.ok()) {
        enable_op = op.id;
        std::unique_lock lock(eim_.mu);
        if (auto it = eim_.devices.find(s.key); it != eim_.devices.end()) ++it->second.queued;
      } else {
        log::warn("enable after download not queued", {{"iccid", iccid->str()}, {"error", st.error().message}});
      }
    }
  }
  eim_.drop_work(s.key);  // the device's profiles and queue changed behind its hot copy
  std::string json = "{\"iccid\":" + dd::jstr(iccid->str()) + ",\"smdp_address\":" + dd::jstr(s.smdp_address) +
                     ",\"smdp_notified\":" + notified +
                     ",\"profile_recorded\":" + (profile_error.empty() ? "true" : "false");
  if (!profile_error.empty()) {
    json += ",\"profile_error\":" + dd::jstr(profile_error);
    log::warn("installed profile not recorded", {{"iccid", iccid->str()}, {"error", profile_error}});
  }
  if (!enable_op.empty()) json += ",\"enable_operation\":" + dd::jstr(enable_op);
  json += "}";
  finish(s, true, "ok", json);
  return true;
}

void DownloadRelay::on_notification(const sgp::PendingNotification& n, const std::optional<EidKey>& eid_hint) {
  if (n.kind != sgp::PendingNotificationKind::profile_installation_result) return;
  auto pir = sgp::rsp22::decode_profile_installation_result(n.der);
  std::shared_ptr<Session> s;
  if (pir.ok()) s = find_by_smdp_tid(pir->data.transaction_id);
  if (!s && eid_hint) s = session_for_device(*eid_hint);
  if (!s || s->op_id.empty()) return;
  std::lock_guard sl(s->m);
  // A result that is not the eUICC's does not keep the session alive (its idle timeout still runs).
  if (installation_result(*s, n)) forget(s);
}

void DownloadRelay::on_trigger_result(const sgp::ProfileDownloadTriggerResult& result,
                                      const std::optional<EidKey>& eid_hint) {
  std::shared_ptr<Session> s;
  if (result.eim_transaction_id) s = find_by_trigger_tid(*result.eim_transaction_id);
  if (!s && eid_hint) s = session_for_device(*eid_hint);
  if (const auto* n = std::get_if<sgp::PendingNotification>(&result.result)) {
    if (!s) {
      on_notification(*n, eid_hint);
      return;
    }
    std::lock_guard sl(s->m);
    if (installation_result(*s, *n)) forget(s);
    return;
  }
  if (!s) return;
  const auto& e = std::get<sgp::ProfileDownloadError>(result.result);
  std::lock_guard sl(s->m);
  if (!s->finished) {
    // The IPA ended the download before the eIM saw why: the eUICC's refusal, when errorResponse carries one
    // (AuthenticateServerResponse / PrepareDownloadResponse error), else SGP.32 §2.11.2.3 profileDownloadErrorReason
    // (104 ecallActive, 127 undefinedError).
    const std::int64_t reason = e.profile_download_error_reason.value_or(127);
    std::string outcome = reason == 104 ? "profile_download_error:ecall_active" : "profile_download_error:undefined";
    if (s->cancelled_at) outcome = "cancelled";
    if (e.error_response) {
      if (auto a = sgp::rsp22::decode_authenticate_server_response(*e.error_response); a.ok()) {
        if (const auto* err = std::get_if<sgp::rsp22::AuthenticateResponseError>(&*a)) {
          outcome = err->code == 2 ? "bad_smdp_signature" : "euicc_rejected:" + dd::euicc_auth_error(err->code);
        }
      } else if (auto p = sgp::rsp22::decode_prepare_download_response(*e.error_response); p.ok()) {
        if (const auto* err = std::get_if<sgp::rsp22::PrepareDownloadResponseError>(&*p)) {
          outcome = err->code == 2 ? "bad_smdp_signature" : "euicc_rejected:" + dd::euicc_download_error(err->code);
        }
      }
    }
    std::string json = "{\"profile_download_error_reason\":" + std::to_string(reason);
    if (e.error_response) json += ",\"error_response\":" + dd::jstr(to_hex(*e.error_response));
    if (s->cancelled_at) json += ",\"cancel\":" + s->cancel_json;
    json += "}";
    finish(*s, false, outcome, json);
  }
  forget(s);
}

Result<domain::Operation> DownloadRelay::cancel(const domain::Operation& op) {
  std::shared_ptr<Session> s = session_for_operation(op);
  domain::Operation done = op;
  done.state = domain::OperationState::cancelled;
  done.outcome = "cancelled";
  done.updated_at = eim_.clock.now();
  ESIMO_CHECK(eim_.store.update_operation(done, domain::OperationState::delivered));
  if (s) {
    std::lock_guard sl(s->m);
    s->finished = true;
    // No SM-DP+ session yet: nothing to cancel there. Otherwise the IPA's next message is refused, it cancels the
    // eUICC session and its CancelSession is relayed (the session stays indexed by the SM-DP+ TransactionId).
    if (s->smdp_tid.empty()) {
      forget(s);
    } else {
      std::lock_guard g(mu_);
      by_op_.erase(s->op_id);
      by_device_.erase(s->key);
    }
  }
  eim_.count_outcome("cancelled");
  return done;
}

// ---- hooks called from the shared eIM files ----

void EimService::enable_downloads(std::shared_ptr<Es9Client> es9, DownloadOptions options) {
  impl_->download = es9 ? std::make_shared<DownloadRelay>(*impl_, std::move(es9), std::move(options)) : nullptr;
}

std::size_t EimService::download_sessions() const { return impl_->download ? impl_->download->active_sessions() : 0; }

Result<Bytes> download_trigger(EimService::Impl& m, const HotDevice& dev, const domain::Operation& op,
                               const OpDownload& request, sgp::Version v, TimePoint now) {
  // Whatever happens the device's hot queue is re-read on its next poll: the operation left the queue here (delivered
  // or failed), behind the hot copy (the caller holds the device's busy mutex).
  dev.work->loaded = false;  // the eIM's copy of its queue and profiles (eim_impl.hpp DeviceWork)
  std::optional<Result<Bytes>> answer;
  if (m.download) {
    answer = m.download->trigger(dev, op, request, v, now);
  } else {
    (void)m.finish_operation(op, false, "download_not_configured",
                             "{\"error\":\"this eIM has no SM-DP+ connector (ES9+ client) configured\"}");
  }
  if (answer && answer->ok()) {
    m.polls_package->inc();
    m.packages_sent->inc();
    std::unique_lock lock(m.mu);
    if (auto it = m.devices.find(dev.eid.to_bytes()); it != m.devices.end()) {
      if (it->second.queued > 0) --it->second.queued;
      if (!it->second.awaiting_since) it->second.awaiting_since = now;
    }
  }
  if (answer) return std::move(*answer);
  m.polls_empty->inc();
  return m.no_package[impl_detail::version_index(v)];
}

Result<Bytes> download_handle(EimService::Impl& m, const sgp::EsipaMessageFromIpaToEim& message, sgp::Version v) {
  if (!m.download) {
    return Error(Errc::unsupported, "indirect profile download is not configured on this eIM (no SM-DP+ connector)",
                 "message");
  }
  return m.download->handle(message, v);
}

void download_trigger_result(EimService::Impl& m, const sgp::ProfileDownloadTriggerResult& result,
                             const std::optional<EidKey>& eid_hint) {
  if (m.download) m.download->on_trigger_result(result, eid_hint);
}

void download_notification(EimService::Impl& m, const sgp::PendingNotification& notification,
                           const std::optional<EidKey>& eid_hint) {
  if (m.download) m.download->on_notification(notification, eid_hint);
}

Status download_validate(EimService::Impl& m, domain::TenantId tenant, const OperationRequest& request) {
  const auto* dl = std::get_if<OpDownload>(&request);
  if (dl == nullptr) return {};
  if (!m.download) {
    return Error(Errc::failed_precondition, "type: 'download' needs an SM-DP+ connector; this eIM has none configured",
                 "type");
  }
  if (dl->carrier_id) {
    // The installed profile is recorded under this carrier: it must be one the tenant can see.
    if (auto c = m.store.get_carrier(tenant, *dl->carrier_id); !c.ok()) {
      if (c.error().code != Errc::not_found) return std::move(c).error();
      return Error(Errc::failed_precondition, "carrier: no carrier '" + *dl->carrier_id + "'", "carrier");
    }
  }
  return m.download->validate(*dl);
}

std::optional<Result<domain::Operation>> download_cancel(EimService::Impl& m, const domain::Operation& op) {
  if (op.type != "download" || op.state != domain::OperationState::delivered || !m.download) return std::nullopt;
  return m.download->cancel(op);
}

}  // namespace esimo::eim
