#pragma once
// A TOML scenario (twin/scenario.hpp) as the simulator's SimModel: the fleet from twin::FleetPlan, networks from
// twin::NetworkModel, compliance from the scenario's permanent-roaming rules. Country codes are twin::CountryKey,
// carrier indexes the catalog's (twin::CarrierIndex); identities are fleet_gen's device_eid / profile_iccid.
// Immutable after load; not movable (the plan keeps pointers to the scenario and catalog it owns).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "base/result.hpp"
#include "twin/fleet_gen.hpp"
#include "twin/network.hpp"
#include "twin/scenario.hpp"
#include "twin/sim/sim_model.hpp"

namespace esimo::twin::sim {

struct ScenarioLoad {
  std::filesystem::path file;
  std::optional<std::uint64_t> seed;     // --seed (else the scenario's)
  std::optional<std::uint64_t> devices;  // --devices (else the scenario's)
  std::filesystem::path service_providers_xml = std::string(CarrierCatalog::kDefaultServiceProvidersXml);
};

class ScenarioModel final : public SimModel {
 public:
  static Result<std::unique_ptr<ScenarioModel>> load(const ScenarioLoad& request);
  // From a scenario and catalog already loaded (tests, demo).
  static Result<std::unique_ptr<ScenarioModel>> make(Scenario scenario, CarrierCatalog catalog, std::uint64_t seed,
                                                     std::uint64_t devices);
  ScenarioModel(const ScenarioModel&) = delete;
  ScenarioModel& operator=(const ScenarioModel&) = delete;

  const Scenario& scenario() const { return scenario_; }
  std::uint64_t seed() const { return seed_; }

  std::size_t device_count() const override { return static_cast<std::size_t>(plan_->size()); }
  SimDeviceSpec device(std::size_t index) const override;
  const std::vector<SimCarrier>& carriers() const override { return carriers_; }
  std::string country_name(std::uint16_t country) const override;
  std::string currency() const override;
  domain::Eid eid(std::size_t index) const override;
  domain::Iccid iccid(std::size_t index, std::uint8_t slot) const override;
  TimePoint start() const override { return scenario_.start; }
  Duration duration() const override { return scenario_.duration; }
  std::uint16_t country_at(std::size_t device, TimePoint t) const override;
  NetworkSample network(std::size_t device, std::uint16_t carrier, std::uint16_t country, TimePoint t,
                        std::uint32_t draw) const override;
  std::vector<TimePoint> change_points() const override;
  std::vector<TimePoint> outage_onsets() const override;
  std::optional<Duration> roaming_limit(std::uint16_t carrier, std::uint16_t country, TimePoint t) const override;

 private:
  ScenarioModel() = default;
  Scenario scenario_;
  CarrierCatalog catalog_;
  std::uint64_t seed_ = 0;
  std::optional<NetworkModel> network_;
  std::optional<FleetPlan> plan_;
  std::vector<SimCarrier> carriers_;
};

}  // namespace esimo::twin::sim
