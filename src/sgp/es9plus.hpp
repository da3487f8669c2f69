#pragma once
// ES9+ (SM-DP+ <-> LPA/eIM) JSON binding, SGP.22 §6.5 (functions §6.5.2.1-§6.5.2.5) over the HTTP binding of §6.1:
//   POST /gsma/rsp2/es9plus/<function>, Content-Type: application/json, X-Admin-Protocol: gsma/rsp/v2.x.y.
// Requests carry no header; every response body starts with
//   "header": {"functionExecutionStatus": {
//       "status": "Executed-Success" | "Executed-WithWarning" | "Failed" | "Expired",
//       "statusCodeData": {"subjectCode", "reasonCode", "subjectIdentifier"?, "message"?}}}
// and carries the function's output data only when the function executed. handleNotification answers HTTP 204 with no
// body (§6.5.2.4); cancelSession answers the header only.
//
// Field types (§6.5.1): the ASN.1 values are base64 (RFC 4648, padded) of their complete DER TLV, exactly as the eUICC
// and SM-DP+ produce them (serverSignature1 is the whole 5F37 TLV, euiccCiPKIdToBeUsed the whole 04 TLV, ...);
// transactionId is a hexadecimal string of the TransactionId octets. The ESipa structs in messages.hpp store some of
// these differently (signature contents without the 5F37 tag): the eIM relay converts, this binding does not.
//
// Decoding is strict: a missing mandatory member, a member of the wrong JSON type, bad base64/hex, or a DER value that
// is not one TLV with the tag SGP.22 gives it fails with Errc::parse_error; Error::field names the member (a JSON path
// such as "header.functionExecutionStatus.status"). Unknown members are ignored (later SGP.22 versions add members such
// as lpaRspCapability). Encoders check the same constraints and fail with Errc::invalid_argument.
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace esimo::sgp::es9 {

inline constexpr std::string_view kPathPrefix = "/gsma/rsp2/es9plus/";
inline constexpr std::string_view kContentType = "application/json";
// What esimo sends as a client (the SGP.22 version whose ES9+ it speaks).
inline constexpr std::string_view kAdminProtocol = "gsma/rsp/v2.2.0";

enum class Function {
  initiate_authentication,    // §6.5.2.1
  get_bound_profile_package,  // §6.5.2.2
  authenticate_client,        // §6.5.2.3
  handle_notification,        // §6.5.2.4
  cancel_session,             // §6.5.2.5
};
// The path segment: "initiateAuthentication", "getBoundProfilePackage", ...
std::string_view function_name(Function f);
// "/gsma/rsp2/es9plus/<function>"
std::string function_path(Function f);
// The function a request target names (a query string is not allowed); not_found for another path.
Result<Function> function_from_path(std::string_view target);
// X-Admin-Protocol values an ES9+ peer accepts: "gsma/rsp/v2.<minor>.<patch>" (SGP.22 v2 binding).
bool admin_protocol_supported(std::string_view value);

// ---- header (§6.5.1.4 / SGP.22 §6.1.1 functionExecutionStatus) ----
enum class ExecutionStatus { executed_success, executed_with_warning, failed, expired };
std::string_view execution_status_name(ExecutionStatus s);  // the wire text: "Executed-Success", ...

struct StatusCodeData {
  std::string subject_code;  // e.g. "8.2.6" (Matching ID)
  std::string reason_code;   // e.g. "3.8" (Refused)
  std::optional<std::string> subject_identifier;
  std::optional<std::string> message;
};

struct FunctionExecutionStatus {
  ExecutionStatus status = ExecutionStatus::executed_success;
  std::optional<StatusCodeData> status_code_data;  // mandatory on Failed/Expired and on Executed-WithWarning

  bool executed() const {
    return status == ExecutionStatus::executed_success || status == ExecutionStatus::executed_with_warning;
  }
  static FunctionExecutionStatus success() { return {}; }
  static FunctionExecutionStatus failure(std::string subject_code, std::string reason_code,
                                         std::optional<std::string> message = std::nullopt);
};

// A response: the header, and the output data iff the function executed.
template <class Ok>
struct Response {
  FunctionExecutionStatus status;
  std::optional<Ok> ok;
};

// ---- initiateAuthentication (§6.5.2.1) ----
struct InitiateAuthenticationRequest {
  Bytes euicc_challenge;     // 16 octets (the raw challenge, not a TLV)
  Bytes euicc_info1;         // EUICCInfo1 TLV (BF20)
  std::string smdp_address;  // FQDN[:port]
};
struct InitiateAuthenticationOk {
  Bytes transaction_id;            // 1..16 octets
  Bytes server_signed1;            // ServerSigned1 (30)
  Bytes server_signature1;         // 5F37 TLV
  Bytes euicc_ci_pkid_to_be_used;  // SubjectKeyIdentifier (04)
  Bytes server_certificate;        // Certificate (30)
};
using InitiateAuthenticationResponse = Response<InitiateAuthenticationOk>;

// ---- authenticateClient (§6.5.2.3) ----
struct AuthenticateClientRequest {
  Bytes transaction_id;
  Bytes authenticate_server_response;  // AuthenticateServerResponse (BF38)
};
struct AuthenticateClientOk {
  Bytes transaction_id;
  std::optional<Bytes> profile_metadata;  // StoreMetadataRequest (BF25)
  Bytes smdp_signed2;                     // SmdpSigned2 (30)
  Bytes smdp_signature2;                  // 5F37 TLV
  Bytes smdp_certificate;                 // Certificate (30)
};
using AuthenticateClientResponse = Response<AuthenticateClientOk>;

// ---- getBoundProfilePackage (§6.5.2.2) ----
struct GetBoundProfilePackageRequest {
  Bytes transaction_id;
  Bytes prepare_download_response;  // PrepareDownloadResponse (BF21)
};
struct GetBoundProfilePackageOk {
  Bytes transaction_id;
  Bytes bound_profile_package;  // BoundProfilePackage (BF36)
};
using GetBoundProfilePackageResponse = Response<GetBoundProfilePackageOk>;

// ---- handleNotification (§6.5.2.4) ----
struct HandleNotificationRequest {
  // PendingNotification: ProfileInstallationResult (BF37) or OtherSignedNotification (30).
  Bytes pending_notification;
};

// ---- cancelSession (§6.5.2.5) ----
struct CancelSessionRequest {
  Bytes transaction_id;
  Bytes cancel_session_response;  // CancelSessionResponse (BF41) as the eUICC returned it
};
struct CancelSessionOk {};
using CancelSessionResponse = Response<CancelSessionOk>;

// ---- encoders (compact JSON text) ----
Result<std::string> encode(const InitiateAuthenticationRequest& m);
Result<std::string> encode(const AuthenticateClientRequest& m);
Result<std::string> encode(const GetBoundProfilePackageRequest& m);
Result<std::string> encode(const HandleNotificationRequest& m);
Result<std::string> encode(const CancelSessionRequest& m);
Result<std::string> encode(const InitiateAuthenticationResponse& m);
Result<std::string> encode(const AuthenticateClientResponse& m);
Result<std::string> encode(const GetBoundProfilePackageResponse& m);
Result<std::string> encode(const CancelSessionResponse& m);
// A body that is the header only: any function's failure answer, and cancelSession's success.
Result<std::string> encode_header_only(const FunctionExecutionStatus& status);

// ---- decoders ----
Result<InitiateAuthenticationRequest> decode_initiate_authentication_request(std::string_view json);
Result<AuthenticateClientRequest> decode_authenticate_client_request(std::string_view json);
Result<GetBoundProfilePackageRequest> decode_get_bound_profile_package_request(std::string_view json);
Result<HandleNotificationRequest> decode_handle_notification_request(std::string_view json);
Result<CancelSessionRequest> decode_cancel_session_request(std::string_view json);
Result<InitiateAuthenticationResponse> decode_initiate_authentication_response(std::string_view json);
Result<AuthenticateClientResponse> decode_authenticate_client_response(std::string_view json);
Result<GetBoundProfilePackageResponse> decode_get_bound_profile_package_response(std::string_view json);
Result<CancelSessionResponse> decode_cancel_session_response(std::string_view json);
// The header of any response body (e.g. a handleNotification answer that carries one anyway).
Result<FunctionExecutionStatus> decode_response_header(std::string_view json);

// ---- field codecs, exposed for the relay and tests ----
std::string base64_encode(ByteView data);
// Strict RFC 4648 §4: standard alphabet, padded to a multiple of 4, no whitespace, zero pad bits.
Result<Bytes> base64_decode(std::string_view text);

}  // namespace esimo::sgp::es9
