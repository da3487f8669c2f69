#include "policy/condition.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace esimo::policy {
namespace condition_test_local {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Condition parse_ok(std::string_view text) {
  Condition c;
  ExprError e;
  EXPECT_TRUE(parse_condition(text, c, e)) << text << ": " << e.position << " " << e.message;
  return c;
}

ExprError parse_bad(std::string_view text) {
  Condition c;
  ExprError e;
  EXPECT_FALSE(parse_condition(text, c, e)) << text;
  return e;
}

TEST(Duration, ParsesAndFormats) {
  EXPECT_EQ(parse_duration("10m"), Duration(minutes(10)));
  EXPECT_EQ(parse_duration("1h30m"), Duration(minutes(90)));
  EXPECT_EQ(parse_duration("7d"), Duration(hours(24 * 7)));
  EXPECT_EQ(parse_duration("90s"), Duration(seconds(90)));
  EXPECT_FALSE(parse_duration("30m1h"));   // units must decrease
  EXPECT_FALSE(parse_duration("0m"));      // more than zero
  EXPECT_FALSE(parse_duration("367d"));    // at most 366 days
  EXPECT_FALSE(parse_duration("10"));      // unit required
  EXPECT_FALSE(parse_duration("10w"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_EQ(format_duration(Duration(minutes(90))), "1h30m");
  EXPECT_EQ(format_duration(Duration(hours(48))), "2d");
}

TEST(Condition, SignalTriggers) {
  Condition c = parse_ok("signal.rsrp < -115 dBm for 10m");
  EXPECT_EQ(c.kind, Condition::Kind::metric);
  EXPECT_EQ(c.metric, Metric::rsrp);
  EXPECT_EQ(c.op, CmpOp::lt);
  EXPECT_DOUBLE_EQ(c.threshold, -115);
  EXPECT_EQ(c.window, Duration(minutes(10)));
  EXPECT_EQ(c.text, "signal.rsrp < -115 dBm for 10m");
  c = parse_ok("signal.rsrq <= -15 dB");
  EXPECT_EQ(c.metric, Metric::rsrq);
  EXPECT_EQ(c.op, CmpOp::le);
  EXPECT_FALSE(c.window);
  c = parse_ok("signal.sinr < 0.5 dB for 1h 30m");
  EXPECT_EQ(c.metric, Metric::sinr);
  EXPECT_DOUBLE_EQ(c.threshold, 0.5);
  EXPECT_EQ(c.window, Duration(minutes(90)));
}

TEST(Condition, LatencyTriggers) {
  Condition c = parse_ok("latency.p50 > 400 ms for 15m");
  EXPECT_EQ(c.metric, Metric::latency_p50);
  EXPECT_DOUBLE_EQ(c.threshold, 400);
  c = parse_ok("latency.p95 >= 1.5 s");  // seconds converted to ms
  EXPECT_EQ(c.metric, Metric::latency_p95);
  EXPECT_DOUBLE_EQ(c.threshold, 1500);
  c = parse_ok("latency.p99>800ms for 5m");  // no blanks needed
  EXPECT_EQ(c.metric, Metric::latency_p99);
  EXPECT_EQ(c.window, Duration(minutes(5)));
}

TEST(Condition, CostTrigger) {
  Condition c = parse_ok("savings.monthly > 2.00 EUR for 7d");
  EXPECT_EQ(c.metric, Metric::savings_monthly);
  ASSERT_TRUE(c.money);
  EXPECT_EQ(c.money->micros, 2'000'000);
  EXPECT_EQ(c.money->currency.str(), "EUR");
  EXPECT_EQ(c.window, Duration(hours(24 * 7)));
}

TEST(Condition, GeographyTriggers) {
  Condition c = parse_ok("country changed");
  EXPECT_EQ(c.kind, Condition::Kind::country_changed);
  EXPECT_FALSE(c.window);
  c = parse_ok("country changed within 1h");
  EXPECT_EQ(c.window, Duration(hours(1)));
  c = parse_ok("country in [BR, TR, IN]");
  EXPECT_EQ(c.kind, Condition::Kind::country_in);
  ASSERT_EQ(c.countries.size(), 3u);
  EXPECT_EQ(c.countries[2].str(), "IN");
  EXPECT_FALSE(c.negated);
  c = parse_ok("country not in [fr]");
  EXPECT_TRUE(c.negated);
  EXPECT_EQ(c.countries[0].str(), "FR");
  c = parse_ok("country != DE");
  EXPECT_TRUE(c.negated);
  c = parse_ok("roaming for 60d");
  EXPECT_EQ(c.kind, Condition::Kind::roaming);
  EXPECT_EQ(c.window, Duration(hours(24 * 60)));
}

TEST(Condition, CarrierStatusTriggers) {
  Condition c = parse_ok("carrier.status == down");
  EXPECT_EQ(c.kind, Condition::Kind::carrier_status);
  EXPECT_EQ(c.status, domain::CarrierStatus::down);
  c = parse_ok("carrier.status != up");
  EXPECT_TRUE(c.negated);
  c = parse_ok("outage detected");
  EXPECT_EQ(c.kind, Condition::Kind::outage);
  c = parse_ok("no_service for 5m");
  EXPECT_EQ(c.kind, Condition::Kind::no_service);
  c = parse_ok("carrier in [\"orange-fr\", \"208-01\"]");
  EXPECT_EQ(c.kind, Condition::Kind::carrier_is);
  ASSERT_EQ(c.carriers.size(), 2u);
  ASSERT_TRUE(c.carriers[1].plmn);
  EXPECT_EQ(c.carriers[1].plmn->str(), "208-01");
}

TEST(Condition, BooleanStructureAndPrecedence) {
  // and binds tighter than or; not binds tightest.
  Condition c = parse_ok("outage detected or not roaming and country in [BR]");
  ASSERT_EQ(c.kind, Condition::Kind::any_of);
  ASSERT_EQ(c.children.size(), 2u);
  EXPECT_EQ(c.children[0].kind, Condition::Kind::outage);
  ASSERT_EQ(c.children[1].kind, Condition::Kind::all_of);
  EXPECT_EQ(c.children[1].children[0].kind, Condition::Kind::negation);
  c = parse_ok("(outage detected or roaming) and country in [BR]");
  ASSERT_EQ(c.kind, Condition::Kind::all_of);
  EXPECT_EQ(c.children[0].kind, Condition::Kind::any_of);
  EXPECT_EQ(c.children[0].text, "outage detected or roaming");
}

TEST(Condition, ErrorsNameThePositionInTheExpression) {
  struct Case {
    const char* text;
    std::uint32_t position;
    const char* message_part;
  };
  const Case cases[] = {
      {"signal.rsrp < -115 ms for 10m", 20, "unit 'ms' does not fit signal.rsrp"},
      {"latency.p50 > 400 dBm", 19, "expected ms"},
      {"savings.monthly > 2.00 ms", 24, "currency"},
      {"signal.rsrp < -115 dBm for 10", 30, "duration unit"},
      {"signal.rsrp < -115 dBm for 10x", 30, "duration unit"},
      {"signal.rsrp -115 dBm", 13, "comparison"},
      {"signal.rsrx < -115 dBm", 1, "unknown metric"},
      {"signal.rsrp < -200 dBm", 15, "out of range"},
      {"country in [BR, XX]", 17, "unknown country code"},
      {"country in BR", 12, "'['"},
      {"carrier.status == broken", 19, "up, degraded or down"},
      {"outage", 7, "detected"},
      {"(outage detected", 1, "unbalanced '('"},
      {"outage detected)", 16, "unbalanced ')'"},
      {"outage detected and", 20, "expected a condition"},
      {"roaming = true", 9, "'=='"},
      {"foo > 1", 1, "unknown condition"},
      {"", 1, "empty"},
      {"carrier == \"x", 12, "unterminated string"},
      {"country in [BR] roaming", 17, "expected 'and', 'or'"},
      {"signal.rsrp < -115 dBm for 400d", 28, "invalid duration"},
      {"carrier == \"999-9\"", 12, "invalid PLMN"},
  };
  for (const auto& c : cases) {
    ExprError e = parse_bad(c.text);
    EXPECT_EQ(e.position, c.position) << c.text << ": " << e.message;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.text << ": " << e.message;
  }
}

TEST(Condition, RefusesDeepNesting) {
  std::string text(100, '(');
  text += "outage detected";
  text += std::string(100, ')');
  ExprError e = parse_bad(text);
  EXPECT_NE(e.message.find("32"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  e = parse_bad(nots + "roaming");
  EXPECT_NE(e.message.find("32"), std::string::npos);
}

TEST(Action, ParsesEveryAction) {
  Action a;
  ExprError e;
  ASSERT_TRUE(parse_action("switch best", a, e));
  EXPECT_EQ(a.kind, ActionKind::switch_best);
  ASSERT_TRUE(parse_action("switch to carrier \"orange-fr\"", a, e));
  EXPECT_EQ(a.kind, ActionKind::switch_to);
  EXPECT_EQ(a.carrier.text, "orange-fr");
  ASSERT_TRUE(parse_action("switch to carrier \"208-01\"", a, e));
  ASSERT_TRUE(a.carrier.plmn);
  ASSERT_TRUE(parse_action("download local profile", a, e));
  EXPECT_EQ(a.kind, ActionKind::download_local);
  ASSERT_TRUE(parse_action("set fallback best", a, e));
  EXPECT_EQ(a.kind, ActionKind::set_fallback_best);
  ASSERT_TRUE(parse_action("set fallback to carrier \"Vivo\"", a, e));
  EXPECT_EQ(a.kind, ActionKind::set_fallback_to);
  ASSERT_TRUE(parse_action("alert \"signal is \\\"bad\\\"\"", a, e));
  EXPECT_EQ(a.kind, ActionKind::alert);
  EXPECT_EQ(a.message, "signal is \"bad\"");
  EXPECT_TRUE(is_switch(ActionKind::download_local));
  EXPECT_FALSE(is_switch(ActionKind::alert));
}

TEST(Action, ErrorsNameThePosition) {
  struct Case {
    const char* text;
    std::uint32_t position;
    const char* message_part;
  };
  const Case cases[] = {
      {"switch worst", 8, "expected 'best'"},
      {"switch to \"x\"", 11, "expected 'carrier'"},
      {"switch to carrier orange", 19, "double quotes"},
      {"download profile", 10, "expected 'local'"},
      {"alert", 6, "alert text"},
      {"alert \"\"", 7, "empty"},
      {"reboot", 1, "unknown action"},
      {"switch best now", 13, "after the action"},
      {"", 1, "empty action"},
  };
  for (const auto& c : cases) {
    Action a;
    ExprError e;
    EXPECT_FALSE(parse_action(c.text, a, e)) << c.text;
    EXPECT_EQ(e.position, c.position) << c.text << ": " << e.message;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.text << ": " << e.message;
  }
}

}  // namespace condition_test_local
}  // namespace esimo::policy
