// libFuzzer target: twin scenario files (TOML, twin/scenario), read against a small hand-made carrier catalog (the
// names the scenario files use). What loads must load again the same from the same text (the parser keeps no state);
// what fails must say why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "twin/scenario.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

esimo::domain::Carrier carrier(const char* id, const char* name, const char* country, const char* plmn) {
  esimo::domain::Carrier c;
  c.id = id;
  c.name = name;
  c.countries.push_back(esimo::domain::CountryCode::parse(country).value());
  c.plmns.push_back(esimo::domain::Plmn::parse(plmn).value());
  return c;
}

const esimo::twin::CarrierCatalog& catalog() {
  static const auto c = esimo::twin::CarrierCatalog::from_carriers({
                                                                       carrier("de-telekom", "T-Mobile(Telekom)", "DE", "262-01"),
                                                                       carrier("de-vodafone", "Vodafone", "DE", "262-02"),
                                                                       carrier("de-o2", "O2", "DE", "262-07"),
                                                                       carrier("de-eplus", "E-Plus", "DE", "262-03"),
                                                                       carrier("fr-orange", "Orange", "FR", "208-01"),
                                                                       carrier("es-vodafone", "Vodafone", "ES", "214-01"),
                                                                       carrier("br-vivo", "Vivo", "BR", "724-06"),
                                                                       carrier("br-tim", "TIM", "BR", "724-02"),
                                                                       carrier("br-claro", "Claro", "BR", "724-05"),
                                                                   })
                            .value();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace twin = esimo::twin;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = twin::parse_sim_duration(text); !d.ok()) check(!d.error().message.empty());
  auto s = twin::load_scenario_text(text, "fuzz.toml", catalog());
  if (!s.ok()) {
    check(!s.error().message.empty());
    return 0;
  }
  auto again = twin::load_scenario_text(text, "fuzz.toml", catalog());
  check(again.ok() && again->name == s->name && again->duration == s->duration && again->seed == s->seed);
  return 0;
}
