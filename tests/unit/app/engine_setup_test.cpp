// EngineHost (esimo serve's engine wiring): an engine per tenant loaded from the store, decisions submitted through the
// real eIM as operations whose reason names the policy and rule, outages stored, operation outcomes fed back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/engine_setup.hpp"
#include "crypto/ecdsa.hpp"
#include "domain/identifiers.hpp"
#include "crypto/keys.hpp"
#include "eim/eim_service.hpp"
#include "engine/engine.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace esimo::app {
namespace {

using ::testing::HasSubstr;

std::string with_luhn(const std::string& digits) {
  return domain::Iccid::from_payload(digits)->str();
}

class EngineHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::SqliteOptions opts;
    opts.durable_commits = false;
    opts.clock = &clock_;
    auto s = store::open_sqlite_store(dir_.path(), opts);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    domain::Country br;
    br.code = domain::CountryCode::parse("BR").value();
    br.name = "Brazil";
    auto carrier = [](std::string id, std::string name, std::string_view plmn) {
      domain::Carrier c;
      c.id = std::move(id);
      c.name = std::move(name);
      c.plmns.push_back(domain::Plmn::parse(plmn).value());
      c.countries.push_back(domain::CountryCode::parse("BR").value());
      return c;
    };
    ASSERT_TRUE(store_->seed_catalog({br}, {carrier("br-vivo", "Vivo", "724-06"), carrier("br-claro", "Claro", "724-05")})
                    .ok());
    auto t = store_->create_tenant("acme");
    ASSERT_TRUE(t.ok());
    tenant_ = t->id;

    store::DeviceRecord rec;
    rec.device.tenant_id = tenant_;
    rec.device.eid = eid_;
    rec.device.country = domain::CountryCode::parse("BR").value();
    domain::Profile vivo;
    vivo.iccid = domain::Iccid::parse(with_luhn("895506000000000001")).value();
    vivo.carrier_id = "br-vivo";
    vivo.state = domain::ProfileState::enabled;
    domain::Profile claro;
    claro.iccid = domain::Iccid::parse(with_luhn("895506000000000002")).value();
    claro.carrier_id = "br-claro";
    claro_ = claro.iccid;
    rec.device.active_iccid = vivo.iccid;
    rec.profiles = {vivo, claro};
    ASSERT_TRUE(store_->create_device(rec).ok());

    eim::EimIdentity identity;
    identity.eim_id = "eim.engine.test";
    identity.fqdn = "eim.engine.test:8443";
    identity.signer = std::make_shared<crypto::SoftwareSigner>(crypto::PrivateKey::generate());
    eim_ = std::make_unique<eim::EimService>(*store_, clock_, std::move(identity), eim::EimOptions{}, metrics_);
    ASSERT_TRUE(eim_->load().ok());
  }

  std::vector<domain::Operation> operations() {
    auto p = store_->list_operations(tenant_, {}, {});
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->items : std::vector<domain::Operation>{};
  }

  test::TempDir dir_{"esimo-engine-host"};
  ManualClock clock_{TimePoint(std::chrono::seconds(1'795'000'000))};
  metrics::Registry metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<eim::EimService> eim_;
  domain::TenantId tenant_ = 0;
  domain::Eid eid_ = domain::Eid::from_prefix30("890490320000000000000000000001").value();
  domain::Iccid claro_;
};

TEST_F(EngineHostTest, LoadsTheFleetAndSubmitsDecisionsWithTheirReason) {
  // A stored fleet policy: leave Vivo whenever the device is on it.
  store::PolicyRecord p;
  p.tenant_id = tenant_;
  p.id = "pol_1";
  p.name = "leave-vivo";
  p.scope_kind = "fleet";
  p.document_json =
      R"({"name":"leave-vivo","scope":{"fleet":true},"rules":[{"name":"off-vivo","when":"carrier == \"br-vivo\"","do":"switch to carrier \"br-claro\""}]})";
  p.created_at = p.updated_at = clock_.now();
  ASSERT_TRUE(store_->create_policy(p).ok());

  EngineHost host(*store_, clock_, eim_.get(), metrics_, EngineHostOptions{std::chrono::hours(1)});
  ASSERT_TRUE(host.start().ok());
  engine::Engine* e = host.engine_for(tenant_);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(host.engine_for(tenant_), e);  // one per tenant
  EXPECT_EQ(host.engine_for(999), nullptr);
  EXPECT_TRUE(e->has_device(eid_));
  auto x = e->explain(eid_, clock_.now());
  ASSERT_TRUE(x.has_value());
  EXPECT_THAT(x->policy_name, HasSubstr("leave-vivo"));

  engine::TelemetryRecord t;
  t.eid = eid_;
  t.time = clock_.now();
  t.serving_plmn = domain::Plmn::parse("724-06").value();
  t.attached = true;
  t.rsrp_dbm = -100;
  ASSERT_TRUE(e->ingest(t).ok());
  host.tick_all();

  bool switched = false;
  for (const auto& op : operations()) {
    if (op.type != "enable") continue;
    switched = true;
    EXPECT_THAT(op.params_json, HasSubstr(claro_.str()));
    EXPECT_THAT(op.reason, HasSubstr("leave-vivo"));
    EXPECT_THAT(op.reason, HasSubstr("off-vivo"));
    EXPECT_EQ(op.state, domain::OperationState::queued);
  }
  EXPECT_TRUE(switched) << "no enable operation was submitted";
}

TEST_F(EngineHostTest, StatusFeedOutageIsStored) {
  EngineHost host(*store_, clock_, eim_.get(), metrics_, EngineHostOptions{std::chrono::hours(1)});
  ASSERT_TRUE(host.start().ok());
  engine::Engine* e = host.engine_for(tenant_);
  ASSERT_NE(e, nullptr);
  const domain::CountryCode br = domain::CountryCode::parse("BR").value();
  e->set_carrier_status("br-vivo", std::span<const domain::CountryCode>(&br, 1), domain::CarrierStatus::down,
                        "fibre cut", clock_.now());
  host.tick_all();
  auto outages = store_->list_outages(tenant_, {});
  ASSERT_TRUE(outages.ok());
  ASSERT_GE(outages->items.size(), 1u);
  const auto& o = outages->items[0];
  EXPECT_EQ(o.carrier_id, "br-vivo");
  EXPECT_EQ(o.country->str(), "BR");
  EXPECT_EQ(o.source, "status_feed");
  EXPECT_EQ(o.state, "active");
  EXPECT_THAT(o.detail, HasSubstr("fibre cut"));
  EXPECT_EQ(o.id.find('/'), std::string::npos);
  EXPECT_EQ(o.id.find(':'), std::string::npos);
}

}  // namespace
}  // namespace esimo::app
