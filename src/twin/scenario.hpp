#pragma once
// Twin scenarios: what fleet to simulate, on which carrier networks, with which events, for how long. A scenario is a
// TOML file (scenarios/*.toml, every key in docs/twin.md "Scenarios"); load_scenario() validates it completely against
// the real carrier catalog so that the simulator never meets a half-valid scenario:
//  - unknown keys, values of the wrong type or range, bad countries, carriers that are not in the catalog for the
//    country named, impossible time windows (end before start, past the scenario's duration) are refused with
//    "FILE:LINE: reason" in Error::message and the dotted key in Error::field;
//  - every carrier reference is resolved to a catalog index (CarrierIndex) and every time to an offset from the
//    scenario's start (SimTime), so nothing downstream parses text again.
//
// Carriers. The catalog is Debian's mobile-broadband-provider-info as `esimo serve` seeds it (domain/catalog.hpp).
// A carrier is referenced by its catalog id ("de-vodafone"), by one of its PLMNs ("262-02"), or by its name as the
// catalog spells it in the country the reference is made for (compared as slugs, so case, spaces and punctuation do
// not matter: "Vodafone" with country "DE"). A PLMN names the carrier whose home network it is (its lowest PLMN),
// the first in catalog order when MVNOs share it; for the network model that makes no difference (networks are
// PLMNs, see network.hpp).
//
// Thread-safety: a Scenario and a CarrierCatalog are immutable values after loading; share them freely (const).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"

namespace esimo::twin {

// Virtual time: an offset from the scenario's start (microseconds, like every esimo Duration).
using SimTime = Duration;

// Index of a carrier in CarrierCatalog::carriers().
using CarrierIndex = std::uint16_t;
inline constexpr CarrierIndex kNoCarrier = 0xFFFF;

// A device holds 1..4 profiles (the issue asks for 2-4; 1 is allowed for groups without fallback).
inline constexpr unsigned kMaxProfilesPerDevice = 4;

// A PLMN packed into 24 bits: its TS 24.008 3-byte form (MCC/MNC BCD with F filler, so "262-01" and "262-001"
// differ). Cheap to hash and compare; the network model is keyed by it.
using PlmnKey = std::uint32_t;
PlmnKey plmn_key(const domain::Plmn& plmn);
domain::Plmn plmn_of_key(PlmnKey key);

// A country code packed into 16 bits ('D' << 8 | 'E').
using CountryKey = std::uint16_t;
CountryKey country_key(const domain::CountryCode& country);
domain::CountryCode country_of_key(CountryKey key);

// The real carrier catalog, indexed for the twin: by country, by id, by PLMN.
class CarrierCatalog {
 public:
  CarrierCatalog() = default;
  // From parsed carriers (domain::parse_service_providers_xml). At most 65,534 carriers.
  static Result<CarrierCatalog> from_carriers(std::vector<domain::Carrier> carriers);
  // Reads and parses serviceproviders.xml (default: Debian's path, as `esimo serve` uses). A missing file is an
  // io_error naming the path and the package that provides it.
  static Result<CarrierCatalog> load(const std::filesystem::path& service_providers_xml);
  static constexpr std::string_view kDefaultServiceProvidersXml =
      "/usr/share/mobile-broadband-provider-info/serviceproviders.xml";

  const std::vector<domain::Carrier>& carriers() const { return carriers_; }
  const domain::Carrier& carrier(CarrierIndex i) const { return carriers_[i]; }
  std::size_t size() const { return carriers_.size(); }

  // The carriers whose home countries include `country`, in catalog order (empty when none).
  const std::vector<CarrierIndex>& in_country(const domain::CountryCode& country) const;
  // The network a carrier's profiles attach to at home: its first (lowest) PLMN.
  PlmnKey home_plmn(CarrierIndex i) const { return home_plmn_[i]; }
  bool is_home(CarrierIndex i, const domain::CountryCode& country) const;

  // Resolves a reference (catalog id, PLMN "MCC-MNC", or name in `country`) as described above. not_found /
  // invalid_argument errors say what was tried and, for names, which carriers the country has.
  Result<CarrierIndex> resolve(std::string_view reference, const domain::CountryCode& country) const;
  std::optional<CarrierIndex> find_id(std::string_view id) const;

 private:
  std::vector<domain::Carrier> carriers_;
  std::vector<PlmnKey> home_plmn_;
  std::unordered_map<CountryKey, std::vector<CarrierIndex>> by_country_;
  std::unordered_map<std::string, CarrierIndex> by_id_;
};

// ---------------------------------------------------------------------------------------------------------------
// Networks

// Normal distribution of a radio measurement (dBm for RSRP, dB for RSRQ/SINR).
struct NormalDist {
  double mean = 0;
  double sd = 0;
};

// Log-normal latency given by its median and 95th percentile, in milliseconds (p95 >= p50 > 0).
struct LatencyDist {
  double p50_ms = 60;
  double p95_ms = 180;
};

// Parameters of one network (a home PLMN seen in one country) in normal operation. Every field optional in a layer;
// NetworkParams is the resolved result.
// The built-in defaults are the member initialisers plus prices of 0.01 EUR per MB and 0.50 EUR per month
// (builtin_network_params()).
struct NetworkParams {
  double coverage = 0.97;         // share of devices in the country this network serves (0..1), decided per device
  double attach_success = 0.995;  // probability one attach attempt succeeds (0..1)
  NormalDist rsrp{-95, 8};        // dBm, sampled values clamped to [-140, -44]
  NormalDist rsrq{-10, 3};        // dB, clamped to [-20, -3]
  NormalDist sinr{12, 5};         // dB, clamped to [-10, 30]
  LatencyDist latency{};          // round trip to the eIM, ms
  domain::Money price_per_mb;     // data price (micros in a currency)
  domain::Money monthly_fee;      // per SIM per month
};
NetworkParams builtin_network_params();

// One layer of overrides: only the fields set replace the ones below.
struct NetworkLayer {
  std::optional<double> coverage;
  std::optional<double> attach_success;
  std::optional<NormalDist> rsrp;
  std::optional<NormalDist> rsrq;
  std::optional<NormalDist> sinr;
  std::optional<LatencyDist> latency;
  std::optional<domain::Money> price_per_mb;
  std::optional<domain::Money> monthly_fee;
  void apply_to(NetworkParams& p) const;
};

// [[networks.override]]: a layer for one country (all networks there, home and roaming) or one carrier's network
// in one country. Order: defaults, then roaming (abroad), then country overrides, then carrier overrides.
struct NetworkOverride {
  domain::CountryCode country;
  CarrierIndex carrier = kNoCarrier;  // kNoCarrier: every network in `country`
  NetworkLayer layer;
  int line = 0;  // where it was declared
};

struct NetworksConfig {
  NetworkParams defaults;  // [networks.defaults] applied over the built-in defaults
  NetworkLayer roaming;    // [networks.roaming]: on top of defaults when the carrier is not home in the country
  std::vector<NetworkOverride> overrides;  // in file order; later ones win
};

// ---------------------------------------------------------------------------------------------------------------
// Events

enum class EventKind : std::uint8_t { outage, degradation, latency_spike, price_change, recovery };
std::string_view to_string(EventKind k);

// An event on one carrier's network in one country during [start, end). `end` is the scenario's duration when the
// file gave neither end nor duration; a recovery at time T ends, at T, every earlier outage/degradation/latency spike
// of the same carrier and country still running (load_scenario() applies this: recoveries are kept for reporting).
struct NetworkEvent {
  EventKind kind = EventKind::outage;
  CarrierIndex carrier = kNoCarrier;  // kNoCarrier: every network in the country
  domain::CountryCode country;
  SimTime start{};
  SimTime end{};
  // degradation: coverage keeps this share of the devices it served (nested: the same devices lose service),
  // attach_success replaces the probability when set, signal_shift_db is added to RSRP and SINR (negative: worse).
  double coverage_factor = 1.0;
  std::optional<double> attach_success;
  double signal_shift_db = 0;
  // latency_spike: latency multiplied by latency_factor plus latency_add_ms.
  double latency_factor = 1.0;
  double latency_add_ms = 0;
  // price_change: new prices from start to end (the price before applies again after end).
  std::optional<domain::Money> price_per_mb;
  std::optional<domain::Money> monthly_fee;
  std::string label;  // optional name for reports
  int line = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// Fleet

// One stop of a trajectory: a country for a dwell time, optionally a position.
struct TrajectoryStop {
  domain::CountryCode country;
  SimTime dwell{};
  std::optional<double> lat;
  std::optional<double> lon;
};

// Devices that move: they run through the stops in order and start again (loop), or run back along the same route
// (return: A B C B A B C ...). Each device starts at its own offset into the cycle (fleet generation draws it).
struct Trajectory {
  std::vector<TrajectoryStop> stops;
  bool return_route = false;
};

// Where a group's profiles come from.
//  - profile_countries empty: carriers home in the device's deployed country.
//  - otherwise: the first profiles from carriers of these countries (weights), plus `local_profiles` from the
//    deployed country (a device deployed in BR on a US profile: profile_countries = {US}, local_profiles = 1).
struct GroupConfig {
  std::string name;
  double share = 1.0;                                             // of the fleet; shares are normalised over all groups
  std::vector<std::pair<domain::CountryCode, double>> countries;  // deployed country weights
  std::vector<std::pair<domain::CountryCode, double>> profile_countries;  // home countries of the profiles
  std::vector<CarrierIndex> carriers;          // when set: profiles only from these carriers (still per country)
  std::vector<CarrierIndex> enabled_carriers;  // when set: the enabled profile is of one of these where possible
  unsigned profiles_min = 2;
  unsigned profiles_max = 3;
  unsigned local_profiles = 0;
  SimTime poll_interval = std::chrono::minutes(15);
  double usage_mb_per_day = 5.0;                      // mean; each device draws 0.5x .. 1.5x
  std::uint8_t priority = 1;                          // 0 low, 1 normal, 2 high, 3 critical
  SimTime fallback_after = std::chrono::minutes(10);  // device's own fallback after this long without service
  bool fallback = true;                               // devices get a fallback profile (the second one)
  std::optional<Trajectory> trajectory;
  // Static position: a point per device drawn within radius_km of (lat, lon) when set.
  std::optional<double> lat;
  std::optional<double> lon;
  double radius_km = 0;
  int line = 0;
};

struct FleetConfig {
  std::uint64_t devices = 1000;  // `esimo twin run --devices N` overrides it
  std::vector<GroupConfig> groups;
};

// A regulator's rule on permanent roaming: a device deployed in `country` on a profile whose carrier is not home
// there violates it once it has been so for longer than max_roaming (continuously), and in any case from `deadline`
// on (when set: the date from which permanent roaming is forbidden).
struct ComplianceRule {
  domain::CountryCode country;
  std::optional<SimTime> max_roaming;
  std::optional<SimTime> deadline;
  int line = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// The scenario

struct Scenario {
  std::string source;  // file it was loaded from ("<string>" for load_scenario_text without a name)
  std::string name;
  std::string description;
  // The fleet policy `esimo twin run --engine on` attaches unless --policy names another (JSON or YAML), relative to
  // the scenario file; "" for the engine's default policy.
  std::string policy;
  std::uint64_t seed = 1;  // `--seed S` overrides it
  SimTime duration = std::chrono::hours(24);
  TimePoint start = TimePoint(std::chrono::seconds(1798761600));  // 2027-01-01T00:00:00Z unless given
  SimTime tick = std::chrono::seconds(1);                         // the simulator's time step
  SimTime sample_interval = std::chrono::minutes(1);              // network samples are constant within one interval
  FleetConfig fleet;
  NetworksConfig networks;           // defaults start from builtin_network_params()
  std::vector<NetworkEvent> events;  // sorted by start, then file order
  std::vector<ComplianceRule> compliance;
};

// Parses and validates TOML text. `source` names the file in errors ("scenarios/x.toml:12: ...").
Result<Scenario> load_scenario_text(std::string_view toml_text, std::string_view source, const CarrierCatalog& catalog);
// Reads the file (io_error naming it) and parses it.
Result<Scenario> load_scenario(const std::filesystem::path& path, const CarrierCatalog& catalog);

// "90s", "15m", "6h", "2d", "1h30m", "250ms"; a plain integer is seconds. invalid_argument naming the text.
Result<SimTime> parse_sim_duration(std::string_view text);
// The inverse, in the largest exact units ("1h30m", "0s").
std::string format_sim_duration(SimTime d);

}  // namespace esimo::twin
