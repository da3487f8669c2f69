#include "api/engine_sync.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/log.hpp"
#include "engine/engine.hpp"
#include "policy/policy.hpp"

namespace esimo::api {

namespace engine_sync_detail {

// Carrier id -> its first home PLMN, looked up once per carrier.
class PlmnOf {
 public:
  PlmnOf(store::Store& store, domain::TenantId tenant) : store_(store), tenant_(tenant) {}
  std::optional<domain::Plmn> operator()(const std::string& carrier_id) {
    auto it = cache_.find(carrier_id);
    if (it == cache_.end()) {
      auto c = store_.get_carrier(tenant_, carrier_id);
      std::optional<domain::Plmn> plmn;
      if (c && !c->plmns.empty()) plmn = c->plmns.front();
      it = cache_.emplace(carrier_id, plmn).first;
    }
    return it->second;
  }

 private:
  store::Store& store_;
  domain::TenantId tenant_;
  std::map<std::string, std::optional<domain::Plmn>> cache_;
};

engine::DeviceInfo device_info(const store::DeviceRecord& rec, PlmnOf& plmn_of) {
  engine::DeviceInfo info;
  info.eid = rec.device.eid;
  for (const auto& p : rec.profiles) {
    engine::ProfileInfo pi;
    pi.iccid = p.iccid;
    pi.carrier_id = p.carrier_id;
    pi.plmn = plmn_of(p.carrier_id);
    pi.fallback = p.fallback;
    info.profiles.push_back(std::move(pi));
    if (p.state == domain::ProfileState::enabled && !rec.device.active_iccid) info.enabled = p.iccid;
  }
  if (rec.device.active_iccid) info.enabled = rec.device.active_iccid;
  const auto& tags = rec.device.tags;
  info.priority = std::find(tags.begin(), tags.end(), "critical") != tags.end() ? 3 : 1;
  info.group = rec.device.group;
  info.country = rec.device.country;
  info.fallback_supported = rec.device.sgp32_version == domain::Sgp32Version::v1_2;
  return info;
}

}  // namespace engine_sync_detail

Result<std::vector<domain::Carrier>> tenant_carriers(store::Store& store, domain::TenantId tenant) {
  std::vector<domain::Carrier> out;
  store::Page page;
  page.limit = 10000;  // the store's largest page
  for (;;) {
    ESIMO_TRY(auto p, store.list_carriers(tenant, {}, page));
    for (auto& c : p.items) out.push_back(std::move(c));
    if (!p.next_after) break;
    page.after = *p.next_after;
  }
  return out;
}

Status load_engine_policies(store::Store& store, domain::TenantId tenant, engine::Engine& engine) {
  ESIMO_TRY(auto catalog, tenant_carriers(store, tenant));
  policy::ParseOptions opts;
  opts.catalog = &catalog;
  engine::PolicySet set;
  store::Page page;
  page.limit = 1000;
  for (;;) {
    ESIMO_TRY(auto p, store.list_policies(tenant, page));
    for (const auto& r : p.items) {
      auto parsed = policy::parse_policy(r.document_json, opts);
      if (!parsed) {
        log::warn("stored policy no longer validates; skipped",
                  {{"tenant", static_cast<std::int64_t>(tenant)}, {"policy", r.id}, {"error", parsed.error().message}});
        continue;
      }
      policy::Policy doc = std::move(parsed).value();
      switch (doc.scope.kind) {
        case policy::ScopeKind::fleet: set.fleet = std::move(doc); break;
        case policy::ScopeKind::group: {
          std::string g = doc.scope.group;
          set.groups.insert_or_assign(std::move(g), std::move(doc));
          break;
        }
        case policy::ScopeKind::device:
          if (doc.scope.device) {
            domain::Eid eid = *doc.scope.device;
            set.devices.insert_or_assign(std::move(eid), std::move(doc));
          }
          break;
      }
    }
    if (!p.next_after) break;
    page.after = *p.next_after;
  }
  engine.set_policies(std::move(set));
  return {};
}

Status load_engine_device(store::Store& store, domain::TenantId tenant, const domain::Eid& eid, engine::Engine& engine) {
  auto rec = store.get_device(tenant, eid);
  if (!rec) {
    if (rec.error().code != Errc::not_found) return rec.error();
    engine.remove_device(eid);
    return {};
  }
  engine_sync_detail::PlmnOf plmn_of(store, tenant);
  engine.upsert_device(engine_sync_detail::device_info(*rec, plmn_of));
  return {};
}

store::OutageRecord outage_record(domain::TenantId tenant, const engine::Outage& outage, TimePoint now) {
  store::OutageRecord r;
  r.tenant_id = tenant;
  std::string stamp;
  for (char c : format_rfc3339(outage.declared_at)) {
    if (c != '-' && c != ':' && c != '.') stamp.push_back(c);
  }
  r.id = "out_" + outage.carrier_id + "_" + outage.country.str() + "_" + stamp;
  r.carrier_id = outage.carrier_id;
  r.country = outage.country;
  r.source = std::string(engine::to_string(outage.source));
  r.state = outage.cleared_at ? "resolved" : "active";
  r.detail = outage.evidence;
  if (outage.paused) r.detail += "; waves paused: " + outage.paused_reason;
  r.detail += "; " + std::to_string(outage.waves) + " waves, " + std::to_string(outage.submitted) + " switches sent, " +
              std::to_string(outage.confirmed) + " confirmed, " + std::to_string(outage.failed) + " failed, " +
              std::to_string(outage.returned_home) + " returned home";
  r.affected_devices = static_cast<std::int64_t>(outage.affected_devices);
  r.started_at = outage.declared_at;
  r.ended_at = outage.cleared_at;
  r.updated_at = now;
  return r;
}

Status load_engine(store::Store& store, domain::TenantId tenant, engine::Engine& engine, TimePoint now) {
  engine_sync_detail::PlmnOf plmn_of(store, tenant);
  std::set<std::string> carriers;
  store::Page page;
  page.limit = 1000;
  for (;;) {
    ESIMO_TRY(auto p, store.list_devices(tenant, {}, page));
    for (const auto& d : p.items) {
      ESIMO_TRY(auto rec, store.get_device(tenant, d.eid));
      for (const auto& prof : rec.profiles) carriers.insert(prof.carrier_id);
      engine.upsert_device(engine_sync_detail::device_info(rec, plmn_of));
    }
    if (!p.next_after) break;
    page.after = *p.next_after;
  }
  for (const auto& carrier : carriers) {
    ESIMO_TRY(auto cards, store.list_rate_cards(tenant, carrier));
    for (const auto& card : cards) {
      engine.set_tariff(engine::Tariff{card.carrier_id, card.country, card.monthly_fee, card.price_per_mb});
    }
  }
  ESIMO_TRY(auto statuses, store.list_carrier_status(tenant));
  for (const auto& s : statuses) {
    engine.set_carrier_status(s.carrier_id, s.countries, s.state, s.note, std::min(s.updated_at, now));
  }
  return load_engine_policies(store, tenant, engine);
}

}  // namespace esimo::api
