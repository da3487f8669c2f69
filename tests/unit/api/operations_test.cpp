// POST /v1/devices/{eid}/operations and cancel through a real eim::EimService on the real SQLite store.
#include <gtest/gtest.h>

#include "api_fixture.hpp"
#include "api/keys.hpp"
#include "base/clock.hpp"

namespace esimo::api::testing {
namespace {

using http::Method;

class OperationsTest : public ApiTest {
 protected:
  bool use_eim() const override { return true; }

  std::string ops(std::uint64_t n) { return "/v1/devices/" + eid_n(n) + "/operations"; }
  void device_with_profiles(std::uint64_t n, std::string_view version = "1.2") {
    create_device(a_admin_, n,
                  R"("sgp32_version":")" + std::string(version) + R"(","profiles":[{"iccid":")" + iccid_n(n * 10) +
                      R"(","carrier":"br-vivo","state":"enabled"},{"iccid":")" + iccid_n(n * 10 + 1) +
                      R"(","carrier":"br-claro"}])");
  }
  http::Response post_idem(const std::string& target, const std::string& body, const std::string& key) {
    http::Request req;
    req.method = Method::post;
    req.target = target;
    req.path = target;
    req.body = body;
    req.request_id = "req-test";
    req.headers.push_back({"authorization", "Bearer " + a_operator_});
    req.headers.push_back({"content-type", "application/json"});
    req.headers.push_back({"idempotency-key", key});
    return service_->handle(req);
  }
};

TEST_F(OperationsTest, QueuesATypedOperationAndAnswers202) {
  device_with_profiles(1);
  auto r = post(ops(1), a_operator_, R"({"type":"enable","iccid":")" + iccid_n(11) + R"(","rollback":true})");
  ASSERT_EQ(r.status, 202) << r.body;
  auto j = json(r).as_object();
  EXPECT_EQ(j.at("type").as_string(), "enable");
  EXPECT_EQ(j.at("state").as_string(), "queued");
  EXPECT_EQ(j.at("eid").as_string(), eid_n(1));
  const std::string key_id(*KeyService::key_id_of(a_operator_));
  EXPECT_EQ(j.at("reason").as_string(), "user:" + key_id);
  EXPECT_EQ(j.at("params").as_object().at("iccid").as_string(), iccid_n(11));
  EXPECT_EQ(j.at("params").as_object().at("rollback").as_bool(), true);
  const std::string id(j.at("id").as_string());
  EXPECT_EQ(r.header("location"), "/v1/operations/" + id);
  auto g = get("/v1/operations/" + id, a_viewer_);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(json(g).as_object().at("state").as_string(), "queued");
  // Every type decodes (no device state is needed to queue these).
  for (const std::string& body : std::vector<std::string>{
           R"({"type":"get_rat"})", R"({"type":"list_profiles"})", R"({"type":"list_eim"})", R"({"type":"unset_fallback"})",
        R"({"type":"set_default_dp","address":"smdp.example.com"})",
        R"({"type":"configure_immediate_enable","immediate_enable":true})", R"({"type":"delete_eim","eim_id":"old"})",
        R"({"type":"euicc_data","tag_list":"84a5a6"})", R"({"type":"disable","iccid":")" + iccid_n(10) + "\"}",
        R"({"type":"set_fallback","iccid":")" + iccid_n(11) + "\"}"}) {
    EXPECT_EQ(post(ops(1), a_operator_, body).status, 202) << body;
  }
}

TEST_F(OperationsTest, ExpiryFromExpiresInOrExpiresAt) {
  device_with_profiles(1);
  auto r = post(ops(1), a_operator_, R"({"type":"get_rat","expires_in":600})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json(r).as_object().at("expires_at").as_string(), format_rfc3339(clock_.now() + std::chrono::seconds(600)));
  const std::string at = format_rfc3339(clock_.now() + std::chrono::hours(2));
  r = post(ops(1), a_operator_, R"({"type":"get_rat","expires_at":")" + at + "\"}");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json(r).as_object().at("expires_at").as_string(), at);
  EXPECT_EQ(code(post(ops(1), a_operator_, R"({"type":"get_rat","expires_in":0})")), "invalid_expires_in");
  EXPECT_EQ(code(post(ops(1), a_operator_, R"({"type":"get_rat","expires_in":"5"})")), "invalid_expires_in");
  EXPECT_EQ(code(post(ops(1), a_operator_, R"({"type":"get_rat","expires_at":"tomorrow"})")), "invalid_expires_at");
  const std::string past = format_rfc3339(clock_.now() - std::chrono::hours(1));
  EXPECT_EQ(code(post(ops(1), a_operator_, R"({"type":"get_rat","expires_at":")" + past + "\"}")), "invalid_expires_at");
}

TEST_F(OperationsTest, IdempotencyKeyReturnsTheSameOperation) {
  device_with_profiles(1);
  const std::string body = R"({"type":"disable","iccid":")" + iccid_n(10) + "\"}";
  auto first = post_idem(ops(1), body, "req-42");
  ASSERT_EQ(first.status, 202) << first.body;
  auto again = post_idem(ops(1), body, "req-42");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json(again).as_object().at("id"), json(first).as_object().at("id"));
  EXPECT_EQ(json(again).as_object().at("idempotency_key").as_string(), "req-42");
  auto other = post_idem(ops(1), R"({"type":"get_rat"})", "req-42");
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(code(other), "idempotency_key_reused");
  EXPECT_EQ(code(post_idem(ops(1), body, std::string(129, 'k'))), "invalid_idempotency_key");
  auto list = get("/v1/operations?eid=" + eid_n(1), a_viewer_);
  EXPECT_EQ(json(list).as_object().at("items").as_array().size(), 1u);
}

TEST_F(OperationsTest, BadBodiesNameTheField) {
  device_with_profiles(1);
  auto r = post(ops(1), a_operator_, R"({"type":"reboot"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "type");
  r = post(ops(1), a_operator_, R"({"iccid":")" + iccid_n(10) + "\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "type");
  r = post(ops(1), a_operator_, R"({"type":"enable","iccid":"123"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "iccid");
  r = post(ops(1), a_operator_, R"({"type":"get_rat","colour":"red"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r), "colour");
  EXPECT_EQ(post(ops(1), a_operator_, "[1]").status, 400);
  EXPECT_EQ(post(ops(1), a_operator_, "{").status, 400);
  EXPECT_EQ(code(post("/v1/devices/123/operations", a_operator_, R"({"type":"get_rat"})")), "invalid_eid");
  auto list = get("/v1/operations?eid=" + eid_n(1), a_viewer_);
  EXPECT_TRUE(json(list).as_object().at("items").as_array().empty());
}

TEST_F(OperationsTest, RequestsThatDoNotFitTheDeviceAre422) {
  device_with_profiles(1);
  device_with_profiles(2, "1.0");
  auto r = post(ops(1), a_operator_, R"({"type":"enable","iccid":")" + iccid_n(99) + "\"}");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(field(r), "iccid");
  // Another device's profile is not this device's.
  EXPECT_EQ(post(ops(1), a_operator_, R"({"type":"enable","iccid":")" + iccid_n(21) + "\"}").status, 422);
  // Fallback PSMOs exist from SGP.32 v1.2 on.
  r = post(ops(2), a_operator_, R"({"type":"set_fallback","iccid":")" + iccid_n(21) + "\"}");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(post(ops(2), a_operator_, R"({"type":"unset_fallback"})").status, 422);
  EXPECT_EQ(post(ops(2), a_operator_, R"({"type":"enable","iccid":")" + iccid_n(21) + "\"}").status, 202);
}

TEST_F(OperationsTest, TenantsRolesAndUnknownDevices) {
  device_with_profiles(1);
  EXPECT_EQ(post(ops(1), a_viewer_, R"({"type":"get_rat"})").status, 403);
  EXPECT_EQ(post(ops(1), b_admin_, R"({"type":"get_rat"})").status, 404);
  EXPECT_EQ(post(ops(7), a_operator_, R"({"type":"get_rat"})").status, 404);
  EXPECT_EQ(post(ops(1), "", R"({"type":"get_rat"})").status, 401);
}

TEST_F(OperationsTest, DeviceChangesReachTheEim) {
  // The eIM loaded before these devices existed: create, import and delete must tell it.
  device_with_profiles(1);
  EXPECT_EQ(post(ops(1), a_operator_, R"({"type":"get_rat"})").status, 202);
  auto imp = post("/v1/devices:import", a_admin_, "eid\n" + eid_n(5) + "\n", "text/csv");
  ASSERT_EQ(imp.status, 200) << imp.body;
  EXPECT_EQ(post(ops(5), a_operator_, R"({"type":"get_rat"})").status, 202);
  auto st = stream("/v1/devices:import", a_admin_, "eid\n" + eid_n(6) + "\n", "text/csv");
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(post(ops(6), a_operator_, R"({"type":"get_rat"})").status, 202);
  // A version change through PATCH: fallback PSMOs are then refused.
  ASSERT_EQ(call(Method::patch, "/v1/devices/" + eid_n(1), a_admin_, R"({"sgp32_version":"1.0"})").status, 200);
  EXPECT_EQ(post(ops(1), a_operator_, R"({"type":"unset_fallback"})").status, 422);
  ASSERT_EQ(call(Method::del, "/v1/devices/" + eid_n(1), a_admin_).status, 204);
  EXPECT_EQ(post(ops(1), a_operator_, R"({"type":"get_rat"})").status, 404);
}

TEST_F(OperationsTest, CancelGoesThroughTheEim) {
  device_with_profiles(1);
  auto r = post(ops(1), a_operator_, R"({"type":"get_rat"})");
  ASSERT_EQ(r.status, 202);
  const std::string id(json(r).as_object().at("id").as_string());
  auto c = post("/v1/operations/" + id + ":cancel", a_operator_, "");
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(json(c).as_object().at("state").as_string(), "cancelled");
  EXPECT_EQ(post("/v1/operations/" + id + ":cancel", a_operator_, "").status, 409);
  EXPECT_EQ(post("/v1/operations/op_nope:cancel", a_operator_, "").status, 404);
  EXPECT_EQ(post("/v1/operations/" + id + ":cancel", b_admin_, "").status, 404);
}

class NoEimTest : public ApiTest {};

TEST_F(NoEimTest, OperationsAnswer503WithoutAnEim) {
  create_device(a_admin_, 1);
  auto r = post("/v1/devices/" + eid_n(1) + "/operations", a_operator_, R"({"type":"get_rat"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(code(r), "eim_not_configured");
}

}  // namespace
}  // namespace esimo::api::testing
