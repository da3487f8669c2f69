// Policy documents: from the positioned document tree to a validated Policy, with diagnostics (docs/policies.md).
#include "policy/policy.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <initializer_list>

namespace esimo::policy {

std::string_view to_string(ScopeKind k) {
  switch (k) {
    case ScopeKind::fleet: return "fleet";
    case ScopeKind::group: return "group";
    case ScopeKind::device: return "device";
  }
  return "?";
}

std::string_view to_string(Objective o) {
  switch (o) {
    case Objective::cost: return "cost";
    case Objective::signal: return "signal";
    case Objective::latency: return "latency";
  }
  return "?";
}

std::string Diagnostic::to_string() const {
  std::string out = path.empty() ? std::string("policy") : path;
  out += ": ";
  if (line != 0) {
    out += "line " + std::to_string(line) + ", column " + std::to_string(column);
    if (expression_position != 0) out += ", position " + std::to_string(expression_position) + " in the expression";
    out += ": ";
  }
  out += message;
  return out;
}

Error Diagnostic::to_error() const {
  return Error(syntax ? Errc::parse_error : Errc::invalid_argument, to_string(), path);
}

std::optional<QuietHours> parse_quiet_hours(std::string_view text) {
  auto hhmm = [](std::string_view s, int& minutes) {
    if (s.size() != 5 || s[2] != ':') return false;
    for (int i : {0, 1, 3, 4}) {
      if (s[static_cast<std::size_t>(i)] < '0' || s[static_cast<std::size_t>(i)] > '9') return false;
    }
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) return false;
    minutes = h * 60 + m;
    return true;
  };
  QuietHours q;
  q.text = std::string(text);
  std::string_view range = text;
  std::string_view zone;
  if (auto sp = text.find(' '); sp != std::string_view::npos) {
    range = text.substr(0, sp);
    zone = text.substr(sp + 1);
    while (!zone.empty() && zone.front() == ' ') zone.remove_prefix(1);
  }
  if (range.size() != 11 || range[5] != '-') return std::nullopt;
  if (!hhmm(range.substr(0, 5), q.start_minute) || !hhmm(range.substr(6, 5), q.end_minute)) return std::nullopt;
  if (q.start_minute == q.end_minute) return std::nullopt;
  if (!zone.empty() && zone != "UTC" && zone != "Z") {
    if (zone.substr(0, 3) == "UTC") zone.remove_prefix(3);
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-')) return std::nullopt;
    int off = 0;
    if (!hhmm(zone.substr(1), off) || off > 14 * 60) return std::nullopt;
    q.utc_offset_minutes = zone[0] == '-' ? -off : off;
  }
  return q;
}

namespace policy_parse_detail {

// Where byte `index` of a string value's decoded text sits in the source: re-scans the raw scalar from its start,
// stepping over quotes and escapes. Falls back to the scalar's start when the text is not found as expected.
SourcePos locate_in_string(std::string_view src, SourcePos start, std::size_t index) {
  std::size_t i = start.offset;
  if (i >= src.size()) return start;
  char quote = 0;
  if (src[i] == '"' || src[i] == '\'') quote = src[i++];
  std::size_t decoded = 0;
  while (decoded < index && i < src.size() && src[i] != '\n') {
    if (quote != 0 && src[i] == quote) {
      if (quote == '\'' && i + 1 < src.size() && src[i + 1] == '\'') {
        i += 2;
        ++decoded;
        continue;
      }
      break;
    }
    if (quote == '"' && src[i] == '\\' && i + 1 < src.size()) {
      if (src[i + 1] == 'u' && i + 6 <= src.size()) {
        unsigned cp = static_cast<unsigned>(std::strtoul(std::string(src.substr(i + 2, 4)).c_str(), nullptr, 16));
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          i += 12;
          decoded += 4;
        } else {
          i += 6;
          decoded += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
        }
        continue;
      }
      i += 2;
      ++decoded;
      continue;
    }
    ++i;
    ++decoded;
  }
  return SourcePos{start.line, static_cast<std::uint32_t>(start.column + (i - start.offset)), i};
}

class Interpreter {
 public:
  Interpreter(std::string_view src, const ParseOptions& opts, Diagnostic& diag) : src_(src), opts_(opts), diag_(diag) {}

  bool policy(const DocNode& root, Policy& out) {
    if (root.kind != DocNode::Kind::object) return fail("", root.pos, "a policy is a JSON object, not " + kn(root));
    if (!known_keys(root, "", {"name", "description", "scope", "carriers", "objective", "rules", "guards"}))
      return false;
    const DocNode* name = root.find("name");
    if (name == nullptr) return fail("name", root.pos, "missing required key \"name\"");
    if (!string_of(*name, "name", out.name)) return false;
    if (out.name.empty() || out.name.size() > 128) return fail("name", name->pos, "name must be 1 to 128 characters");
    for (char c : out.name) {
      if (static_cast<unsigned char>(c) < 0x20) return fail("name", name->pos, "name contains a control character");
    }
    policy_name_ = out.name;
    if (const DocNode* d = root.find("description")) {
      if (!string_of(*d, "description", out.description)) return false;
    }
    const DocNode* scope = root.find("scope");
    if (scope == nullptr)
      return fail(
          "scope", root.pos,
          "missing required key \"scope\" ({\"fleet\": true}, {\"group\": \"...\"} or {\"device\": \"<EID>\"})");
    if (!scope_of(*scope, out.scope)) return false;
    if (const DocNode* c = root.find("carriers")) {
      if (!carriers_of(*c, out.carriers)) return false;
    }
    if (const DocNode* o = root.find("objective")) {
      std::string s;
      if (!string_of(*o, "objective", s)) return false;
      if (s == "cost") out.objective = Objective::cost;
      else if (s == "signal") out.objective = Objective::signal;
      else if (s == "latency") out.objective = Objective::latency;
      else return fail("objective", o->pos, "unknown objective \"" + s + "\" (expected cost, signal or latency)");
    }
    if (const DocNode* r = root.find("rules")) {
      deny_ = out.carriers.deny ? &*out.carriers.deny : nullptr;
      out.rules.emplace();
      if (!rules_of(*r, *out.rules)) return false;
    }
    if (const DocNode* g = root.find("guards")) {
      if (!guards_of(*g, out.guards)) return false;
    }
    return true;
  }

 private:
  static std::string kn(const DocNode& n) { return std::string(kind_name(n.kind)); }

  bool fail(std::string path, SourcePos pos, std::string message, std::uint32_t expr_pos = 0) {
    diag_.path = std::move(path);
    diag_.line = pos.line;
    diag_.column = pos.column;
    diag_.expression_position = expr_pos;
    diag_.message = std::move(message);
    return false;
  }

  bool known_keys(const DocNode& obj, const std::string& path, std::initializer_list<std::string_view> keys) {
    for (std::size_t i = 0; i < obj.keys.size(); ++i) {
      const std::string& k = obj.keys[i];
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      std::string expected;
      for (auto key : keys) expected += (expected.empty() ? "" : ", ") + std::string(key);
      return fail(path.empty() ? k : path + "." + k, obj.key_pos[i],
                  "unknown key \"" + k + "\" (expected " + expected + ")");
    }
    return true;
  }

  bool string_of(const DocNode& n, const std::string& path, std::string& out) {
    if (n.kind != DocNode::Kind::string) return fail(path, n.pos, "expected a string, found " + kn(n));
    out = n.text;
    return true;
  }

  bool scope_of(const DocNode& n, Scope& out) {
    if (n.kind != DocNode::Kind::object || n.keys.size() != 1) {
      return fail("scope", n.pos,
                  "scope is an object with exactly one key: {\"fleet\": true}, {\"group\": \"...\"} or {\"device\": "
                  "\"<EID>\"}");
    }
    if (!known_keys(n, "scope", {"fleet", "group", "device"})) return false;
    const std::string& key = n.keys[0];
    const DocNode& v = n.values[0];
    if (key == "fleet") {
      if (v.kind != DocNode::Kind::boolean || !v.boolean) return fail("scope.fleet", v.pos, "scope.fleet must be true");
      out.kind = ScopeKind::fleet;
    } else if (key == "group") {
      if (!string_of(v, "scope.group", out.group)) return false;
      auto st = domain::validate_group_name(out.group);
      if (!st.ok()) return fail("scope.group", v.pos, st.error().message);
      out.kind = ScopeKind::group;
    } else {
      std::string eid;
      if (!string_of(v, "scope.device", eid)) return false;
      auto e = domain::Eid::parse(eid);
      if (!e.ok()) return fail("scope.device", v.pos, e.error().message);
      out.kind = ScopeKind::device;
      out.device = *e;
    }
    return true;
  }

  // Resolves a reference against the catalog (when one is given). Returns an error message or "".
  std::string resolve(CarrierRef& ref) {
    if (opts_.catalog == nullptr) return "";
    for (const auto& c : *opts_.catalog) {
      bool hit = iequals_ascii(c.id, ref.text) || iequals_ascii(c.name, ref.text);
      if (!hit && ref.plmn) hit = std::find(c.plmns.begin(), c.plmns.end(), *ref.plmn) != c.plmns.end();
      if (hit) ref.carrier_ids.push_back(c.id);
    }
    if (ref.carrier_ids.empty()) {
      return "unknown carrier \"" + ref.text + "\" (no carrier in the catalog has this id, name or PLMN)";
    }
    return "";
  }

  bool carrier_list_of(const DocNode& n, const std::string& path, std::vector<CarrierRef>& out) {
    if (n.kind != DocNode::Kind::array) return fail(path, n.pos, "expected an array of carrier names, found " + kn(n));
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const DocNode& item = n.items[i];
      std::string p = path + "[" + std::to_string(i) + "]";
      CarrierRef ref;
      if (!string_of(item, p, ref.text)) return false;
      if (ref.text.empty()) return fail(p, item.pos, "empty carrier name");
      if (ref.text[0] >= '0' && ref.text[0] <= '9') {
        auto plmn = domain::Plmn::parse(ref.text);
        if (!plmn.ok())
          return fail(p, item.pos, "invalid PLMN \"" + ref.text + "\" (expected MCC-MNC, e.g. \"208-01\")");
        ref.plmn = *plmn;
      }
      if (auto m = resolve(ref); !m.empty()) return fail(p, item.pos, m);
      for (const auto& prev : out) {
        if (iequals_ascii(prev.text, ref.text))
          return fail(p, item.pos, "carrier \"" + ref.text + "\" is listed twice");
      }
      out.push_back(std::move(ref));
    }
    return true;
  }

  bool carriers_of(const DocNode& n, CarrierLists& out) {
    if (n.kind != DocNode::Kind::object) return fail("carriers", n.pos, "expected an object, found " + kn(n));
    if (!known_keys(n, "carriers", {"allow", "deny", "prefer"})) return false;
    for (const char* key : {"allow", "deny", "prefer"}) {
      const DocNode* v = n.find(key);
      if (v == nullptr) continue;
      std::vector<CarrierRef> list;
      if (!carrier_list_of(*v, std::string("carriers.") + key, list)) return false;
      (key[0] == 'a' ? out.allow : key[0] == 'd' ? out.deny : out.prefer) = std::move(list);
    }
    // A denied carrier may be neither allowed nor preferred in the same document.
    if (out.deny) {
      for (const char* key : {"allow", "prefer"}) {
        const auto& list = key[0] == 'a' ? out.allow : out.prefer;
        if (!list) continue;
        const DocNode* arr = n.find(key);
        for (std::size_t i = 0; i < list->size(); ++i) {
          for (const auto& d : *out.deny) {
            if (iequals_ascii(d.text, (*list)[i].text)) {
              return fail(std::string("carriers.") + key + "[" + std::to_string(i) + "]", arr->items[i].pos,
                          "carrier \"" + d.text + "\" is also denied");
            }
          }
        }
      }
    }
    return true;
  }

  static bool valid_rule_name(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    }
    return true;
  }

  static bool reads_urgent(const Condition& c) {
    if (c.kind == Condition::Kind::outage || c.kind == Condition::Kind::carrier_status ||
        c.kind == Condition::Kind::no_service) {
      return true;
    }
    for (const auto& ch : c.children) {
      if (reads_urgent(ch)) return true;
    }
    return false;
  }

  bool resolve_expression_refs(CarrierRef& ref, const std::string& path, const DocNode& n) {
    if (auto m = resolve(ref); !m.empty()) {
      return fail(path, locate_in_string(src_, n.pos, ref.position - 1), m, ref.position);
    }
    return true;
  }

  bool resolve_condition_refs(Condition& c, const std::string& path, const DocNode& n) {
    for (auto& ref : c.carriers) {
      if (!resolve_expression_refs(ref, path, n)) return false;
    }
    for (auto& ch : c.children) {
      if (!resolve_condition_refs(ch, path, n)) return false;
    }
    return true;
  }

  // Denied in this document: the same text, or (with a catalog) a shared carrier id.
  bool denied(const CarrierRef& ref) const {
    if (deny_ == nullptr) return false;
    for (const auto& d : *deny_) {
      if (iequals_ascii(d.text, ref.text)) return true;
      for (const auto& id : ref.carrier_ids) {
        if (std::find(d.carrier_ids.begin(), d.carrier_ids.end(), id) != d.carrier_ids.end()) return true;
      }
    }
    return false;
  }

  bool rules_of(const DocNode& n, std::vector<Rule>& out) {
    if (n.kind != DocNode::Kind::array) return fail("rules", n.pos, "expected an array of rules, found " + kn(n));
    if (n.items.size() > 256) return fail("rules", n.pos, "at most 256 rules per policy");
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const DocNode& r = n.items[i];
      std::string path = "rules[" + std::to_string(i) + "]";
      if (r.kind != DocNode::Kind::object) {
        return fail(path, r.pos, "a rule is an object {\"when\": \"<condition>\", \"do\": \"<action>\"}, not " + kn(r));
      }
      if (!known_keys(r, path, {"name", "when", "do", "enabled"})) return false;
      Rule rule;
      rule.policy = policy_name_;
      if (const DocNode* nm = r.find("name")) {
        if (!string_of(*nm, path + ".name", rule.name)) return false;
        if (!valid_rule_name(rule.name)) {
          return fail(path + ".name", nm->pos, "a rule name is 1 to 64 of A-Z a-z 0-9 . _ -");
        }
        for (const auto& prev : out) {
          if (prev.name == rule.name) return fail(path + ".name", nm->pos, "duplicate rule name \"" + rule.name + "\"");
        }
        rule.named = true;
      } else {
        rule.name = "rule-" + std::to_string(i + 1);
      }
      if (const DocNode* en = r.find("enabled")) {
        if (en->kind != DocNode::Kind::boolean)
          return fail(path + ".enabled", en->pos, "expected true or false, found " + kn(*en));
        rule.enabled = en->boolean;
        if (!rule.enabled && !rule.named) {
          return fail(path + ".enabled", en->pos,
                      "a disabled rule needs a \"name\": it removes the inherited rule of that name");
        }
      }
      const DocNode* when = r.find("when");
      const DocNode* act = r.find("do");
      if (rule.enabled && when == nullptr) return fail(path + ".when", r.pos, "missing required key \"when\"");
      if (rule.enabled && act == nullptr) return fail(path + ".do", r.pos, "missing required key \"do\"");
      if (when != nullptr) {
        if (!string_of(*when, path + ".when", rule.when_text)) return false;
        ExprError e;
        if (!parse_condition(rule.when_text, rule.when, e)) {
          return fail(path + ".when", locate_in_string(src_, when->pos, e.position - 1), e.message, e.position);
        }
        if (!resolve_condition_refs(rule.when, path + ".when", *when)) return false;
        rule.urgent = reads_urgent(rule.when);
      }
      if (act != nullptr) {
        if (!string_of(*act, path + ".do", rule.do_text)) return false;
        ExprError e;
        if (!parse_action(rule.do_text, rule.action, e)) {
          return fail(path + ".do", locate_in_string(src_, act->pos, e.position - 1), e.message, e.position);
        }
        if (rule.action.kind == ActionKind::switch_to || rule.action.kind == ActionKind::set_fallback_to) {
          CarrierRef& ref = rule.action.carrier;
          if (!resolve_expression_refs(ref, path + ".do", *act)) return false;
          if (denied(ref)) {
            return fail(path + ".do", locate_in_string(src_, act->pos, ref.position - 1),
                        "carrier \"" + ref.text + "\" is denied by carriers.deny", ref.position);
          }
        }
      }
      out.push_back(std::move(rule));
    }
    return true;
  }

  bool duration_of(const DocNode& n, const std::string& path, std::optional<Duration>& out) {
    std::string s;
    if (!string_of(n, path, s)) return false;
    out = parse_duration(s);
    if (!out) {
      return fail(path, n.pos, "invalid duration \"" + s + "\" (e.g. \"30m\", \"1h\", \"1h30m\", \"7d\"; 1s to 366d)");
    }
    return true;
  }

  bool number_of(const DocNode& n, const std::string& path, double lo, double hi, std::optional<double>& out) {
    if (n.kind != DocNode::Kind::number) return fail(path, n.pos, "expected a number, found " + kn(n));
    if (n.number < lo || n.number > hi) {
      return fail(path, n.pos, "out of range (" + std::to_string(static_cast<int>(lo)) + " to " +
                                   std::to_string(static_cast<int>(hi)) + ")");
    }
    out = n.number;
    return true;
  }

  bool guards_of(const DocNode& n, Guards& out) {
    if (n.kind != DocNode::Kind::object) return fail("guards", n.pos, "expected an object, found " + kn(n));
    if (!known_keys(n, "guards",
                    {"min_dwell", "cooldown", "max_switches_per_day", "hysteresis", "quiet_hours", "rollback"})) {
      return false;
    }
    if (const DocNode* v = n.find("min_dwell")) {
      if (!duration_of(*v, "guards.min_dwell", out.min_dwell)) return false;
    }
    if (const DocNode* v = n.find("cooldown")) {
      if (!duration_of(*v, "guards.cooldown", out.cooldown)) return false;
    }
    if (const DocNode* v = n.find("max_switches_per_day")) {
      if (v->kind != DocNode::Kind::number || v->number != std::floor(v->number) || v->number < 0 || v->number > 1000) {
        return fail("guards.max_switches_per_day", v->pos, "expected a whole number from 0 to 1000");
      }
      out.max_switches_per_day = static_cast<unsigned>(v->number);
    }
    if (const DocNode* h = n.find("hysteresis")) {
      if (h->kind != DocNode::Kind::object)
        return fail("guards.hysteresis", h->pos, "expected an object, found " + kn(*h));
      if (!known_keys(*h, "guards.hysteresis", {"rsrp_db", "rsrq_db", "sinr_db", "latency_ms"})) return false;
      if (const DocNode* v = h->find("rsrp_db")) {
        if (!number_of(*v, "guards.hysteresis.rsrp_db", 0, 60, out.hysteresis.rsrp_db)) return false;
      }
      if (const DocNode* v = h->find("rsrq_db")) {
        if (!number_of(*v, "guards.hysteresis.rsrq_db", 0, 60, out.hysteresis.rsrq_db)) return false;
      }
      if (const DocNode* v = h->find("sinr_db")) {
        if (!number_of(*v, "guards.hysteresis.sinr_db", 0, 60, out.hysteresis.sinr_db)) return false;
      }
      if (const DocNode* v = h->find("latency_ms")) {
        if (!number_of(*v, "guards.hysteresis.latency_ms", 0, 60000, out.hysteresis.latency_ms)) return false;
      }
    }
    if (const DocNode* v = n.find("quiet_hours")) {
      std::string s;
      if (!string_of(*v, "guards.quiet_hours", s)) return false;
      out.quiet_hours = parse_quiet_hours(s);
      if (!out.quiet_hours) {
        return fail("guards.quiet_hours", v->pos,
                    "invalid quiet hours \"" + s + "\" (expected \"HH:MM-HH:MM\" with an optional UTC offset, e.g. "
                    "\"22:00-06:00 +01:00\")");
      }
    }
    if (const DocNode* v = n.find("rollback")) {
      if (v->kind != DocNode::Kind::boolean)
        return fail("guards.rollback", v->pos, "expected true or false, found " + kn(*v));
      out.rollback = v->boolean;
    }
    return true;
  }

  std::string_view src_;
  const ParseOptions& opts_;
  Diagnostic& diag_;
  std::string policy_name_;
  const std::vector<CarrierRef>* deny_ = nullptr;
};

}  // namespace policy_parse_detail

Result<Policy> parse_policy(std::string_view text, const ParseOptions& options, Diagnostic* diagnostic) {
  Diagnostic local;
  Diagnostic& diag = diagnostic != nullptr ? *diagnostic : local;
  diag = Diagnostic{};
  DocNode root;
  SyntaxError syntax;
  bool read = options.format == Format::json ? read_json_document(text, root, syntax)
                                             : read_yaml_document(text, root, syntax);
  if (!read) {
    diag.syntax = true;
    diag.line = syntax.pos.line;
    diag.column = syntax.pos.column;
    diag.message = std::move(syntax.message);
    return diag.to_error();
  }
  Policy p;
  policy_parse_detail::Interpreter in(text, options, diag);
  if (!in.policy(root, p)) return diag.to_error();
  return p;
}

}  // namespace esimo::policy
