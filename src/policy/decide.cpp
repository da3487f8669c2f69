// One device's decision: the fired rule, its guards and its target (evaluate.hpp, docs/policies.md).
#include "policy/evaluate.hpp"

namespace esimo::policy {

namespace decide_detail {

bool needs_target(ActionKind k) {
  return k == ActionKind::switch_best || k == ActionKind::switch_to || k == ActionKind::set_fallback_best ||
         k == ActionKind::set_fallback_to;
}

}  // namespace decide_detail

bool Decision::act() const {
  if (!fired || !guard.allowed) return false;
  return !decide_detail::needs_target(fired->action.kind) || target.has_value();
}

std::string Decision::reason(std::span<const Candidate> candidates) const {
  if (!fired) return "no rule holds";
  std::string out = fired->reason();
  if (!guard.allowed) return out + " (held by " + guard.reason + ")";
  if (target && *target < candidates.size()) {
    out += " => " + candidates[*target].carrier_id + " (" + target_why + ")";
  } else if (!no_target.empty()) {
    out += " (" + no_target + ")";
  }
  return out;
}

Decision decide(const CompiledPolicy& policy, const Evidence& evidence, const Candidate* current,
                std::span<const Candidate> candidates) {
  Decision d;
  d.fired = evaluate(policy, evidence);
  if (!d.fired) return d;
  const Action& action = d.fired->action;
  d.guard = check_guards(policy.policy().guards, action, d.fired->urgent, evidence);
  if (!d.guard.allowed || !decide_detail::needs_target(action.kind)) return d;
  if (action.kind == ActionKind::switch_best || action.kind == ActionKind::set_fallback_best) {
    if (auto choice = choose_best(policy.policy(), current, candidates)) {
      d.target = choice->index;
      d.target_why = std::move(choice->why);
    } else {
      d.no_target = "no eligible carrier";
    }
    return d;
  }
  // switch to / set fallback to a named carrier: its first eligible candidate other than the current carrier.
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (current != nullptr && c.carrier_id == current->carrier_id) continue;
    if (action.carrier.matches(c.carrier_id, c.plmn) && carrier_eligible(policy.policy(), c)) {
      d.target = i;
      d.target_why = "named by the rule";
      return d;
    }
  }
  d.no_target = "no eligible profile of carrier \"" + action.carrier.text + "\"";
  return d;
}

}  // namespace esimo::policy
