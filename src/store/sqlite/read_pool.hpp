#pragma once
// A small pool of read-only connections. In WAL mode readers see the last committed snapshot and never block the
// writer (nor are they blocked by it).
//
// Thread ownership: lease() may be called from any thread; a leased connection belongs to its lease holder until the
// Lease is destroyed.
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "base/result.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace esimo::store::sqlite {

class ReadPool {
 public:
  // mmap_bytes: PRAGMA mmap_size of each reader (0: none; see SqliteOptions::reader_mmap_bytes).
  static Result<std::unique_ptr<ReadPool>> open(const std::filesystem::path& file, std::size_t size,
                                                int busy_timeout_ms, std::size_t mmap_bytes);

  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<Connection> c) : pool_(&pool), conn_(std::move(c)) {}
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->give_back(std::move(conn_));
    }
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ReadPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // Blocks until a connection is free.
  Lease lease();

 private:
  ReadPool() = default;
  void give_back(std::unique_ptr<Connection> c);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> free_;  // guarded by mu_
};

}  // namespace esimo::store::sqlite
