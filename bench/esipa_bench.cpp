// esimo-esipa-bench: the eIM benchmarks of SGP.32 ESipa (docs/performance.md), in one process under our control:
// a SQLite store in a temporary directory, a tenant with N devices, an eim::EimService with a fresh test PKI, the
// api::EsipaService on a net::HttpServer at 127.0.0.1:0, and N software eUICCs (twin::SoftwareEuicc) with their IPAs
// (twin::Ipa over twin::HttpEsipaTransport: real HTTP on loopback, one keep-alive connection each).
//
//   esimo-esipa-bench cycles [--ipas 64] [--server-threads 2] [--duration 10] [--warmup 2] [--fill 0]
//                            [--durable 1] [--crypto-seconds 2] [--log-level warn] [--json-out FILE]
//     The crypto bound (ECDSA P-256 sign_raw + verify_raw over the signed data of a 3-PSMO package, 1 and 2 threads),
//     then full PSMO cycles: each IPA thread, in a loop, submits one operation for its device through
//     EimService::submit (in-process; the REST path is not what is measured), alternately enable and disable of the
//     device's second profile, and polls until idle: GetEimPackageRequest -> signed EuiccPackageRequest -> executed
//     and signed by the eUICC -> ProvideEimPackageResult verified by the eIM -> operation succeeded (plus the
//     eUICC's notifications, carried with the result (v1.2 ePRAndNotifications, IpaOptions), and the final empty
//     poll, as a real IPA does). Cycle latency = submit to idle. Every operation is checked to be `succeeded` in the store after the run.
//     The eIM side's CPU is the process's CPU less the IPA threads' own (CLOCK_THREAD_CPUTIME_ID: eUICC, IPA, HTTP
//     client; the submit calls they make are measured apart and counted on the eIM side): the server's io threads
//     (also reported alone, from /proc), the store's writer thread, submit and the rest. Its cycles per CPU second
//     set against sign+verify pairs per CPU second is the crypto-bound ratio without the eUICC side, which runs on the
//     same cores here; cycles per wall second against pairs per second on 2 threads is the whole-system ratio.
//     --fill N: before the eIM starts, N finished operations (state succeeded, each with its eim_packages row) are
//     inserted spread over the devices, through one SQL statement in one transaction on a separate connection (the
//     store API inserts one operation per call; 10^6 of them through it take longer than the run). The rows use the
//     store's own columns and formats; the store is then opened normally and the eIM loads from it.
//   esimo-esipa-bench serve-empty [--server-threads 2] [--duration 60] [--port-file F] [--body-file F]
//                            [--log-level warn]
//     The ESipa server with one registered device (first contact done, nothing queued). Writes the
//     GetEimPackageRequest DER of that device to --body-file and the port to --port-file, then serves until
//     --duration or SIGINT/SIGTERM: the empty-poll target for esimo-http-load (scripts/run-benchmarks).
//   esimo-esipa-bench durable-floor [--count 20000] [--fsync-count 200] [--dir DIR] [--json-out FILE]
//     What making a cycle durable costs at the least on this machine, one thread, no HTTP, no eIM logic; process
//     CPU and wall time per operation, in a temporary directory under DIR (default: the system's temporary
//     directory; its file system decides what an fsync costs):
//       sqlite_minimal_txn       BEGIN IMMEDIATE; INSERT of one 140-byte row into a table without indexes; COMMIT,
//                                prepared statements reused, with the store writer's pragmas (WAL, synchronous=NORMAL,
//                                cache_size, wal_autocheckpoint=8192: the checkpoints are in the figure), --count times
//       store_cycle_writes       one cycle's two durable points through the real store (Store::record_package, then
//                                Store::apply_package_result of an enable: the operation, two profiles and the
//                                device's active profile), on the store's schema with 64 devices and their queued
//                                operations, durable_commits=false; the writer thread's hand-off is in the figure,
//                                and each call is its own commit (one caller: no group commit); --count / 4 cycles
//       sqlite_cycle_txns        the same two transactions run directly on the store's file (closed) with the
//                                writer's pragmas, transaction control and the store's statements: SQLite's share
//                                of store_cycle_writes (no writer hand-off, no Store code); --count / 4 cycles
//       append_write             one write() of a 200-byte record to a file opened O_APPEND, no fsync (survives a
//                                process crash, not a power loss: what synchronous=NORMAL promises), --count times
//       append_write_fdatasync   the same, fdatasync after every record, --fsync-count times
//       sqlite_minimal_txn_full  sqlite_minimal_txn with synchronous=FULL (the store's durable_commits=true),
//                                --fsync-count times
//     One JSON object per line and figure: cpu_us_per_op (CLOCK_PROCESS_CPUTIME_ID, all threads), user/sys (the
//     split getrusage gives, sampled at the kernel's tick: rough on short figures), wall_us_per_op.
//
// Loopback only. Output: one JSON object (also written to --json-out); durable-floor: one per figure.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/esipa_service.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/test_pki.hpp"
#include "eim/eim_service.hpp"
#include "net/http_server.hpp"
#include "sgp/codec.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "twin/ipa.hpp"
#include "twin/software_euicc.hpp"

namespace esipa_bench {

using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Options {
  std::string mode;
  unsigned ipas = 64;
  unsigned server_threads = 2;
  unsigned duration_s = 10;
  unsigned warmup_s = 2;
  std::uint64_t fill = 0;
  std::string fill_ids = "block";  // cycles --fill-ids block|random|older: the key pattern of the filled operations
  bool durable = true;
  double crypto_seconds = 2.0;
  std::string log_level = "warn";
  std::string json_out, port_file, body_file;
  std::string dir = fs::temp_directory_path().string();  // where the temporary directory goes
  std::uint64_t count = 20000;                             // durable-floor: operations per figure without fsync
  std::uint64_t fsync_count = 200;                         // durable-floor: operations per figure with fsync
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "esimo-esipa-bench: %s\n", why.c_str());
  std::exit(1);
}

template <typename T>
T must(esimo::Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}
void must(const esimo::Status& s, const char* what) {
  if (!s.ok()) die(std::string(what) + ": " + s.error().message);
}

bool parse_u64(std::string_view t, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return !t.empty() && ec == std::errc{} && end == t.data() + t.size();
}

int usage(const std::string& why) {
  std::fprintf(stderr,
               "esimo-esipa-bench: %s\n"
               "usage: esimo-esipa-bench cycles [--ipas 64] [--server-threads 2] [--duration 10] [--warmup 2]\n"
               "         [--fill 0] [--fill-ids block|random|older] [--durable 1] [--crypto-seconds 2]\n"
               "         [--log-level warn] [--json-out FILE]\n"
               "       esimo-esipa-bench serve-empty [--server-threads 2] [--duration 60] [--port-file F]\n"
               "         [--body-file F] [--log-level warn]\n"
               "       esimo-esipa-bench durable-floor [--count 20000] [--fsync-count 200] [--dir DIR]\n"
               "         [--json-out FILE]\n",
               why.c_str());
  return 2;
}

// ---- identifiers
std::string padded(unsigned n, std::size_t width) {
  std::string s = std::to_string(n);
  return std::string(width > s.size() ? width - s.size() : 0, '0') + s;
}
// 19 digits: "8949000000", the device number, the profile number, and the one Luhn check digit parse() accepts.
esimo::domain::Iccid bench_iccid(unsigned device, unsigned k) {
  const std::string body = "8949000000" + padded(device, 6) + padded(k, 2);
  for (char check = '0'; check <= '9'; ++check) {
    if (auto iccid = esimo::domain::Iccid::parse(body + check); iccid.ok()) return std::move(*iccid);
  }
  die("no check digit for ICCID " + body);
}
esimo::domain::Eid bench_eid(unsigned device) {
  return must(esimo::domain::Eid::from_prefix30("890490320000000000000000" + padded(device, 6)), "eid");
}

// ---- CPU time
long thread_id() { return static_cast<long>(::syscall(SYS_gettid)); }
double thread_cpu_seconds(long tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}
double cpu_clock_seconds(clockid_t which) {
  timespec ts{};
  ::clock_gettime(which, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}
double process_cpu_seconds() { return cpu_clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }
double this_thread_cpu_seconds() { return cpu_clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

// The io threads that ran the ESipa handler (the eIM side of the process).
class ServerThreads {
 public:
  void note() {
    thread_local bool noted = false;
    if (noted) return;
    noted = true;
    std::lock_guard lock(mu_);
    tids_.insert(thread_id());
  }
  double cpu_seconds() {
    std::lock_guard lock(mu_);
    double sum = 0;
    for (long t : tids_) sum += thread_cpu_seconds(t);
    return sum;
  }

 private:
  std::mutex mu_;
  std::set<long> tids_;
};

// The store writer's group commits (esimo_store_commit_batch_size: count = commits, sum = write calls).
esimo::metrics::Histogram& commit_batches() {
  return esimo::metrics::Registry::global().histogram("esimo_store_commit_batch_size",
                                                      "Write calls committed together in one transaction");
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(idx, sorted.size() - 1)] / 1000.0;
}

// ---- crypto bound: one sign + one verify over the signed data of a 3-PSMO package (what one cycle costs the eIM).
struct CryptoBound {
  std::size_t message_bytes = 0;
  double pairs_per_second_1t = 0;  // sign+verify pairs per second, one thread
  double pairs_per_second_2t = 0;  // two threads together
  double pairs_per_cpu_second = 0; // one thread, per CPU second it got (steady under a shared machine's load)
};

CryptoBound measure_crypto(const esimo::crypto::TestPki& pki, const esimo::crypto::PublicKey& verify_key,
                           const esimo::crypto::PrivateKey& verify_private, double seconds) {
  esimo::sgp::EuiccPackageSigned eps;
  eps.eim_id = "esimo-bench-eim";
  auto eid = bench_eid(0).to_bytes();
  eps.eid.assign(eid.begin(), eid.end());
  eps.counter_value = 123456;
  eps.eim_transaction_id = esimo::Bytes(8, 0x5a);
  esimo::sgp::PsmoList list;
  for (unsigned k = 1; k <= 3; ++k) {
    auto w = bench_iccid(0, k).to_wire();
    list.push_back(esimo::sgp::PsmoEnable{esimo::Bytes(w.begin(), w.end()), false});
  }
  eps.euicc_package = list;
  esimo::Bytes message = must(esimo::sgp::encode_euicc_package_signed(eps, esimo::sgp::Version::v1_2), "encode");
  for (std::uint8_t b : {0x84, 0x01, 0x01}) message.push_back(b);  // associationToken data object (§2.11.1.1)
  // The verify side checks a signature made by the other key (as the eIM verifies an eUICC's).
  esimo::crypto::SoftwareSigner other(verify_private);
  const esimo::Bytes other_sig = must(other.sign_raw(message), "sign");

  auto loop = [&](esimo::crypto::SoftwareSigner& signer, esimo::crypto::Verifier& verifier, Steady::time_point until) {
    std::uint64_t n = 0;
    while (Steady::now() < until) {
      auto s = signer.sign_raw(message);
      if (!s.ok() || s->size() != 64) die("sign_raw failed");
      if (!verifier.verify_raw(message, other_sig).ok()) die("verify_raw failed");
      ++n;
    }
    return n;
  };
  CryptoBound out;
  out.message_bytes = message.size();
  {
    esimo::crypto::SoftwareSigner signer(pki.eim.key);
    esimo::crypto::Verifier verifier(verify_key);
    loop(signer, verifier, Steady::now() + std::chrono::milliseconds(200));  // warm
    auto t0 = Steady::now();
    const double c0 = this_thread_cpu_seconds();
    std::uint64_t n = loop(signer, verifier, t0 + std::chrono::duration_cast<Steady::duration>(
                                                          std::chrono::duration<double>(seconds)));
    out.pairs_per_second_1t = static_cast<double>(n) / std::chrono::duration<double>(Steady::now() - t0).count();
    out.pairs_per_cpu_second = static_cast<double>(n) / std::max(1e-9, this_thread_cpu_seconds() - c0);
  }
  {
    std::atomic<std::uint64_t> total{0};
    auto t0 = Steady::now();
    auto until = t0 + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> ts;
    for (int t = 0; t < 2; ++t) {
      ts.emplace_back([&] {
        esimo::crypto::SoftwareSigner signer(pki.eim.key);
        esimo::crypto::Verifier verifier(verify_key);
        total += loop(signer, verifier, until);
      });
    }
    for (auto& t : ts) t.join();
    out.pairs_per_second_2t = static_cast<double>(total.load()) /
                              std::chrono::duration<double>(Steady::now() - t0).count();
  }
  return out;
}

// ---- a bare SQLite connection (the fill, and durable-floor's own databases); any failure ends the program.
class RawDb {
 public:
  explicit RawDb(const std::string& file) {
    // NOMUTEX, as the store's connections: one thread uses it.
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      die("cannot open " + file + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
    }
  }
  ~RawDb() {
    for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "?";
      sqlite3_free(err);
      die("sqlite: " + m + " in: " + sql.substr(0, 200));
    }
  }
  // Prepared once, reused (reset after each run); finalized with the connection.
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      die(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " + sql);
    }
    stmts_.push_back(s);
    return s;
  }
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  void run(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) die(std::string("sqlite: ") + sqlite3_errmsg(db_) + " in: " + sqlite3_sql(s));
    sqlite3_reset(s);
  }
  // The settings open_sqlite_store gives the store's writer connection (src/store/sqlite/sqlite_store.cpp):
  // synchronous FULL for durable_commits, else NORMAL.
  void store_writer_pragmas(bool durable_commits) {
    sqlite3_stmt* wal = prepare("PRAGMA journal_mode=WAL");
    const unsigned char* mode = sqlite3_step(wal) == SQLITE_ROW ? sqlite3_column_text(wal, 0) : nullptr;
    const bool ok = mode != nullptr && std::string_view(reinterpret_cast<const char*>(mode)) == "wal";
    sqlite3_reset(wal);
    if (!ok) die("sqlite: cannot use WAL mode");
    exec(durable_commits ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144; PRAGMA wal_autocheckpoint=8192");
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
};

// ---- the world: store, eIM, server, eUICCs and IPAs
struct Device {
  esimo::domain::Eid eid;
  std::unique_ptr<esimo::twin::SoftwareEuicc> euicc;
  std::unique_ptr<esimo::twin::HttpEsipaTransport> transport;
  std::unique_ptr<esimo::twin::Ipa> ipa;
};

class World {
 public:
  World(const Options& opt) : opt_(opt) {
    dir_ = fs::path(opt.dir) / ("esimo-esipa-bench-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    esimo::crypto::TestPkiOptions po;
    po.now = clock_.now();
    pki_ = std::make_unique<esimo::crypto::TestPki>(must(esimo::crypto::make_test_pki(po), "test pki"));
  }
  ~World() {
    if (server_) server_->stop(std::chrono::seconds(2));
    server_.reset();
    esipa_.reset();
    eim_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const esimo::crypto::TestPki& pki() const { return *pki_; }

  void open_store() {
    esimo::store::SqliteOptions so;
    so.durable_commits = opt_.durable;
    store_ = must(esimo::store::open_sqlite_store(dir_, so), "open store");
  }

  // Tenant, carrier and `count` devices with 3 profiles each (the first enabled), as the eIM's records.
  void create_devices(unsigned count) {
    auto tenant = must(store_->create_tenant("bench"), "create tenant");
    tenant_ = tenant.id;
    esimo::domain::Carrier c;
    c.id = "c1";
    c.tenant_id = tenant_;
    c.name = "Carrier One";
    c.plmns = {must(esimo::domain::Plmn::parse("724-06"), "plmn")};
    must(store_->create_carrier(c), "create carrier");
    std::vector<esimo::store::DeviceRecord> batch;
    for (unsigned n = 0; n < count; ++n) {
      esimo::store::DeviceRecord rec;
      rec.device.tenant_id = tenant_;
      rec.device.eid = bench_eid(n);
      rec.device.name = "bench" + std::to_string(n);
      rec.device.sgp32_version = esimo::domain::Sgp32Version::v1_2;
      rec.device.active_iccid = bench_iccid(n, 1);
      rec.device.created_at = rec.device.updated_at = clock_.now();
      for (unsigned k = 1; k <= 3; ++k) {
        esimo::domain::Profile p;
        p.tenant_id = tenant_;
        p.iccid = bench_iccid(n, k);
        p.eid = rec.device.eid;
        p.carrier_id = "c1";
        p.state = k == 1 ? esimo::domain::ProfileState::enabled : esimo::domain::ProfileState::disabled;
        p.updated_at = clock_.now();
        rec.profiles.push_back(p);
      }
      batch.push_back(std::move(rec));
    }
    must(store_->import_devices(batch), "import devices");
    device_count_ = count;
  }

  // `rows` finished operations (and their packages) spread over the devices, in one transaction on a separate
  // connection while the store is closed. See the file header for why not through the store API.
  // `ids`: "block" ('op_fill' + a number: one block of keys the new ids do not fall into), "random" (spread over the
  // key space, as ids drawn at random), "older" (all below the time-ordered ids the eIM makes now).
  double fill(std::uint64_t rows, const std::string& ids = "block") {
    const std::string id_sql = ids == "random" ? "'op_' || lower(hex(randomblob(10)))"
                               : ids == "older" ? "printf('op_00%018d', counter_value - 1)"
                                                : "printf('op_fill%013d', counter_value - 1)";
    return with_raw_store([&](RawDb& db) {
      const std::string n = std::to_string(rows), dc = std::to_string(device_count_), t = std::to_string(tenant_);
      const std::string now = std::to_string(clock_.now().time_since_epoch().count());
      // eimTransactionIds of 10 bytes (20 hex digits): the eIM draws 8-byte ones, so they cannot collide.
      db.exec("WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < " + n +
              ") INSERT INTO eim_packages (eim_transaction_id, tenant_id, eid, eim_id, kind, counter_value, "
              "eim_signature, created_at) SELECT printf('f%019x', i), " + t +
              ", d.eid, 'esimo-bench-eim', 'psmo', i + 1, '" + std::string(128, 'a') + "', " + now +
              " - 1000 * (" + n + " - i) FROM seq JOIN fill_devices d ON d.k = i % " + dc);
      db.exec("INSERT INTO operations (tenant_id, id, eid, type, params_json, state, reason, outcome, result_json, "
              "idempotency_key, created_at, updated_at, expires_at, counter_value, eim_transaction_id, delivered_at) "
              "SELECT tenant_id, " + id_sql + ", eid, 'enable', " + enable_params_sql() +
              ", 'succeeded', 'bench:fill', 'ok', '{}', '', created_at, created_at + 500, created_at + 604800000000, "
              "counter_value, eim_transaction_id, created_at + 100 FROM eim_packages "
              "WHERE eim_transaction_id LIKE 'f%'");
    });
  }

  // `rows` queued operations, floor_operation_id(i) on device i % devices (durable-floor's store cycles), inserted
  // the way fill() inserts its finished ones.
  void queue_operations(std::uint64_t rows) {
    with_raw_store([&](RawDb& db) {
      const std::string now = std::to_string(clock_.now().time_since_epoch().count());
      db.exec("WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < " +
              std::to_string(rows) + ") INSERT INTO operations (tenant_id, id, eid, type, params_json, state, reason, "
              "outcome, result_json, idempotency_key, created_at, updated_at, expires_at) SELECT " +
              std::to_string(tenant_) + ", printf('op_floor%012d', i), d.eid, 'enable', " + enable_params_sql() +
              ", 'queued', 'bench:floor', '', '', '', " + now + ", " + now + ", " + now +
              " + 604800000000 FROM seq JOIN fill_devices d ON d.k = i % " + std::to_string(device_count_));
    });
  }

  void start_eim_and_server() {
    esimo::eim::EimIdentity id;
    id.eim_id = "esimo-bench-eim";
    id.fqdn = "127.0.0.1";
    id.signer = std::make_shared<esimo::crypto::SoftwareSigner>(pki_->eim.key);
    id.ci_root_certificates_der = {pki_->ci.certificate.der()};
    eim_ = std::make_unique<esimo::eim::EimService>(*store_, clock_, std::move(id), esimo::eim::EimOptions{},
                                                    metrics_);
    must(eim_->load(), "eim load");
    esipa_ = std::make_unique<esimo::api::EsipaService>(
        [this](esimo::ByteView body, std::optional<esimo::sgp::Version> hint) {
          server_threads_.note();
          return eim_->handle_esipa(body, hint);
        },
        metrics_);
    esimo::net::ServerOptions so;
    so.threads = opt_.server_threads;
    server_ = must(esimo::net::HttpServer::start(so, *esipa_), "start server");
  }

  // The eUICC of device n, personalised for this eIM, with its IPA on its own connection.
  Device make_device(unsigned n) {
    Device d;
    d.eid = bench_eid(n);
    auto euicc = must(esimo::twin::SoftwareEuicc::create_with_test_pki(*pki_, d.eid, esimo::sgp::Version::v1_2,
                                                                       clock_.now()),
                      "software eUICC");
    d.euicc = std::make_unique<esimo::twin::SoftwareEuicc>(std::move(euicc));
    for (unsigned k = 1; k <= 3; ++k) {
      esimo::twin::ProfileSpec spec{bench_iccid(n, k), k == 1};
      must(d.euicc->add_profile(spec), "add profile");
    }
    auto bf57 = must(eim_->export_add_initial_eim(esimo::sgp::Version::v1_2), "export AddInitialEim");
    must(d.euicc->add_initial_eim_der(bf57), "AddInitialEim");
    d.transport = must(esimo::twin::HttpEsipaTransport::connect("http://127.0.0.1:" + std::to_string(server_->port()),
                                                                esimo::sgp::Version::v1_2),
                       "connect");
    // v1.2: the eUICC's notifications travel with the package result (ePRAndNotifications): 3 exchanges a cycle.
    esimo::twin::IpaOptions io;
    io.notifications_with_result = true;
    d.ipa = std::make_unique<esimo::twin::Ipa>(*d.euicc, *d.transport, io);
    return d;
  }

  esimo::eim::EimService& eim() { return *eim_; }
  esimo::store::Store& store() { return *store_; }
  esimo::domain::TenantId tenant() const { return tenant_; }
  std::uint16_t port() const { return server_->port(); }
  ServerThreads& server_threads() { return server_threads_; }
  const esimo::Clock& clock() const { return clock_; }
  const fs::path& dir() const { return dir_; }
  void close_store() { store_.reset(); }

 private:
  // Closes the store, runs `body` in one transaction on a separate connection (synchronous=OFF) that has the temp
  // table fill_devices (k = 0 .. devices-1, eid), and opens the store again. Returns the seconds it took.
  double with_raw_store(const std::function<void(RawDb&)>& body) {
    store_.reset();
    const auto t0 = Steady::now();
    {
      RawDb db(esimo::store::sqlite_store_file(dir_).string());
      db.exec("PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL; PRAGMA cache_size=-262144; BEGIN");
      db.exec("CREATE TEMP TABLE fill_devices (k INTEGER PRIMARY KEY, eid TEXT NOT NULL)");
      db.exec("INSERT INTO fill_devices (k, eid) SELECT row_number() OVER (ORDER BY eid) - 1, eid FROM devices "
              "WHERE tenant_id = " + std::to_string(tenant_));
      body(db);
      db.exec("COMMIT");
    }
    const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
    open_store();
    return secs;
  }
  // The params_json of an enable of a device's second profile, as an SQL string literal.
  static std::string enable_params_sql() {
    const std::string params =
        esimo::eim::to_json(esimo::eim::OperationRequest(esimo::eim::OpEnable{bench_iccid(0, 2), false}));
    std::string quoted = "'";
    for (char ch : params) {
      quoted += ch;
      if (ch == '\'') quoted += '\'';
    }
    return quoted + "'";
  }

  const Options& opt_;
  fs::path dir_;
  esimo::SystemClock clock_;
  esimo::metrics::Registry metrics_;
  std::unique_ptr<esimo::crypto::TestPki> pki_;
  std::unique_ptr<esimo::store::Store> store_;
  std::unique_ptr<esimo::eim::EimService> eim_;
  std::unique_ptr<esimo::api::EsipaService> esipa_;
  std::unique_ptr<esimo::net::HttpServer> server_;
  ServerThreads server_threads_;
  esimo::domain::TenantId tenant_ = 0;
  unsigned device_count_ = 0;
};

void emit(const Options& opt, const std::string& json) {
  std::fputs(json.c_str(), stdout);
  std::fflush(stdout);
  if (!opt.json_out.empty()) {
    std::ofstream out(opt.json_out);
    out << json;
    if (!out) std::fprintf(stderr, "esimo-esipa-bench: cannot write %s\n", opt.json_out.c_str());
  }
}

int run_cycles(const Options& opt) {
  World world(opt);
  world.open_store();
  world.create_devices(opt.ipas);
  double fill_seconds = 0;
  if (opt.fill > 0) {
    std::fprintf(stderr, "filling %llu operations...\n", static_cast<unsigned long long>(opt.fill));
    fill_seconds = world.fill(opt.fill, opt.fill_ids);
    std::fprintf(stderr, "filled in %.1f s\n", fill_seconds);
  }
  world.start_eim_and_server();
  std::vector<Device> devices;
  for (unsigned n = 0; n < opt.ipas; ++n) devices.push_back(world.make_device(n));
  // First contact: the eIM asks each eUICC for its certificates and association token.
  for (auto& d : devices) {
    auto r = d.ipa->poll_until_idle(8);
    if (!r.ok()) die("first contact of " + d.eid.str() + ": " + r.error().message);
    if (!r->idle || r->data_requests != 1) die("first contact of " + d.eid.str() + " did not end idle after one data request");
  }

  // Crypto bound in the same run, before the cycles (the IPAs are idle).
  const auto& euicc_key = world.pki().eum.key;  // any other P-256 key: the verify side
  CryptoBound bound = measure_crypto(world.pki(), euicc_key.public_key(), euicc_key, opt.crypto_seconds);

  struct PerThread {
    std::vector<std::uint32_t> latency_us;
    std::vector<std::string> op_ids;
    std::uint64_t cycles = 0;
    std::uint64_t exchanges = 0;  // HTTP requests of the measured cycles
    std::uint64_t notifications = 0;
    double cpu0 = 0, cpu = 0;     // this IPA thread's CPU over the measured window (eUICC + IPA + submit)
    double submit_cpu = 0;        // of which EimService::submit (eIM work, counted on the eIM side)
    std::string error;
  };
  std::vector<PerThread> per(opt.ipas);
  const auto start = Steady::now();
  const auto measure_from = start + std::chrono::seconds(opt.warmup_s);
  const auto deadline = measure_from + std::chrono::seconds(opt.duration_s);
  std::atomic<bool> failed{false};
  std::atomic<unsigned> at_start{0};
  double server_cpu0 = 0, process_cpu0 = 0;
  std::uint64_t commits0 = 0;
  double writes0 = 0;
  std::mutex cpu_mu;
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < opt.ipas; ++i) {
    threads.emplace_back([&, i] {
      Device& d = devices[i];
      PerThread& me = per[i];
      const auto target = bench_iccid(i, 2);
      bool enable = true;
      bool counted_start = false;
      while (!failed.load(std::memory_order_relaxed)) {
        const auto t0 = Steady::now();
        if (t0 >= deadline) break;
        if (t0 >= measure_from && !counted_start) {
          counted_start = true;
          me.cpu0 = this_thread_cpu_seconds();
          if (at_start.fetch_add(1) == 0) {  // the first thread past the warm-up reads the CPU counters
            std::lock_guard lock(cpu_mu);
            server_cpu0 = world.server_threads().cpu_seconds();
            process_cpu0 = process_cpu_seconds();
            commits0 = commit_batches().count();
            writes0 = commit_batches().sum();
          }
        }
        esimo::eim::OperationRequest req =
            enable ? esimo::eim::OperationRequest(esimo::eim::OpEnable{target, false})
                   : esimo::eim::OperationRequest(esimo::eim::OpDisable{target});
        esimo::eim::SubmitOptions so;
        so.reason = "bench";
        const double s0 = this_thread_cpu_seconds();
        auto op = world.eim().submit(world.tenant(), d.eid, req, so);
        const double submit_cpu = this_thread_cpu_seconds() - s0;
        if (!op.ok()) {
          me.error = "submit: " + op.error().message;
          failed = true;
          break;
        }
        auto report = d.ipa->poll_until_idle(8);
        const auto t1 = Steady::now();
        if (!report.ok()) {
          me.error = "poll: " + report.error().message;
          failed = true;
          break;
        }
        if (!report->idle || report->packages != 1) {
          me.error = "cycle ended with " + std::to_string(report->packages) + " packages, idle " +
                     std::to_string(report->idle);
          failed = true;
          break;
        }
        const auto* p = d.euicc->find_profile(esimo::twin::iccid_wire(target));
        if (p == nullptr || p->enabled != enable) {
          me.error = "profile state on the eUICC did not change";
          failed = true;
          break;
        }
        enable = !enable;
        if (t0 >= measure_from) {
          ++me.cycles;
          me.latency_us.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
          me.op_ids.push_back(op->id);
          me.submit_cpu += submit_cpu;
          // Notifications carried in the result (v1.2 ePRAndNotifications) cost no exchange of their own.
          me.exchanges += report->rounds + report->packages + report->data_requests + report->notifications_sent -
                          report->notifications_with_result;
          me.notifications += report->notifications_sent;
        }
      }
      if (counted_start) me.cpu = this_thread_cpu_seconds() - me.cpu0;
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(std::min(Steady::now(), deadline) - measure_from).count();
  const double server_cpu = world.server_threads().cpu_seconds() - server_cpu0;
  const auto commits = static_cast<double>(commit_batches().count() - commits0);
  const double store_writes = commit_batches().sum() - writes0;
  const double process_cpu = process_cpu_seconds() - process_cpu0;
  for (auto& p : per) {
    if (!p.error.empty()) die("cycle failed: " + p.error);
  }

  // Every measured operation must have succeeded (read back from the store, outside the measured time).
  std::uint64_t cycles = 0, checked = 0, exchanges = 0, notifications = 0;
  double ipa_cpu = 0, submit_cpu = 0;
  std::vector<std::uint32_t> all;
  for (unsigned i = 0; i < opt.ipas; ++i) {
    cycles += per[i].cycles;
    exchanges += per[i].exchanges;
    notifications += per[i].notifications;
    // submit runs on the IPA thread but is the eIM's work (the REST side, in-process here): it counts as the eIM's.
    ipa_cpu += per[i].cpu - per[i].submit_cpu;
    submit_cpu += per[i].submit_cpu;
    all.insert(all.end(), per[i].latency_us.begin(), per[i].latency_us.end());
    for (const auto& id : per[i].op_ids) {
      auto op = world.store().get_operation(world.tenant(), id);
      if (!op.ok()) die("operation " + id + ": " + op.error().message);
      if (op->state != esimo::domain::OperationState::succeeded) {
        die("operation " + id + " is " + std::string(esimo::domain::to_string(op->state)) + " (" + op->outcome + ")");
      }
      ++checked;
    }
  }
  std::sort(all.begin(), all.end());
  const double cps = static_cast<double>(cycles) / std::max(seconds, 1e-9);

  // The eIM side's CPU: everything but the IPA threads' own work (io threads, the store's writer thread, submit on
  // the IPA threads, ...). Its cycles per CPU second against sign+verify pairs per CPU second is the crypto-bound
  // ratio with the eUICC side taken out.
  const double eim_cpu = std::max(0.0, process_cpu - ipa_cpu);
  const double eim_cycles_per_cpu_second = eim_cpu > 0 ? static_cast<double>(cycles) / eim_cpu : 0;
  const double eim_cpu_ms_per_cycle = cycles ? 1000.0 * eim_cpu / static_cast<double>(cycles) : 0;
  char json[2048];
  std::snprintf(json, sizeof json,
                "{\"bench\":\"esipa_cycles\",\"ipas\":%u,\"server_threads\":%u,\"durable_commits\":%s,"
                "\"stored_operations_filled\":%llu,\"fill_seconds\":%.1f,\"seconds\":%.3f,\"cycles\":%llu,"
                "\"operations_checked_succeeded\":%llu,\"cycles_per_second\":%.1f,"
                "\"latency_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
                "\"http_exchanges_per_cycle\":%.2f,\"notifications_per_cycle\":%.2f,\"process_cpu_seconds\":%.2f,"
                "\"ipa_cpu_seconds\":%.2f,\"submit_cpu_seconds\":%.2f,"
                "\"store_writes_per_cycle\":%.2f,\"store_commits_per_cycle\":%.2f,"
                "\"io_threads_cpu_seconds\":%.2f,\"eim_cpu_seconds\":%.2f,\"eim_cpu_ms_per_cycle\":%.3f,"
                "\"eim_cycles_per_cpu_second\":%.1f,"
                "\"crypto\":{\"message_bytes\":%zu,\"sign_verify_per_second_1t\":%.1f,"
                "\"sign_verify_per_second_2t\":%.1f,\"sign_verify_per_cpu_second\":%.1f},"
                "\"ratio_cycles_vs_crypto_2t\":%.3f,\"ratio_eim_cpu_vs_crypto_cpu\":%.3f}\n",
                opt.ipas, opt.server_threads, opt.durable ? "true" : "false",
                static_cast<unsigned long long>(opt.fill), fill_seconds, seconds,
                static_cast<unsigned long long>(cycles), static_cast<unsigned long long>(checked), cps,
                percentile_ms(all, 50), percentile_ms(all, 95), percentile_ms(all, 99),
                all.empty() ? 0.0 : all.back() / 1000.0,
                cycles ? static_cast<double>(exchanges) / static_cast<double>(cycles) : 0.0,
                cycles ? static_cast<double>(notifications) / static_cast<double>(cycles) : 0.0, process_cpu, ipa_cpu,
                submit_cpu, cycles ? store_writes / static_cast<double>(cycles) : 0.0,
                cycles ? commits / static_cast<double>(cycles) : 0.0, server_cpu, eim_cpu, eim_cpu_ms_per_cycle, eim_cycles_per_cpu_second, bound.message_bytes,
                bound.pairs_per_second_1t, bound.pairs_per_second_2t, bound.pairs_per_cpu_second,
                bound.pairs_per_second_2t > 0 ? cps / bound.pairs_per_second_2t : 0,
                bound.pairs_per_cpu_second > 0 ? eim_cycles_per_cpu_second / bound.pairs_per_cpu_second : 0);
  emit(opt, json);
  return 0;
}

// ---- durable floor (see the file header): one thread, one figure after another.
struct Usage {
  double cpu = 0, user = 0, sys = 0;  // process CPU seconds
  Steady::time_point wall;
};
Usage usage_now() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return Usage{process_cpu_seconds(), secs(ru.ru_utime), secs(ru.ru_stime), Steady::now()};
}

class FloorRun {
 public:
  explicit FloorRun(const Options& opt) : opt_(opt) {}

  // Runs op(0 .. warmup-1) unmeasured, then op(warmup .. warmup+count-1) measured; prints and keeps its JSON line.
  template <typename Op>
  void measure(std::string_view mode, std::string_view synchronous, std::size_t record_bytes, std::uint64_t warmup,
               std::uint64_t count, Op&& op) {
    std::uint64_t i = 0;
    for (; i < warmup; ++i) op(i);
    const Usage a = usage_now();
    for (; i < warmup + count; ++i) op(i);
    const Usage b = usage_now();
    const double n = static_cast<double>(count);
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"bench\":\"esipa_durable_floor\",\"mode\":\"%.*s\",\"synchronous\":\"%.*s\",\"count\":%llu,"
                  "\"record_bytes\":%zu,\"cpu_us_per_op\":%.2f,\"user_us_per_op\":%.2f,\"sys_us_per_op\":%.2f,"
                  "\"wall_us_per_op\":%.2f,\"sqlite\":\"%s\"}\n",
                  static_cast<int>(mode.size()), mode.data(), static_cast<int>(synchronous.size()),
                  synchronous.data(), static_cast<unsigned long long>(count), record_bytes,
                  1e6 * (b.cpu - a.cpu) / n, 1e6 * (b.user - a.user) / n, 1e6 * (b.sys - a.sys) / n,
                  1e6 * std::chrono::duration<double>(b.wall - a.wall).count() / n, sqlite3_libversion());
    std::fputs(line, stdout);
    std::fflush(stdout);
    out_ += line;
  }
  void finish() {
    if (opt_.json_out.empty()) return;
    std::ofstream out(opt_.json_out);
    out << out_;
    if (!out) die("cannot write " + opt_.json_out);
  }

 private:
  const Options& opt_;
  std::string out_;
};

constexpr std::size_t kMinimalRowBytes = 140;  // the row of the minimal transaction
constexpr std::size_t kJournalRecordBytes = 200;  // about one cycle's durable facts: ids, counter, signature, result

// BEGIN IMMEDIATE (as the store's writer begins); INSERT of one row into a table without indexes; COMMIT.
void sqlite_minimal(FloorRun& run, const fs::path& file, bool full, std::uint64_t warmup, std::uint64_t count) {
  RawDb db(file.string());
  db.store_writer_pragmas(full);
  db.exec("CREATE TABLE journal (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  sqlite3_stmt* begin = db.prepare("BEGIN IMMEDIATE");
  sqlite3_stmt* insert = db.prepare("INSERT INTO journal (seq, body) VALUES (?, ?)");
  sqlite3_stmt* commit = db.prepare("COMMIT");
  std::string body(kMinimalRowBytes, 'r');
  run.measure(full ? "sqlite_minimal_txn_full" : "sqlite_minimal_txn", full ? "FULL" : "NORMAL", kMinimalRowBytes,
              warmup, count, [&](std::uint64_t i) {
                std::memcpy(body.data(), &i, sizeof i);
                db.run(begin);
                sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(i));
                sqlite3_bind_blob(insert, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
                db.run(insert);
                db.run(commit);
              });
}

// One write() of a record to a file opened O_APPEND, and fdatasync after it when `sync`. The file grows with every
// record, so each fdatasync also commits the new size (a real journal would preallocate).
void append_only(FloorRun& run, const fs::path& file, bool sync, std::uint64_t warmup, std::uint64_t count) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) die("open " + file.string() + ": " + std::strerror(errno));
  char record[kJournalRecordBytes];
  std::memset(record, 'j', sizeof record);
  run.measure(sync ? "append_write_fdatasync" : "append_write", sync ? "fdatasync" : "none", sizeof record, warmup,
              count, [&](std::uint64_t i) {
                std::memcpy(record, &i, sizeof i);
                if (::write(fd, record, sizeof record) != static_cast<ssize_t>(sizeof record)) {
                  die("write " + file.string() + ": " + std::strerror(errno));
                }
                if (sync && ::fdatasync(fd) != 0) die("fdatasync " + file.string() + ": " + std::strerror(errno));
              });
  ::close(fd);
}

constexpr unsigned kFloorDevices = 64;  // as the cycle runs' IPAs

std::string floor_operation_id(std::uint64_t i) {
  char id[32];
  std::snprintf(id, sizeof id, "op_floor%012llu", static_cast<unsigned long long>(i));  // as queue_operations
  return id;
}

// One cycle's two durable points through the real store, as the eIM makes them: the package before it leaves
// (record_package: counter, package row, operation delivered) and the result before it is acknowledged
// (apply_package_result of an enable: operation succeeded, two profiles, the device's active profile). Cycle i is on
// device i % 64 and enables its second profile, then its first again, and so on; its operation was queued before.
void store_cycles(FloorRun& run, World& world, std::uint64_t warmup, std::uint64_t count) {
  esimo::store::Store& store = world.store();
  const auto tenant = world.tenant();
  std::vector<esimo::domain::Eid> eids;
  std::vector<esimo::domain::Iccid> first, second;
  for (unsigned d = 0; d < kFloorDevices; ++d) {
    eids.push_back(bench_eid(d));
    first.push_back(bench_iccid(d, 1));
    second.push_back(bench_iccid(d, 2));
  }
  const esimo::Bytes signature(64, 0x5a);
  run.measure("store_cycle_writes", "NORMAL", 0, warmup, count, [&](std::uint64_t i) {
    const auto d = static_cast<std::size_t>(i % kFloorDevices);
    const bool to_second = (i / kFloorDevices) % 2 == 0;
    const auto now = world.clock().now();
    esimo::store::EimPackageRecord pkg;
    for (int b = 7; b >= 0; --b) pkg.eim_transaction_id.push_back(static_cast<std::uint8_t>((i + 1) >> (8 * b)));
    pkg.tenant_id = tenant;
    pkg.eid = eids[d];
    pkg.eim_id = "esimo-bench-eim";
    pkg.kind = "psmo";
    pkg.counter_value = i + 1;
    pkg.eim_signature = signature;
    pkg.created_at = now;
    const std::string id = floor_operation_id(i);
    must(store.record_package(pkg, {id}), "record_package");

    esimo::store::PackageResultUpdate u;
    u.tenant_id = tenant;
    u.eid = eids[d];
    esimo::domain::Operation op;
    op.id = id;
    op.tenant_id = tenant;
    op.eid = eids[d];
    op.type = "enable";
    op.state = esimo::domain::OperationState::succeeded;
    op.reason = "bench:floor";
    op.outcome = "ok";
    op.result_json = "{\"enableResult\":\"ok\"}";
    op.created_at = op.updated_at = now;
    op.expires_at = now + std::chrono::hours(24 * 7);
    u.operations.push_back({std::move(op), esimo::domain::OperationState::delivered});
    esimo::store::ProfileStateChange on, off;
    on.iccid = to_second ? second[d] : first[d];
    on.state = esimo::domain::ProfileState::enabled;
    off.iccid = to_second ? first[d] : second[d];
    off.state = esimo::domain::ProfileState::disabled;
    u.profiles = {on, off};
    u.set_active_iccid = true;
    u.active_iccid = on.iccid;
    u.at = now;
    must(store.apply_package_result(u), "apply_package_result");
  });
}

// The same two transactions as store_cycles, cycles first .. first+warmup+count-1, run directly on the store's file
// (closed) with the writer's pragmas and transaction control (BEGIN IMMEDIATE, SAVEPOINT per call, RELEASE, COMMIT)
// and the statements of SqliteStore::record_package and apply_package_result (src/store/sqlite/
// sqlite_store_eim.cpp): SQLite's share of the store's figure, without the writer thread's hand-off and the Store's
// own C++. An approximation of the store kept by hand: if those statements change, change these.
void sqlite_cycles(FloorRun& run, World& world, std::uint64_t first, std::uint64_t warmup, std::uint64_t count) {
  world.close_store();
  RawDb db(esimo::store::sqlite_store_file(world.dir()).string());
  db.store_writer_pragmas(false);
  sqlite3_stmt* begin = db.prepare("BEGIN IMMEDIATE");
  sqlite3_stmt* savepoint = db.prepare("SAVEPOINT sp_call");
  sqlite3_stmt* release = db.prepare("RELEASE sp_call");
  sqlite3_stmt* commit = db.prepare("COMMIT");
  sqlite3_stmt* counter = db.prepare("SELECT counter_value FROM euicc_eim_state WHERE tenant_id = ? AND eid = ?");
  sqlite3_stmt* set_counter =
      db.prepare("UPDATE euicc_eim_state SET counter_value = ?, updated_at = ? WHERE tenant_id = ? AND eid = ?");
  sqlite3_stmt* used = db.prepare("SELECT 1 FROM eim_packages WHERE eim_transaction_id = ?");
  sqlite3_stmt* put_package = db.prepare(
      "INSERT INTO eim_packages (eim_transaction_id, tenant_id, eid, eim_id, kind, counter_value, eim_signature, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  sqlite3_stmt* delivered = db.prepare(
      "UPDATE operations SET state = 'delivered', counter_value = ?, eim_transaction_id = ?, delivered_at = ?, "
      "updated_at = ? WHERE tenant_id = ? AND id = ? AND eid = ? AND state = 'queued'");
  sqlite3_stmt* active =
      db.prepare("UPDATE devices SET active_iccid = ?, updated_at = ? WHERE tenant_id = ? AND eid = ?");
  sqlite3_stmt* finished = db.prepare(
      "UPDATE operations SET state = ?, reason = ?, outcome = ?, result_json = ?, updated_at = ?, expires_at = ? "
      "WHERE tenant_id = ? AND id = ? AND eid = ? AND state = ?");
  sqlite3_stmt* profile = db.prepare(
      "UPDATE profiles SET state = ?, fallback = ?, updated_at = ? WHERE tenant_id = ? AND iccid = ? AND eid = ?");
  std::vector<std::string> eids, first_iccid, second_iccid;
  for (unsigned d = 0; d < kFloorDevices; ++d) {
    eids.push_back(bench_eid(d).str());
    first_iccid.push_back(bench_iccid(d, 1).str());
    second_iccid.push_back(bench_iccid(d, 2).str());
  }
  const auto tenant = static_cast<sqlite3_int64>(world.tenant());
  const std::string signature_hex = esimo::to_hex(esimo::Bytes(64, 0x5a));
  auto text = [](sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  };
  auto one_row = [&](sqlite3_stmt* s, const char* what) {
    db.run(s);
    if (db.changes() != 1) die(std::string("sqlite_cycle_txns: ") + what + " changed no row");
  };
  run.measure("sqlite_cycle_txns", "NORMAL", 0, warmup, count, [&](std::uint64_t k) {
    const std::uint64_t i = first + k;
    const auto d = static_cast<std::size_t>(i % kFloorDevices);
    const bool to_second = (i / kFloorDevices) % 2 == 0;
    const auto now = static_cast<sqlite3_int64>(world.clock().now().time_since_epoch().count());
    const auto counter_value = static_cast<sqlite3_int64>(i + 1);
    char tid[17];
    std::snprintf(tid, sizeof tid, "%016llx", static_cast<unsigned long long>(i + 1));
    const std::string id = floor_operation_id(i);
    // record_package
    db.run(begin);
    db.run(savepoint);
    sqlite3_bind_int64(counter, 1, tenant);
    text(counter, 2, eids[d]);
    if (sqlite3_step(counter) != SQLITE_ROW || sqlite3_column_int64(counter, 0) >= counter_value) {
      die("sqlite_cycle_txns: no counter below " + std::to_string(counter_value));
    }
    sqlite3_reset(counter);
    sqlite3_bind_int64(set_counter, 1, counter_value);
    sqlite3_bind_int64(set_counter, 2, now);
    sqlite3_bind_int64(set_counter, 3, tenant);
    text(set_counter, 4, eids[d]);
    one_row(set_counter, "the counter");
    text(used, 1, tid);
    if (sqlite3_step(used) != SQLITE_DONE) die("sqlite_cycle_txns: eimTransactionId used twice");
    sqlite3_reset(used);
    text(put_package, 1, tid);
    sqlite3_bind_int64(put_package, 2, tenant);
    text(put_package, 3, eids[d]);
    text(put_package, 4, "esimo-bench-eim");
    text(put_package, 5, "psmo");
    sqlite3_bind_int64(put_package, 6, counter_value);
    text(put_package, 7, signature_hex);
    sqlite3_bind_int64(put_package, 8, now);
    db.run(put_package);
    sqlite3_bind_int64(delivered, 1, counter_value);
    text(delivered, 2, tid);
    sqlite3_bind_int64(delivered, 3, now);
    sqlite3_bind_int64(delivered, 4, now);
    sqlite3_bind_int64(delivered, 5, tenant);
    text(delivered, 6, id);
    text(delivered, 7, eids[d]);
    one_row(delivered, "the operation (delivered)");
    db.run(release);
    db.run(commit);
    // apply_package_result
    const std::string& on = to_second ? second_iccid[d] : first_iccid[d];
    const std::string& off = to_second ? first_iccid[d] : second_iccid[d];
    db.run(begin);
    db.run(savepoint);
    text(active, 1, on);
    sqlite3_bind_int64(active, 2, now);
    sqlite3_bind_int64(active, 3, tenant);
    text(active, 4, eids[d]);
    one_row(active, "the device");
    text(finished, 1, "succeeded");
    text(finished, 2, "bench:floor");
    text(finished, 3, "ok");
    text(finished, 4, "{\"enableResult\":\"ok\"}");
    sqlite3_bind_int64(finished, 5, now);
    sqlite3_bind_int64(finished, 6, now + 7 * 86400 * sqlite3_int64{1000000});
    sqlite3_bind_int64(finished, 7, tenant);
    text(finished, 8, id);
    text(finished, 9, eids[d]);
    text(finished, 10, "delivered");
    one_row(finished, "the operation (succeeded)");
    for (const auto& [iccid, state] : {std::pair{&on, "enabled"}, std::pair{&off, "disabled"}}) {
      text(profile, 1, state);
      sqlite3_bind_int64(profile, 2, 0);
      sqlite3_bind_int64(profile, 3, now);
      sqlite3_bind_int64(profile, 4, tenant);
      text(profile, 5, *iccid);
      text(profile, 6, eids[d]);
      one_row(profile, "a profile");
    }
    db.run(release);
    db.run(commit);
  });
}

int run_durable_floor(const Options& opt) {
  Options world_opt = opt;
  world_opt.durable = false;  // synchronous=NORMAL, as the cycle runs
  World world(world_opt);     // its temporary directory holds every file below, and goes with it
  FloorRun run(opt);
  const std::uint64_t n = opt.count, f = opt.fsync_count;
  sqlite_minimal(run, world.dir() / "minimal.db", false, n / 10, n);
  const std::uint64_t cycle_warmup = 2 * kFloorDevices, cycles = std::max<std::uint64_t>(1, n / 4);
  world.open_store();
  world.create_devices(kFloorDevices);
  world.queue_operations(2 * (cycle_warmup + cycles));  // for the store's cycles, then SQLite's alone
  store_cycles(run, world, cycle_warmup, cycles);
  sqlite_cycles(run, world, cycle_warmup + cycles, cycle_warmup, cycles);
  append_only(run, world.dir() / "journal", false, n / 10, n);
  append_only(run, world.dir() / "journal-fdatasync", true, 10, f);
  sqlite_minimal(run, world.dir() / "minimal-full.db", true, 10, f);
  run.finish();
  return 0;
}

std::atomic<bool> g_stop{false};
extern "C" void esipa_bench_on_signal(int) { g_stop = true; }

int run_serve_empty(const Options& opt) {
  World world(opt);
  world.open_store();
  world.create_devices(1);
  world.start_eim_and_server();
  Device d = world.make_device(0);
  auto first = d.ipa->poll_until_idle(8);
  if (!first.ok() || !first->idle) die("first contact failed");
  // The empty poll an idle IPA sends: GetEimPackageRequest with its EID (v1.2), answered noEimPackageAvailable.
  esimo::sgp::GetEimPackageRequest req;
  auto eid = d.eid.to_bytes();
  req.eid.assign(eid.begin(), eid.end());
  esimo::Bytes body = must(esimo::sgp::encode(esimo::sgp::EsipaMessageFromIpaToEim(req), esimo::sgp::Version::v1_2),
                           "encode GetEimPackageRequest");
  auto answer = must(d.transport->exchange(body), "empty poll");
  if (answer.empty()) die("empty poll answered 204");
  if (!opt.body_file.empty()) {
    std::ofstream out(opt.body_file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
    if (!out) die("cannot write " + opt.body_file);
  }
  if (!opt.port_file.empty()) {
    const std::string tmp = opt.port_file + ".tmp";
    std::ofstream(tmp) << world.port() << "\n";
    fs::rename(tmp, opt.port_file);
  }
  std::printf("listening 127.0.0.1:%u (empty poll: %zu bytes -> %zu bytes)\n", world.port(), body.size(),
              answer.size());
  std::fflush(stdout);
  std::signal(SIGINT, esipa_bench_on_signal);
  std::signal(SIGTERM, esipa_bench_on_signal);
  const auto until = Steady::now() + std::chrono::seconds(opt.duration_s);
  while (!g_stop.load() && Steady::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return 0;
}

int main_impl(int argc, char** argv) {
  if (argc < 2) return usage("a mode is required");
  Options opt;
  opt.mode = argv[1];
  if (opt.mode == "serve-empty") opt.duration_s = 60;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string_view { return i + 1 < argc ? std::string_view(argv[++i]) : std::string_view{}; };
    std::uint64_t v = 0;
    auto number = [&](std::uint64_t lo, std::uint64_t hi) {
      if (!parse_u64(value(), v) || v < lo || v > hi) {
        std::exit(usage(std::string(a) + " needs " + std::to_string(lo) + "-" + std::to_string(hi)));
      }
      return v;
    };
    if (a == "--ipas") {
      opt.ipas = static_cast<unsigned>(number(1, 1024));
    } else if (a == "--server-threads") {
      opt.server_threads = static_cast<unsigned>(number(1, 64));
    } else if (a == "--duration") {
      opt.duration_s = static_cast<unsigned>(number(1, 3600));
    } else if (a == "--warmup") {
      opt.warmup_s = static_cast<unsigned>(number(0, 60));
    } else if (a == "--fill") {
      opt.fill = number(0, 100000000);
    } else if (a == "--fill-ids") {
      opt.fill_ids = std::string(value());
      if (opt.fill_ids != "block" && opt.fill_ids != "random" && opt.fill_ids != "older") {
        return usage("--fill-ids needs block, random or older");
      }
    } else if (a == "--durable") {
      opt.durable = number(0, 1) == 1;
    } else if (a == "--crypto-seconds") {
      opt.crypto_seconds = static_cast<double>(number(1, 60));
    } else if (a == "--log-level") {
      opt.log_level = std::string(value());
    } else if (a == "--json-out") {
      opt.json_out = std::string(value());
    } else if (a == "--count") {
      opt.count = number(10, 100000000);
    } else if (a == "--fsync-count") {
      opt.fsync_count = number(1, 1000000);
    } else if (a == "--dir") {
      opt.dir = std::string(value());
      if (opt.dir.empty() || !fs::is_directory(opt.dir)) return usage("--dir needs an existing directory");
    } else if (a == "--port-file") {
      opt.port_file = std::string(value());
    } else if (a == "--body-file") {
      opt.body_file = std::string(value());
    } else {
      return usage("unknown option " + std::string(a));
    }
  }
  esimo::log::Level level{};
  if (!esimo::log::parse_level(opt.log_level, level)) return usage("--log-level: debug, info, warn or error");
  esimo::log::set_level(level);
  if (opt.mode == "cycles") return run_cycles(opt);
  if (opt.mode == "serve-empty") return run_serve_empty(opt);
  if (opt.mode == "durable-floor") return run_durable_floor(opt);
  return usage("unknown mode " + opt.mode);
}

}  // namespace esipa_bench

int main(int argc, char** argv) { return esipa_bench::main_impl(argc, argv); }
