// Store conformance: the event log and webhook subscriptions. Runs for every Store factory instantiated for
// StoreConformance.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_conformance.hpp"

namespace esimo::store::testing {

namespace events_conformance_detail {
EventRecord event(TenantId t, std::string type, std::string subject, int at) {
  EventRecord e;
  e.tenant_id = t;
  e.type = std::move(type);
  e.subject = std::move(subject);
  e.data_json = R"({"subject":")" + e.subject + R"("})";
  e.occurred_at = test_time(at);
  return e;
}

WebhookRecord webhook(TenantId t, std::string id, std::vector<std::string> types, std::int64_t cursor) {
  WebhookRecord w;
  w.tenant_id = t;
  w.id = std::move(id);
  w.url = "http://127.0.0.1:9/hook";
  w.secret = "0123456789abcdef0123";
  w.types = std::move(types);
  w.cursor = cursor;
  w.created_at = test_time(1);
  return w;
}

std::vector<std::string> types_of(const std::vector<EventRecord>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type);
  return out;
}
}  // namespace events_conformance_detail

TEST_P(StoreConformance, EventsAreAppendedInOrderPerTenantAndFilteredByType) {
  namespace d = events_conformance_detail;
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  auto s1 = store_->append_event(d::event(a, "outage.declared", "outages/o1", 10));
  auto s2 = store_->append_event(d::event(b, "outage.declared", "outages/o9", 11));
  auto s3 = store_->append_event(d::event(a, "carrier.status_changed", "carriers/c1", 12));
  auto s4 = store_->append_event(d::event(a, "outage.resolved", "outages/o1", 13));
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok() && s4.ok());
  EXPECT_LT(*s1, *s2);
  EXPECT_LT(*s2, *s3);
  EXPECT_LT(*s3, *s4);
  EXPECT_EQ(*store_->last_event_seq(), *s4);

  auto all = store_->list_events(a, 0, 100, {});
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(d::types_of(*all),
              ::testing::ElementsAre("outage.declared", "carrier.status_changed", "outage.resolved"));
  EXPECT_EQ((*all)[0].subject, "outages/o1");
  EXPECT_EQ((*all)[0].data_json, R"({"subject":"outages/o1"})");
  EXPECT_EQ((*all)[0].occurred_at, test_time(10));
  EXPECT_EQ((*all)[0].seq, *s1);

  EXPECT_THAT(d::types_of(*store_->list_events(a, *s1, 100, {})),
              ::testing::ElementsAre("carrier.status_changed", "outage.resolved"));
  EXPECT_THAT(d::types_of(*store_->list_events(a, 0, 1, {})), ::testing::ElementsAre("outage.declared"));
  EXPECT_THAT(d::types_of(*store_->list_events(a, 0, 100, {"outage.*"})),
              ::testing::ElementsAre("outage.declared", "outage.resolved"));
  EXPECT_THAT(d::types_of(*store_->list_events(a, 0, 100, {"carrier.status_changed", "outage.resolved"})),
              ::testing::ElementsAre("carrier.status_changed", "outage.resolved"));
  // '_' in a prefix is literal, not a LIKE wildcard.
  EXPECT_TRUE(store_->list_events(a, 0, 100, {"carrier_status.*"})->empty());
  EXPECT_EQ(store_->list_events(b, 0, 100, {})->size(), 1u);

  EXPECT_EQ(store_->list_events(a, 0, 0, {}).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->list_events(a, 0, 100, {"outage.%"}).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->append_event(d::event(a, "", "x", 1)).error().code, Errc::invalid_argument);
  auto no_object = d::event(a, "outage.declared", "x", 1);
  no_object.data_json = "[]";
  EXPECT_EQ(store_->append_event(no_object).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->append_event(d::event(999, "outage.declared", "x", 1)).error().field, "tenant_id");
}

TEST_P(StoreConformance, AnOutageAndItsEventAreWrittenTogetherOrNotAtAll) {
  namespace d = events_conformance_detail;
  TenantId a = make_tenant("acme");
  OutageRecord o;
  o.tenant_id = a;
  o.id = "out_1";
  o.carrier_id = "de-telekom";
  o.source = "status_feed";
  o.state = "active";
  o.started_at = o.updated_at = test_time(5);
  ASSERT_TRUE(store_->put_outage_with_event(o, d::event(a, "outage.declared", "outages/out_1", 5)).ok());
  EXPECT_EQ(store_->get_outage(a, "out_1")->state, "active");
  EXPECT_THAT(d::types_of(*store_->list_events(a, 0, 10, {})), ::testing::ElementsAre("outage.declared"));

  // A bad event leaves the outage unchanged.
  o.state = "resolved";
  o.ended_at = test_time(9);
  auto bad = store_->put_outage_with_event(o, d::event(a, "no spaces allowed", "outages/out_1", 9));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(store_->get_outage(a, "out_1")->state, "active");
  EXPECT_EQ(store_->list_events(a, 0, 10, {})->size(), 1u);
  // A bad outage appends no event.
  OutageRecord broken = o;
  broken.state = "gone";
  EXPECT_FALSE(store_->put_outage_with_event(broken, d::event(a, "outage.updated", "outages/out_1", 9)).ok());
  EXPECT_EQ(store_->list_events(a, 0, 10, {})->size(), 1u);
}

TEST_P(StoreConformance, WebhooksKeepACursorMovedOnlyByCompareAndSet) {
  namespace d = events_conformance_detail;
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  ASSERT_TRUE(store_->create_webhook(d::webhook(a, "whk_1", {"outage.*"}, 7)).ok());
  ASSERT_TRUE(store_->create_webhook(d::webhook(a, "whk_0", {}, 0)).ok());
  ASSERT_TRUE(store_->create_webhook(d::webhook(b, "whk_1", {}, 0)).ok());
  EXPECT_EQ(store_->create_webhook(d::webhook(a, "whk_1", {}, 0)).error().code, Errc::already_exists);
  auto bad_url = d::webhook(a, "whk_2", {}, 0);
  bad_url.url = "ftp://127.0.0.1/";
  EXPECT_EQ(store_->create_webhook(bad_url).error().field, "url");
  auto short_secret = d::webhook(a, "whk_2", {}, 0);
  short_secret.secret = "short";
  EXPECT_EQ(store_->create_webhook(short_secret).error().field, "secret");
  EXPECT_EQ(store_->create_webhook(d::webhook(a, "whk_2", {"*"}, 0)).error().field, "types");

  auto got = store_->get_webhook(a, "whk_1");
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(got->types, ::testing::ElementsAre("outage.*"));
  EXPECT_EQ(got->cursor, 7);
  EXPECT_EQ(got->secret, "0123456789abcdef0123");
  EXPECT_FALSE(got->last_attempt_at.has_value());

  auto page = store_->list_webhooks(a, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, "whk_0");
  EXPECT_EQ(store_->list_all_webhooks()->size(), 3u);

  WebhookRecord moved = *got;
  moved.cursor = 9;
  moved.failures = 0;
  moved.last_attempt_at = test_time(20);
  ASSERT_TRUE(store_->record_webhook_attempt(moved, 7).ok());
  auto stale = store_->record_webhook_attempt(moved, 7);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::conflict);
  WebhookRecord failed = moved;
  failed.failures = 1;
  failed.last_error = "connection refused";
  ASSERT_TRUE(store_->record_webhook_attempt(failed, 9).ok());
  auto after = store_->get_webhook(a, "whk_1");
  EXPECT_EQ(after->cursor, 9);
  EXPECT_EQ(after->failures, 1);
  EXPECT_EQ(after->last_error, "connection refused");
  EXPECT_EQ(after->last_attempt_at, test_time(20));

  ASSERT_TRUE(store_->delete_webhook(a, "whk_1").ok());
  EXPECT_EQ(store_->delete_webhook(a, "whk_1").error().code, Errc::not_found);
  EXPECT_EQ(store_->record_webhook_attempt(moved, 9).error().code, Errc::not_found);
  EXPECT_TRUE(store_->get_webhook(b, "whk_1").ok());
}

TEST_P(StoreConformance, PruningKeepsEventsAWebhookHasNotPassed) {
  namespace d = events_conformance_detail;
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 4; ++i) seqs.push_back(*store_->append_event(d::event(a, "outage.updated", "outages/o", i)));
  for (int i = 0; i < 2; ++i) store_->append_event(d::event(b, "outage.updated", "outages/o", i)).value();
  // acme's webhook has passed the first two events only; globex has no webhook.
  ASSERT_TRUE(store_->create_webhook(d::webhook(a, "whk_1", {}, seqs[1])).ok());
  auto removed = store_->prune_events(test_time(100));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 4);  // acme's first two, globex's two
  auto left = store_->list_events(a, 0, 10, {});
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].seq, seqs[2]);
  EXPECT_TRUE(store_->list_events(b, 0, 10, {})->empty());
  // Nothing older than the cut-off: nothing removed.
  EXPECT_EQ(*store_->prune_events(test_time(0)), 0);
}

}  // namespace esimo::store::testing
