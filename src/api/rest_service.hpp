#pragma once
// The REST API as an http::Service: routing (a precomputed table, no regex), API-key authentication and roles, strict
// decoding, problem+json errors, per-route metrics and one JSON log line per request. src/net serves it; tests call
// handle()/open_stream() in-process. See docs/api.md for the resources.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/keys.hpp"
#include "base/clock.hpp"
#include "base/http_message.hpp"
#include "base/metrics.hpp"
#include "store/store.hpp"

namespace esimo::eim {
class EimService;
}
namespace esimo::engine {
class Engine;
}

namespace esimo::api {

struct ApiOptions {
  std::size_t body_limit = 1 << 20;  // buffered request bodies (413 body_too_large beyond); imports stream without one
  std::string public_base_url = "http://127.0.0.1:8080";  // prefix of `next` links, without a trailing '/'
  std::string version = "0.1.0";                          // shown in the OpenAPI document
  std::size_t telemetry_body_limit = 64u << 20;  // POST /v1/telemetry (streamed): 413 body_too_large beyond
};

struct ApiContext {
  store::Store& store;
  const Clock& clock;
  metrics::Registry& metrics;
  ApiOptions options;
  // The eIM (esimo serve --esipa-listen), or nullptr: then POST /v1/devices/{eid}/operations answers 503
  // eim_not_configured. When set, operations are submitted and cancelled through it, and device changes (create,
  // update, delete, import) are passed on so its hot state follows.
  eim::EimService* eim = nullptr;
  // The orchestration engine of a tenant (esimo serve: one per tenant, made on first use), or empty / nullptr: then
  // telemetry is validated but not evaluated, carrier status is only stored, and explain/simulate answer 503
  // engine_not_configured. When set, policies, devices, telemetry and the status feed are passed on.
  std::function<engine::Engine*(domain::TenantId)> engines;
};

// Who may call a route: anyone (health, metrics, the OpenAPI document), or an API key of at least this role.
enum class Access { open, viewer, operator_, admin };

struct RouteInfo {
  http::Method method;
  std::string path;  // template: "/v1/devices/{eid}", "/v1/operations/{id}:cancel"
  Access access;
  std::string summary;
};

// Thread-safe: handle() and open_stream() run concurrently on the server's workers.
class RestService final : public http::Service {
 public:
  explicit RestService(ApiContext context);
  ~RestService() override;
  RestService(const RestService&) = delete;
  RestService& operator=(const RestService&) = delete;

  std::unique_ptr<http::BodySink> open_stream(const http::Request& head) override;
  http::Response handle(http::Request& request) override;

  KeyService& keys();
  std::vector<RouteInfo> routes() const;
  // The template of the route serving (method, path); empty when none does.
  std::string route_of(http::Method method, std::string_view path) const;
  const std::string& openapi_json() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::api
