#include "engine/compact.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace esimo::engine {

// ---- NameTable

std::uint32_t NameTable::intern(std::string_view name) {
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  const auto i = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  index_.emplace(std::string(name), i);
  return i;
}

std::optional<std::uint32_t> NameTable::find(std::string_view name) const {
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  return std::nullopt;
}

// ---- SampleRing

bool SampleRing::has(const Row& r, Metric m) { return !std::isnan(r.v[m]); }

void SampleRing::push(TimePoint at, const std::optional<double>& rsrp_dbm, const std::optional<double>& rsrq_db,
                      const std::optional<double>& sinr_db, const std::optional<double>& latency_ms) {
  if (!rsrp_dbm && !rsrq_db && !sinr_db && !latency_ms) return;
  if (size_ == cap_) {
    const std::uint32_t cap = cap_ == 0 ? 2 : cap_ * 2;
    auto grown = std::make_unique<Row[]>(cap);
    for (std::uint32_t i = 0; i < size_; ++i) grown[i] = row(i);
    rows_ = std::move(grown);
    cap_ = cap;
    head_ = 0;
  }
  constexpr float kNone = std::numeric_limits<float>::quiet_NaN();
  Row& r = rows_[(head_ + size_) & (cap_ - 1)];
  r.at_us = at.time_since_epoch().count();
  r.v[rsrp] = rsrp_dbm ? static_cast<float>(*rsrp_dbm) : kNone;
  r.v[rsrq] = rsrq_db ? static_cast<float>(*rsrq_db) : kNone;
  r.v[sinr] = sinr_db ? static_cast<float>(*sinr_db) : kNone;
  r.v[latency] = latency_ms ? static_cast<float>(*latency_ms) : kNone;
  for (std::size_t m = 0; m < kMetrics; ++m) count_[m] += !std::isnan(r.v[m]);
  ++size_;
}

void SampleRing::clear() {
  head_ = size_ = 0;
  first_.fill(0);
  count_.fill(0);
}

std::size_t SampleRing::count(Metric m) const { return count_[m]; }

std::optional<double> SampleRing::last(Metric m) const {
  for (std::uint32_t i = size_; i-- > first_[m];) {
    if (has(row(i), m)) return row(i).v[m];
  }
  return std::nullopt;
}

void SampleRing::series(Metric m, std::vector<policy::Sample>& out) const {
  out.clear();
  for (std::uint32_t i = first_[m]; i < size_; ++i) {
    const Row& r = row(i);
    if (has(r, m)) out.push_back(policy::Sample{TimePoint(Duration(r.at_us)), r.v[m]});
  }
}

void SampleRing::trim(Metric m, TimePoint from, std::size_t max_samples) {
  const std::size_t n = count_[m];
  if (n == 0) {
    first_[m] = size_;  // an empty series needs none of the rows held now
    release_front();
    return;
  }
  const std::int64_t from_us = from.time_since_epoch().count();
  const auto next = [&](std::uint32_t i) {
    while (i < size_ && !has(row(i), m)) ++i;
    return i;
  };
  // Drop a sample while the one after it is at or before `from`: the last such sample stays (the value in force at
  // the start of the window). Usually only the first two samples are looked at.
  std::uint32_t keep = next(first_[m]);
  std::size_t drop = 0;
  for (std::uint32_t j = next(keep + 1); j < size_ && row(j).at_us <= from_us; j = next(j + 1)) {
    keep = j;
    ++drop;
  }
  // The cap: only the newest max_samples.
  if (n - drop > max_samples) {
    for (std::size_t more = n - drop - max_samples; more > 0; --more) keep = next(keep + 1);
    drop = n - max_samples;
  }
  first_[m] = keep;
  count_[m] = static_cast<std::uint32_t>(n - drop);
  release_front();
}

void SampleRing::release_front() {
  const std::uint32_t n = *std::min_element(first_.begin(), first_.end());
  if (n == 0) return;
  head_ = (head_ + n) & (cap_ - 1);
  size_ -= n;
  for (auto& f : first_) f -= n;
}

}  // namespace esimo::engine
