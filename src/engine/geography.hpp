#pragma once
// Geography evidence of the engine (docs/engine.md, "Geography and roaming"): where a device is and whether it is
// roaming. Pure functions over the registry and a telemetry record; the engine keeps the result per device.
//
//  - Current country: the record's `country` (the reporter placed the device, e.g. from its position), else the MCC of
//    the serving PLMN while the device is attached (ITU-T E.212 via domain::country_of_mcc). A record with neither
//    leaves the country as it was.
//  - Home country of a profile: ProfileInfo::home_country when the registry gives it, else the MCC of its home PLMN.
//  - Roaming: the enabled profile's home country and the current country are both known and differ.
#include <optional>

#include "domain/identifiers.hpp"
#include "engine/engine.hpp"

namespace esimo::engine {

std::optional<domain::CountryCode> profile_home_country(const ProfileInfo& profile);

// Where the record places the device, or nullopt when it does not say.
std::optional<domain::CountryCode> record_country(const TelemetryRecord& record);

// The enabled profile (null: none known) roams in `country`.
bool is_roaming(const ProfileInfo* enabled, const std::optional<domain::CountryCode>& country);
// The same from the enabled profile's home country (profile_home_country(); nullopt: none known).
bool is_roaming(const std::optional<domain::CountryCode>& home, const std::optional<domain::CountryCode>& country);

}  // namespace esimo::engine
