// The twin's carrier network model (see network.hpp for what is drawn and why it is deterministic).
#include "twin/network.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace esimo::twin {
namespace network_detail {

// Streams: each question draws from its own stream so that answers are independent.
enum Stream : std::uint64_t {
  kCoverage = 0x636f76,  // "cov"
  kAttach = 0x617474,
  kRsrp = 0x727372,
  kRsrq = 0x727371,
  kSinr = 0x73696e,
  kLatency = 0x6c6174,
};

inline std::uint64_t splitmix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::uint64_t net_key(const NetworkRef& n) { return (static_cast<std::uint64_t>(n.plmn) << 16) | n.country; }

// A standard normal draw from one 64-bit hash: the inverse normal CDF at a uniform point of (0, 1), by P. J. Acklam's
// rational approximation (relative error below 1.2e-9). In the central 95% it is a ratio of polynomials, so a draw
// costs a few multiplications; only the tails take a log and a square root.
double standard_normal(std::uint64_t h) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                 6.680131188771972e+01, -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549671010229583e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  const double p = (static_cast<double>(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);  // (0, 1)
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  if (p < kLow) return tail(std::sqrt(-2 * std::log(p)));
  if (p > 1 - kLow) return -tail(std::sqrt(-2 * std::log1p(-p)));
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// MCC digits of a PlmnKey (TS 24.008 byte order: MCC2|MCC1, MNC3|MCC3, MNC2|MNC1).
std::uint16_t mcc_of(PlmnKey k) {
  const unsigned m1 = (k >> 16) & 0xf, m2 = (k >> 20) & 0xf, m3 = (k >> 8) & 0xf;
  return static_cast<std::uint16_t>(m1 * 100 + m2 * 10 + m3);
}

constexpr double kZ95 = 1.6448536269514722;  // standard normal 95th percentile

}  // namespace network_detail

std::uint64_t twin_hash(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d,
                        std::uint64_t e) {
  using network_detail::splitmix;
  std::uint64_t h = splitmix(seed);
  h = splitmix(h ^ a);
  h = splitmix(h ^ b);
  h = splitmix(h ^ c);
  h = splitmix(h ^ d);
  return splitmix(h ^ e);
}

double unit_interval(std::uint64_t h) { return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0); }

NetworkModel::NetworkModel(const Scenario& scenario, const CarrierCatalog& catalog, std::uint64_t seed)
    : seed_(seed), sample_interval_(scenario.sample_interval), events_(scenario.events) {
  const auto& cfg = scenario.networks;
  mcc_country_.assign(1000, 0);
  for (std::uint16_t mcc = 0; mcc < 1000; ++mcc) {
    if (auto c = domain::country_of_mcc(mcc)) mcc_country_[mcc] = country_key(*c);
  }
  carrier_plmn_.reserve(catalog.size());
  for (std::size_t i = 0; i < catalog.size(); ++i) {
    const auto idx = static_cast<CarrierIndex>(i);
    carrier_plmn_.push_back(catalog.home_plmn(idx));
    for (const auto& p : catalog.carrier(idx).plmns) {
      for (const auto& c : catalog.carrier(idx).countries) {
        home_pairs_.insert((static_cast<std::uint64_t>(plmn_key(p)) << 16) | country_key(c));
      }
    }
  }

  auto layered = [&](PlmnKey plmn, CountryKey country, bool home, bool with_carrier) {
    NetworkParams p = cfg.defaults;
    if (!home) cfg.roaming.apply_to(p);
    for (const auto& o : cfg.overrides) {
      if (o.carrier == kNoCarrier && country_key(o.country) == country) o.layer.apply_to(p);
    }
    if (with_carrier) {
      for (const auto& o : cfg.overrides) {
        if (o.carrier != kNoCarrier && country_key(o.country) == country && carrier_plmn_[o.carrier] == plmn) {
          o.layer.apply_to(p);
        }
      }
    }
    return p;
  };

  default_home_ = add_entry(cfg.defaults);
  {
    NetworkParams roaming = cfg.defaults;
    cfg.roaming.apply_to(roaming);
    default_roaming_ = add_entry(roaming);
  }
  auto ensure_country = [&](CountryKey c) {
    if (country_home_.count(c)) return;
    country_home_[c] = add_entry(layered(0, c, true, false));
    country_roaming_[c] = add_entry(layered(0, c, false, false));
  };
  auto ensure_explicit = [&](PlmnKey plmn, CountryKey c) {
    const std::uint64_t k = (static_cast<std::uint64_t>(plmn) << 16) | c;
    if (explicit_.count(k)) return;
    explicit_[k] = add_entry(layered(plmn, c, home_pair(plmn, c), true));
  };
  for (const auto& o : cfg.overrides) {
    if (o.carrier == kNoCarrier) ensure_country(country_key(o.country));
  }
  for (const auto& e : events_) {
    if (e.carrier == kNoCarrier) ensure_country(country_key(e.country));
  }
  for (const auto& o : cfg.overrides) {
    if (o.carrier != kNoCarrier) ensure_explicit(carrier_plmn_[o.carrier], country_key(o.country));
  }
  for (const auto& e : events_) {
    if (e.carrier != kNoCarrier) ensure_explicit(carrier_plmn_[e.carrier], country_key(e.country));
  }

  // Attach each event to the parameter sets of its network(s); recoveries were applied by the loader.
  for (std::uint32_t i = 0; i < events_.size(); ++i) {
    const auto& e = events_[i];
    if (e.kind == EventKind::recovery) continue;
    const CountryKey c = country_key(e.country);
    if (e.carrier != kNoCarrier) {
      entries_[explicit_.at((static_cast<std::uint64_t>(carrier_plmn_[e.carrier]) << 16) | c)].events.push_back(i);
      continue;
    }
    entries_[country_home_.at(c)].events.push_back(i);
    entries_[country_roaming_.at(c)].events.push_back(i);
    for (const auto& [k, entry] : explicit_) {
      if ((k & 0xffff) == c) entries_[entry].events.push_back(i);
    }
  }
  for (auto& entry : entries_) std::sort(entry.events.begin(), entry.events.end());
  for (const auto& e : events_) {
    change_times_.push_back(e.start);
    change_times_.push_back(e.end);
  }
  std::sort(change_times_.begin(), change_times_.end());
  change_times_.erase(std::unique(change_times_.begin(), change_times_.end()), change_times_.end());
}

std::uint16_t NetworkModel::add_entry(const NetworkParams& p) {
  assert(entries_.size() < 0xffff);
  entries_.push_back(Entry{p, {}});
  return static_cast<std::uint16_t>(entries_.size() - 1);
}

bool NetworkModel::home_pair(PlmnKey plmn, CountryKey country) const {
  if (mcc_country_[network_detail::mcc_of(plmn) % 1000] == country) return true;
  return home_pairs_.count((static_cast<std::uint64_t>(plmn) << 16) | country) != 0;
}

NetworkRef NetworkModel::resolve(PlmnKey home_plmn, CountryKey country) const {
  NetworkRef n;
  n.plmn = home_plmn;
  n.country = country;
  const std::uint64_t k = (static_cast<std::uint64_t>(home_plmn) << 16) | country;
  if (auto it = explicit_.find(k); it != explicit_.end()) {
    n.entry = it->second;
    return n;
  }
  const bool home = home_pair(home_plmn, country);
  if (!country_home_.empty()) {
    const auto& table = home ? country_home_ : country_roaming_;
    if (auto it = table.find(country); it != table.end()) {
      n.entry = it->second;
      return n;
    }
  }
  n.entry = home ? default_home_ : default_roaming_;
  return n;
}

NetworkRef NetworkModel::resolve_carrier(CarrierIndex carrier, CountryKey country) const {
  return resolve(carrier_plmn_.at(carrier), country);
}

bool NetworkModel::is_home(NetworkRef n) const { return home_pair(n.plmn, n.country); }

const NetworkParams& NetworkModel::params(NetworkRef n) const { return entries_[n.entry].params; }

std::uint64_t NetworkModel::bucket(SimTime t) const {
  if (t < SimTime::zero()) return 0;
  return static_cast<std::uint64_t>(t / sample_interval_);
}

NetworkConditions NetworkModel::conditions(NetworkRef n, SimTime t) const {
  const Entry& entry = entries_[n.entry];
  NetworkConditions c;
  c.coverage = entry.params.coverage;
  c.attach_success = entry.params.attach_success;
  c.price_per_mb = entry.params.price_per_mb;
  c.monthly_fee = entry.params.monthly_fee;
  for (std::uint32_t i : entry.events) {
    const NetworkEvent& e = events_[i];
    if (t < e.start || t >= e.end) continue;
    switch (e.kind) {
      case EventKind::outage:
        c.outage = true;
        break;
      case EventKind::degradation:
        c.coverage *= e.coverage_factor;
        if (e.attach_success) c.attach_success = std::min(c.attach_success, *e.attach_success);
        c.signal_shift_db += e.signal_shift_db;
        c.latency_factor *= e.latency_factor;
        c.latency_add_ms += e.latency_add_ms;
        break;
      case EventKind::latency_spike:
        c.latency_factor *= e.latency_factor;
        c.latency_add_ms += e.latency_add_ms;
        break;
      case EventKind::price_change:
        if (e.price_per_mb) c.price_per_mb = *e.price_per_mb;
        if (e.monthly_fee) c.monthly_fee = *e.monthly_fee;
        break;
      case EventKind::recovery:
        break;
    }
  }
  return c;
}

bool NetworkModel::covers(NetworkRef n, DeviceKey device) const {
  const double h = unit_interval(twin_hash(seed_, network_detail::kCoverage, network_detail::net_key(n), device));
  return h < entries_[n.entry].params.coverage;
}

bool NetworkModel::serves(NetworkRef n, DeviceKey device, SimTime t) const {
  const Entry& entry = entries_[n.entry];
  double coverage = entry.params.coverage;
  if (!entry.events.empty()) {
    const NetworkConditions c = conditions(n, t);
    if (c.outage) return false;
    coverage = c.coverage;
  }
  const double h = unit_interval(twin_hash(seed_, network_detail::kCoverage, network_detail::net_key(n), device));
  return h < coverage;
}

bool NetworkModel::attach(NetworkRef n, DeviceKey device, SimTime t, std::uint32_t attempt) const {
  if (!serves(n, device, t)) return false;
  const Entry& entry = entries_[n.entry];
  const double p = entry.events.empty() ? entry.params.attach_success : conditions(n, t).attach_success;
  const double h =
      unit_interval(twin_hash(seed_, network_detail::kAttach, network_detail::net_key(n), device, bucket(t), attempt));
  return h < p;
}

SignalSample NetworkModel::signal(NetworkRef n, DeviceKey device, SimTime t, std::uint32_t counter) const {
  using network_detail::standard_normal;
  const Entry& entry = entries_[n.entry];
  const double shift = entry.events.empty() ? 0.0 : conditions(n, t).signal_shift_db;
  const std::uint64_t key = network_detail::net_key(n), b = bucket(t);
  const auto& p = entry.params;
  SignalSample s;
  s.rsrp_dbm = std::clamp(
      p.rsrp.mean + p.rsrp.sd * standard_normal(twin_hash(seed_, network_detail::kRsrp, key, device, b, counter)) +
          shift,
      -140.0, -44.0);
  s.rsrq_db = std::clamp(
      p.rsrq.mean + p.rsrq.sd * standard_normal(twin_hash(seed_, network_detail::kRsrq, key, device, b, counter)),
      -20.0, -3.0);
  s.sinr_db = std::clamp(
      p.sinr.mean + p.sinr.sd * standard_normal(twin_hash(seed_, network_detail::kSinr, key, device, b, counter)) +
          shift,
      -10.0, 30.0);
  return s;
}

double NetworkModel::latency_ms(NetworkRef n, DeviceKey device, SimTime t, std::uint32_t counter) const {
  const Entry& entry = entries_[n.entry];
  const auto& l = entry.params.latency;
  const double mu = std::log(l.p50_ms);
  const double sigma = std::log(l.p95_ms / l.p50_ms) / network_detail::kZ95;
  const double z = network_detail::standard_normal(
      twin_hash(seed_, network_detail::kLatency, network_detail::net_key(n), device, bucket(t), counter));
  double v = std::exp(mu + sigma * z);
  if (!entry.events.empty()) {
    const NetworkConditions c = conditions(n, t);
    v = v * c.latency_factor + c.latency_add_ms;
  }
  return v;
}

domain::Money NetworkModel::price_per_mb(NetworkRef n, SimTime t) const {
  const Entry& entry = entries_[n.entry];
  return entry.events.empty() ? entry.params.price_per_mb : conditions(n, t).price_per_mb;
}

domain::Money NetworkModel::monthly_fee(NetworkRef n, SimTime t) const {
  const Entry& entry = entries_[n.entry];
  return entry.events.empty() ? entry.params.monthly_fee : conditions(n, t).monthly_fee;
}

SimTime NetworkModel::next_change(NetworkRef n, SimTime t) const {
  SimTime next = kNever;
  for (std::uint32_t i : entries_[n.entry].events) {
    const NetworkEvent& e = events_[i];
    if (e.start > t) next = std::min(next, e.start);
    if (e.end > t) next = std::min(next, e.end);
  }
  return next;
}

}  // namespace esimo::twin
