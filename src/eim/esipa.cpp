// ESipa requests: GetEimPackageRequest (polls: the hot path), ProvideEimPackageResult, HandleNotificationEsipa.
#include <boost/json.hpp>

#include "base/log.hpp"
#include "crypto/random.hpp"
#include "eim/download_relay.hpp"
#include "eim/eim_impl.hpp"
#include "sgp/codec.hpp"

namespace esimo::eim {

namespace esipa_detail {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

Result<Bytes> encode_response(const sgp::GetEimPackageResponse& r, sgp::Version v) {
  return sgp::encode(sgp::EsipaMessageFromEimToIpa(r), v);
}

Result<Bytes> package_error(std::int64_t code, sgp::Version v) {
  return encode_response(sgp::EimPackageError{code}, v);
}

enum class PackageKind { psmo, eco, data };

Bytes wire_iccid(const domain::Iccid& i) {
  const auto w = i.to_wire();
  return Bytes(w.begin(), w.end());
}

std::optional<sgp::Psmo> to_psmo(const OperationRequest& r) {
  return std::visit(
      Overloaded{
          [](const OpEnable& x) -> std::optional<sgp::Psmo> { return sgp::PsmoEnable{wire_iccid(x.iccid), x.rollback}; },
          [](const OpDisable& x) -> std::optional<sgp::Psmo> { return sgp::PsmoDisable{wire_iccid(x.iccid)}; },
          [](const OpDelete& x) -> std::optional<sgp::Psmo> { return sgp::PsmoDelete{wire_iccid(x.iccid)}; },
          [](const OpListProfiles& x) -> std::optional<sgp::Psmo> {
            sgp::PsmoListProfileInfo l;
            if (x.iccid) l.search_iccid = wire_iccid(*x.iccid);
            return l;
          },
          [](const OpGetRat&) -> std::optional<sgp::Psmo> { return sgp::PsmoGetRat{}; },
          [](const OpConfigureImmediateEnable& x) -> std::optional<sgp::Psmo> {
            sgp::PsmoConfigureImmediateEnable c;
            c.immediate_enable_flag = x.immediate_enable;
            c.default_smdp_address = x.default_smdp_address;
            return c;
          },
          [](const OpSetFallback& x) -> std::optional<sgp::Psmo> {
            return sgp::PsmoSetFallbackAttribute{wire_iccid(x.iccid)};
          },
          [](const OpUnsetFallback&) -> std::optional<sgp::Psmo> { return sgp::PsmoUnsetFallbackAttribute{}; },
          [](const OpSetDefaultDp& x) -> std::optional<sgp::Psmo> { return sgp::PsmoSetDefaultDpAddress{x.address}; },
          [](const auto&) -> std::optional<sgp::Psmo> { return std::nullopt; },
      },
      r);
}

std::optional<sgp::Eco> to_eco(const OperationRequest& r) {
  return std::visit(Overloaded{
                        [](const OpAddEim& x) -> std::optional<sgp::Eco> { return sgp::EcoAddEim{x.config}; },
                        [](const OpUpdateEim& x) -> std::optional<sgp::Eco> { return sgp::EcoUpdateEim{x.config}; },
                        [](const OpDeleteEim& x) -> std::optional<sgp::Eco> { return sgp::EcoDeleteEim{x.eim_id}; },
                        [](const OpListEim&) -> std::optional<sgp::Eco> { return sgp::EcoListEim{}; },
                        [](const auto&) -> std::optional<sgp::Eco> { return std::nullopt; },
                    },
                    r);
}

PackageKind kind_of(const OperationRequest& r) {
  if (std::holds_alternative<OpEuiccData>(r)) return PackageKind::data;
  return to_eco(r) ? PackageKind::eco : PackageKind::psmo;
}

const char* kind_name(PackageKind k) {
  switch (k) {
    case PackageKind::psmo: return "psmo";
    case PackageKind::eco: return "eco";
    case PackageKind::data: return "euicc_data";
  }
  return "psmo";
}

// The eIM's own first-contact request: association token, EUM and eUICC certificates (SGP.32 §2.11.1.2).
const Bytes kLearnTags{0x84, 0xA5, 0xA6};

// Whether a tagList (a concatenation of BER tags, SGP.32 §2.11.1.2) holds the one-byte tag `tag`.
bool tag_list_has(const Bytes& tags, std::uint8_t tag) {
  for (std::size_t i = 0; i < tags.size();) {
    const std::size_t start = i;
    if ((tags[i++] & 0x1F) == 0x1F) {
      while (i < tags.size() && (tags[i] & 0x80)) ++i;
      ++i;
    }
    if (i - start == 1 && tags[start] == tag) return true;
  }
  return false;
}

const char* state_change_cause_name(std::int64_t c) {
  switch (c) {
    case 0: return "other_eim";
    case 1: return "fallback";
    case 2: return "emergency_profile";
    case 3: return "local";
    case 4: return "reset";
    case 5: return "immediate_enable_profile";
    case 6: return "device_change";
    default: return "undefined";
  }
}

}  // namespace esipa_detail

Result<Bytes> EimService::Impl::handle_get_package(const sgp::GetEimPackageRequest& req, sgp::Version v) {
  if (req.eid.size() != 16) return esipa_detail::package_error(3, v);  // invalidEid
  EidKey key;
  std::memcpy(key.data(), req.eid.data(), 16);
  sgp::Version dv = v;
  {
    // Hot path: an empty poll reads only this.
    std::shared_lock lock(mu);
    auto it = devices.find(key);
    if (it == devices.end() || it->second.ambiguous) {
      const bool known = it != devices.end();
      lock.unlock();
      if (!known && discover(key)) return handle_get_package(req, v);
      polls_unknown->inc();
      return esipa_detail::package_error(2, v);  // eidNotFound
    }
    dv = it->second.version;
    const bool overdue = it->second.awaiting_since &&
                         clock.now() - *it->second.awaiting_since >= std::chrono::duration_cast<Duration>(
                                                                         options.delivered_timeout);
    if (!req.notify_state_change && it->second.queued == 0 && !it->second.needs_euicc_data() && !overdue) {
      polls_empty->inc();
      return no_package[impl_detail::version_index(dv)];
    }
  }
  auto busy = busy_of(key);
  if (!busy) return esipa_detail::package_error(2, v);
  std::lock_guard dev_lock(*busy);
  auto dev = snapshot(key);
  if (!dev) return esipa_detail::package_error(2, v);
  const TimePoint now = clock.now();
  if (dev->awaiting_since && now - *dev->awaiting_since >= std::chrono::duration_cast<Duration>(options.delivered_timeout)) {
    ESIMO_CHECK(sweep_delivered(*dev, now));
  }
  // The queue comes from the hot state (loaded from the store on a miss), not from a store read per poll. A first
  // contact uses neither the queue nor the profiles (only the eUICC data request goes out until it is answered), so
  // it loads nothing: a fleet's first contacts then cost no store read.
  DeviceWork* work = dev->work.get();
  if (!dev->needs_euicc_data() || req.notify_state_change) {
    ESIMO_TRY(work, work_of(*dev));
  }
  if (req.notify_state_change) {
    // SGP.32 v1.2 §3.5: the eUICC's profile state changed without an eIM package (fallback, rollback, local ...). The
    // eIM learns the new state from a listProfileInfo, queued unless one is already waiting.
    const std::string cause =
        req.state_change_cause ? esipa_detail::state_change_cause_name(*req.state_change_cause) : "unspecified";
    ESIMO_CHECK(queue_list_profiles(*dev, *work, "eim:state_change:" + cause));
  }

  // First contact: learn the association token and the certificates before anything is signed for this eUICC.
  std::vector<domain::Operation> batch;
  esipa_detail::PackageKind kind = esipa_detail::PackageKind::data;
  std::optional<OperationRequest> data_request;
  std::size_t consumed = 0;  // leading queue entries this poll used up (sent in the package, or failed as invalid)
  if (!dev->needs_euicc_data()) {
    auto& queue = work->queue;
    for (auto it = queue.begin(); it != queue.end();) {
      if (it->expires_at && *it->expires_at <= now) {
        domain::Operation done = *it;
        done.state = domain::OperationState::expired;
        done.outcome = "expired";
        done.updated_at = now;
        if (store.update_operation(done, domain::OperationState::queued).ok()) count_outcome("expired");
        it = queue.erase(it);
        continue;
      }
      ++it;
    }
    std::vector<OperationRequest> requests;
    for (; consumed < queue.size(); ++consumed) {
      const domain::Operation& op = queue[consumed];
      auto r = operation_request_from_json(op.type, op.params_json);
      if (!r) {
        (void)finish_operation(op, false, "invalid_request", "{\"error\":" + boost::json::serialize(
                                                                    boost::json::value(r.error().message)) + "}");
        continue;
      }
      if (const auto* dl = std::get_if<OpDownload>(&*r)) {  // a download goes alone, as a trigger (download_relay.cpp)
        if (batch.empty()) return download_trigger(*this, *dev, op, *dl, dv, now);
        break;
      }
      const auto k = esipa_detail::kind_of(*r);
      if (batch.empty()) {
        kind = k;
      } else if (k != kind || kind == esipa_detail::PackageKind::data || batch.size() >= options.max_psmos_per_package) {
        break;
      }
      if (k == esipa_detail::PackageKind::data) data_request = *r;
      requests.push_back(std::move(*r));
      batch.push_back(op);
      if (kind == esipa_detail::PackageKind::data) {
        ++consumed;
        break;
      }
    }
    if (batch.empty()) {
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(consumed));
      sync_queued(key, *work);
      polls_empty->inc();
      return no_package[impl_detail::version_index(dv)];
    }
    if (kind != esipa_detail::PackageKind::data) {
      // ---- EuiccPackageRequest (SGP.32 §2.11.1.1)
      sgp::EuiccPackageSigned eps;
      eps.eim_id = dev->eim_id;
      eps.eid = req.eid;
      eps.counter_value = dev->counter + 1;
      eps.eim_transaction_id = crypto::random_bytes(8);
      if (kind == esipa_detail::PackageKind::psmo) {
        sgp::PsmoList l;
        for (const auto& r : requests) l.push_back(*esipa_detail::to_psmo(r));
        eps.euicc_package = std::move(l);
      } else {
        sgp::EcoList l;
        for (const auto& r : requests) l.push_back(*esipa_detail::to_eco(r));
        eps.euicc_package = std::move(l);
      }
      ESIMO_TRY(Bytes signed_der, sgp::encode_euicc_package_signed(eps, dv));
      // eimSignature over DER(euiccPackageSigned) || associationToken data object (SGP.32 §2.11.1.1).
      if (dev->association_token) {
        const Bytes tok = impl_detail::association_token_object(*dev->association_token);
        signed_der.insert(signed_der.end(), tok.begin(), tok.end());
      }
      ESIMO_TRY(Bytes sig, identity.signer->sign_raw(signed_der));
      store::EimPackageRecord rec;
      rec.eim_transaction_id = *eps.eim_transaction_id;
      rec.tenant_id = dev->tenant;
      rec.eid = dev->eid;
      rec.eim_id = dev->eim_id;
      rec.kind = esipa_detail::kind_name(kind);
      rec.counter_value = eps.counter_value;
      rec.eim_signature = sig;
      rec.created_at = now;
      std::vector<std::string> ids;
      for (const auto& op : batch) ids.push_back(op.id);
      // Durable before the package leaves (CONVENTIONS; SGP.32 §2.11.1.1 replay protection).
      if (Status st = store.record_package(rec, ids); !st.ok()) {
        work->loaded = false;  // the store may know better: reload the queue on the next poll
        if (st.error().code == Errc::conflict) {
          // Another writer moved the counter or an operation: re-read and let the next poll retry.
          if (auto fresh = store.get_euicc_state(dev->tenant, dev->eid)) {
            std::unique_lock lock(mu);
            if (auto it = devices.find(key); it != devices.end()) apply_state(it->second, *fresh);
          }
        }
        return st.error();
      }
      // What the result will be matched and verified against (SGP.32 §2.11.2.1), kept instead of read back.
      InFlightPackage flight;
      flight.eim_transaction_id = rec.eim_transaction_id;
      flight.counter_value = rec.counter_value;
      flight.eim_signature = sig;
      const std::string tid_hex = to_hex(rec.eim_transaction_id);
      for (auto& op : batch) {
        op.state = domain::OperationState::delivered;
        op.counter_value = rec.counter_value;
        op.eim_transaction_id = tid_hex;
        op.delivered_at = now;
        op.updated_at = now;
        flight.operations.push_back(op);
      }
      if (work->in_flight.size() >= DeviceWork::kMaxInFlight) work->in_flight.erase(work->in_flight.begin());
      work->in_flight.push_back(std::move(flight));
      work->queue.erase(work->queue.begin(), work->queue.begin() + static_cast<std::ptrdiff_t>(consumed));
      {
        std::unique_lock lock(mu);
        if (auto it = devices.find(key); it != devices.end()) {
          it->second.counter = eps.counter_value;
          if (!it->second.awaiting_since) it->second.awaiting_since = now;
          it->second.queued = static_cast<std::uint32_t>(work->queue.size());
        }
      }
      sgp::EuiccPackageRequest pkg;
      pkg.euicc_package_signed = std::move(eps);
      pkg.eim_signature = std::move(sig);
      polls_package->inc();
      packages_sent->inc();
      return esipa_detail::encode_response(std::move(pkg), dv);
    }
  }
  // ---- IpaEuiccDataRequest (SGP.32 §2.11.1.2): first contact or a queued euicc_data operation.
  sgp::IpaEuiccDataRequest data;
  data.tag_list = data_request ? std::get<OpEuiccData>(*data_request).tag_list : esipa_detail::kLearnTags;
  // A v1.0 IpaEuiccData answer carries neither the EID nor a transaction id (SGP.32 v1.0 §2.11.2.2): asking for the
  // eUICC certificate too lets the answer name its device (serialNumber = EID).
  if (dv == sgp::Version::v1_0 && !esipa_detail::tag_list_has(data.tag_list, 0xA6)) data.tag_list.push_back(0xA6);
  const Bytes tid = crypto::random_bytes(8);
  if (dv == sgp::Version::v1_2) data.eim_transaction_id = tid;
  store::EimPackageRecord rec;
  rec.eim_transaction_id = tid;
  rec.tenant_id = dev->tenant;
  rec.eid = dev->eid;
  rec.eim_id = dev->eim_id;
  rec.kind = "euicc_data";
  rec.created_at = now;
  std::vector<std::string> ids;
  for (const auto& op : batch) ids.push_back(op.id);
  if (Status st = store.record_package(rec, ids); !st.ok()) {
    work->loaded = false;
    return st.error();
  }
  {
    // The open request its answer is matched against without a store read (handle_euicc_data): a v1.2 answer by
    // this eimTransactionId and its EID; a v1.0 answer, which carries neither, as the device's oldest open one. The
    // unsigned answer's association token is believed only as the answer to such a request.
    InFlightPackage flight;
    flight.eim_transaction_id = tid;
    flight.euicc_data = true;
    flight.sent_at = now;
    if (batch.empty()) {
      // A first-contact request supersedes the earlier ones (the IPA did not answer them): a v1.0 answer, which
      // names no request, must not be taken by one of those, nor an older entry keep the window open.
      std::erase_if(work->in_flight,
                    [](const InFlightPackage& f) { return f.euicc_data && f.operations.empty(); });
    }
    const std::string tid_hex = to_hex(tid);
    for (auto op : batch) {
      op.state = domain::OperationState::delivered;
      op.eim_transaction_id = tid_hex;
      op.delivered_at = now;
      op.updated_at = now;
      flight.operations.push_back(std::move(op));
    }
    if (work->in_flight.size() >= DeviceWork::kMaxInFlight) work->in_flight.erase(work->in_flight.begin());
    work->in_flight.push_back(std::move(flight));
  }
  if (!batch.empty()) {
    work->queue.erase(work->queue.begin(), work->queue.begin() + static_cast<std::ptrdiff_t>(consumed));
    std::unique_lock lock(mu);
    if (auto it = devices.find(key); it != devices.end()) {
      it->second.queued = static_cast<std::uint32_t>(work->queue.size());
      if (!it->second.awaiting_since) it->second.awaiting_since = now;
    }
  }
  polls_package->inc();
  packages_sent->inc();
  return esipa_detail::encode_response(std::move(data), dv);
}

Status EimService::Impl::queue_list_profiles(const HotDevice& dev, DeviceWork& work, std::string reason) {
  for (const auto& op : work.queue) {
    if (op.type == "list_profiles") return {};
  }
  domain::Operation op;
  op.tenant_id = dev.tenant;
  op.eid = dev.eid;
  op.type = "list_profiles";
  op.params_json = to_json(OpListProfiles{});
  op.reason = std::move(reason);
  op.created_at = next_created_at();
  op.id = impl_detail::operation_id(op.created_at);
  op.updated_at = op.created_at;
  op.expires_at = op.created_at + std::chrono::duration_cast<Duration>(options.default_operation_ttl);
  ESIMO_CHECK(store.create_operation(op));
  work.queue.push_back(std::move(op));
  sync_queued(dev.eid.to_bytes(), work);
  return {};
}

void EimService::Impl::sync_queued(const EidKey& key, const DeviceWork& work) {
  std::unique_lock lock(mu);
  if (auto it = devices.find(key); it != devices.end()) {
    it->second.queued = static_cast<std::uint32_t>(work.queue.size());
  }
}

Status EimService::Impl::sweep_delivered(const HotDevice& dev, TimePoint now) {
  const Duration timeout = std::chrono::duration_cast<Duration>(options.delivered_timeout);
  store::OperationFilter f;
  f.eid = dev.eid;
  f.state = domain::OperationState::delivered;
  std::optional<TimePoint> oldest;
  store::Page page{.limit = 1000, .after = {}};
  for (;;) {
    ESIMO_TRY(auto ops, store.list_operations(dev.tenant, f, page));
    for (const auto& op : ops.items) {
      const TimePoint at = op.delivered_at.value_or(op.updated_at);
      if (now - at < timeout) {
        if (!oldest || at < *oldest) oldest = at;
        continue;
      }
      domain::Operation done = op;
      done.state = domain::OperationState::expired;
      done.outcome = "delivered_timeout";
      done.updated_at = now;
      if (store.update_operation(done, domain::OperationState::delivered).ok()) count_outcome("delivered_timeout");
    }
    if (!ops.next_after) break;
    page.after = *ops.next_after;
  }
  dev.work->loaded = false;  // operations changed state behind the hot copy (caller holds the busy mutex)
  std::unique_lock lock(mu);
  if (auto it = devices.find(dev.eid.to_bytes()); it != devices.end()) it->second.awaiting_since = oldest;
  return {};
}

Result<Bytes> EimService::Impl::handle_provide_result(const sgp::ProvideEimPackageResult& m, sgp::Version v) {
  std::optional<EidKey> hint;
  if (m.eid) {
    if (m.eid->size() != 16) {
      sgp::ProvideEimPackageResultResponse r;
      r.kind = sgp::ProvideEimPackageResultResponse::Kind::error;
      r.error_code = 3;  // invalidEid
      return sgp::encode(sgp::EsipaMessageFromEimToIpa(r), v);
    }
    EidKey k;
    std::memcpy(k.data(), m.eid->data(), 16);
    bool known = false;
    {
      std::shared_lock lock(mu);
      auto it = devices.find(k);
      known = it != devices.end() && !it->second.ambiguous;
    }
    if (!known) {
      sgp::ProvideEimPackageResultResponse r;
      r.kind = sgp::ProvideEimPackageResultResponse::Kind::error;
      r.error_code = 2;  // eidNotFound
      return sgp::encode(sgp::EsipaMessageFromEimToIpa(r), v);
    }
    hint = k;
  }
  std::vector<std::int64_t> acks;
  Status st = std::visit(
      esipa_detail::Overloaded{
          [&](const sgp::EuiccPackageResult& r) { return handle_package_result(r, hint); },
          [&](const sgp::EprAndNotifications& r) {
            Status s = handle_package_result(r.euicc_package_result, hint);
            apply_notifications(r.notification_list, hint, acks);
            return s;
          },
          [&](const sgp::IpaEuiccDataResponse& r) { return handle_euicc_data(r, hint, acks); },
          [&](const sgp::ProfileDownloadTriggerResult& r) {
            download_trigger_result(*this, r, hint);
            if (const auto* n = std::get_if<sgp::PendingNotification>(&r.result)) {
              apply_notifications({*n}, hint, acks);
            }
            return Status{};
          },
          [&](const sgp::EimPackageResultError& e) { return handle_package_result_error(e); },
      },
      m.result);
  if (!st.ok()) return st.error();
  sgp::ProvideEimPackageResultResponse r;
  if (!acks.empty()) {
    r.kind = sgp::ProvideEimPackageResultResponse::Kind::acknowledgements;
    r.seq_numbers = std::move(acks);
  }
  return sgp::encode(sgp::EsipaMessageFromEimToIpa(r), v);
}

Result<Bytes> EimService::Impl::handle_notification(const sgp::HandleNotificationEsipa& m, sgp::Version v) {
  if (const auto* p = std::get_if<sgp::ProvideEimPackageResult>(&m)) {
    ESIMO_TRY(Bytes ignored, handle_provide_result(*p, v));
    (void)ignored;
    return Bytes{};
  }
  std::vector<std::int64_t> acks;
  download_notification(*this, std::get<sgp::PendingNotification>(m), std::nullopt);
  apply_notifications({std::get<sgp::PendingNotification>(m)}, std::nullopt, acks);
  // ESipa.HandleNotification is answered with 204 No Content (SGP.32 §6.1): the IPA may then drop it.
  return Bytes{};
}

}  // namespace esimo::eim
