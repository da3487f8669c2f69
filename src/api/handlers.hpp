#pragma once
// Internal to src/api: what the route table and the handlers share.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/codec.hpp"
#include "api/device_import.hpp"
#include "api/json_io.hpp"
#include "api/keys.hpp"
#include "api/problem.hpp"
#include "api/rest_service.hpp"

namespace esimo::api {

struct Env {
  ApiContext ctx;
  KeyService keys;
  std::string openapi;
};

struct Call {
  http::Request& req;
  const Principal* principal = nullptr;  // null on open routes
  std::array<std::string_view, 2> params{};  // path parameters in template order
  std::string_view route;                    // the template
  domain::TenantId tenant() const { return principal ? principal->tenant : 0; }
};

using Handler = ApiResult<http::Response> (*)(Env&, Call&);

struct RouteSpec {
  http::Method method;
  const char* path;
  Access access;
  Handler handler;
  const char* summary;
  const char* tag;
  const char* request_schema;   // components/schemas name, "csv" / "import" for uploads, or nullptr
  int success_status;
  const char* response_schema;  // components/schemas name or nullptr (no body)
  const char* query;            // list filters: "group,tag*,country" ('*': repeatable); lists also take limit/after
  bool paged;
};

const std::vector<RouteSpec>& route_specs();
std::string build_openapi(const std::vector<RouteSpec>& specs, const ApiOptions& options);

// --- response helpers
http::Response json_response(int status, std::string body);
http::Response no_content();

// --- query strings: known parameters only (unknown_parameter otherwise), limit 1..1000 (invalid_limit), after.
class QueryReader {
 public:
  static ApiResult<QueryReader> make(std::string_view query, std::string_view allowed, bool paged);
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  const store::Page& page() const { return page_; }
  // The `next` link: public base + path + the same filters + after + limit; "null" JSON when there is no next page.
  void write_next(JsonWriter& w, const Env& env, const Call& call, const std::optional<std::string>& next_after) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
  store::Page page_;
};

std::string url_encode(std::string_view s);

// {"items": [...], "next": <link or null>} for one page of a list.
template <class T, class WriteItem>
http::Response page_response(const store::PageOf<T>& page, WriteItem write_item, const QueryReader& q, const Env& env,
                             const Call& call) {
  JsonWriter w;
  w.begin_object().key("items").begin_array();
  for (const auto& item : page.items) write_item(w, item);
  w.end_array().key("next");
  q.write_next(w, env, call, page.next_after);
  w.end_object();
  return json_response(200, w.take());
}

// {"items": [...], "next": null} for a list that always fits one page.
template <class T, class WriteItem>
http::Response all_response(const std::vector<T>& items, WriteItem write_item) {
  JsonWriter w;
  w.begin_object().key("items").begin_array();
  for (const auto& item : items) write_item(w, item);
  w.end_array().key("next").null().end_object();
  return json_response(200, w.take());
}

// --- the eIM's view of device changes (no-ops when no eIM is configured)
void notify_device_changed(Env& env, domain::TenantId tenant, const domain::Eid& eid);
// Import options whose on_committed tells the eIM about each committed device.
ImportOptions import_options_for(Env& env, domain::TenantId tenant);

// --- handlers
ApiResult<http::Response> h_healthz(Env&, Call&);
ApiResult<http::Response> h_readyz(Env&, Call&);
ApiResult<http::Response> h_metrics(Env&, Call&);
ApiResult<http::Response> h_openapi(Env&, Call&);

ApiResult<http::Response> h_devices_list(Env&, Call&);
ApiResult<http::Response> h_devices_create(Env&, Call&);
ApiResult<http::Response> h_devices_import(Env&, Call&);
ApiResult<http::Response> h_device_get(Env&, Call&);
ApiResult<http::Response> h_device_patch(Env&, Call&);
ApiResult<http::Response> h_device_delete(Env&, Call&);
ApiResult<http::Response> h_profiles_list(Env&, Call&);
ApiResult<http::Response> h_profile_get(Env&, Call&);

ApiResult<http::Response> h_groups_list(Env&, Call&);
ApiResult<http::Response> h_groups_create(Env&, Call&);
ApiResult<http::Response> h_group_get(Env&, Call&);
ApiResult<http::Response> h_group_patch(Env&, Call&);
ApiResult<http::Response> h_group_delete(Env&, Call&);
ApiResult<http::Response> h_operations_list(Env&, Call&);
ApiResult<http::Response> h_operation_get(Env&, Call&);
ApiResult<http::Response> h_operation_cancel(Env&, Call&);
ApiResult<http::Response> h_device_operations_create(Env&, Call&);

ApiResult<http::Response> h_carriers_list(Env&, Call&);
ApiResult<http::Response> h_carriers_create(Env&, Call&);
ApiResult<http::Response> h_carrier_get(Env&, Call&);
ApiResult<http::Response> h_carrier_patch(Env&, Call&);
ApiResult<http::Response> h_carrier_delete(Env&, Call&);
ApiResult<http::Response> h_rates_list(Env&, Call&);
ApiResult<http::Response> h_rates_put(Env&, Call&);
ApiResult<http::Response> h_rate_delete(Env&, Call&);
ApiResult<http::Response> h_rates_import(Env&, Call&);
ApiResult<http::Response> h_countries_list(Env&, Call&);

// engine resources (issue 6): handlers_engine*.cpp, telemetry*.cpp
ApiResult<http::Response> h_policies_list(Env&, Call&);
ApiResult<http::Response> h_policies_create(Env&, Call&);
ApiResult<http::Response> h_policies_validate(Env&, Call&);
ApiResult<http::Response> h_policies_simulate(Env&, Call&);
ApiResult<http::Response> h_policy_get(Env&, Call&);
ApiResult<http::Response> h_policy_put(Env&, Call&);
ApiResult<http::Response> h_policy_delete(Env&, Call&);
ApiResult<http::Response> h_telemetry_post(Env&, Call&);
ApiResult<http::Response> h_carrier_status_put(Env&, Call&);
ApiResult<http::Response> h_outages_list(Env&, Call&);
ApiResult<http::Response> h_outage_get(Env&, Call&);
ApiResult<http::Response> h_device_explain(Env&, Call&);
// The engine (when configured) reloads the tenant's policies.
void engine_policies_changed(Env& env, domain::TenantId tenant);
// The engine (when configured) takes the device's current registry entry (or forgets it when deleted).
void engine_device_changed(Env& env, domain::TenantId tenant, const domain::Eid& eid);
// The engine (when configured) takes new rate cards as tariffs (cost objectives and savings).
void engine_rates_changed(Env& env, domain::TenantId tenant, const std::vector<domain::RateCard>& cards);
// Component schemas of the engine resources, merged into the OpenAPI document (JSON object text).
const char* engine_openapi_schemas();
// Events and webhooks (handlers_events.cpp).
ApiResult<http::Response> h_events_list(Env&, Call&);
ApiResult<http::Response> h_webhooks_create(Env&, Call&);
ApiResult<http::Response> h_webhooks_list(Env&, Call&);
ApiResult<http::Response> h_webhook_get(Env&, Call&);
ApiResult<http::Response> h_webhook_delete(Env&, Call&);
const char* events_openapi_schemas();

}  // namespace esimo::api
