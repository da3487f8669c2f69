#pragma once
// The carrier network model of the twin: for a profile's home network (PLMN) seen in a country, at a virtual time, for
// one device, it answers whether the network serves the device, whether an attach succeeds, what signal and latency
// the device measures and what the data costs.
//
// Determinism: there is no RNG state. Every answer is a pure function of (scenario seed, what is asked, PLMN, country,
// device id, time bucket, caller's counter), computed by a counter-based generator (SplitMix64 finalisers chained over
// the inputs). The same question gets the same answer whatever was asked before and from whichever thread, which is
// what makes twin runs reproducible byte for byte.
//  - Coverage is decided per (device, PLMN, country) once: hash < coverage. A degradation keeping share f of the
//    coverage removes exactly the devices with hash >= coverage * f, so the same devices lose service and get it back.
//  - Attach: hash(device, PLMN, country, time bucket, attempt) < attach_success.
//  - Signal: RSRP/RSRQ/SINR normal samples per (device, network, time bucket, counter); latency log-normal from its
//    p50/p95. Time bucket = t / scenario.sample_interval, so values are steady within a bucket.
//  - Events apply to [start, end): outage (no service), degradation, latency spike, price change.
//
// Networks are keyed by PLMN, not by carrier name: MVNOs sharing a host PLMN share its fate (an outage of 262-01
// also takes down Congstar's 262-01 profiles), as in the field. A profile abroad meets its home PLMN "roaming":
// [networks.roaming] applies, and overrides/events may name (foreign carrier, country) explicitly.
//
// Cost of a query: NetworkRef resolution is one hash lookup (do it when a device changes country or profile and keep
// the ref); every query on a ref is a few multiplications plus a scan of that network's events (usually none).
//
// Thread-safety: immutable after construction; all methods const and safe from any thread.
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/clock.hpp"
#include "domain/identifiers.hpp"
#include "twin/scenario.hpp"

namespace esimo::twin {

using DeviceKey = std::uint64_t;  // the device's index in the fleet

// A resolved network: a home PLMN in a country and the parameter set and events that apply to it. 8 bytes; cheap to
// keep per device.
struct NetworkRef {
  PlmnKey plmn = 0;
  CountryKey country = 0;
  std::uint16_t entry = 0;  // index of the model's parameter set
  bool operator==(const NetworkRef&) const = default;
};

struct SignalSample {
  double rsrp_dbm = 0;
  double rsrq_db = 0;
  double sinr_db = 0;
};

// What a network is like at one instant, events applied.
struct NetworkConditions {
  bool outage = false;
  double coverage = 0;        // effective share of devices served (base coverage x degradation factors)
  double attach_success = 0;  // effective probability
  double signal_shift_db = 0;
  double latency_factor = 1;
  double latency_add_ms = 0;
  domain::Money price_per_mb;
  domain::Money monthly_fee;
};

class NetworkModel {
 public:
  // `seed` is the run's seed (the scenario's unless overridden by --seed).
  NetworkModel(const Scenario& scenario, const CarrierCatalog& catalog, std::uint64_t seed);

  // The network a profile with this home PLMN (or of this carrier: its home PLMN) meets in `country`.
  NetworkRef resolve(PlmnKey home_plmn, CountryKey country) const;
  NetworkRef resolve_carrier(CarrierIndex carrier, CountryKey country) const;
  // True when the PLMN's MCC belongs to the country (a home network rather than roaming).
  bool is_home(NetworkRef n) const;

  // Parameters in normal operation (no events), and conditions at t with events applied.
  const NetworkParams& params(NetworkRef n) const;
  NetworkConditions conditions(NetworkRef n, SimTime t) const;

  // Static coverage (no events): does the network cover this device at all.
  bool covers(NetworkRef n, DeviceKey device) const;
  // Covered and not cut by an outage or a degradation at t.
  bool serves(NetworkRef n, DeviceKey device, SimTime t) const;
  // One attach attempt (`attempt` distinguishes retries in the same time bucket): serves() and the attach draw.
  bool attach(NetworkRef n, DeviceKey device, SimTime t, std::uint32_t attempt) const;
  // Measurements while attached; `counter` distinguishes several samples in one time bucket.
  SignalSample signal(NetworkRef n, DeviceKey device, SimTime t, std::uint32_t counter = 0) const;
  double latency_ms(NetworkRef n, DeviceKey device, SimTime t, std::uint32_t counter = 0) const;
  // Prices in force at t.
  domain::Money price_per_mb(NetworkRef n, SimTime t) const;
  domain::Money monthly_fee(NetworkRef n, SimTime t) const;

  // The first event boundary (start or end) on this network strictly after t, or kNever. The simulator re-checks
  // its devices on that network then.
  static constexpr SimTime kNever = SimTime::max();
  SimTime next_change(NetworkRef n, SimTime t) const;
  // Every event boundary in the scenario, sorted and unique.
  const std::vector<SimTime>& change_times() const { return change_times_; }

  std::uint64_t seed() const { return seed_; }
  SimTime sample_interval() const { return sample_interval_; }

 private:
  struct Entry {
    NetworkParams params;
    std::vector<std::uint32_t> events;  // indexes into events_, by start
  };
  std::uint16_t add_entry(const NetworkParams& p);
  bool home_pair(PlmnKey plmn, CountryKey country) const;
  std::uint64_t bucket(SimTime t) const;

  std::uint64_t seed_ = 0;
  SimTime sample_interval_{};
  std::vector<Entry> entries_;
  std::vector<NetworkEvent> events_;
  std::vector<PlmnKey> carrier_plmn_;                          // CarrierIndex -> home PLMN
  std::vector<CountryKey> mcc_country_;                        // MCC (0..999) -> its country (0: none)
  std::unordered_set<std::uint64_t> home_pairs_;               // (PLMN << 16 | country) of every catalog carrier's home
  std::unordered_map<std::uint64_t, std::uint16_t> explicit_;  // (PLMN << 16 | country) -> entry
  std::unordered_map<CountryKey, std::uint16_t> country_home_;     // country with an override -> entry (home)
  std::unordered_map<CountryKey, std::uint16_t> country_roaming_;  // ... (roaming)
  std::uint16_t default_home_ = 0;
  std::uint16_t default_roaming_ = 0;
  std::vector<SimTime> change_times_;
};

// The counter-based generator the model (and fleet generation) draws from: a 64-bit hash of the inputs.
std::uint64_t twin_hash(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                        std::uint64_t d = 0, std::uint64_t e = 0);
// A uniform double in [0, 1) from a hash (53 bits).
double unit_interval(std::uint64_t h);

}  // namespace esimo::twin
