#pragma once
// Parsing of the real-world reference data the carrier catalog is seeded from. Pure: the caller reads the files
// (Debian's mobile-broadband-provider-info serviceproviders.xml and iso-codes iso_3166-1.json) and passes their text.
#include <cstddef>
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

// What parse_service_providers_xml() left out of the catalog, for the seeding log.
struct ServiceProvidersStats {
  std::size_t countries = 0;                      // <country> elements seen
  std::vector<std::string> skipped_countries;     // codes that are not ISO 3166-1 (e.g. "xk"); their providers are left out
  std::size_t providers = 0;                      // <provider> elements seen (in kept countries)
  std::size_t providers_without_gsm = 0;          // no usable <gsm><network-id> (e.g. CDMA-only): left out
  std::size_t invalid_network_ids = 0;            // <network-id> with a missing or malformed mcc/mnc: ignored
};
// As above, also filling *stats (when not null).
Result<std::vector<Carrier>> parse_service_providers_xml(std::string_view xml_text, ServiceProvidersStats* stats);

// Slug of a display name: lower-case ASCII letters and digits, runs of anything else collapsed to '-'.
std::string slugify(std::string_view name);

}  // namespace esimo::domain
