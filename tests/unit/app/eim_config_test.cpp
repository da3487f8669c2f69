// The ESipa listener and eIM settings: TOML [esipa]/[eim], ESIMO_* variables, flags, and the round trip through
// `esimo config show`.
#include <gtest/gtest.h>

#include <map>

#include "app/config.hpp"

namespace esimo::app {
namespace {

EnvLookup eim_env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EimConfig, TomlTables) {
  Config c;
  EXPECT_FALSE(c.esipa_enabled);
  ASSERT_TRUE(apply_toml(c, R"(
[esipa]
listen = "0.0.0.0:8443"
plain = true
tls_cert = "e.pem"
tls_key = "e.key"
[eim]
id = "eim.example"
fqdn = "eim.example.com:8443"
key = "eim.key.pem"
pki = "pki"
ci_roots = ["ci1.pem", "ci2.pem"]
)", "t.toml").ok());
  EXPECT_TRUE(c.esipa_enabled);
  EXPECT_EQ(c.esipa_listen_host, "0.0.0.0");
  EXPECT_EQ(c.esipa_listen_port, 8443);
  EXPECT_TRUE(c.esipa_plain);
  EXPECT_EQ(c.esipa_tls_cert_file, "e.pem");
  EXPECT_EQ(c.eim_id, "eim.example");
  EXPECT_EQ(c.eim_fqdn, "eim.example.com:8443");
  EXPECT_EQ(c.eim_key_file, "eim.key.pem");
  EXPECT_EQ(c.pki_dir, "pki");
  ASSERT_EQ(c.ci_root_files.size(), 2u);
  EXPECT_EQ(c.ci_root_files[1], "ci2.pem");

  Config round;
  ASSERT_TRUE(apply_toml(round, to_toml(c), "round-trip").ok());
  EXPECT_EQ(to_toml(round), to_toml(c));

  Config bad;
  auto s = apply_toml(bad, "[esipa]\nplain = \"yes\"\n", "b.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "esipa.plain");
  s = apply_toml(bad, "[eim]\nci_roots = \"one.pem\"\n", "b.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "eim.ci_roots");
  EXPECT_FALSE(apply_toml(bad, "[esipa]\nlisten = \"nohost\"\n", "b.toml").ok());
}

TEST(EimConfig, EnvironmentAndFlags) {
  ConfigOverrides flags;
  flags.ci_root_files = {"flag-ci.pem"};
  auto c = resolve_config(std::nullopt, flags,
                          eim_env_of({{"ESIMO_ESIPA_LISTEN", "127.0.0.1:0"},
                                      {"ESIMO_ESIPA_PLAIN", "1"},
                                      {"ESIMO_PKI", "/pki"},
                                      {"ESIMO_EIM_ID", "env-eim"},
                                      {"ESIMO_CI_ROOTS", "a.pem:b.pem"}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->esipa_enabled);
  EXPECT_TRUE(c->esipa_plain);
  EXPECT_EQ(c->pki_dir, "/pki");
  EXPECT_EQ(c->eim_id, "env-eim");
  ASSERT_EQ(c->ci_root_files.size(), 3u);  // the environment's, then the flags'
  EXPECT_EQ(c->ci_root_files[2], "flag-ci.pem");

  flags = {};
  flags.esipa_listen = "127.0.0.1:9443";
  flags.eim_id = "flag-eim";
  c = resolve_config(std::nullopt, flags, eim_env_of({{"ESIMO_EIM_ID", "env-eim"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->esipa_listen_port, 9443);
  EXPECT_FALSE(c->esipa_plain);
  EXPECT_EQ(c->eim_id, "flag-eim");

  EXPECT_FALSE(resolve_config(std::nullopt, {}, eim_env_of({{"ESIMO_ESIPA_PLAIN", "maybe"}})).ok());
  flags = {};
  flags.esipa_tls_cert_file = "only-cert.pem";
  auto half = resolve_config(std::nullopt, flags, eim_env_of({}));
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().field, "esipa");
}

}  // namespace
}  // namespace esimo::app
