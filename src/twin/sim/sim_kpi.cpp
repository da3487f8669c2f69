#include "twin/sim/sim_kpi.hpp"

#include <cstdio>
#include <sstream>

namespace esimo::twin::sim {
namespace sim_kpi_detail {

// value / scale with `places` decimals, rounded half away from zero, from integers only.
std::string fixed_decimal(std::int64_t value, std::int64_t scale, int places) {
  std::int64_t mult = 1;
  for (int i = 0; i < places; ++i) mult *= 10;
  const bool neg = value < 0;
  const unsigned long long v = static_cast<unsigned long long>(neg ? -value : value);
  const unsigned long long s = static_cast<unsigned long long>(scale);
  // round(v * mult / s) without overflow for the magnitudes used here (v < 2^63 / 1000).
  const unsigned long long scaled = (v / s) * static_cast<unsigned long long>(mult) +
                                    ((v % s) * static_cast<unsigned long long>(mult) + s / 2) / s;
  const unsigned long long whole = scaled / static_cast<unsigned long long>(mult);
  const unsigned long long frac = scaled % static_cast<unsigned long long>(mult);
  char buf[64];
  if (places == 0) {
    std::snprintf(buf, sizeof buf, "%s%llu", neg && scaled ? "-" : "", whole);
  } else {
    std::snprintf(buf, sizeof buf, "%s%llu.%0*llu", neg && scaled ? "-" : "", whole, places, frac);
  }
  return buf;
}

std::string seconds_or_null(const std::optional<std::int64_t>& us) {
  return us ? fixed_decimal(*us, 1000000, 1) : std::string("null");
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace sim_kpi_detail

std::optional<std::int64_t> nearest_rank(const std::vector<std::int64_t>& sorted, int p) {
  if (sorted.empty()) return std::nullopt;
  // rank = ceil(p/100 * n), 1-based
  std::size_t n = sorted.size();
  std::size_t rank = (static_cast<std::size_t>(p) * n + 99) / 100;
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

std::string kpis_to_json(const Kpis& k) {
  namespace d = sim_kpi_detail;
  std::ostringstream o;
  o << "{\"scenario\":" << d::json_string(k.scenario) << ",\"seed\":" << k.seed << ",\"mode\":" << d::json_string(k.mode)
    << ",\"engine\":" << (k.engine ? "true" : "false") << ",\"simulated_hours\":"
    << d::fixed_decimal(k.simulated_us, 3600LL * 1000000, 3) << ",\"devices\":" << k.devices
    << ",\"affected_devices\":" << k.affected_devices << ",\"recovered_devices\":" << k.recovered_devices
    << ",\"unserved_at_start\":" << k.unserved_at_start << ",\"detection_seconds\":" << d::seconds_or_null(k.detection_us)
    << ",\"recovery_seconds\":{\"p50\":" << d::seconds_or_null(k.recovery_p50_us)
    << ",\"p95\":" << d::seconds_or_null(k.recovery_p95_us) << ",\"p99\":" << d::seconds_or_null(k.recovery_p99_us)
    << "},\"offline_device_minutes\":" << d::fixed_decimal(k.offline_device_us, 60LL * 1000000, 2)
    << ",\"switches\":" << k.switches << ",\"fallbacks\":" << k.fallbacks << ",\"rollbacks\":" << k.rollbacks
    << ",\"eim_switches\":" << k.eim_switches << ",\"flaps\":" << k.flaps
    << ",\"compliance_violations\":" << k.compliance_violations << ",\"monthly_cost\":{\"amount\":"
    << d::fixed_decimal(k.monthly_cost_micros, 1000000, 2) << ",\"currency\":" << d::json_string(k.currency)
    << "},\"activity\":{\"polls\":" << k.polls << ",\"empty_polls\":" << k.empty_polls << ",\"packages\":" << k.packages
    << ",\"notifications\":" << k.notifications << ",\"exchange_errors\":" << k.exchange_errors
    << ",\"materialised_devices\":" << k.materialised_devices << "}}\n";
  return o.str();
}

std::string kpis_to_text(const Kpis& k) {
  namespace d = sim_kpi_detail;
  std::ostringstream o;
  o << "scenario " << k.scenario << ", seed " << k.seed << ", " << k.mode << ", engine " << (k.engine ? "on" : "off")
    << ", " << d::fixed_decimal(k.simulated_us, 3600LL * 1000000, 1) << " simulated hours\n"
    << "  devices                 " << k.devices << "\n"
    << "  affected devices        " << k.affected_devices << " (unserved at start: " << k.unserved_at_start << ")\n"
    << "  recovered devices       " << k.recovered_devices << "\n"
    << "  detection               " << (k.detection_us ? d::fixed_decimal(*k.detection_us, 1000000, 1) + " s" : "none")
    << "\n"
    << "  recovery p50/p95/p99    " << d::seconds_or_null(k.recovery_p50_us) << " / "
    << d::seconds_or_null(k.recovery_p95_us) << " / " << d::seconds_or_null(k.recovery_p99_us) << " s\n"
    << "  offline device-minutes  " << d::fixed_decimal(k.offline_device_us, 60LL * 1000000, 2) << "\n"
    << "  switches                " << k.switches << " (fallback " << k.fallbacks << ", rollback " << k.rollbacks
    << ", eIM " << k.eim_switches << ")\n"
    << "  flaps                   " << k.flaps << "\n"
    << "  compliance violations   " << k.compliance_violations << "\n"
    << "  monthly cost            " << d::fixed_decimal(k.monthly_cost_micros, 1000000, 2) << " " << k.currency << "\n"
    << "  polls                   " << k.polls << " (" << k.empty_polls << " empty), packages " << k.packages
    << ", notifications " << k.notifications << ", exchange errors " << k.exchange_errors << "\n"
    << "  materialised eUICCs     " << k.materialised_devices << "\n";
  return o.str();
}

}  // namespace esimo::twin::sim
