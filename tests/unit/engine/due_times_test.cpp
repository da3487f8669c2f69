// Due times (docs/engine.md, "Due times"): a device whose decision can change with time alone waits for the earliest
// such time instead of being re-evaluated at every tick. Each test runs one device on two engines — due times on, and
// off (EngineConfig::due_times = false: re-evaluated at every tick, the reference) — with no record after the one
// that starts the wait, ticks every 15 seconds, and checks that the action comes at the first tick at or after its
// due time (not one tick late, not never), that both engines made the same calls at every tick, and that the engine
// with due times did not evaluate the device while it waited.
#include <gtest/gtest.h>

#include <string>

#include "engine/engine.hpp"
#include "engine_test_util.hpp"

namespace esimo::engine {
namespace {
using testing::RecordingActuator;
using testing::test_eid;
using testing::test_iccid;

using namespace std::chrono_literals;

const TimePoint kDueT0 = TimePoint(std::chrono::hours(24 * 365 * 57));  // a midnight UTC
const char* const kDueCarriers[3] = {"de-a", "de-b", "de-c"};
const char* const kDuePlmns[3] = {"262-01", "262-02", "262-03"};
constexpr Duration kTickEvery = 15s;

domain::CountryCode due_de() { return *domain::CountryCode::parse("DE"); }

// One engine with one device on de-a (profiles on de-a, de-b, de-c; no fallback upkeep, so that the Actuator sees
// only the rules' actions) under the fleet policy `rules` + `guards` (JSON).
struct DueSide {
  RecordingActuator act;
  std::unique_ptr<Engine> engine;
  DueSide(bool due_times, const std::string& rules, const std::string& guards, Duration silence_after,
          unsigned devices = 1, double ops_per_second = EngineConfig{}.ops_per_second) {
    EngineConfig cfg;
    cfg.due_times = due_times;
    cfg.silence_after = silence_after;
    cfg.ops_per_second = ops_per_second;
    engine = std::make_unique<Engine>(cfg, act);
    const auto eur = [](std::int64_t micros) { return domain::Money{micros, *domain::Currency::parse("EUR")}; };
    for (unsigned s = 0; s < 3; ++s) {
      engine->set_tariff(Tariff{kDueCarriers[s], due_de(), eur(400000 + 1000 * s), eur(10000 - 500 * s)});
    }
    auto p = policy::parse_policy(R"({"name":"due","scope":{"fleet":true},"objective":"cost","rules":)" + rules +
                                      R"(,"guards":)" + guards + "}",
                                  policy::ParseOptions{});
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    PolicySet ps;
    ps.fleet = std::move(p).value();
    engine->set_policies(std::move(ps));
    for (unsigned n = 0; n < devices; ++n) {
      DeviceInfo d{test_eid(n, 4)};
      for (unsigned s = 0; s < 3; ++s) {
        d.profiles.push_back(ProfileInfo{test_iccid(n, s), kDueCarriers[s], *domain::Plmn::parse(kDuePlmns[s]), false});
      }
      d.enabled = test_iccid(n, 0);
      d.fallback_supported = false;
      d.country = due_de();
      engine->upsert_device(std::move(d));
    }
  }
};

TelemetryRecord due_rec(TimePoint t, unsigned slot, bool attached, double rsrp = -90, unsigned device = 0) {
  TelemetryRecord r{test_eid(device, 4)};
  r.time = t;
  r.attached = attached;
  r.country = due_de();
  r.enabled_iccid = test_iccid(device, slot);
  if (attached) {
    r.serving_plmn = *domain::Plmn::parse(kDuePlmns[slot]);
    r.rsrp_dbm = rsrp;
    r.latency_ms = 50;
  }
  return r;
}

// The two engines side by side.
struct DuePair {
  DueSide due, every;
  DuePair(const std::string& rules, const std::string& guards, Duration silence_after = Duration::zero())
      : due(true, rules, guards, silence_after), every(false, rules, guards, silence_after) {}

  void ingest(const TelemetryRecord& r) {
    ASSERT_TRUE(due.engine->ingest(r).ok());
    ASSERT_TRUE(every.engine->ingest(r).ok());
  }
  void tick(TimePoint t) {
    due.engine->tick(t);
    every.engine->tick(t);
    ASSERT_EQ(due.act.log, every.act.log) << "at " << format_rfc3339(t);
  }
  std::size_t calls() const { return due.act.log.size(); }
  std::uint64_t evaluations() const { return due.engine->stats().evaluations; }
  std::uint64_t reference_evaluations() const { return every.engine->stats().evaluations; }

  // Ticks every 15 s from `from` until an Actuator call beyond the first `calls_before`, at most until `until`;
  // returns the tick of that call. The engine with due times evaluates the device at most `evaluations_allowed` times
  // (its due times) up to and with that tick; the reference evaluates it at every tick.
  std::optional<TimePoint> tick_until_call(TimePoint from, TimePoint until, std::size_t calls_before,
                                           std::uint64_t evaluations_allowed = 1) {
    const std::uint64_t evals = evaluations(), ref = reference_evaluations();
    std::uint64_t ticks = 0;
    for (TimePoint t = from; t <= until; t += kTickEvery) {
      tick(t);
      if (::testing::Test::HasFatalFailure()) return std::nullopt;
      if (calls() > calls_before) {
        EXPECT_LE(evaluations(), evals + evaluations_allowed) << "evaluated only at its due times";
        EXPECT_GE(reference_evaluations(), ref + ticks) << "the reference evaluates it at every tick";
        return t;
      }
      ++ticks;
    }
    return std::nullopt;
  }
};

// The first tick at or after `due` on the grid of ticks `from`, `from` + 15 s, ...
TimePoint first_tick_at_or_after(TimePoint from, TimePoint due) {
  TimePoint t = from;
  while (t < due) t += kTickEvery;
  return t;
}

const std::string kWeakSwitches = R"([{"name":"weak","when":"signal.rsrp < -115 dBm","do":"switch best"}])";

// A switch for a weak signal, then the device's record on its new profile, still weak: the rule fires again and the
// guard holds it. Returns the tick of that record's evaluation (the wait starts there).
TimePoint switch_then_held(DuePair& p) {
  p.ingest(due_rec(kDueT0, 0, true, -120));
  p.tick(kDueT0 + 15s);
  EXPECT_EQ(p.calls(), 1u);
  EXPECT_EQ(p.due.act.log[0].rfind("switch " + test_eid(0, 4).str() + " " + test_iccid(0, 1).str(), 0), 0u)
      << p.due.act.log[0];
  p.ingest(due_rec(kDueT0 + 1min, 1, true, -120));  // on de-b now, weak there too
  p.tick(kDueT0 + 1min + 15s);
  EXPECT_EQ(p.calls(), 1u) << "held by the guard";
  const auto x = p.due.engine->explain(test_eid(0, 4), kDueT0 + 1min + 15s);
  EXPECT_TRUE(x && !x->decisions.empty() && x->decisions.back().action == "held");
  return kDueT0 + 1min + 15s;
}

TEST(EngineDueTimes, NoServiceForDFiresAtItsTickWithoutAnotherRecord) {
  DuePair p(R"([{"name":"dark","when":"no_service for 5m","do":"alert \"dark\""}])", "{}");
  p.ingest(due_rec(kDueT0, 0, true));
  p.tick(kDueT0 + 15s);
  const TimePoint lost = kDueT0 + 1min + 10s;
  p.ingest(due_rec(lost, 0, false));
  p.tick(kDueT0 + 1min + 15s);  // evaluated once for its record: quiet, due at lost + 5m
  const auto at = p.tick_until_call(kDueT0 + 1min + 30s, kDueT0 + 30min, 0);
  ASSERT_TRUE(at.has_value()) << "no_service for 5m never fired";
  EXPECT_EQ(*at, first_tick_at_or_after(kDueT0, lost + 5min));  // 00:06:15
  EXPECT_EQ(p.calls(), 1u);
  EXPECT_NE(p.due.act.log[0].find("rule dark: no_service for 5m"), std::string::npos) << p.due.act.log[0];
}

TEST(EngineDueTimes, ACooldownEndsAtItsTickWithoutAnotherRecord) {
  DuePair p(kWeakSwitches, R"({"cooldown":"30m"})");
  const TimePoint held = switch_then_held(p);
  const auto at = p.tick_until_call(held + kTickEvery, kDueT0 + 2h, 1);
  ASSERT_TRUE(at.has_value()) << "the cooldown never ended";
  EXPECT_EQ(*at, kDueT0 + 15s + 30min);  // 30 minutes after the first switch was sent
  EXPECT_NE(p.due.act.log[1].find("rule weak"), std::string::npos);
}

TEST(EngineDueTimes, AMinimumDwellEndsAtItsTickWithoutAnotherRecord) {
  DuePair p(kWeakSwitches, R"({"min_dwell":"20m"})");
  const TimePoint held = switch_then_held(p);
  const auto at = p.tick_until_call(held + kTickEvery, kDueT0 + 2h, 1);
  ASSERT_TRUE(at.has_value()) << "the minimum dwell never ended";
  EXPECT_EQ(*at, first_tick_at_or_after(held, kDueT0 + 1min + 20min));  // 20 minutes on de-b (seen at 00:01)
}

TEST(EngineDueTimes, ADaysSwitchesLeaveTheWindowAtTheirTickWithoutAnotherRecord) {
  DuePair p(kWeakSwitches, R"({"max_switches_per_day":1})");
  const TimePoint held = switch_then_held(p);
  const auto at = p.tick_until_call(held + kTickEvery, kDueT0 + 26h, 1);
  ASSERT_TRUE(at.has_value()) << "the day's switch never left the window";
  EXPECT_EQ(*at, first_tick_at_or_after(held, kDueT0 + 1min + 24h));  // the switch seen at 00:01, 24 hours later
}

TEST(EngineDueTimes, QuietHoursEndAtTheirTickWithoutAnotherRecord) {
  DuePair p(kWeakSwitches, R"({"quiet_hours":"00:00-02:00"})");
  p.ingest(due_rec(kDueT0 + 10min, 0, true, -120));
  p.tick(kDueT0 + 10min + 15s);
  EXPECT_EQ(p.calls(), 0u) << "held by quiet hours";
  const auto at = p.tick_until_call(kDueT0 + 10min + 30s, kDueT0 + 4h, 0);
  ASSERT_TRUE(at.has_value()) << "quiet hours never ended";
  EXPECT_EQ(*at, kDueT0 + 2h);
}

// Two devices held by quiet hours wake at their end, but the rate limit has one token: the second one's evaluation
// stops there, and it must stay due (it had nothing else to make it due again: no record, no epoch change) and act
// once a token is back, 10 minutes later at one operation per 10 minutes.
TEST(EngineDueTimes, ADeviceStoppedByTheRateLimitStaysDue) {
  DueSide side(true, kWeakSwitches, R"({"quiet_hours":"00:00-00:30"})", Duration::zero(), 2, 1.0 / 600);
  for (unsigned n = 0; n < 2; ++n) ASSERT_TRUE(side.engine->ingest(due_rec(kDueT0 + 1min, 0, true, -120, n)).ok());
  TimePoint t = kDueT0 + 1min + 15s;
  for (; t < kDueT0 + 30min; t += kTickEvery) side.engine->tick(t);
  EXPECT_EQ(side.act.log.size(), 0u) << "held by quiet hours";
  side.engine->tick(kDueT0 + 30min);
  EXPECT_EQ(side.act.log.size(), 1u) << "one token: one switch";
  for (t = kDueT0 + 30min + kTickEvery; t <= kDueT0 + 45min && side.act.log.size() < 2; t += kTickEvery) {
    side.engine->tick(t);
  }
  ASSERT_EQ(side.act.log.size(), 2u) << "the second device never switched";
  EXPECT_EQ(t - kTickEvery, kDueT0 + 40min) << "a token is back 10 minutes after the first switch";
}

// Quiet hours starting while a guard holds: the cooldown ends inside them, the switch waits for their end. Due at the
// start of quiet hours (00:20), at the end of the cooldown (00:30:15), at the end of quiet hours (01:00).
TEST(EngineDueTimes, ACooldownThatEndsInQuietHoursWaitsForTheirEnd) {
  DuePair p(kWeakSwitches, R"({"cooldown":"30m","quiet_hours":"00:20-01:00"})");
  const TimePoint held = switch_then_held(p);
  const auto at = p.tick_until_call(held + kTickEvery, kDueT0 + 2h, 1, 3);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, kDueT0 + 1h);
}

// Silence: presumed without service at the first tick after last_seen + silence_after, then no_service for 5m
// (counted from last_seen) fires at its own tick.
TEST(EngineDueTimes, ASilentDeviceFiresAtItsTickWithSilenceAfter) {
  DuePair p(R"([{"name":"dark","when":"no_service for 5m","do":"alert \"dark\""}])", "{}", 2min);
  const TimePoint last = kDueT0 + 50s;
  p.ingest(due_rec(last, 0, true));
  for (TimePoint t = kDueT0 + 15s; t <= last + 2min + 15s; t += kTickEvery) p.tick(t);  // presumed at 00:03
  ASSERT_EQ(p.due.engine->stats().silences, 1u);
  const auto x = p.due.engine->explain(test_eid(0, 4), last + 2min + 15s);
  ASSERT_TRUE(x && x->silent);
  const auto at = p.tick_until_call(kDueT0 + 3min + 15s, kDueT0 + 30min, 0);
  ASSERT_TRUE(at.has_value()) << "the silent device's no_service for 5m never fired";
  EXPECT_EQ(*at, first_tick_at_or_after(kDueT0, last + 5min));  // 00:06
}

// A device held because it is unreachable waits for nothing but a change: after the rule fired it is not evaluated
// again until its next record.
TEST(EngineDueTimes, AnUnreachableDeviceHeldIsNotReEvaluatedAtEveryTick) {
  DuePair p(R"([{"name":"dark","when":"no_service for 5m","do":"switch best"}])", "{}");
  p.ingest(due_rec(kDueT0, 0, false));
  for (TimePoint t = kDueT0 + 15s; t <= kDueT0 + 5min; t += kTickEvery) p.tick(t);
  const auto x = p.due.engine->explain(test_eid(0, 4), kDueT0 + 5min);
  ASSERT_TRUE(x && !x->decisions.empty());
  EXPECT_EQ(x->decisions.back().action, "held");
  EXPECT_NE(x->decisions.back().reason.find("device unreachable"), std::string::npos);
  const std::uint64_t evals = p.evaluations(), ref = p.reference_evaluations();
  for (TimePoint t = kDueT0 + 5min + 15s; t <= kDueT0 + 1h; t += kTickEvery) p.tick(t);
  EXPECT_EQ(p.evaluations(), evals);
  EXPECT_GE(p.reference_evaluations(), ref + 200);
  // Its next record (with service) is news: evaluated at once, no_service no longer holds.
  p.ingest(due_rec(kDueT0 + 1h + 5s, 0, true, -90));
  p.tick(kDueT0 + 1h + 15s);
  EXPECT_EQ(p.calls(), 0u) << "with service again, no_service no longer holds";
  const auto y = p.every.engine->explain(test_eid(0, 4), kDueT0 + 1h + 15s);
  const auto z = p.due.engine->explain(test_eid(0, 4), kDueT0 + 1h + 15s);
  ASSERT_TRUE(y && z);
  ASSERT_EQ(y->decisions.size(), z->decisions.size());
  for (std::size_t k = 0; k < y->decisions.size(); ++k) {
    EXPECT_EQ(y->decisions[k].at, z->decisions[k].at);
    EXPECT_EQ(y->decisions[k].reason, z->decisions[k].reason);
  }
}

// A change of the epoch (here a tariff) wakes every parked device: the same decisions as at every tick. The same
// tariff again is no change.
TEST(EngineDueTimes, AChangeOfTheEpochWakesParkedDevices) {
  DuePair p(R"([{"name":"dark","when":"no_service for 30m","do":"alert \"dark\""}])", "{}");
  p.ingest(due_rec(kDueT0, 0, false));
  p.tick(kDueT0 + 15s);
  const std::uint64_t evals = p.evaluations();
  const domain::Currency eur = *domain::Currency::parse("EUR");
  for (DueSide* s : {&p.due, &p.every}) {
    s->engine->set_tariff(Tariff{"de-a", due_de(), domain::Money{400000, eur}, domain::Money{10000, eur}});
  }
  p.tick(kDueT0 + 30s);
  EXPECT_EQ(p.evaluations(), evals) << "parked; the same tariff again changes nothing";
  const domain::Money fee{1, eur};
  for (DueSide* s : {&p.due, &p.every}) s->engine->set_tariff(Tariff{"de-c", due_de(), fee, fee});
  p.tick(kDueT0 + 45s);
  EXPECT_EQ(p.evaluations(), evals + 1) << "woken by the epoch";
  p.tick(kDueT0 + 60s);
  EXPECT_EQ(p.evaluations(), evals + 1) << "parked again";
  const auto at = p.tick_until_call(kDueT0 + 75s, kDueT0 + 1h, 0);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, kDueT0 + 30min);
}

}  // namespace
}  // namespace esimo::engine
