#include "store/sqlite/read_pool.hpp"

#include <string>

namespace esimo::store::sqlite {

Result<std::unique_ptr<ReadPool>> ReadPool::open(const std::filesystem::path& file, std::size_t size,
                                                 int busy_timeout_ms, std::size_t mmap_bytes) {
  std::unique_ptr<ReadPool> pool(new ReadPool());
  for (std::size_t i = 0; i < (size == 0 ? 1 : size); ++i) {
    ESIMO_TRY(auto c, Connection::open(file, {.read_only = true, .busy_timeout_ms = busy_timeout_ms}));
    if (mmap_bytes > 0) {
      ESIMO_CHECK(c->exec("PRAGMA mmap_size=" + std::to_string(mmap_bytes), "enable memory-mapped reads"));
    }
    pool->free_.push_back(std::move(c));
  }
  return pool;
}

ReadPool::Lease ReadPool::lease() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !free_.empty(); });
  auto c = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(c));
}

void ReadPool::give_back(std::unique_ptr<Connection> c) {
  c->reset_busy();
  {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(c));
  }
  cv_.notify_one();
}

}  // namespace esimo::store::sqlite
