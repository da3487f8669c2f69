// Software eUICC: package verification and execution (SGP.32 v1.2 §2.11, §3), IpaEuiccData (§2.11.2.2), notifications.
#include "twin/software_euicc.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "crypto/ecdsa.hpp"
#include "der/der.hpp"
#include "sgp/codec.hpp"
#include "twin/euicc_certificate_template.hpp"

namespace esimo::twin {
namespace euicc_impl {

constexpr der::Tag kSig = der::tag(0x5F37);
constexpr der::Tag kIccidTag = der::tag(0x5A);

// eimSignature covers DER(euiccPackageSigned) || associationToken data object (84 len INTEGER) — SGP.32 §2.11.1.1.
Bytes token_object(std::int64_t token) {
  der::Writer w;
  w.integer(der::context(4), token);
  return w.take();
}

// euiccSignEPR/EPE cover DER(data signed) || the eimSignature data object of the package answered — §2.11.2.1.
Bytes signature_object(ByteView sig) {
  der::Writer w;
  w.octets(kSig, sig);
  return w.take();
}

bool same(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

sgp::EuiccResultData result(sgp::EuiccResultKind kind, std::int64_t code) {
  sgp::EuiccResultData r;
  r.kind = kind;
  r.code = code;
  return r;
}

// A PSMO/eCO that does not succeed: its result closes the package (returns false: stop).
bool stop(sgp::EuiccResultData& out, sgp::EuiccResultKind kind, std::int64_t code) {
  out = result(kind, code);
  return false;
}

// SGP.22 ISD-P AID 'A0000005591010FFFFFFFF89 0000 NNNN 00' with a per-eUICC index.
std::array<std::uint8_t, 16> isdp_aid(std::uint32_t index) {
  std::array<std::uint8_t, 16> a = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                    0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x00, 0x00};
  const std::uint32_t v = 0x1000 + index;
  a[13] = static_cast<std::uint8_t>(v >> 8);
  a[14] = static_cast<std::uint8_t>(v);
  return a;
}

// Tags of a tagList (SGP.32 §2.11.1.2): identifier octets one after another, as numbers (0x84, 0xBF20, ...).
Result<std::vector<std::uint32_t>> parse_tag_list(ByteView list) {
  std::vector<std::uint32_t> tags;
  std::size_t i = 0;
  while (i < list.size()) {
    std::uint32_t t = list[i];
    const bool multi = (list[i] & 0x1F) == 0x1F;
    ++i;
    if (multi) {
      int n = 0;
      for (;;) {
        if (i >= list.size() || ++n > 3) return Error(Errc::parse_error, "tagList: truncated tag", "tagList");
        const std::uint8_t b = list[i++];
        t = (t << 8) | b;
        if ((b & 0x80) == 0) break;
      }
    }
    tags.push_back(t);
  }
  if (tags.empty()) return Error(Errc::parse_error, "tagList: empty", "tagList");
  return tags;
}

// Process-wide interning of what many eUICCs share (the twin runs up to 1,000,000 of them): the eIM public keys of
// their configurations and the EUM certificate. Bounded; guarded by a mutex (eUICCs may live on different threads).
class SharedObjects {
 public:
  static SharedObjects& instance() {
    static SharedObjects s;
    return s;
  }
  Result<crypto::PublicKey> eim_key(const Bytes& der, bool is_certificate) {
    std::lock_guard lock(mu_);
    for (const auto& k : keys_) {
      if (k.is_certificate == is_certificate && k.der == der) return k.key;
    }
    std::optional<crypto::PublicKey> key;
    if (is_certificate) {
      ESIMO_TRY(auto cert, crypto::Certificate::from_der(der));
      key = cert.public_key();
    } else {
      ESIMO_TRY(key, crypto::PublicKey::from_spki_der(der));
    }
    if (keys_.size() >= kMaxEntries) keys_.erase(keys_.begin());
    keys_.push_back(Key{der, is_certificate, *key});
    return *key;
  }
  std::shared_ptr<const Bytes> certificate(const Bytes& der) {
    std::lock_guard lock(mu_);
    for (const auto& c : certs_) {
      if (*c == der) return c;
    }
    auto c = std::make_shared<const Bytes>(der);
    if (certs_.size() >= kMaxEntries) certs_.erase(certs_.begin());
    certs_.push_back(c);
    return c;
  }

 private:
  static constexpr std::size_t kMaxEntries = 32;
  struct Key {
    Bytes der;
    bool is_certificate = false;
    crypto::PublicKey key;
  };
  std::mutex mu_;
  std::vector<Key> keys_;
  std::vector<std::shared_ptr<const Bytes>> certs_;
};

}  // namespace euicc_impl

const char* notification_event_name(NotificationEvent e) {
  switch (e) {
    case NotificationEvent::install:
      return "install";
    case NotificationEvent::enable:
      return "enable";
    case NotificationEvent::disable:
      return "disable";
    case NotificationEvent::del:
      return "delete";
  }
  return "?";
}

IccidWire iccid_wire(const domain::Iccid& iccid) { return iccid.to_wire(); }

std::string iccid_text(ByteView wire) {
  auto i = domain::Iccid::from_wire(wire);
  return i.ok() ? i->str() : to_hex(wire);
}

SoftwareEuicc::SoftwareEuicc(domain::Eid eid, sgp::Version v, crypto::PrivateKey key, Bytes euicc_cert,
                             std::shared_ptr<const Bytes> eum_cert, Bytes ci_pkid)
    : eid_(std::move(eid)),
      version_(v),
      key_(std::move(key)),
      euicc_cert_der_(std::move(euicc_cert)),
      eum_cert_der_(std::move(eum_cert)),
      ci_pkid_(std::move(ci_pkid)) {}

Result<SoftwareEuicc> SoftwareEuicc::create(SoftwareEuiccConfig c) {
  if (!(c.euicc_certificate.public_key() == c.key.public_key())) {
    return Error(Errc::invalid_argument, "the eUICC key does not match the eUICC certificate", "euicc_key");
  }
  const auto serial = c.euicc_certificate.subject_serial_number();
  if (!serial || *serial != c.eid.str()) {
    return Error(
        Errc::invalid_argument,
        "the eUICC certificate's serialNumber is " + serial.value_or("absent") + ", not the EID " + c.eid.str(),
        "euicc_certificate");
  }
  if (c.euicc_certificate.issuer() != c.eum_certificate.subject()) {
    return Error(Errc::invalid_argument, "the eUICC certificate was not issued by the EUM certificate",
                 "eum_certificate");
  }
  auto ski = c.eum_certificate.authority_key_identifier();
  return SoftwareEuicc(std::move(c.eid), c.version, std::move(c.key), c.euicc_certificate.der(),
                       euicc_impl::SharedObjects::instance().certificate(c.eum_certificate.der()),
                       ski.value_or(Bytes{}));
}

Result<SoftwareEuicc> SoftwareEuicc::create_from_template(const EuiccCertificateTemplate& tmpl, const domain::Eid& eid,
                                                          sgp::Version version, crypto::PrivateKey key,
                                                          const crypto::Certificate& eum_certificate) {
  if (!(tmpl.subject_public_key() == key.public_key())) {
    return Error(Errc::invalid_argument, "the eUICC key is not the certificate template's subject key", "euicc_key");
  }
  ESIMO_TRY(Bytes cert, tmpl.issue(eid));
  auto ski = eum_certificate.authority_key_identifier();
  return SoftwareEuicc(eid, version, std::move(key), std::move(cert),
                       euicc_impl::SharedObjects::instance().certificate(eum_certificate.der()), ski.value_or(Bytes{}));
}

Result<SoftwareEuicc> SoftwareEuicc::create_with_test_pki(const crypto::TestPki& pki, const domain::Eid& eid,
                                                          sgp::Version version, TimePoint now) {
  ESIMO_TRY(auto kc, crypto::make_test_euicc(pki, eid.str(), now));
  ESIMO_TRY(SoftwareEuicc e,
            create(SoftwareEuiccConfig{eid, version, std::move(kc.key), std::move(kc.certificate), pki.eum.certificate}));
  e.set_trusted_ci(pki.ci.certificate);  // verifies SM-DP+ certificates in a profile download
  return e;
}

Result<ProfileSpec> parse_profile_spec(std::string_view text) {
  std::string_view rest = text;
  bool enabled = false;
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (rest.substr(colon + 1) != "enabled") {
      return Error(Errc::invalid_argument,
                   "profile \"" + std::string(text) + "\": only \":enabled\" may follow the ICCID/PLMN", "profile");
    }
    enabled = true;
    rest = rest.substr(0, colon);
  }
  std::optional<domain::Plmn> plmn;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    auto p = domain::Plmn::parse(rest.substr(at + 1));
    if (!p.ok())
      return Error(Errc::invalid_argument, "profile \"" + std::string(text) + "\": " + p.error().message, "profile");
    plmn = *p;
    rest = rest.substr(0, at);
  }
  auto iccid = domain::Iccid::parse(rest);
  if (!iccid.ok()) {
    return Error(Errc::invalid_argument, "profile \"" + std::string(text) + "\": " + iccid.error().message, "profile");
  }
  ProfileSpec spec{*iccid, enabled};
  spec.home_plmn = plmn;
  return spec;
}

// ---------------------------------------------------------------------------------------------------------------
// Personalisation

Result<EimConfig> SoftwareEuicc::make_eim_config(const sgp::EimConfigurationData& data) const {
  if (!data.eim_public_key && !data.eim_certificate) {
    return Error(Errc::invalid_argument, "eIM configuration " + data.eim_id + " has no eimPublicKeyData",
                 "eimPublicKeyData");
  }
  if (data.euicc_ci_pkid && !euicc_impl::same(*data.euicc_ci_pkid, ci_pkid_)) {
    return Error(Errc::failed_precondition, "euiccCiPKId " + to_hex(*data.euicc_ci_pkid) + " is not this eUICC's CI",
                 "euiccCiPKId");
  }
  const bool is_cert = !data.eim_public_key;
  auto key =
      euicc_impl::SharedObjects::instance().eim_key(is_cert ? *data.eim_certificate : *data.eim_public_key, is_cert);
  if (!key.ok()) {
    return Error(Errc::invalid_argument, "eimPublicKeyData: " + key.error().message, "eimPublicKeyData");
  }
  return EimConfig{data, data.counter_value.value_or(0), 0, std::move(key).value()};
}

Result<std::vector<std::int64_t>> SoftwareEuicc::add_initial_eim(const sgp::AddInitialEimRequest& request) {
  std::vector<EimConfig> added;
  std::vector<std::int64_t> tokens;
  std::int64_t next_token = next_association_token_;
  for (const auto& d : request.eim_configuration_data_list) {
    const bool dup = find_eim(d.eim_id) != nullptr || std::any_of(added.begin(), added.end(), [&](const EimConfig& e) {
                       return e.data.eim_id == d.eim_id;
                     });
    if (dup) return Error(Errc::already_exists, "eIM " + d.eim_id + " is already configured", "eimId");
    auto cfg = make_eim_config(d);
    if (!cfg.ok()) {
      Error e = std::move(cfg).error();
      e.message = "eIM " + d.eim_id + ": " + e.message;
      return e;
    }
    cfg->association_token = d.association_token ? *d.association_token : next_token++;
    cfg->data.association_token = cfg->association_token;
    cfg->data.counter_value = cfg->counter_value;
    tokens.push_back(cfg->association_token);
    added.push_back(std::move(cfg).value());
  }
  if (eims_.size() + added.size() > kMaxEimConfigs) {
    return Error(Errc::resource_exhausted, "more than " + std::to_string(kMaxEimConfigs) + " eIM configurations",
                 "eimConfigurationDataList");
  }
  next_association_token_ = next_token;
  for (auto& a : added) eims_.push_back(std::move(a));
  return tokens;
}

Result<std::vector<std::int64_t>> SoftwareEuicc::add_initial_eim_der(ByteView bf57_der) {
  ESIMO_TRY(auto req, sgp::decode_add_initial_eim_request(bf57_der, version_));
  return add_initial_eim(req);
}

Status SoftwareEuicc::add_profile(const ProfileSpec& spec) {
  const IccidWire w = spec.iccid.to_wire();
  if (find_profile(w))
    return Error(Errc::already_exists, "profile " + spec.iccid.str() + " is already installed", "iccid");
  if (profiles_.size() >= kMaxProfiles) return Error(Errc::resource_exhausted, "too many profiles", "profiles");
  if (spec.enabled && enabled_profile()) {
    return Error(Errc::conflict, "profile " + iccid_text(enabled_profile()->iccid) + " is already enabled", "enabled");
  }
  if (spec.fallback_attribute) {
    if (version_ != sgp::Version::v1_2) {
      return Error(Errc::unsupported, "the Fallback Attribute needs SGP.32 v1.2", "fallback_attribute");
    }
    for (const auto& p : profiles_) {
      if (p.fallback_attribute)
        return Error(Errc::conflict, "another profile has the Fallback Attribute", "fallback_attribute");
    }
  }
  Profile p;
  p.iccid = w;
  p.isdp_aid = euicc_impl::isdp_aid(next_isdp_index_++);
  p.enabled = spec.enabled;
  p.profile_class = spec.profile_class;
  p.fallback_attribute = spec.fallback_attribute;
  p.fallback_allowed = spec.fallback_allowed;
  if (spec.home_plmn) p.home_plmn = spec.home_plmn->to_wire();
  p.nickname = spec.nickname;
  p.service_provider_name = spec.service_provider_name;
  p.profile_name = spec.profile_name;
  profiles_.push_back(std::move(p));
  return ok_status();
}

// ---------------------------------------------------------------------------------------------------------------
// Lookups

const Profile* SoftwareEuicc::find_profile(ByteView iccid) const {
  for (const auto& p : profiles_) {
    if (euicc_impl::same(p.iccid, iccid)) return &p;
  }
  return nullptr;
}
Profile* SoftwareEuicc::profile_by_iccid(ByteView iccid) { return const_cast<Profile*>(find_profile(iccid)); }
const Profile* SoftwareEuicc::enabled_profile() const {
  for (const auto& p : profiles_) {
    if (p.enabled) return &p;
  }
  return nullptr;
}
Profile* SoftwareEuicc::enabled() { return const_cast<Profile*>(enabled_profile()); }
const EimConfig* SoftwareEuicc::find_eim(std::string_view eim_id) const {
  for (const auto& e : eims_) {
    if (e.data.eim_id == eim_id) return &e;
  }
  return nullptr;
}

std::string SoftwareEuicc::notification_address() const {
  if (default_dp_address_) return *default_dp_address_;
  if (!eims_.empty() && eims_.front().data.eim_fqdn) return *eims_.front().data.eim_fqdn;
  return {};
}

void SoftwareEuicc::queue_event(NotificationEvent e, const IccidWire& iccid) {
  notifications_.push_back(PendingEvent{next_seq(), e, iccid});
}

void SoftwareEuicc::store_result(std::int64_t seq, Bytes der) {
  if (results_.size() >= kMaxStoredResults) results_.erase(results_.begin());
  results_.push_back(StoredResult{seq, std::move(der), false});
}

// ---------------------------------------------------------------------------------------------------------------
// Signing

Result<Bytes> SoftwareEuicc::sign(ByteView message) const { return crypto::sign_raw(key_, message); }

// euiccSignEPR / euiccSignEPE: over DER(data signed) || the eimSignature data object (SGP.32 §2.11.2.1).
Result<Bytes> SoftwareEuicc::sign_over(ByteView data_der, ByteView eim_signature) const {
  Bytes message(data_der.begin(), data_der.end());
  const Bytes sig_obj = euicc_impl::signature_object(eim_signature);
  message.insert(message.end(), sig_obj.begin(), sig_obj.end());
  return sign(message);
}

Result<Bytes> SoftwareEuicc::sign_result(const sgp::EuiccPackageResultDataSigned& data, ByteView eim_signature) const {
  sgp::EuiccPackageResultSigned s;
  ESIMO_TRY(const Bytes data_der, sgp::encode_result_data_signed(data, version_));
  ESIMO_TRY(s.euicc_sign_epr, sign_over(data_der, eim_signature));
  s.data = data;
  return sgp::encode(sgp::EuiccPackageResult(std::move(s)), version_);
}

Result<Bytes> SoftwareEuicc::sign_error(const sgp::EuiccPackageErrorDataSigned& data, ByteView eim_signature) const {
  sgp::EuiccPackageErrorSigned s;
  ESIMO_TRY(const Bytes data_der, sgp::encode_error_data_signed(data, version_));
  ESIMO_TRY(s.euicc_sign_epe, sign_over(data_der, eim_signature));
  s.data = data;
  return sgp::encode(sgp::EuiccPackageResult(std::move(s)), version_);
}

// ---------------------------------------------------------------------------------------------------------------
// Package execution (SGP.32 §2.11.1.1, §5.9.x)

Result<Bytes> SoftwareEuicc::execute_package(ByteView der_bytes) {
  ESIMO_TRY(sgp::EuiccPackageRequest req, sgp::decode_euicc_package_request(der_bytes, version_));
  const sgp::EuiccPackageSigned& s = req.euicc_package_signed;
  const bool v12 = version_ == sgp::Version::v1_2;

  EimConfig* cfg = const_cast<EimConfig*>(find_eim(s.eim_id));
  auto unsigned_error = [&](std::optional<std::int64_t> token) {
    sgp::EuiccPackageErrorUnsigned u;
    u.eim_id = s.eim_id;
    if (v12) u.eim_transaction_id = s.eim_transaction_id;
    u.association_token = token;
    return sgp::encode(sgp::EuiccPackageResult(std::move(u)), version_);
  };
  // The eUICC cannot authenticate the eIM: unknown eimId or a signature that does not verify.
  if (!cfg) return unsigned_error(std::nullopt);
  Bytes signed_data = req.euicc_package_signed_der;
  const Bytes tok = euicc_impl::token_object(cfg->association_token);
  signed_data.insert(signed_data.end(), tok.begin(), tok.end());
  if (!crypto::verify_raw(cfg->public_key, signed_data, req.eim_signature).ok()) {
    return unsigned_error(cfg->association_token);
  }

  sgp::EuiccPackageErrorDataSigned err;
  err.eim_id = s.eim_id;
  err.counter_value = s.counter_value;
  err.eim_transaction_id = s.eim_transaction_id;
  const auto eid_bytes = eid_.to_bytes();
  if (!euicc_impl::same(s.eid, eid_bytes)) {
    err.euicc_package_error_code = 3;  // invalidEid
    return sign_error(err, req.eim_signature);
  }
  if (s.counter_value <= cfg->counter_value) {
    err.euicc_package_error_code = 4;  // replayError
    return sign_error(err, req.eim_signature);
  }
  cfg->counter_value = s.counter_value;
  cfg->data.counter_value = s.counter_value;
  // The package reached the eUICC through the currently enabled profile: a pending rollback is no longer needed.
  rollback_.reset();

  sgp::EuiccPackageResultDataSigned data;
  data.eim_id = s.eim_id;
  data.counter_value = s.counter_value;
  data.eim_transaction_id = s.eim_transaction_id;
  std::optional<RollbackPoint> rollback_candidate;
  if (const auto* psmos = std::get_if<sgp::PsmoList>(&s.euicc_package)) {
    for (const auto& p : *psmos) {
      sgp::EuiccResultData out;
      const bool go_on = run_psmo(p, out, rollback_candidate);
      data.euicc_result.push_back(std::move(out));
      if (!go_on) break;
    }
  } else {
    for (const auto& e : std::get<sgp::EcoList>(s.euicc_package)) {
      sgp::EuiccResultData out;
      const bool go_on = run_eco(e, out);
      data.euicc_result.push_back(std::move(out));
      if (!go_on) break;
    }
  }
  data.seq_number = next_seq();
  ESIMO_TRY(Bytes der_result, sign_result(data, req.eim_signature));
  store_result(data.seq_number, der_result);
  if (rollback_candidate) {
    rollback_candidate->result_seq_number = data.seq_number;
    rollback_candidate->eim_signature = req.eim_signature;
    rollback_ = rollback_candidate;
  }
  return der_result;
}

bool SoftwareEuicc::run_psmo(const sgp::Psmo& psmo, sgp::EuiccResultData& out,
                             std::optional<RollbackPoint>& rollback_candidate) {
  using K = sgp::EuiccResultKind;
  const bool v12 = version_ == sgp::Version::v1_2;
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, sgp::PsmoEnable>) {
          Profile* p = profile_by_iccid(x.iccid);
          if (!p) return euicc_impl::stop(out, K::enable, 1);          // iccidOrAidNotFound
          if (p->enabled) return euicc_impl::stop(out, K::enable, 2);  // profileNotInDisabledState
          if (x.rollback_flag && rollback_candidate) {
            return euicc_impl::stop(out, K::enable, 20);  // rollbackNotAvailable
          }
          Profile* cur = enabled();
          if (x.rollback_flag) {
            RollbackPoint rp;
            if (cur) rp.previous = cur->iccid;
            rp.enabled = p->iccid;
            rollback_candidate = rp;
          }
          if (cur) {
            cur->enabled = false;
            queue_event(NotificationEvent::disable, cur->iccid);
          }
          p->enabled = true;
          queue_event(NotificationEvent::enable, p->iccid);
          fallback_return_.reset();
          out = euicc_impl::result(K::enable, 0);
          return true;
        } else if constexpr (std::is_same_v<T, sgp::PsmoDisable>) {
          Profile* p = profile_by_iccid(x.iccid);
          if (!p) return euicc_impl::stop(out, K::disable, 1);
          if (!p->enabled) return euicc_impl::stop(out, K::disable, 2);  // profileNotInEnabledState
          p->enabled = false;
          queue_event(NotificationEvent::disable, p->iccid);
          fallback_return_.reset();
          out = euicc_impl::result(K::disable, 0);
          return true;
        } else if constexpr (std::is_same_v<T, sgp::PsmoDelete>) {
          Profile* p = profile_by_iccid(x.iccid);
          if (!p) return euicc_impl::stop(out, K::delete_profile, 1);
          if (p->enabled) return euicc_impl::stop(out, K::delete_profile, 2);  // profileNotInDisabledState
          if (rollback_candidate && rollback_candidate->previous &&
              euicc_impl::same(*rollback_candidate->previous, p->iccid)) {
            return euicc_impl::stop(out, K::delete_profile, 20);  // rollbackNotAvailable
          }
          if (fallback_return_ && euicc_impl::same(*fallback_return_, p->iccid)) {
            return euicc_impl::stop(out, K::delete_profile, 21);  // returnFallbackProfile
          }
          const IccidWire iccid = p->iccid;
          profiles_.erase(profiles_.begin() + (p - profiles_.data()));
          queue_event(NotificationEvent::del, iccid);
          out = euicc_impl::result(K::delete_profile, 0);
          return true;
        } else if constexpr (std::is_same_v<T, sgp::PsmoListProfileInfo>) {
          out = euicc_impl::result(K::list_profile_info, 0);
          const int criteria = int(x.search_isdp_aid.has_value()) + int(x.search_iccid.has_value()) +
                               int(x.search_profile_class.has_value());
          if (criteria > 1) {
            out.list_error = 1;  // incorrectInputValues
            return false;
          }
          for (const auto& p : profiles_) {
            if (x.search_iccid && !euicc_impl::same(*x.search_iccid, p.iccid)) continue;
            if (x.search_isdp_aid && !euicc_impl::same(*x.search_isdp_aid, p.isdp_aid)) continue;
            if (x.search_profile_class && *x.search_profile_class != static_cast<std::int64_t>(p.profile_class))
              continue;
            sgp::ProfileInfo info;
            info.iccid = Bytes(p.iccid.begin(), p.iccid.end());
            info.isdp_aid = Bytes(p.isdp_aid.begin(), p.isdp_aid.end());
            info.profile_state = p.enabled ? 1 : 0;
            if (!p.nickname.empty()) info.profile_nickname = p.nickname;
            if (!p.service_provider_name.empty()) info.service_provider_name = p.service_provider_name;
            if (!p.profile_name.empty()) info.profile_name = p.profile_name;
            info.profile_class = static_cast<std::int64_t>(p.profile_class);
            if (v12 && p.fallback_attribute) info.fallback_attribute = true;
            out.profiles.push_back(std::move(info));
          }
          return true;
        } else if constexpr (std::is_same_v<T, sgp::PsmoGetRat>) {
          out = euicc_impl::result(K::get_rat, 0);  // an empty RulesAuthorisationTable: no PPR is authorised
          return true;
        } else if constexpr (std::is_same_v<T, sgp::PsmoConfigureImmediateEnable>) {
          immediate_enable_ =
              ImmediateEnableConfig{x.immediate_enable_flag, x.default_smdp_oid, x.default_smdp_address};
          out = euicc_impl::result(K::configure_immediate_enable, 0);
          return true;
        } else if constexpr (std::is_same_v<T, sgp::PsmoSetFallbackAttribute>) {
          if (!v12) return euicc_impl::stop(out, K::processing_terminated, 2);
          Profile* p = profile_by_iccid(x.iccid);
          if (!p) return euicc_impl::stop(out, K::set_fallback_attribute, 1);  // iccidOrAidNotFound
          if (!p->fallback_allowed) return euicc_impl::stop(out, K::set_fallback_attribute, 2);
          // fallbackProfileEnabled: the Fallback Attribute cannot move while the profile holding it is enabled, nor
          // be given to the enabled profile.
          for (const auto& q : profiles_) {
            if (q.fallback_attribute && q.enabled && &q != p) {
              return euicc_impl::stop(out, K::set_fallback_attribute, 3);
            }
          }
          if (p->enabled && !p->fallback_attribute) return euicc_impl::stop(out, K::set_fallback_attribute, 3);
          for (auto& q : profiles_) q.fallback_attribute = false;
          p->fallback_attribute = true;
          out = euicc_impl::result(K::set_fallback_attribute, 0);
          return true;
        } else if constexpr (std::is_same_v<T, sgp::PsmoUnsetFallbackAttribute>) {
          if (!v12) return euicc_impl::stop(out, K::processing_terminated, 2);
          auto it =
              std::find_if(profiles_.begin(), profiles_.end(), [](const Profile& q) { return q.fallback_attribute; });
          if (it == profiles_.end()) return euicc_impl::stop(out, K::unset_fallback_attribute, 2);
          if (it->enabled) return euicc_impl::stop(out, K::unset_fallback_attribute, 3);
          it->fallback_attribute = false;
          out = euicc_impl::result(K::unset_fallback_attribute, 0);
          return true;
        } else {
          static_assert(std::is_same_v<T, sgp::PsmoSetDefaultDpAddress>);
          if (!v12) return euicc_impl::stop(out, K::processing_terminated, 2);
          default_dp_address_ = x.default_dp_address;
          out = euicc_impl::result(K::set_default_dp_address, 0);
          return true;
        }
      },
      psmo);
}

bool SoftwareEuicc::run_eco(const sgp::Eco& eco, sgp::EuiccResultData& out) {
  using K = sgp::EuiccResultKind;
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, sgp::EcoAddEim>) {
          if (find_eim(x.config.eim_id)) return euicc_impl::stop(out, K::add_eim, 2);  // alreadyExists
          if (eims_.size() >= kMaxEimConfigs) return euicc_impl::stop(out, K::add_eim, 1);
          auto cfg = make_eim_config(x.config);
          if (!cfg.ok()) {
            const bool ci = cfg.error().field == "euiccCiPKId";
            return euicc_impl::stop(out, K::add_eim, ci ? 3 : 7);  // ciPKUnknown / commandError
          }
          out = euicc_impl::result(K::add_eim, 0);
          if (x.config.association_token) {
            cfg->association_token = *x.config.association_token;
          } else {
            cfg->association_token = next_association_token_++;
            out.association_token = cfg->association_token;
          }
          cfg->data.association_token = cfg->association_token;
          cfg->data.counter_value = cfg->counter_value;
          eims_.push_back(std::move(cfg).value());
          return true;
        } else if constexpr (std::is_same_v<T, sgp::EcoDeleteEim>) {
          auto it =
              std::find_if(eims_.begin(), eims_.end(), [&](const EimConfig& e) { return e.data.eim_id == x.eim_id; });
          if (it == eims_.end()) return euicc_impl::stop(out, K::delete_eim, 1);  // eimNotFound
          eims_.erase(it);
          // lastEimDeleted(2): done, and no eIM Configuration Data is left on the eUICC.
          out = euicc_impl::result(K::delete_eim, eims_.empty() ? 2 : 0);
          return true;
        } else if constexpr (std::is_same_v<T, sgp::EcoUpdateEim>) {
          EimConfig* cur = const_cast<EimConfig*>(find_eim(x.config.eim_id));
          if (!cur) return euicc_impl::stop(out, K::update_eim, 1);
          sgp::EimConfigurationData merged = x.config;
          if (!merged.eim_public_key && !merged.eim_certificate) {
            merged.eim_public_key = cur->data.eim_public_key;
            merged.eim_certificate = cur->data.eim_certificate;
          }
          auto cfg = make_eim_config(merged);
          if (!cfg.ok()) {
            const bool ci = cfg.error().field == "euiccCiPKId";
            return euicc_impl::stop(out, K::update_eim, ci ? 3 : 7);
          }
          if (x.config.counter_value && *x.config.counter_value < cur->counter_value) {
            return euicc_impl::stop(out, K::update_eim, 6);  // counterValueOutOfRange
          }
          cfg->counter_value = x.config.counter_value.value_or(cur->counter_value);
          cfg->association_token = x.config.association_token.value_or(cur->association_token);
          cfg->data.counter_value = cfg->counter_value;
          cfg->data.association_token = cfg->association_token;
          *cur = std::move(cfg).value();
          out = euicc_impl::result(K::update_eim, 0);
          return true;
        } else {
          static_assert(std::is_same_v<T, sgp::EcoListEim>);
          out = euicc_impl::result(K::list_eim, 0);
          for (const auto& e : eims_) out.eims.push_back(sgp::EimIdInfo{e.data.eim_id, e.data.eim_id_type});
          return true;
        }
      },
      eco);
}

// ---------------------------------------------------------------------------------------------------------------
// IpaEuiccData (§2.11.2.2)

sgp::IpaEuiccDataResponse SoftwareEuicc::ipa_euicc_data(const sgp::IpaEuiccDataRequest& request,
                                                        std::string_view eim_id) const {
  const bool v12 = version_ == sgp::Version::v1_2;
  auto error = [&](std::int64_t code) {
    sgp::IpaEuiccDataError e;
    if (v12) e.eim_transaction_id = request.eim_transaction_id;
    e.code = code;
    return sgp::IpaEuiccDataResponse(e);
  };
  auto tags = euicc_impl::parse_tag_list(request.tag_list);
  if (!tags.ok()) return error(1);  // incorrectTagList
  if (request.euicc_ci_pkid) {
    const auto& want = *request.euicc_ci_pkid;  // possibly truncated
    if (want.empty() || want.size() > ci_pkid_.size() || !std::equal(want.begin(), want.end(), ci_pkid_.begin())) {
      return error(5);  // euiccCiPKIdNotFound
    }
  }
  sgp::IpaEuiccData d;
  if (v12) d.eim_transaction_id = request.eim_transaction_id;
  for (const std::uint32_t t : *tags) {
    if ((v12 && t == 0xA0) || (!v12 && t == 0xBF2B)) {
      auto all = signed_notifications();
      if (!all.ok()) return error(127);
      std::vector<sgp::PendingNotification> list;
      for (std::size_t i = 0; i < all->size(); ++i) {
        const PendingEvent& ev = notifications_[i];
        if (request.search_notification_seq_number && *request.search_notification_seq_number != ev.seq_number)
          continue;
        if (request.search_notification_operation &&
            (*request.search_notification_operation & (1u << static_cast<unsigned>(ev.event))) == 0) {
          continue;
        }
        list.push_back(std::move((*all)[i]));
      }
      d.notifications_list = std::move(list);
    } else if ((v12 && t == 0x81) || (!v12 && t == 0x80)) {
      if (default_dp_address_) {
        d.default_smdp_address = *default_dp_address_;
      } else if (immediate_enable_.default_smdp_address) {
        d.default_smdp_address = *immediate_enable_.default_smdp_address;
      }
    } else if (v12 && t == 0xA2) {
      std::vector<sgp::EuiccPackageResult> list;
      for (const auto& r : results_) {
        if (request.search_euicc_package_result_seq_number &&
            *request.search_euicc_package_result_seq_number != r.seq_number) {
          continue;
        }
        auto decoded = sgp::decode_euicc_package_result(r.der, version_);
        if (!decoded.ok()) return error(127);
        list.push_back(std::move(decoded).value());
      }
      d.euicc_package_result_list = std::move(list);
    } else if (t == 0xBF20) {
      // EUICCInfo1 (SGP.22 §5.7.8): svn 2.3.0 and the CI key identifier for verification and signing.
      der::Writer w;
      w.constructed(der::tag(0xBF20), [&] {
        const std::uint8_t svn[] = {2, 3, 0};
        w.octets(der::context(2), svn);
        w.constructed(der::context(9, true), [&] { w.octets(der::kOctetString, ci_pkid_); });
        w.constructed(der::context(10, true), [&] { w.octets(der::kOctetString, ci_pkid_); });
      });
      d.euicc_info1 = w.take();
    } else if (t == 0xBF22) {
      // SGP32-EUICCInfo2: the mandatory fields with plausible values; iotSpecificInfo names the SGP.32 version.
      der::Writer w;
      w.constructed(der::tag(0xBF22), [&] {
        const std::uint8_t profile_version[] = {2, 3, 1}, svn[] = {2, 3, 0}, fw[] = {1, 0, 0}, pp[] = {1, 0, 0};
        w.octets(der::context(1), profile_version);
        w.octets(der::context(2), svn);
        w.octets(der::context(3), fw);
        const std::uint8_t ext_card[] = {0x81, 0x01, 0x00, 0x82, 0x04, 0x00, 0x01, 0x00, 0x00};
        w.octets(der::context(4), ext_card);
        w.named_bits(der::context(5), 0, 0);
        w.named_bits(der::context(8), 0, 0);
        w.constructed(der::context(9, true), [&] { w.octets(der::kOctetString, ci_pkid_); });
        w.constructed(der::context(10, true), [&] { w.octets(der::kOctetString, ci_pkid_); });
        w.octets(der::kOctetString, pp);
        w.utf8(der::kUtf8String, "esimo-software-euicc");
        w.integer(der::context(16), 0);  // ipaMode ipad
        w.constructed(der::context(20, true), [&] {
          w.constructed(der::context(0, true), [&] {
            const std::uint8_t v[] = {1, static_cast<std::uint8_t>(v12 ? 2 : 0), 0};
            w.octets(der::kOctetString, v);
          });
          if (v12) w.null(der::context(2));  // fallbackSupported
        });
      });
      d.euicc_info2 = w.take();
    } else if (t == 0x83) {
      d.root_smds_address = "lpa.ds.gsma.com";  // SGP.22 root SM-DS
    } else if (t == 0x84) {
      const EimConfig* e = eim_id.empty() ? (eims_.empty() ? nullptr : &eims_.front()) : find_eim(eim_id);
      if (e) d.association_token = e->association_token;
    } else if (t == 0xA5) {
      d.eum_certificate = *eum_cert_der_;
    } else if (t == 0xA6) {
      d.euicc_certificate = euicc_cert_der_;
    } else if (t == 0xA8) {
      // IpaCapabilities contents: ipaFeatures (none), ipaSupportedProtocols ipaRetrieveHttps(0).
      d.ipa_capabilities = Bytes{0x80, 0x01, 0x00, 0x81, 0x02, 0x07, 0x80};
    } else if (t == 0xA9) {
      // DeviceInfo contents: a test TAC and empty deviceCapabilities.
      d.device_info = Bytes{0x80, 0x04, 0x35, 0x29, 0x06, 0x11, 0xA1, 0x00};
    }
    // Other tags are not data this eUICC holds: nothing is returned for them.
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------------------
// Notifications (SGP.22 OtherSignedNotification: tbsOtherNotification, euiccNotificationSignature over it,
// certificates)

Result<std::vector<sgp::PendingNotification>> SoftwareEuicc::signed_notifications() const {
  std::vector<sgp::PendingNotification> out;
  out.reserve(notifications_.size());
  const std::string address = notification_address();
  for (const auto& ev : notifications_) {
    der::Writer m;
    m.constructed(der::tag(0xBF2F), [&] {
      m.integer(der::context(0), ev.seq_number);
      const auto bit = static_cast<unsigned>(ev.event);
      const std::uint8_t byte = static_cast<std::uint8_t>(0x80u >> bit);
      m.bit_string(der::context(1), ByteView(&byte, 1), static_cast<std::uint8_t>(7 - bit));
      m.utf8(der::kUtf8String, address);
      m.octets(euicc_impl::kIccidTag, ev.iccid);
    });
    const Bytes meta = m.take();
    ESIMO_TRY(Bytes sig, sign(meta));
    der::Writer w;
    w.constructed(der::kSequence, [&] {
      w.raw(meta);
      w.octets(euicc_impl::kSig, sig);
      w.raw(euicc_cert_der_);
      w.raw(*eum_cert_der_);
    });
    sgp::PendingNotification n;
    n.kind = sgp::PendingNotificationKind::other_signed_notification;
    n.der = w.take();
    n.metadata = sgp::NotificationMetadata{ev.seq_number, 1u << static_cast<unsigned>(ev.event), address,
                                           Bytes(ev.iccid.begin(), ev.iccid.end())};
    out.push_back(std::move(n));
  }
  return out;
}

void SoftwareEuicc::acknowledge(std::span<const std::int64_t> seqs) {
  auto acked = [&](std::int64_t s) { return std::find(seqs.begin(), seqs.end(), s) != seqs.end(); };
  std::erase_if(notifications_, [&](const PendingEvent& e) { return acked(e.seq_number); });
  std::erase_if(results_, [&](const StoredResult& r) { return acked(r.seq_number); });
}

void SoftwareEuicc::remove_notification(std::int64_t seq) {
  std::erase_if(notifications_, [&](const PendingEvent& e) { return e.seq_number == seq; });
}

void SoftwareEuicc::mark_result_delivered(std::int64_t seq) {
  for (auto& r : results_) {
    if (r.seq_number == seq) r.delivered = true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Device-side behaviour

Status SoftwareEuicc::fallback() {
  if (version_ != sgp::Version::v1_2) return Error(Errc::unsupported, "the Fallback Mechanism needs SGP.32 v1.2");
  auto it = std::find_if(profiles_.begin(), profiles_.end(), [](const Profile& p) { return p.fallback_attribute; });
  if (it == profiles_.end()) {
    return Error(Errc::failed_precondition, "fallbackNotAvailable: no profile has the Fallback Attribute");
  }
  if (it->enabled)
    return Error(Errc::failed_precondition, "profileNotInDisabledState: the fallback profile is enabled");
  Profile* cur = enabled();
  if (cur) {
    fallback_return_ = cur->iccid;
    cur->enabled = false;
    queue_event(NotificationEvent::disable, cur->iccid);
  }
  it->enabled = true;
  queue_event(NotificationEvent::enable, it->iccid);
  rollback_.reset();
  state_change_ = StateChange{true, 1};  // StateChangeCause fallback(1)
  return ok_status();
}

Status SoftwareEuicc::rollback() {
  if (!rollback_) return Error(Errc::failed_precondition, "no enable with rollbackFlag is pending");
  const RollbackPoint rp = *rollback_;
  if (Profile* p = profile_by_iccid(rp.enabled); p && p->enabled) {
    p->enabled = false;
    queue_event(NotificationEvent::disable, p->iccid);
  }
  if (rp.previous) {
    if (Profile* prev = profile_by_iccid(*rp.previous); prev && !enabled()) {
      prev->enabled = true;
      queue_event(NotificationEvent::enable, prev->iccid);
    }
  }
  rollback_.reset();
  state_change_ = StateChange{true, std::nullopt};
  // ES10b.ProfileRollback answers with the package's EuiccPackageResult completed by rollbackResult: replace the
  // stored result (which never reached the eIM) by that one.
  auto it = std::find_if(results_.begin(), results_.end(),
                         [&](const StoredResult& r) { return r.seq_number == rp.result_seq_number; });
  if (it == results_.end()) return ok_status();
  ESIMO_TRY(auto decoded, sgp::decode_euicc_package_result(it->der, version_));
  auto* signed_result = std::get_if<sgp::EuiccPackageResultSigned>(&decoded);
  if (!signed_result) return ok_status();
  sgp::EuiccPackageResultDataSigned data = signed_result->data;
  data.euicc_result.push_back(euicc_impl::result(sgp::EuiccResultKind::rollback, 0));
  data.seq_number = next_seq();
  ESIMO_TRY(Bytes der_result, sign_result(data, rp.eim_signature));
  results_.erase(it);
  store_result(data.seq_number, std::move(der_result));
  return ok_status();
}

}  // namespace esimo::twin
