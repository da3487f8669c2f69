#pragma once
// Loading an engine::Engine with one tenant's durable record: its devices with their profiles, its policy documents,
// the carrier status feed and its rate cards (as tariffs). Used by `esimo serve` when it makes a tenant's engine and
// by the REST handlers when policies or devices change.
#include <vector>

#include "base/result.hpp"
#include "domain/model.hpp"
#include "store/store.hpp"

namespace esimo::engine {
class Engine;
struct Outage;
}  // namespace esimo::engine

namespace esimo::api {

// Every carrier the tenant can name (the shared catalog and its own): what policies are validated against.
Result<std::vector<domain::Carrier>> tenant_carriers(store::Store& store, domain::TenantId tenant);

// Everything of `tenant` into `engine`. Stored policies that no longer validate are skipped (a warning each).
Status load_engine(store::Store& store, domain::TenantId tenant, engine::Engine& engine, TimePoint now);
// The tenant's policy documents, parsed against its carrier catalog, given to the engine as its PolicySet.
Status load_engine_policies(store::Store& store, domain::TenantId tenant, engine::Engine& engine);
// One device's registry entry (profiles with their carriers' home PLMN; a "critical" tag makes it move first).
Status load_engine_device(store::Store& store, domain::TenantId tenant, const domain::Eid& eid, engine::Engine& engine);

// The stored, REST form of an engine outage. Its id is URL-path safe ("out_telekom-de_DE_20270201T090030Z"): the
// engine's own id holds '/' and ':'.
store::OutageRecord outage_record(domain::TenantId tenant, const engine::Outage& outage, TimePoint now);

}  // namespace esimo::api
