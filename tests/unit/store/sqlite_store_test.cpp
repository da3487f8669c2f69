// The SQLite store: the conformance suite, plus what is specific to SQLite (schema migrations, the file layout,
// metrics, and a manual import throughput check).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

#include "base/metrics.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/writer.hpp"
#include "store_conformance.hpp"

namespace esimo::store::testing {

namespace sqlite_test_detail {

Result<std::unique_ptr<Store>> open_small(const std::filesystem::path& dir) {
  SqliteOptions opts;
  opts.read_connections = 2;
  return open_sqlite_store(dir, opts);
}

// The same store with memory-mapped readers (SqliteOptions::reader_mmap_bytes): every conformance test again.
Result<std::unique_ptr<Store>> open_small_mapped(const std::filesystem::path& dir) {
  SqliteOptions opts;
  opts.read_connections = 2;
  opts.reader_mmap_bytes = 64 << 20;
  return open_sqlite_store(dir, opts);
}

struct MigrationRow {
  std::int64_t version;
  std::int64_t applied_at;
  bool operator==(const MigrationRow&) const = default;
};

std::vector<MigrationRow> migration_rows(const std::filesystem::path& dir) {
  auto db = sqlite::Connection::open(sqlite_store_file(dir), {.read_only = true});
  EXPECT_TRUE(db.ok());
  std::vector<MigrationRow> out;
  auto s = (*db)->prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version");
  EXPECT_TRUE(s.ok());
  while ((*s)->step("read").value_or(false)) out.push_back({(*s)->int64(0), (*s)->int64(1)});
  return out;
}

}  // namespace sqlite_test_detail

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
                         ::testing::Values(StoreFactory{"sqlite", &sqlite_test_detail::open_small},
                                           StoreFactory{"sqlite_mmap", &sqlite_test_detail::open_small_mapped}),
                         factory_name);

TEST(SqliteStore, CreatesTheDataDirectoryAndOneDatabaseFile) {
  TempDir tmp;
  const auto dir = tmp.path() / "nested" / "var";
  auto s = open_sqlite_store(dir);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir / "esimo.db"));
}

TEST(SqliteStore, UnusableDataDirectoryIsAnIoError) {
  TempDir tmp;
  const auto file = tmp.path() / "a-file";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto s = open_sqlite_store(file / "sub");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::io_error);
}

TEST(SqliteStore, MigrationsApplyOnceAndInOrder) {
  TempDir tmp;
  ManualClock clock(TimePoint(std::chrono::seconds(1'700'000'000)));
  SqliteOptions opts;
  opts.clock = &clock;
  { ASSERT_TRUE(open_sqlite_store(tmp.path(), opts).ok()); }
  auto rows = sqlite_test_detail::migration_rows(tmp.path());
  const auto all = sqlite::migrations();
  ASSERT_EQ(rows.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(rows[i].version, all[i].version);

  clock.advance(std::chrono::hours(1));
  { ASSERT_TRUE(open_sqlite_store(tmp.path(), opts).ok()); }
  EXPECT_EQ(sqlite_test_detail::migration_rows(tmp.path()), rows) << "re-open must not re-apply anything";
}

TEST(SqliteStore, UpgradesAnOlderDatabaseKeepingItsData) {
  TempDir tmp;
  ASSERT_GE(sqlite::migrations().size(), 2u);
  const int old_version = sqlite::migrations()[sqlite::migrations().size() - 2].version;
  {
    // A database as an older build left it: migrations up to old_version, with a tenant and a device.
    auto db = sqlite::Connection::open(sqlite_store_file(tmp.path()), {});
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE(sqlite::migrate(**db, SystemClock::instance(), old_version).ok());
    EXPECT_EQ(*sqlite::schema_version(**db), old_version);
    ASSERT_TRUE((*db)->exec("INSERT INTO tenants (id, name, created_at) VALUES (1, 'old', 0);"
                            "INSERT INTO device_groups (tenant_id, name, parent, created_at) VALUES (1, 'fleet', NULL, 0);"
                            "INSERT INTO devices (tenant_id, eid, name, group_name, lifecycle, sgp32_version, "
                            "created_at, updated_at) VALUES (1, '" +
                                test_eid(1).str() + "', 'legacy', 'fleet', 'active', '1.2', 0, 0)",
                            "seed old data")
                    .ok());
  }
  auto s = open_sqlite_store(tmp.path());
  ASSERT_TRUE(s.ok()) << s.error().message;
  Store& store = **s;
  EXPECT_EQ(store.get_tenant_by_name("old")->id, 1);
  EXPECT_EQ(store.get_device(1, test_eid(1))->device.name, "legacy");
  domain::Operation op;
  op.id = "op_after_upgrade";
  op.tenant_id = 1;
  op.eid = test_eid(1);
  op.type = "enable";
  ASSERT_TRUE(store.create_operation(op).ok());  // the table of the newer migration exists
  s = Result<std::unique_ptr<Store>>(Error(Errc::cancelled, "closed"));
  EXPECT_EQ(sqlite_test_detail::migration_rows(tmp.path()).back().version, sqlite::migrations().back().version);
}

TEST(SqliteStore, RefusesADatabaseFromANewerBuild) {
  TempDir tmp;
  { ASSERT_TRUE(open_sqlite_store(tmp.path()).ok()); }
  {
    auto db = sqlite::Connection::open(sqlite_store_file(tmp.path()), {});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)", "bump").ok());
  }
  auto s = open_sqlite_store(tmp.path());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::unsupported);
  EXPECT_NE(s.error().message.find("9999"), std::string::npos);
}

TEST(SqliteStore, RecordsTimingsAndBatchSizes) {
  TempDir tmp;
  auto s = open_sqlite_store(tmp.path());
  ASSERT_TRUE(s.ok());
  auto& reg = metrics::Registry::global();
  auto& create = reg.histogram("esimo_store_seconds", "", {{"op", "create_tenant"}});
  auto& get = reg.histogram("esimo_store_seconds", "", {{"op", "get_tenant"}});
  auto& batches = reg.histogram("esimo_store_commit_batch_size", "", {}, {1});
  const auto c0 = create.count(), g0 = get.count(), b0 = batches.count();
  auto t = (*s)->create_tenant("metrics");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*s)->get_tenant(t->id).ok());
  EXPECT_EQ(create.count(), c0 + 1);
  EXPECT_EQ(get.count(), g0 + 1);
  EXPECT_GE(batches.count(), b0 + 1);
  EXPECT_NE(reg.expose().find("esimo_store_seconds_count{op=\"create_tenant\"}"), std::string::npos);
}

// A manual throughput check, not a timed test: run with --gtest_also_run_disabled_tests to print the import rate of
// 100,000 devices (2 profiles each) in batches of 2,000.
TEST(SqliteStore, DISABLED_ImportThroughput) {
  TempDir tmp;
  auto s = open_sqlite_store(tmp.path());
  ASSERT_TRUE(s.ok());
  Store& store = **s;
  domain::Carrier c{"net", domain::kCatalogTenant, "Net", {test_plmn("001-01")}, {}};
  ASSERT_TRUE(store.seed_catalog({}, {c}).ok());
  const TenantId t = store.create_tenant("bulk")->id;
  constexpr std::uint64_t kDevices = 100'000, kBatch = 2'000;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t base = 0; base < kDevices; base += kBatch) {
    std::vector<DeviceRecord> batch;
    batch.reserve(kBatch);
    for (std::uint64_t n = base; n < base + kBatch; ++n) {
      DeviceRecord r;
      r.device.tenant_id = t;
      r.device.eid = test_eid(n);
      r.device.name = "d" + std::to_string(n);
      r.device.tags = {"bulk"};
      for (std::uint64_t k = 0; k < 2; ++k) {
        domain::Profile p;
        p.iccid = test_iccid(n * 2 + k);
        p.carrier_id = "net";
        r.profiles.push_back(p);
      }
      batch.push_back(std::move(r));
    }
    auto r = store.import_devices(batch);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->inserted, kBatch);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("imported %llu devices (2 profiles each) in %.2f s: %.0f devices/s\n",
              static_cast<unsigned long long>(kDevices), secs, static_cast<double>(kDevices) / secs);
  EXPECT_EQ(store.list_profiles(t, {}, {.limit = 1})->items.size(), 1u);
  const auto db = sqlite_store_file(tmp.path());
  std::printf("database %.1f MB, WAL %.1f MB\n", static_cast<double>(std::filesystem::file_size(db)) / 1e6,
              static_cast<double>(std::filesystem::file_size(db.string() + "-wal")) / 1e6);
}

}  // namespace esimo::store::testing

namespace esimo::store::testing {

// Group commit: calls queued while the writer is busy run in ONE transaction, each in its own savepoint; a failing call
// rolls back only its own changes and gets its own error.
TEST(SqliteWriter, FailingCallInABatchRollsBackOnlyItself) {
  TempDir tmp;
  const auto file = tmp.path() / "w.db";
  {
    auto setup = sqlite::Connection::open(file, {});
    ASSERT_TRUE(setup.ok());
    ASSERT_TRUE((*setup)->exec("PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER NOT NULL PRIMARY KEY)", "setup").ok());
  }
  auto conn = sqlite::Connection::open(file, {});
  ASSERT_TRUE(conn.ok());
  sqlite::Writer writer(std::move(*conn), 16);
  auto insert = [](std::int64_t x) {
    return [x](sqlite::Connection& db) -> Status {
      ESIMO_TRY(sqlite::Stmt * s, db.prepare("INSERT INTO t (x) VALUES (?)"));
      return s->bind(1, x).run("insert " + std::to_string(x));
    };
  };
  auto& batches = metrics::Registry::global().histogram("esimo_store_commit_batch_size", "", {}, {1});
  const auto threes_before = batches.bucket(2);  // the bucket (2, 4]

  std::promise<void> release, started;
  std::shared_future<void> gate = release.get_future().share();
  std::thread first([&] {
    EXPECT_TRUE(writer.submit([&](sqlite::Connection& db) -> Status {
      started.set_value();
      gate.wait();  // holds the writer so the next calls queue up behind it
      return insert(1)(db);
    }).ok());
  });
  started.get_future().wait();  // the writer is inside the first call
  Status good_a, bad, good_b;
  std::thread ta([&] { good_a = writer.submit(insert(2)); });
  std::thread tb([&] {
    bad = writer.submit([&](sqlite::Connection& db) -> Status {
      ESIMO_CHECK(insert(3)(db));  // changes something, then fails: the insert of 3 must be undone
      return insert(1)(db);        // duplicate of the committed first call
    });
  });
  std::thread tc([&] { good_b = writer.submit(insert(4)); });
  while (writer.queued() != 3) std::this_thread::yield();
  release.set_value();
  for (auto* t : {&first, &ta, &tb, &tc}) t->join();

  EXPECT_TRUE(good_a.ok());
  EXPECT_TRUE(good_b.ok());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::already_exists);
  EXPECT_EQ(batches.bucket(2), threes_before + 1) << "the three queued calls must commit as one batch";

  auto check = sqlite::Connection::open(file, {.read_only = true});
  ASSERT_TRUE(check.ok());
  auto s = (*check)->prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(s.ok());
  std::vector<std::int64_t> xs;
  while ((*s)->step("read").value_or(false)) xs.push_back((*s)->int64(0));
  EXPECT_EQ(xs, (std::vector<std::int64_t>{1, 2, 4}));
}

}  // namespace esimo::store::testing

namespace esimo::store::testing {

// WAL: readers keep working while another connection (here: another process's writer) holds the write lock; a write
// waits up to the busy timeout, then fails as unavailable having changed nothing.
TEST(SqliteStore, ReadersAreNotBlockedByAWriterAndBusyWritesFailCleanly) {
  TempDir tmp;
  SqliteOptions opts;
  opts.busy_timeout = std::chrono::milliseconds(50);
  auto s = open_sqlite_store(tmp.path(), opts);
  ASSERT_TRUE(s.ok());
  Store& store = **s;
  const TenantId t = store.create_tenant("acme")->id;

  auto other = sqlite::Connection::open(sqlite_store_file(tmp.path()), {});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->exec("BEGIN IMMEDIATE; INSERT INTO tenants (id, name, created_at) VALUES (77, 'pending', 0)",
                             "hold the write lock")
                  .ok());
  EXPECT_EQ(store.get_tenant(t)->name, "acme");
  EXPECT_EQ(store.get_tenant_by_name("pending").error().code, Errc::not_found);  // uncommitted: invisible
  auto busy = store.create_tenant("globex");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().code, Errc::unavailable);

  ASSERT_TRUE((*other)->exec("COMMIT", "release").ok());
  EXPECT_EQ(store.get_tenant_by_name("pending")->id, 77);
  EXPECT_EQ(store.get_tenant_by_name("globex").error().code, Errc::not_found);
  auto later = store.create_tenant("globex");
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(later->id, 78);
}

}  // namespace esimo::store::testing

// The device read cache (get_device answered from memory after the first read): every write invalidates it.
namespace esimo::store::testing {

namespace sqlite_cache_test_detail {

struct Fixture {
  TempDir tmp;
  std::unique_ptr<Store> store;
  TenantId t1 = 0, t2 = 0;

  Fixture() {
    auto s = open_sqlite_store(tmp.path());
    EXPECT_TRUE(s.ok());
    store = std::move(*s);
    domain::Carrier c{"net", domain::kCatalogTenant, "Net", {test_plmn("001-01")}, {}};
    EXPECT_TRUE(store->seed_catalog({}, {c}).ok());
    t1 = store->create_tenant("one")->id;
    t2 = store->create_tenant("two")->id;
  }
};

DeviceRecord record(TenantId t, std::uint64_t n, std::string name, std::size_t profiles) {
  DeviceRecord r;
  r.device.tenant_id = t;
  r.device.eid = test_eid(n);
  r.device.name = std::move(name);
  r.device.tags = {"a"};
  for (std::uint64_t k = 0; k < profiles; ++k) {
    domain::Profile p;
    p.tenant_id = t;
    p.eid = r.device.eid;
    p.iccid = test_iccid(n * 10 + k);
    p.carrier_id = "net";
    r.profiles.push_back(p);
  }
  return r;
}

std::string name_of(Store& s, TenantId t, std::uint64_t n) {
  auto r = s.get_device(t, test_eid(n));
  return r.ok() ? r->device.name : "<error: " + r.error().message + ">";
}

}  // namespace sqlite_cache_test_detail

TEST(SqliteDeviceCache, CachedReadSeesEveryInProcessWrite) {
  using namespace sqlite_cache_test_detail;
  Fixture f;
  Store& s = *f.store;
  ASSERT_TRUE(s.create_device(record(f.t1, 1, "first", 1)).ok());
  EXPECT_EQ(name_of(s, f.t1, 1), "first");  // now cached

  auto rec = s.get_device(f.t1, test_eid(1));
  ASSERT_TRUE(rec.ok());
  rec->device.name = "updated";
  rec->device.tags = {"a", "b"};
  ASSERT_TRUE(s.update_device(rec->device).ok());
  rec = s.get_device(f.t1, test_eid(1));
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->device.name, "updated");
  EXPECT_EQ(rec->device.tags.size(), 2u);

  domain::Profile p = rec->profiles.at(0);
  p.iccid = test_iccid(999);
  ASSERT_TRUE(s.put_profile(p).ok());
  EXPECT_EQ(s.get_device(f.t1, test_eid(1))->profiles.size(), 2u);
  ASSERT_TRUE(s.delete_profile(f.t1, test_iccid(999)).ok());
  EXPECT_EQ(s.get_device(f.t1, test_eid(1))->profiles.size(), 1u);

  auto counts = s.import_devices({record(f.t1, 1, "imported", 3), record(f.t1, 2, "other", 0)});
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  rec = s.get_device(f.t1, test_eid(1));
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->device.name, "imported");
  EXPECT_EQ(rec->profiles.size(), 3u);

  ASSERT_TRUE(s.delete_device(f.t1, test_eid(1)).ok());
  EXPECT_EQ(s.get_device(f.t1, test_eid(1)).error().code, Errc::not_found);
  // A cached miss is not remembered: creating it again is seen at once.
  ASSERT_TRUE(s.create_device(record(f.t1, 1, "again", 0)).ok());
  EXPECT_EQ(name_of(s, f.t1, 1), "again");
}

TEST(SqliteDeviceCache, WriteByAnotherStoreOnTheSameDirectoryBecomesVisible) {
  using namespace sqlite_cache_test_detail;
  Fixture f;
  ASSERT_TRUE(f.store->create_device(record(f.t1, 1, "before", 1)).ok());
  EXPECT_EQ(name_of(*f.store, f.t1, 1), "before");  // cached in the first store

  auto other = open_sqlite_store(f.tmp.path());  // stands for another process (`esimo import`)
  ASSERT_TRUE(other.ok());
  auto rec = (*other)->get_device(f.t1, test_eid(1));
  ASSERT_TRUE(rec.ok());
  rec->device.name = "after";
  ASSERT_TRUE((*other)->update_device(rec->device).ok());

  // The bound is about 250 ms; poll with a generous deadline (no timing assertion).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string seen;
  while ((seen = name_of(*f.store, f.t1, 1)) != "after" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen, "after");
}

TEST(SqliteDeviceCache, TenantsStayIsolatedThroughTheCache) {
  using namespace sqlite_cache_test_detail;
  Fixture f;
  ASSERT_TRUE(f.store->create_device(record(f.t1, 1, "mine", 1)).ok());
  EXPECT_EQ(name_of(*f.store, f.t1, 1), "mine");
  EXPECT_EQ(f.store->get_device(f.t2, test_eid(1)).error().code, Errc::not_found);
  auto r2 = record(f.t2, 1, "theirs", 0);
  ASSERT_TRUE(f.store->create_device(r2).ok());
  EXPECT_EQ(name_of(*f.store, f.t1, 1), "mine");
  EXPECT_EQ(name_of(*f.store, f.t2, 1), "theirs");
  EXPECT_EQ(f.store->get_device(f.t2, test_eid(1))->profiles.size(), 0u);
}

TEST(SqliteDeviceCache, ConcurrentReadersNeverSeeARecordOlderThanACompletedWrite) {
  using namespace sqlite_cache_test_detail;
  Fixture f;
  ASSERT_TRUE(f.store->create_device(record(f.t1, 1, "0", 0)).ok());
  auto base = f.store->get_device(f.t1, test_eid(1));
  ASSERT_TRUE(base.ok());
  constexpr int kWrites = 150;
  std::atomic<int> done{0};
  std::atomic<int> stale{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        const int floor = done.load();
        auto r = f.store->get_device(f.t1, test_eid(1));
        if (!r.ok() || std::stoi(r->device.name) < floor) ++stale;
      }
    });
  }
  domain::Device d = base->device;
  for (int v = 1; v <= kWrites; ++v) {
    d.name = std::to_string(v);
    ASSERT_TRUE(f.store->update_device(d).ok());
    done.store(v);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(name_of(*f.store, f.t1, 1), std::to_string(kWrites));
}

}  // namespace esimo::store::testing
