#pragma once
// The twin's KPIs (definitions in docs/twin.md, "KPIs") and their JSON form. The JSON is written by hand with fixed
// formatting (integers, and decimals with a fixed number of places from integer arithmetic), so two runs with the
// same scenario and seed produce the same bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace esimo::twin::sim {

struct Kpis {
  std::uint64_t devices = 0;
  std::uint64_t affected_devices = 0;
  std::uint64_t recovered_devices = 0;
  std::uint64_t unserved_at_start = 0;
  std::optional<std::int64_t> detection_us;  // first declared outage - onset of the outage it names
  std::optional<std::int64_t> recovery_p50_us;
  std::optional<std::int64_t> recovery_p95_us;
  std::optional<std::int64_t> recovery_p99_us;
  std::int64_t offline_device_us = 0;  // summed over devices
  std::uint64_t switches = 0;
  std::uint64_t fallbacks = 0;
  std::uint64_t rollbacks = 0;
  std::uint64_t eim_switches = 0;  // enables ordered through the eIM
  std::uint64_t flaps = 0;
  std::uint64_t compliance_violations = 0;
  std::int64_t monthly_cost_micros = 0;
  std::string currency = "EUR";
  // Activity (not KPIs, but what a reader needs to trust them).
  std::uint64_t polls = 0;
  std::uint64_t empty_polls = 0;
  std::uint64_t packages = 0;
  std::uint64_t notifications = 0;
  std::uint64_t exchange_errors = 0;
  std::uint64_t materialised_devices = 0;
  std::int64_t simulated_us = 0;
  std::uint64_t seed = 0;
  std::string scenario;
  std::string mode = "in-process";
  bool engine = false;
};

// Nearest-rank percentile (p in 1..100) of sorted values; nullopt when empty.
std::optional<std::int64_t> nearest_rank(const std::vector<std::int64_t>& sorted, int p);

// {"scenario":...,"seed":...,"devices":...,...}: every key always present; null where a value does not exist.
std::string kpis_to_json(const Kpis& k);
// The human report `esimo twin run` prints.
std::string kpis_to_text(const Kpis& k);

}  // namespace esimo::twin::sim
