#pragma once
// The in-process mode's eIM: a real esimo eIM stack in the twin's process — the embedded SQLite store in a data
// directory, eim::EimService on the simulation's virtual clock and api::EsipaService in front of it — with the
// simulated fleet registered in the store through its bulk import path. Devices reach it through a ServiceEsipaPort,
// i.e. the ESipa binding's handler called directly: the same code the HTTP listener runs, without a socket.
//
// The eIM signs with the test PKI's eIM key and trusts its CI, so eUICCs materialised under the same PKI verify.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/test_pki.hpp"
#include "domain/model.hpp"
#include "eim/eim_service.hpp"
#include "twin/sim/sim_model.hpp"
#include "twin/sim/sim_port.hpp"
#include "twin/sim/sim_runner.hpp"

namespace esimo::store {
class Store;
}
namespace esimo::api {
class EsipaService;
}

namespace esimo::twin::sim {

// The eIM identity a twin eIM uses: signer and certificate from the test PKI, its CI as the trusted root.
eim::EimIdentity twin_eim_identity(const crypto::TestPki& pki, std::string eim_id, std::string fqdn);

// Imports the model's devices into `store` for `tenant` (Store::import_devices, batches of `batch`), each with its
// profiles (carrier id, enabled slot, fallback attribute), SGP.32 v1.2. `progress` gets the number imported so far.
Status register_fleet(store::Store& store, domain::TenantId tenant, const SimModel& model, std::size_t batch = 20000,
                      const std::function<void(std::size_t)>& progress = {});

struct InProcessOptions {
  std::filesystem::path data_dir;  // the store's directory (created); the caller removes it if it is temporary
  std::string tenant = "twin";
  bool durable_commits = false;  // the twin's store need not survive a power loss
  std::size_t key_pool = 64;     // eUICC keys shared across the fleet (DeviceFactory::key_pool); 0: one per device
};

class InProcessEim {
 public:
  // Opens the store, makes a test PKI (in memory), the eIM and the ESipa binding, all on `clock`.
  static Result<std::unique_ptr<InProcessEim>> open(const InProcessOptions& options, ManualClock& clock);
  ~InProcessEim();

  // register_fleet, then the eIM loads its hot state.
  Status register_fleet(const SimModel& model, const std::function<void(std::size_t)>& progress = {});

  EsipaPort& port() { return *port_; }
  DeviceFactory factory() const;
  eim::EimService& eim() { return *eim_; }
  store::Store& store() { return *store_; }
  domain::TenantId tenant() const { return tenant_; }
  const crypto::TestPki& pki() const { return *pki_; }

 private:
  InProcessEim() = default;
  std::optional<crypto::TestPki> pki_;
  std::unique_ptr<store::Store> store_;
  domain::TenantId tenant_ = 0;
  std::unique_ptr<eim::EimService> eim_;
  std::unique_ptr<api::EsipaService> esipa_;
  std::unique_ptr<ServiceEsipaPort> port_;
  Bytes add_initial_eim_;
  std::vector<crypto::PrivateKey> key_pool_;
};

}  // namespace esimo::twin::sim
