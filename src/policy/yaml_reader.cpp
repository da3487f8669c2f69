// The YAML subset reader for policy documents (document_tree.hpp; the subset is specified in docs/policies.md).
// Line oriented: the text is cut into meaningful lines (indentation, content), then block collections are read by
// indentation. Scalars follow the YAML 1.2 core schema (null/~, true/false, integers and floats, else strings).
#include <cstdlib>
#include <string>

#include "policy/document_tree.hpp"

namespace esimo::policy {
namespace yaml_reader_detail {

struct Line {
  std::uint32_t no = 0;       // 1-based line number
  std::size_t line_start = 0; // offset of the line's first byte
  std::size_t start = 0;      // offset of content's first byte
  std::size_t indent = 0;     // columns before content
  std::string_view content;   // without indentation and without a trailing '\r'
};

bool is_space(char c) { return c == ' ' || c == '\t'; }

class YamlReader {
 public:
  YamlReader(std::string_view text, SyntaxError& error) : s_(text), error_(error) {}

  bool document(DocNode& out) {
    if (!split_lines()) return false;
    if (lines_.empty()) return fail_at(SourcePos{1, 1, 0}, "empty document");
    if (!node(out)) return false;
    if (i_ < lines_.size()) return fail_line(lines_[i_], 0, "unexpected content (check the indentation)");
    return true;
  }

 private:
  SourcePos pos_of(const Line& l, std::size_t k) const {
    return SourcePos{l.no, static_cast<std::uint32_t>(l.start + k - l.line_start + 1), l.start + k};
  }
  bool fail_at(SourcePos p, std::string message) {
    error_.pos = p;
    error_.message = std::move(message);
    return false;
  }
  bool fail_line(const Line& l, std::size_t k, std::string message) {
    return fail_at(pos_of(l, k), std::move(message));
  }

  // Comment-only and blank lines are dropped; tabs in indentation, directives and further documents are refused.
  bool split_lines() {
    std::size_t pos = 0;
    std::uint32_t no = 0;
    bool seen_content = false;
    while (pos <= s_.size()) {
      ++no;
      std::size_t end = s_.find('\n', pos);
      if (end == std::string_view::npos) end = s_.size();
      std::string_view raw = s_.substr(pos, end - pos);
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      std::size_t ind = 0;
      while (ind < raw.size() && raw[ind] == ' ') ++ind;
      Line l{no, pos, pos + ind, ind, raw.substr(ind)};
      std::string_view c = l.content;
      while (!c.empty() && is_space(c.back())) c.remove_suffix(1);
      l.content = c;
      if (!c.empty() && c.front() != '#') {
        if (c.front() == '\t') return fail_line(l, 0, "tab in indentation (YAML indents with spaces)");
        if (c.front() == '%') return fail_line(l, 0, "YAML directives are not supported");
        if (c == "---" || c.substr(0, 4) == "--- ") {
          if (seen_content) return fail_line(l, 0, "only one YAML document is supported");
          if (c.size() > 3) return fail_line(l, 4, "content after '---' is not supported");
        } else if (c == "...") {
          // document end marker: only comments and blank lines may follow
          seen_content = true;
          end_marker_ = true;
        } else {
          if (end_marker_) return fail_line(l, 0, "content after the document end marker '...'");
          lines_.push_back(l);
        }
        seen_content = true;
      }
      if (end == s_.size()) break;
      pos = end + 1;
    }
    return true;
  }

  static bool is_seq_item(std::string_view c) { return !c.empty() && c[0] == '-' && (c.size() == 1 || c[1] == ' '); }

  // The index of the ':' ending a mapping key at the start of c, or npos when c is not "key: ...".
  static std::size_t key_colon(std::string_view c) {
    if (c.empty()) return std::string_view::npos;
    std::size_t k = 0;
    if (c[0] == '"' || c[0] == '\'') {
      char q = c[0];
      k = 1;
      while (k < c.size()) {
        if (q == '"' && c[k] == '\\') {
          k += 2;
          continue;
        }
        if (c[k] == q) {
          if (q == '\'' && k + 1 < c.size() && c[k + 1] == '\'') {
            k += 2;
            continue;
          }
          break;
        }
        ++k;
      }
      if (k >= c.size()) return std::string_view::npos;
      ++k;
      while (k < c.size() && c[k] == ' ') ++k;
      if (k < c.size() && c[k] == ':' && (k + 1 == c.size() || c[k + 1] == ' ')) return k;
      return std::string_view::npos;
    }
    if (c[0] == '[' || c[0] == '{' || c[0] == '#') return std::string_view::npos;
    for (k = 0; k < c.size(); ++k) {
      if (c[k] == '#' && k > 0 && is_space(c[k - 1])) return std::string_view::npos;
      if (c[k] == ':' && (k + 1 == c.size() || c[k + 1] == ' ')) return k;
    }
    return std::string_view::npos;
  }

  bool node(DocNode& out) {
    const Line& l = lines_[i_];
    if (depth_ >= 64) return fail_line(l, 0, "nesting deeper than 64 levels");
    ++depth_;
    bool ok = false;
    if (is_seq_item(l.content)) {
      ok = sequence(out, l.indent);
    } else if (key_colon(l.content) != std::string_view::npos) {
      ok = mapping(out, l.indent);
    } else {
      Line copy = l;
      ++i_;
      ok = inline_value(copy, 0, out);
    }
    --depth_;
    return ok;
  }

  // The value after "key:" or "- " when it follows on the next lines.
  bool block_child(const Line& owner, std::size_t owner_indent, bool allow_same_indent_seq, DocNode& out) {
    ++i_;
    if (i_ < lines_.size() && lines_[i_].indent > owner_indent) return node(out);
    if (allow_same_indent_seq && i_ < lines_.size() && lines_[i_].indent == owner_indent &&
        is_seq_item(lines_[i_].content)) {
      return sequence(out, owner_indent);
    }
    out = DocNode{};
    out.kind = DocNode::Kind::null;
    out.pos = pos_of(owner, owner.content.size());
    return true;
  }

  bool mapping(DocNode& out, std::size_t indent) {
    out = DocNode{};
    out.kind = DocNode::Kind::object;
    out.pos = pos_of(lines_[i_], 0);
    while (i_ < lines_.size() && lines_[i_].indent == indent) {
      Line l = lines_[i_];
      if (is_seq_item(l.content)) return fail_line(l, 0, "a sequence item where a 'key: value' entry was expected");
      std::size_t colon = key_colon(l.content);
      if (colon == std::string_view::npos) return fail_line(l, 0, "expected 'key: value'");
      DocNode key;
      if (!key_scalar(l, colon, key)) return false;
      if (out.find(key.text) != nullptr) return fail_at(key.pos, "duplicate key \"" + key.text + "\"");
      std::size_t k = colon + 1;
      while (k < l.content.size() && l.content[k] == ' ') ++k;
      DocNode v;
      if (k >= l.content.size() || l.content[k] == '#') {
        if (!block_child(l, indent, true, v)) return false;
      } else {
        ++i_;
        if (!inline_value(l, k, v)) return false;
      }
      out.keys.push_back(key.text);
      out.values.push_back(std::move(v));
      out.key_pos.push_back(key.pos);
      if (i_ < lines_.size() && lines_[i_].indent > indent) {
        return fail_line(lines_[i_], 0, "unexpected indentation");
      }
    }
    return true;
  }

  bool sequence(DocNode& out, std::size_t indent) {
    out = DocNode{};
    out.kind = DocNode::Kind::array;
    out.pos = pos_of(lines_[i_], 0);
    while (i_ < lines_.size() && lines_[i_].indent == indent && is_seq_item(lines_[i_].content)) {
      Line& l = lines_[i_];
      std::size_t k = 1;
      while (k < l.content.size() && l.content[k] == ' ') ++k;
      DocNode item;
      if (k >= l.content.size() || l.content[k] == '#') {
        Line owner = l;
        if (!block_child(owner, indent, false, item)) return false;
      } else {
        // "- key: v" / "- - x": the rest of the line opens a block at its own column.
        l.start += k;
        l.indent += k;
        l.content = l.content.substr(k);
        if (!node(item)) return false;
      }
      out.items.push_back(std::move(item));
      if (i_ < lines_.size() && lines_[i_].indent > indent) {
        return fail_line(lines_[i_], 0, "unexpected indentation");
      }
    }
    return true;
  }

  bool key_scalar(const Line& l, std::size_t colon, DocNode& key) {
    std::string_view c = l.content;
    key.pos = pos_of(l, 0);
    key.kind = DocNode::Kind::string;
    if (c[0] == '"' || c[0] == '\'') {
      std::size_t k = 0;
      if (!quoted(l, k, key)) return false;
      return true;
    }
    std::string_view t = c.substr(0, colon);
    while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
    if (t.empty()) return fail_line(l, 0, "empty key");
    if (t[0] == '&' || t[0] == '*' || t[0] == '!' || t[0] == '?') {
      return fail_line(l, 0, "anchors, aliases, tags and complex keys are not supported");
    }
    key.text = std::string(t);
    return true;
  }

  // A quoted scalar starting at l.content[k]; k is left after the closing quote.
  bool quoted(const Line& l, std::size_t& k, DocNode& out) {
    std::string_view c = l.content;
    char q = c[k];
    out.kind = DocNode::Kind::string;
    out.pos = pos_of(l, k);
    out.text.clear();
    ++k;
    while (true) {
      if (k >= c.size()) return fail_line(l, k, "unterminated quoted scalar (multi-line scalars are not supported)");
      char ch = c[k];
      if (ch == q) {
        if (q == '\'' && k + 1 < c.size() && c[k + 1] == '\'') {
          out.text += '\'';
          k += 2;
          continue;
        }
        ++k;
        return true;
      }
      if (q == '"' && ch == '\\') {
        if (k + 1 >= c.size()) return fail_line(l, k, "unterminated escape");
        char e = c[k + 1];
        switch (e) {
          case '"': out.text += '"'; break;
          case '\\': out.text += '\\'; break;
          case '/': out.text += '/'; break;
          case 'n': out.text += '\n'; break;
          case 't': out.text += '\t'; break;
          case 'r': out.text += '\r'; break;
          case '0': out.text += '\0'; break;
          default: return fail_line(l, k, "unsupported escape in double-quoted scalar");
        }
        k += 2;
        continue;
      }
      out.text += ch;
      ++k;
    }
  }

  static void type_plain(DocNode& n) {
    const std::string& t = n.text;
    if (t == "~" || t == "null" || t == "Null" || t == "NULL") {
      n.kind = DocNode::Kind::null;
      return;
    }
    if (t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE") {
      n.kind = DocNode::Kind::boolean;
      n.boolean = t[0] == 't' || t[0] == 'T';
      n.text = n.boolean ? "true" : "false";
      return;
    }
    // [-+]? ( digits [. digits*]? | . digits ) ([eE][-+]? digits)?
    std::size_t k = 0;
    if (k < t.size() && (t[k] == '-' || t[k] == '+')) ++k;
    std::size_t int_digits = 0, frac_digits = 0;
    while (k < t.size() && t[k] >= '0' && t[k] <= '9') ++k, ++int_digits;
    if (k < t.size() && t[k] == '.') {
      ++k;
      while (k < t.size() && t[k] >= '0' && t[k] <= '9') ++k, ++frac_digits;
    }
    if (int_digits + frac_digits == 0) return;
    if (k < t.size() && (t[k] == 'e' || t[k] == 'E')) {
      ++k;
      if (k < t.size() && (t[k] == '-' || t[k] == '+')) ++k;
      std::size_t e = 0;
      while (k < t.size() && t[k] >= '0' && t[k] <= '9') ++k, ++e;
      if (e == 0) return;
    }
    if (k != t.size()) return;
    n.kind = DocNode::Kind::number;
    n.number = std::strtod(t.c_str(), nullptr);
  }

  static bool unsupported_start(char c) {
    return c == '&' || c == '*' || c == '!' || c == '|' || c == '>' || c == '%' || c == '@' || c == '`' || c == '?';
  }

  // Only blanks or a comment may follow position k.
  bool rest_is_empty(const Line& l, std::size_t k) {
    while (k < l.content.size() && l.content[k] == ' ') ++k;
    if (k < l.content.size() && l.content[k] != '#') return fail_line(l, k, "unexpected text after the value");
    return true;
  }

  // A one-line value starting at l.content[k]: flow collection, quoted or plain scalar.
  bool inline_value(const Line& l, std::size_t k, DocNode& out) {
    std::string_view c = l.content;
    char ch = c[k];
    if (ch == '[' || ch == '{') {
      if (!flow(l, k, out, 0)) return false;
      return rest_is_empty(l, k);
    }
    if (ch == '"' || ch == '\'') {
      if (!quoted(l, k, out)) return false;
      return rest_is_empty(l, k);
    }
    if (unsupported_start(ch)) {
      return fail_line(l, k, "anchors, aliases, tags and block scalars (| >) are not supported");
    }
    std::size_t end = k;
    while (end < c.size()) {
      if (c[end] == '#' && is_space(c[end - 1])) break;
      if (c[end] == ':' && (end + 1 == c.size() || c[end + 1] == ' ')) {
        return fail_line(l, end, "': ' inside a plain value (quote the value)");
      }
      ++end;
    }
    std::string_view t = c.substr(k, end - k);
    while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
    out = DocNode{};
    out.kind = DocNode::Kind::string;
    out.pos = pos_of(l, k);
    out.text = std::string(t);
    type_plain(out);
    return true;
  }

  // One-line flow collections: [a, "b", {k: v}] and {fleet: true}. k is left after the closing bracket.
  bool flow(const Line& l, std::size_t& k, DocNode& out, int depth) {
    if (depth > 32) return fail_line(l, k, "flow collections nested too deeply");
    std::string_view c = l.content;
    char open = c[k];
    char close = open == '[' ? ']' : '}';
    out = DocNode{};
    out.kind = open == '[' ? DocNode::Kind::array : DocNode::Kind::object;
    out.pos = pos_of(l, k);
    ++k;
    auto skip = [&] {
      while (k < c.size() && c[k] == ' ') ++k;
    };
    skip();
    if (k < c.size() && c[k] == close) {
      ++k;
      return true;
    }
    while (true) {
      skip();
      if (k >= c.size()) return fail_line(l, k, "unterminated flow collection (multi-line flow is not supported)");
      DocNode key;
      if (out.kind == DocNode::Kind::object) {
        if (!flow_scalar(l, k, key, true)) return false;
        if (key.kind == DocNode::Kind::array || key.kind == DocNode::Kind::object) {
          return fail_at(key.pos, "complex keys are not supported");
        }
        skip();
        if (k >= c.size() || c[k] != ':') return fail_line(l, k, "expected ':' in flow mapping");
        ++k;
        skip();
        if (out.find(key.text) != nullptr) return fail_at(key.pos, "duplicate key \"" + key.text + "\"");
      }
      DocNode v;
      if (!flow_scalar(l, k, v, false, depth)) return false;
      if (out.kind == DocNode::Kind::object) {
        out.keys.push_back(key.text);
        out.values.push_back(std::move(v));
        out.key_pos.push_back(key.pos);
      } else {
        out.items.push_back(std::move(v));
      }
      skip();
      if (k >= c.size()) return fail_line(l, k, "unterminated flow collection (multi-line flow is not supported)");
      if (c[k] == ',') {
        ++k;
        continue;
      }
      if (c[k] == close) {
        ++k;
        return true;
      }
      return fail_line(l, k, std::string("expected ',' or '") + close + "'");
    }
  }

  bool flow_scalar(const Line& l, std::size_t& k, DocNode& out, bool is_key, int depth = 0) {
    std::string_view c = l.content;
    if (k >= c.size()) return fail_line(l, k, "expected a value");
    char ch = c[k];
    if (ch == '[' || ch == '{') return flow(l, k, out, depth + 1);
    if (ch == '"' || ch == '\'') return quoted(l, k, out);
    if (unsupported_start(ch)) return fail_line(l, k, "anchors, aliases and tags are not supported");
    std::size_t start = k;
    while (k < c.size() && c[k] != ',' && c[k] != '[' && c[k] != ']' && c[k] != '{' && c[k] != '}') {
      if (c[k] == ':' && (is_key || k + 1 == c.size() || c[k + 1] == ' ')) break;
      if (c[k] == '#' && k > start && is_space(c[k - 1])) break;
      ++k;
    }
    std::string_view t = c.substr(start, k - start);
    while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
    if (t.empty()) return fail_line(l, start, "expected a value");
    out = DocNode{};
    out.kind = DocNode::Kind::string;
    out.pos = pos_of(l, start);
    out.text = std::string(t);
    if (!is_key) type_plain(out);
    return true;
  }

  std::string_view s_;
  SyntaxError& error_;
  std::vector<Line> lines_;
  std::size_t i_ = 0;
  bool end_marker_ = false;
  int depth_ = 0;
};

}  // namespace yaml_reader_detail

bool read_yaml_document(std::string_view text, DocNode& out, SyntaxError& error) {
  out = DocNode{};
  yaml_reader_detail::YamlReader r(text, error);
  return r.document(out);
}

}  // namespace esimo::policy
