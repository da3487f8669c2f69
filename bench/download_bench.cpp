// esimo-download-bench: profile downloads per second through the eIM's download relay (docs/performance.md), in one
// process: a SQLite store in a temporary directory, an eim::EimService with a fresh test PKI and its relay, software
// eUICCs (twin::SoftwareEuicc) with their IPAs (twin::Ipa), and the test SM-DP+ (twin::Smdp).
//
//   esimo-download-bench [--ipas 4] [--devices-per-ipa 2] [--downloads-per-device 8] [--server-threads 2]
//                        [--log-level warn] [--json-out FILE]
//
// Two runs of the same work (every device downloads --downloads-per-device profiles, one after the other; the IPA
// threads run in parallel; each download is prepared on the SM-DP+, submitted to the eIM in-process, and the IPA polls
// until idle: trigger -> InitiateAuthentication -> AuthenticateClient -> GetBoundProfilePackage -> installation result
// -> operation succeeded):
//   http:       the IPAs talk ESipa over HTTP on loopback (api::EsipaService on net::HttpServer), the relay talks ES9+
//               over HTTPS (api::Es9HttpClient, the SM-DP+'s DPtls certificate under the test CI) to the SM-DP+ on
//               its own net::HttpServer (twin::SmdpHttpService).
//   inprocess:  the same eIM, relay, eUICCs and SM-DP+ with the sockets taken out: ESipa exchanges call
//               EimService::handle_esipa, the relay's Es9Client calls twin::Smdp. The protocol and crypto work alone:
//               the baseline the http run is set against (ratio = http / inprocess downloads per second).
// Both runs are done twice (in-process, HTTP, in-process, HTTP); the second round is reported. Every operation is
// checked to have succeeded. Loopback only. Output: one JSON object (also to --json-out).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/es9_http_client.hpp"
#include "api/esipa_service.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/test_pki.hpp"
#include "eim/eim_service.hpp"
#include "eim/es9_client.hpp"
#include "net/http_server.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "twin/ipa.hpp"
#include "twin/smdp.hpp"
#include "twin/smdp_http.hpp"
#include "twin/software_euicc.hpp"

namespace download_bench {

using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Options {
  unsigned ipas = 4;
  unsigned devices_per_ipa = 2;
  unsigned downloads_per_device = 8;
  unsigned server_threads = 2;
  std::string log_level = "warn";
  std::string json_out;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "esimo-download-bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T must(esimo::Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().message);
  return std::move(r).value();
}
void must(const esimo::Status& s, const char* what) {
  if (!s.ok()) die(std::string(what) + ": " + s.error().message);
}

esimo::domain::Eid bench_eid(unsigned n) {
  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "890490323333333333333%09u", n);
  return must(esimo::domain::Eid::from_prefix30(prefix), "eid");
}
esimo::domain::Iccid bench_iccid(unsigned n) {
  char payload[19];
  std::snprintf(payload, sizeof payload, "894400%012u", n);
  return must(esimo::domain::Iccid::from_payload(payload), "iccid");
}

// ESipa without the socket: the IPA's exchange is a call into the eIM.
class DirectEsipa final : public esimo::twin::EsipaTransport {
 public:
  explicit DirectEsipa(esimo::eim::EimService& eim) : eim_(eim) {}
  esimo::Result<esimo::Bytes> exchange(esimo::ByteView request) override { return eim_.handle_esipa(request, {}); }

 private:
  esimo::eim::EimService& eim_;
};

// ES9+ without the socket: the relay's calls go straight to the test SM-DP+.
class DirectEs9 final : public esimo::eim::Es9Client {
 public:
  explicit DirectEs9(esimo::twin::Smdp& smdp) : smdp_(smdp) {}
  esimo::Status check_address(std::string_view) const override { return {}; }
  esimo::Result<esimo::sgp::es9::InitiateAuthenticationResponse> initiate_authentication(
      std::string_view, const esimo::sgp::es9::InitiateAuthenticationRequest& r) override {
    return smdp_.initiate_authentication(r);
  }
  esimo::Result<esimo::sgp::es9::AuthenticateClientResponse> authenticate_client(
      std::string_view, const esimo::sgp::es9::AuthenticateClientRequest& r) override {
    return smdp_.authenticate_client(r);
  }
  esimo::Result<esimo::sgp::es9::GetBoundProfilePackageResponse> get_bound_profile_package(
      std::string_view, const esimo::sgp::es9::GetBoundProfilePackageRequest& r) override {
    return smdp_.get_bound_profile_package(r);
  }
  esimo::Result<esimo::sgp::es9::FunctionExecutionStatus> handle_notification(
      std::string_view, const esimo::sgp::es9::HandleNotificationRequest& r) override {
    ESIMO_CHECK(smdp_.handle_notification(r));
    return esimo::sgp::es9::FunctionExecutionStatus::success();
  }
  esimo::Result<esimo::sgp::es9::CancelSessionResponse> cancel_session(
      std::string_view, const esimo::sgp::es9::CancelSessionRequest& r) override {
    return smdp_.cancel_session(r);
  }

 private:
  esimo::twin::Smdp& smdp_;
};

struct RunResult {
  std::string mode;
  std::size_t downloads = 0;
  double seconds = 0;
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

RunResult run(const Options& opt, bool http, const esimo::crypto::TestPki& pki, const fs::path& pki_dir) {
  const fs::path dir = fs::temp_directory_path() /
                       ("esimo-download-bench-" + std::to_string(::getpid()) + (http ? "-http" : "-inprocess"));
  fs::remove_all(dir);
  fs::create_directories(dir);
  esimo::SystemClock& clock = esimo::SystemClock::instance();
  esimo::metrics::Registry metrics;
  auto store = must(esimo::store::open_sqlite_store(dir), "open store");
  auto tenant = must(store->create_tenant("bench"), "tenant");
  esimo::domain::Carrier carrier;
  carrier.id = "c1";
  carrier.tenant_id = tenant.id;
  carrier.name = "Carrier One";
  carrier.plmns = {must(esimo::domain::Plmn::parse("724-06"), "plmn")};
  must(store->create_carrier(carrier), "create carrier");
  const unsigned devices = opt.ipas * opt.devices_per_ipa;
  std::vector<esimo::store::DeviceRecord> batch;
  for (unsigned n = 0; n < devices; ++n) {
    esimo::store::DeviceRecord rec;
    rec.device.tenant_id = tenant.id;
    rec.device.eid = bench_eid(n);
    rec.device.name = "bench" + std::to_string(n);
    rec.device.active_iccid = bench_iccid(n * 100);
    rec.device.created_at = rec.device.updated_at = clock.now();
    esimo::domain::Profile p;
    p.tenant_id = tenant.id;
    p.iccid = bench_iccid(n * 100);
    p.eid = rec.device.eid;
    p.carrier_id = "c1";
    p.state = esimo::domain::ProfileState::enabled;
    p.updated_at = clock.now();
    rec.profiles.push_back(p);
    batch.push_back(std::move(rec));
  }
  must(store->import_devices(batch), "import devices");

  esimo::eim::EimIdentity id;
  id.eim_id = "esimo-bench-eim";
  id.fqdn = "127.0.0.1";
  id.signer = std::make_shared<esimo::crypto::SoftwareSigner>(pki.eim.key);
  id.ci_root_certificates_der = {pki.ci.certificate.der()};
  esimo::eim::EimService eim(*store, clock, std::move(id), esimo::eim::EimOptions{}, metrics);
  must(eim.load(), "eim load");

  // The SM-DP+ (its address is known once it listens in the http run).
  esimo::twin::SmdpOptions smo;
  smo.address = "127.0.0.1:1";
  esimo::twin::Smdp smdp(esimo::twin::SmdpIdentity::from_test_pki(pki), smo, clock);
  esimo::twin::SmdpHttpService smdp_http(smdp);
  std::unique_ptr<esimo::net::HttpServer> smdp_server, esipa_server;
  std::unique_ptr<esimo::api::EsipaService> esipa;
  if (http) {
    esimo::net::ServerOptions so;
    so.threads = opt.server_threads;
    so.tls_cert_file = (pki_dir / std::string(esimo::crypto::test_pki_files::kDpTls)).string();
    so.tls_key_file = (pki_dir / std::string(esimo::crypto::test_pki_files::kDpTlsKey)).string();
    smdp_server = must(esimo::net::HttpServer::start(so, smdp_http), "start SM-DP+");
    smdp.set_address("127.0.0.1:" + std::to_string(smdp_server->port()));
    esimo::api::Es9ClientOptions eo;
    eo.connectors.push_back({smdp.options().address, "", "", ""});
    eo.default_ca_file = (pki_dir / std::string(esimo::crypto::test_pki_files::kCi)).string();
    eim.enable_downloads(must(esimo::api::Es9HttpClient::create(eo), "ES9+ client"));
    esipa = std::make_unique<esimo::api::EsipaService>(
        [&eim](esimo::ByteView body, std::optional<esimo::sgp::Version> hint) { return eim.handle_esipa(body, hint); },
        metrics);
    esimo::net::ServerOptions es;
    es.threads = opt.server_threads;
    esipa_server = must(esimo::net::HttpServer::start(es, *esipa), "start ESipa");
  } else {
    eim.enable_downloads(std::make_shared<DirectEs9>(smdp));
  }

  // The devices: personalised eUICCs, first contact done before the clock starts.
  const esimo::Bytes bf57 = must(eim.export_add_initial_eim(esimo::sgp::Version::v1_2), "export AddInitialEim");
  struct Dev {
    std::unique_ptr<esimo::twin::SoftwareEuicc> euicc;
    std::unique_ptr<esimo::twin::EsipaTransport> transport;
  };
  std::vector<Dev> devs(devices);
  for (unsigned n = 0; n < devices; ++n) {
    devs[n].euicc = std::make_unique<esimo::twin::SoftwareEuicc>(must(
        esimo::twin::SoftwareEuicc::create_with_test_pki(pki, bench_eid(n), esimo::sgp::Version::v1_2, clock.now()),
        "software eUICC"));
    must(devs[n].euicc->add_profile(esimo::twin::ProfileSpec{bench_iccid(n * 100), true}), "profile");
    must(devs[n].euicc->add_initial_eim_der(bf57), "AddInitialEim");
    if (http) {
      devs[n].transport =
          must(esimo::twin::HttpEsipaTransport::connect("http://127.0.0.1:" + std::to_string(esipa_server->port()),
                                                        esimo::sgp::Version::v1_2),
               "connect");
    } else {
      devs[n].transport = std::make_unique<DirectEsipa>(eim);
    }
    esimo::twin::Ipa ipa(*devs[n].euicc, *devs[n].transport);
    must(ipa.poll_until_idle(8), "first contact");
  }

  std::mutex mu;
  std::vector<double> latencies;
  std::atomic<std::size_t> done{0};
  std::vector<std::string> failures;
  const auto t0 = Steady::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < opt.ipas; ++t) {
    threads.emplace_back([&, t] {
      std::vector<double> mine;
      for (unsigned k = 0; k < opt.downloads_per_device; ++k) {
        for (unsigned d = 0; d < opt.devices_per_ipa; ++d) {
          const unsigned n = t * opt.devices_per_ipa + d;
          esimo::twin::ProfileOrder order;
          order.iccid = bench_iccid(n * 100 + 1 + k);
          order.home_plmn = must(esimo::domain::Plmn::parse("724-06"), "plmn");  // -> carrier c1 on the device
          auto prepared = smdp.prepare_profile(order);
          if (!prepared.ok()) die("prepare profile: " + prepared.error().message);
          esimo::eim::OpDownload req;
          req.activation_code = prepared->activation_code;
          const auto s0 = Steady::now();
          auto op = eim.submit(tenant.id, bench_eid(n), esimo::eim::OperationRequest(req), {});
          if (!op.ok()) die("submit: " + op.error().message);
          esimo::twin::Ipa ipa(*devs[n].euicc, *devs[n].transport);
          auto report = ipa.poll_until_idle(16);
          mine.push_back(std::chrono::duration<double, std::milli>(Steady::now() - s0).count());
          if (!report.ok() || report->installed_iccids.size() != 1) {
            std::lock_guard g(mu);
            failures.push_back(report.ok() ? "no install for " + op->id : report.error().message);
            continue;
          }
          auto st = store->get_operation(tenant.id, op->id);
          if (!st.ok() || st->state != esimo::domain::OperationState::succeeded) {
            std::lock_guard g(mu);
            failures.push_back(op->id + " ended " + (st.ok() ? st->outcome : st.error().message));
            continue;
          }
          ++done;
        }
      }
      std::lock_guard g(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  RunResult r;
  r.mode = http ? "http" : "inprocess";
  r.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  r.downloads = done.load();
  r.per_second = static_cast<double>(r.downloads) / std::max(1e-9, r.seconds);
  r.p50_ms = percentile(latencies, 0.50);
  r.p99_ms = percentile(latencies, 0.99);
  if (!failures.empty())
    die(r.mode + " run: " + std::to_string(failures.size()) + " downloads failed, first: " + failures.front());
  if (esipa_server) esipa_server->stop(std::chrono::seconds(1));
  if (smdp_server) smdp_server->stop(std::chrono::seconds(1));
  devs.clear();
  store.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

unsigned parse_unsigned(const std::string& flag, const char* text) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(text, &end, 10);
  if (end == text || *end != '\0' || v == 0 || v > 100000) die(flag + " wants a positive number");
  return static_cast<unsigned>(v);
}

}  // namespace download_bench

int main(int argc, char** argv) {
  namespace db = download_bench;
  db::Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) db::die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--ipas") {
      opt.ipas = db::parse_unsigned(a, next());
    } else if (a == "--devices-per-ipa") {
      opt.devices_per_ipa = db::parse_unsigned(a, next());
    } else if (a == "--downloads-per-device") {
      opt.downloads_per_device = db::parse_unsigned(a, next());
      if (opt.downloads_per_device >= esimo::twin::SoftwareEuicc::kMaxProfiles) {
        db::die("--downloads-per-device must stay below the eUICC's " +
                std::to_string(esimo::twin::SoftwareEuicc::kMaxProfiles) + " profiles");
      }
    } else if (a == "--server-threads") {
      opt.server_threads = db::parse_unsigned(a, next());
    } else if (a == "--log-level") {
      opt.log_level = next();
    } else if (a == "--json-out") {
      opt.json_out = next();
    } else {
      db::die("unknown argument " + a);
    }
  }
  if (esimo::log::Level lvl{}; esimo::log::parse_level(opt.log_level, lvl)) esimo::log::set_level(lvl);
  const db::fs::path pki_dir =
      db::fs::temp_directory_path() / ("esimo-download-bench-pki-" + std::to_string(::getpid()));
  db::fs::remove_all(pki_dir);
  esimo::crypto::TestPkiOptions po;
  po.now = esimo::SystemClock::instance().now();
  const auto pki = db::must(esimo::crypto::write_test_pki(pki_dir, po), "test pki");
  // Two rounds, in-process then HTTP each time; the first round warms the process (allocator, OpenSSL, SQLite) and
  // only the second is reported.
  db::RunResult base, http;
  for (int round = 0; round < 2; ++round) {
    base = db::run(opt, false, pki, pki_dir);
    http = db::run(opt, true, pki, pki_dir);
  }
  std::error_code ec;
  db::fs::remove_all(pki_dir, ec);
  std::ostringstream out;
  auto one = [&](const db::RunResult& r) {
    out << "{\"downloads\":" << r.downloads << ",\"seconds\":" << r.seconds
        << ",\"downloads_per_second\":" << r.per_second << ",\"p50_ms\":" << r.p50_ms << ",\"p99_ms\":" << r.p99_ms
        << "}";
  };
  out << "{\"bench\":\"download\",\"ipas\":" << opt.ipas << ",\"devices\":" << opt.ipas * opt.devices_per_ipa
      << ",\"downloads_per_device\":" << opt.downloads_per_device << ",\"server_threads\":" << opt.server_threads
      << ",\"inprocess\":";
  one(base);
  out << ",\"http\":";
  one(http);
  out << ",\"http_vs_inprocess\":" << http.per_second / std::max(1e-9, base.per_second) << "}";
  std::printf("%s\n", out.str().c_str());
  if (!opt.json_out.empty()) std::ofstream(opt.json_out) << out.str() << "\n";
  return 0;
}
