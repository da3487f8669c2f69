#include "twin/sim/sim_scenario_model.hpp"

#include <algorithm>
#include <cmath>

namespace esimo::twin::sim {

Result<std::unique_ptr<ScenarioModel>> ScenarioModel::load(const ScenarioLoad& request) {
  ESIMO_TRY(CarrierCatalog catalog, CarrierCatalog::load(request.service_providers_xml));
  ESIMO_TRY(Scenario scenario, load_scenario(request.file, catalog));
  const std::uint64_t seed = request.seed.value_or(scenario.seed);
  const std::uint64_t devices = request.devices.value_or(scenario.fleet.devices);
  return make(std::move(scenario), std::move(catalog), seed, devices);
}

Result<std::unique_ptr<ScenarioModel>> ScenarioModel::make(Scenario scenario, CarrierCatalog catalog,
                                                           std::uint64_t seed, std::uint64_t devices) {
  if (devices == 0 || devices > 0xFFFFFFFFULL) {
    return Error(Errc::invalid_argument, "devices: between 1 and 4294967295", "--devices");
  }
  std::unique_ptr<ScenarioModel> m(new ScenarioModel());
  m->scenario_ = std::move(scenario);
  m->catalog_ = std::move(catalog);
  m->seed_ = seed;
  m->network_.emplace(m->scenario_, m->catalog_, seed);
  ESIMO_TRY(FleetPlan plan, FleetPlan::make(m->scenario_, m->catalog_, seed, devices));
  m->plan_.emplace(std::move(plan));
  m->carriers_.reserve(m->catalog_.size());
  for (CarrierIndex c = 0; c < m->catalog_.size(); ++c) {
    m->carriers_.push_back(SimCarrier{m->catalog_.carrier(c).id, plmn_of_key(m->catalog_.home_plmn(c))});
  }
  return m;
}

SimDeviceSpec ScenarioModel::device(std::size_t index) const {
  const DeviceSpec d = plan_->device(static_cast<std::uint32_t>(index));
  SimDeviceSpec s;
  s.home_country = d.country;
  s.profile_count = d.profile_count;
  s.enabled = d.enabled;
  for (std::uint8_t k = 0; k < d.profile_count && k < s.profiles.size(); ++k) {
    s.profiles[k].carrier = d.carriers[k];
    s.profiles[k].fallback = d.fallback == k;
  }
  s.poll_interval_s = d.poll_interval_s;
  s.usage_kb_per_day = d.usage_kb_per_day;
  const auto& group = scenario_.fleet.groups.at(d.group);
  s.fallback_after_s = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(group.fallback_after).count());
  s.priority = d.priority;
  s.mobile = plan_->has_trajectory(d.group);
  return s;
}

std::string ScenarioModel::country_name(std::uint16_t country) const { return country_of_key(country).str(); }

std::string ScenarioModel::currency() const { return scenario_.networks.defaults.price_per_mb.currency.str(); }

domain::Eid ScenarioModel::eid(std::size_t index) const { return device_eid(index); }

domain::Iccid ScenarioModel::iccid(std::size_t index, std::uint8_t slot) const {
  return profile_iccid(catalog_, plan_->device(static_cast<std::uint32_t>(index)), slot);
}

std::uint16_t ScenarioModel::country_at(std::size_t device, TimePoint t) const {
  const DeviceSpec d = plan_->device(static_cast<std::uint32_t>(device));
  return plan_->position_at(d, t - scenario_.start).country;
}

NetworkSample ScenarioModel::network(std::size_t device, std::uint16_t carrier, std::uint16_t country, TimePoint t,
                                     std::uint32_t draw) const {
  const NetworkRef ref = network_->resolve_carrier(carrier, country);
  const SimTime st = t - scenario_.start;
  NetworkSample s;
  s.serves = network_->serves(ref, device, st);
  s.attach_ok = s.serves && network_->attach(ref, device, st, draw);
  if (s.serves) {
    const SignalSample sig = network_->signal(ref, device, st, draw);
    s.rsrp_dbm = static_cast<std::int16_t>(std::lround(sig.rsrp_dbm));
    s.rsrq_db = static_cast<std::int16_t>(std::lround(sig.rsrq_db));
    s.sinr_db = static_cast<std::int16_t>(std::lround(sig.sinr_db));
    s.latency_ms = static_cast<std::int32_t>(std::lround(network_->latency_ms(ref, device, st, draw)));
  }
  s.price_micros_per_mb = network_->price_per_mb(ref, st).micros;
  s.monthly_fee_micros = network_->monthly_fee(ref, st).micros;
  return s;
}

std::vector<TimePoint> ScenarioModel::change_points() const {
  std::vector<TimePoint> out;
  for (SimTime t : network_->change_times()) out.push_back(scenario_.start + t);
  return out;
}

std::vector<TimePoint> ScenarioModel::outage_onsets() const {
  std::vector<TimePoint> out;
  for (const auto& e : scenario_.events) {
    if (e.kind == EventKind::outage || e.kind == EventKind::degradation) out.push_back(scenario_.start + e.start);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<Duration> ScenarioModel::roaming_limit(std::uint16_t carrier, std::uint16_t country, TimePoint t) const {
  if (scenario_.compliance.empty()) return std::nullopt;
  const domain::CountryCode code = country_of_key(country);
  for (const auto& rule : scenario_.compliance) {
    if (rule.country != code) continue;
    if (catalog_.is_home(carrier, code)) return std::nullopt;
    if (rule.deadline && t - scenario_.start >= *rule.deadline) return Duration(0);
    if (rule.max_roaming) return *rule.max_roaming;
  }
  return std::nullopt;
}

}  // namespace esimo::twin::sim
