#include <gtest/gtest.h>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/http_message.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"
#include "base/result.hpp"

namespace esimo {
namespace {

Result<int> half(int v) {
  if (v % 2) return Error(Errc::invalid_argument, "odd", "v");
  return v / 2;
}

Result<int> quarter(int v) {
  ESIMO_TRY(int h, half(v));
  ESIMO_TRY(int q, half(h));
  return q;
}

TEST(Result, PropagatesFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_EQ(r.error().field, "v");
}

TEST(Bytes, HexRoundTripAndRejects) {
  Bytes b{0x00, 0xbf, 0x2d, 0xff};
  EXPECT_EQ(to_hex(b), "00bf2dff");
  EXPECT_EQ(*from_hex("00 BF:2d ff"), b);
  EXPECT_FALSE(from_hex("abc").ok());
  EXPECT_FALSE(from_hex("zz").ok());
}

TEST(Bytes, Utf8Validation) {
  EXPECT_TRUE(valid_utf8(as_bytes("caf\xC3\xA9 \xF0\x9F\x9A\x9A")));
  EXPECT_FALSE(valid_utf8(as_bytes("caf\xE9")));          // Latin-1
  EXPECT_FALSE(valid_utf8(as_bytes("\xC3")));             // truncated
  EXPECT_FALSE(valid_utf8(as_bytes("\xC0\xAF")));         // overlong
  EXPECT_FALSE(valid_utf8(as_bytes("\xED\xA0\x80")));     // surrogate
  EXPECT_FALSE(valid_utf8(as_bytes("\xF4\x90\x80\x80")));  // beyond U+10FFFF
}

// Found by tests/fuzz/csv_fuzz: bytes that were not UTF-8 were copied into the JSON text, which no JSON reader accepts.
TEST(Log, JsonStringIsUtf8WhateverTheInput) {
  std::string out;
  log::append_json_string(out, "caf\xE9 \xC3\xA9\n\xF0\x9F\x9A\x9A\xC3");
  EXPECT_EQ(out, "\"caf\\ufffd \xC3\xA9\\n\xF0\x9F\x9A\x9A\\ufffd\"");
}

TEST(Clock, Rfc3339RoundTrip) {
  auto t = parse_rfc3339("2026-11-25T10:20:30Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2026-11-25T10:20:30Z");
  auto frac = parse_rfc3339("2026-11-25T10:20:30.5+01:00");
  ASSERT_TRUE(frac);
  EXPECT_EQ(format_rfc3339(*frac), "2026-11-25T09:20:30.500000Z");
  EXPECT_FALSE(parse_rfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25 10:20:30Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-25T10:20:30"));
}

TEST(Clock, ManualClockAdvances) {
  ManualClock c(TimePoint(std::chrono::seconds(100)));
  c.advance(std::chrono::seconds(5));
  EXPECT_EQ(c.now().time_since_epoch(), std::chrono::seconds(105));
}

TEST(Http, QueryParsingDecodes) {
  auto q = http::parse_query("tag=a%20b&tag=c&limit=5&x");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].second, "a b");
  EXPECT_EQ(http::query_values("tag=a&tag=c+d", "tag"), (std::vector<std::string>{"a", "c d"}));
  EXPECT_EQ(http::percent_decode("%2", false), "%2");
}

TEST(Metrics, ExposesPrometheusText) {
  metrics::Registry r;
  r.counter("esimo_test_total", "A test counter", {{"route", "/v1/x"}}).inc(3);
  auto& h = r.histogram("esimo_test_seconds", "A test histogram", {}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  std::string text = r.expose();
  EXPECT_NE(text.find("# TYPE esimo_test_total counter"), std::string::npos);
  EXPECT_NE(text.find("esimo_test_total{route=\"/v1/x\"} 3"), std::string::npos);
  EXPECT_NE(text.find("esimo_test_seconds_bucket{le=\"0.10000000000000001\"} 1"), std::string::npos);
  EXPECT_NE(text.find("esimo_test_seconds_bucket{le=\"1\"} 2"), std::string::npos);
  EXPECT_NE(text.find("esimo_test_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("esimo_test_seconds_count 3"), std::string::npos);
}

}  // namespace
}  // namespace esimo
