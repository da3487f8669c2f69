// `esimo policy validate` (JSON and YAML, positions, exit 2 on an invalid document) and `esimo twin run --policy`
// (the policy attached for the run, reasons in the report) through the real binary.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace esimo::itest {
namespace {

TEST(PolicyCli, ValidateAcceptsTheScenarioPoliciesInYamlAndJson) {
  for (const char* name : {"eu-trucks", "price-change", "brazil"}) {
    auto r = run_esimo({"policy", "validate", std::string(ESIMO_SOURCE_DIR) + "/scenarios/policies/" + name + ".yaml"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("valid policy " + std::string(name) + " (scope fleet, 3 rules, objective cost, carriers "
                         "checked against the catalog)"),
              std::string::npos)
        << r.out;
  }
  TempDir tmp;
  write_file(tmp / "p.json",
             R"({"name":"x","scope":{"fleet":true},"carriers":{"deny":["Vivo"]},)"
             R"("rules":[{"name":"geo","when":"country changed and roaming","do":"switch best"}]})");
  auto r = run_esimo({"policy", "validate", (tmp / "p.json").string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"when\":\"country changed and roaming\""), std::string::npos) << r.out;
}

TEST(PolicyCli, ValidateNamesFileLineColumnAndPathAndExitsTwo) {
  TempDir tmp;
  write_file(tmp / "bad.yaml",
             "name: bad\n"
             "scope: {fleet: true}\n"
             "rules:\n"
             "  - name: weak\n"
             "    when: signal.rsrp < -115 ms for 10m\n"
             "    do: switch best\n");
  auto r = run_esimo({"policy", "validate", (tmp / "bad.yaml").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find((tmp / "bad.yaml").string() + ":5:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rules[0].when: line 5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'ms' does not fit signal.rsrp"), std::string::npos) << r.err;
  write_file(tmp / "bad.json", "{\"name\": \"x\",\n \"scope\": {\"fleet\": true},\n \"carriers\": {\"deny\": [\"no-such-telco\"]}}");
  r = run_esimo({"policy", "validate", (tmp / "bad.json").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("carriers.deny[0]: line 3"), std::string::npos) << r.err;
  r = run_esimo({"policy", "validate", (tmp / "missing.json").string()});
  EXPECT_EQ(r.code, 1) << "a file that cannot be read is not an invalid document";
}

TEST(PolicyCli, TwinRunAttachesThePolicyAndPrintsTheReasons) {
  TempDir tmp;
  auto r = run_esimo({"twin", "run", std::string(ESIMO_SOURCE_DIR) + "/scenarios/price-change.toml", "--devices", "200",
                      "--engine", "on", "--policy", std::string(ESIMO_SOURCE_DIR) + "/scenarios/policies/price-change.yaml",
                      "--data-dir", (tmp / "data").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("engine policy           price-change"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first cheaper: policy price-change, rule cheaper: savings.monthly > 1.00 EUR for 1h"),
            std::string::npos)
      << r.out;
  auto off = run_esimo({"twin", "run", std::string(ESIMO_SOURCE_DIR) + "/scenarios/price-change.toml", "--devices",
                        "200", "--policy", (tmp / "nothing.yaml").string()});
  EXPECT_NE(off.code, 0);
  EXPECT_NE(off.err.find("--policy needs --engine on"), std::string::npos) << off.err;
}

TEST(PolicyCli, ApplyCreatesThenReplacesOnARunningServer) {
  TempDir tmp;
  Server server(tmp / "data");
  ASSERT_TRUE(server.started()) << server.startup_error();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  const std::string file = std::string(ESIMO_SOURCE_DIR) + "/scenarios/policies/eu-trucks.yaml";
  auto r = run_esimo({"policy", "apply", file, "--server", url, "--api-key", server.admin_key()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("created policy eu-trucks (pol_", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("revision 1)"), std::string::npos) << r.out;
  // Again: the fleet already has it (same name), so it is replaced.
  r = run_esimo({"policy", "apply", file, "--server", url, "--api-key", server.admin_key()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("replaced policy eu-trucks (pol_", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("revision 2)"), std::string::npos) << r.out;
  // Another fleet document (another name, the same scope) replaces it too.
  r = run_esimo({"policy", "apply", std::string(ESIMO_SOURCE_DIR) + "/scenarios/policies/price-change.yaml", "--server",
                 url, "--api-key", server.admin_key()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("replaced policy price-change (pol_", 0), 0u) << r.out;
  // A carrier the tenant's catalog does not have: the server's 422, exit 2.
  write_file(tmp / "bad.json", R"({"name":"x","scope":{"fleet":true},"carriers":{"deny":["no-such-telco"]}})");
  r = run_esimo({"policy", "apply", (tmp / "bad.json").string(), "--server", url, "--api-key", server.admin_key()});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("carriers.deny[0]"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace esimo::itest
