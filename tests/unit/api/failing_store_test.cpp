// The API when the store fails: readiness, 5xx problems without internals, and an import that stops mid-way keeping
// the batches already committed. A decorator forwards to the real SQLite store until told to fail.
#include <atomic>

#include "api/device_import.hpp"
#include "api_fixture.hpp"
#include "base/log.hpp"

namespace esimo::api::testing {
namespace {

class FailingStore final : public store::Store {
 public:
  explicit FailingStore(store::Store& inner) : inner_(inner) {}
  std::atomic<bool> fail_reads{false};
  std::atomic<int> imports_before_failure{-1};  // -1: never fail imports

#define ESIMO_FWD(ret, name, params, args) \
  ret name params override { return inner_.name args; }
  ESIMO_FWD(Result<domain::Tenant>, create_tenant, (std::string_view n), (n))
  Result<domain::Tenant> get_tenant(domain::TenantId id) override {
    if (fail_reads) return Error(Errc::unavailable, "database is locked (secret detail)");
    return inner_.get_tenant(id);
  }
  ESIMO_FWD(Result<domain::Tenant>, get_tenant_by_name, (std::string_view n), (n))
  ESIMO_FWD(Result<std::vector<domain::Tenant>>, list_tenants, (), ())
  ESIMO_FWD(Status, put_api_key, (const domain::ApiKey& k), (k))
  ESIMO_FWD(Result<domain::ApiKey>, get_api_key, (std::string_view id), (id))
  ESIMO_FWD(Result<std::vector<domain::ApiKey>>, list_api_keys, (std::optional<domain::TenantId> t), (t))
  ESIMO_FWD(Status, revoke_api_key, (std::string_view id, TimePoint at), (id, at))
  ESIMO_FWD(Status, seed_catalog,
            (const std::vector<domain::Country>& c, const std::vector<domain::Carrier>& k), (c, k))
  ESIMO_FWD(Result<std::vector<domain::Country>>, list_countries, (), ())
  ESIMO_FWD(Result<domain::Carrier>, get_carrier, (domain::TenantId t, std::string_view id), (t, id))
  ESIMO_FWD(Result<store::PageOf<domain::Carrier>>, list_carriers, (domain::TenantId t, const store::CarrierFilter& f, const store::Page& p),
            (t, f, p))
  ESIMO_FWD(Result<domain::Carrier>, find_carrier_by_plmn, (domain::TenantId t, const domain::Plmn& p), (t, p))
  ESIMO_FWD(Status, create_carrier, (const domain::Carrier& c), (c))
  ESIMO_FWD(Status, update_carrier, (const domain::Carrier& c), (c))
  ESIMO_FWD(Status, delete_carrier, (domain::TenantId t, std::string_view id), (t, id))
  ESIMO_FWD(Status, put_rate_cards, (const std::vector<domain::RateCard>& c), (c))
  ESIMO_FWD(Result<std::vector<domain::RateCard>>, list_rate_cards, (domain::TenantId t, std::string_view c), (t, c))
  ESIMO_FWD(Status, delete_rate_card, (domain::TenantId t, std::string_view c, const domain::CountryCode& cc), (t, c, cc))
  ESIMO_FWD(Status, create_group, (const domain::Group& g), (g))
  ESIMO_FWD(Result<domain::Group>, get_group, (domain::TenantId t, std::string_view n), (t, n))
  ESIMO_FWD(Result<store::PageOf<domain::Group>>, list_groups, (domain::TenantId t, const store::Page& p), (t, p))
  ESIMO_FWD(Status, update_group, (const domain::Group& g), (g))
  ESIMO_FWD(Status, delete_group, (domain::TenantId t, std::string_view n), (t, n))
  ESIMO_FWD(Status, create_device, (const store::DeviceRecord& r), (r))
  Result<store::DeviceRecord> get_device(domain::TenantId t, const domain::Eid& e) override {
    if (fail_reads) return Error(Errc::io_error, "disk I/O error at /secret/path");
    return inner_.get_device(t, e);
  }
  ESIMO_FWD(Result<store::PageOf<domain::Device>>, list_devices, (domain::TenantId t, const store::DeviceFilter& f, const store::Page& p),
            (t, f, p))
  ESIMO_FWD(Status, update_device, (const domain::Device& d), (d))
  ESIMO_FWD(Status, delete_device, (domain::TenantId t, const domain::Eid& e), (t, e))
  Result<store::ImportCounts> import_devices(const std::vector<store::DeviceRecord>& batch) override {
    if (imports_before_failure.load() == 0) return Error(Errc::io_error, "disk full");
    if (imports_before_failure.load() > 0) --imports_before_failure;
    return inner_.import_devices(batch);
  }
  ESIMO_FWD(Result<domain::Profile>, get_profile, (domain::TenantId t, const domain::Iccid& i), (t, i))
  ESIMO_FWD(Result<store::PageOf<domain::Profile>>, list_profiles, (domain::TenantId t, const store::ProfileFilter& f, const store::Page& p),
            (t, f, p))
  ESIMO_FWD(Status, put_profile, (const domain::Profile& p), (p))
  ESIMO_FWD(Status, delete_profile, (domain::TenantId t, const domain::Iccid& i), (t, i))
  ESIMO_FWD(Status, create_operation, (const domain::Operation& o), (o))
  ESIMO_FWD(Result<domain::Operation>, get_operation, (domain::TenantId t, std::string_view id), (t, id))
  ESIMO_FWD(Result<domain::Operation>, find_operation_by_idempotency_key, (domain::TenantId t, std::string_view k), (t, k))
  ESIMO_FWD(Result<store::PageOf<domain::Operation>>, list_operations,
            (domain::TenantId t, const store::OperationFilter& f, const store::Page& p), (t, f, p))
  ESIMO_FWD(Status, update_operation, (const domain::Operation& o, domain::OperationState s), (o, s))
#undef ESIMO_FWD

 private:
  store::Store& inner_;
};

class FailingStoreTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    log::set_level(log::Level::off);  // the 5xx paths log errors on purpose
    failing_ = std::make_unique<FailingStore>(*store_);
    ApiOptions options;
    options.public_base_url = "http://api.test";
    service_ = std::make_unique<RestService>(ApiContext{*failing_, clock_, metrics_, options});
  }
  void TearDown() override {
    service_.reset();
    failing_.reset();
    ApiTest::TearDown();
  }
  std::unique_ptr<FailingStore> failing_;
};

TEST_F(FailingStoreTest, ReadinessFollowsTheStore) {
  EXPECT_EQ(get("/readyz", "").status, 200);
  failing_->fail_reads = true;
  auto r = get("/readyz", "");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(code(r), "unavailable");
  EXPECT_EQ(get("/healthz", "").status, 200);  // liveness does not depend on the store
}

TEST_F(FailingStoreTest, ServerErrorsHideInternals) {
  create_device(a_admin_, 1);
  failing_->fail_reads = true;
  auto r = get("/v1/devices/" + eid_n(1), a_viewer_);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(code(r), "internal");
  EXPECT_EQ(r.body.find("/secret/path"), std::string::npos) << r.body;
  EXPECT_EQ(field(r), "");
}

TEST_F(FailingStoreTest, ImportStopsOnStoreFailureKeepingCommittedBatches) {
  failing_->imports_before_failure = 1;
  std::string csv = "eid\n";
  for (std::uint64_t n = 1; n <= 5; ++n) csv += eid_n(n) + "\n";
  DeviceImporter imp(*failing_, tenant_a_, clock_, ImportFormat::csv, ImportOptions{.batch_size = 2});
  auto st = imp.write(csv);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().status, 500);
  EXPECT_FALSE(imp.write("more\n").ok());  // dead after a fatal error
  EXPECT_FALSE(imp.finish().ok());
  EXPECT_EQ(imp.report().imported, 2u);
  EXPECT_EQ(count_devices(tenant_a_), 2u);

  // Through the REST sink: the answer is the 5xx problem.
  failing_->imports_before_failure = 0;
  auto r = stream("/v1/devices:import", a_admin_, "eid\n" + eid_n(9) + "\n", "text/csv");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(code(r), "internal");
}

}  // namespace
}  // namespace esimo::api::testing
