// esimo-twin-bench: the digital twin's simulator in-process at scale — simulated device-hours per second and memory per
// simulated device (RSS growth / N), on a scenario's fleet and networks (default scenarios/baseline.toml).
//
//   esimo-twin-bench [--devices N] [--hours H] [--scenario FILE] [--seed S]
//
// Phases are timed apart: registering the fleet in the store (bulk import path), then the run. The run includes each
// device's first contact (the eIM asks a new eUICC for its data once: materialisation, certificate, store writes) and
// every later poll through the real ESipa handler. Prints one line per figure.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/log.hpp"
#include "twin/sim/sim_inprocess.hpp"
#include "twin/sim/sim_runner.hpp"
#include "twin/sim/sim_scenario_model.hpp"

namespace {

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace esimo;  // NOLINT: a bench's main
  std::uint64_t devices = 100000;
  double hours = 2;
  std::uint64_t seed = 1;
  std::string scenario = std::string(ESIMO_SOURCE_DIR) + "/scenarios/baseline.toml";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--devices") devices = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--hours") hours = std::strtod(argv[i + 1], nullptr);
    else if (a == "--scenario") scenario = argv[i + 1];
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  log::set_level(log::Level::warn);
  const long rss0 = rss_kib();
  twin::sim::ScenarioLoad load;
  load.file = scenario;
  load.seed = seed;
  load.devices = devices;
  auto loaded = twin::sim::ScenarioModel::load(load);
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return 1;
  }
  // Run for `hours` of the scenario (its events keep their times).
  twin::Scenario sc = (*loaded)->scenario();
  sc.duration = std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::ratio<3600>>(hours));
  auto catalog = twin::CarrierCatalog::load(load.service_providers_xml);
  if (!catalog) return 1;
  auto model = twin::sim::ScenarioModel::make(sc, std::move(catalog).value(), seed, devices);
  if (!model) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  char templ[] = "/tmp/esimo-twin-bench-XXXXXX";
  if (::mkdtemp(templ) == nullptr) return 1;
  ManualClock clock((*model)->start());
  twin::sim::InProcessOptions ip;
  ip.data_dir = templ;
  auto stack = twin::sim::InProcessEim::open(ip, clock);
  if (!stack) {
    std::fprintf(stderr, "%s\n", stack.error().message.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  if (auto st = (*stack)->register_fleet(**model); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 1;
  }
  const double register_s = seconds_since(t0);
  const long rss1 = rss_kib();
  twin::sim::SimOptions so;
  so.seed = seed;
  so.scenario = sc.name;
  twin::sim::SimRunner runner(**model, (*stack)->port(), clock, (*stack)->factory(), so);
  t0 = std::chrono::steady_clock::now();
  auto k = runner.run();
  const double run_s = seconds_since(t0);
  if (!k) {
    std::fprintf(stderr, "%s\n", k.error().message.c_str());
    return 1;
  }
  const long rss2 = rss_kib();
  const double device_hours = static_cast<double>(devices) * hours;
  std::printf("devices                      %llu\n", static_cast<unsigned long long>(devices));
  std::printf("simulated hours              %.2f\n", hours);
  std::printf("register (store import)      %.1f s\n", register_s);
  std::printf("run                          %.1f s\n", run_s);
  std::printf("device-hours per second      %.0f\n", device_hours / run_s);
  std::printf("polls                        %llu (%llu empty), %.0f per second\n",
              static_cast<unsigned long long>(k->polls), static_cast<unsigned long long>(k->empty_polls),
              static_cast<double>(k->polls) / run_s);
  std::printf("materialised eUICCs          %llu\n", static_cast<unsigned long long>(k->materialised_devices));
  std::printf("RSS before / registered / end %ld / %ld / %ld MiB\n", rss0 / 1024, rss1 / 1024, rss2 / 1024);
  std::printf("bytes per device (end-start) %.0f\n", static_cast<double>(rss2 - rss0) * 1024.0 / static_cast<double>(devices));
  std::printf("exchange errors              %llu\n", static_cast<unsigned long long>(k->exchange_errors));
  stack->reset();
  std::error_code ec;
  std::filesystem::remove_all(templ, ec);
  return 0;
}
