// Software eUICC state as JSON (`esimo device new/poll --state FILE`). Format "esimo-software-euicc/1":
//   eid, sgp32_version, private_key_pem, euicc_certificate_pem, eum_certificate_pem,
//   eim_configurations: [{eim_configuration_data: hex DER of EimConfigurationData inside an AddInitialEimRequest (BF57)
//                         with the current counterValue and associationToken}],
//   profiles: [{iccid, isdp_aid, state, class, home_plmn, nickname, service_provider_name, profile_name,
//               fallback_attribute, fallback_allowed}],
//   notifications: [{seq_number, event, iccid}], package_results: [{seq_number, der (hex), delivered}],
//   immediate_enable {flag, default_smdp_oid, default_smdp_address}, default_dp_address, rollback, fallback_return,
//   state_change {notify, cause}, next_seq_number, next_association_token, next_isdp_index,
//   download {trusted_ci_pem, installation_results: [{seq_number, der (hex)}]} (optional; euicc_download.cpp).
// Loading checks every field and names the first bad one (Error::field holds its JSON path).
#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "sgp/codec.hpp"
#include "twin/software_euicc.hpp"

namespace esimo::twin {

namespace state_json {

namespace json = boost::json;

constexpr std::string_view kFormat = "esimo-software-euicc/1";

Error bad(const std::string& path, const std::string& what) {
  return Error(Errc::invalid_argument, "state: " + path + ": " + what, path);
}

struct Obj {
  const json::object& o;
  std::string path;

  const json::value* find(std::string_view key) const { return o.if_contains(key); }
  std::string at(std::string_view key) const { return path.empty() ? std::string(key) : path + "." + std::string(key); }

  Result<std::string> str(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return bad(at(key), "missing");
    if (!v->is_string()) return bad(at(key), "must be a string");
    return std::string(v->as_string());
  }
  Result<std::optional<std::string>> opt_str(std::string_view key) const {
    const auto* v = find(key);
    if (!v || v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) return bad(at(key), "must be a string or null");
    return std::optional<std::string>(std::string(v->as_string()));
  }
  Result<std::int64_t> integer(std::string_view key, std::int64_t min = 0) const {
    const auto* v = find(key);
    if (!v) return bad(at(key), "missing");
    std::int64_t x = 0;
    if (v->is_int64()) {
      x = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      x = static_cast<std::int64_t>(v->as_uint64());
    } else {
      return bad(at(key), "must be an integer");
    }
    if (x < min) return bad(at(key), "must be >= " + std::to_string(min));
    return x;
  }
  Result<std::optional<std::int64_t>> opt_integer(std::string_view key) const {
    const auto* v = find(key);
    if (!v || v->is_null()) return std::optional<std::int64_t>();
    ESIMO_TRY(auto x, integer(key, INT64_MIN));
    return std::optional<std::int64_t>(x);
  }
  Result<bool> boolean(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return bad(at(key), "missing");
    if (!v->is_bool()) return bad(at(key), "must be true or false");
    return v->as_bool();
  }
  Result<Bytes> hex(std::string_view key) const {
    ESIMO_TRY(auto s, str(key));
    auto b = from_hex(s);
    if (!b.ok()) return bad(at(key), "not hex: " + b.error().message);
    return std::move(b).value();
  }
  Result<const json::array*> array(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return bad(at(key), "missing");
    if (!v->is_array()) return bad(at(key), "must be an array");
    return &v->as_array();
  }
  Result<std::optional<Obj>> opt_object(std::string_view key) const {
    const auto* v = find(key);
    if (!v || v->is_null()) return std::optional<Obj>();
    if (!v->is_object()) return bad(at(key), "must be an object or null");
    return std::optional<Obj>(Obj{v->as_object(), at(key)});
  }
};

Result<Obj> element(const json::array& a, std::size_t i, const std::string& path) {
  const std::string p = path + "[" + std::to_string(i) + "]";
  if (!a[i].is_object()) return bad(p, "must be an object");
  return Obj{a[i].as_object(), p};
}

Result<IccidWire> iccid_field(const Obj& o, std::string_view key) {
  ESIMO_TRY(auto s, o.str(key));
  auto i = domain::Iccid::parse(s);
  if (!i.ok()) return bad(o.at(key), i.error().message);
  return i->to_wire();
}

Result<std::optional<IccidWire>> opt_iccid_field(const Obj& o, std::string_view key) {
  const auto* v = o.find(key);
  if (!v || v->is_null()) return std::optional<IccidWire>();
  ESIMO_TRY(auto w, iccid_field(o, key));
  return std::optional<IccidWire>(w);
}

const char* class_name(ProfileClass c) {
  switch (c) {
    case ProfileClass::test:
      return "test";
    case ProfileClass::provisioning:
      return "provisioning";
    case ProfileClass::operational:
      return "operational";
  }
  return "operational";
}

json::value opt(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
json::value opt_iccid(const std::optional<IccidWire>& w) {
  return w ? json::value(iccid_text(*w)) : json::value(nullptr);
}

}  // namespace state_json

class SoftwareEuiccState {
 public:
  static std::string to_json(const SoftwareEuicc& e);
  static Result<SoftwareEuicc> from_json(std::string_view text);
};

std::string SoftwareEuiccState::to_json(const SoftwareEuicc& e) {
  namespace json = boost::json;
  json::object o;
  o["format"] = state_json::kFormat;
  o["eid"] = e.eid_.str();
  o["sgp32_version"] = sgp::version_name(e.version_);
  o["private_key_pem"] = e.key_.to_pem();
  auto cert_pem = [](const Bytes& der) {
    auto c = crypto::Certificate::from_der(der);
    return c.ok() ? c->to_pem() : std::string();
  };
  o["euicc_certificate_pem"] = cert_pem(e.euicc_cert_der_);
  o["eum_certificate_pem"] = cert_pem(*e.eum_cert_der_);
  json::array eims;
  for (const auto& c : e.eims_) {
    sgp::AddInitialEimRequest one;
    one.eim_configuration_data_list.push_back(c.data);
    auto der_bytes = sgp::encode(one, e.version_);
    json::object j;
    j["eim_id"] = c.data.eim_id;  // informative; the DER is authoritative
    j["eim_configuration_data"] = der_bytes.ok() ? to_hex(*der_bytes) : std::string();
    eims.push_back(std::move(j));
  }
  o["eim_configurations"] = std::move(eims);
  json::array profiles;
  for (const auto& p : e.profiles_) {
    json::object j;
    j["iccid"] = iccid_text(p.iccid);
    j["isdp_aid"] = to_hex(p.isdp_aid);
    j["state"] = p.enabled ? "enabled" : "disabled";
    j["class"] = state_json::class_name(p.profile_class);
    j["nickname"] = p.nickname;
    j["service_provider_name"] = p.service_provider_name;
    j["profile_name"] = p.profile_name;
    j["fallback_attribute"] = p.fallback_attribute;
    j["fallback_allowed"] = p.fallback_allowed;
    if (p.home_plmn) {
      auto plmn = domain::Plmn::from_wire(*p.home_plmn);
      j["home_plmn"] = plmn.ok() ? json::value(plmn->str()) : json::value(nullptr);
    } else {
      j["home_plmn"] = nullptr;
    }
    profiles.push_back(std::move(j));
  }
  o["profiles"] = std::move(profiles);
  json::array notes;
  for (const auto& n : e.notifications_) {
    notes.push_back(json::object{
        {"seq_number", n.seq_number}, {"event", notification_event_name(n.event)}, {"iccid", iccid_text(n.iccid)}});
  }
  o["notifications"] = std::move(notes);
  json::array results;
  for (const auto& r : e.results_) {
    results.push_back(json::object{{"seq_number", r.seq_number}, {"der", to_hex(r.der)}, {"delivered", r.delivered}});
  }
  o["package_results"] = std::move(results);
  o["immediate_enable"] =
      json::object{{"flag", e.immediate_enable_.immediate_enable_flag},
                   {"default_smdp_oid", state_json::opt(e.immediate_enable_.default_smdp_oid)},
                   {"default_smdp_address", state_json::opt(e.immediate_enable_.default_smdp_address)}};
  o["default_dp_address"] = state_json::opt(e.default_dp_address_);
  if (e.rollback_) {
    o["rollback"] = json::object{{"previous", state_json::opt_iccid(e.rollback_->previous)},
                                 {"enabled", iccid_text(e.rollback_->enabled)},
                                 {"result_seq_number", e.rollback_->result_seq_number},
                                 {"eim_signature", to_hex(e.rollback_->eim_signature)}};
  } else {
    o["rollback"] = nullptr;
  }
  o["fallback_return"] = state_json::opt_iccid(e.fallback_return_);
  o["state_change"] =
      json::object{{"notify", e.state_change_.notify},
                   {"cause", e.state_change_.cause ? json::value(*e.state_change_.cause) : json::value(nullptr)}};
  o["next_seq_number"] = e.next_seq_number_;
  o["next_association_token"] = e.next_association_token_;
  o["next_isdp_index"] = e.next_isdp_index_;
  o["download"] = json::parse(e.download_state_to_json());  // trusted CI, undelivered installation results
  return json::serialize(o);
}

Result<SoftwareEuicc> SoftwareEuiccState::from_json(std::string_view text) {
  namespace json = boost::json;
  using state_json::bad;
  using state_json::Obj;
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return Error(Errc::parse_error, "state: not JSON: " + ec.message());
  if (!root.is_object()) return bad("(root)", "must be an object");
  const Obj o{root.as_object(), ""};
  ESIMO_TRY(auto format, o.str("format"));
  if (format != state_json::kFormat) return bad("format", "expected " + std::string(state_json::kFormat));

  ESIMO_TRY(auto eid_text, o.str("eid"));
  auto eid = domain::Eid::parse(eid_text);
  if (!eid.ok()) return bad("eid", eid.error().message);
  ESIMO_TRY(auto version_text, o.str("sgp32_version"));
  auto version = sgp::parse_version(version_text);
  if (!version.ok()) return bad("sgp32_version", version.error().message);
  ESIMO_TRY(auto key_pem, o.str("private_key_pem"));
  auto key = crypto::PrivateKey::from_pem(key_pem);
  if (!key.ok()) return bad("private_key_pem", key.error().message);
  ESIMO_TRY(auto euicc_pem, o.str("euicc_certificate_pem"));
  auto euicc_cert = crypto::Certificate::from_pem(euicc_pem);
  if (!euicc_cert.ok()) return bad("euicc_certificate_pem", euicc_cert.error().message);
  ESIMO_TRY(auto eum_pem, o.str("eum_certificate_pem"));
  auto eum_cert = crypto::Certificate::from_pem(eum_pem);
  if (!eum_cert.ok()) return bad("eum_certificate_pem", eum_cert.error().message);

  auto created = SoftwareEuicc::create(SoftwareEuiccConfig{*eid, *version, *key, *euicc_cert, *eum_cert});
  if (!created.ok()) {
    const std::string f = created.error().field;
    return bad(f == "euicc_key"         ? "private_key_pem"
               : f == "eum_certificate" ? "eum_certificate_pem"
                                        : "euicc_certificate_pem",
               created.error().message);
  }
  SoftwareEuicc e = std::move(created).value();

  ESIMO_TRY(const json::array* eims, o.array("eim_configurations"));
  for (std::size_t i = 0; i < eims->size(); ++i) {
    ESIMO_TRY(Obj j, state_json::element(*eims, i, "eim_configurations"));
    ESIMO_TRY(Bytes der_bytes, j.hex("eim_configuration_data"));
    auto req = sgp::decode_add_initial_eim_request(der_bytes, *version);
    if (!req.ok()) return bad(j.at("eim_configuration_data"), req.error().message);
    if (req->eim_configuration_data_list.size() != 1) return bad(j.at("eim_configuration_data"), "must hold one eIM");
    const auto& d = req->eim_configuration_data_list.front();
    if (!d.association_token) return bad(j.at("eim_configuration_data"), "associationToken missing");
    if (e.find_eim(d.eim_id)) return bad(j.at("eim_configuration_data"), "eIM " + d.eim_id + " appears twice");
    auto cfg = e.make_eim_config(d);
    if (!cfg.ok()) return bad(j.at("eim_configuration_data"), cfg.error().message);
    cfg->association_token = *d.association_token;
    e.eims_.push_back(std::move(cfg).value());
  }
  if (e.eims_.size() > SoftwareEuicc::kMaxEimConfigs) return bad("eim_configurations", "too many");

  ESIMO_TRY(const json::array* profiles, o.array("profiles"));
  if (profiles->size() > SoftwareEuicc::kMaxProfiles) return bad("profiles", "too many");
  for (std::size_t i = 0; i < profiles->size(); ++i) {
    ESIMO_TRY(Obj j, state_json::element(*profiles, i, "profiles"));
    Profile p;
    ESIMO_TRY(p.iccid, state_json::iccid_field(j, "iccid"));
    if (e.find_profile(p.iccid)) return bad(j.at("iccid"), "profile appears twice");
    ESIMO_TRY(Bytes aid, j.hex("isdp_aid"));
    if (aid.size() != p.isdp_aid.size()) return bad(j.at("isdp_aid"), "must be 16 octets");
    std::copy(aid.begin(), aid.end(), p.isdp_aid.begin());
    ESIMO_TRY(auto state, j.str("state"));
    if (state != "enabled" && state != "disabled") return bad(j.at("state"), "must be enabled or disabled");
    p.enabled = state == "enabled";
    if (p.enabled && e.enabled_profile()) return bad(j.at("state"), "a second enabled profile");
    ESIMO_TRY(auto cls, j.str("class"));
    if (cls == "test") {
      p.profile_class = ProfileClass::test;
    } else if (cls == "provisioning") {
      p.profile_class = ProfileClass::provisioning;
    } else if (cls == "operational") {
      p.profile_class = ProfileClass::operational;
    } else {
      return bad(j.at("class"), "must be test, provisioning or operational");
    }
    ESIMO_TRY(p.nickname, j.str("nickname"));
    ESIMO_TRY(p.service_provider_name, j.str("service_provider_name"));
    ESIMO_TRY(p.profile_name, j.str("profile_name"));
    ESIMO_TRY(p.fallback_attribute, j.boolean("fallback_attribute"));
    ESIMO_TRY(p.fallback_allowed, j.boolean("fallback_allowed"));
    ESIMO_TRY(auto plmn_text, j.opt_str("home_plmn"));
    if (plmn_text) {
      auto plmn = domain::Plmn::parse(*plmn_text);
      if (!plmn.ok()) return bad(j.at("home_plmn"), plmn.error().message);
      p.home_plmn = plmn->to_wire();
    }
    e.profiles_.push_back(std::move(p));
  }

  ESIMO_TRY(const json::array* notes, o.array("notifications"));
  for (std::size_t i = 0; i < notes->size(); ++i) {
    ESIMO_TRY(Obj j, state_json::element(*notes, i, "notifications"));
    PendingEvent ev;
    ESIMO_TRY(ev.seq_number, j.integer("seq_number", 1));
    ESIMO_TRY(auto name, j.str("event"));
    bool found = false;
    for (auto k :
         {NotificationEvent::install, NotificationEvent::enable, NotificationEvent::disable, NotificationEvent::del}) {
      if (name == notification_event_name(k)) {
        ev.event = k;
        found = true;
      }
    }
    if (!found) return bad(j.at("event"), "must be install, enable, disable or delete");
    ESIMO_TRY(ev.iccid, state_json::iccid_field(j, "iccid"));
    e.notifications_.push_back(ev);
  }

  ESIMO_TRY(const json::array* results, o.array("package_results"));
  if (results->size() > SoftwareEuicc::kMaxStoredResults) return bad("package_results", "too many");
  for (std::size_t i = 0; i < results->size(); ++i) {
    ESIMO_TRY(Obj j, state_json::element(*results, i, "package_results"));
    StoredResult r;
    ESIMO_TRY(r.seq_number, j.integer("seq_number", 1));
    ESIMO_TRY(r.der, j.hex("der"));
    auto decoded = sgp::decode_euicc_package_result(r.der, *version);
    if (!decoded.ok()) return bad(j.at("der"), decoded.error().message);
    ESIMO_TRY(r.delivered, j.boolean("delivered"));
    e.results_.push_back(std::move(r));
  }

  ESIMO_TRY(auto ie, o.opt_object("immediate_enable"));
  if (!ie) return bad("immediate_enable", "missing");
  ESIMO_TRY(e.immediate_enable_.immediate_enable_flag, ie->boolean("flag"));
  ESIMO_TRY(e.immediate_enable_.default_smdp_oid, ie->opt_str("default_smdp_oid"));
  ESIMO_TRY(e.immediate_enable_.default_smdp_address, ie->opt_str("default_smdp_address"));
  ESIMO_TRY(e.default_dp_address_, o.opt_str("default_dp_address"));

  ESIMO_TRY(auto rb, o.opt_object("rollback"));
  if (rb) {
    RollbackPoint rp;
    ESIMO_TRY(rp.previous, state_json::opt_iccid_field(*rb, "previous"));
    ESIMO_TRY(rp.enabled, state_json::iccid_field(*rb, "enabled"));
    ESIMO_TRY(rp.result_seq_number, rb->integer("result_seq_number", 1));
    ESIMO_TRY(rp.eim_signature, rb->hex("eim_signature"));
    e.rollback_ = rp;
  }
  ESIMO_TRY(e.fallback_return_, state_json::opt_iccid_field(o, "fallback_return"));
  ESIMO_TRY(auto sc, o.opt_object("state_change"));
  if (!sc) return bad("state_change", "missing");
  ESIMO_TRY(e.state_change_.notify, sc->boolean("notify"));
  ESIMO_TRY(e.state_change_.cause, sc->opt_integer("cause"));

  ESIMO_TRY(e.next_seq_number_, o.integer("next_seq_number", 1));
  for (const auto& n : e.notifications_) {
    if (n.seq_number >= e.next_seq_number_) return bad("next_seq_number", "not above every stored sequence number");
  }
  for (const auto& r : e.results_) {
    if (r.seq_number >= e.next_seq_number_) return bad("next_seq_number", "not above every stored sequence number");
  }
  ESIMO_TRY(e.next_association_token_, o.integer("next_association_token", 1));
  ESIMO_TRY(auto isdp, o.integer("next_isdp_index", 1));
  if (isdp > 0xEFFF) return bad("next_isdp_index", "out of range");
  e.next_isdp_index_ = static_cast<std::uint32_t>(isdp);
  if (const auto* d = o.find("download"); d && !d->is_null()) {
    ESIMO_CHECK(e.download_state_from_json(json::serialize(*d)));
  }
  return e;
}

std::string SoftwareEuicc::to_json() const { return SoftwareEuiccState::to_json(*this); }
Result<SoftwareEuicc> SoftwareEuicc::from_json(std::string_view text) { return SoftwareEuiccState::from_json(text); }

Status SoftwareEuicc::save(const std::filesystem::path& file) const {
  const std::string text = to_json();
  // Write-then-rename so a crash never leaves half a state file; mode 0600 (the file holds the eUICC key).
  const std::filesystem::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error(Errc::io_error, "cannot write " + tmp.string(), tmp.string());
    out << text << '\n';
    out.close();
    if (!out) return Error(Errc::io_error, "cannot write " + tmp.string(), tmp.string());
  }
  std::error_code ec;
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ec);
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Error(Errc::io_error, "cannot rename " + tmp.string() + ": " + ec.message(), file.string());
  return ok_status();
}

Result<SoftwareEuicc> SoftwareEuicc::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Errc::io_error, "cannot read state file " + file.string(), file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  auto e = from_json(ss.str());
  if (!e.ok()) {
    Error err = std::move(e).error();
    err.message = file.string() + ": " + err.message;
    return err;
  }
  return e;
}

}  // namespace esimo::twin
