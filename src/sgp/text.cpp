// Human-readable dumps of decoded messages: one field per line, nested fields indented by two spaces, byte strings in
// lower-case hex, INTEGER codes followed by their ASN.1 name. The golden vectors in tests/unit/sgp/vectors pin this
// format, so change it only together with them.
#include <string>

#include "sgp/codec.hpp"

namespace esimo::sgp {
namespace text_dump {

struct Named {
  std::int64_t value;
  const char* name;
};

template <std::size_t N>
std::string with_name(std::int64_t v, const Named (&table)[N]) {
  for (const auto& n : table) {
    if (n.value == v) return std::to_string(v) + " (" + n.name + ")";
  }
  return std::to_string(v);
}

constexpr Named kStateChangeCause[] = {{0, "otherEim"}, {1, "fallback"}, {2, "emergencyProfile"}, {3, "local"},
                                       {4, "reset"}, {5, "immediateEnableProfile"}, {6, "deviceChange"},
                                       {127, "undefined"}};
constexpr Named kEimPackageError[] = {{1, "noEimPackageAvailable"}, {2, "eidNotFound"}, {3, "invalidEid"},
                                      {4, "missingEid"}, {127, "undefinedError"}};
constexpr Named kEuiccPackageErrorCode[] = {{3, "invalidEid"}, {4, "replayError"}, {6, "counterValueOutOfRange"},
                                            {15, "sizeOverflow"}, {104, "ecallActive"}, {127, "undefinedError"}};
constexpr Named kEimPackageResultError[] = {{1, "invalidPackageFormat"}, {2, "unknownPackage"},
                                            {127, "undefinedError"}};
constexpr Named kProvideResultError[] = {{2, "eidNotFound"}, {3, "invalidEid"}, {4, "missingEid"},
                                         {127, "undefinedError"}};
constexpr Named kEnable[] = {{0, "ok"}, {1, "iccidOrAidNotFound"}, {2, "profileNotInDisabledState"},
                             {3, "disallowedByPolicy"}, {5, "catBusy"}, {20, "rollbackNotAvailable"},
                             {127, "undefinedError"}};
constexpr Named kDisable[] = {{0, "ok"}, {1, "iccidOrAidNotFound"}, {2, "profileNotInEnabledState"},
                              {3, "disallowedByPolicy"}, {5, "catBusy"}, {127, "undefinedError"}};
constexpr Named kDelete[] = {{0, "ok"}, {1, "iccidOrAidNotFound"}, {2, "profileNotInDisabledState"},
                             {3, "disallowedByPolicy"}, {20, "rollbackNotAvailable"}, {21, "returnFallbackProfile"},
                             {127, "undefinedError"}};
constexpr Named kGeneric[] = {{0, "ok"}, {1, "insufficientMemory"}, {7, "commandError"}, {127, "undefinedError"}};
constexpr Named kAddEim[] = {{0, "ok"}, {1, "insufficientMemory"}, {2, "associatedEimAlreadyExists"},
                             {3, "ciPKUnknown"}, {5, "invalidAssociationToken"}, {6, "counterValueOutOfRange"},
                             {7, "commandError"}, {127, "undefinedError"}};
constexpr Named kDeleteEim[] = {{0, "ok"}, {1, "eimNotFound"}, {2, "lastEimDeleted"}, {7, "commandError"},
                                {127, "undefinedError"}};
constexpr Named kUpdateEim[] = {{0, "ok"}, {1, "eimNotFound"}, {3, "ciPKUnknown"}, {6, "counterValueOutOfRange"},
                                {7, "commandError"}, {127, "undefinedError"}};
constexpr Named kSetFallback[] = {{0, "ok"}, {1, "iccidOrAidNotFound"}, {2, "fallbackNotAllowed"},
                                  {3, "fallbackProfileEnabled"}, {127, "undefinedError"}};
constexpr Named kUnsetFallback[] = {{0, "ok"}, {2, "noFallbackAttribute"}, {3, "fallbackProfileEnabled"},
                                    {7, "commandError"}, {127, "undefinedError"}};
constexpr Named kProcessingTerminated[] = {{1, "resultSizeOverflow"}, {2, "unknownOrDamagedCommand"},
                                           {3, "interruption"}, {127, "undefinedError"}};
constexpr Named kOkUndefined[] = {{0, "ok"}, {127, "undefinedError"}};
constexpr Named kListError[] = {{1, "incorrectInputValues"}, {11, "profileChangeOngoing"}, {127, "undefinedError"}};
constexpr Named kProfileState[] = {{0, "disabled"}, {1, "enabled"}};
constexpr Named kProfileClass[] = {{0, "test"}, {1, "provisioning"}, {2, "operational"}};
constexpr Named kEimIdType[] = {{1, "eimIdTypeOid"}, {2, "eimIdTypeFqdn"}, {3, "eimIdTypeProprietary"}};

std::string bits(std::uint32_t mask, std::initializer_list<const char*> names) {
  std::string s;
  std::size_t i = 0;
  for (const char* n : names) {
    if (mask & (1u << i)) s += (s.empty() ? "" : " ") + std::string(n);
    ++i;
  }
  for (; i < 32; ++i) {
    if (mask & (1u << i)) s += (s.empty() ? "" : " ") + std::string("bit") + std::to_string(i);
  }
  return s.empty() ? "(none)" : s;
}

class Printer {
 public:
  void line(int indent, const std::string& text) {
    out_.append(static_cast<std::size_t>(indent) * 2, ' ');
    out_ += text;
    out_ += '\n';
  }
  void kv(int indent, const std::string& key, const std::string& value) { line(indent, key + ": " + value); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string hex(const Bytes& b) { return b.empty() ? "(empty)" : to_hex(b); }
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

void eim_config(Printer& p, int in, const EimConfigurationData& c) {
  p.kv(in, "eimId", quoted(c.eim_id));
  if (c.eim_fqdn) p.kv(in, "eimFqdn", quoted(*c.eim_fqdn));
  if (c.eim_id_type) p.kv(in, "eimIdType", with_name(*c.eim_id_type, kEimIdType));
  if (c.counter_value) p.kv(in, "counterValue", std::to_string(*c.counter_value));
  if (c.association_token) p.kv(in, "associationToken", std::to_string(*c.association_token));
  if (c.eim_public_key) p.kv(in, "eimPublicKeyData.eimPublicKey", hex(*c.eim_public_key));
  if (c.eim_certificate) p.kv(in, "eimPublicKeyData.eimCertificate", hex(*c.eim_certificate));
  if (c.trusted_eim_pk_tls) p.kv(in, "trustedPublicKeyDataTls.trustedEimPkTls", hex(*c.trusted_eim_pk_tls));
  if (c.trusted_certificate_tls) {
    p.kv(in, "trustedPublicKeyDataTls.trustedCertificateTls", hex(*c.trusted_certificate_tls));
  }
  if (c.eim_supported_protocol) {
    p.kv(in, "eimSupportedProtocol",
         bits(*c.eim_supported_protocol,
              {"eimRetrieveHttps", "eimRetrieveCoaps", "eimInjectHttps", "eimInjectCoaps", "eimProprietary"}));
  }
  if (c.euicc_ci_pkid) p.kv(in, "euiccCiPKId", hex(*c.euicc_ci_pkid));
  if (c.indirect_profile_download) p.line(in, "indirectProfileDownload");
}

void psmo(Printer& p, int in, const Psmo& x, Version v) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, PsmoEnable>) {
          p.line(in, "enable");
          p.kv(in + 1, "iccid", hex(m.iccid));
          if (m.rollback_flag) p.line(in + 1, "rollbackFlag");
        } else if constexpr (std::is_same_v<T, PsmoDisable>) {
          p.line(in, "disable");
          p.kv(in + 1, "iccid", hex(m.iccid));
        } else if constexpr (std::is_same_v<T, PsmoDelete>) {
          p.line(in, "delete");
          p.kv(in + 1, "iccid", hex(m.iccid));
        } else if constexpr (std::is_same_v<T, PsmoListProfileInfo>) {
          p.line(in, "listProfileInfo");
          if (m.search_isdp_aid) p.kv(in + 1, "searchCriteria.isdpAid", hex(*m.search_isdp_aid));
          if (m.search_iccid) p.kv(in + 1, "searchCriteria.iccid", hex(*m.search_iccid));
          if (m.search_profile_class) {
            p.kv(in + 1, "searchCriteria.profileClass", with_name(*m.search_profile_class, kProfileClass));
          }
          if (m.tag_list) p.kv(in + 1, "tagList", hex(*m.tag_list));
        } else if constexpr (std::is_same_v<T, PsmoGetRat>) {
          p.line(in, "getRAT");
        } else if constexpr (std::is_same_v<T, PsmoConfigureImmediateEnable>) {
          const bool v12 = v == Version::v1_2;
          p.line(in, v12 ? "configureImmediateEnable" : "configureAutoEnable");
          if (m.immediate_enable_flag) p.line(in + 1, v12 ? "immediateEnableFlag" : "autoEnableFlag");
          if (m.default_smdp_oid) p.kv(in + 1, v12 ? "defaultSmdpOid" : "smdpOid", *m.default_smdp_oid);
          if (m.default_smdp_address) {
            p.kv(in + 1, v12 ? "defaultSmdpAddress" : "smdpAddress", quoted(*m.default_smdp_address));
          }
        } else if constexpr (std::is_same_v<T, PsmoSetFallbackAttribute>) {
          p.line(in, "setFallbackAttribute");
          p.kv(in + 1, "iccid", hex(m.iccid));
        } else if constexpr (std::is_same_v<T, PsmoUnsetFallbackAttribute>) {
          p.line(in, "unsetFallbackAttribute");
        } else {
          p.line(in, "setDefaultDpAddress");
          p.kv(in + 1, "defaultDpAddress", quoted(m.default_dp_address));
        }
      },
      x);
}

void eco(Printer& p, int in, const Eco& x) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, EcoAddEim>) {
          p.line(in, "addEim");
          eim_config(p, in + 1, m.config);
        } else if constexpr (std::is_same_v<T, EcoDeleteEim>) {
          p.line(in, "deleteEim");
          p.kv(in + 1, "eimId", quoted(m.eim_id));
        } else if constexpr (std::is_same_v<T, EcoUpdateEim>) {
          p.line(in, "updateEim");
          eim_config(p, in + 1, m.config);
        } else {
          p.line(in, "listEim");
        }
      },
      x);
}

void tid(Printer& p, int in, const std::optional<Bytes>& t, Version v) {
  if (t) p.kv(in, v == Version::v1_2 ? "eimTransactionId" : "transactionId", hex(*t));
}

void euicc_package_request(Printer& p, int in, const EuiccPackageRequest& m, Version v) {
  p.line(in, "euiccPackageRequest");
  const auto& s = m.euicc_package_signed;
  p.line(in + 1, "euiccPackageSigned");
  p.kv(in + 2, "eimId", quoted(s.eim_id));
  p.kv(in + 2, "eidValue", hex(s.eid));
  p.kv(in + 2, "counterValue", std::to_string(s.counter_value));
  tid(p, in + 2, s.eim_transaction_id, v);
  if (const auto* psmos = std::get_if<PsmoList>(&s.euicc_package)) {
    p.line(in + 2, "psmoList");
    for (const auto& x : *psmos) psmo(p, in + 3, x, v);
  } else {
    p.line(in + 2, "ecoList");
    for (const auto& x : std::get<EcoList>(s.euicc_package)) eco(p, in + 3, x);
  }
  p.kv(in + 1, "eimSignature", hex(m.eim_signature));
}

void ipa_euicc_data_request(Printer& p, int in, const IpaEuiccDataRequest& m, Version v) {
  p.line(in, "ipaEuiccDataRequest");
  p.kv(in + 1, "tagList", hex(m.tag_list));
  if (m.euicc_ci_pkid) p.kv(in + 1, v == Version::v1_2 ? "euiccCiPKIdentifierToBeUsed" : "euiccCiPKId",
                            hex(*m.euicc_ci_pkid));
  const char* sc = v == Version::v1_2 ? "searchCriteriaNotification" : "searchCriteria";
  if (m.search_notification_seq_number) {
    p.kv(in + 1, std::string(sc) + ".seqNumber", std::to_string(*m.search_notification_seq_number));
  }
  if (m.search_notification_operation) {
    p.kv(in + 1, std::string(sc) + ".profileManagementOperation",
         bits(*m.search_notification_operation,
              {"notificationInstall", "notificationEnable", "notificationDisable", "notificationDelete"}));
  }
  if (m.search_euicc_package_results) p.line(in + 1, std::string(sc) + ".euiccPackageResults");
  if (m.search_euicc_package_result_seq_number) {
    p.kv(in + 1, "searchCriteriaEuiccPackageResult.seqNumber",
         std::to_string(*m.search_euicc_package_result_seq_number));
  }
  if (m.eim_transaction_id) p.kv(in + 1, "eimTransactionId", hex(*m.eim_transaction_id));
}

void download_trigger(Printer& p, int in, const ProfileDownloadTriggerRequest& m) {
  p.line(in, "profileDownloadTriggerRequest");
  if (m.profile_download_data) {
    std::visit(
        [&](const auto& d) {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, DownloadActivationCode>) {
            p.kv(in + 1, "profileDownloadData.activationCode", quoted(d.activation_code));
          } else if constexpr (std::is_same_v<T, DownloadContactDefaultSmdp>) {
            p.line(in + 1, "profileDownloadData.contactDefaultSmdp");
          } else {
            p.line(in + 1, "profileDownloadData.contactSmds");
            if (d.smds_address) p.kv(in + 2, "smdsAddress", quoted(*d.smds_address));
          }
        },
        *m.profile_download_data);
  }
  if (m.eim_transaction_id) p.kv(in + 1, "eimTransactionId", hex(*m.eim_transaction_id));
}

const Named* table_for(EuiccResultKind k, std::size_t& n) {
  switch (k) {
#define ESIMO_TABLE(kind, t) \
  case EuiccResultKind::kind: \
    n = std::size(t);          \
    return t;
    ESIMO_TABLE(enable, kEnable)
    ESIMO_TABLE(disable, kDisable)
    ESIMO_TABLE(delete_profile, kDelete)
    ESIMO_TABLE(configure_immediate_enable, kGeneric)
    ESIMO_TABLE(add_eim, kAddEim)
    ESIMO_TABLE(delete_eim, kDeleteEim)
    ESIMO_TABLE(update_eim, kUpdateEim)
    ESIMO_TABLE(rollback, kOkUndefined)
    ESIMO_TABLE(set_fallback_attribute, kSetFallback)
    ESIMO_TABLE(unset_fallback_attribute, kUnsetFallback)
    ESIMO_TABLE(processing_terminated, kProcessingTerminated)
    ESIMO_TABLE(set_default_dp_address, kOkUndefined)
#undef ESIMO_TABLE
    default:
      n = 0;
      return nullptr;
  }
}

std::string code_text(EuiccResultKind k, std::int64_t code) {
  std::size_t n = 0;
  const Named* t = table_for(k, n);
  for (std::size_t i = 0; i < n; ++i) {
    if (t[i].value == code) return std::to_string(code) + " (" + t[i].name + ")";
  }
  return std::to_string(code);
}

void result_data(Printer& p, int in, const EuiccResultData& d, Version v) {
  const char* name = euicc_result_kind_name(d.kind);
  if (d.kind == EuiccResultKind::configure_immediate_enable && v == Version::v1_0) name = "configureAutoEnableResult";
  switch (d.kind) {
    case EuiccResultKind::list_profile_info:
      p.line(in, name);
      if (d.list_error) {
        p.kv(in + 1, "profileInfoListError", with_name(*d.list_error, kListError));
        return;
      }
      p.line(in + 1, "profileInfoListOk");
      for (const auto& pi : d.profiles) {
        p.line(in + 2, "profileInfo");
        if (pi.iccid) p.kv(in + 3, "iccid", hex(*pi.iccid));
        if (pi.isdp_aid) p.kv(in + 3, "isdpAid", hex(*pi.isdp_aid));
        if (pi.profile_state) p.kv(in + 3, "profileState", with_name(*pi.profile_state, kProfileState));
        if (pi.profile_nickname) p.kv(in + 3, "profileNickname", quoted(*pi.profile_nickname));
        if (pi.service_provider_name) p.kv(in + 3, "serviceProviderName", quoted(*pi.service_provider_name));
        if (pi.profile_name) p.kv(in + 3, "profileName", quoted(*pi.profile_name));
        if (pi.profile_class) p.kv(in + 3, "profileClass", with_name(*pi.profile_class, kProfileClass));
        if (pi.fallback_attribute) p.kv(in + 3, "fallbackAttribute", *pi.fallback_attribute ? "TRUE" : "FALSE");
      }
      return;
    case EuiccResultKind::get_rat:
      p.kv(in, name, hex(d.rat_der));
      return;
    case EuiccResultKind::add_eim:
      if (d.association_token) {
        p.kv(in, std::string(name) + ".associationToken", std::to_string(*d.association_token));
      } else {
        p.kv(in, std::string(name) + ".addEimResultCode", code_text(d.kind, d.code));
      }
      return;
    case EuiccResultKind::list_eim:
      p.line(in, name);
      if (d.list_error) {
        p.kv(in + 1, "listEimError", std::to_string(*d.list_error));
        return;
      }
      p.line(in + 1, "eimIdList");
      for (const auto& e : d.eims) {
        p.line(in + 2, "eimIdInfo");
        p.kv(in + 3, "eimId", quoted(e.eim_id));
        if (e.eim_id_type) p.kv(in + 3, "eimIdType", with_name(*e.eim_id_type, kEimIdType));
      }
      return;
    default:
      p.kv(in, name, code_text(d.kind, d.code));
  }
}

void euicc_package_result(Printer& p, int in, const EuiccPackageResult& m, Version v) {
  p.line(in, "euiccPackageResult");
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, EuiccPackageResultSigned>) {
          p.line(in + 1, "euiccPackageResultSigned");
          p.line(in + 2, "euiccPackageResultDataSigned");
          p.kv(in + 3, "eimId", quoted(x.data.eim_id));
          p.kv(in + 3, "counterValue", std::to_string(x.data.counter_value));
          tid(p, in + 3, x.data.eim_transaction_id, v);
          p.kv(in + 3, "seqNumber", std::to_string(x.data.seq_number));
          p.line(in + 3, "euiccResult");
          for (const auto& r : x.data.euicc_result) result_data(p, in + 4, r, v);
          p.kv(in + 2, "euiccSignEPR", hex(x.euicc_sign_epr));
        } else if constexpr (std::is_same_v<T, EuiccPackageErrorSigned>) {
          p.line(in + 1, "euiccPackageErrorSigned");
          p.line(in + 2, "euiccPackageErrorDataSigned");
          p.kv(in + 3, "eimId", quoted(x.data.eim_id));
          p.kv(in + 3, "counterValue", std::to_string(x.data.counter_value));
          tid(p, in + 3, x.data.eim_transaction_id, v);
          p.kv(in + 3, "euiccPackageErrorCode", with_name(x.data.euicc_package_error_code, kEuiccPackageErrorCode));
          p.kv(in + 2, "euiccSignEPE", hex(x.euicc_sign_epe));
        } else {
          p.line(in + 1, "euiccPackageErrorUnsigned");
          p.kv(in + 2, "eimId", quoted(x.eim_id));
          tid(p, in + 2, x.eim_transaction_id, v);
          if (x.association_token) p.kv(in + 2, "associationToken", std::to_string(*x.association_token));
        }
      },
      m);
}

void notification(Printer& p, int in, const PendingNotification& n) {
  static constexpr const char* kKinds[] = {"profileInstallationResult", "otherSignedNotification",
                                           "compactProfileInstallationResult", "compactOtherSignedNotification"};
  p.line(in, kKinds[static_cast<int>(n.kind)]);
  if (n.metadata) {
    const auto& m = *n.metadata;
    p.kv(in + 1, "seqNumber", std::to_string(m.seq_number));
    p.kv(in + 1, "profileManagementOperation",
         bits(m.profile_management_operation,
              {"notificationInstall", "notificationEnable", "notificationDisable", "notificationDelete"}));
    p.kv(in + 1, "notificationAddress", quoted(m.notification_address));
    if (m.iccid) p.kv(in + 1, "iccid", hex(*m.iccid));
  }
  p.kv(in + 1, "der", hex(n.der));
}

constexpr Named kProfileDownloadErrorReason[] = {{104, "ecallActive"}, {127, "undefinedError"}};
constexpr Named kIpaEuiccDataError[] = {{1, "incorrectTagList"}, {5, "euiccCiPKIdNotFound"}, {104, "ecallActive"},
                                        {127, "undefinedError"}};

void ipa_euicc_data_response(Printer& p, int in, const IpaEuiccDataResponse& m, Version v) {
  const bool v12 = v == Version::v1_2;
  p.line(in, "ipaEuiccDataResponse");
  if (const auto* e = std::get_if<IpaEuiccDataError>(&m)) {
    p.line(in + 1, v12 ? "ipaEuiccDataResponseError" : "ipaEuiccDataError");
    if (e->eim_transaction_id) p.kv(in + 2, "eimTransactionId", hex(*e->eim_transaction_id));
    p.kv(in + 2, "ipaEuiccDataErrorCode", with_name(e->code, kIpaEuiccDataError));
    return;
  }
  const auto& d = std::get<IpaEuiccData>(m);
  p.line(in + 1, "ipaEuiccData");
  const int f = in + 2;
  if (d.notifications_list) {
    p.line(f, "notificationsList");
    for (const auto& n : *d.notifications_list) notification(p, f + 1, n);
  }
  if (d.default_smdp_address) p.kv(f, "defaultSmdpAddress", quoted(*d.default_smdp_address));
  if (d.euicc_package_result_list) {
    p.line(f, "euiccPackageResultList");
    for (const auto& r : *d.euicc_package_result_list) euicc_package_result(p, f + 1, r, v);
  }
  if (d.euicc_info1) p.kv(f, "euiccInfo1", hex(*d.euicc_info1));
  if (d.euicc_info2) p.kv(f, "euiccInfo2", hex(*d.euicc_info2));
  if (d.root_smds_address) p.kv(f, "rootSmdsAddress", quoted(*d.root_smds_address));
  if (d.association_token) p.kv(f, "associationToken", std::to_string(*d.association_token));
  if (d.eum_certificate) p.kv(f, "eumCertificate", hex(*d.eum_certificate));
  if (d.euicc_certificate) p.kv(f, "euiccCertificate", hex(*d.euicc_certificate));
  if (d.eim_transaction_id) p.kv(f, "eimTransactionId", hex(*d.eim_transaction_id));
  if (d.ipa_capabilities) p.kv(f, "ipaCapabilities", hex(*d.ipa_capabilities));
  if (d.device_info) p.kv(f, "deviceInfo", hex(*d.device_info));
}

void provide_result(Printer& p, int in, const ProvideEimPackageResult& m, Version v) {
  p.line(in, "provideEimPackageResult");
  if (m.eid) p.kv(in + 1, "eidValue", hex(*m.eid));
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, EuiccPackageResult>) {
          euicc_package_result(p, in + 1, x, v);
        } else if constexpr (std::is_same_v<T, EprAndNotifications>) {
          p.line(in + 1, "ePRAndNotifications");
          euicc_package_result(p, in + 2, x.euicc_package_result, v);
          p.line(in + 2, "notificationList");
          for (const auto& n : x.notification_list) notification(p, in + 3, n);
        } else if constexpr (std::is_same_v<T, IpaEuiccDataResponse>) {
          ipa_euicc_data_response(p, in + 1, x, v);
        } else if constexpr (std::is_same_v<T, ProfileDownloadTriggerResult>) {
          p.line(in + 1, "profileDownloadTriggerResult");
          if (x.eim_transaction_id) p.kv(in + 2, "eimTransactionId", hex(*x.eim_transaction_id));
          if (const auto* e = std::get_if<ProfileDownloadError>(&x.result)) {
            p.line(in + 2, "profileDownloadError");
            if (e->profile_download_error_reason) {
              p.kv(in + 3, "profileDownloadErrorReason",
                   with_name(*e->profile_download_error_reason, kProfileDownloadErrorReason));
            }
            if (e->error_response) p.kv(in + 3, "errorResponse", hex(*e->error_response));
          } else {
            notification(p, in + 2, std::get<PendingNotification>(x.result));
          }
        } else {
          if (v == Version::v1_2) {
            p.line(in + 1, "eimPackageResultResponseError");
            if (x.eim_transaction_id) p.kv(in + 2, "eimTransactionId", hex(*x.eim_transaction_id));
            p.kv(in + 2, "eimPackageResultErrorCode", with_name(x.code, kEimPackageResultError));
          } else {
            p.kv(in + 1, "eimPackageError", with_name(x.code, kEimPackageResultError));
          }
        }
      },
      m.result);
}

}  // namespace text_dump

std::string to_text(const EuiccPackageRequest& m, Version v) {
  text_dump::Printer p;
  text_dump::euicc_package_request(p, 0, m, v);
  return p.take();
}

std::string to_text(const EuiccPackageResult& m, Version v) {
  text_dump::Printer p;
  text_dump::euicc_package_result(p, 0, m, v);
  return p.take();
}

std::string to_text(const AddInitialEimRequest& m, Version) {
  text_dump::Printer p;
  p.line(0, "addInitialEimRequest");
  p.line(1, "eimConfigurationDataList");
  for (const auto& c : m.eim_configuration_data_list) {
    p.line(2, "eimConfigurationData");
    text_dump::eim_config(p, 3, c);
  }
  return p.take();
}

std::string to_text(const EsipaMessageFromIpaToEim& m, Version v) {
  text_dump::Printer p;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, GetEimPackageRequest>) {
          p.line(0, "getEimPackageRequest");
          p.kv(1, "eidValue", text_dump::hex(x.eid));
          if (x.notify_state_change) p.line(1, "notifyStateChange");
          if (x.state_change_cause) {
            p.kv(1, "stateChangeCause", text_dump::with_name(*x.state_change_cause, text_dump::kStateChangeCause));
          }
          if (x.rplmn) p.kv(1, "rPLMN", text_dump::hex(*x.rplmn));
        } else if constexpr (std::is_same_v<T, ProvideEimPackageResult>) {
          text_dump::provide_result(p, 0, x, v);
        } else if constexpr (std::is_same_v<T, InitiateAuthenticationRequestEsipa>) {
          p.line(0, "initiateAuthenticationRequestEsipa");
          p.kv(1, "euiccChallenge", text_dump::hex(x.euicc_challenge));
          if (x.smdp_address) p.kv(1, "smdpAddress", text_dump::quoted(*x.smdp_address));
          if (x.euicc_info1) p.kv(1, "euiccInfo1", text_dump::hex(*x.euicc_info1));
          if (x.eim_transaction_id) p.kv(1, "eimTransactionId", text_dump::hex(*x.eim_transaction_id));
        } else if constexpr (std::is_same_v<T, AuthenticateClientRequestEsipa>) {
          p.line(0, "authenticateClientRequestEsipa");
          p.kv(1, "transactionId", text_dump::hex(x.transaction_id));
          p.kv(1, "authenticateServerResponse", text_dump::hex(x.authenticate_server_response));
        } else if constexpr (std::is_same_v<T, GetBoundProfilePackageRequestEsipa>) {
          p.line(0, "getBoundProfilePackageRequestEsipa");
          p.kv(1, "transactionId", text_dump::hex(x.transaction_id));
          p.kv(1, "prepareDownloadResponse", text_dump::hex(x.prepare_download_response));
        } else if constexpr (std::is_same_v<T, CancelSessionRequestEsipa>) {
          p.line(0, "cancelSessionRequestEsipa");
          p.kv(1, "transactionId", text_dump::hex(x.transaction_id));
          p.kv(1, "cancelSessionResponse", text_dump::hex(x.cancel_session_response));
        } else if constexpr (std::is_same_v<T, TransferEimPackageResponse>) {
          p.line(0, "transferEimPackageResponse");
          std::visit(
              [&](const auto& r) {
                using R = std::decay_t<decltype(r)>;
                if constexpr (std::is_same_v<R, EimPackageReceived>) {
                  p.line(1, "eimPackageReceived");
                } else if constexpr (std::is_same_v<R, EimPackageResultError>) {
                  p.kv(1, "eimPackageError", text_dump::with_name(r.code, text_dump::kEimPackageResultError));
                } else if constexpr (std::is_same_v<R, EuiccPackageResult>) {
                  text_dump::euicc_package_result(p, 1, r, v);
                } else if constexpr (std::is_same_v<R, EprAndNotifications>) {
                  p.line(1, "ePRAndNotifications");
                  text_dump::euicc_package_result(p, 2, r.euicc_package_result, v);
                  p.line(2, "notificationList");
                  for (const auto& n : r.notification_list) text_dump::notification(p, 3, n);
                } else {
                  text_dump::ipa_euicc_data_response(p, 1, r, v);
                }
              },
              x.result);
        } else {
          p.line(0, "handleNotificationEsipa");
          if (const auto* n = std::get_if<PendingNotification>(&x)) {
            p.line(1, "pendingNotification");
            text_dump::notification(p, 2, *n);
          } else {
            text_dump::provide_result(p, 1, std::get<ProvideEimPackageResult>(x), v);
          }
        }
      },
      m);
  return p.take();
}

std::string to_text(const EsipaMessageFromEimToIpa& m, Version v) {
  text_dump::Printer p;
  if (const auto* r = std::get_if<GetEimPackageResponse>(&m)) {
    p.line(0, "getEimPackageResponse");
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, EuiccPackageRequest>) {
            text_dump::euicc_package_request(p, 1, x, v);
          } else if constexpr (std::is_same_v<T, IpaEuiccDataRequest>) {
            text_dump::ipa_euicc_data_request(p, 1, x, v);
          } else if constexpr (std::is_same_v<T, ProfileDownloadTriggerRequest>) {
            text_dump::download_trigger(p, 1, x);
          } else {
            p.kv(1, "eimPackageError", text_dump::with_name(x.code, text_dump::kEimPackageError));
          }
        },
        *r);
  } else if (const auto* ia = std::get_if<InitiateAuthenticationResponseEsipa>(&m)) {
    p.line(0, "initiateAuthenticationResponseEsipa");
    if (const auto* e = std::get_if<InitiateAuthenticationErrorEsipa>(ia)) {
      p.kv(1, "initiateAuthenticationErrorEsipa", std::to_string(e->code));
    } else {
      const auto& ok = std::get<InitiateAuthenticationOkEsipa>(*ia);
      p.line(1, "initiateAuthenticationOkEsipa");
      if (ok.transaction_id) p.kv(2, "transactionId", text_dump::hex(*ok.transaction_id));
      p.kv(2, "serverSigned1", text_dump::hex(ok.server_signed1));
      p.kv(2, "serverSignature1", text_dump::hex(ok.server_signature1));
      p.kv(2, "euiccCiPKIdentifierToBeUsed", text_dump::hex(ok.euicc_ci_pkid_to_be_used));
      p.kv(2, "serverCertificate", text_dump::hex(ok.server_certificate));
      if (ok.matching_id) p.kv(2, "matchingId", text_dump::quoted(*ok.matching_id));
      if (ok.ctx_params1) p.kv(2, "ctxParams1", text_dump::hex(*ok.ctx_params1));
    }
  } else if (const auto* ac = std::get_if<AuthenticateClientResponseEsipa>(&m)) {
    p.line(0, "authenticateClientResponseEsipa");
    if (const auto* e = std::get_if<AuthenticateClientErrorEsipa>(ac)) {
      p.kv(1, "authenticateClientErrorEsipa", std::to_string(e->code));
    } else if (const auto* dp = std::get_if<AuthenticateClientOkDpEsipa>(ac)) {
      p.line(1, "authenticateClientOkDPEsipa");
      if (dp->transaction_id) p.kv(2, "transactionId", text_dump::hex(*dp->transaction_id));
      if (dp->profile_metadata) p.kv(2, "profileMetaData", text_dump::hex(*dp->profile_metadata));
      p.kv(2, "smdpSigned2", text_dump::hex(dp->smdp_signed2));
      p.kv(2, "smdpSignature2", text_dump::hex(dp->smdp_signature2));
      p.kv(2, "smdpCertificate", text_dump::hex(dp->smdp_certificate));
      if (dp->hash_cc) p.kv(2, "hashCc", text_dump::hex(*dp->hash_cc));
    } else {
      const auto& ds = std::get<AuthenticateClientOkDsEsipa>(*ac);
      p.line(1, "authenticateClientOkDSEsipa");
      p.kv(2, "transactionId", text_dump::hex(ds.transaction_id));
      if (ds.profile_download_trigger) text_dump::download_trigger(p, 2, *ds.profile_download_trigger);
    }
  } else if (const auto* bpp = std::get_if<GetBoundProfilePackageResponseEsipa>(&m)) {
    p.line(0, "getBoundProfilePackageResponseEsipa");
    if (const auto* e = std::get_if<GetBoundProfilePackageErrorEsipa>(bpp)) {
      p.kv(1, "getBoundProfilePackageErrorEsipa", std::to_string(e->code));
    } else {
      const auto& ok = std::get<GetBoundProfilePackageOkEsipa>(*bpp);
      p.line(1, "getBoundProfilePackageOkEsipa");
      if (ok.transaction_id) p.kv(2, "transactionId", text_dump::hex(*ok.transaction_id));
      p.kv(2, "boundProfilePackage", text_dump::hex(ok.bound_profile_package));
    }
  } else if (const auto* cs = std::get_if<CancelSessionResponseEsipa>(&m)) {
    p.line(0, "cancelSessionResponseEsipa");
    if (const auto* e = std::get_if<CancelSessionErrorEsipa>(cs)) {
      p.kv(1, "cancelSessionError", std::to_string(e->code));
    } else {
      p.line(1, "cancelSessionOk");
    }
  } else if (const auto* tr = std::get_if<TransferEimPackageRequest>(&m)) {
    p.line(0, "transferEimPackageRequest");
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, EuiccPackageRequest>) {
            text_dump::euicc_package_request(p, 1, x, v);
          } else if constexpr (std::is_same_v<T, IpaEuiccDataRequest>) {
            text_dump::ipa_euicc_data_request(p, 1, x, v);
          } else if constexpr (std::is_same_v<T, EimAcknowledgements>) {
            p.line(1, "eimAcknowledgements");
            for (auto s : x.seq_numbers) p.kv(2, "sequenceNumber", std::to_string(s));
          } else {
            text_dump::download_trigger(p, 1, x);
          }
        },
        tr->package);
  } else {
    const auto& r2 = std::get<ProvideEimPackageResultResponse>(m);
    p.line(0, "provideEimPackageResultResponse");
    using Kind = ProvideEimPackageResultResponse::Kind;
    if (r2.kind == Kind::acknowledgements) {
      p.line(1, "eimAcknowledgements");
      for (auto s : r2.seq_numbers) p.kv(2, "sequenceNumber", std::to_string(s));
    } else if (r2.kind == Kind::empty) {
      p.line(1, "emptyResponse");
    } else {
      p.kv(1, "provideEimPackageResultError", text_dump::with_name(r2.error_code, text_dump::kProvideResultError));
    }
  }
  return p.take();
}

}  // namespace esimo::sgp
