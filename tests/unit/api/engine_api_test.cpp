// The engine's REST side (issue 6) over the real RestService and SQLite store: policies (CRUD, validation with
// positions, YAML, roles, tenants), the carrier status feed, outages, explain and simulate against a real
// engine::Engine per tenant.
#include <gmock/gmock.h>

#include <map>
#include <memory>

#include "api_fixture.hpp"
#include "engine/engine.hpp"

namespace esimo::api::testing {
namespace {

using ::testing::HasSubstr;

class RecordingActuator final : public engine::Actuator {
 public:
  Status submit_switch(const domain::Eid& eid, const domain::Iccid& target, bool, const std::string& reason) override {
    switches.push_back({eid.str(), target.str(), reason});
    return {};
  }
  Status set_fallback(const domain::Eid&, const domain::Iccid&, const std::string&) override { return {}; }
  void alert(const domain::Eid&, const std::string&, const std::string&) override {}
  struct Switch {
    std::string eid, iccid, reason;
  };
  std::vector<Switch> switches;
};

class EngineApiTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    ApiOptions options;
    options.public_base_url = "http://api.test";
    options.body_limit = 64 * 1024;
    ApiContext ctx{*store_, clock_, metrics_, options, nullptr};
    ctx.engines = [this](domain::TenantId t) -> engine::Engine* {
      auto it = engines_.find(t);
      if (it == engines_.end()) {
        it = engines_.emplace(t, std::make_unique<engine::Engine>(engine_config_, actuator_)).first;
      }
      return it->second.get();
    };
    service_ = std::make_unique<RestService>(ctx);
  }
  void TearDown() override {
    service_.reset();
    engines_.clear();
    ApiTest::TearDown();
  }

  http::Response put(std::string_view target, std::string_view key, std::string body,
                     std::string_view content_type = "application/json") {
    return call(http::Method::put, target, key, std::move(body), content_type);
  }
  http::Response del(std::string_view target, std::string_view key) { return call(http::Method::del, target, key); }

  // A device of tenant A with a Vivo profile (enabled) and a Claro profile.
  void create_dual_device(std::uint64_t n) {
    create_device(a_admin_, n,
                  R"("profiles":[{"iccid":")" + iccid_n(n * 10) + R"(","carrier":"br-vivo","state":"enabled"},)" +
                      R"({"iccid":")" + iccid_n(n * 10 + 1) + R"(","carrier":"br-claro"}])");
  }

  RecordingActuator actuator_;
  engine::EngineConfig engine_config_;  // of the engines made from now on
  std::map<domain::TenantId, std::unique_ptr<engine::Engine>> engines_;
};

constexpr std::string_view kFleetPolicy = R"({
  "name": "fleet-default",
  "scope": {"fleet": true},
  "carriers": {"prefer": ["br-claro"]},
  "rules": [
    {"name": "weak-signal", "when": "signal.rsrp < -115 dBm for 10m", "do": "switch best"}
  ]
})";

std::string str_of(const boost::json::value& v, std::string_view key) {
  const auto* m = v.as_object().if_contains(key);
  return m && m->is_string() ? std::string(m->as_string()) : std::string();
}

TEST_F(EngineApiTest, PolicyCrudRoundTrip) {
  auto r = post("/v1/policies", a_operator_, std::string(kFleetPolicy));
  ASSERT_EQ(r.status, 201) << r.body;
  auto created = json(r);
  const std::string id = str_of(created, "id");
  EXPECT_THAT(id, ::testing::StartsWith("pol_"));
  EXPECT_EQ(r.header("location"), "/v1/policies/" + id);
  EXPECT_EQ(str_of(created, "name"), "fleet-default");
  EXPECT_EQ(created.as_object()["scope"].as_object()["kind"].as_string(), "fleet");
  EXPECT_TRUE(created.as_object()["scope"].as_object()["target"].is_null());
  EXPECT_EQ(created.as_object()["revision"].as_int64(), 1);
  auto doc = created.as_object()["document"].as_object();
  EXPECT_EQ(doc["rules"].as_array()[0].as_object()["when"].as_string(), "signal.rsrp < -115 dBm for 10m");

  r = get("/v1/policies/" + id, a_viewer_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(str_of(json(r), "id"), id);

  // PUT replaces the document and bumps the revision.
  std::string v2(kFleetPolicy);
  v2.replace(v2.find("-115"), 4, "-120");
  r = put("/v1/policies/" + id, a_operator_, v2);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r).as_object()["revision"].as_int64(), 2);
  EXPECT_THAT(r.body, HasSubstr("-120 dBm"));

  r = get("/v1/policies", a_viewer_);
  ASSERT_EQ(r.status, 200);
  auto items = json(r).as_object()["items"].as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].as_object()["revision"].as_int64(), 2);

  EXPECT_EQ(del("/v1/policies/" + id, a_operator_).status, 204);
  EXPECT_EQ(get("/v1/policies/" + id, a_viewer_).status, 404);
  EXPECT_EQ(del("/v1/policies/" + id, a_operator_).status, 404);
}

TEST_F(EngineApiTest, PolicyInYamlIsStoredAsCanonicalJson) {
  const std::string yaml =
      "name: trucks\n"
      "scope: {group: trucks}\n"
      "objective: cost\n"
      "rules:\n"
      "  - name: no-service\n"
      "    when: no_service for 5m\n"
      "    do: switch best\n";
  // The group does not exist yet: the scope is refused with its path.
  auto r = post("/v1/policies", a_admin_, yaml, "application/yaml");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(code(r), "invalid_policy");
  EXPECT_EQ(field(r), "scope.group");
  ASSERT_EQ(post("/v1/groups", a_admin_, R"({"name":"trucks"})").status, 201);
  r = post("/v1/policies", a_admin_, yaml, "application/yaml");
  ASSERT_EQ(r.status, 201) << r.body;
  auto v = json(r);
  EXPECT_EQ(v.as_object()["scope"].as_object()["target"].as_string(), "trucks");
  EXPECT_EQ(v.as_object()["document"].as_object()["objective"].as_string(), "cost");
  // A second document for the same scope is a conflict naming the scope.
  std::string other = yaml;
  other.replace(other.find("trucks"), 6, "trucks-2");
  r = post("/v1/policies", a_admin_, other, "application/yaml");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(field(r), "scope");
  // The same name again is a conflict naming the name.
  r = post("/v1/policies", a_admin_, R"({"name":"trucks","scope":{"fleet":true}})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(field(r), "name");
  // Only the YAML media types read YAML; anything else is JSON, like every other body of the API.
  r = post("/v1/policies", a_admin_, "name: x", "text/plain");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json(r).as_object()["errors"].as_array()[0].as_object()["line"].as_int64(), 1);
}

TEST_F(EngineApiTest, ValidateNamesPathLineColumnAndExpressionPosition) {
  auto r = post("/v1/policies:validate", a_viewer_, std::string(kFleetPolicy));
  ASSERT_EQ(r.status, 200) << r.body;
  auto ok = json(r).as_object();
  EXPECT_TRUE(ok["valid"].as_bool());
  EXPECT_EQ(ok["rules"].as_int64(), 1);
  EXPECT_EQ(ok["name"].as_string(), "fleet-default");

  // A unit that does not fit the metric: path, line, column and the position inside the expression.
  const std::string bad =
      "{\n"
      "  \"name\": \"p\", \"scope\": {\"fleet\": true},\n"
      "  \"rules\": [{\"when\": \"signal.rsrp < -115 ms for 10m\", \"do\": \"switch best\"}]\n"
      "}";
  r = post("/v1/policies:validate", a_viewer_, bad);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(code(r), "invalid_policy");
  auto errors = json(r).as_object()["errors"].as_array();
  ASSERT_EQ(errors.size(), 1u);
  auto e = errors[0].as_object();
  EXPECT_EQ(e["path"].as_string(), "rules[0].when");
  EXPECT_EQ(e["line"].as_int64(), 3);
  EXPECT_GT(e["position"].as_int64(), 0);
  // The column points at the very character inside the string.
  const std::size_t line3 = bad.find("  \"rules\"");
  const std::size_t at = bad.find("ms for", line3);
  EXPECT_EQ(static_cast<std::size_t>(e["column"].as_int64()), at - line3 + 1);
  EXPECT_EQ(static_cast<std::size_t>(e["position"].as_int64()),
            at - bad.find("signal.rsrp") + 1);
  EXPECT_THAT(std::string(e["message"].as_string()), HasSubstr("ms"));

  // Unknown carrier against the real catalog of the store.
  r = post("/v1/policies:validate", a_viewer_,
           R"({"name":"p","scope":{"fleet":true},"carriers":{"deny":["no-such-telco"]}})");
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(json(r).as_object()["errors"].as_array()[0].as_object()["path"].as_string(), "carriers.deny[0]");
  // Catalog carriers by name and PLMN are fine.
  r = post("/v1/policies:validate", a_viewer_,
           R"({"name":"p","scope":{"fleet":true},"carriers":{"deny":["Vivo", "724-05"]}})");
  EXPECT_EQ(r.status, 200) << r.body;

  // A syntax error: no path, a line and a column.
  r = post("/v1/policies:validate", a_viewer_, "{\"name\": \"p\",\n  \"scope\" {}}");
  ASSERT_EQ(r.status, 422);
  e = json(r).as_object()["errors"].as_array()[0].as_object();
  EXPECT_EQ(e["line"].as_int64(), 2);
  EXPECT_GT(e["column"].as_int64(), 0);
  EXPECT_EQ(e["position"].as_int64(), 0);

  // Validation stores nothing.
  EXPECT_EQ(json(get("/v1/policies", a_viewer_)).as_object()["items"].as_array().size(), 0u);
}

TEST_F(EngineApiTest, PolicyRolesAndTenantIsolation) {
  EXPECT_EQ(post("/v1/policies", a_viewer_, std::string(kFleetPolicy)).status, 403);
  EXPECT_EQ(post("/v1/policies", "", std::string(kFleetPolicy)).status, 401);
  auto r = post("/v1/policies", a_operator_, std::string(kFleetPolicy));
  ASSERT_EQ(r.status, 201);
  const std::string id = str_of(json(r), "id");
  EXPECT_EQ(put("/v1/policies/" + id, a_viewer_, std::string(kFleetPolicy)).status, 403);
  EXPECT_EQ(del("/v1/policies/" + id, a_viewer_).status, 403);

  // Tenant B sees nothing of A's and may create its own fleet policy with the same name.
  EXPECT_EQ(get("/v1/policies/" + id, b_viewer_).status, 404);
  EXPECT_EQ(put("/v1/policies/" + id, b_admin_, std::string(kFleetPolicy)).status, 404);
  EXPECT_EQ(del("/v1/policies/" + id, b_admin_).status, 404);
  EXPECT_EQ(json(get("/v1/policies", b_viewer_)).as_object()["items"].as_array().size(), 0u);
  EXPECT_EQ(post("/v1/policies", b_admin_, std::string(kFleetPolicy)).status, 201);
  // A device scope must name a device of the caller's tenant.
  create_device(a_admin_, 7);
  const std::string dev_policy = R"({"name":"one","scope":{"device":")" + eid_n(7) + R"("}})";
  r = post("/v1/policies", b_admin_, dev_policy);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(field(r), "scope.device");
  EXPECT_EQ(post("/v1/policies", a_admin_, dev_policy).status, 201);
  EXPECT_EQ(get("/v1/policies/" + id, a_viewer_).status, 200);
}

TEST_F(EngineApiTest, CarrierStatusIsStoredAndValidated) {
  auto r = put("/v1/carriers/br-vivo/status", a_operator_,
               R"({"state":"down","countries":["br"],"note":"fibre cut in Sao Paulo"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json(r).as_object();
  EXPECT_EQ(v["state"].as_string(), "down");
  EXPECT_EQ(v["countries"].as_array()[0].as_string(), "BR");
  auto stored = store_->list_carrier_status(tenant_a_);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].note, "fibre cut in Sao Paulo");
  EXPECT_TRUE(store_->list_carrier_status(tenant_b_)->empty());

  EXPECT_EQ(put("/v1/carriers/br-vivo/status", a_viewer_, R"({"state":"up"})").status, 403);
  EXPECT_EQ(put("/v1/carriers/no-such/status", a_operator_, R"({"state":"up"})").status, 404);
  r = put("/v1/carriers/br-vivo/status", a_operator_, R"({"state":"sideways"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "state");
  r = put("/v1/carriers/br-vivo/status", a_operator_, R"({"state":"up","countries":["BR","XX1"]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "countries[1]");
  r = put("/v1/carriers/br-vivo/status", a_operator_, R"({"state":"up","colour":"red"})");
  EXPECT_EQ(code(r), "unknown_field");
}

TEST_F(EngineApiTest, OutagesAreListedPerTenant) {
  store::OutageRecord o;
  o.tenant_id = tenant_a_;
  o.id = "out_br-vivo_BR_1";
  o.carrier_id = "br-vivo";
  o.country = domain::CountryCode::parse("BR").value();
  o.source = "telemetry";
  o.state = "active";
  o.detail = "12 of 40 records without service in 2m";
  o.affected_devices = 40;
  o.started_at = o.updated_at = clock_.now();
  ASSERT_TRUE(store_->put_outage(o).ok());
  auto r = get("/v1/outages", a_viewer_);
  ASSERT_EQ(r.status, 200);
  auto items = json(r).as_object()["items"].as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].as_object()["carrier"].as_string(), "br-vivo");
  EXPECT_EQ(items[0].as_object()["affected_devices"].as_int64(), 40);
  EXPECT_TRUE(items[0].as_object()["ended_at"].is_null());
  r = get("/v1/outages/out_br-vivo_BR_1", a_viewer_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(get("/v1/outages", b_viewer_)).as_object()["items"].as_array().size(), 0u);
  EXPECT_EQ(get("/v1/outages/out_br-vivo_BR_1", b_viewer_).status, 404);
}

TEST_F(EngineApiTest, ExplainShowsPolicyEvidenceAndTenantIsolation) {
  create_dual_device(1);
  ASSERT_EQ(post("/v1/policies", a_admin_, std::string(kFleetPolicy)).status, 201);
  const std::string t0 = format_rfc3339(clock_.now() - std::chrono::minutes(1));
  const std::string t1 = format_rfc3339(clock_.now());
  auto r = post("/v1/telemetry", a_operator_,
                R"([{"eid":")" + eid_n(1) + R"(","time":")" + t0 +
                    R"(","serving_plmn":"724-06","rat":"LTE-M","rsrp":-100,"latency_ms":80,"attached":true},)" +
                    R"({"eid":")" + eid_n(1) + R"(","time":")" + t1 +
                    R"(","serving_plmn":"724-06","rsrp":-104,"latency_ms":120,"attached":true,)" +
                    R"("position":{"lat":-23.5,"lon":-46.6,"country":"BR"}}])");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json(r).as_object()["accepted"].as_int64(), 2);

  r = get("/v1/devices/" + eid_n(1) + "/explain", a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json(r).as_object();
  EXPECT_EQ(v["eid"].as_string(), eid_n(1));
  EXPECT_THAT(std::string(v["policy"].as_object()["name"].as_string()), HasSubstr("fleet-default"));
  auto ev = v["evidence"].as_object();
  EXPECT_EQ(ev["carrier"].as_string(), "br-vivo");
  EXPECT_EQ(ev["enabled_iccid"].as_string(), iccid_n(10));
  EXPECT_EQ(ev["samples"].as_int64() > 0, true);
  EXPECT_EQ(ev["country"].as_string(), "BR");
  EXPECT_TRUE(ev["attached"].as_bool());
  EXPECT_TRUE(v["decisions"].is_array());

  // Without a position, the serving PLMN's MCC says where the device is.
  create_dual_device(3);
  r = post("/v1/telemetry", a_operator_,
           R"([{"eid":")" + eid_n(3) + R"(","time":")" + t1 + R"(","serving_plmn":"262-01","attached":true}])");
  ASSERT_EQ(r.status, 202);
  r = get("/v1/devices/" + eid_n(3) + "/explain", a_viewer_);
  ASSERT_EQ(r.status, 200);
  auto ev3 = json(r).as_object()["evidence"].as_object();
  EXPECT_EQ(ev3["country"].as_string(), "DE");
  // Its enabled profile is Brazilian: roaming in Germany, said with the home country and since when.
  EXPECT_EQ(ev3["home_country"].as_string(), "BR") << r.body;
  EXPECT_TRUE(ev3["roaming"].as_bool()) << r.body;
  EXPECT_TRUE(ev3["roaming_since"].is_string()) << r.body;
  EXPECT_FALSE(ev["roaming"].as_bool());

  // An empty body is not an array (nothing counted); the records so far are counted by outcome.
  r = post("/v1/telemetry", a_operator_, "", "application/json");
  EXPECT_EQ(r.status, 400);
  auto m = get("/metrics", "");
  EXPECT_THAT(m.body, HasSubstr(R"(esimo_telemetry_records_total{result="accepted"} 3)"));
  EXPECT_THAT(m.body, HasSubstr(R"(esimo_telemetry_records_total{result="rejected"} 0)"));

  EXPECT_EQ(get("/v1/devices/" + eid_n(1) + "/explain", b_viewer_).status, 404);
  EXPECT_EQ(get("/v1/devices/" + eid_n(2) + "/explain", a_viewer_).status, 404);
}

TEST_F(EngineApiTest, SimulateSaysWhoWouldSwitchToWhatAndWhy) {
  create_dual_device(1);
  create_dual_device(2);
  const std::string candidate = R"({"name":"leave-vivo","scope":{"fleet":true},
    "rules":[{"name":"off-vivo","when":"carrier == \"br-vivo\"","do":"switch to carrier \"br-claro\""}]})";
  auto r = post("/v1/policies:simulate", a_viewer_, candidate);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json(r).as_object();
  EXPECT_EQ(v["policy"].as_string(), "leave-vivo");
  EXPECT_EQ(v["would_switch"].as_int64(), 2);
  auto decisions = v["decisions"].as_array();
  ASSERT_EQ(decisions.size(), 2u);
  auto d0 = decisions[0].as_object();
  EXPECT_EQ(d0["action"].as_string(), "switch");
  EXPECT_EQ(d0["target_carrier"].as_string(), "br-claro");
  EXPECT_EQ(d0["target_iccid"].as_string(), iccid_n(std::string(d0["eid"].as_string()) == eid_n(1) ? 11 : 21));
  EXPECT_THAT(std::string(d0["reason"].as_string()), HasSubstr("off-vivo"));
  EXPECT_THAT(std::string(d0["reason"].as_string()), HasSubstr("leave-vivo"));
  // A dry run: nothing was sent, nothing stored.
  EXPECT_TRUE(actuator_.switches.empty());
  EXPECT_EQ(json(get("/v1/policies", a_viewer_)).as_object()["items"].as_array().size(), 0u);
  // Tenant B's fleet is empty.
  r = post("/v1/policies:simulate", b_viewer_, candidate);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json(r).as_object()["decisions"].as_array().size(), 0u);
  // An invalid candidate is refused like validate.
  r = post("/v1/policies:simulate", a_viewer_, R"({"name":"x","scope":{"fleet":true},"rules":[{"when":"bogus","do":"switch best"}]})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(field(r), "rules[0].when");
}

// A device that reported service and then nothing for longer than the engine's silence_after: explain says it is
// presumed without service ("silent": true) since its last record, until its next record.
TEST_F(EngineApiTest, ExplainShowsASilentDevicePresumedWithoutService) {
  engine_config_.silence_after = std::chrono::minutes(10);
  create_dual_device(1);
  const TimePoint t0 = clock_.now();
  auto r = post("/v1/telemetry", a_operator_,
                R"([{"eid":")" + eid_n(1) + R"(","time":")" + format_rfc3339(t0) +
                    R"(","serving_plmn":"724-06","rsrp":-100,"attached":true}])");
  ASSERT_EQ(r.status, 202) << r.body;
  engine::Engine& e = *engines_.begin()->second;
  e.tick(t0 + std::chrono::minutes(10));
  auto ev = json(get("/v1/devices/" + eid_n(1) + "/explain", a_viewer_)).as_object()["evidence"].as_object();
  EXPECT_TRUE(ev["attached"].as_bool());
  EXPECT_FALSE(ev["silent"].as_bool());
  EXPECT_TRUE(ev["no_service_since"].is_null());
  clock_.advance(std::chrono::minutes(11));
  e.tick(clock_.now());
  r = get("/v1/devices/" + eid_n(1) + "/explain", a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  ev = json(r).as_object()["evidence"].as_object();
  EXPECT_FALSE(ev["attached"].as_bool()) << r.body;
  EXPECT_TRUE(ev["silent"].as_bool()) << r.body;
  EXPECT_EQ(ev["no_service_since"].as_string(), format_rfc3339(t0)) << r.body;
  EXPECT_EQ(ev["last_seen"].as_string(), format_rfc3339(t0)) << r.body;
  // Its next record ends the presumption.
  r = post("/v1/telemetry", a_operator_,
           R"([{"eid":")" + eid_n(1) + R"(","time":")" + format_rfc3339(clock_.now()) +
               R"(","serving_plmn":"724-06","rsrp":-100,"attached":true}])");
  ASSERT_EQ(r.status, 202) << r.body;
  ev = json(get("/v1/devices/" + eid_n(1) + "/explain", a_viewer_)).as_object()["evidence"].as_object();
  EXPECT_TRUE(ev["attached"].as_bool());
  EXPECT_FALSE(ev["silent"].as_bool());
}

class NoEngineApiTest : public ApiTest {};

TEST_F(NoEngineApiTest, ExplainAndSimulateNeedAnEngine) {
  create_device(a_admin_, 1);
  auto r = get("/v1/devices/" + eid_n(1) + "/explain", a_viewer_);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(code(r), "engine_not_configured");
  r = post("/v1/policies:simulate", a_viewer_, std::string(kFleetPolicy));
  EXPECT_EQ(r.status, 503);
  // Policies and telemetry validation still work without one.
  EXPECT_EQ(post("/v1/policies", a_admin_, std::string(kFleetPolicy)).status, 201);
  r = post("/v1/telemetry", a_operator_,
           R"([{"eid":")" + eid_n(1) + R"(","time":"2026-11-25T10:00:00Z","attached":false}])");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json(r).as_object()["accepted"].as_int64(), 1);
}

}  // namespace
}  // namespace esimo::api::testing
