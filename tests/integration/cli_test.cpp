// The command line on its own (no server): help, catalog listing, import, clear errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>

#include "domain/identifiers.hpp"
#include "harness.hpp"

namespace esimo::itest {
namespace {

TEST(Cli, HelpEverywhere) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"serve", "--help"},
                                                                {"import", "--help"},
                                                                {"carriers", "list", "--help"},
                                                                {"devices", "list", "--help"},
                                                                {"devices", "show", "--help"},
                                                                {"keys", "create", "--help"},
                                                                {"keys", "list", "--help"},
                                                                {"keys", "revoke", "--help"},
                                                                {"config", "show", "--help"},
                                                                {"version", "--help"}}) {
    auto r = run_esimo(args);
    EXPECT_EQ(r.code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args[0] << ": " << r.out;
  }
  auto v = run_esimo({"version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("esimo ", 0), 0u);
  auto unknown = run_esimo({"frobnicate"});
  EXPECT_NE(unknown.code, 0);
}

TEST(Cli, CarriersListCountryBrPrintsBrazilsOperators) {
  TempDir tmp;
  auto r = run_esimo({"carriers", "list", "--country", "BR", "--data-dir", (tmp / "data").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("NAME", 0), 0u) << r.out;
  for (const char* expected : {"Vivo", "Claro", "TIM", "724-06", "br-vivo"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << " in\n" << r.out;
  }
  EXPECT_EQ(r.out.find("Deutsche Telekom"), std::string::npos);

  auto by_plmn = run_esimo({"carriers", "list", "--plmn", "724-06", "--json", "--data-dir", (tmp / "data").string()});
  ASSERT_EQ(by_plmn.code, 0) << by_plmn.err;
  auto doc = boost::json::parse(by_plmn.out);
  ASSERT_EQ(doc.at("items").as_array().size(), 1u) << by_plmn.out;
  EXPECT_EQ(doc.at("items").as_array()[0].at("name").as_string(), "Vivo");

  auto bad = run_esimo({"carriers", "list", "--country", "XX", "--data-dir", (tmp / "data").string()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--country"), std::string::npos) << bad.err;
}

TEST(Cli, MissingReferenceDataNamesThePathAndThePackage) {
  TempDir tmp;
  auto r = run_esimo({"carriers", "list", "--data-dir", (tmp / "data").string(), "--service-providers",
                      "/nonexistent/serviceproviders.xml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/nonexistent/serviceproviders.xml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mobile-broadband-provider-info"), std::string::npos) << r.err;
}

TEST(Cli, ImportPrintsTheSummaryAndKeepsGoodLines) {
  TempDir tmp;
  std::string csv = "eid,name,group,tags\n";
  for (int i = 1; i <= 50; ++i) {
    char prefix[31];
    std::snprintf(prefix, sizeof prefix, "890490320000000000001%09d", i);
    csv += domain::Eid::from_prefix30(prefix)->str() + ",dev-" + std::to_string(i) + ",fleet,cli\n";
  }
  csv += "89049032000000000000000000000000,bad-check-digits,fleet,\n";
  write_file(tmp / "devices.csv", csv);
  auto r = run_esimo({"import", (tmp / "devices.csv").string(), "--data-dir", (tmp / "data").string(), "--progress"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = boost::json::parse(r.out);
  EXPECT_EQ(doc.at("imported").as_int64(), 50) << r.out;
  ASSERT_EQ(doc.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(doc.at("rejected").as_array()[0].at("line").as_int64(), 52);
  EXPECT_NE(r.err.find("100%"), std::string::npos) << r.err;  // the progress bar ran to the end

  auto list = run_esimo({"devices", "list", "--data-dir", (tmp / "data").string(), "--json"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(boost::json::parse(list.out).at("items").as_array().size(), 50u);

  auto unknown_format = run_esimo({"import", (tmp / "devices.txt").string(), "--data-dir", (tmp / "data").string()});
  EXPECT_EQ(unknown_format.code, 1);
  auto no_tenant = run_esimo(
      {"import", (tmp / "devices.csv").string(), "--data-dir", (tmp / "data").string(), "--tenant", "nobody"});
  EXPECT_EQ(no_tenant.code, 1);
  EXPECT_NE(no_tenant.err.find("nobody"), std::string::npos) << no_tenant.err;
}

TEST(Cli, ImportsNdjsonIntoANamedTenant) {
  TempDir tmp;
  const auto data = (tmp / "data").string();
  ASSERT_EQ(run_esimo({"keys", "create", "--data-dir", data, "--tenant", "acme", "--role", "admin"}).code, 0);
  std::string ndjson;
  for (int i = 1; i <= 3; ++i) {
    char prefix[31];
    std::snprintf(prefix, sizeof prefix, "890490320000000000002%09d", i);
    ndjson += R"({"eid":")" + domain::Eid::from_prefix30(prefix)->str() + R"(","name":"nd-)" + std::to_string(i) +
              R"(","tags":["nd"]})" + "\n";
  }
  ndjson += R"({"eid":"1","name":"bad"})" "\n";
  write_file(tmp / "devices.jsonl", ndjson);
  auto r = run_esimo({"import", (tmp / "devices.jsonl").string(), "--data-dir", data, "--tenant", "acme"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto doc = boost::json::parse(r.out);
  EXPECT_EQ(doc.at("imported").as_int64(), 3) << r.out;
  ASSERT_EQ(doc.at("rejected").as_array().size(), 1u) << r.out;
  EXPECT_EQ(doc.at("rejected").as_array()[0].at("line").as_int64(), 4);
  EXPECT_EQ(r.err.find("100%"), std::string::npos);  // no progress bar: stderr is not a terminal

  auto acme = run_esimo({"devices", "list", "--data-dir", data, "--tenant", "acme"});
  ASSERT_EQ(acme.code, 0) << acme.err;
  EXPECT_NE(acme.out.find("3 devices"), std::string::npos) << acme.out;
  auto other = run_esimo({"devices", "list", "--data-dir", data});  // the default tenant sees none of them
  ASSERT_EQ(other.code, 0) << other.err;
  EXPECT_NE(other.out.find("0 devices"), std::string::npos) << other.out;
}

TEST(Cli, ConfigShowPrintsTheMergedConfiguration) {
  TempDir tmp;
  write_file(tmp / "esimo.toml", "data_dir = \"/srv/from-file\"\n[server]\nthreads = 5\nlisten = \"0.0.0.0:7000\"\n");
  Env env;
  env.vars["ESIMO_LISTEN"] = "127.0.0.1:7100";
  auto r = run_esimo({"config", "show", "--config", (tmp / "esimo.toml").string(), "--body-limit", "4096"}, env);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("data_dir = \"/srv/from-file\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threads = 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("listen = \"127.0.0.1:7100\""), std::string::npos) << r.out;  // env over file
  EXPECT_NE(r.out.find("body_limit = 4096"), std::string::npos) << r.out;             // flag

  env.vars["ESIMO_THREADS"] = "zero";
  auto bad = run_esimo({"config", "show"}, env);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("ESIMO_THREADS"), std::string::npos) << bad.err;
}

TEST(Cli, KeysCreateMakesTheTenantAndPrintsTheKeyLast) {
  TempDir tmp;
  auto r = run_esimo({"keys", "create", "--data-dir", (tmp / "data").string(), "--tenant", "acme", "--role", "admin"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.last_line().rfind("esk_", 0), 0u) << r.out;
  EXPECT_EQ(r.last_line().find(' '), std::string::npos);
  auto bad_role = run_esimo({"keys", "create", "--data-dir", (tmp / "data").string(), "--role", "root"});
  EXPECT_NE(bad_role.code, 0);
}

}  // namespace
}  // namespace esimo::itest
