#pragma once
// SqliteStore: the Store port on SQLite (internal; construct it through open_sqlite_store()).
//
// Threads: every method may be called from any thread. Reads lease a read-only connection from the pool (WAL
// snapshot; multi-query reads run in one read transaction). Writes are closures run by the single Writer thread in a
// group-commit transaction, each in its own savepoint; the caller blocks until its write is durable. The
// check-then-write logic inside a write closure is race-free because only the writer thread writes.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/metrics.hpp"
#include "store/sqlite/device_cache.hpp"
#include "store/sqlite/read_pool.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/writer.hpp"
#include "store/store.hpp"

namespace esimo::store::sqlite {

// Observes one call's wall time (queueing and commit included) into esimo_store_seconds{op=...}.
class OpTimer {
 public:
  explicit OpTimer(metrics::Histogram& h);
  ~OpTimer();
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  metrics::Histogram& h_;
  std::chrono::steady_clock::time_point start_;
};
metrics::Histogram& op_histogram(std::string_view op);

// ESIMO_STORE_OP("get_device"); at the top of each Store method.
#define ESIMO_STORE_OP(name)                                                         \
  static ::esimo::metrics::Histogram& esimo_store_op_hist_ = op_histogram(name);     \
  const OpTimer esimo_store_op_timer_(esimo_store_op_hist_)

// Ends a read transaction on scope exit (reads only, so COMMIT just releases the snapshot).
class ReadTxn {
 public:
  static Result<ReadTxn> begin(Connection& db);
  ReadTxn(ReadTxn&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  ReadTxn& operator=(ReadTxn&&) = delete;
  ~ReadTxn();

 private:
  explicit ReadTxn(Connection& db) : db_(&db) {}
  Connection* db_;
};

// Paging limits common to every list.
inline constexpr std::size_t kMaxPageLimit = 10000;
Status validate_page(const Page& page);

// The shared tail of every keyset-paged list: binds `binds` from `next_index` on and then limit + 1, makes one item per
// row with `make(stmt)` (a Result), and sets next_after from `key(last item)` only when a further row exists.
template <class T, class Make, class Key>
Result<PageOf<T>> read_page(Stmt& s, int next_index, const std::vector<std::string>& binds, const Page& page,
                            std::string_view what, Make&& make, Key&& key) {
  for (const auto& b : binds) s.bind(next_index++, b);
  s.bind(next_index, static_cast<std::int64_t>(page.limit + 1));
  PageOf<T> out;
  for (;;) {
    ESIMO_TRY(bool row, s.step(what));
    if (!row) break;
    if (out.items.size() == page.limit) {
      out.next_after = key(out.items.back());
      break;
    }
    ESIMO_TRY(T item, make(s));
    out.items.push_back(std::move(item));
  }
  s.reset();
  return out;
}

// Every row of an already bound statement, one item per row made by `make(stmt)` (returning T); resets the statement.
template <class T, class Make>
Result<std::vector<T>> read_rows(Stmt& s, std::string_view what, Make&& make) {
  std::vector<T> out;
  for (;;) {
    ESIMO_TRY(bool row, s.step(what));
    if (!row) break;
    out.push_back(make(s));
  }
  s.reset();
  return out;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(const Clock& clock, std::unique_ptr<Writer> writer, std::unique_ptr<ReadPool> readers)
      : clock_(clock), writer_(std::move(writer)), readers_(std::move(readers)) {}

  Result<domain::Tenant> create_tenant(std::string_view name) override;
  Result<domain::Tenant> get_tenant(TenantId id) override;
  Result<domain::Tenant> get_tenant_by_name(std::string_view name) override;
  Result<std::vector<domain::Tenant>> list_tenants() override;

  Status put_api_key(const domain::ApiKey& key) override;
  Result<domain::ApiKey> get_api_key(std::string_view id) override;
  Result<std::vector<domain::ApiKey>> list_api_keys(std::optional<TenantId> tenant) override;
  Status revoke_api_key(std::string_view id, TimePoint at) override;

  Status seed_catalog(const std::vector<domain::Country>& countries,
                      const std::vector<domain::Carrier>& carriers) override;
  Result<std::vector<domain::Country>> list_countries() override;

  Result<domain::Carrier> get_carrier(TenantId tenant, std::string_view id) override;
  Result<PageOf<domain::Carrier>> list_carriers(TenantId tenant, const CarrierFilter& filter,
                                                const Page& page) override;
  Result<domain::Carrier> find_carrier_by_plmn(TenantId tenant, const domain::Plmn& plmn) override;
  Status create_carrier(const domain::Carrier& carrier) override;
  Status update_carrier(const domain::Carrier& carrier) override;
  Status delete_carrier(TenantId tenant, std::string_view id) override;

  Status put_rate_cards(const std::vector<domain::RateCard>& cards) override;
  Result<std::vector<domain::RateCard>> list_rate_cards(TenantId tenant, std::string_view carrier_id) override;
  Status delete_rate_card(TenantId tenant, std::string_view carrier_id, const domain::CountryCode& country) override;

  Status create_group(const domain::Group& group) override;
  Result<domain::Group> get_group(TenantId tenant, std::string_view name) override;
  Result<PageOf<domain::Group>> list_groups(TenantId tenant, const Page& page) override;
  Status update_group(const domain::Group& group) override;
  Status delete_group(TenantId tenant, std::string_view name) override;

  Status create_device(const DeviceRecord& record) override;
  Result<DeviceRecord> get_device(TenantId tenant, const domain::Eid& eid) override;
  Result<PageOf<domain::Device>> list_devices(TenantId tenant, const DeviceFilter& filter, const Page& page) override;
  Status update_device(const domain::Device& device) override;
  Status delete_device(TenantId tenant, const domain::Eid& eid) override;
  Result<ImportCounts> import_devices(const std::vector<DeviceRecord>& batch) override;

  Result<domain::Profile> get_profile(TenantId tenant, const domain::Iccid& iccid) override;
  Result<PageOf<domain::Profile>> list_profiles(TenantId tenant, const ProfileFilter& filter,
                                                const Page& page) override;
  Status put_profile(const domain::Profile& profile) override;
  Status delete_profile(TenantId tenant, const domain::Iccid& iccid) override;

  Status create_operation(const domain::Operation& op) override;
  Result<domain::Operation> get_operation(TenantId tenant, std::string_view id) override;
  Result<domain::Operation> find_operation_by_idempotency_key(TenantId tenant, std::string_view key) override;
  Result<PageOf<domain::Operation>> list_operations(TenantId tenant, const OperationFilter& filter,
                                                    const Page& page) override;
  Status update_operation(const domain::Operation& op, domain::OperationState expected) override;

  Result<std::vector<TenantId>> find_device_tenants(const domain::Eid& eid) override;
  Result<EuiccEimState> get_euicc_state(TenantId tenant, const domain::Eid& eid) override;
  Result<std::vector<EuiccEimState>> list_euicc_states() override;
  Status put_euicc_state(const EuiccEimState& state) override;
  Status record_package(const EimPackageRecord& package, const std::vector<std::string>& operation_ids) override;
  Result<EimPackageRecord> get_package(ByteView eim_transaction_id) override;
  Result<std::vector<domain::Operation>> find_operations_by_transaction(std::string_view eim_transaction_id) override;
  Result<std::vector<domain::Operation>> list_queued_operations(TenantId tenant, const domain::Eid& eid) override;
  Result<std::vector<domain::Operation>> list_open_operations() override;
  Status apply_package_result(const PackageResultUpdate& update) override;

  Status create_policy(const PolicyRecord& policy) override;
  Result<PolicyRecord> get_policy(TenantId tenant, std::string_view id) override;
  Result<PageOf<PolicyRecord>> list_policies(TenantId tenant, const Page& page) override;
  Status update_policy(const PolicyRecord& policy, std::int64_t expected_revision) override;
  Status delete_policy(TenantId tenant, std::string_view id) override;
  Status put_carrier_status(const CarrierStatusRecord& status) override;
  Result<std::vector<CarrierStatusRecord>> list_carrier_status(TenantId tenant) override;
  Status put_outage(const OutageRecord& outage) override;
  Result<OutageRecord> get_outage(TenantId tenant, std::string_view id) override;
  Result<PageOf<OutageRecord>> list_outages(TenantId tenant, const Page& page) override;
  Status put_outage_with_event(const OutageRecord& outage, const EventRecord& event) override;
  Status put_carrier_status_with_event(const CarrierStatusRecord& status, const EventRecord& event) override;
  Result<std::int64_t> append_event(const EventRecord& event) override;
  Result<std::vector<EventRecord>> list_events(TenantId tenant, std::int64_t after_seq, std::size_t limit,
                                               const std::vector<std::string>& types) override;
  Result<std::int64_t> last_event_seq() override;
  Result<std::int64_t> prune_events(TimePoint before) override;
  Status create_webhook(const WebhookRecord& webhook) override;
  Result<WebhookRecord> get_webhook(TenantId tenant, std::string_view id) override;
  Result<PageOf<WebhookRecord>> list_webhooks(TenantId tenant, const Page& page) override;
  Result<std::vector<WebhookRecord>> list_all_webhooks() override;
  Status delete_webhook(TenantId tenant, std::string_view id) override;
  Status record_webhook_attempt(const WebhookRecord& webhook, std::int64_t expected_cursor) override;
  Status put_failover_plan(const FailoverPlanRecord& plan) override;
  Result<FailoverPlanRecord> get_failover_plan(TenantId tenant, std::string_view outage_id) override;
  Status set_failover_plan_released(TenantId tenant, std::string_view outage_id, std::int64_t released,
                                    TimePoint at) override;

 private:
  // Flushes cache_ if another process committed since the last check (at most every kExternalCheckEvery, from the
  // read path): the writer connection is this process's only writer, so its PRAGMA data_version changes exactly when
  // another connection (another process: `esimo import`, `esimo keys`) committed. Staleness bound for writes by other
  // processes: kExternalCheckEvery plus one writer round trip. In-process writes are never stale (invalidate()).
  void check_external_writes();
  void invalidate_device(TenantId tenant, std::string_view eid) { cache_.invalidate(tenant, eid); }

  static constexpr std::chrono::milliseconds kExternalCheckEvery{250};

  const Clock& clock_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<ReadPool> readers_;
  DeviceCache cache_;
  std::atomic<std::int64_t> next_external_check_ns_{0};  // steady_clock; claimed by CAS so one reader checks
  std::mutex data_version_mu_;
  std::int64_t data_version_ = -1;  // guarded by data_version_mu_; -1 = not read yet
};

// Shared checks used inside write closures (writer thread). Each names the entity at fault.
Status require_tenant(Connection& db, TenantId tenant);
// Appends one event inside the caller's write (sqlite_store_events.cpp); returns its seq.
Result<std::int64_t> insert_event(Connection& db, const EventRecord& event);
Status require_group(Connection& db, TenantId tenant, std::string_view group, std::string_view for_what);
// The carrier must be visible to the tenant: its own or the catalog's.
Status require_carrier(Connection& db, TenantId tenant, std::string_view carrier_id, std::string_view for_what);
Result<bool> row_exists(Connection& db, const std::string& sql, TenantId tenant, std::string_view key);

}  // namespace esimo::store::sqlite
