#pragma once
// Internal to src/api: what the engine's REST resources (issue 6: policies, telemetry, carrier status, outages,
// explain, simulate) share between their handler files.
#include <string>
#include <vector>

#include "api/handlers.hpp"
#include "policy/policy.hpp"

namespace esimo::engine {
class Engine;
}

namespace esimo::api {

// A policy document from a request body (JSON, or YAML when the Content-Type says so), parsed and validated against
// the tenant's carrier catalog and its groups and devices. A bad document is a 422 invalid_policy problem whose
// "errors" name the JSON path, line, column and expression position.
ApiResult<policy::Policy> read_policy_document(Env& env, const Call& call);

// The tenant's engine, or nullptr when none is configured.
engine::Engine* engine_of(Env& env, domain::TenantId tenant);

}  // namespace esimo::api
