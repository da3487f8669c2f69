// The OpenAPI 3.1 document, built once from the route table plus the resource schemas below.
#include <string>

#include "api/handlers.hpp"

namespace esimo::api {

namespace openapi_detail {

// Component schemas of every resource, request body and the problem type. List schemas ("DeviceList") are generated.
constexpr const char* kSchemas = R"json({
  "Problem": {"type": "object", "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "code", "detail", "request_id"],
    "properties": {
      "type": {"type": "string", "format": "uri", "examples": ["https://esimo.dev/problems/invalid_eid"]},
      "title": {"type": "string"}, "status": {"type": "integer"},
      "code": {"type": "string", "description": "stable snake_case error code"},
      "detail": {"type": "string"},
      "field": {"type": "string", "description": "JSON path, query parameter or header at fault"},
      "request_id": {"type": "string"},
      "errors": {"type": "array", "items": {"$ref": "#/components/schemas/LineError"}}}},
  "LineError": {"type": "object", "required": ["line", "reason"],
    "properties": {"line": {"type": "integer"}, "reason": {"type": "string"}}},
  "Health": {"type": "object", "properties": {"status": {"type": "string"}}},
  "Money": {"type": "object", "required": ["amount", "currency"], "additionalProperties": false,
    "properties": {"amount": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,6})?$", "examples": ["0.0125"]},
                   "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["EUR"]}}},
  "Profile": {"type": "object",
    "properties": {"iccid": {"type": "string"}, "eid": {"type": "string"}, "carrier": {"type": "string"},
      "class": {"enum": ["operational", "test", "provisioning"]}, "state": {"enum": ["enabled", "disabled"]},
      "fallback": {"type": "boolean"}, "updated_at": {"type": "string", "format": "date-time"}}},
  "ProfileInput": {"type": "object", "required": ["iccid", "carrier"], "additionalProperties": false,
    "properties": {"iccid": {"type": "string", "pattern": "^[0-9]{18,20}$"},
      "carrier": {"type": "string", "description": "carrier id or home PLMN such as 724-06"},
      "state": {"enum": ["enabled", "disabled"], "default": "disabled"},
      "class": {"enum": ["operational", "test", "provisioning"], "default": "operational"},
      "fallback": {"type": "boolean", "default": false}}},
  "Device": {"type": "object",
    "properties": {"eid": {"type": "string", "pattern": "^[0-9]{32}$"}, "name": {"type": "string"},
      "group": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
      "lifecycle": {"enum": ["inventory", "active", "suspended", "retired"]},
      "sgp32_version": {"enum": ["1.0", "1.2"]},
      "active_iccid": {"type": ["string", "null"]}, "serving_plmn": {"type": ["string", "null"]},
      "country": {"type": ["string", "null"]}, "last_seen": {"type": ["string", "null"], "format": "date-time"},
      "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
      "profiles": {"type": "array", "items": {"$ref": "#/components/schemas/Profile"},
                   "description": "only on single-device answers"}}},
  "DeviceCreate": {"type": "object", "required": ["eid"], "additionalProperties": false,
    "properties": {"eid": {"type": "string", "pattern": "^[0-9]{32}$"}, "name": {"type": "string"},
      "group": {"type": "string", "default": "fleet"}, "tags": {"type": "array", "items": {"type": "string"}},
      "sgp32_version": {"enum": ["1.0", "1.2"], "default": "1.2"},
      "lifecycle": {"enum": ["inventory", "active", "suspended", "retired"], "default": "active"},
      "profiles": {"type": "array", "items": {"$ref": "#/components/schemas/ProfileInput"}}}},
  "DevicePatch": {"type": "object", "additionalProperties": false,
    "properties": {"name": {"type": "string"}, "group": {"type": "string"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "lifecycle": {"enum": ["inventory", "active", "suspended", "retired"]}, "sgp32_version": {"enum": ["1.0", "1.2"]}}},
  "ImportResult": {"type": "object",
    "properties": {"imported": {"type": "integer"}, "updated": {"type": "integer"},
      "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/LineError"}, "maxItems": 1000},
      "rejected_total": {"type": "integer"}}},
  "Group": {"type": "object",
    "properties": {"name": {"type": "string"}, "parent": {"type": ["string", "null"]},
                   "created_at": {"type": "string", "format": "date-time"}}},
  "GroupCreate": {"type": "object", "required": ["name"], "additionalProperties": false,
    "properties": {"name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
                   "parent": {"type": "string", "default": "fleet"}}},
  "GroupPatch": {"type": "object", "additionalProperties": false, "properties": {"parent": {"type": "string"}}},
  "Carrier": {"type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"},
      "plmns": {"type": "array", "items": {"type": "string", "examples": ["724-06"]}},
      "countries": {"type": "array", "items": {"type": "string"}},
      "rats": {"type": "array", "items": {"enum": ["LTE-M", "NB-IoT", "LTE", "5G"]}},
      "status": {"enum": ["up", "degraded", "down"]}, "smdp_address": {"type": "string"},
      "catalog": {"type": "boolean", "description": "true for the shared, read-only catalog"}}},
  "CarrierCreate": {"type": "object", "required": ["id", "name"], "additionalProperties": false,
    "properties": {"id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}, "name": {"type": "string"},
      "plmns": {"type": "array", "items": {"type": "string"}}, "countries": {"type": "array", "items": {"type": "string"}},
      "rats": {"type": "array", "items": {"enum": ["LTE-M", "NB-IoT", "LTE", "5G"]}},
      "status": {"enum": ["up", "degraded", "down"]}, "smdp_address": {"type": "string"}}},
  "CarrierPatch": {"type": "object", "additionalProperties": false,
    "properties": {"name": {"type": "string"}, "plmns": {"type": "array", "items": {"type": "string"}},
      "countries": {"type": "array", "items": {"type": "string"}},
      "rats": {"type": "array", "items": {"enum": ["LTE-M", "NB-IoT", "LTE", "5G"]}},
      "status": {"enum": ["up", "degraded", "down"]}, "smdp_address": {"type": "string"}}},
  "RateCard": {"type": "object",
    "properties": {"carrier": {"type": "string"}, "country": {"type": "string"},
      "price_per_mb": {"$ref": "#/components/schemas/Money"}, "price_per_sms": {"$ref": "#/components/schemas/Money"},
      "monthly_fee": {"$ref": "#/components/schemas/Money"}, "updated_at": {"type": "string", "format": "date-time"}}},
  "RateCardInput": {"type": "object", "additionalProperties": false,
    "required": ["country", "price_per_mb", "price_per_sms", "monthly_fee"],
    "properties": {"country": {"type": "string"}, "price_per_mb": {"$ref": "#/components/schemas/Money"},
      "price_per_sms": {"$ref": "#/components/schemas/Money"}, "monthly_fee": {"$ref": "#/components/schemas/Money"}}},
  "RateCardInputs": {"type": "array", "items": {"$ref": "#/components/schemas/RateCardInput"}},
  "RatesImportResult": {"type": "object", "properties": {"imported": {"type": "integer"}}},
  "Operation": {"type": "object",
    "properties": {"id": {"type": "string"}, "eid": {"type": "string"}, "type": {"type": "string"},
      "params": {"type": "object"},
      "state": {"enum": ["queued", "delivered", "succeeded", "failed", "expired", "cancelled"]},
      "reason": {"type": "string"}, "outcome": {"type": ["string", "null"]}, "result": {},
      "idempotency_key": {"type": ["string", "null"]},
      "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
      "expires_at": {"type": ["string", "null"], "format": "date-time"}}},
  "OperationCreate": {"type": "object", "required": ["type"],
    "description": "One eUICC operation. Members beside type, expires_in and expires_at depend on the type: enable {iccid, rollback}, disable/delete/set_fallback {iccid}, list_profiles {iccid?}, configure_immediate_enable {immediate_enable, default_smdp_address?}, set_default_dp {address}, add_eim/update_eim {eim_id, fqdn?, eim_id_type?, counter_value?, association_token?, eim_public_key? | eim_certificate? (hex), ...}, delete_eim {eim_id}, euicc_data {tag_list (hex, e.g. 84a5a6)}, download {activation_code (SGP.22 1$SMDP$MATCHING_ID), confirmation_code?, enable?, carrier?}; get_rat, unset_fallback and list_eim take none. Fallback operations need SGP.32 v1.2.",
    "properties": {
      "type": {"enum": ["enable", "disable", "delete", "list_profiles", "get_rat", "configure_immediate_enable",
                        "set_fallback", "unset_fallback", "set_default_dp", "add_eim", "update_eim", "delete_eim",
                        "list_eim", "euicc_data", "download"]},
      "iccid": {"type": "string", "pattern": "^[0-9]{18,20}$"}, "rollback": {"type": "boolean", "default": false},
      "immediate_enable": {"type": "boolean"}, "default_smdp_address": {"type": "string"},
      "address": {"type": "string"}, "eim_id": {"type": "string"}, "fqdn": {"type": "string"},
      "activation_code": {"type": "string", "maxLength": 255}, "confirmation_code": {"type": "string"},
      "enable": {"type": "boolean", "default": false}, "carrier": {"type": "string"},
      "eim_id_type": {"type": "integer"}, "counter_value": {"type": "integer"},
      "association_token": {"type": "integer"}, "eim_public_key": {"type": "string"},
      "eim_certificate": {"type": "string"}, "tag_list": {"type": "string"},
      "expires_in": {"type": "integer", "minimum": 1, "description": "seconds until a still queued operation expires"},
      "expires_at": {"type": "string", "format": "date-time"}}},
  "Country": {"type": "object",
    "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "alpha3": {"type": "string"},
                   "numeric": {"type": "string"}}}
})json";

const char* method_key(http::Method m) {
  switch (m) {
    case http::Method::get: return "get";
    case http::Method::post: return "post";
    case http::Method::put: return "put";
    case http::Method::patch: return "patch";
    case http::Method::del: return "delete";
    case http::Method::head: return "head";
    case http::Method::options: return "options";
    case http::Method::other: break;
  }
  return "get";
}

const char* access_name(Access a) {
  switch (a) {
    case Access::open: return "none";
    case Access::viewer: return "viewer";
    case Access::operator_: return "operator";
    case Access::admin: return "admin";
  }
  return "admin";
}

boost::json::object ref(std::string_view name) {
  return {{"$ref", "#/components/schemas/" + std::string(name)}};
}

boost::json::object json_content(boost::json::value schema, std::string_view media = "application/json") {
  boost::json::object c;
  c[media] = boost::json::object{{"schema", std::move(schema)}};
  return c;
}

boost::json::object operation_of(const RouteSpec& r) {
  boost::json::object op;
  op["summary"] = r.summary;
  op["operationId"] = std::string(method_key(r.method)) + " " + r.path;
  op["tags"] = boost::json::array{r.tag};
  op["x-esimo-role"] = access_name(r.access);
  if (r.access == Access::open) op["security"] = boost::json::array{};

  boost::json::array params;
  std::string_view path = r.path;
  for (std::size_t open = path.find('{'); open != std::string_view::npos; open = path.find('{', open + 1)) {
    auto close = path.find('}', open);
    params.push_back(boost::json::object{{"name", std::string(path.substr(open + 1, close - open - 1))},
                                         {"in", "path"},
                                         {"required", true},
                                         {"schema", {{"type", "string"}}}});
  }
  std::string_view q = r.query;
  while (!q.empty()) {
    auto comma = q.find(',');
    std::string_view item = q.substr(0, comma);
    bool repeatable = !item.empty() && item.back() == '*';
    if (repeatable) item.remove_suffix(1);
    boost::json::object p{{"name", std::string(item)}, {"in", "query"}, {"required", false}};
    if (repeatable) {
      p["schema"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
      p["style"] = "form";
      p["explode"] = true;
      p["description"] = "repeatable: all must match";
    } else {
      p["schema"] = {{"type", "string"}};
    }
    params.push_back(std::move(p));
    if (comma == std::string_view::npos) break;
    q.remove_prefix(comma + 1);
  }
  if (r.paged) {
    params.push_back(boost::json::object{
        {"name", "limit"}, {"in", "query"}, {"required", false},
        {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}}}});
    params.push_back(boost::json::object{{"name", "after"}, {"in", "query"}, {"required", false},
                                         {"description", "cursor: the key of the last item already seen"},
                                         {"schema", {{"type", "string"}}}});
  }
  if (r.handler == h_device_operations_create) {
    params.push_back(boost::json::object{
        {"name", "Idempotency-Key"}, {"in", "header"}, {"required", false},
        {"description", "repeat a request safely: the same key returns the same operation (200 instead of 202)"},
        {"schema", {{"type", "string"}, {"maxLength", 128}}}});
  }
  if (!params.empty()) op["parameters"] = std::move(params);

  if (r.request_schema) {
    std::string_view rs = r.request_schema;
    boost::json::object body{{"required", true}};
    if (rs == "import") {
      boost::json::object c;
      c["text/csv"] = {{"schema", {{"type", "string"}}}};
      c["application/x-ndjson"] = {{"schema", {{"type", "string"}}}};
      body["content"] = std::move(c);
    } else if (rs == "policy") {
      boost::json::object c;
      c["application/json"] = {{"schema", ref("PolicyDocument")}};
      c["application/yaml"] = {{"schema", {{"type", "string"}, {"description", "the same document in YAML"}}}};
      body["content"] = std::move(c);
    } else if (rs == "telemetry") {
      boost::json::object c;
      c["application/json"] = {{"schema", {{"type", "array"}, {"items", ref("TelemetryRecord")}}}};
      c["application/x-ndjson"] = {{"schema", {{"type", "string"}, {"description", "one TelemetryRecord per line"}}}};
      body["content"] = std::move(c);
    } else if (rs == "csv") {
      body["content"] = json_content(boost::json::object{{"type", "string"}}, "text/csv");
    } else {
      body["content"] = json_content(ref(rs));
    }
    op["requestBody"] = std::move(body);
  }

  boost::json::object responses;
  boost::json::object ok{{"description", "success"}};
  if (r.response_schema) {
    std::string_view s = r.response_schema;
    if (s == "metrics") {
      ok["content"] = json_content(boost::json::object{{"type", "string"}}, "text/plain");
    } else if (s == "openapi") {
      ok["content"] = json_content(boost::json::object{{"type", "object"}});
    } else {
      ok["content"] = json_content(ref(s));
    }
  }
  responses[std::to_string(r.success_status)] = std::move(ok);
  responses["default"] = {{"description", "an error"},
                          {"content", json_content(ref("Problem"), "application/problem+json")}};
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace openapi_detail

std::string build_openapi(const std::vector<RouteSpec>& specs, const ApiOptions& options) {
  namespace od = openapi_detail;
  boost::json::object schemas = boost::json::parse(od::kSchemas).as_object();
  const boost::json::value engine_schemas = boost::json::parse(engine_openapi_schemas());
  for (const auto& [name, schema] : engine_schemas.as_object()) schemas[name] = schema;
  const boost::json::value events_schemas = boost::json::parse(events_openapi_schemas());
  for (const auto& [name, schema] : events_schemas.as_object()) schemas[name] = schema;
  boost::json::object paths;
  for (const auto& r : specs) {
    if (r.response_schema) {
      std::string_view s = r.response_schema;
      if (s.size() > 4 && s.substr(s.size() - 4) == "List" && !schemas.contains(s)) {
        schemas[s] = {{"type", "object"},
                      {"required", boost::json::array{"items", "next"}},
                      {"properties",
                       {{"items", {{"type", "array"}, {"items", od::ref(s.substr(0, s.size() - 4))}}},
                        {"next", {{"type", boost::json::array{"string", "null"}},
                                  {"description", "URL of the next page, null on the last"}}}}}};
      }
    }
    auto& item = paths[r.path];
    if (!item.is_object()) item = boost::json::object{};
    item.as_object()[od::method_key(r.method)] = od::operation_of(r);
  }
  boost::json::object doc;
  doc["openapi"] = "3.1.0";
  doc["info"] = {{"title", "esimo API"},
                 {"version", options.version},
                 {"description", "eSIM orchestration for IoT fleets. See docs/api.md."}};
  doc["servers"] = boost::json::array{boost::json::object{{"url", options.public_base_url}}};
  doc["security"] = boost::json::array{boost::json::object{{"bearer", boost::json::array{}}}};
  doc["paths"] = std::move(paths);
  doc["components"] = {{"schemas", std::move(schemas)},
                       {"securitySchemes",
                        {{"bearer", {{"type", "http"}, {"scheme", "bearer"},
                                     {"description", "API key esk_<key id>_<secret>"}}}}}};
  return boost::json::serialize(doc);
}

}  // namespace esimo::api
