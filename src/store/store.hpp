#pragma once
// The Store port: the durable record of the fleet. Nothing above src/store knows which database is behind it (SQLite
// embedded by default; PostgreSQL for many nodes later), so this interface speaks only domain types.
//
// Tenancy: every call that reads or writes tenant data takes the TenantId and never returns another tenant's rows
// (carriers of kCatalogTenant are visible to every tenant, writable by none through the tenant calls).
// Errors: not_found, already_exists, conflict (state/cas mismatch, or a row still referenced), invalid_argument,
// io_error/unavailable for the database itself. A failed call changes nothing.
// Thread-safety: every method may be called from any thread concurrently.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/catalog.hpp"
#include "domain/model.hpp"

namespace esimo::store {

using domain::TenantId;

// Cursor paging in each list's stable order (its primary key). `after` is the key of the last item already seen
// (exclusive); empty for the first page.
struct Page {
  std::size_t limit = 100;
  std::string after;
};

template <class T>
struct PageOf {
  std::vector<T> items;
  std::optional<std::string> next_after;  // set when more items may follow: the key of the last item returned
};

struct CarrierFilter {
  std::optional<domain::CountryCode> country;  // home country
  std::optional<domain::Plmn> plmn;
  std::optional<domain::CarrierStatus> status;
};

struct DeviceFilter {
  std::optional<std::string> group;           // exactly this group
  std::vector<std::string> tags;              // has all of these
  std::optional<domain::CountryCode> country; // last known country
  std::optional<std::string> carrier;         // carrier id of the active profile
  std::optional<domain::Lifecycle> lifecycle;
};

struct ProfileFilter {
  std::optional<domain::Eid> eid;
  std::optional<std::string> carrier;
  std::optional<domain::ProfileState> state;
};

struct OperationFilter {
  std::optional<domain::Eid> eid;
  std::optional<domain::OperationState> state;
  std::optional<std::string> type;
};

// A device with its profiles, as created or imported.
struct DeviceRecord {
  domain::Device device;
  std::vector<domain::Profile> profiles;
};

struct ImportCounts {
  std::size_t inserted = 0;
  std::size_t updated = 0;
};

// What the eIM remembers about one eUICC it manages (SGP.32 §2.11.1.1, §2.11.1.1.1).
struct EuiccEimState {
  TenantId tenant_id = 0;
  domain::Eid eid;
  std::string eim_id;                             // the eIM configuration the packages are signed for
  std::uint64_t counter_value = 0;                // the last counterValue used in a package (0: none yet)
  std::optional<std::int64_t> association_token;  // learned (IpaEuiccData / factory data)
  Bytes euicc_certificate_der;                    // empty until learned
  Bytes eum_certificate_der;                      // empty until learned
  bool emulated = false;  // an IPAd emulating an IoT eUICC: results arrive unsigned and are accepted as such
  // seqNumber of the last notification applied (nullopt: none). Only ever raised: put_euicc_state keeps the larger.
  std::optional<std::int64_t> notification_seq;
  TimePoint updated_at{};
};

// One package the eIM sent (SGP.32 §2.11.1.1), recorded before it leaves: its eimTransactionId is unique across the
// eIM (primary key), and the eimSignature is kept because the eUICC's result signature covers it (§2.11.2.1).
struct EimPackageRecord {
  Bytes eim_transaction_id;
  TenantId tenant_id = 0;
  domain::Eid eid;
  std::string eim_id;
  std::string kind;                 // "psmo", "eco", "euicc_data"
  std::uint64_t counter_value = 0;  // 0 when the package carries no counter (IpaEuiccDataRequest)
  Bytes eim_signature;              // raw r||s; empty for unsigned packages
  TimePoint created_at{};
};

// A profile's state as an eUICC result or notification proved it (SGP.32: profiles change only from those).
struct ProfileStateChange {
  domain::Iccid iccid;
  bool deleted = false;  // the profile is gone from the eUICC (its row is removed)
  domain::ProfileState state = domain::ProfileState::disabled;
  bool fallback = false;
};

// Everything one eUICC package result (or notification) changes on one device, for Store::apply_package_result.
struct PackageResultUpdate {
  TenantId tenant_id = 0;
  domain::Eid eid;
  // Each operation's state, outcome and result_json, compare-and-set against `expected` (as update_operation).
  struct OperationUpdate {
    domain::Operation op;
    domain::OperationState expected = domain::OperationState::delivered;
  };
  std::vector<OperationUpdate> operations;
  std::vector<ProfileStateChange> profiles;  // profiles of this device; only state and fallback (or the row) change
  bool set_active_iccid = false;             // when true the device's active profile becomes active_iccid
  std::optional<domain::Iccid> active_iccid;
  // A notification applied: its seqNumber becomes the eUICC's notification_seq (if higher), in the same transaction.
  std::optional<std::int64_t> notification_seq;
  TimePoint at{};  // updated_at of the changed profiles and of the device
};

// --- engine resources (issue 6): policy documents, the carrier status feed, declared outages.
// A stored policy document. The store keeps the canonical JSON; parsing and validation are the policy layer's job.
struct PolicyRecord {
  TenantId tenant_id = 0;
  std::string id;             // "pol_<hex>", unique per tenant
  std::string name;           // unique per tenant
  std::string scope_kind;     // "fleet", "group" or "device": at most one document per (kind, target)
  std::string scope_target;   // the group name or EID; "" for the fleet
  std::string document_json;  // canonical JSON of the document
  std::int64_t revision = 1;  // 1 when created, +1 per update
  TimePoint created_at{};
  TimePoint updated_at{};
};

// The last status reported for a carrier through the status feed (PUT /v1/carriers/{id}/status).
struct CarrierStatusRecord {
  TenantId tenant_id = 0;
  std::string carrier_id;
  domain::CarrierStatus state = domain::CarrierStatus::up;
  std::vector<domain::CountryCode> countries;  // empty: everywhere
  std::string note;
  TimePoint updated_at{};
};

// An outage declared on (carrier, country), from fleet telemetry or the status feed.
struct OutageRecord {
  TenantId tenant_id = 0;
  std::string id;  // unique per tenant
  std::string carrier_id;
  std::optional<domain::CountryCode> country;  // none: every country
  std::string source;                          // "telemetry" or "status_feed"
  std::string state;                           // "active" or "resolved"
  std::string detail;                          // the evidence, for a human
  std::int64_t affected_devices = 0;
  TimePoint started_at{};
  std::optional<TimePoint> ended_at;
  TimePoint updated_at{};
};

// --- events (the outbox of webhooks and GET /v1/events): an append-only log per tenant, in the order written.
struct EventRecord {
  TenantId tenant_id = 0;
  std::int64_t seq = 0;   // assigned by the store when appended; increasing across the store, never reused
  std::string type;       // "outage.declared", "outage.updated", "outage.resolved", "carrier.status_changed"
  std::string subject;    // the resource it is about: "outages/<id>", "carriers/<id>"
  std::string data_json;  // a JSON object (the resource as the API shows it)
  TimePoint occurred_at{};
};

// A webhook subscription: events of the listed types are POSTed to url, in order, at least once, signed with secret.
struct WebhookRecord {
  TenantId tenant_id = 0;
  std::string id;                  // "whk_<hex>", unique per tenant
  std::string url;                 // http:// or https://
  std::string secret;              // HMAC-SHA256 key of the signature header
  std::vector<std::string> types;  // exact types or "prefix.*"; empty: every type
  std::int64_t cursor = 0;         // seq of the last event delivered (or skipped as not matching)
  std::int64_t failures = 0;       // consecutive failed attempts; 0 after a success
  std::string last_error;          // of the last failed attempt; "" after a success
  std::optional<TimePoint> last_attempt_at;
  TimePoint created_at{};
};

// The durable failover plan of one outage (issue 6; docs/engine.md "Failover plan"): the engine's compact plan
// (engine::encode_plan_entries: who moves, to which profile, in which wave) kept as one row, written in one durable
// transaction, so a restart does not lose it; `released` marks how far the waves have gone.
struct FailoverPlanRecord {
  TenantId tenant_id = 0;
  std::string outage_id;        // unique per tenant
  std::string carrier_id;
  domain::CountryCode country;
  std::int64_t devices = 0;     // entries in the plan
  std::int64_t waves = 0;
  std::int64_t released = 0;    // entries released so far (only ever moves forward)
  Bytes plan;                   // the encoded entries, opaque to the store
  TimePoint created_at{};
  TimePoint updated_at{};
};

class Store {
 public:
  virtual ~Store() = default;

  // --- tenants (creating one also creates its root group "fleet")
  virtual Result<domain::Tenant> create_tenant(std::string_view name) = 0;
  virtual Result<domain::Tenant> get_tenant(TenantId id) = 0;
  virtual Result<domain::Tenant> get_tenant_by_name(std::string_view name) = 0;
  virtual Result<std::vector<domain::Tenant>> list_tenants() = 0;

  // --- API keys (secrets are never stored, only their hash)
  virtual Status put_api_key(const domain::ApiKey& key) = 0;  // already_exists on a duplicate id
  virtual Result<domain::ApiKey> get_api_key(std::string_view id) = 0;
  virtual Result<std::vector<domain::ApiKey>> list_api_keys(std::optional<TenantId> tenant) = 0;
  virtual Status revoke_api_key(std::string_view id, TimePoint at) = 0;

  // --- countries and the carrier catalog (shared reference data)
  // Replaces the catalog rows (kCatalogTenant) and country names in one transaction; idempotent.
  virtual Status seed_catalog(const std::vector<domain::Country>& countries,
                              const std::vector<domain::Carrier>& carriers) = 0;
  virtual Result<std::vector<domain::Country>> list_countries() = 0;

  // --- carriers: the catalog plus the tenant's own
  virtual Result<domain::Carrier> get_carrier(TenantId tenant, std::string_view id) = 0;
  virtual Result<PageOf<domain::Carrier>> list_carriers(TenantId tenant, const CarrierFilter& filter,
                                                        const Page& page) = 0;
  // The carrier whose home PLMNs include `plmn` (the tenant's own first, then the catalog).
  virtual Result<domain::Carrier> find_carrier_by_plmn(TenantId tenant, const domain::Plmn& plmn) = 0;
  virtual Status create_carrier(const domain::Carrier& carrier) = 0;  // carrier.tenant_id must not be the catalog
  virtual Status update_carrier(const domain::Carrier& carrier) = 0;  // the tenant's own only
  virtual Status delete_carrier(TenantId tenant, std::string_view id) = 0;  // conflict while profiles reference it

  // --- rate cards (per tenant, carrier, country)
  virtual Status put_rate_cards(const std::vector<domain::RateCard>& cards) = 0;  // upsert, all or nothing
  virtual Result<std::vector<domain::RateCard>> list_rate_cards(TenantId tenant, std::string_view carrier_id) = 0;
  virtual Status delete_rate_card(TenantId tenant, std::string_view carrier_id, const domain::CountryCode& country) = 0;

  // --- groups (nested; parent must exist; no cycles)
  virtual Status create_group(const domain::Group& group) = 0;
  virtual Result<domain::Group> get_group(TenantId tenant, std::string_view name) = 0;
  virtual Result<PageOf<domain::Group>> list_groups(TenantId tenant, const Page& page) = 0;
  virtual Status update_group(const domain::Group& group) = 0;  // re-parent; conflict on a cycle
  // conflict while it has devices or child groups; the root cannot be deleted
  virtual Status delete_group(TenantId tenant, std::string_view name) = 0;

  // --- devices
  virtual Status create_device(const DeviceRecord& record) = 0;  // already_exists; group must exist
  virtual Result<DeviceRecord> get_device(TenantId tenant, const domain::Eid& eid) = 0;
  virtual Result<PageOf<domain::Device>> list_devices(TenantId tenant, const DeviceFilter& filter,
                                                      const Page& page) = 0;
  virtual Status update_device(const domain::Device& device) = 0;  // not_found
  virtual Status delete_device(TenantId tenant, const domain::Eid& eid) = 0;  // with its profiles and operations
  // Upserts a batch of devices (and replaces each one's profile list) in one transaction: all or nothing.
  // Groups named by the batch must exist (invalid_argument naming the device otherwise).
  virtual Result<ImportCounts> import_devices(const std::vector<DeviceRecord>& batch) = 0;

  // --- profiles (an ICCID is unique per tenant and lives on one eUICC)
  virtual Result<domain::Profile> get_profile(TenantId tenant, const domain::Iccid& iccid) = 0;
  virtual Result<PageOf<domain::Profile>> list_profiles(TenantId tenant, const ProfileFilter& filter,
                                                        const Page& page) = 0;
  virtual Status put_profile(const domain::Profile& profile) = 0;  // upsert; the device must exist
  virtual Status delete_profile(TenantId tenant, const domain::Iccid& iccid) = 0;

  // --- operations
  // already_exists when the tenant already has an operation with the same non-empty idempotency_key.
  virtual Status create_operation(const domain::Operation& op) = 0;
  virtual Result<domain::Operation> get_operation(TenantId tenant, std::string_view id) = 0;
  virtual Result<domain::Operation> find_operation_by_idempotency_key(TenantId tenant, std::string_view key) = 0;
  virtual Result<PageOf<domain::Operation>> list_operations(TenantId tenant, const OperationFilter& filter,
                                                            const Page& page) = 0;
  // Compare-and-set on state: conflict when the stored state is not `expected` (so two writers cannot both move it).
  virtual Status update_operation(const domain::Operation& op, domain::OperationState expected) = 0;

  // --- eIM state (SGP.32). Not pure: a Store that does not serve an eIM answers unsupported.
  // The EID is unique per tenant only: every tenant holding this EID (the eIM refuses to serve an EID held by two).
  virtual Result<std::vector<TenantId>> find_device_tenants(const domain::Eid& eid);
  virtual Result<EuiccEimState> get_euicc_state(TenantId tenant, const domain::Eid& eid);  // not_found
  virtual Result<std::vector<EuiccEimState>> list_euicc_states();  // every tenant (eIM start-up)
  // Upsert; the device must exist. counter_value never goes down: the stored value becomes max(stored, given).
  virtual Status put_euicc_state(const EuiccEimState& state);
  // One transaction, durable before the package leaves: when package.counter_value is set it must exceed the stored
  // counter (conflict otherwise) and becomes the stored one (the state row is created if missing); the package row
  // is inserted (already_exists on a reused eimTransactionId); every listed operation moves queued -> delivered with
  // the package's counter_value, eimTransactionId and delivered_at = created_at (conflict when one is not queued on
  // that device). Nothing is written when any step fails.
  virtual Status record_package(const EimPackageRecord& package, const std::vector<std::string>& operation_ids);
  // The package with this eimTransactionId; not_found.
  virtual Result<EimPackageRecord> get_package(ByteView eim_transaction_id);
  // Operations that left in the package with this eimTransactionId (lower-case hex), oldest first, any tenant.
  virtual Result<std::vector<domain::Operation>> find_operations_by_transaction(std::string_view eim_transaction_id);
  // The device's queued operations in creation order (created_at, then id).
  virtual Result<std::vector<domain::Operation>> list_queued_operations(TenantId tenant, const domain::Eid& eid);
  // Every queued or delivered operation of every tenant, in creation order (eIM start-up).
  virtual Result<std::vector<domain::Operation>> list_open_operations();
  // Applies what one eUICC package result proved, in ONE transaction: the operations' states and outcomes, the
  // device's profile states and its active profile. conflict when an operation is not in its expected state;
  // not_found when the device, an operation of it or a changed profile of it is missing; invalid_argument for an
  // operation of another device or a transition the state machine forbids. Nothing is written when any step fails.
  virtual Status apply_package_result(const PackageResultUpdate& update);

  // --- engine resources (issue 6). Not pure: a Store without them answers unsupported.
  // already_exists when the id, the name or the scope (kind + target) is taken by another policy of the tenant (the
  // error's field says which: "id", "name" or "scope").
  virtual Status create_policy(const PolicyRecord& policy);
  virtual Result<PolicyRecord> get_policy(TenantId tenant, std::string_view id);  // not_found
  virtual Result<PageOf<PolicyRecord>> list_policies(TenantId tenant, const Page& page);  // by id
  // Replaces name, scope and document; revision becomes expected_revision + 1. conflict when the stored revision is
  // not expected_revision; not_found; already_exists as create_policy.
  virtual Status update_policy(const PolicyRecord& policy, std::int64_t expected_revision);
  virtual Status delete_policy(TenantId tenant, std::string_view id);  // not_found
  // Upsert per (tenant, carrier).
  virtual Status put_carrier_status(const CarrierStatusRecord& status);
  virtual Result<std::vector<CarrierStatusRecord>> list_carrier_status(TenantId tenant);  // by carrier id
  // Upsert per (tenant, id).
  virtual Status put_outage(const OutageRecord& outage);
  virtual Result<OutageRecord> get_outage(TenantId tenant, std::string_view id);  // not_found
  virtual Result<PageOf<OutageRecord>> list_outages(TenantId tenant, const Page& page);  // by id
  // The same upserts with their event appended in the same transaction (both or neither); event.seq is ignored.
  virtual Status put_outage_with_event(const OutageRecord& outage, const EventRecord& event);
  virtual Status put_carrier_status_with_event(const CarrierStatusRecord& status, const EventRecord& event);

  // --- events and webhooks. Not pure: a Store without them answers unsupported.
  // Appends one event; returns its seq.
  virtual Result<std::int64_t> append_event(const EventRecord& event);
  // The tenant's events with seq > after_seq, oldest first, at most limit (1..10000); types: exact types or
  // "prefix.*", empty for all.
  virtual Result<std::vector<EventRecord>> list_events(TenantId tenant, std::int64_t after_seq, std::size_t limit,
                                                       const std::vector<std::string>& types);
  // The highest seq appended so far (0 when none), any tenant: a new webhook starts after it.
  virtual Result<std::int64_t> last_event_seq();
  // Deletes events that are older than `before` and that every webhook of their tenant has passed; returns how many.
  virtual Result<std::int64_t> prune_events(TimePoint before);
  virtual Status create_webhook(const WebhookRecord& webhook);  // already_exists (field "id")
  virtual Result<WebhookRecord> get_webhook(TenantId tenant, std::string_view id);  // not_found
  virtual Result<PageOf<WebhookRecord>> list_webhooks(TenantId tenant, const Page& page);  // by id
  virtual Result<std::vector<WebhookRecord>> list_all_webhooks();  // every tenant's, for the dispatcher
  virtual Status delete_webhook(TenantId tenant, std::string_view id);  // not_found
  // Records a delivery attempt: cursor, failures, last_error and last_attempt_at. conflict when the stored cursor is
  // not expected_cursor (the webhook was recreated or another dispatcher moved it); not_found when deleted.
  virtual Status record_webhook_attempt(const WebhookRecord& webhook, std::int64_t expected_cursor);

  // --- failover plans (issue 6). One transaction: already_exists when the outage already has a plan; the tenant must
  // exist; invalid_argument for a negative count or an empty outage id.
  virtual Status put_failover_plan(const FailoverPlanRecord& plan);
  virtual Result<FailoverPlanRecord> get_failover_plan(TenantId tenant, std::string_view outage_id);  // not_found
  // Moves the released mark to `released` (conflict when that is below the stored mark or above devices; not_found).
  virtual Status set_failover_plan_released(TenantId tenant, std::string_view outage_id, std::int64_t released,
                                            TimePoint at);
};

}  // namespace esimo::store
