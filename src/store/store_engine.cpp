// Defaults of the engine-resource calls (policies, carrier status, outages, events, webhooks) for a Store that does not keep them
// (test decorators, future read replicas).
#include "store/store.hpp"

namespace esimo::store {

namespace store_engine_defaults {
Error no_engine_data(std::string_view call) {
  return Error(Errc::unsupported, "this store does not keep engine data (" + std::string(call) + ")");
}
}  // namespace store_engine_defaults

Status Store::create_policy(const PolicyRecord&) { return store_engine_defaults::no_engine_data("create_policy"); }
Result<PolicyRecord> Store::get_policy(TenantId, std::string_view) {
  return store_engine_defaults::no_engine_data("get_policy");
}
Result<PageOf<PolicyRecord>> Store::list_policies(TenantId, const Page&) {
  return store_engine_defaults::no_engine_data("list_policies");
}
Status Store::update_policy(const PolicyRecord&, std::int64_t) {
  return store_engine_defaults::no_engine_data("update_policy");
}
Status Store::delete_policy(TenantId, std::string_view) { return store_engine_defaults::no_engine_data("delete_policy"); }
Status Store::put_carrier_status(const CarrierStatusRecord&) {
  return store_engine_defaults::no_engine_data("put_carrier_status");
}
Result<std::vector<CarrierStatusRecord>> Store::list_carrier_status(TenantId) {
  return store_engine_defaults::no_engine_data("list_carrier_status");
}
Status Store::put_outage(const OutageRecord&) { return store_engine_defaults::no_engine_data("put_outage"); }
Result<OutageRecord> Store::get_outage(TenantId, std::string_view) {
  return store_engine_defaults::no_engine_data("get_outage");
}
Result<PageOf<OutageRecord>> Store::list_outages(TenantId, const Page&) {
  return store_engine_defaults::no_engine_data("list_outages");
}

Status Store::put_outage_with_event(const OutageRecord&, const EventRecord&) {
  return store_engine_defaults::no_engine_data("put_outage_with_event");
}
Status Store::put_carrier_status_with_event(const CarrierStatusRecord&, const EventRecord&) {
  return store_engine_defaults::no_engine_data("put_carrier_status_with_event");
}
Result<std::int64_t> Store::append_event(const EventRecord&) { return store_engine_defaults::no_engine_data("append_event"); }
Result<std::vector<EventRecord>> Store::list_events(TenantId, std::int64_t, std::size_t, const std::vector<std::string>&) {
  return store_engine_defaults::no_engine_data("list_events");
}
Result<std::int64_t> Store::last_event_seq() { return store_engine_defaults::no_engine_data("last_event_seq"); }
Result<std::int64_t> Store::prune_events(TimePoint) { return store_engine_defaults::no_engine_data("prune_events"); }
Status Store::create_webhook(const WebhookRecord&) { return store_engine_defaults::no_engine_data("create_webhook"); }
Result<WebhookRecord> Store::get_webhook(TenantId, std::string_view) {
  return store_engine_defaults::no_engine_data("get_webhook");
}
Result<PageOf<WebhookRecord>> Store::list_webhooks(TenantId, const Page&) {
  return store_engine_defaults::no_engine_data("list_webhooks");
}
Result<std::vector<WebhookRecord>> Store::list_all_webhooks() {
  return store_engine_defaults::no_engine_data("list_all_webhooks");
}
Status Store::delete_webhook(TenantId, std::string_view) { return store_engine_defaults::no_engine_data("delete_webhook"); }
Status Store::record_webhook_attempt(const WebhookRecord&, std::int64_t) {
  return store_engine_defaults::no_engine_data("record_webhook_attempt");
}
Status Store::put_failover_plan(const FailoverPlanRecord&) {
  return store_engine_defaults::no_engine_data("put_failover_plan");
}
Result<FailoverPlanRecord> Store::get_failover_plan(TenantId, std::string_view) {
  return store_engine_defaults::no_engine_data("get_failover_plan");
}
Status Store::set_failover_plan_released(TenantId, std::string_view, std::int64_t, TimePoint) {
  return store_engine_defaults::no_engine_data("set_failover_plan_released");
}

}  // namespace esimo::store
