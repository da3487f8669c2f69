// `esimo devices list|show`: a tenant's devices read straight from the store.
#include <ostream>

#include "api/codec.hpp"
#include "api/json_io.hpp"
#include "app/commands.hpp"
#include "app/support.hpp"
#include "store/store.hpp"

namespace esimo::app {

int cmd_devices_list(const DevicesListArgs& args, Io io) {
  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  const Config& config = ws->config;
  store::Store& db = *ws->store;
  auto tenant = tenant_for_command(db, config, args.tenant);
  if (!tenant.ok()) return report_error(io, tenant.error());

  store::DeviceFilter filter;
  filter.group = args.group;
  filter.tags = args.tags;
  std::vector<domain::Device> all;
  store::Page page;
  page.limit = 500;
  for (;;) {
    if (args.limit != 0) page.limit = std::min<std::size_t>(500, args.limit - all.size());
    auto batch = db.list_devices(tenant->id, filter, page);
    if (!batch.ok()) return report_error(io, batch.error());
    for (auto& d : batch->items) all.push_back(std::move(d));
    if (!batch->next_after || (args.limit != 0 && all.size() >= args.limit)) break;
    page.after = *batch->next_after;
  }

  if (args.json) {
    // The same shape as GET /v1/devices.
    api::JsonWriter w;
    w.begin_object().key("items").begin_array();
    for (const auto& d : all) api::write_device(w, d, nullptr);
    w.end_array().key("next").null().end_object();
    io.out << w.take() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"EID", "NAME", "GROUP", "LIFECYCLE", "TAGS", "LAST SEEN"}};
  for (const auto& d : all) {
    rows.push_back({d.eid.str(), d.name, d.group, std::string(domain::to_string(d.lifecycle)), join(d.tags, ","),
                    d.last_seen ? format_rfc3339(*d.last_seen) : "-"});
  }
  io.out << render_table(rows);
  io.out << all.size() << (all.size() == 1 ? " device\n" : " devices\n");
  return 0;
}

int cmd_devices_show(const DevicesShowArgs& args, Io io) {
  auto eid = domain::Eid::parse(args.eid);
  if (!eid.ok()) return report_error(io, Error(eid.error().code, "EID '" + args.eid + "': " + eid.error().message, "eid"));
  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  const Config& config = ws->config;
  store::Store& db = *ws->store;
  auto tenant = tenant_for_command(db, config, args.tenant);
  if (!tenant.ok()) return report_error(io, tenant.error());
  auto record = db.get_device(tenant->id, *eid);
  if (!record.ok()) {
    if (record.error().code == Errc::not_found) {
      return report_error(io, Error(Errc::not_found, "no device " + eid->str() + " in tenant '" + tenant->name + "'"));
    }
    return report_error(io, record.error());
  }

  if (args.json) {
    // The same shape as GET /v1/devices/{eid}.
    api::JsonWriter w;
    api::write_device(w, record->device, &record->profiles);
    io.out << w.take() << "\n";
    return 0;
  }
  const auto& d = record->device;
  std::vector<std::vector<std::string>> fields{
      {"EID", d.eid.str()},
      {"Name", d.name},
      {"Group", d.group},
      {"Tags", join(d.tags, ",")},
      {"Lifecycle", std::string(domain::to_string(d.lifecycle))},
      {"SGP.32", std::string(domain::to_string(d.sgp32_version))},
      {"Active ICCID", d.active_iccid ? d.active_iccid->str() : "-"},
      {"Serving PLMN", d.serving_plmn ? d.serving_plmn->str() : "-"},
      {"Country", d.country ? d.country->str() : "-"},
      {"Last seen", d.last_seen ? format_rfc3339(*d.last_seen) : "-"},
      {"Created", format_rfc3339(d.created_at)},
  };
  io.out << render_table(fields);
  if (!record->profiles.empty()) {
    std::vector<std::vector<std::string>> rows{{"ICCID", "CARRIER", "CLASS", "STATE", "FALLBACK"}};
    for (const auto& p : record->profiles) {
      rows.push_back({p.iccid.str(), p.carrier_id, std::string(domain::to_string(p.profile_class)),
                      std::string(domain::to_string(p.state)), p.fallback ? "yes" : "no"});
    }
    io.out << "\n" << render_table(rows);
  }
  return 0;
}

}  // namespace esimo::app
