// Guards as pure functions, and the choice of the best eligible carrier (docs/policies.md, Guards and Objective).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "policy/evaluate.hpp"

namespace esimo::policy {

std::string_view to_string(GuardKind g) {
  switch (g) {
    case GuardKind::none: return "none";
    case GuardKind::min_dwell: return "min_dwell";
    case GuardKind::cooldown: return "cooldown";
    case GuardKind::max_switches_per_day: return "max_switches_per_day";
    case GuardKind::quiet_hours: return "quiet_hours";
    case GuardKind::hysteresis: return "hysteresis";
  }
  return "?";
}

namespace guards_detail {

GuardVerdict blocked(GuardKind k, std::optional<TimePoint> retry, std::string reason) {
  GuardVerdict v;
  v.allowed = false;
  v.blocked_by = k;
  v.retry_at = retry;
  v.reason = std::string(to_string(k)) + ": " + std::move(reason);
  return v;
}

GuardVerdict since_guard(GuardKind k, const std::optional<Duration>& min, const std::optional<TimePoint>& last,
                         TimePoint now, std::string_view what) {
  if (!min || !last) return {};
  TimePoint until = *last + *min;
  if (now >= until) return {};
  return blocked(k, until,
                 format_duration(*min) + " after the " + std::string(what) + " at " + format_rfc3339(*last) +
                     " (until " + format_rfc3339(until) + ")");
}

constexpr std::int64_t kMinuteUs = 60'000'000;
constexpr std::int64_t kDayMinutes = 24 * 60;

// Minute of the local day for a UTC time shifted by offset minutes (floor division: times before 1970 work too).
std::int64_t local_minute_of_day(TimePoint now, int offset_minutes) {
  std::int64_t minutes = now.time_since_epoch().count() / kMinuteUs;
  if (now.time_since_epoch().count() < 0 && now.time_since_epoch().count() % kMinuteUs != 0) --minutes;
  minutes += offset_minutes;
  std::int64_t m = minutes % kDayMinutes;
  return m < 0 ? m + kDayMinutes : m;
}

std::string fmt1(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace guards_detail

GuardVerdict check_min_dwell(const Guards& g, const std::optional<TimePoint>& last_switch_at, TimePoint now) {
  return guards_detail::since_guard(GuardKind::min_dwell, g.min_dwell, last_switch_at, now, "last switch");
}

GuardVerdict check_cooldown(const Guards& g, const std::optional<TimePoint>& last_action_at, TimePoint now) {
  return guards_detail::since_guard(GuardKind::cooldown, g.cooldown, last_action_at, now, "last action");
}

GuardVerdict check_max_switches(const Guards& g, unsigned switches_last_24h) {
  if (!g.max_switches_per_day || switches_last_24h < *g.max_switches_per_day) return {};
  return guards_detail::blocked(GuardKind::max_switches_per_day, std::nullopt,
                                std::to_string(switches_last_24h) + " switches in the last 24h (limit " +
                                    std::to_string(*g.max_switches_per_day) + ")");
}

bool in_quiet_hours(const QuietHours& q, TimePoint now) {
  std::int64_t m = guards_detail::local_minute_of_day(now, q.utc_offset_minutes);
  if (q.start_minute < q.end_minute) return m >= q.start_minute && m < q.end_minute;
  return m >= q.start_minute || m < q.end_minute;  // wraps midnight
}

GuardVerdict check_quiet_hours(const Guards& g, TimePoint now) {
  if (!g.quiet_hours || !in_quiet_hours(*g.quiet_hours, now)) return {};
  const QuietHours& q = *g.quiet_hours;
  std::int64_t m = guards_detail::local_minute_of_day(now, q.utc_offset_minutes);
  std::int64_t wait = q.end_minute - m;
  if (wait <= 0) wait += guards_detail::kDayMinutes;
  // Back to the start of the current minute, then forward to the end of the window.
  TimePoint minute_start(Duration(now.time_since_epoch().count() -
                                  ((now.time_since_epoch().count() % guards_detail::kMinuteUs) +
                                   guards_detail::kMinuteUs) % guards_detail::kMinuteUs));
  TimePoint until = minute_start + Duration(wait * guards_detail::kMinuteUs);
  return guards_detail::blocked(GuardKind::quiet_hours, until,
                                "quiet hours " + q.text + " (until " + format_rfc3339(until) + ")");
}

std::optional<TimePoint> next_quiet_hours_change(const QuietHours& q, TimePoint now) {
  // in_quiet_hours reads the local minute of the day only, and changes where it reaches start_minute or end_minute
  // (the offset is whole minutes: local minutes begin where UTC minutes do).
  const bool inside = in_quiet_hours(q, now);
  const std::int64_t m = guards_detail::local_minute_of_day(now, q.utc_offset_minutes);
  const std::int64_t us = now.time_since_epoch().count();
  const TimePoint minute_start(Duration(us - ((us % guards_detail::kMinuteUs) + guards_detail::kMinuteUs) %
                                                 guards_detail::kMinuteUs));
  std::optional<TimePoint> out;
  for (const std::int64_t edge : {static_cast<std::int64_t>(q.start_minute), static_cast<std::int64_t>(q.end_minute)}) {
    std::int64_t wait = ((edge - m) % guards_detail::kDayMinutes + guards_detail::kDayMinutes) % guards_detail::kDayMinutes;
    if (wait == 0) wait = guards_detail::kDayMinutes;
    const TimePoint at = minute_start + Duration(wait * guards_detail::kMinuteUs);
    if (in_quiet_hours(q, at) != inside && (!out || at < *out)) out = at;
  }
  return out;
}

std::optional<TimePoint> next_guard_change(const Guards& g, const Evidence& e) {
  std::optional<TimePoint> out;
  const auto until = [&](const std::optional<Duration>& min, const std::optional<TimePoint>& last) {
    if (min && last && e.now < *last + *min && (!out || *last + *min < *out)) out = *last + *min;
  };
  until(g.cooldown, e.last_action_at);
  until(g.min_dwell, e.last_switch_at);
  if (g.quiet_hours) {
    if (auto q = next_quiet_hours_change(*g.quiet_hours, e.now); q && (!out || *q < *out)) out = q;
  }
  return out;
}

GuardVerdict check_guards(const Guards& g, const Action& action, bool urgent, const Evidence& e) {
  GuardVerdict v = check_cooldown(g, e.last_action_at, e.now);
  if (!v.allowed || !is_switch(action.kind)) return v;
  v = check_max_switches(g, e.switches_last_24h);
  if (!v.allowed) return v;
  if (urgent) return {};
  v = check_min_dwell(g, e.last_switch_at, e.now);
  if (!v.allowed) return v;
  return check_quiet_hours(g, e.now);
}

bool carrier_eligible(const Policy& p, const Candidate& c) {
  if (c.status == domain::CarrierStatus::down || c.outage) return false;
  auto listed = [&](const std::optional<std::vector<CarrierRef>>& list) {
    return list && std::any_of(list->begin(), list->end(),
                               [&](const CarrierRef& r) { return r.matches(c.carrier_id, c.plmn); });
  };
  if (listed(p.carriers.deny)) return false;
  if (p.carriers.allow && !p.carriers.allow->empty() && !listed(p.carriers.allow)) return false;
  return true;
}

GuardVerdict check_hysteresis(const Hysteresis& h, const Candidate& current, const Candidate& candidate) {
  auto higher = [&](const std::optional<double>& margin, const std::optional<double>& cur,
                    const std::optional<double>& cand, std::string_view what) -> std::optional<GuardVerdict> {
    if (!margin || !cur || !cand || *cand >= *cur + *margin) return std::nullopt;
    return guards_detail::blocked(GuardKind::hysteresis, std::nullopt,
                                  std::string(what) + " " + guards_detail::fmt1(*cand) + " dB(m) does not beat " +
                                      guards_detail::fmt1(*cur) + " by " + guards_detail::fmt1(*margin) + " dB");
  };
  if (auto b = higher(h.rsrp_db, current.rsrp_dbm, candidate.rsrp_dbm, "rsrp")) return *b;
  if (auto b = higher(h.rsrq_db, current.rsrq_db, candidate.rsrq_db, "rsrq")) return *b;
  if (auto b = higher(h.sinr_db, current.sinr_db, candidate.sinr_db, "sinr")) return *b;
  if (h.latency_ms && current.latency_ms && candidate.latency_ms &&
      *candidate.latency_ms > *current.latency_ms - *h.latency_ms) {
    return guards_detail::blocked(GuardKind::hysteresis, std::nullopt,
                                  "latency " + guards_detail::fmt1(*candidate.latency_ms) + " ms does not beat " +
                                      guards_detail::fmt1(*current.latency_ms) + " ms by " +
                                      guards_detail::fmt1(*h.latency_ms) + " ms");
  }
  return {};
}

std::optional<Choice> choose_best(const Policy& p, const Candidate* current, std::span<const Candidate> candidates) {
  bool current_healthy = current != nullptr && current->status == domain::CarrierStatus::up && !current->outage;
  auto prefer_rank = [&](const Candidate& c) -> std::size_t {
    if (!p.carriers.prefer) return SIZE_MAX;
    for (std::size_t i = 0; i < p.carriers.prefer->size(); ++i) {
      if ((*p.carriers.prefer)[i].matches(c.carrier_id, c.plmn)) return i;
    }
    return SIZE_MAX;
  };
  // Objective key: smaller is better; unknown values sort last.
  auto objective_key = [&](const Candidate& c) -> std::optional<double> {
    if (!p.objective) return std::nullopt;
    switch (*p.objective) {
      case Objective::cost:
        if (c.monthly_cost) return static_cast<double>(c.monthly_cost->micros);
        return std::nullopt;
      case Objective::signal:
        if (c.rsrp_dbm) return -*c.rsrp_dbm;
        return std::nullopt;
      case Objective::latency: return c.latency_ms;
    }
    return std::nullopt;
  };
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (current != nullptr && c.carrier_id == current->carrier_id) continue;
    if (!carrier_eligible(p, c)) continue;
    if (current_healthy && !check_hysteresis(p.guards.hysteresis, *current, c).allowed) continue;
    if (!best) {
      best = i;
      continue;
    }
    const Candidate& b = candidates[*best];
    std::size_t rc = prefer_rank(c), rb = prefer_rank(b);
    if (rc != rb) {
      if (rc < rb) best = i;
      continue;
    }
    auto kc = objective_key(c), kb = objective_key(b);
    if (kc.has_value() != kb.has_value()) {
      if (kc) best = i;
      continue;
    }
    if (kc && *kc != *kb) {
      if (*kc < *kb) best = i;
      continue;
    }
    if (c.carrier_id < b.carrier_id) best = i;
  }
  if (!best) return std::nullopt;
  const Candidate& c = candidates[*best];
  Choice out;
  out.index = *best;
  std::size_t rank = prefer_rank(c);
  if (rank != SIZE_MAX) {
    out.why = "preferred #" + std::to_string(rank + 1);
  } else if (p.objective) {
    out.why = "objective " + std::string(to_string(*p.objective));
    switch (*p.objective) {
      case Objective::cost:
        if (c.monthly_cost)
          out.why += ": " + c.monthly_cost->amount_str() + " " + c.monthly_cost->currency.str() + "/month";
        break;
      case Objective::signal:
        if (c.rsrp_dbm) out.why += ": rsrp " + guards_detail::fmt1(*c.rsrp_dbm) + " dBm";
        break;
      case Objective::latency:
        if (c.latency_ms) out.why += ": latency " + guards_detail::fmt1(*c.latency_ms) + " ms";
        break;
    }
  } else {
    out.why = "eligible";
  }
  return out;
}

}  // namespace esimo::policy
