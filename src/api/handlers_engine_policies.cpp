// Policies as a resource: CRUD under /v1/policies and POST /v1/policies:validate (issue 6). Documents are parsed and
// validated by src/policy against the tenant's carrier catalog; the store keeps their canonical JSON.
#include <string>
#include <utility>

#include "api/engine_sync.hpp"
#include "api/handlers_engine.hpp"
#include "crypto/random.hpp"

namespace esimo::api {

namespace policy_api_detail {

std::string scope_kind(const policy::Scope& s) { return std::string(policy::to_string(s.kind)); }
std::string scope_target(const policy::Scope& s) {
  switch (s.kind) {
    case policy::ScopeKind::fleet: return {};
    case policy::ScopeKind::group: return s.group;
    case policy::ScopeKind::device: return s.device ? s.device->str() : std::string();
  }
  return {};
}

void write_diagnostic(JsonWriter& w, const policy::Diagnostic& d) {
  w.begin_object()
      .field("path", d.path)
      .field_num("line", d.line)
      .field_num("column", d.column)
      .field_num("position", d.expression_position)
      .field("message", d.message)
      .end_object();
}

Problem invalid_policy(const policy::Diagnostic& d) {
  Problem p = make_problem(422, "invalid_policy", d.to_string(), d.path);
  JsonWriter w;
  w.begin_array();
  write_diagnostic(w, d);
  w.end_array();
  p.extra = "\"errors\":" + w.take();
  return p;
}

// A problem found by the API itself (scope names a missing group or device): same shape, no line/column.
Problem invalid_policy_scope(std::string path, std::string message) {
  policy::Diagnostic d;
  d.path = std::move(path);
  d.message = std::move(message);
  return invalid_policy(d);
}

void write_policy_record(JsonWriter& w, const store::PolicyRecord& r) {
  w.begin_object()
      .field("id", r.id)
      .field("name", r.name)
      .key("scope")
      .begin_object()
      .field("kind", r.scope_kind);
  if (r.scope_target.empty()) {
    w.key("target").null();
  } else {
    w.field("target", r.scope_target);
  }
  w.end_object().field_num("revision", r.revision).key("created_at");
  write_time(w, r.created_at);
  w.key("updated_at");
  write_time(w, r.updated_at);
  w.key("document").raw(r.document_json.empty() ? "null" : r.document_json);
  w.end_object();
}

http::Response policy_response(int status, const store::PolicyRecord& r) {
  JsonWriter w;
  write_policy_record(w, r);
  return json_response(status, w.take());
}

// already_exists from the store names "name", "scope" or "id".
Problem clash_problem(const Error& e) {
  return make_problem(409, "already_exists", e.message, e.field.empty() ? std::string("name") : e.field);
}

}  // namespace policy_api_detail

ApiResult<policy::Policy> read_policy_document(Env& env, const Call& call) {
  namespace d = policy_api_detail;
  policy::ParseOptions opts;
  std::string_view ct = call.req.header("content-type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  // Like every JSON body of the API, any other media type is read as JSON.
  if (ct == "application/yaml" || ct == "application/x-yaml" || ct == "text/yaml") {
    opts.format = policy::Format::yaml;
  } else {
    opts.format = policy::Format::json;
  }
  ESIMO_TRY(auto catalog, tenant_carriers(env.ctx.store, call.tenant()));
  opts.catalog = &catalog;
  policy::Diagnostic diag;
  auto parsed = policy::parse_policy(call.req.body, opts, &diag);
  if (!parsed) return d::invalid_policy(diag);
  policy::Policy p = std::move(parsed).value();
  // The scope must name something of this tenant.
  if (p.scope.kind == policy::ScopeKind::group) {
    auto g = env.ctx.store.get_group(call.tenant(), p.scope.group);
    if (!g) {
      if (g.error().code != Errc::not_found) return g.error();
      return d::invalid_policy_scope("scope.group", "group '" + p.scope.group + "' does not exist");
    }
  } else if (p.scope.kind == policy::ScopeKind::device && p.scope.device) {
    auto dev = env.ctx.store.get_device(call.tenant(), *p.scope.device);
    if (!dev) {
      if (dev.error().code != Errc::not_found) return dev.error();
      return d::invalid_policy_scope("scope.device", "device " + p.scope.device->str() + " does not exist");
    }
  }
  return p;
}

ApiResult<http::Response> h_policies_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "", true));
  ESIMO_TRY(auto page, env.ctx.store.list_policies(call.tenant(), q.page()));
  return page_response(page, policy_api_detail::write_policy_record, q, env, call);
}

ApiResult<http::Response> h_policies_create(Env& env, Call& call) {
  namespace d = policy_api_detail;
  ESIMO_TRY(policy::Policy p, read_policy_document(env, call));
  store::PolicyRecord r;
  r.tenant_id = call.tenant();
  r.id = "pol_" + crypto::random_alnum(16);
  r.name = p.name;
  r.scope_kind = d::scope_kind(p.scope);
  r.scope_target = d::scope_target(p.scope);
  r.document_json = policy::to_json(p);
  r.revision = 1;
  r.created_at = r.updated_at = env.ctx.clock.now();
  auto st = env.ctx.store.create_policy(r);
  if (!st) {
    if (st.error().code == Errc::already_exists) return d::clash_problem(st.error());
    return st.error();
  }
  engine_policies_changed(env, call.tenant());
  auto resp = d::policy_response(201, r);
  resp.set_header("location", "/v1/policies/" + r.id);
  return resp;
}

ApiResult<http::Response> h_policy_get(Env& env, Call& call) {
  ESIMO_TRY(auto r, env.ctx.store.get_policy(call.tenant(), call.params[0]));
  return policy_api_detail::policy_response(200, r);
}

ApiResult<http::Response> h_policy_put(Env& env, Call& call) {
  namespace d = policy_api_detail;
  ESIMO_TRY(auto r, env.ctx.store.get_policy(call.tenant(), call.params[0]));
  ESIMO_TRY(policy::Policy p, read_policy_document(env, call));
  const std::int64_t expected = r.revision;
  r.name = p.name;
  r.scope_kind = d::scope_kind(p.scope);
  r.scope_target = d::scope_target(p.scope);
  r.document_json = policy::to_json(p);
  r.updated_at = env.ctx.clock.now();
  auto st = env.ctx.store.update_policy(r, expected);
  if (!st) {
    if (st.error().code == Errc::already_exists) return d::clash_problem(st.error());
    if (st.error().code == Errc::conflict) {
      return make_problem(409, "conflict", "policy " + r.id + " changed meanwhile; read it again", "revision");
    }
    return st.error();
  }
  r.revision = expected + 1;
  engine_policies_changed(env, call.tenant());
  return d::policy_response(200, r);
}

ApiResult<http::Response> h_policy_delete(Env& env, Call& call) {
  ESIMO_CHECK(env.ctx.store.delete_policy(call.tenant(), call.params[0]));
  engine_policies_changed(env, call.tenant());
  return no_content();
}

ApiResult<http::Response> h_policies_validate(Env& env, Call& call) {
  namespace d = policy_api_detail;
  ESIMO_TRY(policy::Policy p, read_policy_document(env, call));
  JsonWriter w;
  w.begin_object().field_bool("valid", true).field("name", p.name).key("scope").begin_object().field(
      "kind", d::scope_kind(p.scope));
  const std::string target = d::scope_target(p.scope);
  if (target.empty()) {
    w.key("target").null();
  } else {
    w.field("target", target);
  }
  w.end_object().field_num("rules", static_cast<std::int64_t>(p.rules ? p.rules->size() : 0));
  w.key("document").raw(policy::to_json(p));
  w.end_object();
  return json_response(200, w.take());
}

}  // namespace esimo::api
