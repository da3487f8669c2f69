#pragma once
// The embedded Store: one SQLite database file (WAL) under the data directory. Public entry point of store/sqlite;
// callers see only the Store port (sqlite3.h stays inside this folder's .cpp files).
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "store/store.hpp"

namespace esimo::store {

struct SqliteOptions {
  // Read-only connections for concurrent readers (WAL: they never block the writer nor wait for it).
  std::size_t read_connections = 4;
  // Most write calls committed together in one transaction by the writer thread (group commit).
  std::size_t max_batch = 256;
  // How long a write waits for the database lock held by another process (e.g. `esimo keys create` next to a
  // running server) before failing as unavailable.
  std::chrono::milliseconds busy_timeout{5000};
  // true (default): synchronous=FULL, so every acknowledged write has been fsynced to the WAL and survives a power
  // loss (what the platform promises for counters, queued operations and results). With group commit this is one
  // fsync per batch, not per call. false: synchronous=NORMAL — WAL is still crash-safe for the process, but commits
  // since the last checkpoint may be lost on power failure; for the twin and benchmarks only.
  bool durable_commits = true;
  // PRAGMA mmap_size of each read connection; 0 (default): readers read pages with pread() into their own cache.
  // Mapping pays only on a read-mostly database: in WAL mode a reader that finds the WAL changed since its last read
  // transaction drops its cache and, when mapped, unmaps the whole file and maps it again (SQLite pager
  // pagerBeginReadTransaction -> sqlite3OsUnfetch), so under steady writes every read after a commit paid an munmap
  // with a TLB shoot-down across the process's threads plus the page faults to map it again. Measured on the twin's
  // first contacts (each one write then reads, docs/performance.md): 1.5x the run time with 1 GiB mapped.
  std::size_t reader_mmap_bytes = 0;
  // Source of created_at for tenants and of applied_at for migrations; the system clock when null.
  const Clock* clock = nullptr;
};

// Opens (creating if needed) data_dir/esimo.db, applies pending schema migrations, and starts the writer thread.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& data_dir, SqliteOptions opts = {});

// The database file inside a data directory.
std::filesystem::path sqlite_store_file(const std::filesystem::path& data_dir);

}  // namespace esimo::store
