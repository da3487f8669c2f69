#pragma once
// The twin's discrete-event simulator: a fleet of simulated devices on a virtual clock, each an IPA polling a real
// eIM through an EsipaPort, connected only while its enabled profile's network serves it where it is (SimModel).
//
// Time: one event queue ordered by (simulated time, insertion sequence); the ManualClock the eIM reads is set to each
// event's time before it runs, so simulated time runs as fast as the CPU allows. One thread runs every event in that
// order and every random answer comes from the model's counter-based sampling, so the same model and seed give the same
// KPIs byte for byte (nothing depends on thread scheduling, addresses or hash-map iteration order).
//
// Devices (docs/twin.md, "Simulation"):
//  - poll: every poll_interval_s (first poll at a seeded offset inside the first interval). A device without service
//    does not poll. A device whose eUICC was never needed sends its GetEimPackageRequest itself (the same DER the IPA
//    sends) through the real ESipa handler; if the eIM answers anything but noEimPackageAvailable, the device's
//    SoftwareEuicc is materialised and a twin::Ipa takes over, handed that answer first (no second request).
//  - service: re-evaluated at every poll and at every model change point (event starts/ends); losing it starts an
//    offline interval and, when the device has a fallback profile that is not enabled, a fallback timer.
//  - fallback: when the timer fires and the device is still without service, SoftwareEuicc::fallback() enables the
//    fallback profile; if that network serves the device it polls at once (notifyStateChange, stateChangeCause fallback
//    (1)) and delivers the disable/enable notifications.
//  - rollback: every exchange goes through the device's link, which fails while the enabled profile's network does not
//    serve it; an enable with rollbackFlag whose new profile cannot attach therefore fails the next exchange and the IPA
//    rolls back (SoftwareEuicc::rollback).
//
// Memory: per device a SimDeviceSpec (40 B), a DeviceState (48 B) and one queued event (24 B); a SoftwareEuicc (key,
// certificate, profiles, about 3.6 KB) only for devices that needed one (materialised).
// Thread-safety: one thread drives run(); the eIM behind the port may serve other threads at the same time (demo).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/keys.hpp"
#include "crypto/test_pki.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"
#include "twin/sim/sim_kpi.hpp"
#include "twin/sim/sim_model.hpp"
#include "twin/sim/sim_port.hpp"
#include "twin/sim/sim_telemetry.hpp"

namespace esimo::eim {
class EimService;
}

namespace esimo::twin {
class SoftwareEuicc;
}

namespace esimo::twin::sim {

// Identifiers of simulated devices: a pure function of the fleet index (and slot), so nothing is stored per device.
domain::Eid sim_eid(std::uint32_t index);
domain::Iccid sim_iccid(std::uint32_t index, std::uint8_t slot);

// What materialising a device needs: the EUM that issues eUICC certificates (test PKI; the eIM trusts its CI) and the
// AddInitialEimRequest (BF57) of the eIM the fleet is personalised for.
// Fleet key pool: device i's eUICC key is key_pool[i % size] (a reference-counted OpenSSL key, shared, so a
// materialised eUICC does not carry its own 2.35 KB key); its certificate is still its own (serialNumber = its EID),
// issued by the EUM when the device is materialised. An empty pool: a fresh key per device.
struct DeviceFactory {
  const crypto::TestPki* pki = nullptr;
  Bytes add_initial_eim_v1_2;
  std::vector<crypto::PrivateKey> key_pool;
  // eUICC certificates are valid from an hour before the earlier of this and the virtual time of materialisation, so
  // an eIM on the wall clock (over the wire) accepts certificates made on a virtual clock that runs ahead of it.
  std::optional<TimePoint> valid_from;
};
// `n` fresh P-256 keys for DeviceFactory::key_pool.
std::vector<crypto::PrivateKey> make_key_pool(std::size_t n);

struct SimOptions {
  std::uint64_t seed = 1;
  std::string scenario;  // name, for the KPIs
  std::string mode = "in-process";
  std::size_t max_rounds = 16;                 // GetEimPackageRequests per poll cycle
  Duration flap_window = std::chrono::hours(1);
  TelemetrySink* telemetry = nullptr;
  Orchestrator* orchestrator = nullptr;
  eim::EimService* eim = nullptr;  // for the orchestrator
  domain::TenantId tenant = 0;
  // Called with the simulated fraction done (0..1), at most every 1 % of the run.
  std::function<void(double)> progress;
  // Accelerated real time (demo): simulated seconds per wall second; 0: as fast as the CPU allows.
  double speed = 0;
  const std::atomic<bool>* stop = nullptr;  // set by another thread: run() returns the KPIs so far
};

enum class SwitchCause : std::uint8_t { fallback, rollback, eim };

class SimRunner {
 public:
  SimRunner(const SimModel& model, EsipaPort& port, ManualClock& clock, DeviceFactory factory, SimOptions options);
  ~SimRunner();
  SimRunner(const SimRunner&) = delete;
  SimRunner& operator=(const SimRunner&) = delete;

  // Runs the whole scenario (or until options.stop) and returns the KPIs.
  Result<Kpis> run();

  // ---- inspection (tests, demo)
  std::uint8_t enabled_slot(std::uint32_t device) const;
  bool attached(std::uint32_t device) const;
  const SoftwareEuicc* euicc(std::uint32_t device) const;
  std::size_t materialised() const;
  const SimModel& model() const { return model_; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  const SimModel& model_;
};

}  // namespace esimo::twin::sim
