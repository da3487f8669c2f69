// libFuzzer target: policy documents (JSON and the YAML subset) and the condition language. The first byte picks the
// reader. Whatever parses must print to canonical JSON that parses to the same canonical JSON, and evaluate without
// fault; whatever fails must say where.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/evaluate.hpp"
#include "policy/policy.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

esimo::policy::Evidence sample_evidence() {
  namespace policy = esimo::policy;
  static const policy::Sample rsrp[] = {{esimo::TimePoint(std::chrono::minutes(0)), -120},
                                        {esimo::TimePoint(std::chrono::minutes(30)), -118}};
  static const policy::Sample latency[] = {{esimo::TimePoint(std::chrono::minutes(0)), 500},
                                           {esimo::TimePoint(std::chrono::minutes(50)), 450}};
  policy::Evidence e;
  e.now = esimo::TimePoint(std::chrono::hours(1));
  e.carrier_id = "fr-orange";
  e.country = *esimo::domain::CountryCode::parse("FR");
  e.previous_country = *esimo::domain::CountryCode::parse("ES");
  e.country_since = esimo::TimePoint(std::chrono::minutes(10));
  e.roaming = true;
  e.roaming_since = esimo::TimePoint(std::chrono::minutes(1));
  e.no_service_since = esimo::TimePoint(std::chrono::minutes(40));
  e.outage = true;
  e.rsrp = rsrp;
  e.sinr = rsrp;
  e.latency_ms = latency;
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace policy = esimo::policy;
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
    case 1: {
      policy::ParseOptions o;
      o.format = data[0] % 3 == 0 ? policy::Format::json : policy::Format::yaml;
      policy::Diagnostic d;
      auto p = policy::parse_policy(text, o, &d);
      if (!p.ok()) {
        check(!d.message.empty() && p.error().field == d.path);
        check(d.syntax || !d.path.empty() || d.line >= 1);
        return 0;
      }
      std::string canonical = policy::to_json(*p);
      auto again = policy::parse_policy(canonical, policy::ParseOptions{}, nullptr);
      check(again.ok() && policy::to_json(*again) == canonical);
      const policy::Policy* chain[] = {&*p, &*again};
      auto compiled = policy::CompiledPolicy::compile(policy::merge_policies(chain));
      auto e = sample_evidence();
      policy::Candidate candidates[3];
      candidates[0].carrier_id = "fr-orange";
      candidates[0].outage = true;
      candidates[1].carrier_id = "a";
      candidates[1].rsrp_dbm = -90;
      candidates[2].carrier_id = "208-01";
      candidates[2].plmn = *esimo::domain::Plmn::parse("208-01");
      auto decision = policy::decide(compiled, e, &candidates[0], candidates);
      check(decision.fired.has_value() == policy::evaluate(compiled, e).has_value());
      check(!decision.target || (*decision.target < 3 && *decision.target != 0));
      check(!decision.reason(candidates).empty());
      return 0;
    }
    default: {
      policy::Condition c;
      policy::ExprError err;
      if (!policy::parse_condition(text, c, err)) {
        check(err.position >= 1 && err.position <= text.size() + 1 && !err.message.empty());
        return 0;
      }
      std::vector<policy::Observation> obs;
      auto e = sample_evidence();
      bool fast = policy::evaluate_condition(c, e, nullptr);
      check(policy::evaluate_condition(c, e, &obs) == fast);
      return 0;
    }
  }
}
