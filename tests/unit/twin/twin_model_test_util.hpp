#pragma once
// Test helpers for the twin's model: a small hand-made carrier catalog (so parsing tests do not depend on the Debian
// data), the real catalog (for the scenario files), and scenario text assembly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/model.hpp"
#include "twin/scenario.hpp"

namespace esimo::twin::testing {

inline domain::Carrier make_carrier(const char* id, const char* name, const char* country,
                                    std::initializer_list<const char*> plmns) {
  domain::Carrier c;
  c.id = id;
  c.name = name;
  c.countries.push_back(domain::CountryCode::parse(country).value());
  for (const char* p : plmns) c.plmns.push_back(domain::Plmn::parse(p).value());
  return c;
}

// Germany: Telekom (262-01, shared by the MVNO Congstar), Vodafone, O2; France: Orange, SFR; Brazil: Vivo, Claro,
// TIM; the US: AT&T, T-Mobile; Luxembourg: only POST (one network).
inline const CarrierCatalog& small_catalog() {
  static const CarrierCatalog c =
      CarrierCatalog::from_carriers({
                                        make_carrier("de-telekom", "Telekom", "DE", {"262-06", "262-01"}),
                                        make_carrier("de-congstar", "Congstar", "DE", {"262-01"}),
                                        make_carrier("de-vodafone", "Vodafone", "DE", {"262-02"}),
                                        make_carrier("de-o2", "O2", "DE", {"262-07"}),
                                        make_carrier("fr-orange", "Orange", "FR", {"208-01"}),
                                        make_carrier("fr-sfr", "SFR", "FR", {"208-10"}),
                                        make_carrier("br-vivo", "Vivo", "BR", {"724-06"}),
                                        make_carrier("br-claro", "Claro", "BR", {"724-05"}),
                                        make_carrier("br-tim", "TIM", "BR", {"724-02"}),
                                        make_carrier("us-at-t", "AT&T", "US", {"310-410"}),
                                        make_carrier("us-t-mobile", "T-Mobile", "US", {"310-260"}),
                                        make_carrier("lu-post", "POST", "LU", {"270-01"}),
                                    })
          .value();
  return c;
}

// Indexes in small_catalog().
enum SmallCarrier : CarrierIndex {
  kTelekom = 0,
  kCongstar,
  kVodafoneDe,
  kO2,
  kOrange,
  kSfr,
  kVivo,
  kClaro,
  kTim,
  kAtt,
  kTmobileUs,
  kPost
};

// The real catalog (Debian's mobile-broadband-provider-info, installed by scripts/install-deps).
inline const CarrierCatalog& real_catalog() {
  static const CarrierCatalog c =
      CarrierCatalog::load(std::string(CarrierCatalog::kDefaultServiceProvidersXml)).value();
  return c;
}

// A minimal valid scenario header and fleet; tests append tables.
inline std::string minimal_scenario(const std::string& extra = "") {
  return "name = \"t\"\n"
         "duration = \"12h\"\n"
         "start = 2027-01-01T00:00:00Z\n"
         "[fleet]\n"
         "devices = 100\n"
         "[[fleet.groups]]\n"
         "countries = [\"DE\"]\n" +
         extra;
}

inline domain::CountryCode cc(const char* c) { return domain::CountryCode::parse(c).value(); }

}  // namespace esimo::twin::testing
