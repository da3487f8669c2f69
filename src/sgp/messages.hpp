#pragma once
// SGP.32 ESipa and eUICC package messages as typed structs, for SGP.32 v1.2 (primary) and v1.0 (the version the
// public open-source IPAd speaks). One struct per message; the version decides the wire shape (see codec.hpp and
// docs/esipa.md). Identifiers are plain bytes here (the domain layer sits above sgp): EIDs are the 16 octets of
// eidValue, ICCIDs the 10 octets of Iccid exactly as on the wire (EF.ICCID nibble-swapped BCD).
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace esimo::sgp {

enum class Version { v1_0, v1_2 };
const char* version_name(Version v);  // "1.0" / "1.2"
// Accepts "1.0", "1.0.0", "v1.0.1", "1.2", "1.2.0" ... (major.minor decides; only 1.0 and 1.2 are supported).
Result<Version> parse_version(std::string_view s);

// ---- PSMOs (SGP.32 v1.2 §2.11.1.1.3) ----
struct PsmoEnable {
  Bytes iccid;
  bool rollback_flag = false;
};
struct PsmoDisable {
  Bytes iccid;
};
struct PsmoDelete {
  Bytes iccid;
};
// ProfileInfoListRequest (SGP.22 §5.7.15): at most one search criterion, optional tag list.
struct PsmoListProfileInfo {
  std::optional<Bytes> search_isdp_aid;
  std::optional<Bytes> search_iccid;
  std::optional<std::int64_t> search_profile_class;
  std::optional<Bytes> tag_list;
};
struct PsmoGetRat {};
// v1.2 configureImmediateEnable; v1.0 configureAutoEnable (same tags: flag [0], OID [1], address [2]).
struct PsmoConfigureImmediateEnable {
  bool immediate_enable_flag = false;
  std::optional<std::string> default_smdp_oid;  // dotted decimal
  std::optional<std::string> default_smdp_address;
};
struct PsmoSetFallbackAttribute {  // v1.2 only
  Bytes iccid;
};
struct PsmoUnsetFallbackAttribute {};  // v1.2 only
struct PsmoSetDefaultDpAddress {       // v1.2 only
  std::string default_dp_address;
};
using Psmo = std::variant<PsmoEnable, PsmoDisable, PsmoDelete, PsmoListProfileInfo, PsmoGetRat,
                          PsmoConfigureImmediateEnable, PsmoSetFallbackAttribute, PsmoUnsetFallbackAttribute,
                          PsmoSetDefaultDpAddress>;

// ---- eCOs (§2.11.1.1.2) and eIM configuration data (§2.11.1.1.1) ----
struct EimConfigurationData {
  std::string eim_id;
  std::optional<std::string> eim_fqdn;
  std::optional<std::int64_t> eim_id_type;  // 1 oid, 2 fqdn, 3 proprietary
  std::optional<std::uint64_t> counter_value;
  std::optional<std::int64_t> association_token;
  // eimPublicKeyData: exactly one of these when present, each the complete DER (SubjectPublicKeyInfo / Certificate).
  std::optional<Bytes> eim_public_key;
  std::optional<Bytes> eim_certificate;
  // trustedPublicKeyDataTls: likewise.
  std::optional<Bytes> trusted_eim_pk_tls;
  std::optional<Bytes> trusted_certificate_tls;
  std::optional<std::uint32_t> eim_supported_protocol;  // named-bit mask: bit n = 1u << n (0 retrieveHttps ...)
  std::optional<Bytes> euicc_ci_pkid;
  bool indirect_profile_download = false;  // v1.2 only
};
struct EcoAddEim {
  EimConfigurationData config;
};
struct EcoDeleteEim {
  std::string eim_id;
};
struct EcoUpdateEim {
  EimConfigurationData config;
};
struct EcoListEim {};
using Eco = std::variant<EcoAddEim, EcoDeleteEim, EcoUpdateEim, EcoListEim>;

using PsmoList = std::vector<Psmo>;
using EcoList = std::vector<Eco>;

// ---- EuiccPackageRequest (§2.11.1.1), tag BF51 ----
struct EuiccPackageSigned {
  std::string eim_id;
  Bytes eid;
  std::uint64_t counter_value = 0;
  std::optional<Bytes> eim_transaction_id;  // v1.0 calls it transactionId (same tag [2])
  std::variant<PsmoList, EcoList> euicc_package;
};
struct EuiccPackageRequest {
  EuiccPackageSigned euicc_package_signed;
  Bytes eim_signature;  // 5F37, TR-03111 r||s
  // Set by the decoder: the exact DER of euiccPackageSigned as received (what the signature covers). Ignored by encode.
  Bytes euicc_package_signed_der;
};

// ---- IpaEuiccDataRequest (§2.11.1.2), tag BF52 ----
struct IpaEuiccDataRequest {
  Bytes tag_list;
  std::optional<Bytes> euicc_ci_pkid;  // v1.2 euiccCiPKIdentifierToBeUsed; v1.0 euiccCiPKId (both OCTET STRING)
  // searchCriteriaNotification (v1.2) / searchCriteria (v1.0): at most one of the next three.
  std::optional<std::int64_t> search_notification_seq_number;
  std::optional<std::uint32_t> search_notification_operation;  // NotificationEvent named-bit mask
  bool search_euicc_package_results = false;                    // v1.0 only: euiccPackageResults [2] NULL
  std::optional<std::int64_t> search_euicc_package_result_seq_number;  // v1.2 only
  std::optional<Bytes> eim_transaction_id;                             // v1.2 only
};

// ---- ProfileDownloadTriggerRequest (§2.11.1.3), tag BF54 ----
struct DownloadActivationCode {
  std::string activation_code;
};
struct DownloadContactDefaultSmdp {};
struct DownloadContactSmds {
  std::optional<std::string> smds_address;
};
using ProfileDownloadData = std::variant<DownloadActivationCode, DownloadContactDefaultSmdp, DownloadContactSmds>;
struct ProfileDownloadTriggerRequest {
  std::optional<ProfileDownloadData> profile_download_data;
  std::optional<Bytes> eim_transaction_id;
};

// ---- EuiccPackageResult (§2.11.2.1), tag BF51 ----
enum class EuiccResultKind {
  enable,
  disable,
  delete_profile,
  list_profile_info,
  get_rat,
  configure_immediate_enable,  // v1.0 configureAutoEnableResult
  add_eim,
  delete_eim,
  update_eim,
  list_eim,
  rollback,
  set_fallback_attribute,    // v1.2 only
  unset_fallback_attribute,  // v1.2 only
  processing_terminated,
  set_default_dp_address,  // v1.2 only
};
const char* euicc_result_kind_name(EuiccResultKind k);

struct ProfileInfo {  // the subset of SGP.22/SGP.32 ProfileInfo (E3) esimo reads; other fields are skipped
  std::optional<Bytes> iccid;
  std::optional<Bytes> isdp_aid;
  std::optional<std::int64_t> profile_state;  // 0 disabled, 1 enabled
  std::optional<std::string> profile_nickname;
  std::optional<std::string> service_provider_name;
  std::optional<std::string> profile_name;
  std::optional<std::int64_t> profile_class;  // 0 test, 1 provisioning, 2 operational
  std::optional<bool> fallback_attribute;     // v1.2 only (9F26)
};
struct EimIdInfo {
  std::string eim_id;
  std::optional<std::int64_t> eim_id_type;
};
// One element of euiccResult. `code` is the INTEGER result for every kind except:
//  list_profile_info: `list_error` set -> profileInfoListError, else `profiles` (profileInfoListOk);
//  list_eim: `list_error` set -> listEimError, else `eims`;
//  add_eim: `association_token` set -> associationToken alternative, else `code` (addEimResultCode);
//  get_rat: `rat_der` holds the RulesAuthorisationTable contents (kept as DER, not interpreted here).
struct EuiccResultData {
  EuiccResultKind kind = EuiccResultKind::enable;
  std::int64_t code = 0;
  std::optional<std::int64_t> list_error;
  std::vector<ProfileInfo> profiles;
  std::vector<EimIdInfo> eims;
  std::optional<std::int64_t> association_token;
  Bytes rat_der;
};
struct EuiccPackageResultDataSigned {
  std::string eim_id;
  std::uint64_t counter_value = 0;
  std::optional<Bytes> eim_transaction_id;
  std::int64_t seq_number = 0;
  std::vector<EuiccResultData> euicc_result;
};
struct EuiccPackageResultSigned {
  EuiccPackageResultDataSigned data;
  Bytes euicc_sign_epr;
  Bytes data_der;  // set by the decoder: exact DER the eUICC signed; ignored by encode
};
struct EuiccPackageErrorDataSigned {
  std::string eim_id;
  std::uint64_t counter_value = 0;
  std::optional<Bytes> eim_transaction_id;
  std::int64_t euicc_package_error_code = 0;  // 3 invalidEid, 4 replayError, 6 counterValueOutOfRange ...
};
struct EuiccPackageErrorSigned {
  EuiccPackageErrorDataSigned data;
  Bytes euicc_sign_epe;
  Bytes data_der;  // set by the decoder; ignored by encode
};
struct EuiccPackageErrorUnsigned {
  std::string eim_id;
  std::optional<Bytes> eim_transaction_id;  // v1.2 only
  std::optional<std::int64_t> association_token;
};
using EuiccPackageResult = std::variant<EuiccPackageResultSigned, EuiccPackageErrorSigned, EuiccPackageErrorUnsigned>;

// ---- Notifications (§5.14.7 SGP32-PendingNotification) ----
enum class PendingNotificationKind {
  profile_installation_result,  // BF37
  other_signed_notification,    // 30
  compact_profile_installation_result,  // [0]
  compact_other_signed_notification,    // [1]
};
struct NotificationMetadata {  // SGP.22 NotificationMetadata (BF2F)
  std::int64_t seq_number = 0;
  std::uint32_t profile_management_operation = 0;  // NotificationEvent mask: 0 install, 1 enable, 2 disable, 3 delete
  std::string notification_address;
  std::optional<Bytes> iccid;
};
// The notification is carried verbatim (`der`: the whole CHOICE alternative TLV, signatures and certificates
// included, for forwarding and later verification); the metadata is decoded for the non-compact forms.
struct PendingNotification {
  PendingNotificationKind kind = PendingNotificationKind::other_signed_notification;
  Bytes der;
  std::optional<NotificationMetadata> metadata;
};

// ---- ESipa (§6.3) ----
struct GetEimPackageRequest {  // BF4F
  Bytes eid;
  bool notify_state_change = false;
  std::optional<std::int64_t> state_change_cause;  // v1.2 only
  std::optional<Bytes> rplmn;                      // 3 octets, TS 24.008 MCC/MNC
};
struct EimPackageError {
  std::int64_t code = 1;  // 1 noEimPackageAvailable, 2 eidNotFound, 3 invalidEid, 4 missingEid (v1.2), 127
};
using GetEimPackageResponse =
    std::variant<EuiccPackageRequest, IpaEuiccDataRequest, ProfileDownloadTriggerRequest, EimPackageError>;

struct EprAndNotifications {
  EuiccPackageResult euicc_package_result;
  std::vector<PendingNotification> notification_list;
};
// ---- IpaEuiccDataResponse (§2.11.2.2), tag BF52 ----
// Structures defined by SGP.22 (EUICCInfo1/2, DeviceInfo) and IpaCapabilities are carried as DER, not interpreted here.
struct IpaEuiccData {
  std::optional<std::vector<PendingNotification>> notifications_list;  // v1.2 [0]; v1.0 [43] (notificationList alt.)
  std::optional<std::string> default_smdp_address;
  std::optional<std::vector<EuiccPackageResult>> euicc_package_result_list;  // v1.2 only
  std::optional<Bytes> euicc_info1;        // complete EUICCInfo1 TLV (BF20)
  std::optional<Bytes> euicc_info2;        // complete SGP32-EUICCInfo2 TLV (BF22)
  std::optional<std::string> root_smds_address;
  std::optional<std::int64_t> association_token;
  std::optional<Bytes> eum_certificate;    // complete X.509 Certificate DER (30 ...), re-tagged [5] on the wire
  std::optional<Bytes> euicc_certificate;  // complete X.509 Certificate DER (30 ...), re-tagged [6] on the wire
  std::optional<Bytes> eim_transaction_id;  // v1.2 only
  std::optional<Bytes> ipa_capabilities;    // contents octets of IpaCapabilities ([8])
  std::optional<Bytes> device_info;         // contents octets of DeviceInfo ([9])
};
struct IpaEuiccDataError {
  std::optional<Bytes> eim_transaction_id;  // v1.2 only
  std::int64_t code = 127;  // 1 incorrectTagList, 5 euiccCiPKIdNotFound, 104 ecallActive (v1.2), 127 undefinedError
};
using IpaEuiccDataResponse = std::variant<IpaEuiccData, IpaEuiccDataError>;

// ---- ProfileDownloadTriggerResult (§2.11.2.3), tag BF54 ----
struct ProfileDownloadError {
  std::optional<std::int64_t> profile_download_error_reason;  // v1.2 only, and mandatory there (104, 127)
  std::optional<Bytes> error_response;
};
struct ProfileDownloadTriggerResult {
  std::optional<Bytes> eim_transaction_id;
  // profileInstallationResult (BF37, carried as a PendingNotification of that kind) or profileDownloadError.
  std::variant<PendingNotification, ProfileDownloadError> result;
};
// v1.2 eimPackageResultResponseError [0] (tid optional); v1.0 eimPackageError INTEGER (no tid).
struct EimPackageResultError {
  std::optional<Bytes> eim_transaction_id;  // v1.2 only
  std::int64_t code = 127;                   // 1 invalidPackageFormat, 2 unknownPackage, 127 undefinedError
};
using EimPackageResult = std::variant<EuiccPackageResult, EprAndNotifications, IpaEuiccDataResponse,
                                      ProfileDownloadTriggerResult, EimPackageResultError>;
struct ProvideEimPackageResult {  // BF50
  std::optional<Bytes> eid;       // v1.2 only
  EimPackageResult result;
};
struct EimAcknowledgements {
  std::vector<std::int64_t> seq_numbers;
};
struct ProvideEimPackageResultResponse {  // BF50
  enum class Kind { acknowledgements, empty, error };
  Kind kind = Kind::empty;
  std::vector<std::int64_t> seq_numbers;  // kind == acknowledgements
  std::int64_t error_code = 0;            // kind == error (v1.2 only): 2 eidNotFound, 3 invalidEid, 4 missingEid, 127
};

using HandleNotificationEsipa = std::variant<PendingNotification, ProvideEimPackageResult>;  // BF3D

// ---- Indirect profile download over ESipa (§6.3.2.1-6.3.2.5) ----
// The eIM relays these between the IPA and the SM-DP+ (ES9+), so the SGP.22 structures inside (ServerSigned1,
// certificates, AuthenticateServerResponse, PrepareDownloadResponse, BoundProfilePackage, ...) are carried as their
// complete DER TLVs, checked to be well-formed, never re-encoded.
struct InitiateAuthenticationRequestEsipa {  // BF39
  Bytes euicc_challenge;                     // 16 octets
  std::optional<std::string> smdp_address;
  std::optional<Bytes> euicc_info1;          // complete EUICCInfo1 TLV (BF20)
  std::optional<Bytes> eim_transaction_id;   // v1.2 only
};
struct InitiateAuthenticationOkEsipa {
  std::optional<Bytes> transaction_id;
  Bytes server_signed1;                      // complete ServerSigned1 (30)
  Bytes server_signature1;                   // 5F37 contents
  Bytes euicc_ci_pkid_to_be_used;
  Bytes server_certificate;                  // complete Certificate (30)
  std::optional<std::string> matching_id;
  std::optional<Bytes> ctx_params1;          // the CtxParams1 alternative TLV inside [2]
};
struct InitiateAuthenticationErrorEsipa {
  std::int64_t code = 127;
};
using InitiateAuthenticationResponseEsipa = std::variant<InitiateAuthenticationOkEsipa, InitiateAuthenticationErrorEsipa>;

struct AuthenticateClientRequestEsipa {  // BF3B
  Bytes transaction_id;
  Bytes authenticate_server_response;    // complete TLV (BF38)
};
struct AuthenticateClientOkDpEsipa {
  std::optional<Bytes> transaction_id;
  std::optional<Bytes> profile_metadata;  // complete StoreMetadataRequest TLV (BF25)
  Bytes smdp_signed2;                     // complete SmdpSigned2 (30)
  Bytes smdp_signature2;                  // 5F37 contents
  Bytes smdp_certificate;                 // complete Certificate (30)
  std::optional<Bytes> hash_cc;           // 32 octets
};
struct AuthenticateClientOkDsEsipa {
  Bytes transaction_id;
  std::optional<ProfileDownloadTriggerRequest> profile_download_trigger;
};
struct AuthenticateClientErrorEsipa {
  std::int64_t code = 127;
};
using AuthenticateClientResponseEsipa =
    std::variant<AuthenticateClientOkDpEsipa, AuthenticateClientOkDsEsipa, AuthenticateClientErrorEsipa>;

struct GetBoundProfilePackageRequestEsipa {  // BF3A
  Bytes transaction_id;
  Bytes prepare_download_response;           // complete TLV (BF21)
};
struct GetBoundProfilePackageOkEsipa {
  std::optional<Bytes> transaction_id;
  Bytes bound_profile_package;               // complete TLV (BF36)
};
struct GetBoundProfilePackageErrorEsipa {
  std::int64_t code = 127;
};
using GetBoundProfilePackageResponseEsipa =
    std::variant<GetBoundProfilePackageOkEsipa, GetBoundProfilePackageErrorEsipa>;

struct CancelSessionRequestEsipa {  // BF41
  Bytes transaction_id;
  Bytes cancel_session_response;    // the SGP32-CancelSessionResponse alternative TLV (A0 ok, 81 error, A2 compact)
};
struct CancelSessionOkEsipa {};
struct CancelSessionErrorEsipa {
  std::int64_t code = 127;
};
using CancelSessionResponseEsipa = std::variant<CancelSessionOkEsipa, CancelSessionErrorEsipa>;

// ---- eIM-initiated transfer (§6.3.3.1), tag BF4E: the eIM pushes a package and the IPA answers ----
struct TransferEimPackageRequest {
  std::variant<EuiccPackageRequest, IpaEuiccDataRequest, EimAcknowledgements, ProfileDownloadTriggerRequest> package;
};
struct EimPackageReceived {};
struct TransferEimPackageResponse {
  // EimPackageResultError here is the bare eimPackageError INTEGER (no transaction id in either version).
  std::variant<EuiccPackageResult, EprAndNotifications, IpaEuiccDataResponse, EimPackageReceived,
               EimPackageResultError>
      result;
};

using EsipaMessageFromIpaToEim =
    std::variant<GetEimPackageRequest, ProvideEimPackageResult, HandleNotificationEsipa,
                 InitiateAuthenticationRequestEsipa, AuthenticateClientRequestEsipa,
                 GetBoundProfilePackageRequestEsipa, CancelSessionRequestEsipa, TransferEimPackageResponse>;
using EsipaMessageFromEimToIpa =
    std::variant<GetEimPackageResponse, ProvideEimPackageResultResponse, InitiateAuthenticationResponseEsipa,
                 AuthenticateClientResponseEsipa, GetBoundProfilePackageResponseEsipa, CancelSessionResponseEsipa,
                 TransferEimPackageRequest>;

// ---- AddInitialEimRequest (ES10b, §5.9.4), tag BF57: the association configuration personalised into eUICCs ----
struct AddInitialEimRequest {
  std::vector<EimConfigurationData> eim_configuration_data_list;
};

}  // namespace esimo::sgp
