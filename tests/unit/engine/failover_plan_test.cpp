// The failover plan (docs/engine.md "Failover plan"): who is planned, the backup each device's policy chooses, release
// order (critical first), wave boundaries, the same plan on one or two threads, and the compact encoding.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/engine.hpp"
#include "engine_test_util.hpp"
#include "engine/failover_plan.hpp"

namespace esimo::engine {
namespace failover_plan_test_detail {

using namespace std::chrono_literals;

domain::CountryCode plan_country(const char* c) { return *domain::CountryCode::parse(c); }
domain::Money plan_eur(std::int64_t micros) { return domain::Money{micros, *domain::Currency::parse("EUR")}; }

struct QuietActuator final : Actuator {
  Status submit_switch(const domain::Eid&, const domain::Iccid&, bool, const std::string&) override {
    return ok_status();
  }
  Status set_fallback(const domain::Eid&, const domain::Iccid&, const std::string&) override { return ok_status(); }
  void alert(const domain::Eid&, const std::string&, const std::string&) override {}
};

const TimePoint kPlanT0 = TimePoint(std::chrono::hours(24 * 365 * 57));

// n devices: slot 0 on "a" (enabled), 1 on "b", 2 on "c"; "c" is the cheapest in DE unless `b_cheaper`. Device i has
// priority i % 4; devices 7, 17, 27 ... are in FR (not affected); devices 5, 15, ... have no service.
struct PlanFleet {
  QuietActuator act;
  Engine engine{EngineConfig{}, act};
  explicit PlanFleet(unsigned n, bool b_cheaper = false) {
    for (unsigned i = 0; i < n; ++i) {
      DeviceInfo d{test_eid(i)};
      const char* carriers[] = {"a", "b", "c"};
      for (unsigned s = 0; s < 3; ++s) d.profiles.push_back(ProfileInfo{test_iccid(i, s), carriers[s], std::nullopt, s == 1});
      d.enabled = test_iccid(i, 0);
      d.priority = static_cast<std::uint8_t>(i % 4);
      d.country = plan_country(i % 10 == 7 ? "FR" : "DE");
      engine.upsert_device(std::move(d));
    }
    for (const char* c : {"a", "b", "c"}) {
      const std::int64_t per_mb = std::string(c) == "c" ? (b_cheaper ? 12000 : 8000) : 10000;
      engine.set_tariff(Tariff{c, plan_country("DE"), plan_eur(400000), plan_eur(per_mb)});
    }
    for (unsigned i = 0; i < n; ++i) {
      TelemetryRecord r{test_eid(i)};
      r.time = kPlanT0 + std::chrono::milliseconds(i);
      r.attached = i % 10 != 5;
      r.enabled_iccid = test_iccid(i, 0);
      r.bytes_down = 1000000;
      EXPECT_TRUE(engine.ingest(r).ok());
    }
  }
};

std::vector<std::uint32_t> ends_of(std::size_t n) { return plan_wave_ends(n, EngineConfig{}); }

TEST(FailoverPlan, WavesStartWithTheCanaryAndGrowFourfold) {
  EXPECT_TRUE(ends_of(0).empty());
  EXPECT_EQ(ends_of(1), (std::vector<std::uint32_t>{1}));
  // 2% of 1000 = 20, then 80, 320, and the rest (580 would be 1280).
  EXPECT_EQ(ends_of(1000), (std::vector<std::uint32_t>{20, 100, 420, 1000}));
  const auto big = ends_of(1000000);
  EXPECT_EQ(big.front(), 20000u);
  EXPECT_EQ(big.back(), 1000000u);
  EXPECT_EQ(big.size(), 4u);  // 20,000 + 80,000 + 320,000 + the remaining 580,000
}

TEST(FailoverPlan, PlansReachableAffectedDevicesCriticalFirstOnTheirPolicysBackup) {
  PlanFleet f(100);
  const TimePoint now = kPlanT0 + 20min;
  const FailoverPlan plan = f.engine.plan_failover("a", plan_country("DE"), now);
  EXPECT_EQ(plan.carrier_id, "a");
  EXPECT_EQ(plan.affected, 90u);     // 10 devices are in FR
  EXPECT_EQ(plan.unreachable, 10u);  // 5, 15, ... 95 without service
  EXPECT_EQ(plan.no_target, 0u);
  EXPECT_EQ(plan.busy, 0u);
  ASSERT_EQ(plan.entries.size(), 80u);
  for (std::size_t k = 1; k < plan.entries.size(); ++k) {
    EXPECT_GE(plan.entries[k - 1].priority, plan.entries[k].priority) << "critical devices first, at " << k;
  }
  EXPECT_EQ(plan.entries.front().priority, 3);
  // Device 3 is the first critical one: cheapest backup "c" (slot 2).
  EXPECT_EQ(plan.entries.front().eid, test_eid(3).to_bytes());
  EXPECT_EQ(plan.entries.front().iccid, test_iccid(3, 2).to_wire());
  EXPECT_EQ(plan.entries.front().profile, 2);
  for (const auto& e : plan.entries) EXPECT_EQ(e.profile, 2);
  EXPECT_EQ(plan.wave_ends, ends_of(80));
  EXPECT_EQ(plan.entries.front().wave, 0u);
  EXPECT_EQ(plan.entries.back().wave, plan.wave_ends.size() - 1);
  // Nothing was sent and no outage was declared by planning.
  EXPECT_TRUE(f.engine.outages().empty());
  EXPECT_TRUE(plan.outage_id.empty());
}

TEST(FailoverPlan, FollowsTheCostOfEachBackupAndNamesTheDeclaredOutage) {
  PlanFleet f(40, /*b_cheaper=*/true);
  const TimePoint now = kPlanT0 + 20min;
  const auto de = plan_country("DE");
  f.engine.set_carrier_status("a", std::span(&de, 1), domain::CarrierStatus::down, "core failure", now);
  f.engine.tick(now);
  ASSERT_EQ(f.engine.outages().size(), 1u);
  const FailoverPlan plan = f.engine.plan_failover("a", de, now);
  EXPECT_EQ(plan.outage_id, f.engine.outages().front().id);
  EXPECT_EQ(plan.busy, 1u) << "the canary device released by the tick is already moving";
  ASSERT_FALSE(plan.entries.empty());
  for (const auto& e : plan.entries) EXPECT_EQ(e.profile, 1) << "b is cheaper now";
}

TEST(FailoverPlan, TwoThreadsPlanWhatOneDoes) {
  PlanFleet f(6000);
  const TimePoint now = kPlanT0 + 20min;
  const FailoverPlan one = f.engine.plan_failover("a", plan_country("DE"), now, 1);
  const FailoverPlan two = f.engine.plan_failover("a", plan_country("DE"), now, 2);
  EXPECT_EQ(one.entries.size(), 6000u * 8 / 10);
  EXPECT_EQ(one.entries, two.entries);
  EXPECT_EQ(one.wave_ends, two.wave_ends);
}

TEST(FailoverPlan, SeesTheHealthOfCarriersWithLongIds) {
  // A carrier id longer than the engine's key buffer still finds its (carrier, country) health: down, not a target.
  const std::string longid(130, 'x');
  QuietActuator act;
  Engine engine{EngineConfig{}, act};
  DeviceInfo d{test_eid(1)};
  d.profiles.push_back(ProfileInfo{test_iccid(1, 0), "a", std::nullopt, false});
  d.profiles.push_back(ProfileInfo{test_iccid(1, 1), longid, std::nullopt, true});
  d.profiles.push_back(ProfileInfo{test_iccid(1, 2), "c", std::nullopt, false});
  d.enabled = test_iccid(1, 0);
  d.country = plan_country("DE");
  engine.upsert_device(std::move(d));
  engine.set_tariff(Tariff{longid, plan_country("DE"), plan_eur(100000), plan_eur(1000)});
  engine.set_tariff(Tariff{"c", plan_country("DE"), plan_eur(900000), plan_eur(9000)});
  TelemetryRecord r{test_eid(1)};
  r.time = kPlanT0;
  r.enabled_iccid = test_iccid(1, 0);
  ASSERT_TRUE(engine.ingest(r).ok());
  const auto de = plan_country("DE");
  const TimePoint now = kPlanT0 + 20min;
  EXPECT_EQ(engine.plan_failover("a", de, now).entries.at(0).profile, 1) << "the long-id carrier is the cheaper";
  engine.set_carrier_status(longid, std::span(&de, 1), domain::CarrierStatus::down, "down", now);
  EXPECT_EQ(engine.plan_failover("a", de, now).entries.at(0).profile, 2);
}

TEST(FailoverPlan, EncodingRoundTripsAndRejectsDamage) {
  PlanFleet f(50);
  const FailoverPlan plan = f.engine.plan_failover("a", plan_country("DE"), kPlanT0 + 20min);
  const Bytes b = encode_plan_entries(plan.entries);
  EXPECT_EQ(b.size(), 8 + 32 * plan.entries.size());
  auto back = decode_plan_entries(b);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, plan.entries);

  Bytes bad = b;
  bad[0] = 'X';
  EXPECT_EQ(decode_plan_entries(bad).error().code, Errc::invalid_argument);
  Bytes short_one(b.begin(), b.end() - 1);
  EXPECT_NE(decode_plan_entries(short_one).error().message.find("bytes"), std::string::npos);
  Bytes prio = b;
  prio[8 + 26] = 9;
  EXPECT_NE(decode_plan_entries(prio).error().message.find("priority"), std::string::npos);
  Bytes waves = b;
  waves[8 + 28] = 5;  // first entry in wave 5, the next in wave 0
  EXPECT_NE(decode_plan_entries(waves).error().message.find("wave"), std::string::npos);
  EXPECT_TRUE(decode_plan_entries(encode_plan_entries({})).value().empty());
}

}  // namespace failover_plan_test_detail
}  // namespace esimo::engine
