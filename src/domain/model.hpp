#pragma once
// Entities of the fleet model. Plain values: no I/O, no clock. Enums have to_string()/parse_*() pairs whose strings are
// the ones the REST API and the store use.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/identifiers.hpp"

namespace esimo::domain {

using TenantId = std::int64_t;
// Tenant id of the shared carrier catalog (seeded from Debian's mobile-broadband-provider-info): visible to every
// tenant, changed by none.
inline constexpr TenantId kCatalogTenant = 0;

struct Tenant {
  TenantId id = 0;
  std::string name;
  TimePoint created_at{};
};

enum class Role { viewer, operator_, admin };  // viewer: read; operator: read + operations; admin: everything
std::string_view to_string(Role r);
Result<Role> parse_role(std::string_view s);
inline bool role_allows(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

struct ApiKey {
  std::string id;            // public key id, "key_..." (the secret's prefix; safe to log)
  TenantId tenant_id = 0;
  Role role = Role::viewer;
  std::string secret_hash;   // hex SHA-256 of the full secret; the secret itself is never stored
  std::string label;
  TimePoint created_at{};
  std::optional<TimePoint> revoked_at;
};

enum class Rat : std::uint8_t { lte_m = 1, nb_iot = 2, lte = 4, nr5g = 8 };
std::string_view to_string(Rat r);  // "LTE-M", "NB-IoT", "LTE", "5G"
Result<Rat> parse_rat(std::string_view s);
using RatSet = std::uint8_t;  // bitmask of Rat

enum class CarrierStatus { up, degraded, down };
std::string_view to_string(CarrierStatus s);
Result<CarrierStatus> parse_carrier_status(std::string_view s);

struct Carrier {
  std::string id;  // stable slug, e.g. "br-vivo" (catalog) or chosen by the tenant
  TenantId tenant_id = kCatalogTenant;
  std::string name;
  std::vector<Plmn> plmns;               // home PLMNs
  std::vector<CountryCode> countries;    // home countries
  RatSet rats = 0;
  CarrierStatus status = CarrierStatus::up;
  std::string smdp_address;              // SM-DP+ FQDN, when known
};

// A tenant's prices with one carrier in one country.
struct RateCard {
  TenantId tenant_id = 0;
  std::string carrier_id;
  CountryCode country;
  Money price_per_mb;
  Money price_per_sms;
  Money monthly_fee;  // per SIM
  TimePoint updated_at{};
};

enum class ProfileClass { operational, test, provisioning };
std::string_view to_string(ProfileClass c);
Result<ProfileClass> parse_profile_class(std::string_view s);

enum class ProfileState { enabled, disabled };
std::string_view to_string(ProfileState s);
Result<ProfileState> parse_profile_state(std::string_view s);

struct Profile {
  TenantId tenant_id = 0;
  Iccid iccid;
  Eid eid;                 // the eUICC it is on
  std::string carrier_id;
  ProfileClass profile_class = ProfileClass::operational;
  ProfileState state = ProfileState::disabled;
  bool fallback = false;   // fallback attribute set (SGP.32)
  TimePoint updated_at{};
};

enum class Lifecycle { inventory, active, suspended, retired };
std::string_view to_string(Lifecycle l);
Result<Lifecycle> parse_lifecycle(std::string_view s);

enum class Sgp32Version { v1_0, v1_2 };
std::string_view to_string(Sgp32Version v);  // "1.0", "1.2"
Result<Sgp32Version> parse_sgp32_version(std::string_view s);

struct Group {
  TenantId tenant_id = 0;
  std::string name;            // unique per tenant; "fleet" is the root every tenant has
  std::string parent;          // empty only for the root
  TimePoint created_at{};
};
inline constexpr std::string_view kRootGroup = "fleet";
// Group names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
Status validate_group_name(std::string_view name);
// Tags: 1-64 of [A-Za-z0-9._:-].
Status validate_tag(std::string_view tag);

struct Device {
  TenantId tenant_id = 0;
  Eid eid;
  std::string name;
  std::string group = std::string(kRootGroup);
  std::vector<std::string> tags;  // sorted, unique
  Lifecycle lifecycle = Lifecycle::active;
  Sgp32Version sgp32_version = Sgp32Version::v1_2;
  std::optional<Iccid> active_iccid;        // from results and notifications only
  std::optional<Plmn> serving_plmn;
  std::optional<CountryCode> country;
  std::optional<TimePoint> last_seen;
  TimePoint created_at{};
  TimePoint updated_at{};
};

// Operation: one asynchronous action on one device. Kinds arrive with the eIM; here the resource and its state machine:
// queued -> delivered -> succeeded | failed | expired | cancelled (queued may also go straight to expired/cancelled).
enum class OperationState { queued, delivered, succeeded, failed, expired, cancelled };
std::string_view to_string(OperationState s);
Result<OperationState> parse_operation_state(std::string_view s);
bool is_terminal(OperationState s);
bool transition_allowed(OperationState from, OperationState to);

struct Operation {
  std::string id;  // "op_..."
  TenantId tenant_id = 0;
  Eid eid;
  std::string type;        // "enable", "disable", ... (validated by the eIM layer)
  std::string params_json; // the typed request body, canonical JSON
  OperationState state = OperationState::queued;
  std::string reason;      // who asked and why: "user:key_ab12", "policy:...", "failover:..."
  std::string outcome;     // named result once terminal ("ok", "iccid_not_found", ...)
  std::string result_json; // details from the device, when any
  std::string idempotency_key;
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> expires_at;
  // Set by the eIM when the operation leaves in a package (SGP.32 §2.11.1.1): the package's counterValue and
  // eimTransactionId (lower-case hex; unique across the eIM; several operations of one psmoList share it).
  std::optional<std::uint64_t> counter_value;
  std::string eim_transaction_id;
  std::optional<TimePoint> delivered_at;
};

}  // namespace esimo::domain
