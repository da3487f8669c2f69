#pragma once
// SGP.22 v2.x (RSPDefinitions, AUTOMATIC TAGS) messages of the profile download, as typed structs with strict DER
// codecs: what the IPA exchanges with the eUICC over ES10b (GetEuiccChallenge, EUICCInfo1, AuthenticateServer,
// PrepareDownload, LoadBoundProfilePackage, CancelSession) and what the SM-DP+ produces and checks over ES9+ (ServerSigned1,
// SmdpSigned2, StoreMetadataRequest, BoundProfilePackage, ProfileInstallationResult). SGP.32 carries these as DER blobs
// inside its Esipa wrappers (messages.hpp), so the eIM relays them without decoding; the twin decodes them here.
//
// Decoders are as strict as the SGP.32 ones (codec.hpp): wrong tags, missing fields, wrong sizes, unknown CHOICE
// alternatives and trailing bytes fail with Errc::parse_error naming the field path and offset; unknown trailing
// SEQUENCE components are skipped (EXTENSIBILITY IMPLIED). Signed parts keep the exact DER they were decoded from
// (`*_der`), which is what the signature covers. The SGP.32 compact alternatives (compactAuthenticateResponseOk, ...)
// are not supported: a decoder reports them as unknown alternatives.
//
// Signature inputs (TR-03111 raw r||s under 5F37; see signed_data_* below):
//   serverSignature1  = sign(serverSigned1)                                          SGP.22 §5.6.1
//   euiccSignature1   = sign(euiccSigned1)                                           SGP.22 §5.7.13
//   smdpSignature2    = sign(smdpSigned2 || euiccSignature1 data object 5F37 40 ..)  SGP.22 §5.6.2
//   euiccSignature2   = sign(euiccSigned2 || smdpSignature2 data object)             SGP.22 §5.7.5
//   smdpSign (BF23)   = sign(remoteOpId .. smdpOtpk data objects || euiccSignature2 data object)  SGP.22 §2.5.4
//   euiccSignPIR      = sign(profileInstallationResultData BF27)                      SGP.22 §5.7.6
//   euiccCancelSessionSignature = sign(euiccCancelSessionSigned)                      SGP.22 §5.7.14
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "sgp/messages.hpp"

namespace esimo::sgp::rsp22 {

// ---- EUICCInfo1 (BF20, §5.7.8) ----
struct EuiccInfo1 {
  Bytes svn;                                  // VersionType, 3 octets
  std::vector<Bytes> ci_pkids_verification;   // euiccCiPKIdListForVerification [9]
  std::vector<Bytes> ci_pkids_signing;        // euiccCiPKIdListForSigning [10]
};

// ---- GetEuiccChallengeResponse (BF2E, §5.7.7) ----
struct GetEuiccChallengeResponse {
  Bytes euicc_challenge;  // 16 octets
};

// ---- CtxParams1 / DeviceInfo (§5.7.13) ----
struct DeviceInfo {
  Bytes tac;                       // 4 octets
  Bytes device_capabilities;       // contents octets of DeviceCapabilities (kept as DER, not interpreted)
  std::optional<Bytes> imei;       // 8 octets
};
// CtxParams1 has one alternative, ctxParamsForCommonAuthentication [0].
struct CtxParams1 {
  std::optional<std::string> matching_id;
  DeviceInfo device_info;
};

// ---- AuthenticateServerRequest (BF38, §5.7.13) ----
struct ServerSigned1 {
  Bytes transaction_id;    // 1..16 octets
  Bytes euicc_challenge;   // 16 octets
  std::string server_address;
  Bytes server_challenge;  // 16 octets
};
struct AuthenticateServerRequest {
  ServerSigned1 server_signed1;
  Bytes server_signature1;          // 5F37 contents
  Bytes euicc_ci_pkid_to_be_used;   // SubjectKeyIdentifier (OCTET STRING contents)
  Bytes server_certificate;         // complete Certificate DER (CERT.DPauth.ECDSA)
  CtxParams1 ctx_params1;
  Bytes server_signed1_der;         // set by the decoder; ignored by encode
};

// ---- AuthenticateServerResponse (BF38) ----
struct EuiccSigned1 {
  Bytes transaction_id;
  std::string server_address;
  Bytes server_challenge;  // 16 octets
  Bytes euicc_info2;       // complete EUICCInfo2 TLV (BF22; SGP32-EUICCInfo2 on an SGP.32 eUICC), not interpreted
  CtxParams1 ctx_params1;
};
struct AuthenticateResponseOk {
  EuiccSigned1 euicc_signed1;
  Bytes euicc_signature1;   // 5F37 contents
  Bytes euicc_certificate;  // complete Certificate DER
  Bytes eum_certificate;    // complete Certificate DER
  Bytes euicc_signed1_der;  // set by the decoder; ignored by encode
};
// AuthenticateErrorCode: 1 invalidCertificate, 2 invalidSignature, 3 unsupportedCurve, 4 noSessionContext,
// 5 invalidOid, 6 euiccChallengeMismatch, 7 ciPKUnknown, 127 undefinedError.
struct AuthenticateResponseError {
  Bytes transaction_id;
  std::int64_t code = 127;
};
using AuthenticateServerResponse = std::variant<AuthenticateResponseOk, AuthenticateResponseError>;

// ---- PrepareDownloadRequest (BF21, §5.7.5) ----
struct SmdpSigned2 {
  Bytes transaction_id;
  bool cc_required_flag = false;
  std::optional<Bytes> bpp_euicc_otpk;  // 5F49
};
struct PrepareDownloadRequest {
  SmdpSigned2 smdp_signed2;
  Bytes smdp_signature2;         // 5F37 contents
  std::optional<Bytes> hash_cc;  // 32 octets
  Bytes smdp_certificate;        // complete Certificate DER (CERT.DPpb.ECDSA)
  Bytes smdp_signed2_der;        // set by the decoder; ignored by encode
};

// ---- PrepareDownloadResponse (BF21) ----
struct EuiccSigned2 {
  Bytes transaction_id;
  Bytes euicc_otpk;              // 5F49: otPK.EUICC.ECKA, uncompressed point
  std::optional<Bytes> hash_cc;  // 32 octets
};
struct PrepareDownloadResponseOk {
  EuiccSigned2 euicc_signed2;
  Bytes euicc_signature2;   // 5F37 contents
  Bytes euicc_signed2_der;  // set by the decoder; ignored by encode
};
// DownloadErrorCode: 1 invalidCertificate, 2 invalidSignature, 3 unsupportedCurve, 4 noSessionContext,
// 5 invalidTransactionId, 127 undefinedError.
struct PrepareDownloadResponseError {
  Bytes transaction_id;
  std::int64_t code = 127;
};
using PrepareDownloadResponse = std::variant<PrepareDownloadResponseOk, PrepareDownloadResponseError>;

// ---- StoreMetadataRequest (BF25, §5.5.3) ----
struct OperatorId {
  Bytes mcc_mnc;  // 3 octets, TS 24.008
  std::optional<Bytes> gid1;
  std::optional<Bytes> gid2;
};
struct NotificationConfigurationInformation {
  std::uint32_t profile_management_operation = 0;  // NotificationEvent mask (bit n = 1u << n)
  std::string notification_address;
};
struct StoreMetadataRequest {
  Bytes iccid;  // 10 octets, EF.ICCID form
  std::string service_provider_name;  // 0..32
  std::string profile_name;           // 0..64
  std::optional<std::int64_t> icon_type;
  std::optional<Bytes> icon;          // 0..1024
  std::int64_t profile_class = 2;     // DEFAULT operational: not encoded when 2 (DER)
  std::vector<NotificationConfigurationInformation> notification_configuration_info;
  std::optional<OperatorId> profile_owner;
  std::optional<std::uint32_t> profile_policy_rules;  // PprIds mask
};

// ---- BoundProfilePackage (BF36, §2.5.5) ----
struct ControlRefTemplate {
  Bytes key_type;  // 1 octet ('88' AES)
  Bytes key_len;   // 1 octet ('10')
  Bytes host_id;   // 1..16 octets
};
struct InitialiseSecureChannelRequest {  // BF23
  std::int64_t remote_op_id = 1;          // installBoundProfilePackage
  Bytes transaction_id;
  ControlRefTemplate control_ref_template;
  Bytes smdp_otpk;  // 5F49: otPK.DP.ECKA, uncompressed point
  Bytes smdp_sign;  // 5F37 contents
  // Set by the decoder: the DER of remoteOpId .. smdpOtpk, the first part of what smdpSign covers. Ignored by encode.
  Bytes signed_part_der;
};
struct BoundProfilePackage {
  InitialiseSecureChannelRequest initialise_secure_channel;
  std::vector<Bytes> first_sequence_of_87;  // contents of each [7] element
  std::vector<Bytes> sequence_of_88;        // contents of each [8] element
  std::optional<std::vector<Bytes>> second_sequence_of_87;
  std::vector<Bytes> sequence_of_86;        // contents of each [6] element
};

// ---- ProfileInstallationResult (BF37, §5.7.6) ----
struct SuccessResult {
  Bytes aid;  // ISD-P AID, 5..16 octets
  Bytes sima_response;
};
// BppCommandId: 0 initialiseSecureChannel, 1 configureISDP, 2 storeMetadata, 3 storeMetadata2, 4 replaceSessionKeys,
// 5 loadProfileElements. ErrorReason: see profile_installation_error_name().
struct ErrorResult {
  std::int64_t bpp_command_id = 0;
  std::int64_t error_reason = 127;
  std::optional<Bytes> sima_response;
};
struct ProfileInstallationResultData {  // BF27
  Bytes transaction_id;
  NotificationMetadata notification_metadata;
  std::string smdp_oid;  // dotted decimal
  std::variant<SuccessResult, ErrorResult> final_result;
};
struct ProfileInstallationResult {
  ProfileInstallationResultData data;
  Bytes euicc_sign_pir;  // 5F37 contents
  Bytes data_der;        // set by the decoder; ignored by encode
};

// ---- CancelSession (BF41, §5.7.14) ----
// CancelSessionReason: 0 endUserRejection, 1 postponed, 2 timeout, 3 pprNotAllowed, 4 metadataMismatch,
// 5 loadBppExecutionError, 127 undefinedReason.
struct CancelSessionRequest {
  Bytes transaction_id;
  std::int64_t reason = 127;
};
struct EuiccCancelSessionSigned {
  Bytes transaction_id;
  std::string smdp_oid;
  std::int64_t reason = 127;
};
struct CancelSessionResponseOk {
  EuiccCancelSessionSigned signed_data;
  Bytes signature;   // 5F37 contents
  Bytes signed_der;  // set by the decoder; ignored by encode
};
struct CancelSessionResponseError {
  std::int64_t code = 127;  // 5 invalidTransactionId, 127 undefinedError
};
using CancelSessionResponse = std::variant<CancelSessionResponseOk, CancelSessionResponseError>;

// ---- codecs ----
Result<Bytes> encode(const EuiccInfo1& m);
Result<EuiccInfo1> decode_euicc_info1(ByteView der);
Result<Bytes> encode(const GetEuiccChallengeResponse& m);
Result<GetEuiccChallengeResponse> decode_get_euicc_challenge_response(ByteView der);
Result<Bytes> encode(const AuthenticateServerRequest& m);
Result<AuthenticateServerRequest> decode_authenticate_server_request(ByteView der);
Result<Bytes> encode(const AuthenticateServerResponse& m);
Result<AuthenticateServerResponse> decode_authenticate_server_response(ByteView der);
Result<Bytes> encode(const PrepareDownloadRequest& m);
Result<PrepareDownloadRequest> decode_prepare_download_request(ByteView der);
Result<Bytes> encode(const PrepareDownloadResponse& m);
Result<PrepareDownloadResponse> decode_prepare_download_response(ByteView der);
Result<Bytes> encode(const StoreMetadataRequest& m);
Result<StoreMetadataRequest> decode_store_metadata_request(ByteView der);
Result<Bytes> encode(const BoundProfilePackage& m);
Result<BoundProfilePackage> decode_bound_profile_package(ByteView der);
Result<Bytes> encode(const ProfileInstallationResult& m);
Result<ProfileInstallationResult> decode_profile_installation_result(ByteView der);
Result<Bytes> encode(const CancelSessionRequest& m);
Result<CancelSessionRequest> decode_cancel_session_request(ByteView der);
// The whole BF41 response.
Result<Bytes> encode(const CancelSessionResponse& m);
Result<CancelSessionResponse> decode_cancel_session_response(ByteView der);
// The CancelSessionResponse CHOICE alternative alone (A0 ok / 81 error), as CancelSessionRequestEsipa and the ES9+
// JSON binding carry it.
Result<Bytes> encode_cancel_session_response_alternative(const CancelSessionResponse& m);
Result<CancelSessionResponse> decode_cancel_session_response_alternative(ByteView der);

// The signed parts alone (the ESipa wrappers and ES9+ carry ServerSigned1 and SmdpSigned2 as separate TLVs).
Result<ServerSigned1> decode_server_signed1(ByteView der);
Result<SmdpSigned2> decode_smdp_signed2(ByteView der);

// The DER of each signed part (what the signature covers, before any appended data object).
Result<Bytes> encode_server_signed1(const ServerSigned1& m);
Result<Bytes> encode_euicc_signed1(const EuiccSigned1& m);
Result<Bytes> encode_smdp_signed2(const SmdpSigned2& m);
Result<Bytes> encode_euicc_signed2(const EuiccSigned2& m);
Result<Bytes> encode_profile_installation_result_data(const ProfileInstallationResultData& m);
Result<Bytes> encode_euicc_cancel_session_signed(const EuiccCancelSessionSigned& m);
// remoteOpId .. smdpOtpk of an InitialiseSecureChannelRequest.
Result<Bytes> encode_initialise_secure_channel_signed_part(const InitialiseSecureChannelRequest& m);

// signed || 5F37 <len> signature: the data smdpSignature2, euiccSignature2 and smdpSign cover.
Bytes signed_data_with_signature_object(ByteView signed_der, ByteView signature);

// Named codes, for reports and errors ("invalidSignature(2)").
std::string authenticate_error_name(std::int64_t code);
std::string download_error_name(std::int64_t code);
std::string profile_installation_error_name(std::int64_t error_reason);
std::string cancel_session_reason_name(std::int64_t reason);

// Human-readable dumps (golden vectors), same format rules as sgp::to_text.
std::string to_text(const EuiccInfo1& m);
std::string to_text(const AuthenticateServerRequest& m);
std::string to_text(const AuthenticateServerResponse& m);
std::string to_text(const PrepareDownloadRequest& m);
std::string to_text(const PrepareDownloadResponse& m);
std::string to_text(const StoreMetadataRequest& m);
std::string to_text(const BoundProfilePackage& m);
std::string to_text(const ProfileInstallationResult& m);
std::string to_text(const CancelSessionRequest& m);
std::string to_text(const CancelSessionResponse& m);

}  // namespace esimo::sgp::rsp22
