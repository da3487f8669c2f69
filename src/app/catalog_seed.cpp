#include "app/catalog_seed.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/bytes.hpp"
#include "base/log.hpp"
#include "crypto/digest.hpp"
#include "domain/catalog.hpp"
#include "store/store.hpp"

namespace esimo::app {
namespace catalog_seed_detail {

constexpr const char* kDigestFile = "catalog.sha256";

Result<std::string> read_reference_file(const std::filesystem::path& path, std::string_view package) {
  auto text = read_text_file(path);
  if (!text.ok()) {
    return Error(Errc::io_error,
                 text.error().message + " (it comes with the Debian package " + std::string(package) +
                     ": apt-get install " + std::string(package) + ", or set its path in the config)",
                 path.string());
  }
  return text;
}

std::string recorded_digest(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / kDigestFile);
  std::string line;
  if (in) std::getline(in, line);
  return line;
}

Status record_digest(const std::filesystem::path& data_dir, const std::string& digest) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const auto final_path = data_dir / kDigestFile;
  const auto tmp_path = data_dir / (std::string(kDigestFile) + ".tmp");
  {
    std::ofstream out(tmp_path, std::ios::trunc);
    out << digest << "\n";
    if (!out) return Error(Errc::io_error, "cannot write " + tmp_path.string(), tmp_path.string());
  }
  std::filesystem::rename(tmp_path, final_path, ec);
  if (ec) return Error(Errc::io_error, "cannot rename to " + final_path.string() + ": " + ec.message(), final_path.string());
  return ok_status();
}

}  // namespace catalog_seed_detail

Result<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(Errc::io_error, "cannot read " + path.string() + ": " + std::strerror(errno), path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error(Errc::io_error, "cannot read " + path.string(), path.string());
  return ss.str();
}

Result<SeedOutcome> seed_catalog_if_changed(store::Store& store, const CatalogSources& sources,
                                            const std::filesystem::path& data_dir, bool force) {
  using namespace catalog_seed_detail;  // NOLINT: function scope only
  ESIMO_TRY(std::string xml, read_reference_file(sources.service_providers_xml, "mobile-broadband-provider-info"));
  ESIMO_TRY(std::string iso, read_reference_file(sources.iso3166_json, "iso-codes"));

  // Length-prefix each input so that moving bytes from one file to the other changes the digest.
  std::string both = std::to_string(xml.size()) + ":" + xml + std::to_string(iso.size()) + ":" + iso;
  SeedOutcome out;
  out.digest = to_hex(crypto::sha256(as_bytes(both)));

  if (!force && recorded_digest(data_dir) == out.digest) {
    ESIMO_TRY(auto countries, store.list_countries());
    if (!countries.empty()) {
      out.countries = countries.size();
      return out;
    }
  }

  auto carriers = domain::parse_service_providers_xml(xml);
  if (!carriers.ok()) {
    return Error(carriers.error().code, sources.service_providers_xml.string() + ": " + carriers.error().message,
                 sources.service_providers_xml.string());
  }
  auto countries = domain::parse_iso3166_json(iso);
  if (!countries.ok()) {
    return Error(countries.error().code, sources.iso3166_json.string() + ": " + countries.error().message,
                 sources.iso3166_json.string());
  }
  ESIMO_CHECK(store.seed_catalog(*countries, *carriers));
  ESIMO_CHECK(record_digest(data_dir, out.digest));
  out.seeded = true;
  out.carriers = carriers->size();
  out.countries = countries->size();
  log::info("catalog seeded", {{"carriers", static_cast<std::uint64_t>(out.carriers)},
                               {"countries", static_cast<std::uint64_t>(out.countries)},
                               {"sha256", out.digest}});
  return out;
}

}  // namespace esimo::app
