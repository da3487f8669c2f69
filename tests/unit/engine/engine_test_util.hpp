#pragma once
// Helpers of the engine's unit tests: numbered valid EIDs (ISO/IEC 7064 MOD 97-10 check digits) and ICCIDs (Luhn),
// and an Actuator that records every call as a line of text (to compare two engines call by call).
#include <cstdio>
#include <string>
#include <vector>

#include "domain/identifiers.hpp"
#include "engine/engine.hpp"

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

// Every call as one line: what, the device, the target, the rollback flag and the reason; outages with their counts.
struct RecordingActuator final : Actuator {
  std::vector<std::string> log;
  Status submit_switch(const domain::Eid& e, const domain::Iccid& t, bool rb, const std::string& r) override {
    log.push_back("switch " + e.str() + " " + t.str() + (rb ? " rollback " : " ") + r);
    return ok_status();
  }
  Status set_fallback(const domain::Eid& e, const domain::Iccid& t, const std::string& r) override {
    log.push_back("fallback " + e.str() + " " + t.str() + " " + r);
    return ok_status();
  }
  Status unset_fallback(const domain::Eid& e, const std::string& r) override {
    log.push_back("unset_fallback " + e.str() + " " + r);
    return ok_status();
  }
  void alert(const domain::Eid& e, const std::string& text, const std::string& r) override {
    log.push_back("alert " + e.str() + " " + text + " " + r);
  }
  void outage_changed(const Outage& o) override {
    log.push_back("outage " + o.id + " " + std::to_string(o.submitted) + "/" + std::to_string(o.confirmed) + " " +
                  o.evidence);
  }
};

}  // namespace esimo::engine::testing
