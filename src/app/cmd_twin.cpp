// `esimo twin run SCENARIO`: the digital twin's simulated fleet on a real eIM stack, on virtual time, with its KPIs
// (docs/twin.md, "Simulation" and "KPIs").
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>

#include "app/commands.hpp"
#include "app/support.hpp"
#include "app/catalog_seed.hpp"
#include "app/policy_file.hpp"
#include "domain/catalog.hpp"
#include "base/log.hpp"
#include "crypto/test_pki.hpp"
#include "net/http_client.hpp"
#include "twin/sim/sim_engine.hpp"
#include "twin/sim/sim_inprocess.hpp"
#include "twin/sim/sim_runner.hpp"
#include "twin/sim/sim_scenario_model.hpp"

namespace esimo::app {
namespace cmd_twin_detail {

// A one-line bar redrawn in place at most ten times a second, only when enabled (stderr is a terminal).
class TwinProgress {
 public:
  TwinProgress(std::ostream& err, bool enabled) : err_(err), enabled_(enabled) {}
  void show(const std::string& what, double fraction, bool final = false) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(fraction * 100.0));
    err_ << "\r" << what << " [" << bar << "] " << pct << (final ? "\n" : "");
    err_.flush();
  }

 private:
  std::ostream& err_;
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

// A directory made for this run and removed after it (when --data-dir is not given).
class RunDir {
 public:
  RunDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "esimo-twin-XXXXXX").string();
    if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~RunDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};


// Imports the fleet into a running server through POST /v1/devices:import (NDJSON), in batches.
Status import_over_rest(const twin::sim::SimModel& model, const std::string& api_url, const std::string& api_key) {
  ESIMO_TRY(net::UrlParts url, net::parse_url(api_url));
  net::ClientOptions co;
  co.tls = url.tls;
  ESIMO_TRY(auto client, net::HttpClient::connect(url.host, url.port, co));
  const auto& carriers = model.carriers();
  std::string body;
  const std::size_t n = model.device_count();
  for (std::size_t i = 0; i < n; ++i) {
    const twin::sim::SimDeviceSpec spec = model.device(i);
    body += "{\"eid\":\"" + model.eid(i).str() + "\",\"sgp32_version\":\"1.2\",\"profiles\":[";
    for (std::uint8_t slot = 0; slot < spec.profile_count; ++slot) {
      if (slot) body += ",";
      body += "{\"iccid\":\"" + model.iccid(i, slot).str() + "\",\"carrier\":\"" +
              carriers.at(spec.profiles[slot].carrier).id + "\",\"state\":\"" +
              (slot == spec.enabled ? "enabled" : "disabled") + "\",\"fallback\":" +
              (spec.profiles[slot].fallback ? "true" : "false") + "}";
    }
    body += "]}\n";
    if (body.size() > (4u << 20) || i + 1 == n) {
      ESIMO_TRY(http::Response r, client->request(http::Method::post, url.prefix + "/v1/devices:import",
                                                  {{"Authorization", "Bearer " + api_key}}, body,
                                                  "application/x-ndjson"));
      if (r.status != 200) {
        return Error(Errc::failed_precondition, "device import answered " + std::to_string(r.status) + ": " +
                                                    r.body.substr(0, 300), "--api");
      }
      if (r.body.find("\"rejected_total\":0") == std::string::npos) {
        return Error(Errc::failed_precondition, "device import rejected devices: " + r.body.substr(0, 300), "--api");
      }
      body.clear();
    }
  }
  return ok_status();
}

// The engine's fleet policy for `twin run --engine on`: --policy, else the scenario's `policy` (relative to the
// scenario file), else nullopt (the engine's default). Carrier references resolve against the catalog the run uses.
Result<std::optional<policy::Policy>> engine_policy(const TwinRunArgs& args, const twin::Scenario& scenario,
                                                    const Config& config) {
  std::optional<std::filesystem::path> file = args.policy_file;
  if (!file && !scenario.policy.empty()) file = args.scenario.parent_path() / scenario.policy;
  if (!file) return std::optional<policy::Policy>();
  ESIMO_TRY(std::string xml, read_text_file(config.service_providers_xml));
  ESIMO_TRY(std::vector<domain::Carrier> carriers, domain::parse_service_providers_xml(xml));
  ESIMO_TRY(policy::Policy p, load_policy_file(*file, &carriers));
  if (p.scope.kind != policy::ScopeKind::fleet) {
    return Error(Errc::invalid_argument, file->string() + ": the policy of a twin run must have scope {\"fleet\": true}",
                 "--policy");
  }
  return std::optional<policy::Policy>(std::move(p));
}

}  // namespace cmd_twin_detail

// Over the wire: the same fleet's IPAs over real HTTP ESipa (one keep-alive connection, requests in the simulator's
// event order) against a running esimo; virtual time advances from event to event while every exchange is real.
int cmd_twin_run_wire(const TwinRunArgs& args, const twin::sim::ScenarioModel& model, Io io,
                      cmd_twin_detail::TwinProgress& progress) {
  if (!args.api_url || !args.api_key || !args.pki_dir || !args.eim_config) {
    return report_error(io, Error(Errc::invalid_argument,
                                  "--eim needs --api, --api-key, --pki and --eim-config (the server's REST URL, an "
                                  "admin key, its test PKI and its exported eIM configuration)",
                                  "--eim"));
  }
  auto pki = crypto::load_test_pki(*args.pki_dir);
  if (!pki.ok()) return report_error(io, pki.error());
  auto config_text = read_text_file(*args.eim_config);
  if (!config_text.ok()) return report_error(io, config_text.error());
  progress.show("importing devices  ", 0.0);
  if (auto st = cmd_twin_detail::import_over_rest(model, *args.api_url, *args.api_key); !st.ok()) {
    return report_error(io, st.error());
  }
  progress.show("importing devices  ", 1.0, true);
  auto port = twin::sim::HttpEsipaPort::connect(*args.eim_url);
  if (!port.ok()) return report_error(io, port.error());
  twin::sim::DeviceFactory factory;
  factory.pki = &*pki;
  factory.add_initial_eim_v1_2 = Bytes(config_text->begin(), config_text->end());
  factory.key_pool = twin::sim::make_key_pool(64);
  factory.valid_from = SystemClock::instance().now();  // the server checks certificates on its wall clock
  twin::sim::SimOptions so;
  so.seed = model.seed();
  so.scenario = model.scenario().name.empty() ? args.scenario.stem().string() : model.scenario().name;
  so.mode = "over-the-wire";
  so.progress = [&](double f) { progress.show("simulating         ", f, f >= 1.0); };
  ManualClock clock(model.start());
  twin::sim::SimRunner runner(model, **port, clock, std::move(factory), so);
  const auto wall0 = std::chrono::steady_clock::now();
  auto kpis = runner.run();
  if (!kpis.ok()) return report_error(io, kpis.error());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  io.out << twin::sim::kpis_to_text(*kpis);
  char rate[96];
  std::snprintf(rate, sizeof rate, "  wall time               %.1f s (%.0f ESipa polls per second)\n", wall,
                wall > 0 ? static_cast<double>(kpis->polls) / wall : 0.0);
  io.out << rate;
  io.out.flush();
  if (args.json_file) {
    std::ofstream f(*args.json_file, std::ios::trunc);
    f << twin::sim::kpis_to_json(*kpis);
    if (!f.flush()) return report_error(io, Error(Errc::io_error, "cannot write " + args.json_file->string(), "--json"));
  }
  return 0;
}

int cmd_twin_run(const TwinRunArgs& args, Io io) {
  namespace d = cmd_twin_detail;
  if (args.engine != "on" && args.engine != "off") {
    return report_error(io, Error(Errc::invalid_argument, "--engine: on or off", "--engine"));
  }
  auto config = load_config(args.common);
  if (!config.ok()) return report_error(io, config.error());
  // One access-log line per simulated ESipa exchange would dwarf the simulation: warn unless asked otherwise.
  if (!args.common.overrides.log_level) log::set_level(log::Level::warn);

  twin::sim::ScenarioLoad load;
  load.file = args.scenario;
  load.seed = args.seed;
  load.devices = args.devices;
  load.service_providers_xml = config->service_providers_xml;
  auto model = twin::sim::ScenarioModel::load(load);
  if (!model.ok()) return report_error(io, model.error());

  d::TwinProgress progress(io.err, args.progress || ::isatty(STDERR_FILENO) == 1);
  if (args.eim_url && args.engine == "on") {
    // The engine acts through the eIM's submit(); over the wire that eIM is another process (its own engine runs there).
    return report_error(io,
                        Error(Errc::invalid_argument, "--engine on runs in-process only (not with --eim)", "--engine"));
  }
  if (args.eim_url) return cmd_twin_run_wire(args, **model, io, progress);
  d::RunDir temp;
  twin::sim::InProcessOptions ip;
  if (args.common.overrides.data_dir) {
    ip.data_dir = config->data_dir;
  } else {
    if (temp.path().empty()) return report_error(io, Error(Errc::io_error, "cannot create a temporary directory"));
    ip.data_dir = temp.path();
  }
  ManualClock clock((*model)->start());
  auto stack = twin::sim::InProcessEim::open(ip, clock);
  if (!stack.ok()) return report_error(io, stack.error());
  const double n = static_cast<double>((*model)->device_count());
  auto registered = (*stack)->register_fleet(**model, [&](std::size_t done) {
    progress.show("registering devices", static_cast<double>(done) / n, static_cast<double>(done) >= n);
  });
  if (!registered.ok()) return report_error(io, registered.error());

  twin::sim::SimOptions so;
  so.seed = (*model)->seed();
  so.scenario = (*model)->scenario().name.empty() ? args.scenario.stem().string() : (*model)->scenario().name;
  so.mode = "in-process";
  so.eim = &(*stack)->eim();
  so.tenant = (*stack)->tenant();
  so.progress = [&](double f) { progress.show("simulating         ", f, f >= 1.0); };
  // issue 6: the orchestration engine with --policy, else the scenario's policy file, else the default fleet policy
  // (docs/engine.md).
  std::optional<twin::sim::SimEngine> engine;
  if (args.engine == "on") {
    twin::sim::SimEngineOptions eo;
    eo.store = &(*stack)->store();
    auto fleet_policy = d::engine_policy(args, (*model)->scenario(), *config);
    if (!fleet_policy.ok()) return report_error(io, fleet_policy.error());
    if (*fleet_policy) eo.policies = esimo::engine::PolicySet{std::move(**fleet_policy), {}, {}};
    so.orchestrator = &engine.emplace(**model, std::move(eo));
  } else if (args.policy_file) {
    return report_error(io, Error(Errc::invalid_argument, "--policy needs --engine on", "--policy"));
  }
  twin::sim::SimRunner runner(**model, (*stack)->port(), clock, (*stack)->factory(), so);
  const auto wall0 = std::chrono::steady_clock::now();
  auto kpis = runner.run();
  if (!kpis.ok()) return report_error(io, kpis.error());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  io.out << twin::sim::kpis_to_text(*kpis);
  if (engine) io.out << engine->summary();
  char rate[96];
  std::snprintf(rate, sizeof rate, "  wall time               %.1f s (%.0f simulated device-hours per second)\n", wall,
                wall > 0 ? static_cast<double>(kpis->devices) * static_cast<double>(kpis->simulated_us) / 3.6e9 / wall
                         : 0.0);
  io.out << rate;
  io.out.flush();
  if (args.json_file) {
    std::ofstream f(*args.json_file, std::ios::trunc);
    f << twin::sim::kpis_to_json(*kpis);
    if (!f.flush()) {
      return report_error(io, Error(Errc::io_error, "cannot write " + args.json_file->string(), "--json"));
    }
  }
  return 0;
}

}  // namespace esimo::app
