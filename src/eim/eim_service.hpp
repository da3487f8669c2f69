#pragma once
// The eIM protocol engine (SGP.32 v1.2, with v1.0 compatibility): per-eUICC package queue, counters and
// eimTransactionIds, package signing, eUICC result verification, notifications and reconciliation.
//
// Inputs arrive from two sides: the REST layer submits operations (submit/cancel), and the ESipa endpoint hands over
// the DER body of each POST /gsma/rsp2/asn1 (handle_esipa). Profiles and the active profile of a device change only
// from eUICC results and notifications, never from what was asked.
//
// Durability (CONVENTIONS): a package's counterValue and eimTransactionId are reserved and persisted through the Store
// before the package is returned, so a replayed or reused counter cannot happen even across a crash.
// Threading: every public method may be called concurrently from the server's io threads. Hot per-device state
// (tenant, version, whether anything is queued, learned keys) lives in memory, indexed by EID; the store is the durable
// record and is not read on an empty poll.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/model.hpp"
#include "eim/download.hpp"
#include "sgp/messages.hpp"

namespace esimo::crypto {
class Signer;
class Certificate;
}  // namespace esimo::crypto
namespace esimo::store {
class Store;
}  // namespace esimo::store
namespace esimo::metrics {
class Registry;
}  // namespace esimo::metrics

namespace esimo::eim {

class Es9Client;  // es9_client.hpp: the port to SM-DP+s (ES9+)

// Who this eIM is, as configured on the eUICCs it manages (AddInitialEim / addEim).
struct EimIdentity {
  std::string eim_id;                           // eimId, 1..128 chars
  std::string fqdn;                             // host[:port] the IPAs reach the ESipa listener at
  std::shared_ptr<crypto::Signer> signer;       // package signing key (software PEM today; PKCS#11 later)
  std::vector<Bytes> ci_root_certificates_der;  // trusted GSMA CI roots for eUICC/EUM certificate chains
  std::optional<Bytes> eim_certificate_der;     // when the eIM key has a certificate (else the public key is used)
};

struct EimOptions {
  std::size_t max_psmos_per_package = 8;              // consecutive queued PSMOs sent together in one psmoList
  std::chrono::seconds default_operation_ttl{7 * 24 * 3600};  // queued operations expire after this
  std::chrono::seconds delivered_timeout{3600};       // a delivered package with no result is retried/failed after
};

// ---- Operations the REST layer (and later the engine) can submit. Each becomes one domain::Operation.
struct OpEnable { domain::Iccid iccid; bool rollback = false; };
struct OpDisable { domain::Iccid iccid; };
struct OpDelete { domain::Iccid iccid; };
struct OpListProfiles { std::optional<domain::Iccid> iccid; };
struct OpGetRat {};
struct OpConfigureImmediateEnable { bool immediate_enable = false; std::optional<std::string> default_smdp_address; };
struct OpSetFallback { domain::Iccid iccid; };
struct OpUnsetFallback {};
struct OpSetDefaultDp { std::string address; };
struct OpAddEim { sgp::EimConfigurationData config; };
struct OpUpdateEim { sgp::EimConfigurationData config; };
struct OpDeleteEim { std::string eim_id; };
struct OpListEim {};
struct OpEuiccData { Bytes tag_list; };
using OperationRequest =
    std::variant<OpEnable, OpDisable, OpDelete, OpListProfiles, OpGetRat, OpConfigureImmediateEnable, OpSetFallback,
                 OpUnsetFallback, OpSetDefaultDp, OpAddEim, OpUpdateEim, OpDeleteEim, OpListEim, OpEuiccData,
                 OpDownload>;

// The REST "type" of a request ("enable", "disable", "delete", "list_profiles", "get_rat",
// "configure_immediate_enable", "set_fallback", "unset_fallback", "set_default_dp", "add_eim", "update_eim",
// "delete_eim", "list_eim", "euicc_data", "download").
std::string_view operation_type(const OperationRequest& r);
// Canonical JSON of a request (stored as Operation::params_json) and back; from_json names the bad field.
std::string to_json(const OperationRequest& r);
Result<OperationRequest> operation_request_from_json(std::string_view type, std::string_view params_json);

struct SubmitOptions {
  std::string reason;                  // who asked: "user:key_ab12", "policy:...", "failover:..."
  std::string idempotency_key;         // same key + same tenant -> the existing operation is returned
  std::optional<TimePoint> expires_at; // default: now + EimOptions::default_operation_ttl
};

class EimService {
 public:
  EimService(store::Store& store, const Clock& clock, EimIdentity identity, EimOptions options,
             metrics::Registry& metrics);
  ~EimService();
  EimService(const EimService&) = delete;
  EimService& operator=(const EimService&) = delete;

  // Loads the hot state of every device from the store (call once at start-up).
  Status load();

  // ---- REST side
  // not_found when the tenant has no such device; failed_precondition when the request does not fit the device
  // (e.g. a fallback PSMO for a v1.0 eUICC, or an ICCID the device is not known to hold).
  Result<domain::Operation> submit(domain::TenantId tenant, const domain::Eid& eid, const OperationRequest& request,
                                   const SubmitOptions& options);
  Result<domain::Operation> cancel(domain::TenantId tenant, std::string_view operation_id);
  // A device was created/updated/deleted through the REST API or an import: refresh its hot state.
  void device_changed(domain::TenantId tenant, const domain::Eid& eid);

  // What the eIM may know about an eUICC without asking it: factory data imported with the device, or set through
  // the REST API (SGP.32 §2.11.1.1.1). Unset fields keep their current value. Certificates must come as a pair and
  // verify up to a configured CI root at the clock's current time (unauthenticated otherwise; the eUICC
  // certificate's serialNumber must be the EID); `emulated` accepts results without eUICC signatures from this one
  // device (an IPAd emulating an IoT eUICC over a consumer eUICC), and its operations say so in result_json.
  struct EuiccFacts {
    std::optional<std::int64_t> association_token;
    std::optional<Bytes> euicc_certificate_der;
    std::optional<Bytes> eum_certificate_der;
    std::optional<bool> emulated;
  };
  Status set_euicc_facts(domain::TenantId tenant, const domain::Eid& eid, const EuiccFacts& facts);

  // ---- ESipa side
  // One ESipa request body (EsipaMessageFromIpaToEim, DER); returns the DER answer (EsipaMessageFromEimToIpa), or an
  // empty buffer where the binding answers 204 No Content. The SGP.32 version is the device's (sgp32_version, set at
  // import or learned); `header_hint` is what X-Admin-Protocol said when it named an SGP.32 version (gsma/rsp/v1.0.x,
  // v1.2.x). Deployed IPAds send SGP.22 versions there (gsma/rsp/v2.1.0), which say nothing about SGP.32: then the
  // device's version decides, and an unknown device's message is tried as v1.2, then v1.0.
  // Errc::parse_error: the body does not decode (the endpoint answers 400; nothing changed).
  Result<Bytes> handle_esipa(ByteView body, std::optional<sgp::Version> header_hint);

  // ---- Indirect profile download (download_relay.cpp): relay ES9+ to SM-DP+s through `es9` (null: downloads
  // refused at submit). Call before serving.
  void enable_downloads(std::shared_ptr<Es9Client> es9, DownloadOptions options = {});
  std::size_t download_sessions() const;  // download sessions in progress

  // ---- Association
  // The AddInitialEimRequest (BF57) that personalises eUICCs for this eIM.
  Result<Bytes> export_add_initial_eim(sgp::Version version) const;

  const EimIdentity& identity() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::eim
