// Devices, their bulk import and their profiles.
#include "api/device_import.hpp"
#include "api/handlers.hpp"

namespace esimo::api {

namespace devices_detail {
ApiResult<domain::Eid> eid_param(const Call& call) { return parse_eid_field(call.params[0], "eid"); }

http::Response device_response(int status, const store::DeviceRecord& rec) {
  JsonWriter w;
  write_device(w, rec.device, &rec.profiles);
  return json_response(status, w.take());
}
}  // namespace devices_detail

ApiResult<http::Response> h_devices_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "group,tag*,country,carrier,lifecycle", true));
  store::DeviceFilter f;
  if (auto g = q.get("group")) {
    ESIMO_TRY(f.group, parse_group_field(*g, "group"));
  }
  auto tags = q.all("tag");
  for (const auto& t : tags) {
    if (!domain::validate_tag(t)) return make_problem(400, "invalid_tag", "tag '" + t + "' is not a valid tag", "tag");
  }
  f.tags = std::move(tags);
  if (auto c = q.get("country")) {
    ESIMO_TRY(f.country, parse_country_field(*c, "country"));
  }
  if (auto c = q.get("carrier")) f.carrier = *c;
  if (auto l = q.get("lifecycle")) {
    ESIMO_TRY(f.lifecycle, parse_lifecycle_field(*l, "lifecycle"));
  }
  ESIMO_TRY(auto page, env.ctx.store.list_devices(call.tenant(), f, q.page()));
  return page_response(
      page, [](JsonWriter& w, const domain::Device& d) { write_device(w, d, nullptr); }, q, env, call);
}

ApiResult<http::Response> h_devices_create(Env& env, Call& call) {
  ESIMO_TRY(auto body, parse_json(call.req.body));
  CarrierResolver carriers(env.ctx.store, call.tenant());
  GroupChecker groups(env.ctx.store, call.tenant());
  ESIMO_TRY(auto rec, decode_device(body, call.tenant(), env.ctx.clock.now(), carriers, groups));
  auto st = env.ctx.store.create_device(rec);
  if (!st) {
    if (st.error().code == Errc::already_exists || st.error().code == Errc::conflict) {
      return make_problem(409, st.error().code == Errc::already_exists ? "already_exists" : "conflict",
                          st.error().message, st.error().field.empty() ? "eid" : st.error().field);
    }
    return st.error();
  }
  notify_device_changed(env, call.tenant(), rec.device.eid);
  auto r = devices_detail::device_response(201, rec);
  r.set_header("location", "/v1/devices/" + rec.device.eid.str());
  return r;
}

ApiResult<http::Response> h_devices_import(Env& env, Call& call) {
  auto format = import_format_for(call.req.header("content-type"));
  if (!format) {
    return make_problem(415, "unsupported_media_type",
                        "send the devices as text/csv or application/x-ndjson", "content-type");
  }
  DeviceImporter importer(env.ctx.store, call.tenant(), env.ctx.clock, *format,
                          import_options_for(env, call.tenant()));
  ESIMO_CHECK(importer.write(call.req.body));
  ESIMO_TRY(auto report, importer.finish());
  return json_response(200, report.to_json());
}

ApiResult<http::Response> h_device_get(Env& env, Call& call) {
  ESIMO_TRY(auto eid, devices_detail::eid_param(call));
  ESIMO_TRY(auto rec, env.ctx.store.get_device(call.tenant(), eid));
  return devices_detail::device_response(200, rec);
}

ApiResult<http::Response> h_device_patch(Env& env, Call& call) {
  ESIMO_TRY(auto eid, devices_detail::eid_param(call));
  ESIMO_TRY(auto body, parse_json(call.req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  ESIMO_TRY(auto name, rd.opt_string("name"));
  ESIMO_TRY(auto group, rd.opt_string("group"));
  ESIMO_TRY(auto tags, rd.opt_string_array("tags"));
  ESIMO_TRY(auto lifecycle, rd.opt_string("lifecycle"));
  ESIMO_TRY(auto sgp, rd.opt_string("sgp32_version"));
  ESIMO_CHECK(rd.finish());
  ESIMO_TRY(auto rec, env.ctx.store.get_device(call.tenant(), eid));
  domain::Device& d = rec.device;
  if (name) {
    ESIMO_TRY(d.name, parse_name_field(*name, "name"));
  }
  if (group) {
    ESIMO_TRY(d.group, parse_group_field(*group, "group"));
    GroupChecker groups(env.ctx.store, call.tenant());
    ESIMO_CHECK(groups.check(d.group, "group"));
  }
  if (tags) {
    ESIMO_TRY(d.tags, parse_tags_field(std::move(*tags), "tags"));
  }
  if (lifecycle) {
    ESIMO_TRY(d.lifecycle, parse_lifecycle_field(*lifecycle, "lifecycle"));
  }
  if (sgp) {
    ESIMO_TRY(d.sgp32_version, parse_sgp32_field(*sgp, "sgp32_version"));
  }
  d.updated_at = env.ctx.clock.now();
  ESIMO_CHECK(env.ctx.store.update_device(d));
  notify_device_changed(env, call.tenant(), eid);
  return devices_detail::device_response(200, rec);
}

ApiResult<http::Response> h_device_delete(Env& env, Call& call) {
  ESIMO_TRY(auto eid, devices_detail::eid_param(call));
  ESIMO_CHECK(env.ctx.store.delete_device(call.tenant(), eid));
  notify_device_changed(env, call.tenant(), eid);
  return no_content();
}

ApiResult<http::Response> h_profiles_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "eid,carrier,state", true));
  store::ProfileFilter f;
  if (auto e = q.get("eid")) {
    ESIMO_TRY(f.eid, parse_eid_field(*e, "eid"));
  }
  if (auto c = q.get("carrier")) f.carrier = *c;
  if (auto s = q.get("state")) {
    auto st = domain::parse_profile_state(*s);
    if (!st) return make_problem(400, "invalid_state", "state must be enabled or disabled", "state");
    f.state = *st;
  }
  ESIMO_TRY(auto page, env.ctx.store.list_profiles(call.tenant(), f, q.page()));
  return page_response(page, write_profile, q, env, call);
}

ApiResult<http::Response> h_profile_get(Env& env, Call& call) {
  ESIMO_TRY(auto iccid, parse_iccid_field(call.params[0], "iccid"));
  ESIMO_TRY(auto p, env.ctx.store.get_profile(call.tenant(), iccid));
  JsonWriter w;
  write_profile(w, p);
  return json_response(200, w.take());
}

}  // namespace esimo::api
