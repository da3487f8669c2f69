// SqliteStore: devices, profiles and operations (the rest is in sqlite_store.cpp).
#include <set>
#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace esimo::store::sqlite {

namespace fleet_detail {

std::string device_key(const domain::Eid& eid) { return "device " + eid.str(); }

Status validate_device(const domain::Device& d) {
  const std::string key = device_key(d.eid);
  if (d.eid.str().empty()) return Error(Errc::invalid_argument, "device without an EID", "eid");
  if (d.tenant_id <= 0) return Error(Errc::invalid_argument, key + ": no tenant", "tenant_id");
  if (d.group.empty()) return Error(Errc::invalid_argument, key + ": group is empty", "group");
  for (const auto& tag : d.tags) {
    if (Status st = domain::validate_tag(tag); !st.ok()) {
      return Error(Errc::invalid_argument, key + ": " + st.error().message, "tags");
    }
  }
  return {};
}

// Profiles of a record belong to its device: an unset tenant/EID is taken from the device, a different one is refused.
Result<std::vector<domain::Profile>> record_profiles(const DeviceRecord& r) {
  const auto& d = r.device;
  const std::string key = device_key(d.eid);
  std::vector<domain::Profile> out;
  out.reserve(r.profiles.size());
  std::set<std::string> seen;
  for (const auto& p0 : r.profiles) {
    domain::Profile p = p0;
    const std::string pkey = key + ": profile " + p.iccid.str();
    if (p.iccid.str().empty()) return Error(Errc::invalid_argument, key + ": profile without an ICCID", "profiles");
    if (p.tenant_id == 0) p.tenant_id = d.tenant_id;
    if (p.eid.str().empty()) p.eid = d.eid;
    if (p.tenant_id != d.tenant_id) return Error(Errc::invalid_argument, pkey + " belongs to another tenant", "profiles");
    if (p.eid != d.eid) return Error(Errc::invalid_argument, pkey + " names another EID " + p.eid.str(), "profiles");
    if (p.carrier_id.empty()) return Error(Errc::invalid_argument, pkey + " has no carrier", "profiles");
    if (!seen.insert(p.iccid.str()).second) return Error(Errc::invalid_argument, pkey + " is listed twice", "profiles");
    out.push_back(std::move(p));
  }
  return out;
}

Status insert_device(Connection& db, const domain::Device& d) {
  ESIMO_TRY(Stmt * s, db.prepare(
                          "INSERT INTO devices (tenant_id, eid, name, group_name, lifecycle, sgp32_version, "
                          "active_iccid, serving_plmn, country, last_seen, created_at, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return s->bind(1, d.tenant_id)
      .bind(2, d.eid.str())
      .bind(3, d.name)
      .bind(4, d.group)
      .bind(5, domain::to_string(d.lifecycle))
      .bind(6, domain::to_string(d.sgp32_version))
      .bind(7, opt_str(d.active_iccid))
      .bind(8, opt_str(d.serving_plmn))
      .bind(9, opt_str(d.country))
      .bind(10, d.last_seen)
      .bind(11, d.created_at)
      .bind(12, d.updated_at)
      .run("create " + device_key(d.eid));
}

Status write_tags(Connection& db, const domain::Device& d, bool replace) {
  const std::string what = "write tags of " + device_key(d.eid);
  if (replace) {
    ESIMO_TRY(Stmt * del, db.prepare("DELETE FROM device_tags WHERE tenant_id = ? AND eid = ?"));
    ESIMO_CHECK(del->bind(1, d.tenant_id).bind(2, d.eid.str()).run(what));
  }
  ESIMO_TRY(Stmt * ins, db.prepare("INSERT INTO device_tags (tenant_id, eid, tag) VALUES (?, ?, ?) "
                                   "ON CONFLICT (tenant_id, eid, tag) DO NOTHING"));
  for (const auto& tag : d.tags) ESIMO_CHECK(ins->bind(1, d.tenant_id).bind(2, d.eid.str()).bind(3, tag).run(what));
  return {};
}

// Upserts a profile of an existing device. An ICCID lives on one eUICC: if it is already on another device of the
// tenant the write is refused (conflict) rather than moving it.
Status write_profile(Connection& db, const domain::Profile& p) {
  const std::string what = "write profile " + p.iccid.str();
  ESIMO_TRY(Stmt * up, db.prepare(
                           "INSERT INTO profiles (tenant_id, iccid, eid, carrier_id, profile_class, state, fallback, "
                           "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, iccid) DO UPDATE SET "
                           "carrier_id = excluded.carrier_id, profile_class = excluded.profile_class, state = "
                           "excluded.state, fallback = excluded.fallback, updated_at = excluded.updated_at "
                           "WHERE profiles.eid = excluded.eid"));
  ESIMO_CHECK(up->bind(1, p.tenant_id)
                  .bind(2, p.iccid.str())
                  .bind(3, p.eid.str())
                  .bind(4, p.carrier_id)
                  .bind(5, domain::to_string(p.profile_class))
                  .bind(6, domain::to_string(p.state))
                  .bind(7, static_cast<std::int64_t>(p.fallback ? 1 : 0))
                  .bind(8, p.updated_at)
                  .run(what));
  if (db.changes() == 0) {
    ESIMO_TRY(Stmt * other, db.prepare("SELECT eid FROM profiles WHERE tenant_id = ? AND iccid = ?"));
    other->bind(1, p.tenant_id).bind(2, p.iccid.str());
    ESIMO_TRY(bool row, other->step(what));
    const std::string on = row ? other->text(0) : std::string("?");
    other->reset();
    return Error(Errc::conflict, "profile " + p.iccid.str() + " is already on device " + on, "iccid");
  }
  return {};
}

Status delete_device_rows(Connection& db, TenantId tenant, const std::string& eid, bool include_device) {
  const std::string what = "delete rows of device " + eid;
  for (const char* sql : {"DELETE FROM device_tags WHERE tenant_id = ? AND eid = ?",
                          "DELETE FROM profiles WHERE tenant_id = ? AND eid = ?"}) {
    ESIMO_TRY(Stmt * d, db.prepare(sql));
    ESIMO_CHECK(d->bind(1, tenant).bind(2, eid).run(what));
  }
  if (include_device) {
    for (const char* sql : {"DELETE FROM operations WHERE tenant_id = ? AND eid = ?",
                            "DELETE FROM euicc_eim_state WHERE tenant_id = ? AND eid = ?",
                            "DELETE FROM eim_packages WHERE tenant_id = ? AND eid = ?",
                            "DELETE FROM devices WHERE tenant_id = ? AND eid = ?"}) {
      ESIMO_TRY(Stmt * d, db.prepare(sql));
      ESIMO_CHECK(d->bind(1, tenant).bind(2, eid).run(what));
    }
  }
  return {};
}

Result<bool> device_exists(Connection& db, TenantId tenant, const domain::Eid& eid) {
  return row_exists(db, "SELECT 1 FROM devices WHERE tenant_id = ? AND eid = ?", tenant, eid.str());
}

// Memo of references already checked within one write closure (import batches name the same groups and carriers).
struct RefCache {
  std::set<std::pair<TenantId, std::string>> groups, carriers;
  Status group(Connection& db, TenantId t, const std::string& g, std::string_view for_what) {
    if (groups.count({t, g}) != 0) return {};
    ESIMO_CHECK(require_group(db, t, g, for_what));
    groups.insert({t, g});
    return {};
  }
  Status carrier(Connection& db, TenantId t, const std::string& c, std::string_view for_what) {
    if (carriers.count({t, c}) != 0) return {};
    ESIMO_CHECK(require_carrier(db, t, c, for_what));
    carriers.insert({t, c});
    return {};
  }
};

}  // namespace fleet_detail

// ---------------------------------------------------------------------------------------------------------------------
// devices

Status SqliteStore::create_device(const DeviceRecord& record) {
  ESIMO_STORE_OP("create_device");
  const auto& d = record.device;
  ESIMO_CHECK(fleet_detail::validate_device(d));
  ESIMO_TRY(auto profiles, fleet_detail::record_profiles(record));
  // Invalidated after the write returned (committed or not): a reader can then never keep the old record.
  const Status st = writer_->submit([&](Connection& db) -> Status {
    const std::string key = fleet_detail::device_key(d.eid);
    ESIMO_TRY(bool exists, fleet_detail::device_exists(db, d.tenant_id, d.eid));
    if (exists) return Error(Errc::already_exists, key + " already exists", "eid");
    ESIMO_CHECK(require_group(db, d.tenant_id, d.group, key));
    ESIMO_CHECK(fleet_detail::insert_device(db, d));
    ESIMO_CHECK(fleet_detail::write_tags(db, d, false));
    for (const auto& p : profiles) {
      ESIMO_CHECK(require_carrier(db, d.tenant_id, p.carrier_id, key + ": profile " + p.iccid.str()));
      ESIMO_CHECK(fleet_detail::write_profile(db, p));
    }
    return {};
  });
  invalidate_device(d.tenant_id, d.eid.str());
  return st;
}

void SqliteStore::check_external_writes() {
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  std::int64_t due = next_external_check_ns_.load(std::memory_order_relaxed);
  if (now < due) return;
  const std::int64_t next = now + std::chrono::duration_cast<std::chrono::nanoseconds>(kExternalCheckEvery).count();
  if (!next_external_check_ns_.compare_exchange_strong(due, next, std::memory_order_relaxed)) return;  // another reader
  std::int64_t version = -1;
  const Status st = writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * s, db.prepare("PRAGMA data_version"));
    ESIMO_TRY(bool row, s->step("read data_version"));
    if (row) version = s->int64(0);
    s->reset();
    return {};
  });
  std::lock_guard lock(data_version_mu_);
  if (!st.ok() || version != data_version_) {
    // Changed (or unknown, or the first check): another process may have written devices; forget everything.
    cache_.flush();
    data_version_ = st.ok() ? version : -1;
  }
}

Result<DeviceRecord> SqliteStore::get_device(TenantId tenant, const domain::Eid& eid) {
  ESIMO_STORE_OP("get_device");
  check_external_writes();
  if (auto hit = cache_.get(tenant, eid.str())) return *hit;
  const std::uint64_t generation = cache_.generation(tenant, eid.str());  // noted BEFORE reading the database
  auto db = readers_->lease();
  ESIMO_TRY(auto txn, ReadTxn::begin(*db));
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kDeviceColumns) +
                                  " FROM devices d WHERE d.tenant_id = ? AND d.eid = ?"));
  s->bind(1, tenant).bind(2, eid.str());
  ESIMO_TRY(bool row, s->step("get device"));
  if (!row) return Error(Errc::not_found, fleet_detail::device_key(eid) + " not found");
  auto dev = device_from_row(*s);
  s->reset();
  if (!dev) return std::move(dev).error();
  auto out = std::make_shared<DeviceRecord>(DeviceRecord{std::move(*dev), {}});
  ESIMO_CHECK(load_device_tags(*db, out->device));
  ESIMO_TRY(Stmt * p, db->prepare("SELECT " + std::string(kProfileColumns) +
                                  " FROM profiles p WHERE p.tenant_id = ? AND p.eid = ? ORDER BY p.iccid"));
  p->bind(1, tenant).bind(2, eid.str());
  for (;;) {
    ESIMO_TRY(bool prow, p->step("get device profiles"));
    if (!prow) break;
    ESIMO_TRY(domain::Profile prof, profile_from_row(*p));
    out->profiles.push_back(std::move(prof));
  }
  DeviceRecord copy = *out;
  cache_.put(tenant, eid.str(), generation, std::move(out));
  return copy;
}

Result<PageOf<domain::Device>> SqliteStore::list_devices(TenantId tenant, const DeviceFilter& filter,
                                                         const Page& page) {
  ESIMO_STORE_OP("list_devices");
  ESIMO_CHECK(validate_page(page));
  std::string sql = "SELECT " + std::string(kDeviceColumns) + " FROM devices d";
  std::vector<std::string> binds;
  if (filter.carrier) {
    // "carrier" means the carrier of the device's active profile.
    sql += " JOIN profiles ap ON ap.tenant_id = d.tenant_id AND ap.iccid = d.active_iccid";
  }
  sql += " WHERE d.tenant_id = ? AND d.eid > ?";
  if (filter.carrier) {
    sql += " AND ap.carrier_id = ?";
    binds.push_back(*filter.carrier);
  }
  if (filter.group) {
    sql += " AND d.group_name = ?";
    binds.push_back(*filter.group);
  }
  if (filter.country) {
    sql += " AND d.country = ?";
    binds.push_back(filter.country->str());
  }
  if (filter.lifecycle) {
    sql += " AND d.lifecycle = ?";
    binds.push_back(std::string(domain::to_string(*filter.lifecycle)));
  }
  std::set<std::string> tags(filter.tags.begin(), filter.tags.end());
  for (const auto& tag : tags) {
    sql += " AND EXISTS (SELECT 1 FROM device_tags t WHERE t.tenant_id = d.tenant_id AND t.eid = d.eid AND t.tag = ?)";
    binds.push_back(tag);
  }
  sql += " ORDER BY d.eid LIMIT ?";

  auto db = readers_->lease();
  ESIMO_TRY(auto txn, ReadTxn::begin(*db));
  ESIMO_TRY(Stmt * s, db->prepare(sql));
  s->bind(1, tenant).bind(2, page.after);
  return read_page<domain::Device>(
      *s, 3, binds, page, "list devices",
      [&](const Stmt& row) -> Result<domain::Device> {
        ESIMO_TRY(domain::Device d, device_from_row(row));
        ESIMO_CHECK(load_device_tags(*db, d));
        return d;
      },
      [](const domain::Device& d) { return d.eid.str(); });
}

Status SqliteStore::update_device(const domain::Device& device) {
  ESIMO_STORE_OP("update_device");
  ESIMO_CHECK(fleet_detail::validate_device(device));
  const Status st = writer_->submit([&](Connection& db) -> Status {
    const std::string key = fleet_detail::device_key(device.eid);
    ESIMO_TRY(bool exists, fleet_detail::device_exists(db, device.tenant_id, device.eid));
    if (!exists) return Error(Errc::not_found, key + " not found");
    ESIMO_CHECK(require_group(db, device.tenant_id, device.group, key));
    ESIMO_TRY(Stmt * u, db.prepare(
                            "UPDATE devices SET name = ?, group_name = ?, lifecycle = ?, sgp32_version = ?, "
                            "active_iccid = ?, serving_plmn = ?, country = ?, last_seen = ?, updated_at = ? "
                            "WHERE tenant_id = ? AND eid = ?"));
    ESIMO_CHECK(u->bind(1, device.name)
                    .bind(2, device.group)
                    .bind(3, domain::to_string(device.lifecycle))
                    .bind(4, domain::to_string(device.sgp32_version))
                    .bind(5, opt_str(device.active_iccid))
                    .bind(6, opt_str(device.serving_plmn))
                    .bind(7, opt_str(device.country))
                    .bind(8, device.last_seen)
                    .bind(9, device.updated_at)
                    .bind(10, device.tenant_id)
                    .bind(11, device.eid.str())
                    .run("update " + key));
    return fleet_detail::write_tags(db, device, true);
  });
  invalidate_device(device.tenant_id, device.eid.str());
  return st;
}

Status SqliteStore::delete_device(TenantId tenant, const domain::Eid& eid) {
  ESIMO_STORE_OP("delete_device");
  const Status st = writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(bool exists, fleet_detail::device_exists(db, tenant, eid));
    if (!exists) return Error(Errc::not_found, fleet_detail::device_key(eid) + " not found");
    return fleet_detail::delete_device_rows(db, tenant, eid.str(), true);
  });
  invalidate_device(tenant, eid.str());
  return st;
}

Result<ImportCounts> SqliteStore::import_devices(const std::vector<DeviceRecord>& batch) {
  ESIMO_STORE_OP("import_devices");
  std::vector<std::vector<domain::Profile>> profiles;
  profiles.reserve(batch.size());
  for (const auto& r : batch) {
    ESIMO_CHECK(fleet_detail::validate_device(r.device));
    ESIMO_TRY(auto ps, fleet_detail::record_profiles(r));
    profiles.push_back(std::move(ps));
  }
  ImportCounts counts;
  const Status st = writer_->submit([&](Connection& db) -> Status {
    counts = {};
    fleet_detail::RefCache refs;
    ESIMO_TRY(Stmt * upd, db.prepare("UPDATE devices SET name = ?, group_name = ?, lifecycle = ?, sgp32_version = ?, "
                                     "updated_at = ? WHERE tenant_id = ? AND eid = ?"));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& d = batch[i].device;
      const std::string key = fleet_detail::device_key(d.eid);
      ESIMO_CHECK(refs.group(db, d.tenant_id, d.group, key));
      ESIMO_TRY(bool exists, fleet_detail::device_exists(db, d.tenant_id, d.eid));
      if (exists) {
        // Re-import replaces what an import carries (name, group, tags, lifecycle, version, profiles) and keeps what
        // the device reported itself (active profile, serving network, last seen) and its creation time.
        ESIMO_CHECK(upd->bind(1, d.name)
                        .bind(2, d.group)
                        .bind(3, domain::to_string(d.lifecycle))
                        .bind(4, domain::to_string(d.sgp32_version))
                        .bind(5, d.updated_at)
                        .bind(6, d.tenant_id)
                        .bind(7, d.eid.str())
                        .run("update " + key));
        ESIMO_CHECK(fleet_detail::delete_device_rows(db, d.tenant_id, d.eid.str(), false));
        ++counts.updated;
      } else {
        ESIMO_CHECK(fleet_detail::insert_device(db, d));
        ++counts.inserted;
      }
      ESIMO_CHECK(fleet_detail::write_tags(db, d, false));
      for (const auto& p : profiles[i]) {
        ESIMO_CHECK(refs.carrier(db, d.tenant_id, p.carrier_id, key + ": profile " + p.iccid.str()));
        if (Status st = fleet_detail::write_profile(db, p); !st.ok()) {
          return Error(st.error().code, key + ": " + st.error().message, st.error().field);
        }
      }
    }
    return {};
  });
  for (const auto& r : batch) invalidate_device(r.device.tenant_id, r.device.eid.str());
  ESIMO_CHECK(st);
  return counts;
}

// ---------------------------------------------------------------------------------------------------------------------
// profiles

Result<domain::Profile> SqliteStore::get_profile(TenantId tenant, const domain::Iccid& iccid) {
  ESIMO_STORE_OP("get_profile");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kProfileColumns) +
                                  " FROM profiles p WHERE p.tenant_id = ? AND p.iccid = ?"));
  s->bind(1, tenant).bind(2, iccid.str());
  ESIMO_TRY(bool row, s->step("get profile"));
  if (!row) return Error(Errc::not_found, "profile " + iccid.str() + " not found");
  auto p = profile_from_row(*s);
  s->reset();
  return p;
}

Result<PageOf<domain::Profile>> SqliteStore::list_profiles(TenantId tenant, const ProfileFilter& filter,
                                                           const Page& page) {
  ESIMO_STORE_OP("list_profiles");
  ESIMO_CHECK(validate_page(page));
  std::string sql = "SELECT " + std::string(kProfileColumns) + " FROM profiles p WHERE p.tenant_id = ? AND p.iccid > ?";
  std::vector<std::string> binds;
  if (filter.eid) {
    sql += " AND p.eid = ?";
    binds.push_back(filter.eid->str());
  }
  if (filter.carrier) {
    sql += " AND p.carrier_id = ?";
    binds.push_back(*filter.carrier);
  }
  if (filter.state) {
    sql += " AND p.state = ?";
    binds.push_back(std::string(domain::to_string(*filter.state)));
  }
  sql += " ORDER BY p.iccid LIMIT ?";
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare(sql));
  s->bind(1, tenant).bind(2, page.after);
  return read_page<domain::Profile>(
      *s, 3, binds, page, "list profiles", [](const Stmt& row) { return profile_from_row(row); },
      [](const domain::Profile& p) { return p.iccid.str(); });
}

Status SqliteStore::put_profile(const domain::Profile& profile) {
  ESIMO_STORE_OP("put_profile");
  const std::string key = "profile " + profile.iccid.str();
  if (profile.iccid.str().empty()) return Error(Errc::invalid_argument, "profile without an ICCID", "iccid");
  if (profile.tenant_id <= 0) return Error(Errc::invalid_argument, key + ": no tenant", "tenant_id");
  if (profile.carrier_id.empty()) return Error(Errc::invalid_argument, key + " has no carrier", "carrier");
  // write_profile never moves a profile to another EID, so only this profile's device changes.
  const Status st = writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(bool exists, fleet_detail::device_exists(db, profile.tenant_id, profile.eid));
    if (!exists) return Error(Errc::not_found, key + ": " + fleet_detail::device_key(profile.eid) + " not found", "eid");
    ESIMO_CHECK(require_carrier(db, profile.tenant_id, profile.carrier_id, key));
    return fleet_detail::write_profile(db, profile);
  });
  invalidate_device(profile.tenant_id, profile.eid.str());
  return st;
}

Status SqliteStore::delete_profile(TenantId tenant, const domain::Iccid& iccid) {
  ESIMO_STORE_OP("delete_profile");
  std::string owner;  // the profile's EID, read inside the write so no other write can move it in between
  const Status st = writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * q, db.prepare("SELECT eid FROM profiles WHERE tenant_id = ? AND iccid = ?"));
    q->bind(1, tenant).bind(2, iccid.str());
    ESIMO_TRY(bool row, q->step("find profile " + iccid.str()));
    if (row) owner = q->text(0);
    q->reset();
    ESIMO_TRY(Stmt * d, db.prepare("DELETE FROM profiles WHERE tenant_id = ? AND iccid = ?"));
    ESIMO_CHECK(d->bind(1, tenant).bind(2, iccid.str()).run("delete profile " + iccid.str()));
    if (db.changes() == 0) return Error(Errc::not_found, "profile " + iccid.str() + " not found");
    return {};
  });
  if (!owner.empty()) invalidate_device(tenant, owner);
  return st;
}

// ---------------------------------------------------------------------------------------------------------------------
// operations

Status SqliteStore::create_operation(const domain::Operation& op) {
  ESIMO_STORE_OP("create_operation");
  const std::string key = "operation " + op.id;
  if (op.id.empty()) return Error(Errc::invalid_argument, "operation without an id", "id");
  if (op.tenant_id <= 0) return Error(Errc::invalid_argument, key + ": no tenant", "tenant_id");
  if (op.type.empty()) return Error(Errc::invalid_argument, key + ": no type", "type");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(bool dup, row_exists(db, "SELECT 1 FROM operations WHERE tenant_id = ? AND id = ?", op.tenant_id, op.id));
    if (dup) return Error(Errc::already_exists, key + " already exists", "id");
    if (!op.idempotency_key.empty()) {
      ESIMO_TRY(Stmt * s, db.prepare("SELECT id FROM operations WHERE tenant_id = ? AND idempotency_key = ?"));
      s->bind(1, op.tenant_id).bind(2, op.idempotency_key);
      ESIMO_TRY(bool row, s->step("lookup idempotency key"));
      const std::string other = row ? s->text(0) : std::string();
      s->reset();
      if (row) {
        return Error(Errc::already_exists,
                     "idempotency key '" + op.idempotency_key + "' was already used by operation " + other,
                     "idempotency_key");
      }
    }
    ESIMO_TRY(bool device, fleet_detail::device_exists(db, op.tenant_id, op.eid));
    if (!device) return Error(Errc::not_found, key + ": " + fleet_detail::device_key(op.eid) + " not found", "eid");
    ESIMO_TRY(Stmt * ins, db.prepare(
                              "INSERT INTO operations (tenant_id, id, eid, type, params_json, state, reason, outcome, "
                              "result_json, idempotency_key, created_at, updated_at, expires_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    return ins->bind(1, op.tenant_id)
        .bind(2, op.id)
        .bind(3, op.eid.str())
        .bind(4, op.type)
        .bind(5, op.params_json)
        .bind(6, domain::to_string(op.state))
        .bind(7, op.reason)
        .bind(8, op.outcome)
        .bind(9, op.result_json)
        .bind(10, op.idempotency_key)
        .bind(11, op.created_at)
        .bind(12, op.updated_at)
        .bind(13, op.expires_at)
        .run("create " + key);
  });
}

Result<domain::Operation> SqliteStore::get_operation(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("get_operation");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kOperationColumns) +
                                  " FROM operations o WHERE o.tenant_id = ? AND o.id = ?"));
  s->bind(1, tenant).bind(2, id);
  ESIMO_TRY(bool row, s->step("get operation"));
  if (!row) return Error(Errc::not_found, "operation " + std::string(id) + " not found");
  auto o = operation_from_row(*s);
  s->reset();
  return o;
}

Result<domain::Operation> SqliteStore::find_operation_by_idempotency_key(TenantId tenant, std::string_view key) {
  ESIMO_STORE_OP("find_operation_by_idempotency_key");
  if (key.empty()) return Error(Errc::not_found, "no operation has an empty idempotency key");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kOperationColumns) +
                                  " FROM operations o WHERE o.tenant_id = ? AND o.idempotency_key = ?"));
  s->bind(1, tenant).bind(2, key);
  ESIMO_TRY(bool row, s->step("find operation"));
  if (!row) return Error(Errc::not_found, "no operation has idempotency key '" + std::string(key) + "'");
  auto o = operation_from_row(*s);
  s->reset();
  return o;
}

Result<PageOf<domain::Operation>> SqliteStore::list_operations(TenantId tenant, const OperationFilter& filter,
                                                               const Page& page) {
  ESIMO_STORE_OP("list_operations");
  ESIMO_CHECK(validate_page(page));
  std::string sql = "SELECT " + std::string(kOperationColumns) + " FROM operations o WHERE o.tenant_id = ? AND o.id > ?";
  std::vector<std::string> binds;
  if (filter.eid) {
    sql += " AND o.eid = ?";
    binds.push_back(filter.eid->str());
  }
  if (filter.state) {
    sql += " AND o.state = ?";
    binds.push_back(std::string(domain::to_string(*filter.state)));
  }
  if (filter.type) {
    sql += " AND o.type = ?";
    binds.push_back(*filter.type);
  }
  sql += " ORDER BY o.id LIMIT ?";
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare(sql));
  s->bind(1, tenant).bind(2, page.after);
  return read_page<domain::Operation>(
      *s, 3, binds, page, "list operations", [](const Stmt& row) { return operation_from_row(row); },
      [](const domain::Operation& o) { return o.id; });
}

Status SqliteStore::update_operation(const domain::Operation& op, domain::OperationState expected) {
  ESIMO_STORE_OP("update_operation");
  const std::string key = "operation " + op.id;
  if (op.state != expected && !domain::transition_allowed(expected, op.state)) {
    return Error(Errc::invalid_argument,
                 key + " cannot go from " + std::string(domain::to_string(expected)) + " to " +
                     std::string(domain::to_string(op.state)),
                 "state");
  }
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * s, db.prepare("SELECT state FROM operations WHERE tenant_id = ? AND id = ?"));
    s->bind(1, op.tenant_id).bind(2, op.id);
    ESIMO_TRY(bool row, s->step("lookup operation"));
    const std::string current = row ? s->text(0) : std::string();
    s->reset();
    if (!row) return Error(Errc::not_found, key + " not found");
    if (current != domain::to_string(expected)) {
      return Error(Errc::conflict,
                   key + " is " + current + ", not " + std::string(domain::to_string(expected)) + " as expected",
                   "state");
    }
    ESIMO_TRY(Stmt * u, db.prepare("UPDATE operations SET state = ?, reason = ?, outcome = ?, result_json = ?, "
                                   "updated_at = ?, expires_at = ? WHERE tenant_id = ? AND id = ? AND state = ?"));
    return u->bind(1, domain::to_string(op.state))
        .bind(2, op.reason)
        .bind(3, op.outcome)
        .bind(4, op.result_json)
        .bind(5, op.updated_at)
        .bind(6, op.expires_at)
        .bind(7, op.tenant_id)
        .bind(8, op.id)
        .bind(9, domain::to_string(expected))
        .run("update " + key);
  });
}

}  // namespace esimo::store::sqlite
