// `esimo keys create|list|revoke`: API keys written straight to the store. SQLite WAL with a busy timeout lets this run
// next to a live server; the server reads unknown key ids from the store, so a new key works at once.
#include <ostream>

#include "api/json_io.hpp"
#include "api/keys.hpp"
#include "app/commands.hpp"
#include "app/support.hpp"
#include "store/store.hpp"

namespace esimo::app {

int cmd_keys_create(const KeysCreateArgs& args, Io io) {
  auto role = domain::parse_role(args.role);
  if (!role.ok()) return report_error(io, Error(role.error().code, "--role: " + role.error().message, "--role"));
  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  const Config& config = ws->config;
  store::Store& db = *ws->store;
  const std::string tenant_name = args.tenant ? *args.tenant : config.default_tenant;
  api::KeyService keys(db, SystemClock::instance());
  auto created = keys.create_for_tenant(tenant_name, *role, args.label);
  if (!created.ok()) return report_error(io, created.error());
  io.out << "Created " << domain::to_string(created->key.role) << " key " << created->key.id << " for tenant '"
         << tenant_name << "'. The secret below is shown once; store it now.\n";
  io.out << created->secret << "\n";
  io.out.flush();
  return 0;
}

int cmd_keys_list(const KeysListArgs& args, Io io) {
  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  store::Store& db = *ws->store;
  std::optional<domain::TenantId> tenant;
  if (args.tenant) {
    auto t = db.get_tenant_by_name(*args.tenant);
    if (!t.ok()) return report_error(io, t.error());
    tenant = t->id;
  }
  auto tenants = db.list_tenants();
  if (!tenants.ok()) return report_error(io, tenants.error());
  auto tenant_name = [&](domain::TenantId id) -> std::string {
    for (const auto& t : *tenants) {
      if (t.id == id) return t.name;
    }
    return std::to_string(id);
  };
  api::KeyService service(db, SystemClock::instance());
  auto keys = service.list(tenant);
  if (!keys.ok()) return report_error(io, keys.error());

  if (args.json) {
    api::JsonWriter w;
    w.begin_object().key("items").begin_array();
    for (const auto& k : *keys) {
      w.begin_object()
          .field("id", k.id)
          .field("tenant", tenant_name(k.tenant_id))
          .field("role", domain::to_string(k.role))
          .field("label", k.label)
          .field("created_at", format_rfc3339(k.created_at));
      w.key("revoked_at");
      if (k.revoked_at) {
        w.str(format_rfc3339(*k.revoked_at));
      } else {
        w.null();
      }
      w.end_object();
    }
    w.end_array().end_object();
    io.out << w.take() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "TENANT", "ROLE", "LABEL", "CREATED", "REVOKED"}};
  for (const auto& k : *keys) {
    rows.push_back({k.id, tenant_name(k.tenant_id), std::string(domain::to_string(k.role)), k.label,
                    format_rfc3339(k.created_at), k.revoked_at ? format_rfc3339(*k.revoked_at) : "-"});
  }
  io.out << render_table(rows);
  return 0;
}

int cmd_keys_revoke(const KeysRevokeArgs& args, Io io) {
  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  store::Store& db = *ws->store;
  api::KeyService keys(db, SystemClock::instance());
  // Accept the full secret too: its key id is the public part.
  std::string id = args.id;
  if (auto from_secret = api::KeyService::key_id_of(id)) id = std::string(*from_secret);
  auto s = keys.revoke(id);
  if (!s.ok()) {
    if (s.error().code == Errc::not_found) return report_error(io, Error(Errc::not_found, "no API key " + id, "ID"));
    return report_error(io, s.error());
  }
  io.out << "Revoked " << id << " (a running server refuses it within "
         << api::KeyService::kCacheTtl.count() << " ms).\n";
  return 0;
}

}  // namespace esimo::app
