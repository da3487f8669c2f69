// The engine inside the real `esimo serve` over HTTP: policies (YAML), streamed NDJSON telemetry with partial
// acceptance, a dry run, and a status-feed outage that the engine's timer thread declares and stores.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/clock.hpp"
#include "domain/identifiers.hpp"
#include "harness.hpp"

namespace esimo::itest {
namespace {

std::string engine_eid(int n) {
  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "890490320000000000000%09d", n);
  return domain::Eid::from_prefix30(prefix)->str();
}

std::string engine_iccid(int n) {
  char body[19];
  std::snprintf(body, sizeof body, "895506%012d", n);
  return domain::Iccid::from_payload(body)->str();  // Luhn check digit
}

// POST /v1/devices of `eid` with `profiles` (a JSON array); expects 201.
void create_device(net::HttpClient& client, const std::vector<http::Header>& auth, const std::string& eid,
                   const std::string& profiles) {
  auto r = client.request(http::Method::post, "/v1/devices", auth,
                          R"({"eid":")" + eid + R"(","profiles":)" + profiles + "}");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->status, 201) << r->body;
}

boost::json::value parse_body(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

TEST(EngineServe, PoliciesTelemetrySimulateAndStatusFeedOutage) {
  TempDir tmp;
  Server server(tmp / "data");
  ASSERT_TRUE(server.started()) << server.startup_error();
  auto client = server.client();
  const auto auth = bearer(server.admin_key());
  const std::string eid = engine_eid(1);
  create_device(*client, auth, eid,
                R"([{"iccid":")" + engine_iccid(1) + R"(","carrier":"724-06","state":"enabled"},{"iccid":")" +
                    engine_iccid(2) + R"(","carrier":"724-05"}])");
  if (::testing::Test::HasFatalFailure()) return;

  const std::string yaml =
      "name: fleet-default\n"
      "scope: {fleet: true}\n"
      "rules:\n"
      "  - name: outage\n"
      "    when: outage detected or carrier.status == down\n"
      "    do: switch best\n";
  auto r = client->request(http::Method::post, "/v1/policies", auth, yaml, "application/yaml");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 201) << r->body;

  // NDJSON over real HTTP: the good line is kept, the bad one reported by line and field.
  const std::string ndjson = R"({"eid":")" + eid + R"(","time":"2026-11-25T10:00:00Z","attached":true,"serving_plmn":"724-06","rsrp":-99})" +
                             "\n" + R"({"eid":")" + eid + R"(","time":"2026-11-25T10:00:10Z","attached":true,"rsrp":5})" + "\n";
  r = client->request(http::Method::post, "/v1/telemetry", auth, ndjson, "application/x-ndjson");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 202) << r->body;
  auto t = parse_body(r->body);
  ASSERT_TRUE(t.is_object()) << r->body;
  EXPECT_EQ(t.at("accepted").as_int64(), 1);
  ASSERT_EQ(t.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(t.at("rejected").as_array()[0].at("line").as_int64(), 2);
  EXPECT_EQ(t.at("rejected").as_array()[0].at("field").as_string(), "rsrp");

  r = client->request(http::Method::post, "/v1/policies:simulate", auth,
                      R"({"name":"leave-vivo","scope":{"fleet":true},"rules":[{"name":"off","when":"carrier == \"br-vivo\"","do":"switch best"}]})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  auto sim = parse_body(r->body);
  ASSERT_TRUE(sim.is_object());
  EXPECT_EQ(sim.at("would_switch").as_int64(), 1) << r->body;

  r = client->request(http::Method::put, "/v1/carriers/br-vivo/status", auth,
                      R"({"state":"down","countries":["BR"],"note":"fibre cut"})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  // The engine's timer thread declares the outage; it is stored and listed.
  std::string outages;
  for (int i = 0; i < 100; ++i) {
    auto o = client->request(http::Method::get, "/v1/outages", auth);
    ASSERT_TRUE(o.ok());
    if (o->body.find("fibre cut") != std::string::npos) {
      outages = o->body;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(outages.empty()) << "no outage listed";
  auto list = parse_body(outages);
  const auto& item = list.at("items").as_array()[0];
  EXPECT_EQ(item.at("carrier").as_string(), "br-vivo");
  EXPECT_EQ(item.at("country").as_string(), "BR");
  EXPECT_EQ(item.at("state").as_string(), "active");

  auto x = client->request(http::Method::get, "/v1/devices/" + eid + "/explain", auth);
  ASSERT_TRUE(x.ok());
  ASSERT_EQ(x->status, 200) << x->body;
  EXPECT_NE(x->body.find("fleet-default"), std::string::npos) << x->body;
}

// --engine-silence-after reaches the tenant's engine: a device whose last record (with service) is older than the
// threshold is presumed without service at the timer thread's next tick, and explain says so; without the flag it
// stays attached.
TEST(EngineServe, SilenceAfterFlagPresumesASilentDeviceWithoutService) {
  for (const bool on : {true, false}) {
    TempDir tmp;
    Server::Options options;
    if (on) options.extra_args = {"--engine-silence-after", "30m"};
    Server server(tmp / "data", options);
    ASSERT_TRUE(server.started()) << server.startup_error();
    auto client = server.client();
    const auto auth = bearer(server.admin_key());
    const std::string eid = engine_eid(2);
    create_device(*client, auth, eid,
                  R"([{"iccid":")" + engine_iccid(3) + R"(","carrier":"724-06","state":"enabled"}])");
    if (::testing::Test::HasFatalFailure()) return;
    // An hour ago (the server runs on the wall clock), with service.
    const std::string an_hour_ago = format_rfc3339(SystemClock::instance().now() - std::chrono::hours(1));
    auto r = client->request(http::Method::post, "/v1/telemetry", auth,
                        R"([{"eid":")" + eid + R"(","time":")" + an_hour_ago +
                            R"(","attached":true,"serving_plmn":"724-06","rsrp":-95}])");
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->status, 202) << r->body;
    boost::json::value evidence;
    for (int i = 0; i < 50; ++i) {  // the engine ticks once a second
      auto x = client->request(http::Method::get, "/v1/devices/" + eid + "/explain", auth);
      ASSERT_TRUE(x.ok());
      ASSERT_EQ(x->status, 200) << x->body;
      evidence = parse_body(x->body).at("evidence");
      if (!on && i >= 25) break;  // two and a half seconds: ticks enough to have presumed it
      if (on && evidence.at("silent").as_bool()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(evidence.at("silent").as_bool(), on) << boost::json::serialize(evidence);
    EXPECT_EQ(evidence.at("attached").as_bool(), !on) << boost::json::serialize(evidence);
    if (on) {
      EXPECT_EQ(evidence.at("no_service_since").as_string(), an_hour_ago);
    }
  }
}

}  // namespace
}  // namespace esimo::itest
