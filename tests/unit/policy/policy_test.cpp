#include "policy/policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

namespace esimo::policy {
namespace policy_test_local {

using std::chrono::hours;
using std::chrono::minutes;

const char* kFleetJson = R"({
  "name": "fleet-default",
  "description": "every device",
  "scope": {"fleet": true},
  "carriers": {"allow": [], "deny": ["bad-telco"], "prefer": ["orange-fr", "208-10"]},
  "objective": "cost",
  "rules": [
    {"name": "outage", "when": "outage detected or carrier.status == down", "do": "switch best"},
    {"name": "weak-signal", "when": "signal.rsrp < -115 dBm for 10m", "do": "switch best"},
    {"when": "latency.p50 > 400 ms for 15m", "do": "alert \"slow\""}
  ],
  "guards": {
    "min_dwell": "30m",
    "cooldown": "1h",
    "max_switches_per_day": 3,
    "hysteresis": {"rsrp_db": 6, "latency_ms": 50},
    "quiet_hours": "22:00-06:00 +01:00",
    "rollback": true
  }
})";

const char* kFleetYaml = R"(name: fleet-default
description: every device
scope: {fleet: true}
carriers:
  allow: []
  deny: [bad-telco]
  prefer: [orange-fr, "208-10"]
objective: cost
rules:
  - name: outage
    when: outage detected or carrier.status == down
    do: switch best
  - name: weak-signal
    when: signal.rsrp < -115 dBm for 10m
    do: switch best
  - when: latency.p50 > 400 ms for 15m
    do: alert "slow"
guards:
  min_dwell: 30m
  cooldown: 1h
  max_switches_per_day: 3
  hysteresis:
    rsrp_db: 6
    latency_ms: 50
  quiet_hours: "22:00-06:00 +01:00"
  rollback: true
)";

Policy parse_ok(std::string_view text, Format f = Format::json, const std::vector<domain::Carrier>* catalog = nullptr) {
  ParseOptions o;
  o.format = f;
  o.catalog = catalog;
  Diagnostic d;
  auto p = parse_policy(text, o, &d);
  EXPECT_TRUE(p.ok()) << d.to_string();
  return p.ok() ? *p : Policy{};
}

Diagnostic parse_bad(std::string_view text, Format f = Format::json,
                     const std::vector<domain::Carrier>* catalog = nullptr) {
  ParseOptions o;
  o.format = f;
  o.catalog = catalog;
  Diagnostic d;
  auto p = parse_policy(text, o, &d);
  EXPECT_FALSE(p.ok()) << text;
  if (!p.ok()) {
    EXPECT_EQ(p.error().field, d.path);
    EXPECT_EQ(p.error().message, d.to_string());
  }
  return d;
}

TEST(PolicyDocument, ParsesEveryKey) {
  Policy p = parse_ok(kFleetJson);
  EXPECT_EQ(p.name, "fleet-default");
  EXPECT_EQ(p.description, "every device");
  EXPECT_EQ(p.scope.kind, ScopeKind::fleet);
  ASSERT_TRUE(p.carriers.allow);
  EXPECT_TRUE(p.carriers.allow->empty());
  ASSERT_TRUE(p.carriers.deny);
  EXPECT_EQ((*p.carriers.deny)[0].text, "bad-telco");
  ASSERT_TRUE(p.carriers.prefer);
  ASSERT_TRUE((*p.carriers.prefer)[1].plmn);
  EXPECT_EQ(p.objective, Objective::cost);
  ASSERT_TRUE(p.rules);
  ASSERT_EQ(p.rules->size(), 3u);
  EXPECT_EQ((*p.rules)[0].name, "outage");
  EXPECT_TRUE((*p.rules)[0].named);
  EXPECT_TRUE((*p.rules)[0].urgent);
  EXPECT_FALSE((*p.rules)[1].urgent);
  EXPECT_EQ((*p.rules)[2].name, "rule-3");
  EXPECT_FALSE((*p.rules)[2].named);
  EXPECT_EQ((*p.rules)[2].action.kind, ActionKind::alert);
  EXPECT_EQ((*p.rules)[2].policy, "fleet-default");
  EXPECT_EQ(p.guards.min_dwell, Duration(minutes(30)));
  EXPECT_EQ(p.guards.cooldown, Duration(hours(1)));
  EXPECT_EQ(p.guards.max_switches_per_day, 3u);
  EXPECT_EQ(p.guards.hysteresis.rsrp_db, 6.0);
  EXPECT_EQ(p.guards.hysteresis.latency_ms, 50.0);
  ASSERT_TRUE(p.guards.quiet_hours);
  EXPECT_EQ(p.guards.quiet_hours->start_minute, 22 * 60);
  EXPECT_EQ(p.guards.quiet_hours->end_minute, 6 * 60);
  EXPECT_EQ(p.guards.quiet_hours->utc_offset_minutes, 60);
  EXPECT_EQ(p.guards.rollback, true);
}

TEST(PolicyDocument, YamlGivesTheSamePolicyAsJson) {
  Policy j = parse_ok(kFleetJson);
  Policy y = parse_ok(kFleetYaml, Format::yaml);
  EXPECT_EQ(to_json(j), to_json(y));
}

TEST(PolicyDocument, CanonicalJsonRoundTrips) {
  Policy p = parse_ok(kFleetJson);
  std::string once = to_json(p);
  Policy again = parse_ok(once);
  EXPECT_EQ(to_json(again), once);
  EXPECT_NE(once.find("\"max_switches_per_day\":3"), std::string::npos);
  EXPECT_NE(once.find("\"rsrp_db\":6"), std::string::npos);
  EXPECT_NE(once.find("\"min_dwell\":\"30m\""), std::string::npos);
}

TEST(PolicyDocument, ScopesGroupAndDevice) {
  Policy g = parse_ok(R"({"name": "g", "scope": {"group": "trucks"}})");
  EXPECT_EQ(g.scope.kind, ScopeKind::group);
  EXPECT_EQ(g.scope.group, "trucks");
  EXPECT_FALSE(g.rules);
  auto eid = domain::Eid::from_prefix30("890490320000000000000000000000");
  ASSERT_TRUE(eid.ok());
  Policy d = parse_ok(R"({"name": "d", "scope": {"device": ")" + eid->str() + R"("}})");
  EXPECT_EQ(d.scope.kind, ScopeKind::device);
  EXPECT_EQ(d.scope.device->str(), eid->str());
}

TEST(PolicyDocument, ErrorsNamePathLineColumnAndExpressionPosition) {
  // The unit error sits at column 40 of line 3: the string starts at column 13, the expression at 14, "ms" at 27.
  const char* doc =
      "{\"name\": \"p\", \"scope\": {\"fleet\": true},\n"
      " \"rules\": [\n"
      "   {\"when\": \"signal.rsrp < -115 ms for 10m\", \"do\": \"switch best\"},\n"
      "   {\"when\": \"outage detected\", \"do\": \"switch best\"}]}";
  Diagnostic d = parse_bad(doc);
  EXPECT_EQ(d.path, "rules[0].when");
  EXPECT_EQ(d.line, 3u);
  EXPECT_EQ(d.expression_position, 20u);
  EXPECT_EQ(d.column, 14u + 19u);
  EXPECT_NE(d.message.find("unit 'ms'"), std::string::npos);
  EXPECT_EQ(d.to_string(),
            "rules[0].when: line 3, column 33, position 20 in the expression: unit 'ms' does not fit signal.rsrp "
            "(expected dBm)");
  EXPECT_EQ(d.to_error().code, Errc::invalid_argument);
}

TEST(PolicyDocument, ExpressionColumnCountsEscapes) {
  // \u0020 is one character of the expression but six of the document.
  Diagnostic d = parse_bad(
      R"({"name": "p", "scope": {"fleet": true}, "rules": [{"when": "outage\u0020detected and x", "do": "switch best"}]})");
  EXPECT_EQ(d.path, "rules[0].when");
  EXPECT_EQ(d.expression_position, 21u);
  EXPECT_EQ(d.column, 60u + 1u + 20u + 5u);
}

TEST(PolicyDocument, YamlErrorsPointIntoThePlainScalar) {
  Diagnostic d = parse_bad(
      "name: p\n"
      "scope: {fleet: true}\n"
      "rules:\n"
      "  - when: latency.p50 > 400 dBm\n"
      "    do: switch best\n",
      Format::yaml);
  EXPECT_EQ(d.path, "rules[0].when");
  EXPECT_EQ(d.line, 4u);
  EXPECT_EQ(d.expression_position, 19u);
  EXPECT_EQ(d.column, 11u + 18u);
}

TEST(PolicyDocument, RejectsMalformedDocuments) {
  // at: the text the error points to (its last occurrence in the document); empty: column 1.
  struct Case {
    std::string text;
    std::string path;
    std::string at;
    std::string message_part;
    std::uint32_t expression_position = 0;
  };
  const std::string head = R"({"name": "p", "scope": {"fleet": true}, )";
  const Case cases[] = {
      {R"({"scope": {"fleet": true}})", "name", "", "missing required key \"name\""},
      {R"({"name": "p"})", "scope", "", "missing required key \"scope\""},
      {head + R"("colour": 1})", "colour", "\"colour\"", "unknown key \"colour\""},
      {R"({"name": "p", "scope": {"fleet": false}})", "scope.fleet", "false", "must be true"},
      {R"({"name": "p", "scope": {"group": "a b"}})", "scope.group", "\"a b\"", "group"},
      {R"({"name": "p", "scope": {"device": "123"}})", "scope.device", "\"123\"", "EID"},
      {R"({"name": "p", "scope": {"fleet": true, "group": "x"}})", "scope", "{\"fleet\"", "exactly one key"},
      {R"({"name": "", "scope": {"fleet": true}})", "name", "\"\"", "1 to 128"},
      {R"({"name": 3, "scope": {"fleet": true}})", "name", "3", "expected a string"},
      {head + R"("objective": "speed"})", "objective", "\"speed\"", "unknown objective"},
      {head + R"("carriers": {"allow": ["a"], "deny": ["A"]}})", "carriers.allow[0]", "\"a\"", "also denied"},
      {head + R"("carriers": {"deny": ["a", "a"]}})", "carriers.deny[1]", "\"a\"", "listed twice"},
      {head + R"("carriers": {"prefer": ["999-1"]}})", "carriers.prefer[0]", "\"999-1\"", "invalid PLMN"},
      {head + R"("carriers": {"block": []}})", "carriers.block", "\"block\"", "unknown key"},
      {head + R"("rules": [{"when": "roaming"}]})", "rules[0].do", "{\"when\"", "missing required key \"do\""},
      {head + R"("rules": [{"when": "roaming", "do": "switch best", "if": 1}]})", "rules[0].if", "\"if\"",
       "unknown key"},
      {head + R"("rules": [{"when": "roaming", "do": "reboot"}]})", "rules[0].do", "reboot", "unknown action", 1},
      {head + R"("rules": ["roaming"]})", "rules[0]", "\"roaming\"", "a rule is an object"},
      {head + R"("carriers": {"deny": ["x"]}, "rules": [{"when": "roaming", "do": "switch to carrier \"X\""}]})",
       "rules[0].do", "\\\"X", "is denied", 19},
      {head +
           R"("rules": [{"name": "a", "when": "roaming", "do": "switch best"}, {"name": "a", "when": "roaming", "do": "switch best"}]})",
       "rules[1].name", "\"a\"", "duplicate rule name"},
      {head + R"("rules": [{"enabled": false}]})", "rules[0].enabled", "false", "needs a \"name\""},
      {head + R"("guards": {"min_dwell": "30 minutes"}})", "guards.min_dwell", "\"30 minutes\"", "invalid duration"},
      {head + R"("guards": {"cooldown": 60}})", "guards.cooldown", "60", "expected a string"},
      {head + R"("guards": {"max_switches_per_day": 2.5}})", "guards.max_switches_per_day", "2.5", "whole number"},
      {head + R"("guards": {"hysteresis": {"rsrp_db": -1}}})", "guards.hysteresis.rsrp_db", "-1", "out of range"},
      {head + R"("guards": {"hysteresis": {"rsrp": 6}}})", "guards.hysteresis.rsrp", "\"rsrp\"", "unknown key"},
      {head + R"("guards": {"quiet_hours": "22:00-06:00 Europe/Paris"}})", "guards.quiet_hours", "\"22:00",
       "invalid quiet hours"},
      {head + R"("guards": {"rollback": "yes"}})", "guards.rollback", "\"yes\"", "true or false"},
      {"[1]", "", "", "a policy is a JSON object"},
  };
  for (const auto& c : cases) {
    Diagnostic d = parse_bad(c.text);
    std::uint32_t column = c.at.empty() ? 1u : static_cast<std::uint32_t>(c.text.rfind(c.at) + 1);
    EXPECT_EQ(d.path, c.path) << c.text << ": " << d.to_string();
    EXPECT_EQ(d.line, 1u) << c.text << ": " << d.to_string();
    EXPECT_EQ(d.column, column) << c.text << ": " << d.to_string();
    EXPECT_EQ(d.expression_position, c.expression_position) << c.text;
    EXPECT_NE(d.message.find(c.message_part), std::string::npos) << c.text << ": " << d.to_string();
  }
}

TEST(PolicyDocument, SyntaxErrorsAreParseErrors) {
  Diagnostic d = parse_bad("{\n  \"name\": \"p\",\n  \"scope\": {\"fleet\": true}\n  \"rules\": []\n}");
  EXPECT_TRUE(d.syntax);
  EXPECT_EQ(d.path, "");
  EXPECT_EQ(d.line, 4u);
  EXPECT_EQ(d.column, 3u);
  EXPECT_EQ(d.to_error().code, Errc::parse_error);
  EXPECT_EQ(d.to_string(), "policy: line 4, column 3: expected ',' or '}' in object");
}

std::vector<domain::Carrier> test_catalog() {
  std::vector<domain::Carrier> cat(3);
  cat[0].id = "fr-orange";
  cat[0].name = "Orange";
  cat[0].plmns = {*domain::Plmn::parse("208-01")};
  cat[1].id = "fr-sfr";
  cat[1].name = "SFR";
  cat[1].plmns = {*domain::Plmn::parse("208-10")};
  cat[2].id = "es-orange";
  cat[2].name = "Orange";
  cat[2].plmns = {*domain::Plmn::parse("214-03")};
  return cat;
}

TEST(PolicyDocument, CarrierReferencesResolveAgainstTheCatalog) {
  auto cat = test_catalog();
  Policy p = parse_ok(R"({"name": "p", "scope": {"fleet": true},
    "carriers": {"prefer": ["orange", "208-10", "fr-sfr"]},
    "rules": [{"when": "carrier == \"SFR\"", "do": "switch to carrier \"214-03\""}]})",
                      Format::json, &cat);
  const auto& prefer = *p.carriers.prefer;
  EXPECT_EQ(prefer[0].carrier_ids, (std::vector<std::string>{"fr-orange", "es-orange"}));  // by name, both countries
  EXPECT_EQ(prefer[1].carrier_ids, (std::vector<std::string>{"fr-sfr"}));                  // by PLMN
  EXPECT_EQ(prefer[2].carrier_ids, (std::vector<std::string>{"fr-sfr"}));                  // by id
  EXPECT_EQ((*p.rules)[0].when.carriers[0].carrier_ids, (std::vector<std::string>{"fr-sfr"}));
  EXPECT_EQ((*p.rules)[0].action.carrier.carrier_ids, (std::vector<std::string>{"es-orange"}));
}

TEST(PolicyDocument, UnknownCarriersAreRejectedWithTheirPosition) {
  auto cat = test_catalog();
  std::string text = R"({"name": "p", "scope": {"fleet": true}, "carriers": {"deny": ["Vivo"]}})";
  Diagnostic d = parse_bad(text, Format::json, &cat);
  EXPECT_EQ(d.path, "carriers.deny[0]");
  EXPECT_EQ(d.column, text.find("\"Vivo") + 1);
  EXPECT_NE(d.message.find("unknown carrier \"Vivo\""), std::string::npos);
  text =
      R"({"name": "p", "scope": {"fleet": true}, "rules": [{"when": "roaming", "do": "switch to carrier \"208-99\""}]})";
  d = parse_bad(text, Format::json, &cat);
  EXPECT_EQ(d.path, "rules[0].do");
  EXPECT_EQ(d.expression_position, 19u);
  EXPECT_EQ(d.column, text.find("\\\"208-99") + 1);  // the escaped quote before 208-99 takes two columns
  d = parse_bad(
      R"({"name": "p", "scope": {"fleet": true}, "rules": [{"when": "carrier in [\"fr-sfr\", \"nope\"]", "do": "switch best"}]})",
      Format::json, &cat);
  EXPECT_EQ(d.path, "rules[0].when");
  EXPECT_EQ(d.expression_position, 23u);
  // Denied through the catalog: "Orange" covers fr-orange.
  d = parse_bad(R"({"name": "p", "scope": {"fleet": true}, "carriers": {"deny": ["Orange"]},
                    "rules": [{"when": "roaming", "do": "set fallback to carrier \"fr-orange\""}]})",
                Format::json, &cat);
  EXPECT_EQ(d.path, "rules[0].do");
  EXPECT_NE(d.message.find("is denied"), std::string::npos);
  // Without a catalog the same documents are accepted.
  (void)parse_ok(R"({"name": "p", "scope": {"fleet": true}, "carriers": {"deny": ["Vivo"]}})");
}

TEST(PolicyDocument, QuietHoursForms) {
  auto q = parse_quiet_hours("22:00-06:00");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->utc_offset_minutes, 0);
  EXPECT_EQ(parse_quiet_hours("22:00-06:00 UTC")->utc_offset_minutes, 0);
  EXPECT_EQ(parse_quiet_hours("22:00-06:00 UTC-05:30")->utc_offset_minutes, -330);
  EXPECT_EQ(parse_quiet_hours("01:00-05:00 +09:00")->utc_offset_minutes, 540);
  EXPECT_FALSE(parse_quiet_hours("22:00-22:00"));
  EXPECT_FALSE(parse_quiet_hours("24:00-06:00"));
  EXPECT_FALSE(parse_quiet_hours("22:00-06:00 +15:00"));
  EXPECT_FALSE(parse_quiet_hours("22-06"));
}

// Inheritance.
Policy doc(const std::string& json) { return parse_ok(json); }

TEST(PolicyMerge, MostSpecificWinsPerKeyAndDenyIsAUnion) {
  Policy fleet = doc(R"({"name": "fleet", "scope": {"fleet": true}, "objective": "cost",
      "carriers": {"allow": ["a", "b", "c"], "deny": ["x"], "prefer": ["a"]},
      "guards": {"min_dwell": "30m", "cooldown": "1h", "hysteresis": {"rsrp_db": 6, "latency_ms": 50}, "rollback": true}})");
  Policy group = doc(R"({"name": "trucks", "scope": {"group": "trucks"}, "objective": "signal",
      "carriers": {"deny": ["y"], "prefer": ["b", "a"]},
      "guards": {"cooldown": "2h", "hysteresis": {"rsrp_db": 3}}})");
  auto eid = domain::Eid::from_prefix30("890490320000000000000000000099");
  ASSERT_TRUE(eid.ok());
  Policy device = doc(R"({"name": "truck-7", "scope": {"device": ")" + eid->str() + R"("},
      "carriers": {"allow": ["a"]}, "guards": {"rollback": false, "max_switches_per_day": 1}})");
  const Policy* chain[] = {&fleet, &group, &device};
  Policy m = merge_policies(chain);
  EXPECT_EQ(m.name, "fleet <- trucks <- truck-7");
  EXPECT_EQ(m.scope.kind, ScopeKind::device);
  EXPECT_EQ(m.objective, Objective::signal);                 // group overrides fleet
  ASSERT_EQ(m.carriers.allow->size(), 1u);                   // device overrides
  EXPECT_EQ((*m.carriers.allow)[0].text, "a");
  ASSERT_EQ(m.carriers.deny->size(), 2u);                    // union
  EXPECT_EQ((*m.carriers.prefer)[0].text, "b");              // group's list
  EXPECT_EQ(m.guards.min_dwell, Duration(minutes(30)));      // fleet's, nobody overrides
  EXPECT_EQ(m.guards.cooldown, Duration(hours(2)));          // group's
  EXPECT_EQ(m.guards.hysteresis.rsrp_db, 3.0);               // per key inside hysteresis
  EXPECT_EQ(m.guards.hysteresis.latency_ms, 50.0);
  EXPECT_EQ(m.guards.rollback, false);                       // device's
  EXPECT_EQ(m.guards.max_switches_per_day, 1u);
  EXPECT_FALSE(m.rules);
}

TEST(PolicyMerge, RulesSpecificFirstOverriddenByNameRemovedWhenDisabled) {
  Policy fleet = doc(R"({"name": "fleet", "scope": {"fleet": true}, "rules": [
      {"name": "outage", "when": "outage detected", "do": "switch best"},
      {"name": "weak", "when": "signal.rsrp < -115 dBm for 10m", "do": "switch best"},
      {"name": "slow", "when": "latency.p50 > 400 ms", "do": "alert \"slow\""},
      {"when": "roaming for 60d", "do": "download local profile"}]})");
  Policy group = doc(R"({"name": "trucks", "scope": {"group": "trucks"}, "rules": [
      {"name": "weak", "when": "signal.rsrp < -120 dBm for 20m", "do": "switch best"},
      {"name": "slow", "enabled": false},
      {"when": "country in [BR]", "do": "download local profile"}]})");
  Policy device = doc(R"({"name": "truck-7", "scope": {"group": "trucks"}, "rules": [
      {"when": "country changed", "do": "switch best"}]})");
  const Policy* chain[] = {&fleet, &group, &device};
  Policy m = merge_policies(chain);
  ASSERT_TRUE(m.rules);
  std::vector<std::string> order;
  for (const auto& r : *m.rules) order.push_back(r.policy + "/" + r.name);
  // Unnamed rules ("rule-<n>") never override each other, even with equal generated names.
  EXPECT_EQ(order, (std::vector<std::string>{"truck-7/rule-1", "trucks/weak", "trucks/rule-3", "fleet/outage",
                                             "fleet/rule-4"}));
  EXPECT_EQ((*m.rules)[1].when_text, "signal.rsrp < -120 dBm for 20m");
}

TEST(PolicyMerge, NullLevelsAreSkipped) {
  Policy fleet = doc(R"({"name": "fleet", "scope": {"fleet": true}, "objective": "latency"})");
  const Policy* chain[] = {&fleet, nullptr, nullptr};
  Policy m = merge_policies(chain);
  EXPECT_EQ(m.name, "fleet");
  EXPECT_EQ(m.objective, Objective::latency);
}

// Fuzz-ish robustness: every prefix of a valid document, and random byte flips, give an error or a policy, never a
// crash, and a failed parse always says where.
TEST(PolicyRobustness, TruncationsAndMutationsAreRejectedCleanly) {
  for (auto [text, fmt] : {std::pair<std::string, Format>{kFleetJson, Format::json}, {kFleetYaml, Format::yaml}}) {
    for (std::size_t n = 0; n < text.size(); ++n) {
      ParseOptions o;
      o.format = fmt;
      Diagnostic d;
      auto p = parse_policy(std::string_view(text).substr(0, n), o, &d);
      if (fmt == Format::json) {
        EXPECT_FALSE(p.ok()) << "prefix " << n;  // a JSON prefix is never a complete document here
      }
      if (!p.ok()) {
        EXPECT_GE(d.line, 1u) << "prefix " << n << ": " << d.to_string();
        EXPECT_FALSE(d.message.empty());
      }
    }
    std::mt19937 rng(42);
    const char alphabet[] = "{}[]\",:-#'\n \\u0aZ<>=()!|&*";
    for (int i = 0; i < 3000; ++i) {
      std::string m = text;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        std::size_t at = rng() % m.size();
        switch (rng() % 3) {
          case 0: m[at] = alphabet[rng() % (sizeof alphabet - 1)]; break;
          case 1: m.erase(at, 1 + rng() % 8); break;
          default: m.insert(at, 1, alphabet[rng() % (sizeof alphabet - 1)]); break;
        }
      }
      ParseOptions o;
      o.format = fmt;
      Diagnostic d;
      auto p = parse_policy(m, o, &d);
      if (!p.ok()) {
        EXPECT_FALSE(d.message.empty());
        EXPECT_EQ(p.error().field, d.path);
      } else {
        // Whatever was accepted is a valid policy whose canonical form parses again.
        auto again = parse_policy(to_json(*p), ParseOptions{}, nullptr);
        EXPECT_TRUE(again.ok()) << to_json(*p);
      }
    }
  }
}

}  // namespace policy_test_local
}  // namespace esimo::policy
