// CsvReader: records, line numbers and the per-record byte limit.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/csv.hpp"

namespace esimo::api {
namespace {

std::vector<CsvRecord> read_all(std::string_view text, std::size_t max_record_bytes) {
  CsvReader reader(max_record_bytes);
  std::vector<CsvRecord> out;
  auto keep = [&](CsvRecord& r) {
    out.push_back(r);
    return true;
  };
  reader.feed(text, keep);
  reader.finish(keep);
  return out;
}

TEST(CsvReader, QuotedFieldsAndLines) {
  auto recs = read_all("a,\"b,\"\"c\"\"\"\r\n\n\"multi\nline\",x\nlast", 1024);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_EQ(recs[0].fields, (std::vector<std::string>{"a", "b,\"c\""}));
  EXPECT_EQ(recs[1].line, 3u);
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"multi\nline", "x"}));
  EXPECT_EQ(recs[2].line, 5u);
  EXPECT_EQ(recs[2].fields, (std::vector<std::string>{"last"}));
}

// Found by tests/fuzz/csv_fuzz: past the byte limit the reader dropped the text but still kept one (empty) field per
// comma, so a long line of commas grew the field list without bound.
TEST(CsvReader, OverlongRecordKeepsNoMoreFields) {
  std::string text = "eid,name\n" + std::string(100000, ',') + "\nnext,ok\n";
  auto recs = read_all(text, 64);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_EQ(recs[1].error, "record longer than 64 bytes");
  EXPECT_LE(recs[1].fields.size(), 65u);
  EXPECT_EQ(recs[2].line, 3u);
  EXPECT_TRUE(recs[2].error.empty());
  EXPECT_EQ(recs[2].fields, (std::vector<std::string>{"next", "ok"}));
}

TEST(CsvReader, MalformedRecordsSayWhy) {
  auto recs = read_all("a\"b,c\n\"x\"y\n\"open", 1024);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].error, "a quote inside an unquoted field");
  EXPECT_EQ(recs[1].error, "unexpected character after a closing quote");
  EXPECT_EQ(recs[2].error, "unterminated quoted field");
  EXPECT_EQ(recs[2].line, 3u);
}

}  // namespace
}  // namespace esimo::api
