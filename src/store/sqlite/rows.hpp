#pragma once
// Mapping between table rows and domain values (internal to store/sqlite). Stored values were validated on the way in,
// so a value that no longer parses is reported as internal ("corrupt stored ...") rather than trusted.
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "domain/catalog.hpp"
#include "domain/model.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace esimo::store::sqlite {

// Column lists, in the order the *_from_row functions read them.
inline constexpr std::string_view kTenantColumns = "id, name, created_at";
inline constexpr std::string_view kApiKeyColumns = "id, tenant_id, role, secret_hash, label, created_at, revoked_at";
inline constexpr std::string_view kCarrierColumns = "c.tenant_id, c.id, c.name, c.rats, c.status, c.smdp_address";
inline constexpr std::string_view kRateCardColumns =
    "tenant_id, carrier_id, country, per_mb_micros, per_mb_currency, per_sms_micros, per_sms_currency, "
    "monthly_micros, monthly_currency, updated_at";
inline constexpr std::string_view kGroupColumns = "tenant_id, name, parent, created_at";
inline constexpr std::string_view kDeviceColumns =
    "d.tenant_id, d.eid, d.name, d.group_name, d.lifecycle, d.sgp32_version, d.active_iccid, d.serving_plmn, "
    "d.country, d.last_seen, d.created_at, d.updated_at";
inline constexpr std::string_view kProfileColumns =
    "p.tenant_id, p.iccid, p.eid, p.carrier_id, p.profile_class, p.state, p.fallback, p.updated_at";
inline constexpr std::string_view kOperationColumns =
    "o.tenant_id, o.id, o.eid, o.type, o.params_json, o.state, o.reason, o.outcome, o.result_json, "
    "o.idempotency_key, o.created_at, o.updated_at, o.expires_at, o.counter_value, o.eim_transaction_id, o.delivered_at";

Result<domain::Tenant> tenant_from_row(const Stmt& s);
Result<domain::ApiKey> api_key_from_row(const Stmt& s);
// Reads the carrier's PLMNs and countries with further queries on `db`.
Result<domain::Carrier> carrier_from_row(Connection& db, const Stmt& s);
Result<domain::RateCard> rate_card_from_row(const Stmt& s);
Result<domain::Group> group_from_row(const Stmt& s);
// Without tags: load_device_tags() adds them.
Result<domain::Device> device_from_row(const Stmt& s);
Status load_device_tags(Connection& db, domain::Device& device);
Result<domain::Profile> profile_from_row(const Stmt& s);
Result<domain::Operation> operation_from_row(const Stmt& s);

template <class T>
std::optional<std::string> opt_str(const std::optional<T>& v) {
  return v ? std::optional<std::string>(v->str()) : std::nullopt;
}

}  // namespace esimo::store::sqlite
