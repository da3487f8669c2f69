// The engine's REST side (issue 6): carrier status feed, outages, explain, simulate, and the hand-over of policies,
// devices and telemetry to the tenant's engine::Engine.
#include "api/handlers_engine.hpp"

#include <utility>

#include "api/engine_sync.hpp"
#include "api/events.hpp"
#include "api/telemetry_ingest.hpp"
#include "base/log.hpp"
#include "engine/engine.hpp"

namespace esimo::api {

namespace engine_api_detail {

Problem no_engine() {
  return make_problem(503, "engine_not_configured",
                      "the orchestration engine is not running in this server (esimo serve runs one per tenant)");
}

void write_opt_number(JsonWriter& w, std::string_view key, const std::optional<double>& v) {
  w.key(key);
  if (!v) {
    w.null();
    return;
  }
  // One decimal is what the evidence carries (dBm, ms, MB).
  const double r = static_cast<double>(static_cast<long long>(*v * 10 + (*v < 0 ? -0.5 : 0.5))) / 10;
  std::string s = std::to_string(r);
  auto dot = s.find('.');
  if (dot != std::string::npos) s.resize(dot + 2);
  w.raw(s);
}

void write_opt_time(JsonWriter& w, std::string_view key, const std::optional<TimePoint>& t) {
  w.key(key);
  if (t) write_time(w, *t);
  else w.null();
}

template <class T>
void write_opt_str(JsonWriter& w, std::string_view key, const std::optional<T>& v) {
  w.key(key);
  if (v) w.str(v->str());
  else w.null();
}

engine::TelemetryRecord to_engine(const TelemetryRecord& r) {
  engine::TelemetryRecord e;
  e.eid = r.eid;
  e.time = r.time;
  e.serving_plmn = r.serving_plmn;
  e.rat = r.rat;
  e.rsrp_dbm = r.rsrp_dbm;
  e.rsrq_db = r.rsrq_db;
  e.sinr_db = r.sinr_db;
  e.latency_ms = r.latency_ms;
  e.attached = r.attached;
  e.bytes_up = r.bytes_up;
  e.bytes_down = r.bytes_down;
  if (r.position) {
    e.position = engine::Position{r.position->lat, r.position->lon};
    e.country = r.position->country;
  }
  // Without a reported country, the serving network's MCC says where the device is (E.212).
  if (!e.country && r.serving_plmn) e.country = domain::country_of_mcc(r.serving_plmn->mcc_value());
  return e;
}

}  // namespace engine_api_detail

engine::Engine* engine_of(Env& env, domain::TenantId tenant) {
  return env.ctx.engines ? env.ctx.engines(tenant) : nullptr;
}

void engine_policies_changed(Env& env, domain::TenantId tenant) {
  if (auto* e = engine_of(env, tenant)) {
    auto st = load_engine_policies(env.ctx.store, tenant, *e);
    if (!st) log::warn("engine policies not reloaded", {{"tenant", static_cast<std::int64_t>(tenant)},
                                                        {"error", st.error().message}});
  }
}

void engine_device_changed(Env& env, domain::TenantId tenant, const domain::Eid& eid) {
  if (auto* e = engine_of(env, tenant)) {
    auto st = load_engine_device(env.ctx.store, tenant, eid, *e);
    if (!st) log::warn("engine device not updated", {{"tenant", static_cast<std::int64_t>(tenant)},
                                                     {"eid", eid.str()},
                                                     {"error", st.error().message}});
  }
}

void engine_rates_changed(Env& env, domain::TenantId tenant, const std::vector<domain::RateCard>& cards) {
  if (auto* e = engine_of(env, tenant)) {
    for (const auto& c : cards) e->set_tariff(engine::Tariff{c.carrier_id, c.country, c.monthly_fee, c.price_per_mb});
  }
}

Result<bool> tenant_has_device(Env& env, domain::TenantId tenant, const domain::Eid& eid) {
  if (auto* e = engine_of(env, tenant)) return e->has_device(eid);
  auto d = env.ctx.store.get_device(tenant, eid);
  if (d) return true;
  if (d.error().code == Errc::not_found) return false;
  return d.error();
}

std::vector<Status> engine_ingest(Env& env, domain::TenantId tenant, const std::vector<TelemetryRecord>& batch) {
  auto* e = engine_of(env, tenant);
  if (e == nullptr) return std::vector<Status>(batch.size());
  std::vector<engine::TelemetryRecord> records;
  records.reserve(batch.size());
  for (const auto& r : batch) records.push_back(engine_api_detail::to_engine(r));
  return e->ingest_batch(records);
}

ApiResult<http::Response> h_carrier_status_put(Env& env, Call& call) {
  ESIMO_TRY(auto carrier, env.ctx.store.get_carrier(call.tenant(), call.params[0]));
  ESIMO_TRY(auto body, parse_json(call.req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  store::CarrierStatusRecord s;
  s.tenant_id = call.tenant();
  s.carrier_id = carrier.id;
  ESIMO_TRY(std::string state, rd.req_string("state"));
  auto parsed = domain::parse_carrier_status(state);
  if (!parsed) return make_problem(400, "invalid_state", "state must be up, degraded or down", "state");
  s.state = *parsed;
  ESIMO_TRY(auto countries, rd.opt_string_array("countries"));
  if (countries) {
    for (std::size_t i = 0; i < countries->size(); ++i) {
      ESIMO_TRY(auto cc, parse_country_field((*countries)[i], json_path("countries", i)));
      s.countries.push_back(cc);
    }
  }
  ESIMO_TRY(auto note, rd.opt_string("note"));
  if (note) {
    if (note->size() > 1000) return make_problem(400, "invalid_note", "note is longer than 1000 characters", "note");
    s.note = *note;
  }
  ESIMO_CHECK(rd.finish());
  s.updated_at = env.ctx.clock.now();
  ESIMO_CHECK(env.ctx.store.put_carrier_status_with_event(s, carrier_status_event(s)));
  if (auto* e = engine_of(env, call.tenant())) e->set_carrier_status(s.carrier_id, s.countries, s.state, s.note, s.updated_at);
  return json_response(200, carrier_status_json(s));
}

ApiResult<http::Response> h_outages_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "", true));
  ESIMO_TRY(auto page, env.ctx.store.list_outages(call.tenant(), q.page()));
  return page_response(page, [](JsonWriter& w, const store::OutageRecord& o) { w.raw(outage_json(o)); }, q, env, call);
}

ApiResult<http::Response> h_outage_get(Env& env, Call& call) {
  ESIMO_TRY(auto o, env.ctx.store.get_outage(call.tenant(), call.params[0]));
  return json_response(200, outage_json(o));
}

ApiResult<http::Response> h_device_explain(Env& env, Call& call) {
  namespace d = engine_api_detail;
  ESIMO_TRY(auto eid, parse_eid_field(call.params[0], "eid"));
  ESIMO_TRY(auto rec, env.ctx.store.get_device(call.tenant(), eid));  // another tenant's device: 404
  (void)rec;
  auto* e = engine_of(env, call.tenant());
  if (e == nullptr) return d::no_engine();
  auto x = e->explain(eid, env.ctx.clock.now());
  if (!x) {
    ESIMO_CHECK(load_engine_device(env.ctx.store, call.tenant(), eid, *e));
    x = e->explain(eid, env.ctx.clock.now());
  }
  if (!x) return make_problem(404, "not_found", "the engine does not know device " + eid.str(), "eid");
  JsonWriter w;
  w.begin_object().field("eid", x->eid.str());
  w.key("policy").begin_object().field("name", x->policy_name).key("effective").raw(
      x->policy_json.empty() ? "null" : x->policy_json);
  w.end_object();
  w.key("evidence").begin_object().field("carrier", x->carrier_id);
  d::write_opt_str(w, "enabled_iccid", x->enabled);
  d::write_opt_str(w, "country", x->country);
  d::write_opt_str(w, "previous_country", x->previous_country);
  d::write_opt_time(w, "country_since", x->country_since);
  d::write_opt_str(w, "home_country", x->home_country);
  w.field_bool("roaming", x->roaming_since.has_value());
  d::write_opt_time(w, "roaming_since", x->roaming_since);
  w.field_bool("attached", x->attached);
  d::write_opt_time(w, "last_seen", x->last_seen);
  d::write_opt_time(w, "no_service_since", x->no_service_since);
  w.field_bool("silent", x->silent);
  d::write_opt_number(w, "latency_p50_ms", x->latency_p50_ms);
  d::write_opt_number(w, "rsrp_p50_dbm", x->rsrp_p50_dbm);
  d::write_opt_number(w, "rsrp_p10_dbm", x->rsrp_p10_dbm);
  d::write_opt_number(w, "usage_mb_per_month", x->usage_mb_per_month);
  w.field_num("samples", static_cast<std::int64_t>(x->samples));
  w.field("carrier_status", domain::to_string(x->carrier_status)).field_bool("outage", x->outage);
  d::write_opt_str(w, "fallback_iccid", x->fallback);
  w.end_object();
  w.key("decisions").begin_array();
  for (const auto& dec : x->decisions) {
    w.begin_object().key("at");
    write_time(w, dec.at);
    w.field("action", dec.action);
    d::write_opt_str(w, "target_iccid", dec.target);
    w.field("reason", dec.reason).end_object();
  }
  w.end_array().end_object();
  return json_response(200, w.take());
}

ApiResult<http::Response> h_policies_simulate(Env& env, Call& call) {
  namespace d = engine_api_detail;
  ESIMO_TRY(policy::Policy p, read_policy_document(env, call));
  auto* e = engine_of(env, call.tenant());
  if (e == nullptr) return d::no_engine();
  auto decisions = e->simulate(p, env.ctx.clock.now());
  std::size_t switches = 0;
  for (const auto& s : decisions) switches += s.action == "switch" ? 1 : 0;
  JsonWriter w;
  w.begin_object().field("policy", p.name).field_num("devices", static_cast<std::int64_t>(e->stats().devices));
  w.field_num("would_switch", static_cast<std::int64_t>(switches)).key("decisions").begin_array();
  for (const auto& s : decisions) {
    w.begin_object().field("eid", s.eid.str()).field("action", s.action);
    d::write_opt_str(w, "target_iccid", s.target);
    w.key("target_carrier");
    if (s.target_carrier.empty()) w.null();
    else w.str(s.target_carrier);
    w.field("reason", s.reason).end_object();
  }
  w.end_array().end_object();
  return json_response(200, w.take());
}

const char* engine_openapi_schemas() {
  return R"json({
  "PolicyDocument": {"type": "object", "required": ["name", "scope"],
    "description": "A policy document; every key and the condition language are in docs/policies.md",
    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
      "scope": {"type": "object", "description": "exactly one of fleet (true), group (name) or device (EID)",
        "properties": {"fleet": {"type": "boolean"}, "group": {"type": "string"}, "device": {"type": "string"}}},
      "carriers": {"type": "object", "properties": {
        "allow": {"type": "array", "items": {"type": "string"}}, "deny": {"type": "array", "items": {"type": "string"}},
        "prefer": {"type": "array", "items": {"type": "string"}}}},
      "objective": {"enum": ["cost", "signal", "latency"]},
      "rules": {"type": "array", "items": {"type": "object", "required": ["when", "do"], "properties": {
        "name": {"type": "string"}, "when": {"type": "string", "examples": ["signal.rsrp < -115 dBm for 10m"]},
        "do": {"type": "string", "examples": ["switch best"]}, "enabled": {"type": "boolean"}}}},
      "guards": {"type": "object"}}},
  "Policy": {"type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"},
      "scope": {"type": "object", "properties": {"kind": {"enum": ["fleet", "group", "device"]},
                                                 "target": {"type": ["string", "null"]}}},
      "revision": {"type": "integer"},
      "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
      "document": {"$ref": "#/components/schemas/PolicyDocument"}}},
  "PolicyError": {"type": "object", "description": "where a policy document is wrong (in the 422 problem's errors)",
    "properties": {"path": {"type": "string", "examples": ["rules[0].when"]},
      "line": {"type": "integer"}, "column": {"type": "integer"},
      "position": {"type": "integer", "description": "1-based position inside the when/do expression; 0 outside one"},
      "message": {"type": "string"}}},
  "PolicyValidation": {"type": "object",
    "properties": {"valid": {"type": "boolean"}, "name": {"type": "string"},
      "scope": {"type": "object", "properties": {"kind": {"type": "string"}, "target": {"type": ["string", "null"]}}},
      "rules": {"type": "integer"}, "document": {"$ref": "#/components/schemas/PolicyDocument"}}},
  "Simulation": {"type": "object",
    "properties": {"policy": {"type": "string"}, "devices": {"type": "integer"}, "would_switch": {"type": "integer"},
      "decisions": {"type": "array", "items": {"type": "object", "properties": {
        "eid": {"type": "string"}, "action": {"enum": ["switch", "set_fallback", "alert", "held"]},
        "target_iccid": {"type": ["string", "null"]}, "target_carrier": {"type": ["string", "null"]},
        "reason": {"type": "string"}}}}}},
  "TelemetryRecord": {"type": "object", "required": ["eid", "time", "attached"], "additionalProperties": false,
    "properties": {"eid": {"type": "string"}, "time": {"type": "string", "format": "date-time"},
      "serving_plmn": {"type": "string", "examples": ["724-06"]}, "rat": {"enum": ["LTE-M", "NB-IoT", "LTE", "5G"]},
      "rsrp": {"type": "number", "minimum": -156, "maximum": -31, "description": "dBm"},
      "rsrq": {"type": "number", "minimum": -43, "maximum": 20, "description": "dB"},
      "sinr": {"type": "number", "minimum": -23, "maximum": 40, "description": "dB"},
      "latency_ms": {"type": "number", "minimum": 0, "maximum": 600000},
      "attached": {"type": "boolean", "description": "false: no service"},
      "bytes_up": {"type": "integer", "minimum": 0}, "bytes_down": {"type": "integer", "minimum": 0},
      "position": {"type": "object", "required": ["lat", "lon"], "additionalProperties": false,
        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}, "country": {"type": "string"}}}}},
  "TelemetryRejection": {"type": "object",
    "properties": {"index": {"type": "integer", "description": "0-based, JSON array bodies"},
      "line": {"type": "integer", "description": "1-based, NDJSON bodies"},
      "field": {"type": "string"}, "message": {"type": "string"}}},
  "TelemetryResult": {"type": "object",
    "properties": {"accepted": {"type": "integer"},
      "rejected": {"type": "array", "items": {"$ref": "#/components/schemas/TelemetryRejection"}, "maxItems": 1000},
      "rejected_total": {"type": "integer"}}},
  "CarrierStatusInput": {"type": "object", "required": ["state"], "additionalProperties": false,
    "properties": {"state": {"enum": ["up", "degraded", "down"]},
      "countries": {"type": "array", "items": {"type": "string"}, "description": "empty or absent: everywhere"},
      "note": {"type": "string", "maxLength": 1000}}},
  "CarrierStatus": {"type": "object",
    "properties": {"carrier": {"type": "string"}, "state": {"enum": ["up", "degraded", "down"]},
      "countries": {"type": "array", "items": {"type": "string"}}, "note": {"type": "string"},
      "updated_at": {"type": "string", "format": "date-time"}}},
  "Outage": {"type": "object",
    "properties": {"id": {"type": "string"}, "carrier": {"type": "string"}, "country": {"type": ["string", "null"]},
      "source": {"enum": ["telemetry", "status_feed"]}, "state": {"enum": ["active", "resolved"]},
      "detail": {"type": "string"}, "affected_devices": {"type": "integer"},
      "started_at": {"type": "string", "format": "date-time"},
      "ended_at": {"type": ["string", "null"], "format": "date-time"},
      "updated_at": {"type": "string", "format": "date-time"}}},
  "Explanation": {"type": "object",
    "properties": {"eid": {"type": "string"},
      "policy": {"type": "object", "properties": {"name": {"type": "string"}, "effective": {"type": "object"}}},
      "evidence": {"type": "object"},
      "decisions": {"type": "array", "items": {"type": "object", "properties": {
        "at": {"type": "string", "format": "date-time"}, "action": {"type": "string"},
        "target_iccid": {"type": ["string", "null"]}, "reason": {"type": "string"}}}}}}
})json";
}

}  // namespace esimo::api
