// SqliteStore: the engine's resources (issue 6) — policy documents, the carrier status feed, declared outages (each
// upsert also with its event in the same transaction: the events themselves are in sqlite_store_events.cpp).
#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace esimo::store::sqlite {

namespace engine_store_detail {

constexpr std::string_view kPolicyColumns =
    "tenant_id, id, name, scope_kind, scope_target, document_json, revision, created_at, updated_at";
constexpr std::string_view kOutageColumns =
    "tenant_id, id, carrier_id, country, source, state, detail, affected_devices, started_at, ended_at, updated_at";

PolicyRecord policy_from_row(const Stmt& s) {
  PolicyRecord p;
  p.tenant_id = s.int64(0);
  p.id = s.text(1);
  p.name = s.text(2);
  p.scope_kind = s.text(3);
  p.scope_target = s.text(4);
  p.document_json = s.text(5);
  p.revision = s.int64(6);
  p.created_at = s.time(7);
  p.updated_at = s.time(8);
  return p;
}

Result<OutageRecord> outage_from_row(const Stmt& s) {
  OutageRecord o;
  o.tenant_id = s.int64(0);
  o.id = s.text(1);
  o.carrier_id = s.text(2);
  if (auto c = s.opt_text(3)) {
    auto cc = domain::CountryCode::parse(*c);
    if (!cc) return Error(Errc::internal, "corrupt stored country of outage " + o.id + ": " + *c);
    o.country = *cc;
  }
  o.source = s.text(4);
  o.state = s.text(5);
  o.detail = s.text(6);
  o.affected_devices = s.int64(7);
  o.started_at = s.time(8);
  o.ended_at = s.opt_time(9);
  o.updated_at = s.time(10);
  return o;
}

Status validate_policy(const PolicyRecord& p) {
  if (p.tenant_id <= 0) return Error(Errc::invalid_argument, "policy without a tenant", "tenant_id");
  if (p.id.empty() || p.id.size() > 64) return Error(Errc::invalid_argument, "policy id must be 1..64 characters", "id");
  if (p.name.empty()) return Error(Errc::invalid_argument, "policy " + p.id + " has no name", "name");
  if (p.scope_kind != "fleet" && p.scope_kind != "group" && p.scope_kind != "device") {
    return Error(Errc::invalid_argument, "policy scope must be fleet, group or device, not '" + p.scope_kind + "'",
                 "scope");
  }
  if ((p.scope_kind == "fleet") != p.scope_target.empty()) {
    return Error(Errc::invalid_argument, "a fleet policy has no scope target; a group or device policy has one",
                 "scope");
  }
  return {};
}

// The name or scope of another policy of the tenant clashes: already_exists naming which.
Status check_policy_unique(Connection& db, const PolicyRecord& p) {
  ESIMO_TRY(Stmt * s, db.prepare("SELECT id FROM policies WHERE tenant_id = ? AND name = ? AND id <> ?"));
  s->bind(1, p.tenant_id).bind(2, p.name).bind(3, p.id);
  ESIMO_TRY(bool named, s->step("lookup policy name"));
  std::string other = named ? s->text(0) : std::string();
  s->reset();
  if (named) return Error(Errc::already_exists, "policy " + other + " is already named '" + p.name + "'", "name");
  ESIMO_TRY(Stmt * t, db.prepare(
                          "SELECT id FROM policies WHERE tenant_id = ? AND scope_kind = ? AND scope_target = ? "
                          "AND id <> ?"));
  t->bind(1, p.tenant_id).bind(2, p.scope_kind).bind(3, p.scope_target).bind(4, p.id);
  ESIMO_TRY(bool scoped, t->step("lookup policy scope"));
  other = scoped ? t->text(0) : std::string();
  t->reset();
  if (scoped) {
    std::string scope = p.scope_kind + (p.scope_target.empty() ? "" : " " + p.scope_target);
    return Error(Errc::already_exists, "policy " + other + " already applies to " + scope, "scope");
  }
  return {};
}

std::string join_countries(const std::vector<domain::CountryCode>& cs) {
  std::string out;
  for (const auto& c : cs) {
    if (!out.empty()) out.push_back(',');
    out += c.str();
  }
  return out;
}

Status write_carrier_status(Connection& db, const CarrierStatusRecord& status) {
  ESIMO_CHECK(require_tenant(db, status.tenant_id));
  ESIMO_CHECK(require_carrier(db, status.tenant_id, status.carrier_id, "carrier status"));
  ESIMO_TRY(Stmt * s, db.prepare(
                          "INSERT INTO carrier_status (tenant_id, carrier_id, state, countries, note, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, carrier_id) DO UPDATE SET "
                          "state = excluded.state, countries = excluded.countries, note = excluded.note, "
                          "updated_at = excluded.updated_at"));
  return s->bind(1, status.tenant_id)
      .bind(2, status.carrier_id)
      .bind(3, domain::to_string(status.state))
      .bind(4, engine_store_detail::join_countries(status.countries))
      .bind(5, status.note)
      .bind(6, status.updated_at)
      .run("put carrier status " + status.carrier_id);
}

Status write_outage(Connection& db, const OutageRecord& outage) {
  if (outage.id.empty() || outage.id.size() > 64) {
    return Error(Errc::invalid_argument, "outage id must be 1..64 characters", "id");
  }
  if (outage.state != "active" && outage.state != "resolved") {
    return Error(Errc::invalid_argument, "outage state must be active or resolved", "state");
  }
  ESIMO_CHECK(require_tenant(db, outage.tenant_id));
  ESIMO_TRY(Stmt * s, db.prepare("INSERT INTO outages (" + std::string(engine_store_detail::kOutageColumns) +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, id) DO UPDATE "
                                 "SET carrier_id = excluded.carrier_id, country = excluded.country, "
                                 "source = excluded.source, state = excluded.state, detail = excluded.detail, "
                                 "affected_devices = excluded.affected_devices, started_at = excluded.started_at, "
                                 "ended_at = excluded.ended_at, updated_at = excluded.updated_at"));
  return s->bind(1, outage.tenant_id)
      .bind(2, outage.id)
      .bind(3, outage.carrier_id)
      .bind(4, opt_str(outage.country))
      .bind(5, outage.source)
      .bind(6, outage.state)
      .bind(7, outage.detail)
      .bind(8, outage.affected_devices)
      .bind(9, outage.started_at)
      .bind(10, outage.ended_at)
      .bind(11, outage.updated_at)
      .run("put outage " + outage.id);
}

}  // namespace engine_store_detail

Status SqliteStore::create_policy(const PolicyRecord& policy) {
  ESIMO_STORE_OP("create_policy");
  ESIMO_CHECK(engine_store_detail::validate_policy(policy));
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(require_tenant(db, policy.tenant_id));
    ESIMO_TRY(bool exists, row_exists(db, "SELECT 1 FROM policies WHERE tenant_id = ? AND id = ?", policy.tenant_id,
                                      policy.id));
    if (exists) return Error(Errc::already_exists, "policy " + policy.id + " already exists", "id");
    ESIMO_CHECK(engine_store_detail::check_policy_unique(db, policy));
    ESIMO_TRY(Stmt * s, db.prepare("INSERT INTO policies (" + std::string(engine_store_detail::kPolicyColumns) +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    return s->bind(1, policy.tenant_id)
        .bind(2, policy.id)
        .bind(3, policy.name)
        .bind(4, policy.scope_kind)
        .bind(5, policy.scope_target)
        .bind(6, policy.document_json)
        .bind(7, static_cast<std::int64_t>(1))
        .bind(8, policy.created_at)
        .bind(9, policy.updated_at)
        .run("insert policy " + policy.id);
  });
}

Result<PolicyRecord> SqliteStore::get_policy(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("get_policy");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(engine_store_detail::kPolicyColumns) +
                                  " FROM policies WHERE tenant_id = ? AND id = ?"));
  s->bind(1, tenant).bind(2, id);
  ESIMO_TRY(bool row, s->step("get policy"));
  if (!row) return Error(Errc::not_found, "policy " + std::string(id) + " not found", "id");
  PolicyRecord p = engine_store_detail::policy_from_row(*s);
  s->reset();
  return p;
}

Result<PageOf<PolicyRecord>> SqliteStore::list_policies(TenantId tenant, const Page& page) {
  ESIMO_STORE_OP("list_policies");
  ESIMO_CHECK(validate_page(page));
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(engine_store_detail::kPolicyColumns) +
                                  " FROM policies WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"));
  s->bind(1, tenant);
  return read_page<PolicyRecord>(
      *s, 2, {page.after}, page, "list policies",
      [](const Stmt& st) -> Result<PolicyRecord> { return engine_store_detail::policy_from_row(st); },
      [](const PolicyRecord& p) { return p.id; });
}

Status SqliteStore::update_policy(const PolicyRecord& policy, std::int64_t expected_revision) {
  ESIMO_STORE_OP("update_policy");
  ESIMO_CHECK(engine_store_detail::validate_policy(policy));
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * r, db.prepare("SELECT revision FROM policies WHERE tenant_id = ? AND id = ?"));
    r->bind(1, policy.tenant_id).bind(2, policy.id);
    ESIMO_TRY(bool row, r->step("read policy revision"));
    const std::int64_t stored = row ? r->int64(0) : 0;
    r->reset();
    if (!row) return Error(Errc::not_found, "policy " + policy.id + " not found", "id");
    if (stored != expected_revision) {
      return Error(Errc::conflict, "policy " + policy.id + " is at revision " + std::to_string(stored) + ", not " +
                                       std::to_string(expected_revision),
                   "revision");
    }
    ESIMO_CHECK(engine_store_detail::check_policy_unique(db, policy));
    ESIMO_TRY(Stmt * s, db.prepare(
                            "UPDATE policies SET name = ?, scope_kind = ?, scope_target = ?, document_json = ?, "
                            "revision = ?, updated_at = ? WHERE tenant_id = ? AND id = ?"));
    return s->bind(1, policy.name)
        .bind(2, policy.scope_kind)
        .bind(3, policy.scope_target)
        .bind(4, policy.document_json)
        .bind(5, expected_revision + 1)
        .bind(6, policy.updated_at)
        .bind(7, policy.tenant_id)
        .bind(8, policy.id)
        .run("update policy " + policy.id);
  });
}

Status SqliteStore::delete_policy(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("delete_policy");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * s, db.prepare("DELETE FROM policies WHERE tenant_id = ? AND id = ?"));
    ESIMO_CHECK(s->bind(1, tenant).bind(2, id).run("delete policy"));
    if (db.changes() == 0) return Error(Errc::not_found, "policy " + std::string(id) + " not found", "id");
    return {};
  });
}

Status SqliteStore::put_carrier_status(const CarrierStatusRecord& status) {
  ESIMO_STORE_OP("put_carrier_status");
  return writer_->submit([&](Connection& db) -> Status { return engine_store_detail::write_carrier_status(db, status); });
}

Status SqliteStore::put_carrier_status_with_event(const CarrierStatusRecord& status, const EventRecord& event) {
  ESIMO_STORE_OP("put_carrier_status_with_event");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(engine_store_detail::write_carrier_status(db, status));
    ESIMO_TRY(std::int64_t seq, insert_event(db, event));
    (void)seq;
    return {};
  });
}

Result<std::vector<CarrierStatusRecord>> SqliteStore::list_carrier_status(TenantId tenant) {
  ESIMO_STORE_OP("list_carrier_status");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT carrier_id, state, countries, note, updated_at FROM carrier_status "
                                  "WHERE tenant_id = ? ORDER BY carrier_id"));
  s->bind(1, tenant);
  std::vector<CarrierStatusRecord> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("list carrier status"));
    if (!row) break;
    CarrierStatusRecord r;
    r.tenant_id = tenant;
    r.carrier_id = s->text(0);
    auto state = domain::parse_carrier_status(s->text(1));
    if (!state) {
      s->reset();
      return Error(Errc::internal, "corrupt stored status of carrier " + r.carrier_id);
    }
    r.state = *state;
    const std::string countries = s->text(2);
    std::string_view cs = countries;
    while (!cs.empty()) {
      auto comma = cs.find(',');
      auto cc = domain::CountryCode::parse(cs.substr(0, comma));
      if (!cc) {
        s->reset();
        return Error(Errc::internal, "corrupt stored countries of carrier " + r.carrier_id);
      }
      r.countries.push_back(*cc);
      if (comma == std::string_view::npos) break;
      cs.remove_prefix(comma + 1);
    }
    r.note = s->text(3);
    r.updated_at = s->time(4);
    out.push_back(std::move(r));
  }
  s->reset();
  return out;
}

Status SqliteStore::put_outage(const OutageRecord& outage) {
  ESIMO_STORE_OP("put_outage");
  return writer_->submit([&](Connection& db) -> Status { return engine_store_detail::write_outage(db, outage); });
}

Status SqliteStore::put_outage_with_event(const OutageRecord& outage, const EventRecord& event) {
  ESIMO_STORE_OP("put_outage_with_event");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(engine_store_detail::write_outage(db, outage));
    ESIMO_TRY(std::int64_t seq, insert_event(db, event));
    (void)seq;
    return {};
  });
}

Result<OutageRecord> SqliteStore::get_outage(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("get_outage");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(engine_store_detail::kOutageColumns) +
                                  " FROM outages WHERE tenant_id = ? AND id = ?"));
  s->bind(1, tenant).bind(2, id);
  ESIMO_TRY(bool row, s->step("get outage"));
  if (!row) return Error(Errc::not_found, "outage " + std::string(id) + " not found", "id");
  auto o = engine_store_detail::outage_from_row(*s);
  s->reset();
  return o;
}

Result<PageOf<OutageRecord>> SqliteStore::list_outages(TenantId tenant, const Page& page) {
  ESIMO_STORE_OP("list_outages");
  ESIMO_CHECK(validate_page(page));
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(engine_store_detail::kOutageColumns) +
                                  " FROM outages WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"));
  s->bind(1, tenant);
  return read_page<OutageRecord>(*s, 2, {page.after}, page, "list outages", engine_store_detail::outage_from_row,
                                 [](const OutageRecord& o) { return o.id; });
}

}  // namespace esimo::store::sqlite
