// Carriers (the shared catalog plus each tenant's own), rate cards and countries.
#include <algorithm>
#include <cctype>

#include "api/csv.hpp"
#include "api/device_import.hpp"
#include "api/handlers.hpp"

namespace esimo::api {

namespace carriers_detail {
http::Response carrier_response(int status, const domain::Carrier& c) {
  JsonWriter w;
  write_carrier(w, c);
  return json_response(status, w.take());
}

// Carrier ids: 1-64 of [a-z0-9-], starting with a letter or digit (the catalog's slugs have the same shape).
ApiStatus check_carrier_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 64 && id.front() != '-';
  for (char c : id) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return make_problem(400, "invalid_carrier_id", "id must be 1-64 of a-z, 0-9 and '-', not starting with '-'", "id");
  }
  return api_ok();
}

ApiStatus check_smdp_address(std::string_view a) {
  bool ok = a.size() <= 253;
  for (char c : a) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':');
  }
  if (!ok) return make_problem(400, "invalid_smdp_address", "smdp_address must be a host name", "smdp_address");
  return api_ok();
}

// The mutable fields of a carrier, shared by POST (all) and PATCH (those given).
ApiStatus read_carrier_fields(ObjectReader& rd, domain::Carrier& c, bool require_name) {
  ESIMO_TRY(auto name, rd.opt_string("name"));
  if (!name && require_name) return make_problem(400, "missing_field", "name is required", "name");
  if (name) {
    if (name->empty()) return make_problem(400, "invalid_name", "name must not be empty", "name");
    ESIMO_TRY(c.name, parse_name_field(*name, "name"));
  }
  ESIMO_TRY(auto plmns, rd.opt_string_array("plmns"));
  if (plmns) {
    c.plmns.clear();
    for (std::size_t i = 0; i < plmns->size(); ++i) {
      ESIMO_TRY(auto p, parse_plmn_field((*plmns)[i], json_path("plmns", i)));
      if (std::find(c.plmns.begin(), c.plmns.end(), p) == c.plmns.end()) c.plmns.push_back(p);
    }
    std::sort(c.plmns.begin(), c.plmns.end());
  }
  ESIMO_TRY(auto countries, rd.opt_string_array("countries"));
  if (countries) {
    c.countries.clear();
    for (std::size_t i = 0; i < countries->size(); ++i) {
      ESIMO_TRY(auto cc, parse_country_field((*countries)[i], json_path("countries", i)));
      if (std::find(c.countries.begin(), c.countries.end(), cc) == c.countries.end()) c.countries.push_back(cc);
    }
  }
  ESIMO_TRY(auto rats, rd.opt_string_array("rats"));
  if (rats) {
    c.rats = 0;
    for (std::size_t i = 0; i < rats->size(); ++i) {
      auto r = domain::parse_rat((*rats)[i]);
      if (!r) {
        std::string f = json_path("rats", i);
        return make_problem(400, "invalid_rat", f + ": " + r.error().message, f);
      }
      c.rats |= static_cast<domain::RatSet>(*r);
    }
  }
  ESIMO_TRY(auto status, rd.opt_string("status"));
  if (status) {
    auto s = domain::parse_carrier_status(*status);
    if (!s) return make_problem(400, "invalid_status", "status must be up, degraded or down", "status");
    c.status = *s;
  }
  ESIMO_TRY(auto smdp, rd.opt_string("smdp_address"));
  if (smdp) {
    ESIMO_CHECK(check_smdp_address(*smdp));
    c.smdp_address = *smdp;
  }
  return rd.finish();
}

// The tenant's own carrier named by the path: 404 when invisible, 403 catalog_read_only for a catalog carrier.
ApiResult<domain::Carrier> own_carrier(Env& env, const Call& call) {
  ESIMO_TRY(auto c, env.ctx.store.get_carrier(call.tenant(), call.params[0]));
  if (c.tenant_id == domain::kCatalogTenant) {
    return make_problem(403, "catalog_read_only",
                        "carrier '" + c.id + "' belongs to the shared catalog and cannot be changed");
  }
  return c;
}

http::Response rates_response(const std::vector<domain::RateCard>& cards) {
  return all_response(cards, write_rate_card);
}

ApiResult<domain::Money> money_text(std::string_view amount, std::string_view currency, std::string field) {
  auto m = domain::Money::parse(amount, currency);
  if (!m) return make_problem(400, "invalid_money", field + ": " + m.error().message, field);
  return std::move(m).value();
}
}  // namespace carriers_detail

ApiResult<http::Response> h_carriers_list(Env& env, Call& call) {
  ESIMO_TRY(auto q, QueryReader::make(call.req.query, "country,plmn,status", true));
  store::CarrierFilter f;
  if (auto c = q.get("country")) {
    ESIMO_TRY(f.country, parse_country_field(*c, "country"));
  }
  if (auto p = q.get("plmn")) {
    ESIMO_TRY(f.plmn, parse_plmn_field(*p, "plmn"));
  }
  if (auto s = q.get("status")) {
    auto st = domain::parse_carrier_status(*s);
    if (!st) return make_problem(400, "invalid_status", "status must be up, degraded or down", "status");
    f.status = *st;
  }
  ESIMO_TRY(auto page, env.ctx.store.list_carriers(call.tenant(), f, q.page()));
  return page_response(page, write_carrier, q, env, call);
}

ApiResult<http::Response> h_carriers_create(Env& env, Call& call) {
  ESIMO_TRY(auto body, parse_json(call.req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  domain::Carrier c;
  c.tenant_id = call.tenant();
  ESIMO_TRY(c.id, rd.req_string("id"));
  ESIMO_CHECK(carriers_detail::check_carrier_id(c.id));
  ESIMO_CHECK(carriers_detail::read_carrier_fields(rd, c, true));
  auto existing = env.ctx.store.get_carrier(call.tenant(), c.id);
  if (existing) {
    return make_problem(409, "already_exists", "a carrier with id '" + c.id + "' already exists", "id");
  }
  if (existing.error().code != Errc::not_found) return existing.error();
  auto st = env.ctx.store.create_carrier(c);
  if (!st) {
    if (st.error().code == Errc::already_exists) {
      return make_problem(409, "already_exists", "a carrier with id '" + c.id + "' already exists", "id");
    }
    return st.error();
  }
  auto r = carriers_detail::carrier_response(201, c);
  r.set_header("location", "/v1/carriers/" + c.id);
  return r;
}

ApiResult<http::Response> h_carrier_get(Env& env, Call& call) {
  ESIMO_TRY(auto c, env.ctx.store.get_carrier(call.tenant(), call.params[0]));
  return carriers_detail::carrier_response(200, c);
}

ApiResult<http::Response> h_carrier_patch(Env& env, Call& call) {
  ESIMO_TRY(auto c, carriers_detail::own_carrier(env, call));
  ESIMO_TRY(auto body, parse_json(call.req.body));
  ESIMO_TRY(auto rd, ObjectReader::make(body, ""));
  ESIMO_CHECK(carriers_detail::read_carrier_fields(rd, c, false));
  ESIMO_CHECK(env.ctx.store.update_carrier(c));
  return carriers_detail::carrier_response(200, c);
}

ApiResult<http::Response> h_carrier_delete(Env& env, Call& call) {
  ESIMO_TRY(auto c, carriers_detail::own_carrier(env, call));
  auto st = env.ctx.store.delete_carrier(call.tenant(), c.id);
  if (!st) {
    if (st.error().code == Errc::conflict) {
      return make_problem(409, "carrier_in_use", "carrier '" + c.id + "' is still named by profiles");
    }
    return st.error();
  }
  return no_content();
}

ApiResult<http::Response> h_rates_list(Env& env, Call& call) {
  ESIMO_TRY(auto c, env.ctx.store.get_carrier(call.tenant(), call.params[0]));
  ESIMO_TRY(auto cards, env.ctx.store.list_rate_cards(call.tenant(), c.id));
  return carriers_detail::rates_response(cards);
}

ApiResult<http::Response> h_rates_put(Env& env, Call& call) {
  ESIMO_TRY(auto c, env.ctx.store.get_carrier(call.tenant(), call.params[0]));
  ESIMO_TRY(auto body, parse_json(call.req.body));
  const auto* arr = body.if_array();
  if (!arr) return invalid_type("", "an array of rate cards");
  TimePoint now = env.ctx.clock.now();
  std::vector<domain::RateCard> cards;
  cards.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    std::string base = json_path("", i);
    ESIMO_TRY(auto rd, ObjectReader::make((*arr)[i], base));
    domain::RateCard r;
    r.tenant_id = call.tenant();
    r.carrier_id = c.id;
    r.updated_at = now;
    ESIMO_TRY(std::string country, rd.req_string("country"));
    ESIMO_TRY(r.country, parse_country_field(country, rd.path("country")));
    ESIMO_TRY(r.price_per_mb, parse_money_field(rd.get("price_per_mb"), rd.path("price_per_mb")));
    ESIMO_TRY(r.price_per_sms, parse_money_field(rd.get("price_per_sms"), rd.path("price_per_sms")));
    ESIMO_TRY(r.monthly_fee, parse_money_field(rd.get("monthly_fee"), rd.path("monthly_fee")));
    ESIMO_CHECK(rd.finish());
    for (const auto& other : cards) {
      if (other.country == r.country) {
        return make_problem(400, "duplicate_country", rd.path("country") + ": country listed twice", rd.path("country"));
      }
    }
    cards.push_back(std::move(r));
  }
  if (!cards.empty()) {
    ESIMO_CHECK(env.ctx.store.put_rate_cards(cards));
    engine_rates_changed(env, call.tenant(), cards);
  }
  ESIMO_TRY(auto all, env.ctx.store.list_rate_cards(call.tenant(), c.id));
  return carriers_detail::rates_response(all);
}

ApiResult<http::Response> h_rate_delete(Env& env, Call& call) {
  ESIMO_TRY(auto c, env.ctx.store.get_carrier(call.tenant(), call.params[0]));
  ESIMO_TRY(auto country, parse_country_field(call.params[1], "country"));
  ESIMO_CHECK(env.ctx.store.delete_rate_card(call.tenant(), c.id, country));
  return no_content();
}

// CSV "carrier,country,currency,price_per_mb,price_per_sms,monthly_fee": all lines or none. Every bad line is listed
// in the problem's "errors" member.
ApiResult<http::Response> h_rates_import(Env& env, Call& call) {
  if (import_format_for(call.req.header("content-type")) != ImportFormat::csv) {
    return make_problem(415, "unsupported_media_type", "send the rate cards as text/csv", "content-type");
  }
  static constexpr const char* kHeader[] = {"carrier", "country", "currency", "price_per_mb", "price_per_sms",
                                            "monthly_fee"};
  std::vector<std::pair<std::size_t, std::string>> errors;
  std::vector<domain::RateCard> cards;
  std::optional<Problem> header_problem;
  bool header = true;
  CarrierResolver carriers(env.ctx.store, call.tenant());
  TimePoint now = env.ctx.clock.now();
  auto on_record = [&](CsvRecord& rec) {
    if (header) {
      header = false;
      bool ok = rec.error.empty() && rec.fields.size() == 6;
      for (std::size_t i = 0; ok && i < 6; ++i) ok = csv_trim(rec.fields[i]) == kHeader[i];
      if (!ok) {
        header_problem = make_problem(
            400, "invalid_csv_header",
            "line " + std::to_string(rec.line) +
                ": expected the header carrier,country,currency,price_per_mb,price_per_sms,monthly_fee");
      }
      return ok;
    }
    if (!rec.error.empty()) {
      errors.emplace_back(rec.line, rec.error);
      return true;
    }
    if (rec.fields.size() != 6) {
      errors.emplace_back(rec.line, "expected 6 fields, found " + std::to_string(rec.fields.size()));
      return true;
    }
    auto f = [&](std::size_t i) { return csv_trim(rec.fields[i]); };
    domain::RateCard r;
    r.tenant_id = call.tenant();
    r.updated_at = now;
    auto id = carriers.resolve(f(0), "carrier");
    if (!id) {
      if (id.error().status >= 500) {
        header_problem = id.error();
        return false;
      }
      errors.emplace_back(rec.line, id.error().detail);
      return true;
    }
    r.carrier_id = id.value();
    auto cc = parse_country_field(f(1), "country");
    if (!cc) {
      errors.emplace_back(rec.line, cc.error().detail);
      return true;
    }
    r.country = cc.value();
    auto mb = carriers_detail::money_text(f(3), f(2), "price_per_mb");
    auto sms = carriers_detail::money_text(f(4), f(2), "price_per_sms");
    auto fee = carriers_detail::money_text(f(5), f(2), "monthly_fee");
    for (auto* m : {&mb, &sms, &fee}) {
      if (!*m) {
        errors.emplace_back(rec.line, m->error().detail);
        return true;
      }
    }
    r.price_per_mb = mb.value();
    r.price_per_sms = sms.value();
    r.monthly_fee = fee.value();
    for (const auto& other : cards) {
      if (other.carrier_id == r.carrier_id && other.country == r.country) {
        errors.emplace_back(rec.line, "carrier " + r.carrier_id + " and country " + r.country.str() + " listed twice");
        return true;
      }
    }
    cards.push_back(std::move(r));
    return true;
  };
  CsvReader reader;
  reader.feed(call.req.body, on_record);
  if (!header_problem) reader.finish(on_record);
  if (header_problem) return *header_problem;
  if (header) return make_problem(400, "invalid_csv_header", "the file is empty: expected a header line");
  if (!errors.empty()) {
    Problem p = make_problem(400, "invalid_rates",
                             std::to_string(errors.size()) + " line(s) are invalid; nothing was imported");
    JsonWriter w;
    w.key("errors").begin_array();
    for (const auto& [line, reason] : errors) {
      w.begin_object().field_num("line", static_cast<std::int64_t>(line)).field("reason", reason).end_object();
    }
    w.end_array();
    p.extra = w.take();
    return p;
  }
  if (!cards.empty()) {
    ESIMO_CHECK(env.ctx.store.put_rate_cards(cards));
    engine_rates_changed(env, call.tenant(), cards);
  }
  JsonWriter w;
  w.begin_object().field_num("imported", static_cast<std::int64_t>(cards.size())).end_object();
  return json_response(200, w.take());
}

}  // namespace esimo::api
