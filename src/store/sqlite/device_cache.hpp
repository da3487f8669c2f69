#pragma once
// DeviceCache: the in-memory read cache behind SqliteStore::get_device (CONVENTIONS: per-device hot state in memory,
// the store is the durable record). Sharded map (tenant, eid) -> shared_ptr<const DeviceRecord>.
//
// Race-freedom against writes: a reader calls generation() BEFORE reading the database and put()s its result with
// that generation; put() drops the result if the shard's generation changed meanwhile. Every in-process write that
// changes a device record (device row, tags or profiles) calls invalidate() AFTER its commit returned, which erases
// the key and bumps the shard's generation, so a reader that may have read the old snapshot can never insert it.
// Writes by other processes are handled by SqliteStore (PRAGMA data_version, then flush()).
//
// Bound: at most kMaxEntries entries in all (kMaxEntries / kShards per shard). Eviction is deliberately cheap: a put
// into a full shard clears that whole shard (the next reads of its keys go to the database once).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.hpp"

namespace esimo::store::sqlite {

class DeviceCache {
 public:
  static constexpr std::size_t kShards = 64;
  static constexpr std::size_t kMaxEntries = 1'000'000;

  std::shared_ptr<const DeviceRecord> get(TenantId tenant, std::string_view eid) const;
  // The shard's generation for this key; note it before reading the database.
  std::uint64_t generation(TenantId tenant, std::string_view eid) const;
  // Inserts only if the shard's generation still equals `seen`.
  void put(TenantId tenant, std::string_view eid, std::uint64_t seen, std::shared_ptr<const DeviceRecord> rec);
  void invalidate(TenantId tenant, std::string_view eid);
  void flush();
  std::size_t size() const;

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const DeviceRecord>> map;  // key: tenant '/' eid
    std::uint64_t generation = 0;
  };
  static std::string key(TenantId tenant, std::string_view eid);
  Shard& shard(const std::string& k) const;

  mutable std::array<Shard, kShards> shards_;
};

}  // namespace esimo::store::sqlite
