// Durable failover plans (issue 6; docs/engine.md "Failover plan"): conformance for every Store, and the SQLite store
// keeping a plan across a restart.
#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.hpp"
#include "store_conformance.hpp"

namespace esimo::store::testing {

namespace plan_store_detail {
FailoverPlanRecord plan(TenantId t, std::string outage, std::size_t bytes) {
  FailoverPlanRecord p;
  p.tenant_id = t;
  p.outage_id = std::move(outage);
  p.carrier_id = "de-telekom";
  p.country = test_country("DE");
  p.devices = 1000;
  p.waves = 4;
  p.plan.resize(bytes);
  for (std::size_t i = 0; i < bytes; ++i) p.plan[i] = static_cast<std::uint8_t>(i * 7 + 3);
  p.created_at = p.updated_at = test_time(100);
  return p;
}
}  // namespace plan_store_detail

TEST_P(StoreConformance, FailoverPlanIsWrittenWholeOnceAndAdvancesForwardOnly) {
  namespace d = plan_store_detail;
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  const FailoverPlanRecord p = d::plan(a, "de-telekom/DE/2027-02-01T08:31:15Z", 32 * 1000 + 8);
  ASSERT_TRUE(store_->put_failover_plan(p).ok());

  auto got = store_->get_failover_plan(a, p.outage_id);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->plan, p.plan);
  EXPECT_EQ(got->carrier_id, "de-telekom");
  EXPECT_EQ(got->country, test_country("DE"));
  EXPECT_EQ(got->devices, 1000);
  EXPECT_EQ(got->waves, 4);
  EXPECT_EQ(got->released, 0);
  EXPECT_EQ(got->created_at, test_time(100));

  // A second plan for the same outage is refused and leaves the first one as it was (nothing half-written).
  FailoverPlanRecord other = d::plan(a, p.outage_id, 40);
  auto dup = store_->put_failover_plan(other);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  EXPECT_EQ(store_->get_failover_plan(a, p.outage_id)->plan, p.plan);
  // Bad records and unknown tenants write nothing.
  FailoverPlanRecord bad = d::plan(a, "x", 8);
  bad.released = 2000;
  EXPECT_EQ(store_->put_failover_plan(bad).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->get_failover_plan(a, "x").error().code, Errc::not_found);
  EXPECT_FALSE(store_->put_failover_plan(d::plan(9999, "y", 8)).ok());
  EXPECT_EQ(store_->get_failover_plan(9999, "y").error().code, Errc::not_found);
  // Tenants do not see each other's plans.
  EXPECT_EQ(store_->get_failover_plan(b, p.outage_id).error().code, Errc::not_found);

  // The released mark moves forward only, up to the plan's size.
  ASSERT_TRUE(store_->set_failover_plan_released(a, p.outage_id, 20, test_time(200)).ok());
  EXPECT_EQ(store_->get_failover_plan(a, p.outage_id)->released, 20);
  EXPECT_EQ(store_->get_failover_plan(a, p.outage_id)->updated_at, test_time(200));
  EXPECT_EQ(store_->set_failover_plan_released(a, p.outage_id, 10, test_time(300)).error().code, Errc::conflict);
  EXPECT_EQ(store_->set_failover_plan_released(a, p.outage_id, 1001, test_time(300)).error().code, Errc::conflict);
  EXPECT_EQ(store_->get_failover_plan(a, p.outage_id)->released, 20);
  EXPECT_EQ(store_->set_failover_plan_released(a, "nope", 1, test_time(300)).error().code, Errc::not_found);
  ASSERT_TRUE(store_->set_failover_plan_released(a, p.outage_id, 1000, test_time(400)).ok());
}

TEST(SqliteStore, FailoverPlanSurvivesARestart) {
  TempDir tmp;
  const std::size_t bytes = 32 * 100000 + 8;  // a plan of 100,000 devices
  FailoverPlanRecord p;
  TenantId t = 0;
  {
    auto s = open_sqlite_store(tmp.path());  // durable commits, as `esimo serve`
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto tenant = (*s)->create_tenant("acme");
    ASSERT_TRUE(tenant.ok());
    t = tenant->id;
    p = plan_store_detail::plan(t, "o1", bytes);
    ASSERT_TRUE((*s)->put_failover_plan(p).ok());
    ASSERT_TRUE((*s)->set_failover_plan_released(t, "o1", 80, test_time(150)).ok());
  }
  auto s = open_sqlite_store(tmp.path());
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto got = (*s)->get_failover_plan(t, "o1");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->plan, p.plan);
  EXPECT_EQ(got->released, 80);
  EXPECT_EQ(got->waves, 4);
}

}  // namespace esimo::store::testing
