#pragma once
// Versioned schema of the store. Migrations are numbered from 1 and applied in order, each once, recorded in
// schema_migrations(version, applied_at). The SQL is kept portable (TEXT/INTEGER/BIGINT, explicit indexes, standard
// constraints, no SQLite-only functions) so the PostgreSQL store can reuse it.
#include <span>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace esimo::store::sqlite {

class Connection;

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // one or more statements separated by ';'
};

// Every migration, in version order.
std::span<const Migration> migrations();

// Applies the migrations above the database's current version, up to `target_version` (0: the latest), in ONE
// transaction: either the database ends at the target version or it is unchanged. A database newer than this build
// is refused (unsupported).
Status migrate(Connection& db, const Clock& clock, int target_version = 0);

// The highest version recorded in schema_migrations (0 for a new database).
Result<int> schema_version(Connection& db);

}  // namespace esimo::store::sqlite
