#pragma once
// Identifiers for the engine's unit tests: valid EIDs (ISO/IEC 7064 MOD 97-10 check digits) and ICCIDs (Luhn), numbered.
#include <cstdio>

#include "domain/identifiers.hpp"

namespace esimo::engine::testing {

// EID number `i` of test series `series` (0-9): series keep the fleets of different suites apart.
inline domain::Eid test_eid(unsigned i, unsigned series = 0) {
  char buf[48];  // 30 digits for i < 10^9
  std::snprintf(buf, sizeof buf, "89049032005700000000%01u%09u", series % 10, i);
  return *domain::Eid::from_prefix30(buf);
}

// ICCID of profile slot `slot` (0-9) of device `i`.
inline domain::Iccid test_iccid(unsigned i, unsigned slot) {
  char buf[40];  // 17 digits for i < 10^12
  std::snprintf(buf, sizeof buf, "8949%01u%012u", slot % 10, i);
  return *domain::Iccid::from_payload(buf);
}

}  // namespace esimo::engine::testing
