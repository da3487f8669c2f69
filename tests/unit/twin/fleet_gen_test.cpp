#include "twin/fleet_gen.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "twin/network.hpp"
#include "twin_model_test_util.hpp"

namespace esimo::twin {
namespace fleet_gen_test {

using testing::cc;
using testing::small_catalog;
using namespace std::chrono_literals;

static_assert(sizeof(DeviceSpec) == 40, "a device spec stays compact: 1,000,000 devices in 40 MB");

Scenario load(const std::string& text) {
  auto s = load_scenario_text(text, "f.toml", small_catalog());
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

constexpr const char* kFleet = R"(
name = "fleet"
duration = "2d"
[fleet]
devices = 1000
[[fleet.groups]]
name = "de-fr"
share = 2
countries = { DE = 3, FR = 1 }
profiles = [2, 3]
poll_interval = "20m"
usage_mb_per_day = 10
priority = "critical"
position = { lat = 48.0, lon = 11.0, radius_km = 50 }
[[fleet.groups]]
name = "br-imports"
share = 1
countries = ["BR"]
profile_countries = ["US", "DE"]
local_profiles = 1
profiles = [3, 4]
[[fleet.groups]]
name = "telekom-first"
share = 1
countries = ["DE"]
carriers = ["Telekom", "Vodafone", "O2"]
enabled_carrier = "Telekom"
profiles = 2
fallback = true
[[fleet.groups]]
name = "trucks"
share = 1
profiles = 2
fallback = false
[fleet.groups.trajectory]
mode = "return"
stops = [ { country = "DE", dwell = "5h", lat = 50.0, lon = 8.0 }, { country = "FR", dwell = "2h" },
          { country = "BR", dwell = "1h" } ]
)";

TEST(FleetIdentities, EidsAndIccidsAreValidAndUnique) {
  std::set<std::string> eids;
  for (std::uint64_t i : {0ULL, 1ULL, 2ULL, 99ULL, 123456789ULL, 999999ULL}) {
    const auto eid = device_eid(i);
    EXPECT_TRUE(domain::Eid::parse(eid.str()).ok());
    EXPECT_EQ(eid.str().size(), 32u);
    EXPECT_EQ(eid.str().rfind("8904903200", 0), 0u);
    eids.insert(eid.str());
  }
  EXPECT_EQ(eids.size(), 6u);
  EXPECT_EQ(device_eid(7), device_eid(7));

  DeviceSpec d;
  d.index = 4242;
  d.carriers = {testing::kTelekom, testing::kOrange, testing::kVivo, kNoCarrier};
  d.profile_count = 3;
  std::set<std::string> iccids;
  for (unsigned slot = 0; slot < 3; ++slot) {
    const auto iccid = profile_iccid(small_catalog(), d, slot);
    EXPECT_TRUE(domain::Iccid::parse(iccid.str()).ok());
    EXPECT_EQ(iccid.str().size(), 19u);
    iccids.insert(iccid.str());
  }
  EXPECT_EQ(iccids.size(), 3u);
  EXPECT_EQ(profile_iccid(small_catalog(), d, 0).str().substr(0, 5), "89262");  // the carrier's MCC
  EXPECT_EQ(profile_iccid(small_catalog(), d, 2).str().substr(0, 5), "89724");
}

TEST(FleetPlan, GroupSizesAreExact) {
  const Scenario s = load(kFleet);
  auto plan = FleetPlan::make(s, small_catalog(), 1, 1001).value();
  EXPECT_EQ(plan.size(), 1001u);
  // Shares 2:1:1:1 of 1001 -> 400.4, 200.2 x3 -> 401 (largest remainder first), 200, 200, 200.
  EXPECT_EQ(plan.group_begin(0), 0u);
  EXPECT_EQ(plan.group_begin(1), 401u);
  EXPECT_EQ(plan.group_begin(2), 601u);
  EXPECT_EQ(plan.group_begin(3), 801u);
  EXPECT_EQ(plan.group_begin(4), 1001u);
  const auto all = plan.generate();
  ASSERT_EQ(all.size(), 1001u);
  EXPECT_EQ(all[400].group, 0);
  EXPECT_EQ(all[401].group, 1);
  EXPECT_EQ(all[1000].group, 3);
  EXPECT_FALSE(FleetPlan::make(s, small_catalog(), 1, 0).ok());
}

TEST(FleetPlan, DevicesAreValidAndFollowTheirGroup) {
  const Scenario s = load(kFleet);
  const auto& cat = small_catalog();
  const auto plan = FleetPlan::make(s, cat, 77, 4000).value();
  std::set<std::string> eids, iccids;
  std::map<std::string, int> de_fr_countries;
  int telekom_enabled = 0, telekom_group = 0;
  for (const auto& d : plan.generate()) {
    const auto& g = s.fleet.groups[d.group];
    ASSERT_GE(d.profile_count, g.profiles_min) << d.index;
    ASSERT_LE(d.profile_count, g.profiles_max) << d.index;
    EXPECT_TRUE(eids.insert(device_eid(d.index).str()).second);
    std::set<PlmnKey> networks;
    for (unsigned slot = 0; slot < d.profile_count; ++slot) {
      ASSERT_NE(d.carriers[slot], kNoCarrier);
      EXPECT_TRUE(networks.insert(cat.home_plmn(d.carriers[slot])).second) << "two profiles on one network";
      EXPECT_TRUE(iccids.insert(profile_iccid(cat, d, slot).str()).second);
    }
    for (unsigned slot = d.profile_count; slot < kMaxProfiles; ++slot) EXPECT_EQ(d.carriers[slot], kNoCarrier);
    EXPECT_EQ(d.enabled, 0);
    EXPECT_EQ(d.fallback, g.fallback ? 1 : kNoSlot);
    EXPECT_EQ(d.poll_interval_s, std::chrono::duration_cast<std::chrono::seconds>(g.poll_interval).count());
    EXPECT_GE(d.usage_kb_per_day, g.usage_mb_per_day * 1000 * 0.5 - 1);
    EXPECT_LE(d.usage_kb_per_day, g.usage_mb_per_day * 1000 * 1.5 + 1);
    const auto country = country_of_key(d.country);
    if (g.name == "de-fr") {
      ++de_fr_countries[country.str()];
      for (unsigned slot = 0; slot < d.profile_count; ++slot) EXPECT_TRUE(cat.is_home(d.carriers[slot], country));
      EXPECT_EQ(d.priority, 3);
      ASSERT_NE(d.lat_e6, kNoCoordinate);
      const double dlat = (d.lat_e6 / 1e6 - 48.0) * 111.32;
      const double dlon = (d.lon_e6 / 1e6 - 11.0) * 111.32 * std::cos(48.0 * 3.14159265 / 180);
      EXPECT_LE(std::hypot(dlat, dlon), 50.5);
    } else if (g.name == "br-imports") {
      EXPECT_EQ(country.str(), "BR");
      // Foreign profiles first (the enabled one among them), the local one last.
      EXPECT_FALSE(cat.is_home(d.carriers[0], cc("BR")));
      EXPECT_TRUE(cat.is_home(d.carriers[0], cc("US")) || cat.is_home(d.carriers[0], cc("DE")));
      EXPECT_TRUE(cat.is_home(d.carriers[d.profile_count - 1], cc("BR")));
      for (unsigned slot = 0; slot + 1 < d.profile_count; ++slot) EXPECT_FALSE(cat.is_home(d.carriers[slot], cc("BR")));
      EXPECT_EQ(d.lat_e6, kNoCoordinate);
    } else if (g.name == "telekom-first") {
      ++telekom_group;
      telekom_enabled += d.carriers[d.enabled] == testing::kTelekom;
      for (unsigned slot = 0; slot < d.profile_count; ++slot) {
        EXPECT_TRUE(d.carriers[slot] == testing::kTelekom || d.carriers[slot] == testing::kVodafoneDe ||
                    d.carriers[slot] == testing::kO2);
      }
    } else {
      EXPECT_EQ(country.str(), "DE") << "trucks are based at their first stop";
      EXPECT_TRUE(plan.has_trajectory(d.group));
    }
  }
  EXPECT_EQ(telekom_enabled, telekom_group);
  // DE:FR weighted 3:1.
  const double de_share = de_fr_countries["DE"] / static_cast<double>(de_fr_countries["DE"] + de_fr_countries["FR"]);
  EXPECT_NEAR(de_share, 0.75, 0.04);
}

TEST(FleetPlan, DevicesArePureFunctionsOfSeedAndIndex) {
  const Scenario s = load(kFleet);
  const auto a = FleetPlan::make(s, small_catalog(), 5, 3000).value();
  const auto b = FleetPlan::make(s, small_catalog(), 5, 3000).value();
  const auto all = a.generate();
  auto same = [](const DeviceSpec& x, const DeviceSpec& y) {
    return x.index == y.index && x.group == y.group && x.country == y.country && x.carriers == y.carriers &&
           x.profile_count == y.profile_count && x.enabled == y.enabled && x.fallback == y.fallback &&
           x.usage_kb_per_day == y.usage_kb_per_day && x.route_offset_s == y.route_offset_s && x.lat_e6 == y.lat_e6;
  };
  for (std::uint32_t i = 3000; i-- > 0;) EXPECT_TRUE(same(b.device(i), all[i])) << i;
  const auto c = FleetPlan::make(s, small_catalog(), 6, 3000).value();
  int differ = 0;
  for (std::uint32_t i = 0; i < 3000; ++i) differ += !same(c.device(i), all[i]);
  EXPECT_GT(differ, 1500);
}

TEST(FleetPlan, TrajectoriesCycleThroughTheirStops) {
  const Scenario s = load(kFleet);
  const auto plan = FleetPlan::make(s, small_catalog(), 9, 1000).value();
  const std::uint32_t first_truck = plan.group_begin(3);
  DeviceSpec d = plan.device(first_truck);
  // Return route DE(5h) FR(2h) BR(1h) FR(2h): a 10 h cycle. Pin the phase to check the schedule.
  d.route_offset_s = 0;
  auto at = [&](SimTime t) { return country_of_key(plan.position_at(d, t).country).str(); };
  EXPECT_EQ(at(0s), "DE");
  EXPECT_EQ(at(5h - 1s), "DE");
  EXPECT_EQ(at(5h), "FR");
  EXPECT_EQ(at(7h), "BR");
  EXPECT_EQ(at(8h), "FR");
  EXPECT_EQ(at(10h), "DE");
  EXPECT_EQ(at(25h), "FR");
  const auto p = plan.position_at(d, 1h);
  EXPECT_EQ(p.until, 5h);
  ASSERT_TRUE(p.lat.has_value());
  EXPECT_DOUBLE_EQ(*p.lat, 50.0);
  EXPECT_FALSE(plan.position_at(d, 6h).lat.has_value());
  EXPECT_EQ(plan.position_at(d, 6h).until, 7h);
  d.route_offset_s = 3600 * 9;  // starts in the second FR stay
  EXPECT_EQ(at(0s), "FR");
  EXPECT_EQ(plan.position_at(d, 0s).until, 1h);
  EXPECT_EQ(at(1h), "DE");
  // Offsets are spread over the cycle.
  std::set<std::uint32_t> offsets;
  for (std::uint32_t i = first_truck; i < plan.group_begin(4); ++i) {
    const auto t = plan.device(i);
    EXPECT_LT(t.route_offset_s, 10u * 3600);
    offsets.insert(t.route_offset_s);
  }
  EXPECT_GT(offsets.size(), 150u);
  // From the index alone: the same answer as from the full spec, for moving and static devices.
  for (std::uint32_t i = 0; i < plan.size(); i += 13) {
    const auto spec = plan.device(i);
    for (SimTime t : {SimTime(0s), SimTime(4h), SimTime(17h)}) {
      const auto a = plan.position_at(spec, t), b = plan.position_at(i, t);
      EXPECT_EQ(a.country, b.country);
      EXPECT_EQ(a.until, b.until);
      EXPECT_EQ(a.lat, b.lat);
      EXPECT_EQ(a.lon, b.lon);
    }
  }
  // Static devices stay put.
  const auto fixed = plan.device(0);
  EXPECT_EQ(plan.position_at(fixed, 30h).country, fixed.country);
  EXPECT_EQ(plan.position_at(fixed, 30h).until, SimTime::max());
  EXPECT_FALSE(plan.has_trajectory(0));
}

TEST(FleetPlan, ShippedScenariosGenerateValidFleets) {
  const auto dir = std::filesystem::path(ESIMO_SOURCE_DIR) / "scenarios";
  const auto& cat = testing::real_catalog();
  for (const char* file : {"baseline.toml", "carrier-outage.toml", "eu-trucks.toml", "brazil-permanent-roaming.toml",
                           "price-change.toml"}) {
    SCOPED_TRACE(file);
    const auto s = load_scenario(dir / file, cat).value();
    const auto plan = FleetPlan::make(s, cat, s.seed, s.fleet.devices).value();
    for (std::uint32_t i = 0; i < plan.size(); i += 7) {
      const auto d = plan.device(i);
      ASSERT_GE(d.profile_count, 2) << i;
      for (unsigned slot = 0; slot < d.profile_count; ++slot) {
        ASSERT_NE(d.carriers[slot], kNoCarrier);
        EXPECT_TRUE(domain::Iccid::parse(profile_iccid(cat, d, slot).str()).ok());
      }
      EXPECT_TRUE(domain::Eid::parse(device_eid(d.index).str()).ok());
    }
  }
  // carrier-outage: thousands of German devices start on Telekom, each with a backup on another network.
  const auto s = load_scenario(dir / "carrier-outage.toml", cat).value();
  const auto plan = FleetPlan::make(s, cat, s.seed, s.fleet.devices).value();
  const NetworkModel model(s, cat, s.seed);
  const auto telekom = cat.resolve("T-Mobile(Telekom)", cc("DE")).value();
  int on_telekom_with_backup = 0;
  for (const auto& d : plan.generate()) {
    if (d.carriers[d.enabled] != telekom || d.fallback == kNoSlot) continue;
    if (cat.home_plmn(d.carriers[d.fallback]) != cat.home_plmn(telekom)) ++on_telekom_with_backup;
  }
  EXPECT_GE(on_telekom_with_backup, 3000);
}

}  // namespace fleet_gen_test
}  // namespace esimo::twin
