// Geography evidence of the engine: the country a device is in (record country, else the serving PLMN's MCC), roaming
// (the enabled profile's home country against it), and the geography conditions of a fleet policy end to end: a
// border crossing moves a roaming device to a cheaper local profile and the reason names the rule and the evidence.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/engine.hpp"
#include "engine_test_util.hpp"
#include "engine/geography.hpp"

namespace esimo::engine {
namespace {
using testing::test_eid;
using testing::test_iccid;

using namespace std::chrono_literals;

domain::CountryCode cc(const char* c) { return *domain::CountryCode::parse(c); }
domain::Money geo_eur(std::int64_t micros) { return domain::Money{micros, *domain::Currency::parse("EUR")}; }

struct GeoActuator final : Actuator {
  struct Switch {
    domain::Eid eid;
    domain::Iccid target;
    std::string reason;
  };
  std::vector<Switch> switches;
  Status submit_switch(const domain::Eid& e, const domain::Iccid& t, bool, const std::string& r) override {
    switches.push_back({e, t, r});
    return ok_status();
  }
  Status set_fallback(const domain::Eid&, const domain::Iccid&, const std::string&) override { return ok_status(); }
  void alert(const domain::Eid&, const std::string&, const std::string&) override {}
};

const TimePoint kStart = TimePoint(std::chrono::hours(24 * 365 * 57));

TEST(EngineGeography, CountryFromTheRecordElseTheServingPlmnWhileAttached) {
  TelemetryRecord r{test_eid(1)};
  EXPECT_FALSE(record_country(r));
  r.serving_plmn = *domain::Plmn::parse("208-01");
  EXPECT_EQ(record_country(r), cc("FR"));
  r.attached = false;  // a network the device is not attached to says nothing about where it is
  EXPECT_FALSE(record_country(r));
  r.country = cc("BE");
  EXPECT_EQ(record_country(r), cc("BE"));
}

TEST(EngineGeography, RoamingIsTheEnabledProfilesHomeCountryAgainstTheCurrentOne) {
  ProfileInfo telekom{test_iccid(1, 0), "de-telekom", *domain::Plmn::parse("262-01"), false};
  EXPECT_EQ(profile_home_country(telekom), cc("DE"));
  EXPECT_FALSE(is_roaming(&telekom, cc("DE")));
  EXPECT_TRUE(is_roaming(&telekom, cc("FR")));
  EXPECT_FALSE(is_roaming(&telekom, std::nullopt));
  EXPECT_FALSE(is_roaming(nullptr, cc("FR")));
  telekom.home_country = cc("FR");  // the registry says otherwise (an MVNO abroad): it wins over the MCC
  EXPECT_FALSE(is_roaming(&telekom, cc("FR")));
}

// One truck: a German profile (enabled) and a French one. Tariffs: each is cheap at home and dear abroad.
struct Truck {
  GeoActuator act;
  std::unique_ptr<Engine> engine;
  explicit Truck(std::string_view policy_json) {
    EngineConfig c;
    c.ops_per_second = 100;
    engine = std::make_unique<Engine>(c, act);
    DeviceInfo d{test_eid(7)};
    d.profiles.push_back(ProfileInfo{test_iccid(7, 0), "de-telekom", *domain::Plmn::parse("262-01"), false});
    d.profiles.push_back(ProfileInfo{test_iccid(7, 1), "fr-orange", *domain::Plmn::parse("208-01"), true});
    d.enabled = test_iccid(7, 0);
    d.country = cc("DE");
    engine->upsert_device(std::move(d));
    for (const char* country : {"DE", "FR"}) {
      const bool de = std::string_view(country) == "DE";
      engine->set_tariff(Tariff{"de-telekom", cc(country), geo_eur(500000), geo_eur(de ? 10000 : 30000)});
      engine->set_tariff(Tariff{"fr-orange", cc(country), geo_eur(500000), geo_eur(de ? 30000 : 10000)});
    }
    auto p = policy::parse_policy(policy_json, policy::ParseOptions{});
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    if (p.ok()) engine->set_policies(PolicySet{*p, {}, {}});
  }
  // Reports every 5 minutes from `t` for `span` in `country` on slot `slot`; ticks after each record.
  TimePoint drive(TimePoint t, Duration span, const char* country, unsigned slot) {
    for (TimePoint now = t; now < t + span; now += 5min) {
      TelemetryRecord r{test_eid(7)};
      r.time = now;
      r.country = cc(country);
      r.serving_plmn = *domain::Plmn::parse(slot == 0 ? "262-01" : "208-01");
      r.enabled_iccid = test_iccid(7, slot);
      r.rsrp_dbm = -90;
      r.latency_ms = 50;
      r.bytes_down = 2'000'000;  // ~576 MB a month at one record per 5 minutes
      EXPECT_TRUE(engine->ingest(r).ok());
      engine->tick(now);
    }
    return t + span;
  }
};

constexpr std::string_view kBorderPolicy = R"({"name":"trucks","scope":{"fleet":true},"objective":"cost",
  "rules":[{"name":"border-roaming","when":"country changed and roaming and savings.monthly > 1.00 EUR","do":"switch best"}],
  "guards":{"cooldown":"30m","rollback":true}})";

TEST(EngineGeography, ABorderCrossingMovesARoamingDeviceToTheLocalProfileAndTheReasonNamesRuleAndEvidence) {
  Truck t(kBorderPolicy);
  TimePoint now = t.drive(kStart, 1h, "DE", 0);
  EXPECT_TRUE(t.act.switches.empty()) << "at home: no rule holds";
  auto x = t.engine->explain(test_eid(7), now);
  ASSERT_TRUE(x);
  EXPECT_FALSE(x->roaming_since);
  EXPECT_EQ(x->home_country, cc("DE"));
  now = t.drive(now, 15min, "FR", 0);
  ASSERT_EQ(t.act.switches.size(), 1u);
  const auto& s = t.act.switches[0];
  EXPECT_EQ(s.target, test_iccid(7, 1));
  // "policy trucks, rule border-roaming: country changed [DE -> FR at ...]; roaming [roaming in FR on 262-01 (home
  // DE) since ...]; savings.monthly > 1.00 EUR [...] -> switch best => fr-orange (objective cost: ...)"
  EXPECT_NE(s.reason.find("rule border-roaming"), std::string::npos) << s.reason;
  EXPECT_NE(s.reason.find("DE -> FR"), std::string::npos) << s.reason;
  EXPECT_NE(s.reason.find("roaming in FR on 262-01 (home DE)"), std::string::npos) << s.reason;
  EXPECT_NE(s.reason.find("=> fr-orange"), std::string::npos) << s.reason;
  x = t.engine->explain(test_eid(7), now);
  ASSERT_TRUE(x);
  EXPECT_EQ(x->country, cc("FR"));
  EXPECT_EQ(x->previous_country, cc("DE"));
  EXPECT_TRUE(x->roaming_since);
  // On the French profile in France it is home: not roaming, and the change has been acted on (no second switch).
  now = t.drive(now, 1h, "FR", 1);
  EXPECT_EQ(t.act.switches.size(), 1u);
  x = t.engine->explain(test_eid(7), now);
  EXPECT_FALSE(x->roaming_since);
  EXPECT_EQ(x->home_country, cc("FR"));
}

TEST(EngineGeography, CountryInAndRoamingForAWindowHoldOnlyWhereAndWhenTheySay) {
  constexpr std::string_view policy = R"({"name":"no-permanent-roaming","scope":{"fleet":true},"objective":"cost",
    "rules":[{"name":"fr-roaming","when":"country in [FR] and roaming for 30m","do":"switch best"}]})";
  Truck t(policy);
  TimePoint now = t.drive(kStart, 2h, "DE", 0);  // roaming nowhere
  now = t.drive(now, 25min, "FR", 0);            // roaming in FR, but not yet for 30 minutes
  EXPECT_TRUE(t.act.switches.empty());
  now = t.drive(now, 15min, "FR", 0);
  ASSERT_EQ(t.act.switches.size(), 1u);
  EXPECT_NE(t.act.switches[0].reason.find("rule fr-roaming: country in [FR] [country FR]; roaming for 30m [roaming in FR"),
            std::string::npos)
      << t.act.switches[0].reason;
}

TEST(EngineGeography, WithoutARecordCountryTheServingPlmnPlacesTheDevice) {
  Truck t(kBorderPolicy);
  TimePoint now = kStart;
  for (int k = 0; k < 12; ++k, now += 5min) {
    TelemetryRecord r{test_eid(7)};
    r.time = now;
    r.serving_plmn = *domain::Plmn::parse(k < 6 ? "262-01" : "208-10");  // a French network from the 7th record
    r.enabled_iccid = test_iccid(7, 0);
    r.bytes_down = 2'000'000;
    ASSERT_TRUE(t.engine->ingest(r).ok());
    t.engine->tick(now);
  }
  auto x = t.engine->explain(test_eid(7), now);
  ASSERT_TRUE(x);
  EXPECT_EQ(x->country, cc("FR"));
  ASSERT_EQ(t.act.switches.size(), 1u);
  EXPECT_NE(t.act.switches[0].reason.find("DE -> FR"), std::string::npos);
}

}  // namespace
}  // namespace esimo::engine
