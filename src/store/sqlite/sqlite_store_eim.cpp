// eIM state on SQLite: per-eUICC counters and keys, every package sent, package recording (SGP.32
// §2.11.1.1: counterValue and eimTransactionId are durable before a package leaves).
#include <cstdint>
#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace esimo::store::sqlite {

namespace eim_store_detail {

constexpr std::string_view kStateColumns =
    "tenant_id, eid, eim_id, counter_value, association_token, euicc_certificate, eum_certificate, emulated, updated_at, "
    "notification_seq";

Result<EuiccEimState> state_from_row(const Stmt& s) {
  EuiccEimState st;
  st.tenant_id = s.int64(0);
  auto eid = domain::Eid::parse(s.text(1));
  if (!eid) return Error(Errc::internal, "corrupt stored EID in euicc_eim_state: " + s.text(1));
  st.eid = *eid;
  st.eim_id = s.text(2);
  st.counter_value = static_cast<std::uint64_t>(s.int64(3));
  if (!s.is_null(4)) st.association_token = s.int64(4);
  auto euicc = from_hex(s.text(5));
  auto eum = from_hex(s.text(6));
  if (!euicc || !eum) return Error(Errc::internal, "corrupt stored certificate of eUICC " + st.eid.str());
  st.euicc_certificate_der = std::move(*euicc);
  st.eum_certificate_der = std::move(*eum);
  st.emulated = s.int64(7) != 0;
  st.updated_at = s.time(8);
  if (!s.is_null(9)) st.notification_seq = s.int64(9);
  return st;
}

Result<std::vector<domain::Operation>> collect_operations(Stmt& s, std::string_view what) {
  std::vector<domain::Operation> out;
  for (;;) {
    ESIMO_TRY(bool row, s.step(what));
    if (!row) break;
    ESIMO_TRY(domain::Operation o, operation_from_row(s));
    out.push_back(std::move(o));
  }
  s.reset();
  return out;
}

}  // namespace eim_store_detail

Result<std::vector<TenantId>> SqliteStore::find_device_tenants(const domain::Eid& eid) {
  ESIMO_STORE_OP("find_device_tenants");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT tenant_id FROM devices WHERE eid = ? ORDER BY tenant_id"));
  s->bind(1, eid.str());
  std::vector<TenantId> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("find device tenants"));
    if (!row) break;
    out.push_back(s->int64(0));
  }
  s->reset();
  return out;
}

Result<EuiccEimState> SqliteStore::get_euicc_state(TenantId tenant, const domain::Eid& eid) {
  ESIMO_STORE_OP("get_euicc_state");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(eim_store_detail::kStateColumns) +
                                  " FROM euicc_eim_state WHERE tenant_id = ? AND eid = ?"));
  s->bind(1, tenant).bind(2, eid.str());
  ESIMO_TRY(bool row, s->step("get eUICC state"));
  if (!row) return Error(Errc::not_found, "no eIM state for eUICC " + eid.str());
  auto st = eim_store_detail::state_from_row(*s);
  s->reset();
  return st;
}

Result<std::vector<EuiccEimState>> SqliteStore::list_euicc_states() {
  ESIMO_STORE_OP("list_euicc_states");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(eim_store_detail::kStateColumns) +
                                  " FROM euicc_eim_state ORDER BY tenant_id, eid"));
  std::vector<EuiccEimState> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("list eUICC states"));
    if (!row) break;
    ESIMO_TRY(EuiccEimState st, eim_store_detail::state_from_row(*s));
    out.push_back(std::move(st));
  }
  s->reset();
  return out;
}

Status SqliteStore::put_euicc_state(const EuiccEimState& state) {
  ESIMO_STORE_OP("put_euicc_state");
  if (state.eim_id.empty() || state.eim_id.size() > 128) {
    return Error(Errc::invalid_argument, "eimId must be 1..128 characters", "eim_id");
  }
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(bool device, row_exists(db, "SELECT 1 FROM devices WHERE tenant_id = ? AND eid = ?", state.tenant_id,
                                      state.eid.str()));
    if (!device) return Error(Errc::not_found, "device " + state.eid.str() + " not found", "eid");
    ESIMO_TRY(Stmt * u, db.prepare(
                            "INSERT INTO euicc_eim_state (tenant_id, eid, eim_id, counter_value, association_token, "
                            "euicc_certificate, eum_certificate, emulated, updated_at, notification_seq) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT (tenant_id, eid) DO UPDATE SET eim_id = excluded.eim_id, "
                            "counter_value = CASE WHEN excluded.counter_value > euicc_eim_state.counter_value "
                            "THEN excluded.counter_value ELSE euicc_eim_state.counter_value END, "
                            "association_token = excluded.association_token, "
                            "euicc_certificate = excluded.euicc_certificate, eum_certificate = excluded.eum_certificate, "
                            "emulated = excluded.emulated, updated_at = excluded.updated_at, "
                            "notification_seq = CASE WHEN euicc_eim_state.notification_seq IS NULL OR "
                            "excluded.notification_seq > euicc_eim_state.notification_seq "
                            "THEN excluded.notification_seq ELSE euicc_eim_state.notification_seq END"));
    return u->bind(1, state.tenant_id)
        .bind(2, state.eid.str())
        .bind(3, state.eim_id)
        .bind(4, static_cast<std::int64_t>(state.counter_value))
        .bind(5, state.association_token)
        .bind(6, to_hex(state.euicc_certificate_der))
        .bind(7, to_hex(state.eum_certificate_der))
        .bind(8, static_cast<std::int64_t>(state.emulated ? 1 : 0))
        .bind(9, state.updated_at)
        .bind(10, state.notification_seq)
        .run("put eIM state of " + state.eid.str());
  });
}

Status SqliteStore::record_package(const EimPackageRecord& pkg, const std::vector<std::string>& operation_ids) {
  ESIMO_STORE_OP("record_package");
  if (pkg.eim_transaction_id.empty() || pkg.eim_transaction_id.size() > 16) {
    return Error(Errc::invalid_argument, "eimTransactionId must be 1..16 octets", "eim_transaction_id");
  }
  if (pkg.counter_value > static_cast<std::uint64_t>(INT64_MAX)) {
    return Error(Errc::invalid_argument, "counterValue out of range", "counter_value");
  }
  return writer_->submit([&](Connection& db) -> Status {
    const std::string key = "package for eUICC " + pkg.eid.str();
    const std::string tid_hex = to_hex(pkg.eim_transaction_id);
    if (pkg.counter_value != 0) {
      ESIMO_TRY(Stmt * sel, db.prepare("SELECT counter_value FROM euicc_eim_state WHERE tenant_id = ? AND eid = ?"));
      sel->bind(1, pkg.tenant_id).bind(2, pkg.eid.str());
      ESIMO_TRY(bool row, sel->step(key));
      const std::int64_t current = row ? sel->int64(0) : 0;
      sel->reset();
      if (static_cast<std::int64_t>(pkg.counter_value) <= current) {
        return Error(Errc::conflict,
                     key + ": counterValue " + std::to_string(pkg.counter_value) + " is not above the stored " +
                         std::to_string(current),
                     "counter_value");
      }
      if (!row) {
        ESIMO_TRY(Stmt * ins, db.prepare(
                                  "INSERT INTO euicc_eim_state (tenant_id, eid, eim_id, counter_value, "
                                  "association_token, euicc_certificate, eum_certificate, emulated, updated_at) "
                                  "VALUES (?, ?, ?, ?, NULL, '', '', 0, ?)"));
        ESIMO_CHECK(ins->bind(1, pkg.tenant_id)
                        .bind(2, pkg.eid.str())
                        .bind(3, pkg.eim_id)
                        .bind(4, static_cast<std::int64_t>(pkg.counter_value))
                        .bind(5, pkg.created_at)
                        .run(key));
      } else {
        ESIMO_TRY(Stmt * upd, db.prepare("UPDATE euicc_eim_state SET counter_value = ?, updated_at = ? "
                                         "WHERE tenant_id = ? AND eid = ?"));
        ESIMO_CHECK(upd->bind(1, static_cast<std::int64_t>(pkg.counter_value))
                        .bind(2, pkg.created_at)
                        .bind(3, pkg.tenant_id)
                        .bind(4, pkg.eid.str())
                        .run(key));
      }
    }
    ESIMO_TRY(Stmt * used, db.prepare("SELECT 1 FROM eim_packages WHERE eim_transaction_id = ?"));
    used->bind(1, tid_hex);
    ESIMO_TRY(bool reused, used->step(key));
    used->reset();
    if (reused) return Error(Errc::already_exists, "eimTransactionId " + tid_hex + " was already used", "eim_transaction_id");
    ESIMO_TRY(Stmt * put, db.prepare("INSERT INTO eim_packages (eim_transaction_id, tenant_id, eid, eim_id, kind, "
                                     "counter_value, eim_signature, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    ESIMO_CHECK(put->bind(1, tid_hex)
                    .bind(2, pkg.tenant_id)
                    .bind(3, pkg.eid.str())
                    .bind(4, pkg.eim_id)
                    .bind(5, pkg.kind)
                    .bind(6, static_cast<std::int64_t>(pkg.counter_value))
                    .bind(7, to_hex(pkg.eim_signature))
                    .bind(8, pkg.created_at)
                    .run(key));
    ESIMO_TRY(Stmt * mark, db.prepare(
                               "UPDATE operations SET state = 'delivered', counter_value = ?, eim_transaction_id = ?, "
                               "delivered_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND eid = ? "
                               "AND state = 'queued'"));
    for (const auto& id : operation_ids) {
      if (pkg.counter_value != 0) {
        mark->bind(1, static_cast<std::int64_t>(pkg.counter_value));
      } else {
        mark->bind_null(1);
      }
      ESIMO_CHECK(mark->bind(2, tid_hex)
                      .bind(3, pkg.created_at)
                      .bind(4, pkg.created_at)
                      .bind(5, pkg.tenant_id)
                      .bind(6, id)
                      .bind(7, pkg.eid.str())
                      .run(key));
      if (db.changes() != 1) {
        return Error(Errc::conflict, "operation " + id + " is not queued on eUICC " + pkg.eid.str(), "state");
      }
    }
    return {};
  });
}

Status SqliteStore::apply_package_result(const PackageResultUpdate& u) {
  ESIMO_STORE_OP("apply_package_result");
  const std::string dkey = "device " + u.eid.str();
  for (const auto& ou : u.operations) {
    const auto& op = ou.op;
    if (op.tenant_id != u.tenant_id || op.eid != u.eid) {
      return Error(Errc::invalid_argument, "operation " + op.id + " is not an operation of " + dkey, "operations");
    }
    if (op.state != ou.expected && !domain::transition_allowed(ou.expected, op.state)) {
      return Error(Errc::invalid_argument,
                   "operation " + op.id + " cannot go from " + std::string(domain::to_string(ou.expected)) + " to " +
                       std::string(domain::to_string(op.state)),
                   "state");
    }
  }
  const Status st = writer_->submit([&](Connection& db) -> Status {
    // The device first: a missing one fails the whole update before anything is written.
    if (u.set_active_iccid) {
      ESIMO_TRY(Stmt * dev, db.prepare("UPDATE devices SET active_iccid = ?, updated_at = ? "
                                       "WHERE tenant_id = ? AND eid = ?"));
      ESIMO_CHECK(dev->bind(1, opt_str(u.active_iccid))
                      .bind(2, u.at)
                      .bind(3, u.tenant_id)
                      .bind(4, u.eid.str())
                      .run("set the active profile of " + dkey));
      if (db.changes() != 1) return Error(Errc::not_found, dkey + " not found", "eid");
    } else {
      ESIMO_TRY(bool exists, row_exists(db, "SELECT 1 FROM devices WHERE tenant_id = ? AND eid = ?", u.tenant_id,
                                        u.eid.str()));
      if (!exists) return Error(Errc::not_found, dkey + " not found", "eid");
    }
    if (!u.operations.empty()) {
      // Compare-and-set in the UPDATE itself; only a miss reads the row to say why.
      ESIMO_TRY(Stmt * upd, db.prepare("UPDATE operations SET state = ?, reason = ?, outcome = ?, result_json = ?, "
                                       "updated_at = ?, expires_at = ? WHERE tenant_id = ? AND id = ? AND eid = ? "
                                       "AND state = ?"));
      for (const auto& ou : u.operations) {
        const auto& op = ou.op;
        const std::string key = "operation " + op.id;
        ESIMO_CHECK(upd->bind(1, domain::to_string(op.state))
                        .bind(2, op.reason)
                        .bind(3, op.outcome)
                        .bind(4, op.result_json)
                        .bind(5, op.updated_at)
                        .bind(6, op.expires_at)
                        .bind(7, u.tenant_id)
                        .bind(8, op.id)
                        .bind(9, u.eid.str())
                        .bind(10, domain::to_string(ou.expected))
                        .run("update " + key));
        if (db.changes() == 1) continue;
        ESIMO_TRY(Stmt * cur, db.prepare("SELECT state FROM operations WHERE tenant_id = ? AND id = ? AND eid = ?"));
        cur->bind(1, u.tenant_id).bind(2, op.id).bind(3, u.eid.str());
        ESIMO_TRY(bool row, cur->step("lookup " + key));
        const std::string current = row ? cur->text(0) : std::string();
        cur->reset();
        if (!row) return Error(Errc::not_found, key + " of " + dkey + " not found", "operations");
        return Error(Errc::conflict,
                     key + " is " + current + ", not " + std::string(domain::to_string(ou.expected)) + " as expected",
                     "state");
      }
    }
    for (const auto& p : u.profiles) {
      const std::string key = "profile " + p.iccid.str() + " of " + dkey;
      if (p.deleted) {
        ESIMO_TRY(Stmt * del, db.prepare("DELETE FROM profiles WHERE tenant_id = ? AND iccid = ? AND eid = ?"));
        ESIMO_CHECK(del->bind(1, u.tenant_id).bind(2, p.iccid.str()).bind(3, u.eid.str()).run("delete " + key));
      } else {
        ESIMO_TRY(Stmt * put, db.prepare("UPDATE profiles SET state = ?, fallback = ?, updated_at = ? "
                                         "WHERE tenant_id = ? AND iccid = ? AND eid = ?"));
        ESIMO_CHECK(put->bind(1, domain::to_string(p.state))
                        .bind(2, static_cast<std::int64_t>(p.fallback ? 1 : 0))
                        .bind(3, u.at)
                        .bind(4, u.tenant_id)
                        .bind(5, p.iccid.str())
                        .bind(6, u.eid.str())
                        .run("update " + key));
      }
      if (db.changes() != 1) return Error(Errc::not_found, key + " not found", "profiles");
    }
    if (u.notification_seq) {
      ESIMO_TRY(Stmt * seq, db.prepare("UPDATE euicc_eim_state SET notification_seq = ? WHERE tenant_id = ? AND "
                                       "eid = ? AND (notification_seq IS NULL OR notification_seq < ?)"));
      ESIMO_CHECK(seq->bind(1, *u.notification_seq)
                      .bind(2, u.tenant_id)
                      .bind(3, u.eid.str())
                      .bind(4, *u.notification_seq)
                      .run("record the notification seqNumber of " + dkey));
    }
    return {};
  });
  if (!u.profiles.empty() || u.set_active_iccid) invalidate_device(u.tenant_id, u.eid.str());
  return st;
}

Result<EimPackageRecord> SqliteStore::get_package(ByteView eim_transaction_id) {
  ESIMO_STORE_OP("get_package");
  const std::string tid_hex = to_hex(eim_transaction_id);
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT eim_transaction_id, tenant_id, eid, eim_id, kind, counter_value, "
                                  "eim_signature, created_at FROM eim_packages WHERE eim_transaction_id = ?"));
  s->bind(1, tid_hex);
  ESIMO_TRY(bool row, s->step("get package"));
  if (!row) return Error(Errc::not_found, "no package has eimTransactionId " + tid_hex);
  EimPackageRecord p;
  auto tid = from_hex(s->text(0));
  auto eid = domain::Eid::parse(s->text(2));
  auto sig = from_hex(s->text(6));
  if (!tid || !eid || !sig) {
    s->reset();
    return Error(Errc::internal, "corrupt stored package " + tid_hex);
  }
  p.eim_transaction_id = std::move(*tid);
  p.tenant_id = s->int64(1);
  p.eid = *eid;
  p.eim_id = s->text(3);
  p.kind = s->text(4);
  p.counter_value = static_cast<std::uint64_t>(s->int64(5));
  p.eim_signature = std::move(*sig);
  p.created_at = s->time(7);
  s->reset();
  return p;
}

Result<std::vector<domain::Operation>> SqliteStore::find_operations_by_transaction(std::string_view tid) {
  ESIMO_STORE_OP("find_operations_by_transaction");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kOperationColumns) +
                                  " FROM operations o WHERE o.eim_transaction_id = ? ORDER BY o.created_at, o.id"));
  s->bind(1, tid);
  return eim_store_detail::collect_operations(*s, "find operations by eimTransactionId");
}

Result<std::vector<domain::Operation>> SqliteStore::list_queued_operations(TenantId tenant, const domain::Eid& eid) {
  ESIMO_STORE_OP("list_queued_operations");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kOperationColumns) +
                                  " FROM operations o WHERE o.tenant_id = ? AND o.eid = ? AND o.state = 'queued' "
                                  "ORDER BY o.created_at, o.id"));
  s->bind(1, tenant).bind(2, eid.str());
  return eim_store_detail::collect_operations(*s, "list queued operations");
}

Result<std::vector<domain::Operation>> SqliteStore::list_open_operations() {
  ESIMO_STORE_OP("list_open_operations");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kOperationColumns) +
                                  " FROM operations o WHERE o.state IN ('queued', 'delivered') "
                                  "ORDER BY o.created_at, o.id"));
  return eim_store_detail::collect_operations(*s, "list open operations");
}

}  // namespace esimo::store::sqlite
