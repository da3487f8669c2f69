#include "store_conformance.hpp"

#include <gmock/gmock.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace esimo::store::testing {

using domain::Carrier;
using domain::Device;
using domain::Operation;
using domain::OperationState;
using domain::Profile;
using domain::ProfileState;
using ::testing::ElementsAre;

// ---------------------------------------------------------------------------------------------------------------------
// helpers

domain::Eid test_eid(std::uint64_t n) {
  std::string digits = std::to_string(n);
  auto r = domain::Eid::from_prefix30("89049032" + std::string(22 - digits.size(), '0') + digits);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return *r;
}

domain::Iccid test_iccid(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string body = "8955" + std::string(15 - digits.size(), '0') + digits;  // 19 digits, then Luhn
  int sum = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    int d = body[body.size() - 1 - i] - '0';
    if (i % 2 == 0) {  // doubled: the check digit will sit to the right
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  body += static_cast<char>('0' + (10 - sum % 10) % 10);
  auto r = domain::Iccid::parse(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return *r;
}

domain::Plmn test_plmn(std::string_view text) { return *domain::Plmn::parse(text); }
domain::CountryCode test_country(std::string_view text) { return *domain::CountryCode::parse(text); }
TimePoint test_time(std::int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

void StoreConformance::SetUp() {
  dir_ = std::make_unique<TempDir>();
  auto s = GetParam().open(dir_->path());
  ASSERT_TRUE(s.ok()) << s.error().message;
  store_ = std::move(*s);
}

void StoreConformance::TearDown() {
  store_.reset();
  dir_.reset();
}

void StoreConformance::reopen() {
  store_.reset();
  auto s = GetParam().open(dir_->path());
  ASSERT_TRUE(s.ok()) << s.error().message;
  store_ = std::move(*s);
}

void StoreConformance::seed_small_catalog() {
  std::vector<domain::Country> countries = {{test_country("BR"), "Brazil", "BRA", "076"},
                                            {test_country("DE"), "Germany", "DEU", "276"}};
  Carrier vivo{"br-vivo", domain::kCatalogTenant, "Vivo", {test_plmn("724-06"), test_plmn("724-10")},
               {test_country("BR")}};
  Carrier claro{"br-claro", domain::kCatalogTenant, "Claro", {test_plmn("724-05")}, {test_country("BR")}};
  claro.status = domain::CarrierStatus::degraded;
  Carrier telekom{"de-telekom", domain::kCatalogTenant, "Telekom", {test_plmn("262-01")}, {test_country("DE")}};
  auto st = store_->seed_catalog(countries, {vivo, claro, telekom});
  ASSERT_TRUE(st.ok()) << st.error().message;
}

TenantId StoreConformance::make_tenant(const std::string& name) {
  auto t = store_->create_tenant(name);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? t->id : -1;
}

Device StoreConformance::device(TenantId tenant, std::uint64_t n, std::string group) {
  Device d;
  d.tenant_id = tenant;
  d.eid = test_eid(n);
  d.name = "dev-" + std::to_string(n);
  d.group = std::move(group);
  d.created_at = test_time(1000);
  d.updated_at = test_time(1000);
  return d;
}

Profile StoreConformance::profile(TenantId tenant, std::uint64_t eid_n, std::uint64_t iccid_n, std::string carrier) {
  Profile p;
  p.tenant_id = tenant;
  p.eid = test_eid(eid_n);
  p.iccid = test_iccid(iccid_n);
  p.carrier_id = std::move(carrier);
  p.updated_at = test_time(1000);
  return p;
}

namespace conformance_detail {

std::vector<std::string> eids_of(const std::vector<Device>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.eid.str());
  return out;
}

// Walks every page of a device listing and checks the paging contract on the way.
std::vector<std::string> all_device_pages(Store& store, TenantId tenant, const DeviceFilter& f, std::size_t limit,
                                          int* pages = nullptr) {
  std::vector<std::string> out;
  Page page{limit, ""};
  for (int n = 1;; ++n) {
    auto r = store.list_devices(tenant, f, page);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) break;
    EXPECT_LE(r->items.size(), limit);
    for (const auto& d : r->items) out.push_back(d.eid.str());
    if (pages) *pages = n;
    if (!r->next_after) break;
    EXPECT_EQ(r->items.size(), limit) << "a short page must be the last";
    EXPECT_EQ(*r->next_after, r->items.back().eid.str());
    page.after = *r->next_after;
    if (n > 1000) break;
  }
  return out;
}

Operation make_op(TenantId tenant, const std::string& id, const domain::Eid& eid, std::string key = "") {
  Operation op;
  op.id = id;
  op.tenant_id = tenant;
  op.eid = eid;
  op.type = "enable";
  op.params_json = R"({"iccid":"x"})";
  op.reason = "user:key_test";
  op.idempotency_key = std::move(key);
  op.created_at = test_time(2000);
  op.updated_at = test_time(2000);
  return op;
}

}  // namespace conformance_detail

// ---------------------------------------------------------------------------------------------------------------------
// tenants and keys

TEST_P(StoreConformance, TenantsHaveUniqueNamesAndARootGroup) {
  auto a = store_->create_tenant("acme");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_GT(a->id, 0);
  auto b = store_->create_tenant("globex");
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->id, b->id);

  auto dup = store_->create_tenant("acme");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  EXPECT_THAT(dup.error().message, ::testing::HasSubstr("acme"));
  EXPECT_EQ(store_->create_tenant("").error().code, Errc::invalid_argument);

  auto got = store_->get_tenant(a->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "acme");
  EXPECT_EQ(got->created_at, a->created_at);
  EXPECT_EQ(store_->get_tenant_by_name("globex")->id, b->id);
  EXPECT_EQ(store_->get_tenant(9999).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_tenant_by_name("nope").error().code, Errc::not_found);

  auto all = store_->list_tenants();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "acme");
  EXPECT_EQ((*all)[1].name, "globex");

  auto root = store_->get_group(a->id, "fleet");
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_EQ(root->parent, "");
}

TEST_P(StoreConformance, ApiKeysStoreHashesAndRevokeOnce) {
  TenantId t = make_tenant("acme");
  TenantId u = make_tenant("globex");
  domain::ApiKey k{"key_a1", t, domain::Role::admin, std::string(64, 'a'), "ci", test_time(10), std::nullopt};
  ASSERT_TRUE(store_->put_api_key(k).ok());
  EXPECT_EQ(store_->put_api_key(k).error().code, Errc::already_exists);
  domain::ApiKey k2{"key_b2", u, domain::Role::viewer, std::string(64, 'b'), "", test_time(11), std::nullopt};
  ASSERT_TRUE(store_->put_api_key(k2).ok());
  domain::ApiKey orphan{"key_c3", 4242, domain::Role::viewer, std::string(64, 'c'), "", test_time(11), std::nullopt};
  EXPECT_EQ(store_->put_api_key(orphan).error().code, Errc::invalid_argument);

  auto got = store_->get_api_key("key_a1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->tenant_id, t);
  EXPECT_EQ(got->role, domain::Role::admin);
  EXPECT_EQ(got->secret_hash, std::string(64, 'a'));
  EXPECT_EQ(got->label, "ci");
  EXPECT_FALSE(got->revoked_at.has_value());

  auto mine = store_->list_api_keys(t);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].id, "key_a1");
  EXPECT_EQ(store_->list_api_keys(std::nullopt)->size(), 2u);

  ASSERT_TRUE(store_->revoke_api_key("key_a1", test_time(50)).ok());
  ASSERT_TRUE(store_->revoke_api_key("key_a1", test_time(60)).ok());
  EXPECT_EQ(store_->get_api_key("key_a1")->revoked_at, test_time(50));
  EXPECT_EQ(store_->revoke_api_key("key_zz", test_time(60)).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_api_key("key_zz").error().code, Errc::not_found);
}

// ---------------------------------------------------------------------------------------------------------------------
// catalog, carriers, rates

TEST_P(StoreConformance, CatalogSeedIsIdempotentAndFilterable) {
  seed_small_catalog();
  seed_small_catalog();
  TenantId t = make_tenant("acme");

  auto countries = store_->list_countries();
  ASSERT_TRUE(countries.ok());
  ASSERT_EQ(countries->size(), 2u);
  EXPECT_EQ((*countries)[0].code.str(), "BR");
  EXPECT_EQ((*countries)[0].name, "Brazil");
  EXPECT_EQ((*countries)[1].alpha3, "DEU");
  EXPECT_EQ((*countries)[1].numeric, "276");

  auto vivo = store_->get_carrier(t, "br-vivo");
  ASSERT_TRUE(vivo.ok()) << vivo.error().message;
  EXPECT_EQ(vivo->tenant_id, domain::kCatalogTenant);
  EXPECT_EQ(vivo->name, "Vivo");
  EXPECT_THAT(vivo->plmns, ElementsAre(test_plmn("724-06"), test_plmn("724-10")));
  EXPECT_THAT(vivo->countries, ElementsAre(test_country("BR")));

  auto br = store_->list_carriers(t, {.country = test_country("BR")}, {});
  ASSERT_TRUE(br.ok());
  ASSERT_EQ(br->items.size(), 2u);
  EXPECT_EQ(br->items[0].id, "br-claro");
  EXPECT_EQ(br->items[1].id, "br-vivo");
  EXPECT_FALSE(br->next_after.has_value());

  auto by_plmn = store_->list_carriers(t, {.plmn = test_plmn("724-10")}, {});
  ASSERT_EQ(by_plmn->items.size(), 1u);
  EXPECT_EQ(by_plmn->items[0].id, "br-vivo");
  auto degraded = store_->list_carriers(t, {.status = domain::CarrierStatus::degraded}, {});
  ASSERT_EQ(degraded->items.size(), 1u);
  EXPECT_EQ(degraded->items[0].id, "br-claro");

  auto paged = store_->list_carriers(t, {}, {.limit = 2});
  ASSERT_EQ(paged->items.size(), 2u);
  ASSERT_TRUE(paged->next_after.has_value());
  auto rest = store_->list_carriers(t, {}, {.limit = 2, .after = *paged->next_after});
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].id, "de-telekom");
  EXPECT_FALSE(rest->next_after.has_value());

  auto found = store_->find_carrier_by_plmn(t, test_plmn("262-01"));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, "de-telekom");
  EXPECT_EQ(store_->find_carrier_by_plmn(t, test_plmn("999-99")).error().code, Errc::not_found);

  // Re-seeding without de-telekom removes it (nothing references it); the rest is unchanged.
  std::vector<domain::Country> countries2 = {{test_country("BR"), "Brazil", "BRA", "076"}};
  Carrier vivo2 = *vivo;
  vivo2.name = "Vivo S.A.";
  ASSERT_TRUE(store_->seed_catalog(countries2, {vivo2, *store_->get_carrier(t, "br-claro")}).ok());
  EXPECT_EQ(store_->get_carrier(t, "de-telekom").error().code, Errc::not_found);
  EXPECT_EQ(store_->get_carrier(t, "br-vivo")->name, "Vivo S.A.");
  EXPECT_EQ(store_->list_countries()->size(), 1u);

  Carrier bad = vivo2;
  bad.tenant_id = t;
  EXPECT_EQ(store_->seed_catalog(countries2, {bad}).error().code, Errc::invalid_argument);
}

TEST_P(StoreConformance, TenantCarriersAreOwnedAndCatalogIsReadOnly) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  Carrier own{"acme-private", t, "Acme LTE", {test_plmn("724-06")}, {test_country("BR")}};
  own.rats = static_cast<domain::RatSet>(domain::Rat::lte_m) | static_cast<domain::RatSet>(domain::Rat::nb_iot);
  own.smdp_address = "smdp.acme.example";
  ASSERT_TRUE(store_->create_carrier(own).ok());
  EXPECT_EQ(store_->create_carrier(own).error().code, Errc::already_exists);

  Carrier clash = own;
  clash.id = "br-vivo";
  auto r = store_->create_carrier(clash);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::already_exists);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("catalog"));
  Carrier catalog = own;
  catalog.tenant_id = domain::kCatalogTenant;
  EXPECT_EQ(store_->create_carrier(catalog).error().code, Errc::invalid_argument);

  auto got = store_->get_carrier(t, "acme-private");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rats, own.rats);
  EXPECT_EQ(got->smdp_address, "smdp.acme.example");
  // The tenant's own carrier wins a PLMN lookup over the catalog.
  EXPECT_EQ(store_->find_carrier_by_plmn(t, test_plmn("724-06"))->id, "acme-private");

  own.name = "Acme NB-IoT";
  own.status = domain::CarrierStatus::down;
  own.plmns = {test_plmn("724-99")};
  ASSERT_TRUE(store_->update_carrier(own).ok());
  got = store_->get_carrier(t, "acme-private");
  EXPECT_EQ(got->name, "Acme NB-IoT");
  EXPECT_EQ(got->status, domain::CarrierStatus::down);
  EXPECT_THAT(got->plmns, ElementsAre(test_plmn("724-99")));

  Carrier vivo = *store_->get_carrier(t, "br-vivo");
  vivo.tenant_id = t;
  EXPECT_EQ(store_->update_carrier(vivo).error().code, Errc::conflict);
  EXPECT_EQ(store_->delete_carrier(t, "br-vivo").error().code, Errc::conflict);
  Carrier ghost = own;
  ghost.id = "ghost";
  EXPECT_EQ(store_->update_carrier(ghost).error().code, Errc::not_found);
  EXPECT_EQ(store_->delete_carrier(t, "ghost").error().code, Errc::not_found);

  // Referenced by a profile: conflict; unreferenced: deleted with its rate cards.
  ASSERT_TRUE(store_->create_device({device(t, 1), {profile(t, 1, 1, "acme-private")}}).ok());
  EXPECT_EQ(store_->delete_carrier(t, "acme-private").error().code, Errc::conflict);
  ASSERT_TRUE(store_->delete_profile(t, test_iccid(1)).ok());
  domain::RateCard card{t, "acme-private", test_country("BR"), *domain::Money::parse("0.01", "EUR"),
                        *domain::Money::parse("0.05", "EUR"), *domain::Money::parse("1", "EUR"), test_time(5)};
  ASSERT_TRUE(store_->put_rate_cards({card}).ok());
  ASSERT_TRUE(store_->delete_carrier(t, "acme-private").ok());
  EXPECT_EQ(store_->get_carrier(t, "acme-private").error().code, Errc::not_found);
  EXPECT_TRUE(store_->list_rate_cards(t, "acme-private")->empty());
}

TEST_P(StoreConformance, RateCardsUpsertAllOrNothing) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  auto money = [](const char* a) { return *domain::Money::parse(a, "EUR"); };
  domain::RateCard br{t, "br-vivo", test_country("BR"), money("0.0125"), money("0.05"), money("1.50"), test_time(5)};
  domain::RateCard de{t, "br-vivo", test_country("DE"), money("0.02"), money("0.06"), money("2"), test_time(5)};
  ASSERT_TRUE(store_->put_rate_cards({br, de}).ok());

  auto cards = store_->list_rate_cards(t, "br-vivo");
  ASSERT_TRUE(cards.ok());
  ASSERT_EQ(cards->size(), 2u);
  EXPECT_EQ((*cards)[0].country.str(), "BR");
  EXPECT_EQ((*cards)[0].price_per_mb.micros, 12500);
  EXPECT_EQ((*cards)[0].price_per_mb.currency.str(), "EUR");
  EXPECT_EQ((*cards)[0].monthly_fee.micros, 1500000);
  EXPECT_EQ((*cards)[1].country.str(), "DE");

  // Second card names an unknown carrier: the first (an update) must not be applied either.
  br.price_per_mb = money("0.5");
  domain::RateCard bad{t, "nope", test_country("BR"), money("1"), money("1"), money("1"), test_time(6)};
  auto st = store_->put_rate_cards({br, bad});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_argument);
  EXPECT_THAT(st.error().message, ::testing::HasSubstr("nope"));
  EXPECT_EQ(store_->list_rate_cards(t, "br-vivo")->at(0).price_per_mb.micros, 12500);

  ASSERT_TRUE(store_->put_rate_cards({br}).ok());
  EXPECT_EQ(store_->list_rate_cards(t, "br-vivo")->at(0).price_per_mb.micros, 500000);
  EXPECT_EQ(store_->list_rate_cards(t, "")->size(), 2u);

  ASSERT_TRUE(store_->delete_rate_card(t, "br-vivo", test_country("DE")).ok());
  EXPECT_EQ(store_->delete_rate_card(t, "br-vivo", test_country("DE")).error().code, Errc::not_found);
  EXPECT_EQ(store_->list_rate_cards(t, "br-vivo")->size(), 1u);
}

// ---------------------------------------------------------------------------------------------------------------------
// groups

TEST_P(StoreConformance, GroupsNestWithoutCycles) {
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->create_group({t, "eu", "fleet", test_time(1)}).ok());
  ASSERT_TRUE(store_->create_group({t, "de", "eu", test_time(1)}).ok());
  ASSERT_TRUE(store_->create_group({t, "berlin", "de", test_time(1)}).ok());
  EXPECT_EQ(store_->create_group({t, "eu", "fleet", test_time(1)}).error().code, Errc::already_exists);
  EXPECT_EQ(store_->create_group({t, "x", "nope", test_time(1)}).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->create_group({t, "x", "", test_time(1)}).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->create_group({t, "bad name!", "fleet", test_time(1)}).error().code, Errc::invalid_argument);

  auto cyc = store_->update_group({t, "eu", "berlin", {}});
  ASSERT_FALSE(cyc.ok());
  EXPECT_EQ(cyc.error().code, Errc::conflict);
  EXPECT_THAT(cyc.error().message, ::testing::HasSubstr("cycle"));
  EXPECT_EQ(store_->update_group({t, "eu", "eu", {}}).error().code, Errc::conflict);
  EXPECT_EQ(store_->get_group(t, "eu")->parent, "fleet");
  EXPECT_EQ(store_->update_group({t, "ghost", "fleet", {}}).error().code, Errc::not_found);
  EXPECT_FALSE(store_->update_group({t, "fleet", "eu", {}}).ok());

  ASSERT_TRUE(store_->update_group({t, "berlin", "eu", {}}).ok());
  auto berlin = store_->get_group(t, "berlin");
  EXPECT_EQ(berlin->parent, "eu");
  EXPECT_EQ(berlin->created_at, test_time(1));

  auto page1 = store_->list_groups(t, {.limit = 2});
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->items.size(), 2u);
  EXPECT_EQ(page1->items[0].name, "berlin");
  EXPECT_EQ(page1->items[1].name, "de");
  ASSERT_TRUE(page1->next_after);
  auto page2 = store_->list_groups(t, {.limit = 2, .after = *page1->next_after});
  ASSERT_EQ(page2->items.size(), 2u);
  EXPECT_EQ(page2->items[0].name, "eu");
  EXPECT_EQ(page2->items[1].name, "fleet");
  EXPECT_FALSE(page2->next_after.has_value());
  EXPECT_EQ(store_->list_groups(t, {.limit = 0}).error().code, Errc::invalid_argument);
}

TEST_P(StoreConformance, DeleteGroupRefusesWhileInUse) {
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->create_group({t, "eu", "fleet", test_time(1)}).ok());
  ASSERT_TRUE(store_->create_group({t, "de", "eu", test_time(1)}).ok());
  ASSERT_TRUE(store_->create_device({device(t, 1, "de"), {}}).ok());

  EXPECT_EQ(store_->delete_group(t, "fleet").error().code, Errc::conflict);
  auto children = store_->delete_group(t, "eu");
  EXPECT_EQ(children.error().code, Errc::conflict);
  EXPECT_THAT(children.error().message, ::testing::HasSubstr("child"));
  auto devices = store_->delete_group(t, "de");
  EXPECT_EQ(devices.error().code, Errc::conflict);
  EXPECT_THAT(devices.error().message, ::testing::HasSubstr("device"));
  EXPECT_EQ(store_->delete_group(t, "ghost").error().code, Errc::not_found);

  ASSERT_TRUE(store_->delete_device(t, test_eid(1)).ok());
  ASSERT_TRUE(store_->delete_group(t, "de").ok());
  ASSERT_TRUE(store_->delete_group(t, "eu").ok());
  EXPECT_EQ(store_->get_group(t, "eu").error().code, Errc::not_found);
}

// ---------------------------------------------------------------------------------------------------------------------
// devices and profiles

TEST_P(StoreConformance, DeviceRoundTripWithProfilesAndTags) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->create_group({t, "meters", "fleet", test_time(1)}).ok());
  Device d = device(t, 7, "meters");
  d.tags = {"ac", "roof"};
  d.lifecycle = domain::Lifecycle::inventory;
  d.sgp32_version = domain::Sgp32Version::v1_0;
  Profile p1 = profile(t, 7, 70, "br-vivo");
  p1.state = domain::ProfileState::enabled;
  p1.fallback = true;
  Profile p2 = profile(t, 7, 71, "de-telekom");
  p2.profile_class = domain::ProfileClass::provisioning;
  ASSERT_TRUE(store_->create_device({d, {p2, p1}}).ok());

  auto got = store_->get_device(t, d.eid);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->device.name, "dev-7");
  EXPECT_EQ(got->device.group, "meters");
  EXPECT_THAT(got->device.tags, ElementsAre("ac", "roof"));
  EXPECT_EQ(got->device.lifecycle, domain::Lifecycle::inventory);
  EXPECT_EQ(got->device.sgp32_version, domain::Sgp32Version::v1_0);
  EXPECT_EQ(got->device.created_at, test_time(1000));
  EXPECT_FALSE(got->device.active_iccid.has_value());
  ASSERT_EQ(got->profiles.size(), 2u);
  EXPECT_EQ(got->profiles[0].iccid, p1.iccid);  // ordered by ICCID
  EXPECT_EQ(got->profiles[0].state, domain::ProfileState::enabled);
  EXPECT_TRUE(got->profiles[0].fallback);
  EXPECT_EQ(got->profiles[1].carrier_id, "de-telekom");
  EXPECT_EQ(got->profiles[1].profile_class, domain::ProfileClass::provisioning);

  EXPECT_EQ(store_->create_device({d, {}}).error().code, Errc::already_exists);
  Device lost = device(t, 8, "nowhere");
  auto no_group = store_->create_device({lost, {}});
  EXPECT_EQ(no_group.error().code, Errc::invalid_argument);
  EXPECT_THAT(no_group.error().message, ::testing::HasSubstr("nowhere"));
  auto no_carrier = store_->create_device({device(t, 9), {profile(t, 9, 90, "nope")}});
  EXPECT_EQ(no_carrier.error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->get_device(t, test_eid(9)).error().code, Errc::not_found);  // nothing half-written
  auto stolen = store_->create_device({device(t, 10), {profile(t, 10, 70)}});
  EXPECT_EQ(stolen.error().code, Errc::conflict);
  EXPECT_EQ(store_->get_device(t, test_eid(10)).error().code, Errc::not_found);

  // Update: runtime state and tags replaced.
  d.name = "renamed";
  d.tags = {"new"};
  d.lifecycle = domain::Lifecycle::active;
  d.active_iccid = p1.iccid;
  d.serving_plmn = test_plmn("724-06");
  d.country = test_country("BR");
  d.last_seen = test_time(3000);
  d.updated_at = test_time(3000);
  ASSERT_TRUE(store_->update_device(d).ok());
  got = store_->get_device(t, d.eid);
  EXPECT_EQ(got->device.name, "renamed");
  EXPECT_THAT(got->device.tags, ElementsAre("new"));
  EXPECT_EQ(got->device.active_iccid, p1.iccid);
  EXPECT_EQ(got->device.serving_plmn, test_plmn("724-06"));
  EXPECT_EQ(got->device.country, test_country("BR"));
  EXPECT_EQ(got->device.last_seen, test_time(3000));
  EXPECT_EQ(got->device.created_at, test_time(1000));
  EXPECT_EQ(store_->update_device(device(t, 99)).error().code, Errc::not_found);
  Device bad_group = d;
  bad_group.group = "nowhere";
  EXPECT_EQ(store_->update_device(bad_group).error().code, Errc::invalid_argument);

  // Delete takes profiles and operations with it.
  ASSERT_TRUE(store_->create_operation(conformance_detail::make_op(t, "op_1", d.eid, "k1")).ok());
  ASSERT_TRUE(store_->delete_device(t, d.eid).ok());
  EXPECT_EQ(store_->get_device(t, d.eid).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_profile(t, p1.iccid).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_operation(t, "op_1").error().code, Errc::not_found);
  EXPECT_EQ(store_->delete_device(t, d.eid).error().code, Errc::not_found);
}

TEST_P(StoreConformance, DeviceListsPageAcrossBoundariesWithFilters) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->create_group({t, "g1", "fleet", test_time(1)}).ok());
  std::vector<std::string> all, g1_tagged, br_active, vivo_active;
  for (std::uint64_t n = 1; n <= 23; ++n) {
    Device d = device(t, n, n % 2 == 0 ? "g1" : "fleet");
    if (n % 3 == 0) d.tags = {"hot", "x"};
    else if (n % 3 == 1) d.tags = {"hot"};
    if (n % 4 == 0) {
      d.country = test_country("BR");
      d.lifecycle = domain::Lifecycle::suspended;
    }
    Profile p = profile(t, n, 100 + n, n % 5 == 0 ? "br-claro" : "br-vivo");
    d.active_iccid = p.iccid;  // set by create here to exercise the carrier filter
    ASSERT_TRUE(store_->create_device({d, {p, profile(t, n, 200 + n, "de-telekom")}}).ok());
    all.push_back(d.eid.str());
    if (n % 2 == 0 && n % 3 == 0) g1_tagged.push_back(d.eid.str());
    if (n % 4 == 0) br_active.push_back(d.eid.str());
    if (n % 5 != 0) vivo_active.push_back(d.eid.str());
  }
  std::sort(all.begin(), all.end());
  using conformance_detail::all_device_pages;
  int pages = 0;
  EXPECT_EQ(all_device_pages(*store_, t, {}, 5, &pages), all);
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(all_device_pages(*store_, t, {}, 23, &pages), all);
  EXPECT_EQ(pages, 1);  // exactly one full page: no next cursor
  EXPECT_EQ(all_device_pages(*store_, t, {}, 1000), all);

  DeviceFilter f1{.group = "g1", .tags = {"x", "hot"}};
  EXPECT_EQ(all_device_pages(*store_, t, f1, 1, &pages), g1_tagged);
  EXPECT_EQ(pages, static_cast<int>(g1_tagged.size()));
  DeviceFilter f2{.country = test_country("BR"), .lifecycle = domain::Lifecycle::suspended};
  EXPECT_EQ(all_device_pages(*store_, t, f2, 2), br_active);
  DeviceFilter f3{.carrier = "br-vivo"};
  EXPECT_EQ(all_device_pages(*store_, t, f3, 4), vivo_active);
  DeviceFilter f4{.carrier = "de-telekom"};  // only inactive profiles on it
  EXPECT_TRUE(all_device_pages(*store_, t, f4, 4).empty());
  DeviceFilter f5{.tags = {"none"}};
  EXPECT_TRUE(all_device_pages(*store_, t, f5, 4).empty());

  auto first = store_->list_devices(t, {}, {.limit = 3});
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(first->items[0].tags, ::testing::Contains("hot"));

  // Profiles page and filter the same way.
  std::vector<std::string> telekom;
  std::string after;
  for (;;) {
    auto page = store_->list_profiles(t, {.carrier = "de-telekom"}, {.limit = 4, .after = after});
    ASSERT_TRUE(page.ok());
    for (const auto& p : page->items) telekom.push_back(p.iccid.str());
    if (!page->next_after) break;
    after = *page->next_after;
  }
  EXPECT_EQ(telekom.size(), 23u);
  EXPECT_TRUE(std::is_sorted(telekom.begin(), telekom.end()));
  auto of_one = store_->list_profiles(t, {.eid = test_eid(3)}, {});
  ASSERT_EQ(of_one->items.size(), 2u);
  EXPECT_EQ(store_->list_profiles(t, {.state = domain::ProfileState::enabled}, {})->items.size(), 0u);
}

TEST_P(StoreConformance, ProfilesUpsertOnTheirOwnDevice) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->create_device({device(t, 1), {}}).ok());
  ASSERT_TRUE(store_->create_device({device(t, 2), {}}).ok());
  Profile p = profile(t, 1, 10);
  ASSERT_TRUE(store_->put_profile(p).ok());
  p.state = domain::ProfileState::enabled;
  p.carrier_id = "br-claro";
  ASSERT_TRUE(store_->put_profile(p).ok());
  auto got = store_->get_profile(t, p.iccid);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, domain::ProfileState::enabled);
  EXPECT_EQ(got->carrier_id, "br-claro");
  EXPECT_EQ(got->eid, test_eid(1));

  Profile moved = p;
  moved.eid = test_eid(2);
  auto c = store_->put_profile(moved);
  EXPECT_EQ(c.error().code, Errc::conflict);
  EXPECT_THAT(c.error().message, ::testing::HasSubstr(test_eid(1).str()));
  EXPECT_EQ(store_->put_profile(profile(t, 3, 11)).error().code, Errc::not_found);
  EXPECT_EQ(store_->put_profile(profile(t, 1, 12, "nope")).error().code, Errc::invalid_argument);

  ASSERT_TRUE(store_->delete_profile(t, p.iccid).ok());
  EXPECT_EQ(store_->delete_profile(t, p.iccid).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_profile(t, p.iccid).error().code, Errc::not_found);
}

// ---------------------------------------------------------------------------------------------------------------------
// import

TEST_P(StoreConformance, ImportCountsInsertsAndUpdatesAndReplacesProfiles) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->create_group({t, "meters", "fleet", test_time(1)}).ok());
  std::vector<DeviceRecord> batch;
  for (std::uint64_t n = 1; n <= 50; ++n) {
    Device d = device(t, n, "meters");
    d.tags = {"imported"};
    batch.push_back({d, {profile(t, n, 1000 + n), profile(t, n, 2000 + n, "de-telekom")}});
  }
  auto r = store_->import_devices(batch);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->inserted, 50u);
  EXPECT_EQ(r->updated, 0u);

  // The device reports its active profile; a re-import keeps that, replaces the rest.
  Device reported = store_->get_device(t, test_eid(1))->device;
  reported.active_iccid = test_iccid(1001);
  reported.last_seen = test_time(5000);
  ASSERT_TRUE(store_->update_device(reported).ok());

  std::vector<DeviceRecord> second;
  Device d1 = device(t, 1, "fleet");
  d1.name = "re-imported";
  d1.tags = {"b", "a"};
  d1.created_at = test_time(9999);
  second.push_back({d1, {profile(t, 1, 3001, "br-claro")}});
  second.push_back({device(t, 51), {}});
  r = store_->import_devices(second);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->inserted, 1u);
  EXPECT_EQ(r->updated, 1u);

  auto got = store_->get_device(t, test_eid(1));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->device.name, "re-imported");
  EXPECT_EQ(got->device.group, "fleet");
  EXPECT_THAT(got->device.tags, ElementsAre("a", "b"));
  EXPECT_EQ(got->device.created_at, test_time(1000));
  EXPECT_EQ(got->device.active_iccid, test_iccid(1001));
  EXPECT_EQ(got->device.last_seen, test_time(5000));
  ASSERT_EQ(got->profiles.size(), 1u);
  EXPECT_EQ(got->profiles[0].iccid, test_iccid(3001));
  EXPECT_EQ(store_->get_profile(t, test_iccid(2001)).error().code, Errc::not_found);
  EXPECT_EQ(conformance_detail::all_device_pages(*store_, t, {}, 100).size(), 51u);
}

TEST_P(StoreConformance, ImportIsAllOrNothing) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->import_devices({{device(t, 1), {profile(t, 1, 11)}}}).ok());

  Device changed = device(t, 1);
  changed.name = "must not stick";
  std::vector<DeviceRecord> batch = {{changed, {}}, {device(t, 2), {profile(t, 2, 21)}},
                                     {device(t, 3, "unknown-group"), {}}, {device(t, 4), {}}};
  auto r = store_->import_devices(batch);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr(test_eid(3).str()));
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("unknown-group"));

  EXPECT_EQ(store_->get_device(t, test_eid(1))->device.name, "dev-1");
  EXPECT_EQ(store_->get_device(t, test_eid(1))->profiles.size(), 1u);
  EXPECT_EQ(store_->get_device(t, test_eid(2)).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_profile(t, test_iccid(21)).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_device(t, test_eid(4)).error().code, Errc::not_found);

  // An ICCID already on another device also rejects the whole batch.
  r = store_->import_devices({{device(t, 5), {}}, {device(t, 6), {profile(t, 6, 11)}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_EQ(store_->get_device(t, test_eid(5)).error().code, Errc::not_found);

  // Invalid input is refused before anything runs.
  Device bad_tag = device(t, 7);
  bad_tag.tags = {"no spaces"};
  EXPECT_EQ(store_->import_devices({{bad_tag, {}}}).error().code, Errc::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------------------
// operations

TEST_P(StoreConformance, OperationsHonourIdempotencyAndCompareAndSet) {
  TenantId t = make_tenant("acme");
  TenantId u = make_tenant("globex");
  ASSERT_TRUE(store_->create_device({device(t, 1), {}}).ok());
  ASSERT_TRUE(store_->create_device({device(t, 2), {}}).ok());
  ASSERT_TRUE(store_->create_device({device(u, 1), {}}).ok());
  using conformance_detail::make_op;

  Operation op = make_op(t, "op_001", test_eid(1), "key-1");
  op.expires_at = test_time(9000);
  ASSERT_TRUE(store_->create_operation(op).ok());
  EXPECT_EQ(store_->create_operation(op).error().code, Errc::already_exists);
  auto dupkey = store_->create_operation(make_op(t, "op_002", test_eid(1), "key-1"));
  ASSERT_FALSE(dupkey.ok());
  EXPECT_EQ(dupkey.error().code, Errc::already_exists);
  EXPECT_THAT(dupkey.error().message, ::testing::HasSubstr("op_001"));
  // Keys are per tenant; empty keys never collide.
  ASSERT_TRUE(store_->create_operation(make_op(u, "op_001", test_eid(1), "key-1")).ok());
  ASSERT_TRUE(store_->create_operation(make_op(t, "op_003", test_eid(2))).ok());
  ASSERT_TRUE(store_->create_operation(make_op(t, "op_004", test_eid(2))).ok());
  EXPECT_EQ(store_->create_operation(make_op(t, "op_005", test_eid(9))).error().code, Errc::not_found);

  auto found = store_->find_operation_by_idempotency_key(t, "key-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, "op_001");
  EXPECT_EQ(found->params_json, R"({"iccid":"x"})");
  EXPECT_EQ(found->expires_at, test_time(9000));
  EXPECT_EQ(store_->find_operation_by_idempotency_key(t, "nope").error().code, Errc::not_found);
  EXPECT_EQ(store_->find_operation_by_idempotency_key(t, "").error().code, Errc::not_found);

  Operation delivered = op;
  delivered.state = OperationState::delivered;
  delivered.updated_at = test_time(2100);
  ASSERT_TRUE(store_->update_operation(delivered, OperationState::queued).ok());
  // A second writer still believing it is queued loses.
  Operation cancelled = op;
  cancelled.state = OperationState::cancelled;
  auto lost = store_->update_operation(cancelled, OperationState::queued);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, Errc::conflict);
  Operation done = delivered;
  done.state = OperationState::succeeded;
  done.outcome = "ok";
  done.result_json = R"({"code":0})";
  ASSERT_TRUE(store_->update_operation(done, OperationState::delivered).ok());
  auto got = store_->get_operation(t, "op_001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OperationState::succeeded);
  EXPECT_EQ(got->outcome, "ok");
  EXPECT_EQ(got->result_json, R"({"code":0})");
  EXPECT_EQ(got->idempotency_key, "key-1");
  EXPECT_EQ(got->created_at, test_time(2000));
  Operation back = done;
  back.state = OperationState::queued;
  EXPECT_EQ(store_->update_operation(back, OperationState::succeeded).error().code, Errc::invalid_argument);
  Operation ghost = make_op(t, "op_999", test_eid(1));
  ghost.state = OperationState::delivered;
  EXPECT_EQ(store_->update_operation(ghost, OperationState::queued).error().code, Errc::not_found);

  auto queued = store_->list_operations(t, {.state = OperationState::queued}, {.limit = 1});
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->items.size(), 1u);
  EXPECT_EQ(queued->items[0].id, "op_003");
  ASSERT_TRUE(queued->next_after);
  auto queued2 = store_->list_operations(t, {.state = OperationState::queued}, {.limit = 1, .after = "op_003"});
  ASSERT_EQ(queued2->items.size(), 1u);
  EXPECT_EQ(queued2->items[0].id, "op_004");
  EXPECT_FALSE(queued2->next_after.has_value());
  EXPECT_EQ(store_->list_operations(t, {.eid = test_eid(1)}, {})->items.size(), 1u);
  EXPECT_EQ(store_->list_operations(t, {.type = "enable"}, {})->items.size(), 3u);
  EXPECT_EQ(store_->list_operations(t, {.type = "disable"}, {})->items.size(), 0u);
}

// ---------------------------------------------------------------------------------------------------------------------
// isolation, concurrency, persistence

TEST_P(StoreConformance, TenantsNeverSeeEachOther) {
  seed_small_catalog();
  TenantId a = make_tenant("acme");
  TenantId b = make_tenant("globex");
  ASSERT_TRUE(store_->create_group({a, "secret", "fleet", test_time(1)}).ok());
  ASSERT_TRUE(store_->create_carrier({"acme-net", a, "Acme Net", {test_plmn("001-01")}, {test_country("DE")}}).ok());
  ASSERT_TRUE(store_->create_device({device(a, 1, "secret"), {profile(a, 1, 11, "acme-net")}}).ok());
  ASSERT_TRUE(store_->create_operation(conformance_detail::make_op(a, "op_a", test_eid(1), "k")).ok());
  ASSERT_TRUE(store_->put_api_key({"key_a", a, domain::Role::admin, "h", "", test_time(1), std::nullopt}).ok());
  auto money = *domain::Money::parse("1", "EUR");
  ASSERT_TRUE(store_->put_rate_cards({{a, "br-vivo", test_country("BR"), money, money, money, test_time(1)}}).ok());

  EXPECT_EQ(store_->get_device(b, test_eid(1)).error().code, Errc::not_found);
  EXPECT_TRUE(store_->list_devices(b, {}, {})->items.empty());
  EXPECT_EQ(store_->get_profile(b, test_iccid(11)).error().code, Errc::not_found);
  EXPECT_TRUE(store_->list_profiles(b, {}, {})->items.empty());
  EXPECT_EQ(store_->get_operation(b, "op_a").error().code, Errc::not_found);
  EXPECT_EQ(store_->find_operation_by_idempotency_key(b, "k").error().code, Errc::not_found);
  EXPECT_TRUE(store_->list_operations(b, {}, {})->items.empty());
  EXPECT_EQ(store_->get_group(b, "secret").error().code, Errc::not_found);
  EXPECT_EQ(store_->list_groups(b, {})->items.size(), 1u);  // its own root only
  EXPECT_TRUE(store_->list_rate_cards(b, "br-vivo")->empty());
  EXPECT_TRUE(store_->list_api_keys(b)->empty());
  EXPECT_EQ(store_->get_carrier(b, "acme-net").error().code, Errc::not_found);
  EXPECT_EQ(store_->find_carrier_by_plmn(b, test_plmn("001-01")).error().code, Errc::not_found);
  // Both see the catalog; only A sees its own carrier.
  EXPECT_EQ(store_->list_carriers(a, {}, {})->items.size(), 4u);
  EXPECT_EQ(store_->list_carriers(b, {}, {})->items.size(), 3u);
  EXPECT_TRUE(store_->get_carrier(b, "br-vivo").ok());

  // B cannot change or delete A's rows, nor use A's group or carrier.
  Device other = device(b, 1, "fleet");
  EXPECT_EQ(store_->update_device(other).error().code, Errc::not_found);
  EXPECT_EQ(store_->delete_device(b, test_eid(1)).error().code, Errc::not_found);
  EXPECT_EQ(store_->delete_profile(b, test_iccid(11)).error().code, Errc::not_found);
  EXPECT_EQ(store_->delete_group(b, "secret").error().code, Errc::not_found);
  EXPECT_EQ(store_->delete_carrier(b, "acme-net").error().code, Errc::not_found);
  EXPECT_EQ(store_->delete_rate_card(b, "br-vivo", test_country("BR")).error().code, Errc::not_found);
  Operation op = conformance_detail::make_op(b, "op_a", test_eid(1));
  op.state = OperationState::delivered;
  EXPECT_EQ(store_->update_operation(op, OperationState::queued).error().code, Errc::not_found);
  EXPECT_EQ(store_->create_device({device(b, 2, "secret"), {}}).error().code, Errc::invalid_argument);
  EXPECT_EQ(store_->create_device({device(b, 3), {profile(b, 3, 31, "acme-net")}}).error().code,
            Errc::invalid_argument);
  // The same EID and ICCID may exist in both tenants independently.
  ASSERT_TRUE(store_->create_device({device(b, 1), {profile(b, 1, 11, "br-vivo")}}).ok());
  EXPECT_EQ(store_->get_device(a, test_eid(1))->device.group, "secret");
  EXPECT_EQ(store_->get_profile(a, test_iccid(11))->carrier_id, "acme-net");
}

TEST_P(StoreConformance, ConcurrentWritersAllCommit) {
  TenantId t = make_tenant("acme");
  constexpr int kThreads = 6;
  constexpr int kPerThread = 40;
  std::atomic<int> ok{0}, duplicates{0}, other{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto n = static_cast<std::uint64_t>(w * 1000 + i);
        auto st = store_->create_device({device(t, n), {}});
        (st.ok() ? ok : other)++;
        // Every thread also tries a duplicate: it fails alone, without taking its batch-mates down.
        auto dup = store_->create_device({device(t, n), {}});
        (!dup.ok() && dup.error().code == Errc::already_exists ? duplicates : other)++;
        if (i % 8 == 0) {
          auto page = store_->list_devices(t, {}, {.limit = 10});
          if (!page.ok()) other++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(duplicates.load(), kThreads * kPerThread);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(conformance_detail::all_device_pages(*store_, t, {}, 1000).size(),
            static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_P(StoreConformance, DataSurvivesReopen) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  ASSERT_TRUE(store_->create_group({t, "eu", "fleet", test_time(1)}).ok());
  ASSERT_TRUE(store_->create_device({device(t, 1, "eu"), {profile(t, 1, 11)}}).ok());
  ASSERT_TRUE(store_->create_operation(conformance_detail::make_op(t, "op_1", test_eid(1), "k")).ok());
  ASSERT_TRUE(store_->put_api_key({"key_a", t, domain::Role::operator_, "h", "l", test_time(1), std::nullopt}).ok());
  reopen();
  EXPECT_EQ(store_->get_tenant_by_name("acme")->id, t);
  EXPECT_EQ(store_->get_group(t, "eu")->parent, "fleet");
  auto d = store_->get_device(t, test_eid(1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->device.group, "eu");
  EXPECT_EQ(d->profiles.size(), 1u);
  EXPECT_EQ(store_->get_operation(t, "op_1")->idempotency_key, "k");
  EXPECT_EQ(store_->get_api_key("key_a")->role, domain::Role::operator_);
  EXPECT_EQ(store_->get_carrier(t, "br-vivo")->plmns.size(), 2u);
  // Ids keep growing after a re-open.
  EXPECT_GT(make_tenant("globex"), t);
}

// ---------------------------------------------------------------------------------------------------------------------
// eIM state

TEST_P(StoreConformance, EimPackagesAreAtomicAndCountersOnlyGrow) {
  TenantId t = make_tenant("acme");
  TenantId u = make_tenant("globex");
  ASSERT_TRUE(store_->create_device({device(t, 1), {}}).ok());
  ASSERT_TRUE(store_->create_device({device(t, 2), {}}).ok());
  ASSERT_TRUE(store_->create_device({device(u, 2), {}}).ok());
  using conformance_detail::make_op;
  Operation a = make_op(t, "op_b", test_eid(1));
  Operation b = make_op(t, "op_a", test_eid(1));
  b.created_at = test_time(2001);  // created later, sorts first by id: creation order wins
  ASSERT_TRUE(store_->create_operation(a).ok());
  ASSERT_TRUE(store_->create_operation(b).ok());
  auto queued = store_->list_queued_operations(t, test_eid(1));
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].id, "op_b");
  EXPECT_EQ((*queued)[1].id, "op_a");

  auto tenants = store_->find_device_tenants(test_eid(2));
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(*tenants, (std::vector<TenantId>{t, u}));

  auto package = [&](std::uint64_t counter, std::uint8_t tid) {
    EimPackageRecord p;
    p.eim_transaction_id = {0x01, tid};
    p.tenant_id = t;
    p.eid = test_eid(1);
    p.eim_id = "eim-1";
    p.kind = "psmo";
    p.counter_value = counter;
    p.eim_signature = {0xAA, 0xBB};
    p.created_at = test_time(3000);
    return p;
  };
  // An operation that is not queued makes the whole package fail: no counter consumed, nothing delivered.
  auto bad = store_->record_package(package(1, 1), {"op_b", "op_missing"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::conflict);
  EXPECT_EQ(store_->get_operation(t, "op_b")->state, OperationState::queued);
  EXPECT_EQ(store_->get_package(Bytes{0x01, 0x01}).error().code, Errc::not_found);

  ASSERT_TRUE(store_->record_package(package(1, 1), {"op_b", "op_a"}).ok());
  // The counter only grows; a transaction id is never reused.
  EXPECT_EQ(store_->record_package(package(1, 2), {}).error().code, Errc::conflict);
  EXPECT_EQ(store_->record_package(package(0, 1), {}).error().code, Errc::already_exists);
  ASSERT_TRUE(store_->record_package(package(0, 2), {}).ok());
  auto rec = store_->get_package(Bytes{0x01, 0x01});
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->counter_value, 1u);
  EXPECT_EQ(rec->eim_signature, (Bytes{0xAA, 0xBB}));
  EXPECT_EQ(rec->eid, test_eid(1));
  auto got = store_->get_operation(t, "op_a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, OperationState::delivered);
  EXPECT_EQ(got->counter_value, std::optional<std::uint64_t>(1));
  EXPECT_EQ(got->eim_transaction_id, "0101");
  EXPECT_EQ(got->delivered_at, test_time(3000));
  auto by_tid = store_->find_operations_by_transaction("0101");
  ASSERT_TRUE(by_tid.ok());
  ASSERT_EQ(by_tid->size(), 2u);
  EXPECT_EQ((*by_tid)[0].id, "op_b");
  EXPECT_TRUE(store_->list_queued_operations(t, test_eid(1))->empty());
  EXPECT_EQ(store_->list_open_operations()->size(), 2u);

  auto st = store_->get_euicc_state(t, test_eid(1));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->counter_value, 1u);
  EXPECT_EQ(st->eim_id, "eim-1");
  EuiccEimState learned = *st;
  learned.counter_value = 0;  // never goes down
  learned.association_token = 7;
  learned.euicc_certificate_der = {0x30, 0x01, 0x02};
  learned.emulated = true;
  ASSERT_TRUE(store_->put_euicc_state(learned).ok());
  reopen();
  auto again = store_->get_euicc_state(t, test_eid(1));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->counter_value, 1u);
  EXPECT_EQ(again->association_token, std::optional<std::int64_t>(7));
  EXPECT_EQ(again->euicc_certificate_der, (Bytes{0x30, 0x01, 0x02}));
  EXPECT_TRUE(again->emulated);
  EXPECT_EQ(store_->record_package(package(1, 3), {}).error().code, Errc::conflict);
  ASSERT_TRUE(store_->record_package(package(2, 3), {}).ok());
  EXPECT_EQ(store_->list_euicc_states()->size(), 1u);
  EXPECT_EQ(store_->get_euicc_state(u, test_eid(2)).error().code, Errc::not_found);
  ASSERT_TRUE(store_->delete_device(t, test_eid(1)).ok());
  EXPECT_EQ(store_->get_euicc_state(t, test_eid(1)).error().code, Errc::not_found);
}

// A package result is applied in one transaction: operations, profile states and the active profile, or nothing.
TEST_P(StoreConformance, PackageResultIsAppliedWhollyOrNotAtAll) {
  seed_small_catalog();
  TenantId t = make_tenant("acme");
  Profile p1 = profile(t, 1, 1);
  p1.state = ProfileState::enabled;
  Profile p2 = profile(t, 1, 2, "br-claro");
  Profile p3 = profile(t, 1, 3);
  p3.fallback = true;
  Device d = device(t, 1);
  d.active_iccid = p1.iccid;
  ASSERT_TRUE(store_->create_device({d, {p1, p2, p3}}).ok());
  ASSERT_TRUE(store_->create_device({device(t, 2), {}}).ok());
  using conformance_detail::make_op;
  ASSERT_TRUE(store_->create_operation(make_op(t, "op_1", d.eid)).ok());
  ASSERT_TRUE(store_->create_operation(make_op(t, "op_2", d.eid)).ok());
  ASSERT_TRUE(store_->create_operation(make_op(t, "op_other", test_eid(2))).ok());
  EimPackageRecord pkg;
  pkg.eim_transaction_id = {0x0A};
  pkg.tenant_id = t;
  pkg.eid = d.eid;
  pkg.eim_id = "eim-1";
  pkg.kind = "psmo";
  pkg.counter_value = 1;
  pkg.created_at = test_time(3000);
  ASSERT_TRUE(store_->record_package(pkg, {"op_1", "op_2"}).ok());
  ASSERT_TRUE(store_->get_device(t, d.eid).ok());  // a cached read must not survive the update

  auto done = [&](const std::string& id, OperationState state, std::string outcome) {
    auto op = store_->get_operation(t, id);
    EXPECT_TRUE(op.ok());
    Operation o = *op;
    o.state = state;
    o.outcome = std::move(outcome);
    o.result_json = R"({"verified":true})";
    o.updated_at = test_time(4000);
    return PackageResultUpdate::OperationUpdate{o, OperationState::delivered};
  };
  PackageResultUpdate u;
  u.tenant_id = t;
  u.eid = d.eid;
  u.at = test_time(4000);
  u.operations = {done("op_1", OperationState::succeeded, "ok"), done("op_2", OperationState::failed, "cat_busy")};
  u.profiles = {ProfileStateChange{p1.iccid, false, ProfileState::disabled, false},
                ProfileStateChange{p2.iccid, false, ProfileState::enabled, false},
                ProfileStateChange{p3.iccid, true, ProfileState::disabled, false}};
  u.set_active_iccid = true;
  u.active_iccid = p2.iccid;

  // A step that fails (a profile this device does not hold) leaves everything as it was.
  PackageResultUpdate bad = u;
  bad.profiles.push_back(ProfileStateChange{test_iccid(9), false, ProfileState::enabled, false});
  EXPECT_EQ(store_->apply_package_result(bad).error().code, Errc::not_found);
  EXPECT_EQ(store_->get_operation(t, "op_1")->state, OperationState::delivered);
  EXPECT_EQ(store_->get_device(t, d.eid)->device.active_iccid, p1.iccid);
  EXPECT_EQ(store_->get_profile(t, p2.iccid)->state, ProfileState::disabled);
  EXPECT_TRUE(store_->get_profile(t, p3.iccid).ok());
  // An operation of another device, or a forbidden transition, is refused before anything is written.
  PackageResultUpdate foreign = u;
  foreign.operations.push_back(done("op_other", OperationState::succeeded, "ok"));
  foreign.operations.back().op.eid = test_eid(2);
  EXPECT_EQ(store_->apply_package_result(foreign).error().code, Errc::invalid_argument);
  PackageResultUpdate backwards = u;
  backwards.operations[0].op.state = OperationState::queued;
  EXPECT_EQ(store_->apply_package_result(backwards).error().code, Errc::invalid_argument);

  ASSERT_TRUE(store_->apply_package_result(u).ok());
  auto op1 = store_->get_operation(t, "op_1");
  EXPECT_EQ(op1->state, OperationState::succeeded);
  EXPECT_EQ(op1->outcome, "ok");
  EXPECT_EQ(op1->result_json, R"({"verified":true})");
  EXPECT_EQ(op1->eim_transaction_id, "0a");  // what record_package wrote stays
  EXPECT_EQ(store_->get_operation(t, "op_2")->outcome, "cat_busy");
  auto rec = store_->get_device(t, d.eid);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->device.active_iccid, p2.iccid);
  EXPECT_EQ(rec->device.updated_at, test_time(4000));
  ASSERT_EQ(rec->profiles.size(), 2u);
  EXPECT_EQ(store_->get_profile(t, p1.iccid)->state, ProfileState::disabled);
  auto got2 = store_->get_profile(t, p2.iccid);
  EXPECT_EQ(got2->state, ProfileState::enabled);
  EXPECT_EQ(got2->carrier_id, "br-claro");  // only state and fallback change
  EXPECT_EQ(got2->updated_at, test_time(4000));
  EXPECT_EQ(store_->get_profile(t, p3.iccid).error().code, Errc::not_found);

  // The same update again: the operations are no longer delivered (a duplicate result) -> conflict, nothing written.
  PackageResultUpdate again = u;
  again.profiles = {ProfileStateChange{p1.iccid, false, ProfileState::enabled, true}};
  again.set_active_iccid = true;
  again.active_iccid = p1.iccid;
  EXPECT_EQ(store_->apply_package_result(again).error().code, Errc::conflict);
  EXPECT_EQ(store_->get_device(t, d.eid)->device.active_iccid, p2.iccid);
  EXPECT_FALSE(store_->get_profile(t, p1.iccid)->fallback);
  // Profiles alone (a notification): the device's active profile may be cleared.
  PackageResultUpdate note;
  note.tenant_id = t;
  note.eid = d.eid;
  note.at = test_time(5000);
  note.profiles = {ProfileStateChange{p2.iccid, false, ProfileState::disabled, false}};
  note.set_active_iccid = true;
  ASSERT_TRUE(store_->apply_package_result(note).ok());
  EXPECT_FALSE(store_->get_device(t, d.eid)->device.active_iccid.has_value());
  note.eid = test_eid(7);
  EXPECT_EQ(store_->apply_package_result(note).error().code, Errc::not_found);
  reopen();
  EXPECT_EQ(store_->get_operation(t, "op_1")->state, OperationState::succeeded);
  EXPECT_EQ(store_->get_profile(t, p2.iccid)->state, ProfileState::disabled);
}

}  // namespace esimo::store::testing
