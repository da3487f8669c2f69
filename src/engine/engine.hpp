#pragma once
// The orchestration engine (issue 6; docs/engine.md): per-device telemetry windows, per (carrier, country) health
// with outage detection, policy decisions with their reasons, failover waves and return home.
//
// Inputs: telemetry records (ingest), the device/profile registry (upsert_device), tariffs (set_tariff), the carrier
// status feed (set_carrier_status), policy documents (set_policies), and feedback from the eIM (operation results,
// a device seen on a profile). Outputs: calls on an Actuator port that the layers above implement (the twin adapter
// and `esimo serve` submit eIM operations), plus read models: explain(), simulate(), outages().
//
// Time comes only from the callers (record times, tick(now)): the engine runs on the twin's virtual clock as well as
// on the wall clock.
//
// Thread-safety: every public member function may be called from any thread; one mutex guards the state. The
// Actuator is called by tick() only, after the lock is released, in the calling thread; an Actuator may call back
// into the engine (feedback) from inside those calls.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"
#include "engine/failover_plan.hpp"
#include "policy/evaluate.hpp"
#include "policy/policy.hpp"

namespace esimo::engine {

// ---- Telemetry (POST /v1/telemetry carries these fields)
struct Position {
  double lat = 0;
  double lon = 0;
};

struct TelemetryRecord {
  domain::Eid eid;
  TimePoint time{};
  std::optional<domain::Plmn> serving_plmn;
  std::optional<domain::Rat> rat;
  std::optional<double> rsrp_dbm;
  std::optional<double> rsrq_db;
  std::optional<double> sinr_db;
  std::optional<double> latency_ms;
  bool attached = true;  // false: no service (or failing to attach)
  std::uint64_t bytes_up = 0;    // since the device's previous record
  std::uint64_t bytes_down = 0;
  std::optional<Position> position;
  std::optional<domain::CountryCode> country;    // where the device is, when the reporter knows it
  std::optional<domain::Iccid> enabled_iccid;    // the enabled profile, when the reporter knows it (the eIM does)
};

// ---- Registry: a device's profiles as the eIM knows them
struct ProfileInfo {
  domain::Iccid iccid;
  std::string carrier_id;                       // catalog id
  std::optional<domain::Plmn> plmn;             // home PLMN of the profile
  bool fallback = false;                        // carries the Fallback Attribute
  std::optional<domain::CountryCode> home_country;  // where it is not roaming; unset: its home PLMN's MCC says
};

struct DeviceInfo {
  domain::Eid eid;
  std::vector<ProfileInfo> profiles;
  std::optional<domain::Iccid> enabled;
  std::uint8_t priority = 1;                    // 0 low .. 3 critical; critical devices move first
  std::string group;                            // policy group ("" for none)
  std::optional<domain::CountryCode> country;   // deployment country until telemetry says otherwise
  bool fallback_supported = true;               // SGP.32 v1.0 eUICCs have no fallback PSMO
};

// What one carrier costs in one country; a device's monthly cost there = monthly_fee + forecast MB x price_per_mb.
struct Tariff {
  std::string carrier_id;
  domain::CountryCode country;
  domain::Money monthly_fee;
  domain::Money price_per_mb;
};

// ---- Configuration (defaults documented in docs/engine.md)
struct EngineConfig {
  // Telemetry
  // Silence (docs/engine.md, "Silence"): a device whose last record had service and that has sent nothing for longer
  // than this is presumed without service since that record (the last moment it was known in service) from the
  // first tick after, until its next record; while silent (at most recovery_hold) it counts in its (carrier, country)
  // health as observations without service at the rate it reported. Zero: off, a silent device stays as its last
  // record left it. Set it above the fleet's longest reporting interval (the engine cannot know it): `esimo serve
  // --engine-silence-after`.
  Duration silence_after = Duration::zero();
  std::size_t max_samples_per_series = 64;    // hard cap per device and metric (CompiledPolicy::history bounds it too)
  Duration min_history = std::chrono::minutes(15);  // kept even when no rule reads a metric (explain, forecast)
  // Health per (carrier, country)
  Duration health_window = std::chrono::minutes(2);  // records judged for the current state
  std::size_t min_population = 20;                   // records in the window before anything is judged
  double down_share = 0.5;          // share of records without service (above the baseline) that declares "down"
  double degraded_share = 0.2;      // ... that declares "degraded"
  // "degraded" from the radio side needs two independent signals (so noise on one does not move a fleet), or one
  // extreme: p50 latency >= latency_ratio x baseline AND median RSRP >= rsrp_drop_db below it; or p50 latency >=
  // extreme_latency_ratio x baseline; or median RSRP >= extreme_rsrp_drop_db below it.
  double latency_ratio = 1.5;
  double rsrp_drop_db = 4.0;
  double extreme_latency_ratio = 2.5;
  double extreme_rsrp_drop_db = 10.0;
  // ... and each shift must stand out of the window's noise: z = shift / standard error of the median (1.2533 x the
  // baseline spread / sqrt(records)) >= min_z (small populations need larger shifts).
  double min_z = 2.5;
  double baseline_alpha = 0.05;     // EWMA weight of a healthy window in the baseline (running mean before 1/alpha)
  // Radio shifts (latency, RSRP) are judged only once the baseline has learned from this many records (healthy
  // judgements, each record once); the share without service is judged from the first baseline on.
  std::size_t baseline_min_records = 200;
  Duration recovery_hold = std::chrono::minutes(30);  // healthy this long before an outage is cleared
  // With fewer than min_population records in health_window (its devices moved away), recovery is judged on the
  // records of the last recovery_hold instead (at least recovery_min_population of them); with none, it stays.
  std::size_t recovery_min_population = 3;
  // Waves
  double canary_share = 0.02;       // first wave: this share of the affected devices (at least canary_min)
  std::size_t canary_min = 1;
  double canary_success = 0.5;      // share of the canary back on the new carrier before the next waves
  Duration canary_timeout = std::chrono::minutes(30);  // gate still closed after this: the wave is stopped
  double wave_growth = 4.0;         // each following wave this many times the previous
  double ops_per_second = 20;       // rate limit of switch operations (all waves together)
  Duration operation_timeout = std::chrono::hours(2);  // a switch without feedback after this counts as failed
  // Return home
  Duration return_home_after = std::chrono::hours(1);  // carrier healthy this long before devices return
  std::size_t max_decisions_kept = 8;                  // per device, for explain()
  // Work split over two threads (docs/engine.md, "Ingest and evaluation on two cores"): an ingest_batch of at least
  // this many records, a tick over a registry of at least this many devices. The outcome does not depend on them.
  std::size_t parallel_ingest_from = 256;
  std::size_t parallel_tick_from = 4096;
  // Incremental evaluation (docs/engine.md): a record that changes nothing a device's last quiet evaluation depended
  // on does not make the device due. false: every device with a new record is evaluated at the next tick (the
  // reference the tests compare with). The outcome does not depend on it.
  bool incremental_evaluation = true;
  // Due times (docs/engine.md, "Due times"): a device whose decision can change with time alone (a "for D" that
  // completes, a guard that ends) waits for the earliest such time in a heap instead of being re-evaluated at every
  // tick. false: every such device is re-evaluated at every tick (the reference the tests compare with). The actions
  // do not depend on it; the text of an unreachable device's held decisions can (docs/engine.md "Why it is exact").
  bool due_times = true;
};

// ---- Read models
enum class OutageSource : std::uint8_t { telemetry, status_feed };
std::string_view to_string(OutageSource s);

struct Outage {
  std::string id;                    // "telekom-de/DE/2027-02-01T09:00:30Z"
  std::string carrier_id;
  domain::CountryCode country;
  domain::CarrierStatus state = domain::CarrierStatus::down;  // degraded or down
  OutageSource source = OutageSource::telemetry;
  TimePoint declared_at{};
  std::optional<TimePoint> cleared_at;
  std::string evidence;              // "12 of 40 records without service in 2m (baseline 1.0%)", or the feed's note
  // Waves
  std::size_t affected_devices = 0;  // on this carrier in this country when declared
  std::size_t submitted = 0;         // switch operations sent
  std::size_t confirmed = 0;         // devices seen back on their new carrier
  std::size_t failed = 0;
  unsigned waves = 0;
  bool canary_passed = false;
  // A telemetry outage is verified by the first judgement whose records all came after the declaration (one
  // health_window later); until then only the canary moves. Not verified (that window is healthy): withdrawn,
  // cleared at once. A status-feed outage is verified when declared.
  bool verified = false;
  bool withdrawn = false;
  bool paused = false;               // a backup degraded, or the canary did not come back
  std::string paused_reason;
  std::size_t returned_home = 0;
};

struct DecisionRecord {
  TimePoint at{};
  std::string action;                      // "switch", "set_fallback", "alert", "held", "none"
  std::optional<domain::Iccid> target;
  std::string reason;                      // names the policy, the rule and the evidence
};

struct Explanation {
  domain::Eid eid;
  std::string policy_name;                 // effective chain "fleet <- group <- device"
  std::string policy_json;                 // the merged effective policy
  // Evidence as the engine sees it now
  std::string carrier_id;
  std::optional<domain::Iccid> enabled;
  std::optional<domain::CountryCode> country;
  std::optional<domain::CountryCode> previous_country;  // the country before it, and since when it is in `country`
  std::optional<TimePoint> country_since;
  std::optional<domain::CountryCode> home_country;      // of the enabled profile
  std::optional<TimePoint> roaming_since;                // set while roaming (home country != country)
  bool attached = true;
  std::optional<TimePoint> last_seen;
  std::optional<TimePoint> no_service_since;
  // Presumed without service: nothing for longer than EngineConfig::silence_after after a record with service
  // (attached is false and no_service_since is last_seen); its next record ends it.
  bool silent = false;
  std::optional<double> latency_p50_ms;     // over the last 15 minutes
  std::optional<double> rsrp_p50_dbm;
  std::optional<double> rsrp_p10_dbm;
  std::optional<double> usage_mb_per_month; // forecast
  std::size_t samples = 0;                  // telemetry samples held
  domain::CarrierStatus carrier_status = domain::CarrierStatus::up;
  bool outage = false;
  std::optional<domain::Iccid> fallback;
  std::vector<DecisionRecord> decisions;    // oldest first
};

struct SimulatedDecision {
  domain::Eid eid;
  std::string action;                       // what would happen ("switch", "set_fallback", "alert", "held")
  std::optional<domain::Iccid> target;
  std::string target_carrier;
  std::string reason;
};

// ---- The port the engine acts through (implemented above it: eIM submit, alerts, events)
class Actuator {
 public:
  virtual ~Actuator() = default;
  // Enable `target` on the device (an eIM enable PSMO with the rollback flag). reason: policy, rule and evidence.
  virtual Status submit_switch(const domain::Eid& eid, const domain::Iccid& target, bool rollback,
                               const std::string& reason) = 0;
  virtual Status set_fallback(const domain::Eid& eid, const domain::Iccid& target, const std::string& reason) = 0;
  // Remove the fallback attribute (SGP.32 unsetFallbackAttribute). Default: not supported by this actuator.
  virtual Status unset_fallback(const domain::Eid& eid, const std::string& reason) {
    (void)eid;
    (void)reason;
    return Error(Errc::failed_precondition, "unset_fallback is not supported by this actuator");
  }
  virtual void alert(const domain::Eid& eid, const std::string& text, const std::string& reason) = 0;
  // An outage was declared, changed (waves) or cleared: an event, a resource under /v1/outages.
  virtual void outage_changed(const Outage& outage) { (void)outage; }
};

// One level of policies. Groups are flat (a device names one group).
struct PolicySet {
  std::optional<policy::Policy> fleet;
  std::map<std::string, policy::Policy> groups;
  std::map<domain::Eid, policy::Policy> devices;
};

struct EngineStats {
  std::size_t devices = 0;
  std::uint64_t records = 0;
  std::uint64_t evaluations = 0;
  // Records after which their device was not re-evaluated: nothing its decision can read changed (docs/engine.md,
  // "Incremental evaluation").
  std::uint64_t evaluations_skipped = 0;
  // Devices presumed without service after EngineConfig::silence_after without a record (each time it happened).
  std::uint64_t silences = 0;
  std::uint64_t switches_submitted = 0;
  std::uint64_t fallbacks_submitted = 0;
  std::uint64_t alerts = 0;
};

// The default fleet policy of the twin and of a fleet without one: switch to the best eligible profile on an outage,
// a degraded or down carrier, or 5 minutes without service; prefer the cheapest (objective cost); guards against
// flapping (cooldown 30m, max 4 switches a day, rollback on). JSON text, see docs/engine.md.
std::string_view default_fleet_policy_json();
policy::Policy default_fleet_policy();

class Engine {
 public:
  Engine(EngineConfig config, Actuator& actuator);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- registry
  void upsert_device(DeviceInfo device);
  void remove_device(const domain::Eid& eid);
  void set_tariff(const Tariff& tariff);
  bool has_device(const domain::Eid& eid) const;

  // ---- telemetry: unknown devices are refused (not_found) and counted; a bad record never touches the state.
  Status ingest(const TelemetryRecord& record);
  // Returns, per input record, ok or the reason it was refused; good records are kept.
  std::vector<Status> ingest_batch(std::span<const TelemetryRecord> records);

  // ---- carrier status feed: empty `countries` means every country the engine knows the carrier in.
  void set_carrier_status(const std::string& carrier_id, std::span<const domain::CountryCode> countries,
                          domain::CarrierStatus state, const std::string& note, TimePoint now);

  // ---- policies: compiled per effective chain (fleet <- group <- device); an absent fleet policy means
  // default_fleet_policy().
  void set_policies(PolicySet policies);

  // ---- feedback from the eIM
  // An operation the engine asked for finished (the eUICC's result).
  void operation_result(const domain::Eid& eid, const domain::Iccid& target, bool succeeded, TimePoint at);
  // The device was seen on this enabled profile (a poll, a notification such as stateChangeCause fallback).
  void profile_seen(const domain::Eid& eid, const domain::Iccid& enabled, TimePoint at);
  // The device's fallback attribute is now on this profile.
  void fallback_seen(const domain::Eid& eid, const domain::Iccid& fallback);

  // ---- the clock: evaluate due devices, judge health, declare/clear outages, advance waves, act.
  void tick(TimePoint now);

  // ---- read models
  std::optional<Explanation> explain(const domain::Eid& eid, TimePoint now) const;
  // Dry run: `candidate` replaces the document of its scope (fleet, its group, or its device); nothing is sent.
  std::vector<SimulatedDecision> simulate(const policy::Policy& candidate, TimePoint now) const;
  std::vector<Outage> outages() const;
  // The failover plan of (carrier, country) as of now (failover_plan.hpp, docs/engine.md "Failover plan"): every
  // reachable device enabled there, critical first, with the backup its policy chooses (that carrier counted as in
  // outage) and its wave. Read-only: nothing is sent and the engine's waves are unchanged. The per-device choice is
  // spread over `threads` threads.
  FailoverPlan plan_failover(const std::string& carrier_id, const domain::CountryCode& country, TimePoint now,
                             unsigned threads = 2) const;
  EngineStats stats() const;
  const EngineConfig& config() const;
  // sizeof the per-device state struct (the bare baseline of the hot-state benchmark; heap parts not included).
  static std::size_t device_state_size();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::engine
