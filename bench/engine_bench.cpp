// esimo-engine-bench: the orchestration engine's goals (issue 6), each against a baseline measured in the same run.
//
//   esimo-engine-bench [--only ingest|rest|memory|plan] [--devices N] [--rounds R] [--mem-devices N]
//                      [--plan-devices N] [--dir DIR] [--incremental on|off] [--silence-after S]
//                      [--no-service-share F]
//
// ingest  Telemetry ingest + policy evaluation, batched (1,024 records a batch, the REST batch size): a fleet of
//         --devices (100,000) in 4 countries on 3 carriers each, the default fleet policy plus a signal and a latency
//         rule; every device reports once per simulated minute (R rounds; each round repeats the same values with new
//         times), the engine ticks once per round, so every record is ingested into its device's windows and its
//         (carrier, country) health, and its device is evaluated unless the record changed nothing its decision reads
//         (incremental evaluation: the count of such records is printed). --silence-after S (seconds, default 0:
//         off) sets EngineConfig::silence_after: the tick's scan then also reads each device's last_seen (docs/engine.md
//         "Silence"); with S above the minute between records nobody falls silent, which measures that read alone.
//         Figure: records/s = records / (ingest + tick) time. Baseline: the same records copied into a hash map by EID
//         (the memory-bound floor of touching one entry per record).
//         --no-service-share F (0 .. 1, default 0): a large outage. That share of the fleet loses service in round 1
//         (its record says so) and sends nothing after it (a device without service cannot report), and the policy's
//         no-service rule is `no_service for 30m` (instead of 5m): the devices wait 30 minutes without a record, then
//         the rule fires (the switch is held: they are unreachable). Prints the mean tick time of the rounds, the work
//         that does not grow with records (docs/engine.md "Due times"); use --rounds 40 to see both the wait and the
//         rule held after it. Baseline: the same run with F = 0.
// rest    The REST side: the same records as one NDJSON body decoded by api::TelemetryBatchReader (JSON parse + strict
//         decode). Baseline: boost::json::parse of each line alone.
// memory  Hot state per device at --mem-devices (1,000,000): allocated bytes (mallinfo2 uordblks delta) and RSS delta
//         per device after registration and three records per device 10 minutes apart (steady windows). Baseline: the
//         bare per-device struct (Engine::device_state_size()).
// plan    Time to plan and durably queue the failover of --plan-devices (1,000,000) affected devices: all on one
//         carrier in DE, which the status feed declares down; Engine::plan_failover chooses each device's backup
//         under its policy and orders the waves (critical first, 2 threads), encode_plan_entries packs it, and
//         Store::put_failover_plan commits it to the SQLite store in --dir (a temporary directory by default) with the
//         settings `esimo serve` uses (WAL, synchronous=FULL: fsynced before it returns). The store is then closed
//         and reopened and the plan read back and compared (a restart does not lose it). Baseline: a raw SQLite
//         insert of the same number of minimal rows (id, eid, iccid, wave) in one transaction, same pragmas.
//
// The machine is shared and noisy: compare the ratios, and note the load average printed with each figure.
#include <malloc.h>
#include <time.h>
#include <sqlite3.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/telemetry.hpp"
#include "engine/engine.hpp"
#include "engine/failover_plan.hpp"
#include "policy/policy.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

namespace eng = esimo::engine;
namespace dom = esimo::domain;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of the whole process (every thread): on a shared machine the wall time includes waiting for a core.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds of the calling thread: the critical path of a run whose other threads only take halves of its work.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// Bytes allocated and not freed, every arena plus the large blocks malloc maps on their own (the device vector).
std::size_t heap_in_use() {
  malloc_trim(0);
  const auto mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

const esimo::TimePoint kT0 = esimo::TimePoint(std::chrono::hours(24 * 365 * 57));

dom::Eid eid_of(std::uint32_t i) {
  char buf[31];
  std::snprintf(buf, sizeof buf, "890490320057000000000%09u", i);
  return *dom::Eid::from_prefix30(buf);
}
dom::Iccid iccid_of(std::uint32_t i, unsigned slot) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "8949%01u%012u", slot, i);
  return *dom::Iccid::from_payload(buf);
}

struct Country {
  const char* code;
  const char* mcc;
  const char* carriers[3];
};
// Four countries, three carriers each (catalog-like ids, some longer than the short-string buffer).
const Country kCountries[4] = {
    {"DE", "262", {"de-t-mobile-telekom", "de-o2", "de-vodafone"}},
    {"FR", "208", {"fr-orange", "fr-sfr", "fr-bouygues-telecom"}},
    {"IT", "222", {"it-tim", "it-vodafone", "it-windtre"}},
    {"ES", "214", {"es-movistar", "es-orange", "es-vodafone"}},
};

dom::Plmn plmn_of(unsigned country, unsigned carrier) {
  const char* mnc[3] = {"01", "02", "03"};
  return *dom::Plmn::from_parts(kCountries[country].mcc, mnc[carrier]);
}

// The device's country: most of the fleet in DE when `all_de` (the failover plan), else spread over four.
unsigned country_of(std::uint32_t i, bool all_de) { return all_de ? 0 : i % 4; }

eng::DeviceInfo device_of(std::uint32_t i, bool all_de) {
  const unsigned c = country_of(i, all_de);
  eng::DeviceInfo d;
  d.eid = eid_of(i);
  for (unsigned k = 0; k < 3; ++k) {
    eng::ProfileInfo p;
    p.iccid = iccid_of(i, k);
    p.carrier_id = kCountries[c].carriers[k];
    p.plmn = plmn_of(c, k);
    p.fallback = k == 1;
    d.profiles.push_back(std::move(p));
  }
  d.enabled = d.profiles[0].iccid;
  d.priority = static_cast<std::uint8_t>(i % 7 == 0 ? 3 : i % 3);
  d.country = *dom::CountryCode::parse(kCountries[c].code);
  return d;
}

void set_tariffs(eng::Engine& e) {
  for (unsigned c = 0; c < 4; ++c) {
    for (unsigned k = 0; k < 3; ++k) {
      eng::Tariff t;
      t.carrier_id = kCountries[c].carriers[k];
      t.country = *dom::CountryCode::parse(kCountries[c].code);
      t.monthly_fee = dom::Money{500000 + 100000 * k, *dom::Currency::parse("EUR")};
      t.price_per_mb = dom::Money{20000 - 5000 * static_cast<std::int64_t>(k), *dom::Currency::parse("EUR")};
      e.set_tariff(t);
    }
  }
}

// The default fleet policy plus a signal and a latency rule (docs/engine.md, docs/policies.md); `no_service_for` is
// the no-service rule's duration.
esimo::policy::Policy bench_policy(const char* no_service_for = "5m") {
  const std::string text = std::string(R"({"name":"bench-fleet","scope":{"fleet":true},"objective":"cost",
   "rules":[{"name":"outage","when":"outage detected or carrier.status != up","do":"switch best"},
            {"name":"no-service","when":"no_service for )") + no_service_for + R"(","do":"switch best"},
            {"name":"weak-signal","when":"signal.rsrp < -115 dBm for 10m","do":"switch best"},
            {"name":"slow","when":"latency.p50 > 400 ms for 15m","do":"alert \"latency\""}],
   "guards":{"cooldown":"30m","max_switches_per_day":4,"rollback":true}})";
  auto p = esimo::policy::parse_policy(text, esimo::policy::ParseOptions{});
  if (!p) {
    std::fprintf(stderr, "bench policy: %s\n", p.error().message.c_str());
    std::exit(1);
  }
  return std::move(p).value();
}

struct NullActuator final : eng::Actuator {
  std::size_t switches = 0, fallbacks = 0, alerts = 0;
  esimo::Status submit_switch(const dom::Eid&, const dom::Iccid&, bool, const std::string&) override {
    ++switches;
    return esimo::ok_status();
  }
  esimo::Status set_fallback(const dom::Eid&, const dom::Iccid&, const std::string&) override {
    ++fallbacks;
    return esimo::ok_status();
  }
  void alert(const dom::Eid&, const std::string&, const std::string&) override { ++alerts; }
};

// One round of records: one per device, in a shuffled order (reports do not arrive sorted by device). Healthy radio
// with noise; 1 in 500 records without service. Times are set per round by stamp().
std::vector<eng::TelemetryRecord> make_records(std::uint32_t n, bool all_de, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> rsrp(-95, 7), lat(60, 15);
  std::vector<eng::TelemetryRecord> out(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    eng::TelemetryRecord& r = out[i];
    const unsigned c = country_of(i, all_de);
    r.eid = eid_of(i);
    r.serving_plmn = plmn_of(c, 0);
    r.rat = dom::Rat::lte_m;
    r.rsrp_dbm = std::clamp(rsrp(rng), -140.0, -45.0);
    r.rsrq_db = -10;
    r.sinr_db = 8;
    r.latency_ms = std::max(5.0, lat(rng));
    r.attached = rng() % 500 != 0;
    r.bytes_up = 1200;
    r.bytes_down = 4000;
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

void stamp(std::vector<eng::TelemetryRecord>& records, esimo::TimePoint round_start, std::chrono::seconds spread) {
  const auto n = static_cast<std::int64_t>(records.size());
  for (std::int64_t i = 0; i < n; ++i) {
    records[static_cast<std::size_t>(i)].time =
        round_start + std::chrono::duration_cast<esimo::Duration>(spread) * i / std::max<std::int64_t>(1, n);
  }
}

struct Args {
  std::string only;
  bool incremental = true;  // --incremental off: every device with a record is evaluated (EngineConfig)
  unsigned silence_after_s = 0;  // --silence-after: EngineConfig::silence_after in seconds (0: off)
  double no_service_share = 0;   // --no-service-share: the share of the fleet in a large outage (0: none)
  std::uint32_t devices = 100000;
  unsigned rounds = 10;
  std::uint32_t mem_devices = 1000000;
  std::uint32_t plan_devices = 1000000;
  std::string dir;
};

// ---- 1. ingest + evaluation
void bench_ingest(const Args& a) {
  NullActuator act;
  eng::EngineConfig cfg;
  cfg.incremental_evaluation = a.incremental;
  cfg.silence_after = std::chrono::seconds(a.silence_after_s);
  eng::Engine e(cfg, act);
  set_tariffs(e);
  eng::PolicySet ps;
  ps.fleet = bench_policy(a.no_service_share > 0 ? "30m" : "5m");
  e.set_policies(std::move(ps));
  for (std::uint32_t i = 0; i < a.devices; ++i) e.upsert_device(device_of(i, false));
  auto records = make_records(a.devices, false, 7);
  // A large outage (--no-service-share): the lost devices' record of round 1 says no service; after it they send
  // nothing. Device i is lost when i % 1000 is below the share (its number is digits 21..29 of its EID).
  const auto lost = [&](const eng::TelemetryRecord& r) {
    const auto i = std::strtoul(r.eid.str().substr(21, 9).c_str(), nullptr, 10);
    return static_cast<double>(i % 1000) < a.no_service_share * 1000;
  };
  std::vector<eng::TelemetryRecord> outage_round = records, after_outage;
  std::size_t lost_devices = 0;
  for (auto& r : outage_round) {
    if (!lost(r)) continue;
    ++lost_devices;
    r.attached = false;
    r.serving_plmn.reset();
    r.rsrp_dbm.reset();
    r.rsrq_db.reset();
    r.sinr_db.reset();
    r.latency_ms.reset();
  }
  for (const auto& r : records) {
    if (!lost(r)) after_outage.push_back(r);
  }
  constexpr std::size_t kBatch = 1024;
  // Warm-up round (first records build the windows and health entries), not timed.
  stamp(records, kT0, std::chrono::seconds(60));
  for (std::size_t off = 0; off < records.size(); off += kBatch) {
    (void)e.ingest_batch(std::span(records).subspan(off, std::min(kBatch, records.size() - off)));
  }
  e.tick(kT0 + std::chrono::seconds(60));
  const auto evals0 = e.stats().evaluations;
  const auto skipped0 = e.stats().evaluations_skipped;
  double t_ingest = 0, t_tick = 0, cpu_ingest = 0, cpu_tick = 0, main_cpu = 0, max_tick = 0;
  std::size_t refused = 0, n_records = 0;
  const std::vector<eng::TelemetryRecord> healthy = records;
  for (unsigned r = 1; r <= a.rounds; ++r) {
    const esimo::TimePoint start = kT0 + std::chrono::minutes(r);
    if (a.no_service_share > 0) records = r == 1 ? outage_round : after_outage;
    n_records += records.size();
    stamp(records, start, std::chrono::seconds(60));
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    const double m0 = thread_cpu_seconds();
    for (std::size_t off = 0; off < records.size(); off += kBatch) {
      auto st = e.ingest_batch(std::span(records).subspan(off, std::min(kBatch, records.size() - off)));
      for (const auto& s : st) refused += !s.ok();
    }
    t_ingest += seconds_since(t0);
    cpu_ingest += cpu_seconds() - c0;
    t0 = Clock::now();
    c0 = cpu_seconds();
    e.tick(start + std::chrono::seconds(60));
    const double this_tick = seconds_since(t0);
    t_tick += this_tick;
    max_tick = std::max(max_tick, this_tick);
    cpu_tick += cpu_seconds() - c0;
    main_cpu += thread_cpu_seconds() - m0;
  }
  records = healthy;
  const double cpu_engine = cpu_ingest + cpu_tick;
  const double n = static_cast<double>(n_records);
  const auto evals = e.stats().evaluations - evals0;
  // Records that changed nothing their device's decision reads (incremental evaluation, docs/engine.md).
  const auto skipped = e.stats().evaluations_skipped - skipped0;
  // Baseline: the same records copied into a map entry per EID (hash of the EID text, last values kept).
  struct Last {
    esimo::TimePoint at{};
    double rsrp = 0, latency = 0;
    bool attached = false;
    std::uint64_t bytes = 0;
  };
  std::unordered_map<std::string, Last> floor;
  floor.reserve(records.size());
  for (const auto& r : records) floor.emplace(r.eid.str(), Last{});
  auto t0 = Clock::now();
  const double cpu1 = cpu_seconds();
  for (unsigned r = 1; r <= a.rounds; ++r) {
    for (const auto& rec : records) {
      Last& l = floor[rec.eid.str()];
      l.at = rec.time;
      l.rsrp = rec.rsrp_dbm.value_or(0);
      l.latency = rec.latency_ms.value_or(0);
      l.attached = rec.attached;
      l.bytes += rec.bytes_up + rec.bytes_down;
    }
  }
  const double t_floor = seconds_since(t0);
  const double cpu_floor = cpu_seconds() - cpu1;
  const double rate = n / (t_ingest + t_tick);
  const double floor_n = static_cast<double>(records.size()) * a.rounds;  // n without an outage
  const double floor_rate = floor_n / t_floor;
  std::printf("ingest: %u devices, %u rounds, %.0f records (%zu refused), %llu evaluations, %llu records that did not "
              "make their device due (incremental evaluation)\n",
              a.devices, a.rounds, n, refused, static_cast<unsigned long long>(evals),
              static_cast<unsigned long long>(skipped));
  std::printf("ingest: ingest %.3f s + tick %.3f s -> %.0f records/s (ingest alone %.0f/s; %.2f us per evaluation)\n",
              t_ingest, t_tick, rate, n / t_ingest, evals ? t_tick * 1e6 / static_cast<double>(evals) : 0.0);
  if (a.no_service_share > 0) {
    std::printf("ingest: outage: %zu devices without service from round 1 (no record after it; rule no_service for "
                "30m); tick mean %.2f ms, max %.2f ms over %u rounds, tick CPU %.2f ms a round (all threads)\n",
                lost_devices, t_tick * 1e3 / a.rounds, max_tick * 1e3, a.rounds, cpu_tick * 1e3 / a.rounds);
  }
  if (a.silence_after_s > 0) {
    std::printf("ingest: silence_after %u s: %llu devices presumed without service\n", a.silence_after_s,
                static_cast<unsigned long long>(e.stats().silences));
  }
  std::printf("ingest: baseline hash-map copy %.3f s -> %.0f records/s; engine/baseline %.3f; goal 1,000,000/s %s\n",
              t_floor, floor_rate, rate / floor_rate, rate >= 1e6 ? "MET" : "MISSED");
  // On a shared machine the wall time includes waiting for a core. The engine's own critical path is the calling
  // thread's CPU time: it does its half of each two-thread part (ingest shards, the tick's scan) and every serial
  // part, so on two idle cores the run would take about that long.
  std::printf("ingest: CPU %.3f us per record (ingest %.3f + tick %.3f, all threads) vs %.3f us (baseline): CPU ratio "
              "%.2f; calling thread %.3f us per record: on 2 idle cores about %.0f records/s\n",
              cpu_engine * 1e6 / n, cpu_ingest * 1e6 / n, cpu_tick * 1e6 / n, cpu_floor * 1e6 / floor_n,
              (cpu_engine / n) / (cpu_floor / floor_n), main_cpu * 1e6 / n, n / main_cpu);
  std::printf("ingest: actions: %zu switches, %zu fallbacks, %zu alerts; load %s\n", act.switches, act.fallbacks,
              act.alerts, load_average().c_str());
}

// ---- 1b. REST parse of an NDJSON batch
void bench_rest(const Args& a) {
  auto records = make_records(a.devices, false, 11);
  stamp(records, kT0, std::chrono::seconds(60));
  std::string body;
  body.reserve(records.size() * 240);
  for (const auto& r : records) {
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"eid\":\"%s\",\"time\":\"%s\",\"serving_plmn\":\"%s\",\"rat\":\"LTE-M\",\"rsrp\":%.1f,"
                  "\"rsrq\":%.1f,\"sinr\":%.1f,\"latency_ms\":%.1f,\"attached\":%s,\"bytes_up\":%llu,"
                  "\"bytes_down\":%llu}\n",
                  r.eid.str().c_str(), esimo::format_rfc3339(r.time).c_str(), r.serving_plmn->str().c_str(),
                  *r.rsrp_dbm, *r.rsrq_db, *r.sinr_db, *r.latency_ms, r.attached ? "true" : "false",
                  static_cast<unsigned long long>(r.bytes_up), static_cast<unsigned long long>(r.bytes_down));
    body += line;
  }
  std::size_t ok = 0, bad = 0;
  esimo::api::TelemetryBatchReader reader(
      esimo::api::TelemetryFormat::ndjson, [&](esimo::api::TelemetryRecord&&, std::size_t) { ++ok; },
      [&](std::size_t, std::string, std::string) { ++bad; });
  auto t0 = Clock::now();
  constexpr std::size_t kChunk = 64 * 1024;  // as the server streams the body
  for (std::size_t off = 0; off < body.size(); off += kChunk) {
    (void)reader.write(std::string_view(body).substr(off, kChunk));
  }
  (void)reader.finish();
  const double t_decode = seconds_since(t0);
  // Baseline: boost::json::parse of each line, nothing decoded.
  std::size_t parsed = 0;
  t0 = Clock::now();
  boost::json::monotonic_resource mr;
  std::string_view rest(body);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    boost::system::error_code ec;
    auto v = boost::json::parse(rest.substr(0, nl), ec);
    parsed += !ec && v.is_object();
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  const double t_parse = seconds_since(t0);
  const double n = static_cast<double>(records.size());
  std::printf("rest: NDJSON %zu records, %.1f MB: decoded %zu ok %zu bad in %.3f s -> %.0f records/s (%.0f MB/s)\n",
              records.size(), static_cast<double>(body.size()) / 1e6, ok, bad, t_decode, n / t_decode,
              static_cast<double>(body.size()) / 1e6 / t_decode);
  std::printf("rest: baseline boost::json::parse per line %zu in %.3f s -> %.0f records/s; decode/baseline %.3f; load %s\n",
              parsed, t_parse, n / t_parse, t_parse / t_decode, load_average().c_str());
}

// ---- 3. hot state per device
void bench_memory(const Args& a) {
  NullActuator act;
  const std::size_t heap0 = heap_in_use();
  const long rss0 = rss_kib();
  auto e = std::make_unique<eng::Engine>(eng::EngineConfig{}, act);
  set_tariffs(*e);
  e->set_policies(eng::PolicySet{});
  auto t0 = Clock::now();
  for (std::uint32_t i = 0; i < a.mem_devices; ++i) e->upsert_device(device_of(i, false));
  const double t_reg = seconds_since(t0);
  const std::size_t heap_reg = heap_in_use();
  // Records are made and fed in slices so the record buffers are not counted.
  t0 = Clock::now();
  constexpr std::uint32_t kSlice = 100000;
  for (unsigned round = 0; round < 3; ++round) {
    for (std::uint32_t from = 0; from < a.mem_devices; from += kSlice) {
      const std::uint32_t n = std::min(kSlice, a.mem_devices - from);
      std::vector<eng::TelemetryRecord> recs;
      recs.reserve(n);
      auto base = make_records(n, false, 100 + round);
      for (std::uint32_t i = 0; i < n; ++i) {
        base[i].eid = eid_of(from + i);
        const unsigned c = country_of(from + i, false);
        base[i].serving_plmn = plmn_of(c, 0);
      }
      stamp(base, kT0 + std::chrono::minutes(10 * round) + std::chrono::seconds(from / kSlice),
            std::chrono::seconds(1));
      (void)e->ingest_batch(base);
    }
    e->tick(kT0 + std::chrono::minutes(10 * round) + std::chrono::seconds(59));
  }
  const double t_feed = seconds_since(t0);
  const std::size_t heap1 = heap_in_use();
  const long rss1 = rss_kib();
  const double n = a.mem_devices;
  const double per_dev = static_cast<double>(heap1 - heap0) / n;
  const double per_dev_rss = static_cast<double>(rss1 - rss0) * 1024.0 / n;
  const double bare = static_cast<double>(eng::Engine::device_state_size());
  std::printf("memory: %u devices registered in %.2f s, 3 records each fed+ticked in %.2f s\n", a.mem_devices, t_reg,
              t_feed);
  std::printf("memory: heap per device %.0f B after registration, %.0f B with windows; RSS delta per device %.0f B\n",
              static_cast<double>(heap_reg - heap0) / n, per_dev, per_dev_rss);
  std::printf("memory: baseline bare per-device struct %.0f B; heap/baseline %.2f; goal <= 1024 B %s; load %s\n", bare,
              per_dev / bare, per_dev <= 1024 && per_dev_rss <= 1024 ? "MET" : "MISSED", load_average().c_str());
}

// ---- 2. failover plan, durable
double raw_sqlite_rows(const std::filesystem::path& file, const std::vector<esimo::engine::PlanEntry>& entries) {
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) return -1;
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE plan_rows (id INTEGER PRIMARY KEY, eid BLOB NOT NULL, iccid BLOB NOT NULL, wave INT)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO plan_rows (id, eid, iccid, wave) VALUES (?, ?, ?, ?)", -1, &ins, nullptr);
  const auto t0 = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  std::int64_t id = 0;
  for (const auto& e : entries) {
    sqlite3_bind_int64(ins, 1, ++id);
    sqlite3_bind_blob(ins, 2, e.eid.data(), 16, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 3, e.iccid.data(), 10, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 4, e.wave);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  const double t = seconds_since(t0);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return rc == SQLITE_OK ? t : -1;
}

void bench_plan(const Args& a) {
  namespace fs = std::filesystem;
  NullActuator act;
  eng::Engine e(eng::EngineConfig{}, act);
  set_tariffs(e);
  eng::PolicySet ps;
  ps.fleet = bench_policy();
  e.set_policies(std::move(ps));
  auto t0 = Clock::now();
  for (std::uint32_t i = 0; i < a.plan_devices; ++i) e.upsert_device(device_of(i, true));
  constexpr std::uint32_t kSlice = 100000;
  for (std::uint32_t from = 0; from < a.plan_devices; from += kSlice) {
    const std::uint32_t n = std::min(kSlice, a.plan_devices - from);
    auto recs = make_records(n, true, 5);
    for (std::uint32_t i = 0; i < n; ++i) {
      recs[i].eid = eid_of(from + i);
      recs[i].attached = true;
    }
    stamp(recs, kT0 + std::chrono::seconds(from / kSlice), std::chrono::seconds(1));
    (void)e.ingest_batch(recs);
  }
  const esimo::TimePoint now = kT0 + std::chrono::minutes(1);
  const dom::CountryCode de = *dom::CountryCode::parse("DE");
  const std::string carrier = kCountries[0].carriers[0];
  e.set_carrier_status(carrier, std::span(&de, 1), dom::CarrierStatus::down, "bench: core network failure", now);
  e.tick(now);  // declares the outage (its id names the plan)
  const double t_setup = seconds_since(t0);

  const fs::path dir = a.dir.empty() ? fs::temp_directory_path() / ("esimo-engine-bench-" + std::to_string(getpid()))
                                     : fs::path(a.dir);
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto opened = esimo::store::open_sqlite_store(dir);  // durable_commits = true, as `esimo serve`
  if (!opened) {
    std::fprintf(stderr, "plan: open store: %s\n", opened.error().message.c_str());
    return;
  }
  auto store = std::move(opened).value();
  auto tenant = store->create_tenant("bench");
  if (!tenant) {
    std::fprintf(stderr, "plan: tenant: %s\n", tenant.error().message.c_str());
    return;
  }

  t0 = Clock::now();
  eng::FailoverPlan plan = e.plan_failover(carrier, de, now, 2);
  const double t_plan = seconds_since(t0);
  auto t1 = Clock::now();
  esimo::store::FailoverPlanRecord rec;
  rec.tenant_id = tenant->id;
  rec.outage_id = plan.outage_id.empty() ? "bench" : plan.outage_id;
  rec.carrier_id = plan.carrier_id;
  rec.country = plan.country;
  rec.devices = static_cast<std::int64_t>(plan.entries.size());
  rec.waves = static_cast<std::int64_t>(plan.wave_ends.size());
  rec.plan = eng::encode_plan_entries(plan.entries);
  rec.created_at = rec.updated_at = now;
  const double t_encode = seconds_since(t1);
  t1 = Clock::now();
  const auto st = store->put_failover_plan(rec);
  const double t_write = seconds_since(t1);
  const double total = seconds_since(t0);
  if (!st.ok()) {
    std::fprintf(stderr, "plan: put_failover_plan: %s\n", st.error().message.c_str());
    return;
  }
  // Restart: close, reopen, read back.
  store.reset();
  bool same = false;
  if (auto again = esimo::store::open_sqlite_store(dir)) {
    auto back = (*again)->get_failover_plan(tenant->id, rec.outage_id);
    if (back) {
      auto entries = eng::decode_plan_entries(back->plan);
      same = entries && *entries == plan.entries && back->waves == rec.waves;
    }
  }
  const double t_raw = raw_sqlite_rows(dir / "baseline.db", plan.entries);
  std::printf("plan: setup (1M registry + records + outage declared) %.1f s\n", t_setup);
  std::printf("plan: %zu affected, %zu planned in %zu waves (canary %u), %zu unreachable, %zu already switching (the "
              "tick's first released devices), %zu without a target\n",
              plan.affected, plan.entries.size(), plan.wave_ends.size(), plan.wave_ends.empty() ? 0 : plan.wave_ends[0],
              plan.unreachable, plan.busy, plan.no_target);
  std::printf("plan: plan %.3f s + encode %.3f s + durable write %.3f s (%.1f MB) = %.3f s; read back after reopen: %s\n",
              t_plan, t_encode, t_write, static_cast<double>(rec.plan.size()) / 1e6, total,
              same ? "identical" : "DIFFERENT");
  std::printf("plan: baseline raw SQLite insert of %zu minimal rows, one transaction: %.3f s; plan+queue/baseline %.2f; "
              "goal <= 2 s %s; load %s\n",
              plan.entries.size(), t_raw, total / t_raw, total <= 2.0 && same ? "MET" : "MISSED",
              load_average().c_str());
  if (a.dir.empty()) fs::remove_all(dir);
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--only") a.only = v;
    else if (k == "--devices") a.devices = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
    else if (k == "--rounds") a.rounds = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    else if (k == "--mem-devices") a.mem_devices = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
    else if (k == "--plan-devices") a.plan_devices = static_cast<std::uint32_t>(std::strtoul(v, nullptr, 10));
    else if (k == "--dir") a.dir = v;
    else if (k == "--incremental") a.incremental = std::string(v) != "off";
    else if (k == "--silence-after") a.silence_after_s = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
    else if (k == "--no-service-share") a.no_service_share = std::clamp(std::strtod(v, nullptr), 0.0, 1.0);
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse_args(argc, argv);
  std::printf("esimo-engine-bench, load %s\n", load_average().c_str());
  if (a.only.empty() || a.only == "ingest") bench_ingest(a);
  if (a.only.empty() || a.only == "rest") bench_rest(a);
  if (a.only.empty() || a.only == "memory") bench_memory(a);
  if (a.only.empty() || a.only == "plan") bench_plan(a);
  return 0;
}
