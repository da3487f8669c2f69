// ESipa messages (SGP.32 v1.2 §6.3, v1.0 §6.3): the EsipaMessageFromIpaToEim / EsipaMessageFromEimToIpa CHOICEs are
// untagged, so an HTTP body is exactly the chosen alternative's TLV (BF4F, BF50, BF3D, ...).
// Version differences handled here (ASN.1 of each version, see docs/esipa.md):
//  - GetEimPackageRequest: v1.2 stateChangeCause [1] and rPLMN [2]; v1.0 rPLMN [1].
//  - ProvideEimPackageResult: v1.2 [80] SEQUENCE { eidValue OPTIONAL, EimPackageResult }; v1.0 an untagged CHOICE, so
//    the [80] of the ESipa wrapper is explicit around the chosen alternative, and eimPackageError is a bare INTEGER.
//  - ProvideEimPackageResultResponse: v1.2 [80] CHOICE (acks / emptyResponse / error); v1.0 [80] SEQUENCE { acks OPT }.
//  - HandleNotificationEsipa: v1.2 [61] CHOICE { [0] notification, [80] result }; v1.0 an untagged CHOICE with
//    automatic tags [0]/[1], both explicit because the alternatives are CHOICEs.
#include <string>

#include "sgp/codec.hpp"
#include "sgp/codec_util.hpp"

namespace esimo::sgp {
namespace detail {
namespace esipa_codec {

using der::context;
using der::tag;

constexpr der::Tag kGetEimPackage = tag(0xBF4F), kProvideEimPackageResult = tag(0xBF50),
                   kHandleNotification = tag(0xBF3D), kEimAcknowledgements = tag(0xBF53);

Status put_get_eim_package_request(der::Writer& w, const GetEimPackageRequest& m, Version v) {
  ESIMO_CHECK(check_eid(m.eid, "getEimPackageRequest.eidValue"));
  if (m.state_change_cause && v == Version::v1_0) return unsupported("getEimPackageRequest.stateChangeCause", v);
  if (m.rplmn && m.rplmn->size() != 3) return bad_value("getEimPackageRequest.rPLMN", "must be 3 octets");
  w.constructed(kGetEimPackage, [&] {
    w.octets(kTagEid, m.eid);
    if (m.notify_state_change) w.null(context(0));
    if (m.state_change_cause) w.integer(context(1), *m.state_change_cause);
    if (m.rplmn) w.octets(context(v == Version::v1_2 ? 2 : 1), *m.rplmn);
  });
  return ok_status();
}

Result<GetEimPackageRequest> get_get_eim_package_request(const der::Tlv& t, Version v, const Path& p) {
  GetEimPackageRequest m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv eid, need(r, kTagEid, p / "eidValue"));
  ESIMO_TRY(m.eid, get_octets(eid, p / "eidValue", 16, 16));
  ESIMO_TRY(auto nsc, maybe(r, context(0), p / "notifyStateChange"));
  if (nsc) {
    ESIMO_CHECK(get_null(*nsc, p / "notifyStateChange"));
    m.notify_state_change = true;
  }
  if (v == Version::v1_2) {
    ESIMO_TRY(auto cause, maybe(r, context(1), p / "stateChangeCause"));
    if (cause) {
      ESIMO_TRY(m.state_change_cause, get_int(*cause, p / "stateChangeCause"));
    }
  }
  const der::Tag rplmn_tag = context(v == Version::v1_2 ? 2 : 1);
  ESIMO_TRY(auto rplmn, maybe(r, rplmn_tag, p / "rPLMN"));
  if (rplmn) {
    ESIMO_TRY(m.rplmn, get_octets(*rplmn, p / "rPLMN", 3, 3));
  }
  ESIMO_CHECK(finish_sequence(r, {kTagEid, context(0), context(1), context(2)}, p));
  return m;
}

Status put_get_eim_package_response(der::Writer& w, const GetEimPackageResponse& m, Version v) {
  Status st;
  w.constructed(kGetEimPackage, [&] {  // [79] on a CHOICE: explicit
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, EuiccPackageRequest>) {
            st = put_euicc_package_request(w, x, v);
          } else if constexpr (std::is_same_v<T, IpaEuiccDataRequest>) {
            st = put_ipa_euicc_data_request(w, x, v);
          } else if constexpr (std::is_same_v<T, ProfileDownloadTriggerRequest>) {
            st = put_profile_download_trigger_request(w, x, v);
          } else {
            w.integer(der::kInteger, x.code);
          }
        },
        m);
  });
  return st;
}

Result<GetEimPackageResponse> get_get_eim_package_response(const der::Tlv& t, Version v, const Path& p) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(r, p));
  ESIMO_CHECK(finish_exact(r, p));
  if (alt.tag == tag(0xBF51)) {
    ESIMO_TRY(auto x, get_euicc_package_request(alt, v, p / "euiccPackageRequest"));
    return GetEimPackageResponse(std::move(x));
  }
  if (alt.tag == tag(0xBF52)) {
    ESIMO_TRY(auto x, get_ipa_euicc_data_request(alt, v, p / "ipaEuiccDataRequest"));
    return GetEimPackageResponse(std::move(x));
  }
  if (alt.tag == tag(0xBF54)) {
    ESIMO_TRY(auto x, get_profile_download_trigger_request(alt, v, p / "profileDownloadTriggerRequest"));
    return GetEimPackageResponse(std::move(x));
  }
  if (alt.tag == der::kInteger) {
    ESIMO_TRY(auto code, get_int(alt, p / "eimPackageError"));
    return GetEimPackageResponse(EimPackageError{code});
  }
  return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
}

Status put_notification_list(der::Writer& w, const std::vector<PendingNotification>& list) {
  Status st;
  w.constructed(context(0, true), [&] {
    for (const auto& n : list) {
      if (st.ok()) st = put_pending_notification(w, n);
    }
  });
  return st;
}

Result<std::vector<PendingNotification>> get_notification_list(const der::Tlv& t, const Path& p) {
  std::vector<PendingNotification> out;
  der::Reader r = t.children();
  for (std::size_t i = 0; !r.empty(); ++i) {
    const std::string idx = "[" + std::to_string(i) + "]";
    const Path ip = p / idx;
    ESIMO_TRY(der::Tlv n, next_any(r, ip));
    ESIMO_TRY(PendingNotification pn, get_pending_notification(n, ip));
    out.push_back(std::move(pn));
  }
  return out;
}

// ProfileDownloadTriggerResult ::= [84] SEQUENCE { eimTransactionId [2] OPTIONAL, CHOICE { profileInstallationResult
// [55] (BF37), profileDownloadError SEQUENCE } }. v1.2 profileDownloadError = { [0] reason, errorResponse OCTET STRING
// OPTIONAL } (tagged component present, so errorResponse stays 04); v1.0 = { errorResponse OPTIONAL } alone, which
// automatic tagging turns into [0] (80).
Status put_download_trigger_result(der::Writer& w, const ProfileDownloadTriggerResult& m, Version v) {
  ESIMO_CHECK(check_tid(m.eim_transaction_id, "profileDownloadTriggerResult.eimTransactionId"));
  const bool v12 = v == Version::v1_2;
  if (const auto* e = std::get_if<ProfileDownloadError>(&m.result)) {
    if (v12 && !e->profile_download_error_reason) {
      return bad_value("profileDownloadError.profileDownloadErrorReason", "mandatory in SGP.32 v1.2");
    }
    if (!v12 && e->profile_download_error_reason) {
      return unsupported("profileDownloadError.profileDownloadErrorReason", v);
    }
  } else if (std::get<PendingNotification>(m.result).kind != PendingNotificationKind::profile_installation_result) {
    return bad_value("profileDownloadTriggerResult.profileInstallationResult", "must be a BF37 ProfileInstallationResult");
  }
  Status st;
  w.constructed(tag(0xBF54), [&] {
    if (m.eim_transaction_id) w.octets(context(2), *m.eim_transaction_id);
    if (const auto* e = std::get_if<ProfileDownloadError>(&m.result)) {
      w.constructed(der::kSequence, [&] {
        if (e->profile_download_error_reason) w.integer(context(0), *e->profile_download_error_reason);
        if (e->error_response) w.octets(v12 ? der::kOctetString : context(0), *e->error_response);
      });
    } else {
      st = put_pending_notification(w, std::get<PendingNotification>(m.result));
    }
  });
  return st;
}

Result<ProfileDownloadTriggerResult> get_download_trigger_result(const der::Tlv& t, Version v, const Path& p) {
  const bool v12 = v == Version::v1_2;
  ProfileDownloadTriggerResult m;
  der::Reader r = t.children();
  ESIMO_CHECK(get_tid(r, context(2), p / "eimTransactionId", m.eim_transaction_id));
  const Path dp = p / "profileDownloadTriggerResultData";
  ESIMO_TRY(der::Tlv alt, next_any(r, dp));
  if (alt.tag == tag(0xBF37)) {
    ESIMO_TRY(auto pir, get_pending_notification(alt, dp));
    m.result = std::move(pir);
  } else if (alt.tag == der::kSequence) {
    const Path ep = dp / "profileDownloadError";
    ProfileDownloadError e;
    der::Reader er = alt.children();
    if (v12) {
      ESIMO_TRY(der::Tlv reason, need(er, context(0), ep / "profileDownloadErrorReason"));
      ESIMO_TRY(e.profile_download_error_reason, get_int(reason, ep / "profileDownloadErrorReason"));
    }
    const der::Tag resp_tag = v12 ? der::kOctetString : context(0);
    ESIMO_TRY(auto resp, maybe(er, resp_tag, ep / "errorResponse"));
    if (resp) {
      ESIMO_TRY(e.error_response, get_octets(*resp, ep / "errorResponse"));
    }
    ESIMO_CHECK(finish_sequence(er, {context(0), resp_tag}, ep));
    m.result = std::move(e);
  } else {
    return fail(dp, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
  }
  ESIMO_CHECK(finish_sequence(r, {context(2), tag(0xBF37), der::kSequence}, p));
  return m;
}

// Writes the chosen EimPackageResult alternative (both versions).
Status put_eim_package_result_alt(der::Writer& w, const EimPackageResult& m, Version v) {
  Status st;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, EuiccPackageResult>) {
          st = put_euicc_package_result(w, x, v);
        } else if constexpr (std::is_same_v<T, EprAndNotifications>) {
          w.constructed(der::kSequence, [&] {
            st = put_euicc_package_result(w, x.euicc_package_result, v);
            if (!st.ok()) return;
            if (v == Version::v1_2) {
              st = put_notification_list(w, x.notification_list);
            } else {
              // v1.0: notificationList [43] SGP32-RetrieveNotificationsListResponse (an untagged CHOICE, so BF2B is
              // explicit), alternative notificationList [0].
              w.constructed(tag(0xBF2B), [&] { st = put_notification_list(w, x.notification_list); });
            }
          });
        } else if constexpr (std::is_same_v<T, IpaEuiccDataResponse>) {
          st = put_ipa_euicc_data_response(w, x, v);
        } else if constexpr (std::is_same_v<T, ProfileDownloadTriggerResult>) {
          st = put_download_trigger_result(w, x, v);
        } else {
          if (v == Version::v1_2) {
            st = check_tid(x.eim_transaction_id, "eimPackageResultResponseError.eimTransactionId");
            w.constructed(context(0, true), [&] {
              if (x.eim_transaction_id) w.octets(context(0), *x.eim_transaction_id);
              w.integer(der::kInteger, x.code);
            });
          } else {
            if (x.eim_transaction_id) {
              st = unsupported("eimPackageError.eimTransactionId", v);
              return;
            }
            w.integer(der::kInteger, x.code);
          }
        }
      },
      m);
  return st;
}

Result<EimPackageResult> get_eim_package_result_alt(const der::Tlv& alt, Version v, const Path& p) {
  if (alt.tag == tag(0xBF51)) {
    ESIMO_TRY(auto x, get_euicc_package_result(alt, v, p / "euiccPackageResult"));
    return EimPackageResult(std::move(x));
  }
  if (alt.tag == der::kSequence) {
    const Path q = p / "ePRAndNotifications";
    EprAndNotifications e;
    der::Reader r = alt.children();
    ESIMO_TRY(der::Tlv epr, need(r, tag(0xBF51), q / "euiccPackageResult"));
    ESIMO_TRY(e.euicc_package_result, get_euicc_package_result(epr, v, q / "euiccPackageResult"));
    if (v == Version::v1_2) {
      ESIMO_TRY(der::Tlv nl, need(r, context(0, true), q / "notificationList"));
      ESIMO_TRY(e.notification_list, get_notification_list(nl, q / "notificationList"));
    } else {
      ESIMO_TRY(der::Tlv nl, need(r, tag(0xBF2B), q / "notificationList"));
      der::Reader cr = nl.children();
      ESIMO_TRY(der::Tlv inner, next_any(cr, q / "notificationList"));
      if (inner.tag != context(0, true)) {
        return fail(q / "notificationList", "offset " + std::to_string(inner.offset) +
                                                ": only the notificationList alternative (A0) is supported, found " +
                                                der::tag_to_string(inner.tag));
      }
      ESIMO_CHECK(finish_exact(cr, q / "notificationList"));
      ESIMO_TRY(e.notification_list, get_notification_list(inner, q / "notificationList"));
    }
    ESIMO_CHECK(finish_sequence(r, {tag(0xBF51), context(0, true), tag(0xBF2B)}, q));
    return EimPackageResult(std::move(e));
  }
  if (alt.tag == tag(0xBF52)) {
    ESIMO_TRY(auto x, get_ipa_euicc_data_response(alt, v, p / "ipaEuiccDataResponse"));
    return EimPackageResult(std::move(x));
  }
  if (alt.tag == tag(0xBF54)) {
    ESIMO_TRY(auto x, get_download_trigger_result(alt, v, p / "profileDownloadTriggerResult"));
    return EimPackageResult(std::move(x));
  }
  if (v == Version::v1_2 && alt.tag == context(0, true)) {
    const Path q = p / "eimPackageResultResponseError";
    EimPackageResultError e;
    der::Reader r = alt.children();
    ESIMO_CHECK(get_tid(r, context(0), q / "eimTransactionId", e.eim_transaction_id));
    ESIMO_TRY(der::Tlv code, need(r, der::kInteger, q / "eimPackageResultErrorCode"));
    ESIMO_TRY(e.code, get_int(code, q / "eimPackageResultErrorCode"));
    ESIMO_CHECK(finish_sequence(r, {context(0), der::kInteger}, q));
    return EimPackageResult(std::move(e));
  }
  if (v == Version::v1_0 && alt.tag == der::kInteger) {
    EimPackageResultError e;
    ESIMO_TRY(e.code, get_int(alt, p / "eimPackageError"));
    return EimPackageResult(std::move(e));
  }
  return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag) +
                     " for SGP.32 v" + version_name(v));
}

// ProvideEimPackageResult under `outer` (BF50 in the ESipa wrapper and v1.2 HandleNotification; A1 in v1.0
// HandleNotification).
Status put_provide_result(der::Writer& w, der::Tag outer, const ProvideEimPackageResult& m, Version v) {
  if (m.eid && v == Version::v1_0) return unsupported("provideEimPackageResult.eidValue", v);
  if (m.eid) ESIMO_CHECK(check_eid(*m.eid, "provideEimPackageResult.eidValue"));
  Status st;
  w.constructed(outer, [&] {
    if (m.eid) w.octets(kTagEid, *m.eid);
    st = put_eim_package_result_alt(w, m.result, v);
  });
  return st;
}

Result<ProvideEimPackageResult> get_provide_result(const der::Tlv& t, Version v, const Path& p) {
  ProvideEimPackageResult m;
  der::Reader r = t.children();
  if (v == Version::v1_2) {
    ESIMO_TRY(auto eid, maybe(r, kTagEid, p / "eidValue"));
    if (eid) {
      ESIMO_TRY(m.eid, get_octets(*eid, p / "eidValue", 16, 16));
    }
  }
  ESIMO_TRY(der::Tlv alt, next_any(r, p / "eimPackageResult"));
  ESIMO_TRY(m.result, get_eim_package_result_alt(alt, v, p / "eimPackageResult"));
  if (v == Version::v1_2) {
    ESIMO_CHECK(finish_sequence(r, {kTagEid}, p));
  } else {
    ESIMO_CHECK(finish_exact(r, p));  // explicit tag around a CHOICE: exactly one element
  }
  return m;
}

void put_acknowledgements(der::Writer& w, const std::vector<std::int64_t>& seq_numbers) {
  w.constructed(kEimAcknowledgements, [&] {
    for (auto n : seq_numbers) w.integer(context(0), n);  // SequenceNumber ::= [0] INTEGER
  });
}

Result<std::vector<std::int64_t>> get_acknowledgements(const der::Tlv& t, const Path& p) {
  std::vector<std::int64_t> out;
  der::Reader r = t.children();
  for (std::size_t i = 0; !r.empty(); ++i) {
    const std::string idx = "[" + std::to_string(i) + "]";
    ESIMO_TRY(der::Tlv s, need(r, context(0), p / idx));
    ESIMO_TRY(auto n, get_int(s, p / idx));
    out.push_back(n);
  }
  return out;
}

Status put_provide_result_response(der::Writer& w, const ProvideEimPackageResultResponse& m, Version v) {
  using Kind = ProvideEimPackageResultResponse::Kind;
  if (m.kind == Kind::error && v == Version::v1_0) return unsupported("provideEimPackageResultError", v);
  w.constructed(kProvideEimPackageResult, [&] {
    if (m.kind == Kind::acknowledgements) {
      put_acknowledgements(w, m.seq_numbers);
    } else if (m.kind == Kind::empty) {
      if (v == Version::v1_2) w.constructed(der::kSequence, [] {});  // emptyResponse SEQUENCE {}
    } else {
      w.integer(der::kInteger, m.error_code);
    }
  });
  return ok_status();
}

Result<ProvideEimPackageResultResponse> get_provide_result_response(const der::Tlv& t, Version v, const Path& p) {
  using Kind = ProvideEimPackageResultResponse::Kind;
  ProvideEimPackageResultResponse m;
  der::Reader r = t.children();
  if (r.empty()) {
    if (v == Version::v1_2) return fail(p, "offset " + std::to_string(r.offset()) + ": missing CHOICE alternative");
    m.kind = Kind::empty;
    return m;
  }
  ESIMO_TRY(der::Tlv alt, next_any(r, p));
  if (alt.tag == kEimAcknowledgements) {
    m.kind = Kind::acknowledgements;
    der::Reader ar = alt.children();
    for (std::size_t i = 0; !ar.empty(); ++i) {
      const std::string idx = "eimAcknowledgements[" + std::to_string(i) + "]";
      ESIMO_TRY(der::Tlv s, need(ar, context(0), p / idx));
      ESIMO_TRY(auto n, get_int(s, p / idx));
      m.seq_numbers.push_back(n);
    }
  } else if (v == Version::v1_2 && alt.tag == der::kSequence) {
    m.kind = Kind::empty;
    der::Reader er = alt.children();
    ESIMO_CHECK(finish_sequence(er, {}, p / "emptyResponse"));
  } else if (v == Version::v1_2 && alt.tag == der::kInteger) {
    m.kind = Kind::error;
    ESIMO_TRY(m.error_code, get_int(alt, p / "provideEimPackageResultError"));
  } else {
    return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag) +
                       " for SGP.32 v" + version_name(v));
  }
  if (v == Version::v1_2) {
    ESIMO_CHECK(finish_exact(r, p));
  } else {
    ESIMO_CHECK(finish_sequence(r, {kEimAcknowledgements}, p));
  }
  return m;
}

Status put_handle_notification(der::Writer& w, const HandleNotificationEsipa& m, Version v) {
  Status st;
  w.constructed(kHandleNotification, [&] {
    if (const auto* n = std::get_if<PendingNotification>(&m)) {
      // pendingNotification [0] SGP32-PendingNotification: a tag on a CHOICE, explicit (both versions).
      w.constructed(context(0, true), [&] { st = put_pending_notification(w, *n); });
    } else {
      const auto& pr = std::get<ProvideEimPackageResult>(m);
      st = put_provide_result(w, v == Version::v1_2 ? kProvideEimPackageResult : context(1, true), pr, v);
    }
  });
  return st;
}

Result<HandleNotificationEsipa> get_handle_notification(const der::Tlv& t, Version v, const Path& p) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(r, p));
  ESIMO_CHECK(finish_exact(r, p));
  if (alt.tag == context(0, true)) {
    const Path q = p / "pendingNotification";
    der::Reader nr = alt.children();
    ESIMO_TRY(der::Tlv n, next_any(nr, q));
    ESIMO_CHECK(finish_exact(nr, q));
    ESIMO_TRY(auto pn, get_pending_notification(n, q));
    return HandleNotificationEsipa(std::move(pn));
  }
  const der::Tag result_tag = v == Version::v1_2 ? kProvideEimPackageResult : context(1, true);
  if (alt.tag == result_tag) {
    ESIMO_TRY(auto pr, get_provide_result(alt, v, p / "provideEimPackageResult"));
    return HandleNotificationEsipa(std::move(pr));
  }
  return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag) +
                     " for SGP.32 v" + version_name(v));
}

constexpr der::Tag kTransferEimPackage = tag(0xBF4E);

// TransferEimPackageRequest ::= [78] CHOICE { BF51 | BF52 | BF53 | BF54 } (explicit tag on the CHOICE).
Status put_transfer_request(der::Writer& w, const TransferEimPackageRequest& m, Version v) {
  Status st;
  w.constructed(kTransferEimPackage, [&] {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, EuiccPackageRequest>) {
            st = put_euicc_package_request(w, x, v);
          } else if constexpr (std::is_same_v<T, IpaEuiccDataRequest>) {
            st = put_ipa_euicc_data_request(w, x, v);
          } else if constexpr (std::is_same_v<T, EimAcknowledgements>) {
            put_acknowledgements(w, x.seq_numbers);
          } else {
            st = put_profile_download_trigger_request(w, x, v);
          }
        },
        m.package);
  });
  return st;
}

Result<TransferEimPackageRequest> get_transfer_request(const der::Tlv& t, Version v, const Path& p) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(r, p));
  ESIMO_CHECK(finish_exact(r, p));
  TransferEimPackageRequest m;
  if (alt.tag == tag(0xBF51)) {
    ESIMO_TRY(auto x, get_euicc_package_request(alt, v, p / "euiccPackageRequest"));
    m.package = std::move(x);
  } else if (alt.tag == tag(0xBF52)) {
    ESIMO_TRY(auto x, get_ipa_euicc_data_request(alt, v, p / "ipaEuiccDataRequest"));
    m.package = std::move(x);
  } else if (alt.tag == kEimAcknowledgements) {
    ESIMO_TRY(auto x, get_acknowledgements(alt, p / "eimAcknowledgements"));
    m.package = EimAcknowledgements{std::move(x)};
  } else if (alt.tag == tag(0xBF54)) {
    ESIMO_TRY(auto x, get_profile_download_trigger_request(alt, v, p / "profileDownloadTriggerRequest"));
    m.package = std::move(x);
  } else {
    return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
  }
  return m;
}

// TransferEimPackageResponse ::= [78] CHOICE { BF51 | ePRAndNotifications 30 | BF52 | eimPackageReceived NULL |
// eimPackageError INTEGER } (same shape in v1.0, where ePRAndNotifications carries the BF2B wrapper).
Status put_transfer_response(der::Writer& w, const TransferEimPackageResponse& m, Version v) {
  Status st;
  w.constructed(kTransferEimPackage, [&] {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, EimPackageReceived>) {
            w.null(der::kNull);
          } else if constexpr (std::is_same_v<T, EimPackageResultError>) {
            if (x.eim_transaction_id) {
              st = bad_value("transferEimPackageResponse.eimPackageError", "has no transaction id");
              return;
            }
            w.integer(der::kInteger, x.code);
          } else {
            st = put_eim_package_result_alt(w, EimPackageResult(x), v);
          }
        },
        m.result);
  });
  return st;
}

Result<TransferEimPackageResponse> get_transfer_response(const der::Tlv& t, Version v, const Path& p) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(r, p));
  ESIMO_CHECK(finish_exact(r, p));
  TransferEimPackageResponse m;
  if (alt.tag == der::kNull) {
    ESIMO_CHECK(get_null(alt, p / "eimPackageReceived"));
    m.result = EimPackageReceived{};
    return m;
  }
  if (alt.tag == der::kInteger) {
    EimPackageResultError e;
    ESIMO_TRY(e.code, get_int(alt, p / "eimPackageError"));
    m.result = e;
    return m;
  }
  if (alt.tag == tag(0xBF51) || alt.tag == der::kSequence || alt.tag == tag(0xBF52)) {
    ESIMO_TRY(auto x, get_eim_package_result_alt(alt, v, p));
    if (auto* a = std::get_if<EuiccPackageResult>(&x)) {
      m.result = std::move(*a);
    } else if (auto* b = std::get_if<EprAndNotifications>(&x)) {
      m.result = std::move(*b);
    } else {
      m.result = std::move(std::get<IpaEuiccDataResponse>(x));
    }
    return m;
  }
  return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
}


}  // namespace esipa_codec

// ---- IpaEuiccDataResponse (v1.2 §2.11.2.2 / v1.0 §2.11.2.2) ----
// v1.2: [82] CHOICE { ipaEuiccData SEQUENCE, ipaEuiccDataResponseError SEQUENCE } -> automatic tags A0 / A1.
// v1.0: [82] CHOICE { ipaEuiccData SEQUENCE, ipaEuiccDataError INTEGER } -> automatic tags A0 / 81.
namespace ipa_data_codec {

using der::context;
using der::tag;

Status put_certificate(der::Writer& w, der::Tag t, const Bytes& cert, const char* field_name) {
  auto tlv = der::read_single(cert);
  if (!tlv.ok() || tlv->tag != der::kSequence) return bad_value(field_name, "must be one DER Certificate (SEQUENCE)");
  w.constructed(t, [&] { w.raw(tlv->value); });
  return ok_status();
}
Bytes certificate_from(const der::Tlv& t) {
  der::Writer w;
  w.constructed(der::kSequence, [&] { w.raw(t.value); });
  return w.take();
}

Status put_data(der::Writer& w, const IpaEuiccData& d, Version v) {
  const bool v12 = v == Version::v1_2;
  if (!v12 && d.euicc_package_result_list) return unsupported("ipaEuiccData.euiccPackageResultList", v);
  if (!v12 && d.eim_transaction_id) return unsupported("ipaEuiccData.eimTransactionId", v);
  ESIMO_CHECK(check_tid(d.eim_transaction_id, "ipaEuiccData.eimTransactionId"));
  for (const auto* info : {&d.euicc_info1, &d.euicc_info2}) {
    if (!*info) continue;
    auto t = der::read_single(**info);
    const der::Tag want = info == &d.euicc_info1 ? tag(0xBF20) : tag(0xBF22);
    if (!t.ok() || t->tag != want) {
      return bad_value(info == &d.euicc_info1 ? "ipaEuiccData.euiccInfo1" : "ipaEuiccData.euiccInfo2",
                       "must be one DER TLV with tag " + der::tag_to_string(want));
    }
  }
  Status st;
  auto keep = [&st](Status s) {
    if (st.ok()) st = std::move(s);
  };
  w.constructed(context(0, true), [&] {  // ipaEuiccData (automatic [0])
    if (v12 && d.notifications_list) keep(esipa_codec::put_notification_list(w, *d.notifications_list));
    if (d.default_smdp_address) w.utf8(context(v12 ? 1 : 0), *d.default_smdp_address);
    if (v12 && d.euicc_package_result_list) {
      w.constructed(context(2, true), [&] {
        for (const auto& r : *d.euicc_package_result_list) keep(put_euicc_package_result(w, r, v));
      });
    }
    if (d.euicc_info1) w.raw(*d.euicc_info1);
    if (d.euicc_info2) w.raw(*d.euicc_info2);
    if (d.root_smds_address) w.utf8(context(3), *d.root_smds_address);
    if (d.association_token) w.integer(context(4), *d.association_token);
    if (d.eum_certificate) keep(put_certificate(w, context(5, true), *d.eum_certificate, "eumCertificate"));
    if (d.euicc_certificate) keep(put_certificate(w, context(6, true), *d.euicc_certificate, "euiccCertificate"));
    if (d.eim_transaction_id) w.octets(context(7), *d.eim_transaction_id);
    if (d.ipa_capabilities) w.constructed(context(8, true), [&] { w.raw(*d.ipa_capabilities); });
    if (d.device_info) w.constructed(context(9, true), [&] { w.raw(*d.device_info); });
    if (!v12 && d.notifications_list) {
      w.constructed(tag(0xBF2B), [&] { keep(esipa_codec::put_notification_list(w, *d.notifications_list)); });
    }
  });
  return st;
}

Result<IpaEuiccData> get_data(const der::Tlv& t, Version v, const Path& p) {
  const bool v12 = v == Version::v1_2;
  IpaEuiccData d;
  der::Reader r = t.children();
  if (v12) {
    ESIMO_TRY(auto nl, maybe(r, context(0, true), p / "notificationsList"));
    if (nl) {
      ESIMO_TRY(d.notifications_list, esipa_codec::get_notification_list(*nl, p / "notificationsList"));
    }
  }
  ESIMO_TRY(auto dp, maybe(r, context(v12 ? 1 : 0), p / "defaultSmdpAddress"));
  if (dp) {
    ESIMO_TRY(d.default_smdp_address, get_utf8(*dp, p / "defaultSmdpAddress"));
  }
  if (v12) {
    const Path lp = p / "euiccPackageResultList";
    ESIMO_TRY(auto list, maybe(r, context(2, true), lp));
    if (list) {
      std::vector<EuiccPackageResult> out;
      der::Reader lr = list->children();
      for (std::size_t i = 0; !lr.empty(); ++i) {
        const std::string idx = "[" + std::to_string(i) + "]";
        const Path ip = lp / idx;
        ESIMO_TRY(der::Tlv e, next_any(lr, ip));
        ESIMO_TRY(auto epr, get_euicc_package_result(e, v, ip));
        out.push_back(std::move(epr));
      }
      d.euicc_package_result_list = std::move(out);
    }
  }
  ESIMO_TRY(auto i1, maybe(r, tag(0xBF20), p / "euiccInfo1"));
  if (i1) d.euicc_info1 = Bytes(i1->raw.begin(), i1->raw.end());
  ESIMO_TRY(auto i2, maybe(r, tag(0xBF22), p / "euiccInfo2"));
  if (i2) d.euicc_info2 = Bytes(i2->raw.begin(), i2->raw.end());
  ESIMO_TRY(auto root, maybe(r, context(3), p / "rootSmdsAddress"));
  if (root) {
    ESIMO_TRY(d.root_smds_address, get_utf8(*root, p / "rootSmdsAddress"));
  }
  ESIMO_TRY(auto tok, maybe(r, context(4), p / "associationToken"));
  if (tok) {
    ESIMO_TRY(d.association_token, get_int(*tok, p / "associationToken"));
  }
  ESIMO_TRY(auto eum, maybe(r, context(5, true), p / "eumCertificate"));
  if (eum) d.eum_certificate = certificate_from(*eum);
  ESIMO_TRY(auto euicc, maybe(r, context(6, true), p / "euiccCertificate"));
  if (euicc) d.euicc_certificate = certificate_from(*euicc);
  if (v12) {
    ESIMO_CHECK(get_tid(r, context(7), p / "eimTransactionId", d.eim_transaction_id));
  }
  ESIMO_TRY(auto caps, maybe(r, context(8, true), p / "ipaCapabilities"));
  if (caps) d.ipa_capabilities = Bytes(caps->value.begin(), caps->value.end());
  ESIMO_TRY(auto dev, maybe(r, context(9, true), p / "deviceInfo"));
  if (dev) d.device_info = Bytes(dev->value.begin(), dev->value.end());
  if (!v12) {
    const Path np = p / "notificationsList";
    ESIMO_TRY(auto nl, maybe(r, tag(0xBF2B), np));
    if (nl) {
      der::Reader cr = nl->children();
      ESIMO_TRY(der::Tlv inner, next_any(cr, np));
      if (inner.tag != context(0, true)) {
        return fail(np, "offset " + std::to_string(inner.offset) +
                            ": only the notificationList alternative (A0) is supported, found " +
                            der::tag_to_string(inner.tag));
      }
      ESIMO_CHECK(finish_exact(cr, np));
      ESIMO_TRY(d.notifications_list, esipa_codec::get_notification_list(inner, np));
    }
  }
  // Every contained structure must at least be well-formed DER.
  for (const auto* raw : {&d.euicc_info1, &d.euicc_info2}) {
    if (!*raw) continue;
    der::Reader inner(**raw);
    ESIMO_TRY(der::Tlv x, next_any(inner, p));
    der::Reader cr = x.children();
    ESIMO_CHECK(field(cr.skip_extensions(), p / (raw == &d.euicc_info1 ? "euiccInfo1" : "euiccInfo2")));
  }
  for (const auto& tlv : {eum, euicc, caps, dev}) {
    if (!tlv) continue;
    der::Reader cr = tlv->children();
    ESIMO_CHECK(field(cr.skip_extensions(), p));
  }
  ESIMO_CHECK(finish_sequence(r,
                              {context(0, true), context(1), context(0), context(2, true), tag(0xBF20), tag(0xBF22),
                               context(3), context(4), context(5, true), context(6, true), context(7),
                               context(8, true), context(9, true), tag(0xBF2B)},
                              p));
  return d;
}

}  // namespace ipa_data_codec

Status put_ipa_euicc_data_response(der::Writer& w, const IpaEuiccDataResponse& m, Version v) {
  Status st;
  w.constructed(der::tag(0xBF52), [&] {
    if (const auto* d = std::get_if<IpaEuiccData>(&m)) {
      st = ipa_data_codec::put_data(w, *d, v);
      return;
    }
    const auto& e = std::get<IpaEuiccDataError>(m);
    if (v == Version::v1_2) {
      st = check_tid(e.eim_transaction_id, "ipaEuiccDataResponseError.eimTransactionId");
      w.constructed(der::context(1, true), [&] {
        if (e.eim_transaction_id) w.octets(der::context(0), *e.eim_transaction_id);
        w.integer(der::kInteger, e.code);
      });
    } else {
      if (e.eim_transaction_id) {
        st = unsupported("ipaEuiccDataError.eimTransactionId", v);
        return;
      }
      w.integer(der::context(1), e.code);
    }
  });
  return st;
}

Result<IpaEuiccDataResponse> get_ipa_euicc_data_response(const der::Tlv& t, Version v, const Path& p) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(r, p));
  ESIMO_CHECK(finish_exact(r, p));
  if (alt.tag == der::context(0, true)) {
    ESIMO_TRY(auto d, ipa_data_codec::get_data(alt, v, p / "ipaEuiccData"));
    return IpaEuiccDataResponse(std::move(d));
  }
  if (v == Version::v1_2 && alt.tag == der::context(1, true)) {
    const Path q = p / "ipaEuiccDataResponseError";
    IpaEuiccDataError e;
    der::Reader er = alt.children();
    ESIMO_CHECK(get_tid(er, der::context(0), q / "eimTransactionId", e.eim_transaction_id));
    ESIMO_TRY(der::Tlv code, need(er, der::kInteger, q / "ipaEuiccDataErrorCode"));
    ESIMO_TRY(e.code, get_int(code, q / "ipaEuiccDataErrorCode"));
    ESIMO_CHECK(finish_sequence(er, {der::context(0), der::kInteger}, q));
    return IpaEuiccDataResponse(std::move(e));
  }
  if (v == Version::v1_0 && alt.tag == der::context(1)) {
    IpaEuiccDataError e;
    ESIMO_TRY(e.code, get_int(alt, p / "ipaEuiccDataError"));
    return IpaEuiccDataResponse(std::move(e));
  }
  return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag) +
                     " for SGP.32 v" + version_name(v));
}

}  // namespace detail

Result<Bytes> encode(const EsipaMessageFromIpaToEim& m, Version v) {
  der::Writer w;
  Status st;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, GetEimPackageRequest>) {
          st = detail::esipa_codec::put_get_eim_package_request(w, x, v);
        } else if constexpr (std::is_same_v<T, ProvideEimPackageResult>) {
          st = detail::esipa_codec::put_provide_result(w, detail::esipa_codec::kProvideEimPackageResult, x, v);
        } else if constexpr (std::is_same_v<T, HandleNotificationEsipa>) {
          st = detail::esipa_codec::put_handle_notification(w, x, v);
        } else if constexpr (std::is_same_v<T, TransferEimPackageResponse>) {
          st = detail::esipa_codec::put_transfer_response(w, x, v);
        } else {
          st = detail::put_download_request(w, m, v);
        }
      },
      m);
  ESIMO_CHECK(st);
  return w.take();
}

Result<Bytes> encode(const EsipaMessageFromEimToIpa& m, Version v) {
  der::Writer w;
  Status st;
  if (const auto* r = std::get_if<GetEimPackageResponse>(&m)) {
    st = detail::esipa_codec::put_get_eim_package_response(w, *r, v);
  } else if (const auto* pr = std::get_if<ProvideEimPackageResultResponse>(&m)) {
    st = detail::esipa_codec::put_provide_result_response(w, *pr, v);
  } else if (const auto* tr = std::get_if<TransferEimPackageRequest>(&m)) {
    st = detail::esipa_codec::put_transfer_request(w, *tr, v);
  } else {
    st = detail::put_download_response(w, m, v);
  }
  ESIMO_CHECK(st);
  return w.take();
}

Result<EsipaMessageFromIpaToEim> decode_ipa_to_eim(ByteView der_bytes, Version v) {
  namespace ec = detail::esipa_codec;
  const detail::Path root{nullptr, "esipaMessageFromIpaToEim"};
  auto t = der::read_single(der_bytes);
  if (!t.ok()) return detail::wrap(root, std::move(t).error());
  if (t->tag == ec::kGetEimPackage) {
    ESIMO_TRY(auto m, ec::get_get_eim_package_request(*t, v, root / "getEimPackageRequest"));
    return EsipaMessageFromIpaToEim(std::move(m));
  }
  if (t->tag == ec::kProvideEimPackageResult) {
    ESIMO_TRY(auto m, ec::get_provide_result(*t, v, root / "provideEimPackageResult"));
    return EsipaMessageFromIpaToEim(std::move(m));
  }
  if (t->tag == ec::kHandleNotification) {
    ESIMO_TRY(auto m, ec::get_handle_notification(*t, v, root / "handleNotificationEsipa"));
    return EsipaMessageFromIpaToEim(std::move(m));
  }
  if (auto dl = detail::get_download_request(*t, v, root)) return std::move(*dl);
  if (t->tag == ec::kTransferEimPackage) {
    ESIMO_TRY(auto m, ec::get_transfer_response(*t, v, root / "transferEimPackageResponse"));
    return EsipaMessageFromIpaToEim(std::move(m));
  }
  return detail::fail(root, "offset 0: unknown message tag " + der::tag_to_string(t->tag));
}

Result<EsipaMessageFromEimToIpa> decode_eim_to_ipa(ByteView der_bytes, Version v) {
  namespace ec = detail::esipa_codec;
  const detail::Path root{nullptr, "esipaMessageFromEimToIpa"};
  auto t = der::read_single(der_bytes);
  if (!t.ok()) return detail::wrap(root, std::move(t).error());
  if (t->tag == ec::kGetEimPackage) {
    ESIMO_TRY(auto m, ec::get_get_eim_package_response(*t, v, root / "getEimPackageResponse"));
    return EsipaMessageFromEimToIpa(std::move(m));
  }
  if (t->tag == ec::kProvideEimPackageResult) {
    ESIMO_TRY(auto m, ec::get_provide_result_response(*t, v, root / "provideEimPackageResultResponse"));
    return EsipaMessageFromEimToIpa(std::move(m));
  }
  if (auto dl = detail::get_download_response(*t, v, root)) return std::move(*dl);
  if (t->tag == ec::kTransferEimPackage) {
    ESIMO_TRY(auto m, ec::get_transfer_request(*t, v, root / "transferEimPackageRequest"));
    return EsipaMessageFromEimToIpa(std::move(m));
  }
  return detail::fail(root, "offset 0: unknown message tag " + der::tag_to_string(t->tag));
}

}  // namespace esimo::sgp
