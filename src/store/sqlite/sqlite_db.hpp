#pragma once
// Thin RAII layer over the SQLite C API for the store's own use (internal: not for layers above the store).
// sqlite3.h stays in sqlite_db.cpp; this header only forward-declares the handles.
//
// Thread ownership: a Connection and its statements belong to one thread at a time (the writer thread, or the reader
// that leased it from the pool).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace esimo::store::sqlite {

// Maps an SQLite result code to our error categories. `what` names the operation and the entity/key at fault.
Error sqlite_error(int rc, sqlite3* db, std::string_view what);

// A prepared statement owned by a Connection's cache. Bind indexes are 1-based, column indexes 0-based.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, TimePoint t) { return bind(i, static_cast<std::int64_t>(t.time_since_epoch().count())); }
  Stmt& bind_null(int i);
  Stmt& bind_blob(int i, ByteView v);  // copied, like text
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // true: a row is available; false: done. Errors carry `what` in their message.
  Result<bool> step(std::string_view what);
  // Runs a statement that returns no rows (or ignores them).
  Status run(std::string_view what);
  void reset();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  std::string text(int col) const;
  Bytes blob(int col) const;
  TimePoint time(int col) const { return TimePoint(Duration(int64(col))); }
  std::optional<TimePoint> opt_time(int col) const {
    return is_null(col) ? std::nullopt : std::optional<TimePoint>(time(col));
  }
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

class Connection {
 public:
  struct Options {
    bool read_only = false;
    int busy_timeout_ms = 5000;
  };
  static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& file, const Options& opts);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (schema, pragmas, BEGIN/COMMIT).
  Status exec(std::string_view sql, std::string_view what);
  // A cached prepared statement, reset and with cleared bindings. Do not use the same SQL text twice at once.
  Result<Stmt*> prepare(std::string_view sql);
  // Resets statements left mid-iteration (an early return on error), so an idle connection holds no read snapshot
  // and no pending write.
  void reset_busy();
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  std::int64_t changes() const;
  // True when no transaction is open (SQLite rolls back on its own after some I/O errors).
  bool autocommit() const;
  sqlite3* handle() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  // Keyed by SQL text; looked up by string_view without allocating (transparent hash).
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Stmt>, SqlHash, std::equal_to<>> stmts_;
};

}  // namespace esimo::store::sqlite
