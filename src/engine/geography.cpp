#include "engine/geography.hpp"

namespace esimo::engine {

std::optional<domain::CountryCode> profile_home_country(const ProfileInfo& profile) {
  if (profile.home_country) return profile.home_country;
  if (profile.plmn) return domain::country_of_mcc(profile.plmn->mcc_value());
  return std::nullopt;
}

std::optional<domain::CountryCode> record_country(const TelemetryRecord& record) {
  if (record.country) return record.country;
  // The serving network's MCC says where the device is only while it is attached to it.
  if (record.attached && record.serving_plmn) return domain::country_of_mcc(record.serving_plmn->mcc_value());
  return std::nullopt;
}

bool is_roaming(const ProfileInfo* enabled, const std::optional<domain::CountryCode>& country) {
  if (enabled == nullptr) return false;
  return is_roaming(profile_home_country(*enabled), country);
}

bool is_roaming(const std::optional<domain::CountryCode>& home, const std::optional<domain::CountryCode>& country) {
  return home && country && *home != *country;
}

}  // namespace esimo::engine
