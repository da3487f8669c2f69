// Fleet generation: compact device specs drawn from a scenario (see fleet_gen.hpp).
#include "twin/fleet_gen.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "twin/network.hpp"

namespace esimo::twin {
namespace fleet_gen_detail {

enum Stream : std::uint64_t {
  kCountry = 0x666374,  // streams of fleet generation, distinct from the network model's
  kProfileCount = 0x66706e,
  kProfileCountry = 0x667063,
  kCarrier = 0x666361,
  kEnabled = 0x666565,
  kUsage = 0x667573,
  kRoute = 0x667274,
  kPosition = 0x667073,
};

template <class T>
std::vector<std::pair<CountryKey, double>> cumulative(const std::vector<std::pair<domain::CountryCode, T>>& w) {
  std::vector<std::pair<CountryKey, double>> out;
  double total = 0;
  for (const auto& [c, weight] : w) total += weight;
  double acc = 0;
  for (const auto& [c, weight] : w) {
    acc += weight / total;
    out.emplace_back(country_key(c), acc);
  }
  if (!out.empty()) out.back().second = 1.0;
  return out;
}

CountryKey pick(const std::vector<std::pair<CountryKey, double>>& cum, double u) {
  for (const auto& [c, acc] : cum) {
    if (u < acc) return c;
  }
  return cum.back().first;
}

}  // namespace fleet_gen_detail

Result<FleetPlan> FleetPlan::make(const Scenario& scenario, const CarrierCatalog& catalog, std::uint64_t seed,
                                  std::uint64_t devices) {
  if (devices == 0 || devices > 0xFFFFFFFFULL) {
    return Error(Errc::invalid_argument, "fleet size must be 1..4294967295 devices, got " + std::to_string(devices));
  }
  if (scenario.fleet.groups.empty()) return Error(Errc::invalid_argument, scenario.source + ": the fleet has no group");
  FleetPlan plan;
  plan.scenario_ = &scenario;
  plan.catalog_ = &catalog;
  plan.seed_ = seed;
  plan.devices_ = devices;

  // Exact group sizes: largest remainder over the normalised shares, ties to the earlier group.
  double total = 0;
  for (const auto& g : scenario.fleet.groups) total += g.share;
  const std::size_t ng = scenario.fleet.groups.size();
  std::vector<std::uint64_t> counts(ng);
  std::vector<std::pair<double, std::size_t>> remainders;
  std::uint64_t assigned = 0;
  for (std::size_t i = 0; i < ng; ++i) {
    const double exact = static_cast<double>(devices) * scenario.fleet.groups[i].share / total;
    counts[i] = static_cast<std::uint64_t>(std::floor(exact));
    assigned += counts[i];
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; assigned < devices; k = (k + 1) % ng, ++assigned) ++counts[remainders[k].second];
  plan.group_begin_.push_back(0);
  for (std::size_t i = 0; i < ng; ++i) {
    plan.group_begin_.push_back(plan.group_begin_.back() + static_cast<std::uint32_t>(counts[i]));
  }

  for (const auto& gc : scenario.fleet.groups) {
    Group g;
    g.countries = fleet_gen_detail::cumulative(gc.countries);
    g.profile_countries = fleet_gen_detail::cumulative(gc.profile_countries);
    g.enabled_carriers = gc.enabled_carriers;
    std::vector<domain::CountryCode> pool_countries;
    for (const auto& [c, w] : gc.countries) pool_countries.push_back(c);
    for (const auto& [c, w] : gc.profile_countries) pool_countries.push_back(c);
    for (const auto& c : pool_countries) {
      const CountryKey key = country_key(c);
      if (std::any_of(g.pools.begin(), g.pools.end(), [&](const Pool& p) { return p.country == key; })) continue;
      Pool p;
      p.country = key;
      for (CarrierIndex ci : catalog.in_country(c)) {
        if (!gc.carriers.empty() && std::find(gc.carriers.begin(), gc.carriers.end(), ci) == gc.carriers.end())
          continue;
        p.carriers.push_back(ci);
      }
      g.pools.push_back(std::move(p));
    }
    if (gc.trajectory) {
      std::vector<const TrajectoryStop*> stops;
      for (const auto& s : gc.trajectory->stops) stops.push_back(&s);
      if (gc.trajectory->return_route) {
        for (std::size_t i = gc.trajectory->stops.size() - 1; i-- > 1;) stops.push_back(&gc.trajectory->stops[i]);
      }
      std::int64_t at = 0;
      for (const auto* s : stops) {
        g.route.push_back(Stop{country_key(s->country), at, s->lat, s->lon});
        at += s->dwell.count();
      }
      g.cycle_us = at;
    }
    plan.groups_.push_back(std::move(g));
  }
  return plan;
}

const FleetPlan::Pool* FleetPlan::pool(const Group& g, CountryKey country) const {
  for (const auto& p : g.pools) {
    if (p.country == country) return &p;
  }
  return nullptr;
}

bool FleetPlan::has_trajectory(std::uint16_t group) const { return !groups_[group].route.empty(); }

std::uint16_t FleetPlan::group_of(std::uint32_t index) const {
  const auto it = std::upper_bound(group_begin_.begin(), group_begin_.end(), index);
  return static_cast<std::uint16_t>(std::min<std::size_t>(it - group_begin_.begin() - 1, groups_.size() - 1));
}

// Where the device is: its country, route phase and static point (the part of the spec position_at needs).
void FleetPlan::place(DeviceSpec& d) const {
  const std::uint32_t index = d.index;
  const Group& g = groups_[d.group];
  const GroupConfig& gc = scenario_->fleet.groups[d.group];
  d.country = g.route.empty() ? fleet_gen_detail::pick(
                                    g.countries, unit_interval(twin_hash(seed_, fleet_gen_detail::kCountry, index)))
                              : g.route[0].country;
  if (!g.route.empty()) {
    d.route_offset_s =
        static_cast<std::uint32_t>(twin_hash(seed_, fleet_gen_detail::kRoute, index) %
                                   static_cast<std::uint64_t>(std::max<std::int64_t>(1, g.cycle_us / 1000000)));
  } else if (gc.lat && gc.lon) {
    // Uniform in a disc of radius_km (small-distance approximation).
    const double r = gc.radius_km * std::sqrt(unit_interval(twin_hash(seed_, fleet_gen_detail::kPosition, index, 0)));
    const double theta = 2 * std::numbers::pi * unit_interval(twin_hash(seed_, fleet_gen_detail::kPosition, index, 1));
    const double lat = std::clamp(*gc.lat + r / 111.32 * std::cos(theta), -90.0, 90.0);
    const double coslat = std::max(0.01, std::cos(*gc.lat * std::numbers::pi / 180));
    double lon = *gc.lon + r / (111.32 * coslat) * std::sin(theta);
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    d.lat_e6 = static_cast<std::int32_t>(std::llround(lat * 1e6));
    d.lon_e6 = static_cast<std::int32_t>(std::llround(lon * 1e6));
  }
}

DevicePosition FleetPlan::position_at(std::uint32_t index, SimTime t) const {
  DeviceSpec d;
  d.index = index;
  d.group = group_of(index);
  place(d);
  return position_at(d, t);
}

DeviceSpec FleetPlan::device(std::uint32_t index) const {
  DeviceSpec d;
  d.index = index;
  d.group = group_of(index);
  const Group& g = groups_[d.group];
  const GroupConfig& gc = scenario_->fleet.groups[d.group];
  place(d);

  // Profiles: distinct home PLMNs (a fallback on the same network is no fallback).
  const unsigned span = gc.profiles_max - gc.profiles_min + 1;
  unsigned want =
      gc.profiles_min + static_cast<unsigned>(twin_hash(seed_, fleet_gen_detail::kProfileCount, index) % span);
  const unsigned local = gc.local_profiles;
  std::array<PlmnKey, kMaxProfiles> used{};
  unsigned n = 0;
  auto take = [&](const Pool* p, std::uint64_t h, const std::vector<CarrierIndex>* prefer) -> bool {
    if (p == nullptr) return false;
    CarrierIndex candidates[256];
    unsigned count = 0;
    for (CarrierIndex c : p->carriers) {
      const PlmnKey plmn = catalog_->home_plmn(c);
      if (std::find(used.begin(), used.begin() + n, plmn) != used.begin() + n) continue;
      if (prefer != nullptr && std::find(prefer->begin(), prefer->end(), c) == prefer->end()) continue;
      if (count < 256) candidates[count++] = c;
    }
    if (count == 0) return false;
    const CarrierIndex c = candidates[h % count];
    d.carriers[n] = c;
    used[n] = catalog_->home_plmn(c);
    ++n;
    return true;
  };
  const unsigned foreign = want - std::min(want, local);
  for (unsigned slot = 0; slot < foreign; ++slot) {
    const CountryKey from =
        g.profile_countries.empty()
            ? d.country
            : fleet_gen_detail::pick(g.profile_countries,
                                     unit_interval(twin_hash(seed_, fleet_gen_detail::kProfileCountry, index, slot)));
    const std::uint64_t h = twin_hash(seed_, fleet_gen_detail::kCarrier, index, slot);
    bool ok = false;
    if (slot == 0 && !g.enabled_carriers.empty())
      ok = take(pool(g, from), twin_hash(seed_, fleet_gen_detail::kEnabled, index), &g.enabled_carriers);
    if (!ok) ok = take(pool(g, from), h, nullptr);
    // That country's networks are all used: any other profile country, in order.
    for (std::size_t k = 0; !ok && k < g.profile_countries.size(); ++k) {
      ok = take(pool(g, g.profile_countries[k].first), h, nullptr);
    }
  }
  for (unsigned slot = 0; slot < local; ++slot)
    take(pool(g, d.country), twin_hash(seed_, fleet_gen_detail::kCarrier, index, 16 + slot), nullptr);
  d.profile_count = static_cast<std::uint8_t>(n);
  d.enabled = 0;
  d.fallback = (gc.fallback && n >= 2) ? 1 : kNoSlot;
  d.priority = gc.priority;
  d.poll_interval_s = static_cast<std::uint32_t>(
      std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(gc.poll_interval).count()));
  const double usage_factor = 0.5 + unit_interval(twin_hash(seed_, fleet_gen_detail::kUsage, index));
  d.usage_kb_per_day = static_cast<std::uint32_t>(std::llround(gc.usage_mb_per_day * 1000.0 * usage_factor));
  return d;
}

std::vector<DeviceSpec> FleetPlan::generate() const {
  std::vector<DeviceSpec> out;
  out.reserve(devices_);
  for (std::uint64_t i = 0; i < devices_; ++i) out.push_back(device(static_cast<std::uint32_t>(i)));
  return out;
}

DevicePosition FleetPlan::position_at(const DeviceSpec& d, SimTime t) const {
  DevicePosition p;
  const Group& g = groups_[d.group];
  if (g.route.empty()) {
    p.country = d.country;
    if (d.lat_e6 != kNoCoordinate) {
      p.lat = d.lat_e6 / 1e6;
      p.lon = d.lon_e6 / 1e6;
    }
    return p;
  }
  const std::int64_t now = t.count() + static_cast<std::int64_t>(d.route_offset_s) * 1'000'000;
  std::int64_t phase = now % g.cycle_us;
  if (phase < 0) phase += g.cycle_us;
  const auto it = std::upper_bound(g.route.begin(), g.route.end(), phase,
                                   [](std::int64_t v, const Stop& s) { return v < s.begin_us; });
  const Stop& stop = *(it - 1);
  const std::int64_t next_begin = it == g.route.end() ? g.cycle_us : it->begin_us;
  p.country = stop.country;
  p.lat = stop.lat;
  p.lon = stop.lon;
  p.until = t + SimTime(next_begin - phase);
  return p;
}

domain::Eid device_eid(std::uint64_t index) {
  char buf[31];
  std::snprintf(buf, sizeof buf, "8904903200%020llu", static_cast<unsigned long long>(index));
  auto eid = domain::Eid::from_prefix30(std::string_view(buf, 30));
  assert(eid.ok());
  return *eid;
}

domain::Iccid profile_iccid(const CarrierCatalog& catalog, const DeviceSpec& device, unsigned slot) {
  const CarrierIndex c = device.carriers[slot];
  const unsigned mcc = c == kNoCarrier ? 999 : catalog.carrier(c).plmns.front().mcc_value();
  char buf[20];
  std::snprintf(buf, sizeof buf, "89%03u%01u%012llu", mcc % 1000, slot % 10,
                static_cast<unsigned long long>(device.index));
  auto iccid = domain::Iccid::from_payload(std::string_view(buf, 18));
  assert(iccid.ok());
  return *iccid;
}

}  // namespace esimo::twin
