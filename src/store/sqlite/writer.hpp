#pragma once
// The single writer of an SQLite store: one thread owns the write connection. Callers submit a closure and block until
// it is committed. The thread takes every queued closure (up to max_batch) and runs them in ONE transaction (group
// commit: one WAL fsync for the whole batch), each inside its own SAVEPOINT, so a failing closure rolls back only its
// own changes and gets its own error while the others commit.
//
// Thread ownership: submit() may be called from any thread; the connection is touched only by the writer thread.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "base/result.hpp"

namespace esimo::metrics {
class Histogram;
}

namespace esimo::store::sqlite {

class Connection;

class Writer {
 public:
  // A unit of work. Runs on the writer thread inside a savepoint; returning an error rolls back what it did. It must
  // not begin/commit transactions itself. Closures may run again only if they never ran (no retries after a run).
  using Job = std::function<Status(Connection&)>;

  Writer(std::unique_ptr<Connection> conn, std::size_t max_batch);
  ~Writer();  // commits what is queued, then stops the thread
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Runs `job` in the next group commit and returns once it is durable (or failed). unavailable after shutdown.
  Status submit(Job job);
  // Calls waiting for the next batch (for tests and diagnostics).
  std::size_t queued();

 private:
  struct Pending {
    Job job;
    std::promise<Status> done;
  };
  void run();
  void commit_batch(std::deque<Pending>& batch);

  std::unique_ptr<Connection> conn_;  // writer thread only
  const std::size_t max_batch_;
  metrics::Histogram& batch_size_;
  metrics::Histogram& commit_seconds_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace esimo::store::sqlite
