#include "policy/evaluate.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace esimo::policy {
namespace evaluate_test_local {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kNow = *parse_rfc3339("2026-11-25T12:00:00Z");

TimePoint ago(Duration d) { return kNow - d; }

Condition cond(std::string_view text) {
  Condition c;
  ExprError e;
  EXPECT_TRUE(parse_condition(text, c, e)) << text << ": " << e.message;
  return c;
}

bool holds(std::string_view text, const Evidence& e, std::vector<Observation>* obs = nullptr) {
  return evaluate_condition(cond(text), e, obs);
}

Evidence base_evidence() {
  Evidence e;
  e.now = kNow;
  e.carrier_id = "fr-orange";
  e.serving_plmn = *domain::Plmn::parse("208-01");
  e.country = *domain::CountryCode::parse("FR");
  return e;
}

TEST(Evaluate, SignalHeldForAWindow) {
  Evidence e = base_evidence();
  std::vector<Sample> rsrp = {{ago(minutes(20)), -110}, {ago(minutes(12)), -118}, {ago(minutes(6)), -121},
                              {ago(minutes(1)), -117}};
  e.rsrp = rsrp;
  std::vector<Observation> obs;
  ASSERT_TRUE(holds("signal.rsrp < -115 dBm for 10m", e, &obs));
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0].term, "signal.rsrp < -115 dBm for 10m");
  EXPECT_EQ(obs[0].value, -117.0);  // the worst case for "<" is the highest value in the window
  EXPECT_EQ(obs[0].window, Duration(minutes(10)));
  EXPECT_EQ(obs[0].since, ago(minutes(12)));
  EXPECT_NE(obs[0].detail.find("max -117.0 dBm over the last 10m (3 samples"), std::string::npos) << obs[0].detail;
  // Held for 12 minutes only: a 15 minute window starts with the -110 sample.
  EXPECT_FALSE(holds("signal.rsrp < -115 dBm for 15m", e));
  // Without a window: the latest sample.
  EXPECT_TRUE(holds("signal.rsrp < -115 dBm", e));
  EXPECT_FALSE(holds("signal.rsrp < -120 dBm", e));
  // History shorter than the window.
  EXPECT_FALSE(holds("signal.rsrp < -100 dBm for 1h", e, &obs));
  // Samples after now are ignored.
  std::vector<Sample> future = rsrp;
  future.push_back({kNow + minutes(1), -80});
  e.rsrp = future;
  EXPECT_TRUE(holds("signal.rsrp < -115 dBm for 10m", e));
  // No samples at all.
  e.rsrp = {};
  EXPECT_FALSE(holds("signal.rsrp < -115 dBm", e));
}

TEST(Evaluate, RsrqAndSinr) {
  Evidence e = base_evidence();
  std::vector<Sample> rsrq = {{ago(minutes(30)), -16}, {ago(minutes(2)), -18}};
  std::vector<Sample> sinr = {{ago(minutes(30)), 1}, {ago(minutes(2)), -3}};
  e.rsrq = rsrq;
  e.sinr = sinr;
  EXPECT_TRUE(holds("signal.rsrq <= -15 dB for 20m", e));
  EXPECT_FALSE(holds("signal.sinr < 0 dB for 20m", e));  // was 1 dB at the window's start
  EXPECT_TRUE(holds("signal.sinr < 0 dB for 1m", e));
}

TEST(Evaluate, LatencyPercentileOverTheWindow) {
  Evidence e = base_evidence();
  std::vector<Sample> lat;
  lat.push_back({ago(minutes(40)), 100});  // before the window: only proves the history is long enough
  for (int i = 0; i < 10; ++i) lat.push_back({ago(minutes(14 - i)), i < 6 ? 500.0 : 120.0});
  e.latency_ms = lat;
  std::vector<Observation> obs;
  ASSERT_TRUE(holds("latency.p50 > 400 ms for 15m", e, &obs));  // 6 of 10 at 500 ms: p50 = 500
  EXPECT_EQ(obs[0].value, 500.0);
  EXPECT_NE(obs[0].detail.find("p50 500.0 ms over the last 15m (10 samples)"), std::string::npos) << obs[0].detail;
  EXPECT_FALSE(holds("latency.p50 > 400 ms for 5m", e));  // the last 5 minutes are fast
  EXPECT_TRUE(holds("latency.p95 > 400 ms", e));           // default window 15m
  EXPECT_FALSE(holds("latency.p50 > 400 ms for 1h", e));   // history since 40 minutes only
}

TEST(Evaluate, SavingsHeldInTheSameCurrency) {
  Evidence e = base_evidence();
  auto eur = [](const char* a) { return *domain::Money::parse(a, "EUR"); };
  std::vector<MoneySample> s = {{ago(hours(24 * 9)), eur("2.50")}, {ago(hours(24 * 3)), eur("2.10")}};
  e.savings_monthly = s;
  std::vector<Observation> obs;
  ASSERT_TRUE(holds("savings.monthly > 2.00 EUR for 7d", e, &obs));
  EXPECT_NE(obs[0].detail.find("min 2.10 EUR over the last 7d"), std::string::npos) << obs[0].detail;
  EXPECT_FALSE(holds("savings.monthly > 2.20 EUR for 7d", e));
  EXPECT_FALSE(holds("savings.monthly > 2.00 USD", e));  // another currency never satisfies
}

TEST(Evaluate, Geography) {
  Evidence e = base_evidence();
  EXPECT_FALSE(holds("country changed", e));
  e.previous_country = *domain::CountryCode::parse("ES");
  e.country_since = ago(minutes(20));
  std::vector<Observation> obs;
  ASSERT_TRUE(holds("country changed", e, &obs));  // no switch since the change
  EXPECT_EQ(obs[0].detail, "ES -> FR at 2026-11-25T11:40:00Z");
  e.last_switch_at = ago(minutes(10));
  EXPECT_FALSE(holds("country changed", e));  // already acted on
  EXPECT_TRUE(holds("country changed within 30m", e));
  EXPECT_FALSE(holds("country changed within 15m", e));
  EXPECT_TRUE(holds("country in [BR, FR]", e));
  EXPECT_FALSE(holds("country not in [BR, FR]", e));
  EXPECT_TRUE(holds("country == FR", e));
  EXPECT_TRUE(holds("country != DE", e));
  e.country.reset();
  EXPECT_FALSE(holds("country in [FR]", e));
  EXPECT_FALSE(holds("country not in [FR]", e));  // unknown country satisfies neither
  e = base_evidence();
  EXPECT_FALSE(holds("roaming", e));
  e.roaming = true;
  e.roaming_since = ago(hours(24 * 61));
  EXPECT_TRUE(holds("roaming", e));
  EXPECT_TRUE(holds("roaming for 60d", e));
  EXPECT_FALSE(holds("roaming for 90d", e));
}

TEST(Evaluate, CarrierStatusOutageServiceAndCarrier) {
  Evidence e = base_evidence();
  std::vector<CarrierStatusEntry> st = {{"fr-orange", *domain::CountryCode::parse("ES"), domain::CarrierStatus::down},
                                        {"fr-sfr", *domain::CountryCode::parse("FR"), domain::CarrierStatus::down}};
  e.carrier_status = st;
  EXPECT_FALSE(holds("carrier.status == down", e));  // down elsewhere, or another carrier
  EXPECT_TRUE(holds("carrier.status == up", e));     // absent from the feed: up
  st.push_back({"fr-orange", *domain::CountryCode::parse("FR"), domain::CarrierStatus::degraded});
  e.carrier_status = st;
  EXPECT_TRUE(holds("carrier.status == degraded", e));
  EXPECT_TRUE(holds("carrier.status != up", e));
  EXPECT_FALSE(holds("outage detected", e));
  e.outage = true;
  EXPECT_TRUE(holds("outage detected", e));
  EXPECT_FALSE(holds("no_service", e));
  e.no_service_since = ago(minutes(6));
  EXPECT_TRUE(holds("no_service", e));
  EXPECT_TRUE(holds("no_service for 5m", e));
  EXPECT_FALSE(holds("no_service for 10m", e));
  EXPECT_TRUE(holds("carrier == \"FR-ORANGE\"", e));   // ids compare case-insensitively without a catalog
  EXPECT_TRUE(holds("carrier == \"208-01\"", e));      // by serving PLMN
  EXPECT_TRUE(holds("carrier not in [\"fr-sfr\"]", e));
}

TEST(Evaluate, BooleanOperatorsAndTheirEvidence) {
  Evidence e = base_evidence();
  e.outage = true;
  e.roaming = true;
  std::vector<Observation> obs;
  ASSERT_TRUE(holds("outage detected and not country in [BR]", e, &obs));
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[1].term, "not country in [BR]");
  EXPECT_EQ(obs[1].detail, "country in [BR]: country FR");
  obs.clear();
  ASSERT_TRUE(holds("country in [BR] or roaming or outage detected", e, &obs));
  ASSERT_EQ(obs.size(), 2u);  // only the branches that hold are evidence
  EXPECT_EQ(obs[0].term, "roaming");
  EXPECT_FALSE(holds("(country in [BR] or roaming) and not outage detected", e));
}

CompiledPolicy compiled(std::string_view json) {
  Diagnostic d;
  auto p = parse_policy(json, ParseOptions{}, &d);
  EXPECT_TRUE(p.ok()) << d.to_string();
  return CompiledPolicy::compile(p.ok() ? *p : Policy{});
}

TEST(Evaluate, FirstMatchingRuleFiresAndNamesPolicyRuleAndEvidence) {
  CompiledPolicy cp = compiled(R"({"name": "fleet-default", "scope": {"fleet": true}, "rules": [
      {"name": "off", "enabled": false},
      {"name": "outage", "when": "outage detected", "do": "switch best"},
      {"name": "weak", "when": "signal.rsrp < -115 dBm for 10m", "do": "switch to carrier \"fr-sfr\""},
      {"name": "also-weak", "when": "signal.rsrp < -100 dBm", "do": "alert \"weak\""}]})");
  EXPECT_EQ(cp.rules().size(), 3u);  // the disabled rule is dropped
  EXPECT_EQ(cp.reads(), kReadsOutage | kReadsSignal);
  EXPECT_EQ(cp.history(Metric::rsrp), Duration(minutes(10)));  // the longer of 10m and "latest"
  EXPECT_EQ(cp.history(Metric::latency_p50), Duration::zero());  // not read
  CompiledPolicy lat = compiled(R"({"name": "l", "scope": {"fleet": true}, "rules": [
      {"when": "latency.p95 > 300 ms", "do": "alert \"a\""},
      {"when": "savings.monthly > 1.00 EUR for 7d or latency.p95 > 900 ms for 5m", "do": "switch best"}]})");
  EXPECT_EQ(lat.history(Metric::latency_p95), Duration(minutes(15)));  // the default percentile window
  EXPECT_EQ(lat.history(Metric::savings_monthly), Duration(hours(24 * 7)));
  EXPECT_EQ(lat.reads(), kReadsLatency | kReadsSavings);
  Evidence e = base_evidence();
  EXPECT_FALSE(evaluate(cp, e));
  std::vector<Sample> rsrp = {{ago(minutes(11)), -120}, {ago(minutes(3)), -119}};
  e.rsrp = rsrp;
  auto f = evaluate(cp, e);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, "weak");
  EXPECT_EQ(f->rule_index, 1u);
  EXPECT_EQ(f->policy, "fleet-default");
  EXPECT_EQ(f->action.kind, ActionKind::switch_to);
  EXPECT_FALSE(f->urgent);
  EXPECT_EQ(f->reason(),
            "policy fleet-default, rule weak: signal.rsrp < -115 dBm for 10m [max -119.0 dBm over the last 10m "
            "(2 samples, held since 2026-11-25T11:49:00Z)] -> switch to carrier \"fr-sfr\"");
  e.outage = true;
  f = evaluate(cp, e);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, "outage");
  EXPECT_TRUE(f->urgent);
}

TEST(Evaluate, MergedPolicyNamesTheDocumentOfTheRule) {
  Diagnostic d;
  auto fleet = parse_policy(R"({"name": "fleet", "scope": {"fleet": true}, "rules": [
      {"name": "outage", "when": "outage detected", "do": "switch best"}]})", ParseOptions{}, &d);
  auto group = parse_policy(R"({"name": "trucks", "scope": {"group": "trucks"}, "rules": [
      {"name": "brazil", "when": "country in [BR]", "do": "download local profile"}]})", ParseOptions{}, &d);
  ASSERT_TRUE(fleet.ok() && group.ok());
  const Policy* chain[] = {&*fleet, &*group};
  CompiledPolicy cp = CompiledPolicy::compile(merge_policies(chain));
  Evidence e = base_evidence();
  e.outage = true;
  auto f = evaluate(cp, e);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->policy, "fleet <- trucks");
  EXPECT_EQ(f->origin, "fleet");
  EXPECT_EQ(f->rule, "outage");
}

// ---- Guards ----
Guards guards(std::string_view json) {
  auto p = parse_policy(std::string(R"({"name": "g", "scope": {"fleet": true}, "guards": )") + std::string(json) + "}",
                        ParseOptions{});
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? p->guards : Guards{};
}

TEST(Guards, MinDwell) {
  Guards g = guards(R"({"min_dwell": "30m"})");
  EXPECT_TRUE(check_min_dwell(g, std::nullopt, kNow).allowed);
  GuardVerdict v = check_min_dwell(g, ago(minutes(10)), kNow);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.blocked_by, GuardKind::min_dwell);
  EXPECT_EQ(v.retry_at, kNow + minutes(20));
  EXPECT_EQ(v.reason,
            "min_dwell: 30m after the last switch at 2026-11-25T11:50:00Z (until 2026-11-25T12:20:00Z)");
  EXPECT_TRUE(check_min_dwell(g, ago(minutes(30)), kNow).allowed);
  EXPECT_TRUE(check_min_dwell(Guards{}, ago(seconds(1)), kNow).allowed);
}

TEST(Guards, Cooldown) {
  Guards g = guards(R"({"cooldown": "1h"})");
  GuardVerdict v = check_cooldown(g, ago(minutes(59)), kNow);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.blocked_by, GuardKind::cooldown);
  EXPECT_EQ(v.retry_at, kNow + minutes(1));
  EXPECT_TRUE(check_cooldown(g, ago(minutes(61)), kNow).allowed);
}

TEST(Guards, MaxSwitchesPerDay) {
  Guards g = guards(R"({"max_switches_per_day": 3})");
  EXPECT_TRUE(check_max_switches(g, 2).allowed);
  GuardVerdict v = check_max_switches(g, 3);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, "max_switches_per_day: 3 switches in the last 24h (limit 3)");
  EXPECT_FALSE(check_max_switches(guards(R"({"max_switches_per_day": 0})"), 0).allowed);
}

TEST(Guards, QuietHoursWrapMidnightWithOffset) {
  Guards g = guards(R"({"quiet_hours": "22:00-06:00 +01:00"})");
  const QuietHours& q = *g.quiet_hours;
  EXPECT_TRUE(in_quiet_hours(q, *parse_rfc3339("2026-11-25T21:00:00Z")));   // 22:00 local
  EXPECT_FALSE(in_quiet_hours(q, *parse_rfc3339("2026-11-25T20:59:00Z")));  // 21:59 local
  EXPECT_TRUE(in_quiet_hours(q, *parse_rfc3339("2026-11-26T04:59:00Z")));   // 05:59 local
  EXPECT_FALSE(in_quiet_hours(q, *parse_rfc3339("2026-11-26T05:00:00Z")));  // 06:00 local: end is exclusive
  GuardVerdict v = check_quiet_hours(g, *parse_rfc3339("2026-11-25T23:30:20Z"));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.blocked_by, GuardKind::quiet_hours);
  EXPECT_EQ(v.retry_at, parse_rfc3339("2026-11-26T05:00:00Z"));
  Guards day = guards(R"({"quiet_hours": "09:00-17:00"})");
  EXPECT_TRUE(in_quiet_hours(*day.quiet_hours, *parse_rfc3339("2026-11-25T12:00:00Z")));
  EXPECT_FALSE(in_quiet_hours(*day.quiet_hours, *parse_rfc3339("2026-11-25T17:00:00Z")));
}

TEST(Guards, CombinedPerActionKindAndUrgency) {
  Guards g = guards(R"({"min_dwell": "30m", "cooldown": "10m", "max_switches_per_day": 2,
                        "quiet_hours": "11:00-13:00"})");
  Evidence e = base_evidence();  // 12:00 UTC: inside the quiet hours
  Action sw;
  sw.kind = ActionKind::switch_best;
  Action alert;
  alert.kind = ActionKind::alert;
  EXPECT_EQ(check_guards(g, sw, false, e).blocked_by, GuardKind::quiet_hours);
  EXPECT_TRUE(check_guards(g, sw, true, e).allowed);     // urgent: quiet hours do not hold it
  EXPECT_TRUE(check_guards(g, alert, false, e).allowed);  // alerts face the cooldown only
  e.last_switch_at = ago(minutes(20));
  EXPECT_EQ(check_guards(g, sw, false, e).blocked_by, GuardKind::min_dwell);
  EXPECT_TRUE(check_guards(g, sw, true, e).allowed);     // urgent: no dwell
  e.switches_last_24h = 2;
  EXPECT_EQ(check_guards(g, sw, true, e).blocked_by, GuardKind::max_switches_per_day);
  EXPECT_TRUE(check_guards(g, alert, false, e).allowed);
  e.last_action_at = ago(minutes(5));
  EXPECT_EQ(check_guards(g, sw, true, e).blocked_by, GuardKind::cooldown);
  EXPECT_EQ(check_guards(g, alert, false, e).blocked_by, GuardKind::cooldown);
}

TEST(Guards, Hysteresis) {
  Hysteresis h;
  h.rsrp_db = 6;
  h.latency_ms = 50;
  Candidate cur{"a"};
  cur.rsrp_dbm = -110;
  cur.latency_ms = 300;
  Candidate cand{"b"};
  cand.rsrp_dbm = -105;
  cand.latency_ms = 200;
  GuardVerdict v = check_hysteresis(h, cur, cand);
  EXPECT_FALSE(v.allowed);  // 5 dB better, 6 needed
  EXPECT_EQ(v.blocked_by, GuardKind::hysteresis);
  cand.rsrp_dbm = -104;
  EXPECT_TRUE(check_hysteresis(h, cur, cand).allowed);
  cand.latency_ms = 260;
  EXPECT_FALSE(check_hysteresis(h, cur, cand).allowed);  // 40 ms faster, 50 needed
  cand.latency_ms.reset();
  EXPECT_TRUE(check_hysteresis(h, cur, cand).allowed);   // unknown values do not block
}

// ---- Carrier choice ----
Policy choice_policy(std::string_view extra) {
  auto p = parse_policy(std::string(R"({"name": "c", "scope": {"fleet": true})") + std::string(extra) + "}",
                        ParseOptions{});
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : Policy{};
}

Candidate cand(const char* id, double rsrp, double latency, const char* cost) {
  Candidate c;
  c.carrier_id = id;
  c.rsrp_dbm = rsrp;
  c.latency_ms = latency;
  c.monthly_cost = *domain::Money::parse(cost, "EUR");
  return c;
}

TEST(Choose, ObjectivePreferenceEligibilityAndHysteresis) {
  std::vector<Candidate> cs = {cand("a", -100, 90, "3.00"), cand("b", -90, 150, "1.00"), cand("c", -80, 60, "2.00")};
  EXPECT_EQ(choose_best(choice_policy(R"(, "objective": "cost")"), nullptr, cs)->index, 1u);
  EXPECT_EQ(choose_best(choice_policy(R"(, "objective": "signal")"), nullptr, cs)->index, 2u);
  auto lat = choose_best(choice_policy(R"(, "objective": "latency")"), nullptr, cs);
  EXPECT_EQ(lat->index, 2u);
  EXPECT_EQ(lat->why, "objective latency: latency 60.0 ms");
  auto cost = choose_best(choice_policy(R"(, "objective": "cost")"), nullptr, cs);
  EXPECT_EQ(cost->why, "objective cost: 1.00 EUR/month");
  // Preference beats the objective.
  auto pref = choose_best(choice_policy(R"(, "objective": "cost", "carriers": {"prefer": ["a"]})"), nullptr, cs);
  EXPECT_EQ(pref->index, 0u);
  EXPECT_EQ(pref->why, "preferred #1");
  // Denied, not allowed, down or in outage: never chosen.
  EXPECT_EQ(choose_best(choice_policy(R"(, "objective": "cost", "carriers": {"deny": ["b"]})"), nullptr, cs)->index,
            2u);
  EXPECT_EQ(choose_best(choice_policy(R"(, "objective": "cost", "carriers": {"allow": ["a"]})"), nullptr, cs)->index,
            0u);
  cs[1].status = domain::CarrierStatus::down;
  cs[2].outage = true;
  EXPECT_EQ(choose_best(choice_policy(R"(, "objective": "cost")"), nullptr, cs)->index, 0u);
  // The current carrier is never its own best; with it healthy, hysteresis applies.
  cs[1].status = domain::CarrierStatus::up;
  cs[2].outage = false;
  Policy sig = choice_policy(R"(, "objective": "signal", "guards": {"hysteresis": {"rsrp_db": 15}})");
  Candidate current = cand("a", -100, 90, "3.00");
  auto best = choose_best(sig, &current, cs);
  ASSERT_TRUE(best);
  EXPECT_EQ(best->index, 2u);  // c is 20 dB better, b only 10
  current.rsrp_dbm = -90;
  EXPECT_FALSE(choose_best(sig, &current, cs));
  current.outage = true;  // an unhealthy current carrier: no hysteresis
  EXPECT_EQ(choose_best(sig, &current, cs)->index, 2u);
  EXPECT_FALSE(choose_best(sig, nullptr, std::span<const Candidate>{}));
}

}  // namespace evaluate_test_local

namespace decide_test_local {

using std::chrono::minutes;

const TimePoint kAt = *parse_rfc3339("2026-11-25T12:00:00Z");

CompiledPolicy compile_json(std::string_view json) {
  Diagnostic d;
  auto p = parse_policy(json, ParseOptions{}, &d);
  EXPECT_TRUE(p.ok()) << d.to_string();
  return CompiledPolicy::compile(p.ok() ? *p : Policy{});
}

Candidate priced(const char* id, const char* cost) {
  Candidate c;
  c.carrier_id = id;
  c.monthly_cost = *domain::Money::parse(cost, "EUR");
  return c;
}

TEST(Decide, FiredGuardedAndTargeted) {
  CompiledPolicy cp = compile_json(R"({"name": "fleet", "scope": {"fleet": true}, "objective": "cost",
      "rules": [{"name": "outage", "when": "outage detected", "do": "switch best"},
                {"name": "roam", "when": "roaming", "do": "switch to carrier \"c\""},
                {"name": "br", "when": "country in [BR]", "do": "alert \"in Brazil\""}],
      "guards": {"min_dwell": "30m", "max_switches_per_day": 2}})");
  std::vector<Candidate> cs = {priced("a", "3.00"), priced("b", "1.00"), priced("c", "2.00")};
  Evidence e;
  e.now = kAt;
  e.carrier_id = "a";
  e.country = *domain::CountryCode::parse("FR");
  Candidate current = cs[0];

  Decision none = decide(cp, e, &current, cs);
  EXPECT_FALSE(none.fired);
  EXPECT_FALSE(none.act());
  EXPECT_EQ(none.reason(cs), "no rule holds");

  e.outage = true;
  current.outage = true;
  Decision out = decide(cp, e, &current, cs);
  ASSERT_TRUE(out.act());
  EXPECT_EQ(out.target, 1u);
  EXPECT_EQ(out.reason(cs),
            "policy fleet, rule outage: outage detected [outage declared on a in FR] -> switch best => b "
            "(objective cost: 1.00 EUR/month)");

  e.outage = false;
  current.outage = false;
  e.roaming = true;
  e.last_switch_at = kAt - minutes(10);
  Decision held = decide(cp, e, &current, cs);
  ASSERT_TRUE(held.fired);
  EXPECT_EQ(held.fired->rule, "roam");
  EXPECT_FALSE(held.act());
  EXPECT_EQ(held.guard.blocked_by, GuardKind::min_dwell);
  EXPECT_NE(held.reason(cs).find("(held by min_dwell: 30m after the last switch"), std::string::npos);

  e.last_switch_at = kAt - minutes(40);
  Decision to_c = decide(cp, e, &current, cs);
  ASSERT_TRUE(to_c.act());
  EXPECT_EQ(to_c.target, 2u);
  cs[2].status = domain::CarrierStatus::down;
  Decision no_c = decide(cp, e, &current, cs);
  EXPECT_FALSE(no_c.act());
  EXPECT_EQ(no_c.no_target, "no eligible profile of carrier \"c\"");

  e.roaming = false;
  e.country = *domain::CountryCode::parse("BR");
  e.switches_last_24h = 5;
  Decision alert = decide(cp, e, &current, cs);
  EXPECT_TRUE(alert.act());  // alerts need no target and are not switches
  EXPECT_FALSE(alert.target);
}

}  // namespace decide_test_local
namespace stays_quiet_test_local {

using std::chrono::minutes;
const TimePoint kAt = *parse_rfc3339("2026-11-25T12:00:00Z");

CompiledPolicy one_rule(const std::string& when) {
  auto p = parse_policy(R"({"name": "q", "scope": {"fleet": true}, "rules": [{"when": ")" + when +
                            R"(", "do": "switch best"}]})",
                        ParseOptions{});
  EXPECT_TRUE(p.ok()) << when;
  return CompiledPolicy::compile(p.ok() ? *p : Policy{});
}

Evidence quiet_evidence(std::vector<Sample>& rsrp, std::vector<Sample>& latency) {
  Evidence e;
  e.now = kAt;
  e.carrier_id = "de-a";
  e.country = *domain::CountryCode::parse("DE");
  for (int k = 20; k >= 0; --k) {
    rsrp.push_back({kAt - minutes(k), -90});
    latency.push_back({kAt - minutes(k), 60});
  }
  e.rsrp = rsrp;
  e.latency_ms = latency;
  return e;
}

TEST(StaysQuiet, WatchedThresholdsAreEveryMetricTermsComparison) {
  const CompiledPolicy cp = one_rule("signal.rsrp < -115 dBm for 10m or latency.p50 > 400 ms or savings.monthly > 1.00 EUR");
  const auto w = watched_thresholds(cp);
  ASSERT_EQ(w.size(), 2u);  // savings is not per sample
  EXPECT_EQ(w[0].metric, Metric::rsrp);
  EXPECT_EQ(w[0].op, CmpOp::lt);
  EXPECT_EQ(w[0].threshold, -115);
  EXPECT_EQ(w[1].metric, Metric::latency_p50);
  EXPECT_EQ(w[1].threshold, 400);
}

TEST(StaysQuiet, ASignalTermIsQuietForGoodOnlyWhileItsLatestSampleFails) {
  std::vector<Sample> rsrp, lat;
  Evidence e = quiet_evidence(rsrp, lat);
  const CompiledPolicy cp = one_rule("signal.rsrp < -115 dBm for 10m");
  EXPECT_TRUE(stays_quiet(cp, e));
  rsrp.back().value = -120;  // crossed: the term is false now (not for 10m) but may hold later
  e.rsrp = rsrp;
  EXPECT_FALSE(evaluate(cp, e));
  EXPECT_FALSE(stays_quiet(cp, e));
  rsrp.back().value = -90;
  rsrp.push_back({kAt + minutes(1), -120});  // a sample after now becomes the latest later
  e.rsrp = rsrp;
  EXPECT_FALSE(stays_quiet(cp, e));
}

TEST(StaysQuiet, ALatencyPercentileIsQuietForGoodWhenNoSampleOfItsWindowSatisfiesIt) {
  std::vector<Sample> rsrp, lat;
  Evidence e = quiet_evidence(rsrp, lat);
  const CompiledPolicy cp = one_rule("latency.p50 > 400 ms for 15m");
  EXPECT_TRUE(stays_quiet(cp, e));
  lat[lat.size() - 5].value = 900;  // p50 is still 60, but older samples leave the window as time passes
  e.latency_ms = lat;
  EXPECT_FALSE(evaluate(cp, e));
  EXPECT_FALSE(stays_quiet(cp, e));
  lat[lat.size() - 5].value = 60;
  lat[2].value = 900;  // before the window: it can never be read again
  e.latency_ms = lat;
  EXPECT_TRUE(stays_quiet(cp, e));
}

TEST(StaysQuiet, TermsThatTimeCanTurnAndNegationAreNotQuietForGood) {
  std::vector<Sample> rsrp, lat;
  Evidence e = quiet_evidence(rsrp, lat);
  EXPECT_TRUE(stays_quiet(one_rule("no_service for 5m"), e));
  e.no_service_since = kAt - minutes(1);
  EXPECT_FALSE(stays_quiet(one_rule("no_service for 5m"), e));  // holds in 4 minutes
  e.no_service_since.reset();
  e.roaming = true;
  e.roaming_since = kAt - minutes(10);
  EXPECT_FALSE(stays_quiet(one_rule("roaming for 1h"), e));
  EXPECT_TRUE(stays_quiet(one_rule("roaming for 1h and country in [BR]"), e));  // DE stays DE
  e.roaming = false;
  e.roaming_since.reset();
  EXPECT_FALSE(stays_quiet(one_rule("not signal.rsrp < -115 dBm"), e));  // holds now
  EXPECT_FALSE(stays_quiet(one_rule("not latency.p50 > 50 ms"), e));     // may change with any sample
  EXPECT_TRUE(stays_quiet(one_rule("outage detected or carrier.status != up"), e));
  EXPECT_FALSE(stays_quiet(one_rule("savings.monthly > 1.00 EUR"), e));
}

}  // namespace stays_quiet_test_local
namespace next_change_test_local {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using stays_quiet_test_local::kAt;

CompiledPolicy rule(const std::string& when) { return stays_quiet_test_local::one_rule(when); }

// The evidence only moving in time: the rule's value is the same at every second from now until next_change (and at
// no moment in between does it differ).
void constant_until_next_change(const CompiledPolicy& cp, Evidence e, Duration horizon) {
  const auto next = next_change(cp, e);
  const TimePoint now = e.now;
  const bool at_now = evaluate(cp, e).has_value();
  const TimePoint end = next ? std::min(*next, now + horizon) : now + horizon;
  for (TimePoint t = now; t < end; t += seconds(1)) {
    e.now = t;
    ASSERT_EQ(evaluate(cp, e).has_value(), at_now) << "changed at " << format_rfc3339(t) << " before next_change";
  }
}

TEST(NextChange, ForAndWithinTermsChangeWhenTheirDurationEnds) {
  Evidence e;
  e.now = kAt;
  e.no_service_since = kAt - minutes(1);
  EXPECT_EQ(next_change(rule("no_service for 5m"), e), kAt + minutes(4));
  EXPECT_EQ(next_change(rule("no_service"), e), std::nullopt);  // holds, and stays so with time alone
  e.no_service_since = kAt - minutes(6);
  EXPECT_EQ(next_change(rule("no_service for 5m"), e), std::nullopt);  // holds already
  e.no_service_since.reset();
  EXPECT_EQ(next_change(rule("no_service for 5m"), e), std::nullopt);  // in service: only a record changes it
  e.roaming = true;
  e.roaming_since = kAt - minutes(10);
  EXPECT_EQ(next_change(rule("roaming for 1h"), e), kAt + minutes(50));
  e.country = *domain::CountryCode::parse("DE");
  e.previous_country = *domain::CountryCode::parse("NL");
  e.country_since = kAt - minutes(3);
  // "within 10m" holds while now - since <= 10m: false from the microsecond after.
  EXPECT_EQ(next_change(rule("country changed within 10m"), e), kAt + minutes(7) + Duration(1));
  EXPECT_EQ(next_change(rule("country changed"), e), std::nullopt);
  EXPECT_EQ(next_change(rule("outage detected or carrier.status != up or country in [DE]"), e), std::nullopt);
  // The earliest of every term of every rule, also under "not" and "or".
  e.no_service_since = kAt - minutes(1);
  EXPECT_EQ(next_change(rule("not (roaming for 1h) or no_service for 5m"), e), kAt + minutes(4));
  for (const char* when : {"no_service for 5m", "roaming for 1h", "country changed within 10m",
                           "not country changed within 10m and roaming for 30m"}) {
    constant_until_next_change(rule(when), e, hours(2));
  }
}

TEST(NextChange, AWindowChangesWhenItsStartPassesASampleOrALaterSampleComesIntoView) {
  std::vector<Sample> rsrp{{kAt - minutes(12), -90}, {kAt - minutes(8), -120}, {kAt - minutes(3), -121},
                           {kAt + minutes(2), -90}};
  std::vector<Sample> lat{{kAt - minutes(20), 900}, {kAt - minutes(14), 900}, {kAt - minutes(2), 50}};
  Evidence e;
  e.now = kAt;
  e.rsrp = rsrp;
  e.latency_ms = lat;
  // Held for 10m: the window [now - 10m, now] starts after the sample of -12m; the first sample after the start
  // (-8m) leaves it at now + 2m — but the sample of +2m comes into view at the same time.
  EXPECT_EQ(next_change(rule("signal.rsrp < -115 dBm for 10m"), e), kAt + minutes(2));
  EXPECT_EQ(next_change(rule("signal.rsrp < -115 dBm"), e), kAt + minutes(2));  // the latest sample changes then
  rsrp.pop_back();
  e.rsrp = rsrp;
  EXPECT_EQ(next_change(rule("signal.rsrp < -115 dBm for 10m"), e), kAt + minutes(2));
  EXPECT_EQ(next_change(rule("signal.rsrp < -115 dBm"), e), std::nullopt);
  // A percentile over 15 minutes (the default): the sample of -14m leaves at +1m.
  EXPECT_EQ(next_change(rule("latency.p50 > 400 ms"), e), kAt + minutes(1));
  EXPECT_EQ(next_change(rule("latency.p50 > 400 ms for 5m"), e), kAt + minutes(3));
  for (const char* when : {"signal.rsrp < -115 dBm for 10m", "signal.rsrp < -115 dBm for 5m",
                           "latency.p50 > 400 ms", "latency.p95 > 400 ms for 30m"}) {
    constant_until_next_change(rule(when), e, hours(1));
  }
}

TEST(NextChange, GuardsEndAtTheirTime) {
  Guards g;
  g.cooldown = minutes(30);
  g.min_dwell = minutes(20);
  Evidence e;
  e.now = kAt;
  EXPECT_EQ(next_guard_change(g, e), std::nullopt);
  e.last_action_at = kAt - minutes(10);
  e.last_switch_at = kAt - minutes(15);
  EXPECT_EQ(next_guard_change(g, e), kAt + minutes(5));  // min_dwell ends first
  e.last_switch_at = kAt - minutes(25);
  EXPECT_EQ(next_guard_change(g, e), kAt + minutes(20));  // then the cooldown
  g.quiet_hours = parse_quiet_hours("11:00-12:30 +01:00");  // 10:00-11:30 UTC; kAt is 12:00 UTC, outside
  ASSERT_TRUE(g.quiet_hours);
  EXPECT_EQ(next_quiet_hours_change(*g.quiet_hours, kAt), kAt + hours(22));  // they start again at 10:00 UTC
  EXPECT_EQ(next_guard_change(g, e), kAt + minutes(20));
  const auto q = parse_quiet_hours("22:00-06:00");
  ASSERT_TRUE(q);
  EXPECT_EQ(next_quiet_hours_change(*q, kAt + seconds(30)), kAt + hours(10));  // start at 22:00
  EXPECT_EQ(next_quiet_hours_change(*q, kAt + hours(11) + seconds(30)), kAt + hours(18));  // inside: end at 06:00
  for (TimePoint t = kAt; t < kAt + hours(24); t += minutes(7)) {
    const auto next = next_quiet_hours_change(*q, t);
    ASSERT_TRUE(next);
    EXPECT_NE(in_quiet_hours(*q, *next), in_quiet_hours(*q, t));
    EXPECT_EQ(in_quiet_hours(*q, *next - seconds(1)), in_quiet_hours(*q, t)) << format_rfc3339(t);
  }
  if (const auto always = parse_quiet_hours("06:00-06:00")) {
    EXPECT_EQ(next_quiet_hours_change(*always, kAt), std::nullopt);  // the whole day: never changes
  }
}

}  // namespace next_change_test_local
}  // namespace esimo::policy
