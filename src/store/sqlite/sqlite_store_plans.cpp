// SqliteStore: durable failover plans (issue 6; docs/engine.md "Failover plan"). One row per outage: the plan is the
// engine's compact encoding (opaque here), written in one transaction of the writer, so it is fsynced (synchronous=FULL
// by default) before put_failover_plan returns.
#include <string>

#include "store/sqlite/sqlite_store_impl.hpp"

namespace esimo::store::sqlite {

namespace plans_store_detail {
constexpr std::string_view kPlanColumns =
    "tenant_id, outage_id, carrier_id, country, devices, waves, released, plan, created_at, updated_at";

Result<FailoverPlanRecord> plan_from_row(const Stmt& s) {
  FailoverPlanRecord p;
  p.tenant_id = s.int64(0);
  p.outage_id = s.text(1);
  p.carrier_id = s.text(2);
  const std::string country = s.text(3);
  auto cc = domain::CountryCode::parse(country);
  if (!cc) return Error(Errc::internal, "corrupt stored country of failover plan " + p.outage_id + ": " + country);
  p.country = *cc;
  p.devices = s.int64(4);
  p.waves = s.int64(5);
  p.released = s.int64(6);
  p.plan = s.blob(7);
  p.created_at = s.time(8);
  p.updated_at = s.time(9);
  return p;
}
}  // namespace plans_store_detail

Status SqliteStore::put_failover_plan(const FailoverPlanRecord& plan) {
  ESIMO_STORE_OP("put_failover_plan");
  if (plan.outage_id.empty()) return Error(Errc::invalid_argument, "failover plan without an outage id", "outage_id");
  if (plan.devices < 0 || plan.waves < 0 || plan.released < 0 || plan.released > plan.devices) {
    return Error(Errc::invalid_argument,
                 "failover plan " + plan.outage_id + ": devices, waves and released must be >= 0, released <= devices",
                 "devices");
  }
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(require_tenant(db, plan.tenant_id));
    ESIMO_TRY(bool exists, row_exists(db, "SELECT 1 FROM failover_plans WHERE tenant_id = ? AND outage_id = ?",
                                      plan.tenant_id, plan.outage_id));
    if (exists) {
      return Error(Errc::already_exists, "outage " + plan.outage_id + " already has a failover plan", "outage_id");
    }
    ESIMO_TRY(Stmt * s, db.prepare("INSERT INTO failover_plans (" + std::string(plans_store_detail::kPlanColumns) +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s->bind(1, plan.tenant_id)
        .bind(2, plan.outage_id)
        .bind(3, plan.carrier_id)
        .bind(4, plan.country.str())
        .bind(5, plan.devices)
        .bind(6, plan.waves)
        .bind(7, plan.released)
        .bind_blob(8, plan.plan)
        .bind(9, plan.created_at)
        .bind(10, plan.updated_at);
    return s->run("insert failover plan " + plan.outage_id);
  });
}

Result<FailoverPlanRecord> SqliteStore::get_failover_plan(TenantId tenant, std::string_view outage_id) {
  ESIMO_STORE_OP("get_failover_plan");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(plans_store_detail::kPlanColumns) +
                                  " FROM failover_plans WHERE tenant_id = ? AND outage_id = ?"));
  s->bind(1, tenant).bind(2, outage_id);
  ESIMO_TRY(bool row, s->step("get failover plan"));
  if (!row) return Error(Errc::not_found, "no failover plan for outage " + std::string(outage_id));
  auto p = plans_store_detail::plan_from_row(*s);
  s->reset();
  return p;
}

Status SqliteStore::set_failover_plan_released(TenantId tenant, std::string_view outage_id, std::int64_t released,
                                               TimePoint at) {
  ESIMO_STORE_OP("set_failover_plan_released");
  const std::string key = "failover plan " + std::string(outage_id);
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * q, db.prepare("SELECT released, devices FROM failover_plans WHERE tenant_id = ? AND outage_id = ?"));
    q->bind(1, tenant).bind(2, outage_id);
    ESIMO_TRY(bool row, q->step("lookup " + key));
    const std::int64_t current = row ? q->int64(0) : 0;
    const std::int64_t devices = row ? q->int64(1) : 0;
    q->reset();
    if (!row) return Error(Errc::not_found, key + " not found");
    if (released < current || released > devices) {
      return Error(Errc::conflict,
                   key + ": released " + std::to_string(released) + " is outside " + std::to_string(current) + " .. " +
                       std::to_string(devices),
                   "released");
    }
    ESIMO_TRY(Stmt * u, db.prepare("UPDATE failover_plans SET released = ?, updated_at = ? WHERE tenant_id = ? AND "
                                   "outage_id = ?"));
    return u->bind(1, released).bind(2, at).bind(3, tenant).bind(4, outage_id).run("update " + key);
  });
}

}  // namespace esimo::store::sqlite
