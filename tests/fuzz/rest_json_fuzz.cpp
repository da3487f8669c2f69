// libFuzzer target: the REST JSON reader (api/json_io: parse_json, ObjectReader, JsonWriter), the money field and the
// typed operation bodies (eim/operation_json). The first byte picks the operation type; the rest is the body.
// Whatever parses must say nothing is left unread once every member was read, print back to JSON that parses to the
// same value, and an operation body must round-trip through its canonical JSON; whatever fails must say what.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/codec.hpp"
#include "api/json_io.hpp"
#include "eim/eim_service.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kTypes[] = {"enable",         "disable",        "delete",         "list_profiles",
                                       "get_rat",        "configure_immediate_enable",       "set_fallback",
                                       "unset_fallback", "set_default_dp", "add_eim",        "update_eim",
                                       "delete_eim",     "list_eim",       "euicc_data",     "download",
                                       "no_such_type"};

void check_problem(const esimo::api::Problem& p) {
  check(p.status == 400 && !p.code.empty() && !p.detail.empty());
}

// JsonWriter output of `v` must parse back to `v` (strings are escaped right, nothing is lost).
void check_writer(std::string_view key, const boost::json::value& v) {
  // Only what JsonWriter itself prints: no doubles (boost::json 1.81 reads them imprecisely), no nested documents.
  if (!v.is_string() && !v.is_bool() && !v.is_int64() && !v.is_null()) return;
  esimo::api::JsonWriter w;
  w.begin_object().key(key);
  if (const auto* s = v.if_string()) w.str(std::string_view(s->data(), s->size()));
  else if (const auto* b = v.if_bool()) w.boolean(*b);
  else if (const auto* i = v.if_int64()) w.num(*i);
  else w.null();
  w.end_object();
  auto back = esimo::api::parse_json(w.buffer());
  check(back.ok());
  const auto& o = back->as_object();
  check(o.size() == 1 && o.begin()->key() == key && o.begin()->value() == v);
}

void read_object(const boost::json::value& v, std::string path, int depth) {
  namespace api = esimo::api;
  auto rd = api::ObjectReader::make(v, path);
  if (!rd.ok()) {
    check(!v.is_object());
    check_problem(rd.error());
    check(rd.error().code == "invalid_type" && rd.error().field == path);
    return;
  }
  check(v.is_object());
  for (const auto& kv : v.as_object()) {
    const std::string_view key(kv.key().data(), kv.key().size());
    check_writer(key, kv.value());
    const std::string field = rd->path(key);
    // A refusal is a 400 naming the member (or, for an array, its element); a failed accessor still marks it read.
    auto refused = [&](const api::Problem& p) {
      check_problem(p);
      check(p.field.substr(0, field.size()) == field);
    };
    switch ((key.size() + static_cast<std::size_t>(depth)) % 4) {
      case 0: {
        auto s = rd->opt_string(key);
        check(s.ok() == kv.value().is_string());
        if (s.ok()) check(s->has_value() && **s == kv.value().as_string());
        else refused(s.error());
        break;
      }
      case 1: {
        auto b = rd->opt_bool(key);
        check(b.ok() == kv.value().is_bool());
        if (!b.ok()) refused(b.error());
        break;
      }
      case 2: {
        auto a = rd->opt_string_array(key);
        if (a.ok()) check(a->has_value() && (*a)->size() == kv.value().as_array().size());
        else refused(a.error());
        break;
      }
      default: {
        auto a = rd->opt_array(key);
        check(a.ok() == kv.value().is_array());
        if (!a.ok()) {
          refused(a.error());
        } else if (depth < 4) {
          for (std::size_t i = 0; i < (*a)->size(); ++i) read_object((**a)[i], api::json_path(field, i), depth + 1);
        }
        break;
      }
    }
  }
  // Every member was asked for, so nothing is unknown.
  check(rd->finish().ok());
  auto missing = rd->req_string("\x01no such member");
  check(!missing.ok() && missing.error().code == "missing_field");
}

void operation(std::string_view type, std::string_view body) {
  namespace eim = esimo::eim;
  auto r = eim::operation_request_from_json(type, body);
  if (!r.ok()) {
    // The field names the member at fault (empty only for a member whose name is "").
    check(!r.error().message.empty());
    return;
  }
  check(eim::operation_type(*r) == type);
  // The canonical JSON is a fixed point: it parses to a request that prints the same.
  const std::string canonical = eim::to_json(*r);
  auto again = eim::operation_request_from_json(type, canonical);
  check(again.ok());
  check(eim::to_json(*again) == canonical);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace api = esimo::api;
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  operation(kTypes[data[0] % std::size(kTypes)], body);

  auto v = api::parse_json(body);
  if (!v.ok()) {
    check_problem(v.error());
    check(v.error().code == "invalid_json");
    return 0;
  }
  read_object(*v, "", data[0] % 4);
  auto money = api::parse_money_field(&*v, "price");
  if (!money.ok()) check_problem(money.error());
  else check(!money->currency.str().empty());
  if (const auto* o = v->if_object()) {
    if (const auto* m = o->if_contains("monthly_fee")) {
      auto fee = api::parse_money_field(m, "monthly_fee");
      if (fee.ok()) {
        // A fee prints as {"amount","currency"} and reads back to the same money.
        api::JsonWriter w;
        api::write_money(w, *fee);
        auto printed = api::parse_json(w.buffer());
        check(printed.ok());
        auto back = api::parse_money_field(&*printed, "monthly_fee");
        check(back.ok() && *back == *fee);
      }
    }
  }
  return 0;
}
