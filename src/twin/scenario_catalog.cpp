// CarrierCatalog: the real carrier catalog indexed for the twin, and the packed PLMN/country keys.
#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "domain/catalog.hpp"
#include "twin/scenario.hpp"

namespace esimo::twin {

PlmnKey plmn_key(const domain::Plmn& plmn) {
  const auto w = plmn.to_wire();
  return (static_cast<PlmnKey>(w[0]) << 16) | (static_cast<PlmnKey>(w[1]) << 8) | w[2];
}

domain::Plmn plmn_of_key(PlmnKey key) {
  const std::uint8_t w[3] = {static_cast<std::uint8_t>(key >> 16), static_cast<std::uint8_t>(key >> 8),
                             static_cast<std::uint8_t>(key)};
  auto p = domain::Plmn::from_wire(ByteView(w, 3));
  assert(p.ok() && "plmn_of_key: not a key made by plmn_key()");
  return *p;
}

CountryKey country_key(const domain::CountryCode& country) {
  const std::string s = country.str();
  return static_cast<CountryKey>((static_cast<unsigned char>(s[0]) << 8) | static_cast<unsigned char>(s[1]));
}

domain::CountryCode country_of_key(CountryKey key) {
  const char s[2] = {static_cast<char>(key >> 8), static_cast<char>(key & 0xff)};
  auto c = domain::CountryCode::parse(std::string_view(s, 2));
  assert(c.ok() && "country_of_key: not a key made by country_key()");
  return *c;
}

Result<CarrierCatalog> CarrierCatalog::from_carriers(std::vector<domain::Carrier> carriers) {
  if (carriers.size() >= kNoCarrier) {
    return Error(Errc::invalid_argument, "carrier catalog: " + std::to_string(carriers.size()) +
                                             " carriers, the twin indexes at most " + std::to_string(kNoCarrier - 1));
  }
  CarrierCatalog c;
  c.carriers_ = std::move(carriers);
  c.home_plmn_.reserve(c.carriers_.size());
  for (std::size_t i = 0; i < c.carriers_.size(); ++i) {
    auto& carrier = c.carriers_[i];
    if (carrier.plmns.empty()) {
      return Error(Errc::invalid_argument, "carrier catalog: carrier '" + carrier.id + "' has no PLMN");
    }
    std::sort(carrier.plmns.begin(), carrier.plmns.end());
    c.home_plmn_.push_back(plmn_key(carrier.plmns.front()));
    const auto idx = static_cast<CarrierIndex>(i);
    for (const auto& country : carrier.countries) c.by_country_[country_key(country)].push_back(idx);
    c.by_id_.emplace(carrier.id, idx);
  }
  return c;
}

Result<CarrierCatalog> CarrierCatalog::load(const std::filesystem::path& service_providers_xml) {
  std::ifstream in(service_providers_xml, std::ios::binary);
  if (!in) {
    return Error(Errc::io_error,
                 "cannot read " + service_providers_xml.string() + ": " + std::strerror(errno) +
                     " (it comes with the Debian package mobile-broadband-provider-info)",
                 service_providers_xml.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto carriers = domain::parse_service_providers_xml(ss.str());
  if (!carriers.ok()) {
    return Error(carriers.error().code, service_providers_xml.string() + ": " + carriers.error().message,
                 service_providers_xml.string());
  }
  return from_carriers(std::move(carriers).value());
}

const std::vector<CarrierIndex>& CarrierCatalog::in_country(const domain::CountryCode& country) const {
  static const std::vector<CarrierIndex> kNone;
  auto it = by_country_.find(country_key(country));
  return it == by_country_.end() ? kNone : it->second;
}

bool CarrierCatalog::is_home(CarrierIndex i, const domain::CountryCode& country) const {
  const auto& cs = carriers_[i].countries;
  return std::find(cs.begin(), cs.end(), country) != cs.end();
}

std::optional<CarrierIndex> CarrierCatalog::find_id(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

Result<CarrierIndex> CarrierCatalog::resolve(std::string_view reference, const domain::CountryCode& country) const {
  const std::string ref(reference);
  if (ref.empty()) return Error(Errc::invalid_argument, "carrier reference is empty");
  if (auto id = find_id(ref)) return *id;

  // A PLMN: the carrier of `country` (or, for a foreign network, of any country) whose home network it is, else
  // one that lists it; the first in catalog order.
  if (ref.find_first_not_of("0123456789- ") == std::string::npos && ref.find_first_of("- ") != std::string::npos) {
    auto plmn = domain::Plmn::parse(ref);
    if (!plmn.ok()) return Error(Errc::invalid_argument, plmn.error().message);
    const PlmnKey key = plmn_key(*plmn);
    std::optional<CarrierIndex> home_match, listed_match, foreign_home, foreign_listed;
    for (std::size_t i = 0; i < carriers_.size(); ++i) {
      const auto& c = carriers_[i];
      const bool lists = std::find(c.plmns.begin(), c.plmns.end(), *plmn) != c.plmns.end();
      if (!lists) continue;
      const bool home = home_plmn_[i] == key;
      const bool here = is_home(static_cast<CarrierIndex>(i), country);
      auto& slot = here ? (home ? home_match : listed_match) : (home ? foreign_home : foreign_listed);
      if (!slot) slot = static_cast<CarrierIndex>(i);
    }
    for (const auto* m : {&home_match, &listed_match, &foreign_home, &foreign_listed}) {
      if (*m) return **m;
    }
    return Error(Errc::not_found, "no carrier in the catalog has PLMN " + plmn->str());
  }

  // A name as the catalog spells it in `country`, compared by slug (case, spaces and punctuation do not matter).
  const std::string want = domain::slugify(ref);
  const auto& here = in_country(country);
  for (CarrierIndex i : here) {
    if (domain::slugify(carriers_[i].name) == want) return i;
  }
  std::string known;
  for (std::size_t k = 0; k < here.size(); ++k) {
    if (k != 0) known += ", ";
    known += "'" + carriers_[here[k]].name + "'";
  }
  return Error(Errc::not_found, "carrier '" + ref + "' is not in the catalog for " + country.str() +
                                    (here.empty() ? std::string(" (the catalog has no carrier there)")
                                                  : " (carriers there: " + known + ")"));
}

}  // namespace esimo::twin
