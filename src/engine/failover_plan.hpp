#pragma once
// The failover plan of one outage (issue 6; docs/engine.md "Failover plan"): for every reachable device on the carrier
// and country in outage, the backup profile its policy chooses and the wave it belongs to, in release order (critical
// devices first). Compact — 32 bytes a device — so that the plan of 1,000,000 devices is made durable in one store
// write (store::FailoverPlanRecord) and survives a restart. The engine still releases the waves itself (canary gate,
// rate limit), and each released device goes through its own policy again with the evidence of that moment.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/identifiers.hpp"

namespace esimo::engine {

struct EngineConfig;

struct PlanEntry {
  std::array<std::uint8_t, 16> eid{};    // packed BCD (domain::Eid::to_bytes)
  std::array<std::uint8_t, 10> iccid{};  // the target profile (domain::Iccid::to_wire)
  std::uint8_t priority = 0;             // 0 low .. 3 critical
  std::uint8_t profile = 0;              // index of the target among the device's profiles
  std::uint32_t wave = 0;                // 0 = canary, then the growing waves
  bool operator==(const PlanEntry&) const = default;
};

struct FailoverPlan {
  std::string outage_id;                  // empty when planned ahead of a declaration
  std::string carrier_id;
  domain::CountryCode country;
  TimePoint planned_at{};
  std::size_t affected = 0;               // devices enabled on (carrier, country)
  std::size_t unreachable = 0;            // not planned: no service now (their fallback profile is the remedy)
  std::size_t busy = 0;                   // not planned: an engine switch of theirs is already pending
  std::size_t no_target = 0;              // not planned: no eligible backup under their policy
  std::vector<PlanEntry> entries;         // release order: priority 3 -> 0, then registry order
  std::vector<std::uint32_t> wave_ends;   // end (exclusive) of each wave in entries
};

// Wave boundaries for n devices: the canary max(canary_min, ceil(canary_share x n)), then each wave wave_growth x the
// previous one, the last one cut at n.
std::vector<std::uint32_t> plan_wave_ends(std::size_t n, const EngineConfig& config);

// The entries' durable form: "EFP1", the entry count (u32, little endian), then 32 bytes an entry (eid, iccid,
// priority, profile, wave u32 LE). decode checks the header, the length, priorities and that waves never go down.
Bytes encode_plan_entries(const std::vector<PlanEntry>& entries);
Result<std::vector<PlanEntry>> decode_plan_entries(ByteView bytes);

}  // namespace esimo::engine
