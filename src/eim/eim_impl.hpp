#pragma once
// EimService::Impl (internal to src/eim): the hot per-eUICC state and the shared helpers of the service's .cpp files.
//
// Threading: `mu` guards the device map and the ICCID index (shared for lookups, exclusive for changes). The slow
// path of one device (a poll with something to send, a result, a notification) runs under that device's `busy` mutex,
// so its counter and queue are changed by one thread at a time; an empty poll takes only the shared lock.
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/metrics.hpp"
#include "crypto/certificate.hpp"
#include "crypto/ecdsa.hpp"
#include "eim/eim_service.hpp"
#include "store/store.hpp"

namespace esimo::eim {

using EidKey = std::array<std::uint8_t, 16>;
struct EidKeyHash {
  std::size_t operator()(const EidKey& k) const noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, k.data(), 8);
    std::memcpy(&b, k.data() + 8, 8);
    return static_cast<std::size_t>(a ^ (b * 0x9E3779B97F4A7C15ull));
  }
};

// A package that left and awaits its result: what the result's verification and matching need (SGP.32 §2.11.2.1:
// the eUICC's signature covers the eimSignature), kept so a result is matched without reading the store.
struct InFlightPackage {
  Bytes eim_transaction_id;
  // An IpaEuiccDataRequest (answered by the IPA, unsigned) rather than a signed eUICC package (answered by the eUICC,
  // signed): an answer of one kind never matches a request of the other (an unsigned eUICC data answer must not
  // finish a PSMO).
  bool euicc_data = false;
  TimePoint sent_at{};  // an eUICC data request older than delivered_timeout is no longer open
  std::uint64_t counter_value = 0;
  Bytes eim_signature;
  std::vector<domain::Operation> operations;  // as recorded: delivered, in package order
};

// A profile as the eIM last learned it from results and notifications (the store's row, state fields only).
struct HotProfile {
  domain::Iccid iccid;
  domain::ProfileState state = domain::ProfileState::disabled;
  bool fallback = false;
};

// The slow-path state of one eUICC: its queued operations, its profiles and its packages in flight, so a cycle
// (poll -> package -> result -> notification) reads nothing back from the store (CONVENTIONS). Guarded by the
// device's `busy` mutex. Loaded from the store on first use and dropped (`loaded = false`) whenever the store may
// hold something newer (device changed through REST, a sweep, a conflict); the store stays the durable record. A
// result whose package is not here (after a restart) is matched through the store.
struct DeviceWork {
  bool loaded = false;
  std::vector<domain::Operation> queue;  // queued operations, creation order
  std::vector<HotProfile> profiles;
  std::optional<domain::Iccid> active_iccid;
  std::vector<InFlightPackage> in_flight;  // newest last; at most kMaxInFlight
  // The newest notification above the applied mark that changed nothing (the one repeating a result: most are), not
  // verified yet. Verified only if an older state-changing one arrives, which it then proves to be a replay.
  std::optional<sgp::PendingNotification> unverified_noop;
  static constexpr std::size_t kMaxInFlight = 4;
};

// Compact hot state of one eUICC (well under 1 KiB; the slow-path part grows with what is queued or in flight).
struct HotDevice {
  domain::TenantId tenant = 0;
  domain::Eid eid;
  sgp::Version version = sgp::Version::v1_2;
  bool ambiguous = false;  // the EID is held by two tenants: not served (eidNotFound) until resolved
  bool emulated = false;
  std::string eim_id;  // the eIM configuration packages are signed for (ours unless the store says otherwise)
  std::uint64_t counter = 0;  // last counterValue recorded
  std::optional<std::int64_t> association_token;
  std::optional<std::int64_t> notification_seq;  // seqNumber of the last notification applied (replays are not)
  std::shared_ptr<crypto::Verifier> euicc_verifier;  // learned eUICC key, its chain verified when learned
  std::uint32_t queued = 0;                          // queued operations (the store holds them)
  // Oldest delivery still awaiting a result (nullopt: none): a poll after it + delivered_timeout sweeps them.
  std::optional<TimePoint> awaiting_since;
  std::shared_ptr<std::mutex> busy = std::make_shared<std::mutex>();
  std::shared_ptr<DeviceWork> work = std::make_shared<DeviceWork>();  // guarded by *busy

  bool needs_euicc_data() const { return !emulated && (!association_token || !euicc_verifier); }
};

struct EimService::Impl {
  Impl(store::Store& s, const Clock& c, EimIdentity id, EimOptions o, metrics::Registry& m);

  store::Store& store;
  const Clock& clock;
  EimIdentity identity;
  EimOptions options;
  metrics::Registry& metrics;
  std::vector<crypto::Certificate> ci_roots;
  std::optional<Error> config_error;
  std::unique_ptr<crypto::TrustStore> trust;
  // EUM certificates parsed once: every eUICC of an EUM presents the same one at its first contact.
  crypto::CertificateCache eum_certificates;

  std::shared_mutex mu;
  std::unordered_map<EidKey, HotDevice, EidKeyHash> devices;
  std::unordered_map<std::string, EidKey> iccid_index;  // ICCID -> the eUICC holding it (notifications)

  std::array<Bytes, 2> no_package;  // encoded noEimPackageAvailable per version (index: version)
  std::mutex created_mu;
  TimePoint last_created{};

  metrics::Counter* polls_empty;
  metrics::Counter* polls_package;
  metrics::Counter* polls_unknown;
  metrics::Counter* packages_sent;
  metrics::Counter* verification_failures;
  metrics::Counter* unmatched_answers;  // unsigned eUICC data answers to no open request (ignored)
  metrics::Counter* notifications;
  std::shared_ptr<class DownloadRelay> download;  // indirect profile download (download_relay.cpp); null: none

  // ---- shared helpers
  TimePoint next_created_at();
  void count_outcome(std::string_view outcome);
  // Refreshes one device from the store (load and device_changed).
  Status refresh_device(domain::TenantId tenant, const domain::Eid& eid);
  // An EID missing from the hot state: look it up in the store (a device written by another process, such as
  // `esimo import` next to the running server). True when it is now known. Misses are remembered for
  // kDiscoverNegativeTtl so that polls from unknown EIDs cost no store reads.
  bool discover(const EidKey& key);
  static constexpr std::chrono::seconds kDiscoverNegativeTtl{30};
  static constexpr std::size_t kDiscoverNegativeMax = 100000;
  std::mutex discover_mu;
  std::unordered_map<EidKey, TimePoint, EidKeyHash> discover_misses;  // guarded by discover_mu
  // Learned-key state of a device from its stored record.
  void apply_state(HotDevice& d, const store::EuiccEimState& st);
  std::shared_ptr<std::mutex> busy_of(const EidKey& k);
  std::optional<HotDevice> snapshot(const EidKey& k);
  // The device's slow-path state, loaded from the store when it is not (caller holds the device's busy mutex).
  Result<DeviceWork*> work_of(const HotDevice& dev);
  // Marks a device's slow-path state stale (takes its busy mutex; call without holding mu or busy).
  void drop_work(const EidKey& k);

  // ---- ESipa (esipa.cpp)
  Result<Bytes> handle_get_package(const sgp::GetEimPackageRequest& req, sgp::Version v);
  Result<Bytes> handle_provide_result(const sgp::ProvideEimPackageResult& m, sgp::Version v);
  Result<Bytes> handle_notification(const sgp::HandleNotificationEsipa& m, sgp::Version v);

  // Delivered operations with no result after options.delivered_timeout expire (outcome "delivered_timeout"; a
  // result arriving later is still recorded on them). Runs on a device's slow path, under its busy mutex.
  Status sweep_delivered(const HotDevice& dev, TimePoint now);
  // Queues a listProfileInfo (reason given) unless one is queued already, so the eIM learns what the eUICC holds
  // (caller holds the device's busy mutex; `work` loaded).
  Status queue_list_profiles(const HotDevice& dev, DeviceWork& work, std::string reason);
  // The device's queued count (what an empty poll reads) from its hot queue (takes mu; caller holds busy).
  void sync_queued(const EidKey& key, const DeviceWork& work);

  // ---- results (results.cpp)
  // Returns the notification sequence numbers to acknowledge.
  Status handle_package_result(const sgp::EuiccPackageResult& r, const std::optional<EidKey>& eid_hint);
  Status handle_euicc_data(const sgp::IpaEuiccDataResponse& r, const std::optional<EidKey>& eid_hint,
                           std::vector<std::int64_t>& acks);
  Status handle_package_result_error(const sgp::EimPackageResultError& e);
  void apply_notifications(const std::vector<sgp::PendingNotification>& list, const std::optional<EidKey>& eid_hint,
                           std::vector<std::int64_t>& acks);
  // Whether an otherSignedNotification carries the device's eUICC signature (caller holds the device's busy mutex).
  Status verify_notification(const sgp::PendingNotification& n, const HotDevice& dev);
  // Records a result on an operation: delivered -> terminal; a terminal expired/cancelled one keeps its state and
  // gets the late result in result_json (once). Returns true when this is the first result the operation records
  // (so its effects on profiles apply), false for a duplicate.
  Result<bool> finish_operation(domain::Operation op, bool success, std::string outcome, std::string result_json);
  // The operation record a result makes (nullopt for a duplicate: the first result stands); see finish_operation.
  static std::optional<store::PackageResultUpdate::OperationUpdate> finished(const domain::Operation& op, bool success,
                                                                             const std::string& outcome,
                                                                             const std::string& result_json,
                                                                             TimePoint now);
  // Effects of an ok result on a device's profiles (SGP.32: state changes only from results and notifications),
  // applied to `w` (a scratch copy of the hot state); profile_update() then says what changed against the original.
  static void apply_effect(DeviceWork& w, const domain::Operation& op);
  static void set_profile_state(DeviceWork& w, const domain::Iccid& iccid, std::string_view change);
  static void profile_update(const DeviceWork& before, const DeviceWork& after, store::PackageResultUpdate& u);
  // Drops deleted profiles from the ICCID index.
  void forget_deleted(const store::PackageResultUpdate& u);
  Status reconcile_profiles(domain::TenantId tenant, const domain::Eid& eid,
                            const std::vector<sgp::ProfileInfo>& reported, bool complete, std::string& summary);
};

namespace impl_detail {
inline std::size_t version_index(sgp::Version v) { return v == sgp::Version::v1_0 ? 0 : 1; }
inline sgp::Version to_sgp(domain::Sgp32Version v) {
  return v == domain::Sgp32Version::v1_0 ? sgp::Version::v1_0 : sgp::Version::v1_2;
}
// associationToken data object (tag 84, minimal two's-complement INTEGER content), SGP.32 §2.11.1.1.
Bytes association_token_object(std::int64_t token);
// A new operation's id: "op_", its creation time in ten sortable base-62 digits, ten random characters — ids sort in
// creation order (listings by id read chronologically) and new rows land at the end of the id indexes.
std::string operation_id(TimePoint created_at);
std::string outcome_of_result(const sgp::EuiccResultData& r);
std::string outcome_of_package_error(std::int64_t code);
}  // namespace impl_detail

}  // namespace esimo::eim
