#include "base/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace esimo::metrics {

namespace {
void atomic_add(std::atomic<double>& a, double d) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
}

std::string label_block(const Labels& labels, const char* extra_key = nullptr, const std::string& extra_value = {}) {
  if (labels.empty() && !extra_key) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out += k;
    out += "=\"";
    append_label_value(out, v);
    out.push_back('"');
  }
  if (extra_key) {
    if (!first) out.push_back(',');
    out += extra_key;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}
}  // namespace

void Gauge::add(double d) { atomic_add(v_, d); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<double> latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Series& Registry::find_or_add(std::string_view name, std::string_view help, Kind kind, Labels&& labels) {
  std::lock_guard lock(mu_);
  auto fam = std::find_if(families_.begin(), families_.end(), [&](const Family& f) { return f.name == name; });
  if (fam == families_.end()) {
    families_.push_back(Family{std::string(name), std::string(help), kind, {}});
    fam = std::prev(families_.end());
  }
  for (auto& s : fam->series) {
    if (s.labels == labels) return s;
  }
  fam->series.push_back(Series{std::move(labels), nullptr, nullptr, nullptr});
  return fam->series.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  Series& s = find_or_add(name, help, Kind::counter, std::move(labels));
  std::lock_guard lock(mu_);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  Series& s = find_or_add(name, help, Kind::gauge, std::move(labels));
  std::lock_guard lock(mu_);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, Labels labels,
                               std::vector<double> bounds) {
  Series& s = find_or_add(name, help, Kind::histogram, std::move(labels));
  std::lock_guard lock(mu_);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

std::string Registry::expose() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : families_) {
    const char* type = f.kind == Kind::counter ? "counter" : f.kind == Kind::gauge ? "gauge" : "histogram";
    out += "# HELP " + f.name + " " + f.help + "\n";
    out += "# TYPE " + f.name + " " + type + "\n";
    for (const auto& s : f.series) {
      if (s.counter) {
        out += f.name + label_block(s.labels) + " " + std::to_string(s.counter->value()) + "\n";
      } else if (s.gauge) {
        out += f.name + label_block(s.labels) + " " + format_double(s.gauge->value()) + "\n";
      } else if (s.histogram) {
        const Histogram& h = *s.histogram;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
          cumulative += h.bucket(i);
          std::string le = i < h.bounds().size() ? format_double(h.bounds()[i]) : "+Inf";
          out += f.name + "_bucket" + label_block(s.labels, "le", le) + " " + std::to_string(cumulative) + "\n";
        }
        out += f.name + "_sum" + label_block(s.labels) + " " + format_double(h.sum()) + "\n";
        out += f.name + "_count" + label_block(s.labels) + " " + std::to_string(h.count()) + "\n";
      }
    }
  }
  return out;
}

Registry& Registry::global() {
  static Registry r;
  return r;
}

}  // namespace esimo::metrics
