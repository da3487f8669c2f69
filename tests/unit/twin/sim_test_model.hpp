#pragma once
// A hand-built world for the simulator's tests: a few carriers and devices, outage windows per (carrier, country),
// every network otherwise serving every device with attach always succeeding, and fixed prices.
#include <string>
#include <utility>
#include <vector>

#include "twin/sim/sim_model.hpp"
#include "twin/sim/sim_runner.hpp"

namespace esimo::twin::sim::testing {

struct Outage {
  std::uint16_t carrier = 0;
  std::uint16_t country = 0;
  std::int64_t start_s = 0;  // offsets from the start
  std::int64_t end_s = 0;
};

class TableModel final : public SimModel {
 public:
  std::vector<SimCarrier> carrier_list;
  std::vector<std::int64_t> price_micros;  // per carrier, per MB
  std::vector<SimDeviceSpec> devices;
  std::vector<Outage> outages;
  std::vector<std::int64_t> extra_change_s;
  TimePoint t0 = TimePoint(std::chrono::seconds(1798761600));
  Duration length = std::chrono::hours(6);
  // (carrier, country) pairs a compliance rule limits, with the allowed continuous time
  std::vector<std::pair<std::pair<std::uint16_t, std::uint16_t>, Duration>> limits;

  std::size_t device_count() const override { return devices.size(); }
  SimDeviceSpec device(std::size_t i) const override { return devices.at(i); }
  const std::vector<SimCarrier>& carriers() const override { return carrier_list; }
  std::string country_name(std::uint16_t c) const override { return c == 0 ? "DE" : c == 1 ? "FR" : "BR"; }
  std::string currency() const override { return "EUR"; }
  domain::Eid eid(std::size_t i) const override { return sim_eid(static_cast<std::uint32_t>(i)); }
  domain::Iccid iccid(std::size_t i, std::uint8_t slot) const override {
    return sim_iccid(static_cast<std::uint32_t>(i), slot);
  }
  TimePoint start() const override { return t0; }
  Duration duration() const override { return length; }
  std::uint16_t country_at(std::size_t device, TimePoint) const override { return devices.at(device).home_country; }
  bool down(std::uint16_t carrier, std::uint16_t country, TimePoint t) const {
    const std::int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t - t0).count();
    for (const auto& o : outages) {
      if (o.carrier == carrier && o.country == country && s >= o.start_s && s < o.end_s) return true;
    }
    return false;
  }
  NetworkSample network(std::size_t, std::uint16_t carrier, std::uint16_t country, TimePoint t,
                        std::uint32_t) const override {
    NetworkSample s;
    s.serves = !down(carrier, country, t);
    s.attach_ok = s.serves;
    s.rsrp_dbm = -90;
    s.latency_ms = 50;
    s.price_micros_per_mb = price_micros.empty() ? 0 : price_micros.at(carrier);
    return s;
  }
  std::vector<TimePoint> change_points() const override {
    std::vector<std::int64_t> secs = extra_change_s;
    for (const auto& o : outages) {
      secs.push_back(o.start_s);
      secs.push_back(o.end_s);
    }
    std::sort(secs.begin(), secs.end());
    std::vector<TimePoint> out;
    for (auto s : secs) out.push_back(t0 + std::chrono::seconds(s));
    return out;
  }
  std::vector<TimePoint> outage_onsets() const override {
    std::vector<TimePoint> out;
    for (const auto& o : outages) out.push_back(t0 + std::chrono::seconds(o.start_s));
    std::sort(out.begin(), out.end());
    return out;
  }
  std::optional<Duration> roaming_limit(std::uint16_t carrier, std::uint16_t country, TimePoint) const override {
    for (const auto& [key, d] : limits) {
      if (key.first == carrier && key.second == country) return d;
    }
    return std::nullopt;
  }

  // Three carriers: 0 de-a (262-01), 1 de-b (262-02), 2 fr-c (208-01).
  static TableModel basic() {
    TableModel m;
    m.carrier_list = {{"de-a", *domain::Plmn::parse("262-01")},
                      {"de-b", *domain::Plmn::parse("262-02")},
                      {"fr-c", *domain::Plmn::parse("208-01")}};
    m.price_micros = {10000, 20000, 30000};
    return m;
  }
  // A device in DE with profiles on carriers `a` (enabled) and `b`, the second with the Fallback Attribute if asked.
  static SimDeviceSpec device_on(std::uint16_t a, std::uint16_t b, bool fallback, std::uint32_t poll_s = 900) {
    SimDeviceSpec d;
    d.home_country = 0;
    d.profile_count = 2;
    d.enabled = 0;
    d.profiles[0] = {a, false};
    d.profiles[1] = {b, fallback};
    d.poll_interval_s = poll_s;
    d.usage_kb_per_day = 1024 * 24;  // 1 MB an hour
    d.fallback_after_s = 600;
    return d;
  }
};

}  // namespace esimo::twin::sim::testing
