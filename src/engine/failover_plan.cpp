#include "engine/failover_plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/engine.hpp"

namespace esimo::engine {

namespace failover_plan_detail {
constexpr std::uint8_t kMagic[4] = {'E', 'F', 'P', '1'};
constexpr std::size_t kHeader = 8;
constexpr std::size_t kEntry = 32;

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}
}  // namespace failover_plan_detail

std::vector<std::uint32_t> plan_wave_ends(std::size_t n, const EngineConfig& config) {
  std::vector<std::uint32_t> ends;
  if (n == 0) return ends;
  std::size_t size = static_cast<std::size_t>(std::ceil(config.canary_share * static_cast<double>(n)));
  size = std::clamp<std::size_t>(std::max(size, config.canary_min), 1, n);
  std::size_t end = 0;
  while (end < n) {
    end = std::min(n, end + size);
    ends.push_back(static_cast<std::uint32_t>(end));
    size = std::max<std::size_t>(size + 1, static_cast<std::size_t>(static_cast<double>(size) * config.wave_growth));
  }
  return ends;
}

Bytes encode_plan_entries(const std::vector<PlanEntry>& entries) {
  namespace d = failover_plan_detail;
  Bytes out(d::kHeader + d::kEntry * entries.size());
  std::memcpy(out.data(), d::kMagic, 4);
  d::put_u32(out.data() + 4, static_cast<std::uint32_t>(entries.size()));
  std::uint8_t* p = out.data() + d::kHeader;
  for (const PlanEntry& e : entries) {
    std::memcpy(p, e.eid.data(), 16);
    std::memcpy(p + 16, e.iccid.data(), 10);
    p[26] = e.priority;
    p[27] = e.profile;
    d::put_u32(p + 28, e.wave);
    p += d::kEntry;
  }
  return out;
}

Result<std::vector<PlanEntry>> decode_plan_entries(ByteView bytes) {
  namespace d = failover_plan_detail;
  if (bytes.size() < d::kHeader || std::memcmp(bytes.data(), d::kMagic, 4) != 0) {
    return Error(Errc::invalid_argument, "not a failover plan (bad header)", "plan");
  }
  const std::size_t n = d::get_u32(bytes.data() + 4);
  if (bytes.size() != d::kHeader + n * d::kEntry) {
    return Error(Errc::invalid_argument,
                 "failover plan of " + std::to_string(n) + " entries has " + std::to_string(bytes.size()) + " bytes",
                 "plan");
  }
  std::vector<PlanEntry> out(n);
  const std::uint8_t* p = bytes.data() + d::kHeader;
  for (std::size_t i = 0; i < n; ++i, p += d::kEntry) {
    PlanEntry& e = out[i];
    std::memcpy(e.eid.data(), p, 16);
    std::memcpy(e.iccid.data(), p + 16, 10);
    e.priority = p[26];
    e.profile = p[27];
    e.wave = d::get_u32(p + 28);
    if (e.priority > 3) {
      return Error(Errc::invalid_argument, "failover plan entry " + std::to_string(i) + ": priority above 3", "plan");
    }
    if (i > 0 && e.wave < out[i - 1].wave) {
      return Error(Errc::invalid_argument, "failover plan entry " + std::to_string(i) + ": wave goes down", "plan");
    }
  }
  return out;
}

}  // namespace esimo::engine
