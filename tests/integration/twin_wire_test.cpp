// The twin end to end over real HTTP: `esimo twin run --eim ...` drives a small fleet's IPAs against a real
// `esimo serve --esipa-listen` (devices imported through its REST API), and its KPIs match the same scenario and seed
// run in-process (the network model decides reachability; the wire only carries the exchanges). Also: `esimo demo`
// serves, simulates and stops on SIGINT with exit 0; bad --engine values and bad scenario files are refused.
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "esipa_fixture.hpp"
#include "harness.hpp"
#include "twin/fleet_gen.hpp"

namespace esimo::itest {
namespace {

std::string scenario_path() { return std::string(ESIMO_SOURCE_DIR) + "/scenarios/carrier-outage.toml"; }

// The KPI JSON without the "mode" member (the one key that differs between in-process and over-the-wire runs).
std::string without_mode(std::string json) {
  const auto at = json.find(",\"mode\":");
  if (at == std::string::npos) return json;
  const auto end = json.find(',', at + 1);
  json.erase(at, end - at);
  return json;
}

class TwinWireTest : public EsipaFlowTest {};

TEST_F(TwinWireTest, ASmallScenarioOverRealHttpMatchesTheInProcessRun) {
  const auto dir = world_->dir.path();
  const auto config = dir / "twin-eim.der";
  auto exported = run_esimo({"eim", "config", "export", "--data-dir", (dir / "data").string(), "--fqdn",
                             "127.0.0.1:" + std::to_string(world_->esipa_port), "--pki", (dir / "pki").string(),
                             "--out", config.string()});
  ASSERT_EQ(exported.code, 0) << exported.err;
  const auto wire_json = dir / "wire.json";
  auto wire = run_esimo({"twin", "run", scenario_path(), "--devices", "40", "--seed", "11", "--eim", world_->eim_url(),
                         "--api", "http://127.0.0.1:" + std::to_string(world_->server->port()), "--api-key",
                         world_->server->admin_key(), "--pki", (dir / "pki").string(), "--eim-config", config.string(),
                         "--json", wire_json.string()});
  ASSERT_EQ(wire.code, 0) << wire.out << wire.err;
  const std::string wire_kpis = read_file(wire_json);
  auto k = boost::json::parse(wire_kpis).as_object();
  EXPECT_EQ(k.at("mode").as_string(), "over-the-wire");
  EXPECT_EQ(k.at("devices").as_int64(), 40);
  const auto& activity = k.at("activity").as_object();
  EXPECT_EQ(activity.at("exchange_errors").as_int64(), 0);
  EXPECT_GT(activity.at("polls").as_int64(), 40 * 60);  // 12 h of 10-minute polls, less the outage
  EXPECT_GT(k.at("affected_devices").as_int64(), 0);   // the Telekom outage hit some of the 40

  // The server holds the fleet (imported through its REST API).
  if (!rest_) rest_ = world_->server->client();
  auto dev = rest_->request(http::Method::get, "/v1/devices/" + twin::device_eid(39).str(),
                            bearer(world_->server->admin_key()));
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->status, 200) << dev->body;

  const auto local_json = dir / "local.json";
  auto local = run_esimo({"twin", "run", scenario_path(), "--devices", "40", "--seed", "11", "--json",
                          local_json.string()});
  ASSERT_EQ(local.code, 0) << local.out << local.err;
  EXPECT_EQ(without_mode(read_file(local_json)), without_mode(wire_kpis));
}

TEST(TwinCli, EngineMustBeOnOrOffAndABadScenarioNamesTheFile) {
  auto r = run_esimo({"twin", "run", scenario_path(), "--engine", "maybe"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--engine"), std::string::npos) << r.err;
  TempDir dir;
  write_file(dir / "bad.toml", "name = \"x\"\nunknown_key = 1\n");
  auto b = run_esimo({"twin", "run", (dir / "bad.toml").string()});
  EXPECT_EQ(b.code, 1);
  EXPECT_NE(b.err.find("bad.toml"), std::string::npos) << b.err;
}

TEST(TwinCli, DemoServesTheFleetAndStopsOnSigint) {
  TempDir dir;
  Child demo({ESIMO_BINARY, "demo", "--listen", "127.0.0.1:0", "--devices", "200", "--speed", "3600"}, dir / "out",
             dir / "err");
  std::string out;
  for (int i = 0; i < 300 && out.find("Ctrl-C stops.") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out = demo.out();
  }
  ASSERT_NE(out.find("Ctrl-C stops."), std::string::npos) << out << demo.err();
  EXPECT_NE(out.find("Admin API key: esk_"), std::string::npos) << out;
  EXPECT_NE(out.find("outage"), std::string::npos) << out;
  // The REST API answers with the key it printed.
  const auto api = out.find("API:      http://127.0.0.1:");
  ASSERT_NE(api, std::string::npos);
  const int port = std::stoi(out.substr(api + std::string("API:      http://127.0.0.1:").size()));
  const auto key_at = out.find("Admin API key: ") + std::string("Admin API key: ").size();
  const std::string key = out.substr(key_at, out.find('\n', key_at) - key_at);
  auto client = net::HttpClient::connect("127.0.0.1", static_cast<std::uint16_t>(port));
  ASSERT_TRUE(client.ok());
  auto r = (*client)->request(http::Method::get, "/v1/devices?limit=3", {{"Authorization", "Bearer " + key}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  demo.signal(SIGINT);
  auto code = demo.wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << demo.err();
}

}  // namespace
}  // namespace esimo::itest
