// POST /v1/devices/{eid}/operations: typed eUICC operations (PSMOs, eCOs, eUICC data) handed to the eIM.
#include <chrono>

#include "api/handlers.hpp"
#include "eim/eim_service.hpp"

namespace esimo::api {

namespace operations_detail {

constexpr std::int64_t kMaxExpiresIn = 365LL * 24 * 3600;  // a year: anything later is a mistake, not a plan
constexpr std::size_t kMaxIdempotencyKey = 128;

http::Response operation_json(int status, const domain::Operation& op) {
  JsonWriter w;
  write_operation(w, op);
  auto r = json_response(status, w.take());
  r.set_header("location", "/v1/operations/" + op.id);
  return r;
}

// Printable ASCII, 1..128 characters (what clients put there: UUIDs, hashes, request names).
ApiResult<std::string> idempotency_key_of(const http::Request& req) {
  std::string_view k = req.header("idempotency-key");
  if (k.empty()) return std::string();
  bool ok = k.size() <= kMaxIdempotencyKey;
  for (char c : k) ok = ok && c > 0x20 && c < 0x7F;
  if (!ok) {
    return make_problem(400, "invalid_idempotency_key", "Idempotency-Key must be 1..128 printable ASCII characters",
                        "Idempotency-Key");
  }
  return std::string(k);
}

struct ParsedBody {
  std::string type;
  std::string params_json;  // the body without expires_in / expires_at (the eIM's strict decoder reads it)
  std::optional<std::int64_t> expires_in;
  std::optional<TimePoint> expires_at;
};

ApiResult<ParsedBody> parse_body(std::string_view text) {
  ESIMO_TRY(auto body, parse_json(text));
  if (!body.is_object()) return invalid_type("", "object");
  boost::json::object obj = body.as_object();
  ParsedBody out;
  const auto* type = obj.if_contains("type");
  if (type == nullptr) return make_problem(400, "missing_field", "type: is required", "type");
  if (!type->is_string()) return invalid_type("type", "string");
  out.type = std::string(type->as_string());
  if (const auto* v = obj.if_contains("expires_in")) {
    if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > kMaxExpiresIn) {
      return make_problem(400, "invalid_expires_in",
                          "expires_in: must be a whole number of seconds, 1.." + std::to_string(kMaxExpiresIn),
                          "expires_in");
    }
    out.expires_in = v->as_int64();
    obj.erase("expires_in");
  }
  if (const auto* v = obj.if_contains("expires_at")) {
    std::optional<TimePoint> t;
    if (v->is_string()) t = parse_rfc3339(v->as_string());
    if (!t) {
      return make_problem(400, "invalid_expires_at", "expires_at: must be an RFC 3339 time", "expires_at");
    }
    out.expires_at = *t;
    obj.erase("expires_at");
  }
  if (out.expires_in && out.expires_at) {
    return make_problem(400, "invalid_argument", "give expires_in or expires_at, not both", "expires_in");
  }
  out.params_json = boost::json::serialize(obj);
  return out;
}

// An eIM refusal as the API says it: 404 for a device the tenant does not have, 422 for a request that does not fit
// the device (a fallback PSMO on SGP.32 v1.0, an ICCID it does not hold), 400 for a bad field.
Problem submit_problem(const Error& e) {
  switch (e.code) {
    case Errc::not_found: return make_problem(404, "not_found", e.message, e.field.empty() ? "eid" : e.field);
    case Errc::failed_precondition: return make_problem(422, "not_applicable", e.message, e.field);
    case Errc::invalid_argument:
    case Errc::parse_error: return make_problem(400, "invalid_operation", e.message, e.field);
    default: return problem_from_error(e);
  }
}

}  // namespace operations_detail

void notify_device_changed(Env& env, domain::TenantId tenant, const domain::Eid& eid) {
  if (env.ctx.eim != nullptr) env.ctx.eim->device_changed(tenant, eid);
  engine_device_changed(env, tenant, eid);
}

ImportOptions import_options_for(Env& env, domain::TenantId tenant) {
  ImportOptions o;
  if (env.ctx.eim != nullptr || env.ctx.engines) {
    Env* e = &env;
    o.on_committed = [e, tenant](const domain::Eid& eid) { notify_device_changed(*e, tenant, eid); };
  }
  return o;
}

ApiResult<http::Response> h_device_operations_create(Env& env, Call& call) {
  using namespace operations_detail;  // NOLINT(google-build-using-namespace): function scope
  ESIMO_TRY(auto eid, parse_eid_field(call.params[0], "eid"));
  if (env.ctx.eim == nullptr) {
    return make_problem(503, "eim_not_configured",
                        "eim not configured: start esimo serve with --esipa-listen to manage eUICCs");
  }
  ESIMO_TRY(std::string idem, idempotency_key_of(call.req));
  ESIMO_TRY(ParsedBody body, parse_body(call.req.body));
  auto request = eim::operation_request_from_json(body.type, body.params_json);
  if (!request) return submit_problem(request.error());

  if (!idem.empty()) {
    // Same key, same tenant: the operation it created, 200 instead of 202 — unless the key now names another request.
    auto existing = env.ctx.store.find_operation_by_idempotency_key(call.tenant(), idem);
    if (existing) {
      if (existing->eid != eid || existing->type != eim::operation_type(*request) ||
          existing->params_json != eim::to_json(*request)) {
        return make_problem(409, "idempotency_key_reused",
                            "Idempotency-Key '" + idem + "' was used for another request (operation " + existing->id +
                                ")",
                            "Idempotency-Key");
      }
      return operation_json(200, *existing);
    }
    if (existing.error().code != Errc::not_found) return existing.error();
  }

  eim::SubmitOptions options;
  options.reason = "user:" + (call.principal ? call.principal->key_id : std::string("anonymous"));
  options.idempotency_key = idem;
  if (body.expires_in) options.expires_at = env.ctx.clock.now() + std::chrono::seconds(*body.expires_in);
  if (body.expires_at) {
    if (*body.expires_at <= env.ctx.clock.now()) {
      return make_problem(400, "invalid_expires_at", "expires_at: lies in the past", "expires_at");
    }
    options.expires_at = body.expires_at;
  }
  auto op = env.ctx.eim->submit(call.tenant(), eid, *request, options);
  if (!op) return submit_problem(op.error());
  return operation_json(202, *op);
}

}  // namespace esimo::api
