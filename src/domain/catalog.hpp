#pragma once
// Parsing of the real-world reference data the carrier catalog is seeded from. Pure: the caller reads the files
// (Debian's mobile-broadband-provider-info serviceproviders.xml and iso-codes iso_3166-1.json) and passes their text.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "domain/model.hpp"

namespace esimo::domain {

struct Country {
  CountryCode code;
  std::string name;  // ISO 3166-1 common name when given, else the name
  std::string alpha3;
  std::string numeric;
};

// iso_3166-1.json: {"3166-1": [{"alpha_2": "BR", "alpha_3": "BRA", "name": "Brazil", "numeric": "076", ...}, ...]}.
Result<std::vector<Country>> parse_iso3166_json(std::string_view json_text);

// serviceproviders.xml: <country code="br"><provider><name>Vivo</name><gsm><network-id mcc="724" mnc="06"/>...
// One Carrier per (country, provider name) with at least one GSM network-id; PLMNs deduplicated and sorted; ids are
// slugs "<country>-<name>" (lower case, ASCII letters/digits and '-', deduplicated with a numeric suffix).
// All carriers belong to kCatalogTenant, status up, RATs unknown (0).
Result<std::vector<Carrier>> parse_service_providers_xml(std::string_view xml_text);

// Slug of a display name: lower-case ASCII letters and digits, runs of anything else collapsed to '-'.
std::string slugify(std::string_view name);

}  // namespace esimo::domain
