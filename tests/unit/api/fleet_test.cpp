// Groups and operations.
#include "api_fixture.hpp"

namespace esimo::api::testing {
namespace {

using http::Method;
using domain::OperationState;

class FleetTest : public ApiTest {};

TEST_F(FleetTest, GroupsLifecycle) {
  auto r = post("/v1/groups", a_admin_, R"({"name":"europe"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json(r).as_object()["parent"].as_string(), "fleet");
  EXPECT_EQ(r.header("location"), "/v1/groups/europe");
  ASSERT_EQ(post("/v1/groups", a_admin_, R"({"name":"germany","parent":"europe"})").status, 201);
  ASSERT_EQ(post("/v1/groups", a_admin_, R"({"name":"asia"})").status, 201);
  EXPECT_EQ(code(post("/v1/groups", a_admin_, R"({"name":"asia"})")), "already_exists");

  r = get("/v1/groups?limit=2", a_viewer_);
  ASSERT_EQ(r.status, 200);
  auto v = json(r).as_object();
  EXPECT_EQ(v["items"].as_array().size(), 2u);
  ASSERT_TRUE(v["next"].is_string());
  std::string next(v["next"].as_string());
  r = get(next.substr(std::string("http://api.test").size()), a_viewer_);
  v = json(r).as_object();
  EXPECT_EQ(v["items"].as_array().size(), 2u);  // 4 groups with the root "fleet"

  r = get("/v1/groups/fleet", a_viewer_);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(json(r).as_object()["parent"].is_null());

  // Re-parent; a cycle is a conflict.
  r = call(Method::patch, "/v1/groups/germany", a_admin_, R"({"parent":"asia"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(get("/v1/groups/germany", a_viewer_)).as_object()["parent"].as_string(), "asia");
  r = call(Method::patch, "/v1/groups/asia", a_admin_, R"({"parent":"germany"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(call(Method::patch, "/v1/groups/fleet", a_admin_, R"({"parent":"asia"})").status, 409);
  EXPECT_EQ(code(call(Method::patch, "/v1/groups/asia", a_admin_, R"({"parent":"none"})")), "unknown_group");
  EXPECT_EQ(code(call(Method::patch, "/v1/groups/asia", a_admin_, R"({"name":"x"})")), "unknown_field");

  // Delete: 409 while it has children or devices.
  EXPECT_EQ(call(Method::del, "/v1/groups/asia", a_admin_).status, 409);
  create_device(a_admin_, 1, R"("group":"germany")");
  EXPECT_EQ(call(Method::del, "/v1/groups/germany", a_admin_).status, 409);
  ASSERT_EQ(call(Method::del, "/v1/devices/" + eid_n(1), a_admin_).status, 204);
  EXPECT_EQ(call(Method::del, "/v1/groups/germany", a_admin_).status, 204);
  EXPECT_EQ(call(Method::del, "/v1/groups/asia", a_admin_).status, 204);
  EXPECT_EQ(call(Method::del, "/v1/groups/fleet", a_admin_).status, 409);
  EXPECT_EQ(get("/v1/groups/asia", a_viewer_).status, 404);
}

TEST_F(FleetTest, GroupValidation) {
  struct Case {
    std::string body;
    const char* code;
    const char* field;
  };
  for (const auto& c : std::vector<Case>{{R"({})", "missing_field", "name"},
                                         {R"({"name":"has space"})", "invalid_group", "name"},
                                         {R"({"name":"ok","parent":"missing"})", "unknown_group", "parent"},
                                         {R"({"name":"ok","parent":7})", "invalid_type", "parent"},
                                         {R"({"name":"ok","x":1})", "unknown_field", "x"}}) {
    auto r = post("/v1/groups", a_admin_, c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(code(r), c.code) << c.body;
    EXPECT_EQ(field(r), c.field) << c.body;
  }
  EXPECT_EQ(get("/v1/groups/ok", a_viewer_).status, 404);
}

TEST_F(FleetTest, OperationsListGetCancel) {
  create_device(a_admin_, 1);
  create_device(a_admin_, 2);
  std::string q = create_operation(tenant_a_, 1, OperationState::queued, "enable");
  std::string d = create_operation(tenant_a_, 1, OperationState::delivered, "disable");
  std::string s = create_operation(tenant_a_, 2, OperationState::succeeded, "enable");

  auto r = get("/v1/operations", a_viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r).as_object()["items"].as_array().size(), 3u);
  r = get("/v1/operations?eid=" + eid_n(1), a_viewer_);
  EXPECT_EQ(json(r).as_object()["items"].as_array().size(), 2u);
  r = get("/v1/operations?state=succeeded", a_viewer_);
  EXPECT_EQ(json(r).as_object()["items"].as_array().size(), 1u);
  r = get("/v1/operations?type=disable", a_viewer_);
  EXPECT_EQ(json(r).as_object()["items"].as_array().size(), 1u);
  EXPECT_EQ(code(get("/v1/operations?state=sleeping", a_viewer_)), "invalid_state");

  r = get("/v1/operations/" + q, a_viewer_);
  ASSERT_EQ(r.status, 200);
  auto op = json(r).as_object();
  EXPECT_EQ(op["state"].as_string(), "queued");
  EXPECT_EQ(op["params"].as_object()["iccid"].as_string(), iccid_n(1));
  EXPECT_TRUE(op["outcome"].is_null());

  r = post("/v1/operations/" + q + ":cancel", a_operator_, "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r).as_object()["state"].as_string(), "cancelled");
  EXPECT_EQ(json(get("/v1/operations/" + q, a_viewer_)).as_object()["state"].as_string(), "cancelled");
  r = post("/v1/operations/" + d + ":cancel", a_admin_, "{}");
  EXPECT_EQ(r.status, 200) << r.body;
  r = post("/v1/operations/" + s + ":cancel", a_admin_, "");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(code(r), "conflict");
  r = post("/v1/operations/" + q + ":cancel", a_admin_, "");
  EXPECT_EQ(r.status, 409);  // already cancelled
  EXPECT_EQ(code(post("/v1/operations/" + s + ":cancel", a_admin_, R"({"why":1})")), "unknown_field");
  EXPECT_EQ(post("/v1/operations/op_nope:cancel", a_admin_, "").status, 404);
  EXPECT_EQ(json(get("/v1/operations/" + s, a_viewer_)).as_object()["state"].as_string(), "succeeded");
}

}  // namespace
}  // namespace esimo::api::testing
