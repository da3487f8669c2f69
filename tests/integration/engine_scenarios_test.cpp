// The engine's geography, cost and compliance switching on the twin (issue 6: "eu-trucks.toml and price-change.toml
// show geography and cost switching with their reasons"), at a few hundred devices, in-process, engine on with the
// scenario's own policy file (scenarios/policies/*.yaml) against engine off, same seed. The full-size figures are in
// docs/engine.md ("Geography, cost and compliance on the twin").
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/log.hpp"
#include "support/temp_dir.hpp"
#include "twin/sim/sim_engine.hpp"
#include "twin/sim/sim_inprocess.hpp"
#include "twin/sim/sim_runner.hpp"
#include "twin/sim/sim_scenario_model.hpp"

namespace esimo::twin::sim {
namespace {

struct ScenarioRun {
  Kpis kpis;
  SimEngineCounters counters;
  std::string json;
};

Result<policy::Policy> scenario_policy(const ScenarioModel& model) {
  const std::string path = std::string(ESIMO_SOURCE_DIR) + "/scenarios/" + model.scenario().policy;
  std::ifstream in(path);
  if (!in) return Error(Errc::io_error, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  policy::ParseOptions o;
  o.format = policy::Format::yaml;
  return policy::parse_policy(text.str(), o);
}

Result<ScenarioRun> run_scenario(const std::string& name, std::uint64_t devices, bool engine_on) {
  log::set_level(log::Level::warn);
  ScenarioLoad load;
  load.file = std::string(ESIMO_SOURCE_DIR) + "/scenarios/" + name + ".toml";
  load.devices = devices;
  ESIMO_TRY(auto model, ScenarioModel::load(load));
  test::TempDir dir{"esimo-engine-scenarios"};
  ManualClock clock(model->start());
  InProcessOptions o;
  o.data_dir = dir.path() / "data";
  ESIMO_TRY(auto stack, InProcessEim::open(o, clock));
  ESIMO_CHECK(stack->register_fleet(*model));
  SimOptions so;
  so.seed = model->seed();
  so.scenario = name;
  so.eim = &stack->eim();
  so.tenant = stack->tenant();
  std::optional<SimEngine> eng;
  if (engine_on) {
    SimEngineOptions eo;
    eo.store = &stack->store();
    if (model->scenario().policy.empty()) return Error(Errc::failed_precondition, name + " names no policy file");
    ESIMO_TRY(policy::Policy p, scenario_policy(*model));
    eo.policies = engine::PolicySet{std::move(p), {}, {}};
    so.orchestrator = &eng.emplace(*model, std::move(eo));
  }
  SimRunner runner(*model, stack->port(), clock, stack->factory(), so);
  ESIMO_TRY(Kpis k, runner.run());
  ScenarioRun r{k, eng ? eng->counters() : SimEngineCounters{}, kpis_to_json(k)};
  return r;
}

std::uint64_t by_rule(const SimEngineCounters& c, const std::string& rule) {
  auto it = c.switches_by_rule.find(rule);
  return it == c.switches_by_rule.end() ? 0 : it->second;
}

TEST(EngineScenarios, PriceChangeCostSwitchesLowerTheMonthlyCost) {
  auto off = run_scenario("price-change", 400, false);
  ASSERT_TRUE(off.ok()) << off.error().message;
  auto on = run_scenario("price-change", 400, true);
  ASSERT_TRUE(on.ok()) << on.error().message;
  // Vodafone DE triples its data price on day 2: the cost rule moves its devices to a cheaper profile.
  const std::uint64_t cheaper = by_rule(on->counters, "cheaper");
  EXPECT_GE(cheaper, 50u);
  ASSERT_TRUE(on->counters.first_reason.count("cheaper"));
  const std::string& why = on->counters.first_reason.at("cheaper");
  EXPECT_NE(why.find("policy price-change, rule cheaper: savings.monthly > 1.00 EUR for 1h ["), std::string::npos) << why;
  EXPECT_NE(why.find("=> de-"), std::string::npos) << why;
  EXPECT_NE(why.find("objective cost"), std::string::npos) << why;
  // ... and the cost KPI sees the new networks' prices: lower by more than a few percent.
  EXPECT_LT(on->kpis.monthly_cost_micros * 100, off->kpis.monthly_cost_micros * 95)
      << off->json << on->json;
  EXPECT_EQ(on->kpis.flaps, 0u);
}

TEST(EngineScenarios, EuTrucksBorderCrossingsSwitchWithGeographyReasonsAndCostLess) {
  auto off = run_scenario("eu-trucks", 200, false);
  ASSERT_TRUE(off.ok()) << off.error().message;
  auto on = run_scenario("eu-trucks", 200, true);
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_GE(by_rule(on->counters, "border-roaming"), 20u);
  ASSERT_TRUE(on->counters.first_reason.count("border-roaming"));
  const std::string& why = on->counters.first_reason.at("border-roaming");
  EXPECT_NE(why.find("policy eu-trucks, rule border-roaming: country changed ["), std::string::npos) << why;
  EXPECT_NE(why.find(" -> "), std::string::npos) << why;
  EXPECT_NE(why.find("roaming [roaming in "), std::string::npos) << why;
  EXPECT_LT(on->kpis.monthly_cost_micros, off->kpis.monthly_cost_micros) << off->json << on->json;
}

TEST(EngineScenarios, BrazilDevicesOnForeignProfilesAreLocalisedBeforeTheDeadline) {
  auto off = run_scenario("brazil-permanent-roaming", 300, false);
  ASSERT_TRUE(off.ok()) << off.error().message;
  auto on = run_scenario("brazil-permanent-roaming", 300, true);
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_GE(off->kpis.compliance_violations, 150u);
  EXPECT_LE(on->kpis.compliance_violations * 5, off->kpis.compliance_violations) << off->json << on->json;
  EXPECT_GE(by_rule(on->counters, "brazil-roaming"), 150u);
  const std::string& why = on->counters.first_reason.at("brazil-roaming");
  EXPECT_NE(why.find("country in [BR] [country BR]; roaming for 1h [roaming in BR"), std::string::npos) << why;
}

TEST(EngineScenarios, TheSameSeedGivesTheSameKpisWithTheEngineOn) {
  auto a = run_scenario("eu-trucks", 100, true);
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = run_scenario("eu-trucks", 100, true);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(a->json, b->json);
  EXPECT_EQ(a->counters.switches_by_rule, b->counters.switches_by_rule);
}

}  // namespace
}  // namespace esimo::twin::sim
