// The simulator on the real in-process eIM (SQLite store in a temp dir, EimService, EsipaService): reachability,
// the device's own fallback and rollback, KPI definitions on hand-built fleets, and determinism.
#include <gtest/gtest.h>

#include <functional>

#include "base/log.hpp"
#include "eim/eim_service.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"
#include "twin/sim/sim_inprocess.hpp"
#include "twin/sim/sim_kpi.hpp"
#include "twin/sim/sim_runner.hpp"
#include "twin/software_euicc.hpp"
#include "sim_test_model.hpp"

namespace esimo::twin::sim {
namespace {

using testing::Outage;
using testing::TableModel;

// Submits operations through the eIM at given simulated offsets: the stand-in for the engine.
class ScriptedOrchestrator final : public Orchestrator {
 public:
  struct Step {
    std::int64_t at_s;
    std::function<void(OrchestratorContext&)> act;
    bool done = false;
  };
  std::vector<Step> steps;
  TimePoint t0;
  std::size_t records = 0;
  void telemetry(const TelemetryRecord&, OrchestratorContext&) override { ++records; }
  void tick(OrchestratorContext& ctx) override {
    for (auto& s : steps) {
      if (!s.done && ctx.now() >= t0 + std::chrono::seconds(s.at_s)) {
        s.done = true;
        s.act(ctx);
      }
    }
  }
};

struct World {
  World() { log::set_level(log::Level::warn); }  // no access-log line per simulated poll
  test::TempDir dir{"esimo-sim"};
  ManualClock clock{TimePoint{}};
  std::unique_ptr<InProcessEim> eim;
  std::unique_ptr<SimRunner> runner;

  Result<Kpis> run(const TableModel& model, Orchestrator* orchestrator = nullptr, std::uint64_t seed = 7) {
    clock.set(model.start());
    InProcessOptions o;
    o.data_dir = dir.path() / "data";
    auto opened = InProcessEim::open(o, clock);
    if (!opened) return opened.error();
    eim = std::move(opened).value();
    ESIMO_CHECK(eim->register_fleet(model));
    SimOptions so;
    so.seed = seed;
    so.scenario = "table";
    so.orchestrator = orchestrator;
    so.eim = &eim->eim();
    so.tenant = eim->tenant();
    runner = std::make_unique<SimRunner>(model, eim->port(), clock, eim->factory(), so);
    return runner->run();
  }
};

TEST(SimRunner, EveryServedDevicePollsTheRealEimAndNothingIsAffected) {
  TableModel m = TableModel::basic();
  for (int i = 0; i < 5; ++i) m.devices.push_back(TableModel::device_on(0, 1, true, 900));
  m.length = std::chrono::hours(1);
  World w;
  auto k = w.run(m);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->devices, 5u);
  EXPECT_EQ(k->polls, 20u);  // 4 polls an hour each
  // First contact: the eIM asks each new eUICC for its data (association token, certificates) before anything else,
  // so each device's eUICC is materialised once; every later poll is empty.
  EXPECT_EQ(k->empty_polls, 15u);
  EXPECT_EQ(k->exchange_errors, 0u);
  EXPECT_EQ(k->affected_devices, 0u);
  EXPECT_EQ(k->offline_device_us, 0);
  EXPECT_EQ(k->switches, 0u);
  EXPECT_EQ(k->materialised_devices, 5u);
  EXPECT_FALSE(k->detection_us.has_value());
}

TEST(SimRunner, ADeviceWithoutServiceDoesNotReachTheEimUntilTheNetworkReturns) {
  TableModel m = TableModel::basic();
  m.devices.push_back(TableModel::device_on(0, 1, false, 900));  // no fallback profile
  m.outages.push_back(Outage{0, 0, 1800, 5400});                   // 30 min .. 90 min
  m.length = std::chrono::hours(2);
  World w;
  auto k = w.run(m);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->affected_devices, 1u);
  EXPECT_EQ(k->recovered_devices, 1u);
  EXPECT_EQ(k->offline_device_us, 3600LL * 1000000);  // exactly the outage: change points are exact
  ASSERT_TRUE(k->recovery_p50_us.has_value());
  EXPECT_EQ(*k->recovery_p50_us, 3600LL * 1000000);
  EXPECT_EQ(k->polls, 4u);  // 8 poll slots in two hours, 4 of them inside the outage
  EXPECT_EQ(k->switches, 0u);
  EXPECT_TRUE(w.runner->attached(0));
}

TEST(SimRunner, ADeviceThatLosesServiceFallsBackByItselfAndTheEimLearnsIt) {
  TableModel m = TableModel::basic();
  m.devices.push_back(TableModel::device_on(0, 1, true, 900));
  m.outages.push_back(Outage{0, 0, 1800, 36000});
  m.length = std::chrono::hours(3);
  World w;
  auto k = w.run(m);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->affected_devices, 1u);
  EXPECT_EQ(k->recovered_devices, 1u);
  EXPECT_EQ(k->fallbacks, 1u);
  EXPECT_EQ(k->switches, 1u);
  EXPECT_EQ(k->flaps, 0u);
  EXPECT_EQ(k->offline_device_us, 600LL * 1000000);  // the device's fallback timer
  EXPECT_EQ(*k->recovery_p99_us, 600LL * 1000000);
  EXPECT_EQ(k->exchange_errors, 0u);
  EXPECT_EQ(w.runner->enabled_slot(0), 1);
  const SoftwareEuicc* e = w.runner->euicc(0);
  ASSERT_NE(e, nullptr);
  ASSERT_NE(e->enabled_profile(), nullptr);
  EXPECT_EQ(iccid_text(e->enabled_profile()->iccid), sim_iccid(0, 1).str());
  EXPECT_TRUE(e->pending_notifications().empty());  // delivered and acknowledged
  // The eIM heard stateChangeCause fallback(1) and learned the new state from the eUICC, not from a guess.
  auto ops = w.eim->store().list_operations(w.eim->tenant(), store::OperationFilter{sim_eid(0), {}, {}}, {});
  ASSERT_TRUE(ops.ok());
  bool saw = false;
  for (const auto& op : ops->items) {
    if (op.reason == "eim:state_change:fallback") {
      saw = true;
      EXPECT_EQ(op.state, domain::OperationState::succeeded);
    }
  }
  EXPECT_TRUE(saw);
  auto dev = w.eim->store().get_device(w.eim->tenant(), sim_eid(0));
  ASSERT_TRUE(dev.ok());
  ASSERT_TRUE(dev->device.active_iccid.has_value());
  EXPECT_EQ(dev->device.active_iccid->str(), sim_iccid(0, 1).str());
}

TEST(SimRunner, AnEnableWhoseNetworkCannotAttachRollsBack) {
  TableModel m = TableModel::basic();
  m.devices.push_back(TableModel::device_on(0, 1, false, 900));
  m.outages.push_back(Outage{1, 0, 0, 36000});  // carrier 1 never serves
  m.length = std::chrono::hours(2);
  ScriptedOrchestrator o;
  o.t0 = m.start();
  o.steps.push_back({600, [](OrchestratorContext& ctx) {
                       eim::SubmitOptions so;
                       so.reason = "test";
                       auto op = ctx.eim().submit(ctx.tenant(), ctx.eid(0), eim::OpEnable{ctx.iccid(0, 1), true}, so);
                       ASSERT_TRUE(op.ok()) << op.error().message;
                     }});
  World w;
  auto k = w.run(m, &o);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->eim_switches, 1u);
  EXPECT_EQ(k->rollbacks, 1u);
  EXPECT_EQ(k->switches, 2u);
  EXPECT_EQ(k->flaps, 0u);  // a rollback is the safety net working, not a flap
  EXPECT_EQ(w.runner->enabled_slot(0), 0);
  EXPECT_TRUE(w.runner->attached(0));
  const SoftwareEuicc* e = w.runner->euicc(0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(iccid_text(e->enabled_profile()->iccid), sim_iccid(0, 0).str());
  EXPECT_FALSE(e->rollback_pending());
  EXPECT_GT(o.records, 0u);
}

TEST(SimRunner, KpiDefinitionsOnAHandBuiltFleet) {
  TableModel m = TableModel::basic();
  // 0: carrier 0, fallback to 1 -> falls back after 10 min.
  // 1: carrier 0, no fallback -> offline for the whole outage (1 h).
  // 2: carrier 1 -> never affected.
  // 3: carrier 0, fallback to 1, which is also down -> falls back, still no service until the outage ends.
  m.devices.push_back(TableModel::device_on(0, 1, true, 900));
  m.devices.push_back(TableModel::device_on(0, 1, false, 900));
  m.devices.push_back(TableModel::device_on(1, 0, false, 900));
  m.devices.push_back(TableModel::device_on(0, 2, true, 900));
  m.devices[3].home_country = 1;  // in FR: carrier 2 is served there... and carrier 0 too
  m.outages.push_back(Outage{0, 0, 3600, 7200});
  m.outages.push_back(Outage{0, 1, 3600, 7200});
  m.outages.push_back(Outage{2, 1, 0, 5400});
  m.length = std::chrono::hours(4);
  // Device 3 is unserved from the start on... no: it starts on carrier 0 in FR, which serves until 1 h.
  World w;
  auto k = w.run(m);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->devices, 4u);
  EXPECT_EQ(k->affected_devices, 3u);
  EXPECT_EQ(k->recovered_devices, 3u);
  EXPECT_EQ(k->unserved_at_start, 0u);
  // 0: 10 min; 1: 60 min; 3: falls back at 1h10 onto carrier 2 (down until 1h30) -> attaches at 1h30: 30 min.
  EXPECT_EQ(k->offline_device_us, (10 + 60 + 30) * 60LL * 1000000);
  EXPECT_EQ(k->fallbacks, 2u);
  EXPECT_EQ(k->switches, 2u);
  // recoveries sorted: 10, 30, 60 min -> p50 = 30 min (rank 2), p95 = p99 = 60 min
  EXPECT_EQ(*k->recovery_p50_us, 30 * 60LL * 1000000);
  EXPECT_EQ(*k->recovery_p95_us, 60 * 60LL * 1000000);
  const std::string json = kpis_to_json(*k);
  EXPECT_NE(json.find("\"devices\":4,\"affected_devices\":3,\"recovered_devices\":3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"detection_seconds\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"recovery_seconds\":{\"p50\":1800.0,\"p95\":3600.0,\"p99\":3600.0}"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"offline_device_minutes\":100.00"), std::string::npos) << json;
}

TEST(SimRunner, AFlapIsAReturnToTheProfileJustLeftWithinTheWindow) {
  TableModel m = TableModel::basic();
  m.devices.push_back(TableModel::device_on(0, 1, false, 300));
  m.length = std::chrono::hours(3);
  ScriptedOrchestrator o;
  o.t0 = m.start();
  auto enable = [](std::uint8_t slot) {
    return [slot](OrchestratorContext& ctx) {
      eim::SubmitOptions so;
      so.reason = "test";
      ASSERT_TRUE(ctx.eim().submit(ctx.tenant(), ctx.eid(0), eim::OpEnable{ctx.iccid(0, slot), false}, so).ok());
    };
  };
  o.steps.push_back({600, enable(1)});    // 0 -> 1
  o.steps.push_back({1800, enable(0)});   // 1 -> 0 after 20 min or so: a flap
  o.steps.push_back({9000, enable(1)});   // 0 -> 1 more than an hour later: not a flap
  World w;
  auto k = w.run(m, &o);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->eim_switches, 3u);
  EXPECT_EQ(k->flaps, 1u);
  EXPECT_EQ(w.runner->enabled_slot(0), 1);
}

TEST(SimRunner, CostIsUsageTimesPriceExtrapolatedToAMonth) {
  TableModel m = TableModel::basic();
  m.devices.push_back(TableModel::device_on(0, 1, false, 900));  // 1 MB an hour at 0.01 EUR
  m.devices.push_back(TableModel::device_on(1, 0, false, 900));  // 1 MB an hour at 0.02 EUR
  m.length = std::chrono::hours(6);
  World w;
  auto k = w.run(m);
  ASSERT_TRUE(k.ok()) << k.error().message;
  // 720 h a month: 720 * (0.01 + 0.02) = 21.60 EUR
  EXPECT_EQ(k->monthly_cost_micros, 21600000);
  EXPECT_EQ(k->currency, "EUR");
}

TEST(SimRunner, ComplianceCountsDevicesServedBeyondTheirRoamingLimit) {
  TableModel m = TableModel::basic();
  m.devices.push_back(TableModel::device_on(0, 1, false, 900));
  m.devices.push_back(TableModel::device_on(1, 0, false, 900));
  m.limits.push_back({{0, 0}, std::chrono::hours(1)});  // carrier 0 in DE: at most 1 h
  m.length = std::chrono::hours(3);
  World w;
  auto k = w.run(m);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->compliance_violations, 1u);
}

TEST(SimRunner, SameModelAndSeedGiveTheSameKpiBytes) {
  auto build = [] {
    TableModel m = TableModel::basic();
    for (std::uint32_t i = 0; i < 40; ++i) {
      auto d = TableModel::device_on(i % 3 == 0 ? 1 : 0, i % 3 == 0 ? 0 : 1, i % 2 == 0, 600 + 60 * (i % 5));
      d.home_country = static_cast<std::uint16_t>(i % 2);
      m.devices.push_back(d);
    }
    m.outages.push_back(Outage{0, 0, 1200, 4000});
    m.outages.push_back(Outage{1, 1, 2000, 2600});
    m.length = std::chrono::hours(2);
    return m;
  };
  World a;
  World b;
  auto ka = a.run(build(), nullptr, 42);
  auto kb = b.run(build(), nullptr, 42);
  ASSERT_TRUE(ka.ok()) << ka.error().message;
  ASSERT_TRUE(kb.ok()) << kb.error().message;
  EXPECT_EQ(kpis_to_json(*ka), kpis_to_json(*kb));
  EXPECT_GT(ka->affected_devices, 0u);
  World c;
  auto kc = c.run(build(), nullptr, 43);  // another seed moves the first polls
  ASSERT_TRUE(kc.ok());
  EXPECT_NE(kpis_to_json(*ka), kpis_to_json(*kc));
}

}  // namespace
}  // namespace esimo::twin::sim
