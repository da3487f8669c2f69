// SGP.22 v2.x download messages (RSPDefinitions, AUTOMATIC TAGS). Where the tags come from:
//  - a SEQUENCE whose components are all untagged gets automatic context tags [0], [1], ... (CtxParamsForCommonAuthentication,
//    DeviceInfo, NotificationConfigurationInformation, OperatorId, ErrorResult, CancelSessionRequest,
//    EuiccCancelSessionSigned); one tagged component switches automatic tagging off for that SEQUENCE (ServerSigned1 keeps
//    its [0]/[1]/[3]/[4], AuthenticateServerRequest its universal tags, ...);
//  - a CHOICE with untagged alternatives tags them [0], [1] (AuthenticateServerResponse, PrepareDownloadResponse,
//    CtxParams1, finalResult, CancelSessionResponse), and a tag placed on a CHOICE is explicit (BF38 / BF21 / BF41 wrap
//    the alternative, finalResult [2] wraps A0/A1).
#include "sgp/rsp22.hpp"

#include "der/der.hpp"
#include "sgp/codec_util.hpp"

namespace esimo::sgp::rsp22 {
namespace rsp22_codec {

using der::context;
using der::tag;
using detail::bad_value;
using detail::fail;
using detail::field;
using detail::finish_exact;
using detail::finish_sequence;
using detail::get_int;
using detail::get_octets;
using detail::get_utf8;
using detail::maybe;
using detail::need;
using detail::next_any;
using detail::Path;
using detail::wrap;

constexpr der::Tag kSig = tag(0x5F37), kOtpk = tag(0x5F49), kIccid = tag(0x5A), kAid = tag(0x4F);

std::string at(const der::Tlv& t) { return "offset " + std::to_string(t.offset); }

Status check_size(const Bytes& b, std::size_t min, std::size_t max, const char* name) {
  if (b.size() < min || b.size() > max) {
    const std::string range = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    return bad_value(name, "size " + std::to_string(b.size()) + " outside " + range);
  }
  return ok_status();
}

// A complete Certificate (or other SEQUENCE) carried as DER: one TLV with tag 30 whose first level is well-formed.
Result<Bytes> get_cert(const der::Tlv& t, const Path& p) {
  der::Reader r = t.children();
  ESIMO_CHECK(field(r.skip_extensions(), p));
  return Bytes(t.raw.begin(), t.raw.end());
}
Status put_cert(der::Writer& w, const Bytes& cert, const char* name) {
  auto t = der::read_single(cert);
  if (!t.ok() || t->tag != der::kSequence) return bad_value(name, "must be one DER SEQUENCE (a Certificate)");
  w.raw(cert);
  return ok_status();
}

Result<std::string> get_oid(const der::Tlv& t, const Path& p) {
  if (t.tag.constructed) return fail(p, at(t) + ": OBJECT IDENTIFIER must be primitive");
  return field(der::read_oid(t), p);
}

Result<bool> get_bool(const der::Tlv& t, const Path& p) { return field(der::read_boolean(t), p); }

// Writer::oid marks the writer invalid on a bad OID string; report it as the field's error.
Status put_oid(der::Writer& w, der::Tag t, const std::string& oid, const char* name) {
  der::Writer probe;
  probe.oid(t, oid);
  if (!probe.valid()) return bad_value(name, "not a dotted-decimal OBJECT IDENTIFIER: " + oid);
  w.raw(probe.bytes());
  return ok_status();
}

template <class Get>
auto decode_top(ByteView bytes, std::string_view root, der::Tag want, Get get)
    -> decltype(get(der::Tlv{}, Path{})) {
  const Path path{nullptr, root};
  auto t = der::read_single(bytes);
  if (!t.ok()) return wrap(path, std::move(t).error());
  if (t->tag != want) {
    return fail(path, at(*t) + ": expected tag " + der::tag_to_string(want) + ", found " + der::tag_to_string(t->tag));
  }
  return get(*t, path);
}

template <class Put>
Result<Bytes> encode_with(Put put) {
  der::Writer w;
  ESIMO_CHECK(put(w));
  if (!w.valid()) return Error(Errc::invalid_argument, "DER writer rejected a value");
  return w.take();
}

// ---- EUICCInfo1 ----
Status put_ski_list(der::Writer& w, der::Tag t, const std::vector<Bytes>& list) {
  w.constructed(t, [&] {
    for (const auto& k : list) w.octets(der::kOctetString, k);
  });
  return ok_status();
}
Result<std::vector<Bytes>> get_ski_list(const der::Tlv& t, const Path& p) {
  if (!t.tag.constructed) return fail(p, at(t) + ": SEQUENCE OF must be constructed");
  std::vector<Bytes> out;
  der::Reader r = t.children();
  while (!r.empty()) {
    ESIMO_TRY(der::Tlv k, need(r, der::kOctetString, p));
    ESIMO_TRY(Bytes b, get_octets(k, p));
    out.push_back(std::move(b));
  }
  return out;
}

Status put_euicc_info1(der::Writer& w, const EuiccInfo1& m) {
  ESIMO_CHECK(check_size(m.svn, 3, 3, "euiccInfo1.svn"));
  w.constructed(tag(0xBF20), [&] {
    w.octets(context(2), m.svn);
    (void)put_ski_list(w, context(9, true), m.ci_pkids_verification);
    (void)put_ski_list(w, context(10, true), m.ci_pkids_signing);
  });
  return ok_status();
}
Result<EuiccInfo1> get_euicc_info1(const der::Tlv& t, const Path& p) {
  EuiccInfo1 m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv svn, need(r, context(2), p / "svn"));
  ESIMO_TRY(m.svn, get_octets(svn, p / "svn", 3, 3));
  ESIMO_TRY(der::Tlv v, need(r, context(9, true), p / "euiccCiPKIdListForVerification"));
  ESIMO_TRY(m.ci_pkids_verification, get_ski_list(v, p / "euiccCiPKIdListForVerification"));
  ESIMO_TRY(der::Tlv s, need(r, context(10, true), p / "euiccCiPKIdListForSigning"));
  ESIMO_TRY(m.ci_pkids_signing, get_ski_list(s, p / "euiccCiPKIdListForSigning"));
  ESIMO_CHECK(finish_sequence(r, {context(2), context(9, true), context(10, true)}, p));
  return m;
}

// ---- CtxParams1 ----
Status put_ctx_params1(der::Writer& w, const CtxParams1& m) {
  ESIMO_CHECK(check_size(m.device_info.tac, 4, 4, "ctxParams1.deviceInfo.tac"));
  if (m.device_info.imei) ESIMO_CHECK(check_size(*m.device_info.imei, 8, 8, "ctxParams1.deviceInfo.imei"));
  w.constructed(context(0, true), [&] {
    if (m.matching_id) w.utf8(context(0), *m.matching_id);
    w.constructed(context(1, true), [&] {
      w.octets(context(0), m.device_info.tac);
      w.constructed(context(1, true), [&] { w.raw(m.device_info.device_capabilities); });
      if (m.device_info.imei) w.octets(context(2), *m.device_info.imei);
    });
  });
  return ok_status();
}
Result<CtxParams1> get_ctx_params1(der::Reader& outer, const Path& p) {
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  if (alt.tag != context(0, true)) {
    return fail(p, at(alt) + ": unknown CtxParams1 alternative " + der::tag_to_string(alt.tag));
  }
  const Path q = p / "ctxParamsForCommonAuthentication";
  CtxParams1 m;
  der::Reader r = alt.children();
  ESIMO_TRY(auto mid, maybe(r, context(0), q / "matchingId"));
  if (mid) {
    ESIMO_TRY(m.matching_id, get_utf8(*mid, q / "matchingId"));
  }
  const Path dp = q / "deviceInfo";
  ESIMO_TRY(der::Tlv di, need(r, context(1, true), dp));
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1, true)}, q));
  der::Reader dr = di.children();
  ESIMO_TRY(der::Tlv tac, need(dr, context(0), dp / "tac"));
  ESIMO_TRY(m.device_info.tac, get_octets(tac, dp / "tac", 4, 4));
  ESIMO_TRY(der::Tlv caps, need(dr, context(1, true), dp / "deviceCapabilities"));
  {
    der::Reader cr = caps.children();
    ESIMO_CHECK(field(cr.skip_extensions(), dp / "deviceCapabilities"));
  }
  m.device_info.device_capabilities.assign(caps.value.begin(), caps.value.end());
  ESIMO_TRY(auto imei, maybe(dr, context(2), dp / "imei"));
  if (imei) {
    ESIMO_TRY(m.device_info.imei, get_octets(*imei, dp / "imei", 8, 8));
  }
  ESIMO_CHECK(finish_sequence(dr, {context(0), context(1, true), context(2)}, dp));
  return m;
}

// ---- ServerSigned1 / AuthenticateServerRequest ----
Status put_server_signed1(der::Writer& w, const ServerSigned1& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "serverSigned1.transactionId"));
  ESIMO_CHECK(check_size(m.euicc_challenge, 16, 16, "serverSigned1.euiccChallenge"));
  ESIMO_CHECK(check_size(m.server_challenge, 16, 16, "serverSigned1.serverChallenge"));
  w.constructed(der::kSequence, [&] {
    w.octets(context(0), m.transaction_id);
    w.octets(context(1), m.euicc_challenge);
    w.utf8(context(3), m.server_address);
    w.octets(context(4), m.server_challenge);
  });
  return ok_status();
}
Result<ServerSigned1> get_server_signed1(const der::Tlv& t, const Path& p) {
  ServerSigned1 m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv ch, need(r, context(1), p / "euiccChallenge"));
  ESIMO_TRY(m.euicc_challenge, get_octets(ch, p / "euiccChallenge", 16, 16));
  ESIMO_TRY(der::Tlv addr, need(r, context(3), p / "serverAddress"));
  ESIMO_TRY(m.server_address, get_utf8(addr, p / "serverAddress"));
  ESIMO_TRY(der::Tlv sch, need(r, context(4), p / "serverChallenge"));
  ESIMO_TRY(m.server_challenge, get_octets(sch, p / "serverChallenge", 16, 16));
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1), context(3), context(4)}, p));
  return m;
}

Status put_authenticate_server_request(der::Writer& w, const AuthenticateServerRequest& m) {
  Status st;
  w.constructed(tag(0xBF38), [&] {
    st = put_server_signed1(w, m.server_signed1);
    if (!st.ok()) return;
    w.octets(kSig, m.server_signature1);
    w.octets(der::kOctetString, m.euicc_ci_pkid_to_be_used);
    st = put_cert(w, m.server_certificate, "serverCertificate");
    if (!st.ok()) return;
    st = put_ctx_params1(w, m.ctx_params1);
  });
  return st;
}
Result<AuthenticateServerRequest> get_authenticate_server_request(const der::Tlv& t, const Path& p) {
  AuthenticateServerRequest m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv s1, need(r, der::kSequence, p / "serverSigned1"));
  ESIMO_TRY(m.server_signed1, get_server_signed1(s1, p / "serverSigned1"));
  m.server_signed1_der.assign(s1.raw.begin(), s1.raw.end());
  ESIMO_TRY(der::Tlv sig, need(r, kSig, p / "serverSignature1"));
  ESIMO_TRY(m.server_signature1, get_octets(sig, p / "serverSignature1"));
  ESIMO_TRY(der::Tlv ci, need(r, der::kOctetString, p / "euiccCiPKIdToBeUsed"));
  ESIMO_TRY(m.euicc_ci_pkid_to_be_used, get_octets(ci, p / "euiccCiPKIdToBeUsed"));
  ESIMO_TRY(der::Tlv cert, need(r, der::kSequence, p / "serverCertificate"));
  ESIMO_TRY(m.server_certificate, get_cert(cert, p / "serverCertificate"));
  ESIMO_TRY(m.ctx_params1, get_ctx_params1(r, p / "ctxParams1"));
  ESIMO_CHECK(finish_sequence(r, {der::kSequence, kSig, der::kOctetString, context(0, true)}, p));
  return m;
}

// ---- EuiccSigned1 / AuthenticateServerResponse ----
Status put_euicc_signed1(der::Writer& w, const EuiccSigned1& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "euiccSigned1.transactionId"));
  ESIMO_CHECK(check_size(m.server_challenge, 16, 16, "euiccSigned1.serverChallenge"));
  auto info2 = der::read_single(m.euicc_info2);
  if (!info2.ok() || info2->tag != tag(0xBF22)) return bad_value("euiccSigned1.euiccInfo2", "must be one BF22 TLV");
  Status st;
  w.constructed(der::kSequence, [&] {
    w.octets(context(0), m.transaction_id);
    w.utf8(context(3), m.server_address);
    w.octets(context(4), m.server_challenge);
    w.raw(m.euicc_info2);
    st = put_ctx_params1(w, m.ctx_params1);
  });
  return st;
}
Result<EuiccSigned1> get_euicc_signed1(const der::Tlv& t, const Path& p) {
  EuiccSigned1 m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv addr, need(r, context(3), p / "serverAddress"));
  ESIMO_TRY(m.server_address, get_utf8(addr, p / "serverAddress"));
  ESIMO_TRY(der::Tlv sch, need(r, context(4), p / "serverChallenge"));
  ESIMO_TRY(m.server_challenge, get_octets(sch, p / "serverChallenge", 16, 16));
  ESIMO_TRY(der::Tlv info2, need(r, tag(0xBF22), p / "euiccInfo2"));
  ESIMO_TRY(m.euicc_info2, get_cert(info2, p / "euiccInfo2"));
  ESIMO_TRY(m.ctx_params1, get_ctx_params1(r, p / "ctxParams1"));
  ESIMO_CHECK(finish_sequence(r, {context(0), context(3), context(4), tag(0xBF22), context(0, true)}, p));
  return m;
}

Status put_authenticate_server_response(der::Writer& w, const AuthenticateServerResponse& m) {
  Status st;
  w.constructed(tag(0xBF38), [&] {
    if (const auto* ok = std::get_if<AuthenticateResponseOk>(&m)) {
      w.constructed(context(0, true), [&] {
        st = put_euicc_signed1(w, ok->euicc_signed1);
        if (!st.ok()) return;
        w.octets(kSig, ok->euicc_signature1);
        st = put_cert(w, ok->euicc_certificate, "euiccCertificate");
        if (!st.ok()) return;
        st = put_cert(w, ok->eum_certificate, "eumCertificate");
      });
    } else {
      const auto& e = std::get<AuthenticateResponseError>(m);
      st = check_size(e.transaction_id, 1, 16, "authenticateResponseError.transactionId");
      w.constructed(context(1, true), [&] {
        w.octets(context(0), e.transaction_id);
        w.integer(der::kInteger, e.code);
      });
    }
  });
  return st;
}
Result<AuthenticateServerResponse> get_authenticate_server_response(const der::Tlv& t, const Path& p) {
  der::Reader outer = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  ESIMO_CHECK(finish_exact(outer, p));
  der::Reader r = alt.children();
  if (alt.tag == context(0, true)) {
    const Path q = p / "authenticateResponseOk";
    AuthenticateResponseOk m;
    ESIMO_TRY(der::Tlv s1, need(r, der::kSequence, q / "euiccSigned1"));
    ESIMO_TRY(m.euicc_signed1, get_euicc_signed1(s1, q / "euiccSigned1"));
    m.euicc_signed1_der.assign(s1.raw.begin(), s1.raw.end());
    ESIMO_TRY(der::Tlv sig, need(r, kSig, q / "euiccSignature1"));
    ESIMO_TRY(m.euicc_signature1, get_octets(sig, q / "euiccSignature1"));
    ESIMO_TRY(der::Tlv c1, need(r, der::kSequence, q / "euiccCertificate"));
    ESIMO_TRY(m.euicc_certificate, get_cert(c1, q / "euiccCertificate"));
    ESIMO_TRY(der::Tlv c2, need(r, der::kSequence, q / "eumCertificate"));
    ESIMO_TRY(m.eum_certificate, get_cert(c2, q / "eumCertificate"));
    ESIMO_CHECK(finish_sequence(r, {kSig}, q));
    return AuthenticateServerResponse(std::move(m));
  }
  if (alt.tag == context(1, true)) {
    const Path q = p / "authenticateResponseError";
    AuthenticateResponseError e;
    ESIMO_TRY(der::Tlv tid, need(r, context(0), q / "transactionId"));
    ESIMO_TRY(e.transaction_id, get_octets(tid, q / "transactionId", 1, 16));
    ESIMO_TRY(der::Tlv code, need(r, der::kInteger, q / "authenticateErrorCode"));
    ESIMO_TRY(e.code, get_int(code, q / "authenticateErrorCode"));
    ESIMO_CHECK(finish_sequence(r, {context(0), der::kInteger}, q));
    return AuthenticateServerResponse(std::move(e));
  }
  return fail(p, at(alt) + ": unknown AuthenticateServerResponse alternative " + der::tag_to_string(alt.tag));
}

// ---- SmdpSigned2 / PrepareDownloadRequest ----
Status put_smdp_signed2(der::Writer& w, const SmdpSigned2& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "smdpSigned2.transactionId"));
  w.constructed(der::kSequence, [&] {
    w.octets(context(0), m.transaction_id);
    w.boolean(der::kBoolean, m.cc_required_flag);
    if (m.bpp_euicc_otpk) w.octets(kOtpk, *m.bpp_euicc_otpk);
  });
  return ok_status();
}
Result<SmdpSigned2> get_smdp_signed2(const der::Tlv& t, const Path& p) {
  SmdpSigned2 m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv cc, need(r, der::kBoolean, p / "ccRequiredFlag"));
  ESIMO_TRY(m.cc_required_flag, get_bool(cc, p / "ccRequiredFlag"));
  ESIMO_TRY(auto otpk, maybe(r, kOtpk, p / "bppEuiccOtpk"));
  if (otpk) {
    ESIMO_TRY(m.bpp_euicc_otpk, get_octets(*otpk, p / "bppEuiccOtpk"));
  }
  ESIMO_CHECK(finish_sequence(r, {context(0), der::kBoolean, kOtpk}, p));
  return m;
}

Status put_prepare_download_request(der::Writer& w, const PrepareDownloadRequest& m) {
  if (m.hash_cc) ESIMO_CHECK(check_size(*m.hash_cc, 32, 32, "prepareDownloadRequest.hashCc"));
  Status st;
  w.constructed(tag(0xBF21), [&] {
    st = put_smdp_signed2(w, m.smdp_signed2);
    if (!st.ok()) return;
    w.octets(kSig, m.smdp_signature2);
    if (m.hash_cc) w.octets(der::kOctetString, *m.hash_cc);
    st = put_cert(w, m.smdp_certificate, "smdpCertificate");
  });
  return st;
}
Result<PrepareDownloadRequest> get_prepare_download_request(const der::Tlv& t, const Path& p) {
  PrepareDownloadRequest m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv s2, need(r, der::kSequence, p / "smdpSigned2"));
  ESIMO_TRY(m.smdp_signed2, get_smdp_signed2(s2, p / "smdpSigned2"));
  m.smdp_signed2_der.assign(s2.raw.begin(), s2.raw.end());
  ESIMO_TRY(der::Tlv sig, need(r, kSig, p / "smdpSignature2"));
  ESIMO_TRY(m.smdp_signature2, get_octets(sig, p / "smdpSignature2"));
  ESIMO_TRY(auto hcc, maybe(r, der::kOctetString, p / "hashCc"));
  if (hcc) {
    ESIMO_TRY(m.hash_cc, get_octets(*hcc, p / "hashCc", 32, 32));
  }
  ESIMO_TRY(der::Tlv cert, need(r, der::kSequence, p / "smdpCertificate"));
  ESIMO_TRY(m.smdp_certificate, get_cert(cert, p / "smdpCertificate"));
  ESIMO_CHECK(finish_sequence(r, {kSig, der::kOctetString}, p));
  return m;
}

// ---- EuiccSigned2 / PrepareDownloadResponse ----
Status put_euicc_signed2(der::Writer& w, const EuiccSigned2& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "euiccSigned2.transactionId"));
  if (m.hash_cc) ESIMO_CHECK(check_size(*m.hash_cc, 32, 32, "euiccSigned2.hashCc"));
  w.constructed(der::kSequence, [&] {
    w.octets(context(0), m.transaction_id);
    w.octets(kOtpk, m.euicc_otpk);
    if (m.hash_cc) w.octets(der::kOctetString, *m.hash_cc);
  });
  return ok_status();
}
Result<EuiccSigned2> get_euicc_signed2(const der::Tlv& t, const Path& p) {
  EuiccSigned2 m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv otpk, need(r, kOtpk, p / "euiccOtpk"));
  ESIMO_TRY(m.euicc_otpk, get_octets(otpk, p / "euiccOtpk"));
  ESIMO_TRY(auto hcc, maybe(r, der::kOctetString, p / "hashCc"));
  if (hcc) {
    ESIMO_TRY(m.hash_cc, get_octets(*hcc, p / "hashCc", 32, 32));
  }
  ESIMO_CHECK(finish_sequence(r, {context(0), kOtpk, der::kOctetString}, p));
  return m;
}

Status put_prepare_download_response(der::Writer& w, const PrepareDownloadResponse& m) {
  Status st;
  w.constructed(tag(0xBF21), [&] {
    if (const auto* ok = std::get_if<PrepareDownloadResponseOk>(&m)) {
      w.constructed(context(0, true), [&] {
        st = put_euicc_signed2(w, ok->euicc_signed2);
        w.octets(kSig, ok->euicc_signature2);
      });
    } else {
      const auto& e = std::get<PrepareDownloadResponseError>(m);
      st = check_size(e.transaction_id, 1, 16, "downloadResponseError.transactionId");
      w.constructed(context(1, true), [&] {
        w.octets(context(0), e.transaction_id);
        w.integer(der::kInteger, e.code);
      });
    }
  });
  return st;
}
Result<PrepareDownloadResponse> get_prepare_download_response(const der::Tlv& t, const Path& p) {
  der::Reader outer = t.children();
  ESIMO_TRY(der::Tlv alt, next_any(outer, p));
  ESIMO_CHECK(finish_exact(outer, p));
  der::Reader r = alt.children();
  if (alt.tag == context(0, true)) {
    const Path q = p / "downloadResponseOk";
    PrepareDownloadResponseOk m;
    ESIMO_TRY(der::Tlv s2, need(r, der::kSequence, q / "euiccSigned2"));
    ESIMO_TRY(m.euicc_signed2, get_euicc_signed2(s2, q / "euiccSigned2"));
    m.euicc_signed2_der.assign(s2.raw.begin(), s2.raw.end());
    ESIMO_TRY(der::Tlv sig, need(r, kSig, q / "euiccSignature2"));
    ESIMO_TRY(m.euicc_signature2, get_octets(sig, q / "euiccSignature2"));
    ESIMO_CHECK(finish_sequence(r, {der::kSequence, kSig}, q));
    return PrepareDownloadResponse(std::move(m));
  }
  if (alt.tag == context(1, true)) {
    const Path q = p / "downloadResponseError";
    PrepareDownloadResponseError e;
    ESIMO_TRY(der::Tlv tid, need(r, context(0), q / "transactionId"));
    ESIMO_TRY(e.transaction_id, get_octets(tid, q / "transactionId", 1, 16));
    ESIMO_TRY(der::Tlv code, need(r, der::kInteger, q / "downloadErrorCode"));
    ESIMO_TRY(e.code, get_int(code, q / "downloadErrorCode"));
    ESIMO_CHECK(finish_sequence(r, {context(0), der::kInteger}, q));
    return PrepareDownloadResponse(std::move(e));
  }
  return fail(p, at(alt) + ": unknown PrepareDownloadResponse alternative " + der::tag_to_string(alt.tag));
}

// ---- StoreMetadataRequest ----
Status put_store_metadata(der::Writer& w, const StoreMetadataRequest& m) {
  ESIMO_CHECK(detail::check_iccid(m.iccid, "storeMetadata.iccid"));
  if (m.service_provider_name.size() > 32) return bad_value("storeMetadata.serviceProviderName", "longer than 32");
  if (m.profile_name.size() > 64) return bad_value("storeMetadata.profileName", "longer than 64");
  if (m.icon && m.icon->size() > 1024) return bad_value("storeMetadata.icon", "longer than 1024");
  if (m.profile_owner) ESIMO_CHECK(check_size(m.profile_owner->mcc_mnc, 3, 3, "storeMetadata.profileOwner.mccMnc"));
  w.constructed(tag(0xBF25), [&] {
    w.octets(kIccid, m.iccid);
    w.utf8(context(17), m.service_provider_name);
    w.utf8(context(18), m.profile_name);
    if (m.icon_type) w.integer(context(19), *m.icon_type);
    if (m.icon) w.octets(context(20), *m.icon);
    if (m.profile_class != 2) w.integer(context(21), m.profile_class);  // DEFAULT operational (X.690 §11.5)
    if (!m.notification_configuration_info.empty()) {
      w.constructed(context(22, true), [&] {
        for (const auto& n : m.notification_configuration_info) {
          w.constructed(der::kSequence, [&] {
            w.named_bits(context(0), n.profile_management_operation, 31);
            w.utf8(context(1), n.notification_address);
          });
        }
      });
    }
    if (m.profile_owner) {
      w.constructed(context(23, true), [&] {
        w.octets(context(0), m.profile_owner->mcc_mnc);
        if (m.profile_owner->gid1) w.octets(context(1), *m.profile_owner->gid1);
        if (m.profile_owner->gid2) w.octets(context(2), *m.profile_owner->gid2);
      });
    }
    if (m.profile_policy_rules) w.named_bits(context(25), *m.profile_policy_rules, 31);
  });
  return ok_status();
}
Result<StoreMetadataRequest> get_store_metadata(const der::Tlv& t, const Path& p) {
  StoreMetadataRequest m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv iccid, need(r, kIccid, p / "iccid"));
  ESIMO_TRY(m.iccid, get_octets(iccid, p / "iccid", 10, 10));
  ESIMO_TRY(der::Tlv spn, need(r, context(17), p / "serviceProviderName"));
  ESIMO_TRY(m.service_provider_name, get_utf8(spn, p / "serviceProviderName"));
  if (m.service_provider_name.size() > 32) return fail(p / "serviceProviderName", at(spn) + ": longer than 32");
  ESIMO_TRY(der::Tlv pn, need(r, context(18), p / "profileName"));
  ESIMO_TRY(m.profile_name, get_utf8(pn, p / "profileName"));
  if (m.profile_name.size() > 64) return fail(p / "profileName", at(pn) + ": longer than 64");
  ESIMO_TRY(auto it, maybe(r, context(19), p / "iconType"));
  if (it) {
    ESIMO_TRY(m.icon_type, get_int(*it, p / "iconType"));
  }
  ESIMO_TRY(auto icon, maybe(r, context(20), p / "icon"));
  if (icon) {
    ESIMO_TRY(m.icon, get_octets(*icon, p / "icon", 0, 1024));
  }
  ESIMO_TRY(auto pc, maybe(r, context(21), p / "profileClass"));
  if (pc) {
    ESIMO_TRY(m.profile_class, get_int(*pc, p / "profileClass"));
    if (m.profile_class == 2) return fail(p / "profileClass", at(*pc) + ": DEFAULT value encoded (not DER)");
  }
  ESIMO_TRY(auto nci, maybe(r, context(22, true), p / "notificationConfigurationInfo"));
  if (nci) {
    der::Reader nr = nci->children();
    while (!nr.empty()) {
      const Path q = p / "notificationConfigurationInfo";
      ESIMO_TRY(der::Tlv e, need(nr, der::kSequence, q));
      der::Reader er = e.children();
      NotificationConfigurationInformation n;
      ESIMO_TRY(der::Tlv op, need(er, context(0), q / "profileManagementOperation"));
      ESIMO_TRY(n.profile_management_operation, detail::get_bits(op, q / "profileManagementOperation"));
      ESIMO_TRY(der::Tlv addr, need(er, context(1), q / "notificationAddress"));
      ESIMO_TRY(n.notification_address, get_utf8(addr, q / "notificationAddress"));
      ESIMO_CHECK(finish_sequence(er, {context(0), context(1)}, q));
      m.notification_configuration_info.push_back(std::move(n));
    }
  }
  ESIMO_TRY(auto owner, maybe(r, context(23, true), p / "profileOwner"));
  if (owner) {
    const Path q = p / "profileOwner";
    OperatorId o;
    der::Reader orr = owner->children();
    ESIMO_TRY(der::Tlv mm, need(orr, context(0), q / "mccMnc"));
    ESIMO_TRY(o.mcc_mnc, get_octets(mm, q / "mccMnc", 3, 3));
    ESIMO_TRY(auto g1, maybe(orr, context(1), q / "gid1"));
    if (g1) {
      ESIMO_TRY(o.gid1, get_octets(*g1, q / "gid1"));
    }
    ESIMO_TRY(auto g2, maybe(orr, context(2), q / "gid2"));
    if (g2) {
      ESIMO_TRY(o.gid2, get_octets(*g2, q / "gid2"));
    }
    ESIMO_CHECK(finish_sequence(orr, {context(0), context(1), context(2)}, q));
    m.profile_owner = std::move(o);
  }
  ESIMO_TRY(auto ppr, maybe(r, context(25), p / "profilePolicyRules"));
  if (ppr) {
    ESIMO_TRY(m.profile_policy_rules, detail::get_bits(*ppr, p / "profilePolicyRules"));
  }
  // serviceSpecificDataStoredInEuicc [34] / NotStoredInEuicc [35] and later components: skipped (not used here).
  ESIMO_CHECK(finish_sequence(r, {kIccid, context(17), context(18), context(19), context(20), context(21),
                                  context(22, true), context(23, true), context(25)},
                              p));
  return m;
}

// ---- BoundProfilePackage ----
Status put_isc_signed_part(der::Writer& w, const InitialiseSecureChannelRequest& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "initialiseSecureChannelRequest.transactionId"));
  ESIMO_CHECK(check_size(m.control_ref_template.key_type, 1, 1, "controlRefTemplate.keyType"));
  ESIMO_CHECK(check_size(m.control_ref_template.key_len, 1, 1, "controlRefTemplate.keyLen"));
  ESIMO_CHECK(check_size(m.control_ref_template.host_id, 1, 16, "controlRefTemplate.hostId"));
  w.integer(context(2), m.remote_op_id);
  w.octets(context(0), m.transaction_id);
  w.constructed(context(6, true), [&] {
    w.octets(context(0), m.control_ref_template.key_type);
    w.octets(context(1), m.control_ref_template.key_len);
    w.octets(context(4), m.control_ref_template.host_id);
  });
  w.octets(kOtpk, m.smdp_otpk);
  return ok_status();
}
Result<InitialiseSecureChannelRequest> get_isc(const der::Tlv& t, const Path& p) {
  InitialiseSecureChannelRequest m;
  der::Reader r = t.children();
  const std::size_t start = r.offset();
  ESIMO_TRY(der::Tlv op, need(r, context(2), p / "remoteOpId"));
  ESIMO_TRY(m.remote_op_id, get_int(op, p / "remoteOpId"));
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  const Path cp = p / "controlRefTemplate";
  ESIMO_TRY(der::Tlv crt, need(r, context(6, true), cp));
  {
    der::Reader cr = crt.children();
    ESIMO_TRY(der::Tlv kt, need(cr, context(0), cp / "keyType"));
    ESIMO_TRY(m.control_ref_template.key_type, get_octets(kt, cp / "keyType", 1, 1));
    ESIMO_TRY(der::Tlv kl, need(cr, context(1), cp / "keyLen"));
    ESIMO_TRY(m.control_ref_template.key_len, get_octets(kl, cp / "keyLen", 1, 1));
    ESIMO_TRY(der::Tlv hid, need(cr, context(4), cp / "hostId"));
    ESIMO_TRY(m.control_ref_template.host_id, get_octets(hid, cp / "hostId", 1, 16));
    ESIMO_CHECK(finish_sequence(cr, {context(0), context(1), context(4)}, cp));
  }
  ESIMO_TRY(der::Tlv otpk, need(r, kOtpk, p / "smdpOtpk"));
  ESIMO_TRY(m.smdp_otpk, get_octets(otpk, p / "smdpOtpk"));
  const std::size_t end = r.offset();
  // The signed part is the contents of BF23 from remoteOpId to the end of smdpOtpk.
  m.signed_part_der.assign(t.value.begin(), t.value.begin() + static_cast<std::ptrdiff_t>(end - start));
  ESIMO_TRY(der::Tlv sig, need(r, kSig, p / "smdpSign"));
  ESIMO_TRY(m.smdp_sign, get_octets(sig, p / "smdpSign"));
  ESIMO_CHECK(finish_sequence(r, {context(2), context(0), context(6, true), kOtpk, kSig}, p));
  return m;
}

void put_seq_of(der::Writer& w, der::Tag outer, der::Tag element, const std::vector<Bytes>& list) {
  w.constructed(outer, [&] {
    for (const auto& e : list) w.octets(element, e);
  });
}
Result<std::vector<Bytes>> get_seq_of(const der::Tlv& t, der::Tag element, const Path& p) {
  std::vector<Bytes> out;
  der::Reader r = t.children();
  while (!r.empty()) {
    ESIMO_TRY(der::Tlv e, need(r, element, p));
    ESIMO_TRY(Bytes b, get_octets(e, p));
    out.push_back(std::move(b));
  }
  return out;
}

Status put_bpp(der::Writer& w, const BoundProfilePackage& m) {
  Status st;
  w.constructed(tag(0xBF36), [&] {
    w.constructed(tag(0xBF23), [&] {
      st = put_isc_signed_part(w, m.initialise_secure_channel);
      w.octets(kSig, m.initialise_secure_channel.smdp_sign);
    });
    put_seq_of(w, context(0, true), context(7), m.first_sequence_of_87);
    put_seq_of(w, context(1, true), context(8), m.sequence_of_88);
    if (m.second_sequence_of_87) put_seq_of(w, context(2, true), context(7), *m.second_sequence_of_87);
    put_seq_of(w, context(3, true), context(6), m.sequence_of_86);
  });
  return st;
}
Result<BoundProfilePackage> get_bpp(const der::Tlv& t, const Path& p) {
  BoundProfilePackage m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv isc, need(r, tag(0xBF23), p / "initialiseSecureChannelRequest"));
  ESIMO_TRY(m.initialise_secure_channel, get_isc(isc, p / "initialiseSecureChannelRequest"));
  ESIMO_TRY(der::Tlv f87, need(r, context(0, true), p / "firstSequenceOf87"));
  ESIMO_TRY(m.first_sequence_of_87, get_seq_of(f87, context(7), p / "firstSequenceOf87"));
  ESIMO_TRY(der::Tlv s88, need(r, context(1, true), p / "sequenceOf88"));
  ESIMO_TRY(m.sequence_of_88, get_seq_of(s88, context(8), p / "sequenceOf88"));
  ESIMO_TRY(auto s87, maybe(r, context(2, true), p / "secondSequenceOf87"));
  if (s87) {
    ESIMO_TRY(m.second_sequence_of_87, get_seq_of(*s87, context(7), p / "secondSequenceOf87"));
  }
  ESIMO_TRY(der::Tlv s86, need(r, context(3, true), p / "sequenceOf86"));
  ESIMO_TRY(m.sequence_of_86, get_seq_of(s86, context(6), p / "sequenceOf86"));
  ESIMO_CHECK(finish_sequence(
      r, {tag(0xBF23), context(0, true), context(1, true), context(2, true), context(3, true)}, p));
  return m;
}

// ---- ProfileInstallationResult ----
Status put_notification_metadata(der::Writer& w, const NotificationMetadata& m) {
  if (m.iccid) ESIMO_CHECK(detail::check_iccid(*m.iccid, "notificationMetadata.iccid"));
  w.constructed(tag(0xBF2F), [&] {
    w.integer(context(0), m.seq_number);
    w.named_bits(context(1), m.profile_management_operation, 31);
    w.utf8(der::kUtf8String, m.notification_address);
    if (m.iccid) w.octets(kIccid, *m.iccid);
  });
  return ok_status();
}
Result<NotificationMetadata> get_notification_metadata(const der::Tlv& t, const Path& p) {
  NotificationMetadata m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv seq, need(r, context(0), p / "seqNumber"));
  ESIMO_TRY(m.seq_number, get_int(seq, p / "seqNumber"));
  ESIMO_TRY(der::Tlv op, need(r, context(1), p / "profileManagementOperation"));
  ESIMO_TRY(m.profile_management_operation, detail::get_bits(op, p / "profileManagementOperation"));
  ESIMO_TRY(der::Tlv addr, need(r, der::kUtf8String, p / "notificationAddress"));
  ESIMO_TRY(m.notification_address, get_utf8(addr, p / "notificationAddress"));
  ESIMO_TRY(auto iccid, maybe(r, kIccid, p / "iccid"));
  if (iccid) {
    ESIMO_TRY(m.iccid, get_octets(*iccid, p / "iccid", 10, 10));
  }
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1), der::kUtf8String, kIccid}, p));
  return m;
}

Status put_pir_data(der::Writer& w, const ProfileInstallationResultData& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "profileInstallationResultData.transactionId"));
  Status st;
  w.constructed(tag(0xBF27), [&] {
    w.octets(context(0), m.transaction_id);
    st = put_notification_metadata(w, m.notification_metadata);
    if (!st.ok()) return;
    st = put_oid(w, der::kOid, m.smdp_oid, "profileInstallationResultData.smdpOid");
    if (!st.ok()) return;
    w.constructed(context(2, true), [&] {
      if (const auto* s = std::get_if<SuccessResult>(&m.final_result)) {
        st = check_size(s->aid, 5, 16, "successResult.aid");
        w.constructed(context(0, true), [&] {
          w.octets(kAid, s->aid);
          w.octets(der::kOctetString, s->sima_response);
        });
      } else {
        const auto& e = std::get<ErrorResult>(m.final_result);
        w.constructed(context(1, true), [&] {
          w.integer(context(0), e.bpp_command_id);
          w.integer(context(1), e.error_reason);
          if (e.sima_response) w.octets(context(2), *e.sima_response);
        });
      }
    });
  });
  return st;
}
Result<ProfileInstallationResultData> get_pir_data(const der::Tlv& t, const Path& p) {
  ProfileInstallationResultData m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv meta, need(r, tag(0xBF2F), p / "notificationMetadata"));
  ESIMO_TRY(m.notification_metadata, get_notification_metadata(meta, p / "notificationMetadata"));
  ESIMO_TRY(der::Tlv oid, need(r, der::kOid, p / "smdpOid"));
  ESIMO_TRY(m.smdp_oid, get_oid(oid, p / "smdpOid"));
  const Path fp = p / "finalResult";
  ESIMO_TRY(der::Tlv fr, need(r, context(2, true), fp));
  ESIMO_CHECK(finish_sequence(r, {context(0), tag(0xBF2F), der::kOid, context(2, true)}, p));
  der::Reader fo = fr.children();
  ESIMO_TRY(der::Tlv alt, next_any(fo, fp));
  ESIMO_CHECK(finish_exact(fo, fp));
  der::Reader ar = alt.children();
  if (alt.tag == context(0, true)) {
    const Path q = fp / "successResult";
    SuccessResult s;
    ESIMO_TRY(der::Tlv aid, need(ar, kAid, q / "aid"));
    ESIMO_TRY(s.aid, get_octets(aid, q / "aid", 5, 16));
    ESIMO_TRY(der::Tlv sima, need(ar, der::kOctetString, q / "simaResponse"));
    ESIMO_TRY(s.sima_response, get_octets(sima, q / "simaResponse"));
    ESIMO_CHECK(finish_sequence(ar, {kAid, der::kOctetString}, q));
    m.final_result = std::move(s);
  } else if (alt.tag == context(1, true)) {
    const Path q = fp / "errorResult";
    ErrorResult e;
    ESIMO_TRY(der::Tlv cmd, need(ar, context(0), q / "bppCommandId"));
    ESIMO_TRY(e.bpp_command_id, get_int(cmd, q / "bppCommandId"));
    ESIMO_TRY(der::Tlv reason, need(ar, context(1), q / "errorReason"));
    ESIMO_TRY(e.error_reason, get_int(reason, q / "errorReason"));
    ESIMO_TRY(auto sima, maybe(ar, context(2), q / "simaResponse"));
    if (sima) {
      ESIMO_TRY(e.sima_response, get_octets(*sima, q / "simaResponse"));
    }
    ESIMO_CHECK(finish_sequence(ar, {context(0), context(1), context(2)}, q));
    m.final_result = std::move(e);
  } else {
    return fail(fp, at(alt) + ": unknown finalResult alternative " + der::tag_to_string(alt.tag));
  }
  return m;
}

Status put_pir(der::Writer& w, const ProfileInstallationResult& m) {
  Status st;
  w.constructed(tag(0xBF37), [&] {
    st = put_pir_data(w, m.data);
    w.octets(kSig, m.euicc_sign_pir);
  });
  return st;
}
Result<ProfileInstallationResult> get_pir(const der::Tlv& t, const Path& p) {
  ProfileInstallationResult m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv data, need(r, tag(0xBF27), p / "profileInstallationResultData"));
  ESIMO_TRY(m.data, get_pir_data(data, p / "profileInstallationResultData"));
  m.data_der.assign(data.raw.begin(), data.raw.end());
  ESIMO_TRY(der::Tlv sig, need(r, kSig, p / "euiccSignPIR"));
  ESIMO_TRY(m.euicc_sign_pir, get_octets(sig, p / "euiccSignPIR"));
  ESIMO_CHECK(finish_sequence(r, {tag(0xBF27), kSig}, p));
  return m;
}

// ---- CancelSession ----
Status put_cancel_request(der::Writer& w, const CancelSessionRequest& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "cancelSessionRequest.transactionId"));
  w.constructed(tag(0xBF41), [&] {
    w.octets(context(0), m.transaction_id);
    w.integer(context(1), m.reason);
  });
  return ok_status();
}
Result<CancelSessionRequest> get_cancel_request(const der::Tlv& t, const Path& p) {
  CancelSessionRequest m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv reason, need(r, context(1), p / "reason"));
  ESIMO_TRY(m.reason, get_int(reason, p / "reason"));
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1)}, p));
  return m;
}

Status put_cancel_signed(der::Writer& w, const EuiccCancelSessionSigned& m) {
  ESIMO_CHECK(check_size(m.transaction_id, 1, 16, "euiccCancelSessionSigned.transactionId"));
  Status st;
  w.constructed(der::kSequence, [&] {
    w.octets(context(0), m.transaction_id);
    st = put_oid(w, context(1), m.smdp_oid, "euiccCancelSessionSigned.smdpOid");
    w.integer(context(2), m.reason);
  });
  return st;
}
Result<EuiccCancelSessionSigned> get_cancel_signed(const der::Tlv& t, const Path& p) {
  EuiccCancelSessionSigned m;
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv tid, need(r, context(0), p / "transactionId"));
  ESIMO_TRY(m.transaction_id, get_octets(tid, p / "transactionId", 1, 16));
  ESIMO_TRY(der::Tlv oid, need(r, context(1), p / "smdpOid"));
  ESIMO_TRY(m.smdp_oid, get_oid(oid, p / "smdpOid"));
  ESIMO_TRY(der::Tlv reason, need(r, context(2), p / "reason"));
  ESIMO_TRY(m.reason, get_int(reason, p / "reason"));
  ESIMO_CHECK(finish_sequence(r, {context(0), context(1), context(2)}, p));
  return m;
}

Status put_cancel_alternative(der::Writer& w, const CancelSessionResponse& m) {
  if (const auto* ok = std::get_if<CancelSessionResponseOk>(&m)) {
    Status st;
    w.constructed(context(0, true), [&] {
      st = put_cancel_signed(w, ok->signed_data);
      w.octets(kSig, ok->signature);
    });
    return st;
  }
  w.integer(context(1), std::get<CancelSessionResponseError>(m).code);
  return ok_status();
}
Result<CancelSessionResponse> get_cancel_alternative(const der::Tlv& alt, const Path& p) {
  if (alt.tag == context(0, true)) {
    const Path q = p / "cancelSessionResponseOk";
    CancelSessionResponseOk m;
    der::Reader r = alt.children();
    ESIMO_TRY(der::Tlv s, need(r, der::kSequence, q / "euiccCancelSessionSigned"));
    ESIMO_TRY(m.signed_data, get_cancel_signed(s, q / "euiccCancelSessionSigned"));
    m.signed_der.assign(s.raw.begin(), s.raw.end());
    ESIMO_TRY(der::Tlv sig, need(r, kSig, q / "euiccCancelSessionSignature"));
    ESIMO_TRY(m.signature, get_octets(sig, q / "euiccCancelSessionSignature"));
    ESIMO_CHECK(finish_sequence(r, {der::kSequence, kSig}, q));
    return CancelSessionResponse(std::move(m));
  }
  if (alt.tag == context(1)) {
    CancelSessionResponseError e;
    ESIMO_TRY(e.code, get_int(alt, p / "cancelSessionResponseError"));
    return CancelSessionResponse(e);
  }
  return fail(p, at(alt) + ": unknown CancelSessionResponse alternative " + der::tag_to_string(alt.tag));
}

}  // namespace rsp22_codec

namespace c = rsp22_codec;

Result<Bytes> encode(const EuiccInfo1& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_euicc_info1(w, m); });
}
Result<EuiccInfo1> decode_euicc_info1(ByteView der) {
  return c::decode_top(der, "euiccInfo1", der::tag(0xBF20), c::get_euicc_info1);
}

Result<Bytes> encode(const GetEuiccChallengeResponse& m) {
  ESIMO_CHECK(c::check_size(m.euicc_challenge, 16, 16, "euiccChallenge"));
  der::Writer w;
  w.constructed(der::tag(0xBF2E), [&] { w.octets(der::context(0), m.euicc_challenge); });
  return w.take();
}
Result<GetEuiccChallengeResponse> decode_get_euicc_challenge_response(ByteView der) {
  return c::decode_top(der, "getEuiccChallengeResponse", der::tag(0xBF2E),
                       [](const der::Tlv& t, const detail::Path& p) -> Result<GetEuiccChallengeResponse> {
                         GetEuiccChallengeResponse m;
                         der::Reader r = t.children();
                         ESIMO_TRY(der::Tlv ch, detail::need(r, der::context(0), p / "euiccChallenge"));
                         ESIMO_TRY(m.euicc_challenge, detail::get_octets(ch, p / "euiccChallenge", 16, 16));
                         ESIMO_CHECK(detail::finish_sequence(r, {der::context(0)}, p));
                         return m;
                       });
}

Result<Bytes> encode(const AuthenticateServerRequest& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_authenticate_server_request(w, m); });
}
Result<AuthenticateServerRequest> decode_authenticate_server_request(ByteView der) {
  return c::decode_top(der, "authenticateServerRequest", der::tag(0xBF38), c::get_authenticate_server_request);
}
Result<Bytes> encode(const AuthenticateServerResponse& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_authenticate_server_response(w, m); });
}
Result<AuthenticateServerResponse> decode_authenticate_server_response(ByteView der) {
  return c::decode_top(der, "authenticateServerResponse", der::tag(0xBF38), c::get_authenticate_server_response);
}
Result<Bytes> encode(const PrepareDownloadRequest& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_prepare_download_request(w, m); });
}
Result<PrepareDownloadRequest> decode_prepare_download_request(ByteView der) {
  return c::decode_top(der, "prepareDownloadRequest", der::tag(0xBF21), c::get_prepare_download_request);
}
Result<Bytes> encode(const PrepareDownloadResponse& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_prepare_download_response(w, m); });
}
Result<PrepareDownloadResponse> decode_prepare_download_response(ByteView der) {
  return c::decode_top(der, "prepareDownloadResponse", der::tag(0xBF21), c::get_prepare_download_response);
}
Result<Bytes> encode(const StoreMetadataRequest& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_store_metadata(w, m); });
}
Result<StoreMetadataRequest> decode_store_metadata_request(ByteView der) {
  return c::decode_top(der, "storeMetadataRequest", der::tag(0xBF25), c::get_store_metadata);
}
Result<Bytes> encode(const BoundProfilePackage& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_bpp(w, m); });
}
Result<BoundProfilePackage> decode_bound_profile_package(ByteView der) {
  return c::decode_top(der, "boundProfilePackage", der::tag(0xBF36), c::get_bpp);
}
Result<Bytes> encode(const ProfileInstallationResult& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_pir(w, m); });
}
Result<ProfileInstallationResult> decode_profile_installation_result(ByteView der) {
  return c::decode_top(der, "profileInstallationResult", der::tag(0xBF37), c::get_pir);
}
Result<Bytes> encode(const CancelSessionRequest& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_cancel_request(w, m); });
}
Result<CancelSessionRequest> decode_cancel_session_request(ByteView der) {
  return c::decode_top(der, "cancelSessionRequest", der::tag(0xBF41), c::get_cancel_request);
}
Result<Bytes> encode(const CancelSessionResponse& m) {
  return c::encode_with([&](der::Writer& w) {
    Status st;
    w.constructed(der::tag(0xBF41), [&] { st = c::put_cancel_alternative(w, m); });
    return st;
  });
}
Result<CancelSessionResponse> decode_cancel_session_response(ByteView der) {
  return c::decode_top(der, "cancelSessionResponse", der::tag(0xBF41),
                       [](const der::Tlv& t, const detail::Path& p) -> Result<CancelSessionResponse> {
                         der::Reader r = t.children();
                         ESIMO_TRY(der::Tlv alt, detail::next_any(r, p));
                         ESIMO_CHECK(detail::finish_exact(r, p));
                         return c::get_cancel_alternative(alt, p);
                       });
}
Result<Bytes> encode_cancel_session_response_alternative(const CancelSessionResponse& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_cancel_alternative(w, m); });
}
Result<CancelSessionResponse> decode_cancel_session_response_alternative(ByteView der) {
  const detail::Path p{nullptr, "cancelSessionResponse"};
  auto t = der::read_single(der);
  if (!t.ok()) return detail::wrap(p, std::move(t).error());
  return c::get_cancel_alternative(*t, p);
}

Result<ServerSigned1> decode_server_signed1(ByteView der) {
  return c::decode_top(der, "serverSigned1", der::kSequence, c::get_server_signed1);
}
Result<SmdpSigned2> decode_smdp_signed2(ByteView der) {
  return c::decode_top(der, "smdpSigned2", der::kSequence, c::get_smdp_signed2);
}

Result<Bytes> encode_server_signed1(const ServerSigned1& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_server_signed1(w, m); });
}
Result<Bytes> encode_euicc_signed1(const EuiccSigned1& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_euicc_signed1(w, m); });
}
Result<Bytes> encode_smdp_signed2(const SmdpSigned2& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_smdp_signed2(w, m); });
}
Result<Bytes> encode_euicc_signed2(const EuiccSigned2& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_euicc_signed2(w, m); });
}
Result<Bytes> encode_profile_installation_result_data(const ProfileInstallationResultData& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_pir_data(w, m); });
}
Result<Bytes> encode_euicc_cancel_session_signed(const EuiccCancelSessionSigned& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_cancel_signed(w, m); });
}
Result<Bytes> encode_initialise_secure_channel_signed_part(const InitialiseSecureChannelRequest& m) {
  return c::encode_with([&](der::Writer& w) { return c::put_isc_signed_part(w, m); });
}

Bytes signed_data_with_signature_object(ByteView signed_der, ByteView signature) {
  der::Writer w;
  w.raw(signed_der);
  w.octets(c::kSig, signature);
  return w.take();
}

}  // namespace esimo::sgp::rsp22
