#pragma once
// Injectable time. Everything above base takes a Clock& instead of calling now(): the digital twin runs the same code on
// virtual time. All times are UTC.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace esimo {

using SysClock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<SysClock, std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// Wall clock, for the server.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
  static SystemClock& instance();
};

// Virtual clock for tests and the twin. Thread-safe reads; advanced explicitly by its owner.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_us_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint(Duration(now_us_.load(std::memory_order_acquire))); }
  void set(TimePoint t) { now_us_.store(t.time_since_epoch().count(), std::memory_order_release); }
  void advance(Duration d) { now_us_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<std::int64_t> now_us_;
};

// RFC 3339 / ISO 8601 in UTC: "2026-11-25T10:00:00Z", with ".ffffff" only when the sub-second part is non-zero.
std::string format_rfc3339(TimePoint t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)"; anything else is nullopt.
std::optional<TimePoint> parse_rfc3339(std::string_view s);

}  // namespace esimo
