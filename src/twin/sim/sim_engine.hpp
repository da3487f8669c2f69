#pragma once
// The orchestration engine on the digital twin: an Orchestrator (sim_telemetry.hpp) over engine::Engine whose
// Actuator submits real eIM operations (EimService::submit), so every decision reaches the simulated devices over the
// same ESipa path as in production. `esimo twin run --engine on` runs it (docs/engine.md, "On the twin").
//
// Devices are registered with the engine on their first telemetry record (profiles, ICCIDs, carriers, priority from
// the SimModel); tariffs per (carrier, country) come from the model's network answers for every country a device's
// profiles are seen in (a truck entering France brings its profiles' French roaming prices) and are refreshed every
// tick, so price changes reach the cost objective. Records carry the device's country, so the engine knows where it
// is and, against each profile's home PLMN, whether it roams.
// Thread-safety: driven by the simulator's one thread (the engine itself is thread-safe).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "twin/sim/sim_model.hpp"
#include "twin/sim/sim_telemetry.hpp"

namespace esimo::store {
class Store;
}

namespace esimo::twin::sim {

struct SimEngineOptions {
  engine::EngineConfig config = default_twin_engine_config();
  std::optional<engine::PolicySet> policies;  // none: engine::default_fleet_policy()
  Duration tick = std::chrono::seconds(15);
  // The eIM's store: the outcome of each switch the engine asked for is read back from it every tick (the eUICC's
  // result, as the REST API would report it), which is how the canary gate learns a device is on its new carrier as
  // soon as the eIM does. Null: only telemetry tells (one poll later).
  store::Store* store = nullptr;

  // The engine's defaults, with a health window and population sized for fleets of a few hundred devices polling
  // every 10 minutes.
  static engine::EngineConfig default_twin_engine_config();
};

struct SimEngineCounters {
  std::uint64_t switches = 0;       // enable operations submitted
  std::uint64_t fallbacks = 0;      // set-fallback operations submitted
  std::uint64_t alerts = 0;
  std::uint64_t refused = 0;        // submit() errors
  std::uint64_t outages = 0;        // declared
  // Switches submitted per cause: the rule named in the reason ("policy P, rule R: ..."), "return-home" for a return
  // after an outage.
  std::map<std::string, std::uint64_t> switches_by_rule;
  std::map<std::string, std::string> first_reason;  // per cause: the reason of its first switch, as sent
};

// "outage", "geo-roaming", "return-home", or "" when the reason names no rule.
std::string switch_cause(const std::string& reason);

class SimEngine final : public Orchestrator, public engine::Actuator {
 public:
  SimEngine(const SimModel& model, SimEngineOptions options = {});
  ~SimEngine() override;

  // Orchestrator
  void start(OrchestratorContext& ctx) override;
  void telemetry(const TelemetryRecord& r, OrchestratorContext& ctx) override;
  void tick(OrchestratorContext& ctx) override;
  Duration tick_interval() const override { return options_.tick; }

  // Actuator
  Status submit_switch(const domain::Eid& eid, const domain::Iccid& target, bool rollback,
                       const std::string& reason) override;
  Status set_fallback(const domain::Eid& eid, const domain::Iccid& target, const std::string& reason) override;
  Status unset_fallback(const domain::Eid& eid, const std::string& reason) override;
  void alert(const domain::Eid& eid, const std::string& text, const std::string& reason) override;
  void outage_changed(const engine::Outage& outage) override;

  engine::Engine& engine() { return *engine_; }
  const SimEngineCounters& counters() const { return counters_; }
  // What `esimo twin run --engine on` prints after the KPIs: the policy, switches per cause with one reason each, and
  // the outages declared with their evidence.
  std::string summary() const;

 private:
  void register_device(std::uint32_t device, std::uint16_t country);
  // Tariffs of the device's profiles in `country`, for the pairs not known yet.
  void tariffs_in(std::uint32_t device, std::uint16_t country);
  void tariff(std::uint32_t device, std::uint16_t carrier, std::uint16_t country, TimePoint t);

  const SimModel& model_;
  SimEngineOptions options_;
  std::unique_ptr<engine::Engine> engine_;
  OrchestratorContext* ctx_ = nullptr;
  std::vector<bool> registered_;
  std::vector<std::uint16_t> country_;  // per device: the country of its last record
  std::map<std::pair<std::uint16_t, std::uint16_t>, std::uint32_t> tariffs_;  // (carrier, country) -> a device there
  struct Submitted {
    std::string operation_id;
    domain::Eid eid;
    domain::Iccid iccid;
  };
  std::vector<Submitted> submitted_;
  std::map<std::string, std::uint16_t> carrier_index_;
  std::map<std::string, std::uint16_t> country_index_;
  std::vector<std::string> country_names_;
  SimEngineCounters counters_;
};

}  // namespace esimo::twin::sim
