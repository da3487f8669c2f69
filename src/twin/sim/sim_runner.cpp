#include "twin/sim/sim_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <queue>
#include <thread>

#include "sgp/codec.hpp"
#include "twin/euicc_certificate_template.hpp"
#include "twin/ipa.hpp"
#include "twin/software_euicc.hpp"

namespace esimo::twin::sim {
namespace sim_runner_detail {

constexpr std::int64_t kNever = INT64_MIN;
constexpr std::int64_t kUsPerDay = 86400LL * 1000000;

enum class EvKind : std::uint8_t { poll, fallback_timer, change_point, tick };

struct Ev {
  std::int64_t t;
  std::uint64_t seq;
  std::uint32_t device;
  EvKind kind;
};
struct EvLater {
  bool operator()(const Ev& a, const Ev& b) const { return a.t != b.t ? a.t > b.t : a.seq > b.seq; }
};

enum : std::uint8_t {
  kAttached = 1,
  kAffected = 2,
  kViolated = 4,
  kUnservedAtStart = 8,
  kFallbackArmed = 16,
};

struct DeviceState {
  std::int64_t offline_since = kNever;
  std::int64_t first_loss = kNever;
  std::int64_t first_regain = kNever;
  std::int64_t last_charge = 0;
  std::int64_t last_switch_at = kNever;
  std::int64_t roaming_since = kNever;  // served through a network a compliance rule limits, since
  std::uint32_t draw = 0;
  std::uint32_t pending_kb = 0;  // usage since the last telemetry record
  std::int32_t price = 0;        // micro-units per MB on the network it was last evaluated on
  std::int32_t fee = 0;          // monthly fee (micro-units) of the enabled profile's network
  std::uint16_t country = 0;
  std::uint8_t enabled = 0;
  std::uint8_t switched_from = kNoSlot;
  std::uint8_t flags = 0;
};

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

char luhn_digit(const std::string& body) {
  int sum = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    int d = body[body.size() - 1 - i] - '0';
    if (i % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

}  // namespace sim_runner_detail

std::vector<crypto::PrivateKey> make_key_pool(std::size_t n) {
  std::vector<crypto::PrivateKey> keys;
  keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) keys.push_back(crypto::PrivateKey::generate());
  return keys;
}

domain::Eid sim_eid(std::uint32_t index) {
  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "8904903200570000000%011u", index);
  return *domain::Eid::from_prefix30(prefix);
}

domain::Iccid sim_iccid(std::uint32_t index, std::uint8_t slot) {
  char body[19];
  std::snprintf(body, sizeof body, "89882%01u%012u", static_cast<unsigned>(slot % 10), index);
  std::string s(body);
  s += sim_runner_detail::luhn_digit(s);
  return *domain::Iccid::parse(s);
}

struct SimRunner::Impl final : OrchestratorContext {
  using DeviceState = sim_runner_detail::DeviceState;
  using Ev = sim_runner_detail::Ev;
  using EvKind = sim_runner_detail::EvKind;

  // The device's radio link: every ESipa exchange of a materialised device goes through it, and fails while the
  // enabled profile's network does not serve the device (that is what makes rollback and fallback honest).
  struct Link final : EsipaTransport {
    Impl* sim = nullptr;
    std::uint32_t device = 0;
    std::optional<Bytes> replay;  // the answer to the GetEimPackageRequest the device already sent
    bool failed = false;
    bool rollback_was_pending = false;
    Result<Bytes> exchange(ByteView request_der) override { return sim->link_exchange(*this, request_der); }
  };

  Impl(const SimModel& m, EsipaPort& p, ManualClock& c, DeviceFactory f, SimOptions o)
      : model(m), port(p), clock(c), factory(std::move(f)), options(std::move(o)) {}

  const SimModel& model;
  EsipaPort& port;
  ManualClock& clock;
  DeviceFactory factory;
  SimOptions options;

  std::vector<SimDeviceSpec> specs;
  std::vector<DeviceState> states;
  std::unordered_map<std::uint32_t, std::unique_ptr<SoftwareEuicc>> euiccs;
  // One certificate template per key of factory.key_pool, made at the first materialisation that uses the key.
  std::vector<std::optional<EuiccCertificateTemplate>> cert_templates;
  std::priority_queue<Ev, std::vector<Ev>, sim_runner_detail::EvLater> queue;
  std::uint64_t seq = 0;
  std::int64_t now_us = 0;
  std::int64_t start_us = 0;
  std::int64_t end_us = 0;
  Bytes no_package_v1_2;
  Kpis k;
  double cost_micros = 0;
  std::vector<std::int64_t> change_points;  // sorted
  std::optional<std::int64_t> first_detection;
  Status fatal = ok_status();

  // ---- OrchestratorContext
  TimePoint now() const override { return TimePoint(Duration(now_us)); }
  eim::EimService& eim() override { return *options.eim; }
  domain::TenantId tenant() const override { return options.tenant; }
  domain::Eid eid(std::uint32_t device) const override { return model.eid(device); }
  domain::Iccid iccid(std::uint32_t device, std::uint8_t slot) const override { return model.iccid(device, slot); }
  void declare_outage(std::uint16_t carrier, std::uint16_t country) override {
    (void)carrier;
    (void)country;
    if (!first_detection) first_detection = now_us;
  }

  void push(std::int64_t t, std::uint32_t device, EvKind kind) { queue.push(Ev{t, seq++, device, kind}); }

  NetworkSample sample(std::uint32_t i, std::uint8_t slot) {
    DeviceState& s = states[i];
    return model.network(i, specs[i].profiles[slot].carrier, s.country, TimePoint(Duration(now_us)), s.draw++);
  }

  // Usage and cost since the last charge, on the network the device was on.
  void charge(std::uint32_t i) {
    DeviceState& s = states[i];
    const std::int64_t dt = now_us - s.last_charge;
    s.last_charge = now_us;
    if (dt <= 0) return;
    // The subscription is paid whether or not the network serves the device.
    cost_micros += static_cast<double>(s.fee) * static_cast<double>(dt) / static_cast<double>(30 * sim_runner_detail::kUsPerDay);
    if (!(s.flags & sim_runner_detail::kAttached)) return;
    const double kb = static_cast<double>(specs[i].usage_kb_per_day) * static_cast<double>(dt) /
                      static_cast<double>(sim_runner_detail::kUsPerDay);
    s.pending_kb += static_cast<std::uint32_t>(kb);
    cost_micros += kb / 1024.0 * static_cast<double>(s.price);
  }

  // Re-evaluates whether the device is served now, with the accounting of a change.
  NetworkSample evaluate(std::uint32_t i) {
    namespace d = sim_runner_detail;
    DeviceState& s = states[i];
    NetworkSample ns = sample(i, s.enabled);
    charge(i);
    s.price = static_cast<std::int32_t>(ns.price_micros_per_mb);
    s.fee = static_cast<std::int32_t>(ns.monthly_fee_micros);
    const bool was = s.flags & d::kAttached;
    // An attached device stays attached while the network serves it; one without service needs an attach to succeed.
    const bool now_attached = was ? ns.serves : ns.attach_ok;
    if (now_attached && !was) {
      s.flags |= d::kAttached;
      if (s.offline_since != d::kNever) {
        k.offline_device_us += now_us - s.offline_since;
        s.offline_since = d::kNever;
      }
      if (s.first_loss != d::kNever && s.first_regain == d::kNever) s.first_regain = now_us;
      s.flags &= static_cast<std::uint8_t>(~d::kFallbackArmed);
    } else if (!now_attached && was) {
      s.flags &= static_cast<std::uint8_t>(~d::kAttached);
      s.offline_since = now_us;
      if (s.first_loss == d::kNever) {
        s.first_loss = now_us;
        s.flags |= d::kAffected;
      }
      arm_fallback(i);
    }
    check_compliance(i);
    return ns;
  }

  void check_compliance(std::uint32_t i) {
    namespace d = sim_runner_detail;
    DeviceState& s = states[i];
    if (!(s.flags & d::kAttached)) return;
    const auto limit =
        model.roaming_limit(specs[i].profiles[s.enabled].carrier, s.country, TimePoint(Duration(now_us)));
    if (!limit) {
      s.roaming_since = d::kNever;
      return;
    }
    if (s.roaming_since == d::kNever) s.roaming_since = now_us;
    if (now_us - s.roaming_since >= limit->count()) s.flags |= d::kViolated;
  }

  void arm_fallback(std::uint32_t i) {
    namespace d = sim_runner_detail;
    DeviceState& s = states[i];
    const std::uint8_t fb = fallback_slot(i);
    if (fb == kNoSlot || fb == s.enabled || (s.flags & d::kFallbackArmed)) return;
    s.flags |= d::kFallbackArmed;
    push(now_us + static_cast<std::int64_t>(specs[i].fallback_after_s) * 1000000, i, EvKind::fallback_timer);
  }

  // The slot whose profile carries the Fallback Attribute now: the eUICC's own answer once it exists (the eIM may
  // have moved or removed the attribute since the factory), the spec's before.
  std::uint8_t fallback_slot(std::uint32_t i) const {
    auto it = euiccs.find(i);
    if (it == euiccs.end()) return specs[i].fallback_slot();
    for (const Profile& p : it->second->profiles()) {
      if (!p.fallback_attribute) continue;
      for (std::uint8_t slot = 0; slot < specs[i].profile_count; ++slot) {
        const auto wire = model.iccid(i, slot).to_wire();
        if (std::memcmp(wire.data(), p.iccid.data(), wire.size()) == 0) return slot;
      }
    }
    return kNoSlot;
  }

  void record_switch(std::uint32_t i, std::uint8_t to, SwitchCause cause) {
    DeviceState& s = states[i];
    if (to == s.enabled) return;
    charge(i);
    ++k.switches;
    if (cause == SwitchCause::fallback) ++k.fallbacks;
    if (cause == SwitchCause::rollback) ++k.rollbacks;
    if (cause == SwitchCause::eim) ++k.eim_switches;
    if (cause != SwitchCause::rollback && to == s.switched_from && s.last_switch_at != sim_runner_detail::kNever &&
        now_us - s.last_switch_at < options.flap_window.count()) {
      ++k.flaps;
    }
    s.switched_from = s.enabled;
    s.last_switch_at = now_us;
    s.enabled = to;
  }

  std::uint8_t slot_of(std::uint32_t i, const SoftwareEuicc& e) const {
    const Profile* p = e.enabled_profile();
    if (p == nullptr) return kNoSlot;
    for (std::uint8_t slot = 0; slot < specs[i].profile_count; ++slot) {
      const auto wire = model.iccid(i, slot).to_wire();
      if (std::memcmp(wire.data(), p->iccid.data(), wire.size()) == 0) return slot;
    }
    return kNoSlot;
  }

  Result<SoftwareEuicc*> materialise(std::uint32_t i) {
    if (auto it = euiccs.find(i); it != euiccs.end()) return it->second.get();
    if (factory.pki == nullptr) return Error(Errc::failed_precondition, "no test PKI to materialise eUICCs with");
    const domain::Eid eid = model.eid(i);
    const TimePoint now = TimePoint(Duration(now_us));
    const crypto::Validity validity{std::min(now, factory.valid_from.value_or(now)) - std::chrono::hours(1),
                                    now + std::chrono::hours(24 * 3650)};
    std::optional<SoftwareEuicc> made;
    if (factory.key_pool.empty()) {
      crypto::PrivateKey key = crypto::PrivateKey::generate();
      ESIMO_TRY(crypto::Certificate cert, crypto::issue_euicc_certificate(factory.pki->eum.certificate,
                                                                          factory.pki->eum.key, eid.str(),
                                                                          key.public_key(), validity));
      ESIMO_TRY(SoftwareEuicc e, SoftwareEuicc::create(SoftwareEuiccConfig{eid, sgp::Version::v1_2, std::move(key),
                                                                           std::move(cert),
                                                                           factory.pki->eum.certificate}));
      made.emplace(std::move(e));
    } else {
      // Pool keys: the certificate comes from the key's template (one signature, no X509 building or parsing).
      const std::size_t k = i % factory.key_pool.size();
      if (cert_templates.size() != factory.key_pool.size()) cert_templates.resize(factory.key_pool.size());
      if (!cert_templates[k]) {
        ESIMO_TRY(auto t, EuiccCertificateTemplate::make(factory.pki->eum.certificate, factory.pki->eum.key,
                                                         factory.key_pool[k].public_key(), validity));
        cert_templates[k].emplace(std::move(t));
      }
      ESIMO_TRY(SoftwareEuicc e, SoftwareEuicc::create_from_template(*cert_templates[k], eid, sgp::Version::v1_2,
                                                                     factory.key_pool[k],
                                                                     factory.pki->eum.certificate));
      made.emplace(std::move(e));
    }
    SoftwareEuicc& e = *made;
    const SimDeviceSpec& spec = specs[i];
    for (std::uint8_t slot = 0; slot < spec.profile_count; ++slot) {
      ProfileSpec ps;
      ps.iccid = model.iccid(i, slot);
      ps.enabled = slot == states[i].enabled;
      ps.fallback_attribute = spec.profiles[slot].fallback;
      ps.home_plmn = model.carriers()[spec.profiles[slot].carrier].plmn;
      ESIMO_CHECK(e.add_profile(ps));
    }
    ESIMO_TRY(auto tokens, e.add_initial_eim_der(factory.add_initial_eim_v1_2));
    (void)tokens;
    auto owned = std::make_unique<SoftwareEuicc>(std::move(e));
    SoftwareEuicc* raw = owned.get();
    euiccs.emplace(i, std::move(owned));
    ++k.materialised_devices;
    return raw;
  }

  Result<Bytes> link_exchange(Link& link, ByteView request_der) {
    const std::uint32_t i = link.device;
    SoftwareEuicc& e = *euiccs.at(i);
    const std::uint8_t slot = slot_of(i, e);
    const bool fresh = slot != states[i].enabled;  // just enabled by a package: it must attach first
    if (slot != kNoSlot && fresh) record_switch(i, slot, SwitchCause::eim);
    const NetworkSample ns = slot == kNoSlot ? NetworkSample{} : sample(i, slot);
    if (!(fresh ? ns.attach_ok : ns.serves)) {
      link.failed = true;
      link.rollback_was_pending = e.rollback_pending();
      return Error(Errc::unavailable, "no service");
    }
    if (link.replay) {
      Bytes answer = std::move(*link.replay);
      link.replay.reset();
      return answer;
    }
    return port.exchange(request_der, e.version());
  }

  // One poll of a device that is served now.
  void poll(std::uint32_t i) {
    ++k.polls;
    DeviceState& s = states[i];
    const std::uint8_t before = s.enabled;
    Link link;
    link.sim = this;
    link.device = i;
    auto found = euiccs.find(i);
    if (found == euiccs.end()) {
      sgp::GetEimPackageRequest req;
      const auto eid = model.eid(i).to_bytes();
      req.eid.assign(eid.begin(), eid.end());
      const auto plmn = model.carriers()[specs[i].profiles[s.enabled].carrier].plmn.to_wire();
      req.rplmn = Bytes(plmn.begin(), plmn.end());
      auto der = sgp::encode(sgp::EsipaMessageFromIpaToEim{std::move(req)}, sgp::Version::v1_2);
      if (!der) {
        fatal = der.error();
        return;
      }
      auto answer = port.exchange(*der, sgp::Version::v1_2);
      if (!answer) {
        ++k.exchange_errors;
        return;
      }
      if (*answer == no_package_v1_2) {
        ++k.empty_polls;
        return;
      }
      auto m = materialise(i);
      if (!m) {
        fatal = m.error();
        return;
      }
      link.replay = std::move(answer).value();
    }
    SoftwareEuicc& e = *euiccs.at(i);
    Ipa ipa(e, link);
    auto report = ipa.poll_until_idle(options.max_rounds);
    if (report) {
      k.packages += report->packages;
      k.notifications += report->notifications_sent;
      if (report->packages == 0 && report->data_requests == 0 && report->notifications_sent == 0) ++k.empty_polls;
      if (!report->idle) ++k.exchange_errors;  // the eIM still had work after max_rounds: something is not converging
    } else if (!link.failed) {
      ++k.exchange_errors;
    }
    const std::uint8_t after = slot_of(i, e);
    const bool rolled_back = after != kNoSlot && after != s.enabled && link.failed && link.rollback_was_pending;
    if (after != kNoSlot && after != s.enabled) {
      record_switch(i, after, rolled_back ? SwitchCause::rollback : SwitchCause::eim);
    }
    if (link.failed || s.enabled != before) evaluate(i);
    // Back on the profile it rolled back to, the IPA delivers the rollback result and the state-change notifications
    // at once (ES10b.ProfileRollback's result is what the eIM is waiting for), as it does after a fallback.
    if (rolled_back && (s.flags & sim_runner_detail::kAttached)) poll(i);
  }

  void emit(std::uint32_t i, const NetworkSample& ns) {
    if (options.telemetry == nullptr && options.orchestrator == nullptr) {
      states[i].pending_kb = 0;
      return;
    }
    DeviceState& s = states[i];
    TelemetryRecord r;
    r.time = TimePoint(Duration(now_us));
    r.device = i;
    r.country = s.country;
    r.slot = s.enabled;
    r.carrier = specs[i].profiles[s.enabled].carrier;
    r.attached = s.flags & sim_runner_detail::kAttached;
    if (r.attached) r.serving_plmn = model.carriers()[r.carrier].plmn;
    r.rsrp_dbm = ns.rsrp_dbm;
    r.rsrq_db = ns.rsrq_db;
    r.sinr_db = ns.sinr_db;
    r.latency_ms = ns.latency_ms;
    // Uplink a fifth of the traffic: IoT telemetry devices mostly send, but acknowledgements and updates come down.
    const std::uint64_t bytes = static_cast<std::uint64_t>(s.pending_kb) * 1024;
    r.bytes_up = bytes / 5;
    r.bytes_down = bytes - r.bytes_up;
    s.pending_kb = 0;
    if (options.telemetry) options.telemetry->record(r);
    if (options.orchestrator) options.orchestrator->telemetry(r, *this);
  }

  void on_poll(std::uint32_t i) {
    DeviceState& s = states[i];
    const SimDeviceSpec& spec = specs[i];
    if (spec.mobile) {
      const std::uint16_t c = model.country_at(i, TimePoint(Duration(now_us)));
      if (c != s.country) {
        charge(i);
        s.country = c;
      }
    }
    const NetworkSample ns = evaluate(i);
    emit(i, ns);
    if (s.flags & sim_runner_detail::kAttached) poll(i);
    push(now_us + static_cast<std::int64_t>(spec.poll_interval_s) * 1000000, i, EvKind::poll);
  }

  void on_fallback_timer(std::uint32_t i) {
    namespace d = sim_runner_detail;
    DeviceState& s = states[i];
    s.flags &= static_cast<std::uint8_t>(~d::kFallbackArmed);
    if (s.flags & d::kAttached) return;
    const std::uint8_t fb = fallback_slot(i);
    if (fb == kNoSlot || fb == s.enabled) return;
    auto m = materialise(i);
    if (!m) {
      fatal = m.error();
      return;
    }
    if (!(*m)->fallback().ok()) return;  // e.g. fallback not allowed: the device stays as it is
    // The profile the eUICC enabled (the one holding the attribute now), not the factory's fallback slot.
    const std::uint8_t to = slot_of(i, **m);
    if (to == kNoSlot) return;
    record_switch(i, to, SwitchCause::fallback);
    const NetworkSample ns = evaluate(i);
    emit(i, ns);
    if (s.flags & d::kAttached) poll(i);  // polls again at once; the IPA notifies stateChangeCause fallback
  }

  void on_change_point() {
    for (std::uint32_t i = 0; i < states.size(); ++i) evaluate(i);
  }

  Result<Kpis> run() {
    namespace d = sim_runner_detail;
    start_us = model.start().time_since_epoch().count();
    end_us = start_us + model.duration().count();
    now_us = start_us;
    clock.set(model.start());
    k = Kpis{};
    k.seed = options.seed;
    k.scenario = options.scenario;
    k.mode = options.mode;
    k.engine = options.orchestrator != nullptr;
    k.currency = model.currency();
    {
      sgp::EimPackageError none;
      none.code = 1;
      ESIMO_TRY(no_package_v1_2, sgp::encode(sgp::EsipaMessageFromEimToIpa{sgp::GetEimPackageResponse{none}},
                                             sgp::Version::v1_2));
    }
    const std::size_t n = model.device_count();
    if (n > UINT32_MAX) return Error(Errc::invalid_argument, "too many devices");
    specs.resize(n);
    states.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      specs[i] = model.device(i);
      DeviceState& s = states[i];
      s.enabled = specs[i].enabled;
      s.country = specs[i].mobile ? model.country_at(i, model.start()) : specs[i].home_country;
      s.last_charge = start_us;
      const NetworkSample ns = sample(i, s.enabled);
      s.price = static_cast<std::int32_t>(ns.price_micros_per_mb);
      s.fee = static_cast<std::int32_t>(ns.monthly_fee_micros);
      if (ns.attach_ok) {
        s.flags |= d::kAttached;
        check_compliance(i);
      } else {
        s.flags |= d::kUnservedAtStart;
        s.offline_since = start_us;
        arm_fallback(i);
      }
      // First poll at a seeded offset inside the first interval, so the fleet does not poll in lockstep.
      const std::uint64_t interval_us = static_cast<std::uint64_t>(specs[i].poll_interval_s) * 1000000;
      const std::uint64_t offset = interval_us ? d::splitmix64(options.seed ^ (0x7ea5ULL << 40) ^ i) % interval_us : 0;
      push(start_us + static_cast<std::int64_t>(offset), i, EvKind::poll);
    }
    for (TimePoint cp : model.change_points()) {
      const std::int64_t t = cp.time_since_epoch().count();
      if (t > start_us && t < end_us) push(t, 0, EvKind::change_point);
    }
    if (options.orchestrator) {
      options.orchestrator->start(*this);
      push(start_us + options.orchestrator->tick_interval().count(), 0, EvKind::tick);
    }

    const auto wall_start = std::chrono::steady_clock::now();
    std::int64_t next_progress = start_us;
    const std::int64_t progress_step = std::max<std::int64_t>(1, (end_us - start_us) / 100);
    while (!queue.empty() && fatal.ok()) {
      const Ev ev = queue.top();
      if (ev.t >= end_us) break;
      if (options.stop && options.stop->load(std::memory_order_relaxed)) break;
      queue.pop();
      if (options.speed > 0) {
        const auto due = wall_start + std::chrono::microseconds(static_cast<std::int64_t>(
                                          static_cast<double>(ev.t - start_us) / options.speed));
        while (std::chrono::steady_clock::now() < due) {
          if (options.stop && options.stop->load(std::memory_order_relaxed)) break;
          std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
              due - std::chrono::steady_clock::now(), std::chrono::milliseconds(100)));
        }
      }
      now_us = ev.t;
      clock.set(TimePoint(Duration(now_us)));
      switch (ev.kind) {
        case EvKind::poll: on_poll(ev.device); break;
        case EvKind::fallback_timer: on_fallback_timer(ev.device); break;
        case EvKind::change_point: on_change_point(); break;
        case EvKind::tick:
          options.orchestrator->tick(*this);
          push(now_us + options.orchestrator->tick_interval().count(), 0, EvKind::tick);
          break;
      }
      if (options.progress && now_us >= next_progress) {
        options.progress(static_cast<double>(now_us - start_us) / static_cast<double>(end_us - start_us));
        next_progress = now_us + progress_step;
      }
    }
    if (!fatal.ok()) return fatal.error();
    // Close the books at the end of the run (or where it was stopped).
    const std::int64_t stop_at = queue.empty() || queue.top().t >= end_us ? end_us : now_us;
    now_us = stop_at;
    std::vector<std::int64_t> recoveries;
    for (std::uint32_t i = 0; i < n; ++i) {
      DeviceState& s = states[i];
      charge(i);
      if (s.offline_since != d::kNever) k.offline_device_us += now_us - s.offline_since;
      if (s.flags & d::kAffected) {
        ++k.affected_devices;
        if (s.flags & d::kAttached) {
          ++k.recovered_devices;
          recoveries.push_back(s.first_regain - s.first_loss);
        }
      }
      if (s.flags & d::kUnservedAtStart) ++k.unserved_at_start;
      if (s.flags & d::kViolated) ++k.compliance_violations;
    }
    std::sort(recoveries.begin(), recoveries.end());
    k.recovery_p50_us = nearest_rank(recoveries, 50);
    k.recovery_p95_us = nearest_rank(recoveries, 95);
    k.recovery_p99_us = nearest_rank(recoveries, 99);
    k.devices = n;
    k.simulated_us = now_us - start_us;
    if (first_detection) {
      // Detection is measured from the onset of the first outage, the first change point at or before it.
      std::optional<std::int64_t> onset;
      for (TimePoint cp : model.outage_onsets()) {
        const std::int64_t t = cp.time_since_epoch().count();
        if (t <= *first_detection) onset = t;
      }
      if (onset) k.detection_us = *first_detection - *onset;
    }
    const std::int64_t month_us = 30LL * d::kUsPerDay;
    if (k.simulated_us > 0) {
      k.monthly_cost_micros = static_cast<std::int64_t>(cost_micros * static_cast<double>(month_us) /
                                                        static_cast<double>(k.simulated_us) + 0.5);
    }
    if (options.progress && now_us == end_us) options.progress(1.0);
    return k;
  }
};

SimRunner::SimRunner(const SimModel& model, EsipaPort& port, ManualClock& clock, DeviceFactory factory,
                     SimOptions options)
    : impl_(std::make_unique<Impl>(model, port, clock, std::move(factory), std::move(options))), model_(model) {}

SimRunner::~SimRunner() = default;

Result<Kpis> SimRunner::run() { return impl_->run(); }

std::uint8_t SimRunner::enabled_slot(std::uint32_t device) const { return impl_->states.at(device).enabled; }
bool SimRunner::attached(std::uint32_t device) const {
  return impl_->states.at(device).flags & sim_runner_detail::kAttached;
}
const SoftwareEuicc* SimRunner::euicc(std::uint32_t device) const {
  auto it = impl_->euiccs.find(device);
  return it == impl_->euiccs.end() ? nullptr : it->second.get();
}
std::size_t SimRunner::materialised() const { return impl_->euiccs.size(); }

}  // namespace esimo::twin::sim
