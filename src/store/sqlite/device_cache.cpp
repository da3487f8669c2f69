#include "store/sqlite/device_cache.hpp"

#include <functional>

namespace esimo::store::sqlite {

std::string DeviceCache::key(TenantId tenant, std::string_view eid) {
  std::string k = std::to_string(tenant);
  k.reserve(k.size() + 1 + eid.size());
  k += '/';
  k += eid;
  return k;
}

DeviceCache::Shard& DeviceCache::shard(const std::string& k) const {
  return shards_[std::hash<std::string>{}(k) % kShards];
}

std::shared_ptr<const DeviceRecord> DeviceCache::get(TenantId tenant, std::string_view eid) const {
  const std::string k = key(tenant, eid);
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(k);
  return it == s.map.end() ? nullptr : it->second;
}

std::uint64_t DeviceCache::generation(TenantId tenant, std::string_view eid) const {
  const std::string k = key(tenant, eid);
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  return s.generation;
}

void DeviceCache::put(TenantId tenant, std::string_view eid, std::uint64_t seen,
                      std::shared_ptr<const DeviceRecord> rec) {
  std::string k = key(tenant, eid);
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  if (s.generation != seen) return;  // a write (or flush) happened since the reader noted the generation
  if (s.map.size() >= kMaxEntries / kShards && !s.map.contains(k)) s.map.clear();  // cheap eviction: whole shard
  s.map.insert_or_assign(std::move(k), std::move(rec));
}

void DeviceCache::invalidate(TenantId tenant, std::string_view eid) {
  const std::string k = key(tenant, eid);
  Shard& s = shard(k);
  std::lock_guard lock(s.mu);
  s.map.erase(k);
  ++s.generation;
}

void DeviceCache::flush() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.map.clear();
    ++s.generation;
  }
}

std::size_t DeviceCache::size() const {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.map.size();
  }
  return n;
}

}  // namespace esimo::store::sqlite
