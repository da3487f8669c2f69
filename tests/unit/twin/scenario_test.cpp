#include "twin/scenario.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"
#include "twin_model_test_util.hpp"

namespace esimo::twin {
namespace scenario_test {

using testing::cc;
using testing::minimal_scenario;
using testing::small_catalog;
using namespace std::chrono_literals;

Result<Scenario> load(const std::string& text) { return load_scenario_text(text, "s.toml", small_catalog()); }

// The error names the file and line and says why.
void expect_error(const std::string& text, const std::string& where, const std::string& reason) {
  auto s = load(text);
  ASSERT_FALSE(s.ok()) << "accepted:\n" << text;
  EXPECT_EQ(s.error().message.rfind(where, 0), 0u) << s.error().message;
  EXPECT_NE(s.error().message.find(reason), std::string::npos) << s.error().message;
}

TEST(ScenarioCatalog, ResolvesIdsPlmnsAndNames) {
  const auto& cat = small_catalog();
  EXPECT_EQ(cat.resolve("de-vodafone", cc("DE")).value(), testing::kVodafoneDe);
  EXPECT_EQ(cat.resolve("vodafone", cc("DE")).value(), testing::kVodafoneDe);
  EXPECT_EQ(cat.resolve("262-02", cc("DE")).value(), testing::kVodafoneDe);
  // 262-01 is Telekom's home network (its lowest PLMN) and Congstar's: the home carrier wins.
  EXPECT_EQ(cat.resolve("262-01", cc("DE")).value(), testing::kTelekom);
  // A foreign PLMN named for another country still resolves (roaming overrides).
  EXPECT_EQ(cat.resolve("310-410", cc("BR")).value(), testing::kAtt);
  EXPECT_EQ(cat.resolve("AT & T", cc("US")).value(), testing::kAtt);
  auto missing = cat.resolve("Vodafone", cc("FR"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("'Orange'"), std::string::npos) << missing.error().message;
  EXPECT_FALSE(cat.resolve("999-99", cc("DE")).ok());
  EXPECT_EQ(cat.in_country(cc("DE")).size(), 4u);
  EXPECT_TRUE(cat.is_home(testing::kVivo, cc("BR")));
  EXPECT_FALSE(cat.is_home(testing::kVivo, cc("DE")));
  EXPECT_EQ(plmn_of_key(cat.home_plmn(testing::kTelekom)).str(), "262-01");
  EXPECT_EQ(country_of_key(country_key(cc("BR"))).str(), "BR");
}

TEST(ScenarioDurations, ParseAndFormat) {
  EXPECT_EQ(parse_sim_duration("90s").value(), 90s);
  EXPECT_EQ(parse_sim_duration("1h30m").value(), 90min);
  EXPECT_EQ(parse_sim_duration("2d").value(), 48h);
  EXPECT_EQ(parse_sim_duration("1w").value(), 168h);
  EXPECT_EQ(parse_sim_duration("250ms").value(), 250ms);
  EXPECT_EQ(parse_sim_duration("600").value(), 600s);
  EXPECT_FALSE(parse_sim_duration("").ok());
  EXPECT_EQ(parse_sim_duration("5").value(), 5s);
  EXPECT_FALSE(parse_sim_duration("5x").ok());
  EXPECT_FALSE(parse_sim_duration("h").ok());
  EXPECT_FALSE(parse_sim_duration("-5m").ok());
  // Found by tests/fuzz/scenario_fuzz: plain seconds overflowed the microseconds inside (signed overflow, UB).
  auto huge = parse_sim_duration("933323333933323");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("is too long"), std::string::npos) << huge.error().message;
  EXPECT_FALSE(parse_sim_duration("9223372036854775807").ok());
  EXPECT_EQ(parse_sim_duration("315360000").value(), std::chrono::hours(24 * 365 * 10));  // ten years still fit
  EXPECT_EQ(format_sim_duration(90min), "1h30m");
  EXPECT_EQ(format_sim_duration(SimTime::zero()), "0s");
  EXPECT_EQ(format_sim_duration(49h + 1s), "2d1h1s");
}

TEST(Scenario, MinimalGetsDefaults) {
  auto s = load(minimal_scenario());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->name, "t");
  EXPECT_EQ(s->source, "s.toml");
  EXPECT_EQ(s->seed, 1u);
  EXPECT_EQ(s->duration, 12h);
  EXPECT_EQ(format_rfc3339(s->start), "2027-01-01T00:00:00Z");
  EXPECT_EQ(s->tick, 1s);
  EXPECT_EQ(s->sample_interval, 1min);
  EXPECT_EQ(s->fleet.devices, 100u);
  ASSERT_EQ(s->fleet.groups.size(), 1u);
  const auto& g = s->fleet.groups[0];
  EXPECT_EQ(g.name, "group-1");
  EXPECT_EQ(g.profiles_min, 2u);
  EXPECT_EQ(g.profiles_max, 3u);
  EXPECT_EQ(g.poll_interval, 15min);
  EXPECT_EQ(g.fallback_after, 10min);
  EXPECT_TRUE(g.fallback);
  EXPECT_EQ(g.priority, 1);
  EXPECT_DOUBLE_EQ(s->networks.defaults.coverage, 0.97);
  EXPECT_EQ(s->networks.defaults.price_per_mb.micros, 10000);
  EXPECT_EQ(s->networks.defaults.price_per_mb.currency.str(), "EUR");
  EXPECT_EQ(s->networks.defaults.monthly_fee.micros, 500000);
  EXPECT_TRUE(s->events.empty());
  EXPECT_TRUE(s->compliance.empty());
}

// Every key of the format, each with a non-default value.
constexpr const char* kEveryKey = R"(
name = "every-key"
description = "all of them"
seed = 1234
duration = "2d"
start = "2027-06-01T12:00:00Z"
tick = "500ms"
sample_interval = "10m"

[fleet]
devices = 5000
profiles = [3, 4]
poll_interval = "20m"
usage_mb_per_day = 7.5
priority = "high"
fallback_after = "5m"
fallback = true

[[fleet.groups]]
name = "meters"
share = 3
countries = { DE = 3, FR = 1 }
carriers = ["Telekom", "Vodafone", "O2", "Orange", "SFR"]
enabled_carrier = "Telekom"
profiles = 2
poll_interval = 3600
usage_mb_per_day = 1
priority = 3
fallback_after = "1h"
position = { lat = 52.52, lon = 13.405, radius_km = 25 }

[[fleet.groups]]
name = "imports"
share = 1
countries = ["BR"]
profile_countries = { US = 1 }
local_profiles = 1
profiles = [3, 3]
fallback = false
priority = "low"

[[fleet.groups]]
name = "trucks"
share = 1
profiles = 2
[fleet.groups.trajectory]
mode = "return"
stops = [ { country = "DE", dwell = "6h", lat = 50.1, lon = 8.7 }, { country = "FR", dwell = "4h" } ]

[networks.defaults]
coverage = 0.9
attach_success = 0.95
rsrp = { mean = -100, sd = 6 }
rsrq = { mean = -11.5, sd = 2 }
sinr = { mean = 10, sd = 4 }
latency_ms = { p50 = 40, p95 = 120 }
price_per_mb = { amount = "0.02", currency = "USD" }
monthly_fee = "1.25 USD"

[networks.roaming]
coverage = 0.8
price_per_mb = "0.05 USD"

[[networks.override]]
country = "BR"
coverage = 0.85

[[networks.override]]
carrier = "AT&T"
carrier_country = "US"
country = "BR"
latency_ms = { p50 = 200, p95 = 500 }

[[events]]
kind = "outage"
carrier = "Telekom"
country = "DE"
start = "2h"
end = "6h"
label = "telekom-down"

[[events]]
kind = "degradation"
carrier = "262-02"
country = "DE"
start = 2027-06-01T14:00:00Z
duration = "1h"
coverage = 0.5
attach_success = 0.6
signal_shift_db = -8
latency_factor = 1.5
latency_add_ms = 20

[[events]]
kind = "latency_spike"
country = "FR"
start = "1d"
duration = "30m"
latency_factor = 4

[[events]]
kind = "price_change"
carrier = "de-o2"
country = "DE"
start = "1d"
price_per_mb = "0.03 USD"
monthly_fee = "2 USD"

[[events]]
kind = "recovery"
carrier = "Telekom"
country = "DE"
start = "5h"

[[compliance]]
country = "BR"
max_roaming = "90d"
deadline = "1d"
)";

TEST(Scenario, ParsesEveryKey) {
  auto r = load(kEveryKey);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Scenario& s = *r;
  EXPECT_EQ(s.description, "all of them");
  EXPECT_EQ(s.seed, 1234u);
  EXPECT_EQ(s.duration, 48h);
  EXPECT_EQ(format_rfc3339(s.start), "2027-06-01T12:00:00Z");
  EXPECT_EQ(s.tick, 500ms);
  EXPECT_EQ(s.sample_interval, 10min);
  EXPECT_EQ(s.fleet.devices, 5000u);
  ASSERT_EQ(s.fleet.groups.size(), 3u);

  const auto& m = s.fleet.groups[0];
  EXPECT_EQ(m.name, "meters");
  EXPECT_DOUBLE_EQ(m.share, 3);
  ASSERT_EQ(m.countries.size(), 2u);
  EXPECT_EQ(m.countries[0].first.str(), "DE");
  EXPECT_DOUBLE_EQ(m.countries[0].second, 3);
  EXPECT_EQ(m.carriers.size(), 5u);
  ASSERT_EQ(m.enabled_carriers.size(), 1u);
  EXPECT_EQ(m.enabled_carriers[0], testing::kTelekom);
  EXPECT_EQ(m.profiles_min, 2u);
  EXPECT_EQ(m.profiles_max, 2u);
  EXPECT_EQ(m.poll_interval, 1h);
  EXPECT_DOUBLE_EQ(m.usage_mb_per_day, 1);
  EXPECT_EQ(m.priority, 3);
  EXPECT_EQ(m.fallback_after, 1h);
  ASSERT_TRUE(m.lat && m.lon);
  EXPECT_DOUBLE_EQ(*m.lat, 52.52);
  EXPECT_DOUBLE_EQ(m.radius_km, 25);

  const auto& im = s.fleet.groups[1];
  ASSERT_EQ(im.profile_countries.size(), 1u);
  EXPECT_EQ(im.profile_countries[0].first.str(), "US");
  EXPECT_EQ(im.local_profiles, 1u);
  EXPECT_EQ(im.profiles_min, 3u);
  EXPECT_FALSE(im.fallback);
  EXPECT_EQ(im.priority, 0);
  // [fleet] defaults reach groups that do not set them.
  EXPECT_EQ(im.poll_interval, 20min);
  EXPECT_DOUBLE_EQ(im.usage_mb_per_day, 7.5);
  EXPECT_EQ(im.fallback_after, 5min);

  const auto& tr = s.fleet.groups[2];
  ASSERT_TRUE(tr.trajectory.has_value());
  EXPECT_TRUE(tr.trajectory->return_route);
  ASSERT_EQ(tr.trajectory->stops.size(), 2u);
  EXPECT_EQ(tr.trajectory->stops[0].dwell, 6h);
  EXPECT_DOUBLE_EQ(*tr.trajectory->stops[0].lat, 50.1);
  EXPECT_FALSE(tr.trajectory->stops[1].lat.has_value());
  ASSERT_EQ(tr.countries.size(), 1u);
  EXPECT_EQ(tr.countries[0].first.str(), "DE");  // based at the first stop
  EXPECT_EQ(tr.priority, 2);

  const auto& d = s.networks.defaults;
  EXPECT_DOUBLE_EQ(d.coverage, 0.9);
  EXPECT_DOUBLE_EQ(d.attach_success, 0.95);
  EXPECT_DOUBLE_EQ(d.rsrp.mean, -100);
  EXPECT_DOUBLE_EQ(d.rsrq.mean, -11.5);
  EXPECT_DOUBLE_EQ(d.sinr.sd, 4);
  EXPECT_DOUBLE_EQ(d.latency.p95_ms, 120);
  EXPECT_EQ(d.price_per_mb.micros, 20000);
  EXPECT_EQ(d.price_per_mb.currency.str(), "USD");
  EXPECT_EQ(d.monthly_fee.micros, 1250000);
  EXPECT_DOUBLE_EQ(*s.networks.roaming.coverage, 0.8);
  EXPECT_FALSE(s.networks.roaming.attach_success.has_value());
  ASSERT_EQ(s.networks.overrides.size(), 2u);
  EXPECT_EQ(s.networks.overrides[0].carrier, kNoCarrier);
  EXPECT_EQ(s.networks.overrides[1].carrier, testing::kAtt);
  EXPECT_EQ(s.networks.overrides[1].country.str(), "BR");
  EXPECT_DOUBLE_EQ(s.networks.overrides[1].layer.latency->p50_ms, 200);

  ASSERT_EQ(s.events.size(), 5u);  // sorted by start
  const auto& outage = s.events[0];
  EXPECT_EQ(outage.kind, EventKind::outage);
  EXPECT_EQ(outage.carrier, testing::kTelekom);
  EXPECT_EQ(outage.start, 2h);
  EXPECT_EQ(outage.end, 5h) << "the recovery at 5h ends the outage";
  EXPECT_EQ(outage.label, "telekom-down");
  const auto& deg = s.events[1];
  EXPECT_EQ(deg.kind, EventKind::degradation);
  EXPECT_EQ(deg.carrier, testing::kVodafoneDe);
  EXPECT_EQ(deg.start, 2h) << "14:00 is 2h after the 12:00 start";
  EXPECT_EQ(deg.end, 3h);
  EXPECT_DOUBLE_EQ(deg.coverage_factor, 0.5);
  EXPECT_DOUBLE_EQ(*deg.attach_success, 0.6);
  EXPECT_DOUBLE_EQ(deg.signal_shift_db, -8);
  EXPECT_DOUBLE_EQ(deg.latency_factor, 1.5);
  EXPECT_DOUBLE_EQ(deg.latency_add_ms, 20);
  EXPECT_EQ(s.events[2].kind, EventKind::recovery);
  EXPECT_EQ(s.events[2].start, 5h);
  const auto& spike = s.events[3];
  EXPECT_EQ(spike.kind, EventKind::latency_spike);
  EXPECT_EQ(spike.carrier, kNoCarrier);
  EXPECT_EQ(spike.end, 24h + 30min);
  const auto& price = s.events[4];
  EXPECT_EQ(price.kind, EventKind::price_change);
  EXPECT_EQ(price.carrier, testing::kO2);
  EXPECT_EQ(price.end, 48h) << "no end: until the end of the scenario";
  EXPECT_EQ(price.price_per_mb->micros, 30000);
  EXPECT_EQ(price.monthly_fee->micros, 2000000);

  ASSERT_EQ(s.compliance.size(), 1u);
  EXPECT_EQ(s.compliance[0].country.str(), "BR");
  EXPECT_EQ(*s.compliance[0].max_roaming, 90 * 24h);
  EXPECT_EQ(*s.compliance[0].deadline, 24h);
}

TEST(ScenarioErrors, UnknownKeysAreRefusedWithTheirLine) {
  expect_error("name = \"x\"\ncolour = \"red\"\n", "s.toml:2:", "unknown key 'colour'");
  expect_error(minimal_scenario("shares = 1\n"), "s.toml:8:", "unknown key 'fleet.groups[0].shares'");
  expect_error(minimal_scenario("[networks.defaults]\ncoverge = 0.5\n"),
               "s.toml:9:", "unknown key 'networks.defaults.coverge'");
  expect_error(minimal_scenario("[[events]]\nkind = \"outage\"\ncountry = \"DE\"\nstart = \"1h\"\nwhen = 1\n"),
               "s.toml:12:", "unknown key 'events[0].when'");
}

TEST(ScenarioErrors, TomlSyntaxErrorNamesTheLine) {
  auto s = load("name = \"x\"\n[fleet\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::parse_error);
  EXPECT_EQ(s.error().message.rfind("s.toml:2:", 0), 0u) << s.error().message;
}

TEST(ScenarioErrors, BadCountries) {
  expect_error(minimal_scenario().replace(minimal_scenario().find("[\"DE\"]"), 6, "[\"XX\"]"),
               "s.toml:7:", "not an assigned ISO 3166-1");
  expect_error(minimal_scenario("[[events]]\nkind = \"outage\"\ncountry = \"Germany\"\nstart = \"1h\"\n"),
               "s.toml:10:", "two letters");
}

TEST(ScenarioErrors, UnknownCarriers) {
  expect_error(
      minimal_scenario("[[events]]\nkind = \"outage\"\ncarrier = \"Telekomm\"\ncountry = \"DE\"\nstart = \"1h\"\n"),
      "s.toml:10:", "carrier 'Telekomm' is not in the catalog for DE");
  // Known carrier, wrong country.
  expect_error(
      minimal_scenario("[[events]]\nkind = \"outage\"\ncarrier = \"Orange\"\ncountry = \"DE\"\nstart = \"1h\"\n"),
      "s.toml:10:", "'Telekom'");
  expect_error(minimal_scenario("carriers = [\"Vodafone\", \"Nope\"]\n"), "s.toml:8:", "carrier 'Nope'");
  expect_error(minimal_scenario("[[networks.override]]\ncountry = \"DE\"\ncarrier = \"999-01\"\n"),
               "s.toml:10:", "no carrier in the catalog has PLMN 999-01");
}

TEST(ScenarioErrors, ImpossibleTimeWindows) {
  const std::string ev = "[[events]]\nkind = \"outage\"\ncarrier = \"O2\"\ncountry = \"DE\"\n";
  expect_error(minimal_scenario(ev + "start = \"3h\"\nend = \"2h\"\n"), "s.toml:13:", "is not after its start");
  expect_error(minimal_scenario(ev + "start = \"13h\"\n"), "s.toml:12:", "outside the scenario (0s..12h)");
  expect_error(minimal_scenario(ev + "start = \"1h\"\nend = \"13h\"\n"), "s.toml:13:", "after the end of the scenario");
  expect_error(minimal_scenario(ev + "start = \"10h\"\nduration = \"3h\"\n"), "s.toml:13:", "ends at 13h");
  expect_error(minimal_scenario(ev + "start = 2026-12-31T23:00:00Z\n"), "s.toml:12:", "outside the scenario");
  expect_error(minimal_scenario(ev + "start = \"1h\"\nend = \"2h\"\nduration = \"1h\"\n"),
               "s.toml:14:", "both end and duration");
  expect_error(
      minimal_scenario("[[events]]\nkind = \"recovery\"\ncarrier = \"O2\"\ncountry = \"DE\"\nstart = \"1h\"\n"),
      "s.toml:8:", "ends nothing");
  expect_error(minimal_scenario("[[compliance]]\ncountry = \"BR\"\ndeadline = \"1d\"\n"),
               "s.toml:10:", "outside the scenario");
}

TEST(ScenarioErrors, BadValues) {
  expect_error(minimal_scenario("[networks.defaults]\ncoverage = 1.5\n"), "s.toml:9:", "outside 0..1");
  expect_error(minimal_scenario("[networks.defaults]\nlatency_ms = { p50 = 100, p95 = 50 }\n"),
               "s.toml:9:", "p95 must not be below p50");
  expect_error(minimal_scenario("[networks.defaults]\nprice_per_mb = \"0.01 EURO\"\n"), "s.toml:9:", "currency");
  expect_error(minimal_scenario("poll_interval = \"5 minutes\"\n"), "s.toml:8:", "unexpected ' ' after a number");
  expect_error(minimal_scenario("poll_interval = \"5min\"\n"), "s.toml:8:", "unknown unit 'min'");
  expect_error(minimal_scenario("priority = \"urgent\"\n"), "s.toml:8:", "low, normal, high, critical");
  expect_error(minimal_scenario("profiles = 5\n"), "s.toml:8:", "outside 1..4");
  expect_error(minimal_scenario("profiles = [3, 2]\n"), "s.toml:8:", "max is below min");
  expect_error(minimal_scenario("[[events]]\nkind = \"meteor\"\ncountry = \"DE\"\nstart = \"1h\"\n"),
               "s.toml:9:", "unknown event kind 'meteor'");
  expect_error(minimal_scenario("[[events]]\nkind = \"outage\"\ncountry = \"DE\"\nstart = \"1h\"\ncoverage = 0.5\n"),
               "s.toml:12:", "does not apply to a outage event");
  expect_error(minimal_scenario("[[events]]\nkind = \"price_change\"\ncountry = \"DE\"\nstart = \"1h\"\n"),
               "s.toml:8:", "needs price_per_mb and/or monthly_fee");
  expect_error("name = \"x\"\n", "s.toml:1:", "needs a [fleet] table");
  expect_error("duration = \"1h\"\n[fleet]\n", "s.toml:1:", "needs a 'name'");
  expect_error("name = \"x\"\n[fleet]\ndevices = 10\n", "s.toml:2:", "at least one [[fleet.groups]]");
}

TEST(ScenarioErrors, TickLongerThanTheScenario) {
  expect_error("name = \"x\"\nduration = \"500ms\"\n[fleet]\n[[fleet.groups]]\ncountries = [\"DE\"]\n", "s.toml:2:",
               "'tick' (1s) is longer than the scenario");
  EXPECT_FALSE(parse_sim_duration("9000000000000s9000000000000s").ok());
}

TEST(ScenarioErrors, TooManyTables) {
  std::string text = minimal_scenario();
  for (int i = 0; i < 10001; ++i) text += "[[networks.override]]\ncountry = \"DE\"\ncoverage = 0.5\n";
  auto s = load(text);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("more than 10000 [[networks.override]] tables"), std::string::npos)
      << s.error().message;
  EXPECT_EQ(s.error().message.rfind("s.toml:30008:", 0), 0u) << s.error().message;
}

TEST(ScenarioErrors, PricesInMoreThanOneCurrency) {
  expect_error(minimal_scenario("[networks.defaults]\nprice_per_mb = \"0.01 EUR\"\n[networks.roaming]\n"
                                "price_per_mb = \"0.05 USD\"\n"),
               "s.toml:11:", "is in USD but 'networks.defaults.price_per_mb' (line 9) is in EUR");
  // All in USD, but the monthly fee left at the built-in EUR default.
  expect_error(minimal_scenario("[networks.defaults]\nprice_per_mb = \"0.01 USD\"\n"), "s.toml:9:",
               "the built-in default monthly_fee is in EUR");
  EXPECT_TRUE(load(minimal_scenario("[networks.defaults]\nprice_per_mb = \"0.01 USD\"\nmonthly_fee = \"1 USD\"\n")).ok());
}

TEST(ScenarioErrors, GroupsThatCannotBeBuilt) {
  // Luxembourg has one network in the catalog: no room for a fallback profile.
  auto text = minimal_scenario();
  text.replace(text.find("[\"DE\"]"), 6, "[\"LU\"]");
  expect_error(text, "s.toml:6:", "LU has 1 distinct carrier network(s)");
  // Congstar shares Telekom's network: two profiles on one network are not two networks.
  expect_error(minimal_scenario("carriers = [\"Telekom\", \"Congstar\"]\n"), "s.toml:6:", "2 profiles needed");
  expect_error(minimal_scenario("local_profiles = 1\n"), "s.toml:8:", "needs 'profile_countries'");
  expect_error(minimal_scenario("fallback = true\nprofiles = 1\n"), "s.toml:9:", "at least 2 profiles");
  expect_error(minimal_scenario("profile_countries = [\"US\"]\nlocal_profiles = 2\nprofiles = 2\n"),
               "s.toml:9:", "below the minimum profile count");
}

TEST(Scenario, FileErrorsNameThePath) {
  test::TempDir dir("esimo-scenario");
  const auto path = dir / "bad.toml";
  {
    std::ofstream out(path);
    out << minimal_scenario("[[events]]\nkind = \"outage\"\ncarrier = \"O2\"\ncountry = \"DE\"\n"
                            "start = \"3h\"\nend = \"1h\"\n");
  }
  auto s = load_scenario(path, small_catalog());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.rfind(path.string() + ":13: events[0].end (1h) is not after its start (3h)", 0), 0u)
      << s.error().message;
  EXPECT_EQ(s.error().field, "events[0].end");
}

TEST(Scenario, LoadRefusesAMissingFile) {
  auto s = load_scenario("/nonexistent/x.toml", small_catalog());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::io_error);
  EXPECT_NE(s.error().message.find("/nonexistent/x.toml"), std::string::npos);
}

// The scenario files shipped in scenarios/ load against the real catalog.
class ScenarioFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(ScenarioFiles, LoadAndValidate) {
  const std::filesystem::path path = std::filesystem::path(ESIMO_SOURCE_DIR) / "scenarios" / GetParam();
  auto s = load_scenario(path, testing::real_catalog());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->name + ".toml", GetParam());
  EXPECT_FALSE(s->description.empty());
  EXPECT_GE(s->fleet.devices, 1000u);
  EXPECT_FALSE(s->fleet.groups.empty());
}

INSTANTIATE_TEST_SUITE_P(Shipped, ScenarioFiles,
                         ::testing::Values("baseline.toml", "carrier-outage.toml", "eu-trucks.toml",
                                           "brazil-permanent-roaming.toml", "price-change.toml"));

TEST(ScenarioFilesContent, EachShowsWhatItIsFor) {
  const auto dir = std::filesystem::path(ESIMO_SOURCE_DIR) / "scenarios";
  const auto& cat = testing::real_catalog();
  auto outage = load_scenario(dir / "carrier-outage.toml", cat).value();
  const auto telekom = cat.resolve("T-Mobile(Telekom)", cc("DE")).value();
  bool has_outage = false;
  for (const auto& e : outage.events) {
    if (e.kind == EventKind::outage && e.carrier == telekom && e.end - e.start >= 2h) has_outage = true;
  }
  EXPECT_TRUE(has_outage);

  auto trucks = load_scenario(dir / "eu-trucks.toml", cat).value();
  for (const auto& g : trucks.fleet.groups) EXPECT_TRUE(g.trajectory.has_value()) << g.name;

  auto brazil = load_scenario(dir / "brazil-permanent-roaming.toml", cat).value();
  ASSERT_EQ(brazil.compliance.size(), 1u);
  EXPECT_EQ(brazil.compliance[0].country.str(), "BR");
  EXPECT_TRUE(brazil.compliance[0].deadline.has_value());

  auto price = load_scenario(dir / "price-change.toml", cat).value();
  int changes = 0;
  for (const auto& e : price.events) changes += e.kind == EventKind::price_change;
  EXPECT_GE(changes, 2);
}

}  // namespace scenario_test
}  // namespace esimo::twin
