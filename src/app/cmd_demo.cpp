// `esimo demo` (what `make run` starts): the server — REST and ESipa on loopback, on a fresh embedded store — and a
// simulated fleet of 5,000 devices across 22 countries polling that same eIM on accelerated virtual time, with a
// carrier outage part-way through. Prints the URLs and an admin API key; runs until SIGINT/SIGTERM (exit 0).
//
// One eIM serves both: the fleet calls the ESipa binding's handler in-process (twin::sim::ServiceEsipaPort), and the
// same binding is on the ESipa listener for real IPAs (`esimo device poll`). Everything the eIM and the REST API see
// runs on the simulation's clock, so operations and last-seen times are in simulated time.
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <thread>

#include "api/esipa_service.hpp"
#include "api/keys.hpp"
#include "api/rest_service.hpp"
#include "app/catalog_seed.hpp"
#include "app/commands.hpp"
#include "app/support.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "eim/eim_service.hpp"
#include "net/http_server.hpp"
#include "store/store.hpp"
#include "twin/sim/sim_engine.hpp"
#include "twin/sim/sim_inprocess.hpp"
#include "twin/sim/sim_runner.hpp"
#include "twin/sim/sim_scenario_model.hpp"

namespace esimo::app {
namespace cmd_demo_detail {

// 22 countries; Vodafone Germany goes down from 2 h to 6 h. Devices there carry a fallback profile on another
// German network: with `--engine off` the outage shows the devices' own fallback; with the engine (the default) it is
// detected and the devices are moved in waves (docs/engine.md).
constexpr std::string_view kDemoScenario = R"toml(
name = "demo"
description = "5,000 devices in 22 countries; Vodafone Germany down from 2h to 6h"
seed = 2026
duration = "24h"
sample_interval = "1m"

[fleet]
devices = 5000
profiles = [2, 3]
poll_interval = "15m"
fallback_after = "10m"

[[fleet.groups]]
name = "de-vodafone"
share = 0.2
countries = { DE = 1 }
carriers = ["Vodafone", "T-Mobile(Telekom)", "O2"]
enabled_carrier = "Vodafone"
priority = "high"

[[fleet.groups]]
name = "europe"
share = 0.6
countries = { DE = 3, FR = 3, GB = 3, IT = 2, ES = 2, NL = 1, BE = 1, AT = 1, PL = 1, SE = 1, DK = 1, NO = 1, FI = 1, PT = 1, IE = 1, CH = 1, CZ = 1 }

[[fleet.groups]]
name = "world"
share = 0.2
countries = { US = 3, BR = 2, MX = 1, JP = 1, AU = 1 }

[networks.defaults]
coverage = 0.98
price_per_mb = "0.010 EUR"
monthly_fee = "0.40 EUR"

[[events]]
kind = "outage"
label = "vodafone-de-outage"
carrier = "Vodafone"
country = "DE"
start = "2h"
end = "6h"
)toml";

class DemoDir {
 public:
  DemoDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "esimo-demo-XXXXXX").string();
    if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~DemoDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  DemoDir(const DemoDir&) = delete;
  DemoDir& operator=(const DemoDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string demo_url(const std::string& host, std::uint16_t port) {
  return "http://" + (host == "0.0.0.0" ? std::string("127.0.0.1") : host) + ":" + std::to_string(port);
}

}  // namespace cmd_demo_detail

int cmd_demo(const DemoArgs& args, Io io) {
  namespace d = cmd_demo_detail;
  // As in `esimo serve`: the stop signals are blocked before any thread starts and taken by sigwait() below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto config = load_config(args.common);
  if (!config.ok()) return report_error(io, config.error());
  if (!args.common.overrides.log_level) log::set_level(log::Level::warn);
  if (args.speed <= 0) return report_error(io, Error(Errc::invalid_argument, "--speed must be positive", "--speed"));

  // The model: the built-in demo fleet unless --scenario.
  auto catalog = twin::CarrierCatalog::load(config->service_providers_xml);
  if (!catalog.ok()) return report_error(io, catalog.error());
  Result<twin::Scenario> scenario =
      args.scenario ? twin::load_scenario(*args.scenario, *catalog)
                    : twin::load_scenario_text(d::kDemoScenario, "<built-in demo scenario>", *catalog);
  if (!scenario.ok()) return report_error(io, scenario.error());
  const std::uint64_t seed = scenario->seed;
  auto model = twin::sim::ScenarioModel::make(std::move(scenario).value(), std::move(catalog).value(), seed,
                                              args.devices);
  if (!model.ok()) return report_error(io, model.error());

  // A fresh store each run (the fleet's eUICCs are new each run, so the eIM's memory of them must be too).
  d::DemoDir temp;
  std::filesystem::path data_dir = args.common.overrides.data_dir ? config->data_dir : temp.path();
  if (data_dir.empty()) return report_error(io, Error(Errc::io_error, "cannot create a temporary directory"));
  ManualClock clock((*model)->start());
  twin::sim::InProcessOptions ip;
  ip.data_dir = data_dir;
  ip.tenant = config->default_tenant;
  auto stack = twin::sim::InProcessEim::open(ip, clock);
  if (!stack.ok()) return report_error(io, stack.error());
  store::Store& store = (*stack)->store();
  auto seeded = seed_catalog_if_changed(store, {config->service_providers_xml, config->iso3166_json}, data_dir);
  if (!seeded.ok()) return report_error(io, seeded.error());
  io.out << "esimo demo: registering " << (*model)->device_count() << " devices ..." << std::endl;
  if (auto st = (*stack)->register_fleet(**model); !st.ok()) return report_error(io, st.error());
  api::KeyService keys(store, SystemClock::instance());
  auto admin = keys.create((*stack)->tenant(), domain::Role::admin, "esimo demo");
  if (!admin.ok()) return report_error(io, admin.error());

  // ESipa listener (plain HTTP on loopback) in front of the same eIM the fleet polls.
  eim::EimService& eim = (*stack)->eim();
  api::EsipaService esipa([&eim](ByteView body, std::optional<sgp::Version> hint) { return eim.handle_esipa(body, hint); },
                          metrics::Registry::global());
  net::ServerOptions eo;
  eo.host = "127.0.0.1";
  eo.port = 0;
  eo.threads = 1;
  auto esipa_server = net::HttpServer::start(eo, esipa);
  if (!esipa_server.ok()) return report_error(io, esipa_server.error());

  net::ServerOptions ro;
  ro.host = config->listen_host;
  ro.port = config->listen_port;
  ro.threads = config->threads;
  ro.body_limit = config->body_limit;
  api::ApiOptions api_options;
  api_options.body_limit = config->body_limit;
  api_options.version = version_string();
  // The port is known only once bound; a port of 0 in the configuration gets the links of the bound port below.
  api_options.public_base_url = d::demo_url(config->listen_host, config->listen_port);
  api::RestService rest(api::ApiContext{store, clock, metrics::Registry::global(), api_options, &eim});
  auto server = net::HttpServer::start(ro, rest);
  if (!server.ok()) {
    (*esipa_server)->stop(std::chrono::milliseconds(0));
    return report_error(io, server.error());
  }
  const std::string url = d::demo_url(config->listen_host, (*server)->port());
  const std::string esipa_url = d::demo_url("127.0.0.1", (*esipa_server)->port());

  const auto& sc = (*model)->scenario();
  io.out << "esimo demo " << version_string() << ": " << (*model)->device_count() << " simulated devices, scenario '"
         << sc.name << "' (" << twin::format_sim_duration(sc.duration) << " simulated at " << args.speed
         << "x), data in " << data_dir.string() << (args.common.overrides.data_dir ? "" : " (removed at exit)") << "\n"
         << "  API:      " << url << "/v1/\n"
         << "  OpenAPI:  " << url << "/v1/openapi.json\n"
         << "  Metrics:  " << url << "/metrics\n"
         << "  ESipa:    " << esipa_url << std::string(api::kEsipaPath) << "\n"
         << "  Admin API key: " << admin->secret << "\n"
         << "  Try: curl -H 'Authorization: Bearer " << admin->secret << "' '" << url << "/v1/devices?limit=5'\n";
  for (const auto& e : sc.events) {
    io.out << "  Event:    " << twin::to_string(e.kind) << " " << e.label << " in " << e.country.str() << " from +"
           << twin::format_sim_duration(e.start) << " to +" << twin::format_sim_duration(e.end) << "\n";
  }
  io.out << "  Engine:   " << (args.engine ? "on (the default fleet policy; docs/engine.md)" : "off (devices on their own)")
         << "\n";
  io.out << "Ctrl-C stops." << std::endl;

  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};
  std::optional<Result<twin::sim::Kpis>> outcome;
  twin::sim::SimOptions so;
  so.seed = seed;
  so.scenario = sc.name;
  so.mode = "demo";
  so.eim = &eim;
  so.tenant = (*stack)->tenant();
  so.speed = args.speed;
  so.stop = &stop;
  int last_decile = -1;  // the last progress step printed
  const double total_h = std::chrono::duration<double, std::ratio<3600>>(sc.duration).count();
  so.progress = [&](double f) {
    const int step = static_cast<int>(f * 24);  // 24 progress lines a run (every simulated hour of a day)
    if (step != last_decile) {
      last_decile = step;
      char line[96];
      std::snprintf(line, sizeof line, "  simulated %.1f h of %.1f h", f * total_h, total_h);
      io.out << line << std::endl;
    }
  };
  // issue 6: the orchestration engine with the default fleet policy, as `esimo twin run --engine on`.
  std::optional<twin::sim::SimEngine> engine;
  if (args.engine) {
    twin::sim::SimEngineOptions eo;
    eo.store = &(*stack)->store();
    so.orchestrator = &engine.emplace(**model, std::move(eo));
  }
  twin::sim::SimRunner runner(**model, (*stack)->port(), clock, (*stack)->factory(), so);
  std::thread sim([&] {
    outcome.emplace(runner.run());
    finished.store(true);
    if (!stop.load()) {
      if (outcome->ok()) {
        io.out << "Simulation finished; the server keeps running until Ctrl-C.\n" << twin::sim::kpis_to_text(**outcome);
      } else {
        io.out << "Simulation stopped: " << outcome->error().message << "\n";
      }
      io.out.flush();
    }
  });

  int sig = 0;
  sigwait(&stop_signals, &sig);
  stop.store(true);
  sim.join();
  (*server)->stop(std::chrono::seconds(2));
  (*esipa_server)->stop(std::chrono::seconds(2));
  io.out << "esimo demo: stopped (" << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ")" << std::endl;
  return 0;
}

}  // namespace esimo::app
