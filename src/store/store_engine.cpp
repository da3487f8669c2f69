// Defaults of the engine-resource calls (policies, carrier status, outages) for a Store that does not keep them
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

}  // namespace esimo::store
