// Strict JSON reader that keeps the line and column of every value and key (see document_tree.hpp).
#include <cmath>
#include <cstdlib>
#include <string>

#include "policy/document_tree.hpp"

namespace esimo::policy {

const DocNode* DocNode::find(std::string_view key) const {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &values[i];
  }
  return nullptr;
}

std::string_view kind_name(DocNode::Kind k) {
  switch (k) {
    case DocNode::Kind::null: return "null";
    case DocNode::Kind::boolean: return "a boolean";
    case DocNode::Kind::number: return "a number";
    case DocNode::Kind::string: return "a string";
    case DocNode::Kind::array: return "an array";
    case DocNode::Kind::object: return "an object";
  }
  return "?";
}

namespace json_reader_detail {

constexpr int kMaxDepth = 64;

class JsonReader {
 public:
  JsonReader(std::string_view text, SyntaxError& error) : s_(text), error_(error) {}

  bool document(DocNode& out) {
    skip_ws();
    if (!value(out, 0)) return false;
    skip_ws();
    if (i_ != s_.size()) return fail("unexpected text after the JSON value");
    return true;
  }

 private:
  SourcePos here() const { return SourcePos{line_, static_cast<std::uint32_t>(i_ - line_start_ + 1), i_}; }

  bool fail(std::string message) {
    error_.pos = here();
    error_.message = std::move(message);
    return false;
  }

  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      line_start_ = i_ + 1;
    }
    ++i_;
  }

  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) advance();
  }

  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return fail("invalid literal (expected " + std::string(word) + ")");
    i_ += word.size();
    return true;
  }

  bool value(DocNode& out, int depth) {
    if (depth > kMaxDepth) return fail("nesting deeper than 64 levels");
    out.pos = here();
    if (i_ >= s_.size()) return fail("unexpected end of document (expected a value)");
    char c = s_[i_];
    switch (c) {
      case '{': return object(out, depth);
      case '[': return array(out, depth);
      case '"':
        out.kind = DocNode::Kind::string;
        return string(out.text);
      case 't':
        out.kind = DocNode::Kind::boolean;
        out.boolean = true;
        out.text = "true";
        return literal("true");
      case 'f':
        out.kind = DocNode::Kind::boolean;
        out.text = "false";
        return literal("false");
      case 'n':
        out.kind = DocNode::Kind::null;
        return literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number(out);
        return fail(std::string("unexpected character '") + (c >= 0x20 && c < 0x7f ? std::string(1, c) : "?") +
                    "' (expected a value)");
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool number(DocNode& out) {
    std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !is_digit(s_[i_])) return fail("invalid number (expected a digit)");
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return fail("invalid number (expected a digit after '.')");
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !is_digit(s_[i_])) return fail("invalid number (expected a digit in the exponent)");
      while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
    }
    out.kind = DocNode::Kind::number;
    out.text = std::string(s_.substr(start, i_ - start));
    out.number = std::strtod(out.text.c_str(), nullptr);
    if (!std::isfinite(out.number)) {
      i_ = start;
      return fail("number out of range");
    }
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(std::uint32_t& cp) {
    if (i_ + 4 > s_.size()) return fail("truncated \\u escape");
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[i_ + k];
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= static_cast<std::uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') cp |= static_cast<std::uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') cp |= static_cast<std::uint32_t>(h - 'A' + 10);
      else return fail("invalid \\u escape (expected 4 hex digits)");
    }
    i_ += 4;
    return true;
  }

  bool string(std::string& out) {
    ++i_;  // opening quote
    out.clear();
    while (true) {
      if (i_ >= s_.size()) return fail("unterminated string");
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string (escape it)");
      if (c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) return fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            std::uint32_t lo = 0;
            if (s_.substr(i_, 2) != "\\u") return fail("unpaired UTF-16 surrogate in \\u escape");
            i_ += 2;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return fail("unpaired UTF-16 surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("unpaired UTF-16 surrogate in \\u escape");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --i_;
          return fail("invalid escape in string");
      }
    }
  }

  bool array(DocNode& out, int depth) {
    out.kind = DocNode::Kind::array;
    advance();  // '['
    skip_ws();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return true;
    }
    while (true) {
      skip_ws();
      out.items.emplace_back();
      if (!value(out.items.back(), depth + 1)) return false;
      skip_ws();
      if (i_ >= s_.size()) return fail("unterminated array (expected ',' or ']')");
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') {
        ++i_;
        return true;
      }
      return fail("expected ',' or ']' in array");
    }
  }

  bool object(DocNode& out, int depth) {
    out.kind = DocNode::Kind::object;
    advance();  // '{'
    skip_ws();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      skip_ws();
      if (i_ >= s_.size() || s_[i_] != '"') return fail("expected a member name in double quotes");
      SourcePos kpos = here();
      std::string key;
      if (!string(key)) return false;
      if (out.find(key) != nullptr) {
        error_.pos = kpos;
        error_.message = "duplicate member \"" + key + "\"";
        return false;
      }
      skip_ws();
      if (i_ >= s_.size() || s_[i_] != ':') return fail("expected ':' after the member name");
      ++i_;
      skip_ws();
      DocNode v;
      if (!value(v, depth + 1)) return false;
      out.keys.push_back(std::move(key));
      out.values.push_back(std::move(v));
      out.key_pos.push_back(kpos);
      skip_ws();
      if (i_ >= s_.size()) return fail("unterminated object (expected ',' or '}')");
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') {
        ++i_;
        return true;
      }
      return fail("expected ',' or '}' in object");
    }
  }

  std::string_view s_;
  SyntaxError& error_;
  std::size_t i_ = 0;
  std::uint32_t line_ = 1;
  std::size_t line_start_ = 0;
};

}  // namespace json_reader_detail

bool read_json_document(std::string_view text, DocNode& out, SyntaxError& error) {
  out = DocNode{};
  json_reader_detail::JsonReader r(text, error);
  return r.document(out);
}

}  // namespace esimo::policy
