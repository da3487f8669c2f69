#include "twin/sim/sim_engine.hpp"

#include "eim/eim_service.hpp"
#include "store/store.hpp"

namespace esimo::twin::sim {

engine::EngineConfig SimEngineOptions::default_twin_engine_config() {
  engine::EngineConfig c;
  c.health_window = std::chrono::seconds(90);
  c.min_population = 24;
  c.canary_share = 0.02;
  c.canary_min = 2;
  c.canary_success = 0.5;
  c.ops_per_second = 20;
  c.recovery_hold = std::chrono::minutes(30);
  c.return_home_after = std::chrono::hours(1);
  return c;
}

std::string switch_cause(const std::string& reason) {
  if (reason.find(", return home:") != std::string::npos) return "return-home";
  const auto at = reason.find(", rule ");
  if (at == std::string::npos) return "";
  const auto from = at + 7;
  const auto end = reason.find(':', from);
  return reason.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

SimEngine::SimEngine(const SimModel& model, SimEngineOptions options)
    : model_(model), options_(std::move(options)), engine_(std::make_unique<engine::Engine>(options_.config, *this)) {
  if (options_.policies) engine_->set_policies(*options_.policies);
  registered_.assign(model_.device_count(), false);
  country_.assign(model_.device_count(), 0xFFFF);
  for (std::size_t i = 0; i < model_.carriers().size(); ++i) {
    carrier_index_.emplace(model_.carriers()[i].id, static_cast<std::uint16_t>(i));
  }
}

SimEngine::~SimEngine() = default;

void SimEngine::start(OrchestratorContext& ctx) { ctx_ = &ctx; }

void SimEngine::tariff(std::uint32_t device, std::uint16_t carrier, std::uint16_t country, TimePoint t) {
  auto cc = domain::CountryCode::parse(model_.country_name(country));
  auto cur = domain::Currency::parse(model_.currency());
  if (!cc || !cur) return;
  const NetworkSample ns = model_.network(device, carrier, country, t, 0);
  engine::Tariff tf;
  tf.carrier_id = model_.carriers()[carrier].id;
  tf.country = *cc;
  tf.monthly_fee = domain::Money{ns.monthly_fee_micros, *cur};
  tf.price_per_mb = domain::Money{ns.price_micros_per_mb, *cur};
  engine_->set_tariff(tf);
}

void SimEngine::tariffs_in(std::uint32_t device, std::uint16_t country) {
  const SimDeviceSpec spec = model_.device(device);
  for (std::uint8_t slot = 0; slot < spec.profile_count; ++slot) {
    const auto key = std::make_pair(spec.profiles[slot].carrier, country);
    if (tariffs_.count(key)) continue;
    tariffs_.emplace(key, device);
    tariff(device, spec.profiles[slot].carrier, country, ctx_ ? ctx_->now() : model_.start());
  }
}

void SimEngine::register_device(std::uint32_t device, std::uint16_t country) {
  const SimDeviceSpec spec = model_.device(device);
  engine::DeviceInfo info;
  info.eid = model_.eid(device);
  info.priority = spec.priority;
  if (auto cc = domain::CountryCode::parse(model_.country_name(country))) info.country = *cc;
  for (std::uint8_t slot = 0; slot < spec.profile_count; ++slot) {
    engine::ProfileInfo p;
    p.iccid = model_.iccid(device, slot);
    p.carrier_id = model_.carriers()[spec.profiles[slot].carrier].id;
    p.plmn = model_.carriers()[spec.profiles[slot].carrier].plmn;  // its MCC is the profile's home country
    p.fallback = spec.profiles[slot].fallback;
    info.profiles.push_back(std::move(p));
  }
  info.enabled = model_.iccid(device, spec.enabled);
  engine_->upsert_device(std::move(info));
  registered_[device] = true;
}

void SimEngine::telemetry(const TelemetryRecord& r, OrchestratorContext& ctx) {
  ctx_ = &ctx;
  if (r.device >= registered_.size()) return;
  const std::string country = model_.country_name(r.country);
  if (!country_index_.count(country)) country_index_.emplace(country, r.country);
  if (!registered_[r.device]) register_device(r.device, r.country);
  if (country_[r.device] != r.country) {
    country_[r.device] = r.country;
    tariffs_in(r.device, r.country);
  }
  engine::TelemetryRecord e{model_.eid(r.device)};
  e.time = r.time;
  e.attached = r.attached;
  e.serving_plmn = r.serving_plmn;
  if (r.attached) {
    e.rsrp_dbm = r.rsrp_dbm;
    e.rsrq_db = r.rsrq_db;
    e.sinr_db = r.sinr_db;
    e.latency_ms = r.latency_ms;
  }
  e.bytes_up = r.bytes_up;
  e.bytes_down = r.bytes_down;
  if (auto cc = domain::CountryCode::parse(country)) e.country = *cc;
  e.enabled_iccid = model_.iccid(r.device, r.slot);
  (void)engine_->ingest(e);
}

void SimEngine::tick(OrchestratorContext& ctx) {
  ctx_ = &ctx;
  for (const auto& [key, device] : tariffs_) tariff(device, key.first, key.second, ctx.now());
  if (options_.store != nullptr) {
    std::size_t keep = 0;
    for (std::size_t i = 0; i < submitted_.size(); ++i) {
      auto op = options_.store->get_operation(ctx.tenant(), submitted_[i].operation_id);
      bool done = false;
      if (op) {
        using S = domain::OperationState;
        if (op->state == S::succeeded) {
          // The eIM records the enable as succeeded from its result, even when the device then rolled back (the
          // rollback result and the disable/enable notifications follow): the profile's state as the eIM last saw it
          // says whether the device stayed. A profile that is disabled again did not serve the device.
          auto prof = options_.store->get_profile(ctx.tenant(), submitted_[i].iccid);
          const bool stayed = !prof || prof->state == domain::ProfileState::enabled;
          engine_->operation_result(submitted_[i].eid, submitted_[i].iccid, stayed, ctx.now());
          done = true;
        } else if (op->state == S::failed || op->state == S::expired || op->state == S::cancelled) {
          engine_->operation_result(submitted_[i].eid, submitted_[i].iccid, false, ctx.now());
          done = true;
        }
      } else {
        done = true;
      }
      if (!done) {
        if (keep != i) submitted_[keep] = std::move(submitted_[i]);
        ++keep;
      }
    }
    submitted_.erase(submitted_.begin() + static_cast<std::ptrdiff_t>(keep), submitted_.end());
  }
  engine_->tick(ctx.now());
}

Status SimEngine::submit_switch(const domain::Eid& eid, const domain::Iccid& target, bool rollback,
                                const std::string& reason) {
  if (ctx_ == nullptr) return Error(Errc::failed_precondition, "not started");
  eim::SubmitOptions so;
  so.reason = reason;
  auto op = ctx_->eim().submit(ctx_->tenant(), eid, eim::OpEnable{target, rollback}, so);
  if (!op) {
    ++counters_.refused;
    return op.error();
  }
  ++counters_.switches;
  const std::string cause = switch_cause(reason);
  ++counters_.switches_by_rule[cause];
  counters_.first_reason.try_emplace(cause, reason);
  if (options_.store != nullptr) submitted_.push_back(Submitted{op->id, eid, target});
  return ok_status();
}

Status SimEngine::set_fallback(const domain::Eid& eid, const domain::Iccid& target, const std::string& reason) {
  if (ctx_ == nullptr) return Error(Errc::failed_precondition, "not started");
  eim::SubmitOptions so;
  so.reason = reason;
  auto op = ctx_->eim().submit(ctx_->tenant(), eid, eim::OpSetFallback{target}, so);
  if (!op) {
    ++counters_.refused;
    return op.error();
  }
  ++counters_.fallbacks;
  return ok_status();
}

Status SimEngine::unset_fallback(const domain::Eid& eid, const std::string& reason) {
  if (ctx_ == nullptr) return Error(Errc::failed_precondition, "not started");
  eim::SubmitOptions so;
  so.reason = reason;
  auto op = ctx_->eim().submit(ctx_->tenant(), eid, eim::OpUnsetFallback{}, so);
  if (!op) {
    ++counters_.refused;
    return op.error();
  }
  ++counters_.fallbacks;
  return ok_status();
}

std::string SimEngine::summary() const {
  std::string out = "  engine policy           " +
                    (options_.policies && options_.policies->fleet ? options_.policies->fleet->name
                                                                   : engine::default_fleet_policy().name) +
                    "\n";
  out += "  engine switches         " + std::to_string(counters_.switches);
  std::string by;
  for (const auto& [cause, n] : counters_.switches_by_rule) {
    by += (by.empty() ? "" : ", ") + (cause.empty() ? std::string("other") : cause) + " " + std::to_string(n);
  }
  if (!by.empty()) out += " (" + by + ")";
  out += "; fallback settings " + std::to_string(counters_.fallbacks) + ", alerts " + std::to_string(counters_.alerts) +
         ", refused " + std::to_string(counters_.refused) + "\n";
  for (const auto& [cause, reason] : counters_.first_reason) {
    out += "    first " + (cause.empty() ? std::string("other") : cause) + ": " + reason + "\n";
  }
  const auto outages = engine_->outages();
  out += "  engine outages          " + std::to_string(outages.size()) + "\n";
  for (const auto& o : outages) {
    out += "    " + o.id + " " + std::string(domain::to_string(o.state)) + " (" + std::string(engine::to_string(o.source)) +
           "): " + o.evidence + "; affected " + std::to_string(o.affected_devices) + ", moved " +
           std::to_string(o.confirmed) + (o.cleared_at ? ", cleared " + format_rfc3339(*o.cleared_at) : "") + "\n";
  }
  return out;
}

void SimEngine::alert(const domain::Eid& eid, const std::string& text, const std::string& reason) {
  (void)eid;
  (void)text;
  (void)reason;
  ++counters_.alerts;
}

void SimEngine::outage_changed(const engine::Outage& outage) {
  if (ctx_ == nullptr || outage.cleared_at || outage.waves > 0 || outage.paused) return;
  auto c = carrier_index_.find(outage.carrier_id);
  auto k = country_index_.find(outage.country.str());
  if (c == carrier_index_.end() || k == country_index_.end()) return;
  ++counters_.outages;
  ctx_->declare_outage(c->second, k->second);
}

}  // namespace esimo::twin::sim
