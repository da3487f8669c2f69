#pragma once
// The condition language of policy rules ("when") and their actions ("do"): lexer, parser and the parsed forms.
// Grammar, units and semantics: docs/policies.md. Parsing never throws; an error carries the 1-based position inside
// the expression text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"

namespace esimo::policy {

// A carrier named by a policy: its catalog id, its display name or one of its PLMNs ("208-01"). With a catalog the
// reference is resolved to the matching carrier ids; without one it matches a carrier id (case-insensitively) or the
// PLMN.
struct CarrierRef {
  std::string text;                      // as written
  std::vector<std::string> carrier_ids;  // resolved against the catalog (empty when no catalog was given)
  std::optional<domain::Plmn> plmn;      // when the text is a PLMN
  std::uint32_t position = 0;            // 1-based position of its string inside an expression (0 elsewhere)

  bool matches(std::string_view carrier_id, const std::optional<domain::Plmn>& serving_plmn) const;
};

enum class Metric : std::uint8_t { rsrp, rsrq, sinr, latency_p50, latency_p95, latency_p99, savings_monthly };
std::string_view to_string(Metric m);  // "signal.rsrp", "latency.p50", "savings.monthly"
// The unit a metric's thresholds are written in: "dBm", "dB", "ms", or "" for money (a currency code).
std::string_view unit_of(Metric m);
bool is_signal(Metric m);
bool is_latency(Metric m);

enum class CmpOp : std::uint8_t { lt, le, gt, ge, eq, ne };
std::string_view to_string(CmpOp op);
bool compare(double lhs, CmpOp op, double rhs);

// One node of a parsed condition. Composite nodes (all_of, any_of, negation) hold children; the others are terms.
struct Condition {
  enum class Kind : std::uint8_t {
    all_of,           // a and b and ...
    any_of,           // a or b or ...
    negation,         // not a
    metric,           // signal.rsrp < -115 dBm [for 10m]; latency.p95 > 400 ms; savings.monthly > 2.00 EUR for 7d
    country_changed,  // country changed [within 1h]
    country_in,       // country in [BR, TR] / country not in [...] / country == BR / country != BR
    roaming,          // roaming [for 60d]
    no_service,       // no_service [for 5m]
    carrier_status,   // carrier.status == down / != up
    outage,           // outage detected
    carrier_is,       // carrier == "orange-fr" / carrier in ["a", "b"] / carrier != ... / carrier not in [...]
  };
  Kind kind = Kind::all_of;
  std::uint32_t position = 0;  // 1-based start of this node in the expression
  std::string text;            // this node's source text, for explanations
  std::vector<Condition> children;

  Metric metric = Metric::rsrp;
  CmpOp op = CmpOp::lt;
  double threshold = 0;                 // dBm, dB or ms
  std::optional<domain::Money> money;   // savings threshold
  std::optional<Duration> window;       // "for" / "within" duration
  bool negated = false;                 // country not in / != ; carrier not in / != ; carrier.status !=
  std::vector<domain::CountryCode> countries;
  domain::CarrierStatus status = domain::CarrierStatus::up;
  std::vector<CarrierRef> carriers;
};

enum class ActionKind : std::uint8_t {
  switch_best,        // switch best
  switch_to,          // switch to carrier "<ref>"
  download_local,     // download local profile
  set_fallback_best,  // set fallback best
  set_fallback_to,    // set fallback to carrier "<ref>"
  alert,              // alert "<text>"
};
std::string_view to_string(ActionKind k);  // "switch_best", ...
bool is_switch(ActionKind k);              // changes the enabled profile (switch_best, switch_to, download_local)

struct Action {
  ActionKind kind = ActionKind::alert;
  std::string text;     // as written
  CarrierRef carrier;   // switch_to, set_fallback_to
  std::string message;  // alert
};

struct ExprError {
  std::uint32_t position = 0;  // 1-based position inside the expression (its length + 1 for "at the end")
  std::string message;
};

bool parse_condition(std::string_view text, Condition& out, ExprError& error);
bool parse_action(std::string_view text, Action& out, ExprError& error);

// Durations: one or more <integer><unit> with units d, h, m, s in decreasing order ("90s", "10m", "1h30m", "7d").
// At most 366 days, more than zero.
std::optional<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);  // "1h30m", "7d", "45s"; sub-second parts are dropped

// ASCII case-insensitive equality (carrier ids and names).
bool iequals_ascii(std::string_view a, std::string_view b);

}  // namespace esimo::policy
