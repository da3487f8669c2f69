// The engine's settings: [engine] silence_after in TOML, $ESIMO_ENGINE_SILENCE_AFTER, --engine-silence-after, and the
// round trip through `esimo config show`.
#include <gtest/gtest.h>

#include "app/config.hpp"

namespace esimo::app::engine_config_test {

using namespace std::chrono_literals;

TEST(EngineConfigSettings, SilenceIsOffByDefaultAndReadFromFileEnvironmentAndFlag) {
  EXPECT_EQ(Config{}.engine_silence_after, 0s);
  Config c;
  auto s = apply_toml(c, "[engine]\nsilence_after = \"30m\"\n", "a.toml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(c.engine_silence_after, 1800s);
  // The effective configuration reads back the same, and "off" too.
  Config round;
  ASSERT_TRUE(apply_toml(round, to_toml(c), "round-trip").ok()) << to_toml(c);
  EXPECT_EQ(round.engine_silence_after, 1800s);
  EXPECT_NE(to_toml(c).find("[engine]\nsilence_after = \"30m\""), std::string::npos) << to_toml(c);
  ASSERT_TRUE(apply_toml(round, to_toml(Config{}), "round-trip").ok());
  EXPECT_EQ(round.engine_silence_after, 0s);

  const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "ESIMO_ENGINE_SILENCE_AFTER") return "1h30m";
    return std::nullopt;
  };
  ASSERT_TRUE(apply_env(c, env).ok());
  EXPECT_EQ(c.engine_silence_after, 5400s);
  ConfigOverrides f;
  f.engine_silence_after = "off";
  ASSERT_TRUE(apply_overrides(c, f).ok());
  EXPECT_EQ(c.engine_silence_after, 0s);
  f.engine_silence_after = "90s";
  ASSERT_TRUE(apply_overrides(c, f).ok());
  EXPECT_EQ(c.engine_silence_after, 90s);
}

TEST(EngineConfigSettings, BadSilenceNamesWhereItCameFrom) {
  Config c;
  auto s = apply_toml(c, "[engine]\nsilence_after = \"soon\"\n", "a.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("a.toml:2"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("engine.silence_after"), std::string::npos) << s.error().message;
  s = apply_toml(c, "[engine]\nsilence_after = 1800\n", "a.toml");
  ASSERT_FALSE(s.ok()) << "a number without its unit";
  s = apply_toml(c, "[engine]\nsilence = \"30m\"\n", "a.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("unknown key 'engine.silence'"), std::string::npos) << s.error().message;
  ConfigOverrides f;
  f.engine_silence_after = "-5m";
  s = apply_overrides(c, f);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--engine-silence-after"), std::string::npos) << s.error().message;
  const EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "ESIMO_ENGINE_SILENCE_AFTER") return "5 minutes";
    return std::nullopt;
  };
  s = apply_env(c, env);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("ESIMO_ENGINE_SILENCE_AFTER"), std::string::npos) << s.error().message;
  EXPECT_EQ(c.engine_silence_after, 0s) << "nothing half-written";
}

}  // namespace esimo::app::engine_config_test
