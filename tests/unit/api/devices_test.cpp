// Devices and profiles: happy paths, every validation error (code + field) with nothing written, paging and filters.
#include <algorithm>
#include <set>

#include "api_fixture.hpp"

namespace esimo::api::testing {
namespace {

using http::Method;

class DevicesTest : public ApiTest {};

TEST_F(DevicesTest, CreateGetPatchDelete) {
  std::string body = R"({"eid":")" + eid_n(1) + R"(","name":"pump 1","group":"fleet","tags":["b","a","b"],
    "sgp32_version":"1.0","lifecycle":"inventory","profiles":[
      {"iccid":")" + iccid_n(1) + R"(","carrier":"724-06","state":"enabled","class":"operational"},
      {"iccid":")" + iccid_n(2) + R"(","carrier":"de-telekom","fallback":true}]})";
  auto r = post("/v1/devices", a_admin_, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("location"), "/v1/devices/" + eid_n(1));
  auto d = json(r).as_object();
  EXPECT_EQ(d["eid"].as_string(), eid_n(1));
  EXPECT_EQ(d["active_iccid"].as_string(), iccid_n(1));
  EXPECT_EQ(d["tags"].as_array().size(), 2u);  // sorted, deduplicated
  EXPECT_EQ(d["tags"].as_array()[0].as_string(), "a");

  r = get("/v1/devices/" + eid_n(1), a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  d = json(r).as_object();
  EXPECT_EQ(d["name"].as_string(), "pump 1");
  EXPECT_EQ(d["lifecycle"].as_string(), "inventory");
  EXPECT_EQ(d["sgp32_version"].as_string(), "1.0");
  ASSERT_EQ(d["profiles"].as_array().size(), 2u);
  auto p0 = d["profiles"].as_array()[0].as_object();
  auto p1 = d["profiles"].as_array()[1].as_object();
  // Order by ICCID; the PLMN was resolved to the catalog carrier.
  EXPECT_EQ(p0["carrier"].as_string(), "br-vivo");
  EXPECT_EQ(p0["state"].as_string(), "enabled");
  EXPECT_EQ(p1["carrier"].as_string(), "de-telekom");
  EXPECT_TRUE(p1["fallback"].as_bool());

  ASSERT_EQ(post("/v1/groups", a_admin_, R"({"name":"pumps"})").status, 201);
  r = call(Method::patch, "/v1/devices/" + eid_n(1), a_admin_,
           R"({"name":"pump one","group":"pumps","tags":["x"],"lifecycle":"active","sgp32_version":"1.2"})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = get("/v1/devices/" + eid_n(1), a_viewer_);
  d = json(r).as_object();
  EXPECT_EQ(d["name"].as_string(), "pump one");
  EXPECT_EQ(d["group"].as_string(), "pumps");
  EXPECT_EQ(d["lifecycle"].as_string(), "active");
  EXPECT_EQ(d["sgp32_version"].as_string(), "1.2");
  EXPECT_EQ(d["tags"].as_array().size(), 1u);

  r = get("/v1/profiles/" + iccid_n(2), a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r).as_object()["eid"].as_string(), eid_n(1));
  r = get("/v1/profiles?eid=" + eid_n(1) + "&state=enabled", a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r).as_object()["items"].as_array().size(), 1u);

  EXPECT_EQ(call(Method::del, "/v1/devices/" + eid_n(1), a_admin_).status, 204);
  r = get("/v1/devices/" + eid_n(1), a_viewer_);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code(r), "not_found");
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(get("/v1/profiles/" + iccid_n(2), a_viewer_).status, 404);
}

TEST_F(DevicesTest, CreateDuplicateIs409) {
  create_device(a_admin_, 1);
  auto r = post("/v1/devices", a_admin_, R"({"eid":")" + eid_n(1) + "\"}");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(code(r), "already_exists");
}

struct BadBody {
  const char* name;
  std::string body;
  int status;
  const char* code;
  const char* field;
};

TEST_F(DevicesTest, ValidationErrorsNameCodeAndFieldAndWriteNothing) {
  const std::string e = eid_n(7);
  const std::string i = iccid_n(7);
  std::string bad_eid = e;
  bad_eid.back() = bad_eid.back() == '0' ? '1' : '0';
  std::string bad_iccid = i;
  bad_iccid.back() = bad_iccid.back() == '0' ? '1' : '0';
  const std::vector<BadBody> cases = {
      {"malformed", "{\"eid\":", 400, "invalid_json", ""},
      {"trailing", "{\"eid\":\"" + e + "\"} x", 400, "invalid_json", ""},
      {"empty", "", 400, "invalid_json", ""},
      {"not an object", "[1]", 400, "invalid_type", ""},
      {"missing eid", "{\"name\":\"x\"}", 400, "missing_field", "eid"},
      {"eid type", "{\"eid\":12}", 400, "invalid_type", "eid"},
      {"bad eid", "{\"eid\":\"" + bad_eid + "\"}", 400, "invalid_eid", "eid"},
      {"unknown field", "{\"eid\":\"" + e + "\",\"colour\":\"red\"}", 400, "unknown_field", "colour"},
      {"tags type", "{\"eid\":\"" + e + "\",\"tags\":\"a\"}", 400, "invalid_type", "tags"},
      {"tag item type", "{\"eid\":\"" + e + "\",\"tags\":[\"a\",1]}", 400, "invalid_type", "tags[1]"},
      {"bad tag", "{\"eid\":\"" + e + "\",\"tags\":[\"a\",\"b c\"]}", 400, "invalid_tag", "tags[1]"},
      {"bad group", "{\"eid\":\"" + e + "\",\"group\":\"a b\"}", 400, "invalid_group", "group"},
      {"unknown group", "{\"eid\":\"" + e + "\",\"group\":\"nope\"}", 400, "unknown_group", "group"},
      {"bad lifecycle", "{\"eid\":\"" + e + "\",\"lifecycle\":\"zombie\"}", 400, "invalid_lifecycle", "lifecycle"},
      {"bad version", "{\"eid\":\"" + e + "\",\"sgp32_version\":\"2.0\"}", 400, "invalid_sgp32_version",
       "sgp32_version"},
      {"profiles type", "{\"eid\":\"" + e + "\",\"profiles\":{}}", 400, "invalid_type", "profiles"},
      {"bad iccid",
       "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i + "\",\"carrier\":\"br-vivo\"},{\"iccid\":\"" +
           bad_iccid + "\",\"carrier\":\"br-vivo\"}]}",
       400, "invalid_iccid", "profiles[1].iccid"},
      {"bad plmn", "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i + "\",\"carrier\":\"999-99\"}]}", 400,
       "unknown_carrier", "profiles[0].carrier"},
      {"unknown carrier", "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i + "\",\"carrier\":\"nope\"}]}",
       400, "unknown_carrier", "profiles[0].carrier"},
      {"profile unknown field",
       "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i + "\",\"carrier\":\"br-vivo\",\"x\":1}]}", 400,
       "unknown_field", "profiles[0].x"},
      {"profile state",
       "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i + "\",\"carrier\":\"br-vivo\",\"state\":\"on\"}]}",
       400, "invalid_state", "profiles[0].state"},
      {"profile fallback type",
       "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i + "\",\"carrier\":\"br-vivo\",\"fallback\":1}]}",
       400, "invalid_type", "profiles[0].fallback"},
      {"two enabled",
       "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i +
           "\",\"carrier\":\"br-vivo\",\"state\":\"enabled\"},{\"iccid\":\"" + iccid_n(8) +
           "\",\"carrier\":\"br-vivo\",\"state\":\"enabled\"}]}",
       400, "multiple_enabled_profiles", "profiles"},
      {"duplicate iccid",
       "{\"eid\":\"" + e + "\",\"profiles\":[{\"iccid\":\"" + i + "\",\"carrier\":\"br-vivo\"},{\"iccid\":\"" + i +
           "\",\"carrier\":\"br-vivo\"}]}",
       400, "duplicate_iccid", "profiles[1]"},
      {"too large", "{\"eid\":\"" + e + "\",\"name\":\"" + std::string(70 * 1024, 'x') + "\"}", 413,
       "body_too_large", ""},
  };
  for (const auto& c : cases) {
    auto r = post("/v1/devices", a_admin_, c.body);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(code(r), c.code) << c.name << ": " << r.body;
    EXPECT_EQ(field(r), c.field) << c.name << ": " << r.body;
    auto v = json(r).as_object();
    EXPECT_EQ(v["type"].as_string(), std::string("https://esimo.dev/problems/") + c.code) << c.name;
    EXPECT_EQ(v["request_id"].as_string(), "req-test") << c.name;
  }
  EXPECT_EQ(count_devices(tenant_a_), 0u);
  auto profiles = store_->list_profiles(tenant_a_, {}, {});
  ASSERT_TRUE(profiles.ok());
  EXPECT_TRUE(profiles->items.empty());
}

TEST_F(DevicesTest, PatchValidationWritesNothing) {
  create_device(a_admin_, 1, R"("name":"keep")");
  const std::string path = "/v1/devices/" + eid_n(1);
  struct Case {
    std::string body;
    const char* code;
    const char* field;
  };
  const std::vector<Case> cases = {
      {R"({"eid":")" + eid_n(2) + "\"}", "unknown_field", "eid"},
      {R"({"name":"x","profiles":[]})", "unknown_field", "profiles"},
      {R"({"name":5})", "invalid_type", "name"},
      {R"({"name":"x","group":"missing"})", "unknown_group", "group"},
      {R"({"name":"x","lifecycle":"dead"})", "invalid_lifecycle", "lifecycle"},
      {R"({"name":"x","tags":["ok","bad tag"]})", "invalid_tag", "tags[1]"},
      {"{", "invalid_json", ""},
  };
  for (const auto& c : cases) {
    auto r = call(Method::patch, path, a_admin_, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(code(r), c.code) << c.body << " -> " << r.body;
    EXPECT_EQ(field(r), c.field) << c.body;
  }
  EXPECT_EQ(json(get(path, a_viewer_)).as_object()["name"].as_string(), "keep");
  auto r = call(Method::patch, "/v1/devices/123", a_admin_, "{}");
  EXPECT_EQ(code(r), "invalid_eid");
  EXPECT_EQ(field(r), "eid");
  EXPECT_EQ(call(Method::patch, "/v1/devices/" + eid_n(99), a_admin_, "{}").status, 404);
}

TEST_F(DevicesTest, ProfileIccidOnAnotherDeviceIsConflict) {
  create_device(a_admin_, 1, R"("profiles":[{"iccid":")" + iccid_n(1) + R"(","carrier":"br-vivo"}])");
  auto r = post("/v1/devices", a_admin_,
                R"({"eid":")" + eid_n(2) + R"(","profiles":[{"iccid":")" + iccid_n(1) + R"(","carrier":"br-vivo"}]})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(get("/v1/devices/" + eid_n(2), a_viewer_).status, 404);
}

TEST_F(DevicesTest, PagingAcrossPagesWithFiltersAndNextLinks) {
  ASSERT_EQ(post("/v1/groups", a_admin_, R"({"name":"north"})").status, 201);
  for (std::uint64_t n = 1; n <= 25; ++n) {
    std::string extra = R"("tags":[")" + std::string(n % 2 ? "odd" : "even") + R"(","all"])";
    if (n % 5 == 0) extra += R"(,"group":"north")";
    create_device(a_admin_, n, extra);
  }
  // Unfiltered: 25 in pages of 10.
  std::vector<std::string> seen;
  std::string next = "/v1/devices?limit=10";
  int pages = 0;
  while (!next.empty()) {
    auto r = get(next, a_viewer_);
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = json(r).as_object();
    for (const auto& d : v["items"].as_array()) seen.emplace_back(d.as_object().at("eid").as_string());
    ++pages;
    if (v["next"].is_null()) break;
    std::string url(v["next"].as_string());
    ASSERT_EQ(url.rfind("http://api.test/v1/devices?", 0), 0u) << url;
    EXPECT_NE(url.find("limit=10"), std::string::npos);
    next = url.substr(std::string("http://api.test").size());
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);

  // Filters survive into the next link: odd (13) + all, in pages of 4.
  seen.clear();
  next = "/v1/devices?tag=odd&tag=all&limit=4";
  while (!next.empty()) {
    auto r = get(next, a_viewer_);
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = json(r).as_object();
    for (const auto& d : v["items"].as_array()) {
      seen.emplace_back(d.as_object().at("eid").as_string());
      auto tags = d.as_object().at("tags").as_array();
      EXPECT_NE(std::find(tags.begin(), tags.end(), boost::json::value("odd")), tags.end());
    }
    if (v["next"].is_null()) break;
    std::string url(v["next"].as_string());
    EXPECT_NE(url.find("tag=odd&tag=all&"), std::string::npos) << url;
    next = url.substr(std::string("http://api.test").size());
  }
  EXPECT_EQ(seen.size(), 13u);

  auto r = get("/v1/devices?group=north", a_viewer_);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json(r).as_object()["items"].as_array().size(), 5u);
  EXPECT_TRUE(json(r).as_object()["next"].is_null());
  r = get("/v1/devices?lifecycle=retired", a_viewer_);
  EXPECT_EQ(json(r).as_object()["items"].as_array().size(), 0u);
}

TEST_F(DevicesTest, ListParameterErrors) {
  struct Case {
    const char* query;
    const char* code;
    const char* field;
  };
  for (const auto& c : std::vector<Case>{{"limit=0", "invalid_limit", "limit"},
                                         {"limit=1001", "invalid_limit", "limit"},
                                         {"limit=ten", "invalid_limit", "limit"},
                                         {"country=XX", "invalid_country", "country"},
                                         {"lifecycle=zombie", "invalid_lifecycle", "lifecycle"},
                                         {"tag=bad%20tag", "invalid_tag", "tag"},
                                         {"colour=red", "unknown_parameter", "colour"},
                                         {"group=a&group=b", "invalid_parameter", "group"}}) {
    auto r = get(std::string("/v1/devices?") + c.query, a_viewer_);
    EXPECT_EQ(r.status, 400) << c.query;
    EXPECT_EQ(code(r), c.code) << c.query << " " << r.body;
    EXPECT_EQ(field(r), c.field) << c.query;
  }
  EXPECT_EQ(get("/v1/devices?limit=1000", a_viewer_).status, 200);
  EXPECT_EQ(code(get("/v1/profiles?eid=1", a_viewer_)), "invalid_eid");
  EXPECT_EQ(code(get("/v1/profiles/123", a_viewer_)), "invalid_iccid");
}

}  // namespace
}  // namespace esimo::api::testing
