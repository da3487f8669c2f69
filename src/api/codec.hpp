#pragma once
// JSON shapes of the REST resources (snake_case, RFC 3339 times, money as {"amount":"0.0125","currency":"EUR"}) and the
// strict decoders of request bodies. Shared by the handlers and by DeviceImporter (NDJSON lines are POST bodies).
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/json_io.hpp"
#include "api/problem.hpp"
#include "base/clock.hpp"
#include "domain/catalog.hpp"
#include "domain/model.hpp"
#include "store/store.hpp"

namespace esimo::api {

// --- encoders
void write_time(JsonWriter& w, TimePoint t);
void write_money(JsonWriter& w, const domain::Money& m);
void write_profile(JsonWriter& w, const domain::Profile& p);
// `profiles` null: the list form (no "profiles" member).
void write_device(JsonWriter& w, const domain::Device& d, const std::vector<domain::Profile>* profiles);
void write_group(JsonWriter& w, const domain::Group& g);
void write_carrier(JsonWriter& w, const domain::Carrier& c);
void write_rate_card(JsonWriter& w, const domain::RateCard& r);
void write_operation(JsonWriter& w, const domain::Operation& op);
void write_country(JsonWriter& w, const domain::Country& c);

// --- value parsers with the API's error codes (invalid_eid, invalid_iccid, invalid_plmn, invalid_country, ...)
ApiResult<domain::Eid> parse_eid_field(std::string_view text, std::string field);
ApiResult<domain::Iccid> parse_iccid_field(std::string_view text, std::string field);
ApiResult<domain::Plmn> parse_plmn_field(std::string_view text, std::string field);
ApiResult<domain::CountryCode> parse_country_field(std::string_view text, std::string field);
ApiResult<domain::Lifecycle> parse_lifecycle_field(std::string_view text, std::string field);
ApiResult<domain::Sgp32Version> parse_sgp32_field(std::string_view text, std::string field);
ApiResult<std::string> parse_group_field(std::string_view text, std::string field);
// Validates each tag, sorts and removes duplicates.
ApiResult<std::vector<std::string>> parse_tags_field(std::vector<std::string> tags, std::string field);
ApiResult<std::string> parse_name_field(std::string_view text, std::string field);
// {"amount":"0.0125","currency":"EUR"}
ApiResult<domain::Money> parse_money_field(const boost::json::value* v, std::string field);

// Resolves a profile's carrier, given as a carrier id ("br-vivo") or a home PLMN ("724-06"), for one tenant, with a
// cache (an import names the same few carriers on every line). Not thread-safe: one per request/import.
class CarrierResolver {
 public:
  CarrierResolver(store::Store& store, domain::TenantId tenant) : store_(store), tenant_(tenant) {}
  // unknown_carrier (400) naming `field` when nothing matches.
  ApiResult<std::string> resolve(std::string_view id_or_plmn, const std::string& field);

 private:
  store::Store& store_;
  domain::TenantId tenant_;
  std::unordered_map<std::string, std::string> cache_;
};

// Remembers which groups exist for one tenant (unknown_group otherwise). Not thread-safe.
class GroupChecker {
 public:
  GroupChecker(store::Store& store, domain::TenantId tenant) : store_(store), tenant_(tenant) {}
  ApiStatus check(const std::string& name, const std::string& field);

 private:
  store::Store& store_;
  domain::TenantId tenant_;
  std::unordered_set<std::string> known_;
};

// The POST /v1/devices body (also one NDJSON import line):
// {"eid","name","group","tags","sgp32_version","lifecycle","profiles":[{"iccid","carrier","state","class","fallback"}]}
// At most one profile enabled; it becomes the device's active_iccid. Errors name the member by its JSON path
// ("profiles[1].iccid"); carriers resolve through `carriers`, the group must exist per `groups`.
ApiResult<store::DeviceRecord> decode_device(const boost::json::value& body, domain::TenantId tenant, TimePoint now,
                                             CarrierResolver& carriers, GroupChecker& groups);

// Finishes a device record: sorts out active_iccid, checks ICCIDs are unique; `field` names the profiles.
ApiStatus finish_device_record(store::DeviceRecord& rec, const std::string& field);

}  // namespace esimo::api
