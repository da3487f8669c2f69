// The twin's model kernels, the work the simulator does per device and per poll (see docs/twin.md "Network model"):
//  - Query: where the device is (trajectory), its enabled profile's network there (NetworkRef), then attach, signal
//    and latency — one device's network answer. Baseline: TwinHash, the counter-based draw every answer is made of.
//  - Device: one compact DeviceSpec drawn from the plan (FleetPlan::device), and Position: where a device is from its
//    index alone.
//  - Load: parse and validate a scenario file against the real catalog.
// Scenarios from scenarios/ (default baseline.toml; eu-trucks.toml for moving devices), the real Debian catalog.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "twin/fleet_gen.hpp"
#include "twin/network.hpp"
#include "twin/scenario.hpp"

namespace {

namespace twin = esimo::twin;

const twin::CarrierCatalog& catalog() {
  static const twin::CarrierCatalog c =
      twin::CarrierCatalog::load(std::string(twin::CarrierCatalog::kDefaultServiceProvidersXml)).value();
  return c;
}

std::filesystem::path scenario_path(const char* file) {
  return std::filesystem::path(ESIMO_SOURCE_DIR) / "scenarios" / file;
}

struct World {
  twin::Scenario scenario;
  std::vector<twin::DeviceSpec> devices;
};

// 65,536 devices of a 1,000,000-device fleet (a stride through the index space, so every group is represented).
const World& world(const std::string& file) {
  static std::map<std::string, std::unique_ptr<World>> cache;
  auto& w = cache[file];
  if (w) return *w;
  w = std::make_unique<World>();
  w->scenario = twin::load_scenario(scenario_path(file.c_str()), catalog()).value();
  const auto plan = twin::FleetPlan::make(w->scenario, catalog(), w->scenario.seed, 1'000'000).value();
  for (std::uint32_t i = 0; i < 65536; ++i) w->devices.push_back(plan.device(i * 15u));
  return *w;
}

void query(benchmark::State& state, const char* file) {
  const World& w = world(file);
  const auto plan = twin::FleetPlan::make(w.scenario, catalog(), w.scenario.seed, 1'000'000).value();
  const twin::NetworkModel model(w.scenario, catalog(), w.scenario.seed);
  std::size_t i = 0;
  std::int64_t minute = 0;
  double sink = 0;
  for (auto _ : state) {
    const auto& d = w.devices[i];
    const twin::SimTime t = std::chrono::minutes(minute);
    const auto where = plan.position_at(d, t);
    const auto n = model.resolve_carrier(d.carriers[d.enabled], where.country);
    if (model.attach(n, d.index, t, 0)) {
      const auto s = model.signal(n, d.index, t);
      sink += s.rsrp_dbm + model.latency_ms(n, d.index, t);
    }
    if (++i == w.devices.size()) {
      i = 0;
      minute += 17;
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}

void BM_Query_Baseline(benchmark::State& state) { query(state, "baseline.toml"); }
void BM_Query_EuTrucks(benchmark::State& state) { query(state, "eu-trucks.toml"); }
void BM_Query_CarrierOutage(benchmark::State& state) { query(state, "carrier-outage.toml"); }

void BM_TwinHash(benchmark::State& state) {
  std::uint64_t x = 0;
  for (auto _ : state) {
    x += twin::twin_hash(42, 1, x, 3, 4, 5);
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Device(benchmark::State& state) {
  const World& w = world("baseline.toml");
  const auto plan = twin::FleetPlan::make(w.scenario, catalog(), w.scenario.seed, 1'000'000).value();
  std::uint32_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(plan.device(i));
    i = (i + 7919) % 1'000'000;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Position_EuTrucks(benchmark::State& state) {
  const World& w = world("eu-trucks.toml");
  const auto plan = twin::FleetPlan::make(w.scenario, catalog(), w.scenario.seed, 1'000'000).value();
  std::uint32_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(plan.position_at(i, std::chrono::hours(i % 48)));
    i = (i + 7919) % 1'000'000;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Load_Baseline(benchmark::State& state) {
  const auto path = scenario_path("baseline.toml");
  for (auto _ : state) benchmark::DoNotOptimize(twin::load_scenario(path, catalog()).ok());
}

}  // namespace

BENCHMARK(BM_Query_Baseline);
BENCHMARK(BM_Query_EuTrucks);
BENCHMARK(BM_Query_CarrierOutage);
BENCHMARK(BM_TwinHash);
BENCHMARK(BM_Device);
BENCHMARK(BM_Position_EuTrucks);
BENCHMARK(BM_Load_Baseline);
