#include "app/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "app/support.hpp"

namespace esimo::app {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ParseListen, AcceptsHostPortAndBracketedIpv6) {
  std::string host;
  std::uint16_t port = 1;
  ASSERT_TRUE(parse_listen("0.0.0.0:9000", host, port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9000);
  ASSERT_TRUE(parse_listen("[::1]:0", host, port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
}

TEST(ParseListen, RejectsMissingPortAndOutOfRange) {
  std::string host;
  std::uint16_t port = 0;
  EXPECT_FALSE(parse_listen("localhost", host, port).ok());
  EXPECT_FALSE(parse_listen("localhost:65536", host, port).ok());
  EXPECT_FALSE(parse_listen(":80", host, port).ok());
  EXPECT_FALSE(parse_listen("::1:80", host, port).ok());
}

TEST(ConfigToml, AppliesEveryKnownKey) {
  Config c;
  auto s = apply_toml(c, R"(
data_dir = "/srv/esimo"
log_level = "debug"
default_tenant = "acme"
[server]
listen = "0.0.0.0:9443"
threads = 4
body_limit = 2097152
drain_timeout_ms = 2500
[tls]
cert = "/etc/esimo/cert.pem"
key = "/etc/esimo/key.pem"
[catalog]
service_providers = "/tmp/sp.xml"
iso3166 = "/tmp/iso.json"
)",
                      "esimo.toml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(c.data_dir, "/srv/esimo");
  EXPECT_EQ(c.log_level, log::Level::debug);
  EXPECT_EQ(c.default_tenant, "acme");
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9443);
  EXPECT_EQ(c.threads, 4u);
  EXPECT_EQ(c.body_limit, 2097152u);
  EXPECT_EQ(c.drain_timeout.count(), 2500);
  EXPECT_EQ(c.tls_cert_file, "/etc/esimo/cert.pem");
  EXPECT_EQ(c.tls_key_file, "/etc/esimo/key.pem");
  EXPECT_EQ(c.service_providers_xml, "/tmp/sp.xml");
  EXPECT_EQ(c.iso3166_json, "/tmp/iso.json");
}

TEST(ConfigToml, UnknownKeyIsRejectedWithFileLineAndKey) {
  Config c;
  auto s = apply_toml(c, "data_dir = \"x\"\n[server]\nthreads = 2\nlissen = \"0.0.0.0:1\"\n", "/etc/esimo.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("/etc/esimo.toml:4"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("server.lissen"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().field, "server.lissen");
}

TEST(ConfigToml, UnknownTopLevelTableIsRejected) {
  Config c;
  auto s = apply_toml(c, "[serverr]\nlisten = \"1.2.3.4:5\"\n", "a.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("a.toml:1"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("serverr"), std::string::npos);
}

TEST(ConfigToml, WrongTypeAndBadValuesNameTheKey) {
  Config c;
  auto s = apply_toml(c, "[server]\nthreads = \"four\"\n", "a.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("a.toml:2"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("server.threads"), std::string::npos);
  s = apply_toml(c, "log_level = \"loud\"\n", "a.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("loud"), std::string::npos);
  s = apply_toml(c, "[server]\nlisten = \"nohost\"\n", "a.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("server.listen"), std::string::npos) << s.error().message;
}

TEST(ConfigToml, SyntaxErrorNamesTheLine) {
  Config c;
  auto s = apply_toml(c, "data_dir = \"x\"\nthreads = = 3\n", "b.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::parse_error);
  EXPECT_NE(s.error().message.find("b.toml:2"), std::string::npos) << s.error().message;
}

TEST(ConfigEnv, OverridesAndRejectsGarbage) {
  Config c;
  ASSERT_TRUE(apply_env(c, env_of({{"ESIMO_DATA_DIR", "/d"},
                                   {"ESIMO_LISTEN", "127.0.0.1:0"},
                                   {"ESIMO_THREADS", "3"},
                                   {"ESIMO_BODY_LIMIT", "4096"},
                                   {"ESIMO_LOG_LEVEL", "warn"},
                                   {"ESIMO_TLS_CERT", "c.pem"},
                                   {"ESIMO_TLS_KEY", "k.pem"}}))
                  .ok());
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.listen_port, 0);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.body_limit, 4096u);
  EXPECT_EQ(c.log_level, log::Level::warn);
  EXPECT_EQ(c.tls_cert_file, "c.pem");
  EXPECT_EQ(c.tls_key_file, "k.pem");

  auto bad = apply_env(c, env_of({{"ESIMO_THREADS", "many"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("ESIMO_THREADS"), std::string::npos);
}

TEST(ResolveConfig, FlagsBeatEnvBeatFileBeatDefaults) {
  auto dir = std::filesystem::temp_directory_path() / ("esimo-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "esimo.toml";
  {
    std::ofstream out(file);
    out << "data_dir = \"from-file\"\nlog_level = \"error\"\n[server]\nlisten = \"10.0.0.1:1000\"\nthreads = 7\n";
  }
  ConfigOverrides flags;
  flags.listen = "127.0.0.1:3000";
  auto env = env_of({{"ESIMO_LISTEN", "10.0.0.2:2000"}, {"ESIMO_DATA_DIR", "from-env"}});
  auto c = resolve_config(file, flags, env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen_host, "127.0.0.1");  // flag
  EXPECT_EQ(c->listen_port, 3000);
  EXPECT_EQ(c->data_dir, "from-env");      // env over file
  EXPECT_EQ(c->threads, 7u);               // file over default
  EXPECT_EQ(c->log_level, log::Level::error);
  EXPECT_EQ(c->body_limit, Config{}.body_limit);  // default

  // $ESIMO_CONFIG names the file when no flag does.
  auto c2 = resolve_config(std::nullopt, {}, env_of({{"ESIMO_CONFIG", file.string()}}));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->data_dir, "from-file");

  // The printed effective configuration reads back to the same values.
  Config round;
  ASSERT_TRUE(apply_toml(round, to_toml(*c), "round-trip").ok());
  EXPECT_EQ(round.listen_port, 3000);
  EXPECT_EQ(round.threads, 7u);
  EXPECT_EQ(round.data_dir, "from-env");
  std::filesystem::remove_all(dir);
}

TEST(ResolveConfig, MissingFileAndHalfTlsAreErrors) {
  auto missing = resolve_config(std::filesystem::path("/nonexistent/esimo.toml"), {}, env_of({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/esimo.toml"), std::string::npos);
  ConfigOverrides flags;
  flags.tls_cert_file = "cert.pem";
  auto half = resolve_config(std::nullopt, flags, env_of({}));
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.error().message.find("TLS"), std::string::npos);
}

TEST(RenderTable, PadsColumns) {
  EXPECT_EQ(render_table({{"NAME", "ID"}, {"Vivo", "br-vivo"}}), "NAME  ID\nVivo  br-vivo\n");
}

}  // namespace
}  // namespace esimo::app
