// Groups, operations and countries.
#include "api/handlers.hpp"
#include "eim/eim_service.hpp"

namespace esimo::api {

namespace fleet_detail {
http::Response group_response(int status, const domain::Group& g) {
  JsonWriter w;
  write_group(w, g);
  return json_response(status, w.take());
}

http::Response operation_response(const domain::Operation& op) {
  JsonWriter w;
  write_operation(w, op);
  return json_response(200, w.take());
}

ApiResult<std::string> group_param(const Call& call) { return parse_group_field(call.params[0], "name"); }

// An empty body or "{}".
ApiStatus expect_empty_object(const http::Request& req) {
  if (req.body.empty()) return api_ok();
  ESIMO_TRY(auto body, parse_json(req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  return rd.finish();
}
}  // namespace fleet_detail

ApiResult<http::Response> h_groups_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "", true));
  ESIMO_TRY(auto page, env.ctx.store.list_groups(call.tenant(), q.page()));
  return page_response(page, write_group, q, env, call);
}

ApiResult<http::Response> h_groups_create(Env& env, Call& call) {
  ESIMO_TRY(auto body, parse_json(call.req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  ESIMO_TRY(std::string name, rd.req_string("name"));
  ESIMO_TRY(auto parent, rd.opt_string("parent"));
  ESIMO_CHECK(rd.finish());
  domain::Group g;
  g.tenant_id = call.tenant();
  ESIMO_TRY(g.name, parse_group_field(name, "name"));
  g.parent = std::string(domain::kRootGroup);
  if (parent) {
    ESIMO_TRY(g.parent, parse_group_field(*parent, "parent"));
  }
  GroupChecker groups(env.ctx.store, call.tenant());
  ESIMO_CHECK(groups.check(g.parent, "parent"));
  g.created_at = env.ctx.clock.now();
  auto st = env.ctx.store.create_group(g);
  if (!st) {
    if (st.error().code == Errc::already_exists) {
      return make_problem(409, "already_exists", "a group named '" + g.name + "' already exists", "name");
    }
    return st.error();
  }
  auto r = fleet_detail::group_response(201, g);
  r.set_header("location", "/v1/groups/" + g.name);
  return r;
}

ApiResult<http::Response> h_group_get(Env& env, Call& call) {
  ESIMO_TRY(auto name, fleet_detail::group_param(call));
  ESIMO_TRY(auto g, env.ctx.store.get_group(call.tenant(), name));
  return fleet_detail::group_response(200, g);
}

ApiResult<http::Response> h_group_patch(Env& env, Call& call) {
  ESIMO_TRY(auto name, fleet_detail::group_param(call));
  ESIMO_TRY(auto body, parse_json(call.req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  ESIMO_TRY(auto parent, rd.opt_string("parent"));
  ESIMO_CHECK(rd.finish());
  ESIMO_TRY(auto g, env.ctx.store.get_group(call.tenant(), name));
  if (parent) {
    if (g.name == domain::kRootGroup) {
      return make_problem(409, "conflict", "the root group 'fleet' has no parent", "parent");
    }
    ESIMO_TRY(g.parent, parse_group_field(*parent, "parent"));
    GroupChecker groups(env.ctx.store, call.tenant());
    ESIMO_CHECK(groups.check(g.parent, "parent"));
    if (g.parent == g.name) return make_problem(409, "conflict", "a group cannot be its own parent", "parent");
    ESIMO_CHECK(env.ctx.store.update_group(g));
  }
  return fleet_detail::group_response(200, g);
}

ApiResult<http::Response> h_group_delete(Env& env, Call& call) {
  ESIMO_TRY(auto name, fleet_detail::group_param(call));
  ESIMO_TRY(auto g, env.ctx.store.get_group(call.tenant(), name));
  if (g.name == domain::kRootGroup) return make_problem(409, "conflict", "the root group 'fleet' cannot be deleted");
  auto st = env.ctx.store.delete_group(call.tenant(), name);
  if (!st) {
    if (st.error().code == Errc::conflict) {
      return make_problem(409, "conflict", "group '" + name + "' still has devices or child groups");
    }
    return st.error();
  }
  return no_content();
}

ApiResult<http::Response> h_operations_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "eid,state,type", true));
  store::OperationFilter f;
  if (auto e = q.get("eid")) {
    ESIMO_TRY(f.eid, parse_eid_field(*e, "eid"));
  }
  if (auto s = q.get("state")) {
    auto st = domain::parse_operation_state(*s);
    if (!st) return make_problem(400, "invalid_state", "state: " + st.error().message, "state");
    f.state = *st;
  }
  if (auto t = q.get("type")) f.type = *t;
  ESIMO_TRY(auto page, env.ctx.store.list_operations(call.tenant(), f, q.page()));
  return page_response(page, write_operation, q, env, call);
}

ApiResult<http::Response> h_operation_get(Env& env, Call& call) {
  ESIMO_TRY(auto op, env.ctx.store.get_operation(call.tenant(), call.params[0]));
  return fleet_detail::operation_response(op);
}

ApiResult<http::Response> h_operation_cancel(Env& env, Call& call) {
  ESIMO_CHECK(fleet_detail::expect_empty_object(call.req));
  if (env.ctx.eim != nullptr) {
    // The eIM owns open operations (its hot per-device queue must drop the cancelled one).
    auto cancelled = env.ctx.eim->cancel(call.tenant(), call.params[0]);
    if (!cancelled) {
      if (cancelled.error().code == Errc::conflict || cancelled.error().code == Errc::failed_precondition) {
        return make_problem(409, "conflict", cancelled.error().message);
      }
      return cancelled.error();
    }
    return fleet_detail::operation_response(*cancelled);
  }
  ESIMO_TRY(auto op, env.ctx.store.get_operation(call.tenant(), call.params[0]));
  const domain::OperationState was = op.state;
  if (!domain::transition_allowed(was, domain::OperationState::cancelled)) {
    return make_problem(409, "conflict",
                        "operation " + op.id + " is " + std::string(domain::to_string(was)) + " and cannot be cancelled");
  }
  op.state = domain::OperationState::cancelled;
  op.outcome = "cancelled";
  op.updated_at = env.ctx.clock.now();
  auto st = env.ctx.store.update_operation(op, was);
  if (!st) {
    if (st.error().code == Errc::conflict) {
      return make_problem(409, "conflict", "operation " + op.id + " changed state meanwhile; read it again");
    }
    return st.error();
  }
  return fleet_detail::operation_response(op);
}

ApiResult<http::Response> h_countries_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "", false));
  (void)q;
  ESIMO_TRY(auto countries, env.ctx.store.list_countries());
  return all_response(countries, write_country);
}

}  // namespace esimo::api
