#include "store/sqlite/writer.hpp"

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "base/metrics.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace esimo::store::sqlite {

namespace writer_detail {
std::vector<double> batch_buckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}; }
}  // namespace writer_detail

namespace {
// Transaction control through the connection's statement cache: exec() would parse the SQL again on every call
// (a group commit runs BEGIN, COMMIT and a SAVEPOINT/RELEASE pair per call).
Status run_cached(Connection& db, std::string_view sql, std::string_view what) {
  ESIMO_TRY(Stmt * s, db.prepare(sql));
  return s->run(what);
}

// The writer thread must survive a throwing closure (std::bad_alloc): it becomes that call's error.
Status run_job(const Writer::Job& job, Connection& db) {
  try {
    return job(db);
  } catch (const std::exception& e) {
    return Error(Errc::internal, std::string("store write failed: ") + e.what());
  } catch (...) {
    return Error(Errc::internal, "store write failed with an unknown exception");
  }
}
}  // namespace

Writer::Writer(std::unique_ptr<Connection> conn, std::size_t max_batch)
    : conn_(std::move(conn)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      batch_size_(metrics::Registry::global().histogram("esimo_store_commit_batch_size",
                                                        "Write calls committed together in one transaction", {},
                                                        writer_detail::batch_buckets())),
      commit_seconds_(metrics::Registry::global().histogram(
          "esimo_store_commit_seconds", "Time to run and commit one group-commit transaction")) {
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Writer::submit(Job job) {
  std::future<Status> f;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Error(Errc::unavailable, "store is shutting down");
    Pending p{std::move(job), {}};
    f = p.done.get_future();
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  return f.get();
}

std::size_t Writer::queued() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Writer::run() {
  std::deque<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

void Writer::commit_batch(std::deque<Pending>& batch) {
  const auto started = std::chrono::steady_clock::now();
  batch_size_.observe(static_cast<double>(batch.size()));
  Connection& db = *conn_;

  // IMMEDIATE takes the write lock up front: another process (the CLI adding a key) may hold it for up to the busy
  // timeout; after that every call of the batch fails as unavailable and nothing was written.
  if (Status st = run_cached(db, "BEGIN IMMEDIATE", "begin transaction"); !st.ok()) {
    for (Pending& p : batch) p.done.set_value(st);
    return;
  }

  std::vector<Status> results;
  results.reserve(batch.size());
  std::size_t lost_from = 0;  // results before this index belong to a transaction SQLite aborted on its own
  for (Pending& p : batch) {
    if (Status st = run_cached(db, "SAVEPOINT sp_call", "savepoint"); !st.ok()) {
      results.push_back(std::move(st));
      continue;
    }
    Status st = run_job(p.job, db);
    db.reset_busy();
    if (st.ok()) {
      if (Status rel = run_cached(db, "RELEASE sp_call", "release savepoint"); !rel.ok()) st = std::move(rel);
    }
    if (!st.ok()) {
      if (db.autocommit()) {
        // Some errors (I/O, disk full) make SQLite roll back the whole transaction: the calls before this one were
        // lost with it and must not be acknowledged. Start a new transaction for the rest of the batch.
        for (std::size_t i = lost_from; i < results.size(); ++i) {
          if (results[i].ok()) results[i] = Error(st.error().code, "transaction aborted: " + st.error().message);
        }
        results.push_back(std::move(st));
        lost_from = results.size();
        if (Status again = run_cached(db, "BEGIN IMMEDIATE", "begin transaction"); !again.ok()) {
          while (results.size() < batch.size()) results.push_back(again);
          break;
        }
        continue;
      }
      (void)db.exec("ROLLBACK TO sp_call", "rollback to savepoint");
      (void)run_cached(db, "RELEASE sp_call", "release savepoint");
    }
    results.push_back(std::move(st));
  }

  if (!db.autocommit()) {
    if (Status st = run_cached(db, "COMMIT", "commit"); !st.ok()) {
      log::error("store commit failed", {{"error", st.error().message}, {"calls", batch.size()}});
      if (!db.autocommit()) (void)db.exec("ROLLBACK", "rollback");
      for (std::size_t i = lost_from; i < results.size(); ++i) {
        if (results[i].ok()) results[i] = st;
      }
    }
  }
  commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done.set_value(std::move(results[i]));
}

}  // namespace esimo::store::sqlite
