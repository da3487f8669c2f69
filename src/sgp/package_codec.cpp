// EuiccPackageRequest (PSMOs, eCOs), IpaEuiccDataRequest, ProfileDownloadTriggerRequest, AddInitialEimRequest.
// Tags follow SGP.32 v1.2 §2.11.1 / v1.0 §2.11.1 (module SGP32Definitions, AUTOMATIC TAGS, EXTENSIBILITY IMPLIED).
// Automatic tagging applies only to SEQUENCE/CHOICE types none of whose components carry a tag (X.680 §25.3), so e.g.
// enable.rollbackFlag stays a universal NULL (05 00) while EuiccPackage.psmoList becomes [0] (A0).
#include <string>

#include "sgp/codec.hpp"
#include "sgp/codec_util.hpp"

namespace esimo::sgp {

const char* version_name(Version v) { return v == Version::v1_0 ? "1.0" : "1.2"; }

Result<Version> parse_version(std::string_view s) {
  std::string_view t = s;
  if (!t.empty() && (t.front() == 'v' || t.front() == 'V')) t.remove_prefix(1);
  auto starts = [&](std::string_view pre) {
    return t.size() >= pre.size() && t.substr(0, pre.size()) == pre &&
           (t.size() == pre.size() || t[pre.size()] == '.');
  };
  if (starts("1.0")) return Version::v1_0;
  if (starts("1.2")) return Version::v1_2;
  return Error(Errc::unsupported, "SGP.32 version '" + std::string(s) + "' is not supported (1.0 or 1.2)");
}

namespace detail {
namespace pkg_codec {

using der::context;
using der::tag;

constexpr der::Tag kPsmoEnable = tag(0xA3), kPsmoDisable = tag(0xA4), kPsmoDelete = tag(0xA5),
                   kPsmoListProfileInfo = tag(0xBF2D), kPsmoGetRat = tag(0xA6), kPsmoConfigure = tag(0xA7),
                   kPsmoSetFallback = tag(0xA8), kPsmoUnsetFallback = tag(0xA9), kPsmoSetDefaultDp = tag(0xBF65);
constexpr der::Tag kEcoAdd = tag(0xA8), kEcoDelete = tag(0xA9), kEcoUpdate = tag(0xAA), kEcoList = tag(0xAB);

// A complete DER SEQUENCE (SubjectPublicKeyInfo / Certificate) written under an implicit constructed tag.
Status put_implicit_sequence(der::Writer& w, der::Tag t, const Bytes& full, const char* field_name) {
  auto tlv = der::read_single(full);
  if (!tlv.ok() || tlv->tag != der::kSequence) {
    return bad_value(field_name, "must be one DER SEQUENCE (SubjectPublicKeyInfo or Certificate)");
  }
  w.constructed(t, [&] { w.raw(tlv->value); });
  return ok_status();
}
Bytes sequence_from_implicit(const der::Tlv& t) {
  der::Writer w;
  w.constructed(der::kSequence, [&] { w.raw(t.value); });
  return w.take();
}

Status put_key_choice(der::Writer& w, der::Tag outer, const std::optional<Bytes>& key, const std::optional<Bytes>& cert,
                      const char* field_name) {
  if (key && cert) return bad_value(field_name, "public key and certificate are alternatives; set one");
  if (!key && !cert) return ok_status();
  Status st;
  // [5]/[6] CHOICE: a tag on a CHOICE is explicit; the alternatives are automatically tagged [0]/[1] (implicit).
  w.constructed(outer, [&] {
    st = key ? put_implicit_sequence(w, context(0, true), *key, field_name)
             : put_implicit_sequence(w, context(1, true), *cert, field_name);
  });
  return st;
}

Status get_key_choice(const der::Tlv& t, std::optional<Bytes>& key, std::optional<Bytes>& cert, const Path& p) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(r, p));
  if (alt.tag == context(0, true)) {
    key = sequence_from_implicit(alt);
  } else if (alt.tag == context(1, true)) {
    cert = sequence_from_implicit(alt);
  } else {
    return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
  }
  return finish_exact(r, p);
}

}  // namespace pkg_codec


// ---- EimConfigurationData ----

Status put_eim_configuration_data(der::Writer& w, der::Tag t, const EimConfigurationData& c, Version v) {
  if (c.eim_id.empty() || c.eim_id.size() > 128) return bad_value("eimId", "must be 1..128 characters");
  if (c.indirect_profile_download && v == Version::v1_0) return unsupported("indirectProfileDownload", v);
  Status st;
  w.constructed(t, [&] {
    w.utf8(der::context(0), c.eim_id);
    if (c.eim_fqdn) w.utf8(der::context(1), *c.eim_fqdn);
    if (c.eim_id_type) w.integer(der::context(2), *c.eim_id_type);
    if (c.counter_value) w.unsigned_integer(der::context(3), *c.counter_value);
    if (c.association_token) w.integer(der::context(4), *c.association_token);
    st = pkg_codec::put_key_choice(w, der::context(5, true), c.eim_public_key, c.eim_certificate, "eimPublicKeyData");
    if (!st.ok()) return;
    st = pkg_codec::put_key_choice(w, der::context(6, true), c.trusted_eim_pk_tls, c.trusted_certificate_tls,
                                   "trustedPublicKeyDataTls");
    if (!st.ok()) return;
    if (c.eim_supported_protocol) w.named_bits(der::context(7), *c.eim_supported_protocol, 31);
    if (c.euicc_ci_pkid) w.octets(der::context(8), *c.euicc_ci_pkid);
    if (c.indirect_profile_download) w.null(der::context(9));
  });
  return st;
}

Result<EimConfigurationData> get_eim_configuration_data(const der::Tlv& t, Version v, const Path& p) {
  EimConfigurationData c;
  der::Reader r = t.children();
  ESIMO_TRY(c.eim_id, get_eim_id(r, p / "eimId"));
  ESIMO_TRY(auto fqdn, maybe(r, der::context(1), p / "eimFqdn"));
  if (fqdn) {
    ESIMO_TRY(c.eim_fqdn, get_utf8(*fqdn, p / "eimFqdn"));
  }
  ESIMO_TRY(auto idt, maybe(r, der::context(2), p / "eimIdType"));
  if (idt) {
    ESIMO_TRY(c.eim_id_type, get_int(*idt, p / "eimIdType"));
  }
  ESIMO_TRY(auto cnt, maybe(r, der::context(3), p / "counterValue"));
  if (cnt) {
    ESIMO_TRY(c.counter_value, get_uint(*cnt, p / "counterValue"));
  }
  ESIMO_TRY(auto tok, maybe(r, der::context(4), p / "associationToken"));
  if (tok) {
    ESIMO_TRY(c.association_token, get_int(*tok, p / "associationToken"));
  }
  ESIMO_TRY(auto pk, maybe(r, der::context(5, true), p / "eimPublicKeyData"));
  if (pk) ESIMO_CHECK(pkg_codec::get_key_choice(*pk, c.eim_public_key, c.eim_certificate, p / "eimPublicKeyData"));
  ESIMO_TRY(auto tls, maybe(r, der::context(6, true), p / "trustedPublicKeyDataTls"));
  if (tls) {
    ESIMO_CHECK(pkg_codec::get_key_choice(*tls, c.trusted_eim_pk_tls, c.trusted_certificate_tls,
                                          p / "trustedPublicKeyDataTls"));
  }
  ESIMO_TRY(auto proto, maybe(r, der::context(7), p / "eimSupportedProtocol"));
  if (proto) {
    ESIMO_TRY(c.eim_supported_protocol, get_bits(*proto, p / "eimSupportedProtocol"));
  }
  ESIMO_TRY(auto ci, maybe(r, der::context(8), p / "euiccCiPKId"));
  if (ci) {
    ESIMO_TRY(c.euicc_ci_pkid, get_octets(*ci, p / "euiccCiPKId"));
  }
  if (v == Version::v1_2) {
    ESIMO_TRY(auto ind, maybe(r, der::context(9), p / "indirectProfileDownload"));
    if (ind) {
      ESIMO_CHECK(get_null(*ind, p / "indirectProfileDownload"));
      c.indirect_profile_download = true;
    }
  }
  ESIMO_CHECK(finish_sequence(r,
                              {der::context(0), der::context(1), der::context(2), der::context(3), der::context(4),
                               der::context(5, true), der::context(6, true), der::context(7), der::context(8)},
                              p));
  return c;
}

// ---- PSMO / eCO ----

namespace pkg_codec {

Status put_psmo(der::Writer& w, const Psmo& psmo, Version v) {
  Status st;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, PsmoEnable>) {
          st = check_iccid(x.iccid, "enable.iccid");
          if (!st.ok()) return;
          w.constructed(kPsmoEnable, [&] {
            w.octets(kTagIccid, x.iccid);
            if (x.rollback_flag) w.null(der::kNull);  // untagged: the SEQUENCE has a tagged component
          });
        } else if constexpr (std::is_same_v<T, PsmoDisable>) {
          st = check_iccid(x.iccid, "disable.iccid");
          if (st.ok()) w.constructed(kPsmoDisable, [&] { w.octets(kTagIccid, x.iccid); });
        } else if constexpr (std::is_same_v<T, PsmoDelete>) {
          st = check_iccid(x.iccid, "delete.iccid");
          if (st.ok()) w.constructed(kPsmoDelete, [&] { w.octets(kTagIccid, x.iccid); });
        } else if constexpr (std::is_same_v<T, PsmoListProfileInfo>) {
          const int criteria = int(x.search_isdp_aid.has_value()) + int(x.search_iccid.has_value()) +
                               int(x.search_profile_class.has_value());
          if (criteria > 1) {
            st = bad_value("listProfileInfo.searchCriteria", "at most one criterion");
            return;
          }
          if (x.search_iccid) {
            st = check_iccid(*x.search_iccid, "listProfileInfo.searchCriteria.iccid");
            if (!st.ok()) return;
          }
          w.constructed(kPsmoListProfileInfo, [&] {
            if (criteria) {
              w.constructed(der::context(0, true), [&] {  // [0] CHOICE: explicit
                if (x.search_isdp_aid) w.octets(der::tag(0x4F), *x.search_isdp_aid);
                if (x.search_iccid) w.octets(kTagIccid, *x.search_iccid);
                if (x.search_profile_class) w.integer(der::context(21), *x.search_profile_class);
              });
            }
            if (x.tag_list) w.octets(der::tag(0x5C), *x.tag_list);
          });
        } else if constexpr (std::is_same_v<T, PsmoGetRat>) {
          w.constructed(kPsmoGetRat, [] {});
        } else if constexpr (std::is_same_v<T, PsmoConfigureImmediateEnable>) {
          w.constructed(kPsmoConfigure, [&] {
            if (x.immediate_enable_flag) w.null(der::context(0));
            if (x.default_smdp_oid) w.oid(der::context(1), *x.default_smdp_oid);
            if (x.default_smdp_address) w.utf8(der::context(2), *x.default_smdp_address);
          });
          if (!w.valid()) st = bad_value("configureImmediateEnable.defaultSmdpOid", "not a dotted OID");
        } else if constexpr (std::is_same_v<T, PsmoSetFallbackAttribute>) {
          if (v == Version::v1_0) {
            st = unsupported("setFallbackAttribute", v);
            return;
          }
          st = check_iccid(x.iccid, "setFallbackAttribute.iccid");
          if (st.ok()) w.constructed(kPsmoSetFallback, [&] { w.octets(kTagIccid, x.iccid); });
        } else if constexpr (std::is_same_v<T, PsmoUnsetFallbackAttribute>) {
          if (v == Version::v1_0) {
            st = unsupported("unsetFallbackAttribute", v);
            return;
          }
          w.constructed(kPsmoUnsetFallback, [] {});
        } else if constexpr (std::is_same_v<T, PsmoSetDefaultDpAddress>) {
          if (v == Version::v1_0) {
            st = unsupported("setDefaultDpAddress", v);
            return;
          }
          // SGP32-SetDefaultDpAddressRequest: its only component is automatically tagged [0].
          w.constructed(kPsmoSetDefaultDp, [&] { w.utf8(der::context(0), x.default_dp_address); });
        }
      },
      psmo);
  return st;
}

Result<Bytes> get_iccid_only(const der::Tlv& t, const Path& p) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv x, need(r, kTagIccid, p / "iccid"));
  ESIMO_TRY(Bytes iccid, get_octets(x, p / "iccid", 10, 10));
  ESIMO_CHECK(finish_sequence(r, {kTagIccid}, p));
  return iccid;
}

Result<Psmo> get_psmo(const der::Tlv& t, Version v, const Path& p) {
  const bool v12 = v == Version::v1_2;
  if (t.tag == kPsmoEnable) {
    const Path q = p / "enable";
    PsmoEnable e;
    der::Reader r = t.children();
    ESIMO_TRY(der::Tlv x, need(r, kTagIccid, q / "iccid"));
    ESIMO_TRY(e.iccid, get_octets(x, q / "iccid", 10, 10));
    ESIMO_TRY(auto rb, maybe(r, der::kNull, q / "rollbackFlag"));
    if (rb) {
      ESIMO_CHECK(get_null(*rb, q / "rollbackFlag"));
      e.rollback_flag = true;
    }
    ESIMO_CHECK(finish_sequence(r, {kTagIccid, der::kNull}, q));
    return Psmo(e);
  }
  if (t.tag == kPsmoDisable) {
    ESIMO_TRY(Bytes iccid, get_iccid_only(t, p / "disable"));
    return Psmo(PsmoDisable{iccid});
  }
  if (t.tag == kPsmoDelete) {
    ESIMO_TRY(Bytes iccid, get_iccid_only(t, p / "delete"));
    return Psmo(PsmoDelete{iccid});
  }
  if (t.tag == kPsmoListProfileInfo) {
    const Path q = p / "listProfileInfo";
    PsmoListProfileInfo l;
    der::Reader r = t.children();
    ESIMO_TRY(auto sc, maybe(r, der::context(0, true), q / "searchCriteria"));
    if (sc) {
      const Path s = q / "searchCriteria";
      der::Reader cr = sc->children();
      ESIMO_TRY(der::Tlv alt, next_any(cr, s));
      if (alt.tag == der::tag(0x4F)) {
        ESIMO_TRY(l.search_isdp_aid, get_octets(alt, s / "isdpAid", 1, 16));
      } else if (alt.tag == kTagIccid) {
        ESIMO_TRY(l.search_iccid, get_octets(alt, s / "iccid", 10, 10));
      } else if (alt.tag == der::context(21)) {
        ESIMO_TRY(l.search_profile_class, get_int(alt, s / "profileClass"));
      } else {
        return fail(s, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
      }
      ESIMO_CHECK(finish_exact(cr, s));
    }
    ESIMO_TRY(auto tl, maybe(r, der::tag(0x5C), q / "tagList"));
    if (tl) {
      ESIMO_TRY(l.tag_list, get_octets(*tl, q / "tagList"));
    }
    ESIMO_CHECK(finish_sequence(r, {der::context(0, true), der::tag(0x5C)}, q));
    return Psmo(l);
  }
  if (t.tag == kPsmoGetRat) {
    der::Reader r = t.children();
    ESIMO_CHECK(finish_sequence(r, {}, p / "getRAT"));
    return Psmo(PsmoGetRat{});
  }
  if (t.tag == kPsmoConfigure) {
    const Path q = p / (v12 ? "configureImmediateEnable" : "configureAutoEnable");
    PsmoConfigureImmediateEnable c;
    der::Reader r = t.children();
    ESIMO_TRY(auto flag, maybe(r, der::context(0), q / (v12 ? "immediateEnableFlag" : "autoEnableFlag")));
    if (flag) {
      ESIMO_CHECK(get_null(*flag, q / (v12 ? "immediateEnableFlag" : "autoEnableFlag")));
      c.immediate_enable_flag = true;
    }
    ESIMO_TRY(auto oid, maybe(r, der::context(1), q / (v12 ? "defaultSmdpOid" : "smdpOid")));
    if (oid) {
      ESIMO_TRY(c.default_smdp_oid, field(der::read_oid(*oid), q / (v12 ? "defaultSmdpOid" : "smdpOid")));
    }
    ESIMO_TRY(auto addr, maybe(r, der::context(2), q / (v12 ? "defaultSmdpAddress" : "smdpAddress")));
    if (addr) {
      ESIMO_TRY(c.default_smdp_address, get_utf8(*addr, q / (v12 ? "defaultSmdpAddress" : "smdpAddress")));
    }
    ESIMO_CHECK(finish_sequence(r, {der::context(0), der::context(1), der::context(2)}, q));
    return Psmo(c);
  }
  if (v12 && t.tag == kPsmoSetFallback) {
    ESIMO_TRY(Bytes iccid, get_iccid_only(t, p / "setFallbackAttribute"));
    return Psmo(PsmoSetFallbackAttribute{iccid});
  }
  if (v12 && t.tag == kPsmoUnsetFallback) {
    der::Reader r = t.children();
    ESIMO_CHECK(finish_sequence(r, {}, p / "unsetFallbackAttribute"));
    return Psmo(PsmoUnsetFallbackAttribute{});
  }
  if (v12 && t.tag == kPsmoSetDefaultDp) {
    const Path q = p / "setDefaultDpAddress";
    der::Reader r = t.children();
    ESIMO_TRY(der::Tlv a, need(r, der::context(0), q / "defaultDpAddress"));
    PsmoSetDefaultDpAddress s;
    ESIMO_TRY(s.default_dp_address, get_utf8(a, q / "defaultDpAddress"));
    ESIMO_CHECK(finish_sequence(r, {der::context(0)}, q));
    return Psmo(s);
  }
  return fail(p, "offset " + std::to_string(t.offset) + ": unknown PSMO tag " + der::tag_to_string(t.tag) +
                     " for SGP.32 v" + version_name(v));
}

Status put_eco(der::Writer& w, const Eco& eco, Version v) {
  Status st;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, EcoAddEim>) {
          st = put_eim_configuration_data(w, kEcoAdd, x.config, v);
        } else if constexpr (std::is_same_v<T, EcoDeleteEim>) {
          w.constructed(kEcoDelete, [&] { w.utf8(der::context(0), x.eim_id); });
        } else if constexpr (std::is_same_v<T, EcoUpdateEim>) {
          st = put_eim_configuration_data(w, kEcoUpdate, x.config, v);
        } else {
          w.constructed(kEcoList, [] {});
        }
      },
      eco);
  return st;
}

Result<Eco> get_eco(const der::Tlv& t, Version v, const Path& p) {
  if (t.tag == kEcoAdd) {
    ESIMO_TRY(auto c, get_eim_configuration_data(t, v, p / "addEim"));
    return Eco(EcoAddEim{std::move(c)});
  }
  if (t.tag == kEcoUpdate) {
    ESIMO_TRY(auto c, get_eim_configuration_data(t, v, p / "updateEim"));
    return Eco(EcoUpdateEim{std::move(c)});
  }
  if (t.tag == kEcoDelete) {
    const Path q = p / "deleteEim";
    der::Reader r = t.children();
    ESIMO_TRY(der::Tlv x, need(r, der::context(0), q / "eimId"));
    EcoDeleteEim d;
    ESIMO_TRY(d.eim_id, get_utf8(x, q / "eimId"));
    ESIMO_CHECK(finish_sequence(r, {der::context(0)}, q));
    return Eco(d);
  }
  if (t.tag == kEcoList) {
    der::Reader r = t.children();
    ESIMO_CHECK(finish_sequence(r, {}, p / "listEim"));
    return Eco(EcoListEim{});
  }
  return fail(p, "offset " + std::to_string(t.offset) + ": unknown eCO tag " + der::tag_to_string(t.tag));
}

Status put_signed(der::Writer& w, const EuiccPackageSigned& s, Version v) {
  if (s.eim_id.empty() || s.eim_id.size() > 128) return bad_value("euiccPackageSigned.eimId", "must be 1..128 characters");
  ESIMO_CHECK(check_eid(s.eid, "euiccPackageSigned.eidValue"));
  ESIMO_CHECK(check_tid(s.eim_transaction_id, "euiccPackageSigned.eimTransactionId"));
  Status st;
  w.constructed(der::kSequence, [&] {
    w.utf8(der::context(0), s.eim_id);
    w.octets(kTagEid, s.eid);
    w.unsigned_integer(der::context(1), s.counter_value);
    if (s.eim_transaction_id) w.octets(der::context(2), *s.eim_transaction_id);
    if (const auto* psmos = std::get_if<PsmoList>(&s.euicc_package)) {
      w.constructed(der::context(0, true), [&] {
        for (const auto& x : *psmos) {
          if (st.ok()) st = put_psmo(w, x, v);
        }
      });
    } else {
      const auto& ecos = std::get<EcoList>(s.euicc_package);
      w.constructed(der::context(1, true), [&] {
        for (const auto& x : ecos) {
          if (st.ok()) st = put_eco(w, x, v);
        }
      });
    }
  });
  return st;
}

Result<EuiccPackageSigned> get_signed(const der::Tlv& t, Version v, const Path& p) {
  EuiccPackageSigned s;
  der::Reader r = t.children();
  ESIMO_TRY(s.eim_id, get_eim_id(r, p / "eimId"));
  {
    ESIMO_TRY(der::Tlv x, need(r, kTagEid, p / "eidValue"));
    ESIMO_TRY(s.eid, get_octets(x, p / "eidValue", 16, 16));
  }
  {
    ESIMO_TRY(der::Tlv x, need(r, der::context(1), p / "counterValue"));
    ESIMO_TRY(s.counter_value, get_uint(x, p / "counterValue"));
  }
  const char* tid_name = v == Version::v1_2 ? "eimTransactionId" : "transactionId";
  ESIMO_CHECK(get_tid(r, der::context(2), p / tid_name, s.eim_transaction_id));
  const Path pkg = p / "euiccPackage";
  ESIMO_TRY(der::Tlv choice, next_any(r, pkg));
  if (choice.tag == der::context(0, true)) {
    PsmoList list;
    der::Reader lr = choice.children();
    for (std::size_t i = 0; !lr.empty(); ++i) {
      const std::string idx = "psmoList[" + std::to_string(i) + "]";
      const Path ip = pkg / idx;
      ESIMO_TRY(der::Tlv x, next_any(lr, ip));
      ESIMO_TRY(Psmo psmo, get_psmo(x, v, ip));
      list.push_back(std::move(psmo));
    }
    s.euicc_package = std::move(list);
  } else if (choice.tag == der::context(1, true)) {
    EcoList list;
    der::Reader lr = choice.children();
    for (std::size_t i = 0; !lr.empty(); ++i) {
      const std::string idx = "ecoList[" + std::to_string(i) + "]";
      const Path ip = pkg / idx;
      ESIMO_TRY(der::Tlv x, next_any(lr, ip));
      ESIMO_TRY(Eco eco, get_eco(x, v, ip));
      list.push_back(std::move(eco));
    }
    s.euicc_package = std::move(list);
  } else {
    return fail(pkg, "offset " + std::to_string(choice.offset) + ": expected psmoList (A0) or ecoList (A1), found " +
                         der::tag_to_string(choice.tag));
  }
  ESIMO_CHECK(finish_sequence(r, {der::context(0), kTagEid, der::context(1), der::context(2)}, p));
  return s;
}

}  // namespace pkg_codec

Status put_euicc_package_request(der::Writer& w, const EuiccPackageRequest& m, Version v) {
  Status st;
  w.constructed(der::tag(0xBF51), [&] {
    st = pkg_codec::put_signed(w, m.euicc_package_signed, v);
    w.octets(kTagSignature, m.eim_signature);
  });
  return st;
}

Result<EuiccPackageRequest> get_euicc_package_request(const der::Tlv& t, Version v, const Path& p) {
  if (t.tag != der::tag(0xBF51)) {
    return fail(p, "offset " + std::to_string(t.offset) + ": expected tag BF51, found " + der::tag_to_string(t.tag));
  }
  EuiccPackageRequest m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv s, need(r, der::kSequence, p / "euiccPackageSigned"));
  ESIMO_TRY(m.euicc_package_signed, pkg_codec::get_signed(s, v, p / "euiccPackageSigned"));
  m.euicc_package_signed_der.assign(s.raw.begin(), s.raw.end());
  ESIMO_TRY(der::Tlv sig, need(r, kTagSignature, p / "eimSignature"));
  ESIMO_TRY(m.eim_signature, get_octets(sig, p / "eimSignature"));
  ESIMO_CHECK(finish_sequence(r, {der::kSequence, kTagSignature}, p));
  return m;
}

// ---- IpaEuiccDataRequest ----

Status put_ipa_euicc_data_request(der::Writer& w, const IpaEuiccDataRequest& m, Version v) {
  const bool v12 = v == Version::v1_2;
  const int notif = int(m.search_notification_seq_number.has_value()) +
                    int(m.search_notification_operation.has_value()) + int(m.search_euicc_package_results);
  if (notif > 1) return bad_value("ipaEuiccDataRequest.searchCriteria", "at most one criterion");
  if (v12 && m.search_euicc_package_results) return unsupported("searchCriteria.euiccPackageResults", v);
  if (!v12 && m.search_euicc_package_result_seq_number) return unsupported("searchCriteriaEuiccPackageResult", v);
  if (!v12 && m.eim_transaction_id) return unsupported("ipaEuiccDataRequest.eimTransactionId", v);
  ESIMO_CHECK(check_tid(m.eim_transaction_id, "ipaEuiccDataRequest.eimTransactionId"));
  w.constructed(der::tag(0xBF52), [&] {
    w.octets(der::tag(0x5C), m.tag_list);
    if (m.euicc_ci_pkid) w.octets(der::kOctetString, *m.euicc_ci_pkid);
    if (notif) {
      w.constructed(der::context(1, true), [&] {  // [1] CHOICE: explicit
        if (m.search_notification_seq_number) w.integer(der::context(0), *m.search_notification_seq_number);
        if (m.search_notification_operation) w.named_bits(der::context(1), *m.search_notification_operation, 31);
        if (m.search_euicc_package_results) w.null(der::context(2));
      });
    }
    if (m.search_euicc_package_result_seq_number) {
      w.constructed(der::context(2, true), [&] { w.integer(der::context(0), *m.search_euicc_package_result_seq_number); });
    }
    if (m.eim_transaction_id) w.octets(der::context(3), *m.eim_transaction_id);
  });
  return ok_status();
}

Result<IpaEuiccDataRequest> get_ipa_euicc_data_request(const der::Tlv& t, Version v, const Path& p) {
  const bool v12 = v == Version::v1_2;
  if (t.tag != der::tag(0xBF52)) {
    return fail(p, "offset " + std::to_string(t.offset) + ": expected tag BF52, found " + der::tag_to_string(t.tag));
  }
  IpaEuiccDataRequest m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tl, need(r, der::tag(0x5C), p / "tagList"));
  ESIMO_TRY(m.tag_list, get_octets(tl, p / "tagList"));
  const char* ci_name = v12 ? "euiccCiPKIdentifierToBeUsed" : "euiccCiPKId";
  ESIMO_TRY(auto ci, maybe(r, der::kOctetString, p / ci_name));
  if (ci) {
    ESIMO_TRY(m.euicc_ci_pkid, get_octets(*ci, p / ci_name));
  }
  const Path sp = p / (v12 ? "searchCriteriaNotification" : "searchCriteria");
  ESIMO_TRY(auto sc, maybe(r, der::context(1, true), sp));
  if (sc) {
    der::Reader cr = sc->children();
    ESIMO_TRY(der::Tlv alt, next_any(cr, sp));
    if (alt.tag == der::context(0)) {
      ESIMO_TRY(m.search_notification_seq_number, get_int(alt, sp / "seqNumber"));
    } else if (alt.tag == der::context(1)) {
      ESIMO_TRY(m.search_notification_operation, get_bits(alt, sp / "profileManagementOperation"));
    } else if (!v12 && alt.tag == der::context(2)) {
      ESIMO_CHECK(get_null(alt, sp / "euiccPackageResults"));
      m.search_euicc_package_results = true;
    } else {
      return fail(sp, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
    }
    ESIMO_CHECK(finish_exact(cr, sp));
  }
  if (v12) {
    const Path ep = p / "searchCriteriaEuiccPackageResult";
    ESIMO_TRY(auto se, maybe(r, der::context(2, true), ep));
    if (se) {
      der::Reader cr = se->children();
      ESIMO_TRY(der::Tlv seq, need(cr, der::context(0), ep / "seqNumber"));
      ESIMO_TRY(m.search_euicc_package_result_seq_number, get_int(seq, ep / "seqNumber"));
      ESIMO_CHECK(finish_exact(cr, ep));
    }
    ESIMO_CHECK(get_tid(r, der::context(3), p / "eimTransactionId", m.eim_transaction_id));
  }
  ESIMO_CHECK(finish_sequence(r, {der::tag(0x5C), der::kOctetString, der::context(1, true), der::context(2, true),
                                  der::context(3)},
                              p));
  return m;
}

// ---- ProfileDownloadTriggerRequest ----

Status put_profile_download_trigger_request(der::Writer& w, const ProfileDownloadTriggerRequest& m, Version) {
  ESIMO_CHECK(check_tid(m.eim_transaction_id, "profileDownloadTriggerRequest.eimTransactionId"));
  if (m.profile_download_data) {
    if (const auto* ac = std::get_if<DownloadActivationCode>(&*m.profile_download_data)) {
      if (ac->activation_code.size() > 255) return bad_value("activationCode", "longer than 255");
    }
  }
  w.constructed(der::tag(0xBF54), [&] {
    if (m.profile_download_data) {
      w.constructed(der::context(0, true), [&] {  // [0] CHOICE: explicit
        std::visit(
            [&](const auto& x) {
              using T = std::decay_t<decltype(x)>;
              if constexpr (std::is_same_v<T, DownloadActivationCode>) {
                w.utf8(der::context(0), x.activation_code);
              } else if constexpr (std::is_same_v<T, DownloadContactDefaultSmdp>) {
                w.null(der::context(1));
              } else {
                w.constructed(der::context(2, true), [&] {
                  if (x.smds_address) w.utf8(der::context(0), *x.smds_address);
                });
              }
            },
            *m.profile_download_data);
      });
    }
    if (m.eim_transaction_id) w.octets(der::context(2), *m.eim_transaction_id);
  });
  return ok_status();
}

Result<ProfileDownloadTriggerRequest> get_profile_download_trigger_request(const der::Tlv& t, Version,
                                                                           const Path& p) {
  if (t.tag != der::tag(0xBF54)) {
    return fail(p, "offset " + std::to_string(t.offset) + ": expected tag BF54, found " + der::tag_to_string(t.tag));
  }
  ProfileDownloadTriggerRequest m;
  der::Reader r = t.children();
  const Path dp = p / "profileDownloadData";
  ESIMO_TRY(auto d, maybe(r, der::context(0, true), dp));
  if (d) {
    der::Reader cr = d->children();
    ESIMO_TRY(der::Tlv alt, next_any(cr, dp));
    if (alt.tag == der::context(0)) {
      ESIMO_TRY(auto ac, get_utf8(alt, dp / "activationCode"));
      if (ac.size() > 255) return fail(dp / "activationCode", "longer than 255");
      m.profile_download_data = DownloadActivationCode{std::move(ac)};
    } else if (alt.tag == der::context(1)) {
      ESIMO_CHECK(get_null(alt, dp / "contactDefaultSmdp"));
      m.profile_download_data = DownloadContactDefaultSmdp{};
    } else if (alt.tag == der::context(2, true)) {
      DownloadContactSmds s;
      der::Reader sr = alt.children();
      ESIMO_TRY(auto a, maybe(sr, der::context(0), dp / "contactSmds.smdsAddress"));
      if (a) {
        ESIMO_TRY(s.smds_address, get_utf8(*a, dp / "contactSmds.smdsAddress"));
      }
      ESIMO_CHECK(finish_sequence(sr, {der::context(0)}, dp / "contactSmds"));
      m.profile_download_data = s;
    } else {
      return fail(dp, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
    }
    ESIMO_CHECK(finish_exact(cr, dp));
  }
  ESIMO_CHECK(get_tid(r, der::context(2), p / "eimTransactionId", m.eim_transaction_id));
  ESIMO_CHECK(finish_sequence(r, {der::context(0, true), der::context(2)}, p));
  return m;
}

}  // namespace detail

// ---- public entry points ----

Result<Bytes> encode(const EuiccPackageRequest& m, Version v) {
  der::Writer w;
  ESIMO_CHECK(detail::put_euicc_package_request(w, m, v));
  return w.take();
}

Result<EuiccPackageRequest> decode_euicc_package_request(ByteView der_bytes, Version v) {
  return detail::decode_top(der_bytes, "euiccPackageRequest", [v](const der::Tlv& t, const detail::Path& p) {
    return detail::get_euicc_package_request(t, v, p);
  });
}

Result<Bytes> encode_euicc_package_signed(const EuiccPackageSigned& m, Version v) {
  der::Writer w;
  ESIMO_CHECK(detail::pkg_codec::put_signed(w, m, v));
  return w.take();
}

Result<Bytes> encode(const AddInitialEimRequest& m, Version v) {
  if (m.eim_configuration_data_list.empty()) {
    return detail::bad_value("eimConfigurationDataList", "at least one eIM configuration is required");
  }
  der::Writer w;
  Status st;
  w.constructed(der::tag(0xBF57), [&] {
    w.constructed(der::context(0, true), [&] {
      for (const auto& c : m.eim_configuration_data_list) {
        if (st.ok()) st = detail::put_eim_configuration_data(w, der::kSequence, c, v);
      }
    });
  });
  ESIMO_CHECK(st);
  return w.take();
}

namespace detail {
Result<AddInitialEimRequest> get_add_initial_eim_request(const der::Tlv& t, Version v, const Path& root) {
  if (t.tag != der::tag(0xBF57)) {
    return fail(root, "offset 0: expected tag BF57, found " + der::tag_to_string(t.tag));
  }
  AddInitialEimRequest m;
  der::Reader r = t.children();
  const Path lp = root / "eimConfigurationDataList";
  ESIMO_TRY(der::Tlv list, need(r, der::context(0, true), lp));
  der::Reader lr = list.children();
  for (std::size_t i = 0; !lr.empty(); ++i) {
    const std::string idx = "[" + std::to_string(i) + "]";
    const Path ip = lp / idx;
    ESIMO_TRY(der::Tlv c, need(lr, der::kSequence, ip));
    ESIMO_TRY(auto cfg, get_eim_configuration_data(c, v, ip));
    m.eim_configuration_data_list.push_back(std::move(cfg));
  }
  if (m.eim_configuration_data_list.empty()) return fail(lp, "empty list");
  ESIMO_CHECK(finish_sequence(r, {der::context(0, true)}, root));
  return m;
}
}  // namespace detail

Result<AddInitialEimRequest> decode_add_initial_eim_request(ByteView der_bytes, Version v) {
  return detail::decode_top(der_bytes, "addInitialEimRequest", [v](const der::Tlv& t, const detail::Path& p) {
    return detail::get_add_initial_eim_request(t, v, p);
  });
}

}  // namespace esimo::sgp
