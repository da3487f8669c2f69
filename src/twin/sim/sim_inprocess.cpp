#include "twin/sim/sim_inprocess.hpp"

#include "api/esipa_service.hpp"
#include "base/metrics.hpp"
#include "crypto/ecdsa.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace esimo::twin::sim {

eim::EimIdentity twin_eim_identity(const crypto::TestPki& pki, std::string eim_id, std::string fqdn) {
  eim::EimIdentity id;
  id.eim_id = std::move(eim_id);
  id.fqdn = std::move(fqdn);
  id.signer = std::make_shared<crypto::SoftwareSigner>(pki.eim.key);
  id.eim_certificate_der = pki.eim.certificate.der();
  id.ci_root_certificates_der.push_back(pki.ci.certificate.der());
  return id;
}

Status register_fleet(store::Store& store, domain::TenantId tenant, const SimModel& model, std::size_t batch,
                      const std::function<void(std::size_t)>& progress) {
  const auto& carriers = model.carriers();
  std::vector<store::DeviceRecord> records;
  records.reserve(batch);
  const std::size_t n = model.device_count();
  // Profiles name their carrier; one the store does not know (a store not seeded with the catalog) is created as
  // the tenant's own carrier with the same id and home PLMN.
  std::vector<bool> known(carriers.size(), false);
  for (std::size_t i = 0; i < n; ++i) {
    const SimDeviceSpec spec = model.device(i);
    for (std::uint8_t slot = 0; slot < spec.profile_count; ++slot) {
      const std::uint16_t c = spec.profiles[slot].carrier;
      if (known.at(c)) continue;
      known[c] = true;
      if (store.get_carrier(tenant, carriers[c].id).ok()) continue;
      domain::Carrier carrier;
      carrier.id = carriers[c].id;
      carrier.tenant_id = tenant;
      carrier.name = carriers[c].id;
      carrier.plmns.push_back(carriers[c].plmn);
      ESIMO_CHECK(store.create_carrier(carrier));
    }
    store::DeviceRecord r;
    r.device.tenant_id = tenant;
    r.device.eid = model.eid(i);
    r.device.sgp32_version = domain::Sgp32Version::v1_2;
    r.device.active_iccid = model.iccid(i, spec.enabled);
    for (std::uint8_t slot = 0; slot < spec.profile_count; ++slot) {
      domain::Profile p;
      p.tenant_id = tenant;
      p.iccid = model.iccid(i, slot);
      p.eid = r.device.eid;
      p.carrier_id = carriers.at(spec.profiles[slot].carrier).id;
      p.state = slot == spec.enabled ? domain::ProfileState::enabled : domain::ProfileState::disabled;
      p.fallback = spec.profiles[slot].fallback;
      r.profiles.push_back(std::move(p));
    }
    records.push_back(std::move(r));
    if (records.size() == batch || i + 1 == n) {
      ESIMO_TRY(auto counts, store.import_devices(records));
      (void)counts;
      records.clear();
      if (progress) progress(i + 1);
    }
  }
  return ok_status();
}

Result<std::unique_ptr<InProcessEim>> InProcessEim::open(const InProcessOptions& options, ManualClock& clock) {
  std::unique_ptr<InProcessEim> s(new InProcessEim());
  crypto::TestPkiOptions po;
  po.now = clock.now();
  ESIMO_TRY(auto pki, crypto::make_test_pki(po));
  s->pki_.emplace(std::move(pki));
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  store::SqliteOptions so;
  so.durable_commits = options.durable_commits;
  so.clock = &clock;
  ESIMO_TRY(s->store_, store::open_sqlite_store(options.data_dir, so));
  auto tenant = s->store_->get_tenant_by_name(options.tenant);
  if (!tenant) {
    ESIMO_TRY(tenant, s->store_->create_tenant(options.tenant));
  }
  s->tenant_ = tenant->id;
  s->eim_ = std::make_unique<eim::EimService>(*s->store_, clock, twin_eim_identity(*s->pki_, "esimo-twin", "twin.invalid"),
                                              eim::EimOptions{}, metrics::Registry::global());
  eim::EimService* e = s->eim_.get();
  s->esipa_ = std::make_unique<api::EsipaService>(
      [e](ByteView body, std::optional<sgp::Version> hint) { return e->handle_esipa(body, hint); },
      metrics::Registry::global());
  s->port_ = std::make_unique<ServiceEsipaPort>(*s->esipa_);
  ESIMO_TRY(s->add_initial_eim_, s->eim_->export_add_initial_eim(sgp::Version::v1_2));
  s->key_pool_ = make_key_pool(options.key_pool);
  return s;
}

InProcessEim::~InProcessEim() {
  port_.reset();
  esipa_.reset();
  eim_.reset();
  store_.reset();
}

Status InProcessEim::register_fleet(const SimModel& model, const std::function<void(std::size_t)>& progress) {
  ESIMO_CHECK(sim::register_fleet(*store_, tenant_, model, 20000, progress));
  return eim_->load();
}

DeviceFactory InProcessEim::factory() const {
  DeviceFactory f;
  f.pki = &*pki_;
  f.add_initial_eim_v1_2 = add_initial_eim_;
  f.key_pool = key_pool_;
  return f;
}

}  // namespace esimo::twin::sim
