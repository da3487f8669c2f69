#pragma once
// Seeding of the shared carrier catalog from Debian's reference data (mobile-broadband-provider-info and iso-codes).
// The SHA-256 of the inputs is kept in <data_dir>/catalog.sha256 so a restart re-seeds only when the packages changed.
#include <cstddef>
#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace esimo::store {
class Store;
}

namespace esimo::app {

struct CatalogSources {
  std::filesystem::path service_providers_xml;
  std::filesystem::path iso3166_json;
};

struct SeedOutcome {
  bool seeded = false;  // false: the store already held this exact data
  std::size_t carriers = 0;
  std::size_t countries = 0;
  std::string digest;  // hex SHA-256 over both inputs
};

// Reads both files (a missing one is an io_error naming the path and the Debian package that provides it), and seeds
// the store when their digest differs from the recorded one, when the store has no countries, or when `force` is set.
Result<SeedOutcome> seed_catalog_if_changed(store::Store& store, const CatalogSources& sources,
                                            const std::filesystem::path& data_dir, bool force = false);

// Whole-file read; io_error naming the path on failure.
Result<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace esimo::app
