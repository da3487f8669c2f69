// POST /v1/telemetry: partial acceptance per index (JSON array) and line (NDJSON), streamed and buffered, unknown and
// other tenants' EIDs rejected per record, media types, roles; and the batch reader on its own.
#include <gmock/gmock.h>

#include "api/telemetry.hpp"
#include "api_fixture.hpp"

namespace esimo::api::testing {
namespace {

using ::testing::HasSubstr;

class TelemetryTest : public ApiTest {
 protected:
  std::string rec(std::uint64_t n, std::string extra = {}) {
    return R"({"eid":")" + eid_n(n) + R"(","time":"2026-11-25T10:00:00Z","attached":true)" +
           (extra.empty() ? "" : "," + extra) + "}";
  }
  struct Rejection {
    std::int64_t at;
    std::string field, message;
  };
  static std::vector<Rejection> rejections(const boost::json::value& v, std::string_view key) {
    std::vector<Rejection> out;
    for (const auto& r : v.as_object().at("rejected").as_array()) {
      const auto& o = r.as_object();
      out.push_back({o.at(key).as_int64(), std::string(o.at("field").as_string()),
                     std::string(o.at("message").as_string())});
    }
    return out;
  }
};

TEST_F(TelemetryTest, JsonArrayKeepsGoodRecordsAndNamesBadOnesByIndexAndField) {
  create_device(a_admin_, 1);
  create_device(b_admin_, 2);
  const std::string body = "[" + rec(1, R"("rsrp":-101.5,"serving_plmn":"724-06","rat":"NB-IoT")") + "," +
                           rec(1, R"("rsrp":-20)") + "," +                     // 1: out of range
                           rec(3) + "," +                                      // 2: unknown device
                           rec(2) + "," +                                      // 3: tenant B's device
                           R"({"eid":")" + eid_n(1) + R"(","time":"yesterday","attached":true})" + "," +  // 4
                           rec(1, R"("position":{"lat":91,"lon":0})") + "," +  // 5
                           rec(1, R"("colour":"red")") + "," +                 // 6
                           R"({"eid":"123","time":"2026-11-25T10:00:00Z","attached":true})" + "," +  // 7
                           R"({"eid":")" + eid_n(1) + R"(", "time": "2026-11-25T10:00:00Z"})" + "," +  // 8
                           R"({"eid": })" + "," +                              // 9: not JSON
                           rec(1, R"("latency_ms":85,"bytes_up":10,"bytes_down":20,"position":{"lat":-23.5,"lon":-46.6,"country":"br"})") +
                           "]";
  auto r = post("/v1/telemetry", a_operator_, body);
  ASSERT_EQ(r.status, 202) << r.body;
  auto v = json(r);
  EXPECT_EQ(v.as_object()["accepted"].as_int64(), 2);
  EXPECT_EQ(v.as_object()["rejected_total"].as_int64(), 9);
  auto rej = rejections(v, "index");
  ASSERT_EQ(rej.size(), 9u);
  EXPECT_EQ(rej[0].at, 1);
  EXPECT_EQ(rej[0].field, "rsrp");
  EXPECT_EQ(rej[1].at, 2);
  EXPECT_EQ(rej[1].field, "eid");
  EXPECT_THAT(rej[1].message, HasSubstr("unknown device"));
  EXPECT_EQ(rej[2].at, 3);
  EXPECT_EQ(rej[2].field, "eid");
  EXPECT_EQ(rej[3].at, 4);
  EXPECT_EQ(rej[3].field, "time");
  EXPECT_EQ(rej[4].at, 5);
  EXPECT_EQ(rej[4].field, "position.lat");
  EXPECT_EQ(rej[5].at, 6);
  EXPECT_EQ(rej[5].field, "colour");
  EXPECT_EQ(rej[6].at, 7);
  EXPECT_EQ(rej[6].field, "eid");
  EXPECT_EQ(rej[7].at, 8);
  EXPECT_EQ(rej[7].field, "attached");
  EXPECT_EQ(rej[8].at, 9);
  EXPECT_EQ(rej[8].field, "");
}

TEST_F(TelemetryTest, NdjsonStreamedReportsLines) {
  create_device(a_admin_, 1);
  const std::string body = rec(1) + "\n" +           // line 1
                           "\n" +                    // 2: blank, skipped
                           rec(1, R"("sinr":99)") + "\n" +  // 3
                           "not json\n" +            // 4
                           rec(1, R"("rsrq":-10.5)");  // 5, no final newline
  auto r = stream("/v1/telemetry", a_operator_, body, "application/x-ndjson", 7);
  ASSERT_EQ(r.status, 202) << r.body;
  auto v = json(r);
  EXPECT_EQ(v.as_object()["accepted"].as_int64(), 2);
  auto rej = rejections(v, "line");
  ASSERT_EQ(rej.size(), 2u);
  EXPECT_EQ(rej[0].at, 3);
  EXPECT_EQ(rej[0].field, "sinr");
  EXPECT_EQ(rej[1].at, 4);
  EXPECT_EQ(rej[1].field, "");

  // The buffered form gives the same answer.
  auto b = post("/v1/telemetry", a_operator_, body, "application/x-ndjson");
  EXPECT_EQ(b.body, r.body);
}

TEST_F(TelemetryTest, StreamedJsonArraySplitsAcrossChunks) {
  create_device(a_admin_, 1);
  // Strings holding brackets, commas and escaped quotes must not split a record.
  const std::string body = " [ " + rec(1) + " , " + rec(1, R"("colour":"a,]\"}[")") + ",\n" + rec(1) + " ] ";
  for (std::size_t chunk : {1u, 3u, 64u}) {
    auto r = stream("/v1/telemetry", a_operator_, body, "application/json", chunk);
    ASSERT_EQ(r.status, 202) << r.body;
    auto v = json(r);
    EXPECT_EQ(v.as_object()["accepted"].as_int64(), 2) << chunk;
    auto rej = rejections(v, "index");
    ASSERT_EQ(rej.size(), 1u);
    EXPECT_EQ(rej[0].at, 1);
    EXPECT_EQ(rej[0].field, "colour");
  }
}

TEST_F(TelemetryTest, WholeBodyProblemsAndRoles) {
  create_device(a_admin_, 1);
  auto r = post("/v1/telemetry", a_operator_, rec(1));  // an object, not an array
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "invalid_json");
  r = post("/v1/telemetry", a_operator_, "[]");
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(json(r).as_object()["accepted"].as_int64(), 0);
  r = post("/v1/telemetry", a_operator_, "[" + rec(1) + ",");
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(json(r).as_object()["accepted"].as_int64(), 1);
  EXPECT_THAT(r.body, HasSubstr("not closed"));
  EXPECT_EQ(post("/v1/telemetry", a_operator_, "x", "text/csv").status, 415);
  EXPECT_EQ(stream("/v1/telemetry", a_operator_, "x", "text/csv").status, 415);
  EXPECT_EQ(post("/v1/telemetry", a_viewer_, "[]").status, 403);
  EXPECT_EQ(stream("/v1/telemetry", a_viewer_, "[]", "application/json").status, 403);
  EXPECT_EQ(post("/v1/telemetry", "", "[]").status, 401);
}

TEST(TelemetryReader, OversizeRecordIsRejectedAndTheNextOneKept) {
  std::vector<std::size_t> good;
  std::vector<std::pair<std::size_t, std::string>> bad;
  TelemetryBatchReader reader(
      TelemetryFormat::ndjson, [&](TelemetryRecord&&, std::size_t pos) { good.push_back(pos); },
      [&](std::size_t pos, std::string, std::string message) { bad.emplace_back(pos, message); });
  const std::string ok = R"({"eid":")" + eid_n(1) + R"(","time":"2026-11-25T10:00:00Z","attached":false})";
  ASSERT_TRUE(reader.write(std::string(kMaxTelemetryRecordBytes + 10, 'x') + "\n").ok());
  ASSERT_TRUE(reader.write(ok + "\n").ok());
  ASSERT_TRUE(reader.finish().ok());
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].first, 1u);
  EXPECT_THAT(bad[0].second, HasSubstr("longer than"));
  ASSERT_EQ(good.size(), 1u);
  EXPECT_EQ(good[0], 2u);
}

TEST(TelemetryReader, DecodesEveryField) {
  auto v = boost::json::parse(R"({"eid":")" + eid_n(4) +
                              R"(","time":"2026-11-25T10:00:00.5Z","serving_plmn":"262-01","rat":"LTE","rsrp":-90,
      "rsrq":-11,"sinr":7.5,"latency_ms":42,"attached":true,"bytes_up":1,"bytes_down":18446744073709551615,
      "position":{"lat":52.5,"lon":13.4,"country":"DE"}})");
  auto r = decode_telemetry_record(v);
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->eid.str(), eid_n(4));
  EXPECT_EQ(r->serving_plmn->str(), "262-01");
  EXPECT_EQ(*r->rat, domain::Rat::lte);
  EXPECT_EQ(*r->rsrp_dbm, -90);
  EXPECT_EQ(*r->rsrq_db, -11);
  EXPECT_EQ(*r->sinr_db, 7.5);
  EXPECT_EQ(*r->latency_ms, 42);
  EXPECT_TRUE(r->attached);
  EXPECT_EQ(r->bytes_down, 18446744073709551615ull);
  EXPECT_EQ(r->position->country->str(), "DE");
  EXPECT_EQ(format_rfc3339(r->time), "2026-11-25T10:00:00.500000Z");
}

}  // namespace
}  // namespace esimo::api::testing
