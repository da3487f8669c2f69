// Routing, the OpenAPI document, health/readiness/metrics, and the problem format.
#include <cctype>
#include <functional>
#include <optional>
#include <set>

#include "api_fixture.hpp"
#include "base/log.hpp"

namespace esimo::api::testing {
namespace {

using http::Method;

class ServiceTest : public ApiTest {};

std::string method_key(Method m) {
  std::string s = http::method_name(m);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<Method> method_of(std::string_view key) {
  for (Method m : {Method::get, Method::post, Method::put, Method::patch, Method::del}) {
    if (method_key(m) == key) return m;
  }
  return std::nullopt;
}

// "/v1/devices/{eid}" -> "/v1/devices/sample"
std::string instantiate(std::string path) {
  for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
    path.replace(open, path.find('}', open) - open + 1, "sample");
  }
  return path;
}

TEST_F(ServiceTest, OpenApiCoversEveryRouteAndOnlyRoutes) {
  auto r = get("/v1/openapi.json", "");
  ASSERT_EQ(r.status, 200);
  auto doc = json(r).as_object();
  EXPECT_EQ(doc["openapi"].as_string(), "3.1.0");
  const auto& paths = doc["paths"].as_object();
  const auto& schemas = doc["components"].as_object().at("schemas").as_object();

  // Every route is documented, with the right role.
  std::set<std::pair<std::string, std::string>> routed;
  for (const auto& route : service_->routes()) {
    routed.insert({route.path, method_key(route.method)});
    const auto* item = paths.if_contains(route.path);
    ASSERT_NE(item, nullptr) << route.path;
    const auto* op = item->as_object().if_contains(method_key(route.method));
    ASSERT_NE(op, nullptr) << route.path << " " << method_key(route.method);
    EXPECT_FALSE(op->as_object().at("summary").as_string().empty());
    EXPECT_TRUE(op->as_object().at("responses").as_object().contains("default"));
  }
  // Every documented path+method is routed to that very route.
  std::size_t documented = 0;
  for (const auto& [path, item] : paths) {
    for (const auto& [mkey, op] : item.as_object()) {
      ++documented;
      auto m = method_of(mkey);
      ASSERT_TRUE(m.has_value()) << mkey;
      EXPECT_TRUE(routed.count({std::string(path), std::string(mkey)})) << path << " " << mkey;
      EXPECT_EQ(service_->route_of(*m, instantiate(std::string(path))), std::string(path)) << path;
    }
  }
  EXPECT_EQ(documented, routed.size());

  // Every $ref resolves.
  std::function<void(const boost::json::value&)> check_refs = [&](const boost::json::value& v) {
    if (const auto* o = v.if_object()) {
      for (const auto& [k, sub] : *o) {
        if (k == "$ref") {
          std::string ref(sub.as_string());
          ASSERT_EQ(ref.rfind("#/components/schemas/", 0), 0u) << ref;
          EXPECT_TRUE(schemas.contains(ref.substr(21))) << ref;
        } else {
          check_refs(sub);
        }
      }
    } else if (const auto* a = v.if_array()) {
      for (const auto& sub : *a) check_refs(sub);
    }
  };
  check_refs(doc);
  for (const char* s : {"Device", "Profile", "Group", "Carrier", "RateCard", "Operation", "Country", "Problem",
                        "Money", "ImportResult", "DeviceList"}) {
    EXPECT_TRUE(schemas.contains(s)) << s;
  }
  // Lists document limit and after; the devices list its repeatable tag filter.
  const auto& list = paths.at("/v1/devices").as_object().at("get").as_object();
  std::set<std::string> params;
  for (const auto& p : list.at("parameters").as_array()) params.insert(std::string(p.as_object().at("name").as_string()));
  EXPECT_EQ(params, (std::set<std::string>{"group", "tag", "country", "carrier", "lifecycle", "limit", "after"}));
}

TEST_F(ServiceTest, RoutingEdges) {
  EXPECT_EQ(service_->route_of(Method::get, "/v1/devices/" + eid_n(1)), "/v1/devices/{eid}");
  EXPECT_EQ(service_->route_of(Method::post, "/v1/devices:import"), "/v1/devices:import");
  EXPECT_EQ(service_->route_of(Method::post, "/v1/operations/op_1:cancel"), "/v1/operations/{id}:cancel");
  EXPECT_EQ(service_->route_of(Method::get, "/v1/operations/op_1:cancel"), "");
  EXPECT_EQ(service_->route_of(Method::get, "/v1/operations/op_1"), "/v1/operations/{id}");
  EXPECT_EQ(service_->route_of(Method::get, "/v1/carriers/br-vivo/rates"), "/v1/carriers/{id}/rates");
  EXPECT_EQ(service_->route_of(Method::del, "/v1/carriers/br-vivo/rates/BR"), "/v1/carriers/{id}/rates/{country}");
  EXPECT_EQ(service_->route_of(Method::get, "/v1/devices/"), "");
  EXPECT_EQ(service_->route_of(Method::get, "/v1/devices:import"), "");
  EXPECT_EQ(service_->route_of(Method::get, "/v2/devices"), "");

  auto r = get("/v1/nothing", a_admin_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code(r), "not_found");
  r = call(Method::put, "/v1/devices", a_admin_);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(code(r), "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "GET, POST");
  r = call(Method::post, "/v1/devices/" + eid_n(1), a_admin_);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, PATCH, DELETE");
}

TEST_F(ServiceTest, OpenApiInfoFromOptions) {
  auto doc = json(get("/v1/openapi.json", "")).as_object();
  EXPECT_EQ(doc["info"].as_object()["version"].as_string(), "0.1.0");
  EXPECT_EQ(doc["servers"].as_array()[0].as_object().at("url").as_string(), "http://api.test");
  EXPECT_EQ(doc["paths"].as_object()["/healthz"].as_object()["get"].as_object()["security"].as_array().size(), 0u);
  EXPECT_EQ(doc["paths"].as_object()["/v1/operations/{id}:cancel"].as_object()["post"].as_object()["x-esimo-role"]
                .as_string(),
            "operator");
}

TEST_F(ServiceTest, HealthReadyMetricsNeedNoKey) {
  auto r = get("/healthz", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json(r).as_object()["status"].as_string(), "ok");
  EXPECT_EQ(get("/readyz", "").status, 200);

  ASSERT_EQ(get("/v1/devices/" + eid_n(5), a_viewer_).status, 404);
  ASSERT_EQ(get("/v1/devices", a_viewer_).status, 200);
  r = get("/metrics", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find(R"(esimo_http_requests_total{route="/v1/devices/{eid}",method="GET",status="404"} 1)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"(esimo_http_requests_total{route="/v1/devices",method="GET",status="200"} 1)"),
            std::string::npos);
  EXPECT_NE(r.body.find(R"(esimo_http_request_seconds_count{route="/v1/devices/{eid}",method="GET"} 1)"),
            std::string::npos);
  EXPECT_EQ(r.body.find(eid_n(5)), std::string::npos);  // the template, never the raw path
}

TEST_F(ServiceTest, ProblemDocumentShape) {
  auto r = get("/v1/devices/1234", a_viewer_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto v = json(r).as_object();
  EXPECT_EQ(v["type"].as_string(), "https://esimo.dev/problems/invalid_eid");
  EXPECT_EQ(v["title"].as_string(), "Bad Request");
  EXPECT_EQ(v["status"].as_int64(), 400);
  EXPECT_EQ(v["code"].as_string(), "invalid_eid");
  EXPECT_EQ(v["field"].as_string(), "eid");
  EXPECT_FALSE(v["detail"].as_string().empty());
  EXPECT_EQ(v["request_id"].as_string(), "req-test");

  http::Request req;
  req.method = Method::get;
  req.path = "/healthz";
  auto resp = service_->handle(req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_FALSE(req.request_id.empty());  // assigned when the server did not
}

TEST_F(ServiceTest, HeadIsGetWithoutBody) {
  auto r = call(Method::head, "/v1/devices", a_viewer_);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(ServiceTest, OneJsonLogLinePerRequest) {
  log::set_level(log::Level::info);
  log::flush();  // nothing logged earlier lands in the capture
  ::testing::internal::CaptureStderr();
  auto r = get("/v1/devices/" + eid_n(3), a_viewer_);
  log::flush();  // log lines are buffered
  std::string err = ::testing::internal::GetCapturedStderr();
  log::set_level(log::Level::warn);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(err.find(R"("msg":"request")"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("request_id":"req-test")"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("route":"/v1/devices/{eid}")"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("status":404)"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("duration_us":)"), std::string::npos) << err;
  EXPECT_NE(err.find(R"("tenant":)" + std::to_string(tenant_a_)), std::string::npos) << err;
}

}  // namespace
}  // namespace esimo::api::testing
