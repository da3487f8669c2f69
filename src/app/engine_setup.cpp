#include "app/engine_setup.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "api/engine_sync.hpp"
#include "api/events.hpp"
#include "base/log.hpp"
#include "eim/eim_service.hpp"
#include "engine/engine.hpp"

namespace esimo::app {

namespace engine_setup_detail {

// What the engine asked the eIM for and is still waiting on.
struct PendingOp {
  std::string operation_id;
  domain::Eid eid;
  domain::Iccid target;
  bool is_switch = true;
};

// One tenant's Actuator: eIM operations with the engine's reason, outages to the store, the log and /metrics.
class TenantActuator final : public engine::Actuator {
 public:
  TenantActuator(domain::TenantId tenant, store::Store& store, const Clock& clock, eim::EimService* eim,
                 metrics::Registry& metrics)
      : tenant_(tenant), store_(store), clock_(clock), eim_(eim), metrics_(metrics) {}

  Status submit_switch(const domain::Eid& eid, const domain::Iccid& target, bool rollback,
                       const std::string& reason) override {
    return submit(eid, eim::OpEnable{target, rollback}, target, true, reason);
  }
  Status set_fallback(const domain::Eid& eid, const domain::Iccid& target, const std::string& reason) override {
    return submit(eid, eim::OpSetFallback{target}, target, false, reason);
  }
  void alert(const domain::Eid& eid, const std::string& text, const std::string& reason) override {
    metrics_.counter("esimo_engine_alerts_total", "Alerts raised by policy rules").inc();
    log::warn("engine alert", {{"tenant", static_cast<std::int64_t>(tenant_)},
                               {"eid", eid.str()},
                               {"alert", text},
                               {"reason", reason}});
  }
  void outage_changed(const engine::Outage& outage) override {
    auto rec = api::outage_record(tenant_, outage, clock_.now());
    metrics_
        .counter("esimo_engine_outage_changes_total", "Outage declarations, wave progress and clearances",
                 {{"state", rec.state}})
        .inc();
    log::warn("outage", {{"tenant", static_cast<std::int64_t>(tenant_)},
                         {"outage", rec.id},
                         {"carrier", rec.carrier_id},
                         {"country", outage.country.str()},
                         {"state", rec.state},
                         {"source", rec.source},
                         {"detail", rec.detail}});
    // The event says what changed: declared (first stored), resolved, or updated (a wave, a count).
    auto prev = store_.get_outage(tenant_, rec.id);
    store::OutageRecord unknown_previous;  // a failed read: call it an update rather than a second declaration
    unknown_previous.state = "active";
    const store::OutageRecord* previous = nullptr;
    if (prev) previous = &*prev;
    else if (prev.error().code != Errc::not_found) previous = &unknown_previous;
    if (auto st = store_.put_outage_with_event(rec, api::outage_event(rec, previous)); !st.ok()) {
      log::error("outage not stored", {{"outage", rec.id}, {"error", st.error().message}});
    }
  }

  std::vector<PendingOp> take_pending() {
    std::lock_guard lock(mu_);
    return std::move(pending_);
  }
  void keep_pending(std::vector<PendingOp> still) {
    std::lock_guard lock(mu_);
    for (auto& p : still) pending_.push_back(std::move(p));
  }

 private:
  Status submit(const domain::Eid& eid, const eim::OperationRequest& request, const domain::Iccid& target,
                bool is_switch, const std::string& reason) {
    const char* kind = is_switch ? "switch" : "set_fallback";
    metrics_.counter("esimo_engine_decisions_total", "Operations decided by the engine", {{"kind", kind}}).inc();
    if (eim_ == nullptr) {
      log::info("engine decision not sent (no eIM: start esimo serve with --esipa-listen)",
                {{"tenant", static_cast<std::int64_t>(tenant_)}, {"eid", eid.str()}, {"reason", reason}});
      return Error(Errc::unavailable, "no eIM configured");
    }
    eim::SubmitOptions opts;
    opts.reason = "policy: " + reason;
    auto op = eim_->submit(tenant_, eid, request, opts);
    if (!op) {
      log::warn("engine decision refused by the eIM",
                {{"eid", eid.str()}, {"error", op.error().message}, {"reason", reason}});
      return op.error();
    }
    std::lock_guard lock(mu_);
    pending_.push_back({op->id, eid, target, is_switch});
    return {};
  }

  domain::TenantId tenant_;
  store::Store& store_;
  const Clock& clock_;
  eim::EimService* eim_;
  metrics::Registry& metrics_;
  std::mutex mu_;
  std::vector<PendingOp> pending_;  // guarded by mu_
};

struct TenantEngine {
  std::unique_ptr<TenantActuator> actuator;
  std::unique_ptr<engine::Engine> engine;
};

}  // namespace engine_setup_detail

struct EngineHost::Impl {
  store::Store& store;
  const Clock& clock;
  eim::EimService* eim;
  metrics::Registry& metrics;
  EngineHostOptions options;

  std::mutex mu;  // guards engines (the map; each engine is thread-safe on its own)
  std::map<domain::TenantId, engine_setup_detail::TenantEngine> engines;

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;  // guarded by stop_mu
  std::thread timer;

  Impl(store::Store& s, const Clock& c, eim::EimService* e, metrics::Registry& m, EngineHostOptions o)
      : store(s), clock(c), eim(e), metrics(m), options(o) {}

  engine::Engine* get(domain::TenantId tenant) {
    std::lock_guard lock(mu);
    auto it = engines.find(tenant);
    if (it != engines.end()) return it->second.engine.get();
    auto t = store.get_tenant(tenant);
    if (!t) return nullptr;
    engine_setup_detail::TenantEngine te;
    te.actuator = std::make_unique<engine_setup_detail::TenantActuator>(tenant, store, clock, eim, metrics);
    engine::EngineConfig config;
    config.silence_after = options.silence_after;
    te.engine = std::make_unique<engine::Engine>(config, *te.actuator);
    if (auto st = api::load_engine(store, tenant, *te.engine, clock.now()); !st.ok()) {
      log::error("engine not loaded", {{"tenant", static_cast<std::int64_t>(tenant)}, {"error", st.error().message}});
      return nullptr;
    }
    log::info("engine loaded", {{"tenant", static_cast<std::int64_t>(tenant)},
                                {"devices", static_cast<std::int64_t>(te.engine->stats().devices)}});
    auto* e = te.engine.get();
    engines.emplace(tenant, std::move(te));
    return e;
  }

  // Follows the operations each engine submitted: an ended one is reported to its engine.
  void feedback(engine::Engine& engine, engine_setup_detail::TenantActuator& actuator, domain::TenantId tenant) {
    auto pending = actuator.take_pending();
    std::vector<engine_setup_detail::PendingOp> still;
    for (auto& p : pending) {
      auto op = store.get_operation(tenant, p.operation_id);
      if (!op) {
        if (op.error().code != Errc::not_found) still.push_back(std::move(p));
        continue;
      }
      using S = domain::OperationState;
      if (op->state == S::queued || op->state == S::delivered) {
        still.push_back(std::move(p));
        continue;
      }
      const bool ok = op->state == S::succeeded;
      if (p.is_switch) {
        engine.operation_result(p.eid, p.target, ok, op->updated_at);
        if (ok) engine.profile_seen(p.eid, p.target, op->updated_at);
      } else if (ok) {
        engine.fallback_seen(p.eid, p.target);
      }
    }
    actuator.keep_pending(std::move(still));
  }

  void tick_all() {
    std::vector<std::pair<domain::TenantId, engine_setup_detail::TenantEngine*>> list;
    {
      std::lock_guard lock(mu);
      for (auto& [t, te] : engines) list.emplace_back(t, &te);
    }
    for (auto& [t, te] : list) {
      feedback(*te->engine, *te->actuator, t);
      te->engine->tick(clock.now());
    }
  }

  void run() {
    std::unique_lock lock(stop_mu);
    while (!stopping) {
      stop_cv.wait_for(lock, options.tick, [this] { return stopping; });
      if (stopping) break;
      lock.unlock();
      tick_all();
      lock.lock();
    }
  }
};

EngineHost::EngineHost(store::Store& store, const Clock& clock, eim::EimService* eim, metrics::Registry& metrics,
                       EngineHostOptions options)
    : impl_(std::make_unique<Impl>(store, clock, eim, metrics, options)) {}

EngineHost::~EngineHost() { stop(); }

Status EngineHost::start() {
  ESIMO_TRY(auto tenants, impl_->store.list_tenants());
  for (const auto& t : tenants) {
    if (impl_->get(t.id) == nullptr) return Error(Errc::internal, "the engine of tenant " + t.name + " did not load");
  }
  impl_->timer = std::thread([this] { impl_->run(); });
  return {};
}

void EngineHost::stop() {
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->timer.joinable()) impl_->timer.join();
}

engine::Engine* EngineHost::engine_for(domain::TenantId tenant) { return impl_->get(tenant); }

void EngineHost::tick_all() { impl_->tick_all(); }

}  // namespace esimo::app
