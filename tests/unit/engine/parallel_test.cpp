// The two-thread paths (a batch split by EID over two threads; the tick's scan of due devices split over two) give
// exactly what the one-thread paths give: the same statuses, actions, reasons, outages and per-device evidence, on a
// fleet that goes through refusals, repeated devices in a batch, profile changes, an outage with its waves, pending
// switches and their feedback, and group and device policies.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>

#include "engine/engine.hpp"
#include "engine_test_util.hpp"

namespace esimo::engine {
namespace {
using testing::test_eid;
using testing::test_iccid;
using testing::RecordingActuator;

using namespace std::chrono_literals;



const TimePoint kParT0 = TimePoint(std::chrono::hours(24 * 365 * 57));
constexpr unsigned kDevices = 600;
const char* const kCarriers[3] = {"de-a", "de-b-with-a-long-catalog-id", "de-c"};
const char* const kPlmns[3] = {"262-01", "262-02", "262-03"};

// With `silence_after`: devices are presumed without service after that long without a record, and 3 minutes without
// service alert.
std::unique_ptr<Engine> make_engine(bool parallel, RecordingActuator& act, Duration silence_after = Duration::zero()) {
  EngineConfig cfg;
  cfg.silence_after = silence_after;
  cfg.health_window = 2min;
  cfg.min_population = 20;
  cfg.parallel_ingest_from = parallel ? 1 : SIZE_MAX;
  cfg.parallel_tick_from = parallel ? 1 : SIZE_MAX;
  auto e = std::make_unique<Engine>(cfg, act);
  const auto de = *domain::CountryCode::parse("DE");
  for (unsigned k = 0; k < 3; ++k) {
    e->set_tariff(Tariff{kCarriers[k], de, domain::Money{400000 + 100000 * k, *domain::Currency::parse("EUR")},
                         domain::Money{10000 - 2000 * static_cast<std::int64_t>(k), *domain::Currency::parse("EUR")}});
  }
  PolicySet ps;
  ps.fleet = *policy::parse_policy(
      std::string(R"({"name":"fleet","scope":{"fleet":true},"objective":"cost",
          "rules":[{"name":"outage","when":"outage detected or carrier.status != up","do":"switch best"},
                   {"name":"no-service","when":"no_service for 5m","do":"switch best"},)") +
          (silence_after > Duration::zero() ? R"({"name":"dark","when":"no_service for 3m","do":"alert \"dark\""},)" : "") +
          R"(
                   {"name":"weak","when":"signal.rsrp < -115 dBm for 10m","do":"switch best"},
                   {"name":"slow","when":"latency.p50 > 400 ms for 15m","do":"alert \"slow\""}],
          "guards":{"cooldown":"30m","max_switches_per_day":4,"rollback":true}})",
      policy::ParseOptions{});
  ps.groups["trucks"] = *policy::parse_policy(
      R"({"name":"trucks","scope":{"group":"trucks"},"rules":[{"name":"sinr","when":"signal.sinr < 0 dB","do":"alert \"sinr\""}]})",
      policy::ParseOptions{});
  const std::string dev7 = R"({"name":"dev7","scope":{"device":")" + test_eid(7, 1).str() +
                           R"("},"rules":[{"name":"rsrq","when":"signal.rsrq < -15 dB","do":"alert \"rsrq\""}]})";
  auto p7 = policy::parse_policy(dev7, policy::ParseOptions{});
  EXPECT_TRUE(p7.ok()) << (p7.ok() ? "" : p7.error().message);
  if (p7.ok()) ps.devices.emplace(test_eid(7, 1), std::move(p7).value());
  e->set_policies(std::move(ps));
  for (unsigned i = 0; i < kDevices; ++i) {
    DeviceInfo d{test_eid(i, 1)};
    for (unsigned s = 0; s < 3; ++s) {
      d.profiles.push_back(ProfileInfo{test_iccid(i, s), kCarriers[s], *domain::Plmn::parse(kPlmns[s]), s == 1});
    }
    d.enabled = test_iccid(i, i % 5 == 0 ? 2 : 0);
    d.priority = static_cast<std::uint8_t>(i % 4);
    d.group = i % 3 == 0 ? "trucks" : "";
    d.country = de;
    e->upsert_device(std::move(d));
  }
  return e;
}

// One round of records (the same for both engines): every device, a few twice, a few refused, and carrier de-a
// failing from round 12 to 30.
std::vector<TelemetryRecord> round_records(unsigned round, std::mt19937& rng) {
  std::vector<TelemetryRecord> out;
  const TimePoint start = kParT0 + std::chrono::minutes(round);
  std::normal_distribution<double> rsrp(-95, 9), lat(60, 30);
  for (unsigned i = 0; i < kDevices; ++i) {
    TelemetryRecord r;
    r.eid = test_eid(i, 1);
    r.time = start + std::chrono::milliseconds(rng() % 59000);
    const bool on_a = i % 5 != 0;
    const bool failing = on_a && round >= 12 && round < 30 && i % 2 == 0;
    r.attached = !failing && rng() % 50 != 0;
    r.serving_plmn = *domain::Plmn::parse(kPlmns[on_a ? 0 : 2]);
    r.rsrp_dbm = std::clamp(rsrp(rng) - (failing ? 15 : 0), -140.0, -45.0);
    r.rsrq_db = -8.0 - static_cast<double>(rng() % 10);
    r.sinr_db = static_cast<double>(rng() % 20) - 3;
    r.latency_ms = std::max(5.0, lat(rng) + (failing ? 300 : 0));
    r.bytes_up = rng() % 5000;
    r.bytes_down = rng() % 20000;
    if (i % 97 == 3 && round % 4 == 1) r.enabled_iccid = test_iccid(i, 1);  // the device says it moved
    out.push_back(r);
    if (i % 53 == 0) {
      TelemetryRecord again = r;  // the same device twice in one batch
      again.time = r.time + 500ms;
      again.latency_ms = 450;
      out.push_back(again);
    }
  }
  TelemetryRecord unknown;
  unknown.eid = test_eid(kDevices + 5, 1);
  unknown.time = start;
  out.push_back(unknown);
  TelemetryRecord bad = out[10];
  bad.rsrp_dbm = -10;  // out of range
  out.push_back(bad);
  TelemetryRecord old = out[20];
  old.time = start - 10min;  // older than the device's last record
  out.push_back(old);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

std::string describe(const std::optional<Explanation>& x) {
  if (!x) return "none";
  std::string s = x->policy_name + "|" + x->carrier_id + "|" + (x->enabled ? x->enabled->str() : "-") + "|" +
                  (x->fallback ? x->fallback->str() : "-") + "|" + (x->attached ? "up" : "down") + (x->silent ? " silent" : "") + "|" +
                  std::to_string(x->samples) + "|" + std::to_string(x->latency_p50_ms.value_or(-1)) + "|" +
                  std::to_string(x->rsrp_p50_dbm.value_or(1)) + "|" + std::to_string(x->usage_mb_per_month.value_or(-1)) +
                  "|" + (x->outage ? "outage" : "-");
  for (const auto& d : x->decisions) s += "|" + d.action + " " + (d.target ? d.target->str() : "-") + " " + d.reason;
  return s;
}

// With `silence_after`, a few devices at a time send nothing for 6 rounds (and are presumed without service).
void two_threads_same_as_one(Duration silence_after) {
  const bool silence = silence_after > Duration::zero();
  RecordingActuator act_serial, act_parallel;
  auto serial = make_engine(false, act_serial, silence_after);
  auto parallel = make_engine(true, act_parallel, silence_after);
  std::mt19937 rng(2027);
  std::size_t refused = 0, switches_fed_back = 0, dark_alerts = 0;
  std::map<std::string, unsigned> index_of;
  for (unsigned i = 0; i < kDevices; ++i) index_of.emplace(test_eid(i, 1).str(), i);
  for (unsigned round = 0; round < 45; ++round) {
    auto records = round_records(round, rng);
    if (silence) {
      std::erase_if(records, [&](const TelemetryRecord& r) {
        const auto it = index_of.find(r.eid.str());
        return it != index_of.end() && (it->second * 7 + round / 6) % 13 == 0;
      });
    }
    // Batches of 300, as the REST handler hands them on.
    for (std::size_t off = 0; off < records.size(); off += 300) {
      const auto part = std::span(records).subspan(off, std::min<std::size_t>(300, records.size() - off));
      const auto a = serial->ingest_batch(part);
      const auto b = parallel->ingest_batch(part);
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t j = 0; j < a.size(); ++j) {
        ASSERT_EQ(a[j].ok(), b[j].ok()) << "round " << round << " record " << off + j;
        if (!a[j].ok()) {
          ++refused;
          EXPECT_EQ(a[j].error().message, b[j].error().message);
        }
      }
    }
    const TimePoint now = kParT0 + std::chrono::minutes(round) + 59s;
    serial->tick(now);
    parallel->tick(now);
    ASSERT_EQ(act_serial.log, act_parallel.log) << "round " << round;
    for (const std::string& line : act_serial.log) dark_alerts += line.find("rule dark:") != std::string::npos;
    // Feedback: every other switch succeeds (the device is seen there), the rest fail.
    for (const std::string& line : act_serial.log) {
      if (line.rfind("switch ", 0) != 0) continue;
      const auto eid = *domain::Eid::parse(line.substr(7, 32));
      const auto iccid = *domain::Iccid::parse(line.substr(40, line.find(' ', 40) - 40));
      const bool ok = switches_fed_back++ % 2 == 0;
      serial->operation_result(eid, iccid, ok, now + 5s);
      parallel->operation_result(eid, iccid, ok, now + 5s);
    }
    act_serial.log.clear();
    act_parallel.log.clear();
  }
  EXPECT_GT(refused, 100u);
  EXPECT_GT(switches_fed_back, 10u);  // the outage moved devices, so pending switches met the parallel batch
  ASSERT_EQ(serial->outages().size(), parallel->outages().size());
  EXPECT_FALSE(serial->outages().empty());
  for (std::size_t k = 0; k < serial->outages().size(); ++k) {
    EXPECT_EQ(serial->outages()[k].id, parallel->outages()[k].id);
    EXPECT_EQ(serial->outages()[k].confirmed, parallel->outages()[k].confirmed);
    EXPECT_EQ(serial->outages()[k].submitted, parallel->outages()[k].submitted);
  }
  const TimePoint end = kParT0 + 45min;
  for (unsigned i = 0; i < kDevices; ++i) {
    ASSERT_EQ(describe(serial->explain(test_eid(i, 1), end)), describe(parallel->explain(test_eid(i, 1), end))) << i;
  }
  EXPECT_EQ(serial->stats().records, parallel->stats().records);
  EXPECT_EQ(serial->stats().evaluations, parallel->stats().evaluations);
  EXPECT_EQ(serial->stats().switches_submitted, parallel->stats().switches_submitted);
  EXPECT_EQ(serial->stats().silences, parallel->stats().silences);
  if (silence) {
    EXPECT_GT(serial->stats().silences, 100u) << "devices fell silent";
    EXPECT_GT(dark_alerts, 20u) << "silent devices alerted";
  } else {
    EXPECT_EQ(serial->stats().silences, 0u);
  }
}

TEST(EngineParallel, TwoThreadsGiveExactlyWhatOneThreadGives) { two_threads_same_as_one(Duration::zero()); }
TEST(EngineParallel, TwoThreadsGiveExactlyWhatOneThreadGivesWithSilence) { two_threads_same_as_one(150s); }

}  // namespace
}  // namespace esimo::engine
