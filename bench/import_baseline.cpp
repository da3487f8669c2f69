// esimo-import-baseline: the floor for the import benchmark. Inserts the rows of an esimo-gen-devices CSV into an
// esimo database with a minimal loop of prepared statements: the same schema (the file must come from esimo, e.g.
// after `esimo keys create` made the tenant), the same pragmas as the store's writer (WAL, synchronous=FULL,
// foreign_keys=ON, 256 MiB cache), the same rows (device, its tags, its profiles) and the same rows per transaction as
// the importer (20000), but no parsing beyond splitting, no validation, no upsert checks, no savepoints, no writer
// thread. What SQLite alone costs on this machine. Keep the defaults in step with the store and the importer.
//
//   esimo-import-baseline --db DATA_DIR/esimo.db --tenant NAME --csv FILE [--batch 20000] [--pragmas 'PRAGMA ...; ...']
//
// Prints one JSON object: {"rows":n,"seconds":s,"cpu_seconds":c}. Only understands the generator's CSV (no quoting).
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace baseline {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
  bool exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::fprintf(stderr, "esimo-import-baseline: %s: %s\n", sql, err != nullptr ? err : "?");
      sqlite3_free(err);
      return false;
    }
    return true;
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "esimo-import-baseline: prepare %s: %s\n", sql, sqlite3_errmsg(db));
      return nullptr;
    }
    return s;
  }
};

void text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int fail(Db& d, const char* what) {
  std::fprintf(stderr, "esimo-import-baseline: %s: %s\n", what, sqlite3_errmsg(d.db));
  return 1;
}

int run(int argc, char** argv) {
  std::string db_path, tenant, csv_path;
  std::size_t batch = 20000;
  std::string pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view a = argv[i];
    if (a == "--db") db_path = argv[i + 1];
    else if (a == "--tenant") tenant = argv[i + 1];
    else if (a == "--csv") csv_path = argv[i + 1];
    else if (a == "--batch") batch = std::stoul(argv[i + 1]);
    else if (a == "--pragmas") pragmas = argv[i + 1];
  }
  if (db_path.empty() || tenant.empty() || csv_path.empty() || batch == 0) {
    std::fprintf(stderr, "usage: esimo-import-baseline --db FILE --tenant NAME --csv FILE [--batch N] [--pragmas SQL]\n");
    return 2;
  }
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();

  Db d;
  if (sqlite3_open_v2(db_path.c_str(), &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return fail(d, "open");
  }
  if (!d.exec(pragmas.c_str())) {
    return 1;
  }
  std::int64_t tenant_id = 0;
  {
    sqlite3_stmt* t = d.prepare("SELECT id FROM tenants WHERE name = ?");
    if (t == nullptr) return 1;
    text(t, 1, tenant);
    if (sqlite3_step(t) != SQLITE_ROW) return fail(d, "tenant not found");
    tenant_id = sqlite3_column_int64(t, 0);
    sqlite3_finalize(t);
  }
  sqlite3_stmt* carrier_of = d.prepare("SELECT carrier_id FROM carrier_plmns WHERE plmn = ? AND tenant_id IN (0, ?) "
                                       "ORDER BY tenant_id DESC LIMIT 1");
  sqlite3_stmt* ins_dev = d.prepare(
      "INSERT INTO devices (tenant_id, eid, name, group_name, lifecycle, sgp32_version, active_iccid, serving_plmn, "
      "country, last_seen, created_at, updated_at) VALUES (?, ?, ?, ?, 'active', '1.2', ?, NULL, NULL, NULL, ?, ?)");
  sqlite3_stmt* ins_tag = d.prepare("INSERT INTO device_tags (tenant_id, eid, tag) VALUES (?, ?, ?)");
  sqlite3_stmt* ins_prof = d.prepare(
      "INSERT INTO profiles (tenant_id, iccid, eid, carrier_id, profile_class, state, fallback, updated_at) "
      "VALUES (?, ?, ?, ?, 'operational', ?, 0, ?)");
  if (carrier_of == nullptr || ins_dev == nullptr || ins_tag == nullptr || ins_prof == nullptr) return 1;
  std::map<std::string, std::string, std::less<>> carriers;  // PLMN -> carrier id

  std::ifstream in(csv_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "esimo-import-baseline: cannot read %s\n", csv_path.c_str());
    return 1;
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line;
  std::getline(in, line);  // header
  std::size_t rows = 0, in_txn = 0;
  if (!d.exec("BEGIN")) return 1;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto f = split(line, ',');
    if (f.size() < 5) continue;
    const auto profiles = split(f[4], ';');
    std::string_view active;
    for (auto p : profiles) {
      if (p.ends_with(":enabled")) active = p.substr(0, p.find('@'));
    }
    sqlite3_bind_int64(ins_dev, 1, tenant_id);
    text(ins_dev, 2, f[0]);
    text(ins_dev, 3, f[1]);
    text(ins_dev, 4, f[2]);
    if (active.empty()) sqlite3_bind_null(ins_dev, 5); else text(ins_dev, 5, active);
    sqlite3_bind_int64(ins_dev, 6, now);
    sqlite3_bind_int64(ins_dev, 7, now);
    if (sqlite3_step(ins_dev) != SQLITE_DONE) return fail(d, "insert device");
    sqlite3_reset(ins_dev);
    for (auto tag : split(f[3], ';')) {
      sqlite3_bind_int64(ins_tag, 1, tenant_id);
      text(ins_tag, 2, f[0]);
      text(ins_tag, 3, tag);
      if (sqlite3_step(ins_tag) != SQLITE_DONE) return fail(d, "insert tag");
      sqlite3_reset(ins_tag);
    }
    for (auto p : profiles) {
      const auto at = p.find('@');
      const auto colon = p.find(':', at);
      const std::string_view iccid = p.substr(0, at);
      const std::string_view plmn = p.substr(at + 1, colon - at - 1);
      const std::string_view state = colon == std::string_view::npos ? "disabled" : p.substr(colon + 1);
      auto c = carriers.find(plmn);
      if (c == carriers.end()) {
        text(carrier_of, 1, plmn);
        sqlite3_bind_int64(carrier_of, 2, tenant_id);
        if (sqlite3_step(carrier_of) != SQLITE_ROW) return fail(d, "carrier of PLMN");
        c = carriers.emplace(std::string(plmn),
                             reinterpret_cast<const char*>(sqlite3_column_text(carrier_of, 0))).first;
        sqlite3_reset(carrier_of);
      }
      sqlite3_bind_int64(ins_prof, 1, tenant_id);
      text(ins_prof, 2, iccid);
      text(ins_prof, 3, f[0]);
      text(ins_prof, 4, c->second);
      text(ins_prof, 5, state);
      sqlite3_bind_int64(ins_prof, 6, now);
      if (sqlite3_step(ins_prof) != SQLITE_DONE) return fail(d, "insert profile");
      sqlite3_reset(ins_prof);
    }
    ++rows;
    if (++in_txn == batch) {
      if (!d.exec("COMMIT") || !d.exec("BEGIN")) return 1;
      in_txn = 0;
    }
  }
  if (!d.exec("COMMIT")) return 1;
  for (sqlite3_stmt* s : {carrier_of, ins_dev, ins_tag, ins_prof}) sqlite3_finalize(s);

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::printf("{\"rows\":%zu,\"seconds\":%.3f,\"cpu_seconds\":%.3f}\n", rows, wall, cpu_seconds() - cpu0);
  return 0;
}

}  // namespace baseline

int main(int argc, char** argv) { return baseline::run(argc, argv); }
