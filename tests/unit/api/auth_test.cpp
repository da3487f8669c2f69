// API keys, roles x every route, and tenant isolation across every resource.
#include <functional>
#include <map>

#include "api_fixture.hpp"

namespace esimo::api::testing {
namespace {

using http::Method;

class AuthTest : public ApiTest {};

TEST_F(AuthTest, KeyFormatHashAndAuthenticate) {
  auto& keys = service_->keys();
  auto k = keys.create(tenant_a_, domain::Role::operator_, "ci");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->secret.rfind("esk_" + k->key.id + "_", 0), 0u);
  EXPECT_EQ(k->secret.size(), 4 + k->key.id.size() + 1 + 32);
  EXPECT_EQ(KeyService::key_id_of(k->secret), k->key.id);
  auto stored = store_->get_api_key(k->key.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->secret_hash.size(), 64u);
  EXPECT_EQ(stored->secret_hash.find(k->secret), std::string::npos);
  EXPECT_EQ(stored->label, "ci");

  auto p = keys.authenticate("Bearer " + k->secret);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tenant, tenant_a_);
  EXPECT_EQ(p->role, domain::Role::operator_);
  EXPECT_EQ(p->key_id, k->key.id);
  EXPECT_TRUE(keys.authenticate("bearer " + k->secret).ok());

  std::string wrong = k->secret;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  for (const std::string& h : {std::string(), std::string("Bearer"), "Basic " + k->secret, "Bearer " + wrong,
                               std::string("Bearer esk_key_nope_") + std::string(32, 'a'), std::string("Bearer x")}) {
    auto r = keys.authenticate(h);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, Errc::unauthenticated);
  }
  // The wrong secret is refused also while the right one is cached.
  EXPECT_FALSE(keys.authenticate("Bearer " + wrong).ok());

  auto listed = keys.list(tenant_a_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 4u);  // three from SetUp + this one
}

TEST_F(AuthTest, RevokedElsewhereStopsWithinOneSecondNewKeyAtOnce) {
  auto& keys = service_->keys();
  auto k = keys.create(tenant_a_, domain::Role::viewer, "");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(get("/v1/devices", k->secret).status, 200);  // accepted at once, now cached
  // Revoked by another process (the CLI) straight in the store: the cache may serve it for up to 1 s.
  ASSERT_TRUE(store_->revoke_api_key(k->key.id, clock_.now()).ok());
  EXPECT_EQ(get("/v1/devices", k->secret).status, 200);
  clock_.advance(std::chrono::milliseconds(1001));
  auto r = get("/v1/devices", k->secret);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code(r), "unauthenticated");
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  // Revoked through the service: at once.
  auto k2 = keys.create(tenant_a_, domain::Role::viewer, "");
  ASSERT_TRUE(k2.ok());
  EXPECT_EQ(get("/v1/devices", k2->secret).status, 200);
  ASSERT_TRUE(keys.revoke(k2->key.id).ok());
  EXPECT_EQ(get("/v1/devices", k2->secret).status, 401);
}

TEST_F(AuthTest, MissingOrBadKeyIs401OnEveryProtectedRoute) {
  for (const auto& route : service_->routes()) {
    std::string path = route.path;
    for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"{eid}", eid_n(1)}, {"{iccid}", iccid_n(1)}, {"{name}", "fleet"}, {"{id}", "x"}, {"{country}", "BR"}}) {
      if (auto pos = path.find(from); pos != std::string::npos) path.replace(pos, from.size(), to);
    }
    auto r = call(route.method, path, "", "{}");
    if (route.access == Access::open) {
      EXPECT_EQ(r.status, 200) << path;
    } else {
      EXPECT_EQ(r.status, 401) << http::method_name(route.method) << " " << path;
      EXPECT_EQ(code(r), "unauthenticated") << path;
      EXPECT_EQ(call(route.method, path, "esk_key_zz_" + std::string(32, 'z'), "{}").status, 401) << path;
    }
  }
}

// One valid request per protected route, built fresh for each call (k makes names unique).
struct Recipe {
  Method method;
  std::string target;
  std::string body;
  std::string content_type = "application/json";
};

class RolesTest : public ApiTest {
 protected:
  bool use_eim() const override { return true; }
  Recipe recipe(const RouteInfo& route, int k) {
    const std::string p = route.path;
    const auto m = route.method;
    const std::string ks = std::to_string(k);
    auto own_carrier = [&] {
      EXPECT_EQ(post("/v1/carriers", a_admin_, R"({"id":"own)" + ks + R"(","name":"Own"})").status, 201);
      return "own" + ks;
    };
    const std::string rate = R"({"country":"DE","price_per_mb":{"amount":"1","currency":"EUR"},)"
                             R"("price_per_sms":{"amount":"1","currency":"EUR"},"monthly_fee":{"amount":"1","currency":"EUR"}})";
    if (p == "/v1/devices") {
      if (m == Method::get) return {m, p, ""};
      return {m, p, R"({"eid":")" + eid_n(1000 + k) + "\"}"};
    }
    if (p == "/v1/devices:import") return {m, p, "eid\n" + eid_n(2000 + k) + "\n", "text/csv"};
    if (p == "/v1/devices/{eid}") {
      create_device(a_admin_, 3000 + k);
      return {m, "/v1/devices/" + eid_n(3000 + k), m == Method::patch ? R"({"name":"n"})" : ""};
    }
    if (p == "/v1/groups") {
      if (m == Method::get) return {m, p, ""};
      return {m, p, R"({"name":"g)" + ks + "\"}"};
    }
    if (p == "/v1/groups/{name}") {
      EXPECT_EQ(post("/v1/groups", a_admin_, R"({"name":"gg)" + ks + "\"}").status, 201);
      return {m, "/v1/groups/gg" + ks, m == Method::patch ? R"({"parent":"fleet"})" : ""};
    }
    if (p == "/v1/carriers") {
      if (m == Method::get) return {m, p, ""};
      return {m, p, R"({"id":"c)" + ks + R"(","name":"C"})"};
    }
    if (p == "/v1/carriers/{id}") {
      if (m == Method::get) return {m, "/v1/carriers/br-vivo", ""};
      return {m, "/v1/carriers/" + own_carrier(), m == Method::patch ? R"({"name":"N"})" : ""};
    }
    if (p == "/v1/carriers/{id}/rates") {
      if (m == Method::get) return {m, "/v1/carriers/br-vivo/rates", ""};
      return {m, "/v1/carriers/br-vivo/rates", "[" + rate + "]"};
    }
    if (p == "/v1/carriers/{id}/rates/{country}") {
      std::string id = own_carrier();
      EXPECT_EQ(call(Method::put, "/v1/carriers/" + id + "/rates", a_admin_, "[" + rate + "]").status, 200);
      return {m, "/v1/carriers/" + id + "/rates/DE", ""};
    }
    if (p == "/v1/rates:import") {
      return {m, p, "carrier,country,currency,price_per_mb,price_per_sms,monthly_fee\nbr-vivo,BR,EUR,1,1,1\n",
              "text/csv"};
    }
    if (p == "/v1/profiles") return {m, p, ""};
    if (p == "/v1/profiles/{iccid}") {
      create_device(a_admin_, 4000 + k,
                    R"("profiles":[{"iccid":")" + iccid_n(4000 + k) + R"(","carrier":"br-vivo"}])");
      return {m, "/v1/profiles/" + iccid_n(4000 + k), ""};
    }
    if (p == "/v1/operations") return {m, p, ""};
    if (p == "/v1/operations/{id}" || p == "/v1/operations/{id}:cancel") {
      create_device(a_admin_, 5000 + k);
      std::string id = create_operation(tenant_a_, 5000 + k, domain::OperationState::queued);
      return {m, p == "/v1/operations/{id}" ? "/v1/operations/" + id : "/v1/operations/" + id + ":cancel", ""};
    }
    if (p == "/v1/countries") return {m, p, ""};
    if (p == "/v1/devices/{eid}/operations") {
      create_device(a_admin_, 6000 + k);
      return {m, "/v1/devices/" + eid_n(6000 + k) + "/operations", R"({"type":"get_rat"})"};
    }
    // engine resources (issue 6)
    auto device_policy = [&](int n) {
      create_device(a_admin_, 7000 + n);
      return R"({"name":"p)" + std::to_string(n) + R"(","scope":{"device":")" + eid_n(7000 + n) + "\"}}";
    };
    if (p == "/v1/policies") {
      if (m == Method::get) return {m, p, ""};
      return {m, p, device_policy(k)};
    }
    if (p == "/v1/policies:validate" || p == "/v1/policies:simulate") {
      return {m, p, R"({"name":"v","scope":{"fleet":true}})"};
    }
    if (p == "/v1/policies/{id}") {
      std::string doc = device_policy(k);
      auto created = post("/v1/policies", a_admin_, doc);
      EXPECT_EQ(created.status, 201) << created.body;
      std::string id(json(created).as_object()["id"].as_string());
      return {m, "/v1/policies/" + id, m == Method::put ? doc : ""};
    }
    if (p == "/v1/telemetry") {
      create_device(a_admin_, 8000 + k);
      return {m, p, R"([{"eid":")" + eid_n(8000 + k) + R"(","time":"2026-11-25T10:00:00Z","attached":true}])"};
    }
    if (p == "/v1/carriers/{id}/status") return {m, "/v1/carriers/br-vivo/status", R"({"state":"degraded"})"};
    if (p == "/v1/outages") return {m, p, ""};
    if (p == "/v1/outages/{id}") {
      store::OutageRecord o;
      o.tenant_id = tenant_a_;
      o.id = "out_" + ks;
      o.carrier_id = "br-vivo";
      o.source = "status_feed";
      o.state = "active";
      EXPECT_TRUE(store_->put_outage(o).ok());
      return {m, "/v1/outages/out_" + ks, ""};
    }
    if (p == "/v1/devices/{eid}/explain") {
      create_device(a_admin_, 9000 + k);
      return {m, "/v1/devices/" + eid_n(9000 + k) + "/explain", ""};
    }
    // events and webhooks
    if (p == "/v1/events") return {m, p, ""};
    if (p == "/v1/webhooks") {
      if (m == Method::get) return {m, p, ""};
      return {m, p, R"({"url":"http://127.0.0.1:9/hook","types":["outage.*"]})"};
    }
    if (p == "/v1/webhooks/{id}") {
      auto created = post("/v1/webhooks", a_admin_, R"({"url":"http://127.0.0.1:9/hook"})");
      EXPECT_EQ(created.status, 201) << created.body;
      std::string id(json(created).as_object()["id"].as_string());
      return {m, "/v1/webhooks/" + id, ""};
    }
    ADD_FAILURE() << "no recipe for " << http::method_name(m) << " " << p;
    return {m, p, ""};
  }
};

TEST_F(RolesTest, EveryRouteByEveryRole) {
  const std::vector<std::pair<domain::Role, std::string*>> roles = {
      {domain::Role::viewer, &a_viewer_}, {domain::Role::operator_, &a_operator_}, {domain::Role::admin, &a_admin_}};
  int k = 0;
  int checked = 0;
  for (const auto& route : service_->routes()) {
    if (route.access == Access::open) continue;
    domain::Role need = route.access == Access::viewer      ? domain::Role::viewer
                        : route.access == Access::operator_ ? domain::Role::operator_
                                                            : domain::Role::admin;
    for (const auto& [role, key] : roles) {
      Recipe rc = recipe(route, ++k);
      auto r = call(rc.method, rc.target, *key, rc.body, rc.content_type);
      const std::string what = std::string(http::method_name(route.method)) + " " + route.path + " as " +
                               std::string(domain::to_string(role));
      if (domain::role_allows(role, need) && code(r) == "engine_not_configured") {
        EXPECT_EQ(r.status, 503) << what;  // allowed; this fixture runs no engine (explain, simulate)
      } else if (domain::role_allows(role, need)) {
        EXPECT_GE(r.status, 200) << what << ": " << r.body;
        EXPECT_LT(r.status, 300) << what << ": " << r.body;
      } else {
        EXPECT_EQ(r.status, 403) << what << ": " << r.body;
        EXPECT_EQ(code(r), "forbidden") << what;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 44 * 3);  // every non-open route
  // Viewer is GET only; operator adds operations and the cancel action.
  auto r = post("/v1/devices", a_operator_, R"({"eid":")" + eid_n(1) + "\"}");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(get("/v1/devices/" + eid_n(1), a_admin_).status, 404);
}

TEST_F(AuthTest, TenantIsolationEveryResource) {
  // Tenant A's world.
  ASSERT_EQ(post("/v1/groups", a_admin_, R"({"name":"secret-group"})").status, 201);
  create_device(a_admin_, 1,
                R"("group":"secret-group","profiles":[{"iccid":")" + iccid_n(1) + R"(","carrier":"br-vivo"}])");
  ASSERT_EQ(post("/v1/carriers", a_admin_, R"({"id":"acme-own","name":"A","plmns":["999-98"]})").status, 201);
  const std::string rate = R"([{"country":"DE","price_per_mb":{"amount":"1","currency":"EUR"},)"
                           R"("price_per_sms":{"amount":"1","currency":"EUR"},"monthly_fee":{"amount":"1","currency":"EUR"}}])";
  ASSERT_EQ(call(Method::put, "/v1/carriers/acme-own/rates", a_admin_, rate).status, 200);
  ASSERT_EQ(call(Method::put, "/v1/carriers/br-vivo/rates", a_admin_, rate).status, 200);
  std::string op = create_operation(tenant_a_, 1, domain::OperationState::queued);

  const std::string dev = "/v1/devices/" + eid_n(1);
  struct Probe {
    Method method;
    std::string target;
    std::string body;
  };
  const std::vector<Probe> probes = {
      {Method::get, dev, ""},
      {Method::patch, dev, R"({"name":"mine"})"},
      {Method::del, dev, ""},
      {Method::get, "/v1/profiles/" + iccid_n(1), ""},
      {Method::get, "/v1/groups/secret-group", ""},
      {Method::patch, "/v1/groups/secret-group", R"({"parent":"fleet"})"},
      {Method::del, "/v1/groups/secret-group", ""},
      {Method::get, "/v1/operations/" + op, ""},
      {Method::post, "/v1/operations/" + op + ":cancel", ""},
      {Method::get, "/v1/carriers/acme-own", ""},
      {Method::patch, "/v1/carriers/acme-own", R"({"name":"mine"})"},
      {Method::del, "/v1/carriers/acme-own", ""},
      {Method::get, "/v1/carriers/acme-own/rates", ""},
      {Method::put, "/v1/carriers/acme-own/rates", rate},
      {Method::del, "/v1/carriers/acme-own/rates/DE", ""},
      {Method::del, "/v1/carriers/br-vivo/rates/DE", ""},  // A's rate with a catalog carrier
  };
  for (const auto& key : {b_admin_, b_viewer_}) {
    for (const auto& p : probes) {
      auto r = call(p.method, p.target, key, p.body);
      if (key == b_viewer_ && p.method != Method::get) {
        EXPECT_EQ(r.status, 403) << p.target;  // the role check comes first and reveals nothing
      } else {
        EXPECT_EQ(r.status, 404) << http::method_name(p.method) << " " << p.target << ": " << r.body;
        EXPECT_EQ(code(r), "not_found") << p.target;
      }
    }
  }
  // Lists never include A's rows.
  auto items = [&](std::string_view target) { return json(get(target, b_viewer_)).as_object()["items"].as_array(); };
  EXPECT_TRUE(items("/v1/devices").empty());
  EXPECT_TRUE(items("/v1/devices?group=secret-group").empty());
  EXPECT_TRUE(items("/v1/profiles").empty());
  EXPECT_TRUE(items("/v1/profiles?eid=" + eid_n(1)).empty());
  EXPECT_TRUE(items("/v1/operations").empty());
  EXPECT_TRUE(items("/v1/carriers/br-vivo/rates").empty());
  auto groups = items("/v1/groups");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].as_object().at("name").as_string(), "fleet");
  for (const auto& c : items("/v1/carriers?limit=1000")) EXPECT_NE(c.as_object().at("id").as_string(), "acme-own");
  EXPECT_TRUE(items("/v1/carriers?plmn=999-98").empty());
  // A's carrier and group cannot be named by B.
  auto r = post("/v1/devices", b_admin_,
                R"({"eid":")" + eid_n(2) + R"(","profiles":[{"iccid":")" + iccid_n(2) + R"(","carrier":"acme-own"}]})");
  EXPECT_EQ(code(r), "unknown_carrier");
  EXPECT_EQ(code(post("/v1/devices", b_admin_, R"({"eid":")" + eid_n(2) + R"(","group":"secret-group"})")),
            "unknown_group");
  r = post("/v1/rates:import", b_admin_,
           "carrier,country,currency,price_per_mb,price_per_sms,monthly_fee\nacme-own,BR,EUR,1,1,1\n", "text/csv");
  EXPECT_EQ(code(r), "invalid_rates");
  // Everything of A is intact.
  EXPECT_EQ(json(get(dev, a_viewer_)).as_object()["name"].as_string(), "");
  EXPECT_EQ(json(get("/v1/operations/" + op, a_viewer_)).as_object()["state"].as_string(), "queued");
  EXPECT_EQ(json(get("/v1/carriers/acme-own/rates", a_viewer_)).as_object()["items"].as_array().size(), 1u);
  EXPECT_EQ(json(get("/v1/carriers/br-vivo/rates", a_viewer_)).as_object()["items"].as_array().size(), 1u);
  EXPECT_EQ(get("/v1/groups/secret-group", a_viewer_).status, 200);
  EXPECT_EQ(get("/v1/carriers/acme-own", a_viewer_).status, 200);
}

}  // namespace
}  // namespace esimo::api::testing
