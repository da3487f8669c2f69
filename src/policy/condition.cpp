// Lexer and recursive-descent parser of the condition language and of rule actions (grammar in docs/policies.md).
#include "policy/condition.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace esimo::policy {

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool CarrierRef::matches(std::string_view carrier_id, const std::optional<domain::Plmn>& serving_plmn) const {
  if (plmn && serving_plmn && *plmn == *serving_plmn) return true;
  if (!carrier_ids.empty()) {
    for (const auto& id : carrier_ids) {
      if (id == carrier_id) return true;
    }
    return false;
  }
  return !plmn && iequals_ascii(text, carrier_id);
}

std::string_view to_string(Metric m) {
  switch (m) {
    case Metric::rsrp: return "signal.rsrp";
    case Metric::rsrq: return "signal.rsrq";
    case Metric::sinr: return "signal.sinr";
    case Metric::latency_p50: return "latency.p50";
    case Metric::latency_p95: return "latency.p95";
    case Metric::latency_p99: return "latency.p99";
    case Metric::savings_monthly: return "savings.monthly";
  }
  return "?";
}

std::string_view unit_of(Metric m) {
  switch (m) {
    case Metric::rsrp: return "dBm";
    case Metric::rsrq:
    case Metric::sinr: return "dB";
    case Metric::latency_p50:
    case Metric::latency_p95:
    case Metric::latency_p99: return "ms";
    case Metric::savings_monthly: return "";
  }
  return "";
}

bool is_signal(Metric m) { return m == Metric::rsrp || m == Metric::rsrq || m == Metric::sinr; }
bool is_latency(Metric m) { return m == Metric::latency_p50 || m == Metric::latency_p95 || m == Metric::latency_p99; }

std::string_view to_string(CmpOp op) {
  switch (op) {
    case CmpOp::lt: return "<";
    case CmpOp::le: return "<=";
    case CmpOp::gt: return ">";
    case CmpOp::ge: return ">=";
    case CmpOp::eq: return "==";
    case CmpOp::ne: return "!=";
  }
  return "?";
}

bool compare(double lhs, CmpOp op, double rhs) {
  switch (op) {
    case CmpOp::lt: return lhs < rhs;
    case CmpOp::le: return lhs <= rhs;
    case CmpOp::gt: return lhs > rhs;
    case CmpOp::ge: return lhs >= rhs;
    case CmpOp::eq: return lhs == rhs;
    case CmpOp::ne: return lhs != rhs;
  }
  return false;
}

std::string_view to_string(ActionKind k) {
  switch (k) {
    case ActionKind::switch_best: return "switch_best";
    case ActionKind::switch_to: return "switch_to";
    case ActionKind::download_local: return "download_local";
    case ActionKind::set_fallback_best: return "set_fallback_best";
    case ActionKind::set_fallback_to: return "set_fallback_to";
    case ActionKind::alert: return "alert";
  }
  return "?";
}

bool is_switch(ActionKind k) {
  return k == ActionKind::switch_best || k == ActionKind::switch_to || k == ActionKind::download_local;
}

namespace condition_detail {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMaxDurationSeconds = 366LL * 86400;

// Seconds per unit letter, 0 when not a unit.
std::int64_t duration_unit_seconds(std::string_view u) {
  if (u == "d") return 86400;
  if (u == "h") return 3600;
  if (u == "m") return 60;
  if (u == "s") return 1;
  return 0;
}

}  // namespace condition_detail

std::optional<Duration> parse_duration(std::string_view text) {
  using condition_detail::duration_unit_seconds;
  using condition_detail::kMaxDurationSeconds;
  using condition_detail::kSecond;
  std::size_t i = 0;
  std::int64_t total = 0;
  std::int64_t last_unit = 0;
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    std::size_t ds = i;
    std::int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > kMaxDurationSeconds) return std::nullopt;
      ++i;
    }
    if (i == ds || i >= text.size()) return std::nullopt;
    std::int64_t unit = duration_unit_seconds(text.substr(i, 1));
    if (unit == 0 || (last_unit != 0 && unit >= last_unit)) return std::nullopt;
    last_unit = unit;
    ++i;
    total += n * unit;
    if (total > kMaxDurationSeconds) return std::nullopt;
  }
  if (total <= 0) return std::nullopt;
  return Duration(total * kSecond);
}

std::string format_duration(Duration d) {
  std::int64_t s = d.count() / condition_detail::kSecond;
  if (s <= 0) return "0s";
  std::string out;
  const std::pair<std::int64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [secs, letter] : units) {
    if (s >= secs) {
      out += std::to_string(s / secs);
      out += letter;
      s %= secs;
    }
  }
  return out;
}

namespace condition_detail {

enum class Tok : std::uint8_t { end, ident, number, string, lparen, rparen, lbracket, rbracket, comma, op };

struct Token {
  Tok kind = Tok::end;
  std::size_t begin = 0;  // 0-based offsets in the text
  std::size_t end = 0;
  std::string text;       // ident / number / op text; decoded string value
  bool glued = false;     // no blank between this token and the previous one
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  bool run(std::vector<Token>& out, ExprError& err) {
    bool prev_number = false;
    while (true) {
      std::size_t before = i_;
      while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
      bool glued = i_ == before;
      Token t;
      t.begin = i_;
      t.glued = glued;
      if (i_ >= s_.size()) {
        t.kind = Tok::end;
        t.end = i_;
        out.push_back(t);
        return true;
      }
      char c = s_[i_];
      auto alpha = [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) != 0 || ch == '_'; };
      auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
      if (prev_number && glued && alpha(c)) {
        // "10m", "400ms", "1h30m": a unit glued to its number takes letters only.
        t.kind = Tok::ident;
        while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
      } else if (alpha(c)) {
        t.kind = Tok::ident;
        while (i_ < s_.size() && (alpha(s_[i_]) || digit(s_[i_]) || s_[i_] == '.')) ++i_;
      } else if (digit(c) || ((c == '-' || c == '+') && i_ + 1 < s_.size() && digit(s_[i_ + 1]))) {
        t.kind = Tok::number;
        ++i_;
        while (i_ < s_.size() && digit(s_[i_])) ++i_;
        if (i_ + 1 < s_.size() && s_[i_] == '.' && digit(s_[i_ + 1])) {
          ++i_;
          while (i_ < s_.size() && digit(s_[i_])) ++i_;
        }
      } else if (c == '"') {
        t.kind = Tok::string;
        ++i_;
        while (true) {
          if (i_ >= s_.size()) {
            err = {static_cast<std::uint32_t>(t.begin + 1), "unterminated string"};
            return false;
          }
          if (s_[i_] == '"') {
            ++i_;
            break;
          }
          if (s_[i_] == '\\' && i_ + 1 < s_.size() && (s_[i_ + 1] == '"' || s_[i_ + 1] == '\\')) ++i_;
          t.text += s_[i_++];
        }
        t.end = i_;
        out.push_back(std::move(t));
        prev_number = false;
        continue;
      } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') {
        t.kind = c == '(' ? Tok::lparen : c == ')' ? Tok::rparen : c == '[' ? Tok::lbracket
                 : c == ']' ? Tok::rbracket : Tok::comma;
        ++i_;
      } else if (c == '<' || c == '>' || c == '=' || c == '!') {
        t.kind = Tok::op;
        ++i_;
        if (i_ < s_.size() && s_[i_] == '=') ++i_;
        std::string_view op = s_.substr(t.begin, i_ - t.begin);
        if (op == "=" || op == "!") {
          err = {static_cast<std::uint32_t>(t.begin + 1),
                 op == "=" ? "'=' is not an operator (use '==')" : "'!' is not an operator (use 'not' or '!=')"};
          return false;
        }
      } else {
        err = {static_cast<std::uint32_t>(i_ + 1), std::string("unexpected character '") +
                                                       (c >= 0x20 && c < 0x7f ? std::string(1, c) : "?") + "'"};
        return false;
      }
      t.end = i_;
      if (t.kind != Tok::string) t.text = std::string(s_.substr(t.begin, t.end - t.begin));
      prev_number = t.kind == Tok::number;
      out.push_back(std::move(t));
    }
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

constexpr int kMaxNesting = 32;

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> toks, ExprError& err)
      : s_(text), t_(std::move(toks)), err_(err) {}

  bool condition(Condition& out) {
    if (peek().kind == Tok::end) return fail(peek(), "empty condition");
    if (!or_expr(out, 0)) return false;
    if (peek().kind != Tok::end) {
      const Token& t = peek();
      if (t.kind == Tok::rparen) return fail(t, "unbalanced ')'");
      return fail(t, "expected 'and', 'or' or the end of the condition, found " + describe(t));
    }
    return true;
  }

  bool action(Action& out) {
    if (peek().kind == Tok::end) return fail(peek(), "empty action");
    const Token& first = peek();
    if (is_word(first, "switch")) {
      next();
      if (is_word(peek(), "best")) {
        next();
        out.kind = ActionKind::switch_best;
      } else if (is_word(peek(), "to")) {
        next();
        if (!expect_word("carrier")) return false;
        out.kind = ActionKind::switch_to;
        if (!carrier_name(out.carrier)) return false;
      } else {
        return fail(peek(), "expected 'best' or 'to carrier \"<name>\"' after 'switch', found " + describe(peek()));
      }
    } else if (is_word(first, "download")) {
      next();
      if (!expect_word("local") || !expect_word("profile")) return false;
      out.kind = ActionKind::download_local;
    } else if (is_word(first, "set")) {
      next();
      if (!expect_word("fallback")) return false;
      if (is_word(peek(), "best")) {
        next();
        out.kind = ActionKind::set_fallback_best;
      } else if (is_word(peek(), "to")) {
        next();
        if (!expect_word("carrier")) return false;
        out.kind = ActionKind::set_fallback_to;
        if (!carrier_name(out.carrier)) return false;
      } else {
        return fail(peek(),
                    "expected 'best' or 'to carrier \"<name>\"' after 'set fallback', found " + describe(peek()));
      }
    } else if (is_word(first, "alert")) {
      next();
      if (peek().kind != Tok::string) return fail(peek(), "expected the alert text in double quotes");
      out.kind = ActionKind::alert;
      out.message = next().text;
      if (out.message.empty()) return fail(t_[pos_ - 1], "the alert text is empty");
    } else {
      return fail(first, "unknown action " + describe(first) +
                             " (expected switch best, switch to carrier \"<name>\", download local profile, "
                             "set fallback best, set fallback to carrier \"<name>\" or alert \"<text>\")");
    }
    if (peek().kind != Tok::end) return fail(peek(), "unexpected " + describe(peek()) + " after the action");
    out.text = std::string(s_);
    return true;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    std::size_t k = pos_ + ahead;
    return k < t_.size() ? t_[k] : t_.back();
  }
  const Token& next() {
    const Token& t = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return t;
  }
  static bool is_word(const Token& t, std::string_view w) { return t.kind == Tok::ident && t.text == w; }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::end: return "the end of the text";
      case Tok::string: return "\"" + t.text + "\"";
      default: return "'" + t.text + "'";
    }
  }
  bool fail(const Token& t, std::string message) {
    err_ = {static_cast<std::uint32_t>(t.begin + 1), std::move(message)};
    return false;
  }
  bool expect_word(std::string_view w) {
    if (!is_word(peek(), w)) return fail(peek(), "expected '" + std::string(w) + "', found " + describe(peek()));
    next();
    return true;
  }
  bool carrier_name(CarrierRef& ref) {
    if (peek().kind != Tok::string) return fail(peek(), "expected a carrier name, id or PLMN in double quotes");
    const Token& t = next();
    if (t.text.empty()) return fail(t, "empty carrier name");
    ref.text = t.text;
    if (!t.text.empty() && t.text[0] >= '0' && t.text[0] <= '9') {
      auto p = domain::Plmn::parse(t.text);
      if (!p.ok()) return fail(t, "invalid PLMN \"" + t.text + "\" (expected MCC-MNC, e.g. \"208-01\")");
      ref.plmn = *p;
    }
    ref.position = static_cast<std::uint32_t>(t.begin + 1);
    return true;
  }
  void finish(Condition& c, std::size_t begin) {
    c.position = static_cast<std::uint32_t>(begin + 1);
    std::size_t end = t_[pos_ > 0 ? pos_ - 1 : 0].end;
    c.text = std::string(s_.substr(begin, end > begin ? end - begin : 0));
  }

  bool or_expr(Condition& out, int depth) {
    return chain(out, depth, "or", Condition::Kind::any_of, &Parser::and_expr);
  }
  bool and_expr(Condition& out, int depth) { return chain(out, depth, "and", Condition::Kind::all_of, &Parser::unary); }

  // operand { word operand }: one node of `kind` when the word occurs, else the operand itself.
  bool chain(Condition& out, int depth, std::string_view word, Condition::Kind kind,
             bool (Parser::*operand)(Condition&, int)) {
    std::size_t begin = peek().begin;
    Condition first;
    if (!(this->*operand)(first, depth)) return false;
    if (!is_word(peek(), word)) {
      out = std::move(first);
      return true;
    }
    out = Condition{};
    out.kind = kind;
    out.children.push_back(std::move(first));
    while (is_word(peek(), word)) {
      next();
      Condition c;
      if (!(this->*operand)(c, depth)) return false;
      out.children.push_back(std::move(c));
    }
    finish(out, begin);
    return true;
  }

  bool unary(Condition& out, int depth) {
    if (depth > kMaxNesting) return fail(peek(), "condition nested more than 32 levels deep");
    std::size_t begin = peek().begin;
    if (is_word(peek(), "not")) {
      next();
      Condition c;
      if (!unary(c, depth + 1)) return false;
      out = Condition{};
      out.kind = Condition::Kind::negation;
      out.children.push_back(std::move(c));
      finish(out, begin);
      return true;
    }
    if (peek().kind == Tok::lparen) {
      const Token& open = next();
      if (!or_expr(out, depth + 1)) return false;
      if (peek().kind != Tok::rparen) {
        if (peek().kind == Tok::end) return fail(open, "unbalanced '(' (no matching ')')");
        return fail(peek(), "expected ')', found " + describe(peek()));
      }
      next();
      return true;
    }
    return term(out);
  }

  bool cmp_op(CmpOp& op) {
    const Token& t = peek();
    if (t.kind != Tok::op) return fail(t, "expected a comparison (<, <=, >, >=, ==, !=), found " + describe(t));
    if (t.text == "<") op = CmpOp::lt;
    else if (t.text == "<=") op = CmpOp::le;
    else if (t.text == ">") op = CmpOp::gt;
    else if (t.text == ">=") op = CmpOp::ge;
    else if (t.text == "==") op = CmpOp::eq;
    else op = CmpOp::ne;
    next();
    return true;
  }

  // <integer><unit> [<integer><unit> ...] with units d/h/m/s (glued or not: "10m", "10 m", "1h 30m").
  bool duration(std::optional<Duration>& out) {
    const Token& first = peek();
    if (first.kind != Tok::number) {
      return fail(first, "expected a duration such as 10m, 15m, 1h or 7d, found " + describe(first));
    }
    std::string text;
    while (peek().kind == Tok::number) {
      const Token& n = next();
      if (n.text.find_first_of(".-+") != std::string::npos) return fail(n, "a duration is a whole number with a unit");
      const Token& u = peek();
      if (u.kind != Tok::ident || duration_unit_seconds(u.text) == 0) {
        return fail(u, "expected a duration unit (s, m, h or d) after " + n.text + ", found " + describe(u));
      }
      next();
      text += n.text + u.text;
    }
    out = parse_duration(text);
    if (!out) return fail(first, "invalid duration " + text + " (units d, h, m, s in decreasing order, 1s to 366d)");
    return true;
  }

  bool optional_window(Condition& c, std::string_view keyword) {
    if (!is_word(peek(), keyword)) return true;
    next();
    return duration(c.window);
  }

  bool metric_term(Condition& c, Metric m) {
    c.kind = Condition::Kind::metric;
    c.metric = m;
    if (!cmp_op(c.op)) return false;
    const Token& num = peek();
    if (num.kind != Tok::number) return fail(num, "expected a number after " + std::string(to_string(c.op)) +
                                                      ", found " + describe(num));
    next();
    const Token& unit = peek();
    if (m == Metric::savings_monthly) {
      if (unit.kind != Tok::ident) {
        return fail(unit, "expected a currency code after the amount (e.g. 2.00 EUR), found " + describe(unit));
      }
      auto cur = domain::Currency::parse(unit.text);
      if (!cur.ok()) {
        return fail(unit, "unit '" + unit.text + "' does not fit savings.monthly (expected an ISO 4217 currency code)");
      }
      auto money = domain::Money::parse(num.text, unit.text);
      if (!money.ok()) return fail(num, "invalid amount " + num.text + " (at most 6 decimals)");
      c.money = *money;
      c.threshold = static_cast<double>(money->micros) / 1e6;
      next();
    } else {
      if (unit.kind != Tok::ident) {
        return fail(unit, "expected the unit " + std::string(unit_of(m)) + " after " + num.text + ", found " +
                              describe(unit));
      }
      double v = std::strtod(num.text.c_str(), nullptr);
      std::string expected(unit_of(m));
      if (is_latency(m) && unit.text == "s") {
        v *= 1000;
      } else if (unit.text != expected) {
        return fail(unit, "unit '" + unit.text + "' does not fit " + std::string(to_string(m)) + " (expected " +
                              expected + (is_latency(m) ? " or s" : "") + ")");
      }
      // Reporting ranges: 3GPP TS 36.133 §9.1.4 (RSRP -156..-31 dBm), §9.1.7 (RSRQ -43..20 dB); SINR -23..40 dB.
      double lo = 0, hi = 0;
      switch (m) {
        case Metric::rsrp: lo = -156; hi = -31; break;
        case Metric::rsrq: lo = -43; hi = 20; break;
        case Metric::sinr: lo = -23; hi = 40; break;
        default: lo = 0; hi = 3'600'000; break;
      }
      if (v < lo || v > hi) {
        return fail(num, std::string(to_string(m)) + " threshold " + num.text + " " + unit.text + " is out of range (" +
                             std::to_string(static_cast<int>(lo)) + " to " + std::to_string(static_cast<int>(hi)) +
                             " " + expected + ")");
      }
      c.threshold = v;
      next();
    }
    return optional_window(c, "for");
  }

  bool country_code(Condition& c) {
    const Token& t = peek();
    if (t.kind != Tok::ident && t.kind != Tok::string) {
      return fail(t, "expected an ISO 3166-1 alpha-2 country code, found " + describe(t));
    }
    auto cc = domain::CountryCode::parse(t.text);
    if (!cc.ok()) return fail(t, "unknown country code '" + t.text + "' (ISO 3166-1 alpha-2)");
    c.countries.push_back(*cc);
    next();
    return true;
  }

  bool carrier_item(Condition& c) {
    CarrierRef ref;
    if (!carrier_name(ref)) return false;
    c.carriers.push_back(std::move(ref));
    return true;
  }

  // "[" item { "," item } "]"
  bool bracket_list(Condition& c, bool (Parser::*item)(Condition&), std::string_view what) {
    const Token& open = peek();
    if (open.kind != Tok::lbracket) {
      return fail(open, "expected '[' and a list of " + std::string(what) + ", found " + describe(open));
    }
    next();
    while (true) {
      if (!(this->*item)(c)) return false;
      if (peek().kind == Tok::comma) {
        next();
        continue;
      }
      if (peek().kind == Tok::rbracket) {
        next();
        return true;
      }
      return fail(peek(), "expected ',' or ']' in the list, found " + describe(peek()));
    }
  }

  // "in" / "not in" / "==" / "!="; sets c.negated; returns which form via list.
  bool membership(Condition& c, bool& list, std::string_view subject) {
    const Token& t = peek();
    if (is_word(t, "in")) {
      next();
      list = true;
      return true;
    }
    if (is_word(t, "not") && is_word(peek(1), "in")) {
      next();
      next();
      c.negated = true;
      list = true;
      return true;
    }
    if (t.kind == Tok::op && (t.text == "==" || t.text == "!=")) {
      c.negated = t.text == "!=";
      next();
      list = false;
      return true;
    }
    return fail(t, "expected 'in', 'not in', '==' or '!=' after '" + std::string(subject) + "', found " + describe(t));
  }

  bool term(Condition& out) {
    std::size_t begin = peek().begin;
    const Token& t = peek();
    out = Condition{};
    if (t.kind != Tok::ident) {
      return fail(t, "expected a condition (signal.*, latency.*, savings.monthly, country, roaming, no_service, "
                     "carrier, carrier.status, outage detected or '('), found " + describe(t));
    }
    std::string w = t.text;
    next();
    bool ok = true;
    if (w == "signal.rsrp") ok = metric_term(out, Metric::rsrp);
    else if (w == "signal.rsrq") ok = metric_term(out, Metric::rsrq);
    else if (w == "signal.sinr") ok = metric_term(out, Metric::sinr);
    else if (w == "latency.p50") ok = metric_term(out, Metric::latency_p50);
    else if (w == "latency.p95") ok = metric_term(out, Metric::latency_p95);
    else if (w == "latency.p99") ok = metric_term(out, Metric::latency_p99);
    else if (w == "savings.monthly") ok = metric_term(out, Metric::savings_monthly);
    else if (w == "country") {
      if (is_word(peek(), "changed")) {
        next();
        out.kind = Condition::Kind::country_changed;
        ok = optional_window(out, "within");
      } else {
        out.kind = Condition::Kind::country_in;
        bool list = false;
        ok = membership(out, list, "country");
        if (ok) ok = list ? bracket_list(out, &Parser::country_code, "country codes") : country_code(out);
      }
    } else if (w == "roaming") {
      out.kind = Condition::Kind::roaming;
      ok = optional_window(out, "for");
    } else if (w == "no_service") {
      out.kind = Condition::Kind::no_service;
      ok = optional_window(out, "for");
    } else if (w == "carrier.status") {
      out.kind = Condition::Kind::carrier_status;
      const Token& op = peek();
      if (op.kind != Tok::op || (op.text != "==" && op.text != "!=")) {
        return fail(op, "expected '==' or '!=' after carrier.status, found " + describe(op));
      }
      out.negated = op.text == "!=";
      next();
      const Token& st = peek();
      auto status = domain::parse_carrier_status(st.kind == Tok::ident ? std::string_view(st.text) : "");
      if (!status.ok()) return fail(st, "expected up, degraded or down, found " + describe(st));
      out.status = *status;
      next();
    } else if (w == "outage") {
      out.kind = Condition::Kind::outage;
      if (!is_word(peek(), "detected"))
        return fail(peek(), "expected 'detected' after 'outage', found " + describe(peek()));
      next();
    } else if (w == "carrier") {
      out.kind = Condition::Kind::carrier_is;
      bool list = false;
      ok = membership(out, list, "carrier");
      if (ok) ok = list ? bracket_list(out, &Parser::carrier_item, "carriers") : carrier_item(out);
    } else if (w == "signal" || w == "latency" || w == "savings" || w.rfind("signal.", 0) == 0 ||
               w.rfind("latency.", 0) == 0 || w.rfind("savings.", 0) == 0) {
      return fail(t_[pos_ - 1], "unknown metric '" + w +
                                    "' (expected signal.rsrp, signal.rsrq, signal.sinr, latency.p50, latency.p95, "
                                    "latency.p99 or savings.monthly)");
    } else {
      return fail(t_[pos_ - 1], "unknown condition '" + w +
                                    "' (expected signal.*, latency.*, savings.monthly, country, roaming, no_service, "
                                    "carrier, carrier.status or outage detected)");
    }
    if (!ok) return false;
    finish(out, begin);
    return true;
  }

  std::string_view s_;
  std::vector<Token> t_;
  ExprError& err_;
  std::size_t pos_ = 0;
};

}  // namespace condition_detail

bool parse_condition(std::string_view text, Condition& out, ExprError& error) {
  std::vector<condition_detail::Token> toks;
  condition_detail::Lexer lex(text);
  if (!lex.run(toks, error)) return false;
  condition_detail::Parser p(text, std::move(toks), error);
  out = Condition{};
  return p.condition(out);
}

bool parse_action(std::string_view text, Action& out, ExprError& error) {
  std::vector<condition_detail::Token> toks;
  condition_detail::Lexer lex(text);
  if (!lex.run(toks, error)) return false;
  condition_detail::Parser p(text, std::move(toks), error);
  out = Action{};
  return p.action(out);
}

}  // namespace esimo::policy
