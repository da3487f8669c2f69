// ES9+ JSON over HTTP for the test SM-DP+ (SGP.22 §6.1 / §6.5) and its admin endpoint. See smdp_http.hpp.
#include "twin/smdp_http.hpp"

#include <boost/json.hpp>

#include "sgp/es9plus.hpp"

namespace esimo::twin {
namespace smdp_http_impl {

namespace es9 = sgp::es9;
namespace json = boost::json;

http::Response json_response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.set_header("x-admin-protocol", std::string(es9::kAdminProtocol));
  return r;
}

http::Response problem(int status, const std::string& what) {
  json::object o{{"error", what}};
  return json_response(status, json::serialize(o));
}

// A request that does not decode: 400 with a Failed header naming the member (SGP.22 §6.5.1.4 subject 8.1 / 3.1).
http::Response bad_request(const Error& e) {
  auto body = es9::encode_header_only(es9::FunctionExecutionStatus::failure(
      "8.1", "3.1", e.field.empty() ? e.message : e.field + ": " + e.message));
  return json_response(400, body.ok() ? *body : std::string("{}"));
}

template <class Resp>
http::Response answer(const Resp& resp) {
  auto body = es9::encode(resp);
  if (!body.ok()) return problem(500, body.error().message);
  return json_response(200, std::move(body).value());
}

bool loopback(std::string_view address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0 ||
         address.empty();  // in-process callers (tests) have none
}

json::object status_json(const OrderStatus& s) {
  json::object o{{"matching_id", s.matching_id},
                 {"activation_code", s.activation_code},
                 {"iccid", s.iccid.str()},
                 {"state", order_state_name(s.state)},
                 {"confirmation_code_failures", s.confirmation_code_failures}};
  if (s.installed_on) o["installed_on"] = s.installed_on->str();
  if (s.last_error) o["last_error"] = *s.last_error;
  return o;
}

Result<ProfileOrder> parse_order(const std::string& body, TimePoint now) {
  auto bad = [](const std::string& f, const std::string& what) { return Error(Errc::invalid_argument, f + ": " + what, f); };
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return Error(Errc::parse_error, "body must be a JSON object");
  const auto& o = v.as_object();
  auto str = [&](const char* key) -> Result<std::optional<std::string>> {
    const auto* x = o.if_contains(key);
    if (!x || x->is_null()) return std::optional<std::string>();
    if (!x->is_string()) return bad(key, "must be a string");
    return std::optional<std::string>(std::string(x->as_string()));
  };
  ESIMO_TRY(auto iccid_text, str("iccid"));
  if (!iccid_text) return bad("iccid", "missing");
  auto iccid = domain::Iccid::parse(*iccid_text);
  if (!iccid.ok()) return bad("iccid", iccid.error().message);
  ProfileOrder order{"", *iccid};
  ESIMO_TRY(auto mid, str("matching_id"));
  if (mid) order.matching_id = *mid;
  ESIMO_TRY(auto plmn, str("plmn"));
  if (plmn) {
    auto p = domain::Plmn::parse(*plmn);
    if (!p.ok()) return bad("plmn", p.error().message);
    order.home_plmn = *p;
  }
  ESIMO_TRY(order.confirmation_code, str("confirmation_code"));
  ESIMO_TRY(auto eid, str("eid"));
  if (eid) {
    auto e = domain::Eid::parse(*eid);
    if (!e.ok()) return bad("eid", e.error().message);
    order.eid = *e;
  }
  ESIMO_TRY(auto spn, str("service_provider_name"));
  if (spn) order.service_provider_name = *spn;
  ESIMO_TRY(auto name, str("profile_name"));
  if (name) order.profile_name = *name;
  if (const auto* x = o.if_contains("profile_class"); x && !x->is_null()) {
    if (!x->is_int64()) return bad("profile_class", "must be 0, 1 or 2");
    order.profile_class = x->as_int64();
  }
  if (const auto* x = o.if_contains("reusable"); x && !x->is_null()) {
    if (!x->is_bool()) return bad("reusable", "must be a boolean");
    order.reusable = x->as_bool();
  }
  if (const auto* x = o.if_contains("expires_in_s"); x && !x->is_null()) {
    if (!x->is_int64() || x->as_int64() <= 0) return bad("expires_in_s", "must be a positive integer");
    order.expires_at = now + std::chrono::duration_cast<Duration>(std::chrono::seconds(x->as_int64()));
  }
  return order;
}

}  // namespace smdp_http_impl

namespace shi = smdp_http_impl;

http::Response SmdpHttpService::handle(http::Request& request) {
  if (request.path.rfind(sgp::es9::kPathPrefix, 0) == 0) return es9(request);
  if (request.path.rfind(kSmdpAdminProfilesPath, 0) == 0) return admin(request);
  return shi::problem(404, "no such resource: " + request.path);
}

http::Response SmdpHttpService::es9(http::Request& request) {
  namespace es9 = sgp::es9;
  auto fn = es9::function_from_path(request.path);
  if (!fn.ok()) return shi::problem(404, fn.error().message);
  if (request.method != http::Method::post) return shi::problem(405, "ES9+ functions are POST");
  const std::string_view ap = request.header("x-admin-protocol");
  if (ap.empty() || !es9::admin_protocol_supported(ap)) {
    return shi::problem(400, "X-Admin-Protocol missing or unsupported: \"" + std::string(ap) + "\"");
  }
  const std::string_view ct = request.header("content-type");
  if (ct.substr(0, ct.find(';')) != es9::kContentType) {
    return shi::problem(415, "Content-Type must be application/json");
  }
  switch (*fn) {
    case es9::Function::initiate_authentication: {
      auto req = es9::decode_initiate_authentication_request(request.body);
      if (!req.ok()) return shi::bad_request(req.error());
      return shi::answer(smdp_.initiate_authentication(*req));
    }
    case es9::Function::authenticate_client: {
      auto req = es9::decode_authenticate_client_request(request.body);
      if (!req.ok()) return shi::bad_request(req.error());
      return shi::answer(smdp_.authenticate_client(*req));
    }
    case es9::Function::get_bound_profile_package: {
      auto req = es9::decode_get_bound_profile_package_request(request.body);
      if (!req.ok()) return shi::bad_request(req.error());
      return shi::answer(smdp_.get_bound_profile_package(*req));
    }
    case es9::Function::handle_notification: {
      auto req = es9::decode_handle_notification_request(request.body);
      if (!req.ok()) return shi::bad_request(req.error());
      auto st = smdp_.handle_notification(*req);
      if (!st.ok()) return shi::bad_request(st.error());
      http::Response r;
      r.status = 204;
      r.content_type.clear();
      r.set_header("x-admin-protocol", std::string(es9::kAdminProtocol));
      return r;
    }
    case es9::Function::cancel_session: {
      auto req = es9::decode_cancel_session_request(request.body);
      if (!req.ok()) return shi::bad_request(req.error());
      return shi::answer(smdp_.cancel_session(*req));
    }
  }
  return shi::problem(404, "unknown ES9+ function");
}

http::Response SmdpHttpService::admin(http::Request& request) {
  namespace json = boost::json;
  if (!shi::loopback(request.remote_address)) return shi::problem(403, "the admin endpoint answers loopback only");
  const std::string_view base = kSmdpAdminProfilesPath;
  if (request.path == base) {
    if (request.method != http::Method::post) return shi::problem(405, "POST a profile order");
    auto order = shi::parse_order(request.body, smdp_.now());
    if (!order.ok()) return shi::problem(400, order.error().message);
    auto st = smdp_.prepare_profile(std::move(order).value());
    if (!st.ok()) return shi::problem(st.error().code == Errc::already_exists ? 409 : 400, st.error().message);
    return shi::json_response(201, json::serialize(shi::status_json(*st)));
  }
  if (request.path.size() > base.size() + 1 && request.path[base.size()] == '/') {
    if (request.method != http::Method::get) return shi::problem(405, "GET a profile order");
    auto st = smdp_.order(std::string_view(request.path).substr(base.size() + 1));
    if (!st) return shi::problem(404, "no such matching ID");
    return shi::json_response(200, json::serialize(shi::status_json(*st)));
  }
  return shi::problem(404, "no such resource: " + request.path);
}

}  // namespace esimo::twin
