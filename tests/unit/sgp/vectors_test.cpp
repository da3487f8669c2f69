// Golden vectors: tests/unit/sgp/vectors/*.txt hold "hex -> decoded text" pairs. Each entry:
//   == <name>
//   <hex of the DER message>
//   ->
//   <text dump, several lines>
//   <blank line>
// The file name says the direction and version (ipa_to_eim_v1.2.txt, eim_to_ipa_v1.0.txt, add_initial_eim_v1.2.txt).
// Set ESIMO_REGEN_VECTORS=1 to rewrite the files from the hand-built structs in corpus.cpp (then review the diff and
// check small messages against the ASN.1 by hand, as sgp_test.cpp does).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "corpus.hpp"

namespace esimo::sgp::testing {
namespace {

struct Vector {
  std::string name;
  std::string hex;
  std::string text;
};

const std::filesystem::path kDir = std::filesystem::path(ESIMO_SOURCE_DIR) / "tests/unit/sgp/vectors";

std::vector<Vector> read_vectors(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<Vector> out;
  std::string line;
  enum { none, hex, text } state = none;
  while (std::getline(in, line)) {
    if (line.rfind("== ", 0) == 0) {
      out.push_back({line.substr(3), "", ""});
      state = hex;
    } else if (state == hex) {
      if (line == "->") {
        state = text;
      } else {
        out.back().hex += line;
      }
    } else if (state == text) {
      if (line.empty()) {
        state = none;
      } else {
        out.back().text += line + "\n";
      }
    }
  }
  return out;
}

std::pair<Direction, Version> kind_of(const std::string& stem) {
  const Version v = stem.find("v1.0") != std::string::npos ? Version::v1_0 : Version::v1_2;
  if (stem.rfind("ipa_to_eim", 0) == 0) return {Direction::ipa_to_eim, v};
  if (stem.rfind("eim_to_ipa", 0) == 0) return {Direction::eim_to_ipa, v};
  return {Direction::add_initial_eim, v};
}

TEST(SgpVectors, RegenerateIfAsked) {
  if (!std::getenv("ESIMO_REGEN_VECTORS")) GTEST_SKIP() << "set ESIMO_REGEN_VECTORS=1 to rewrite the vector files";
  std::map<std::string, std::string> files;
  for (const auto& e : corpus()) {
    auto der = encode_entry(e);
    ASSERT_TRUE(der.ok()) << e.name << ": " << der.error().message;
    auto text = decode_to_text(e.direction, e.version, *der);
    ASSERT_TRUE(text.ok()) << e.name << ": " << text.error().message;
    files[e.file] += "== " + e.name + "\n" + to_hex(*der) + "\n->\n" + *text + "\n";
  }
  for (const auto& [name, body] : files) {
    std::ofstream(kDir / (name + ".txt")) << body;
  }
}

TEST(SgpVectors, EveryCorpusEntryHasAVector) {
  std::map<std::string, std::vector<Vector>> by_file;
  for (const auto& e : corpus()) {
    if (!by_file.count(e.file)) by_file[e.file] = read_vectors(kDir / (e.file + ".txt"));
    bool found = false;
    for (const auto& v : by_file[e.file]) {
      if (v.name != e.name) continue;
      found = true;
      auto der = encode_entry(e);
      ASSERT_TRUE(der.ok()) << e.name << ": " << der.error().message;
      EXPECT_EQ(to_hex(*der), v.hex) << e.file << " / " << e.name << ": the struct no longer encodes to the vector";
    }
    EXPECT_TRUE(found) << e.file << " / " << e.name << " missing; regenerate with ESIMO_REGEN_VECTORS=1";
  }
}

TEST(SgpVectors, DecodeMatchesTextAndReencodesExactly) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (entry.path().extension() != ".txt") continue;
    const auto [dir, ver] = kind_of(entry.path().stem().string());
    for (const auto& v : read_vectors(entry.path())) {
      ++count;
      auto der = from_hex(v.hex);
      ASSERT_TRUE(der.ok()) << v.name;
      auto text = decode_to_text(dir, ver, *der);
      ASSERT_TRUE(text.ok()) << entry.path().filename() << " / " << v.name << ": " << text.error().message;
      EXPECT_EQ(*text, v.text) << entry.path().filename() << " / " << v.name;
      auto again = reencode(dir, ver, *der);
      ASSERT_TRUE(again.ok()) << v.name << ": " << again.error().message;
      EXPECT_EQ(to_hex(*again), v.hex) << entry.path().filename() << " / " << v.name;
    }
  }
  EXPECT_GE(count, 40u);
}

TEST(SgpVectors, EveryTruncationIsRejectedCleanly) {
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (entry.path().extension() != ".txt") continue;
    const auto [dir, ver] = kind_of(entry.path().stem().string());
    for (const auto& v : read_vectors(entry.path())) {
      const Bytes der = from_hex(v.hex).value();
      for (std::size_t n = 0; n < der.size(); ++n) {
        // A fresh heap copy of exactly n bytes, so ASan catches any read past the end.
        const Bytes cut(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(n));
        auto r = decode_to_text(dir, ver, cut);
        ASSERT_FALSE(r.ok()) << v.name << " truncated to " << n << " bytes decoded";
        EXPECT_EQ(r.error().code, Errc::parse_error) << v.name << " @" << n;
        EXPECT_FALSE(r.error().message.empty());
      }
      // Trailing garbage is rejected too.
      Bytes longer = der;
      longer.push_back(0x00);
      auto r = decode_to_text(dir, ver, longer);
      ASSERT_FALSE(r.ok()) << v.name;
      EXPECT_NE(r.error().message.find("trailing"), std::string::npos) << r.error().message;
    }
  }
}

}  // namespace
}  // namespace esimo::sgp::testing
