// ES9+ JSON binding (SGP.22 §6.5). See es9plus.hpp for the wire rules this file implements.
#include "sgp/es9plus.hpp"

#include <array>
#include <boost/json.hpp>

#include "der/der.hpp"

namespace esimo::sgp::es9 {
namespace es9plus_detail {

namespace json = boost::json;

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_b64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64Alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kB64Table = make_b64_table();

Error parse_fail(std::string field, const std::string& what) {
  std::string msg = field + ": " + what;
  return Error(Errc::parse_error, std::move(msg), std::move(field));
}
Error encode_fail(std::string field, const std::string& what) {
  std::string msg = field + ": " + what;
  return Error(Errc::invalid_argument, std::move(msg), std::move(field));
}

Result<json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return Error(Errc::parse_error, "body: not JSON: " + ec.message(), "body");
  if (!v.is_object()) return Error(Errc::parse_error, "body: must be a JSON object", "body");
  return std::move(v.as_object());
}

Result<std::string> need_string(const json::object& o, std::string_view key, const std::string& path) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return parse_fail(path, "missing");
  if (!v->is_string()) return parse_fail(path, "must be a string");
  return std::string(v->as_string());
}

Result<std::optional<std::string>> maybe_string(const json::object& o, std::string_view key, const std::string& path) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return parse_fail(path, "must be a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

// The DER tag SGP.22 gives each base64 member; `want` 0 means "raw octets, not a TLV" (euiccChallenge).
Status check_tlv(const Bytes& value, std::uint32_t want, const std::string& path, bool decoding) {
  if (want == 0) return ok_status();
  auto t = der::read_single(value);
  if (!t.ok()) {
    std::string what = "not one DER TLV: " + t.error().message;
    return decoding ? parse_fail(path, what) : encode_fail(path, what);
  }
  if (t->tag != der::tag(want)) {
    std::string what = "tag " + der::tag_to_string(t->tag) + ", want " + der::tag_to_string(der::tag(want));
    return decoding ? parse_fail(path, what) : encode_fail(path, what);
  }
  return ok_status();
}

Result<Bytes> need_b64(const json::object& o, std::string_view key, std::uint32_t want_tag) {
  std::string path(key);
  ESIMO_TRY(std::string text, need_string(o, key, path));
  auto bytes = base64_decode(text);
  if (!bytes.ok()) return parse_fail(path, bytes.error().message);
  if (bytes->empty()) return parse_fail(path, "empty");
  ESIMO_CHECK(check_tlv(*bytes, want_tag, path, true));
  return std::move(bytes).value();
}

Result<std::optional<Bytes>> maybe_b64(const json::object& o, std::string_view key, std::uint32_t want_tag) {
  if (o.if_contains(key) == nullptr || o.at(key).is_null()) return std::optional<Bytes>{};
  ESIMO_TRY(Bytes b, need_b64(o, key, want_tag));
  return std::optional<Bytes>(std::move(b));
}

Status check_tid(const Bytes& tid, const std::string& path, bool decoding) {
  if (tid.empty() || tid.size() > 16) {
    return decoding ? parse_fail(path, "TransactionId must be 1..16 octets")
                    : encode_fail(path, "TransactionId must be 1..16 octets");
  }
  return ok_status();
}

// SGP.22 §6.5.1: transactionId is the hexadecimal string of the TransactionId octets (either case accepted).
Result<Bytes> need_tid(const json::object& o) {
  ESIMO_TRY(std::string text, need_string(o, "transactionId", "transactionId"));
  for (char c : text) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return parse_fail("transactionId", "not a hexadecimal string");
  }
  auto tid = from_hex(text);
  if (!tid.ok()) return parse_fail("transactionId", "not a hexadecimal string");
  ESIMO_CHECK(check_tid(*tid, "transactionId", true));
  return std::move(tid).value();
}

std::string tid_text(const Bytes& tid) {
  std::string s = to_hex(tid);
  for (char& c : s) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

Status put_b64(json::object& o, std::string_view key, const Bytes& value, std::uint32_t want_tag) {
  if (value.empty()) return encode_fail(std::string(key), "empty");
  ESIMO_CHECK(check_tlv(value, want_tag, std::string(key), false));
  o[key] = base64_encode(value);
  return ok_status();
}

Status put_tid(json::object& o, const Bytes& tid) {
  ESIMO_CHECK(check_tid(tid, "transactionId", false));
  o["transactionId"] = tid_text(tid);
  return ok_status();
}

Result<ExecutionStatus> status_from_text(std::string_view s) {
  for (auto st : {ExecutionStatus::executed_success, ExecutionStatus::executed_with_warning, ExecutionStatus::failed,
                  ExecutionStatus::expired}) {
    if (execution_status_name(st) == s) return st;
  }
  return parse_fail("header.functionExecutionStatus.status", "unknown status '" + std::string(s) + "'");
}

Result<json::object> header_object(const FunctionExecutionStatus& st) {
  json::object fes;
  fes["status"] = execution_status_name(st.status);
  if (st.status_code_data) {
    const auto& d = *st.status_code_data;
    if (d.subject_code.empty()) return encode_fail("statusCodeData.subjectCode", "empty");
    if (d.reason_code.empty()) return encode_fail("statusCodeData.reasonCode", "empty");
    json::object scd;
    scd["subjectCode"] = d.subject_code;
    scd["reasonCode"] = d.reason_code;
    if (d.subject_identifier) scd["subjectIdentifier"] = *d.subject_identifier;
    if (d.message) scd["message"] = *d.message;
    fes["statusCodeData"] = std::move(scd);
  } else if (!st.executed() || st.status == ExecutionStatus::executed_with_warning) {
    return encode_fail("statusCodeData",
                       std::string("required with status ") + std::string(execution_status_name(st.status)));
  }
  json::object header;
  header["functionExecutionStatus"] = std::move(fes);
  json::object body;
  body["header"] = std::move(header);
  return body;
}

Result<FunctionExecutionStatus> read_header(const json::object& body) {
  const json::value* h = body.if_contains("header");
  if (h == nullptr) return parse_fail("header", "missing");
  if (!h->is_object()) return parse_fail("header", "must be an object");
  const json::value* f = h->as_object().if_contains("functionExecutionStatus");
  if (f == nullptr) return parse_fail("header.functionExecutionStatus", "missing");
  if (!f->is_object()) return parse_fail("header.functionExecutionStatus", "must be an object");
  const json::object& fo = f->as_object();
  FunctionExecutionStatus st;
  ESIMO_TRY(std::string status_text, need_string(fo, "status", "header.functionExecutionStatus.status"));
  ESIMO_TRY(st.status, status_from_text(status_text));
  const json::value* s = fo.if_contains("statusCodeData");
  const std::string scd_path = "header.functionExecutionStatus.statusCodeData";
  if (s != nullptr && !s->is_null()) {
    if (!s->is_object()) return parse_fail(scd_path, "must be an object");
    const json::object& so = s->as_object();
    StatusCodeData d;
    ESIMO_TRY(d.subject_code, need_string(so, "subjectCode", scd_path + ".subjectCode"));
    ESIMO_TRY(d.reason_code, need_string(so, "reasonCode", scd_path + ".reasonCode"));
    ESIMO_TRY(d.subject_identifier, maybe_string(so, "subjectIdentifier", scd_path + ".subjectIdentifier"));
    ESIMO_TRY(d.message, maybe_string(so, "message", scd_path + ".message"));
    st.status_code_data = std::move(d);
  } else if (!st.executed()) {
    return parse_fail(scd_path,
                      "missing (required when the status is " + std::string(execution_status_name(st.status)) + ")");
  }
  return st;
}

// PendingNotification ::= CHOICE { profileInstallationResult BF37, otherSignedNotification SEQUENCE (30) }
bool pending_notification_tag_ok(const Bytes& b) {
  auto t = der::read_single(b);
  return t.ok() && (t->tag == der::tag(0xBF37) || t->tag == der::tag(0x30));
}

template <class Ok, class Fill>
Result<std::string> encode_response(const Response<Ok>& m, Fill fill) {
  ESIMO_TRY(json::object body, header_object(m.status));
  if (m.status.executed()) {
    if (!m.ok) return encode_fail("body", "an executed function needs its output data");
    ESIMO_CHECK(fill(body, *m.ok));
  } else if (m.ok) {
    return encode_fail("body", "a failed function carries no output data");
  }
  return json::serialize(body);
}

template <class Ok, class Read>
Result<Response<Ok>> decode_response(std::string_view text, Read read) {
  ESIMO_TRY(json::object body, parse_object(text));
  Response<Ok> r;
  ESIMO_TRY(r.status, read_header(body));
  if (r.status.executed()) {
    ESIMO_TRY(Ok ok, read(body));
    r.ok = std::move(ok);
  }
  return r;
}

}  // namespace es9plus_detail

namespace d = es9plus_detail;

// ---- names and paths ----

std::string_view function_name(Function f) {
  switch (f) {
    case Function::initiate_authentication: return "initiateAuthentication";
    case Function::get_bound_profile_package: return "getBoundProfilePackage";
    case Function::authenticate_client: return "authenticateClient";
    case Function::handle_notification: return "handleNotification";
    case Function::cancel_session: return "cancelSession";
  }
  return "unknown";
}

std::string function_path(Function f) { return std::string(kPathPrefix) + std::string(function_name(f)); }

Result<Function> function_from_path(std::string_view target) {
  if (target.substr(0, kPathPrefix.size()) != kPathPrefix) {
    return Error(Errc::not_found, "path: not an ES9+ path: " + std::string(target), "path");
  }
  std::string_view name = target.substr(kPathPrefix.size());
  for (auto f : {Function::initiate_authentication, Function::get_bound_profile_package, Function::authenticate_client,
                 Function::handle_notification, Function::cancel_session}) {
    if (function_name(f) == name) return f;
  }
  return Error(Errc::not_found, "path: unknown ES9+ function: " + std::string(name), "path");
}

bool admin_protocol_supported(std::string_view value) {
  constexpr std::string_view prefix = "gsma/rsp/v2.";
  if (value.substr(0, prefix.size()) != prefix) return false;
  std::string_view rest = value.substr(prefix.size());
  // <minor>.<patch>, each one or more digits
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= rest.size()) return false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (i == dot) continue;
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  return true;
}

std::string_view execution_status_name(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::executed_success: return "Executed-Success";
    case ExecutionStatus::executed_with_warning: return "Executed-WithWarning";
    case ExecutionStatus::failed: return "Failed";
    case ExecutionStatus::expired: return "Expired";
  }
  return "Failed";
}

FunctionExecutionStatus FunctionExecutionStatus::failure(std::string subject_code, std::string reason_code,
                                                         std::optional<std::string> message) {
  FunctionExecutionStatus st;
  st.status = ExecutionStatus::failed;
  st.status_code_data =
      StatusCodeData{std::move(subject_code), std::move(reason_code), std::nullopt, std::move(message)};
  return st;
}

// ---- base64 ----

std::string base64_encode(ByteView data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(d::kB64Alphabet[(v >> 18) & 63]);
    out.push_back(d::kB64Alphabet[(v >> 12) & 63]);
    out.push_back(d::kB64Alphabet[(v >> 6) & 63]);
    out.push_back(d::kB64Alphabet[v & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(d::kB64Alphabet[(v >> 18) & 63]);
    out.push_back(d::kB64Alphabet[(v >> 12) & 63]);
    out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(d::kB64Alphabet[(v >> 18) & 63]);
    out.push_back(d::kB64Alphabet[(v >> 12) & 63]);
    out.push_back(d::kB64Alphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

Result<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Error(Errc::parse_error, "base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=') {
        // Padding only in the last quantum, only in its last two places, and nothing but '=' after it.
        if (!last || k < 2) return Error(Errc::parse_error, "base64: '=' at offset " + std::to_string(i + k));
        ++pad;
        v <<= 6;
        continue;
      }
      if (pad > 0) return Error(Errc::parse_error, "base64: data after '=' at offset " + std::to_string(i + k));
      std::int8_t x = d::kB64Table[static_cast<unsigned char>(c)];
      if (x < 0) return Error(Errc::parse_error, "base64: bad character at offset " + std::to_string(i + k));
      v = (v << 6) | static_cast<std::uint32_t>(x);
    }
    // Non-zero pad bits would make two texts decode to the same bytes: not canonical, rejected.
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0)) {
      return Error(Errc::parse_error, "base64: non-zero padding bits at offset " + std::to_string(i));
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

// ---- requests ----

Result<std::string> encode(const InitiateAuthenticationRequest& m) {
  if (m.euicc_challenge.size() != 16) return d::encode_fail("euiccChallenge", "must be 16 octets");
  if (m.smdp_address.empty()) return d::encode_fail("smdpAddress", "empty");
  boost::json::object o;
  o["euiccChallenge"] = base64_encode(m.euicc_challenge);
  ESIMO_CHECK(d::put_b64(o, "euiccInfo1", m.euicc_info1, 0xBF20));
  o["smdpAddress"] = m.smdp_address;
  return boost::json::serialize(o);
}

Result<InitiateAuthenticationRequest> decode_initiate_authentication_request(std::string_view json) {
  ESIMO_TRY(boost::json::object o, d::parse_object(json));
  InitiateAuthenticationRequest m;
  ESIMO_TRY(m.euicc_challenge, d::need_b64(o, "euiccChallenge", 0));
  if (m.euicc_challenge.size() != 16) return d::parse_fail("euiccChallenge", "must be 16 octets");
  ESIMO_TRY(m.euicc_info1, d::need_b64(o, "euiccInfo1", 0xBF20));
  ESIMO_TRY(m.smdp_address, d::need_string(o, "smdpAddress", "smdpAddress"));
  if (m.smdp_address.empty()) return d::parse_fail("smdpAddress", "empty");
  return m;
}

Result<std::string> encode(const AuthenticateClientRequest& m) {
  boost::json::object o;
  ESIMO_CHECK(d::put_tid(o, m.transaction_id));
  ESIMO_CHECK(d::put_b64(o, "authenticateServerResponse", m.authenticate_server_response, 0xBF38));
  return boost::json::serialize(o);
}

Result<AuthenticateClientRequest> decode_authenticate_client_request(std::string_view json) {
  ESIMO_TRY(boost::json::object o, d::parse_object(json));
  AuthenticateClientRequest m;
  ESIMO_TRY(m.transaction_id, d::need_tid(o));
  ESIMO_TRY(m.authenticate_server_response, d::need_b64(o, "authenticateServerResponse", 0xBF38));
  return m;
}

Result<std::string> encode(const GetBoundProfilePackageRequest& m) {
  boost::json::object o;
  ESIMO_CHECK(d::put_tid(o, m.transaction_id));
  ESIMO_CHECK(d::put_b64(o, "prepareDownloadResponse", m.prepare_download_response, 0xBF21));
  return boost::json::serialize(o);
}

Result<GetBoundProfilePackageRequest> decode_get_bound_profile_package_request(std::string_view json) {
  ESIMO_TRY(boost::json::object o, d::parse_object(json));
  GetBoundProfilePackageRequest m;
  ESIMO_TRY(m.transaction_id, d::need_tid(o));
  ESIMO_TRY(m.prepare_download_response, d::need_b64(o, "prepareDownloadResponse", 0xBF21));
  return m;
}

Result<std::string> encode(const HandleNotificationRequest& m) {
  if (!d::pending_notification_tag_ok(m.pending_notification)) {
    return d::encode_fail("pendingNotification", "must be one DER TLV with tag BF37 or 30");
  }
  boost::json::object o;
  o["pendingNotification"] = base64_encode(m.pending_notification);
  return boost::json::serialize(o);
}

Result<HandleNotificationRequest> decode_handle_notification_request(std::string_view json) {
  ESIMO_TRY(boost::json::object o, d::parse_object(json));
  HandleNotificationRequest m;
  ESIMO_TRY(m.pending_notification, d::need_b64(o, "pendingNotification", 0));
  if (!d::pending_notification_tag_ok(m.pending_notification)) {
    return d::parse_fail("pendingNotification", "must be one DER TLV with tag BF37 or 30");
  }
  return m;
}

Result<std::string> encode(const CancelSessionRequest& m) {
  boost::json::object o;
  ESIMO_CHECK(d::put_tid(o, m.transaction_id));
  ESIMO_CHECK(d::put_b64(o, "cancelSessionResponse", m.cancel_session_response, 0xBF41));
  return boost::json::serialize(o);
}

Result<CancelSessionRequest> decode_cancel_session_request(std::string_view json) {
  ESIMO_TRY(boost::json::object o, d::parse_object(json));
  CancelSessionRequest m;
  ESIMO_TRY(m.transaction_id, d::need_tid(o));
  ESIMO_TRY(m.cancel_session_response, d::need_b64(o, "cancelSessionResponse", 0xBF41));
  return m;
}

// ---- responses ----

Result<std::string> encode(const InitiateAuthenticationResponse& m) {
  return d::encode_response(m, [](boost::json::object& o, const InitiateAuthenticationOk& ok) -> Status {
    ESIMO_CHECK(d::put_tid(o, ok.transaction_id));
    ESIMO_CHECK(d::put_b64(o, "serverSigned1", ok.server_signed1, 0x30));
    ESIMO_CHECK(d::put_b64(o, "serverSignature1", ok.server_signature1, 0x5F37));
    ESIMO_CHECK(d::put_b64(o, "euiccCiPKIdToBeUsed", ok.euicc_ci_pkid_to_be_used, 0x04));
    ESIMO_CHECK(d::put_b64(o, "serverCertificate", ok.server_certificate, 0x30));
    return ok_status();
  });
}

Result<InitiateAuthenticationResponse> decode_initiate_authentication_response(std::string_view json) {
  return d::decode_response<InitiateAuthenticationOk>(
      json, [](const boost::json::object& o) -> Result<InitiateAuthenticationOk> {
        InitiateAuthenticationOk ok;
        ESIMO_TRY(ok.transaction_id, d::need_tid(o));
        ESIMO_TRY(ok.server_signed1, d::need_b64(o, "serverSigned1", 0x30));
        ESIMO_TRY(ok.server_signature1, d::need_b64(o, "serverSignature1", 0x5F37));
        ESIMO_TRY(ok.euicc_ci_pkid_to_be_used, d::need_b64(o, "euiccCiPKIdToBeUsed", 0x04));
        ESIMO_TRY(ok.server_certificate, d::need_b64(o, "serverCertificate", 0x30));
        return ok;
      });
}

Result<std::string> encode(const AuthenticateClientResponse& m) {
  return d::encode_response(m, [](boost::json::object& o, const AuthenticateClientOk& ok) -> Status {
    ESIMO_CHECK(d::put_tid(o, ok.transaction_id));
    if (ok.profile_metadata) ESIMO_CHECK(d::put_b64(o, "profileMetadata", *ok.profile_metadata, 0xBF25));
    ESIMO_CHECK(d::put_b64(o, "smdpSigned2", ok.smdp_signed2, 0x30));
    ESIMO_CHECK(d::put_b64(o, "smdpSignature2", ok.smdp_signature2, 0x5F37));
    ESIMO_CHECK(d::put_b64(o, "smdpCertificate", ok.smdp_certificate, 0x30));
    return ok_status();
  });
}

Result<AuthenticateClientResponse> decode_authenticate_client_response(std::string_view json) {
  return d::decode_response<AuthenticateClientOk>(
      json, [](const boost::json::object& o) -> Result<AuthenticateClientOk> {
        AuthenticateClientOk ok;
        ESIMO_TRY(ok.transaction_id, d::need_tid(o));
        ESIMO_TRY(ok.profile_metadata, d::maybe_b64(o, "profileMetadata", 0xBF25));
        ESIMO_TRY(ok.smdp_signed2, d::need_b64(o, "smdpSigned2", 0x30));
        ESIMO_TRY(ok.smdp_signature2, d::need_b64(o, "smdpSignature2", 0x5F37));
        ESIMO_TRY(ok.smdp_certificate, d::need_b64(o, "smdpCertificate", 0x30));
        return ok;
      });
}

Result<std::string> encode(const GetBoundProfilePackageResponse& m) {
  return d::encode_response(m, [](boost::json::object& o, const GetBoundProfilePackageOk& ok) -> Status {
    ESIMO_CHECK(d::put_tid(o, ok.transaction_id));
    ESIMO_CHECK(d::put_b64(o, "boundProfilePackage", ok.bound_profile_package, 0xBF36));
    return ok_status();
  });
}

Result<GetBoundProfilePackageResponse> decode_get_bound_profile_package_response(std::string_view json) {
  return d::decode_response<GetBoundProfilePackageOk>(
      json, [](const boost::json::object& o) -> Result<GetBoundProfilePackageOk> {
        GetBoundProfilePackageOk ok;
        ESIMO_TRY(ok.transaction_id, d::need_tid(o));
        ESIMO_TRY(ok.bound_profile_package, d::need_b64(o, "boundProfilePackage", 0xBF36));
        return ok;
      });
}

Result<std::string> encode(const CancelSessionResponse& m) {
  return d::encode_response(m, [](boost::json::object&, const CancelSessionOk&) -> Status { return ok_status(); });
}

Result<CancelSessionResponse> decode_cancel_session_response(std::string_view json) {
  return d::decode_response<CancelSessionOk>(
      json, [](const boost::json::object&) -> Result<CancelSessionOk> { return CancelSessionOk{}; });
}

Result<std::string> encode_header_only(const FunctionExecutionStatus& status) {
  ESIMO_TRY(boost::json::object body, d::header_object(status));
  return boost::json::serialize(body);
}

Result<FunctionExecutionStatus> decode_response_header(std::string_view json) {
  ESIMO_TRY(boost::json::object body, d::parse_object(json));
  return d::read_header(body);
}

}  // namespace esimo::sgp::es9
