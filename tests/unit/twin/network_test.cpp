#include "twin/network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <tuple>

#include "twin_model_test_util.hpp"

namespace esimo::twin {
namespace network_test {

using testing::cc;
using testing::minimal_scenario;
using testing::small_catalog;
using namespace std::chrono_literals;

Scenario scenario(const std::string& extra) {
  auto s = load_scenario_text(minimal_scenario() + extra, "n.toml", small_catalog());
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

CountryKey de() { return country_key(cc("DE")); }

constexpr const char* kNetworks = R"(
[networks.defaults]
coverage = 0.9
attach_success = 0.8
rsrp = { mean = -95, sd = 8 }
rsrq = { mean = -10, sd = 2 }
sinr = { mean = 12, sd = 4 }
latency_ms = { p50 = 60, p95 = 180 }
price_per_mb = "0.01 EUR"
monthly_fee = "0.50 EUR"
[networks.roaming]
coverage = 0.7
price_per_mb = "0.05 EUR"
[[networks.override]]
country = "DE"
attach_success = 0.9
[[networks.override]]
carrier = "Vodafone"
country = "DE"
coverage = 0.6
[[networks.override]]
carrier = "br-vivo"
country = "DE"
latency_ms = { p50 = 300, p95 = 600 }
[[events]]
kind = "outage"
carrier = "Telekom"
country = "DE"
start = "2h"
end = "4h"
[[events]]
kind = "degradation"
carrier = "O2"
country = "DE"
start = "1h"
end = "3h"
coverage = 0.5
attach_success = 0.4
signal_shift_db = -10
[[events]]
kind = "latency_spike"
carrier = "O2"
country = "DE"
start = "5h"
duration = "1h"
latency_factor = 3
latency_add_ms = 50
[[events]]
kind = "price_change"
carrier = "Vodafone"
country = "DE"
start = "6h"
end = "8h"
price_per_mb = "0.03 EUR"
[[events]]
kind = "outage"
country = "FR"
start = "9h"
end = "10h"
)";

// Default sample interval: one minute.
Scenario networks_scenario() { return scenario(kNetworks); }

TEST(TwinHash, IsAPureFunctionOfItsInputs) {
  EXPECT_EQ(twin_hash(1, 2, 3, 4, 5, 6), twin_hash(1, 2, 3, 4, 5, 6));
  EXPECT_NE(twin_hash(1, 2, 3, 4, 5, 6), twin_hash(1, 2, 3, 4, 5, 7));
  EXPECT_NE(twin_hash(1, 2, 3), twin_hash(1, 3, 2));
  EXPECT_NE(twin_hash(2, 2, 3), twin_hash(1, 2, 3));
  const double u = unit_interval(twin_hash(9, 9));
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
}

TEST(NetworkModel, ResolvesHomeRoamingAndLayers) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 7);
  const auto telekom = m.resolve_carrier(testing::kTelekom, de());
  EXPECT_TRUE(m.is_home(telekom));
  EXPECT_DOUBLE_EQ(m.params(telekom).coverage, 0.9);
  EXPECT_DOUBLE_EQ(m.params(telekom).attach_success, 0.9) << "country override";
  const auto vodafone = m.resolve_carrier(testing::kVodafoneDe, de());
  EXPECT_DOUBLE_EQ(m.params(vodafone).coverage, 0.6) << "carrier override over the country override";
  EXPECT_DOUBLE_EQ(m.params(vodafone).attach_success, 0.9);
  // A Brazilian profile in Germany roams: roaming layer, then Germany's, then its own override.
  const auto vivo = m.resolve_carrier(testing::kVivo, de());
  EXPECT_FALSE(m.is_home(vivo));
  EXPECT_DOUBLE_EQ(m.params(vivo).coverage, 0.7);
  EXPECT_DOUBLE_EQ(m.params(vivo).attach_success, 0.9);
  EXPECT_DOUBLE_EQ(m.params(vivo).latency.p50_ms, 300);
  EXPECT_EQ(m.params(vivo).price_per_mb.micros, 50000);
  const auto claro = m.resolve_carrier(testing::kClaro, country_key(cc("US")));
  EXPECT_DOUBLE_EQ(m.params(claro).coverage, 0.7);
  EXPECT_DOUBLE_EQ(m.params(claro).attach_success, 0.8) << "no US override";
  const auto orange = m.resolve_carrier(testing::kOrange, country_key(cc("FR")));
  EXPECT_TRUE(m.is_home(orange));
  EXPECT_DOUBLE_EQ(m.params(orange).coverage, 0.9);
  // Same network whether asked by carrier or by PLMN; MVNOs share their host's.
  EXPECT_EQ(m.resolve(small_catalog().home_plmn(testing::kTelekom), de()), telekom);
  EXPECT_EQ(m.resolve_carrier(testing::kCongstar, de()), telekom);
}

TEST(NetworkModel, AnswersDoNotDependOnCallOrder) {
  const Scenario s = networks_scenario();
  using Query = std::tuple<CarrierIndex, CountryKey, DeviceKey, SimTime, std::uint32_t>;
  std::vector<Query> queries;
  const CarrierIndex carriers[] = {testing::kTelekom, testing::kVodafoneDe, testing::kO2, testing::kVivo,
                                   testing::kOrange};
  for (DeviceKey d = 0; d < 40; ++d) {
    for (CarrierIndex c : carriers) {
      for (SimTime t : {SimTime(0s), SimTime(90min), SimTime(150min), SimTime(5h + 30min), SimTime(7h)}) {
        queries.emplace_back(c, c == testing::kOrange ? country_key(cc("FR")) : de(), d, t, d % 3);
      }
    }
  }
  auto answer = [](const NetworkModel& m, const Query& q) {
    const auto n = m.resolve_carrier(std::get<0>(q), std::get<1>(q));
    const auto sig = m.signal(n, std::get<2>(q), std::get<3>(q), std::get<4>(q));
    return std::make_tuple(m.serves(n, std::get<2>(q), std::get<3>(q)),
                           m.attach(n, std::get<2>(q), std::get<3>(q), std::get<4>(q)), sig.rsrp_dbm, sig.rsrq_db,
                           sig.sinr_db, m.latency_ms(n, std::get<2>(q), std::get<3>(q), std::get<4>(q)),
                           m.price_per_mb(n, std::get<3>(q)).micros);
  };
  const NetworkModel a(s, small_catalog(), 42);
  std::vector<decltype(answer(a, queries[0]))> first;
  for (const auto& q : queries) first.push_back(answer(a, q));

  // A second model, the queries shuffled and each asked twice: identical answers.
  const NetworkModel b(s, small_catalog(), 42);
  std::vector<std::size_t> order(queries.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(3));
  for (std::size_t i : order) {
    EXPECT_EQ(answer(b, queries[i]), first[i]);
    EXPECT_EQ(answer(b, queries[i]), first[i]);
  }

  // Another seed gives another world.
  const NetworkModel c(s, small_catalog(), 43);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < queries.size(); ++i) differ += answer(c, queries[i]) != first[i];
  EXPECT_GT(differ, queries.size() / 2);
}

TEST(NetworkModel, CoverageIsAStableShareOfDevices) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 1);
  const auto orange = m.resolve_carrier(testing::kOrange, country_key(cc("FR")));
  int covered = 0;
  for (DeviceKey d = 0; d < 20000; ++d) {
    const bool c = m.covers(orange, d);
    covered += c;
    // Coverage is decided per device: the same at any time outside events.
    EXPECT_EQ(m.serves(orange, d, 1h), c);
    EXPECT_EQ(m.serves(orange, d, 11h), c);
  }
  EXPECT_NEAR(covered / 20000.0, 0.9, 0.01);
  // A device covered by one network is not necessarily covered by another (independent draws).
  const auto sfr = m.resolve_carrier(testing::kSfr, country_key(cc("FR")));
  int both = 0;
  for (DeviceKey d = 0; d < 20000; ++d) both += m.covers(orange, d) && m.covers(sfr, d);
  EXPECT_NEAR(both / 20000.0, 0.81, 0.015);
}

TEST(NetworkModel, OutageWindowIsHalfOpen) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 5);
  const auto telekom = m.resolve_carrier(testing::kTelekom, de());
  DeviceKey covered = 0;
  while (!m.covers(telekom, covered)) ++covered;
  EXPECT_TRUE(m.serves(telekom, covered, 2h - 1us));
  EXPECT_FALSE(m.serves(telekom, covered, 2h));
  EXPECT_FALSE(m.serves(telekom, covered, 4h - 1us));
  EXPECT_TRUE(m.serves(telekom, covered, 4h));
  for (std::uint32_t attempt = 0; attempt < 20; ++attempt) EXPECT_FALSE(m.attach(telekom, covered, 3h, attempt));
  EXPECT_TRUE(m.conditions(telekom, 3h).outage);
  EXPECT_FALSE(m.conditions(telekom, 1h).outage);
  EXPECT_EQ(m.next_change(telekom, 0s), 2h);
  EXPECT_EQ(m.next_change(telekom, 2h), 4h);
  EXPECT_EQ(m.next_change(telekom, 4h), NetworkModel::kNever);
  // Vodafone has no outage.
  const auto vodafone = m.resolve_carrier(testing::kVodafoneDe, de());
  DeviceKey v = 0;
  while (!m.covers(vodafone, v)) ++v;
  EXPECT_TRUE(m.serves(vodafone, v, 3h));
}

TEST(NetworkModel, CountryWideEventsReachEveryNetworkThere) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 5);
  const CountryKey fr = country_key(cc("FR"));
  for (auto n : {m.resolve_carrier(testing::kOrange, fr), m.resolve_carrier(testing::kSfr, fr),
                 m.resolve_carrier(testing::kVivo, fr), m.resolve_carrier(testing::kTelekom, fr)}) {
    EXPECT_TRUE(m.conditions(n, 9h + 30min).outage);
    EXPECT_FALSE(m.conditions(n, 10h).outage);
  }
  EXPECT_FALSE(m.conditions(m.resolve_carrier(testing::kO2, de()), 9h + 30min).outage);
  const std::vector<SimTime> expected = {1h, 2h, 3h, 4h, 5h, 6h, 8h, 9h, 10h};
  EXPECT_EQ(m.change_times(), expected);
}

TEST(NetworkModel, DegradationRemovesANestedShareAndLowersAttach) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 11);
  const auto o2 = m.resolve_carrier(testing::kO2, de());
  int before = 0, during = 0, attached_before = 0, attached_during = 0, lost_uncovered = 0;
  for (DeviceKey d = 0; d < 20000; ++d) {
    const bool b = m.serves(o2, d, 30min);
    const bool x = m.serves(o2, d, 2h);
    before += b;
    during += x;
    if (x && !b) ++lost_uncovered;  // served during but not before: must never happen
    attached_before += m.attach(o2, d, 30min, 0);
    attached_during += m.attach(o2, d, 2h, 0);
  }
  EXPECT_EQ(lost_uncovered, 0);
  EXPECT_NEAR(before / 20000.0, 0.9, 0.01);
  EXPECT_NEAR(during / 20000.0, 0.45, 0.01);
  EXPECT_NEAR(attached_before / static_cast<double>(before), 0.9, 0.015);
  EXPECT_NEAR(attached_during / static_cast<double>(during), 0.4, 0.02);
  const auto c = m.conditions(o2, 2h);
  EXPECT_DOUBLE_EQ(c.coverage, 0.45);
  EXPECT_DOUBLE_EQ(c.attach_success, 0.4);
  EXPECT_DOUBLE_EQ(c.signal_shift_db, -10);
  // The signal shift moves RSRP and SINR; same draw otherwise.
  const auto quiet = m.signal(o2, 17, 30min);
  const auto shifted = m.signal(o2, 17, 2h);
  EXPECT_NE(quiet.rsrp_dbm, shifted.rsrp_dbm);
  double mean_before = 0, mean_during = 0;
  for (DeviceKey d = 0; d < 5000; ++d) {
    mean_before += m.signal(o2, d, 30min).rsrp_dbm;
    mean_during += m.signal(o2, d, 2h).rsrp_dbm;
  }
  EXPECT_NEAR((mean_before - mean_during) / 5000, 10, 0.7);
}

TEST(NetworkModel, SignalAndLatencyFollowTheirDistributions) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 2);
  const auto telekom = m.resolve_carrier(testing::kTelekom, de());
  std::vector<double> rsrp, sinr, lat;
  for (DeviceKey d = 0; d < 20000; ++d) {
    const auto sig = m.signal(telekom, d, 30min);
    rsrp.push_back(sig.rsrp_dbm);
    sinr.push_back(sig.sinr_db);
    EXPECT_GE(sig.rsrq_db, -20);
    EXPECT_LE(sig.rsrq_db, -3);
    lat.push_back(m.latency_ms(telekom, d, 30min));
  }
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  EXPECT_NEAR(mean(rsrp), -95, 0.3);
  EXPECT_NEAR(mean(sinr), 12, 0.2);
  double var = 0;
  for (double x : rsrp) var += (x + 95) * (x + 95);
  EXPECT_NEAR(std::sqrt(var / rsrp.size()), 8, 0.3);
  std::sort(lat.begin(), lat.end());
  EXPECT_NEAR(lat[lat.size() / 2], 60, 2.5);
  EXPECT_NEAR(lat[lat.size() * 95 / 100], 180, 10);
  // Within one sample interval a device reads the same values; the next interval draws again.
  EXPECT_EQ(m.signal(telekom, 5, 30min).rsrp_dbm, m.signal(telekom, 5, 30min + 59s).rsrp_dbm);
  EXPECT_NE(m.signal(telekom, 5, 30min).rsrp_dbm, m.signal(telekom, 5, 31min).rsrp_dbm);
  EXPECT_NE(m.signal(telekom, 5, 30min, 0).rsrp_dbm, m.signal(telekom, 5, 30min, 1).rsrp_dbm);
}

TEST(NetworkModel, LatencySpikeScalesAndAdds) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 2);
  const auto o2 = m.resolve_carrier(testing::kO2, de());
  std::vector<double> quiet, spiked;
  for (DeviceKey d = 0; d < 10000; ++d) {
    quiet.push_back(m.latency_ms(o2, d, 4h + 30min));
    spiked.push_back(m.latency_ms(o2, d, 5h + 30min));
  }
  std::sort(quiet.begin(), quiet.end());
  std::sort(spiked.begin(), spiked.end());
  EXPECT_NEAR(quiet[5000], 60, 3);
  EXPECT_NEAR(spiked[5000], 60 * 3 + 50, 8);
  EXPECT_DOUBLE_EQ(m.conditions(o2, 5h).latency_factor, 3);
  EXPECT_DOUBLE_EQ(m.conditions(o2, 6h).latency_factor, 1);
}

TEST(NetworkModel, PriceChangesApplyInTheirWindow) {
  const Scenario s = networks_scenario();
  const NetworkModel m(s, small_catalog(), 2);
  const auto vodafone = m.resolve_carrier(testing::kVodafoneDe, de());
  EXPECT_EQ(m.price_per_mb(vodafone, 6h - 1s).micros, 10000);
  EXPECT_EQ(m.price_per_mb(vodafone, 6h).micros, 30000);
  EXPECT_EQ(m.price_per_mb(vodafone, 8h).micros, 10000);
  EXPECT_EQ(m.price_per_mb(vodafone, 7h).currency.str(), "EUR");
  EXPECT_EQ(m.monthly_fee(vodafone, 7h).micros, 500000);
}

TEST(NetworkModel, ARecoveryEndsTheOutageEarly) {
  const Scenario s = scenario(
      "[[events]]\nkind = \"outage\"\ncarrier = \"Vodafone\"\ncountry = \"DE\"\nstart = \"1h\"\n"
      "[[events]]\nkind = \"recovery\"\ncarrier = \"Vodafone\"\ncountry = \"DE\"\nstart = \"90m\"\n");
  const NetworkModel m(s, small_catalog(), 1);
  const auto v = m.resolve_carrier(testing::kVodafoneDe, de());
  EXPECT_TRUE(m.conditions(v, 80min).outage);
  EXPECT_FALSE(m.conditions(v, 90min).outage);
  EXPECT_FALSE(m.conditions(v, 11h).outage);
}

}  // namespace network_test
}  // namespace esimo::twin
