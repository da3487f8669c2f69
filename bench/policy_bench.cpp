// Policy evaluation kernel: one device's evidence against a compiled fleet policy of six rules, the cost the engine
// pays per device whose state changed. Quiet: no rule holds (the common case, no text is built); Fires: the last rule
// holds and its explanation is built. Parse: a whole document, parsed and validated (the cost of :validate).
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "policy/evaluate.hpp"
#include "policy/policy.hpp"

namespace {

const char* kPolicy = R"({
  "name": "fleet-default", "scope": {"fleet": true},
  "carriers": {"deny": ["bad-telco"], "prefer": ["fr-orange", "208-10"]}, "objective": "cost",
  "rules": [
    {"name": "outage", "when": "outage detected or carrier.status == down", "do": "switch best"},
    {"name": "no-service", "when": "no_service for 5m", "do": "switch best"},
    {"name": "weak-signal", "when": "signal.rsrp < -115 dBm for 10m", "do": "switch best"},
    {"name": "slow", "when": "latency.p50 > 400 ms for 15m", "do": "alert \"latency\""},
    {"name": "cheaper", "when": "savings.monthly > 2.00 EUR for 7d", "do": "switch best"},
    {"name": "permanent-roaming", "when": "country in [BR, TR, IN] and roaming for 60d", "do": "download local profile"}
  ],
  "guards": {"min_dwell": "30m", "cooldown": "1h", "max_switches_per_day": 3, "hysteresis": {"rsrp_db": 6}}
})";

struct Device {
  std::vector<esimo::policy::Sample> rsrp;
  std::vector<esimo::policy::Sample> latency;
  esimo::policy::Evidence evidence;
};

Device make_device(bool fire) {
  using std::chrono::minutes;
  namespace policy = esimo::policy;
  Device d;
  esimo::TimePoint now(std::chrono::hours(24 * 365 * 56));
  for (int i = 0; i < 16; ++i) d.rsrp.push_back({now - minutes(60 - 4 * i), -100.0 - i % 3});
  for (int i = 0; i < 32; ++i) d.latency.push_back({now - minutes(64 - 2 * i), 120.0 + (i * 37) % 90});
  d.evidence.now = now;
  d.evidence.carrier_id = "fr-orange";
  d.evidence.country = *esimo::domain::CountryCode::parse(fire ? "BR" : "FR");
  d.evidence.roaming = fire;
  d.evidence.roaming_since = now - std::chrono::hours(24 * 70);
  d.evidence.rsrp = d.rsrp;
  d.evidence.latency_ms = d.latency;
  return d;
}

esimo::policy::CompiledPolicy compiled() {
  auto p = esimo::policy::parse_policy(kPolicy, esimo::policy::ParseOptions{});
  return esimo::policy::CompiledPolicy::compile(std::move(p).value());
}

void BM_PolicyEvaluateQuiet(benchmark::State& state) {
  auto cp = compiled();
  Device d = make_device(false);
  for (auto _ : state) benchmark::DoNotOptimize(esimo::policy::evaluate(cp, d.evidence));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyEvaluateQuiet);

void BM_PolicyEvaluateFires(benchmark::State& state) {
  auto cp = compiled();
  Device d = make_device(true);
  for (auto _ : state) benchmark::DoNotOptimize(esimo::policy::evaluate(cp, d.evidence));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyEvaluateFires);

void BM_PolicyParse(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(esimo::policy::parse_policy(kPolicy, esimo::policy::ParseOptions{}));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolicyParse);

}  // namespace
