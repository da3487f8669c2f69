// Incremental evaluation (docs/engine.md, "Incremental evaluation"): a record that changes nothing a device's last
// quiet evaluation depended on does not make it due, and the outcome is exactly that of evaluating every device with a
// new record (EngineConfig::incremental_evaluation = false, the reference).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "engine/engine.hpp"
#include "engine_test_util.hpp"

namespace esimo::engine {
namespace {
using testing::test_eid;
using testing::test_iccid;
using testing::RecordingActuator;

using namespace std::chrono_literals;

domain::CountryCode inc_de() { return *domain::CountryCode::parse("DE"); }


const TimePoint kIncT0 = TimePoint(std::chrono::hours(24 * 365 * 57));
const char* const kIncCarriers[3] = {"de-a", "de-b", "de-c"};
const char* const kIncPlmns[3] = {"262-01", "262-02", "262-03"};

// With `dark_alert`, 3 minutes without service also alert (a call the Actuator sees; a switch of a device without
// service is only held). `guards`: the guards as JSON (the default: cooldown, max switches a day, rollback).
policy::Policy inc_policy(bool dark_alert = false, const char* guards = nullptr) {
  auto p = policy::parse_policy(std::string(R"({"name":"inc","scope":{"fleet":true},"objective":"cost",
   "rules":[{"name":"outage","when":"outage detected or carrier.status != up","do":"switch best"},
            {"name":"no-service","when":"no_service for 5m","do":"switch best"},)") +
                                    (dark_alert ? R"({"name":"dark","when":"no_service for 3m","do":"alert \"dark\""},)" : "") +
                                    R"(
            {"name":"weak-signal","when":"signal.rsrp < -115 dBm for 10m","do":"switch best"},
            {"name":"slow","when":"latency.p50 > 400 ms for 15m","do":"alert \"latency\""}],
   "guards":)" + std::string(guards != nullptr ? guards : R"({"cooldown":"30m","max_switches_per_day":4,"rollback":true})") +
                                    "}",
                                policy::ParseOptions{});
  EXPECT_TRUE(p.ok());
  return std::move(p).value();
}

// One engine of a pair: incremental evaluation on or off, the same fleet. `due_times` false: every device that waits
// on time is re-evaluated at every tick (docs/engine.md, "Due times"); `guards` as for inc_policy.
struct Side {
  RecordingActuator act;
  std::unique_ptr<Engine> engine;
  Side(bool incremental, unsigned devices, bool parallel, Duration silence_after = Duration::zero(),
       bool due_times = true, const char* guards = nullptr) {
    EngineConfig cfg;
    cfg.due_times = due_times;
    cfg.silence_after = silence_after;
    cfg.health_window = 2min;
    cfg.min_population = 20;
    cfg.ops_per_second = 5;  // the rate limit stops the evaluation loop now and then
    cfg.incremental_evaluation = incremental;
    cfg.parallel_ingest_from = parallel ? 1 : SIZE_MAX;
    cfg.parallel_tick_from = parallel ? 1 : SIZE_MAX;
    engine = std::make_unique<Engine>(cfg, act);
    for (unsigned i = 0; i < devices; ++i) {
      DeviceInfo d{test_eid(i, 2)};
      for (unsigned s = 0; s < 3; ++s) {
        d.profiles.push_back(ProfileInfo{test_iccid(i, s), kIncCarriers[s], *domain::Plmn::parse(kIncPlmns[s]), s == 1});
      }
      d.enabled = test_iccid(i, 0);
      d.country = inc_de();
      engine->upsert_device(std::move(d));
    }
    const auto eur = [](std::int64_t micros) { return domain::Money{micros, *domain::Currency::parse("EUR")}; };
    for (unsigned s = 0; s < 3; ++s) {
      engine->set_tariff(Tariff{kIncCarriers[s], inc_de(), eur(400000 + 1000 * s), eur(10000 - 500 * s)});
    }
    PolicySet ps;
    ps.fleet = inc_policy(silence_after > Duration::zero(), guards);
    engine->set_policies(std::move(ps));
  }
};

TelemetryRecord inc_rec(unsigned i, TimePoint t, unsigned enabled_slot, double rsrp, double latency, bool attached) {
  TelemetryRecord r{test_eid(i, 2)};
  r.time = t;
  r.attached = attached;
  r.country = inc_de();
  r.serving_plmn = *domain::Plmn::parse(kIncPlmns[enabled_slot]);
  r.enabled_iccid = test_iccid(i, enabled_slot);
  if (attached) {
    r.rsrp_dbm = rsrp;
    r.latency_ms = latency;
  }
  r.bytes_up = 1000;
  return r;
}

// Randomized: devices go quiet for long stretches, then cross a watched threshold (RSRP below -115 for a while,
// latency above 400 for a while), lose service, follow their switches; a carrier's status goes down and up again, a
// tariff changes. Every tick, both engines must have made exactly the same calls, and at the end agree on every
// decision and outage — while the incremental one skipped most evaluations. With `silence_after`, devices also fall
// silent for 2 to 13 rounds now and then (presumed without service after 150 s). With `every_tick`, the reference also
// re-evaluates every device that waits on time at every tick (no due times), under `guards`.
void same_as_full_evaluation(bool parallel, Duration silence_after = Duration::zero(), bool every_tick = false,
                             const char* guards = nullptr) {
  constexpr unsigned kDevices = 160;
  Side full(false, kDevices, parallel, silence_after, !every_tick, guards),
      inc(true, kDevices, parallel, silence_after, true, guards);
  std::mt19937 rng(11);
  std::mt19937 silence_rng(5);  // its own sequence: without silence the fleet is the one it always was
  std::vector<unsigned> slot(kDevices, 0);
  std::vector<int> weak(kDevices, 0), slow(kDevices, 0), dark(kDevices, 0), silent(kDevices, 0);
  TimePoint t = kIncT0;
  for (unsigned round = 0; round < 120; ++round) {
    std::vector<TelemetryRecord> batch;
    for (unsigned i = 0; i < kDevices; ++i) {
      if (silence_after > Duration::zero()) {
        if (silent[i] == 0 && silence_rng() % 60 == 0) silent[i] = 2 + static_cast<int>(silence_rng() % 12);
        if (silent[i] > 0) {
          --silent[i];
          continue;
        }
      }
      if (rng() % 5 == 0) continue;  // not every device reports every round
      if (weak[i] == 0 && rng() % 400 == 0) weak[i] = 5 + static_cast<int>(rng() % 15);
      if (slow[i] == 0 && rng() % 600 == 0) slow[i] = 5 + static_cast<int>(rng() % 20);
      if (dark[i] == 0 && rng() % 800 == 0) dark[i] = 1 + static_cast<int>(rng() % 10);
      const double rsrp = weak[i] > 0 ? -120 : -90 - static_cast<double>(rng() % 10);
      const double latency = slow[i] > 0 ? 900 : 50 + static_cast<double>(rng() % 30);
      batch.push_back(inc_rec(i, t + std::chrono::seconds(rng() % 50), slot[i], rsrp, latency, dark[i] == 0));
      weak[i] = std::max(0, weak[i] - 1);
      slow[i] = std::max(0, slow[i] - 1);
      dark[i] = std::max(0, dark[i] - 1);
    }
    std::sort(batch.begin(), batch.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    const auto a = full.engine->ingest_batch(batch);
    const auto b = inc.engine->ingest_batch(batch);
    ASSERT_EQ(a.size(), b.size());
    if (round == 60) {
      for (Side* s : {&full, &inc}) s->engine->set_carrier_status("de-a", {}, domain::CarrierStatus::down, "test", t);
    }
    if (round == 75) {
      for (Side* s : {&full, &inc}) s->engine->set_carrier_status("de-a", {}, domain::CarrierStatus::up, "", t);
    }
    if (round == 90) {
      const domain::Money fee{300000, *domain::Currency::parse("EUR")}, mb{1000, *domain::Currency::parse("EUR")};
      for (Side* s : {&full, &inc}) s->engine->set_tariff(Tariff{"de-c", inc_de(), fee, mb});
    }
    const std::size_t before = inc.act.log.size();
    full.engine->tick(t + 59s);
    inc.engine->tick(t + 59s);
    ASSERT_EQ(full.act.log, inc.act.log) << "round " << round;
    // The switches succeed: both engines see the device on its new profile with its next record.
    for (std::size_t k = before; k < inc.act.log.size(); ++k) {
      const std::string& line = inc.act.log[k];
      if (line.rfind("switch ", 0) != 0) continue;
      for (unsigned i = 0; i < kDevices; ++i) {
        for (unsigned s = 0; s < 3; ++s) {
          if (line.rfind("switch " + test_eid(i, 2).str() + " " + test_iccid(i, s).str(), 0) == 0) slot[i] = s;
        }
      }
    }
    t += 1min;
  }
  for (unsigned i = 0; i < kDevices; ++i) {
    const auto x = full.engine->explain(test_eid(i, 2), t);
    const auto y = inc.engine->explain(test_eid(i, 2), t);
    ASSERT_TRUE(x && y);
    ASSERT_EQ(x->decisions.size(), y->decisions.size());
    for (std::size_t k = 0; k < x->decisions.size(); ++k) {
      EXPECT_EQ(x->decisions[k].action, y->decisions[k].action);
      EXPECT_EQ(x->decisions[k].reason, y->decisions[k].reason);
      EXPECT_EQ(x->decisions[k].at, y->decisions[k].at);
    }
    EXPECT_EQ(x->enabled, y->enabled);
    EXPECT_EQ(x->fallback, y->fallback);
  }
  ASSERT_EQ(full.engine->outages().size(), inc.engine->outages().size());
  EXPECT_GT(full.act.log.size(), 20u) << "the fleet acted";
  const EngineStats fs = full.engine->stats(), is = inc.engine->stats();
  EXPECT_EQ(fs.records, is.records);
  EXPECT_EQ(fs.evaluations_skipped, 0u);
  EXPECT_GT(is.evaluations_skipped, is.records / 2) << "most records changed nothing a decision reads";
  EXPECT_LT(is.evaluations, fs.evaluations / 2);
  EXPECT_EQ(fs.silences, is.silences);
  if (silence_after > Duration::zero()) {
    EXPECT_GT(is.silences, 50u) << "devices fell silent";
    std::size_t dark_alerts = 0;
    for (const std::string& line : inc.act.log) dark_alerts += line.find("rule dark: no_service for 3m") != std::string::npos;
    EXPECT_GT(dark_alerts, 20u) << "silent devices alerted";
  } else {
    EXPECT_EQ(is.silences, 0u);
  }
}

TEST(EngineIncremental, GivesExactlyWhatFullEvaluationGives) { same_as_full_evaluation(false); }
TEST(EngineIncremental, GivesExactlyWhatFullEvaluationGivesOnTwoThreads) { same_as_full_evaluation(true); }
// Silence: a settled device that falls silent is due at the tick it crosses silence_after in both engines alike.
TEST(EngineIncremental, GivesExactlyWhatFullEvaluationGivesWithSilence) { same_as_full_evaluation(false, 150s); }
TEST(EngineIncremental, GivesExactlyWhatFullEvaluationGivesWithSilenceOnTwoThreads) {
  same_as_full_evaluation(true, 150s);
}

// Due times (docs/engine.md, "Due times"): the reference re-evaluates at every tick each device that waits on time (a
// device without service before its no_service for 5m or 3m, a rule held by a guard, a switch held because the
// device is unreachable); the other engine parks them until their due time or a change of the epoch. Same calls at
// every tick, same decisions (and when), with guards of every kind: cooldown, minimum dwell, a day's switches, quiet
// hours from 00:30 to 01:10 (the run starts at midnight and lasts two hours).
constexpr const char* kDueGuards =
    R"({"cooldown":"10m","min_dwell":"20m","max_switches_per_day":2,"quiet_hours":"00:30-01:10","rollback":true})";
TEST(EngineDueTimes, GivesExactlyWhatEvaluationAtEveryTickGives) { same_as_full_evaluation(false, {}, true); }
TEST(EngineDueTimes, GivesExactlyWhatEvaluationAtEveryTickGivesOnTwoThreads) { same_as_full_evaluation(true, {}, true); }
TEST(EngineDueTimes, GivesExactlyWhatEvaluationAtEveryTickGivesWithGuards) {
  same_as_full_evaluation(false, {}, true, kDueGuards);
}
TEST(EngineDueTimes, GivesExactlyWhatEvaluationAtEveryTickGivesWithSilence) { same_as_full_evaluation(false, 150s, true); }
TEST(EngineDueTimes, GivesExactlyWhatEvaluationAtEveryTickGivesWithSilenceAndGuardsOnTwoThreads) {
  same_as_full_evaluation(true, 150s, true, kDueGuards);
}

// A record that crosses the RSRP threshold after many quiet ones makes the device due again: the switch comes at the
// same tick as with full evaluation, when the signal has been below -115 dBm for 10 minutes.
TEST(EngineIncremental, ACrossingAfterQuietRecordsSwitchesAtTheSameTickAsFullEvaluation) {
  Side full(false, 1, false), inc(true, 1, false);
  std::optional<TimePoint> switched_full, switched_inc;
  for (unsigned minute = 0; minute < 60; ++minute) {
    const TimePoint t = kIncT0 + std::chrono::minutes(minute);
    const double rsrp = minute < 30 ? -90 : -120;
    ASSERT_TRUE(full.engine->ingest(inc_rec(0, t, 0, rsrp, 50, true)).ok());
    ASSERT_TRUE(inc.engine->ingest(inc_rec(0, t, 0, rsrp, 50, true)).ok());
    full.engine->tick(t + 1s);
    inc.engine->tick(t + 1s);
    for (auto [side, when] : {std::pair{&full, &switched_full}, std::pair{&inc, &switched_inc}}) {
      for (const std::string& line : side->act.log) {
        if (line.rfind("switch ", 0) == 0 && !*when) *when = t;
      }
    }
    if (minute == 29) {
      // 29 quiet records after the first: none re-evaluated the device.
      EXPECT_EQ(inc.engine->stats().evaluations_skipped, 29u);
    }
  }
  ASSERT_TRUE(switched_full.has_value());
  EXPECT_EQ(*switched_full, kIncT0 + 40min) << "below -115 dBm from minute 30, for 10m at minute 40";
  ASSERT_TRUE(switched_inc.has_value());
  EXPECT_EQ(*switched_inc, *switched_full);
  EXPECT_EQ(full.act.log, inc.act.log);
}

// A change of what a decision reads beyond the device's own records — here an outage the tick detects on the carrier
// of the devices' fallback profile — reaches the devices whose records since the last tick were quiet in that same
// tick: they move their fallback attribute at the same tick as with full evaluation.
TEST(EngineIncremental, AnOutageDetectedInTheTickReachesDevicesWhoseRecordsWereQuiet) {
  constexpr unsigned kDevices = 60;  // 0..29 on de-a (fallback de-b), 30..59 on de-b
  Side full(false, kDevices, false), inc(true, kDevices, false);
  std::size_t fallbacks_at_detection = 0;
  for (unsigned round = 0; round < 30; ++round) {
    const TimePoint t = kIncT0 + std::chrono::minutes(round);
    std::vector<TelemetryRecord> batch;
    for (unsigned i = 0; i < kDevices; ++i) {
      const bool on_b = i >= 30;
      batch.push_back(inc_rec(i, t + std::chrono::seconds(i), on_b ? 1 : 0, -90, 50, !(on_b && round >= 20)));
    }
    (void)full.engine->ingest_batch(batch);
    (void)inc.engine->ingest_batch(batch);
    const std::size_t before = full.act.log.size();
    full.engine->tick(t + 59s);
    inc.engine->tick(t + 59s);
    ASSERT_EQ(full.act.log, inc.act.log) << "round " << round;
    if (round >= 20 && fallbacks_at_detection == 0) {
      for (std::size_t k = before; k < full.act.log.size(); ++k) {
        fallbacks_at_detection += full.act.log[k].rfind("fallback " + test_eid(0, 2).str(), 0) == 0;
      }
    }
  }
  EXPECT_EQ(fallbacks_at_detection, 1u) << "device 0 moved its fallback off de-b when the outage was detected";
  EXPECT_GT(inc.engine->stats().evaluations_skipped, 300u);
}

// Quiet records do not re-evaluate their devices: after the first evaluation, rounds of records that cross no
// threshold and change nothing else leave the evaluation counter where it was.
TEST(EngineIncremental, QuietRecordsDoNotReEvaluate) {
  constexpr unsigned kDevices = 50;
  Side inc(true, kDevices, false);
  TimePoint t = kIncT0;
  for (unsigned i = 0; i < kDevices; ++i) ASSERT_TRUE(inc.engine->ingest(inc_rec(i, t, 0, -90, 50, true)).ok());
  inc.engine->tick(t + 1s);
  const EngineStats first = inc.engine->stats();
  EXPECT_EQ(first.evaluations, kDevices);
  for (unsigned round = 1; round <= 10; ++round) {
    t += 1min;
    for (unsigned i = 0; i < kDevices; ++i) {
      const Status st = inc.engine->ingest(inc_rec(i, t, 0, -95.0 - round, 60.0 + round, true));
      ASSERT_TRUE(st.ok()) << st.error().message;
    }
    inc.engine->tick(t + 1s);
  }
  const EngineStats after = inc.engine->stats();
  EXPECT_EQ(after.evaluations, first.evaluations);
  EXPECT_EQ(after.evaluations_skipped, 10u * kDevices);
  // One record without service is news: that device alone is evaluated.
  t += 1min;
  ASSERT_TRUE(inc.engine->ingest(inc_rec(7, t, 0, -90, 50, false)).ok());
  inc.engine->tick(t + 1s);
  EXPECT_EQ(inc.engine->stats().evaluations, first.evaluations + 1);
  const auto x = inc.engine->explain(test_eid(7, 2), t + 1s);
  ASSERT_TRUE(x);
  EXPECT_FALSE(x->attached);
}

}  // namespace
}  // namespace esimo::engine
