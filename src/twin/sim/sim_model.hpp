#pragma once
// What the simulator asks of the world it runs in: the fleet (one compact spec per device, generated on demand so a
// 1,000,000-device fleet is never held as strings), where each device is, and what each carrier network answers there
// at a given simulated time. ScenarioModel (sim_scenario_model.hpp) adapts a TOML scenario (twin/scenario.hpp,
// twin/network.hpp, twin/fleet_gen.hpp) to it; tests hand-build small worlds against it directly.
//
// Every answer must be a pure function of its arguments (counter-based sampling, no hidden state), so a run is
// reproducible whatever order the simulator asks in.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "domain/identifiers.hpp"

namespace esimo::twin::sim {

inline constexpr std::uint8_t kNoSlot = 0xff;

struct SimProfileSpec {
  std::uint16_t carrier = 0;  // index into SimModel::carriers()
  bool fallback = false;      // carries the SGP.32 Fallback Attribute
};

struct SimDeviceSpec {
  std::uint16_t home_country = 0;  // opaque country code (SimModel::country_name); where the device is deployed
  std::uint8_t profile_count = 0;  // 1..4
  std::uint8_t enabled = 0;        // slot enabled at the start
  std::array<SimProfileSpec, 4> profiles{};
  std::uint32_t poll_interval_s = 3600;
  std::uint32_t usage_kb_per_day = 1024;
  std::uint32_t fallback_after_s = 600;  // the device's own fallback timer (no service for this long)
  std::uint8_t priority = 1;             // 0 low .. 3 critical
  bool mobile = false;                   // follows a trajectory: SimModel::country_at() may change over time
  std::uint8_t fallback_slot() const {
    for (std::uint8_t i = 0; i < profile_count; ++i) {
      if (profiles[i].fallback) return i;
    }
    return kNoSlot;
  }
};

struct SimCarrier {
  std::string id;     // catalog id, e.g. "de-telekom"
  domain::Plmn plmn;  // the home PLMN the profile attaches to (its rPLMN at home)
};

// What one network answers one device at one instant.
struct NetworkSample {
  bool serves = false;     // covered, and not cut by an outage or degradation: an attached device stays attached
  bool attach_ok = false;  // serves, and this attach attempt succeeds: a device without service gets it back
  std::int16_t rsrp_dbm = -140;
  std::int16_t rsrq_db = -20;
  std::int16_t sinr_db = -10;
  std::int32_t latency_ms = 0;
  std::int64_t price_micros_per_mb = 0;     // what a megabyte costs on this network in this country now
  std::int64_t monthly_fee_micros = 0;      // per SIM per month
};

class SimModel {
 public:
  virtual ~SimModel() = default;

  virtual std::size_t device_count() const = 0;
  virtual SimDeviceSpec device(std::size_t index) const = 0;
  virtual const std::vector<SimCarrier>& carriers() const = 0;
  virtual std::string country_name(std::uint16_t country) const = 0;  // ISO 3166-1 alpha-2
  virtual std::string currency() const = 0;                           // ISO 4217 of every price

  // Identities, a pure function of the index (and slot).
  virtual domain::Eid eid(std::size_t index) const = 0;
  virtual domain::Iccid iccid(std::size_t index, std::uint8_t slot) const = 0;

  virtual TimePoint start() const = 0;
  virtual Duration duration() const = 0;

  // The country a device is in at t (its home country unless it moves).
  virtual std::uint16_t country_at(std::size_t device, TimePoint t) const = 0;
  // What `carrier` answers `device` in `country` at t; `draw` distinguishes samples and attach attempts.
  virtual NetworkSample network(std::size_t device, std::uint16_t carrier, std::uint16_t country, TimePoint t,
                                std::uint32_t draw) const = 0;
  // The instants (sorted, inside the run) where any network's answer may change for many devices at once: the starts
  // and ends of scenario events. The simulator re-evaluates every device's attachment there.
  virtual std::vector<TimePoint> change_points() const = 0;
  // The starts of outages and degradations (onsets the detection KPI is measured from), sorted.
  virtual std::vector<TimePoint> outage_onsets() const = 0;
  // Regulatory rule on being served through `carrier` in `country` at t: nullopt when none applies (home network, or
  // no rule); otherwise how long the device may stay so continuously (zero: not at all).
  virtual std::optional<Duration> roaming_limit(std::uint16_t carrier, std::uint16_t country, TimePoint t) const {
    (void)carrier;
    (void)country;
    (void)t;
    return std::nullopt;
  }
};

}  // namespace esimo::twin::sim
