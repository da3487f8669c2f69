#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <string>

namespace esimo::store::sqlite {

Error sqlite_error(int rc, sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      switch (rc) {
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_UNIQUE:
          return Error(Errc::already_exists, std::move(msg));
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          return Error(Errc::conflict, std::move(msg));
        default:
          return Error(Errc::invalid_argument, std::move(msg));
      }
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(Errc::unavailable, std::move(msg));
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return Error(Errc::io_error, std::move(msg));
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return Error(Errc::invalid_argument, std::move(msg));
    default:
      return Error(Errc::internal, std::move(msg));
  }
}

Stmt::~Stmt() { sqlite3_finalize(s_); }

Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  // SQLITE_TRANSIENT: the text is copied, so temporaries are safe to bind.
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Stmt& Stmt::bind_blob(int i, ByteView v) {
  sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Stmt::step(std::string_view what) {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // With the v2 prepare interface, sqlite3_step returns the extended code directly.
  Error e = sqlite_error(sqlite3_extended_errcode(db_), db_, what);
  sqlite3_reset(s_);
  return e;
}

Status Stmt::run(std::string_view what) {
  for (;;) {
    ESIMO_TRY(bool row, step(what));
    if (!row) break;
  }
  sqlite3_reset(s_);
  return {};
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }
std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
}

Bytes Stmt::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
  if (p == nullptr) return {};
  return Bytes(p, p + sqlite3_column_bytes(s_, col));
}

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& file, const Options& opts) {
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (the writer, or one leased reader), so SQLite's own
  // per-connection mutex would only cost time.
  const int flags = (opts.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(rc, db, "open " + file.string());
    sqlite3_close(db);
    return e;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, opts.busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  stmts_.clear();  // finalize every statement before closing
  sqlite3_close(db_);
}

Status Connection::exec(std::string_view sql, std::string_view what) {
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return sqlite_error(sqlite3_extended_errcode(db_), db_, what);
  return {};
}

Result<Stmt*> Connection::prepare(std::string_view sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) {
    it->second->reset();
    return it->second.get();
  }
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s,
                                    nullptr);
  if (rc != SQLITE_OK) return sqlite_error(rc, db_, "prepare: " + std::string(sql));
  auto owned = std::make_unique<Stmt>(db_, s);
  Stmt* raw = owned.get();
  stmts_.emplace(std::string(sql), std::move(owned));
  return raw;
}

void Connection::reset_busy() {
  for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s != nullptr; s = sqlite3_next_stmt(db_, s)) {
    if (sqlite3_stmt_busy(s) != 0) sqlite3_reset(s);
  }
}

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }
bool Connection::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace esimo::store::sqlite
