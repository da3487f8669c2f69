#pragma once
// Compact parts of the engine's per-device hot state (docs/engine.md, "Per device"; the 1 KiB a device goal of
// issue 6): a table that turns carrier ids (and group names) into small indexes, and one ring of telemetry samples per
// device instead of a vector per metric.
//
// Thread-safety: plain values; the engine's mutex guards them (tick's read-only workers only read).
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "policy/evaluate.hpp"

namespace esimo::engine {

// Names (carrier ids, group names) interned once: a device holds a 4-byte index instead of a std::string copy.
// Indexes are stable for the table's lifetime; a name is never removed (a fleet's catalog is small and long-lived).
class NameTable {
 public:
  // The index of `name`, added when new.
  std::uint32_t intern(std::string_view name);
  // The index of `name`, or nullopt when the table has never seen it.
  std::optional<std::uint32_t> find(std::string_view name) const;
  const std::string& name(std::uint32_t index) const { return names_[index]; }
  std::size_t size() const { return names_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // std::string elements move when the vector grows; the map keeps its own keys.
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

// A device's telemetry samples: one row per record (its time and its RSRP, RSRQ, SINR and latency as floats; NaN where
// the record had no value) in one circular buffer, 24 bytes a record instead of 16 bytes a value in four vectors.
// Each metric's series is the rows from that metric's own first row on which carry a value for it, so the series
// are trimmed independently, exactly as four vectors were (trim()); rows that no series holds any more are released.
// Values are kept at float precision (about 7 significant digits; integer dBm and ms exactly).
class SampleRing {
 public:
  enum Metric : std::uint8_t { rsrp = 0, rsrq = 1, sinr = 2, latency = 3 };
  static constexpr std::size_t kMetrics = 4;

  // Appends one row; a record without any of the four values adds nothing.
  void push(TimePoint at, const std::optional<double>& rsrp_dbm, const std::optional<double>& rsrq_db,
            const std::optional<double>& sinr_db, const std::optional<double>& latency_ms);
  // Empties every series (a profile switch: the radio history was another network's).
  void clear();

  // Samples of metric m, oldest first.
  std::size_t count(Metric m) const;
  bool empty(Metric m) const { return count(m) == 0; }
  std::optional<double> last(Metric m) const;
  // The series of m as policy samples (appended to `out` after clearing it).
  void series(Metric m, std::vector<policy::Sample>& out) const;
  // Keeps the last sample at or before `from` and every sample after it, then at most `max_samples` of those (the
  // newest): what the engine's per-metric trim did to a vector.
  void trim(Metric m, TimePoint from, std::size_t max_samples);

  // Loads the cache line of the oldest row and of the next row a push writes (batches prefetch a few devices ahead).
  void prefetch() const {
    if (cap_ == 0) return;
    __builtin_prefetch(&rows_[head_]);
    __builtin_prefetch(&rows_[(head_ + size_) & (cap_ - 1)]);
  }
  // Loads every row held, up to 16 cache lines (the tick reads them all: trims and the evidence's series).
  void prefetch_all() const {
    const auto* base = reinterpret_cast<const char*>(rows_.get());
    const std::size_t bytes = std::size_t{cap_} * sizeof(Row);
    const std::size_t from = std::size_t{head_} * sizeof(Row);
    const std::size_t len = std::min<std::size_t>(std::size_t{size_} * sizeof(Row), 16 * 64);
    for (std::size_t off = 0; off < len; off += 64) __builtin_prefetch(base + (from + off) % std::max<std::size_t>(1, bytes));
  }

  // Rows held (shared by the series), and the capacity of the buffer (for tests and memory accounting).
  std::size_t rows() const { return size_; }
  std::size_t capacity() const { return cap_; }

 private:
  struct Row {
    std::int64_t at_us = 0;
    std::array<float, kMetrics> v{};
  };
  const Row& row(std::uint32_t i) const { return rows_[(head_ + i) & (cap_ - 1)]; }
  static bool has(const Row& r, Metric m);
  void release_front();

  std::unique_ptr<Row[]> rows_;
  std::uint32_t cap_ = 0;   // a power of two (or 0)
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
  std::array<std::uint32_t, kMetrics> first_{};  // per metric: rows before this one are not in its series
  std::array<std::uint32_t, kMetrics> count_{};  // per metric: samples in its series
};

}  // namespace esimo::engine
