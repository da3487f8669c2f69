// Operation requests <-> canonical JSON (Operation::params_json, and the REST body the api layer forwards).
// Strict: unknown fields, wrong types and bad identifiers fail with invalid_argument naming the field.
#include <boost/json.hpp>

#include "crypto/digest.hpp"
#include "eim/eim_service.hpp"
#include "eim/es9_client.hpp"

namespace esimo::eim {

namespace op_json_detail {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

Error bad(std::string_view field, std::string msg) {
  return Error(Errc::invalid_argument, std::string(field) + ": " + msg, std::string(field));
}

// Reads the fields of one JSON object, remembering which were consumed so leftovers can be reported.
class Reader {
 public:
  explicit Reader(const boost::json::object& o) : o_(o) {}

  const boost::json::value* get(std::string_view key) {
    used_.emplace_back(key);
    auto it = o_.find(key);
    return it == o_.end() || it->value().is_null() ? nullptr : &it->value();
  }
  Result<std::optional<std::string>> opt_string(std::string_view key, std::size_t max = 255) {
    const auto* v = get(key);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return bad(key, "must be a string");
    std::string s(v->as_string());
    if (s.empty() || s.size() > max) return bad(key, "must be 1.." + std::to_string(max) + " characters");
    return std::optional<std::string>(std::move(s));
  }
  Result<std::string> string(std::string_view key, std::size_t max = 255) {
    ESIMO_TRY(auto s, opt_string(key, max));
    if (!s) return bad(key, "is required");
    return std::move(*s);
  }
  Result<std::optional<bool>> opt_bool(std::string_view key) {
    const auto* v = get(key);
    if (v == nullptr) return std::optional<bool>();
    if (!v->is_bool()) return bad(key, "must be true or false");
    return std::optional<bool>(v->as_bool());
  }
  Result<std::optional<std::int64_t>> opt_int(std::string_view key, std::int64_t lo, std::int64_t hi) {
    const auto* v = get(key);
    if (v == nullptr) return std::optional<std::int64_t>();
    std::int64_t x = 0;
    if (v->is_int64()) {
      x = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      x = static_cast<std::int64_t>(v->as_uint64());
    } else {
      return bad(key, "must be an integer");
    }
    if (x < lo || x > hi) return bad(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::optional<std::int64_t>(x);
  }
  Result<std::optional<Bytes>> opt_hex(std::string_view key, std::size_t max_bytes) {
    ESIMO_TRY(auto s, opt_string(key, max_bytes * 2));
    if (!s) return std::optional<Bytes>();
    auto b = from_hex(*s);
    if (!b) return bad(key, "must be hex");
    return std::optional<Bytes>(std::move(*b));
  }
  Result<domain::Iccid> iccid(std::string_view key) {
    ESIMO_TRY(std::string s, string(key, 32));
    auto i = domain::Iccid::parse(s);
    if (!i) return bad(key, i.error().message);
    return *i;
  }
  Result<std::optional<domain::Iccid>> opt_iccid(std::string_view key) {
    const auto* v = get(key);
    if (v == nullptr) return std::optional<domain::Iccid>();
    if (!v->is_string()) return bad(key, "must be a string");
    auto i = domain::Iccid::parse(v->as_string());
    if (!i) return bad(key, i.error().message);
    return std::optional<domain::Iccid>(*i);
  }
  // Every field not read is an error (strict input).
  Status finish(std::string_view type) {
    for (const auto& kv : o_) {
      const std::string_view k = kv.key();
      if (k == "type") continue;
      bool known = false;
      for (const auto& u : used_) known = known || u == k;
      if (!known) return bad(k, "is not a field of a '" + std::string(type) + "' operation");
    }
    return {};
  }

 private:
  const boost::json::object& o_;
  std::vector<std::string> used_;
};

Result<sgp::EimConfigurationData> eim_config_from(Reader& r) {
  sgp::EimConfigurationData c;
  ESIMO_TRY(c.eim_id, r.string("eim_id", 128));
  ESIMO_TRY(c.eim_fqdn, r.opt_string("fqdn", 255));
  ESIMO_TRY(c.eim_id_type, r.opt_int("eim_id_type", 1, 3));
  ESIMO_TRY(auto counter, r.opt_int("counter_value", 0, INT64_MAX));
  if (counter) c.counter_value = static_cast<std::uint64_t>(*counter);
  ESIMO_TRY(c.association_token, r.opt_int("association_token", INT64_MIN, INT64_MAX));
  ESIMO_TRY(c.eim_public_key, r.opt_hex("eim_public_key", 4096));
  ESIMO_TRY(c.eim_certificate, r.opt_hex("eim_certificate", 4096));
  if (c.eim_public_key && c.eim_certificate) return bad("eim_certificate", "give eim_public_key or eim_certificate, not both");
  ESIMO_TRY(c.trusted_eim_pk_tls, r.opt_hex("trusted_eim_pk_tls", 4096));
  ESIMO_TRY(c.trusted_certificate_tls, r.opt_hex("trusted_certificate_tls", 4096));
  if (c.trusted_eim_pk_tls && c.trusted_certificate_tls) {
    return bad("trusted_certificate_tls", "give trusted_eim_pk_tls or trusted_certificate_tls, not both");
  }
  ESIMO_TRY(auto proto, r.opt_int("eim_supported_protocol", 0, 0xFFFF));
  if (proto) c.eim_supported_protocol = static_cast<std::uint32_t>(*proto);
  ESIMO_TRY(c.euicc_ci_pkid, r.opt_hex("euicc_ci_pkid", 64));
  ESIMO_TRY(auto ipd, r.opt_bool("indirect_profile_download"));
  c.indirect_profile_download = ipd.value_or(false);
  return c;
}

void eim_config_to(boost::json::object& o, const sgp::EimConfigurationData& c) {
  o["eim_id"] = c.eim_id;
  if (c.eim_fqdn) o["fqdn"] = *c.eim_fqdn;
  if (c.eim_id_type) o["eim_id_type"] = *c.eim_id_type;
  if (c.counter_value) o["counter_value"] = *c.counter_value;
  if (c.association_token) o["association_token"] = *c.association_token;
  if (c.eim_public_key) o["eim_public_key"] = to_hex(*c.eim_public_key);
  if (c.eim_certificate) o["eim_certificate"] = to_hex(*c.eim_certificate);
  if (c.trusted_eim_pk_tls) o["trusted_eim_pk_tls"] = to_hex(*c.trusted_eim_pk_tls);
  if (c.trusted_certificate_tls) o["trusted_certificate_tls"] = to_hex(*c.trusted_certificate_tls);
  if (c.eim_supported_protocol) o["eim_supported_protocol"] = *c.eim_supported_protocol;
  if (c.euicc_ci_pkid) o["euicc_ci_pkid"] = to_hex(*c.euicc_ci_pkid);
  if (c.indirect_profile_download) o["indirect_profile_download"] = true;
}

// "download" (download_relay.cpp): the confirmation code is kept only as its SHA-256 (all hashCc needs).
Result<OperationRequest> download_request_from(Reader& r) {
  OpDownload op;
  ESIMO_TRY(op.activation_code, r.string("activation_code", 255));
  ESIMO_TRY(auto cc, r.opt_string("confirmation_code", 64));
  ESIMO_TRY(op.confirmation_code_sha256, r.opt_hex("confirmation_code_sha256", 32));
  if (cc && op.confirmation_code_sha256) {
    return bad("confirmation_code", "give confirmation_code or confirmation_code_sha256, not both");
  }
  if (cc) {
    const auto h = crypto::sha256(as_bytes(*cc));
    op.confirmation_code_sha256 = Bytes(h.begin(), h.end());
  }
  if (op.confirmation_code_sha256 && op.confirmation_code_sha256->size() != 32) {
    return bad("confirmation_code_sha256", "must be 32 octets (64 hex digits)");
  }
  ESIMO_TRY(auto enable, r.opt_bool("enable"));
  op.enable = enable.value_or(false);
  ESIMO_TRY(op.carrier_id, r.opt_string("carrier", 64));
  ESIMO_TRY(auto ac, parse_activation_code(op.activation_code));
  op.activation_code = ac.text;
  return OperationRequest(std::move(op));
}

void download_to(boost::json::object& o, const OpDownload& x) {
  o["activation_code"] = x.activation_code;
  if (x.confirmation_code_sha256) o["confirmation_code_sha256"] = to_hex(*x.confirmation_code_sha256);
  o["enable"] = x.enable;
  if (x.carrier_id) o["carrier"] = *x.carrier_id;
}

Result<OperationRequest> parse_typed(std::string_view type, Reader& r) {
  if (type == "enable") {
    OpEnable op;
    ESIMO_TRY(op.iccid, r.iccid("iccid"));
    ESIMO_TRY(auto rb, r.opt_bool("rollback"));
    op.rollback = rb.value_or(false);
    return OperationRequest(op);
  }
  if (type == "disable") {
    ESIMO_TRY(domain::Iccid i, r.iccid("iccid"));
    return OperationRequest(OpDisable{i});
  }
  if (type == "delete") {
    ESIMO_TRY(domain::Iccid i, r.iccid("iccid"));
    return OperationRequest(OpDelete{i});
  }
  if (type == "list_profiles") {
    ESIMO_TRY(auto i, r.opt_iccid("iccid"));
    return OperationRequest(OpListProfiles{i});
  }
  if (type == "get_rat") return OperationRequest(OpGetRat{});
  if (type == "configure_immediate_enable") {
    OpConfigureImmediateEnable op;
    ESIMO_TRY(auto flag, r.opt_bool("immediate_enable"));
    op.immediate_enable = flag.value_or(false);
    ESIMO_TRY(op.default_smdp_address, r.opt_string("default_smdp_address", 255));
    return OperationRequest(op);
  }
  if (type == "set_fallback") {
    ESIMO_TRY(domain::Iccid i, r.iccid("iccid"));
    return OperationRequest(OpSetFallback{i});
  }
  if (type == "unset_fallback") return OperationRequest(OpUnsetFallback{});
  if (type == "set_default_dp") {
    ESIMO_TRY(std::string a, r.string("address", 255));
    return OperationRequest(OpSetDefaultDp{a});
  }
  if (type == "add_eim") {
    ESIMO_TRY(auto c, eim_config_from(r));
    return OperationRequest(OpAddEim{std::move(c)});
  }
  if (type == "update_eim") {
    ESIMO_TRY(auto c, eim_config_from(r));
    return OperationRequest(OpUpdateEim{std::move(c)});
  }
  if (type == "delete_eim") {
    ESIMO_TRY(std::string id, r.string("eim_id", 128));
    return OperationRequest(OpDeleteEim{id});
  }
  if (type == "list_eim") return OperationRequest(OpListEim{});
  if (type == "download") return download_request_from(r);
  if (type == "euicc_data") {
    ESIMO_TRY(auto tags, r.opt_hex("tag_list", 64));
    if (!tags || tags->empty()) return bad("tag_list", "is required (hex of the tags, e.g. \"84a5a6\")");
    return OperationRequest(OpEuiccData{std::move(*tags)});
  }
  return Error(Errc::invalid_argument,
               "type: unknown operation type '" + std::string(type) +
                   "' (enable, disable, delete, list_profiles, get_rat, configure_immediate_enable, set_fallback, "
                   "unset_fallback, set_default_dp, add_eim, update_eim, delete_eim, list_eim, euicc_data, download)",
               "type");
}

}  // namespace op_json_detail

std::string_view operation_type(const OperationRequest& r) {
  return std::visit(op_json_detail::Overloaded{
                        [](const OpEnable&) { return std::string_view("enable"); },
                        [](const OpDisable&) { return std::string_view("disable"); },
                        [](const OpDelete&) { return std::string_view("delete"); },
                        [](const OpListProfiles&) { return std::string_view("list_profiles"); },
                        [](const OpGetRat&) { return std::string_view("get_rat"); },
                        [](const OpConfigureImmediateEnable&) { return std::string_view("configure_immediate_enable"); },
                        [](const OpSetFallback&) { return std::string_view("set_fallback"); },
                        [](const OpUnsetFallback&) { return std::string_view("unset_fallback"); },
                        [](const OpSetDefaultDp&) { return std::string_view("set_default_dp"); },
                        [](const OpAddEim&) { return std::string_view("add_eim"); },
                        [](const OpUpdateEim&) { return std::string_view("update_eim"); },
                        [](const OpDeleteEim&) { return std::string_view("delete_eim"); },
                        [](const OpListEim&) { return std::string_view("list_eim"); },
                        [](const OpEuiccData&) { return std::string_view("euicc_data"); },
                        [](const OpDownload&) { return std::string_view("download"); },
                    },
                    r);
}

std::string to_json(const OperationRequest& r) {
  boost::json::object o;
  std::visit(op_json_detail::Overloaded{
                 [&](const OpEnable& x) {
                   o["iccid"] = x.iccid.str();
                   o["rollback"] = x.rollback;
                 },
                 [&](const OpDisable& x) { o["iccid"] = x.iccid.str(); },
                 [&](const OpDelete& x) { o["iccid"] = x.iccid.str(); },
                 [&](const OpListProfiles& x) {
                   if (x.iccid) o["iccid"] = x.iccid->str();
                 },
                 [&](const OpGetRat&) {},
                 [&](const OpConfigureImmediateEnable& x) {
                   o["immediate_enable"] = x.immediate_enable;
                   if (x.default_smdp_address) o["default_smdp_address"] = *x.default_smdp_address;
                 },
                 [&](const OpSetFallback& x) { o["iccid"] = x.iccid.str(); },
                 [&](const OpUnsetFallback&) {},
                 [&](const OpSetDefaultDp& x) { o["address"] = x.address; },
                 [&](const OpAddEim& x) { op_json_detail::eim_config_to(o, x.config); },
                 [&](const OpUpdateEim& x) { op_json_detail::eim_config_to(o, x.config); },
                 [&](const OpDeleteEim& x) { o["eim_id"] = x.eim_id; },
                 [&](const OpListEim&) {},
                 [&](const OpEuiccData& x) { o["tag_list"] = to_hex(x.tag_list); },
                 [&](const OpDownload& x) { op_json_detail::download_to(o, x); },
             },
             r);
  return boost::json::serialize(o);
}

Result<OperationRequest> operation_request_from_json(std::string_view type, std::string_view params_json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(params_json.empty() ? std::string_view("{}") : params_json, ec);
  if (ec) return Error(Errc::parse_error, "operation body is not JSON: " + ec.message(), "body");
  if (!v.is_object()) return Error(Errc::invalid_argument, "operation body must be a JSON object", "body");
  const auto& obj = v.as_object();
  if (auto it = obj.find("type"); it != obj.end()) {
    if (!it->value().is_string() || it->value().as_string() != type) {
      return Error(Errc::invalid_argument, "type: does not match the operation type '" + std::string(type) + "'",
                   "type");
    }
  }
  op_json_detail::Reader reader(obj);
  ESIMO_TRY(OperationRequest r, op_json_detail::parse_typed(type, reader));
  ESIMO_CHECK(reader.finish(type));
  return r;
}

}  // namespace esimo::eim
