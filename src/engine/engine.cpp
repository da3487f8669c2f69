// The orchestration engine (docs/engine.md). One mutex guards everything; actions are collected under the lock and
// handed to the Actuator after it is released.
#include "engine/engine.hpp"
#include "engine/compact.hpp"
#include "engine/eid_index.hpp"
#include "engine/geography.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <set>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace esimo::engine {
namespace engine_detail {

constexpr std::int64_t kMonthUs = 30LL * 24 * 3600 * 1000000;

std::string health_key(const std::string& carrier, const domain::CountryCode& country) {
  return carrier + "/" + country.str();
}

// The same key in a caller's buffer, for lookups on the hot path (no allocation).
struct HealthKeyBuf {
  static constexpr std::size_t kMaxCarrier = 125;  // longer carrier ids take health_key()
  char buf[kMaxCarrier + 3];
  std::size_t len = 0;
  HealthKeyBuf(std::string_view carrier, const domain::CountryCode& country) {
    const std::string cc = country.str();  // two characters: in the string's own buffer
    len = std::min(carrier.size(), kMaxCarrier);
    std::memcpy(buf, carrier.data(), len);
    buf[len++] = '/';
    buf[len++] = cc[0];
    buf[len++] = cc[1];
  }
  std::string_view view() const { return {buf, len}; }
};

std::string fmt_num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fmt_duration(Duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s % 3600 == 0 && s >= 3600) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0 && s >= 60) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

// Nearest-rank percentile of unsorted values (p in 0..100).
std::optional<double> percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nullopt;
  std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  const auto nth = v.begin() + static_cast<std::ptrdiff_t>(std::min(rank, v.size()) - 1);
  std::nth_element(v.begin(), nth, v.end());  // the same element a full sort puts there
  return *nth;
}

// Which of a device's sample series a compiled policy's rules read (bit m: SampleRing::Metric m); the evidence
// expands only those from the ring.
std::uint8_t series_read(const policy::Condition& c) {
  std::uint8_t mask = 0;
  if (c.kind == policy::Condition::Kind::metric) {
    switch (c.metric) {
      case policy::Metric::rsrp: mask |= 1u << SampleRing::rsrp; break;
      case policy::Metric::rsrq: mask |= 1u << SampleRing::rsrq; break;
      case policy::Metric::sinr: mask |= 1u << SampleRing::sinr; break;
      case policy::Metric::latency_p50:
      case policy::Metric::latency_p95:
      case policy::Metric::latency_p99: mask |= 1u << SampleRing::latency; break;
      case policy::Metric::savings_monthly: break;
    }
  }
  for (const auto& ch : c.children) mask |= series_read(ch);
  return mask;
}

std::uint8_t series_read(const policy::CompiledPolicy& cp) {
  std::uint8_t mask = 0;
  for (const auto& r : cp.rules()) mask |= series_read(r.when);
  return mask;
}

constexpr std::uint8_t kAllSeries = 0x0f;

// (carrier index, country) as one integer: the key of the health index.
std::uint64_t health_id(std::uint32_t carrier, const domain::CountryCode& country) {
  const std::string cc = country.str();  // two characters, in the string's own buffer
  return (static_cast<std::uint64_t>(carrier) << 16) | (static_cast<std::uint64_t>(static_cast<unsigned char>(cc[0])) << 8) |
         static_cast<unsigned char>(cc[1]);
}

// Runs `here` on the calling thread and `there` on a second one, and returns when both are done. When no thread can
// be started (resources), both run here, one after the other: the callers' halves are independent.
template <class Here, class There>
void on_two_threads(Here&& here, There&& there) {
  std::thread other;
  try {
    other = std::thread(std::ref(there));
  } catch (const std::system_error&) {
    here();
    there();
    return;
  }
  here();
  other.join();
}

int severity(domain::CarrierStatus s) {
  return s == domain::CarrierStatus::down ? 2 : s == domain::CarrierStatus::degraded ? 1 : 0;
}

}  // namespace engine_detail

std::string_view to_string(OutageSource s) { return s == OutageSource::telemetry ? "telemetry" : "status_feed"; }

std::string_view default_fleet_policy_json() {
  return R"({"name":"engine-default","description":"switch to the cheapest eligible profile on an outage, a degraded or down carrier, or 5 minutes without service","scope":{"fleet":true},"objective":"cost","rules":[{"name":"outage","when":"outage detected or carrier.status != up","do":"switch best"},{"name":"no-service","when":"no_service for 5m","do":"switch best"}],"guards":{"cooldown":"30m","max_switches_per_day":4,"rollback":true}})";
}

policy::Policy default_fleet_policy() {
  auto p = policy::parse_policy(default_fleet_policy_json(), policy::ParseOptions{});
  return std::move(p).value();
}

namespace engine_detail {

using policy::Sample;

// A switch the engine asked for and has not seen the outcome of.
struct Pending {
  std::size_t profile = 0;
  TimePoint at{};
  std::string outage;       // the outage whose wave sent it ("" for an ordinary decision)
  bool return_home = false;
  // The device's last action before this switch: a switch that fails or rolls back changed nothing on the device, so
  // the cooldown runs from the action before it and the next-best target is tried at once.
  std::optional<TimePoint> action_before;
};

// A profile as the engine keeps it (docs/engine.md, "Per device"): the ICCID packed, the carrier an index into the
// carrier table, the home country derived once at registration.
struct ProfileSlot {
  std::array<std::uint8_t, 10> iccid{};       // domain::Iccid::to_wire()
  std::uint32_t carrier = 0;                  // index into Impl::carriers
  std::optional<domain::Plmn> plmn;           // home PLMN of the profile
  std::optional<domain::CountryCode> home;    // profile_home_country()
};

domain::Iccid iccid_of(const ProfileSlot& p) {
  auto i = domain::Iccid::from_wire(p.iccid);
  return i ? std::move(i).value() : domain::Iccid{};  // a default (empty) ICCID packs to all F
}

// What a device rarely needs: allocated on its first action (an engine switch or fallback, a decision recorded, a
// profile change, a savings sample). Most devices of a quiet fleet never have one.
struct DeviceCold {
  std::optional<TimePoint> last_switch_at;
  std::optional<TimePoint> last_action_at;
  std::vector<TimePoint> switches;      // last 24 hours (a vector: an empty std::deque already allocates ~600 B)
  std::optional<Pending> pending;
  // Profiles the device could not use (an engine switch that failed or rolled back), until when: not a target, not
  // a fallback.
  std::vector<std::pair<std::size_t, TimePoint>> bad;
  std::optional<std::size_t> confirmed_target;  // the last engine switch that completed, and when
  std::optional<TimePoint> confirmed_at;
  std::optional<TimePoint> confirmed_sent_at;        // when that switch was sent, and the action before it
  std::optional<TimePoint> confirmed_action_before;
  std::optional<std::size_t> home;      // profile enabled before a failover wave moved it
  std::string home_outage;
  std::vector<policy::MoneySample> savings;
  std::vector<DecisionRecord> decisions;  // oldest first, at most max_decisions_kept
};

// The hot state of one device, indexed by its packed EID (issue 6 goal: at most 1 KiB a device with its heap parts).
struct DeviceState {
  std::array<std::uint8_t, 16> eid{};   // domain::Eid::to_bytes()
  std::vector<ProfileSlot> profiles;
  std::uint32_t group = 0;              // index into Impl::groups ("" is 0)
  std::uint8_t priority = 1;
  bool fallback_supported = true;
  bool attached = true;
  bool ever_attached = false;           // only a device that had service can lose it (health counts it)
  bool wave_queued = false;             // waiting in an outage's wave
  bool dirty = true;
  // Due at the next tick by time: a device whose decision may change with time alone and that has no exact due time
  // (re-evaluated at every tick), or one whose due time came (docs/engine.md, "Due times").
  bool watch = false;
  // Waiting on time alone (docs/engine.md, "Due times"): not re-evaluated until its due time (the entry of
  // Impl::wakes with its wake_gen, if any) or until the epoch moves, whichever comes first; a record or anything else
  // that makes it dirty evaluates it as before.
  bool parked = false;
  // Incremental evaluation (docs/engine.md): a record since the last tick left the device as it was evaluated (not
  // dirty); and the relevance epoch of its last quiet evaluation when policy::stays_quiet held then (0: not settled).
  bool skipped = false;
  std::uint32_t settled_epoch = 0;
  std::optional<std::uint16_t> enabled;   // index into profiles
  std::optional<std::uint16_t> fallback;
  std::optional<std::uint16_t> pending_fallback;
  std::optional<domain::CountryCode> country;
  std::optional<domain::CountryCode> previous_country;
  std::optional<domain::Plmn> serving_plmn;
  // Presumed without service (docs/engine.md, "Silence"): its last record had service and it has sent nothing for
  // longer than silence_after; `attached` is false and `no_service_since` its last_seen until its next record.
  bool silent = false;
  // A silence observation went to its (carrier, country) health since its last record: a record without service that
  // ends the presumption is the same spell and is not counted again.
  bool silence_in_health = false;
  std::uint32_t record_count = 0;  // records applied (its reporting interval, for silence observations)
  std::uint32_t wake_gen = 0;      // moves at each parking: only the heap entry of the last one is live
  std::optional<TimePoint> country_since;
  std::optional<TimePoint> roaming_since;  // set while the enabled profile's home country is not `country`
  std::optional<TimePoint> last_seen;
  std::optional<TimePoint> no_service_since;
  // Usage forecast: bytes since the first record over the time since then (see docs/engine.md).
  std::uint64_t bytes_total = 0;
  std::optional<TimePoint> first_record;
  SampleRing samples;                   // RSRP, RSRQ, SINR, latency
  std::unique_ptr<DeviceCold> cold;

  // Reading the rare part: an empty one when the device has none.
  const DeviceCold& rare() const {
    static const DeviceCold kNone;
    return cold ? *cold : kNone;
  }
  // Writing it: allocated on first use.
  DeviceCold& rare_mut() {
    if (!cold) cold = std::make_unique<DeviceCold>();
    return *cold;
  }
};

// A parked device with no due time: only a change of the epoch (or of the device) wakes it.
constexpr std::int64_t kNoWake = INT64_MAX;

// One due time of the heap of Impl::wakes: live while its device is parked with this generation (lazy deletion).
struct Wake {
  std::int64_t at_us = 0;
  std::uint32_t device = 0;
  std::uint32_t gen = 0;
};
// std::push_heap keeps the largest first: "later" puts the earliest due time at the front.
inline bool later(const Wake& a, const Wake& b) { return a.at_us > b.at_us; }

// What parking a device asks of the tick's thread: to list it among the parked devices, to push its due time.
enum : std::uint8_t { kPushList = 1, kPushHeap = 2 };

domain::Eid eid_of(const DeviceState& d) {
  auto e = domain::Eid::from_bytes(d.eid);
  return e ? std::move(e).value() : domain::Eid{};  // a default (empty) EID packs to zeros, which is not an EID
}

// Where an Evidence lives with what its views point into (the series expanded from the ring, the status entry), reused
// from one device to the next.
struct EvidenceBuf {
  policy::Evidence e;
  policy::CarrierStatusEntry status;
  std::array<std::vector<policy::Sample>, SampleRing::kMetrics> series;
};

struct HealthSample {
  TimePoint at{};
  bool attached = true;
  float latency_ms = -1;
  float rsrp_dbm = 1;
};

struct Health {
  std::string carrier_id;
  domain::CountryCode country;
  std::deque<HealthSample> window;
  std::deque<HealthSample> long_window;   // the last recovery_hold, for recovery with few reporters
  std::optional<double> base_no_service;  // baseline share without service
  std::optional<double> base_latency;     // baseline p50 latency
  std::optional<double> base_rsrp;        // baseline median RSRP
  std::optional<double> base_rsrp_sd;     // baseline spread of RSRP (dB)
  std::optional<double> base_loglat_sd;   // baseline spread of ln(latency)
  std::size_t base_updates = 0;           // healthy judgements that taught the baseline
  std::size_t base_records = 0;           // records those judgements brought in (each counted once)
  std::size_t fresh_records = 0;          // records since the last judgement
  domain::CarrierStatus detected = domain::CarrierStatus::up;
  std::string detected_evidence;
  domain::CarrierStatus feed = domain::CarrierStatus::up;
  std::string feed_note;
  std::optional<TimePoint> unhealthy_at;  // last judgement that was not healthy
  std::optional<TimePoint> healthy_since;
  std::optional<double> last_latency_p50;
  std::optional<double> last_rsrp_p50;
  std::optional<std::size_t> outage;      // index into Impl::outages while active
  // The last judgement itself: its state, whether its window had fewer than min_population records, and how far it
  // stood from the baseline (share without service above it; latency and RSRP shifts in standard errors).
  domain::CarrierStatus judged = domain::CarrierStatus::up;
  bool judged_few = true;
  double share_excess = 0;
  double z_latency = 0;
  double z_rsrp = 0;
  std::optional<Tariff> tariff;

  domain::CarrierStatus effective() const {
    return severity(feed) >= severity(detected) ? feed : detected;
  }
};

// One wave sequence (failover or return home) of one outage.
struct Wave {
  std::vector<std::uint32_t> queue;   // device indexes, in release order
  std::size_t next = 0;
  std::vector<std::uint32_t> canary;
  std::optional<TimePoint> canary_at;
  std::size_t canary_confirmed = 0;
  bool passed = false;
  std::size_t wave_size = 0;          // size of the current (post-canary) wave
  std::size_t released_in_wave = 0;
  bool active = false;
};

struct OutageState {
  Outage o;
  Wave failover;
  Wave back;
  std::vector<std::string> backups;   // health keys the wave moved devices to
  bool return_started = false;
};

struct Act {
  enum Kind { switch_, fallback, unset_fallback, alert, outage_change } kind = alert;
  domain::Eid eid;
  domain::Iccid iccid;
  bool rollback = false;
  std::string text;
  std::string reason;
  Outage outage;
};

}  // namespace engine_detail

using engine_detail::eid_of;
using engine_detail::iccid_of;

struct Engine::Impl {
  using DeviceState = engine_detail::DeviceState;
  using Health = engine_detail::Health;
  using OutageState = engine_detail::OutageState;
  using Wave = engine_detail::Wave;
  using Act = engine_detail::Act;

  Impl(EngineConfig c, Actuator& a) : config(std::move(c)), actuator(a) { groups.intern(""); }

  EngineConfig config;
  Actuator& actuator;
  mutable std::mutex mu;
  std::vector<DeviceState> devices;
  std::vector<std::uint32_t> free_slots;
  // Packed EID -> slot in `devices` (open addressing; the key is the device's own packed EID).
  EidIndex index;
  std::map<std::string, Health, std::less<>> health;  // "carrier/CC"; looked up by string_view
  NameTable carriers;  // carrier ids of the registry's profiles (a device holds indexes)
  std::unordered_map<std::uint64_t, Health*> health_index;  // health_id(carrier, country) -> entry of `health`
  NameTable groups;    // policy groups; "" (no group) is index 0
  std::vector<OutageState> outages;
  PolicySet policies;
  policy::Policy default_policy = default_fleet_policy();
  mutable std::map<std::string, std::shared_ptr<const policy::CompiledPolicy>> compiled;
  // The effective policy of a device without a device document depends on its group only: by group index, with the
  // series its rules read. Cleared with `compiled`.
  struct GroupPolicy {
    const policy::CompiledPolicy* policy = nullptr;
    std::uint8_t series = engine_detail::kAllSeries;
    // Incremental evaluation: whether its devices may settle (not when it reads savings: each evaluation of a due
    // device samples the savings), and the thresholds a record is checked against.
    bool incremental = false;
    std::vector<policy::WatchedThreshold> watched;

    void set(const policy::CompiledPolicy* p) {
      policy = p;
      series = engine_detail::series_read(*p);
      incremental = (p->reads() & policy::kReadsSavings) == 0;
      watched = policy::watched_thresholds(*p);
    }
  };
  mutable std::vector<GroupPolicy> by_group;
  std::set<EidIndex::Key> with_device_policy;  // packed EIDs of policies.devices
  EngineStats stats;
  double tokens = 0;
  std::optional<TimePoint> last_tick;
  std::optional<TimePoint> prev_tick;  // the tick before last_tick (silence observations fall between the two)
  std::vector<Act> acts;
  // tick() scratch: the devices due for evaluation, whether each is quiet, and their flags before the scan.
  std::vector<std::uint32_t> due;
  std::vector<std::uint8_t> due_quiet;
  std::vector<std::uint32_t> pending_devices;  // devices given a pending switch (tick checks their timeouts)
  std::vector<std::uint8_t> due_flags;  // dirty (1) and watch (2) of each due device before the scan
  // Incremental evaluation (docs/engine.md): a device settles (DeviceState::settled_epoch) at the current epoch; the
  // epoch moves on whatever any device's decision can read beyond its own records — a (carrier, country)'s status,
  // outage or detection, a new health entry, a tariff, the policies, time going backwards — which unsettles every
  // device at once. `skipped_devices` are the devices a record left settled since the last tick.
  std::uint32_t epoch = 1;
  std::uint32_t epoch_at_tick = 1;
  std::vector<std::uint32_t> skipped_devices;
  // Due times (docs/engine.md, "Due times"): the due times of parked devices (a min-heap by time, lazy deletion: an
  // entry is live while its device is parked with that generation), the parked devices (some since unparked: all woken
  // when the epoch moves), and the epoch they were parked at. The sizes after the last compaction bound the garbage.
  std::vector<engine_detail::Wake> wakes;
  std::vector<std::uint32_t> parked_devices;
  std::uint32_t parked_epoch = 0;
  std::size_t wakes_kept = 0;
  std::size_t parked_kept = 0;

  // ---- policies
  std::string chain_key(const PolicySet& set, const DeviceState& d) const {
    std::string k = "g:";
    if (set.groups.count(groups.name(d.group))) k += groups.name(d.group);
    if (!set.devices.empty()) {
      const domain::Eid eid = eid_of(d);
      if (set.devices.count(eid)) k += "|d:" + eid.str();
    }
    return k;
  }

  std::shared_ptr<const policy::CompiledPolicy> policy_for(const PolicySet& set, const DeviceState& d,
                                                           std::map<std::string, std::shared_ptr<const policy::CompiledPolicy>>& cache) const {
    const std::string key = chain_key(set, d);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    std::vector<const policy::Policy*> chain;
    chain.push_back(set.fleet ? &*set.fleet : &default_policy);
    if (auto g = set.groups.find(groups.name(d.group)); g != set.groups.end()) chain.push_back(&g->second);
    if (!set.devices.empty()) {
      if (auto dv = set.devices.find(eid_of(d)); dv != set.devices.end()) chain.push_back(&dv->second);
    }
    auto p = std::make_shared<const policy::CompiledPolicy>(
        policy::CompiledPolicy::compile(policy::merge_policies(std::span<const policy::Policy* const>(chain))));
    cache.emplace(key, p);
    return p;
  }

  // The device's effective compiled policy (owned by `compiled`).
  const policy::CompiledPolicy& policy_of(const DeviceState& d) const { return *group_policy(d).policy; }
  const GroupPolicy& group_policy(const DeviceState& d) const {
    thread_local GroupPolicy one;  // a device with its own document: not cached by group
    if (!with_device_policy.empty() && with_device_policy.count(d.eid) != 0) {
      one.set(policy_for(policies, d, compiled).get());
      one.incremental = false;  // a device document: its devices are evaluated on every record
      return one;
    }
    if (d.group >= by_group.size()) by_group.resize(groups.size());
    GroupPolicy& g = by_group[d.group];
    if (g.policy == nullptr) g.set(policy_for(policies, d, compiled).get());
    return g;
  }

  // ---- health lookups
  const Health* health_of(std::uint32_t carrier, const domain::CountryCode& country) const {
    auto it = health_index.find(engine_detail::health_id(carrier, country));
    return it == health_index.end() ? nullptr : it->second;
  }
  Health* health_of(const std::string& carrier, const domain::CountryCode& country) {
    if (carrier.size() > engine_detail::HealthKeyBuf::kMaxCarrier) {
      auto it = health.find(engine_detail::health_key(carrier, country));
      return it == health.end() ? nullptr : &it->second;
    }
    auto it = health.find(engine_detail::HealthKeyBuf(carrier, country).view());
    return it == health.end() ? nullptr : &it->second;
  }
  const Health* health_of(const std::string& carrier, const domain::CountryCode& country) const {
    if (carrier.size() > engine_detail::HealthKeyBuf::kMaxCarrier) {
      auto it = health.find(engine_detail::health_key(carrier, country));
      return it == health.end() ? nullptr : &it->second;
    }
    auto it = health.find(engine_detail::HealthKeyBuf(carrier, country).view());
    return it == health.end() ? nullptr : &it->second;
  }
  Health& health_at(const std::string& carrier, const domain::CountryCode& country) {
    if (Health* h = health_of(carrier, country)) return *h;
    auto [it, fresh] = health.try_emplace(engine_detail::health_key(carrier, country));
    if (fresh) {
      ++epoch;  // a candidate's status now comes from an entry
      it->second.carrier_id = carrier;
      it->second.country = country;
      health_index.emplace(engine_detail::health_id(carriers.intern(carrier), country), &it->second);
    }
    return it->second;
  }
  Health& health_at(std::uint32_t carrier, const domain::CountryCode& country) {
    auto it = health_index.find(engine_detail::health_id(carrier, country));
    return it != health_index.end() ? *it->second : health_at(carriers.name(carrier), country);
  }

  const std::string& carrier_of(const engine_detail::ProfileSlot& p) const { return carriers.name(p.carrier); }

  const std::string* current_carrier(const DeviceState& d) const {
    if (!d.enabled) return nullptr;
    return &carrier_of(d.profiles[*d.enabled]);
  }

  // ---- usage forecast: average rate since the first record, scaled to 30 days (MB)
  static std::optional<double> forecast_mb(const DeviceState& d, TimePoint now) {
    if (!d.first_record) return std::nullopt;
    const auto span = (now - *d.first_record).count();
    if (span < std::chrono::duration_cast<Duration>(std::chrono::minutes(10)).count()) return std::nullopt;
    return static_cast<double>(d.bytes_total) / 1e6 * static_cast<double>(engine_detail::kMonthUs) /
           static_cast<double>(span);
  }

  std::optional<domain::Money> monthly_cost(const DeviceState& d, std::uint32_t carrier, TimePoint now) const {
    if (!d.country) return std::nullopt;
    const Health* h = health_of(carrier, *d.country);
    if (h == nullptr || !h->tariff) return std::nullopt;
    const double mb = forecast_mb(d, now).value_or(0);
    domain::Money m = h->tariff->monthly_fee;
    m.micros += static_cast<std::int64_t>(std::llround(mb * static_cast<double>(h->tariff->price_per_mb.micros)));
    return m;
  }

  // ---- candidates: one per profile; the current one separately
  void candidates(const DeviceState& d, TimePoint now, std::vector<policy::Candidate>& out,
                  std::vector<std::size_t>& profile_of, std::optional<policy::Candidate>& current) const {
    out.clear();
    profile_of.clear();
    current.reset();
    for (std::size_t i = 0; i < d.profiles.size(); ++i) {
      const engine_detail::ProfileSlot& p = d.profiles[i];
      const std::string& carrier = carrier_of(p);
      policy::Candidate c;
      c.carrier_id = carrier;
      c.plmn = p.plmn;
      if (d.country) {
        if (const Health* h = health_of(p.carrier, *d.country)) {
          c.status = h->effective();
          c.outage = h->outage.has_value() || h->detected != domain::CarrierStatus::up;
          c.rsrp_dbm = h->last_rsrp_p50 ? h->last_rsrp_p50 : h->base_rsrp;
          c.latency_ms = h->last_latency_p50 ? h->last_latency_p50 : h->base_latency;
        }
      }
      c.monthly_cost = monthly_cost(d, p.carrier, now);
      if (is_bad(d, i, now)) c.outage = true;  // this device could not use it lately
      if (d.enabled && *d.enabled == i) {
        if (auto r = d.samples.last(SampleRing::rsrp)) c.rsrp_dbm = r;
        if (auto l = latency_p50(d, now)) c.latency_ms = l;
        current = c;
        continue;
      }
      out.push_back(std::move(c));
      profile_of.push_back(i);
    }
  }

  static bool is_bad(const DeviceState& d, std::size_t k, TimePoint now) {
    for (const auto& [p, until] : d.rare().bad) {
      if (p == k && until > now) return true;
    }
    return false;
  }

  void mark_bad(DeviceState& d, std::size_t k, TimePoint now) {
    auto& bad = d.rare_mut().bad;
    std::erase_if(bad, [&](const auto& b) { return b.first == k || b.second <= now; });
    bad.emplace_back(k, now + std::chrono::hours(24));
    d.dirty = true;
  }

  static std::optional<double> latency_p50(const DeviceState& d, TimePoint now) {
    thread_local std::vector<policy::Sample> series;
    d.samples.series(SampleRing::latency, series);
    std::vector<double> v;
    for (const auto& s : series) {
      if (s.at > now - policy::kDefaultLatencyWindow && s.at <= now) v.push_back(s.value);
    }
    return engine_detail::percentile(std::move(v), 50);
  }

  // Roaming follows the enabled profile and the country (geography.hpp); `at` starts it. Re-derived only when one of
  // them changes (and at a device's first record), not on every record.
  static void update_roaming(DeviceState& d, TimePoint at) {
    if (!is_roaming(d.enabled ? d.profiles[*d.enabled].home : std::nullopt, d.country)) {
      d.roaming_since.reset();
    } else if (!d.roaming_since) {
      d.roaming_since = at;
    }
  }

  // ---- evidence (views into the device state; `status` must outlive the evidence)
  // `series`: the sample series to expand (bit m: SampleRing::Metric m); a policy reads only its own (series_read).
  // The evidence lives in `buf` (valid until its next use): its strings keep their capacity from one device to the
  // next, so a long carrier id is not allocated per evaluation.
  const policy::Evidence& evidence(const DeviceState& d, TimePoint now, engine_detail::EvidenceBuf& buf,
                                   std::uint8_t series = engine_detail::kAllSeries) const {
    policy::Evidence& e = buf.e;
    e.now = now;
    if (const std::string* c = current_carrier(d)) {
      e.carrier_id.assign(*c);
    } else {
      e.carrier_id.clear();
    }
    e.serving_plmn = d.serving_plmn;
    e.country = d.country;
    e.previous_country = d.previous_country;
    e.country_since = d.country_since;
    e.roaming = d.roaming_since.has_value();
    e.roaming_since = d.roaming_since;
    e.home_country = d.enabled ? d.profiles[*d.enabled].home : std::nullopt;
    e.no_service_since = d.attached ? std::nullopt : d.no_service_since;
    for (std::size_t m = 0; m < SampleRing::kMetrics; ++m) {
      if (series & (1u << m)) {
        d.samples.series(static_cast<SampleRing::Metric>(m), buf.series[m]);
      } else {
        buf.series[m].clear();
      }
    }
    e.rsrp = buf.series[SampleRing::rsrp];
    e.rsrq = buf.series[SampleRing::rsrq];
    e.sinr = buf.series[SampleRing::sinr];
    e.latency_ms = buf.series[SampleRing::latency];
    const engine_detail::DeviceCold& rare = d.rare();
    e.savings_monthly = rare.savings;
    policy::CarrierStatusEntry& status = buf.status;
    e.outage = false;
    e.carrier_status = {};
    if (d.country && !e.carrier_id.empty()) {
      if (const Health* h = health_of(d.profiles[*d.enabled].carrier, *d.country)) {
        status.carrier_id.assign(e.carrier_id);
        status.country = *d.country;
        status.status = h->effective();
        e.carrier_status = std::span<const policy::CarrierStatusEntry>(&status, 1);
        e.outage = h->outage.has_value();
      }
    }
    e.last_switch_at = rare.last_switch_at;
    e.last_action_at = rare.last_action_at;
    unsigned n = 0;
    for (TimePoint t : rare.switches) {
      if (t > now - std::chrono::hours(24)) ++n;
    }
    e.switches_last_24h = n;
    return e;
  }

  // ---- device registry
  std::optional<std::uint32_t> find_device(const EidIndex::Key& key) const {
    return index.find(key, [this](std::uint32_t slot) -> const EidIndex::Key& { return devices[slot].eid; });
  }

  std::optional<std::size_t> profile_index(const DeviceState& d, const domain::Iccid& iccid) const {
    const auto packed = iccid.to_wire();
    for (std::size_t i = 0; i < d.profiles.size(); ++i) {
      if (d.profiles[i].iccid == packed) return i;
    }
    return std::nullopt;
  }

  void upsert(DeviceInfo info) {
    const auto key = info.eid.to_bytes();
    const auto found = find_device(key);
    std::uint32_t i;
    if (!found) {
      if (!free_slots.empty()) {
        i = free_slots.back();
        free_slots.pop_back();
        devices[i] = DeviceState{};
      } else {
        i = static_cast<std::uint32_t>(devices.size());
        devices.emplace_back();
      }
      index.insert(key, i);
    } else {
      i = *found;
    }
    DeviceState& d = devices[i];
    d.enabled.reset();
    d.fallback.reset();
    // At most 65,535 profiles are kept (an eUICC holds a few dozen).
    const std::size_t n = std::min<std::size_t>(info.profiles.size(), UINT16_MAX);
    d.profiles.clear();
    d.profiles.reserve(n);
    for (std::size_t k = 0; k < n; ++k) {
      const ProfileInfo& p = info.profiles[k];
      if (info.enabled && p.iccid == *info.enabled) d.enabled = static_cast<std::uint16_t>(k);
      if (p.fallback) d.fallback = static_cast<std::uint16_t>(k);
      d.profiles.push_back(engine_detail::ProfileSlot{p.iccid.to_wire(), carriers.intern(p.carrier_id), p.plmn,
                                                      profile_home_country(p)});
    }
    if (!d.country) d.country = info.country;
    d.eid = key;
    d.group = groups.intern(info.group);
    d.priority = info.priority;
    d.fallback_supported = info.fallback_supported;
    if (d.last_seen) update_roaming(d, *d.last_seen);  // else at its first record
    d.dirty = true;
    d.settled_epoch = 0;
  }

  // Keeps a series within what the policy reads (plus the sample before the window) and the hard cap.
  void trim(SampleRing& ring, SampleRing::Metric m, Duration keep, TimePoint now) const {
    ring.trim(m, now - std::max(keep, config.min_history), config.max_samples_per_series);
  }

  void note_switch(DeviceState& d, TimePoint at) {
    engine_detail::DeviceCold& c = d.rare_mut();
    c.last_switch_at = at;
    c.switches.push_back(at);
    std::erase_if(c.switches, [&](TimePoint t) { return t <= at - std::chrono::hours(24); });
    d.samples.clear();
  }

  // The device is on profile `k` (telemetry or feedback): reconcile with what the engine asked for.
  void on_profile(std::uint32_t di, std::size_t k, bool attached, TimePoint at) {
    DeviceState& d = devices[di];
    if (!d.enabled || *d.enabled != k) {
      // Back off the profile the engine just had it enable (a rollback, or the device's own fallback because it
      // did not attach there): that profile does not serve this device now.
      const engine_detail::DeviceCold& r = d.rare();
      if (d.enabled && r.confirmed_target && *r.confirmed_target == *d.enabled && r.confirmed_at &&
          at - *r.confirmed_at < std::chrono::hours(1)) {
        mark_bad(d, *d.enabled, at);
        // A rollback undoes the switch: the cooldown runs from the action before it (the next-best target is tried).
        engine_detail::DeviceCold& c = d.rare_mut();
        if (c.confirmed_sent_at && c.last_action_at == c.confirmed_sent_at) c.last_action_at = c.confirmed_action_before;
      }
      if (d.enabled) note_switch(d, at);
      d.enabled = static_cast<std::uint16_t>(k);
      update_roaming(d, at);
      d.dirty = true;
    }
    if (d.rare().pending) {
      engine_detail::DeviceCold& c = d.rare_mut();
      if (c.pending->profile == k && attached) {
        c.confirmed_target = k;
        c.confirmed_at = at;
        c.confirmed_sent_at = c.pending->at;
        c.confirmed_action_before = c.pending->action_before;
        confirm(di, true);
      } else if (c.pending->profile != k && c.last_switch_at && *c.last_switch_at >= c.pending->at && attached &&
                 k != c.pending->profile) {
        // The device moved elsewhere on its own (fallback) after we asked: the request is moot.
        c.pending.reset();
      }
    }
  }

  void confirm(std::uint32_t di, bool ok) {
    DeviceState& d = devices[di];
    if (!d.rare().pending) return;
    engine_detail::DeviceCold& c = d.rare_mut();
    const engine_detail::Pending p = *c.pending;
    c.pending.reset();
    if (!ok) {
      mark_bad(d, p.profile, d.last_seen.value_or(p.at));
      if (c.last_action_at == p.at) c.last_action_at = p.action_before;
    }
    if (p.outage.empty()) return;
    for (OutageState& os : outages) {
      if (os.o.id != p.outage) continue;
      Wave& w = p.return_home ? os.back : os.failover;
      if (ok) {
        if (p.return_home) {
          ++os.o.returned_home;
        } else {
          ++os.o.confirmed;
        }
        if (std::find(w.canary.begin(), w.canary.end(), di) != w.canary.end()) ++w.canary_confirmed;
      } else {
        ++os.o.failed;
      }
      if (p.return_home && ok) {
        c.home.reset();
        c.home_outage.clear();
      }
      break;
    }
  }

  // A record's checks against the device (the device is known).
  static Status check_record(const TelemetryRecord& r, const DeviceState& d) {
    if (r.rsrp_dbm && !(std::isfinite(*r.rsrp_dbm) && *r.rsrp_dbm >= -160 && *r.rsrp_dbm <= -20)) {
      return Error(Errc::invalid_argument, "rsrp_dbm out of range (-160..-20)", "rsrp_dbm");
    }
    if (r.latency_ms && !(std::isfinite(*r.latency_ms) && *r.latency_ms >= 0 && *r.latency_ms <= 3.6e6)) {
      return Error(Errc::invalid_argument, "latency_ms out of range (0..3600000)", "latency_ms");
    }
    if (d.last_seen && r.time < *d.last_seen) {
      return Error(Errc::invalid_argument, "record older than the device's last record", "time");
    }
    return ok_status();
  }

  Status ingest_one(const TelemetryRecord& r) {
    const auto found = find_device(r.eid.to_bytes());
    if (!found) return Error(Errc::not_found, "unknown device " + r.eid.str(), "eid");
    const std::uint32_t di = *found;
    if (Status st = check_record(r, devices[di]); !st.ok()) return st;
    ++stats.records;
    if (apply_record(di, r)) {
      skipped_devices.push_back(di);
      ++stats.evaluations_skipped;
    }
    if (const HealthNote note = record_health_note(devices[di], r); note.counted) apply_to_health(di, note, r);
    return ok_status();
  }

  // Where a record of the device counts for fleet health: the (carrier, country) it is on, once it has had service.
  struct HealthNote {
    bool counted = false;
    std::uint32_t carrier = 0;
    domain::CountryCode country;
  };
  static HealthNote health_note(const DeviceState& d) {
    // A device that never had service since the engine knows it says nothing about a change (a coverage hole).
    if (!d.enabled || !d.country || !d.ever_attached) return {};
    return HealthNote{true, d.profiles[*d.enabled].carrier, *d.country};
  }
  // The same for a record just applied to the device: a record without service that ends a presumption whose silence
  // health already counted is that same spell, not counted again (docs/engine.md "Silence").
  static HealthNote record_health_note(DeviceState& d, const TelemetryRecord& r) {
    const bool counted_silent = std::exchange(d.silence_in_health, false);
    if (counted_silent && !r.attached) return {};
    return health_note(d);
  }

  // What a device's decision reads of its own state besides its samples (incremental evaluation): a record that
  // leaves all of it as it was, and whose samples fail every threshold the policy watches, changes nothing the
  // device's last (quiet) evaluation depended on.
  struct Signature {
    std::optional<std::uint16_t> enabled, fallback;
    bool attached = true;
    std::optional<domain::CountryCode> country, previous_country;
    std::optional<domain::Plmn> serving_plmn;
    std::optional<TimePoint> country_since, roaming_since, no_service_since;
    bool operator==(const Signature&) const = default;
  };
  static Signature signature(const DeviceState& d) {
    return Signature{d.enabled, d.fallback, d.attached, d.country, d.previous_country, d.serving_plmn,
                     d.country_since, d.roaming_since, d.no_service_since};
  }

  // Whether a sample of the record satisfies one of the watched thresholds (compared as the ring keeps it: a float).
  static bool crosses(const TelemetryRecord& r, std::span<const policy::WatchedThreshold> watched) {
    if (!r.attached) return false;  // no sample is kept
    for (const policy::WatchedThreshold& w : watched) {
      const std::optional<double>& v = w.metric == policy::Metric::rsrp   ? r.rsrp_dbm
                                       : w.metric == policy::Metric::rsrq ? r.rsrq_db
                                       : w.metric == policy::Metric::sinr ? r.sinr_db
                                                                          : r.latency_ms;
      if (v && policy::compare(static_cast<double>(static_cast<float>(*v)), w.op, w.threshold)) return true;
    }
    return false;
  }

  // Applies the record to its device; returns true when it left the device settled (not dirty, docs/engine.md
  // "Incremental evaluation"): the device was settled at the current epoch, not due for another reason, and the
  // record changed nothing of its signature and crossed no watched threshold. Such a device's series are trimmed
  // here (the tick does not touch it), to the cut-off the next tick's trim would at most apply.
  bool apply_record(std::uint32_t di, const TelemetryRecord& r) {
    DeviceState& d = devices[di];
    const bool settled = d.settled_epoch == epoch && !d.dirty && !d.watch && !d.wave_queued &&
                         !(d.cold && d.cold->pending) && d.group < by_group.size() &&
                         by_group[d.group].policy != nullptr && by_group[d.group].incremental &&
                         (with_device_policy.empty() || with_device_policy.count(d.eid) == 0);
    if (!settled) {
      apply_to_device(di, r);
      return false;
    }
    const Signature before = signature(d);
    apply_to_device(di, r);
    const GroupPolicy& gp = by_group[d.group];
    if (!(signature(d) == before) || crosses(r, gp.watched)) {
      d.settled_epoch = 0;
      return false;
    }
    d.dirty = false;
    d.skipped = true;
    trim_series(d, *gp.policy, last_tick ? std::min(r.time, *last_tick) : r.time);
    return true;
  }

  // The record's effect on its own device. Touches that device only, except through confirm() when an engine switch
  // is pending (the parallel batch leaves such records to the serial pass).
  void apply_to_device(std::uint32_t di, const TelemetryRecord& r) {
    DeviceState& d = devices[di];
    if (r.enabled_iccid) {
      if (auto k = profile_index(d, *r.enabled_iccid)) on_profile(di, *k, r.attached, r.time);
    } else if (r.serving_plmn && r.attached) {
      for (std::size_t k = 0; k < d.profiles.size(); ++k) {
        if (d.profiles[k].plmn && *d.profiles[k].plmn == *r.serving_plmn) {
          on_profile(di, k, true, r.time);
          break;
        }
      }
    }
    if (const auto where = record_country(r); where && (!d.country || *d.country != *where)) {
      d.previous_country = d.country;
      d.country = where;
      d.country_since = r.time;
      update_roaming(d, r.time);
    } else if (!d.first_record) {
      update_roaming(d, r.time);
    }
    d.serving_plmn = r.attached ? r.serving_plmn : std::nullopt;
    if (r.attached) {
      d.no_service_since.reset();
    } else if (d.attached || !d.no_service_since) {
      d.no_service_since = r.time;
    }
    d.attached = r.attached;
    d.silent = false;  // what the record says replaces the presumption (a spell without service goes on from it)
    d.last_seen = r.time;
    if (d.record_count < UINT32_MAX) ++d.record_count;
    if (!d.first_record) d.first_record = r.time;
    d.bytes_total += r.bytes_up + r.bytes_down;
    if (r.attached) d.samples.push(r.time, r.rsrp_dbm, r.rsrq_db, r.sinr_db, r.latency_ms);
    d.dirty = true;
    if (r.attached) d.ever_attached = true;
  }

  // The record's effect on the fleet health of the (carrier, country) the device was on after it.
  void apply_to_health(std::uint32_t di, const HealthNote& note, const TelemetryRecord& r) {
    Health& h = health_at(note.carrier, note.country);
    engine_detail::HealthSample s;
    s.at = r.time;
    s.attached = r.attached;
    if (r.attached && r.latency_ms) s.latency_ms = static_cast<float>(*r.latency_ms);
    if (r.attached && r.rsrp_dbm) s.rsrp_dbm = static_cast<float>(*r.rsrp_dbm);
    h.window.push_back(s);
    h.long_window.push_back(s);
    ++h.fresh_records;
    // A reachable device on a carrier in outage joins that outage's wave.
    const DeviceState& d = devices[di];
    if (h.outage && r.attached && !d.wave_queued && !d.rare().pending) {
      OutageState& os = outages[*h.outage];
      if (os.failover.active) enqueue(os.failover, di);
    }
  }

  // A batch on two threads (docs/engine.md, "Ingest"): records are split by a digit of their EID, so each device is
  // handled by one thread, in record order. Each thread checks its records and applies them to their devices; the
  // fleet-health part, and whole records of devices with an engine switch pending (their feedback reaches the
  // outages), follow on this thread in record order. The outcome is the serial one's.
  std::vector<Status> ingest_many(std::span<const TelemetryRecord> records) {
    const std::size_t n = records.size();
    std::vector<Status> out(n);
    if (n < std::max<std::size_t>(1, config.parallel_ingest_from)) {
      for (std::size_t j = 0; j < n; ++j) out[j] = ingest_one(records[j]);
      return out;
    }
    enum : std::uint8_t { kRefused = 0, kApplied = 1, kLater = 2 };
    std::vector<std::uint8_t> what(n, kRefused);
    std::vector<HealthNote> notes(n);
    std::vector<std::uint32_t> slot_of(n);
    const auto shard_of = [](const TelemetryRecord& r) -> unsigned {
      const std::string& e = r.eid.str();
      return e.empty() ? 0u : static_cast<unsigned>(e.back()) & 1u;  // the last check digit
    };
    const auto work = [&](unsigned shard, std::uint64_t& applied, std::vector<std::uint32_t>& skipped) {
      std::vector<std::uint32_t> mine;
      std::vector<EidIndex::Key> keys;
      std::vector<std::uint32_t> hashes;
      for (std::size_t j = 0; j < n; ++j) {
        if (j + 8 < n) __builtin_prefetch(records[j + 8].eid.str().data());
        if (shard_of(records[j]) != shard) continue;
        mine.push_back(static_cast<std::uint32_t>(j));
        keys.push_back(records[j].eid.to_bytes());
        hashes.push_back(EidIndex::hash(keys.back()));
        index.prefetch_hashed(hashes.back());
      }
      const auto key_of = [this](std::uint32_t slot) -> const EidIndex::Key& { return devices[slot].eid; };
      std::vector<std::uint32_t> later_devices;  // a device with a record left for later keeps its order
      std::vector<std::uint32_t> slots(mine.size(), UINT32_MAX);  // found ahead of use
      const auto lookup = [&](std::size_t m) {
        if (auto found = index.find_hashed(keys[m], hashes[m], key_of)) slots[m] = *found;
      };
      for (std::size_t m = 0; m < std::min<std::size_t>(4, mine.size()); ++m) lookup(m);
      for (std::size_t m = 0; m < mine.size(); ++m) {
        // Three stages ahead of use: the index cell (above), the device, then its sample ring.
        if (m + 4 < mine.size()) {
          lookup(m + 4);
          if (slots[m + 4] != UINT32_MAX) __builtin_prefetch(&devices[slots[m + 4]]);
        }
        if (m + 2 < mine.size() && slots[m + 2] != UINT32_MAX) devices[slots[m + 2]].samples.prefetch();
        const std::size_t j = mine[m];
        const TelemetryRecord& r = records[j];
        const std::optional<std::uint32_t> found =
            slots[m] == UINT32_MAX ? std::nullopt : std::optional<std::uint32_t>(slots[m]);
        if (!found) {
          out[j] = Error(Errc::not_found, "unknown device " + r.eid.str(), "eid");
          continue;
        }
        const std::uint32_t di = *found;
        DeviceState& d = devices[di];
        if ((d.cold && d.cold->pending) ||
            std::find(later_devices.begin(), later_devices.end(), di) != later_devices.end()) {
          what[j] = kLater;
          if (std::find(later_devices.begin(), later_devices.end(), di) == later_devices.end()) later_devices.push_back(di);
          continue;
        }
        if (Status st = check_record(r, d); !st.ok()) {
          out[j] = std::move(st);
          continue;
        }
        ++applied;
        if (apply_record(di, r)) skipped.push_back(di);
        notes[j] = record_health_note(d, r);
        slot_of[j] = di;
        what[j] = kApplied;
      }
    };
    std::uint64_t applied_a = 0, applied_b = 0;
    std::vector<std::uint32_t> skipped_a, skipped_b;
    engine_detail::on_two_threads([&] { work(0u, applied_a, skipped_a); }, [&] { work(1u, applied_b, skipped_b); });
    stats.records += applied_a + applied_b;
    stats.evaluations_skipped += skipped_a.size() + skipped_b.size();
    skipped_devices.insert(skipped_devices.end(), skipped_a.begin(), skipped_a.end());
    skipped_devices.insert(skipped_devices.end(), skipped_b.begin(), skipped_b.end());
    for (std::size_t j = 0; j < n; ++j) {
      if (what[j] == kLater) {
        out[j] = ingest_one(records[j]);
      } else if (what[j] == kApplied && notes[j].counted) {
        apply_to_health(slot_of[j], notes[j], records[j]);
      }
    }
    return out;
  }

  // Something other than its own records touches the device: it is no longer settled, and a record it skipped since
  // the last tick makes it due again (dirty, as without incremental evaluation).
  static void unsettle(DeviceState& d) {
    d.settled_epoch = 0;
    if (d.skipped) {
      d.dirty = true;
      d.skipped = false;
    }
  }

  // All the devices a record left settled since the last tick are due after all (the epoch moved).
  void unsettle_skipped() {
    for (std::uint32_t i : skipped_devices) {
      if (i < devices.size()) unsettle(devices[i]);
    }
  }

  // Inserts a device in a wave's unreleased part, critical devices first.
  void enqueue(Wave& w, std::uint32_t di) {
    DeviceState& d = devices[di];
    unsettle(d);
    d.wave_queued = true;
    auto first = w.queue.begin() + static_cast<std::ptrdiff_t>(w.next);
    auto pos = std::upper_bound(first, w.queue.end(), di, [&](std::uint32_t a, std::uint32_t b) {
      return devices[a].priority > devices[b].priority;
    });
    w.queue.insert(pos, di);
  }

  // ---- health judgement of one (carrier, country)
  void judge_all(TimePoint now) {
    if (devices.size() < std::max<std::size_t>(1, config.parallel_tick_from) || health.size() < 2) {
      for (auto& [key, h] : health) judge(h, now);
      return;
    }
    std::vector<Health*> all;
    all.reserve(health.size());
    for (auto& [key, h] : health) all.push_back(&h);
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
      for (std::size_t k = next++; k < all.size(); k = next++) judge(*all[k], now);
    };
    engine_detail::on_two_threads(work, work);
  }

  void judge(Health& h, TimePoint now) {
    while (!h.window.empty() && h.window.front().at <= now - config.health_window) h.window.pop_front();
    const Duration long_span = std::max(config.recovery_hold, config.health_window);
    while (!h.long_window.empty() && h.long_window.front().at <= now - long_span) h.long_window.pop_front();
    const bool few = h.window.size() < config.min_population;
    const std::size_t fresh = std::exchange(h.fresh_records, 0);
    h.judged_few = few;
    h.judged = domain::CarrierStatus::up;
    h.share_excess = h.z_latency = h.z_rsrp = 0;
    if (few && (h.detected == domain::CarrierStatus::up || h.long_window.size() < config.recovery_min_population)) {
      // Too few records to judge, and nothing to recover from (or no one left to say).
      h.last_latency_p50.reset();
      h.last_rsrp_p50.reset();
      return;
    }
    // Few reporters during an outage: the last recovery_hold of records says whether it is over.
    const std::deque<engine_detail::HealthSample>& records = few ? h.long_window : h.window;
    const std::size_t n = records.size();
    std::size_t without = 0;
    std::vector<double> lat, rsrp;
    for (const auto& s : records) {
      if (!s.attached) ++without;
      if (s.latency_ms >= 0) lat.push_back(s.latency_ms);
      if (s.rsrp_dbm <= 0) rsrp.push_back(s.rsrp_dbm);
    }
    h.last_latency_p50 = engine_detail::percentile(lat, 50);
    h.last_rsrp_p50 = engine_detail::percentile(rsrp, 50);
    const auto spread = [](const std::vector<double>& v, bool log) -> std::optional<double> {
      if (v.size() < 2) return std::nullopt;
      double sum = 0, sq = 0;
      for (double x : v) {
        const double y = log ? std::log(std::max(1.0, x)) : x;
        sum += y;
        sq += y * y;
      }
      const double m = sum / static_cast<double>(v.size());
      return std::sqrt(std::max(0.0, sq / static_cast<double>(v.size()) - m * m));
    };
    const std::optional<double> rsrp_sd = spread(rsrp, false), loglat_sd = spread(lat, true);
    const std::size_t radio_min = few ? config.recovery_min_population : config.min_population;
    const double share = static_cast<double>(without) / static_cast<double>(n);
    const double base = h.base_no_service.value_or(0);
    h.share_excess = share - base;
    domain::CarrierStatus state = domain::CarrierStatus::up;
    std::string why;
    const std::string window = " in the last " + engine_detail::fmt_duration(few ? long_span : config.health_window);
    if (share - base >= config.down_share) {
      state = domain::CarrierStatus::down;
      why = std::to_string(without) + " of " + std::to_string(n) + " records without service" + window +
            " (baseline " + engine_detail::fmt_num(base * 100, 1) + "%)";
    } else if (share - base >= config.degraded_share) {
      state = domain::CarrierStatus::degraded;
      why = std::to_string(without) + " of " + std::to_string(n) + " records without service" + window +
            " (baseline " + engine_detail::fmt_num(base * 100, 1) + "%)";
    } else {
      // A median shift is judged only against a baseline learned from enough records: a young baseline is as
      // noisy as the window it is compared with, and two such noises read as a degradation.
      const bool mature = h.base_records >= config.baseline_min_records;
      const bool lat_ok = mature && h.base_latency && h.last_latency_p50 && lat.size() >= radio_min;
      const bool rsrp_ok = mature && h.base_rsrp && h.last_rsrp_p50 && rsrp.size() >= radio_min;
      const double ratio = lat_ok ? *h.last_latency_p50 / std::max(1.0, *h.base_latency) : 0;
      const double drop = rsrp_ok ? *h.base_rsrp - *h.last_rsrp_p50 : 0;
      // Standard error of a median: 1.2533 sigma / sqrt(n), with sigma the baseline spread (at least 1 dB / 0.05).
      const double se_rsrp = 1.2533 * std::max(1.0, h.base_rsrp_sd.value_or(1.0)) /
                             std::sqrt(static_cast<double>(std::max<std::size_t>(1, rsrp.size())));
      const double se_lat = 1.2533 * std::max(0.05, h.base_loglat_sd.value_or(0.05)) /
                            std::sqrt(static_cast<double>(std::max<std::size_t>(1, lat.size())));
      h.z_latency = lat_ok && ratio > 0 ? std::log(ratio) / se_lat : 0;
      h.z_rsrp = rsrp_ok ? drop / se_rsrp : 0;
      const bool slow = lat_ok && ratio >= config.latency_ratio && h.z_latency >= config.min_z;
      const bool weak = rsrp_ok && drop >= config.rsrp_drop_db && h.z_rsrp >= config.min_z;
      if ((slow && weak) || (lat_ok && ratio >= config.extreme_latency_ratio) ||
          (rsrp_ok && drop >= config.extreme_rsrp_drop_db)) {
        state = domain::CarrierStatus::degraded;
        if (lat_ok) {
          why = "latency p50 " + engine_detail::fmt_num(*h.last_latency_p50, 0) + " ms (baseline " +
                engine_detail::fmt_num(*h.base_latency, 0) + " ms)";
        }
        if (rsrp_ok) {
          why += std::string(why.empty() ? "" : ", ") + "RSRP median " + engine_detail::fmt_num(*h.last_rsrp_p50, 1) +
                 " dBm (baseline " + engine_detail::fmt_num(*h.base_rsrp, 1) + " dBm)";
        }
        why += " over " + std::to_string(n) + " records" + window;
      }
    }
    h.judged = state;
    if (state == domain::CarrierStatus::up) {
      if (!h.healthy_since) h.healthy_since = now;
      // Only a healthy window teaches the baseline (and only when no outage is active on it).
      if (!h.outage && !few) {
        // The running mean until 1/alpha judgements have taught it, the EWMA after: the first windows do not
        // outweigh the ones after them.
        ++h.base_updates;
        h.base_records += fresh;
        const double a = std::max(config.baseline_alpha, 1.0 / static_cast<double>(h.base_updates));
        h.base_no_service = (1 - a) * h.base_no_service.value_or(0) + a * share;
        if (h.last_latency_p50) {
          h.base_latency = h.base_latency ? (1 - a) * *h.base_latency + a * *h.last_latency_p50 : *h.last_latency_p50;
        }
        if (h.last_rsrp_p50) {
          h.base_rsrp = h.base_rsrp ? (1 - a) * *h.base_rsrp + a * *h.last_rsrp_p50 : *h.last_rsrp_p50;
        }
        if (rsrp_sd) h.base_rsrp_sd = h.base_rsrp_sd ? (1 - a) * *h.base_rsrp_sd + a * *rsrp_sd : *rsrp_sd;
        if (loglat_sd) h.base_loglat_sd = h.base_loglat_sd ? (1 - a) * *h.base_loglat_sd + a * *loglat_sd : *loglat_sd;
      }
      if (h.detected != domain::CarrierStatus::up && h.unhealthy_at && now - *h.unhealthy_at >= config.recovery_hold) {
        h.detected = domain::CarrierStatus::up;
        h.detected_evidence = "healthy for " + engine_detail::fmt_duration(config.recovery_hold);
      }
    } else {
      h.unhealthy_at = now;
      h.healthy_since.reset();
      if (engine_detail::severity(state) >= engine_detail::severity(h.detected) || h.detected == domain::CarrierStatus::up) {
        h.detected = state;
        h.detected_evidence = why;
      }
    }
  }

  // ---- outages
  void declare(Health& h, TimePoint now) {
    OutageState os;
    os.o.carrier_id = h.carrier_id;
    os.o.country = h.country;
    os.o.state = h.effective();
    os.o.source = engine_detail::severity(h.feed) >= engine_detail::severity(h.detected) ? OutageSource::status_feed
                                                                                          : OutageSource::telemetry;
    os.o.declared_at = now;
    os.o.id = h.carrier_id + "/" + h.country.str() + "/" + format_rfc3339(now);
    os.o.evidence = os.o.source == OutageSource::status_feed ? "status feed: " + h.feed_note : h.detected_evidence;
    os.o.verified = os.o.source == OutageSource::status_feed;
    os.failover.active = true;
    const std::size_t oi = outages.size();
    outages.push_back(std::move(os));
    h.outage = oi;
    OutageState& o = outages.back();
    std::vector<std::uint32_t> affected;
    for (std::uint32_t i = 0; i < devices.size(); ++i) {
      DeviceState& d = devices[i];
      if (!d.enabled || !d.country || *d.country != h.country) continue;
      if (carrier_of(d.profiles[*d.enabled]) != h.carrier_id) continue;
      ++o.o.affected_devices;
      d.dirty = true;
      if (d.attached && !d.rare().pending) affected.push_back(i);
    }
    std::stable_sort(affected.begin(), affected.end(), [&](std::uint32_t a, std::uint32_t b) {
      return devices[a].priority > devices[b].priority;
    });
    for (std::uint32_t i : affected) devices[i].wave_queued = true;
    o.failover.queue = std::move(affected);
    acts.push_back(Act{Act::outage_change, {}, {}, false, {}, {}, o.o});
  }

  // A telemetry outage rests on one window of records; across thousands of windows a fleet sees two-signal shifts
  // at z >= min_z by chance (docs/engine.md, "Confirmation"). The first judgement on records that all came after the
  // declaration decides, at half the bar (a real shift stays far above it, chance rarely repeats it): not up, or
  // still a shift of half degraded_share without service, or latency and RSRP both still >= 1 standard
  // errors off their baselines, confirms it; otherwise it is withdrawn (cleared now; the devices already moved
  // stay). Too few fresh records: wait. Returns true when withdrawn.
  bool confirm_or_withdraw(Health& h, OutageState& os, TimePoint now) {
    if (h.feed != domain::CarrierStatus::up) {
      os.o.verified = true;
      return false;
    }
    if (now - os.o.declared_at < config.health_window || h.judged_few) return false;
    constexpr double kConfirmZ = 1.0;
    if (h.judged != domain::CarrierStatus::up || h.share_excess >= config.degraded_share / 2 ||
        (h.z_latency >= kConfirmZ && h.z_rsrp >= kConfirmZ)) {
      os.o.verified = true;
      acts.push_back(Act{Act::outage_change, {}, {}, false, {}, {}, os.o});
      return false;
    }
    os.o.withdrawn = true;
    os.o.evidence += "; not confirmed: the next " + engine_detail::fmt_duration(config.health_window) + " of " +
                     std::to_string(h.window.size()) + " records was healthy";
    h.detected = domain::CarrierStatus::up;
    h.detected_evidence = "withdrawn";
    clear(h, now);
    return true;
  }

  void clear(Health& h, TimePoint now) {
    OutageState& os = outages[*h.outage];
    os.o.cleared_at = now;
    os.failover.active = false;
    for (std::size_t i = os.failover.next; i < os.failover.queue.size(); ++i) {
      devices[os.failover.queue[i]].wave_queued = false;
    }
    h.outage.reset();
    for (auto& d : devices) {
      if (d.enabled && d.country && *d.country == h.country && carrier_of(d.profiles[*d.enabled]) == h.carrier_id) {
        d.dirty = true;
      }
    }
    acts.push_back(Act{Act::outage_change, {}, {}, false, {}, {}, os.o});
  }

  // ---- decisions
  void record(DeviceState& dev, DecisionRecord r) {
    engine_detail::DeviceCold& d = dev.rare_mut();
    if (!d.decisions.empty() && d.decisions.back().action == r.action) {
      // A held decision is re-evaluated every tick; its evidence text changes with time ("for 58m8s"): keep one.
      const auto head = [](const std::string& x) { return x.substr(0, x.find(" [")); };
      if (d.decisions.back().reason == r.reason || (r.action == "held" && head(d.decisions.back().reason) == head(r.reason))) {
        return;
      }
    }
    d.decisions.push_back(std::move(r));
    if (d.decisions.size() > config.max_decisions_kept) {
      d.decisions.erase(d.decisions.begin(),
                        d.decisions.end() - static_cast<std::ptrdiff_t>(config.max_decisions_kept));
    }
  }

  bool take_token() {
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  // ---- due times (docs/engine.md, "Due times")
  // A device a scan worker parked: what the tick's thread pushes for it after the workers.
  struct ParkNote {
    std::uint32_t device = 0;
    std::uint8_t what = 0;  // kPushList | kPushHeap
    std::int64_t at_us = 0;
  };

  // Parks the device until `at_us` (kNoWake: until the epoch moves); returns what the tick's thread must push
  // (kPushList, kPushHeap). `was_parked`: it was parked when its evaluation began, with its entries still live. Touches
  // that device only (the scan's workers park the quiet devices they judge).
  static std::uint8_t park_state(DeviceState& d, std::int64_t at_us, bool was_parked) {
    d.parked = true;
    d.watch = false;
    ++d.wake_gen;  // its earlier due time, if any, is dead
    return static_cast<std::uint8_t>((was_parked ? 0 : engine_detail::kPushList) |
                                     (at_us != engine_detail::kNoWake ? engine_detail::kPushHeap : 0));
  }

  void push_parked(std::uint32_t di, std::int64_t at_us, std::uint8_t what) {
    if (what & engine_detail::kPushList) parked_devices.push_back(di);
    if (what & engine_detail::kPushHeap) {
      wakes.push_back(engine_detail::Wake{at_us, di, devices[di].wake_gen});
      std::push_heap(wakes.begin(), wakes.end(), engine_detail::later);
    }
  }

  // The device waits on time: parked until `due` (nullopt: until the epoch moves), or, without due times or without
  // an exact due time (`per_tick`), re-evaluated at every tick.
  void wait_for(std::uint32_t di, bool was_parked, std::optional<TimePoint> due, bool per_tick) {
    DeviceState& d = devices[di];
    if (per_tick || !config.due_times) {
      d.watch = true;
      return;
    }
    const std::int64_t at = due ? due->time_since_epoch().count() : engine_detail::kNoWake;
    push_parked(di, at, park_state(d, at, was_parked));
  }

  // A held decision (a guard, no target, or an unreachable device): the earliest time its outcome may change with time
  // alone — a rule's term (policy::next_change), a guard (policy::next_guard_change; a switch leaving the 24 hours of
  // max_switches_per_day), a profile the device could not use becoming usable again. Everything else it reads moves
  // the epoch or makes the device dirty. Re-evaluated at every tick instead: a policy that reads savings (each
  // evaluation samples them), an attached device held for want of a target (hysteresis compares with the candidates'
  // radio, which each health judgement moves), and a device whose last decision is not this held one (a fallback set
  // after it: the next evaluation records the held decision again).
  void wait_held(std::uint32_t di, bool was_parked, const policy::CompiledPolicy& cp, const policy::Evidence& e,
                 const policy::Decision& dec, TimePoint now) {
    const DeviceState& d = devices[di];
    const engine_detail::DeviceCold& rare = d.rare();
    const bool per_tick = (cp.reads() & policy::kReadsSavings) != 0 || (dec.guard.allowed && !dec.act() && d.attached) ||
                          rare.decisions.empty() || rare.decisions.back().action != "held";
    if (per_tick || !config.due_times) {
      wait_for(di, was_parked, std::nullopt, true);
      return;
    }
    std::optional<TimePoint> due = policy::next_change(cp, e);
    const auto earliest = [&](TimePoint t) {
      if (t > now && (!due || t < *due)) due = t;
    };
    const policy::Guards& g = cp.policy().guards;
    if (auto t = policy::next_guard_change(g, e)) earliest(*t);
    if (g.max_switches_per_day) {
      for (TimePoint t : rare.switches) earliest(t + std::chrono::hours(24));
    }
    for (const auto& [profile, until] : rare.bad) earliest(until);
    wait_for(di, was_parked, due, false);
  }

  // The start of a tick's scan: every parked device is due when the epoch moved since they were parked (whatever a
  // decision reads beyond the device and time may have changed), else those whose due time came. Then the heap and
  // the list shed their dead entries when they hold more than twice what the last compaction kept.
  void wake_due(TimePoint now) {
    if (epoch != parked_epoch) {
      for (std::uint32_t i : parked_devices) {
        if (i < devices.size() && devices[i].parked) {
          devices[i].parked = false;
          devices[i].watch = true;
        }
      }
      parked_devices.clear();
      wakes.clear();
      wakes_kept = parked_kept = 0;
      parked_epoch = epoch;
      return;
    }
    const std::int64_t now_us = now.time_since_epoch().count();
    while (!wakes.empty() && wakes.front().at_us <= now_us) {
      std::pop_heap(wakes.begin(), wakes.end(), engine_detail::later);
      const engine_detail::Wake w = wakes.back();
      wakes.pop_back();
      if (w.device >= devices.size()) continue;
      DeviceState& d = devices[w.device];
      if (d.parked && d.wake_gen == w.gen) {
        d.parked = false;
        d.watch = true;
      }
    }
    if (wakes.size() > 2 * wakes_kept + 1024) {
      std::erase_if(wakes, [&](const engine_detail::Wake& w) {
        return w.device >= devices.size() || !devices[w.device].parked || devices[w.device].wake_gen != w.gen;
      });
      std::make_heap(wakes.begin(), wakes.end(), engine_detail::later);
      wakes_kept = wakes.size();
    }
    if (parked_devices.size() > 2 * parked_kept + 1024) {
      std::erase_if(parked_devices, [&](std::uint32_t i) { return i >= devices.size() || !devices[i].parked; });
      std::sort(parked_devices.begin(), parked_devices.end());
      parked_devices.erase(std::unique(parked_devices.begin(), parked_devices.end()), parked_devices.end());
      parked_kept = parked_devices.size();
    }
  }

  // Runs the device's policy; acts when it says so. Returns false when the action waits for a rate-limit token.
  bool evaluate_device(std::uint32_t di, TimePoint now, const std::string& outage_id) {
    DeviceState& d = devices[di];
    unsettle(d);
    const bool was_parked = std::exchange(d.parked, false);
    ++stats.evaluations;
    const policy::CompiledPolicy* compiled_policy = &policy_of(d);
    engine_detail::EvidenceBuf ebuf;
    const policy::Evidence& e = evidence(d, now, ebuf);
    std::vector<policy::Candidate> cands;
    std::vector<std::size_t> prof;
    std::optional<policy::Candidate> cur;
    candidates(d, now, cands, prof, cur);
    const policy::Decision dec = policy::decide(*compiled_policy, e, cur ? &*cur : nullptr, cands);
    d.watch = false;
    if (!dec.fired) {
      maintain_fallback(di, *compiled_policy, now, cur, cands, prof);
      return true;
    }
    const policy::ActionKind kind = dec.fired->action.kind;
    if (!dec.act()) {
      record(d, DecisionRecord{now, "held", std::nullopt, dec.reason(cands)});
      maintain_fallback(di, *compiled_policy, now, cur, cands, prof);
      wait_held(di, was_parked, *compiled_policy, e, dec, now);
      return true;
    }
    if (policy::is_switch(kind)) {
      if (kind == policy::ActionKind::download_local) {
        record(d, DecisionRecord{now, "held", std::nullopt, dec.reason(cands) + " (profile download is not wired to the engine yet)"});
        return true;
      }
      if (!d.attached) {
        record(d, DecisionRecord{now, "held", std::nullopt,
                                 dec.reason(cands) + " (device unreachable: no service since " +
                                     (d.no_service_since ? format_rfc3339(*d.no_service_since) : "?") +
                                     "; its fallback profile is the remedy)"});
        wait_held(di, was_parked, *compiled_policy, e, dec, now);
        return true;
      }
      if (d.rare().pending) return true;
      if (!take_token()) {
        d.watch = true;  // not evaluated after all: due again at the next tick (it may have been due by time alone)
        return false;
      }
      const std::size_t k = prof[*dec.target];
      const bool rollback = compiled_policy->policy().guards.rollback.value_or(true);
      std::string reason = dec.reason(cands);
      if (!outage_id.empty()) reason += " [failover wave of outage " + outage_id + "]";
      engine_detail::DeviceCold& c = d.rare_mut();
      c.pending = engine_detail::Pending{k, now, outage_id, false, c.last_action_at};
      pending_devices.push_back(di);
      c.last_action_at = now;
      if (!outage_id.empty() && d.enabled) {
        c.home = *d.enabled;
        c.home_outage = outage_id;
      }
      // The fallback must not sit on the switch's target: if the target does not attach here, the device rolls
      // back, and a later loss of service must not send it into that same profile. It goes to the best other
      // backup, or, when there is none, is removed until the switch is confirmed (fallback upkeep sets it again).
      // Sent before the switch, so it holds whatever the switch does.
      if (d.fallback && *d.fallback == k) {
        std::vector<policy::Candidate> rest;
        std::vector<std::size_t> rest_prof;
        for (std::size_t j = 0; j < cands.size(); ++j) {
          if (prof[j] != k) {
            rest.push_back(cands[j]);
            rest_prof.push_back(prof[j]);
          }
        }
        policy::Candidate gone;
        if (cur) {
          gone = *cur;
          gone.status = domain::CarrierStatus::down;
        }
        if (auto alt = policy::choose_best(compiled_policy->policy(), cur ? &gone : nullptr, rest)) {
          submit_fallback(d, rest_prof[alt->index],
                          "policy " + compiled_policy->name() + ": fallback off the switch target " +
                              carrier_of(d.profiles[k]) + " => " + rest[alt->index].carrier_id + " (" + alt->why +
                              ")");
        } else if (d.fallback_supported) {
          const std::string why = "policy " + compiled_policy->name() + ": fallback off the switch target " +
                                  carrier_of(d.profiles[k]) + " (no other backup; if the switch rolls back the " +
                                  "device stays where it is)";
          acts.push_back(Act{Act::unset_fallback, eid_of(d), iccid_of(d.profiles[k]), false, {}, why, {}});
          d.fallback.reset();
          d.pending_fallback.reset();
          record(d, DecisionRecord{now, "unset_fallback", std::nullopt, why});
        }
      }
      acts.push_back(Act{Act::switch_, eid_of(d), iccid_of(d.profiles[k]), rollback, {}, reason, {}});
      ++stats.switches_submitted;
      record(d, DecisionRecord{now, "switch", iccid_of(d.profiles[k]), reason});
      return true;
    }
    if (kind == policy::ActionKind::set_fallback_best || kind == policy::ActionKind::set_fallback_to) {
      const std::size_t k = prof[*dec.target];
      if (d.fallback && *d.fallback == k) return true;
      submit_fallback(d, k, dec.reason(cands));
      d.rare_mut().last_action_at = now;
      return true;
    }
    // alert
    acts.push_back(Act{Act::alert, eid_of(d), {}, false, dec.fired->action.message, dec.reason(cands), {}});
    ++stats.alerts;
    d.rare_mut().last_action_at = now;
    record(d, DecisionRecord{now, "alert", std::nullopt, dec.reason(cands)});
    return true;
  }

  void submit_fallback(DeviceState& d, std::size_t k, const std::string& reason) {
    if (!d.fallback_supported || !d.attached) return;
    if (d.pending_fallback && *d.pending_fallback == k) return;
    d.pending_fallback = static_cast<std::uint16_t>(k);
    d.fallback = static_cast<std::uint16_t>(k);
    acts.push_back(Act{Act::fallback, eid_of(d), iccid_of(d.profiles[k]), false, {}, reason, {}});
    ++stats.fallbacks_submitted;
    record(d, DecisionRecord{last_tick.value_or(d.last_seen.value_or(TimePoint{})), "set_fallback",
                             iccid_of(d.profiles[k]), reason});
  }

  // Nothing to do for the fallback: not supported, unreachable, no backup, or it sits on a usable backup.
  static bool fallback_in_order(const DeviceState& d, const policy::CompiledPolicy& cp, TimePoint now,
                                const std::vector<policy::Candidate>& cands, const std::vector<std::size_t>& prof) {
    if (!d.fallback_supported || !d.attached || cands.empty()) return true;
    bool usable = false;
    if (d.fallback && (!d.enabled || *d.fallback != *d.enabled)) {
      for (std::size_t j = 0; j < prof.size(); ++j) {
        if (prof[j] == *d.fallback) usable = policy::carrier_eligible(cp.policy(), cands[j]) && !is_bad(d, prof[j], now);
      }
    }
    return usable;
  }

  // The same from the fallback profile's candidate alone (the quiet check of tick: no candidate list is built).
  bool fallback_in_order(const DeviceState& d, const policy::CompiledPolicy& cp, TimePoint now) const {
    const std::size_t others = d.profiles.size() - (d.enabled ? 1 : 0);
    if (!d.fallback_supported || !d.attached || others == 0) return true;
    if (!d.fallback || (d.enabled && *d.fallback == *d.enabled)) return false;
    return policy::carrier_eligible(cp.policy(), eligibility_candidate(d, *d.fallback, now)) && !is_bad(d, *d.fallback, now);
  }

  // What carrier_eligible reads of profile i's candidate (not the current profile): carrier, PLMN, status, outage.
  policy::Candidate eligibility_candidate(const DeviceState& d, std::size_t i, TimePoint now) const {
    const engine_detail::ProfileSlot& p = d.profiles[i];
    policy::Candidate c;
    c.carrier_id = carrier_of(p);
    c.plmn = p.plmn;
    if (d.country) {
      if (const Health* h = health_of(p.carrier, *d.country)) {
        c.status = h->effective();
        c.outage = h->outage.has_value() || h->detected != domain::CarrierStatus::up;
      }
    }
    if (is_bad(d, i, now)) c.outage = true;
    return c;
  }

  // Keeps the fallback attribute on a usable backup: set when missing, on the enabled profile, or on a carrier that is
  // not eligible (denied, down, in outage). A usable fallback is left alone (changing it costs an operation and the
  // engine cannot know the backup's coverage where the device is better than the fleet's choice did).
  void maintain_fallback(std::uint32_t di, const policy::CompiledPolicy& cp, TimePoint now,
                         const std::optional<policy::Candidate>& cur, const std::vector<policy::Candidate>& cands,
                         const std::vector<std::size_t>& prof) {
    DeviceState& d = devices[di];
    if (fallback_in_order(d, cp, now, cands, prof)) return;
    // Backup choice ignores hysteresis: it is where the device goes when its carrier is gone.
    policy::Candidate gone;
    if (cur) {
      gone = *cur;
      gone.status = domain::CarrierStatus::down;
    }
    auto choice = policy::choose_best(cp.policy(), cur ? &gone : nullptr, cands);
    if (!choice) return;
    const std::size_t k = prof[choice->index];
    std::string reason = "policy " + cp.name() + ": keep the fallback attribute on the best backup => " +
                         carrier_of(d.profiles[k]) + " (" + choice->why + ")";
    if (d.fallback) {
      reason += d.enabled && *d.fallback == *d.enabled ? "; the previous one is now enabled"
                                                       : "; the previous one's carrier is not eligible";
    } else {
      reason += "; none was set";
    }
    submit_fallback(d, k, reason);
  }

  // ---- waves
  enum class Released { wait, skipped, submitted };

  // Releases devices of one wave sequence: the canary (devices that were actually sent a switch), then, once enough
  // of the canary is back on its new carrier, growing waves within the rate limit.
  void advance(OutageState& os, Wave& w, bool back, TimePoint now) {
    if (!w.active || os.o.paused) return;
    if (!w.canary_at) {
      std::size_t n = static_cast<std::size_t>(std::ceil(config.canary_share * static_cast<double>(w.queue.size())));
      n = std::clamp<std::size_t>(std::max(n, config.canary_min), 1, std::max<std::size_t>(1, w.queue.size()));
      while (w.canary.size() < n && w.next < w.queue.size()) {
        const std::uint32_t di = w.queue[w.next];
        const Released r = release(os, di, back, now);
        if (r == Released::wait) break;
        ++w.next;
        if (r == Released::submitted) w.canary.push_back(di);
      }
      if (w.canary.size() >= n || (w.next >= w.queue.size() && !w.canary.empty())) {
        w.canary_at = now;
        ++os.o.waves;
      }
      return;
    }
    if (!w.passed) {
      const double need = std::ceil(config.canary_success * static_cast<double>(w.canary.size()));
      if (static_cast<double>(w.canary_confirmed) >= need && w.canary_confirmed > 0) {
        w.passed = true;
        if (!back) os.o.canary_passed = true;
        w.wave_size = std::max<std::size_t>(1, static_cast<std::size_t>(static_cast<double>(w.canary.size()) *
                                                                         config.wave_growth));
        w.released_in_wave = 0;
        ++os.o.waves;
      } else if (now - *w.canary_at >= config.canary_timeout) {
        os.o.paused = true;
        os.o.paused_reason = std::string(back ? "return-home" : "failover") + " canary: " +
                             std::to_string(w.canary_confirmed) + " of " + std::to_string(w.canary.size()) +
                             " devices back on their new carrier after " +
                             engine_detail::fmt_duration(config.canary_timeout);
        acts.push_back(Act{Act::outage_change, {}, {}, false, {}, {}, os.o});
        return;
      } else {
        return;
      }
    }
    if (!back && !os.o.verified) return;  // the canary only, until fresh records confirm the outage
    while (w.next < w.queue.size()) {
      if (w.released_in_wave >= w.wave_size) {
        w.wave_size = static_cast<std::size_t>(static_cast<double>(w.wave_size) * config.wave_growth);
        w.released_in_wave = 0;
        ++os.o.waves;
      }
      const std::uint32_t di = w.queue[w.next];
      const Released r = release(os, di, back, now);
      if (r == Released::wait) break;
      ++w.next;
      if (r == Released::submitted) ++w.released_in_wave;
    }
  }

  // One device of a wave: its policy decides what to do.
  Released release(OutageState& os, std::uint32_t di, bool back, TimePoint now) {
    DeviceState& d = devices[di];
    if (tokens < 1) return Released::wait;
    d.wave_queued = false;
    if (back) return return_home(os, di, now);
    if (!d.attached || d.rare().pending || !d.enabled || !d.country ||
        carrier_of(d.profiles[*d.enabled]) != os.o.carrier_id || *d.country != os.o.country) {
      return Released::skipped;  // moved, unreachable or busy since it was queued
    }
    const std::uint64_t before = stats.switches_submitted;
    evaluate_device(di, now, os.o.id);
    if (stats.switches_submitted == before) return Released::skipped;
    ++os.o.submitted;
    const std::size_t k = d.rare().pending->profile;
    const std::string key = engine_detail::health_key(carrier_of(d.profiles[k]), *d.country);
    if (std::find(os.backups.begin(), os.backups.end(), key) == os.backups.end()) os.backups.push_back(key);
    return Released::submitted;
  }

  // Return home: the policy's preference or objective must rank home above the current carrier, guards allow it.
  Released return_home(OutageState& os, std::uint32_t di, TimePoint now) {
    DeviceState& d = devices[di];
    unsettle(d);
    const engine_detail::DeviceCold& rare = d.rare();
    if (!rare.home || rare.home_outage != os.o.id || !d.enabled || *d.enabled == *rare.home || rare.pending ||
        !d.attached) {
      return Released::skipped;
    }
    const policy::CompiledPolicy* cp = &policy_of(d);
    std::vector<policy::Candidate> cands;
    std::vector<std::size_t> prof;
    std::optional<policy::Candidate> cur;
    candidates(d, now, cands, prof, cur);
    std::optional<std::size_t> hj;
    for (std::size_t j = 0; j < prof.size(); ++j) {
      if (prof[j] == *rare.home) hj = j;
    }
    if (!hj || !cur || !policy::carrier_eligible(cp->policy(), cands[*hj])) return Released::skipped;
    const policy::Candidate& home = cands[*hj];
    std::string why;
    const policy::Policy& p = cp->policy();
    bool better = false;
    if (p.carriers.prefer) {
      auto rank = [&](const policy::Candidate& c) -> std::size_t {
        for (std::size_t r = 0; r < p.carriers.prefer->size(); ++r) {
          if ((*p.carriers.prefer)[r].matches(c.carrier_id, c.plmn)) return r;
        }
        return SIZE_MAX;
      };
      const std::size_t rh = rank(home), rc = rank(*cur);
      if (rh != rc) {
        better = rh < rc;
        why = "preferred #" + std::to_string(rh + 1);
      }
    }
    if (why.empty()) {
      switch (p.objective.value_or(policy::Objective::cost)) {
        case policy::Objective::cost:
          if (home.monthly_cost && cur->monthly_cost && home.monthly_cost->currency == cur->monthly_cost->currency) {
            better = home.monthly_cost->micros < cur->monthly_cost->micros;
            why = "objective cost: " + home.monthly_cost->amount_str() + " < " + cur->monthly_cost->amount_str() + " " +
                  home.monthly_cost->currency.str() + "/month";
          }
          break;
        case policy::Objective::signal:
          if (home.rsrp_dbm && cur->rsrp_dbm) {
            better = *home.rsrp_dbm > *cur->rsrp_dbm;
            why = "objective signal: " + engine_detail::fmt_num(*home.rsrp_dbm, 1) + " > " +
                  engine_detail::fmt_num(*cur->rsrp_dbm, 1) + " dBm";
          }
          break;
        case policy::Objective::latency:
          if (home.latency_ms && cur->latency_ms) {
            better = *home.latency_ms < *cur->latency_ms;
            why = "objective latency: " + engine_detail::fmt_num(*home.latency_ms, 0) + " < " +
                  engine_detail::fmt_num(*cur->latency_ms, 0) + " ms";
          }
          break;
      }
    }
    if (!better) {
      d.rare_mut().home.reset();
      d.rare_mut().home_outage.clear();
      record(d, DecisionRecord{now, "none", std::nullopt,
                               "return home to " + home.carrier_id + " not worth it under policy " + cp->name() +
                                   (why.empty() ? "" : " (" + why + ")")});
      return Released::skipped;
    }
    engine_detail::EvidenceBuf ebuf;
    const policy::Evidence& e = evidence(d, now, ebuf);
    policy::Action sw;
    sw.kind = policy::ActionKind::switch_to;
    const policy::GuardVerdict g = policy::check_guards(p.guards, sw, false, e);
    if (!g.allowed) {
      record(d, DecisionRecord{now, "held", std::nullopt, "return home held by " + std::string(policy::to_string(g.blocked_by)) + ": " + g.reason});
      return Released::skipped;
    }
    if (!take_token()) return Released::wait;
    const std::size_t k = *rare.home;
    std::string reason = "policy " + cp->name() + ", return home: outage " + os.o.id + " cleared at " +
                         format_rfc3339(*os.o.cleared_at) + ", carrier healthy for " +
                         engine_detail::fmt_duration(config.return_home_after) + " => " + home.carrier_id + " (" + why +
                         ")";
    engine_detail::DeviceCold& c = d.rare_mut();
    c.pending = engine_detail::Pending{k, now, os.o.id, true, c.last_action_at};
    pending_devices.push_back(di);
    c.last_action_at = now;
    acts.push_back(Act{Act::switch_, eid_of(d), iccid_of(d.profiles[k]), p.guards.rollback.value_or(true), {}, reason, {}});
    ++stats.switches_submitted;
    record(d, DecisionRecord{now, "switch", iccid_of(d.profiles[k]), reason});
    return Released::submitted;
  }

  // What a device's decision reads of one (carrier, country): its effective status, outage, and detection.
  static std::uint8_t relevant_state(const Health& h) {
    return static_cast<std::uint8_t>(engine_detail::severity(h.effective()) | (h.outage ? 4 : 0) |
                                     (h.detected != domain::CarrierStatus::up ? 8 : 0));
  }

  void tick(TimePoint now) {
    if (last_tick && now < *last_tick) ++epoch;  // "for D" terms assume time only moves forward
    thread_local std::vector<std::uint8_t> health_before;
    health_before.clear();
    for (const auto& [key, h] : health) health_before.push_back(relevant_state(h));
    // Rate limit: a token bucket refilled at ops_per_second, holding at most one minute's worth.
    const double cap = std::max(1.0, config.ops_per_second * 60);
    if (last_tick) {
      const double secs = std::chrono::duration<double>(now - *last_tick).count();
      tokens = std::min(cap, tokens + std::max(0.0, secs) * config.ops_per_second);
    } else {
      tokens = std::max(1.0, config.ops_per_second);
    }
    prev_tick = last_tick;
    last_tick = now;
    // Health: judge, declare, clear. A judgement reads and writes its own (carrier, country) only (declare and clear
    // change nothing another judgement reads), so all are judged first, on two threads for a large fleet.
    judge_all(now);
    for (auto& [key, h] : health) {
      const bool unhealthy = h.effective() != domain::CarrierStatus::up;
      if (unhealthy && !h.outage) {
        declare(h, now);
      } else if (h.outage) {
        OutageState& os = outages[*h.outage];
        if (!os.o.verified && confirm_or_withdraw(h, os, now)) continue;
        if (!unhealthy) {
          clear(h, now);
        } else if (engine_detail::severity(h.effective()) > engine_detail::severity(os.o.state)) {
          os.o.state = h.effective();
          os.o.evidence = h.effective() == h.feed ? "status feed: " + h.feed_note : h.detected_evidence;
          acts.push_back(Act{Act::outage_change, {}, {}, false, {}, {}, os.o});
        }
      }
    }
    if (health_before.size() != health.size()) {
      ++epoch;
    } else {
      std::size_t k = 0;
      for (const auto& [key, h] : health) {
        if (health_before[k++] != relevant_state(h)) {
          ++epoch;
          break;
        }
      }
    }
    if (epoch != epoch_at_tick) unsettle_skipped();
    // Waves.
    for (std::size_t oi = 0; oi < outages.size(); ++oi) {
      OutageState& os = outages[oi];
      if (os.failover.active) {
        // Stop if a backup the wave uses degrades; go on when it is healthy again.
        std::string bad;
        for (const std::string& k : os.backups) {
          auto it = health.find(k);
          if (it != health.end() && it->second.effective() != domain::CarrierStatus::up) bad = k;
        }
        if (!bad.empty() && !os.o.paused) {
          os.o.paused = true;
          os.o.paused_reason = "backup " + bad + " is " + std::string(domain::to_string(health[bad].effective()));
          acts.push_back(Act{Act::outage_change, {}, {}, false, {}, {}, os.o});
        } else if (bad.empty() && os.o.paused && os.o.paused_reason.rfind("backup ", 0) == 0) {
          os.o.paused = false;
          os.o.paused_reason.clear();
        }
        advance(os, os.failover, false, now);
      }
      if (os.o.cleared_at && !os.return_started) {
        Health* h = health_of(os.o.carrier_id, os.o.country);
        if (h && h->effective() == domain::CarrierStatus::up && h->healthy_since &&
            now - *h->healthy_since >= config.return_home_after) {
          os.return_started = true;
          os.back.active = true;
          os.o.paused = false;
          os.o.paused_reason.clear();
          for (std::uint32_t i = 0; i < devices.size(); ++i) {
            const engine_detail::DeviceCold& r = devices[i].rare();
            if (r.home && r.home_outage == os.o.id) os.back.queue.push_back(i);
          }
          std::stable_sort(os.back.queue.begin(), os.back.queue.end(), [&](std::uint32_t a, std::uint32_t b) {
            return devices[a].priority > devices[b].priority;
          });
        }
      }
      if (os.back.active) {
        Health* h = health_of(os.o.carrier_id, os.o.country);
        if (h && h->effective() != domain::CarrierStatus::up) {
          os.back.active = false;  // it failed again: stay where they are
        } else {
          advance(os, os.back, true, now);
        }
      }
    }
    // Operations without an outcome for too long count as failed (in device order; the list holds every device
    // that was given a pending switch, some of them since answered).
    std::sort(pending_devices.begin(), pending_devices.end());
    pending_devices.erase(std::unique(pending_devices.begin(), pending_devices.end()), pending_devices.end());
    std::erase_if(pending_devices, [&](std::uint32_t i) {
      if (i >= devices.size() || !devices[i].rare().pending) return true;
      if (now - devices[i].rare().pending->at >= config.operation_timeout) confirm(i, false);
      return !devices[i].rare().pending;
    });
    // Ordinary decisions: devices whose evidence changed, or that wait on time. Most are quiet (no rule holds, the
    // fallback is in order); the scan finds them on two threads, trimming each due device's series on the way (each
    // device is touched once), and marks them evaluated. The others are evaluated one by one below, where they may act.
    wake_due(now);
    scan_due(now);
    std::size_t stop = due.size();
    for (std::size_t k = 0; k < due.size(); ++k) {
      if (due_quiet[k]) continue;
      if (!evaluate_device(due[k], now, {})) {
        stop = k;  // out of rate-limit tokens: the rest waits for the next tick
        break;
      }
      devices[due[k]].dirty = false;
    }
    // The quiet ones after the stop were not evaluated: they stay due as they were.
    for (std::size_t k = 0; k < due.size(); ++k) {
      if (!due_quiet[k]) continue;
      if (k < stop) {
        ++stats.evaluations;
      } else {
        DeviceState& d = devices[due[k]];
        d.dirty = (due_flags[k] & 1) != 0;
        d.watch = (due_flags[k] & 2) != 0;
      }
    }
    // A device a record left settled counts as a quiet due device (that is what its evaluation would have found): one
    // after the stop stays due.
    for (std::uint32_t i : skipped_devices) {
      if (i >= devices.size()) continue;
      DeviceState& d = devices[i];
      if (d.skipped && stop < due.size() && i > due[stop]) d.dirty = true;
      d.skipped = false;
    }
    skipped_devices.clear();
    epoch_at_tick = epoch;
  }

  // Fills due (devices whose evidence changed or that wait on time, in index order), trims their series to what their
  // policy reads, and finds the quiet ones (what evaluate_device finds when no rule fires and the fallback is in
  // order): due_quiet[k] = 1, marked evaluated (dirty and watch cleared; due_flags keeps them in case the
  // evaluation loop stops before them). Read-only for everything but each due device itself, so the device range is
  // split over two threads.
  void scan_due(TimePoint now) {
    // Resolve every group's policy first: the workers only read the cache.
    if (by_group.size() < groups.size()) by_group.resize(groups.size());
    for (std::uint32_t g = 0; g < groups.size(); ++g) {
      if (by_group[g].policy != nullptr) continue;
      DeviceState probe;
      probe.group = g;
      by_group[g].set(policy_for(policies, probe, compiled).get());
    }
    struct Part {
      std::vector<std::uint32_t> due;
      std::vector<std::uint8_t> quiet, flags;
      std::uint64_t silences = 0;
      std::vector<std::uint32_t> observed;  // silent devices that make a health observation at this tick
      std::vector<ParkNote> parks;          // quiet devices parked until a due time
    };
    // Silence: a device whose last record had service and is older than this is presumed without service (it becomes
    // due here, settled or not). Read only when silence is on.
    const bool silence = config.silence_after > Duration::zero();
    const TimePoint silent_before = silence ? now - config.silence_after : TimePoint{};
    const auto work = [this, now, silence, silent_before](std::uint32_t from, std::uint32_t to, Part& part) {
      engine_detail::EvidenceBuf ebuf;
      for (std::uint32_t i = from; i < to; ++i) {
        if (i + 3 < to && (devices[i + 3].dirty || devices[i + 3].watch)) devices[i + 3].samples.prefetch_all();
        DeviceState& d = devices[i];
        if (silence && d.last_seen) {
          if (d.attached && *d.last_seen < silent_before) {
            presume_silent(d);
            ++part.silences;
          }
          if (d.silent && silence_observed(d, now)) part.observed.push_back(i);
        }
        if (!(d.dirty || d.watch) || d.wave_queued) continue;
        if (d.cold && d.cold->pending && d.cold->pending->at == now) continue;  // just released by a wave
        if (d.profiles.empty()) continue;
        part.due.push_back(i);
        part.flags.push_back(static_cast<std::uint8_t>((d.dirty ? 1 : 0) | (d.watch ? 2 : 0)));
        if (!with_device_policy.empty() && with_device_policy.count(d.eid) != 0) {
          part.quiet.push_back(2);  // its own document: resolved and judged after the workers
          continue;
        }
        const GroupPolicy& gp = by_group[d.group];
        part.quiet.push_back(trim_and_judge(i, gp, now, ebuf, part.parks) ? 1 : 0);
      }
    };
    const auto n = static_cast<std::uint32_t>(devices.size());
    Part a, b;
    if (n < std::max<std::size_t>(1, config.parallel_tick_from)) {
      work(0, n, a);
    } else {
      engine_detail::on_two_threads([&] { work(0, n / 2, a); }, [&] { work(n / 2, n, b); });
    }
    due = std::move(a.due);
    due.insert(due.end(), b.due.begin(), b.due.end());
    due_quiet = std::move(a.quiet);
    due_quiet.insert(due_quiet.end(), b.quiet.begin(), b.quiet.end());
    due_flags = std::move(a.flags);
    due_flags.insert(due_flags.end(), b.flags.begin(), b.flags.end());
    stats.silences += a.silences + b.silences;
    for (const Part* p : {&a, &b}) {
      for (std::uint32_t i : p->observed) observe_silence(i, now);
      for (const ParkNote& n : p->parks) push_parked(n.device, n.at_us, n.what);
    }
    engine_detail::EvidenceBuf ebuf;
    std::vector<ParkNote> parks;
    for (std::size_t k = 0; k < due.size(); ++k) {
      if (due_quiet[k] != 2) continue;
      const GroupPolicy& gp = group_policy(devices[due[k]]);
      due_quiet[k] = trim_and_judge(due[k], gp, now, ebuf, parks) ? 1 : 0;
    }
    for (const ParkNote& n : parks) push_parked(n.device, n.at_us, n.what);
  }

  // The device's last record had service and it has been silent for longer than silence_after: presumed without
  // service since that record (the last moment it was known in service), as a record without service would leave it,
  // and due. Touches that device only (the scan's two threads each have their own).
  static void presume_silent(DeviceState& d) {
    d.attached = false;
    d.silent = true;
    d.no_service_since = d.last_seen;
    d.serving_plmn.reset();
    d.settled_epoch = 0;
    d.skipped = false;
    d.dirty = true;
  }

  // Silence in health (docs/engine.md "Silence"): a silent device counts as one observation without service at the rate
  // it reported while it was heard — at last_seen + silence_after + k x its interval — for at most recovery_hold, so
  // it weighs in its (carrier, country) what its records weighed, and a device that never comes back ages out. True
  // when such a moment fell after the previous tick (one observation a tick at most).
  bool silence_observed(const DeviceState& d, TimePoint now) const {
    const TimePoint start = *d.last_seen + config.silence_after;
    const TimePoint end = std::min(now, start + config.recovery_hold);
    if (end < start) return false;
    Duration every = config.silence_after;
    if (d.record_count >= 2 && d.first_record) {
      every = (*d.last_seen - *d.first_record) / static_cast<std::int64_t>(d.record_count - 1);
    }
    every = std::max<Duration>(every, std::chrono::seconds(1));
    const TimePoint latest = start + every * ((end - start) / every);
    return !prev_tick || latest > *prev_tick;
  }

  // One observation without service for a silent device's (carrier, country), at the tick's time (judged by the next
  // tick). In registry order after the scan, on the tick's thread.
  void observe_silence(std::uint32_t di, TimePoint now) {
    DeviceState& d = devices[di];
    const HealthNote note = health_note(d);
    if (!note.counted) return;
    Health& h = health_at(note.carrier, note.country);
    engine_detail::HealthSample s;
    s.at = now;
    s.attached = false;
    h.window.push_back(s);
    h.long_window.push_back(s);
    ++h.fresh_records;
    d.silence_in_health = true;
  }

  // Trims a due device's series, then: true (and marked evaluated) when it is quiet. A quiet device settles when
  // no rule can hold until something it reads changes (policy::stays_quiet): its records are then checked at ingest
  // instead (apply_record).
  bool trim_and_judge(std::uint32_t di, const GroupPolicy& gp, TimePoint now, engine_detail::EvidenceBuf& ebuf,
                      std::vector<ParkNote>& parks) {
    DeviceState& d = devices[di];
    const policy::CompiledPolicy& cp = *gp.policy;
    trim_device(d, cp, now);
    d.settled_epoch = 0;
    const policy::Evidence& e = evidence(d, now, ebuf, gp.series);
    if (policy::evaluate(cp, e) || !fallback_in_order(d, cp, now)) return false;
    // A device without service stays under evaluation while its policy reads the service: "no_service for D" starts
    // to hold as time passes, with no record to make the device due (it may send none: silence). It is parked until
    // the first time a rule's term may change (docs/engine.md, "Due times"); a policy that reads savings samples them
    // at each evaluation, so such a device is re-evaluated at every tick.
    const bool was_parked = std::exchange(d.parked, false);
    d.watch = false;
    if (!d.attached && (cp.reads() & policy::kReadsService) != 0) {
      if (!config.due_times || (cp.reads() & policy::kReadsSavings) != 0) {
        d.watch = true;
      } else {
        const std::optional<TimePoint> due = policy::next_change(cp, e);
        const std::int64_t at = due ? due->time_since_epoch().count() : engine_detail::kNoWake;
        if (const std::uint8_t what = park_state(d, at, was_parked)) parks.push_back(ParkNote{di, what, at});
      }
    }
    d.dirty = false;
    if (gp.incremental && config.incremental_evaluation && policy::stays_quiet(cp, e)) d.settled_epoch = epoch;
    return true;
  }

  // The sample series cut to what the policy reads (at least min_history) before `now`, and to the cap.
  void trim_series(DeviceState& d, const policy::CompiledPolicy& policy, TimePoint now) const {
    const policy::CompiledPolicy* cp = &policy;
    trim(d.samples, SampleRing::rsrp, cp->history(policy::Metric::rsrp), now);
    trim(d.samples, SampleRing::rsrq, cp->history(policy::Metric::rsrq), now);
    trim(d.samples, SampleRing::sinr, cp->history(policy::Metric::sinr), now);
    Duration lat = std::max({cp->history(policy::Metric::latency_p50), cp->history(policy::Metric::latency_p95),
                             cp->history(policy::Metric::latency_p99), policy::kDefaultLatencyWindow});
    trim(d.samples, SampleRing::latency, lat, now);
  }

  void trim_device(DeviceState& d, const policy::CompiledPolicy& policy, TimePoint now) {
    const policy::CompiledPolicy* cp = &policy;
    trim_series(d, policy, now);
    if (cp->reads() & policy::kReadsSavings) {
      std::vector<policy::Candidate> cands;
      std::vector<std::size_t> prof;
      std::optional<policy::Candidate> cur;
      candidates(d, now, cands, prof, cur);
      if (cur && cur->monthly_cost) {
        std::optional<domain::Money> best;
        for (const auto& c : cands) {
          if (!c.monthly_cost || c.monthly_cost->currency != cur->monthly_cost->currency) continue;
          if (!policy::carrier_eligible(cp->policy(), c)) continue;
          if (!best || c.monthly_cost->micros < best->micros) best = c.monthly_cost;
        }
        if (best) {
          domain::Money saving = *best;
          saving.micros = cur->monthly_cost->micros - best->micros;
          const auto& held = d.rare().savings;
          if (held.empty() || held.back().amount != saving) d.rare_mut().savings.push_back({now, saving});
        }
      }
      if (!d.rare().savings.empty()) {
        auto& savings = d.rare_mut().savings;
        const TimePoint from = now - std::max(cp->history(policy::Metric::savings_monthly), config.min_history);
        std::size_t drop = 0;
        while (drop + 1 < savings.size() && savings[drop + 1].at <= from) ++drop;
        if (savings.size() - drop > config.max_samples_per_series) drop = savings.size() - config.max_samples_per_series;
        savings.erase(savings.begin(), savings.begin() + static_cast<std::ptrdiff_t>(drop));
      }
    }
  }

  void flush(std::vector<Act>& todo) {
    for (Act& a : todo) {
      switch (a.kind) {
        case Act::switch_: (void)actuator.submit_switch(a.eid, a.iccid, a.rollback, a.reason); break;
        case Act::fallback: (void)actuator.set_fallback(a.eid, a.iccid, a.reason); break;
        case Act::unset_fallback: (void)actuator.unset_fallback(a.eid, a.reason); break;
        case Act::alert: actuator.alert(a.eid, a.text, a.reason); break;
        case Act::outage_change: actuator.outage_changed(a.outage); break;
      }
    }
  }
};

Engine::Engine(EngineConfig config, Actuator& actuator) : impl_(std::make_unique<Impl>(std::move(config), actuator)) {}
Engine::~Engine() = default;

void Engine::upsert_device(DeviceInfo device) {
  std::lock_guard lock(impl_->mu);
  impl_->upsert(std::move(device));
}

void Engine::remove_device(const domain::Eid& eid) {
  std::lock_guard lock(impl_->mu);
  const auto key = eid.to_bytes();
  const auto found = impl_->find_device(key);
  if (!found) return;
  const std::uint32_t i = *found;
  impl_->index.erase(key, [&](std::uint32_t slot) -> const EidIndex::Key& { return impl_->devices[slot].eid; });
  // Drop it from the waves; the slot is reused.
  for (auto& os : impl_->outages) {
    for (auto* w : {&os.failover, &os.back}) {
      for (std::size_t k = w->next; k < w->queue.size(); ++k) {
        if (w->queue[k] == i) {
          w->queue.erase(w->queue.begin() + static_cast<std::ptrdiff_t>(k));
          break;
        }
      }
    }
  }
  // The wake generation survives the reset: a heap entry of the removed device must not come alive for the device
  // that reuses the slot (a spurious evaluation).
  const std::uint32_t gen = impl_->devices[i].wake_gen + 1;
  impl_->devices[i] = Impl::DeviceState{};
  impl_->devices[i].dirty = false;
  impl_->devices[i].wake_gen = gen;
  impl_->free_slots.push_back(i);
}

void Engine::set_tariff(const Tariff& tariff) {
  std::lock_guard lock(impl_->mu);
  Impl::Health& h = impl_->health_at(tariff.carrier_id, tariff.country);
  // The same tariff again changes nothing a decision reads (the twin refreshes every tariff at every tick): the epoch
  // stays, and with it settled and parked devices (docs/engine.md, "Due times").
  if (h.tariff && h.tariff->monthly_fee == tariff.monthly_fee && h.tariff->price_per_mb == tariff.price_per_mb) return;
  h.tariff = tariff;
  ++impl_->epoch;
}

bool Engine::has_device(const domain::Eid& eid) const {
  std::lock_guard lock(impl_->mu);
  return impl_->find_device(eid.to_bytes()).has_value();
}

Status Engine::ingest(const TelemetryRecord& record) {
  std::lock_guard lock(impl_->mu);
  return impl_->ingest_one(record);
}

std::vector<Status> Engine::ingest_batch(std::span<const TelemetryRecord> records) {
  std::lock_guard lock(impl_->mu);
  return impl_->ingest_many(records);
}

void Engine::set_carrier_status(const std::string& carrier_id, std::span<const domain::CountryCode> countries,
                                domain::CarrierStatus state, const std::string& note, TimePoint now) {
  std::lock_guard lock(impl_->mu);
  std::vector<domain::CountryCode> where(countries.begin(), countries.end());
  if (where.empty()) {
    for (auto& [k, h] : impl_->health) {
      if (h.carrier_id == carrier_id) where.push_back(h.country);
    }
  }
  for (const auto& c : where) {
    Impl::Health& h = impl_->health_at(carrier_id, c);
    h.feed = state;
    h.feed_note = note.empty() ? std::string(domain::to_string(state)) : note;
    if (state == domain::CarrierStatus::up) {
      if (!h.healthy_since && h.detected == domain::CarrierStatus::up) h.healthy_since = now;
    } else {
      h.healthy_since.reset();
      h.unhealthy_at = now;
    }
  }
  ++impl_->epoch;
  for (auto& d : impl_->devices) d.dirty = true;
}

void Engine::set_policies(PolicySet policies) {
  std::lock_guard lock(impl_->mu);
  impl_->policies = std::move(policies);
  impl_->compiled.clear();
  impl_->by_group.clear();
  impl_->with_device_policy.clear();
  for (const auto& [eid, p] : impl_->policies.devices) impl_->with_device_policy.insert(eid.to_bytes());
  ++impl_->epoch;
  for (auto& d : impl_->devices) d.dirty = true;
}

void Engine::operation_result(const domain::Eid& eid, const domain::Iccid& target, bool succeeded, TimePoint at) {
  std::lock_guard lock(impl_->mu);
  const auto found = impl_->find_device(eid.to_bytes());
  if (!found) return;
  auto& d = impl_->devices[*found];
  auto k = impl_->profile_index(d, target);
  if (!k || !d.rare().pending || d.rare().pending->profile != *k) return;
  if (succeeded) {
    impl_->on_profile(*found, *k, true, at);
  } else {
    impl_->confirm(*found, false);
  }
}

void Engine::profile_seen(const domain::Eid& eid, const domain::Iccid& enabled, TimePoint at) {
  std::lock_guard lock(impl_->mu);
  const auto found = impl_->find_device(eid.to_bytes());
  if (!found) return;
  auto& d = impl_->devices[*found];
  if (auto k = impl_->profile_index(d, enabled)) impl_->on_profile(*found, *k, true, at);
}

void Engine::fallback_seen(const domain::Eid& eid, const domain::Iccid& fallback) {
  std::lock_guard lock(impl_->mu);
  const auto found = impl_->find_device(eid.to_bytes());
  if (!found) return;
  auto& d = impl_->devices[*found];
  if (auto k = impl_->profile_index(d, fallback)) {
    Impl::unsettle(d);
    d.fallback = static_cast<std::uint16_t>(*k);
    d.pending_fallback.reset();
    // A held device's fallback upkeep reads it: a parked device is due at the next tick, as if it were not parked.
    if (d.parked) {
      d.parked = false;
      d.watch = true;
    }
  }
}

void Engine::tick(TimePoint now) {
  std::vector<Impl::Act> todo;
  {
    std::lock_guard lock(impl_->mu);
    impl_->tick(now);
    todo.swap(impl_->acts);
  }
  impl_->flush(todo);
}

std::optional<Explanation> Engine::explain(const domain::Eid& eid, TimePoint now) const {
  std::lock_guard lock(impl_->mu);
  const auto found = impl_->find_device(eid.to_bytes());
  if (!found) return std::nullopt;
  const auto& d = impl_->devices[*found];
  auto cp = impl_->policy_for(impl_->policies, d, impl_->compiled);
  Explanation x;
  x.eid = eid;
  x.policy_name = cp->name();
  x.policy_json = policy::to_json(cp->policy());
  if (const std::string* c = impl_->current_carrier(d)) x.carrier_id = *c;
  if (d.enabled) x.enabled = iccid_of(d.profiles[*d.enabled]);
  if (d.fallback) x.fallback = iccid_of(d.profiles[*d.fallback]);
  x.country = d.country;
  x.previous_country = d.previous_country;
  x.country_since = d.country_since;
  if (d.enabled) x.home_country = d.profiles[*d.enabled].home;
  x.roaming_since = d.roaming_since;
  x.attached = d.attached;
  x.last_seen = d.last_seen;
  x.no_service_since = d.attached ? std::nullopt : d.no_service_since;
  x.silent = d.silent;
  x.latency_p50_ms = Impl::latency_p50(d, now);
  std::vector<double> r;
  std::vector<policy::Sample> rsrp;
  d.samples.series(SampleRing::rsrp, rsrp);
  for (const auto& s : rsrp) r.push_back(s.value);
  x.rsrp_p50_dbm = engine_detail::percentile(r, 50);
  x.rsrp_p10_dbm = engine_detail::percentile(r, 10);
  x.usage_mb_per_month = Impl::forecast_mb(d, now);
  x.samples = d.samples.count(SampleRing::rsrp) + d.samples.count(SampleRing::rsrq) +
              d.samples.count(SampleRing::sinr) + d.samples.count(SampleRing::latency);
  if (d.country && !x.carrier_id.empty()) {
    if (const auto* h = impl_->health_of(x.carrier_id, *d.country)) {
      x.carrier_status = h->effective();
      x.outage = h->outage.has_value();
    }
  }
  x.decisions.assign(d.rare().decisions.begin(), d.rare().decisions.end());
  return x;
}

std::vector<SimulatedDecision> Engine::simulate(const policy::Policy& candidate, TimePoint now) const {
  std::lock_guard lock(impl_->mu);
  PolicySet set = impl_->policies;
  switch (candidate.scope.kind) {
    case policy::ScopeKind::fleet: set.fleet = candidate; break;
    case policy::ScopeKind::group: set.groups[candidate.scope.group] = candidate; break;
    case policy::ScopeKind::device:
      if (candidate.scope.device) set.devices.insert_or_assign(*candidate.scope.device, candidate);
      break;
  }
  std::map<std::string, std::shared_ptr<const policy::CompiledPolicy>> cache;
  std::vector<SimulatedDecision> out;
  // In EID order (the index is a hash map).
  std::vector<std::uint32_t> order;
  order.reserve(impl_->index.size());
  impl_->index.for_each_slot([&](std::uint32_t i) { order.push_back(i); });
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return impl_->devices[a].eid < impl_->devices[b].eid;  // packed BCD sorts as the digits do
  });
  for (const std::uint32_t i : order) {
    const auto& d = impl_->devices[i];
    const domain::Eid eid = eid_of(d);
    if (d.profiles.empty()) continue;
    auto cp = impl_->policy_for(set, d, cache);
    engine_detail::EvidenceBuf ebuf;
    const policy::Evidence& e = impl_->evidence(d, now, ebuf);
    std::vector<policy::Candidate> cands;
    std::vector<std::size_t> prof;
    std::optional<policy::Candidate> cur;
    impl_->candidates(d, now, cands, prof, cur);
    const policy::Decision dec = policy::decide(*cp, e, cur ? &*cur : nullptr, cands);
    if (!dec.fired) continue;
    SimulatedDecision s;
    s.eid = eid;
    s.reason = dec.reason(cands);
    const auto kind = dec.fired->action.kind;
    if (!dec.act()) {
      s.action = "held";
    } else if (policy::is_switch(kind)) {
      s.action = d.attached ? "switch" : "held";
      if (!d.attached) s.reason += " (device unreachable: no service)";
    } else if (kind == policy::ActionKind::alert) {
      s.action = "alert";
    } else {
      s.action = "set_fallback";
    }
    if (dec.target) {
      s.target = iccid_of(d.profiles[prof[*dec.target]]);
      s.target_carrier = impl_->carrier_of(d.profiles[prof[*dec.target]]);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Outage> Engine::outages() const {
  std::lock_guard lock(impl_->mu);
  std::vector<Outage> out;
  for (const auto& os : impl_->outages) out.push_back(os.o);
  return out;
}

FailoverPlan Engine::plan_failover(const std::string& carrier_id, const domain::CountryCode& country, TimePoint now,
                                   unsigned threads) const {
  std::lock_guard lock(impl_->mu);
  const Impl& m = *impl_;
  FailoverPlan plan;
  plan.carrier_id = carrier_id;
  plan.country = country;
  plan.planned_at = now;
  if (const auto* h = m.health_of(carrier_id, country); h != nullptr && h->outage) {
    plan.outage_id = m.outages[*h->outage].o.id;
  }
  // Who, and under which compiled policy (resolved here: the cache is not shared with the workers).
  std::vector<std::uint32_t> who;
  std::vector<const policy::CompiledPolicy*> pol;
  for (std::uint32_t i = 0; i < m.devices.size(); ++i) {
    const Impl::DeviceState& d = m.devices[i];
    if (!d.enabled || !d.country || *d.country != country || m.carrier_of(d.profiles[*d.enabled]) != carrier_id) {
      continue;
    }
    ++plan.affected;
    if (!d.attached) {
      ++plan.unreachable;
      continue;
    }
    if (d.rare().pending) {
      ++plan.busy;
      continue;
    }
    who.push_back(i);
    pol.push_back(&m.policy_of(d));
  }
  // Each device's backup, as a switch under an outage would choose it: the current carrier counted as down.
  std::vector<PlanEntry> picked(who.size());
  std::vector<std::uint8_t> has(who.size(), 0);
  const auto work = [&](std::size_t from, std::size_t to) {
    std::vector<policy::Candidate> cands;
    std::vector<std::size_t> prof;
    std::optional<policy::Candidate> cur;
    for (std::size_t k = from; k < to; ++k) {
      const Impl::DeviceState& d = m.devices[who[k]];
      m.candidates(d, now, cands, prof, cur);
      policy::Candidate gone;
      if (cur) {
        gone = *cur;
        gone.status = domain::CarrierStatus::down;
        gone.outage = true;
      }
      const auto choice = policy::choose_best(pol[k]->policy(), cur ? &gone : nullptr, cands);
      if (!choice) continue;
      const std::size_t p = prof[choice->index];
      PlanEntry& e = picked[k];
      e.eid = d.eid;
      e.iccid = d.profiles[p].iccid;
      e.priority = std::min<std::uint8_t>(d.priority, 3);
      e.profile = static_cast<std::uint8_t>(p);
      has[k] = 1;
    }
  };
  const std::size_t n = who.size();
  const std::size_t parts = std::clamp<std::size_t>(threads, 1, 16);
  if (parts == 1 || n < 4096) {
    work(0, n);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < parts; ++t) pool.emplace_back(work, n * t / parts, n * (t + 1) / parts);
    work(0, n / parts);
    for (auto& t : pool) t.join();
  }
  // Release order: critical first, registry order within a priority (as the engine's own waves).
  plan.entries.reserve(n);
  for (int prio = 3; prio >= 0; --prio) {
    for (std::size_t k = 0; k < n; ++k) {
      if (has[k] && picked[k].priority == prio) plan.entries.push_back(picked[k]);
    }
  }
  plan.no_target = n - plan.entries.size();
  plan.wave_ends = plan_wave_ends(plan.entries.size(), m.config);
  std::size_t w = 0;
  for (std::size_t k = 0; k < plan.entries.size(); ++k) {
    while (k >= plan.wave_ends[w]) ++w;
    plan.entries[k].wave = static_cast<std::uint32_t>(w);
  }
  return plan;
}

EngineStats Engine::stats() const {
  std::lock_guard lock(impl_->mu);
  EngineStats s = impl_->stats;
  s.devices = impl_->index.size();
  return s;
}

const EngineConfig& Engine::config() const { return impl_->config; }

std::size_t Engine::device_state_size() { return sizeof(engine_detail::DeviceState); }

}  // namespace esimo::engine
