#include "policy/document_tree.hpp"

#include <gtest/gtest.h>

#include <string>

namespace esimo::policy {
namespace document_tree_test_local {

TEST(JsonDocument, KeepsLineAndColumnOfValuesAndKeys) {
  std::string text = "{\n  \"name\": \"a\",\n  \"rules\": [\n    {\"when\": \"x\"}\n  ]\n}";
  DocNode root;
  SyntaxError err;
  ASSERT_TRUE(read_json_document(text, root, err)) << err.message;
  ASSERT_EQ(root.kind, DocNode::Kind::object);
  ASSERT_EQ(root.keys.size(), 2u);
  EXPECT_EQ(root.key_pos[0].line, 2u);
  EXPECT_EQ(root.key_pos[0].column, 3u);
  const DocNode* name = root.find("name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->text, "a");
  EXPECT_EQ(name->pos.line, 2u);
  EXPECT_EQ(name->pos.column, 11u);
  const DocNode* when = root.find("rules")->items[0].find("when");
  ASSERT_NE(when, nullptr);
  EXPECT_EQ(when->pos.line, 4u);
  EXPECT_EQ(when->pos.column, 14u);
  EXPECT_EQ(text[when->pos.offset], '"');
}

TEST(JsonDocument, DecodesEscapesAndNumbers) {
  DocNode root;
  SyntaxError err;
  ASSERT_TRUE(read_json_document(R"({"s": "a\"b\u00e9\ud83d\ude00", "n": -1.5e2, "t": true, "z": null})", root, err));
  EXPECT_EQ(root.find("s")->text, "a\"b\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_DOUBLE_EQ(root.find("n")->number, -150);
  EXPECT_TRUE(root.find("t")->boolean);
  EXPECT_EQ(root.find("z")->kind, DocNode::Kind::null);
}

TEST(JsonDocument, RejectsWithPosition) {
  struct Case {
    const char* text;
    std::uint32_t line, column;
    const char* message_part;
  };
  const Case cases[] = {
      {"{\"a\": 1,}", 1, 9, "member name"},
      {"{\"a\": 1, \"a\": 2}", 1, 10, "duplicate"},
      {"{\n  \"a\": tru\n}", 2, 8, "literal"},
      {"[1, 2", 1, 6, "unterminated"},
      {"{\"a\": \"x\ny\"}", 1, 9, "control character"},
      {"{} x", 1, 4, "after the JSON value"},
      {"", 1, 1, "end of document"},
      {"{\"a\": 01}", 1, 8, "expected ',' or '}'"},
      {"\"\\ud800\"", 1, 8, "surrogate"},
  };
  for (const auto& c : cases) {
    DocNode root;
    SyntaxError err;
    EXPECT_FALSE(read_json_document(c.text, root, err)) << c.text;
    EXPECT_EQ(err.pos.line, c.line) << c.text;
    EXPECT_EQ(err.pos.column, c.column) << c.text << ": " << err.message;
    EXPECT_NE(err.message.find(c.message_part), std::string::npos) << c.text << ": " << err.message;
  }
}

TEST(JsonDocument, RefusesDeepNesting) {
  std::string deep(200, '[');
  DocNode root;
  SyntaxError err;
  EXPECT_FALSE(read_json_document(deep, root, err));
  EXPECT_NE(err.message.find("64"), std::string::npos);
}

TEST(YamlDocument, BlockMappingsSequencesAndScalars) {
  std::string text =
      "# a policy\n"
      "---\n"
      "name: trucks  # comment\n"
      "scope: {group: trucks}\n"
      "carriers:\n"
      "  allow: [orange-fr, \"208-01\", 'a''b']\n"
      "rules:\n"
      "- name: weak\n"
      "  when: signal.rsrp < -115 dBm for 10m\n"
      "  do: 'alert \"weak #1\"'\n"
      "-   when: country in [BR, TR]\n"
      "    do: switch best\n"
      "guards:\n"
      "  max_switches_per_day: 3\n"
      "  rollback: true\n"
      "  empty:\n"
      "  nothing: ~\n"
      "  ratio: 1.5\n";
  DocNode root;
  SyntaxError err;
  ASSERT_TRUE(read_yaml_document(text, root, err)) << err.pos.line << ":" << err.pos.column << " " << err.message;
  EXPECT_EQ(root.find("name")->text, "trucks");
  EXPECT_EQ(root.find("name")->pos.line, 3u);
  EXPECT_EQ(root.find("name")->pos.column, 7u);
  EXPECT_EQ(root.find("scope")->find("group")->text, "trucks");
  const auto& allow = root.find("carriers")->find("allow")->items;
  ASSERT_EQ(allow.size(), 3u);
  EXPECT_EQ(allow[1].kind, DocNode::Kind::string);
  EXPECT_EQ(allow[1].text, "208-01");
  EXPECT_EQ(allow[2].text, "a'b");
  const auto& rules = root.find("rules")->items;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].find("when")->text, "signal.rsrp < -115 dBm for 10m");
  EXPECT_EQ(rules[0].find("when")->pos.line, 9u);
  EXPECT_EQ(rules[0].find("when")->pos.column, 9u);
  EXPECT_EQ(rules[0].find("do")->text, "alert \"weak #1\"");  // quoted: " #" is no comment inside quotes
  EXPECT_EQ(rules[1].find("when")->text, "country in [BR, TR]");
  EXPECT_EQ(rules[1].find("when")->pos.column, 11u);
  EXPECT_EQ(rules[1].find("do")->text, "switch best");
  const DocNode* g = root.find("guards");
  EXPECT_EQ(g->find("max_switches_per_day")->kind, DocNode::Kind::number);
  EXPECT_EQ(g->find("max_switches_per_day")->number, 3);
  EXPECT_TRUE(g->find("rollback")->boolean);
  EXPECT_EQ(g->find("empty")->kind, DocNode::Kind::null);
  EXPECT_EQ(g->find("nothing")->kind, DocNode::Kind::null);
  EXPECT_DOUBLE_EQ(g->find("ratio")->number, 1.5);
}

TEST(YamlDocument, NestedBlocksAndSequenceUnderKey) {
  std::string text =
      "a:\n"
      "  b:\n"
      "    - x\n"
      "    - y: 1\n"
      "      z: 2\n"
      "  c: \"q\\\"d\"\n";
  DocNode root;
  SyntaxError err;
  ASSERT_TRUE(read_yaml_document(text, root, err)) << err.message;
  const auto& b = root.find("a")->find("b")->items;
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].text, "x");
  EXPECT_EQ(b[1].find("z")->number, 2);
  EXPECT_EQ(root.find("a")->find("c")->text, "q\"d");
}

TEST(YamlDocument, QuotedKeysNestedFlowAndEndMarker) {
  std::string text =
      "\"quoted key\": 1\n"
      "'single': {a: [1, {b: 'x, y'}], c: \"]\"}\n"
      "list: [ ]\n"
      "...\n"
      "# trailing comment\n";
  DocNode root;
  SyntaxError err;
  ASSERT_TRUE(read_yaml_document(text, root, err)) << err.pos.line << ":" << err.pos.column << " " << err.message;
  EXPECT_EQ(root.find("quoted key")->number, 1);
  const DocNode* single = root.find("single");
  ASSERT_NE(single, nullptr);
  const DocNode* a = single->find("a");
  ASSERT_EQ(a->items.size(), 2u);
  EXPECT_EQ(a->items[1].find("b")->text, "x, y");
  EXPECT_EQ(a->items[1].find("b")->pos.column, 23u);
  EXPECT_EQ(single->find("c")->text, "]");
  EXPECT_EQ(root.find("list")->kind, DocNode::Kind::array);
  EXPECT_TRUE(root.find("list")->items.empty());
}

TEST(YamlDocument, RefusesUnsupportedAndMalformedWithPosition) {
  struct Case {
    const char* text;
    std::uint32_t line, column;
    const char* message_part;
  };
  const Case cases[] = {
      {"a: &x 1\n", 1, 4, "anchors"},
      {"a: |\n  text\n", 1, 4, "block scalars"},
      {"a: 1\n\tb: 2\n", 2, 1, "tab"},
      {"a: 1\na: 2\n", 2, 1, "duplicate"},
      {"a: 1\n   b: 2\n", 2, 4, "indentation"},
      {"a: [1, 2\n", 1, 9, "unterminated flow"},
      {"a: x: y\n", 1, 5, "quote the value"},
      {"a: 'open\n", 1, 9, "unterminated"},
      {"a: 1\n---\nb: 2\n", 2, 1, "one YAML document"},
      {"", 1, 1, "empty"},
      {"a:\n- 1\nb\n", 3, 1, "expected 'key: value'"},
      {"a: 1\n...\nb: 2\n", 3, 1, "end marker"},
      {"a: {b: 1, b: 2}\n", 1, 11, "duplicate"},
      {"a: [1] x\n", 1, 8, "after the value"},
  };
  for (const auto& c : cases) {
    DocNode root;
    SyntaxError err;
    EXPECT_FALSE(read_yaml_document(c.text, root, err)) << c.text;
    EXPECT_EQ(err.pos.line, c.line) << c.text << ": " << err.message;
    EXPECT_EQ(err.pos.column, c.column) << c.text << ": " << err.message;
    EXPECT_NE(err.message.find(c.message_part), std::string::npos) << c.text << ": " << err.message;
  }
}

TEST(YamlDocument, RefusesDeepNesting) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "- ";
  deep += "x\n";
  DocNode root;
  SyntaxError err;
  EXPECT_FALSE(read_yaml_document(deep, root, err));
  EXPECT_NE(err.message.find("64"), std::string::npos);
}

}  // namespace document_tree_test_local
}  // namespace esimo::policy
