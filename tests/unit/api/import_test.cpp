// Bulk device import: CSV and NDJSON, streamed and buffered, good and bad lines with line numbers, quoted CSV,
// a 10k-line import, and DeviceImporter directly (as `esimo import` uses it).
#include "api/device_import.hpp"
#include "api_fixture.hpp"

namespace esimo::api::testing {
namespace {

class ImportTest : public ApiTest {
 protected:
  static std::vector<std::pair<std::int64_t, std::string>> rejected(const boost::json::value& v) {
    std::vector<std::pair<std::int64_t, std::string>> out;
    for (const auto& r : v.as_object().at("rejected").as_array()) {
      out.emplace_back(r.as_object().at("line").as_int64(), std::string(r.as_object().at("reason").as_string()));
    }
    return out;
  }
};

TEST_F(ImportTest, CsvGoodAndBadLinesStreamed) {
  std::string csv = "eid,name,group,tags,profiles\n";
  csv += eid_n(1) + ",one,fleet,a;b," + iccid_n(1) + "@724-06:enabled;" + iccid_n(2) + "@262-01\n";  // line 2
  csv += "123,bad eid,fleet,,\n";                                                                     // line 3
  csv += eid_n(3) + ",three,nosuchgroup,,\n";                                                          // line 4
  csv += "\n";                                                                                         // line 5 blank
  csv += eid_n(4) + ",\"four, quoted\",fleet,\"x;y\",\n";                                              // line 6
  csv += eid_n(5) + ",five,fleet,,12345@724-06\n";                                                     // line 7
  csv += eid_n(6) + ",\"multi\nline name\",fleet,,\n";  // lines 8-9: parsed, but a name has no line breaks
  csv += eid_n(7) + ",seven,fleet,,\n";                                                                // line 10
  csv += eid_n(8) + ",too,many,fields,,\n";                                                            // line 11
  csv += eid_n(9) + ",nine,fleet,,\"" + iccid_n(9) + "@br-claro\"\r\n";                               // line 12
  csv += eid_n(10) + ",\"bad\"quote\",fleet,,\n";                                                      // line 13
  csv += eid_n(11) + ",eleven,fleet,,\"" + iccid_n(11) + "@nowhere\"";                                // line 14, no EOL
  auto r = stream("/v1/devices:import", a_admin_, csv, "text/csv; charset=utf-8", 5);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json(r);
  EXPECT_EQ(v.as_object().at("imported").as_int64(), 4);  // lines 2, 6, 10, 12
  EXPECT_EQ(v.as_object().at("updated").as_int64(), 0);
  auto rej = rejected(v);
  ASSERT_EQ(rej.size(), 7u) << r.body;
  EXPECT_EQ(rej[0].first, 3);
  EXPECT_EQ(rej[0].second.rfind("eid: ", 0), 0u) << rej[0].second;
  EXPECT_EQ(rej[1].first, 4);
  EXPECT_NE(rej[1].second.find("nosuchgroup"), std::string::npos);
  EXPECT_EQ(rej[2].first, 7);
  EXPECT_EQ(rej[2].second.rfind("profiles[0].iccid: ", 0), 0u) << rej[2].second;
  EXPECT_EQ(rej[3].first, 8);
  EXPECT_NE(rej[3].second.find("control character"), std::string::npos);
  EXPECT_EQ(rej[4].first, 11);
  EXPECT_NE(rej[4].second.find("expected 5 fields"), std::string::npos);
  EXPECT_EQ(rej[5].first, 13);
  EXPECT_EQ(rej[6].first, 14);
  EXPECT_NE(rej[6].second.find("nowhere"), std::string::npos);
  EXPECT_EQ(v.as_object().at("rejected_total").as_int64(), 7);

  auto d = json(get("/v1/devices/" + eid_n(1), a_viewer_)).as_object();
  EXPECT_EQ(d["active_iccid"].as_string(), iccid_n(1));
  EXPECT_EQ(d["profiles"].as_array().size(), 2u);
  EXPECT_EQ(d["tags"].as_array().size(), 2u);
  EXPECT_EQ(json(get("/v1/devices/" + eid_n(4), a_viewer_)).as_object()["name"].as_string(), "four, quoted");
  EXPECT_EQ(get("/v1/devices/" + eid_n(6), a_viewer_).status, 404);
  EXPECT_EQ(get("/v1/devices/" + eid_n(7), a_viewer_).status, 200);  // the line after the two-line record
  EXPECT_EQ(json(get("/v1/devices/" + eid_n(9), a_viewer_)).as_object()["profiles"].as_array()[0].as_object()
                .at("carrier").as_string(),
            "br-claro");
  EXPECT_EQ(count_devices(tenant_a_), 4u);

  // The same file again updates instead of creating.
  r = stream("/v1/devices:import", a_admin_, csv, "text/csv", 4096);
  v = json(r);
  EXPECT_EQ(v.as_object().at("imported").as_int64(), 0);
  EXPECT_EQ(v.as_object().at("updated").as_int64(), 4);
}

// Found by tests/fuzz/csv_fuzz: a CSV cell is raw bytes. A Latin-1 name was imported and then served as JSON that is
// not UTF-8, and a rejection reason quoting such a cell made the import report itself unreadable.
TEST_F(ImportTest, CsvBytesThatAreNotUtf8) {
  std::string csv = "eid,name,group,tags,profiles\n";
  csv += eid_n(20) + ",caf\xE9,fleet,,\n";                                         // line 2: Latin-1
  csv += eid_n(21) + ",ok,fleet,,\"" + iccid_n(21) + "@724-06:on\xFF\"\n";          // line 3: echoed in the reason
  csv += eid_n(22) + ",caf\xC3\xA9,fleet,,\n";                                     // line 4: UTF-8
  auto r = stream("/v1/devices:import", a_admin_, csv, "text/csv", 4096);
  ASSERT_EQ(r.status, 200) << r.body;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  ASSERT_FALSE(ec) << "the report is not JSON: " << r.body;
  EXPECT_EQ(v.as_object().at("imported").as_int64(), 1);
  auto rej = rejected(v);
  ASSERT_EQ(rej.size(), 2u) << r.body;
  EXPECT_EQ(rej[0].first, 2);
  EXPECT_EQ(rej[0].second, "name is not valid UTF-8");
  EXPECT_EQ(rej[1].first, 3);
  EXPECT_EQ(rej[1].second, "profiles[0]: unknown profile flag 'on\xEF\xBF\xBD' (enabled or disabled)");
  EXPECT_EQ(get("/v1/devices/" + eid_n(20), a_viewer_).status, 404);
  auto d = get("/v1/devices/" + eid_n(22), a_viewer_);
  ASSERT_EQ(d.status, 200);
  EXPECT_EQ(json(d).as_object().at("name").as_string(), "caf\xC3\xA9");
}

TEST_F(ImportTest, NdjsonGoodAndBadLines) {
  std::string nd;
  nd += R"({"eid":")" + eid_n(1) + R"(","name":"a","profiles":[{"iccid":")" + iccid_n(1) +
        R"(","carrier":"724-05","state":"enabled"}]})" + "\n";       // 1
  nd += R"({"eid":")" + eid_n(2) + R"(","colour":"red"})" + "\n";   // 2 unknown field
  nd += "{not json\n";                                                // 3
  nd += "\n";                                                         // 4 blank
  nd += R"({"eid":")" + eid_n(5) + R"(","tags":["t1"]})" + "\r\n";  // 5
  nd += R"({"eid":")" + eid_n(6) + R"(","profiles":[{"iccid":")" + iccid_n(1) + R"(","carrier":"br-vivo"}]})" +
        "\n";                                                         // 6: ICCID already on device 1
  nd += R"({"eid":")" + eid_n(7) + "\"}";                            // 7 without EOL
  auto r = stream("/v1/devices:import", a_admin_, nd, "application/x-ndjson", 3);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json(r);
  EXPECT_EQ(v.as_object().at("imported").as_int64(), 3) << r.body;
  auto rej = rejected(v);
  ASSERT_EQ(rej.size(), 3u) << r.body;
  EXPECT_EQ(rej[0].first, 2);
  EXPECT_NE(rej[0].second.find("colour"), std::string::npos);
  EXPECT_EQ(rej[1].first, 3);
  EXPECT_EQ(rej[2].first, 6);
  EXPECT_EQ(count_devices(tenant_a_), 3u);
  EXPECT_EQ(get("/v1/devices/" + eid_n(6), a_viewer_).status, 404);
}

TEST_F(ImportTest, BufferedBodyThroughHandleAlsoWorks) {
  std::string csv = "eid,name,group,tags\n" + eid_n(1) + ",x,fleet,\n";
  auto r = post("/v1/devices:import", a_admin_, csv, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r).as_object().at("imported").as_int64(), 1);
}

TEST_F(ImportTest, CsvWithBomAndColumnsInAnyOrder) {
  std::string csv = "\xEF\xBB\xBFname,EID,lifecycle,sgp32_version\r\n";
  csv += "first," + eid_n(1) + ",inventory,1.0\r\n";
  csv += "second," + eid_n(2) + ",,\r\n";
  csv += "third," + eid_n(3) + ",dead,\r\n";
  auto r = stream("/v1/devices:import", a_admin_, csv, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json(r);
  EXPECT_EQ(v.as_object().at("imported").as_int64(), 2);
  auto rej = rejected(v);
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].first, 4);
  EXPECT_EQ(rej[0].second.rfind("lifecycle: ", 0), 0u) << rej[0].second;
  auto d = json(get("/v1/devices/" + eid_n(1), a_viewer_)).as_object();
  EXPECT_EQ(d["name"].as_string(), "first");
  EXPECT_EQ(d["lifecycle"].as_string(), "inventory");
  EXPECT_EQ(d["sgp32_version"].as_string(), "1.0");
  EXPECT_EQ(json(get("/v1/devices/" + eid_n(2), a_viewer_)).as_object()["lifecycle"].as_string(), "active");
}

TEST_F(ImportTest, RefusedUploads) {
  auto r = stream("/v1/devices:import", a_admin_, "x", "application/json");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(code(r), "unsupported_media_type");
  r = stream("/v1/devices:import", a_operator_, "eid\n", "text/csv");
  EXPECT_EQ(r.status, 403);
  r = stream("/v1/devices:import", "", "eid\n", "text/csv");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code(r), "unauthenticated");
  r = stream("/v1/devices:import", a_admin_, "eid,name,colour\n" + eid_n(1) + ",a,b\n", "text/csv");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(code(r), "invalid_csv_header");
  r = stream("/v1/devices:import", a_admin_, "", "text/csv");
  EXPECT_EQ(code(r), "invalid_csv_header");
  EXPECT_EQ(count_devices(tenant_a_), 0u);
  // Only the import route streams.
  http::Request head;
  head.method = http::Method::post;
  head.path = "/v1/devices";
  EXPECT_EQ(service_->open_stream(head), nullptr);
}

TEST_F(ImportTest, TenThousandLinesInBatches) {
  std::string csv = "eid,name,group,tags,profiles\n";
  for (std::uint64_t n = 1; n <= 10000; ++n) {
    if (n % 1000 == 0) {
      csv += "garbage,line,,,\n";
      continue;
    }
    csv += eid_n(n) + ",dev" + std::to_string(n) + ",fleet,batch," + iccid_n(n) + "@724-06:enabled\n";
  }
  auto r = stream("/v1/devices:import", a_admin_, csv, "text/csv", 64 * 1024);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = json(r);
  EXPECT_EQ(v.as_object().at("imported").as_int64(), 9990);
  auto rej = rejected(v);
  ASSERT_EQ(rej.size(), 10u);
  EXPECT_EQ(rej[0].first, 1001);  // device 1000 is on line 1001
  EXPECT_EQ(rej[9].first, 10001);
  EXPECT_EQ(count_devices(tenant_a_), 9990u);
}

TEST_F(ImportTest, ImporterCapsRejectionsAndKeepsCount) {
  std::string csv = "eid\n";
  for (int i = 0; i < 30; ++i) csv += "bad\n";
  DeviceImporter imp(*store_, tenant_a_, clock_, ImportFormat::csv, ImportOptions{.batch_size = 3, .max_rejections = 10});
  ASSERT_TRUE(imp.write(csv).ok());
  auto rep = imp.finish();
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->rejected.size(), 10u);
  EXPECT_EQ(rep->rejected_total, 30u);
  EXPECT_EQ(rep->rejected.back().line, 11u);
}

TEST_F(ImportTest, ImporterSmallBatchesAndRepeatedEid) {
  std::string csv = "eid,name\n";
  for (int n = 1; n <= 7; ++n) csv += eid_n(static_cast<std::uint64_t>(n)) + ",first\n";
  csv += eid_n(3) + ",second\n";  // the same EID again: an update of line 4
  DeviceImporter imp(*store_, tenant_a_, clock_, ImportFormat::csv, ImportOptions{.batch_size = 2});
  for (char c : csv) ASSERT_TRUE(imp.write(std::string_view(&c, 1)).ok());
  auto rep = imp.finish();
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->imported, 7u);
  EXPECT_EQ(rep->updated, 1u);
  EXPECT_EQ(json(get("/v1/devices/" + eid_n(3), a_viewer_)).as_object()["name"].as_string(), "second");
  EXPECT_EQ(import_format_for("application/x-ndjson"), ImportFormat::ndjson);
  EXPECT_EQ(import_format_for("TEXT/CSV; charset=utf-8"), ImportFormat::csv);
  EXPECT_FALSE(import_format_for("application/json").has_value());
}

}  // namespace
}  // namespace esimo::api::testing
