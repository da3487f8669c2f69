#include "app/catalog_seed.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace esimo::app {
namespace {

constexpr const char* kProvidersXml = R"(<?xml version="1.0"?>
<serviceproviders format="2.0">
<country code="br">
  <provider><name>Vivo</name><gsm><network-id mcc="724" mnc="06"/><network-id mcc="724" mnc="10"/></gsm></provider>
  <provider><name>Claro</name><gsm><network-id mcc="724" mnc="05"/></gsm></provider>
</country>
</serviceproviders>
)";

constexpr const char* kIsoJson = R"({"3166-1": [
  {"alpha_2": "BR", "alpha_3": "BRA", "name": "Brazil", "numeric": "076"},
  {"alpha_2": "DE", "alpha_3": "DEU", "name": "Germany", "numeric": "276"}
]})";

class CatalogSeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = "/tmp/esimo-seed-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    sources_.service_providers_xml = dir_ / "serviceproviders.xml";
    sources_.iso3166_json = dir_ / "iso_3166-1.json";
    write(sources_.service_providers_xml, kProvidersXml);
    write(sources_.iso3166_json, kIsoJson);
    auto s = store::open_sqlite_store(dir_ / "data");
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::trunc);
    out << text;
  }

  std::filesystem::path dir_;
  CatalogSources sources_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(CatalogSeedTest, SeedsOnceThenOnlyWhenTheInputsChange) {
  auto first = seed_catalog_if_changed(*store_, sources_, dir_ / "data");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->seeded);
  EXPECT_EQ(first->carriers, 2u);
  EXPECT_EQ(first->countries, 2u);
  auto vivo = store_->find_carrier_by_plmn(domain::kCatalogTenant, *domain::Plmn::parse("724-10"));
  ASSERT_TRUE(vivo.ok()) << vivo.error().message;
  EXPECT_EQ(vivo->name, "Vivo");

  auto again = seed_catalog_if_changed(*store_, sources_, dir_ / "data");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->seeded);
  EXPECT_EQ(again->digest, first->digest);

  write(sources_.service_providers_xml,
        std::string(kProvidersXml).replace(std::string(kProvidersXml).find("Claro"), 5, "Claro Brasil"));
  auto changed = seed_catalog_if_changed(*store_, sources_, dir_ / "data");
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->seeded);
  EXPECT_NE(changed->digest, first->digest);
  auto claro = store_->find_carrier_by_plmn(domain::kCatalogTenant, *domain::Plmn::parse("724-05"));
  ASSERT_TRUE(claro.ok());
  EXPECT_EQ(claro->name, "Claro Brasil");
}

TEST_F(CatalogSeedTest, MissingFileNamesThePathAndThePackage) {
  sources_.service_providers_xml = dir_ / "nope.xml";
  auto r = seed_catalog_if_changed(*store_, sources_, dir_ / "data");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io_error);
  EXPECT_NE(r.error().message.find((dir_ / "nope.xml").string()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("mobile-broadband-provider-info"), std::string::npos);

  sources_.service_providers_xml = dir_ / "serviceproviders.xml";
  sources_.iso3166_json = dir_ / "nope.json";
  r = seed_catalog_if_changed(*store_, sources_, dir_ / "data");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("iso-codes"), std::string::npos) << r.error().message;
  auto countries = store_->list_countries();
  ASSERT_TRUE(countries.ok());
  EXPECT_TRUE(countries->empty());  // nothing half-written
}

TEST_F(CatalogSeedTest, BrokenXmlIsAnErrorNamingTheFile) {
  write(sources_.service_providers_xml, "<serviceproviders><country code=\"br\"><provider>");
  auto r = seed_catalog_if_changed(*store_, sources_, dir_ / "data");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("serviceproviders.xml"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace esimo::app
