// EimService: lifecycle, the REST side (submit/cancel/device_changed), ESipa dispatch and association export.
#include <algorithm>
#include <map>

#include "base/log.hpp"
#include "crypto/random.hpp"
#include "eim/download_relay.hpp"
#include "eim/eim_impl.hpp"
#include "sgp/codec.hpp"

namespace esimo::eim {

namespace impl_detail {

std::string operation_id(TimePoint created_at) {
  // Ten base-62 digits of the creation time (microseconds since 1970, fixed width; the digits in ASCII order, so the
  // ids sort as the times do until the year 28,000) and ten random characters.
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(0, created_at.time_since_epoch().count()));
  std::string id = "op_0000000000";
  for (std::size_t i = id.size(); i > 3 && us > 0; --i, us /= 62) id[i - 1] = kDigits[us % 62];
  return id + crypto::random_alnum(10);
}

Bytes association_token_object(std::int64_t token) {
  // Minimal two's-complement big-endian content of an INTEGER.
  Bytes content;
  for (int shift = 56; shift >= 0; shift -= 8) content.push_back(static_cast<std::uint8_t>((token >> shift) & 0xFF));
  std::size_t skip = 0;
  while (skip + 1 < content.size()) {
    const std::uint8_t b = content[skip];
    const std::uint8_t next = content[skip + 1];
    if ((b == 0x00 && (next & 0x80) == 0) || (b == 0xFF && (next & 0x80) != 0)) {
      ++skip;
    } else {
      break;
    }
  }
  Bytes out;
  out.reserve(2 + content.size() - skip);
  out.push_back(0x84);
  out.push_back(static_cast<std::uint8_t>(content.size() - skip));
  for (std::size_t i = skip; i < content.size(); ++i) out.push_back(content[i]);
  return out;
}

}  // namespace impl_detail

namespace service_detail {

Bytes encode_no_package(sgp::Version v) {
  sgp::EsipaMessageFromEimToIpa m = sgp::GetEimPackageResponse(sgp::EimPackageError{1});
  auto b = sgp::encode(m, v);
  return b ? std::move(*b) : Bytes{};
}

bool fallback_only(const OperationRequest& r) {
  return std::holds_alternative<OpSetFallback>(r) || std::holds_alternative<OpUnsetFallback>(r) ||
         std::holds_alternative<OpSetDefaultDp>(r);
}

const domain::Iccid* iccid_of(const OperationRequest& r) {
  if (const auto* x = std::get_if<OpEnable>(&r)) return &x->iccid;
  if (const auto* x = std::get_if<OpDisable>(&r)) return &x->iccid;
  if (const auto* x = std::get_if<OpDelete>(&r)) return &x->iccid;
  if (const auto* x = std::get_if<OpSetFallback>(&r)) return &x->iccid;
  return nullptr;
}

// The eUICC a ProvideEimPackageResult answers for, from its eimTransactionId (the package record) or the eUICC
// certificate it carries (serialNumber = EID).
std::optional<Bytes> device_of_result(EimService::Impl& m, const sgp::ProvideEimPackageResult& p) {
  std::optional<Bytes> tid;
  std::optional<Bytes> cert;
  auto from_result = [&](const sgp::EuiccPackageResult& r) {
    if (const auto* x = std::get_if<sgp::EuiccPackageResultSigned>(&r)) tid = x->data.eim_transaction_id;
    if (const auto* x = std::get_if<sgp::EuiccPackageErrorSigned>(&r)) tid = x->data.eim_transaction_id;
    if (const auto* x = std::get_if<sgp::EuiccPackageErrorUnsigned>(&r)) tid = x->eim_transaction_id;
  };
  if (const auto* r = std::get_if<sgp::EuiccPackageResult>(&p.result)) from_result(*r);
  if (const auto* r = std::get_if<sgp::EprAndNotifications>(&p.result)) from_result(r->euicc_package_result);
  if (const auto* r = std::get_if<sgp::EimPackageResultError>(&p.result)) tid = r->eim_transaction_id;
  if (const auto* r = std::get_if<sgp::IpaEuiccDataResponse>(&p.result)) {
    if (const auto* d = std::get_if<sgp::IpaEuiccData>(r)) {
      tid = d->eim_transaction_id;
      cert = d->euicc_certificate;
    } else {
      tid = std::get<sgp::IpaEuiccDataError>(*r).eim_transaction_id;
    }
  }
  if (tid && !tid->empty() && tid->size() <= 16) {
    if (auto pkg = m.store.get_package(*tid)) {
      const auto k = pkg->eid.to_bytes();
      return Bytes(k.begin(), k.end());
    }
  }
  if (cert) {
    if (auto c = crypto::Certificate::from_der(*cert)) {
      if (auto serial = c->subject_serial_number()) {
        if (auto eid = domain::Eid::parse(*serial)) {
          const auto k = eid->to_bytes();
          return Bytes(k.begin(), k.end());
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace service_detail

EimService::Impl::Impl(store::Store& s, const Clock& c, EimIdentity id, EimOptions o, metrics::Registry& m)
    : store(s), clock(c), identity(std::move(id)), options(o), metrics(m) {
  for (const auto& der : identity.ci_root_certificates_der) {
    auto cert = crypto::Certificate::from_der(der);
    if (!cert) {
      config_error = Error(Errc::invalid_argument, "CI root certificate: " + cert.error().message, "ci_roots");
      continue;
    }
    ci_roots.push_back(std::move(*cert));
  }
  trust = std::make_unique<crypto::TrustStore>(ci_roots);
  no_package[impl_detail::version_index(sgp::Version::v1_0)] = service_detail::encode_no_package(sgp::Version::v1_0);
  no_package[impl_detail::version_index(sgp::Version::v1_2)] = service_detail::encode_no_package(sgp::Version::v1_2);
  polls_empty = &metrics.counter("esimo_eim_polls_total", "ESipa GetEimPackage polls", {{"result", "empty"}});
  polls_package = &metrics.counter("esimo_eim_polls_total", "ESipa GetEimPackage polls", {{"result", "package"}});
  polls_unknown = &metrics.counter("esimo_eim_polls_total", "ESipa GetEimPackage polls", {{"result", "unknown_eid"}});
  packages_sent = &metrics.counter("esimo_eim_packages_sent_total", "Packages (eUICC packages and eUICC data "
                                                                    "requests) sent");
  verification_failures = &metrics.counter("esimo_eim_verification_failures_total",
                                           "eUICC result and notification signatures or certificate chains "
                                           "that did not verify");
  notifications = &metrics.counter("esimo_eim_notifications_total", "Notifications received from IPAs");
  unmatched_answers = &metrics.counter("esimo_eim_unmatched_euicc_data_total",
                                       "Unsigned eUICC data answers that answer no open request of their device "
                                       "(ignored: nothing learned or finished)");
}

TimePoint EimService::Impl::next_created_at() {
  // Strictly increasing creation times, so "creation order" is the submission order even within one clock tick.
  std::lock_guard lock(created_mu);
  TimePoint t = clock.now();
  if (t <= last_created) t = last_created + Duration(1);
  last_created = t;
  return t;
}

void EimService::Impl::count_outcome(std::string_view outcome) {
  metrics.counter("esimo_eim_results_total", "Operation results by outcome", {{"outcome", std::string(outcome)}}).inc();
}

void EimService::Impl::apply_state(HotDevice& d, const store::EuiccEimState& st) {
  d.emulated = st.emulated;
  if (!st.eim_id.empty()) d.eim_id = st.eim_id;
  d.counter = std::max(d.counter, st.counter_value);
  d.association_token = st.association_token;
  if (st.notification_seq && (!d.notification_seq || *st.notification_seq > *d.notification_seq)) {
    d.notification_seq = st.notification_seq;
  }
  if (!st.euicc_certificate_der.empty()) {
    auto cert = crypto::Certificate::from_der(st.euicc_certificate_der);
    if (cert) {
      d.euicc_verifier = std::make_shared<crypto::Verifier>(cert->public_key());
    } else {
      log::warn("stored eUICC certificate does not parse; it will be requested again", {{"eid", d.eid.str()}});
    }
  }
}

std::shared_ptr<std::mutex> EimService::Impl::busy_of(const EidKey& k) {
  std::shared_lock lock(mu);
  auto it = devices.find(k);
  return it == devices.end() ? nullptr : it->second.busy;
}

std::optional<HotDevice> EimService::Impl::snapshot(const EidKey& k) {
  std::shared_lock lock(mu);
  auto it = devices.find(k);
  if (it == devices.end()) return std::nullopt;
  return it->second;
}

Result<DeviceWork*> EimService::Impl::work_of(const HotDevice& dev) {
  DeviceWork& w = *dev.work;
  if (w.loaded) return &w;
  // Reload on miss: the store is the durable record (start-up, or after something made this copy stale).
  ESIMO_TRY(store::DeviceRecord rec, store.get_device(dev.tenant, dev.eid));
  ESIMO_TRY(auto queued, store.list_queued_operations(dev.tenant, dev.eid));
  w.queue = std::move(queued);
  w.profiles.clear();
  for (const auto& p : rec.profiles) w.profiles.push_back(HotProfile{p.iccid, p.state, p.fallback});
  w.active_iccid = rec.device.active_iccid;
  w.loaded = true;
  std::unique_lock lock(mu);
  if (auto it = devices.find(dev.eid.to_bytes()); it != devices.end() && it->second.work.get() == &w) {
    it->second.queued = static_cast<std::uint32_t>(w.queue.size());
  }
  return &w;
}

void EimService::Impl::drop_work(const EidKey& k) {
  std::shared_ptr<std::mutex> busy;
  std::shared_ptr<DeviceWork> work;
  {
    std::shared_lock lock(mu);
    auto it = devices.find(k);
    if (it == devices.end()) return;
    busy = it->second.busy;
    work = it->second.work;
  }
  std::lock_guard g(*busy);
  work->loaded = false;
}

Status EimService::Impl::refresh_device(domain::TenantId tenant, const domain::Eid& eid) {
  const EidKey key = eid.to_bytes();
  auto rec = store.get_device(tenant, eid);
  ESIMO_TRY(auto tenants, store.find_device_tenants(eid));
  if (!rec && rec.error().code != Errc::not_found) return std::move(rec).error();
  std::unique_lock lock(mu);
  if (!rec) {
    auto it = devices.find(key);
    if (it != devices.end() && it->second.tenant == tenant) {
      for (auto ii = iccid_index.begin(); ii != iccid_index.end();) {
        ii = ii->second == key ? iccid_index.erase(ii) : std::next(ii);
      }
      devices.erase(it);
    }
    if (tenants.size() == 1) {
      lock.unlock();
      return refresh_device(tenants.front(), eid);
    }
    return {};
  }
  HotDevice& d = devices[key];
  const bool fresh = d.tenant != tenant;
  if (fresh) d = HotDevice{};
  d.tenant = tenant;
  d.eid = eid;
  d.version = impl_detail::to_sgp(rec->device.sgp32_version);
  d.ambiguous = tenants.size() > 1;
  if (d.eim_id.empty()) d.eim_id = identity.eim_id;
  if (d.ambiguous) {
    log::warn("EID is held by more than one tenant; the eIM will not serve it", {{"eid", eid.str()}});
  }
  for (const auto& p : rec->profiles) iccid_index[p.iccid.str()] = key;
  lock.unlock();
  auto st = store.get_euicc_state(tenant, eid);
  auto queued = store.list_queued_operations(tenant, eid);
  lock.lock();
  auto it = devices.find(key);
  if (it == devices.end()) return {};
  // A device whose stored eIM state could not be read is not served half-loaded: from defaults, its first contact
  // would write emulated=false or our eimId over what is stored. A device new to memory is forgotten (the next poll
  // loads it again); one already served keeps what was loaded before.
  const Error* failed = !st && st.error().code != Errc::not_found ? &st.error() : (!queued ? &queued.error() : nullptr);
  if (failed != nullptr) {
    Error e = *failed;
    if (fresh) {
      for (auto ii = iccid_index.begin(); ii != iccid_index.end();) {
        ii = ii->second == key ? iccid_index.erase(ii) : std::next(ii);
      }
      devices.erase(it);
    }
    lock.unlock();
    log::warn("device's eIM state could not be read", {{"eid", eid.str()}, {"error", e.message}});
    return e;
  }
  if (st) apply_state(it->second, *st);
  if (queued) it->second.queued = static_cast<std::uint32_t>(queued->size());
  lock.unlock();
  drop_work(key);  // its profiles or operations may have changed: the next slow path reloads them
  return {};
}

bool EimService::Impl::discover(const EidKey& key) {
  const TimePoint now = clock.now();
  {
    std::lock_guard g(discover_mu);
    auto it = discover_misses.find(key);
    if (it != discover_misses.end() && now - it->second < std::chrono::duration_cast<Duration>(kDiscoverNegativeTtl)) {
      return false;
    }
  }
  auto eid = domain::Eid::from_bytes(key);
  bool found = false;
  if (eid) {
    auto tenants = store.find_device_tenants(*eid);
    if (tenants && tenants->size() == 1 && refresh_device(tenants->front(), *eid).ok()) {
      std::shared_lock lock(mu);
      auto it = devices.find(key);
      found = it != devices.end() && !it->second.ambiguous;
    }
  }
  std::lock_guard g(discover_mu);
  if (found) {
    discover_misses.erase(key);
  } else {
    if (discover_misses.size() >= kDiscoverNegativeMax) discover_misses.clear();
    discover_misses[key] = now;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------------

EimService::EimService(store::Store& store, const Clock& clock, EimIdentity identity, EimOptions options,
                       metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(store, clock, std::move(identity), options, metrics)) {}

EimService::~EimService() = default;

const EimIdentity& EimService::identity() const { return impl_->identity; }

Status EimService::load() {
  Impl& m = *impl_;
  if (m.config_error) return *m.config_error;
  if (!m.identity.signer) return Error(Errc::invalid_argument, "the eIM has no signing key", "signer");
  if (m.identity.eim_id.empty() || m.identity.eim_id.size() > 128) {
    return Error(Errc::invalid_argument, "eimId must be 1..128 characters", "eim_id");
  }
  std::unordered_map<EidKey, HotDevice, EidKeyHash> devices;
  std::unordered_map<std::string, EidKey> iccids;
  std::map<std::pair<domain::TenantId, std::string>, EidKey> by_tenant;
  ESIMO_TRY(auto tenants, m.store.list_tenants());
  for (const auto& t : tenants) {
    store::Page page{.limit = 1000, .after = {}};
    for (;;) {
      ESIMO_TRY(auto devs, m.store.list_devices(t.id, {}, page));
      for (const auto& dev : devs.items) {
        const EidKey key = dev.eid.to_bytes();
        auto [it, inserted] = devices.try_emplace(key);
        if (!inserted) {
          it->second.ambiguous = true;
          log::warn("EID is held by more than one tenant; the eIM will not serve it", {{"eid", dev.eid.str()}});
          continue;
        }
        it->second.tenant = t.id;
        it->second.eid = dev.eid;
        it->second.version = impl_detail::to_sgp(dev.sgp32_version);
        it->second.eim_id = m.identity.eim_id;
      }
      if (!devs.next_after) break;
      page.after = *devs.next_after;
    }
    store::Page ppage{.limit = 1000, .after = {}};
    for (;;) {
      ESIMO_TRY(auto profs, m.store.list_profiles(t.id, {}, ppage));
      for (const auto& p : profs.items) iccids[p.iccid.str()] = p.eid.to_bytes();
      if (!profs.next_after) break;
      ppage.after = *profs.next_after;
    }
  }
  ESIMO_TRY(auto states, m.store.list_euicc_states());
  for (const auto& st : states) {
    auto it = devices.find(st.eid.to_bytes());
    if (it != devices.end() && it->second.tenant == st.tenant_id) m.apply_state(it->second, st);
  }
  ESIMO_TRY(auto open, m.store.list_open_operations());
  for (const auto& op : open) {
    auto it = devices.find(op.eid.to_bytes());
    if (it == devices.end() || it->second.tenant != op.tenant_id) continue;
    if (op.state == domain::OperationState::queued) {
      ++it->second.queued;
    } else {
      const TimePoint at = op.delivered_at.value_or(op.updated_at);
      if (!it->second.awaiting_since || at < *it->second.awaiting_since) it->second.awaiting_since = at;
    }
  }
  std::unique_lock lock(m.mu);
  m.devices = std::move(devices);
  m.iccid_index = std::move(iccids);
  return {};
}

Result<domain::Operation> EimService::submit(domain::TenantId tenant, const domain::Eid& eid,
                                             const OperationRequest& request, const SubmitOptions& options) {
  Impl& m = *impl_;
  const EidKey key = eid.to_bytes();
  auto dev = m.snapshot(key);
  if (!dev || dev->tenant != tenant) {
    return Error(Errc::not_found, "device " + eid.str() + " not found", "eid");
  }
  if (!options.idempotency_key.empty()) {
    auto existing = m.store.find_operation_by_idempotency_key(tenant, options.idempotency_key);
    if (existing) return existing;
    if (existing.error().code != Errc::not_found) return std::move(existing).error();
  }
  const std::string_view type = operation_type(request);
  if (dev->version == sgp::Version::v1_0 && service_detail::fallback_only(request)) {
    return Error(Errc::failed_precondition,
                 "'" + std::string(type) + "' needs SGP.32 v1.2; device " + eid.str() + " runs SGP.32 v1.0", "type");
  }
  if (const auto* data = std::get_if<OpEuiccData>(&request); data != nullptr && data->tag_list.empty()) {
    return Error(Errc::invalid_argument, "tag_list: is required", "tag_list");
  }
  ESIMO_CHECK(download_validate(m, tenant, request));
  auto busy = m.busy_of(key);
  std::unique_lock<std::mutex> dev_lock;
  if (busy) dev_lock = std::unique_lock<std::mutex>(*busy);
  DeviceWork* work = nullptr;
  if (busy) {
    ESIMO_TRY(work, m.work_of(*dev));
  }
  if (const domain::Iccid* iccid = service_detail::iccid_of(request)) {
    // The device's profiles as the eIM knows them (hot state, loaded from the store).
    bool held = false;
    if (work != nullptr) {
      for (const auto& p : work->profiles) held = held || p.iccid == *iccid;
    }
    if (!held) {
      return Error(Errc::failed_precondition,
                   "device " + eid.str() + " is not known to hold profile " + iccid->str(), "iccid");
    }
  }
  domain::Operation op;
  op.tenant_id = tenant;
  op.eid = eid;
  op.type = std::string(type);
  op.params_json = to_json(request);
  op.state = domain::OperationState::queued;
  op.reason = options.reason;
  op.idempotency_key = options.idempotency_key;
  op.created_at = m.next_created_at();
  op.id = impl_detail::operation_id(op.created_at);
  op.updated_at = op.created_at;
  op.expires_at = options.expires_at ? *options.expires_at
                                     : op.created_at + std::chrono::duration_cast<Duration>(m.options.default_operation_ttl);
  if (Status st = m.store.create_operation(op); !st.ok()) {
    if (st.error().code == Errc::already_exists && !options.idempotency_key.empty()) {
      return m.store.find_operation_by_idempotency_key(tenant, options.idempotency_key);
    }
    return st.error();
  }
  if (work != nullptr) work->queue.push_back(op);
  {
    std::unique_lock lock(m.mu);
    auto it = m.devices.find(key);
    if (it != m.devices.end()) ++it->second.queued;
  }
  return op;
}

Result<domain::Operation> EimService::cancel(domain::TenantId tenant, std::string_view operation_id) {
  Impl& m = *impl_;
  ESIMO_TRY(domain::Operation op, m.store.get_operation(tenant, operation_id));
  if (auto dl = download_cancel(m, op)) return std::move(*dl);  // a download in progress (download_relay.cpp)
  if (op.state != domain::OperationState::queued) {
    return Error(Errc::conflict,
                 "operation " + op.id + " is " + std::string(domain::to_string(op.state)) + "; only a queued one can be "
                                                                                             "cancelled",
                 "state");
  }
  const EidKey key = op.eid.to_bytes();
  auto busy = m.busy_of(key);
  std::unique_lock<std::mutex> dev_lock;
  if (busy) dev_lock = std::unique_lock<std::mutex>(*busy);
  domain::Operation done = op;
  done.state = domain::OperationState::cancelled;
  done.outcome = "cancelled";
  done.updated_at = m.clock.now();
  if (Status st = m.store.update_operation(done, domain::OperationState::queued); !st.ok()) {
    if (st.error().code == Errc::conflict) {
      return Error(Errc::conflict, "operation " + op.id + " left the queue before it could be cancelled", "state");
    }
    return st.error();
  }
  if (auto dev = m.snapshot(key); dev && busy) {
    auto& q = dev->work->queue;
    q.erase(std::remove_if(q.begin(), q.end(), [&](const domain::Operation& o) { return o.id == done.id; }), q.end());
  }
  std::unique_lock lock(m.mu);
  auto it = m.devices.find(key);
  if (it != m.devices.end() && it->second.queued > 0) --it->second.queued;
  return done;
}

Status EimService::set_euicc_facts(domain::TenantId tenant, const domain::Eid& eid, const EuiccFacts& facts) {
  Impl& m = *impl_;
  const EidKey key = eid.to_bytes();
  auto dev = m.snapshot(key);
  if (!dev || dev->tenant != tenant) return Error(Errc::not_found, "device " + eid.str() + " not found", "eid");
  if (facts.euicc_certificate_der.has_value() != facts.eum_certificate_der.has_value()) {
    return Error(Errc::invalid_argument, "the eUICC and EUM certificates come together",
                 facts.euicc_certificate_der ? "eum_certificate" : "euicc_certificate");
  }
  std::shared_ptr<crypto::Verifier> verifier;
  if (facts.euicc_certificate_der) {
    auto euicc = crypto::Certificate::from_der(*facts.euicc_certificate_der);
    if (!euicc) return Error(Errc::invalid_argument, "euicc_certificate: " + euicc.error().message, "euicc_certificate");
    auto eum = m.eum_certificates.from_der(*facts.eum_certificate_der);
    if (!eum) return Error(Errc::invalid_argument, "eum_certificate: " + eum.error().message, "eum_certificate");
    std::vector<crypto::Certificate> inter{*eum};
    if (Status st = m.trust->verify(*euicc, inter, m.clock.now()); !st.ok()) {
      return Error(Errc::unauthenticated, "euicc_certificate: " + st.error().message, "euicc_certificate");
    }
    auto serial = euicc->subject_serial_number();
    if (!serial) {
      return Error(Errc::invalid_argument, "euicc_certificate: names no EID (subject serialNumber)", "euicc_certificate");
    }
    if (*serial != eid.str()) {
      return Error(Errc::invalid_argument, "euicc_certificate: issued to EID " + *serial, "euicc_certificate");
    }
    verifier = std::make_shared<crypto::Verifier>(euicc->public_key());
    m.eum_certificates.remember(*eum);
  }
  auto busy = m.busy_of(key);
  if (!busy) return Error(Errc::not_found, "device " + eid.str() + " not found", "eid");
  std::lock_guard dev_lock(*busy);
  store::EuiccEimState st;
  if (auto stored = m.store.get_euicc_state(tenant, eid)) {
    st = std::move(*stored);
  } else if (stored.error().code != Errc::not_found) {
    return std::move(stored).error();
  } else {
    st.tenant_id = tenant;
    st.eid = eid;
    st.eim_id = dev->eim_id;
    st.counter_value = dev->counter;
  }
  if (facts.association_token) st.association_token = facts.association_token;
  if (facts.euicc_certificate_der) {
    st.euicc_certificate_der = *facts.euicc_certificate_der;
    st.eum_certificate_der = *facts.eum_certificate_der;
  }
  if (facts.emulated) st.emulated = *facts.emulated;
  st.updated_at = m.clock.now();
  ESIMO_CHECK(m.store.put_euicc_state(st));
  std::unique_lock lock(m.mu);
  if (auto it = m.devices.find(key); it != m.devices.end()) {
    it->second.association_token = st.association_token;
    it->second.emulated = st.emulated;
    if (verifier) it->second.euicc_verifier = verifier;
  }
  return {};
}

void EimService::device_changed(domain::TenantId tenant, const domain::Eid& eid) {
  if (Status st = impl_->refresh_device(tenant, eid); !st.ok()) {
    log::warn("eIM could not refresh a device", {{"eid", eid.str()}, {"error", st.error().message}});
  }
}

Result<Bytes> EimService::handle_esipa(ByteView body, std::optional<sgp::Version> header_hint) {
  Impl& m = *impl_;
  const sgp::Version first = header_hint.value_or(sgp::Version::v1_2);
  auto msg = sgp::decode_ipa_to_eim(body, first);
  sgp::Version v = first;
  if (!msg && !header_hint) {
    auto alt = sgp::decode_ipa_to_eim(body, sgp::Version::v1_0);
    if (alt) {
      msg = std::move(alt);
      v = sgp::Version::v1_0;
    }
  }
  if (!msg) return Error(Errc::parse_error, msg.error().message, msg.error().field);
  // The device's SGP.32 version decides when the header named none (deployed IPAds send SGP.22 versions there).
  auto device_version = [&](ByteView eid_bytes) -> std::optional<sgp::Version> {
    if (eid_bytes.size() != 16) return std::nullopt;
    EidKey k;
    std::memcpy(k.data(), eid_bytes.data(), 16);
    std::shared_lock lock(m.mu);
    auto it = m.devices.find(k);
    if (it == m.devices.end()) return std::nullopt;
    return it->second.version;
  };
  if (!header_hint) {
    std::optional<sgp::Version> dv;
    if (const auto* g = std::get_if<sgp::GetEimPackageRequest>(&*msg)) dv = device_version(g->eid);
    if (const auto* p = std::get_if<sgp::ProvideEimPackageResult>(&*msg); p != nullptr && p->eid) {
      dv = device_version(*p->eid);
    }
    if (const auto* p = std::get_if<sgp::ProvideEimPackageResult>(&*msg); p != nullptr && !p->eid) {
      // v1.0 results carry no EID (and an eid-less v1.2 one is legal): find the device from what the result answers,
      // under each decoding, and keep the decoding that matches that device's version.
      const sgp::Version other = v == sgp::Version::v1_2 ? sgp::Version::v1_0 : sgp::Version::v1_2;
      for (const sgp::Version cand : {v, other}) {
        auto m2 = cand == v ? msg : sgp::decode_ipa_to_eim(body, cand);
        if (!m2) continue;
        const auto* p2 = std::get_if<sgp::ProvideEimPackageResult>(&*m2);
        if (p2 == nullptr) continue;
        auto key = service_detail::device_of_result(m, *p2);
        if (!key) continue;
        const auto kv = device_version(*key);
        if (kv && *kv == cand) {
          dv = cand;
          break;
        }
      }
    }
    if (dv && *dv != v) {
      auto again = sgp::decode_ipa_to_eim(body, *dv);
      if (!again) return Error(Errc::parse_error, again.error().message, again.error().field);
      msg = std::move(again);
      v = *dv;
    }
  }
  if (const auto* g = std::get_if<sgp::GetEimPackageRequest>(&*msg)) return m.handle_get_package(*g, v);
  if (const auto* p = std::get_if<sgp::ProvideEimPackageResult>(&*msg)) return m.handle_provide_result(*p, v);
  if (const auto* n = std::get_if<sgp::HandleNotificationEsipa>(&*msg)) return m.handle_notification(*n, v);
  if (!std::holds_alternative<sgp::TransferEimPackageResponse>(*msg)) return download_handle(m, *msg, v);
  return Error(Errc::unsupported, "this ESipa message is not served by the eIM yet (eIM-initiated transfer)",
               "message");
}

Result<Bytes> EimService::export_add_initial_eim(sgp::Version version) const {
  const Impl& m = *impl_;
  if (!m.identity.signer) return Error(Errc::invalid_argument, "the eIM has no signing key", "signer");
  sgp::EimConfigurationData c;
  c.eim_id = m.identity.eim_id;
  c.eim_fqdn = m.identity.fqdn;
  c.counter_value = 0;
  if (m.identity.eim_certificate_der) {
    c.eim_certificate = *m.identity.eim_certificate_der;
  } else {
    c.eim_public_key = m.identity.signer->public_key().to_spki_der();
  }
  c.eim_supported_protocol = 1u << 0;  // eimRetrieveHttps (ESipa over HTTPS, the IPA polls)
  sgp::AddInitialEimRequest req;
  req.eim_configuration_data_list.push_back(std::move(c));
  return sgp::encode(req, version);
}

}  // namespace esimo::eim
