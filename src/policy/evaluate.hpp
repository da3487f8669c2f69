#pragma once
// The compiled, evaluable form of an (effective) policy; the per-device evidence it is evaluated against; the guards
// as pure functions; the choice of the best eligible carrier. Pure: time comes from Evidence::now, never a clock.
// Semantics of every term: docs/policies.md.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"
#include "policy/condition.hpp"
#include "policy/policy.hpp"

namespace esimo::policy {

// One measurement at a time. Series are ordered oldest first; samples after Evidence::now are ignored. A value holds
// from its time until the next sample (a step function), so the sample at or before the start of a window says what
// the window started with.
struct Sample {
  TimePoint at{};
  double value = 0;
};
struct MoneySample {
  TimePoint at{};
  domain::Money amount;
};

// Status feed entry for one (carrier, country). A carrier absent from the list is up.
struct CarrierStatusEntry {
  std::string carrier_id;
  domain::CountryCode country;
  domain::CarrierStatus status = domain::CarrierStatus::up;
};

// What the engine knows about one device when it evaluates a policy. Views only: the engine owns the storage.
struct Evidence {
  TimePoint now{};
  std::string carrier_id;                          // carrier of the enabled profile
  std::optional<domain::Plmn> serving_plmn;
  std::optional<domain::CountryCode> country;      // where the device is
  std::optional<domain::CountryCode> previous_country;
  std::optional<TimePoint> country_since;          // when it entered `country` from `previous_country`
  bool roaming = false;
  std::optional<TimePoint> roaming_since;
  std::optional<domain::CountryCode> home_country;  // of the enabled profile (names where a roaming device is from)
  std::optional<TimePoint> no_service_since;       // set while the device has no service
  std::span<const Sample> rsrp;                    // dBm
  std::span<const Sample> rsrq;                    // dB
  std::span<const Sample> sinr;                    // dB
  std::span<const Sample> latency_ms;              // one sample per measurement (percentiles are taken over these)
  std::span<const MoneySample> savings_monthly;    // estimate of the monthly saving of the best alternative
  std::span<const CarrierStatusEntry> carrier_status;
  bool outage = false;                             // an outage is declared on (carrier_id, country)
  std::optional<TimePoint> last_switch_at;         // last change of the enabled profile (any cause)
  std::optional<TimePoint> last_action_at;         // last action of the engine on this device
  unsigned switches_last_24h = 0;                  // profile switches in the rolling 24 hours before now
};

// Which parts of the evidence a compiled policy reads: the engine re-evaluates a device only when one of them changed.
enum EvidenceBits : std::uint32_t {
  kReadsSignal = 1u << 0,
  kReadsLatency = 1u << 1,
  kReadsSavings = 1u << 2,
  kReadsGeography = 1u << 3,   // country, country changes, roaming
  kReadsCarrierStatus = 1u << 4,
  kReadsOutage = 1u << 5,
  kReadsService = 1u << 6,     // no_service
  kReadsCarrier = 1u << 7,     // carrier ==
};

// Default window of latency percentiles without "for".
inline constexpr Duration kDefaultLatencyWindow = std::chrono::minutes(15);

// Immutable once compiled: evaluate() may run on any number of threads at once over one CompiledPolicy.
class CompiledPolicy {
 public:
  // From a parsed document or the result of merge_policies(). Disabled rules are dropped.
  static CompiledPolicy compile(Policy effective);

  const Policy& policy() const { return policy_; }
  const std::string& name() const { return policy_.name; }
  const std::vector<Rule>& rules() const { return rules_; }
  std::uint32_t reads() const { return reads_; }
  // How far back the rules look into a metric's series: the longest "for" window (15 minutes for a latency
  // percentile without one; zero when only the latest sample is read, or the metric is not read at all). The engine
  // keeps the samples of that span plus the one before it, and can drop the rest.
  Duration history(Metric m) const { return history_[static_cast<std::size_t>(m)]; }

 private:
  Policy policy_;
  std::vector<Rule> rules_;
  std::uint32_t reads_ = 0;
  std::array<Duration, 7> history_{};
};

// What one term of a condition observed: the term as written and the numbers and window behind it.
struct Observation {
  std::string term;                 // "signal.rsrp < -115 dBm for 10m"
  std::string detail;               // "max -118.0 dBm over the last 10m (7 samples, since 2026-11-25T10:02:00Z)"
  std::optional<double> value;      // the value compared (latest, percentile, extreme of the window), in its unit
  std::optional<Duration> window;   // the window it was judged over
  std::optional<TimePoint> since;   // since when the condition has held, when known
};

// A rule that fired: names the policy, the rule and the evidence.
struct Firing {
  std::string policy;        // effective policy name ("fleet <- trucks <- 8904...")
  std::string origin;        // the document the rule comes from
  std::string rule;
  std::size_t rule_index = 0;  // in CompiledPolicy::rules()
  Action action;
  bool urgent = false;
  std::vector<Observation> evidence;

  // "policy fleet-default, rule weak-signal: signal.rsrp < -115 dBm for 10m [max -118.0 dBm over the last 10m ...]
  //  -> switch best". Fits an Operation::reason.
  std::string reason() const;
};

// Evaluates the rules in order; the first whose condition holds fires. Guards are not applied (see check_guards).
std::optional<Firing> evaluate(const CompiledPolicy& policy, const Evidence& evidence);

// Evaluates one condition; appends what its satisfied terms observed.
bool evaluate_condition(const Condition& c, const Evidence& e, std::vector<Observation>* observed);

// ---- Incremental evaluation (docs/engine.md, "Incremental evaluation") ----
// A threshold a rule watches: a metric term's comparison (signal.rsrp < -115 dBm; latency.p50 > 400 ms compares each
// sample too: a percentile is one of the window's samples).
struct WatchedThreshold {
  Metric metric = Metric::rsrp;
  CmpOp op = CmpOp::lt;
  double threshold = 0;
};
// Every threshold of the policy's signal and latency terms (savings terms are not listed: they are not per sample).
std::vector<WatchedThreshold> watched_thresholds(const CompiledPolicy& policy);

// True when no rule of the policy can hold at `e.now` or any later time, as long as the evidence changes only by
//  - time passing, and
//  - new samples each of which fails every watched threshold of its metric (compare(value, op, threshold) false),
// everything else (service, country and its change, roaming, carrier, serving PLMN, carrier status, outage, switch
// times, savings) staying as it is. Each term is judged three-valued — false for good, true for good, or may change —
// and a rule whose condition is not false for good keeps the device under evaluation. Pure, like evaluate().
bool stays_quiet(const CompiledPolicy& policy, const Evidence& e);

// ---- Due times (docs/engine.md, "Due times") ----
// The earliest time after e.now at which some rule's condition may evaluate otherwise than at e.now when the evidence
// changes by time alone (no new sample, service, country, status, switch): a "for D" that completes (no_service,
// roaming), a "within D" that ends, a window that moves past a sample (a signal or savings term held for D, a latency
// percentile), a sample dated after now that comes into view. Every term of every rule counts (a term that cannot
// decide its rule only makes the time earlier). nullopt: nothing the rules read moves with time alone.
std::optional<TimePoint> next_change(const CompiledPolicy& policy, const Evidence& e);
// The earliest time after e.now at which a guard may judge otherwise: the end of min_dwell or cooldown, the next
// start or end of quiet hours. (max_switches_per_day counts the switch times of the evidence: the caller knows when
// they leave the 24 hours.) nullopt: none can change.
std::optional<TimePoint> next_guard_change(const Guards& g, const Evidence& e);
// The next minute at which in_quiet_hours(q, t) differs from in_quiet_hours(q, now), or nullopt when it never does.
std::optional<TimePoint> next_quiet_hours_change(const QuietHours& q, TimePoint now);

// ---- Guards (pure) ----
enum class GuardKind : std::uint8_t { none, min_dwell, cooldown, max_switches_per_day, quiet_hours, hysteresis };
std::string_view to_string(GuardKind g);

struct GuardVerdict {
  bool allowed = true;
  GuardKind blocked_by = GuardKind::none;
  std::optional<TimePoint> retry_at;  // earliest time the guard lets it through, when known
  std::string reason;                 // "min_dwell 30m: last switch 2026-11-25T10:00:00Z"
};

GuardVerdict check_min_dwell(const Guards& g, const std::optional<TimePoint>& last_switch_at, TimePoint now);
GuardVerdict check_cooldown(const Guards& g, const std::optional<TimePoint>& last_action_at, TimePoint now);
GuardVerdict check_max_switches(const Guards& g, unsigned switches_last_24h);
bool in_quiet_hours(const QuietHours& q, TimePoint now);
GuardVerdict check_quiet_hours(const Guards& g, TimePoint now);
// All guards for one action: switches (switch best/to, download local) face min_dwell, cooldown, max_switches_per_day
// and quiet_hours; an urgent rule (outage, carrier.status, no_service) skips quiet_hours and min_dwell. Setting the
// fallback and alerts face cooldown only.
GuardVerdict check_guards(const Guards& g, const Action& action, bool urgent, const Evidence& e);

// ---- Carrier choice ----
struct Candidate {
  std::string carrier_id;
  std::optional<domain::Plmn> plmn;
  domain::CarrierStatus status = domain::CarrierStatus::up;
  bool outage = false;
  std::optional<double> rsrp_dbm;
  std::optional<double> rsrq_db;
  std::optional<double> sinr_db;
  std::optional<double> latency_ms;
  std::optional<domain::Money> monthly_cost;
};

// Allowed (allow list empty or unset, or listed), not denied, not down, no outage.
bool carrier_eligible(const Policy& p, const Candidate& c);
// A candidate beats the current carrier by every configured hysteresis margin whose two values are known.
GuardVerdict check_hysteresis(const Hysteresis& h, const Candidate& current, const Candidate& candidate);

struct Choice {
  std::size_t index = 0;  // into candidates
  std::string why;        // "preferred #1", "objective cost: 1.20 EUR/month", ...
};
// The best eligible candidate other than the current carrier: preference order first, then the objective (cost:
// lowest monthly cost; signal: highest RSRP; latency: lowest latency; unknown values last), then the carrier id. When
// the current carrier is up with no outage, a candidate must also pass the hysteresis margins.
std::optional<Choice> choose_best(const Policy& p, const Candidate* current, std::span<const Candidate> candidates);

// ---- The whole decision for one device ----
// What the engine (and a dry run) does with a device: evaluate the rules, check the guards for the fired action, and
// pick the target profile's carrier among the device's candidates.
struct Decision {
  std::optional<Firing> fired;         // no rule held: nullopt (nothing to do)
  GuardVerdict guard;                  // for the fired action
  std::optional<std::size_t> target;   // index into the candidates: switch best / to, set fallback best / to
  std::string target_why;              // "preferred #1", "objective cost: ...", "named by the rule"
  std::string no_target;               // why a switch or fallback action found no candidate, when it did not

  // A rule fired, its guards allow it, and an action that needs a target profile has one.
  bool act() const;
  // Firing::reason(), then the target ("=> fr-sfr (objective cost: 1.00 EUR/month)") or what held it back.
  std::string reason(std::span<const Candidate> candidates) const;
};

Decision decide(const CompiledPolicy& policy, const Evidence& evidence, const Candidate* current,
                std::span<const Candidate> candidates);

}  // namespace esimo::policy
