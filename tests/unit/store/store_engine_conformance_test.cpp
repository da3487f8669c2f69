// Store conformance: the engine's resources (policies, carrier status feed, outages). Runs for every Store factory
// instantiated for StoreConformance.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_conformance.hpp"

namespace esimo::store::testing {

namespace engine_conformance_detail {
PolicyRecord policy(TenantId t, std::string id, std::string name, std::string kind, std::string target) {
  PolicyRecord p;
  p.tenant_id = t;
  p.id = std::move(id);
  p.name = std::move(name);
  p.scope_kind = std::move(kind);
  p.scope_target = std::move(target);
  p.document_json = R"({"name":")" + p.name + R"(","scope":{"fleet":true}})";
  p.created_at = p.updated_at = test_time(10);
  return p;
}
}  // namespace engine_conformance_detail

TEST_P(StoreConformance, PoliciesAreUniquePerNameAndScopeAndRevised) {
  namespace d = engine_conformance_detail;
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  ASSERT_TRUE(store_->create_group({a, "trucks", "fleet", test_time(1)}).ok());
  ASSERT_TRUE(store_->create_policy(d::policy(a, "pol_1", "fleet-default", "fleet", "")).ok());
  ASSERT_TRUE(store_->create_policy(d::policy(a, "pol_2", "trucks", "group", "trucks")).ok());

  auto dup_id = store_->create_policy(d::policy(a, "pol_1", "other", "group", "x"));
  ASSERT_FALSE(dup_id.ok());
  EXPECT_EQ(dup_id.error().code, Errc::already_exists);
  EXPECT_EQ(dup_id.error().field, "id");
  auto dup_name = store_->create_policy(d::policy(a, "pol_3", "trucks", "group", "vans"));
  ASSERT_FALSE(dup_name.ok());
  EXPECT_EQ(dup_name.error().field, "name");
  auto dup_scope = store_->create_policy(d::policy(a, "pol_3", "second-fleet", "fleet", ""));
  ASSERT_FALSE(dup_scope.ok());
  EXPECT_EQ(dup_scope.error().field, "scope");
  EXPECT_THAT(dup_scope.error().message, ::testing::HasSubstr("pol_1"));
  EXPECT_EQ(store_->create_policy(d::policy(a, "pol_4", "bad", "planet", "")).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->create_policy(d::policy(a, "pol_4", "bad", "fleet", "x")).error().code, Errc::invalid_argument);

  // Another tenant may reuse ids, names and scopes, and sees none of acme's.
  ASSERT_TRUE(store_->create_policy(d::policy(b, "pol_1", "fleet-default", "fleet", "")).ok());
  EXPECT_EQ(store_->list_policies(b, {})->items.size(), 1u);
  EXPECT_EQ(store_->get_policy(b, "pol_2").error().code, Errc::not_found);

  auto got = store_->get_policy(a, "pol_2");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "trucks");
  EXPECT_EQ(got->scope_kind, "group");
  EXPECT_EQ(got->scope_target, "trucks");
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->created_at, test_time(10));

  PolicyRecord upd = *got;
  upd.document_json = R"({"name":"trucks-v2"})";
  upd.name = "trucks-v2";
  upd.updated_at = test_time(20);
  ASSERT_TRUE(store_->update_policy(upd, 1).ok());
  auto stale = store_->update_policy(upd, 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::conflict);
  auto after = store_->get_policy(a, "pol_2");
  EXPECT_EQ(after->revision, 2);
  EXPECT_EQ(after->name, "trucks-v2");
  EXPECT_EQ(after->document_json, upd.document_json);
  EXPECT_EQ(after->updated_at, test_time(20));
  EXPECT_EQ(after->created_at, test_time(10));
  upd.name = "fleet-default";  // taken by pol_1
  EXPECT_EQ(store_->update_policy(upd, 2).error().code, Errc::already_exists);
  upd.id = "pol_9";
  EXPECT_EQ(store_->update_policy(upd, 1).error().code, Errc::not_found);

  // Paging in id order.
  ASSERT_TRUE(store_->create_policy(d::policy(a, "pol_0", "zero", "device", test_eid(1).str())).ok());
  Page page;
  page.limit = 2;
  auto p1 = store_->list_policies(a, page);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->items.size(), 2u);
  EXPECT_EQ(p1->items[0].id, "pol_0");
  EXPECT_EQ(p1->items[1].id, "pol_1");
  ASSERT_TRUE(p1->next_after.has_value());
  page.after = *p1->next_after;
  auto p2 = store_->list_policies(a, page);
  ASSERT_EQ(p2->items.size(), 1u);
  EXPECT_EQ(p2->items[0].id, "pol_2");
  EXPECT_FALSE(p2->next_after.has_value());

  ASSERT_TRUE(store_->delete_policy(a, "pol_1").ok());
  EXPECT_EQ(store_->delete_policy(a, "pol_1").error().code, Errc::not_found);
  EXPECT_EQ(store_->get_policy(a, "pol_1").error().code, Errc::not_found);
  EXPECT_TRUE(store_->get_policy(b, "pol_1").ok());
  // The fleet scope is free again.
  EXPECT_TRUE(store_->create_policy(d::policy(a, "pol_5", "fleet-new", "fleet", "")).ok());
  reopen();
  EXPECT_EQ(store_->list_policies(a, {})->items.size(), 3u);
}

TEST_P(StoreConformance, CarrierStatusIsUpsertedPerCarrier) {
  seed_small_catalog();
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  CarrierStatusRecord s;
  s.tenant_id = a;
  s.carrier_id = "br-vivo";
  s.state = domain::CarrierStatus::down;
  s.countries = {test_country("BR")};
  s.note = "fibre cut";
  s.updated_at = test_time(5);
  ASSERT_TRUE(store_->put_carrier_status(s).ok());
  s.carrier_id = "nope";
  EXPECT_FALSE(store_->put_carrier_status(s).ok());
  auto list = store_->list_carrier_status(a);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, domain::CarrierStatus::down);
  ASSERT_EQ((*list)[0].countries.size(), 1u);
  EXPECT_EQ((*list)[0].countries[0].str(), "BR");
  EXPECT_EQ((*list)[0].note, "fibre cut");
  EXPECT_TRUE(store_->list_carrier_status(b)->empty());

  s.carrier_id = "br-vivo";
  s.state = domain::CarrierStatus::up;
  s.countries.clear();
  s.note.clear();
  s.updated_at = test_time(6);
  ASSERT_TRUE(store_->put_carrier_status(s).ok());
  list = store_->list_carrier_status(a);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, domain::CarrierStatus::up);
  EXPECT_TRUE((*list)[0].countries.empty());
  EXPECT_EQ((*list)[0].updated_at, test_time(6));
}

TEST_P(StoreConformance, OutagesAreUpsertedAndPaged) {
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  OutageRecord o;
  o.tenant_id = a;
  o.id = "out_1";
  o.carrier_id = "br-vivo";
  o.country = test_country("BR");
  o.source = "telemetry";
  o.state = "active";
  o.detail = "40% of 120 devices lost service";
  o.affected_devices = 48;
  o.started_at = o.updated_at = test_time(100);
  ASSERT_TRUE(store_->put_outage(o).ok());
  o.id = "out_2";
  o.country.reset();
  o.source = "status_feed";
  ASSERT_TRUE(store_->put_outage(o).ok());
  o.state = "gone";
  EXPECT_EQ(store_->put_outage(o).error().code, Errc::invalid_argument);

  o.id = "out_1";
  o.country = test_country("BR");
  o.source = "telemetry";
  o.state = "resolved";
  o.ended_at = test_time(200);
  o.updated_at = test_time(200);
  ASSERT_TRUE(store_->put_outage(o).ok());
  auto got = store_->get_outage(a, "out_1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, "resolved");
  EXPECT_EQ(got->ended_at, test_time(200));
  EXPECT_EQ(got->started_at, test_time(100));
  EXPECT_EQ(got->country->str(), "BR");
  EXPECT_EQ(got->affected_devices, 48);
  EXPECT_EQ(store_->get_outage(b, "out_1").error().code, Errc::not_found);
  auto second = store_->get_outage(a, "out_2");
  EXPECT_FALSE(second->country.has_value());
  EXPECT_FALSE(second->ended_at.has_value());

  Page page;
  page.limit = 1;
  auto p1 = store_->list_outages(a, page);
  ASSERT_EQ(p1->items.size(), 1u);
  EXPECT_EQ(p1->items[0].id, "out_1");
  page.after = *p1->next_after;
  auto p2 = store_->list_outages(a, page);
  ASSERT_EQ(p2->items.size(), 1u);
  EXPECT_EQ(p2->items[0].id, "out_2");
  EXPECT_TRUE(store_->list_outages(b, {})->items.empty());
}

}  // namespace esimo::store::testing
