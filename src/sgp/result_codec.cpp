// EuiccPackageResult (SGP.32 v1.2 §2.11.2.1, v1.0 §2.11.2.1) and SGP32-PendingNotification (§5.14.7).
// EuiccPackageResult's alternatives carry no tags, so they are automatically tagged [0] [1] [2] (A0 A1 A2) inside the
// BF51 wrapper; the data-signed SEQUENCEs inside have tagged components and keep universal tags where untagged.
#include <string>

#include "sgp/codec.hpp"
#include "sgp/codec_util.hpp"

namespace esimo::sgp {

const char* euicc_result_kind_name(EuiccResultKind k) {
  switch (k) {
    case EuiccResultKind::enable: return "enableResult";
    case EuiccResultKind::disable: return "disableResult";
    case EuiccResultKind::delete_profile: return "deleteResult";
    case EuiccResultKind::list_profile_info: return "listProfileInfoResult";
    case EuiccResultKind::get_rat: return "getRATResult";
    case EuiccResultKind::configure_immediate_enable: return "configureImmediateEnableResult";
    case EuiccResultKind::add_eim: return "addEimResult";
    case EuiccResultKind::delete_eim: return "deleteEimResult";
    case EuiccResultKind::update_eim: return "updateEimResult";
    case EuiccResultKind::list_eim: return "listEimResult";
    case EuiccResultKind::rollback: return "rollbackResult";
    case EuiccResultKind::set_fallback_attribute: return "setFallbackAttributeResult";
    case EuiccResultKind::unset_fallback_attribute: return "unsetFallbackAttributeResult";
    case EuiccResultKind::processing_terminated: return "processingTerminated";
    case EuiccResultKind::set_default_dp_address: return "setDefaultDpAddressResult";
  }
  return "?";
}

namespace detail {
namespace result_codec {

using der::context;
using der::tag;

struct SimpleKind {
  EuiccResultKind kind;
  der::Tag tag;
  bool v12_only;
};
// EuiccResultData alternatives whose value is a plain INTEGER under an implicit tag.
constexpr SimpleKind kSimpleKinds[] = {
    {EuiccResultKind::enable, tag(0x83), false},
    {EuiccResultKind::disable, tag(0x84), false},
    {EuiccResultKind::delete_profile, tag(0x85), false},
    {EuiccResultKind::configure_immediate_enable, tag(0x87), false},
    {EuiccResultKind::delete_eim, tag(0x89), false},
    {EuiccResultKind::update_eim, tag(0x8A), false},
    {EuiccResultKind::rollback, tag(0x8C), false},
    {EuiccResultKind::set_fallback_attribute, tag(0x8D), true},
    {EuiccResultKind::unset_fallback_attribute, tag(0x8E), true},
    {EuiccResultKind::processing_terminated, der::kInteger, false},
};
constexpr der::Tag kListProfileInfo = tag(0xBF2D), kGetRat = tag(0xA6), kAddEim = tag(0xA8), kListEim = tag(0xAB),
                   kSetDefaultDp = tag(0xBF65), kProfileInfo = tag(0xE3);

// ProfileInfo (E3) fields esimo reads, in ASN.1 order; everything else (icon, PPRs, owner, ...) is skipped.
Status put_profile_info(der::Writer& w, const ProfileInfo& pi, Version v) {
  if (pi.fallback_attribute && v == Version::v1_0) return unsupported("profileInfo.fallbackAttribute", v);
  w.constructed(kProfileInfo, [&] {
    if (pi.iccid) w.octets(kTagIccid, *pi.iccid);
    if (pi.isdp_aid) w.octets(tag(0x4F), *pi.isdp_aid);
    if (pi.profile_state) w.integer(tag(0x9F70), *pi.profile_state);
    if (pi.profile_nickname) w.utf8(tag(0x90), *pi.profile_nickname);
    if (pi.service_provider_name) w.utf8(tag(0x91), *pi.service_provider_name);
    if (pi.profile_name) w.utf8(tag(0x92), *pi.profile_name);
    if (pi.profile_class) w.integer(tag(0x95), *pi.profile_class);
    // DEFAULT FALSE: DER omits the default value (X.690 §11.5).
    if (pi.fallback_attribute && *pi.fallback_attribute) w.boolean(tag(0x9F26), true);
  });
  return ok_status();
}

Result<ProfileInfo> get_profile_info(const der::Tlv& t, Version v, const Path& p) {
  ProfileInfo pi;
  der::Reader r = t.children();
  constexpr der::Tag order[] = {kTagIccid, tag(0x4F), tag(0x9F70), tag(0x90), tag(0x91), tag(0x92), tag(0x95),
                                tag(0x9F26)};
  int last = -1;
  while (!r.empty()) {
    ESIMO_TRY(der::Tlv x, next_any(r, p));
    int idx = -1;
    for (int i = 0; i < 8; ++i) {
      if (x.tag == order[i]) idx = i;
    }
    if (idx < 0) continue;  // a ProfileInfo field esimo does not interpret (icon, profileOwner, ...)
    if (idx == 7 && v == Version::v1_0) continue;
    if (idx <= last) {
      return fail(p, "offset " + std::to_string(x.offset) + ": tag " + der::tag_to_string(x.tag) +
                         " duplicated or out of order");
    }
    last = idx;
    switch (idx) {
      case 0: {
        ESIMO_TRY(pi.iccid, get_octets(x, p / "iccid", 10, 10));
        break;
      }
      case 1: {
        ESIMO_TRY(pi.isdp_aid, get_octets(x, p / "isdpAid", 1, 16));
        break;
      }
      case 2: {
        ESIMO_TRY(pi.profile_state, get_int(x, p / "profileState"));
        break;
      }
      case 3: {
        ESIMO_TRY(pi.profile_nickname, get_utf8(x, p / "profileNickname"));
        break;
      }
      case 4: {
        ESIMO_TRY(pi.service_provider_name, get_utf8(x, p / "serviceProviderName"));
        break;
      }
      case 5: {
        ESIMO_TRY(pi.profile_name, get_utf8(x, p / "profileName"));
        break;
      }
      case 6: {
        ESIMO_TRY(pi.profile_class, get_int(x, p / "profileClass"));
        break;
      }
      default: {
        ESIMO_TRY(bool fb, field(der::read_boolean(x), p / "fallbackAttribute"));
        if (!fb) return fail(p / "fallbackAttribute", "DEFAULT FALSE must be omitted in DER, not encoded");
        pi.fallback_attribute = true;
        break;
      }
    }
  }
  return pi;
}

Status put_result_data(der::Writer& w, const EuiccResultData& d, Version v) {
  for (const auto& s : kSimpleKinds) {
    if (s.kind != d.kind) continue;
    if (s.v12_only && v == Version::v1_0) return unsupported(euicc_result_kind_name(d.kind), v);
    w.integer(s.tag, d.code);
    return ok_status();
  }
  Status st;
  switch (d.kind) {
    case EuiccResultKind::list_profile_info:
      w.constructed(kListProfileInfo, [&] {
        if (d.list_error) {
          w.integer(context(1), *d.list_error);
        } else {
          w.constructed(context(0, true), [&] {
            for (const auto& pi : d.profiles) {
              if (st.ok()) st = put_profile_info(w, pi, v);
            }
          });
        }
      });
      return st;
    case EuiccResultKind::get_rat:
      w.constructed(kGetRat, [&] { w.raw(d.rat_der); });
      return ok_status();
    case EuiccResultKind::add_eim:
      w.constructed(kAddEim, [&] {  // [8] on the CHOICE AddEimResult: explicit
        if (d.association_token) {
          w.integer(context(4), *d.association_token);
        } else {
          w.integer(der::kInteger, d.code);
        }
      });
      return ok_status();
    case EuiccResultKind::list_eim:
      w.constructed(kListEim, [&] {  // [11] on the CHOICE ListEimResult: explicit
        if (d.list_error) {
          w.integer(context(1), *d.list_error);
        } else {
          w.constructed(context(0, true), [&] {
            for (const auto& e : d.eims) {
              w.constructed(der::kSequence, [&] {
                w.utf8(context(0), e.eim_id);
                // EimIdInfo.eimIdType is [2] in v1.2 but [4] in v1.0.
                if (e.eim_id_type) w.integer(context(v == Version::v1_2 ? 2 : 4), *e.eim_id_type);
              });
            }
          });
        }
      });
      return ok_status();
    case EuiccResultKind::set_default_dp_address:
      if (v == Version::v1_0) return unsupported("setDefaultDpAddressResult", v);
      w.constructed(kSetDefaultDp, [&] { w.integer(context(0), d.code); });
      return ok_status();
    default:
      return Error(Errc::internal, "unhandled EuiccResultKind");
  }
}

Result<EuiccResultData> get_result_data(const der::Tlv& t, Version v, const Path& p) {
  EuiccResultData d;
  const bool v12 = v == Version::v1_2;
  for (const auto& s : kSimpleKinds) {
    if (s.tag != t.tag || (s.v12_only && !v12)) continue;
    d.kind = s.kind;
    ESIMO_TRY(d.code, get_int(t, p / euicc_result_kind_name(s.kind)));
    return d;
  }
  if (t.tag == kListProfileInfo) {
    d.kind = EuiccResultKind::list_profile_info;
    const Path q = p / "listProfileInfoResult";
    der::Reader r = t.children();
    ESIMO_TRY(der::Tlv alt, next_any(r, q));
    if (alt.tag == context(0, true)) {
      der::Reader lr = alt.children();
      for (std::size_t i = 0; !lr.empty(); ++i) {
        const std::string idx = "profileInfoListOk[" + std::to_string(i) + "]";
        const Path ip = q / idx;
        ESIMO_TRY(der::Tlv e, need(lr, kProfileInfo, ip));
        ESIMO_TRY(ProfileInfo pi, get_profile_info(e, v, ip));
        d.profiles.push_back(std::move(pi));
      }
    } else if (alt.tag == context(1)) {
      ESIMO_TRY(d.list_error, get_int(alt, q / "profileInfoListError"));
    } else {
      return fail(q, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
    }
    ESIMO_CHECK(finish_exact(r, q));
    return d;
  }
  if (t.tag == kGetRat) {
    d.kind = EuiccResultKind::get_rat;
    // Validate the contents are well-formed TLVs before keeping them.
    der::Reader r = t.children();
    ESIMO_CHECK(field(r.skip_extensions(), p / "getRATResult"));
    d.rat_der.assign(t.value.begin(), t.value.end());
    return d;
  }
  if (t.tag == kAddEim) {
    d.kind = EuiccResultKind::add_eim;
    const Path q = p / "addEimResult";
    der::Reader r = t.children();
    ESIMO_TRY(der::Tlv alt, next_any(r, q));
    if (alt.tag == context(4)) {
      ESIMO_TRY(d.association_token, get_int(alt, q / "associationToken"));
    } else if (alt.tag == der::kInteger) {
      ESIMO_TRY(d.code, get_int(alt, q / "addEimResultCode"));
    } else {
      return fail(q, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
    }
    ESIMO_CHECK(finish_exact(r, q));
    return d;
  }
  if (t.tag == kListEim) {
    d.kind = EuiccResultKind::list_eim;
    const Path q = p / "listEimResult";
    der::Reader r = t.children();
    ESIMO_TRY(der::Tlv alt, next_any(r, q));
    if (alt.tag == context(0, true)) {
      der::Reader lr = alt.children();
      for (std::size_t i = 0; !lr.empty(); ++i) {
        const std::string idx = "eimIdList[" + std::to_string(i) + "]";
        const Path ip = q / idx;
        ESIMO_TRY(der::Tlv e, need(lr, der::kSequence, ip));
        der::Reader er = e.children();
        EimIdInfo info;
        ESIMO_TRY(info.eim_id, get_eim_id(er, ip / "eimId"));
        const der::Tag type_tag = context(v12 ? 2 : 4);
        ESIMO_TRY(auto ty, maybe(er, type_tag, ip / "eimIdType"));
        if (ty) {
          ESIMO_TRY(info.eim_id_type, get_int(*ty, ip / "eimIdType"));
        }
        ESIMO_CHECK(finish_sequence(er, {context(0), type_tag}, ip));
        d.eims.push_back(std::move(info));
      }
    } else if (alt.tag == context(1)) {
      ESIMO_TRY(d.list_error, get_int(alt, q / "listEimError"));
    } else {
      return fail(q, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
    }
    ESIMO_CHECK(finish_exact(r, q));
    return d;
  }
  if (v12 && t.tag == kSetDefaultDp) {
    d.kind = EuiccResultKind::set_default_dp_address;
    const Path q = p / "setDefaultDpAddressResult";
    der::Reader r = t.children();
    ESIMO_TRY(der::Tlv c, need(r, context(0), q / "setDefaultDpAddressResult"));
    ESIMO_TRY(d.code, get_int(c, q / "setDefaultDpAddressResult"));
    ESIMO_CHECK(finish_sequence(r, {context(0)}, q));
    return d;
  }
  return fail(p, "offset " + std::to_string(t.offset) + ": unknown EuiccResultData tag " + der::tag_to_string(t.tag) +
                     " for SGP.32 v" + version_name(v));
}

Status put_data_signed(der::Writer& w, const EuiccPackageResultDataSigned& d, Version v) {
  ESIMO_CHECK(check_tid(d.eim_transaction_id, "euiccPackageResultDataSigned.eimTransactionId"));
  Status st;
  w.constructed(der::kSequence, [&] {
    w.utf8(context(0), d.eim_id);
    w.unsigned_integer(context(1), d.counter_value);
    if (d.eim_transaction_id) w.octets(context(2), *d.eim_transaction_id);
    w.integer(context(3), d.seq_number);
    w.constructed(der::kSequence, [&] {
      for (const auto& r : d.euicc_result) {
        if (st.ok()) st = put_result_data(w, r, v);
      }
    });
  });
  return st;
}

Status put_error_signed(der::Writer& w, const EuiccPackageErrorDataSigned& d, Version) {
  ESIMO_CHECK(check_tid(d.eim_transaction_id, "euiccPackageErrorDataSigned.eimTransactionId"));
  w.constructed(der::kSequence, [&] {
    w.utf8(context(0), d.eim_id);
    w.unsigned_integer(context(1), d.counter_value);
    if (d.eim_transaction_id) w.octets(context(2), *d.eim_transaction_id);
    w.integer(der::kInteger, d.euicc_package_error_code);
  });
  return ok_status();
}

Result<EuiccPackageResultDataSigned> get_data_signed(const der::Tlv& t, Version v, const Path& p) {
  EuiccPackageResultDataSigned d;
  der::Reader r = t.children();
  ESIMO_TRY(d.eim_id, get_eim_id(r, p / "eimId"));
  ESIMO_TRY(der::Tlv cnt, need(r, context(1), p / "counterValue"));
  ESIMO_TRY(d.counter_value, get_uint(cnt, p / "counterValue"));
  const char* tid_name = v == Version::v1_2 ? "eimTransactionId" : "transactionId";
  ESIMO_CHECK(get_tid(r, context(2), p / tid_name, d.eim_transaction_id));
  ESIMO_TRY(der::Tlv seq, need(r, context(3), p / "seqNumber"));
  ESIMO_TRY(d.seq_number, get_int(seq, p / "seqNumber"));
  ESIMO_TRY(der::Tlv list, need(r, der::kSequence, p / "euiccResult"));
  der::Reader lr = list.children();
  for (std::size_t i = 0; !lr.empty(); ++i) {
    const std::string idx = "euiccResult[" + std::to_string(i) + "]";
    const Path ip = p / idx;
    ESIMO_TRY(der::Tlv e, next_any(lr, ip));
    ESIMO_TRY(EuiccResultData rd, get_result_data(e, v, ip));
    d.euicc_result.push_back(std::move(rd));
  }
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1), context(2), context(3), der::kSequence}, p));
  return d;
}

Result<EuiccPackageErrorDataSigned> get_error_data_signed(const der::Tlv& t, Version v, const Path& p) {
  EuiccPackageErrorDataSigned d;
  der::Reader r = t.children();
  ESIMO_TRY(d.eim_id, get_eim_id(r, p / "eimId"));
  ESIMO_TRY(der::Tlv cnt, need(r, context(1), p / "counterValue"));
  ESIMO_TRY(d.counter_value, get_uint(cnt, p / "counterValue"));
  const char* tid_name = v == Version::v1_2 ? "eimTransactionId" : "transactionId";
  ESIMO_CHECK(get_tid(r, context(2), p / tid_name, d.eim_transaction_id));
  ESIMO_TRY(der::Tlv code, need(r, der::kInteger, p / "euiccPackageErrorCode"));
  ESIMO_TRY(d.euicc_package_error_code, get_int(code, p / "euiccPackageErrorCode"));
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1), context(2), der::kInteger}, p));
  return d;
}

Result<NotificationMetadata> get_notification_metadata(const der::Tlv& t, const Path& p) {
  NotificationMetadata m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv seq, need(r, context(0), p / "seqNumber"));
  ESIMO_TRY(m.seq_number, get_int(seq, p / "seqNumber"));
  ESIMO_TRY(der::Tlv op, need(r, context(1), p / "profileManagementOperation"));
  ESIMO_TRY(m.profile_management_operation, get_bits(op, p / "profileManagementOperation"));
  ESIMO_TRY(der::Tlv addr, need(r, der::kUtf8String, p / "notificationAddress"));
  ESIMO_TRY(m.notification_address, get_utf8(addr, p / "notificationAddress"));
  ESIMO_TRY(auto iccid, maybe(r, kTagIccid, p / "iccid"));
  if (iccid) {
    ESIMO_TRY(m.iccid, get_octets(*iccid, p / "iccid", 10, 10));
  }
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1), der::kUtf8String, kTagIccid}, p));
  return m;
}

// EuiccPackageResultSigned / EuiccPackageErrorSigned: SEQUENCE { data SEQUENCE, signature 5F37 }, keeping the exact
// signed bytes.
template <class Data, class GetData>
Status get_signed_alt(der::Reader& r, Version v, const Path& q, std::string_view data_name, std::string_view sig_name,
                      GetData get_data, Data& data, Bytes& data_der, Bytes& signature) {
  ESIMO_TRY(der::Tlv d, need(r, der::kSequence, q / data_name));
  ESIMO_TRY(data, get_data(d, v, q / data_name));
  data_der.assign(d.raw.begin(), d.raw.end());
  ESIMO_TRY(der::Tlv sig, need(r, kTagSignature, q / sig_name));
  ESIMO_TRY(signature, get_octets(sig, q / sig_name));
  return finish_sequence(r, {der::kSequence, kTagSignature}, q);
}

}  // namespace result_codec

Status put_euicc_package_result(der::Writer& w, const EuiccPackageResult& m, Version v) {
  Status st;
  w.constructed(der::tag(0xBF51), [&] {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, EuiccPackageResultSigned>) {
            w.constructed(der::context(0, true), [&] {
              st = result_codec::put_data_signed(w, x.data, v);
              w.octets(kTagSignature, x.euicc_sign_epr);
            });
          } else if constexpr (std::is_same_v<T, EuiccPackageErrorSigned>) {
            w.constructed(der::context(1, true), [&] {
              st = result_codec::put_error_signed(w, x.data, v);
              w.octets(kTagSignature, x.euicc_sign_epe);
            });
          } else {
            if (x.eim_transaction_id && v == Version::v1_0) {
              st = unsupported("euiccPackageErrorUnsigned.eimTransactionId", v);
              return;
            }
            st = check_tid(x.eim_transaction_id, "euiccPackageErrorUnsigned.eimTransactionId");
            w.constructed(der::context(2, true), [&] {
              w.utf8(der::context(0), x.eim_id);
              if (x.eim_transaction_id) w.octets(der::context(2), *x.eim_transaction_id);
              if (x.association_token) w.integer(der::context(4), *x.association_token);
            });
          }
        },
        m);
  });
  return st;
}

Result<EuiccPackageResult> get_euicc_package_result(const der::Tlv& t, Version v, const Path& p) {
  if (t.tag != der::tag(0xBF51)) {
    return fail(p, "offset " + std::to_string(t.offset) + ": expected tag BF51, found " + der::tag_to_string(t.tag));
  }
  der::Reader outer = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  ESIMO_CHECK(finish_exact(outer, p));
  der::Reader r = alt.children();
  if (alt.tag == der::context(0, true)) {
    EuiccPackageResultSigned s;
    ESIMO_CHECK(result_codec::get_signed_alt(r, v, p / "euiccPackageResultSigned", "euiccPackageResultDataSigned",
                                             "euiccSignEPR", result_codec::get_data_signed, s.data, s.data_der,
                                             s.euicc_sign_epr));
    return EuiccPackageResult(std::move(s));
  }
  if (alt.tag == der::context(1, true)) {
    EuiccPackageErrorSigned s;
    ESIMO_CHECK(result_codec::get_signed_alt(r, v, p / "euiccPackageErrorSigned", "euiccPackageErrorDataSigned",
                                             "euiccSignEPE", result_codec::get_error_data_signed, s.data, s.data_der,
                                             s.euicc_sign_epe));
    return EuiccPackageResult(std::move(s));
  }
  if (alt.tag == der::context(2, true)) {
    const Path q = p / "euiccPackageErrorUnsigned";
    EuiccPackageErrorUnsigned u;
    ESIMO_TRY(u.eim_id, get_eim_id(r, q / "eimId"));
    if (v == Version::v1_2) {
      ESIMO_CHECK(get_tid(r, der::context(2), q / "eimTransactionId", u.eim_transaction_id));
    }
    ESIMO_TRY(auto tok, maybe(r, der::context(4), q / "associationToken"));
    if (tok) {
      ESIMO_TRY(u.association_token, get_int(*tok, q / "associationToken"));
    }
    ESIMO_CHECK(finish_sequence(r, {der::context(0), der::context(2), der::context(4)}, q));
    return EuiccPackageResult(std::move(u));
  }
  return fail(p, "offset " + std::to_string(alt.offset) + ": unknown EuiccPackageResult alternative " +
                     der::tag_to_string(alt.tag));
}

Result<PendingNotification> get_pending_notification(const der::Tlv& t, const Path& p) {
  PendingNotification n;
  n.der.assign(t.raw.begin(), t.raw.end());
  der::Reader r = t.children();
  if (t.tag == der::tag(0xBF37)) {
    n.kind = PendingNotificationKind::profile_installation_result;
    const Path q = p / "profileInstallationResult";
    ESIMO_TRY(der::Tlv data, need(r, der::tag(0xBF27), q / "profileInstallationResultData"));
    der::Reader dr = data.children();
    const Path dq = q / "profileInstallationResultData";
    ESIMO_TRY(der::Tlv tid, need(dr, der::context(0), dq / "transactionId"));
    (void)tid;
    ESIMO_TRY(der::Tlv meta, need(dr, der::tag(0xBF2F), dq / "notificationMetadata"));
    ESIMO_TRY(n.metadata, result_codec::get_notification_metadata(meta, dq / "notificationMetadata"));
    ESIMO_CHECK(field(dr.skip_extensions(), dq));
    ESIMO_CHECK(field(r.skip_extensions(), q));  // euiccSignPIR and later components are kept verbatim in `der`
  } else if (t.tag == der::kSequence) {
    n.kind = PendingNotificationKind::other_signed_notification;
    const Path q = p / "otherSignedNotification";
    ESIMO_TRY(der::Tlv meta, need(r, der::tag(0xBF2F), q / "tbsOtherNotification"));
    ESIMO_TRY(n.metadata, result_codec::get_notification_metadata(meta, q / "tbsOtherNotification"));
    ESIMO_TRY(der::Tlv sig, need(r, kTagSignature, q / "euiccNotificationSignature"));
    (void)sig;
    ESIMO_CHECK(field(r.skip_extensions(), q));  // certificates, kept verbatim
  } else if (t.tag == der::context(0, true)) {
    n.kind = PendingNotificationKind::compact_profile_installation_result;
    ESIMO_CHECK(field(r.skip_extensions(), p / "compactProfileInstallationResult"));
  } else if (t.tag == der::context(1, true)) {
    n.kind = PendingNotificationKind::compact_other_signed_notification;
    ESIMO_CHECK(field(r.skip_extensions(), p / "compactOtherSignedNotification"));
  } else {
    return fail(p, "offset " + std::to_string(t.offset) + ": unknown PendingNotification alternative " +
                       der::tag_to_string(t.tag));
  }
  return n;
}

Status put_pending_notification(der::Writer& w, const PendingNotification& n) {
  auto t = der::read_single(n.der);
  if (!t.ok()) return bad_value("pendingNotification", "der is not one DER TLV: " + t.error().message);
  static constexpr der::Tag kAllowed[] = {der::tag(0xBF37), der::kSequence, der::tag(0xA0), der::tag(0xA1)};
  const der::Tag want = kAllowed[static_cast<int>(n.kind)];
  if (t->tag != want) {
    return bad_value("pendingNotification", "der tag " + der::tag_to_string(t->tag) + " does not match kind");
  }
  w.raw(n.der);
  return ok_status();
}

}  // namespace detail

Result<Bytes> encode(const EuiccPackageResult& m, Version v) {
  der::Writer w;
  ESIMO_CHECK(detail::put_euicc_package_result(w, m, v));
  return w.take();
}

Result<EuiccPackageResult> decode_euicc_package_result(ByteView der_bytes, Version v) {
  return detail::decode_top(der_bytes, "euiccPackageResult", [v](const der::Tlv& t, const detail::Path& p) {
    return detail::get_euicc_package_result(t, v, p);
  });
}

Result<Bytes> encode_result_data_signed(const EuiccPackageResultDataSigned& m, Version v) {
  der::Writer w;
  ESIMO_CHECK(detail::result_codec::put_data_signed(w, m, v));
  return w.take();
}

Result<Bytes> encode_error_data_signed(const EuiccPackageErrorDataSigned& m, Version v) {
  der::Writer w;
  ESIMO_CHECK(detail::result_codec::put_error_signed(w, m, v));
  return w.take();
}

}  // namespace esimo::sgp
