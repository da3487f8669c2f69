// The download relay's configuration: [download] / [[download.smdp]] in TOML, --smdp / --smdp-allow-unknown flags.
#include <gtest/gtest.h>

#include "app/config.hpp"

namespace esimo::app::download_config_test {

TEST(DownloadConfig, TomlConnectorsAndOptions) {
  Config c;
  auto s = apply_toml(c, R"(
[download]
allow_unknown_smdp = true
session_timeout_s = 120

[[download.smdp]]
address = "smdp.carrier.example"
url = "https://smdp.carrier.example:8443"
ca_file = "/etc/esimo/smdp-ca.pem"
carrier = "br-vivo"

[[download.smdp]]
address = "127.0.0.1:9443"
)",
                      "a.toml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(c.smdp_allow_unknown);
  EXPECT_EQ(c.download_session_timeout, std::chrono::seconds(120));
  ASSERT_EQ(c.smdp_connectors.size(), 2u);
  EXPECT_EQ(c.smdp_connectors[0].address, "smdp.carrier.example");
  EXPECT_EQ(c.smdp_connectors[0].url, "https://smdp.carrier.example:8443");
  EXPECT_EQ(c.smdp_connectors[0].ca_file, "/etc/esimo/smdp-ca.pem");
  EXPECT_EQ(c.smdp_connectors[0].carrier, "br-vivo");
  EXPECT_EQ(c.smdp_connectors[1].address, "127.0.0.1:9443");
  EXPECT_TRUE(c.smdp_connectors[1].url.empty());

  // The effective configuration reads back the same.
  Config round;
  ASSERT_TRUE(apply_toml(round, to_toml(c), "round-trip").ok());
  ASSERT_EQ(round.smdp_connectors.size(), 2u);
  EXPECT_EQ(round.smdp_connectors[0].carrier, "br-vivo");
  EXPECT_TRUE(round.smdp_allow_unknown);
  EXPECT_EQ(round.download_session_timeout, std::chrono::seconds(120));
}

TEST(DownloadConfig, TomlErrorsNameTheKey) {
  Config c;
  auto unknown = apply_toml(c, "[[download.smdp]]\naddress = \"a.example\"\nadress = \"x\"\n", "a.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("download.smdp.adress"), std::string::npos) << unknown.error().message;
  auto missing = apply_toml(c, "[[download.smdp]]\nurl = \"https://a.example\"\n", "a.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("download.smdp.address"), std::string::npos) << missing.error().message;
  auto zero = apply_toml(c, "[download]\nsession_timeout_s = 0\n", "a.toml");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("download.session_timeout_s"), std::string::npos);
  auto type = apply_toml(c, "[download]\nallow_unknown_smdp = \"yes\"\n", "a.toml");
  ASSERT_FALSE(type.ok());
}

TEST(DownloadConfig, FlagsAddConnectors) {
  Config c;
  c.smdp_connectors.push_back({"from.file", "", "", ""});
  ConfigOverrides f;
  f.smdp = {"smdp.example=https://10.0.0.1:8443", "other.example"};
  f.smdp_allow_unknown = true;
  ASSERT_TRUE(apply_overrides(c, f).ok());
  ASSERT_EQ(c.smdp_connectors.size(), 3u);
  EXPECT_EQ(c.smdp_connectors[1].address, "smdp.example");
  EXPECT_EQ(c.smdp_connectors[1].url, "https://10.0.0.1:8443");
  EXPECT_EQ(c.smdp_connectors[2].address, "other.example");
  EXPECT_TRUE(c.smdp_connectors[2].url.empty());
  EXPECT_TRUE(c.smdp_allow_unknown);
  ConfigOverrides bad;
  bad.smdp = {"=https://x"};
  auto r = apply_overrides(c, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "--smdp");
}

}  // namespace esimo::app::download_config_test
