#include "store/store.hpp"

// Defaults of the eIM-state calls for a Store that does not serve an eIM (test decorators, future read replicas).
namespace esimo::store {

namespace store_defaults {
Error no_eim_state(std::string_view call) {
  return Error(Errc::unsupported, "this store does not keep eIM state (" + std::string(call) + ")");
}
}  // namespace store_defaults

Result<std::vector<TenantId>> Store::find_device_tenants(const domain::Eid&) {
  return store_defaults::no_eim_state("find_device_tenants");
}
Result<EuiccEimState> Store::get_euicc_state(TenantId, const domain::Eid&) {
  return store_defaults::no_eim_state("get_euicc_state");
}
Result<std::vector<EuiccEimState>> Store::list_euicc_states() {
  return store_defaults::no_eim_state("list_euicc_states");
}
Status Store::put_euicc_state(const EuiccEimState&) { return store_defaults::no_eim_state("put_euicc_state"); }
Status Store::record_package(const EimPackageRecord&, const std::vector<std::string>&) {
  return store_defaults::no_eim_state("record_package");
}
Result<EimPackageRecord> Store::get_package(ByteView) { return store_defaults::no_eim_state("get_package"); }
Result<std::vector<domain::Operation>> Store::find_operations_by_transaction(std::string_view) {
  return store_defaults::no_eim_state("find_operations_by_transaction");
}
Result<std::vector<domain::Operation>> Store::list_queued_operations(TenantId, const domain::Eid&) {
  return store_defaults::no_eim_state("list_queued_operations");
}
Result<std::vector<domain::Operation>> Store::list_open_operations() {
  return store_defaults::no_eim_state("list_open_operations");
}
Status Store::apply_package_result(const PackageResultUpdate&) {
  return store_defaults::no_eim_state("apply_package_result");
}

}  // namespace esimo::store
