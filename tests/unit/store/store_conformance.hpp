#pragma once
// A conformance suite for the Store port, parameterized over a factory so every implementation (SQLite now,
// PostgreSQL later) runs the same tests: instantiate StoreConformance with INSTANTIATE_TEST_SUITE_P and a StoreFactory.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "base/result.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace esimo::store::testing {

struct StoreFactory {
  std::string name;
  // Opens the store kept in `dir` (an empty directory the first time; the same directory to re-open).
  std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path& dir)> open;
};

inline std::string factory_name(const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; }

// A fresh temporary directory under /tmp, removed with its contents on destruction.
class TempDir : public test::TempDir {
 public:
  TempDir() : test::TempDir("esimo_store_test") {}
};

// Valid test identifiers: distinct for distinct n.
domain::Eid test_eid(std::uint64_t n);
domain::Iccid test_iccid(std::uint64_t n);
domain::Plmn test_plmn(std::string_view text);
domain::CountryCode test_country(std::string_view text);
TimePoint test_time(std::int64_t seconds);

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Closes the store and opens it again on the same data.
  void reopen();

  // Seeds the catalog with two countries and three carriers: br-vivo (724-06, 724-10; BR), br-claro (724-05; BR),
  // de-telekom (262-01; DE).
  void seed_small_catalog();
  TenantId make_tenant(const std::string& name);
  domain::Device device(TenantId tenant, std::uint64_t n, std::string group = "fleet");
  domain::Profile profile(TenantId tenant, std::uint64_t eid_n, std::uint64_t iccid_n, std::string carrier = "br-vivo");

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace esimo::store::testing
