#pragma once
// Fleet generation: from a validated Scenario, a seed and a device count, the compact spec of every device — its
// identity (EID, one ICCID per profile), its profiles (carriers from the real catalog), which one is enabled and which
// is the fallback, where it is (a country, optionally a point, optionally a trajectory), how often it polls, how much
// data it uses and its priority.
//
// Each device is a pure function of (seed, index): FleetPlan::device(i) can be called in any order, from any thread,
// and lazily. Groups take contiguous index ranges sized by their shares (largest remainder, so the counts are exact);
// everything else is drawn from twin_hash(seed, ...).
//
// Identities are derived from the index, never stored:
//  - EID: "8904903200" + the index in 20 digits, then the two ISO/IEC 7064 MOD 97-10 check digits (32 digits).
//  - ICCID: "89" + the carrier's MCC (3 digits) + the slot (1 digit) + the index (12 digits) + the Luhn check digit
//    = 19 digits; unique per (index, slot).
//
// Memory: sizeof(DeviceSpec) is 40 bytes; 1,000,000 devices take 40 MB.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "base/result.hpp"
#include "domain/identifiers.hpp"
#include "twin/scenario.hpp"

namespace esimo::twin {

inline constexpr unsigned kMaxProfiles = kMaxProfilesPerDevice;
inline constexpr std::uint8_t kNoSlot = 0xFF;
inline constexpr std::int32_t kNoCoordinate = std::numeric_limits<std::int32_t>::min();

struct DeviceSpec {
  std::uint32_t index = 0;  // device number in the fleet: the DeviceKey of the network model
  std::uint16_t group = 0;  // index into scenario.fleet.groups
  CountryKey country = 0;   // deployed country (static devices) or the first stop of the route
  std::array<CarrierIndex, kMaxProfiles> carriers{kNoCarrier, kNoCarrier, kNoCarrier, kNoCarrier};  // per slot
  std::uint8_t profile_count = 0;
  std::uint8_t enabled = 0;         // slot of the enabled profile
  std::uint8_t fallback = kNoSlot;  // slot of the profile with the Fallback Attribute, or kNoSlot
  std::uint8_t priority = 1;        // 0 low .. 3 critical
  std::uint32_t poll_interval_s = 900;
  std::uint32_t usage_kb_per_day = 5000;
  std::uint32_t route_offset_s = 0;     // trajectory phase: where in its route cycle the device is at t = 0
  std::int32_t lat_e6 = kNoCoordinate;  // static position in micro-degrees, when the group gives one
  std::int32_t lon_e6 = kNoCoordinate;
};

// Where a device is at an instant, and until when it stays there.
struct DevicePosition {
  CountryKey country = 0;
  std::optional<double> lat;
  std::optional<double> lon;
  SimTime until = SimTime::max();  // next change of country (SimTime::max() for static devices)
};

// Keeps pointers to the scenario and the catalog: both must outlive the plan. Immutable after make(); every method is
// const and safe from any thread.
class FleetPlan {
 public:
  // Prepares the per-group tables (carrier pools per country, route cycles). `devices` is the fleet size (the
  // scenario's unless --devices overrides it), `seed` the run's seed. invalid_argument when a group cannot be built
  // (a country without enough carriers for profiles_min, which load_scenario() already refuses with file:line).
  static Result<FleetPlan> make(const Scenario& scenario, const CarrierCatalog& catalog, std::uint64_t seed,
                                std::uint64_t devices);

  std::uint64_t size() const { return devices_; }
  DeviceSpec device(std::uint32_t index) const;
  std::vector<DeviceSpec> generate() const;  // all devices, in index order

  // Group index ranges: group g holds devices [group_begin(g), group_begin(g + 1)).
  std::uint32_t group_begin(std::size_t group) const { return group_begin_[group]; }

  DevicePosition position_at(const DeviceSpec& d, SimTime t) const;
  // The same from the index alone, without drawing the profiles (a few hashes: for "where is device i now").
  DevicePosition position_at(std::uint32_t index, SimTime t) const;
  bool has_trajectory(std::uint16_t group) const;

 private:
  struct Pool {  // carriers eligible in one country; a device never draws two with the same home PLMN
    CountryKey country = 0;
    std::vector<CarrierIndex> carriers;
  };
  struct Stop {
    CountryKey country = 0;
    std::int64_t begin_us = 0;  // offset in the cycle
    std::optional<double> lat;
    std::optional<double> lon;
  };
  struct Group {
    std::vector<std::pair<CountryKey, double>> countries;          // cumulative weights
    std::vector<std::pair<CountryKey, double>> profile_countries;  // cumulative weights (empty: deployed)
    std::vector<Pool> pools;
    std::vector<CarrierIndex> enabled_carriers;
    std::vector<Stop> route;  // expanded (return routes unfolded)
    std::int64_t cycle_us = 0;
  };
  const Pool* pool(const Group& g, CountryKey country) const;
  std::uint16_t group_of(std::uint32_t index) const;
  void place(DeviceSpec& d) const;

  const Scenario* scenario_ = nullptr;
  const CarrierCatalog* catalog_ = nullptr;
  std::uint64_t seed_ = 0;
  std::uint64_t devices_ = 0;
  std::vector<Group> groups_;
  std::vector<std::uint32_t> group_begin_;
};

// Identities derived from a device index (and a profile slot).
domain::Eid device_eid(std::uint64_t index);
domain::Iccid profile_iccid(const CarrierCatalog& catalog, const DeviceSpec& device, unsigned slot);

}  // namespace esimo::twin
