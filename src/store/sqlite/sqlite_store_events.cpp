// SqliteStore: the event log and webhook subscriptions (migration 5). Events are only appended (with the change they
// report, in the same write where the caller asks for it) and read in seq order; a webhook's cursor moves only by
// compare-and-set so two dispatchers cannot both deliver past the same point.
#include <string>
#include <utility>

#include "store/sqlite/rows.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"

namespace esimo::store::sqlite {

namespace events_store_detail {

constexpr std::string_view kEventColumns = "seq, tenant_id, type, subject, data_json, occurred_at";
constexpr std::string_view kWebhookColumns =
    "tenant_id, id, url, secret, types, cursor, failures, last_error, last_attempt_at, created_at";
constexpr std::size_t kMaxTypes = 32;

EventRecord event_from_row(const Stmt& s) {
  EventRecord e;
  e.seq = s.int64(0);
  e.tenant_id = s.int64(1);
  e.type = s.text(2);
  e.subject = s.text(3);
  e.data_json = s.text(4);
  e.occurred_at = s.time(5);
  return e;
}

std::string join_types(const std::vector<std::string>& types) {
  std::string out;
  for (const auto& t : types) {
    if (!out.empty()) out.push_back(',');
    out += t;
  }
  return out;
}

std::vector<std::string> split_types(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

WebhookRecord webhook_from_row(const Stmt& s) {
  WebhookRecord w;
  w.tenant_id = s.int64(0);
  w.id = s.text(1);
  w.url = s.text(2);
  w.secret = s.text(3);
  w.types = split_types(s.text(4));
  w.cursor = s.int64(5);
  w.failures = s.int64(6);
  w.last_error = s.text(7);
  w.last_attempt_at = s.opt_time(8);
  w.created_at = s.time(9);
  return w;
}

// A type filter entry: letters, digits, '_' and '.', or such a prefix followed by ".*".
bool valid_type_pattern(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  if (t.size() >= 2 && t.substr(t.size() - 2) == ".*") t.remove_suffix(2);
  if (t.empty()) return false;
  for (char c : t) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Status validate_types(const std::vector<std::string>& types) {
  if (types.size() > kMaxTypes) {
    return Error(Errc::invalid_argument, "at most " + std::to_string(kMaxTypes) + " event types", "types");
  }
  for (const auto& t : types) {
    if (!valid_type_pattern(t)) {
      return Error(Errc::invalid_argument, "event type '" + t + "' is not a type or a 'prefix.*' pattern", "types");
    }
  }
  return {};
}

// "(type = ? OR type LIKE ? ...)" for the filter, and the values to bind in order ("prefix.%" for "prefix.*").
std::string type_clause(const std::vector<std::string>& types, std::vector<std::string>& binds) {
  if (types.empty()) return "";
  std::string sql = " AND (";
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (i) sql += " OR ";
    const auto& t = types[i];
    if (t.size() >= 2 && t.substr(t.size() - 2) == ".*") {
      sql += "type LIKE ? ESCAPE '\\'";
      std::string like;
      for (char c : std::string_view(t).substr(0, t.size() - 1)) {
        if (c == '_' || c == '%' || c == '\\') like.push_back('\\');
        like.push_back(c);
      }
      binds.push_back(like + "%");
    } else {
      sql += "type = ?";
      binds.push_back(t);
    }
  }
  return sql + ")";
}

}  // namespace events_store_detail

Result<std::int64_t> insert_event(Connection& db, const EventRecord& event) {
  if (event.type.empty() || event.type.size() > 64 || !events_store_detail::valid_type_pattern(event.type) ||
      event.type.find('*') != std::string::npos) {
    return Error(Errc::invalid_argument, "event type '" + event.type + "' is not valid", "type");
  }
  if (event.data_json.empty() || event.data_json.front() != '{') {
    return Error(Errc::invalid_argument, "event data must be a JSON object", "data");
  }
  ESIMO_CHECK(require_tenant(db, event.tenant_id));
  ESIMO_TRY(Stmt * s, db.prepare("INSERT INTO events (tenant_id, type, subject, data_json, occurred_at) "
                                 "VALUES (?, ?, ?, ?, ?) RETURNING seq"));
  s->bind(1, event.tenant_id)
      .bind(2, event.type)
      .bind(3, event.subject)
      .bind(4, event.data_json)
      .bind(5, event.occurred_at);
  ESIMO_TRY(bool row, s->step("append event " + event.type));
  if (!row) {
    s->reset();
    return Error(Errc::internal, "append event " + event.type + ": no seq returned");
  }
  const std::int64_t seq = s->int64(0);
  s->reset();
  return seq;
}

Result<std::int64_t> SqliteStore::append_event(const EventRecord& event) {
  ESIMO_STORE_OP("append_event");
  std::int64_t seq = 0;
  ESIMO_CHECK(writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(seq, insert_event(db, event));
    return {};
  }));
  return seq;
}

Result<std::vector<EventRecord>> SqliteStore::list_events(TenantId tenant, std::int64_t after_seq, std::size_t limit,
                                                          const std::vector<std::string>& types) {
  ESIMO_STORE_OP("list_events");
  if (limit == 0 || limit > kMaxPageLimit) {
    return Error(Errc::invalid_argument, "limit must be 1.." + std::to_string(kMaxPageLimit), "limit");
  }
  ESIMO_CHECK(events_store_detail::validate_types(types));
  std::vector<std::string> binds;
  const std::string clause = events_store_detail::type_clause(types, binds);
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(events_store_detail::kEventColumns) +
                                  " FROM events WHERE tenant_id = ? AND seq > ?" + clause + " ORDER BY seq LIMIT ?"));
  s->bind(1, tenant).bind(2, after_seq);
  int i = 3;
  for (const auto& b : binds) s->bind(i++, b);
  s->bind(i, static_cast<std::int64_t>(limit));
  return read_rows<EventRecord>(*s, "list events", events_store_detail::event_from_row);
}

Result<std::int64_t> SqliteStore::last_event_seq() {
  ESIMO_STORE_OP("last_event_seq");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT COALESCE(MAX(seq), 0) FROM events"));
  ESIMO_TRY(bool row, s->step("last event seq"));
  const std::int64_t seq = row ? s->int64(0) : 0;
  s->reset();
  return seq;
}

Result<std::int64_t> SqliteStore::prune_events(TimePoint before) {
  ESIMO_STORE_OP("prune_events");
  std::int64_t removed = 0;
  ESIMO_CHECK(writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * s, db.prepare("DELETE FROM events WHERE occurred_at < ? AND seq <= COALESCE((SELECT MIN(cursor) "
                                   "FROM webhooks w WHERE w.tenant_id = events.tenant_id), seq)"));
    ESIMO_CHECK(s->bind(1, before).run("prune events"));
    removed = db.changes();
    return {};
  }));
  return removed;
}

Status SqliteStore::create_webhook(const WebhookRecord& webhook) {
  ESIMO_STORE_OP("create_webhook");
  if (webhook.id.empty() || webhook.id.size() > 64) {
    return Error(Errc::invalid_argument, "webhook id must be 1..64 characters", "id");
  }
  if (!(webhook.url.starts_with("http://") || webhook.url.starts_with("https://")) || webhook.url.size() > 2048) {
    return Error(Errc::invalid_argument, "webhook url must be an http:// or https:// URL of at most 2048 bytes", "url");
  }
  if (webhook.secret.size() < 16 || webhook.secret.size() > 256) {
    return Error(Errc::invalid_argument, "webhook secret must be 16..256 bytes", "secret");
  }
  ESIMO_CHECK(events_store_detail::validate_types(webhook.types));
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_CHECK(require_tenant(db, webhook.tenant_id));
    ESIMO_TRY(Stmt * q, db.prepare("SELECT 1 FROM webhooks WHERE tenant_id = ? AND id = ?"));
    q->bind(1, webhook.tenant_id).bind(2, webhook.id);
    ESIMO_TRY(bool exists, q->step("check webhook id"));
    q->reset();
    if (exists) return Error(Errc::already_exists, "webhook " + webhook.id + " already exists", "id");
    ESIMO_TRY(Stmt * s, db.prepare("INSERT INTO webhooks (" + std::string(events_store_detail::kWebhookColumns) +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    return s->bind(1, webhook.tenant_id)
        .bind(2, webhook.id)
        .bind(3, webhook.url)
        .bind(4, webhook.secret)
        .bind(5, events_store_detail::join_types(webhook.types))
        .bind(6, webhook.cursor)
        .bind(7, webhook.failures)
        .bind(8, webhook.last_error)
        .bind(9, webhook.last_attempt_at)
        .bind(10, webhook.created_at)
        .run("create webhook " + webhook.id);
  });
}

Result<WebhookRecord> SqliteStore::get_webhook(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("get_webhook");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(events_store_detail::kWebhookColumns) +
                                  " FROM webhooks WHERE tenant_id = ? AND id = ?"));
  s->bind(1, tenant).bind(2, id);
  ESIMO_TRY(bool row, s->step("get webhook"));
  if (!row) {
    s->reset();
    return Error(Errc::not_found, "webhook " + std::string(id) + " not found", "id");
  }
  auto w = events_store_detail::webhook_from_row(*s);
  s->reset();
  return w;
}

Result<PageOf<WebhookRecord>> SqliteStore::list_webhooks(TenantId tenant, const Page& page) {
  ESIMO_STORE_OP("list_webhooks");
  ESIMO_CHECK(validate_page(page));
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(events_store_detail::kWebhookColumns) +
                                  " FROM webhooks WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?"));
  s->bind(1, tenant);
  return read_page<WebhookRecord>(
      *s, 2, {page.after}, page, "list webhooks",
      [](const Stmt& st) -> Result<WebhookRecord> { return events_store_detail::webhook_from_row(st); },
      [](const WebhookRecord& w) { return w.id; });
}

Result<std::vector<WebhookRecord>> SqliteStore::list_all_webhooks() {
  ESIMO_STORE_OP("list_all_webhooks");
  auto db = readers_->lease();
  ESIMO_TRY(Stmt * s, db->prepare("SELECT " + std::string(events_store_detail::kWebhookColumns) +
                                  " FROM webhooks ORDER BY tenant_id, id"));
  return read_rows<WebhookRecord>(*s, "list all webhooks", events_store_detail::webhook_from_row);
}

Status SqliteStore::delete_webhook(TenantId tenant, std::string_view id) {
  ESIMO_STORE_OP("delete_webhook");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * s, db.prepare("DELETE FROM webhooks WHERE tenant_id = ? AND id = ?"));
    ESIMO_CHECK(s->bind(1, tenant).bind(2, id).run("delete webhook"));
    if (db.changes() == 0) return Error(Errc::not_found, "webhook " + std::string(id) + " not found", "id");
    return {};
  });
}

Status SqliteStore::record_webhook_attempt(const WebhookRecord& webhook, std::int64_t expected_cursor) {
  ESIMO_STORE_OP("record_webhook_attempt");
  return writer_->submit([&](Connection& db) -> Status {
    ESIMO_TRY(Stmt * q, db.prepare("SELECT cursor FROM webhooks WHERE tenant_id = ? AND id = ?"));
    q->bind(1, webhook.tenant_id).bind(2, webhook.id);
    ESIMO_TRY(bool row, q->step("read webhook cursor"));
    const std::int64_t stored = row ? q->int64(0) : 0;
    q->reset();
    if (!row) return Error(Errc::not_found, "webhook " + webhook.id + " not found", "id");
    if (stored != expected_cursor) {
      return Error(Errc::conflict,
                   "webhook " + webhook.id + " cursor is " + std::to_string(stored) + ", not " +
                       std::to_string(expected_cursor),
                   "cursor");
    }
    ESIMO_TRY(Stmt * s, db.prepare("UPDATE webhooks SET cursor = ?, failures = ?, last_error = ?, "
                                   "last_attempt_at = ? WHERE tenant_id = ? AND id = ?"));
    return s->bind(1, webhook.cursor)
        .bind(2, webhook.failures)
        .bind(3, webhook.last_error)
        .bind(4, webhook.last_attempt_at)
        .bind(5, webhook.tenant_id)
        .bind(6, webhook.id)
        .run("record webhook attempt " + webhook.id);
  });
}

}  // namespace esimo::store::sqlite
