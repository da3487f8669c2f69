// Silence (docs/engine.md, "Silence"): a device whose last record had service and that then sends nothing for longer
// than EngineConfig::silence_after is presumed without service since that record, until its next record.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/engine.hpp"
#include "engine_test_util.hpp"

namespace esimo::engine {
namespace {
using testing::RecordingActuator;
using testing::test_eid;
using testing::test_iccid;

using namespace std::chrono_literals;

const TimePoint kSilT0 = TimePoint(std::chrono::hours(24 * 365 * 57));
const char* const kSilCarriers[2] = {"de-a", "de-b"};
const char* const kSilPlmns[2] = {"262-01", "262-02"};

domain::CountryCode sil_de() { return *domain::CountryCode::parse("DE"); }

// The default rules plus an alert on 5 minutes without service, so that the rule firing is an Actuator call (a switch
// of a device without service is held: it is unreachable).
std::unique_ptr<Engine> silence_engine(RecordingActuator& act, Duration silence_after, bool incremental = true) {
  EngineConfig cfg;
  cfg.silence_after = silence_after;
  cfg.incremental_evaluation = incremental;
  auto e = std::make_unique<Engine>(cfg, act);
  PolicySet ps;
  ps.fleet = *policy::parse_policy(
      R"({"name":"fleet","scope":{"fleet":true},"objective":"cost",
          "rules":[{"name":"outage","when":"outage detected or carrier.status != up","do":"switch best"},
                   {"name":"dark","when":"no_service for 5m","do":"alert \"no service\""}],
          "guards":{"cooldown":"30m","rollback":true}})",
      policy::ParseOptions{});
  e->set_policies(std::move(ps));
  DeviceInfo d{test_eid(0, 3)};
  for (unsigned s = 0; s < 2; ++s) {
    d.profiles.push_back(ProfileInfo{test_iccid(0, s), kSilCarriers[s], *domain::Plmn::parse(kSilPlmns[s]), s == 1});
  }
  d.enabled = test_iccid(0, 0);
  d.fallback_supported = false;  // no fallback upkeep: the alert is the only call
  d.country = sil_de();
  e->upsert_device(std::move(d));
  return e;
}

TelemetryRecord sil_rec(TimePoint t, bool attached) {
  TelemetryRecord r{test_eid(0, 3)};
  r.time = t;
  r.attached = attached;
  r.country = sil_de();
  r.enabled_iccid = test_iccid(0, 0);
  if (attached) {
    r.serving_plmn = *domain::Plmn::parse(kSilPlmns[0]);
    r.rsrp_dbm = -90;
    r.latency_ms = 50;
  }
  return r;
}

std::size_t alerts(const RecordingActuator& act) {
  return static_cast<std::size_t>(std::count_if(act.log.begin(), act.log.end(),
                                                [](const std::string& l) { return l.rfind("alert ", 0) == 0; }));
}

// Quiet records every minute for 10 minutes (the device settles), the last at `last`; then ticks every minute up to
// `until`. Returns the tick at which the alert came, if it did.
std::optional<TimePoint> first_alert_after_silence(Engine& e, RecordingActuator& act, TimePoint last, TimePoint until) {
  for (TimePoint t = last - 10min; t <= last; t += 1min) {
    EXPECT_TRUE(e.ingest(sil_rec(t, true)).ok());
    e.tick(t + 1s);
  }
  EXPECT_EQ(alerts(act), 0u);
  for (TimePoint t = last + 1min; t <= until; t += 1min) {
    e.tick(t);
    if (alerts(act) > 0) return t;
  }
  return std::nullopt;
}

// silence_after 10m: presumed without service at the first tick strictly after last_seen + 10m (T0+11m with ticks a
// minute apart), since last_seen; "no_service for 5m" then already holds (11m), so the alert comes at that tick.
TEST(EngineSilence, ASilentDeviceIsPresumedWithoutServiceSinceItsLastRecord) {
  RecordingActuator act;
  auto e = silence_engine(act, 10min);
  const TimePoint last = kSilT0;
  // Before: at last_seen + 10m it is not yet older than now - silence_after.
  for (TimePoint t = last - 10min; t <= last; t += 1min) {
    ASSERT_TRUE(e->ingest(sil_rec(t, true)).ok());
    e->tick(t + 1s);
  }
  EXPECT_GE(e->stats().evaluations_skipped, 9u) << "the device settled: its quiet records were skipped";
  for (TimePoint t = last + 1min; t <= last + 10min; t += 1min) {
    e->tick(t);
    const auto x = e->explain(test_eid(0, 3), t);
    ASSERT_TRUE(x);
    EXPECT_TRUE(x->attached) << format_rfc3339(t);
    EXPECT_FALSE(x->silent);
  }
  EXPECT_EQ(alerts(act), 0u);
  const std::uint64_t evaluations = e->stats().evaluations;
  e->tick(last + 11min);
  EXPECT_EQ(e->stats().evaluations, evaluations + 1) << "the settled device became due at the tick it fell silent";
  EXPECT_EQ(e->stats().silences, 1u);
  const auto x = e->explain(test_eid(0, 3), last + 11min);
  ASSERT_TRUE(x);
  EXPECT_FALSE(x->attached);
  EXPECT_TRUE(x->silent);
  ASSERT_TRUE(x->no_service_since);
  EXPECT_EQ(*x->no_service_since, last) << "the last moment it was known in service";
  ASSERT_EQ(alerts(act), 1u);
  EXPECT_NE(act.log[0].find("no_service for 5m [without service since " + format_rfc3339(last) + " (11m)]"),
            std::string::npos)
      << act.log[0];
}

// The rule fires at the first tick t with t > last_seen + silence_after (the presumption) and t - last_seen >= 5m
// (the rule): with silence_after 10m that is last_seen + 11m; with silence_after 2m the device is presumed at
// last_seen + 3m and the rule holds from last_seen + 5m — the device is re-evaluated at the ticks in between.
TEST(EngineSilence, NoServiceForFiresAtTheFirstTickBothHold) {
  for (const auto& [silence, expected] : {std::pair{10min, 11min}, std::pair{2min, 5min}, std::pair{5min, 6min}}) {
    for (const bool incremental : {true, false}) {
      RecordingActuator act;
      auto e = silence_engine(act, silence, incremental);
      const auto at = first_alert_after_silence(*e, act, kSilT0, kSilT0 + 2h);
      ASSERT_TRUE(at.has_value()) << "silence " << silence.count() << "m";
      EXPECT_EQ(*at, kSilT0 + expected) << "silence " << silence.count() << "m, incremental " << incremental;
    }
  }
}

// Off (the default): a device whose last record said attached is in service however long it is silent.
TEST(EngineSilence, OffKeepsTheLastRecordsState) {
  EXPECT_EQ(EngineConfig{}.silence_after, Duration::zero());
  RecordingActuator act;
  auto e = silence_engine(act, Duration::zero());
  EXPECT_FALSE(first_alert_after_silence(*e, act, kSilT0, kSilT0 + 3h).has_value());
  const auto x = e->explain(test_eid(0, 3), kSilT0 + 3h);
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->attached);
  EXPECT_FALSE(x->silent);
  EXPECT_FALSE(x->no_service_since.has_value());
  EXPECT_EQ(e->stats().silences, 0u);
}

// The next record ends the presumption: with service, the device is in service again (and presumed again only after
// another silence); without, it stays without service since its last record with service.
TEST(EngineSilence, TheNextRecordEndsThePresumption) {
  RecordingActuator act;
  auto e = silence_engine(act, 10min);
  ASSERT_TRUE(first_alert_after_silence(*e, act, kSilT0, kSilT0 + 1h).has_value());
  ASSERT_TRUE(e->ingest(sil_rec(kSilT0 + 20min, true)).ok());
  e->tick(kSilT0 + 20min + 1s);
  auto x = e->explain(test_eid(0, 3), kSilT0 + 20min + 1s);
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->attached);
  EXPECT_FALSE(x->silent);
  EXPECT_FALSE(x->no_service_since.has_value());
  e->tick(kSilT0 + 30min);
  EXPECT_TRUE(e->explain(test_eid(0, 3), kSilT0 + 30min)->attached) << "10m after the record: not yet";
  e->tick(kSilT0 + 31min);
  x = e->explain(test_eid(0, 3), kSilT0 + 31min);
  EXPECT_TRUE(x->silent) << "silent again";
  EXPECT_EQ(x->no_service_since, kSilT0 + 20min);
  EXPECT_EQ(e->stats().silences, 2u);
  // A record without service: reported, no longer presumed; the spell still runs from the last record with service.
  ASSERT_TRUE(e->ingest(sil_rec(kSilT0 + 35min, false)).ok());
  e->tick(kSilT0 + 35min + 1s);
  x = e->explain(test_eid(0, 3), kSilT0 + 35min + 1s);
  EXPECT_FALSE(x->attached);
  EXPECT_FALSE(x->silent);
  EXPECT_EQ(x->no_service_since, kSilT0 + 20min);
}

// Under the default fleet policy ("no_service for 5m" -> switch best) a presumed device is unreachable like any
// device without service: the switch is held, nothing is sent.
TEST(EngineSilence, APresumedDeviceIsUnreachable) {
  RecordingActuator act;
  EngineConfig cfg;
  cfg.silence_after = 10min;
  Engine e(cfg, act);
  DeviceInfo d{test_eid(0, 3)};
  for (unsigned s = 0; s < 2; ++s) {
    d.profiles.push_back(ProfileInfo{test_iccid(0, s), kSilCarriers[s], *domain::Plmn::parse(kSilPlmns[s]), s == 1});
  }
  d.enabled = test_iccid(0, 0);
  d.country = sil_de();
  e.upsert_device(std::move(d));
  ASSERT_TRUE(e.ingest(sil_rec(kSilT0, true)).ok());
  e.tick(kSilT0 + 1s);
  for (TimePoint t = kSilT0 + 1min; t <= kSilT0 + 20min; t += 1min) e.tick(t);
  for (const std::string& line : act.log) EXPECT_NE(line.rfind("switch ", 0), 0u) << line;
  const auto x = e.explain(test_eid(0, 3), kSilT0 + 20min);
  ASSERT_TRUE(x);
  EXPECT_TRUE(x->silent);
  ASSERT_FALSE(x->decisions.empty());
  EXPECT_EQ(x->decisions.back().action, "held");
  EXPECT_EQ(x->decisions.back().at, kSilT0 + 11min);
  EXPECT_NE(x->decisions.back().reason.find("rule no-service: no_service for 5m"), std::string::npos)
      << x->decisions.back().reason;
  EXPECT_NE(x->decisions.back().reason.find("device unreachable: no service since " + format_rfc3339(kSilT0)),
            std::string::npos)
      << x->decisions.back().reason;
}

// ---- Silence in health: 40 devices on de-a report every minute; from minute 10, 30 of them fall silent.
struct HealthFleet {
  static constexpr unsigned kDevices = 40;
  RecordingActuator act;
  std::unique_ptr<Engine> engine;
  explicit HealthFleet(Duration silence_after) {
    EngineConfig cfg;
    cfg.silence_after = silence_after;
    cfg.health_window = 2min;
    cfg.min_population = 20;
    engine = std::make_unique<Engine>(cfg, act);
    for (unsigned i = 0; i < kDevices; ++i) {
      DeviceInfo d{test_eid(i, 4)};
      for (unsigned s = 0; s < 2; ++s) {
        d.profiles.push_back(
            ProfileInfo{test_iccid(i, s), kSilCarriers[s], *domain::Plmn::parse(kSilPlmns[s]), s == 1});
      }
      d.enabled = test_iccid(i, 0);
      d.country = sil_de();
      engine->upsert_device(std::move(d));
    }
  }
  TelemetryRecord rec(unsigned i, TimePoint t, bool attached) const {
    TelemetryRecord r{test_eid(i, 4)};
    r.time = t;
    r.attached = attached;
    r.country = sil_de();
    r.enabled_iccid = test_iccid(i, 0);
    if (attached) {
      r.serving_plmn = *domain::Plmn::parse(kSilPlmns[0]);
      r.rsrp_dbm = -90;
      r.latency_ms = 50;
    }
    return r;
  }
  // Minute m: the devices that report send a record at m + i x 0.5 s; the tick is at m + 30 s. Devices 10..39 are
  // silent from minute 10; with `report_dark_from` they send records without service from that minute on (at +10 s).
  void run(unsigned minutes, std::optional<unsigned> report_dark_from = std::nullopt) {
    for (unsigned m = 0; m < minutes; ++m) {
      const TimePoint start = kSilT0 + std::chrono::minutes(m);
      for (unsigned i = 0; i < kDevices; ++i) {
        if (i >= 10 && m >= 10) {
          if (report_dark_from && m >= *report_dark_from) {
            EXPECT_TRUE(engine->ingest(rec(i, start + 10s, false)).ok());
          }
          continue;
        }
        EXPECT_TRUE(engine->ingest(rec(i, start + std::chrono::milliseconds(500 * i), true)).ok());
      }
      engine->tick(start + 30s);
    }
  }
};

// Silent devices count in their (carrier, country) health as observations without service, one per reporting
// interval: presumed at 12m30s (last record 9m + up to 19.5 s, threshold 3m), counted then and every minute after,
// the outage is declared at the next judgement (13m30s: 30 observations and 20 records of the 10 that still report)
// and verified a window later, since the silent devices keep counting.
TEST(EngineSilenceHealth, SilentDevicesDeclareAnOutageThatTheConfirmationKeeps) {
  HealthFleet f(3min);
  f.run(17);
  const auto outages = f.engine->outages();
  ASSERT_EQ(outages.size(), 1u);
  EXPECT_EQ(outages[0].carrier_id, "de-a");
  EXPECT_EQ(outages[0].declared_at, kSilT0 + 13min + 30s);
  EXPECT_EQ(outages[0].evidence.rfind("30 of 50 records without service in the last 2m", 0), 0u) << outages[0].evidence;
  EXPECT_TRUE(outages[0].verified);
  EXPECT_FALSE(outages[0].withdrawn) << outages[0].evidence;
  EXPECT_FALSE(outages[0].cleared_at.has_value());
}

// Off: the 10 devices still reporting are fine, the silent ones say nothing, no outage.
TEST(EngineSilenceHealth, OffSilenceDetectsNothing) {
  HealthFleet f(Duration::zero());
  f.run(17);
  EXPECT_TRUE(f.engine->outages().empty());
}

// A record without service that ends a presumption is the spell health already counted: at 13m30s the window holds
// the 30 observations of 12m30s, 20 records with service and the 30 records without service of 13m10s, which count
// as nothing (30 of 50, not 60 of 80); the records without service after them count as records.
TEST(EngineSilenceHealth, ARecordWithoutServiceAfterThePresumptionIsNotCountedTwice) {
  HealthFleet f(3min);
  f.run(17, 13);
  const auto outages = f.engine->outages();
  ASSERT_EQ(outages.size(), 1u);
  EXPECT_EQ(outages[0].declared_at, kSilT0 + 13min + 30s);
  EXPECT_EQ(outages[0].evidence.rfind("30 of 50 records without service", 0), 0u) << outages[0].evidence;
  EXPECT_TRUE(outages[0].verified);
}

// A device that never comes back counts for recovery_hold (30m) after its presumption, then no longer: the outage
// clears once the carrier has been healthy for recovery_hold after that.
TEST(EngineSilenceHealth, DevicesThatNeverComeBackAgeOut) {
  HealthFleet f(3min);
  f.run(120);
  const auto outages = f.engine->outages();
  ASSERT_EQ(outages.size(), 1u);
  ASSERT_TRUE(outages[0].cleared_at.has_value());
  // Observations until about 12m20s + 30m, the last judged unhealthy about two minutes later; healthy for 30m after.
  EXPECT_GT(*outages[0].cleared_at, kSilT0 + 70min);
  EXPECT_LT(*outages[0].cleared_at, kSilT0 + 80min);
}

}  // namespace
}  // namespace esimo::engine
