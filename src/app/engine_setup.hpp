#pragma once
// The orchestration engine inside `esimo serve` (issue 6): one engine::Engine per tenant, made on first use and
// loaded from the store (devices, profiles, policies, status feed, rate cards), ticking on one timer thread. Its
// Actuator submits eIM operations (enable with rollback, set_fallback) whose reason names the policy, rule and
// evidence; outages are stored (GET /v1/outages), logged and counted in /metrics (esimo_engine_outages_total) — there
// is no events facility yet. Feedback: the tick thread follows the operations the engine submitted until they end
// and reports their outcome to the engine.
//
// Threads: engine_for() may be called from any thread (the REST workers); the timer thread owns the tick.
#include <chrono>
#include <memory>

#include "base/clock.hpp"
#include "base/metrics.hpp"
#include "domain/model.hpp"
#include "store/store.hpp"

namespace esimo::eim {
class EimService;
}
namespace esimo::engine {
class Engine;
}

namespace esimo::app {

struct EngineHostOptions {
  std::chrono::milliseconds tick{1000};
  // engine::EngineConfig::silence_after of every tenant's engine (docs/engine.md "Silence"); zero: off.
  std::chrono::seconds silence_after{0};
};

class EngineHost {
 public:
  // `eim` may be null (no --esipa-listen): decisions are then logged and counted but not sent.
  EngineHost(store::Store& store, const Clock& clock, eim::EimService* eim, metrics::Registry& metrics,
             EngineHostOptions options = {});
  ~EngineHost();  // stops the timer thread
  EngineHost(const EngineHost&) = delete;
  EngineHost& operator=(const EngineHost&) = delete;

  // Makes and loads an engine for every tenant, then starts the timer thread.
  Status start();
  void stop();
  // The tenant's engine (made and loaded on first use), or nullptr when the tenant cannot be loaded.
  engine::Engine* engine_for(domain::TenantId tenant);
  // One tick of every engine plus the feedback of their operations (the timer thread calls it; tests may too).
  void tick_all();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::app
