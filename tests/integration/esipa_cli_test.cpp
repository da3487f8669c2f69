// The eIM from the command line only: pki test-ca -> serve -> eim config export -> device new -> REST enable ->
// device poll -> the operation succeeded.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>

#include "domain/identifiers.hpp"
#include "harness.hpp"

namespace esimo::itest {
namespace {

TEST(EsipaCli, OneDeviceFromTheCommandLine) {
  TempDir dir;
  const std::string pki = (dir / "pki").string();
  auto made = run_esimo({"pki", "test-ca", "--out", pki});
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_NE(made.out.find("NOT for production"), std::string::npos);
  // A second run refuses to overwrite the CI.
  EXPECT_NE(run_esimo({"pki", "test-ca", "--out", pki}).code, 0);

  const auto esipa_port_file = dir / "esipa-port";
  Server::Options so;
  so.extra_args = {"--esipa-listen", "127.0.0.1:0", "--esipa-plain", "--pki", pki, "--esipa-port-file",
                   esipa_port_file.string()};
  Server server(dir / "data", so);
  ASSERT_TRUE(server.started()) << server.startup_error();
  const std::string esipa_port = std::to_string(std::stoi(read_file(esipa_port_file)));
  EXPECT_NE(server.process().out().find("ESipa:"), std::string::npos) << server.process().out();

  const std::string config = (dir / "eim.der").string();
  auto exported = run_esimo({"eim", "config", "export", "--data-dir", (dir / "data").string(), "--fqdn",
                             "127.0.0.1:" + esipa_port, "--pki", pki, "--out", config});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_NE(exported.out.find("AddInitialEimRequest"), std::string::npos);
  EXPECT_EQ(read_file(config).substr(0, 2), "\xBF\x57");

  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "890490322222222222222%09d", 1);
  const std::string eid = domain::Eid::from_prefix30(prefix)->str();
  const std::string p1 = "8944000000000000019", p2 = "89440000000000000275";
  const std::string state = (dir / "device.json").string();
  auto created = run_esimo({"device", "new", "--eid", eid, "--profile", p1 + "@724-06:enabled", "--profile",
                            p2 + "@724-06", "--eim-config", config, "--pki", pki, "--state", state});
  ASSERT_EQ(created.code, 0) << created.err;
  EXPECT_NE(created.out.find(p1 + " enabled"), std::string::npos) << created.out;

  auto rest = server.client();
  ASSERT_TRUE(rest);
  auto dev = rest->request(http::Method::post, "/v1/devices", bearer(server.admin_key()),
                           R"({"eid":")" + eid + R"(","profiles":[{"iccid":")" + p1 +
                               R"(","carrier":"724-06","state":"enabled"},{"iccid":")" + p2 + R"(","carrier":"724-06"}]})");
  ASSERT_TRUE(dev.ok());
  ASSERT_EQ(dev->status, 201) << dev->body;
  auto op = rest->request(http::Method::post, "/v1/devices/" + eid + "/operations", bearer(server.admin_key()),
                          R"({"type":"enable","iccid":")" + p2 + "\"}");
  ASSERT_TRUE(op.ok());
  ASSERT_EQ(op->status, 202) << op->body;
  const std::string id(boost::json::parse(op->body).as_object().at("id").as_string());

  auto polled = run_esimo({"device", "poll", "--state", state, "--eim", "http://127.0.0.1:" + esipa_port});
  ASSERT_EQ(polled.code, 0) << polled.err;
  EXPECT_NE(polled.out.find("enableResult ok"), std::string::npos) << polled.out;
  EXPECT_NE(polled.out.find("enabled profile: " + p2), std::string::npos) << polled.out;
  EXPECT_NE(read_file(state).find(p2), std::string::npos);

  auto got = rest->request(http::Method::get, "/v1/operations/" + id, bearer(server.admin_key()));
  ASSERT_TRUE(got.ok());
  auto j = boost::json::parse(got->body).as_object();
  EXPECT_EQ(j.at("state").as_string(), "succeeded") << got->body;
  EXPECT_EQ(j.at("outcome").as_string(), "ok");
  auto d = rest->request(http::Method::get, "/v1/devices/" + eid, bearer(server.admin_key()));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(boost::json::parse(d->body).as_object().at("active_iccid").as_string(), p2);

  // Nothing more to do: a second poll is idle and changes nothing.
  auto idle = run_esimo({"device", "poll", "--state", state, "--eim", "http://127.0.0.1:" + esipa_port});
  ASSERT_EQ(idle.code, 0) << idle.err;
  EXPECT_NE(idle.out.find("0 package(s)"), std::string::npos) << idle.out;

  // The identity survives a restart: the same eimId, so the personalised eUICC keeps talking to it.
  EXPECT_EQ(server.terminate(), 0);
  Server again(dir / "data", so);
  ASSERT_TRUE(again.started()) << again.startup_error();
  const std::string eim_id(
      boost::json::parse(read_file(dir / "data" / "eim-identity.json")).as_object().at("eim_id").as_string());
  EXPECT_NE(exported.out.find("'" + eim_id + "'"), std::string::npos) << exported.out;
  EXPECT_NE(again.process().out().find("eIM '" + eim_id + "'"), std::string::npos) << again.process().out();
  EXPECT_EQ(again.terminate(), 0);
}

TEST(EsipaCli, EsipaIsHttpsByDefaultWithThePkisTlsCertificate) {
  TempDir dir;
  const std::string pki = (dir / "pki").string();
  ASSERT_EQ(run_esimo({"pki", "test-ca", "--out", pki}).code, 0);
  const auto esipa_port_file = dir / "esipa-port";
  Server::Options so;
  so.extra_args = {"--esipa-listen", "127.0.0.1:0", "--pki", pki, "--esipa-port-file", esipa_port_file.string()};
  Server server(dir / "data", so);
  ASSERT_TRUE(server.started()) << server.startup_error();
  const std::string url = "https://127.0.0.1:" + std::to_string(std::stoi(read_file(esipa_port_file)));
  EXPECT_NE(server.process().out().find("ESipa:    https://"), std::string::npos) << server.process().out();

  const std::string config = (dir / "eim.der").string();
  ASSERT_EQ(run_esimo({"eim", "config", "export", "--data-dir", (dir / "data").string(), "--fqdn",
                       url.substr(8), "--pki", pki, "--out", config})
                .code,
            0);
  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "890490322222222222222%09d", 2);
  const std::string eid = domain::Eid::from_prefix30(prefix)->str();
  const std::string state = (dir / "device.json").string();
  ASSERT_EQ(run_esimo({"device", "new", "--eid", eid, "--profile", "8944000000000000019@724-06:enabled",
                       "--eim-config", config, "--pki", pki, "--state", state})
                .code,
            0);
  auto rest = server.client();
  ASSERT_TRUE(rest);
  auto dev = rest->request(http::Method::post, "/v1/devices", bearer(server.admin_key()),
                           R"({"eid":")" + eid + R"(","profiles":[{"iccid":"8944000000000000019","carrier":"724-06","state":"enabled"}]})");
  ASSERT_TRUE(dev.ok());
  ASSERT_EQ(dev->status, 201) << dev->body;

  // Without the test CI the IPA does not trust the listener; with it, the poll goes through.
  auto untrusted = run_esimo({"device", "poll", "--state", state, "--eim", url});
  EXPECT_EQ(untrusted.code, 1);
  EXPECT_NE(untrusted.err.find("certificate verify failed"), std::string::npos) << untrusted.err;
  auto polled = run_esimo({"device", "poll", "--state", state, "--eim", url, "--ca", (dir / "pki" / "ci.pem").string()});
  EXPECT_EQ(polled.code, 0) << polled.err;
  EXPECT_NE(polled.out.find("the eIM has nothing more"), std::string::npos) << polled.out;
  EXPECT_EQ(server.terminate(), 0);
}

TEST(EsipaCli, EsipaWithoutTlsOrPlainIsRefused) {
  TempDir dir;
  auto r = run_esimo({"serve", "--data-dir", (dir / "data").string(), "--listen", "127.0.0.1:0", "--esipa-listen",
                      "127.0.0.1:0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--esipa-plain"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace esimo::itest
