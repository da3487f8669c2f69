#pragma once
// A parsed policy document before interpretation: a JSON-like tree in which every value and every object key keeps its
// line and column in the source text, so that validation errors can point at them. Boost.JSON does not record
// positions, hence this small tree and its two readers (strict JSON, and a documented YAML subset; docs/policies.md).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esimo::policy {

// 1-based line and column (columns count bytes) and 0-based byte offset into the source text.
struct SourcePos {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::size_t offset = 0;
};

struct DocNode {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  SourcePos pos;
  std::string text;  // string: the decoded value; number: the literal as written; boolean: "true"/"false"
  bool boolean = false;
  double number = 0;
  std::vector<DocNode> items;                             // array
  // object members in document order, keys unique: keys[i], values[i], key_pos[i]. (Parallel vectors, because a
  // std::pair holding the still incomplete DocNode is not allowed here.)
  std::vector<std::string> keys;
  std::vector<DocNode> values;
  std::vector<SourcePos> key_pos;

  const DocNode* find(std::string_view key) const;
};

std::string_view kind_name(DocNode::Kind k);

// A syntax error in the document: where, and what was expected.
struct SyntaxError {
  SourcePos pos;
  std::string message;
};

// Strict RFC 8259 JSON (one value, no trailing commas or comments, duplicate keys refused), nesting at most 64 deep.
bool read_json_document(std::string_view text, DocNode& out, SyntaxError& error);

// The YAML subset of docs/policies.md: block mappings and sequences by indentation (spaces only), plain, single- and
// double-quoted one-line scalars, one-line flow sequences/mappings ([a, b], {fleet: true}), '#' comments, an optional
// leading '---'. Anchors, aliases, tags, block scalars (| >) and multi-line flow collections are refused with a
// message.
bool read_yaml_document(std::string_view text, DocNode& out, SyntaxError& error);

}  // namespace esimo::policy
