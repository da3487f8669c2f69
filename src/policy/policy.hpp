#pragma once
// Policy documents: the parsed and validated form, the parser (JSON canonical, YAML subset), the diagnostics that name
// the JSON path, the line and column and the position inside an expression, inheritance (fleet <- group <- device)
// and the canonical JSON form. Pure: no I/O, no clock. Reference: docs/policies.md.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"
#include "policy/condition.hpp"
#include "policy/document_tree.hpp"

namespace esimo::policy {

enum class ScopeKind : std::uint8_t { fleet, group, device };
std::string_view to_string(ScopeKind k);

struct Scope {
  ScopeKind kind = ScopeKind::fleet;
  std::string group;                 // kind == group
  std::optional<domain::Eid> device; // kind == device
};

enum class Objective : std::uint8_t { cost, signal, latency };
std::string_view to_string(Objective o);

// Each list is "set" when the document names it (even empty): inheritance needs to tell "not said" from "none".
struct CarrierLists {
  std::optional<std::vector<CarrierRef>> allow;   // when set and non-empty: only these carriers are eligible
  std::optional<std::vector<CarrierRef>> deny;    // never eligible
  std::optional<std::vector<CarrierRef>> prefer;  // preference order, best first
};

struct Hysteresis {
  std::optional<double> rsrp_db;     // a candidate must beat the current RSRP by this much
  std::optional<double> rsrq_db;
  std::optional<double> sinr_db;
  std::optional<double> latency_ms;  // a candidate must be this much faster
};

// "HH:MM-HH:MM" with an optional UTC offset ("+01:00", "-05:30", "UTC"); the window may wrap midnight.
struct QuietHours {
  int start_minute = 0;        // minutes after local midnight
  int end_minute = 0;          // exclusive; end < start wraps midnight
  int utc_offset_minutes = 0;  // local = UTC + offset
  std::string text;            // as written
};
std::optional<QuietHours> parse_quiet_hours(std::string_view text);

struct Guards {
  std::optional<Duration> min_dwell;              // time on the current profile before a switch
  std::optional<Duration> cooldown;               // time between two actions of the engine on a device
  std::optional<unsigned> max_switches_per_day;   // switches in any rolling 24 hours
  Hysteresis hysteresis;
  std::optional<QuietHours> quiet_hours;          // non-urgent switches wait
  std::optional<bool> rollback;                   // return to the previous profile if the new one does not come up
};

struct Rule {
  std::string name;          // given, or "rule-<n>" (1-based index in its document)
  std::string policy;        // the document it comes from (set by the parser; kept by merge)
  bool named = false;        // the name was given: only named rules override inherited ones
  bool enabled = true;       // false: removes an inherited rule of the same name (docs/policies.md, Inheritance)
  bool urgent = false;       // its condition reads outage, carrier.status or no_service: quiet hours do not hold it
  std::string when_text;
  Condition when;
  std::string do_text;
  Action action;
};

struct Policy {
  std::string name;
  std::string description;
  Scope scope;
  CarrierLists carriers;
  std::optional<Objective> objective;
  std::optional<std::vector<Rule>> rules;
  Guards guards;
};

// What a bad document gets: where and what. path is a JSON path ("rules[2].when", "guards.min_dwell", "" for a
// syntax error of the document as a whole); line/column are 1-based in the document (column counts bytes);
// expression_position is the 1-based position inside a "when"/"do" string (0 when the error is not inside one).
struct Diagnostic {
  std::string path;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::uint32_t expression_position = 0;
  std::string message;

  // "rules[2].when: line 7, column 15, position 12 in the expression: unit 'ms' does not fit signal.rsrp ..."
  std::string to_string() const;
  // Errc::parse_error for document syntax, Errc::invalid_argument otherwise; field = path; message = to_string().
  Error to_error() const;
  bool syntax = false;  // the document itself did not parse
};

enum class Format : std::uint8_t { json, yaml };

struct ParseOptions {
  Format format = Format::json;
  // When given, every carrier reference must resolve (by id, case-insensitive name or PLMN) to at least one of these.
  const std::vector<domain::Carrier>* catalog = nullptr;
};

// Parses and validates one document. On failure returns the first problem; *diagnostic (when not null) gets it in
// structured form.
Result<Policy> parse_policy(std::string_view text, const ParseOptions& options, Diagnostic* diagnostic = nullptr);

// Inheritance: merges documents from the most general to the most specific (fleet, then groups from the root down,
// then the device). Per key the most specific document that sets it wins; carriers.deny is the union of all levels;
// guards merge key by key (hysteresis too); rules: a rule whose name matches an inherited one replaces it in the
// specific level's list, "enabled": false removes it; the effective order is the most specific level's rules first.
// The result's name is the names joined with " <- " (general first); its scope is the most specific one.
Policy merge_policies(std::span<const Policy* const> general_to_specific);

// Canonical JSON of a document (the shape it was parsed from: expression and action texts as written). Parsing the
// output gives the same policy.
std::string to_json(const Policy& policy);

}  // namespace esimo::policy
