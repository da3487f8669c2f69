// Inheritance of policies: fleet <- group(s) <- device (precedence in policy.hpp and docs/policies.md).
#include <algorithm>

#include "policy/policy.hpp"

namespace esimo::policy {

namespace policy_merge_detail {

template <class T>
void override_if_set(std::optional<T>& into, const std::optional<T>& from) {
  if (from) into = from;
}

void merge_guards(Guards& into, const Guards& from) {
  override_if_set(into.min_dwell, from.min_dwell);
  override_if_set(into.cooldown, from.cooldown);
  override_if_set(into.max_switches_per_day, from.max_switches_per_day);
  override_if_set(into.hysteresis.rsrp_db, from.hysteresis.rsrp_db);
  override_if_set(into.hysteresis.rsrq_db, from.hysteresis.rsrq_db);
  override_if_set(into.hysteresis.sinr_db, from.hysteresis.sinr_db);
  override_if_set(into.hysteresis.latency_ms, from.hysteresis.latency_ms);
  override_if_set(into.quiet_hours, from.quiet_hours);
  override_if_set(into.rollback, from.rollback);
}

void merge_rules(std::vector<Rule>& effective, const std::vector<Rule>& level) {
  std::vector<Rule> merged;
  for (const Rule& r : level) {
    if (r.named) {
      effective.erase(std::remove_if(effective.begin(), effective.end(),
                                     [&](const Rule& e) { return e.named && e.name == r.name; }),
                      effective.end());
    }
    if (r.enabled) merged.push_back(r);
  }
  for (Rule& e : effective) merged.push_back(std::move(e));
  effective = std::move(merged);
}

}  // namespace policy_merge_detail

Policy merge_policies(std::span<const Policy* const> general_to_specific) {
  Policy out;
  std::vector<Rule> rules;
  bool any_rules = false;
  for (const Policy* p : general_to_specific) {
    if (p == nullptr) continue;
    out.name = out.name.empty() ? p->name : out.name + " <- " + p->name;
    if (!p->description.empty()) out.description = p->description;
    out.scope = p->scope;
    policy_merge_detail::override_if_set(out.carriers.allow, p->carriers.allow);
    policy_merge_detail::override_if_set(out.carriers.prefer, p->carriers.prefer);
    if (p->carriers.deny) {
      if (!out.carriers.deny) out.carriers.deny.emplace();
      for (const auto& d : *p->carriers.deny) {
        bool dup = std::any_of(out.carriers.deny->begin(), out.carriers.deny->end(),
                               [&](const CarrierRef& e) { return iequals_ascii(e.text, d.text); });
        if (!dup) out.carriers.deny->push_back(d);
      }
    }
    policy_merge_detail::override_if_set(out.objective, p->objective);
    if (p->rules) {
      any_rules = true;
      policy_merge_detail::merge_rules(rules, *p->rules);
    }
    policy_merge_detail::merge_guards(out.guards, p->guards);
  }
  if (any_rules) out.rules = std::move(rules);
  return out;
}

}  // namespace esimo::policy
