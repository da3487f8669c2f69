#include "store/sqlite/sqlite_store.hpp"

#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace esimo::store {

std::filesystem::path sqlite_store_file(const std::filesystem::path& data_dir) { return data_dir / "esimo.db"; }

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& data_dir, SqliteOptions opts) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Error(Errc::io_error, "create data directory " + data_dir.string() + ": " + ec.message());
  const Clock& clock = opts.clock != nullptr ? *opts.clock : static_cast<const Clock&>(SystemClock::instance());
  const auto file = sqlite_store_file(data_dir);
  const int busy_ms = static_cast<int>(opts.busy_timeout.count());

  ESIMO_TRY(auto wconn, sqlite::Connection::open(file, {.read_only = false, .busy_timeout_ms = busy_ms}));
  {
    ESIMO_TRY(sqlite::Stmt * jm, wconn->prepare("PRAGMA journal_mode=WAL"));
    ESIMO_TRY(bool row, jm->step("set WAL mode on " + file.string()));
    if (!row || jm->text(0) != "wal") {
      return Error(Errc::io_error, "cannot use WAL mode on " + file.string() + " (file system without shared memory?)");
    }
    jm->reset();
  }
  // See SqliteOptions::durable_commits: FULL fsyncs the WAL on every commit, i.e. once per group-commit batch.
  ESIMO_CHECK(wconn->exec(opts.durable_commits ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                          "set synchronous"));
  ESIMO_CHECK(wconn->exec("PRAGMA foreign_keys=ON", "enable foreign keys"));
  // The writer keeps the hot index pages of a large fleet in memory (up to 256 MiB, grown on demand; the default is
  // 2 MiB), so bulk imports neither re-read pages from the OS on every batch nor spill a batch's dirty pages to the
  // WAL before its commit (bench/: 100,000 devices are ~120 MB of pages, touched at random since EIDs are random).
  ESIMO_CHECK(wconn->exec("PRAGMA cache_size=-262144", "set cache size"));
  // Checkpoint the WAL into the database every 8,192 pages (32 MiB) instead of SQLite's 1,000: a page written by
  // many commits in between (the hot index and device pages of the eIM's cycle) is copied to the database once per
  // checkpoint, not once per 1,000 pages of WAL. The checkpoint runs on the writer thread after a commit; this was
  // ~10% of the eIM's CPU per PSMO cycle at the default (docs/performance.md).
  ESIMO_CHECK(wconn->exec("PRAGMA wal_autocheckpoint=8192", "set WAL checkpoint interval"));
  ESIMO_CHECK(sqlite::migrate(*wconn, clock));

  ESIMO_TRY(auto readers, sqlite::ReadPool::open(file, opts.read_connections, busy_ms, opts.reader_mmap_bytes));
  auto writer = std::make_unique<sqlite::Writer>(std::move(wconn), opts.max_batch);
  return std::unique_ptr<Store>(std::make_unique<sqlite::SqliteStore>(clock, std::move(writer), std::move(readers)));
}

}  // namespace esimo::store

namespace esimo::store::sqlite {

// ---------------------------------------------------------------------------------------------------------------------
// helpers

OpTimer::OpTimer(metrics::Histogram& h) : h_(h), start_(std::chrono::steady_clock::now()) {}
OpTimer::~OpTimer() {
  h_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
}

metrics::Histogram& op_histogram(std::string_view op) {
  return metrics::Registry::global().histogram("esimo_store_seconds", "Store call latency by operation",
                                               {{"op", std::string(op)}});
}

// BEGIN/COMMIT go through the connection's statement cache: exec() would parse them again on every read.
Result<ReadTxn> ReadTxn::begin(Connection& db) {
  ESIMO_TRY(Stmt * begin, db.prepare("BEGIN"));
  ESIMO_CHECK(begin->run("begin read"));
  return ReadTxn(db);
}

ReadTxn::~ReadTxn() {
  if (db_ == nullptr) return;
  if (auto commit = db_->prepare("COMMIT"); commit.ok()) (void)(*commit)->run("end read");
}

Status validate_page(const Page& page) {
  if (page.limit == 0 || page.limit > kMaxPageLimit) {
    return Error(Errc::invalid_argument, "limit must be between 1 and " + std::to_string(kMaxPageLimit), "limit");
  }
  return {};
}

Result<bool> row_exists(Connection& db, const std::string& sql, TenantId tenant, std::string_view key) {
  ESIMO_TRY(Stmt * s, db.prepare(sql));
  s->bind(1, tenant).bind(2, key);
  ESIMO_TRY(bool row, s->step("lookup"));
  s->reset();
  return row;
}

Status require_tenant(Connection& db, TenantId tenant) {
  ESIMO_TRY(Stmt * s, db.prepare("SELECT 1 FROM tenants WHERE id = ?"));
  s->bind(1, tenant);
  ESIMO_TRY(bool row, s->step("lookup tenant"));
  s->reset();
  if (!row) return Error(Errc::invalid_argument, "tenant " + std::to_string(tenant) + " does not exist", "tenant_id");
  return {};
}

Status require_group(Connection& db, TenantId tenant, std::string_view group, std::string_view for_what) {
  ESIMO_TRY(bool ok, row_exists(db, "SELECT 1 FROM device_groups WHERE tenant_id = ? AND name = ?", tenant, group));
  if (!ok) {
    return Error(Errc::invalid_argument, std::string(for_what) + ": group '" + std::string(group) + "' does not exist",
                 "group");
  }
  return {};
}

Status require_carrier(Connection& db, TenantId tenant, std::string_view carrier_id, std::string_view for_what) {
  ESIMO_TRY(Stmt * s, db.prepare("SELECT 1 FROM carriers WHERE id = ? AND (tenant_id = ? OR tenant_id = 0)"));
  s->bind(1, carrier_id).bind(2, tenant);
  ESIMO_TRY(bool row, s->step("lookup carrier"));
  s->reset();
  if (!row) {
    return Error(Errc::invalid_argument,
                 std::string(for_what) + ": carrier '" + std::string(carrier_id) + "' does not exist", "carrier");
  }
  return {};
}

namespace store_detail {

std::string tenant_str(TenantId t) { return "tenant " + std::to_string(t); }

Status validate_carrier(const domain::Carrier& c) {
  const std::string key = "carrier '" + c.id + "'";
  if (c.id.empty() || c.id.size() > 64) return Error(Errc::invalid_argument, "carrier id must be 1-64 characters", "id");
  for (char ch : c.id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                    ch == '_' || ch == '.';
    if (!ok) return Error(Errc::invalid_argument, key + ": id may contain only letters, digits, '-', '_' and '.'", "id");
  }
  if (c.name.empty()) return Error(Errc::invalid_argument, key + ": name is empty", "name");
  std::set<domain::Plmn> plmns(c.plmns.begin(), c.plmns.end());
  if (plmns.size() != c.plmns.size()) return Error(Errc::invalid_argument, key + ": a PLMN is listed twice", "plmns");
  std::set<domain::CountryCode> countries(c.countries.begin(), c.countries.end());
  if (countries.size() != c.countries.size()) {
    return Error(Errc::invalid_argument, key + ": a country is listed twice", "countries");
  }
  return {};
}

// Inserts or replaces one carrier row with its PLMNs and countries (writer thread).
Status write_carrier(Connection& db, const domain::Carrier& c) {
  const std::string what = "write carrier " + c.id;
  ESIMO_TRY(Stmt * up, db.prepare(
                           "INSERT INTO carriers (tenant_id, id, name, rats, status, smdp_address) VALUES (?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, rats = excluded.rats, "
                           "status = excluded.status, smdp_address = excluded.smdp_address"));
  ESIMO_CHECK(up->bind(1, c.tenant_id)
                  .bind(2, c.id)
                  .bind(3, c.name)
                  .bind(4, static_cast<std::int64_t>(c.rats))
                  .bind(5, domain::to_string(c.status))
                  .bind(6, c.smdp_address)
                  .run(what));
  ESIMO_TRY(Stmt * dp, db.prepare("DELETE FROM carrier_plmns WHERE tenant_id = ? AND carrier_id = ?"));
  ESIMO_CHECK(dp->bind(1, c.tenant_id).bind(2, c.id).run(what));
  ESIMO_TRY(Stmt * dc, db.prepare("DELETE FROM carrier_countries WHERE tenant_id = ? AND carrier_id = ?"));
  ESIMO_CHECK(dc->bind(1, c.tenant_id).bind(2, c.id).run(what));
  ESIMO_TRY(Stmt * ip, db.prepare(
                           "INSERT INTO carrier_plmns (tenant_id, carrier_id, position, plmn) VALUES (?, ?, ?, ?)"));
  for (std::size_t i = 0; i < c.plmns.size(); ++i) {
    ESIMO_CHECK(ip->bind(1, c.tenant_id)
                    .bind(2, c.id)
                    .bind(3, static_cast<std::int64_t>(i))
                    .bind(4, c.plmns[i].str())
                    .run(what));
  }
  ESIMO_TRY(Stmt * ic, db.prepare(
                           "INSERT INTO carrier_countries (tenant_id, carrier_id, position, country) VALUES (?, ?, ?, ?)"));
  for (std::size_t i = 0; i < c.countries.size(); ++i) {
    ESIMO_CHECK(ic->bind(1, c.tenant_id)
                    .bind(2, c.id)
                    .bind(3, static_cast<std::int64_t>(i))
                    .bind(4, c.countries[i].str())
                    .run(what));
  }
  return {};
}

Result<std::int64_t> count_rows(Connection& db, const std::string& sql, TenantId tenant, std::string_view key) {
  ESIMO_TRY(Stmt * s, db.prepare(sql));
  s->bind(1, tenant).bind(2, key);
  ESIMO_TRY(bool row, s->step("count"));
  const std::int64_t n = row ? s->int64(0) : 0;
  s->reset();
  return n;
}

Status validate_money(const domain::Money& m, std::string_view field, std::string_view key) {
  if (m.micros < 0) {
    return Error(Errc::invalid_argument, std::string(key) + ": " + std::string(field) + " is negative",
                 std::string(field));
  }
  return {};
}

}  // namespace store_detail

// ---------------------------------------------------------------------------------------------------------------------
// tenants

Result<domain::Tenant> SqliteStore::create_tenant(std::string_view name) {
  ESIMO_STORE_OP("create_tenant");
  if (name.empty() || name.size() > 128) {
    return Error(Errc::invalid_argument, "tenant name must be 1-128 characters", "name");
  }
  for (unsigned char ch : name) {
    if (ch < 0x20 || ch == 0x7f) return Error(Errc::invalid_argument, "tenant name contains a control character", "name");
  }
  domain::Tenant tenant{0, std::string(name), clock_.now()};
  ESIMO_CHECK(writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * dup, db.prepare("SELECT id FROM tenants WHERE name = ?"));
    dup->bind(1, tenant.name);
    ESIMO_TRY(bool exists, dup->step("lookup tenant"));
    dup->reset();
    if (exists) return Error(Errc::already_exists, "tenant '" + tenant.name + "' already exists", "name");
    // Ids are allocated here rather than by the database so the SQL stays portable; the single writer makes it safe.
    ESIMO_TRY(Stmt * next, db.prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM tenants"));
    ESIMO_TRY(bool row, next->step("allocate tenant id"));
    tenant.id = row ? next->int64(0) : 1;
    next->reset();
    ESIMO_TRY(Stmt * ins, db.prepare("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)"));
    ESIMO_CHECK(ins->bind(1, tenant.id).bind(2, tenant.name).bind(3, tenant.created_at).run("create tenant " + tenant.name));
    ESIMO_TRY(Stmt * root, db.prepare(
                               "INSERT INTO device_groups (tenant_id, name, parent, created_at) VALUES (?, ?, NULL, ?)"));
    return root->bind(1, tenant.id).bind(2, domain::kRootGroup).bind(3, tenant.created_at).run("create root group");
  }));
  return tenant;
}

Result<domain::Tenant> SqliteStore::get_tenant(TenantId id) {
  ESIMO_STORE_OP("get_tenant");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kTenantColumns) + " FROM tenants WHERE id = ?"));
  s->bind(1, id);
  ESIMO_TRY(bool row, s->step("get tenant"));
  if (!row) return Error(Errc::not_found, store_detail::tenant_str(id) + " not found");
  auto t = tenant_from_row(*s);
  s->reset();
  return t;
}

Result<domain::Tenant> SqliteStore::get_tenant_by_name(std::string_view name) {
  ESIMO_STORE_OP("get_tenant_by_name");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kTenantColumns) + " FROM tenants WHERE name = ?"));
  s->bind(1, name);
  ESIMO_TRY(bool row, s->step("get tenant"));
  if (!row) return Error(Errc::not_found, "tenant '" + std::string(name) + "' not found");
  auto t = tenant_from_row(*s);
  s->reset();
  return t;
}

Result<std::vector<domain::Tenant>> SqliteStore::list_tenants() {
  ESIMO_STORE_OP("list_tenants");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kTenantColumns) + " FROM tenants ORDER BY id"));
  std::vector<domain::Tenant> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("list tenants"));
    if (!row) break;
    ESIMO_TRY(domain::Tenant t, tenant_from_row(*s));
    out.push_back(std::move(t));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// API keys

Status SqliteStore::put_api_key(const domain::ApiKey& key) {
  ESIMO_STORE_OP("put_api_key");
  if (key.id.empty()) return Error(Errc::invalid_argument, "api key id is empty", "id");
  if (key.secret_hash.empty()) return Error(Errc::invalid_argument, "api key " + key.id + ": secret hash is empty");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(require_tenant(db, key.tenant_id));
    ESIMO_TRY(Stmt * dup, db.prepare("SELECT 1 FROM api_keys WHERE id = ?"));
    dup->bind(1, key.id);
    ESIMO_TRY(bool exists, dup->step("lookup api key"));
    dup->reset();
    if (exists) return Error(Errc::already_exists, "api key " + key.id + " already exists", "id");
    ESIMO_TRY(Stmt * ins, db.prepare("INSERT INTO api_keys (" + std::string(kApiKeyColumns) +
                                     ") VALUES (?, ?, ?, ?, ?, ?, ?)"));
    return ins->bind(1, key.id)
        .bind(2, key.tenant_id)
        .bind(3, domain::to_string(key.role))
        .bind(4, key.secret_hash)
        .bind(5, key.label)
        .bind(6, key.created_at)
        .bind(7, key.revoked_at)
        .run("create api key " + key.id);
  });
}

Result<domain::ApiKey> SqliteStore::get_api_key(std::string_view id) {
  ESIMO_STORE_OP("get_api_key");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kApiKeyColumns) + " FROM api_keys WHERE id = ?"));
  s->bind(1, id);
  ESIMO_TRY(bool row, s->step("get api key"));
  if (!row) return Error(Errc::not_found, "api key " + std::string(id) + " not found");
  auto k = api_key_from_row(*s);
  s->reset();
  return k;
}

Result<std::vector<domain::ApiKey>> SqliteStore::list_api_keys(std::optional<TenantId> tenant) {
  ESIMO_STORE_OP("list_api_keys");
  auto db = readers_->lease();
  const std::string cols(kApiKeyColumns);
  ESIMO_TRY(Stmt * s, db->prepare(tenant ? "SELECT " + cols + " FROM api_keys WHERE tenant_id = ? ORDER BY id"
                                         : "SELECT " + cols + " FROM api_keys ORDER BY id"));
  if (tenant) s->bind(1, *tenant);
  std::vector<domain::ApiKey> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("list api keys"));
    if (!row) break;
    ESIMO_TRY(domain::ApiKey k, api_key_from_row(*s));
    out.push_back(std::move(k));
  }
  return out;
}

Status SqliteStore::revoke_api_key(std::string_view id, TimePoint at) {
  ESIMO_STORE_OP("revoke_api_key");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * s, db.prepare("SELECT revoked_at FROM api_keys WHERE id = ?"));
    s->bind(1, id);
    ESIMO_TRY(bool row, s->step("lookup api key"));
    const bool already = row && !s->is_null(0);
    s->reset();
    if (!row) return Error(Errc::not_found, "api key " + std::string(id) + " not found");
    if (already) return {};  // idempotent: the first revocation time stands
    ESIMO_TRY(Stmt * u, db.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?"));
    return u->bind(1, at).bind(2, id).run("revoke api key " + std::string(id));
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// countries and the catalog

Status SqliteStore::seed_catalog(const std::vector<domain::Country>& countries,
                                 const std::vector<domain::Carrier>& carriers) {
  ESIMO_STORE_OP("seed_catalog");
  std::set<std::string> ids;
  for (const auto& c : carriers) {
    if (c.tenant_id != domain::kCatalogTenant) {
      return Error(Errc::invalid_argument, "carrier '" + c.id + "' is not a catalog carrier (tenant 0)", "tenant_id");
    }
    ESIMO_CHECK(store_detail::validate_carrier(c));
    if (!ids.insert(c.id).second) return Error(Errc::invalid_argument, "catalog lists carrier '" + c.id + "' twice");
  }
  std::set<std::string> codes;
  for (const auto& c : countries) {
    if (!codes.insert(c.code.str()).second) {
      return Error(Errc::invalid_argument, "catalog lists country " + c.code.str() + " twice");
    }
  }
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * up, db.prepare(
                             "INSERT INTO countries (code, name, alpha3, numeric_code) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (code) DO UPDATE SET name = excluded.name, alpha3 = excluded.alpha3, "
                             "numeric_code = excluded.numeric_code"));
    for (const auto& c : countries) {
      ESIMO_CHECK(up->bind(1, c.code.str()).bind(2, c.name).bind(3, c.alpha3).bind(4, c.numeric).run("seed country"));
    }
    // Countries and catalog carriers no longer in the data are removed; a catalog carrier still named by a profile or
    // a rate card is kept (deleting it would orphan them).
    std::vector<std::string> stale;
    {
      ESIMO_TRY(Stmt * all, db.prepare("SELECT code FROM countries ORDER BY code"));
      for (;;) {
        ESIMO_TRY(bool row, all->step("list countries"));
        if (!row) break;
        if (codes.count(all->text(0)) == 0) stale.push_back(all->text(0));
      }
    }
    ESIMO_TRY(Stmt * delc, db.prepare("DELETE FROM countries WHERE code = ?"));
    for (const auto& code : stale) ESIMO_CHECK(delc->bind(1, code).run("remove country " + code));

    for (const auto& c : carriers) ESIMO_CHECK(store_detail::write_carrier(db, c));
    stale.clear();
    {
      ESIMO_TRY(Stmt * all, db.prepare("SELECT c.id FROM carriers c WHERE c.tenant_id = 0 AND NOT EXISTS "
                                       "(SELECT 1 FROM profiles p WHERE p.carrier_id = c.id) AND NOT EXISTS "
                                       "(SELECT 1 FROM rate_cards r WHERE r.carrier_id = c.id) ORDER BY c.id"));
      for (;;) {
        ESIMO_TRY(bool row, all->step("list catalog carriers"));
        if (!row) break;
        if (ids.count(all->text(0)) == 0) stale.push_back(all->text(0));
      }
    }
    ESIMO_TRY(Stmt * delk, db.prepare("DELETE FROM carriers WHERE tenant_id = 0 AND id = ?"));
    for (const auto& id : stale) ESIMO_CHECK(delk->bind(1, id).run("remove catalog carrier " + id));
    return {};
  });
}

Result<std::vector<domain::Country>> SqliteStore::list_countries() {
  ESIMO_STORE_OP("list_countries");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT code, name, alpha3, numeric_code FROM countries ORDER BY code"));
  std::vector<domain::Country> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("list countries"));
    if (!row) break;
    auto code = domain::CountryCode::parse(s->text(0));
    if (!code) return Error(Errc::internal, "corrupt stored country code: " + code.error().message);
    out.push_back(domain::Country{*code, s->text(1), s->text(2), s->text(3)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// carriers

Result<domain::Carrier> SqliteStore::get_carrier(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("get_carrier");
  auto db = readers_->lease();
  ESIMO_TRY(auto txn, ReadTxn::begin(*db));
  // The tenant's own carrier shadows a catalog one of the same id.
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kCarrierColumns) +
                                  " FROM carriers c WHERE c.id = ? AND (c.tenant_id = ? OR c.tenant_id = 0) "
                                  "ORDER BY c.tenant_id DESC LIMIT 1"));
  s->bind(1, id).bind(2, tenant);
  ESIMO_TRY(bool row, s->step("get carrier"));
  if (!row) return Error(Errc::not_found, "carrier '" + std::string(id) + "' not found");
  auto c = carrier_from_row(*db, *s);
  s->reset();
  return c;
}

Result<PageOf<domain::Carrier>> SqliteStore::list_carriers(TenantId tenant, const CarrierFilter& filter,
                                                           const Page& page) {
  ESIMO_STORE_OP("list_carriers");
  ESIMO_CHECK(validate_page(page));
  std::string sql = "SELECT " + std::string(kCarrierColumns) +
                    " FROM carriers c WHERE (c.tenant_id = ? OR (c.tenant_id = 0 AND NOT EXISTS (SELECT 1 FROM "
                    "carriers o WHERE o.tenant_id = ? AND o.id = c.id))) AND c.id > ?";
  std::vector<std::string> binds;
  if (filter.country) {
    sql += " AND EXISTS (SELECT 1 FROM carrier_countries cc WHERE cc.tenant_id = c.tenant_id AND cc.carrier_id = c.id "
           "AND cc.country = ?)";
    binds.push_back(filter.country->str());
  }
  if (filter.plmn) {
    sql += " AND EXISTS (SELECT 1 FROM carrier_plmns cp WHERE cp.tenant_id = c.tenant_id AND cp.carrier_id = c.id "
           "AND cp.plmn = ?)";
    binds.push_back(filter.plmn->str());
  }
  if (filter.status) {
    sql += " AND c.status = ?";
    binds.push_back(std::string(domain::to_string(*filter.status)));
  }
  sql += " ORDER BY c.id LIMIT ?";

  auto db = readers_->lease();
  ESIMO_TRY(auto txn, ReadTxn::begin(*db));
  ESIMO_TRY(Stmt * s, db->prepare(sql));
  s->bind(1, tenant).bind(2, tenant).bind(3, page.after);
  return read_page<domain::Carrier>(
      *s, 4, binds, page, "list carriers", [&](const Stmt& row) { return carrier_from_row(*db, row); },
      [](const domain::Carrier& c) { return c.id; });
}

Result<domain::Carrier> SqliteStore::find_carrier_by_plmn(TenantId tenant, const domain::Plmn& plmn) {
  ESIMO_STORE_OP("find_carrier_by_plmn");
  auto db = readers_->lease();
  ESIMO_TRY(auto txn, ReadTxn::begin(*db));
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kCarrierColumns) +
                                  " FROM carrier_plmns p JOIN carriers c ON c.tenant_id = p.tenant_id AND "
                                  "c.id = p.carrier_id WHERE p.plmn = ? AND (p.tenant_id = ? OR p.tenant_id = 0) "
                                  "ORDER BY p.tenant_id DESC, p.carrier_id LIMIT 1"));
  s->bind(1, plmn.str()).bind(2, tenant);
  ESIMO_TRY(bool row, s->step("find carrier by PLMN"));
  if (!row) return Error(Errc::not_found, "no carrier has home PLMN " + plmn.str());
  auto c = carrier_from_row(*db, *s);
  s->reset();
  return c;
}

Status SqliteStore::create_carrier(const domain::Carrier& carrier) {
  ESIMO_STORE_OP("create_carrier");
  if (carrier.tenant_id == domain::kCatalogTenant) {
    return Error(Errc::invalid_argument, "carrier '" + carrier.id + "': the catalog is changed only by seeding",
                 "tenant_id");
  }
  ESIMO_CHECK(store_detail::validate_carrier(carrier));
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(require_tenant(db, carrier.tenant_id));
    ESIMO_TRY(Stmt * s, db.prepare("SELECT tenant_id FROM carriers WHERE id = ? AND (tenant_id = ? OR tenant_id = 0)"));
    s->bind(1, carrier.id).bind(2, carrier.tenant_id);
    ESIMO_TRY(bool row, s->step("lookup carrier"));
    const bool in_catalog = row && s->int64(0) == domain::kCatalogTenant;
    s->reset();
    if (row) {
      return Error(Errc::already_exists,
                   "carrier '" + carrier.id + "' already exists" + (in_catalog ? " in the catalog" : ""), "id");
    }
    return store_detail::write_carrier(db, carrier);
  });
}

namespace store_detail {
// The tenant's own carrier must exist; a catalog id gets conflict (read-only), anything else not_found.
Status require_own_carrier(Connection& db, TenantId tenant, std::string_view id) {
  ESIMO_TRY(Stmt * s, db.prepare("SELECT tenant_id FROM carriers WHERE id = ? AND (tenant_id = ? OR tenant_id = 0) "
                                 "ORDER BY tenant_id DESC LIMIT 1"));
  s->bind(1, id).bind(2, tenant);
  ESIMO_TRY(bool row, s->step("lookup carrier"));
  const TenantId owner = row ? s->int64(0) : -1;
  s->reset();
  if (!row) return Error(Errc::not_found, "carrier '" + std::string(id) + "' not found");
  if (owner == domain::kCatalogTenant) {
    return Error(Errc::conflict, "carrier '" + std::string(id) + "' belongs to the shared catalog and is read-only");
  }
  return {};
}
}  // namespace store_detail

Status SqliteStore::update_carrier(const domain::Carrier& carrier) {
  ESIMO_STORE_OP("update_carrier");
  if (carrier.tenant_id == domain::kCatalogTenant) {
    return Error(Errc::invalid_argument, "carrier '" + carrier.id + "': the catalog is changed only by seeding",
                 "tenant_id");
  }
  ESIMO_CHECK(store_detail::validate_carrier(carrier));
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(store_detail::require_own_carrier(db, carrier.tenant_id, carrier.id));
    return store_detail::write_carrier(db, carrier);
  });
}

Status SqliteStore::delete_carrier(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("delete_carrier");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(store_detail::require_own_carrier(db, tenant, id));
    ESIMO_TRY(std::int64_t n, store_detail::count_rows(
                                  db, "SELECT COUNT(*) FROM profiles WHERE tenant_id = ? AND carrier_id = ?", tenant, id));
    if (n > 0) {
      return Error(Errc::conflict,
                   "carrier '" + std::string(id) + "' is still used by " + std::to_string(n) + " profile(s)");
    }
    const std::string what = "delete carrier " + std::string(id);
    // Its rate cards go with it; PLMNs and countries by ON DELETE CASCADE, deleted explicitly too for clarity.
    for (const char* sql : {"DELETE FROM rate_cards WHERE tenant_id = ? AND carrier_id = ?",
                            "DELETE FROM carrier_plmns WHERE tenant_id = ? AND carrier_id = ?",
                            "DELETE FROM carrier_countries WHERE tenant_id = ? AND carrier_id = ?",
                            "DELETE FROM carriers WHERE tenant_id = ? AND id = ?"}) {
      ESIMO_TRY(Stmt * d, db.prepare(sql));
      ESIMO_CHECK(d->bind(1, tenant).bind(2, id).run(what));
    }
    return {};
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// rate cards

Status SqliteStore::put_rate_cards(const std::vector<domain::RateCard>& cards) {
  ESIMO_STORE_OP("put_rate_cards");
  for (const auto& r : cards) {
    const std::string key = "rate card " + r.carrier_id + "/" + r.country.str();
    if (r.tenant_id == domain::kCatalogTenant) {
      return Error(Errc::invalid_argument, key + ": rate cards belong to a tenant", "tenant_id");
    }
    ESIMO_CHECK(store_detail::validate_money(r.price_per_mb, "price_per_mb", key));
    ESIMO_CHECK(store_detail::validate_money(r.price_per_sms, "price_per_sms", key));
    ESIMO_CHECK(store_detail::validate_money(r.monthly_fee, "monthly_fee", key));
  }
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * up, db.prepare(
                             "INSERT INTO rate_cards (" + std::string(kRateCardColumns) +
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, carrier_id, country) "
                             "DO UPDATE SET per_mb_micros = excluded.per_mb_micros, per_mb_currency = "
                             "excluded.per_mb_currency, per_sms_micros = excluded.per_sms_micros, per_sms_currency = "
                             "excluded.per_sms_currency, monthly_micros = excluded.monthly_micros, monthly_currency = "
                             "excluded.monthly_currency, updated_at = excluded.updated_at"));
    for (const auto& r : cards) {
      const std::string key = "rate card " + r.carrier_id + "/" + r.country.str();
      ESIMO_CHECK(require_tenant(db, r.tenant_id));
      ESIMO_CHECK(require_carrier(db, r.tenant_id, r.carrier_id, key));
      ESIMO_CHECK(up->bind(1, r.tenant_id)
                      .bind(2, r.carrier_id)
                      .bind(3, r.country.str())
                      .bind(4, r.price_per_mb.micros)
                      .bind(5, r.price_per_mb.currency.str())
                      .bind(6, r.price_per_sms.micros)
                      .bind(7, r.price_per_sms.currency.str())
                      .bind(8, r.monthly_fee.micros)
                      .bind(9, r.monthly_fee.currency.str())
                      .bind(10, r.updated_at)
                      .run("put " + key));
    }
    return {};
  });
}

Result<std::vector<domain::RateCard>> SqliteStore::list_rate_cards(TenantId tenant, std::string_view carrier_id) {
  ESIMO_STORE_OP("list_rate_cards");
  auto db = readers_->lease();
  const std::string base = "SELECT " + std::string(kRateCardColumns) + " FROM rate_cards WHERE tenant_id = ?";
  // An empty carrier id lists every rate card of the tenant.
  ESIMO_TRY(Stmt * s, db->prepare(carrier_id.empty() ? base + " ORDER BY carrier_id, country"
                                                     : base + " AND carrier_id = ? ORDER BY country"));
  s->bind(1, tenant);
  if (!carrier_id.empty()) s->bind(2, carrier_id);
  std::vector<domain::RateCard> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("list rate cards"));
    if (!row) break;
    ESIMO_TRY(domain::RateCard r, rate_card_from_row(*s));
    out.push_back(std::move(r));
  }
  return out;
}

Status SqliteStore::delete_rate_card(TenantId tenant, std::string_view carrier_id, const domain::CountryCode& country) {
  ESIMO_STORE_OP("delete_rate_card");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * d, db.prepare("DELETE FROM rate_cards WHERE tenant_id = ? AND carrier_id = ? AND country = ?"));
    const std::string key = "rate card " + std::string(carrier_id) + "/" + country.str();
    ESIMO_CHECK(d->bind(1, tenant).bind(2, carrier_id).bind(3, country.str()).run("delete " + key));
    if (db.changes() == 0) return Error(Errc::not_found, key + " not found");
    return {};
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// groups

Status SqliteStore::create_group(const domain::Group& group) {
  ESIMO_STORE_OP("create_group");
  ESIMO_CHECK(domain::validate_group_name(group.name));
  if (group.parent.empty()) {
    return Error(Errc::invalid_argument, "group '" + group.name + "' needs a parent (only the root has none)", "parent");
  }
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(bool exists, row_exists(db, "SELECT 1 FROM device_groups WHERE tenant_id = ? AND name = ?",
                                      group.tenant_id, group.name));
    if (exists) return Error(Errc::already_exists, "group '" + group.name + "' already exists", "name");
    ESIMO_CHECK(require_group(db, group.tenant_id, group.parent, "group '" + group.name + "' parent"));
    ESIMO_TRY(Stmt * ins, db.prepare("INSERT INTO device_groups (" + std::string(kGroupColumns) +
                                     ") VALUES (?, ?, ?, ?)"));
    return ins->bind(1, group.tenant_id)
        .bind(2, group.name)
        .bind(3, group.parent)
        .bind(4, group.created_at)
        .run("create group " + group.name);
  });
}

Result<domain::Group> SqliteStore::get_group(TenantId tenant, std::string_view name) {
  ESIMO_STORE_OP("get_group");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kGroupColumns) +
                                  " FROM device_groups WHERE tenant_id = ? AND name = ?"));
  s->bind(1, tenant).bind(2, name);
  ESIMO_TRY(bool row, s->step("get group"));
  if (!row) return Error(Errc::not_found, "group '" + std::string(name) + "' not found");
  auto g = group_from_row(*s);
  s->reset();
  return g;
}

Result<PageOf<domain::Group>> SqliteStore::list_groups(TenantId tenant, const Page& page) {
  ESIMO_STORE_OP("list_groups");
  ESIMO_CHECK(validate_page(page));
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(kGroupColumns) +
                                  " FROM device_groups WHERE tenant_id = ? AND name > ? ORDER BY name LIMIT ?"));
  s->bind(1, tenant).bind(2, page.after).bind(3, static_cast<std::int64_t>(page.limit + 1));
  PageOf<domain::Group> out;
  for (;;) {
    ESIMO_TRY(bool row, s->step("list groups"));
    if (!row) break;
    if (out.items.size() == page.limit) {
      out.next_after = out.items.back().name;
      break;
    }
    ESIMO_TRY(domain::Group g, group_from_row(*s));
    out.items.push_back(std::move(g));
  }
  s->reset();
  return out;
}

Status SqliteStore::update_group(const domain::Group& group) {
  ESIMO_STORE_OP("update_group");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(bool exists, row_exists(db, "SELECT 1 FROM device_groups WHERE tenant_id = ? AND name = ?",
                                      group.tenant_id, group.name));
    if (!exists) return Error(Errc::not_found, "group '" + group.name + "' not found");
    if (group.name == domain::kRootGroup) {
      if (!group.parent.empty()) {
        return Error(Errc::invalid_argument, "the root group '" + group.name + "' cannot have a parent", "parent");
      }
      return {};
    }
    if (group.parent.empty()) {
      return Error(Errc::invalid_argument, "group '" + group.name + "' needs a parent (only the root has none)",
                   "parent");
    }
    ESIMO_CHECK(require_group(db, group.tenant_id, group.parent, "group '" + group.name + "' parent"));
    // Walk up from the new parent: reaching the group itself means the move would close a cycle. The walk is bounded
    // by the number of groups, so a damaged tree cannot loop forever.
    ESIMO_TRY(Stmt * up, db.prepare("SELECT parent FROM device_groups WHERE tenant_id = ? AND name = ?"));
    std::string at = group.parent;
    for (int steps = 0; steps < 100000 && !at.empty(); ++steps) {
      if (at == group.name) {
        return Error(Errc::conflict,
                     "moving group '" + group.name + "' under '" + group.parent + "' would create a cycle", "parent");
      }
      up->bind(1, group.tenant_id).bind(2, at);
      ESIMO_TRY(bool row, up->step("walk group parents"));
      at = row ? up->opt_text(0).value_or(std::string()) : std::string();
      up->reset();
    }
    ESIMO_TRY(Stmt * u, db.prepare("UPDATE device_groups SET parent = ? WHERE tenant_id = ? AND name = ?"));
    return u->bind(1, group.parent).bind(2, group.tenant_id).bind(3, group.name).run("update group " + group.name);
  });
}

Status SqliteStore::delete_group(TenantId tenant, std::string_view name) {
  ESIMO_STORE_OP("delete_group");
  return writer_->submit([&](Connection& db) -> Status {
    const std::string key = "group '" + std::string(name) + "'";
    if (name == domain::kRootGroup) return Error(Errc::conflict, "the root " + key + " cannot be deleted");
    ESIMO_TRY(bool exists,
              row_exists(db, "SELECT 1 FROM device_groups WHERE tenant_id = ? AND name = ?", tenant, name));
    if (!exists) return Error(Errc::not_found, key + " not found");
    ESIMO_TRY(std::int64_t devices, store_detail::count_rows(
                                        db, "SELECT COUNT(*) FROM devices WHERE tenant_id = ? AND group_name = ?",
                                        tenant, name));
    if (devices > 0) return Error(Errc::conflict, key + " still has " + std::to_string(devices) + " device(s)");
    ESIMO_TRY(std::int64_t children, store_detail::count_rows(
                                         db, "SELECT COUNT(*) FROM device_groups WHERE tenant_id = ? AND parent = ?",
                                         tenant, name));
    if (children > 0) return Error(Errc::conflict, key + " still has " + std::to_string(children) + " child group(s)");
    ESIMO_TRY(Stmt * d, db.prepare("DELETE FROM device_groups WHERE tenant_id = ? AND name = ?"));
    return d->bind(1, tenant).bind(2, name).run("delete " + key);
  });
}

}  // namespace esimo::store::sqlite
