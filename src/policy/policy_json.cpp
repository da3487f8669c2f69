// Canonical JSON of a policy document (Boost.JSON): fixed key order, expressions as written.
#include <boost/json.hpp>
#include <cmath>

#include "policy/policy.hpp"

namespace esimo::policy {

namespace policy_json_detail {

boost::json::array carrier_array(const std::vector<CarrierRef>& refs) {
  boost::json::array a;
  for (const auto& r : refs) a.emplace_back(r.text);
  return a;
}

// Whole numbers as integers ("6", not "6E0").
boost::json::value number_value(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return boost::json::value(static_cast<std::int64_t>(v));
  return boost::json::value(v);
}

}  // namespace policy_json_detail

std::string to_json(const Policy& p) {
  namespace json = boost::json;
  json::object o;
  o["name"] = p.name;
  if (!p.description.empty()) o["description"] = p.description;
  json::object scope;
  switch (p.scope.kind) {
    case ScopeKind::fleet: scope["fleet"] = true; break;
    case ScopeKind::group: scope["group"] = p.scope.group; break;
    case ScopeKind::device: scope["device"] = p.scope.device ? p.scope.device->str() : std::string(); break;
  }
  o["scope"] = std::move(scope);
  if (p.carriers.allow || p.carriers.deny || p.carriers.prefer) {
    json::object c;
    if (p.carriers.allow) c["allow"] = policy_json_detail::carrier_array(*p.carriers.allow);
    if (p.carriers.deny) c["deny"] = policy_json_detail::carrier_array(*p.carriers.deny);
    if (p.carriers.prefer) c["prefer"] = policy_json_detail::carrier_array(*p.carriers.prefer);
    o["carriers"] = std::move(c);
  }
  if (p.objective) o["objective"] = std::string(to_string(*p.objective));
  if (p.rules) {
    json::array rules;
    for (const Rule& r : *p.rules) {
      json::object jr;
      if (r.named) jr["name"] = r.name;
      if (!r.when_text.empty()) jr["when"] = r.when_text;
      if (!r.do_text.empty()) jr["do"] = r.do_text;
      if (!r.enabled) jr["enabled"] = false;
      rules.emplace_back(std::move(jr));
    }
    o["rules"] = std::move(rules);
  }
  const Guards& g = p.guards;
  json::object jg;
  if (g.min_dwell) jg["min_dwell"] = format_duration(*g.min_dwell);
  if (g.cooldown) jg["cooldown"] = format_duration(*g.cooldown);
  if (g.max_switches_per_day) jg["max_switches_per_day"] = *g.max_switches_per_day;
  json::object h;
  if (g.hysteresis.rsrp_db) h["rsrp_db"] = policy_json_detail::number_value(*g.hysteresis.rsrp_db);
  if (g.hysteresis.rsrq_db) h["rsrq_db"] = policy_json_detail::number_value(*g.hysteresis.rsrq_db);
  if (g.hysteresis.sinr_db) h["sinr_db"] = policy_json_detail::number_value(*g.hysteresis.sinr_db);
  if (g.hysteresis.latency_ms) h["latency_ms"] = policy_json_detail::number_value(*g.hysteresis.latency_ms);
  if (!h.empty()) jg["hysteresis"] = std::move(h);
  if (g.quiet_hours) jg["quiet_hours"] = g.quiet_hours->text;
  if (g.rollback) jg["rollback"] = *g.rollback;
  if (!jg.empty()) o["guards"] = std::move(jg);
  return json::serialize(o);
}

}  // namespace esimo::policy
