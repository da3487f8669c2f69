// Indirect profile download over ESipa (SGP.32 v1.2 §6.3.2.1-6.3.2.5; v1.0 same section numbers).
// Wire shapes are identical in v1.0 and v1.2 except InitiateAuthenticationRequestEsipa.eimTransactionId (v1.2 only).
// The response CHOICEs have no tagged alternatives, so they are automatically tagged ([0] A0, [1] 81/A1, [2] 82) and
// wrapped in their explicit [57]/[59]/[58]/[65] tag. CancelSessionRequestEsipa's components are untagged, so they get
// automatic tags [0] (80) and [1] (A1, explicit: its type is a CHOICE).
#include <string>

#include "sgp/codec.hpp"
#include "sgp/codec_util.hpp"

namespace esimo::sgp::detail {
namespace download_codec {

using der::context;
using der::tag;

constexpr der::Tag kInitiateAuthentication = tag(0xBF39), kAuthenticateClient = tag(0xBF3B),
                   kGetBoundProfilePackage = tag(0xBF3A), kCancelSession = tag(0xBF41);

// A complete TLV carried verbatim: one level of its contents must be well-formed DER.
Result<Bytes> get_raw(const der::Tlv& t, const Path& p) {
  if (t.tag.constructed) {
    der::Reader r = t.children();
    ESIMO_CHECK(field(r.skip_extensions(), p));
  }
  return Bytes(t.raw.begin(), t.raw.end());
}

Status put_raw(der::Writer& w, const Bytes& raw, der::Tag want, const char* field_name) {
  auto t = der::read_single(raw);
  if (!t.ok() || t->tag != want) {
    return bad_value(field_name, std::string("must be one DER TLV with tag ") + der::tag_to_string(want));
  }
  w.raw(raw);
  return ok_status();
}

Status check_transaction_id(const Bytes& tid, const char* field_name) {
  if (tid.empty() || tid.size() > 16) return bad_value(field_name, "TransactionId must be 1..16 octets");
  return ok_status();
}

Error unknown_alternative(const Path& p, const der::Tlv& alt) {
  return fail(p, "offset " + std::to_string(alt.offset) + ": unknown alternative " + der::tag_to_string(alt.tag));
}

// ---- requests (IPA -> eIM) ----

Status put_initiate_request(der::Writer& w, const InitiateAuthenticationRequestEsipa& m, Version v) {
  if (m.euicc_challenge.size() != 16) return bad_value("euiccChallenge", "must be 16 octets");
  if (m.eim_transaction_id && v == Version::v1_0) return unsupported("initiateAuthentication.eimTransactionId", v);
  ESIMO_CHECK(check_tid(m.eim_transaction_id, "initiateAuthentication.eimTransactionId"));
  Status st;
  w.constructed(kInitiateAuthentication, [&] {
    w.octets(context(1), m.euicc_challenge);
    if (m.smdp_address) w.utf8(context(3), *m.smdp_address);
    if (m.euicc_info1) st = put_raw(w, *m.euicc_info1, tag(0xBF20), "euiccInfo1");
    if (m.eim_transaction_id) w.octets(context(2), *m.eim_transaction_id);
  });
  return st;
}

Result<InitiateAuthenticationRequestEsipa> get_initiate_request(const der::Tlv& t, Version v, const Path& p) {
  InitiateAuthenticationRequestEsipa m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv ch, need(r, context(1), p / "euiccChallenge"));
  ESIMO_TRY(m.euicc_challenge, get_octets(ch, p / "euiccChallenge", 16, 16));
  ESIMO_TRY(auto addr, maybe(r, context(3), p / "smdpAddress"));
  if (addr) {
    ESIMO_TRY(m.smdp_address, get_utf8(*addr, p / "smdpAddress"));
  }
  ESIMO_TRY(auto info, maybe(r, tag(0xBF20), p / "euiccInfo1"));
  if (info) {
    ESIMO_TRY(m.euicc_info1, get_raw(*info, p / "euiccInfo1"));
  }
  if (v == Version::v1_2) {
    ESIMO_CHECK(get_tid(r, context(2), p / "eimTransactionId", m.eim_transaction_id));
  }
  ESIMO_CHECK(finish_sequence(r, {context(1), context(3), tag(0xBF20), context(2)}, p));
  return m;
}

// AuthenticateClientRequestEsipa and GetBoundProfilePackageRequestEsipa share one shape:
// [n] SEQUENCE { transactionId [0] TransactionId, <relayed SGP.22 response TLV> }.
Status put_tid_then_raw(der::Writer& w, der::Tag outer, const Bytes& tid, const Bytes& raw, der::Tag inner,
                        const char* tid_field, const char* raw_field) {
  ESIMO_CHECK(check_transaction_id(tid, tid_field));
  Status st;
  w.constructed(outer, [&] {
    w.octets(context(0), tid);
    st = put_raw(w, raw, inner, raw_field);
  });
  return st;
}

Status get_tid_then_raw(const der::Tlv& t, der::Tag inner, const Path& p, std::string_view raw_name, Bytes& tid,
                        Bytes& raw) {
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv x, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(tid, get_octets(x, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv resp, need(r, inner, p / raw_name));
  ESIMO_TRY(raw, get_raw(resp, p / raw_name));
  return finish_sequence(r, {context(0), inner}, p);
}

Status put_authenticate_request(der::Writer& w, const AuthenticateClientRequestEsipa& m) {
  return put_tid_then_raw(w, kAuthenticateClient, m.transaction_id, m.authenticate_server_response, tag(0xBF38),
                          "authenticateClient.transactionId", "authenticateServerResponse");
}

Result<AuthenticateClientRequestEsipa> get_authenticate_request(const der::Tlv& t, const Path& p) {
  AuthenticateClientRequestEsipa m;
  ESIMO_CHECK(get_tid_then_raw(t, tag(0xBF38), p, "authenticateServerResponse", m.transaction_id,
                               m.authenticate_server_response));
  return m;
}

Status put_bpp_request(der::Writer& w, const GetBoundProfilePackageRequestEsipa& m) {
  return put_tid_then_raw(w, kGetBoundProfilePackage, m.transaction_id, m.prepare_download_response, tag(0xBF21),
                          "getBoundProfilePackage.transactionId", "prepareDownloadResponse");
}

Result<GetBoundProfilePackageRequestEsipa> get_bpp_request(const der::Tlv& t, const Path& p) {
  GetBoundProfilePackageRequestEsipa m;
  ESIMO_CHECK(get_tid_then_raw(t, tag(0xBF21), p, "prepareDownloadResponse", m.transaction_id,
                               m.prepare_download_response));
  return m;
}

bool cancel_alternative(der::Tag t) { return t == context(0, true) || t == context(1) || t == context(2, true); }

Status put_cancel_request(der::Writer& w, const CancelSessionRequestEsipa& m) {
  ESIMO_CHECK(check_transaction_id(m.transaction_id, "cancelSession.transactionId"));
  auto alt = der::read_single(m.cancel_session_response);
  if (!alt.ok() || !cancel_alternative(alt->tag)) {
    return bad_value("cancelSessionResponse", "must be one CancelSessionResponse alternative TLV (A0, 81 or A2)");
  }
  w.constructed(kCancelSession, [&] {
    w.octets(context(0), m.transaction_id);
    w.constructed(context(1, true), [&] { w.raw(m.cancel_session_response); });
  });
  return ok_status();
}

Result<CancelSessionRequestEsipa> get_cancel_request(const der::Tlv& t, const Path& p) {
  CancelSessionRequestEsipa m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  const Path cp = p / "cancelSessionResponse";
  ESIMO_TRY(der::Tlv wrap, need(r, context(1, true), cp));
  der::Reader cr = wrap.children();
  ESIMO_TRY(der::Tlv alt, next_any(cr, cp));
  if (!cancel_alternative(alt.tag)) return unknown_alternative(cp, alt);
  ESIMO_CHECK(finish_exact(cr, cp));
  ESIMO_TRY(m.cancel_session_response, get_raw(alt, cp));
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1, true)}, p));
  return m;
}

// ---- responses (eIM -> IPA) ----

Status put_initiate_response(der::Writer& w, const InitiateAuthenticationResponseEsipa& m) {
  Status st;
  auto keep = [&st](Status s) {
    if (st.ok()) st = std::move(s);
  };
  w.constructed(kInitiateAuthentication, [&] {
    if (const auto* e = std::get_if<InitiateAuthenticationErrorEsipa>(&m)) {
      w.integer(context(1), e->code);
      return;
    }
    const auto& ok = std::get<InitiateAuthenticationOkEsipa>(m);
    keep(check_tid(ok.transaction_id, "initiateAuthenticationOk.transactionId"));
    w.constructed(context(0, true), [&] {
      if (ok.transaction_id) w.octets(context(0), *ok.transaction_id);
      keep(put_raw(w, ok.server_signed1, der::kSequence, "serverSigned1"));
      w.octets(kTagSignature, ok.server_signature1);
      w.octets(der::kOctetString, ok.euicc_ci_pkid_to_be_used);
      keep(put_raw(w, ok.server_certificate, der::kSequence, "serverCertificate"));
      if (ok.matching_id) w.utf8(der::kUtf8String, *ok.matching_id);
      if (ok.ctx_params1) {
        auto alt = der::read_single(*ok.ctx_params1);
        if (!alt.ok()) keep(bad_value("ctxParams1", "must be one DER TLV"));
        w.constructed(context(2, true), [&] { w.raw(*ok.ctx_params1); });  // [2] on the CHOICE CtxParams1
      }
    });
  });
  return st;
}

Result<InitiateAuthenticationResponseEsipa> get_initiate_response(const der::Tlv& t, const Path& p) {
  der::Reader outer = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  ESIMO_CHECK(finish_exact(outer, p));
  if (alt.tag == context(1)) {
    ESIMO_TRY(auto code, get_int(alt, p / "initiateAuthenticationErrorEsipa"));
    return InitiateAuthenticationResponseEsipa(InitiateAuthenticationErrorEsipa{code});
  }
  if (alt.tag != context(0, true)) return unknown_alternative(p, alt);
  const Path q = p / "initiateAuthenticationOkEsipa";
  InitiateAuthenticationOkEsipa ok;
  der::Reader r = alt.children();
  ESIMO_CHECK(get_tid(r, context(0), q / "transactionId", ok.transaction_id));
  ESIMO_TRY(der::Tlv s1, need(r, der::kSequence, q / "serverSigned1"));
  ESIMO_TRY(ok.server_signed1, get_raw(s1, q / "serverSigned1"));
  ESIMO_TRY(der::Tlv sig, need(r, kTagSignature, q / "serverSignature1"));
  ESIMO_TRY(ok.server_signature1, get_octets(sig, q / "serverSignature1"));
  ESIMO_TRY(der::Tlv ci, need(r, der::kOctetString, q / "euiccCiPKIdentifierToBeUsed"));
  ESIMO_TRY(ok.euicc_ci_pkid_to_be_used, get_octets(ci, q / "euiccCiPKIdentifierToBeUsed"));
  ESIMO_TRY(der::Tlv cert, need(r, der::kSequence, q / "serverCertificate"));
  ESIMO_TRY(ok.server_certificate, get_raw(cert, q / "serverCertificate"));
  ESIMO_TRY(auto mid, maybe(r, der::kUtf8String, q / "matchingId"));
  if (mid) {
    ESIMO_TRY(ok.matching_id, get_utf8(*mid, q / "matchingId"));
  }
  ESIMO_TRY(auto ctx, maybe(r, context(2, true), q / "ctxParams1"));
  if (ctx) {
    der::Reader cr = ctx->children();
    ESIMO_TRY(der::Tlv inner, next_any(cr, q / "ctxParams1"));
    ESIMO_CHECK(finish_exact(cr, q / "ctxParams1"));
    ESIMO_TRY(ok.ctx_params1, get_raw(inner, q / "ctxParams1"));
  }
  ESIMO_CHECK(finish_sequence(r,
                              {context(0), der::kSequence, kTagSignature, der::kOctetString, der::kUtf8String,
                               context(2, true)},
                              q));
  return InitiateAuthenticationResponseEsipa(std::move(ok));
}

Status put_authenticate_response(der::Writer& w, const AuthenticateClientResponseEsipa& m, Version v) {
  Status st;
  auto keep = [&st](Status s) {
    if (st.ok()) st = std::move(s);
  };
  w.constructed(kAuthenticateClient, [&] {
    if (const auto* e = std::get_if<AuthenticateClientErrorEsipa>(&m)) {
      w.integer(context(2), e->code);
    } else if (const auto* dp = std::get_if<AuthenticateClientOkDpEsipa>(&m)) {
      keep(check_tid(dp->transaction_id, "authenticateClientOkDP.transactionId"));
      if (dp->hash_cc && dp->hash_cc->size() != 32) keep(bad_value("hashCc", "must be 32 octets"));
      w.constructed(context(0, true), [&] {
        if (dp->transaction_id) w.octets(context(0), *dp->transaction_id);
        if (dp->profile_metadata) keep(put_raw(w, *dp->profile_metadata, tag(0xBF25), "profileMetaData"));
        keep(put_raw(w, dp->smdp_signed2, der::kSequence, "smdpSigned2"));
        w.octets(kTagSignature, dp->smdp_signature2);
        keep(put_raw(w, dp->smdp_certificate, der::kSequence, "smdpCertificate"));
        if (dp->hash_cc) w.octets(der::kOctetString, *dp->hash_cc);
      });
    } else {
      const auto& ds = std::get<AuthenticateClientOkDsEsipa>(m);
      keep(check_transaction_id(ds.transaction_id, "authenticateClientOkDS.transactionId"));
      w.constructed(context(1, true), [&] {
        w.octets(context(0), ds.transaction_id);
        if (ds.profile_download_trigger) keep(put_profile_download_trigger_request(w, *ds.profile_download_trigger, v));
      });
    }
  });
  return st;
}

Result<AuthenticateClientResponseEsipa> get_authenticate_response(const der::Tlv& t, Version v, const Path& p) {
  der::Reader outer = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  ESIMO_CHECK(finish_exact(outer, p));
  der::Reader r = alt.children();
  if (alt.tag == context(0, true)) {
    const Path q = p / "authenticateClientOkDPEsipa";
    AuthenticateClientOkDpEsipa dp;
    ESIMO_CHECK(get_tid(r, context(0), q / "transactionId", dp.transaction_id));
    ESIMO_TRY(auto meta, maybe(r, tag(0xBF25), q / "profileMetaData"));
    if (meta) {
      ESIMO_TRY(dp.profile_metadata, get_raw(*meta, q / "profileMetaData"));
    }
    ESIMO_TRY(der::Tlv s2, need(r, der::kSequence, q / "smdpSigned2"));
    ESIMO_TRY(dp.smdp_signed2, get_raw(s2, q / "smdpSigned2"));
    ESIMO_TRY(der::Tlv sig, need(r, kTagSignature, q / "smdpSignature2"));
    ESIMO_TRY(dp.smdp_signature2, get_octets(sig, q / "smdpSignature2"));
    ESIMO_TRY(der::Tlv cert, need(r, der::kSequence, q / "smdpCertificate"));
    ESIMO_TRY(dp.smdp_certificate, get_raw(cert, q / "smdpCertificate"));
    ESIMO_TRY(auto hcc, maybe(r, der::kOctetString, q / "hashCc"));
    if (hcc) {
      ESIMO_TRY(dp.hash_cc, get_octets(*hcc, q / "hashCc", 32, 32));
    }
    ESIMO_CHECK(finish_sequence(r, {context(0), tag(0xBF25), der::kSequence, kTagSignature, der::kOctetString}, q));
    return AuthenticateClientResponseEsipa(std::move(dp));
  }
  if (alt.tag == context(1, true)) {
    const Path q = p / "authenticateClientOkDSEsipa";
    AuthenticateClientOkDsEsipa ds;
    ESIMO_TRY(der::Tlv tid, need(r, context(0), q / "transactionId"));
    ESIMO_TRY(ds.transaction_id, get_octets(tid, q / "transactionId", 1, 16));
    ESIMO_TRY(auto trig, maybe(r, tag(0xBF54), q / "profileDownloadTrigger"));
    if (trig) {
      ESIMO_TRY(ds.profile_download_trigger,
                get_profile_download_trigger_request(*trig, v, q / "profileDownloadTrigger"));
    }
    ESIMO_CHECK(finish_sequence(r, {context(0), tag(0xBF54)}, q));
    return AuthenticateClientResponseEsipa(std::move(ds));
  }
  if (alt.tag == context(2)) {
    ESIMO_TRY(auto code, get_int(alt, p / "authenticateClientErrorEsipa"));
    return AuthenticateClientResponseEsipa(AuthenticateClientErrorEsipa{code});
  }
  return unknown_alternative(p, alt);
}

Status put_bpp_response(der::Writer& w, const GetBoundProfilePackageResponseEsipa& m) {
  Status st;
  w.constructed(kGetBoundProfilePackage, [&] {
    if (const auto* e = std::get_if<GetBoundProfilePackageErrorEsipa>(&m)) {
      w.integer(context(1), e->code);
      return;
    }
    const auto& ok = std::get<GetBoundProfilePackageOkEsipa>(m);
    st = check_tid(ok.transaction_id, "getBoundProfilePackageOk.transactionId");
    w.constructed(context(0, true), [&] {
      if (ok.transaction_id) w.octets(context(0), *ok.transaction_id);
      Status s = put_raw(w, ok.bound_profile_package, tag(0xBF36), "boundProfilePackage");
      if (st.ok()) st = s;
    });
  });
  return st;
}

Result<GetBoundProfilePackageResponseEsipa> get_bpp_response(const der::Tlv& t, const Path& p) {
  der::Reader outer = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  ESIMO_CHECK(finish_exact(outer, p));
  if (alt.tag == context(1)) {
    ESIMO_TRY(auto code, get_int(alt, p / "getBoundProfilePackageErrorEsipa"));
    return GetBoundProfilePackageResponseEsipa(GetBoundProfilePackageErrorEsipa{code});
  }
  if (alt.tag != context(0, true)) return unknown_alternative(p, alt);
  const Path q = p / "getBoundProfilePackageOkEsipa";
  GetBoundProfilePackageOkEsipa ok;
  der::Reader r = alt.children();
  ESIMO_CHECK(get_tid(r, context(0), q / "transactionId", ok.transaction_id));
  ESIMO_TRY(der::Tlv bpp, need(r, tag(0xBF36), q / "boundProfilePackage"));
  ESIMO_TRY(ok.bound_profile_package, get_raw(bpp, q / "boundProfilePackage"));
  ESIMO_CHECK(finish_sequence(r, {context(0), tag(0xBF36)}, q));
  return GetBoundProfilePackageResponseEsipa(std::move(ok));
}

void put_cancel_response(der::Writer& w, const CancelSessionResponseEsipa& m) {
  w.constructed(kCancelSession, [&] {
    if (const auto* e = std::get_if<CancelSessionErrorEsipa>(&m)) {
      w.integer(context(1), e->code);
    } else {
      w.constructed(context(0, true), [] {});
    }
  });
}

Result<CancelSessionResponseEsipa> get_cancel_response(const der::Tlv& t, const Path& p) {
  der::Reader outer = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  ESIMO_CHECK(finish_exact(outer, p));
  if (alt.tag == context(1)) {
    ESIMO_TRY(auto code, get_int(alt, p / "cancelSessionError"));
    return CancelSessionResponseEsipa(CancelSessionErrorEsipa{code});
  }
  if (alt.tag == context(0, true)) {
    der::Reader r = alt.children();
    ESIMO_CHECK(finish_sequence(r, {}, p / "cancelSessionOk"));
    return CancelSessionResponseEsipa(CancelSessionOkEsipa{});
  }
  return unknown_alternative(p, alt);
}

}  // namespace download_codec

Status put_download_request(der::Writer& w, const EsipaMessageFromIpaToEim& m, Version v) {
  namespace dc = download_codec;
  if (const auto* x = std::get_if<InitiateAuthenticationRequestEsipa>(&m)) return dc::put_initiate_request(w, *x, v);
  if (const auto* x = std::get_if<AuthenticateClientRequestEsipa>(&m)) return dc::put_authenticate_request(w, *x);
  if (const auto* x = std::get_if<GetBoundProfilePackageRequestEsipa>(&m)) return dc::put_bpp_request(w, *x);
  if (const auto* x = std::get_if<CancelSessionRequestEsipa>(&m)) return dc::put_cancel_request(w, *x);
  return Error(Errc::internal, "not a download request");
}

Status put_download_response(der::Writer& w, const EsipaMessageFromEimToIpa& m, Version v) {
  namespace dc = download_codec;
  if (const auto* x = std::get_if<InitiateAuthenticationResponseEsipa>(&m)) return dc::put_initiate_response(w, *x);
  if (const auto* x = std::get_if<AuthenticateClientResponseEsipa>(&m)) return dc::put_authenticate_response(w, *x, v);
  if (const auto* x = std::get_if<GetBoundProfilePackageResponseEsipa>(&m)) return dc::put_bpp_response(w, *x);
  if (const auto* x = std::get_if<CancelSessionResponseEsipa>(&m)) {
    dc::put_cancel_response(w, *x);
    return ok_status();
  }
  return Error(Errc::internal, "not a download response");
}

namespace download_codec {
template <class Out, class T>
std::optional<Result<Out>> lift(Result<T> r) {
  if (!r.ok()) return Result<Out>(std::move(r).error());
  return Result<Out>(Out(std::move(r).value()));
}
}  // namespace download_codec

std::optional<Result<EsipaMessageFromIpaToEim>> get_download_request(const der::Tlv& t, Version v, const Path& p) {
  namespace dc = download_codec;
  using Out = EsipaMessageFromIpaToEim;
  if (t.tag == dc::kInitiateAuthentication) {
    return dc::lift<Out>(dc::get_initiate_request(t, v, p / "initiateAuthenticationRequestEsipa"));
  }
  if (t.tag == dc::kAuthenticateClient) {
    return dc::lift<Out>(dc::get_authenticate_request(t, p / "authenticateClientRequestEsipa"));
  }
  if (t.tag == dc::kGetBoundProfilePackage) {
    return dc::lift<Out>(dc::get_bpp_request(t, p / "getBoundProfilePackageRequestEsipa"));
  }
  if (t.tag == dc::kCancelSession) return dc::lift<Out>(dc::get_cancel_request(t, p / "cancelSessionRequestEsipa"));
  return std::nullopt;
}

std::optional<Result<EsipaMessageFromEimToIpa>> get_download_response(const der::Tlv& t, Version v, const Path& p) {
  namespace dc = download_codec;
  using Out = EsipaMessageFromEimToIpa;
  if (t.tag == dc::kInitiateAuthentication) {
    return dc::lift<Out>(dc::get_initiate_response(t, p / "initiateAuthenticationResponseEsipa"));
  }
  if (t.tag == dc::kAuthenticateClient) {
    return dc::lift<Out>(dc::get_authenticate_response(t, v, p / "authenticateClientResponseEsipa"));
  }
  if (t.tag == dc::kGetBoundProfilePackage) {
    return dc::lift<Out>(dc::get_bpp_response(t, p / "getBoundProfilePackageResponseEsipa"));
  }
  if (t.tag == dc::kCancelSession) return dc::lift<Out>(dc::get_cancel_response(t, p / "cancelSessionResponseEsipa"));
  return std::nullopt;
}

}  // namespace esimo::sgp::detail
