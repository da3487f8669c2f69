#include "store/sqlite/schema.hpp"

#include <string>

#include "store/sqlite/sqlite_db.hpp"

namespace esimo::store::sqlite {

namespace schema_sql {

// Conventions: times are BIGINT microseconds since the Unix epoch (UTC); money is BIGINT micro-units plus an ISO 4217
// code; enums are their API strings. Every tenant-owned table leads its primary key with tenant_id, so every query
// of one tenant is an index range.
constexpr std::string_view kFleetModel = R"sql(
CREATE TABLE tenants (
  id BIGINT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tenants_name ON tenants (name);

CREATE TABLE api_keys (
  id TEXT NOT NULL PRIMARY KEY,
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  role TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

CREATE TABLE countries (
  code TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  alpha3 TEXT NOT NULL,
  numeric_code TEXT NOT NULL
);

-- tenant_id 0 is the shared catalog (no tenants row), so carriers carry no foreign key to tenants.
CREATE TABLE carriers (
  tenant_id BIGINT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  rats INTEGER NOT NULL,
  status TEXT NOT NULL,
  smdp_address TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX carriers_id ON carriers (id, tenant_id);

CREATE TABLE carrier_plmns (
  tenant_id BIGINT NOT NULL,
  carrier_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  plmn TEXT NOT NULL,
  PRIMARY KEY (tenant_id, carrier_id, plmn),
  FOREIGN KEY (tenant_id, carrier_id) REFERENCES carriers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX carrier_plmns_plmn ON carrier_plmns (plmn, tenant_id, carrier_id);

CREATE TABLE carrier_countries (
  tenant_id BIGINT NOT NULL,
  carrier_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  country TEXT NOT NULL,
  PRIMARY KEY (tenant_id, carrier_id, country),
  FOREIGN KEY (tenant_id, carrier_id) REFERENCES carriers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX carrier_countries_country ON carrier_countries (country, tenant_id, carrier_id);

-- carrier_id names the tenant's own carrier or a catalog one, so it is checked by the store, not a foreign key.
CREATE TABLE rate_cards (
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  carrier_id TEXT NOT NULL,
  country TEXT NOT NULL,
  per_mb_micros BIGINT NOT NULL,
  per_mb_currency TEXT NOT NULL,
  per_sms_micros BIGINT NOT NULL,
  per_sms_currency TEXT NOT NULL,
  monthly_micros BIGINT NOT NULL,
  monthly_currency TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, carrier_id, country)
);

CREATE TABLE device_groups (
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  name TEXT NOT NULL,
  parent TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name),
  FOREIGN KEY (tenant_id, parent) REFERENCES device_groups (tenant_id, name)
);
CREATE INDEX device_groups_parent ON device_groups (tenant_id, parent);

CREATE TABLE devices (
  tenant_id BIGINT NOT NULL,
  eid TEXT NOT NULL,
  name TEXT NOT NULL,
  group_name TEXT NOT NULL,
  lifecycle TEXT NOT NULL,
  sgp32_version TEXT NOT NULL,
  active_iccid TEXT,
  serving_plmn TEXT,
  country TEXT,
  last_seen BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, eid),
  FOREIGN KEY (tenant_id, group_name) REFERENCES device_groups (tenant_id, name)
);
CREATE INDEX devices_group ON devices (tenant_id, group_name, eid);
CREATE INDEX devices_country ON devices (tenant_id, country, eid);
CREATE INDEX devices_lifecycle ON devices (tenant_id, lifecycle, eid);

CREATE TABLE device_tags (
  tenant_id BIGINT NOT NULL,
  eid TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (tenant_id, eid, tag),
  FOREIGN KEY (tenant_id, eid) REFERENCES devices (tenant_id, eid) ON DELETE CASCADE
);
CREATE INDEX device_tags_tag ON device_tags (tenant_id, tag, eid);

CREATE TABLE profiles (
  tenant_id BIGINT NOT NULL,
  iccid TEXT NOT NULL,
  eid TEXT NOT NULL,
  carrier_id TEXT NOT NULL,
  profile_class TEXT NOT NULL,
  state TEXT NOT NULL,
  fallback INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, iccid),
  FOREIGN KEY (tenant_id, eid) REFERENCES devices (tenant_id, eid) ON DELETE CASCADE
);
CREATE INDEX profiles_eid ON profiles (tenant_id, eid, iccid);
CREATE INDEX profiles_carrier ON profiles (tenant_id, carrier_id, iccid)
)sql";

constexpr std::string_view kOperations = R"sql(
CREATE TABLE operations (
  tenant_id BIGINT NOT NULL,
  id TEXT NOT NULL,
  eid TEXT NOT NULL,
  type TEXT NOT NULL,
  params_json TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  outcome TEXT NOT NULL,
  result_json TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  expires_at BIGINT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, eid) REFERENCES devices (tenant_id, eid) ON DELETE CASCADE
);
CREATE UNIQUE INDEX operations_idempotency ON operations (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX operations_eid ON operations (tenant_id, eid, id);
CREATE INDEX operations_state ON operations (tenant_id, state, id)
)sql";

// The eIM's durable record (SGP.32 §2.11.1.1): per-eUICC state (counterValue last used, association token, learned
// certificates as hex DER, emulated flag), every package sent (eimTransactionId unique across the eIM, its
// eimSignature), and the package each operation left in. Portable SQL (ALTER TABLE ... ADD COLUMN works in SQLite and PostgreSQL).
constexpr std::string_view kEimState = R"sql(
CREATE TABLE euicc_eim_state (
  tenant_id BIGINT NOT NULL,
  eid TEXT NOT NULL,
  eim_id TEXT NOT NULL,
  counter_value BIGINT NOT NULL,
  association_token BIGINT,
  euicc_certificate TEXT NOT NULL,
  eum_certificate TEXT NOT NULL,
  emulated INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, eid),
  FOREIGN KEY (tenant_id, eid) REFERENCES devices (tenant_id, eid) ON DELETE CASCADE
);
CREATE TABLE eim_packages (
  eim_transaction_id TEXT NOT NULL PRIMARY KEY,
  tenant_id BIGINT NOT NULL,
  eid TEXT NOT NULL,
  eim_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  counter_value BIGINT NOT NULL,
  eim_signature TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  FOREIGN KEY (tenant_id, eid) REFERENCES devices (tenant_id, eid) ON DELETE CASCADE
);
CREATE INDEX eim_packages_device ON eim_packages (tenant_id, eid, created_at);
ALTER TABLE operations ADD COLUMN counter_value BIGINT;
ALTER TABLE operations ADD COLUMN eim_transaction_id TEXT;
ALTER TABLE operations ADD COLUMN delivered_at BIGINT;
CREATE INDEX operations_eim_transaction ON operations (eim_transaction_id);
CREATE INDEX operations_open ON operations (state, tenant_id, eid, created_at);
CREATE INDEX devices_eid ON devices (eid, tenant_id)
)sql";

// The engine's durable record (issue 6): policy documents (canonical JSON; at most one per scope), the carrier status
// feed's last word per carrier, and declared outages.
constexpr std::string_view kEngine = R"sql(
CREATE TABLE policies (
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  scope_kind TEXT NOT NULL,
  scope_target TEXT NOT NULL,
  document_json TEXT NOT NULL,
  revision BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX policies_name ON policies (tenant_id, name);
CREATE UNIQUE INDEX policies_scope ON policies (tenant_id, scope_kind, scope_target);
CREATE TABLE carrier_status (
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  carrier_id TEXT NOT NULL,
  state TEXT NOT NULL,
  countries TEXT NOT NULL,
  note TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, carrier_id)
);
CREATE TABLE outages (
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  carrier_id TEXT NOT NULL,
  country TEXT,
  source TEXT NOT NULL,
  state TEXT NOT NULL,
  detail TEXT NOT NULL,
  affected_devices BIGINT NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outages_state ON outages (tenant_id, state, id)
)sql";

// Events and webhooks: the append-only event log (the outbox of webhooks and GET /v1/events) and the subscriptions,
// each with the seq of the last event it has passed (its cursor).
constexpr std::string_view kEvents = R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  type TEXT NOT NULL,
  subject TEXT NOT NULL,
  data_json TEXT NOT NULL,
  occurred_at BIGINT NOT NULL
);
CREATE INDEX events_tenant ON events (tenant_id, seq);
CREATE TABLE webhooks (
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  types TEXT NOT NULL,
  cursor BIGINT NOT NULL,
  failures BIGINT NOT NULL,
  last_error TEXT NOT NULL,
  last_attempt_at BIGINT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id)
)
)sql";

// Durable failover plans (issue 6): one row per outage holding the engine's compact plan (32 bytes a device).
constexpr std::string_view kFailoverPlans = R"sql(
CREATE TABLE failover_plans (
  tenant_id BIGINT NOT NULL REFERENCES tenants (id),
  outage_id TEXT NOT NULL,
  carrier_id TEXT NOT NULL,
  country TEXT NOT NULL,
  devices BIGINT NOT NULL,
  waves BIGINT NOT NULL,
  released BIGINT NOT NULL,
  plan BLOB NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, outage_id)
)
)sql";

// The seqNumber of the last eUICC notification that changed what the eIM believes (NULL: none): an older one,
// replayed, is not applied again.
constexpr std::string_view kNotificationSeq = R"sql(
ALTER TABLE euicc_eim_state ADD COLUMN notification_seq BIGINT
)sql";

constexpr Migration kMigrations[] = {
    {1, "fleet model: tenants, keys, catalog, rates, groups, devices, profiles", kFleetModel},
    {2, "operations", kOperations},
    {3, "eIM state: per-eUICC counters and keys, transaction ids", kEimState},
    {4, "engine: policies, carrier status feed, outages", kEngine},
    {5, "events and webhooks", kEvents},
    {6, "engine: durable failover plans", kFailoverPlans},
    {7, "eIM state: last applied notification seqNumber", kNotificationSeq},
};

}  // namespace schema_sql

std::span<const Migration> migrations() { return schema_sql::kMigrations; }

Result<int> schema_version(Connection& db) {
  ESIMO_CHECK(db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)",
      "create schema_migrations"));
  ESIMO_TRY(Stmt * s, db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  ESIMO_TRY(bool row, s->step("read schema version"));
  const int v = row ? static_cast<int>(s->int64(0)) : 0;
  s->reset();
  return v;
}

namespace {
Status migrate_in_txn(Connection& db, const Clock& clock, int target) {
  ESIMO_TRY(int current, schema_version(db));
  const int latest = migrations().back().version;
  if (current > latest) {
    return Error(Errc::unsupported, "database schema version " + std::to_string(current) +
                                        " is newer than this build of esimo supports (" + std::to_string(latest) +
                                        "); upgrade esimo");
  }
  for (const Migration& m : migrations()) {
    if (m.version <= current || m.version > target) continue;
    const std::string what = "schema migration " + std::to_string(m.version) + " (" + std::string(m.name) + ")";
    ESIMO_CHECK(db.exec(m.sql, what));
    ESIMO_TRY(Stmt * ins, db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"));
    ESIMO_CHECK(ins->bind(1, static_cast<std::int64_t>(m.version)).bind(2, clock.now()).run(what));
  }
  return {};
}
}  // namespace

Status migrate(Connection& db, const Clock& clock, int target_version) {
  const int target = target_version == 0 ? migrations().back().version : target_version;
  // IMMEDIATE: take the write lock first, so two processes opening the same new database do not both migrate.
  ESIMO_CHECK(db.exec("BEGIN IMMEDIATE", "begin schema migration"));
  Status st = migrate_in_txn(db, clock, target);
  if (!st.ok()) {
    (void)db.exec("ROLLBACK", "rollback schema migration");
    return st;
  }
  return db.exec("COMMIT", "commit schema migration");
}

}  // namespace esimo::store::sqlite
