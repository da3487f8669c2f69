// The route table: one row per (method, path template). The router, the role checks, the metrics labels and the
// OpenAPI document are all built from it, so a route cannot exist without its documentation.
#include "api/handlers.hpp"

namespace esimo::api {

const std::vector<RouteSpec>& route_specs() {
  using M = http::Method;
  static const std::vector<RouteSpec> kRoutes = {
      // method, path, access, handler, summary, tag, request schema, status, response schema, filters, paged
      {M::get, "/healthz", Access::open, h_healthz, "Liveness: the process answers", "health", nullptr, 200, "Health", "", false},
      {M::get, "/readyz", Access::open, h_readyz, "Readiness: 200 when the store answers, else 503", "health", nullptr, 200, "Health", "", false},
      {M::get, "/metrics", Access::open, h_metrics, "Prometheus metrics (text exposition 0.0.4)", "health", nullptr, 200, "metrics", "", false},
      {M::get, "/v1/openapi.json", Access::open, h_openapi, "This OpenAPI 3.1 document", "health", nullptr, 200, "openapi", "", false},

      {M::get, "/v1/devices", Access::viewer, h_devices_list, "List devices", "devices", nullptr, 200, "DeviceList", "group,tag*,country,carrier,lifecycle", true},
      {M::post, "/v1/devices", Access::admin, h_devices_create, "Create a device with its profiles", "devices", "DeviceCreate", 201, "Device", "", false},
      {M::post, "/v1/devices:import", Access::admin, h_devices_import, "Import devices from CSV or NDJSON (streamed, batched)", "devices", "import", 200, "ImportResult", "", false},
      {M::get, "/v1/devices/{eid}", Access::viewer, h_device_get, "Get a device with its profiles", "devices", nullptr, 200, "Device", "", false},
      {M::patch, "/v1/devices/{eid}", Access::admin, h_device_patch, "Update a device's name, group, tags, lifecycle or SGP.32 version", "devices", "DevicePatch", 200, "Device", "", false},
      {M::del, "/v1/devices/{eid}", Access::admin, h_device_delete, "Delete a device with its profiles and operations", "devices", nullptr, 204, nullptr, "", false},

      {M::get, "/v1/groups", Access::viewer, h_groups_list, "List groups", "groups", nullptr, 200, "GroupList", "", true},
      {M::post, "/v1/groups", Access::admin, h_groups_create, "Create a group", "groups", "GroupCreate", 201, "Group", "", false},
      {M::get, "/v1/groups/{name}", Access::viewer, h_group_get, "Get a group", "groups", nullptr, 200, "Group", "", false},
      {M::patch, "/v1/groups/{name}", Access::admin, h_group_patch, "Move a group under another parent", "groups", "GroupPatch", 200, "Group", "", false},
      {M::del, "/v1/groups/{name}", Access::admin, h_group_delete, "Delete an empty group (409 while it has devices or children)", "groups", nullptr, 204, nullptr, "", false},

      {M::get, "/v1/carriers", Access::viewer, h_carriers_list, "List carriers: the shared catalog and the tenant's own", "carriers", nullptr, 200, "CarrierList", "country,plmn,status", true},
      {M::post, "/v1/carriers", Access::admin, h_carriers_create, "Create an own carrier", "carriers", "CarrierCreate", 201, "Carrier", "", false},
      {M::get, "/v1/carriers/{id}", Access::viewer, h_carrier_get, "Get a carrier", "carriers", nullptr, 200, "Carrier", "", false},
      {M::patch, "/v1/carriers/{id}", Access::admin, h_carrier_patch, "Update an own carrier (catalog carriers: 403 catalog_read_only)", "carriers", "CarrierPatch", 200, "Carrier", "", false},
      {M::del, "/v1/carriers/{id}", Access::admin, h_carrier_delete, "Delete an own carrier (409 while profiles name it)", "carriers", nullptr, 204, nullptr, "", false},
      {M::get, "/v1/carriers/{id}/rates", Access::viewer, h_rates_list, "List the tenant's rate cards with a carrier", "rates", nullptr, 200, "RateCardList", "", false},
      {M::put, "/v1/carriers/{id}/rates", Access::admin, h_rates_put, "Upsert rate cards with a carrier (per country)", "rates", "RateCardInputs", 200, "RateCardList", "", false},
      {M::del, "/v1/carriers/{id}/rates/{country}", Access::admin, h_rate_delete, "Delete the rate card for one country", "rates", nullptr, 204, nullptr, "", false},
      {M::post, "/v1/rates:import", Access::admin, h_rates_import, "Import rate cards from CSV (all or nothing)", "rates", "csv", 200, "RatesImportResult", "", false},

      {M::get, "/v1/profiles", Access::viewer, h_profiles_list, "List profiles", "profiles", nullptr, 200, "ProfileList", "eid,carrier,state", true},
      {M::get, "/v1/profiles/{iccid}", Access::viewer, h_profile_get, "Get a profile", "profiles", nullptr, 200, "Profile", "", false},

      {M::post, "/v1/devices/{eid}/operations", Access::operator_, h_device_operations_create, "Queue an eUICC operation (PSMO, eCO or eUICC data request) for the device's next poll; 202 (200 for a repeated Idempotency-Key)", "operations", "OperationCreate", 202, "Operation", "", false},
      {M::get, "/v1/operations", Access::viewer, h_operations_list, "List operations", "operations", nullptr, 200, "OperationList", "eid,state,type", true},
      {M::get, "/v1/operations/{id}", Access::viewer, h_operation_get, "Get an operation", "operations", nullptr, 200, "Operation", "", false},
      {M::post, "/v1/operations/{id}:cancel", Access::operator_, h_operation_cancel, "Cancel a queued operation (else 409; without an eIM also a delivered one)", "operations", nullptr, 200, "Operation", "", false},

      {M::get, "/v1/countries", Access::viewer, h_countries_list, "List ISO 3166-1 countries", "carriers", nullptr, 200, "CountryList", "", false},

      {M::get, "/v1/policies", Access::viewer, h_policies_list, "List policy documents", "policies", nullptr, 200, "PolicyList", "", true},
      {M::post, "/v1/policies", Access::operator_, h_policies_create, "Create a policy document (JSON, or YAML as application/yaml); 422 invalid_policy names the path, line, column and expression position", "policies", "policy", 201, "Policy", "", false},
      {M::post, "/v1/policies:validate", Access::viewer, h_policies_validate, "Validate a policy document without storing it (200 valid, or 422 invalid_policy with positions)", "policies", "policy", 200, "PolicyValidation", "", false},
      {M::post, "/v1/policies:simulate", Access::viewer, h_policies_simulate, "Dry run over the current fleet: which devices would switch, to what and why (nothing is sent)", "policies", "policy", 200, "Simulation", "", false},
      {M::get, "/v1/policies/{id}", Access::viewer, h_policy_get, "Get a policy document", "policies", nullptr, 200, "Policy", "", false},
      {M::put, "/v1/policies/{id}", Access::operator_, h_policy_put, "Replace a policy document (JSON or YAML)", "policies", "policy", 200, "Policy", "", false},
      {M::del, "/v1/policies/{id}", Access::operator_, h_policy_delete, "Delete a policy document", "policies", nullptr, 204, nullptr, "", false},
      {M::post, "/v1/telemetry", Access::operator_, h_telemetry_post, "Ingest a batch of device telemetry (JSON array or NDJSON); bad records are reported per index or line, good ones kept", "telemetry", "telemetry", 202, "TelemetryResult", "", false},
      {M::put, "/v1/carriers/{id}/status", Access::operator_, h_carrier_status_put, "Report a carrier's status (the status feed): up, degraded or down, in some countries or everywhere", "carriers", "CarrierStatusInput", 200, "CarrierStatus", "", false},
      {M::get, "/v1/outages", Access::viewer, h_outages_list, "List declared outages", "outages", nullptr, 200, "OutageList", "", true},
      {M::get, "/v1/outages/{id}", Access::viewer, h_outage_get, "Get an outage", "outages", nullptr, 200, "Outage", "", false},
      {M::get, "/v1/devices/{eid}/explain", Access::viewer, h_device_explain, "Explain a device: its effective policy, current evidence and last decisions", "devices", nullptr, 200, "Explanation", "", false},
      {M::get, "/v1/events", Access::viewer, h_events_list, "List events in order (outage declared/updated/resolved, carrier status changed); after=<seq> continues", "events", nullptr, 200, "EventList", "type*", true},
      {M::get, "/v1/webhooks", Access::viewer, h_webhooks_list, "List webhook subscriptions (without their secrets)", "events", nullptr, 200, "WebhookList", "", true},
      {M::post, "/v1/webhooks", Access::admin, h_webhooks_create, "Subscribe a URL to events: signed POSTs, in order, at least once; the answer holds the secret", "events", "WebhookCreate", 201, "Webhook", "", false},
      {M::get, "/v1/webhooks/{id}", Access::viewer, h_webhook_get, "Get a webhook subscription with its delivery state", "events", nullptr, 200, "Webhook", "", false},
      {M::del, "/v1/webhooks/{id}", Access::admin, h_webhook_delete, "Delete a webhook subscription", "events", nullptr, 204, nullptr, "", false},
  };
  return kRoutes;
}

}  // namespace esimo::api
