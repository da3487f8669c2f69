// `esimo carriers list`: the carrier catalog (and a tenant's own carriers) as a table or JSON.
#include <ostream>

#include "api/codec.hpp"
#include "api/json_io.hpp"
#include "app/commands.hpp"
#include "app/support.hpp"
#include "store/store.hpp"

namespace esimo::app {

int cmd_carriers_list(const CarriersListArgs& args, Io io) {
  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  const Config& config = ws->config;
  store::Store& db = *ws->store;

  // A fresh data directory has no catalog yet: seed it from the reference data, as `serve` would.
  if (auto s = ensure_catalog(db, config); !s.ok()) return report_error(io, s.error());

  store::CarrierFilter filter;
  if (args.country) {
    auto c = domain::CountryCode::parse(*args.country);
    if (!c.ok()) return report_error(io, Error(c.error().code, "--country: " + c.error().message, "--country"));
    filter.country = *c;
  }
  if (args.plmn) {
    auto p = domain::Plmn::parse(*args.plmn);
    if (!p.ok()) return report_error(io, Error(p.error().code, "--plmn: " + p.error().message, "--plmn"));
    filter.plmn = *p;
  }
  domain::TenantId tenant = domain::kCatalogTenant;
  if (args.tenant) {
    auto t = db.get_tenant_by_name(*args.tenant);
    if (!t.ok()) return report_error(io, t.error());
    tenant = t->id;
  }

  std::vector<domain::Carrier> all;
  store::Page page;
  page.limit = 500;
  for (;;) {
    auto batch = db.list_carriers(tenant, filter, page);
    if (!batch.ok()) return report_error(io, batch.error());
    for (auto& c : batch->items) all.push_back(std::move(c));
    if (!batch->next_after) break;
    page.after = *batch->next_after;
  }

  if (args.json) {
    // The same shape as GET /v1/carriers.
    api::JsonWriter w;
    w.begin_object().key("items").begin_array();
    for (const auto& c : all) api::write_carrier(w, c);
    w.end_array().key("next").null().end_object();
    io.out << w.take() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"NAME", "ID", "PLMNS", "COUNTRIES"}};
  for (const auto& c : all) {
    std::vector<std::string> plmns, countries_text;
    for (const auto& p : c.plmns) plmns.push_back(p.str());
    for (const auto& k : c.countries) countries_text.push_back(k.str());
    rows.push_back({c.name, c.id, join(plmns, ","), join(countries_text, ",")});
  }
  io.out << render_table(rows);
  io.out << all.size() << (all.size() == 1 ? " carrier\n" : " carriers\n");
  return 0;
}

}  // namespace esimo::app
