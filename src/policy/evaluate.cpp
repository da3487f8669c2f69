// Compilation and evaluation of policies against a device's evidence (semantics in docs/policies.md).
#include "policy/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace esimo::policy {

namespace evaluate_detail {

void collect_reads(const Condition& c, std::uint32_t& mask, std::array<Duration, 7>& history) {
  switch (c.kind) {
    case Condition::Kind::metric: {
      mask |= is_signal(c.metric) ? kReadsSignal : is_latency(c.metric) ? kReadsLatency : kReadsSavings;
      Duration span = c.window.value_or(is_latency(c.metric) ? kDefaultLatencyWindow : Duration::zero());
      Duration& h = history[static_cast<std::size_t>(c.metric)];
      h = std::max(h, span);
      break;
    }
    case Condition::Kind::country_changed:
    case Condition::Kind::country_in:
    case Condition::Kind::roaming: mask |= kReadsGeography; break;
    case Condition::Kind::no_service: mask |= kReadsService; break;
    case Condition::Kind::carrier_status: mask |= kReadsCarrierStatus | kReadsGeography; break;
    case Condition::Kind::outage: mask |= kReadsOutage; break;
    case Condition::Kind::carrier_is: mask |= kReadsCarrier; break;
    default: break;
  }
  for (const auto& ch : c.children) collect_reads(ch, mask, history);
}

std::string fmt_number(double v, std::string_view unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string out(buf);
  if (!unit.empty()) {
    out += ' ';
    out += unit;
  }
  return out;
}

std::string fmt_money(std::int64_t micros, const domain::Currency& cur) {
  domain::Money m;
  m.micros = micros;
  m.currency = cur;
  return m.amount_str() + " " + cur.str();
}

// Samples at or before now: [0, n).
template <class S>
std::size_t visible(std::span<const S> s, TimePoint now) {
  std::size_t n = s.size();
  while (n > 0 && s[n - 1].at > now) --n;
  return n;
}

// The shared "held for D" logic over a series whose values are read by value_of (nullopt: does not satisfy). Text is
// built only when obs is given: the engine's hot path evaluates without it.
template <class S, class ValueOf, class Fmt>
bool held(std::span<const S> s, const Condition& c, double threshold, const Evidence& e, ValueOf value_of, Fmt fmt,
          Observation* obs) {
  std::size_t n = visible(s, e.now);
  if (n == 0) {
    if (obs != nullptr) obs->detail = "no samples";
    return false;
  }
  auto sat = [&](std::size_t i) {
    auto v = value_of(s[i]);
    return v.has_value() && compare(*v, c.op, threshold);
  };
  auto fmt_opt = [&](const std::optional<double>& v) {
    return v ? fmt(*v) : std::string("a value in another currency");
  };
  if (!c.window) {
    bool ok = sat(n - 1);
    if (obs != nullptr) {
      obs->value = value_of(s[n - 1]);
      obs->detail = "latest " + fmt_opt(obs->value) + " at " + format_rfc3339(s[n - 1].at);
    }
    return ok;
  }
  TimePoint start = e.now - *c.window;
  std::size_t a = n;
  for (std::size_t i = n; i-- > 0;) {
    if (s[i].at <= start) {
      a = i;
      break;
    }
  }
  if (obs != nullptr) obs->window = c.window;
  if (a == n) {
    if (obs != nullptr) {
      obs->detail = "history since " + format_rfc3339(s[0].at) + " is shorter than " + format_duration(*c.window);
    }
    return false;
  }
  bool want_max = c.op == CmpOp::lt || c.op == CmpOp::le;
  std::optional<double> extreme;
  for (std::size_t i = a; i < n; ++i) {
    if (!sat(i)) {
      if (obs != nullptr) {
        obs->detail = "not held over the last " + format_duration(*c.window) + ": " + fmt_opt(value_of(s[i])) +
                      " at " + format_rfc3339(s[i].at);
      }
      return false;
    }
    double v = *value_of(s[i]);
    if (!extreme || (want_max ? v > *extreme : v < *extreme)) extreme = v;
  }
  if (obs == nullptr) return true;
  bool equality = c.op == CmpOp::eq || c.op == CmpOp::ne;
  if (equality) extreme = value_of(s[n - 1]);
  std::size_t k = a;
  while (k > 0 && sat(k - 1)) --k;
  obs->value = extreme;
  obs->since = s[k].at;
  obs->detail = std::string(equality ? "latest " : want_max ? "max " : "min ") + fmt(*extreme) + " over the last " +
                format_duration(*c.window) + " (" + std::to_string(n - a) + " samples, held since " +
                format_rfc3339(s[k].at) + ")";
  return true;
}

double percentile_of(Metric m) {
  switch (m) {
    case Metric::latency_p50: return 50;
    case Metric::latency_p95: return 95;
    default: return 99;
  }
}

bool latency_term(const Condition& c, const Evidence& e, Observation* obs) {
  Duration window = c.window.value_or(kDefaultLatencyWindow);
  if (obs != nullptr) obs->window = window;
  std::span<const Sample> s = e.latency_ms;
  std::size_t n = visible(s, e.now);
  TimePoint start = e.now - window;
  if (n == 0 || s[0].at > start) {
    if (obs != nullptr) {
      obs->detail = n == 0 ? std::string("no samples")
                           : "history since " + format_rfc3339(s[0].at) + " is shorter than " + format_duration(window);
    }
    return false;
  }
  // Per-thread scratch: no allocation per evaluation once warm.
  thread_local std::vector<double> v;
  v.clear();
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i].at > start) v.push_back(s[i].value);
  }
  if (v.empty()) {
    if (obs != nullptr) obs->detail = "no samples in the last " + format_duration(window);
    return false;
  }
  // Nearest-rank percentile.
  double p = percentile_of(c.metric);
  auto rank = std::clamp<std::size_t>(static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))),
                                      1, v.size());
  auto nth = v.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(v.begin(), nth, v.end());
  double value = *nth;
  if (obs != nullptr) {
    obs->value = value;
    obs->detail = std::string(to_string(c.metric)).substr(8) + " " + fmt_number(value, "ms") + " over the last " +
                  format_duration(window) + " (" + std::to_string(v.size()) + " samples)";
  }
  return compare(value, c.op, c.threshold);
}

const std::span<const Sample>& signal_series(const Evidence& e, Metric m) {
  return m == Metric::rsrp ? e.rsrp : m == Metric::rsrq ? e.rsrq : e.sinr;
}

bool since_for(const std::optional<TimePoint>& since, const std::optional<Duration>& window, const Evidence& e,
               Observation* obs, std::string_view what) {
  if (!since) {
    if (obs != nullptr) obs->detail = "not " + std::string(what);
    return false;
  }
  Duration held_for = e.now - *since;
  if (obs != nullptr) {
    obs->since = since;
    obs->window = window;
    obs->detail = std::string(what) + " since " + format_rfc3339(*since) + " (" + format_duration(held_for) + ")";
  }
  return !window || held_for >= *window;
}

bool term(const Condition& c, const Evidence& e, Observation* obs) {
  if (obs != nullptr) obs->term = c.text;
  switch (c.kind) {
    case Condition::Kind::metric: {
      if (is_latency(c.metric)) return latency_term(c, e, obs);
      if (is_signal(c.metric)) {
        std::string_view unit = unit_of(c.metric);
        return held(
            signal_series(e, c.metric), c, c.threshold, e,
            [](const Sample& s) { return std::optional<double>(s.value); },
            [&](double v) { return fmt_number(v, unit); }, obs);
      }
      const domain::Money& thr = *c.money;
      return held(
          e.savings_monthly, c, static_cast<double>(thr.micros), e,
          [&](const MoneySample& s) {
            return s.amount.currency == thr.currency ? std::optional<double>(static_cast<double>(s.amount.micros))
                                                     : std::nullopt;
          },
          [&](double v) { return fmt_money(static_cast<std::int64_t>(v), thr.currency); }, obs);
    }
    case Condition::Kind::country_changed: {
      if (!e.country || !e.previous_country || !e.country_since) {
        if (obs != nullptr) obs->detail = "no country change seen";
        return false;
      }
      if (obs != nullptr) {
        obs->since = e.country_since;
        obs->window = c.window;
        obs->detail = e.previous_country->str() + " -> " + e.country->str() + " at " + format_rfc3339(*e.country_since);
      }
      if (c.window) return e.now - *e.country_since <= *c.window;
      // Without "within": the change is news until the device's profile has been switched after it.
      return !e.last_switch_at || *e.last_switch_at < *e.country_since;
    }
    case Condition::Kind::country_in: {
      if (!e.country) {
        if (obs != nullptr) obs->detail = "country unknown";
        return false;
      }
      bool in = std::find(c.countries.begin(), c.countries.end(), *e.country) != c.countries.end();
      if (obs != nullptr) obs->detail = "country " + e.country->str();
      return in != c.negated;
    }
    case Condition::Kind::roaming: {
      if (!e.roaming) {
        if (obs != nullptr) obs->detail = "not roaming";
        return false;
      }
      // Where and on what: "roaming in FR on 262-01 (home DE)".
      std::string what = "roaming";
      if (obs != nullptr) {
        if (e.country) what += " in " + e.country->str();
        if (e.serving_plmn) what += " on " + e.serving_plmn->str();
        if (e.home_country) what += " (home " + e.home_country->str() + ")";
      }
      if (!c.window) {
        if (obs != nullptr) {
          obs->detail = what;
          if (e.roaming_since) obs->detail += " since " + format_rfc3339(*e.roaming_since);
          obs->since = e.roaming_since;
        }
        return true;
      }
      return since_for(e.roaming_since, c.window, e, obs, what);
    }
    case Condition::Kind::no_service:
      return since_for(e.no_service_since, c.window, e, obs, "without service");
    case Condition::Kind::carrier_status: {
      domain::CarrierStatus st = domain::CarrierStatus::up;
      for (const auto& entry : e.carrier_status) {
        if (entry.carrier_id == e.carrier_id && e.country && entry.country == *e.country) st = entry.status;
      }
      if (obs != nullptr) {
        obs->detail = "carrier " + e.carrier_id + (e.country ? " in " + e.country->str() : std::string()) + " is " +
                      std::string(domain::to_string(st));
      }
      return (st == c.status) != c.negated;
    }
    case Condition::Kind::outage:
      if (obs != nullptr) {
        obs->detail = e.outage ? "outage declared on " + e.carrier_id + (e.country ? " in " + e.country->str() : "")
                               : std::string("no outage");
      }
      return e.outage;
    case Condition::Kind::carrier_is: {
      bool any = std::any_of(c.carriers.begin(), c.carriers.end(),
                             [&](const CarrierRef& r) { return r.matches(e.carrier_id, e.serving_plmn); });
      if (obs != nullptr)
        obs->detail = "carrier " + e.carrier_id + (e.serving_plmn ? " (" + e.serving_plmn->str() + ")" : "");
      return any != c.negated;
    }
    default: return false;
  }
}

void observe_terms(const Condition& c, const Evidence& e, std::vector<Observation>& out) {
  if (c.kind == Condition::Kind::all_of || c.kind == Condition::Kind::any_of || c.kind == Condition::Kind::negation) {
    for (const auto& ch : c.children) observe_terms(ch, e, out);
    return;
  }
  Observation o;
  (void)term(c, e, &o);
  out.push_back(std::move(o));
}

}  // namespace evaluate_detail

CompiledPolicy CompiledPolicy::compile(Policy effective) {
  CompiledPolicy out;
  if (effective.rules) {
    for (Rule& r : *effective.rules) {
      if (!r.enabled) continue;
      evaluate_detail::collect_reads(r.when, out.reads_, out.history_);
      out.rules_.push_back(r);
    }
  }
  out.policy_ = std::move(effective);
  return out;
}

bool evaluate_condition(const Condition& c, const Evidence& e, std::vector<Observation>* observed) {
  switch (c.kind) {
    case Condition::Kind::all_of: {
      std::size_t mark = observed != nullptr ? observed->size() : 0;
      for (const auto& ch : c.children) {
        if (!evaluate_condition(ch, e, observed)) {
          if (observed != nullptr) observed->resize(mark);
          return false;
        }
      }
      return true;
    }
    case Condition::Kind::any_of: {
      bool any = false;
      for (const auto& ch : c.children) {
        std::size_t mark = observed != nullptr ? observed->size() : 0;
        if (evaluate_condition(ch, e, observed)) {
          any = true;
          if (observed == nullptr) return true;
        } else if (observed != nullptr) {
          observed->resize(mark);
        }
      }
      return any;
    }
    case Condition::Kind::negation: {
      if (evaluate_condition(c.children[0], e, nullptr)) return false;
      if (observed != nullptr) {
        // What made the inner condition false is the evidence for "not": what each of its terms observed.
        std::vector<Observation> inner;
        evaluate_detail::observe_terms(c.children[0], e, inner);
        Observation o;
        o.term = c.text;
        for (const auto& in : inner) o.detail += (o.detail.empty() ? "" : "; ") + in.term + ": " + in.detail;
        observed->push_back(std::move(o));
      }
      return true;
    }
    default: {
      if (observed == nullptr) return evaluate_detail::term(c, e, nullptr);
      Observation o;
      bool v = evaluate_detail::term(c, e, &o);
      if (v) observed->push_back(std::move(o));
      return v;
    }
  }
}

std::optional<Firing> evaluate(const CompiledPolicy& policy, const Evidence& evidence) {
  const auto& rules = policy.rules();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    // Hot path without any text; the observations are gathered only for the rule that fires.
    if (!evaluate_condition(rules[i].when, evidence, nullptr)) continue;
    std::vector<Observation> obs;
    (void)evaluate_condition(rules[i].when, evidence, &obs);
    Firing f;
    f.policy = policy.name();
    f.origin = rules[i].policy;
    f.rule = rules[i].name;
    f.rule_index = i;
    f.action = rules[i].action;
    f.urgent = rules[i].urgent;
    f.evidence = std::move(obs);
    return f;
  }
  return std::nullopt;
}

namespace evaluate_detail {

enum class Tri : std::uint8_t { no, yes, maybe };

Tri tri(bool v) { return v ? Tri::yes : Tri::no; }

// A signal term (latest sample, or held over a window) can hold only if its latest visible sample satisfies the
// comparison. At any later time the latest visible sample is a new one (fails, by assumption) or one of: the last
// sample at or before now, and those after now. If all of those fail, it stays false.
template <class S, class Sat>
bool latest_fails_for_good(std::span<const S> s, TimePoint now, Sat sat) {
  std::size_t i = s.size();
  while (i > 0 && s[i - 1].at > now) {
    if (sat(s[i - 1])) return false;
    --i;
  }
  return i == 0 || !sat(s[i - 1]);
}

Tri settle(const Condition& c, const Evidence& e) {
  switch (c.kind) {
    case Condition::Kind::all_of: {
      Tri out = Tri::yes;
      for (const auto& ch : c.children) {
        const Tri t = settle(ch, e);
        if (t == Tri::no) return Tri::no;
        if (t == Tri::maybe) out = Tri::maybe;
      }
      return out;
    }
    case Condition::Kind::any_of: {
      Tri out = Tri::no;
      for (const auto& ch : c.children) {
        const Tri t = settle(ch, e);
        if (t == Tri::yes) return Tri::yes;
        if (t == Tri::maybe) out = Tri::maybe;
      }
      return out;
    }
    case Condition::Kind::negation: {
      const Tri t = settle(c.children[0], e);
      return t == Tri::maybe ? Tri::maybe : t == Tri::yes ? Tri::no : Tri::yes;
    }
    case Condition::Kind::metric: {
      if (is_signal(c.metric)) {
        const bool gone = latest_fails_for_good(signal_series(e, c.metric), e.now,
                                                [&](const Sample& x) { return compare(x.value, c.op, c.threshold); });
        return gone ? Tri::no : Tri::maybe;
      }
      if (is_latency(c.metric)) {
        // A percentile is one of the window's samples: if none after now - window satisfies the comparison (new ones
        // fail by assumption, and the window only moves forward), the term stays false.
        const TimePoint start = e.now - c.window.value_or(kDefaultLatencyWindow);
        for (const Sample& x : e.latency_ms) {
          if (x.at > start && compare(x.value, c.op, c.threshold)) return Tri::maybe;
        }
        return Tri::no;
      }
      return Tri::maybe;  // savings: a new estimate at every evaluation
    }
    case Condition::Kind::country_changed:
      if (!c.window) return tri(term(c, e, nullptr));  // changes only with a country change or a switch
      return term(c, e, nullptr) ? Tri::maybe : Tri::no;  // "within D" only ends as time passes
    case Condition::Kind::roaming:
      if (!e.roaming) return Tri::no;
      if (!c.window) return Tri::yes;
      return term(c, e, nullptr) ? Tri::yes : Tri::maybe;  // "for D" starts to hold as time passes
    case Condition::Kind::no_service:
      if (!e.no_service_since) return Tri::no;
      return term(c, e, nullptr) ? Tri::yes : Tri::maybe;
    case Condition::Kind::country_in:
    case Condition::Kind::carrier_status:
    case Condition::Kind::outage:
    case Condition::Kind::carrier_is: return tri(term(c, e, nullptr));  // read only what stays as it is
  }
  return Tri::maybe;
}

void collect_thresholds(const Condition& c, std::vector<WatchedThreshold>& out) {
  if (c.kind == Condition::Kind::metric && c.metric != Metric::savings_monthly) {
    out.push_back(WatchedThreshold{c.metric, c.op, c.threshold});
  }
  for (const auto& ch : c.children) collect_thresholds(ch, out);
}

}  // namespace evaluate_detail

std::vector<WatchedThreshold> watched_thresholds(const CompiledPolicy& policy) {
  std::vector<WatchedThreshold> out;
  for (const auto& r : policy.rules()) evaluate_detail::collect_thresholds(r.when, out);
  return out;
}

bool stays_quiet(const CompiledPolicy& policy, const Evidence& e) {
  for (const auto& r : policy.rules()) {
    if (evaluate_detail::settle(r.when, e) != evaluate_detail::Tri::no) return false;
  }
  return true;
}

namespace evaluate_detail {

void earliest(std::optional<TimePoint>& out, TimePoint t) {
  if (!out || t < *out) out = t;
}

// A series judged over [now - window, now] (window zero: the latest sample alone) depends only on the samples visible
// at now and on the first one after the window's start: it changes when a later sample comes into view (at its time)
// or when the start passes that first sample (window after it).
template <class S>
void series_change(std::span<const S> s, TimePoint now, Duration window, std::optional<TimePoint>& out) {
  const std::size_t n = visible(s, now);
  if (n < s.size()) earliest(out, s[n].at);
  if (window <= Duration::zero()) return;
  const TimePoint start = now - window;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i].at > start) {
      earliest(out, s[i].at + window);
      break;
    }
  }
}

void term_change(const Condition& c, const Evidence& e, std::optional<TimePoint>& out) {
  for (const auto& ch : c.children) term_change(ch, e, out);
  const auto for_d = [&](const std::optional<TimePoint>& since) {
    if (since && c.window && e.now - *since < *c.window) earliest(out, *since + *c.window);
  };
  switch (c.kind) {
    case Condition::Kind::metric:
      if (is_latency(c.metric)) {
        series_change(e.latency_ms, e.now, c.window.value_or(kDefaultLatencyWindow), out);
      } else if (is_signal(c.metric)) {
        series_change(signal_series(e, c.metric), e.now, c.window.value_or(Duration::zero()), out);
      } else {
        series_change(e.savings_monthly, e.now, c.window.value_or(Duration::zero()), out);
      }
      break;
    case Condition::Kind::country_changed:
      // "within D" holds while now - since <= D: false from the next microsecond on.
      if (c.window && e.country && e.previous_country && e.country_since && e.now - *e.country_since <= *c.window) {
        earliest(out, *e.country_since + *c.window + Duration(1));
      }
      break;
    case Condition::Kind::roaming:
      if (e.roaming) for_d(e.roaming_since);
      break;
    case Condition::Kind::no_service: for_d(e.no_service_since); break;
    default: break;
  }
}

}  // namespace evaluate_detail

std::optional<TimePoint> next_change(const CompiledPolicy& policy, const Evidence& e) {
  std::optional<TimePoint> out;
  for (const auto& r : policy.rules()) evaluate_detail::term_change(r.when, e, out);
  return out;
}

std::string Firing::reason() const {
  std::string out = "policy " + (origin.empty() ? policy : origin) + ", rule " + rule + ":";
  for (std::size_t i = 0; i < evidence.size(); ++i) {
    out += i == 0 ? " " : "; ";
    out += evidence[i].term + " [" + evidence[i].detail + "]";
  }
  out += " -> " + action.text;
  return out;
}

}  // namespace esimo::policy
