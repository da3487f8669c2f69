// The compact parts of the engine's per-device state (engine/compact.hpp): the name table and the sample ring, the
// ring checked against the per-metric vectors it replaced.
#include "engine/compact.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "engine/engine.hpp"

namespace esimo::engine {
namespace {

using namespace std::chrono_literals;

const TimePoint kRingT0 = TimePoint(std::chrono::hours(24 * 365 * 57));

TEST(EngineNameTable, InternsEachNameOnce) {
  NameTable t;
  const auto a = t.intern("de-t-mobile-telekom");
  const auto b = t.intern("de-o2");
  EXPECT_NE(a, b);
  EXPECT_EQ(t.intern("de-t-mobile-telekom"), a);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.name(a), "de-t-mobile-telekom");
  EXPECT_EQ(t.name(b), "de-o2");
  EXPECT_EQ(t.find("de-o2"), b);
  EXPECT_EQ(t.find("fr-orange"), std::nullopt);
  EXPECT_EQ(t.size(), 2u);  // find does not add
}

TEST(EngineNameTable, NamesSurviveGrowth) {
  NameTable t;
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(t.intern("carrier-with-a-long-catalog-id-" + std::to_string(i)));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(t.name(ids[static_cast<std::size_t>(i)]), "carrier-with-a-long-catalog-id-" + std::to_string(i));
    EXPECT_EQ(t.intern("carrier-with-a-long-catalog-id-" + std::to_string(i)), ids[static_cast<std::size_t>(i)]);
  }
}

std::vector<double> ring_values(const SampleRing& r, SampleRing::Metric m) {
  std::vector<policy::Sample> s;
  r.series(m, s);
  std::vector<double> out;
  for (const auto& x : s) out.push_back(x.value);
  return out;
}

TEST(EngineSampleRing, KeepsEachMetricsSamplesInOrder) {
  SampleRing r;
  EXPECT_TRUE(r.empty(SampleRing::rsrp));
  EXPECT_EQ(r.last(SampleRing::rsrp), std::nullopt);
  r.push(kRingT0, -95.0, -10.0, 8.0, 60.0);
  r.push(kRingT0 + 1min, -97.5, std::nullopt, std::nullopt, 75.0);
  r.push(kRingT0 + 2min, std::nullopt, std::nullopt, std::nullopt, std::nullopt);  // nothing to keep
  r.push(kRingT0 + 3min, -120.0, -12.5, std::nullopt, std::nullopt);
  EXPECT_EQ(r.rows(), 3u);
  EXPECT_EQ(ring_values(r, SampleRing::rsrp), (std::vector<double>{-95.0, -97.5, -120.0}));
  EXPECT_EQ(ring_values(r, SampleRing::rsrq), (std::vector<double>{-10.0, -12.5}));
  EXPECT_EQ(ring_values(r, SampleRing::sinr), (std::vector<double>{8.0}));
  EXPECT_EQ(ring_values(r, SampleRing::latency), (std::vector<double>{60.0, 75.0}));
  EXPECT_EQ(r.last(SampleRing::latency), 75.0);
  EXPECT_EQ(r.count(SampleRing::rsrq), 2u);
  std::vector<policy::Sample> s;
  r.series(SampleRing::rsrq, s);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].at, kRingT0);
  EXPECT_EQ(s[1].at, kRingT0 + 3min);
  r.clear();
  EXPECT_EQ(r.rows(), 0u);
  EXPECT_TRUE(r.empty(SampleRing::latency));
  r.push(kRingT0 + 4min, -90.0, std::nullopt, std::nullopt, std::nullopt);
  EXPECT_EQ(ring_values(r, SampleRing::rsrp), (std::vector<double>{-90.0}));
  EXPECT_TRUE(r.empty(SampleRing::rsrq));
}

TEST(EngineSampleRing, TimesAreKeptToTheMicrosecond) {
  SampleRing r;
  const TimePoint t = kRingT0 + 123456789us;
  r.push(t, -100.0, std::nullopt, std::nullopt, std::nullopt);
  std::vector<policy::Sample> s;
  r.series(SampleRing::rsrp, s);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].at, t);
}

TEST(EngineSampleRing, TrimKeepsTheSampleBeforeTheWindowAndReleasesRows) {
  SampleRing r;
  for (int i = 0; i < 10; ++i) r.push(kRingT0 + i * 1min, -90.0 - i, -10.0, 8.0, 50.0 + i);
  // rsrp: the last sample at or before kRingT0+4min (i = 4) and after it.
  r.trim(SampleRing::rsrp, kRingT0 + 4min + 30s, 64);
  EXPECT_EQ(ring_values(r, SampleRing::rsrp), (std::vector<double>{-94, -95, -96, -97, -98, -99}));
  EXPECT_EQ(r.rows(), 10u);  // the other series still hold every row
  r.trim(SampleRing::rsrq, kRingT0 + 6min, 64);
  r.trim(SampleRing::sinr, kRingT0 + 8min, 64);
  r.trim(SampleRing::latency, kRingT0 + 5min, 3);  // the cap: the newest 3
  EXPECT_EQ(ring_values(r, SampleRing::latency), (std::vector<double>{57, 58, 59}));
  EXPECT_EQ(ring_values(r, SampleRing::rsrq).size(), 4u);
  EXPECT_EQ(ring_values(r, SampleRing::sinr).size(), 2u);
  EXPECT_EQ(r.rows(), 6u);  // rows 0-3 are no series' any more
  // A series without samples holds no row back.
  SampleRing only_rsrp;
  for (int i = 0; i < 5; ++i) only_rsrp.push(kRingT0 + i * 1min, -90.0, std::nullopt, std::nullopt, std::nullopt);
  only_rsrp.trim(SampleRing::rsrq, kRingT0 + 10min, 64);
  only_rsrp.trim(SampleRing::sinr, kRingT0 + 10min, 64);
  only_rsrp.trim(SampleRing::latency, kRingT0 + 10min, 64);
  only_rsrp.trim(SampleRing::rsrp, kRingT0 + 3min, 64);
  EXPECT_EQ(only_rsrp.rows(), 2u);
  EXPECT_EQ(only_rsrp.count(SampleRing::rsrp), 2u);
}

// The vector trim the ring replaced (engine.cpp before the ring), the reference for the randomized comparison.
void reference_vector_trim(std::vector<policy::Sample>& s, TimePoint from, std::size_t max) {
  std::size_t drop = 0;
  while (drop + 1 < s.size() && s[drop + 1].at <= from) ++drop;
  if (s.size() - drop > max) drop = s.size() - max;
  s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(drop));
}

TEST(EngineSampleRing, MatchesFourVectorsUnderRandomPushesTrimsAndClears) {
  std::mt19937 rng(42);
  SampleRing ring;
  std::array<std::vector<policy::Sample>, SampleRing::kMetrics> ref;
  TimePoint now = kRingT0;
  std::size_t max_rows = 0;
  for (int step = 0; step < 20000; ++step) {
    now += std::chrono::seconds(1 + rng() % 90);
    const unsigned what = rng() % 100;
    if (what < 70) {
      std::array<std::optional<double>, 4> v;
      for (auto& x : v) {
        if (rng() % 4 != 0) x = -static_cast<double>(rng() % 140);  // integers: exact as floats
      }
      ring.push(now, v[0], v[1], v[2], v[3]);
      for (std::size_t m = 0; m < 4; ++m) {
        if (v[m]) ref[m].push_back(policy::Sample{now, *v[m]});
      }
    } else if (what < 99) {
      const auto m = static_cast<SampleRing::Metric>(rng() % 4);
      const TimePoint from = now - std::chrono::minutes(rng() % 40);
      const std::size_t cap = 1 + rng() % 64;
      ring.trim(m, from, cap);
      reference_vector_trim(ref[m], from, cap);
    } else {
      ring.clear();
      for (auto& r : ref) r.clear();
    }
    for (std::size_t m = 0; m < 4; ++m) {
      std::vector<policy::Sample> got;
      ring.series(static_cast<SampleRing::Metric>(m), got);
      ASSERT_EQ(got.size(), ref[m].size()) << "step " << step << " metric " << m;
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].at, ref[m][i].at);
        ASSERT_EQ(got[i].value, ref[m][i].value);
      }
    }
    max_rows = std::max(max_rows, ring.rows());
  }
  // The trims above keep at most 64 a series: released rows are reused, the buffer stays small.
  EXPECT_LE(ring.capacity(), 512u);
  EXPECT_GT(max_rows, 10u);
}

struct CompactNoActuator final : Actuator {
  Status submit_switch(const domain::Eid&, const domain::Iccid&, bool, const std::string&) override { return ok_status(); }
  Status set_fallback(const domain::Eid&, const domain::Iccid&, const std::string&) override { return ok_status(); }
  void alert(const domain::Eid&, const std::string&, const std::string&) override {}
};

// The engine keeps EIDs and ICCIDs packed and carrier ids as table indexes: what it hands back is what it was given,
// for 18-, 19- and 20-digit ICCIDs and carrier ids of any length.
TEST(EngineRegistry, PackedIdentifiersAndCarrierIndexesComeBackExactly) {
  CompactNoActuator act;
  Engine e(EngineConfig{}, act);
  const auto eid = *domain::Eid::from_prefix30("890490320057000000000000000042");
  const auto i18 = *domain::Iccid::from_payload("89490000000000004");
  const auto i19 = *domain::Iccid::from_payload("894900000000000005");
  const auto i20 = *domain::Iccid::from_payload("8949000000000000006");
  const std::string long_id(200, 'x');
  DeviceInfo d{eid};
  d.profiles.push_back(ProfileInfo{i18, "de-t-mobile-telekom", *domain::Plmn::parse("262-01"), false});
  d.profiles.push_back(ProfileInfo{i19, long_id, *domain::Plmn::parse("262-02"), true});
  d.profiles.push_back(ProfileInfo{i20, "de-o2", *domain::Plmn::parse("262-03"), false});
  d.enabled = i20;
  d.country = *domain::CountryCode::parse("DE");
  e.upsert_device(d);
  auto x = e.explain(eid, kRingT0);
  ASSERT_TRUE(x);
  EXPECT_EQ(x->eid, eid);
  EXPECT_EQ(x->enabled, i20);
  EXPECT_EQ(x->carrier_id, "de-o2");
  EXPECT_EQ(x->fallback, i19);
  // Enabled on the long-id carrier: explain names it in full.
  d.enabled = i19;
  e.upsert_device(d);
  x = e.explain(eid, kRingT0);
  ASSERT_TRUE(x);
  EXPECT_EQ(x->enabled, i19);
  EXPECT_EQ(x->carrier_id, long_id);
  // A record naming the 18-digit profile moves the device there.
  TelemetryRecord r;
  r.eid = eid;
  r.time = kRingT0;
  r.enabled_iccid = i18;
  ASSERT_TRUE(e.ingest(r).ok());
  x = e.explain(eid, kRingT0);
  EXPECT_EQ(x->enabled, i18);
  EXPECT_EQ(x->carrier_id, "de-t-mobile-telekom");
}

// Devices removed and added again in any order: the index finds each present device's own state (the slot of a
// removed device is reused), and a removed device is unknown.
TEST(EngineRegistry, RemovedDevicesAreForgottenAndTheirSlotsReused) {
  CompactNoActuator act;
  Engine e(EngineConfig{}, act);
  const auto eid_n = [](unsigned i) {
    char buf[31];
    std::snprintf(buf, sizeof buf, "890490320057000000002%09u", i);
    return *domain::Eid::from_prefix30(buf);
  };
  const auto iccid_n = [](unsigned i) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "8949%013u", i);
    return *domain::Iccid::from_payload(buf);
  };
  const auto add = [&](unsigned i) {
    DeviceInfo d{eid_n(i)};
    d.profiles.push_back(ProfileInfo{iccid_n(i), "carrier-" + std::to_string(i % 7), std::nullopt, false});
    d.enabled = iccid_n(i);
    e.upsert_device(d);
  };
  for (unsigned i = 0; i < 300; ++i) add(i);
  for (unsigned i = 0; i < 300; i += 3) e.remove_device(eid_n(i));
  for (unsigned i = 300; i < 400; ++i) add(i);  // takes the freed slots
  EXPECT_EQ(e.stats().devices, 300u);
  for (unsigned i = 0; i < 400; ++i) {
    const bool present = i >= 300 || i % 3 != 0;
    ASSERT_EQ(e.has_device(eid_n(i)), present) << i;
    TelemetryRecord r;
    r.eid = eid_n(i);
    r.time = kRingT0 + std::chrono::seconds(i);
    ASSERT_EQ(e.ingest(r).ok(), present) << i;
    const auto x = e.explain(eid_n(i), kRingT0 + 1h);
    ASSERT_EQ(x.has_value(), present);
    if (present) {
      EXPECT_EQ(x->enabled, iccid_n(i));
      EXPECT_EQ(x->carrier_id, "carrier-" + std::to_string(i % 7));
      EXPECT_EQ(x->last_seen, kRingT0 + std::chrono::seconds(i));
    }
  }
}

TEST(EngineDeviceState, StaysCompact) {
  // The bare per-device struct (the hot-state benchmark's baseline) was 728 bytes before the carrier table, the
  // packed identifiers, the sample ring and the rare part behind one pointer.
  EXPECT_LE(Engine::device_state_size(), 256u);
}

}  // namespace
}  // namespace esimo::engine
