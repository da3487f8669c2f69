#pragma once
// What a simulated device reports about its connectivity, and the hooks an orchestration engine plugs into.
//
// TelemetryRecord carries the fields issue 6's POST /v1/telemetry takes (eid, time, serving PLMN, signal, latency,
// attach state, bytes); until that API exists the twin keeps them for its KPIs and hands each one to a TelemetrySink.
// Orchestrator is the engine's seam (issue 6): it sees every record, is ticked on simulated time, and acts only through
// the real eIM (EimService::submit), so whatever it decides reaches the devices over the same ESipa path as in
// production. `esimo twin run --engine on` is refused while no Orchestrator is built in.
#include <cstdint>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"

namespace esimo::eim {
class EimService;
}

namespace esimo::twin::sim {

struct TelemetryRecord {
  TimePoint time{};
  std::uint32_t device = 0;  // index in the fleet (SimRunner::eid() names it)
  std::uint16_t country = 0;
  std::uint16_t carrier = 0;  // of the enabled profile
  std::uint8_t slot = 0;      // enabled profile slot
  bool attached = false;      // false: no service
  std::optional<domain::Plmn> serving_plmn;
  std::int16_t rsrp_dbm = 0;
  std::int16_t rsrq_db = 0;
  std::int16_t sinr_db = 0;
  std::int32_t latency_ms = 0;
  std::uint64_t bytes_up = 0;  // since the previous record of this device
  std::uint64_t bytes_down = 0;
};

class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;
  virtual void record(const TelemetryRecord& r) = 0;
};

// What the simulator lets an orchestrator see and do.
class OrchestratorContext {
 public:
  virtual ~OrchestratorContext() = default;
  virtual TimePoint now() const = 0;
  virtual eim::EimService& eim() = 0;
  virtual domain::TenantId tenant() const = 0;
  virtual domain::Eid eid(std::uint32_t device) const = 0;
  virtual domain::Iccid iccid(std::uint32_t device, std::uint8_t slot) const = 0;
  // The engine declares an outage of `carrier` in `country` (counts for the detection_seconds KPI).
  virtual void declare_outage(std::uint16_t carrier, std::uint16_t country) = 0;
};

class Orchestrator {
 public:
  virtual ~Orchestrator() = default;
  virtual void start(OrchestratorContext& ctx) { (void)ctx; }
  virtual void telemetry(const TelemetryRecord& r, OrchestratorContext& ctx) = 0;
  // Called every tick_interval() of simulated time, after the devices due at that instant.
  virtual void tick(OrchestratorContext& ctx) = 0;
  virtual Duration tick_interval() const { return std::chrono::seconds(30); }
};

}  // namespace esimo::twin::sim
