#include "api/codec.hpp"

#include <algorithm>

namespace esimo::api {

namespace codec_detail {
Problem bad_value(const Error& e, const char* code, std::string field) {
  std::string detail = (field.empty() ? std::string() : field + ": ") + e.message;  // before `field` moves
  return make_problem(400, code, std::move(detail), std::move(field));
}

// A domain parse result as an API result: its error becomes a 400 with `code`, naming `field`.
template <class T>
ApiResult<T> checked(Result<T> r, const char* code, std::string field) {
  if (!r) return bad_value(r.error(), code, std::move(field));
  return std::move(r).value();
}
}  // namespace codec_detail

void write_time(JsonWriter& w, TimePoint t) { w.str(format_rfc3339(t)); }

void write_money(JsonWriter& w, const domain::Money& m) {
  w.begin_object().field("amount", m.amount_str()).field("currency", m.currency.str()).end_object();
}

void write_profile(JsonWriter& w, const domain::Profile& p) {
  w.begin_object();
  w.field("iccid", p.iccid.str());
  w.field("eid", p.eid.str());
  w.field("carrier", p.carrier_id);
  w.field("class", domain::to_string(p.profile_class));
  w.field("state", domain::to_string(p.state));
  w.field_bool("fallback", p.fallback);
  w.key("updated_at");
  write_time(w, p.updated_at);
  w.end_object();
}

void write_device(JsonWriter& w, const domain::Device& d, const std::vector<domain::Profile>* profiles) {
  w.begin_object();
  w.field("eid", d.eid.str());
  w.field("name", d.name);
  w.field("group", d.group);
  w.key("tags").begin_array();
  for (const auto& t : d.tags) w.str(t);
  w.end_array();
  w.field("lifecycle", domain::to_string(d.lifecycle));
  w.field("sgp32_version", domain::to_string(d.sgp32_version));
  w.key("active_iccid");
  if (d.active_iccid) w.str(d.active_iccid->str()); else w.null();
  w.key("serving_plmn");
  if (d.serving_plmn) w.str(d.serving_plmn->str()); else w.null();
  w.key("country");
  if (d.country) w.str(d.country->str()); else w.null();
  w.key("last_seen");
  if (d.last_seen) write_time(w, *d.last_seen); else w.null();
  w.key("created_at");
  write_time(w, d.created_at);
  w.key("updated_at");
  write_time(w, d.updated_at);
  if (profiles) {
    w.key("profiles").begin_array();
    for (const auto& p : *profiles) write_profile(w, p);
    w.end_array();
  }
  w.end_object();
}

void write_group(JsonWriter& w, const domain::Group& g) {
  w.begin_object();
  w.field("name", g.name);
  w.key("parent");
  if (g.parent.empty()) w.null(); else w.str(g.parent);
  w.key("created_at");
  write_time(w, g.created_at);
  w.end_object();
}

void write_carrier(JsonWriter& w, const domain::Carrier& c) {
  w.begin_object();
  w.field("id", c.id);
  w.field("name", c.name);
  w.key("plmns").begin_array();
  for (const auto& p : c.plmns) w.str(p.str());
  w.end_array();
  w.key("countries").begin_array();
  for (const auto& cc : c.countries) w.str(cc.str());
  w.end_array();
  w.key("rats").begin_array();
  for (auto r : {domain::Rat::lte_m, domain::Rat::nb_iot, domain::Rat::lte, domain::Rat::nr5g}) {
    if (c.rats & static_cast<domain::RatSet>(r)) w.str(domain::to_string(r));
  }
  w.end_array();
  w.field("status", domain::to_string(c.status));
  w.field("smdp_address", c.smdp_address);
  w.field_bool("catalog", c.tenant_id == domain::kCatalogTenant);
  w.end_object();
}

void write_rate_card(JsonWriter& w, const domain::RateCard& r) {
  w.begin_object();
  w.field("carrier", r.carrier_id);
  w.field("country", r.country.str());
  w.key("price_per_mb");
  write_money(w, r.price_per_mb);
  w.key("price_per_sms");
  write_money(w, r.price_per_sms);
  w.key("monthly_fee");
  write_money(w, r.monthly_fee);
  w.key("updated_at");
  write_time(w, r.updated_at);
  w.end_object();
}

void write_operation(JsonWriter& w, const domain::Operation& op) {
  w.begin_object();
  w.field("id", op.id);
  w.field("eid", op.eid.str());
  w.field("type", op.type);
  w.key("params").raw(op.params_json.empty() ? std::string_view("{}") : std::string_view(op.params_json));
  w.field("state", domain::to_string(op.state));
  w.field("reason", op.reason);
  w.key("outcome");
  if (op.outcome.empty()) w.null(); else w.str(op.outcome);
  w.key("result").raw(op.result_json.empty() ? std::string_view("null") : std::string_view(op.result_json));
  w.key("idempotency_key");
  if (op.idempotency_key.empty()) w.null(); else w.str(op.idempotency_key);
  w.key("created_at");
  write_time(w, op.created_at);
  w.key("updated_at");
  write_time(w, op.updated_at);
  w.key("expires_at");
  if (op.expires_at) write_time(w, *op.expires_at); else w.null();
  w.end_object();
}

void write_country(JsonWriter& w, const domain::Country& c) {
  w.begin_object();
  w.field("code", c.code.str());
  w.field("name", c.name);
  w.field("alpha3", c.alpha3);
  w.field("numeric", c.numeric);
  w.end_object();
}

ApiResult<domain::Eid> parse_eid_field(std::string_view text, std::string field) {
  return codec_detail::checked(domain::Eid::parse(text), "invalid_eid", std::move(field));
}

ApiResult<domain::Iccid> parse_iccid_field(std::string_view text, std::string field) {
  return codec_detail::checked(domain::Iccid::parse(text), "invalid_iccid", std::move(field));
}

ApiResult<domain::Plmn> parse_plmn_field(std::string_view text, std::string field) {
  return codec_detail::checked(domain::Plmn::parse(text), "invalid_plmn", std::move(field));
}

ApiResult<domain::CountryCode> parse_country_field(std::string_view text, std::string field) {
  return codec_detail::checked(domain::CountryCode::parse(text), "invalid_country", std::move(field));
}

ApiResult<domain::Lifecycle> parse_lifecycle_field(std::string_view text, std::string field) {
  return codec_detail::checked(domain::parse_lifecycle(text), "invalid_lifecycle", std::move(field));
}

ApiResult<domain::Sgp32Version> parse_sgp32_field(std::string_view text, std::string field) {
  return codec_detail::checked(domain::parse_sgp32_version(text), "invalid_sgp32_version", std::move(field));
}

ApiResult<std::string> parse_group_field(std::string_view text, std::string field) {
  auto st = domain::validate_group_name(text);
  if (!st) return codec_detail::bad_value(st.error(), "invalid_group", std::move(field));
  return std::string(text);
}

ApiResult<std::vector<std::string>> parse_tags_field(std::vector<std::string> tags, std::string field) {
  for (std::size_t i = 0; i < tags.size(); ++i) {
    auto st = domain::validate_tag(tags[i]);
    if (!st) return codec_detail::bad_value(st.error(), "invalid_tag", json_path(field, i));
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

ApiResult<std::string> parse_name_field(std::string_view text, std::string field) {
  if (text.size() > 256) return make_problem(400, "invalid_name", field + " is longer than 256 bytes", field);
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return make_problem(400, "invalid_name", field + " contains a control character", field);
    }
  }
  // A CSV import is raw bytes (JSON bodies are UTF-8 already): a Latin-1 name would be stored and served as JSON that
  // is not UTF-8.
  if (!valid_utf8(as_bytes(text))) return make_problem(400, "invalid_name", field + " is not valid UTF-8", field);
  return std::string(text);
}

ApiResult<domain::Money> parse_money_field(const boost::json::value* v, std::string field) {
  if (!v) return make_problem(400, "missing_field", field + " is required", field);
  ESIMO_TRY(auto rd, ObjectReader::make(*v, field));
  ESIMO_TRY(std::string amount, rd.req_string("amount"));
  ESIMO_TRY(std::string currency, rd.req_string("currency"));
  ESIMO_CHECK(rd.finish());
  if (!domain::Currency::parse(currency)) {
    return make_problem(400, "invalid_currency", rd.path("currency") + ": not an ISO 4217 code", rd.path("currency"));
  }
  auto m = domain::Money::parse(amount, currency);
  if (!m) return codec_detail::bad_value(m.error(), "invalid_money", rd.path("amount"));
  return std::move(m).value();
}

ApiResult<std::string> CarrierResolver::resolve(std::string_view id_or_plmn, const std::string& field) {
  std::string key(id_or_plmn);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  Result<domain::Carrier> found = Error(Errc::not_found, "");
  if (auto plmn = domain::Plmn::parse(id_or_plmn)) {
    found = store_.find_carrier_by_plmn(tenant_, *plmn);
  } else {
    found = store_.get_carrier(tenant_, id_or_plmn);
  }
  if (!found) {
    if (found.error().code != Errc::not_found) return found.error();
    return make_problem(400, "unknown_carrier", field + ": no carrier with id or home PLMN '" + key + "'", field);
  }
  cache_.emplace(key, found->id);
  return found->id;
}

ApiStatus GroupChecker::check(const std::string& name, const std::string& field) {
  if (known_.count(name)) return api_ok();
  auto g = store_.get_group(tenant_, name);
  if (!g) {
    if (g.error().code != Errc::not_found) return g.error();
    return make_problem(400, "unknown_group", field + ": no group named '" + name + "'", field);
  }
  known_.insert(name);
  return api_ok();
}

ApiStatus finish_device_record(store::DeviceRecord& rec, const std::string& field) {
  rec.device.active_iccid.reset();
  for (std::size_t i = 0; i < rec.profiles.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (rec.profiles[j].iccid == rec.profiles[i].iccid) {
        std::string f = json_path(field, i);
        return make_problem(400, "duplicate_iccid", f + ": ICCID " + rec.profiles[i].iccid.str() + " is listed twice", f);
      }
    }
    if (rec.profiles[i].state == domain::ProfileState::enabled) {
      if (rec.device.active_iccid) {
        return make_problem(400, "multiple_enabled_profiles", field + ": at most one profile may be enabled", field);
      }
      rec.device.active_iccid = rec.profiles[i].iccid;
    }
  }
  return api_ok();
}

ApiResult<store::DeviceRecord> decode_device(const boost::json::value& body, domain::TenantId tenant, TimePoint now,
                                             CarrierResolver& carriers, GroupChecker& groups) {
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  store::DeviceRecord rec;
  domain::Device& d = rec.device;
  d.tenant_id = tenant;
  d.created_at = now;
  d.updated_at = now;
  ESIMO_TRY(std::string eid_text, rd.req_string("eid"));
  ESIMO_TRY(d.eid, parse_eid_field(eid_text, "eid"));
  ESIMO_TRY(auto name, rd.opt_string("name"));
  if (name) {
    ESIMO_TRY(d.name, parse_name_field(*name, "name"));
  }
  ESIMO_TRY(auto group, rd.opt_string("group"));
  if (group) {
    ESIMO_TRY(d.group, parse_group_field(*group, "group"));
  }
  ESIMO_TRY(auto tags, rd.opt_string_array("tags"));
  if (tags) {
    ESIMO_TRY(d.tags, parse_tags_field(std::move(*tags), "tags"));
  }
  ESIMO_TRY(auto sgp, rd.opt_string("sgp32_version"));
  if (sgp) {
    ESIMO_TRY(d.sgp32_version, parse_sgp32_field(*sgp, "sgp32_version"));
  }
  ESIMO_TRY(auto lc, rd.opt_string("lifecycle"));
  if (lc) {
    ESIMO_TRY(d.lifecycle, parse_lifecycle_field(*lc, "lifecycle"));
  }
  ESIMO_TRY(const boost::json::array* profiles, rd.opt_array("profiles"));
  ESIMO_CHECK(rd.finish());
  if (profiles) {
    for (std::size_t i = 0; i < profiles->size(); ++i) {
      std::string base = json_path("profiles", i);
      ESIMO_TRY(auto pr, ObjectReader::make((*profiles)[i], base));
      domain::Profile p;
      p.tenant_id = tenant;
      p.eid = d.eid;
      p.updated_at = now;
      ESIMO_TRY(std::string iccid, pr.req_string("iccid"));
      ESIMO_TRY(p.iccid, parse_iccid_field(iccid, pr.path("iccid")));
      ESIMO_TRY(std::string carrier, pr.req_string("carrier"));
      ESIMO_TRY(auto state, pr.opt_string("state"));
      if (state) {
        auto s = domain::parse_profile_state(*state);
        if (!s) return codec_detail::bad_value(s.error(), "invalid_state", pr.path("state"));
        p.state = *s;
      }
      ESIMO_TRY(auto cls, pr.opt_string("class"));
      if (cls) {
        auto c = domain::parse_profile_class(*cls);
        if (!c) return codec_detail::bad_value(c.error(), "invalid_class", pr.path("class"));
        p.profile_class = *c;
      }
      ESIMO_TRY(auto fallback, pr.opt_bool("fallback"));
      p.fallback = fallback.value_or(false);
      ESIMO_CHECK(pr.finish());
      ESIMO_TRY(p.carrier_id, carriers.resolve(carrier, pr.path("carrier")));
      rec.profiles.push_back(std::move(p));
    }
  }
  ESIMO_CHECK(finish_device_record(rec, "profiles"));
  ESIMO_CHECK(groups.check(d.group, "group"));
  return rec;
}

}  // namespace esimo::api
