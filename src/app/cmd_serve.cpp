// `esimo serve`: opens the store, seeds the catalog, wires the REST service to the HTTP server, and runs until SIGTERM or
// SIGINT, then drains requests in flight, closes the store (its writer flushes) and exits 0.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <ostream>

#include "api/esipa_service.hpp"
#include "api/events.hpp"
#include "api/keys.hpp"
#include "app/download_setup.hpp"
#include "app/eim_setup.hpp"
#include "app/engine_setup.hpp"
#include "crypto/test_pki.hpp"
#include "eim/eim_service.hpp"
#include "api/rest_service.hpp"
#include "app/catalog_seed.hpp"
#include "app/commands.hpp"
#include "app/support.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "net/http_server.hpp"
#include "store/store.hpp"

namespace esimo::app {
namespace cmd_serve_detail {

Status write_port_file(const std::filesystem::path& file, std::uint16_t port) {
  // Written whole then renamed, so a reader never sees a partial number.
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return Error(Errc::io_error, "cannot write " + tmp.string(), "--port-file");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Error(Errc::io_error, "cannot write " + file.string() + ": " + ec.message(), "--port-file");
  return ok_status();
}

std::string base_url(const std::string& listen_host, std::uint16_t port, bool tls) {
  std::string host = listen_host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(port);
}

// The REST service needs the bound port for its `next` links, and the server needs a service to start: this forwards
// to the REST service once it exists and answers 503 before that (no client knows the port yet, so none waits).
class DeferredService final : public http::Service {
 public:
  void set(http::Service* target) { target_.store(target, std::memory_order_release); }

  std::unique_ptr<http::BodySink> open_stream(const http::Request& head) override {
    http::Service* t = target_.load(std::memory_order_acquire);
    return t != nullptr ? t->open_stream(head) : nullptr;
  }
  http::Response handle(http::Request& request) override {
    http::Service* t = target_.load(std::memory_order_acquire);
    if (t != nullptr) return t->handle(request);
    http::Response r;
    r.status = 503;
    r.content_type = "application/problem+json";
    r.body = R"({"type":"about:blank","title":"Service Unavailable","status":503,"code":"starting"})";
    return r;
  }

 private:
  std::atomic<http::Service*> target_{nullptr};
};

}  // namespace cmd_serve_detail

int cmd_serve(const ServeArgs& args, Io io) {
  // SIGTERM/SIGINT are blocked before any thread starts (the store's writer, the io threads), so every thread inherits
  // the mask and only this thread takes them (sigwait below): shutdown runs here, in order, never inside a signal
  // handler. A signal that arrives while the store opens stays pending and ends the server as soon as it is up.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto config = load_config(args.common);
  if (!config.ok()) return report_error(io, config.error());
  auto opened = open_store(*config);
  if (!opened.ok()) return report_error(io, opened.error());
  std::unique_ptr<store::Store> store = std::move(opened).value();

  auto seeded = seed_catalog_if_changed(*store, {config->service_providers_xml, config->iso3166_json}, config->data_dir);
  if (!seeded.ok()) return report_error(io, seeded.error());
  auto tenant = ensure_tenant(*store, config->default_tenant);
  if (!tenant.ok()) return report_error(io, tenant.error());

  std::optional<api::CreatedKey> admin_key;
  if (args.admin_key) {
    api::KeyService keys(*store, SystemClock::instance());
    auto created = keys.create(tenant->id, domain::Role::admin, "esimo serve --admin-key");
    if (!created.ok()) return report_error(io, created.error());
    admin_key = std::move(created).value();
  }

  cmd_serve_detail::DeferredService front;
  net::ServerOptions options;
  options.host = config->listen_host;
  options.port = config->listen_port;
  options.threads = config->threads;
  options.body_limit = config->body_limit;
  options.tls_cert_file = config->tls_cert_file;
  options.tls_key_file = config->tls_key_file;
  auto started = net::HttpServer::start(options, front);
  if (!started.ok()) return report_error(io, started.error());
  std::unique_ptr<net::HttpServer> server = std::move(started).value();

  // The ESipa listener (SGP.32 §6.1) and the eIM behind it, when configured. TLS unless --esipa-plain; with --pki and
  // no certificate of its own it serves the PKI's dptls pair.
  cmd_serve_detail::DeferredService esipa_front;
  std::unique_ptr<net::HttpServer> esipa_server;
  std::unique_ptr<eim::EimService> eim;
  std::unique_ptr<api::EsipaService> esipa_service;
  std::string esipa_url;
  if (config->esipa_enabled) {
    net::ServerOptions eo;
    eo.host = config->esipa_listen_host;
    eo.port = config->esipa_listen_port;
    eo.threads = config->threads;
    eo.body_limit = api::EsipaOptions{}.body_limit;
    if (!config->esipa_plain) {
      eo.tls_cert_file = config->esipa_tls_cert_file;
      eo.tls_key_file = config->esipa_tls_key_file;
      if (eo.tls_cert_file.empty() && !config->pki_dir.empty()) {
        eo.tls_cert_file = (config->pki_dir / std::string(crypto::test_pki_files::kDpTls)).string();
        eo.tls_key_file = (config->pki_dir / std::string(crypto::test_pki_files::kDpTlsKey)).string();
      }
      if (eo.tls_cert_file.empty()) {
        server->stop(std::chrono::milliseconds(0));
        return report_error(io, Error(Errc::invalid_argument,
                                      "ESipa needs TLS: give --esipa-tls-cert and --esipa-tls-key (or --pki), or "
                                      "--esipa-plain for a lab",
                                      "--esipa-listen"));
      }
    }
    auto es = net::HttpServer::start(eo, esipa_front);
    if (!es.ok()) {
      server->stop(std::chrono::milliseconds(0));
      return report_error(io, Error(es.error().code, "--esipa-listen: " + es.error().message, "--esipa-listen"));
    }
    esipa_server = std::move(es).value();
    esipa_url = cmd_serve_detail::base_url(config->esipa_listen_host, esipa_server->port(), esipa_server->tls());
    std::string fallback_fqdn = esipa_url.substr(esipa_url.find("://") + 3);
    auto identity = load_eim_identity(*config, IdentityRequest{std::nullopt, fallback_fqdn});
    if (identity.ok() && identity->ci_root_certificates_der.empty()) {
      log::warn("no CI root configured: eUICC results cannot be verified (give --pki or --ci-root)");
    }
    if (!identity.ok()) {
      esipa_server->stop(std::chrono::milliseconds(0));
      server->stop(std::chrono::milliseconds(0));
      return report_error(io, identity.error());
    }
    eim = std::make_unique<eim::EimService>(*store, SystemClock::instance(), std::move(identity).value(),
                                            eim::EimOptions{}, metrics::Registry::global());
    if (auto st = eim->load(); !st.ok()) {
      esipa_server->stop(std::chrono::milliseconds(0));
      server->stop(std::chrono::milliseconds(0));
      return report_error(io, st.error());
    }
    if (auto st = setup_downloads(*config, *eim); !st.ok()) {  // SM-DP+ connectors (download_setup.cpp)
      esipa_server->stop(std::chrono::milliseconds(0));
      server->stop(std::chrono::milliseconds(0));
      return report_error(io, st.error());
    }
    eim::EimService* e = eim.get();
    esipa_service = std::make_unique<api::EsipaService>(
        [e](ByteView body, std::optional<sgp::Version> hint) { return e->handle_esipa(body, hint); },
        metrics::Registry::global());
    esipa_front.set(esipa_service.get());
  }

  const bool tls = server->tls();
  const std::string url = cmd_serve_detail::base_url(config->listen_host, server->port(), tls);
  api::ApiOptions api_options;
  api_options.body_limit = config->body_limit;
  api_options.public_base_url = url;
  api_options.version = version_string();
  // The orchestration engine: one per tenant, ticking on its own thread; decisions go out through the eIM.
  EngineHostOptions engine_options;
  engine_options.silence_after = config->engine_silence_after;
  auto engines = std::make_unique<EngineHost>(*store, SystemClock::instance(), eim.get(), metrics::Registry::global(),
                                              engine_options);
  if (auto st = engines->start(); !st.ok()) {
    if (esipa_server) esipa_server->stop(std::chrono::milliseconds(0));
    server->stop(std::chrono::milliseconds(0));
    return report_error(io, st.error());
  }
  // Events to webhooks: one delivery thread (api/events.hpp), which also prunes delivered events after 30 days.
  auto webhooks = std::make_unique<api::WebhookDispatcher>(*store, SystemClock::instance(), metrics::Registry::global());
  webhooks->start();
  api::ApiContext api_context{*store, SystemClock::instance(), metrics::Registry::global(), api_options, eim.get()};
  api_context.engines = [h = engines.get()](domain::TenantId t) { return h->engine_for(t); };
  auto service = std::make_unique<api::RestService>(std::move(api_context));
  front.set(service.get());
  io.out << "esimo " << version_string() << " serving on " << url << " (data in " << config->data_dir.string() << ")\n"
         << "  API:      " << url << "/v1/\n"
         << "  OpenAPI:  " << url << "/v1/openapi.json\n"
         << "  Metrics:  " << url << "/metrics\n"
         << "  Health:   " << url << "/healthz\n";
  if (eim) {
    io.out << "  ESipa:    " << esipa_url << std::string(api::kEsipaPath) << " (eIM '" << eim->identity().eim_id
           << "', fqdn " << eim->identity().fqdn << ")\n";
  }
  if (admin_key) {
    io.out << "  Tenant '" << config->default_tenant << "', admin key " << admin_key->key.id << " (shown once)\n"
           << "  Admin API key: " << admin_key->secret << "\n"
           << "  Try: curl -H 'Authorization: Bearer " << admin_key->secret << "' " << url
           << "/v1/carriers?country=BR\n";
  }
  io.out.flush();
  log::info("listening", {{"url", url},
                          {"threads", config->threads},
                          {"tls", tls},
                          {"catalog_seeded", seeded->seeded},
                          {"engine_silence_after_s", static_cast<std::int64_t>(config->engine_silence_after.count())},
                          {"data_dir", config->data_dir.string()}});
  log::flush();  // the start-up line is written now, not with the next buffered batch
  if (args.esipa_port_file && esipa_server) {
    if (auto s = cmd_serve_detail::write_port_file(*args.esipa_port_file, esipa_server->port()); !s.ok()) {
      esipa_server->stop(std::chrono::milliseconds(0));
      server->stop(std::chrono::milliseconds(0));
      front.set(nullptr);
      esipa_front.set(nullptr);
      return report_error(io, s.error());
    }
  }

  if (args.port_file) {
    if (auto s = cmd_serve_detail::write_port_file(*args.port_file, server->port()); !s.ok()) {
      server->stop(std::chrono::milliseconds(0));
      front.set(nullptr);
      return report_error(io, s.error());
    }
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"drain_ms", static_cast<std::int64_t>(config->drain_timeout.count())}});
  if (esipa_server) esipa_server->stop(config->drain_timeout);
  server->stop(config->drain_timeout);
  server.reset();
  esipa_server.reset();
  front.set(nullptr);
  esipa_front.set(nullptr);
  service.reset();
  esipa_service.reset();
  webhooks.reset();  // joins the delivery thread (an attempt in flight ends within its timeout)
  engines.reset();  // joins the engine's timer thread before the eIM it submits to goes away
  eim.reset();
  store.reset();  // joins the writer after its last batch is committed
  log::info("stopped");
  return 0;
}

}  // namespace esimo::app
