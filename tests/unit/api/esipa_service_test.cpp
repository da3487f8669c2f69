// api::EsipaService: the ESipa HTTP binding (SGP.32 §6.1) with a scripted handler in place of the eIM.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/esipa_service.hpp"
#include "base/log.hpp"
#include "base/metrics.hpp"

namespace esimo::api {
namespace {

using http::Method;

class EsipaServiceTest : public ::testing::Test {
 protected:
  EsipaServiceTest()
      : service_(
            [this](ByteView body, std::optional<sgp::Version> hint) -> Result<Bytes> {
              ++calls_;
              seen_body_.assign(body.begin(), body.end());
              seen_hint_ = hint;
              return next_;
            },
            metrics_) {
    log::set_level(log::Level::warn);
  }

  http::Response send(Method m, std::string path, std::string body, std::string admin = "gsma/rsp/v1.2.0",
                      std::string ct = "application/x-gsma-rsp-asn1") {
    http::Request req;
    req.method = m;
    req.path = path;
    req.target = path;
    req.body = std::move(body);
    if (!admin.empty()) req.headers.push_back({"x-admin-protocol", admin});
    if (!ct.empty()) req.headers.push_back({"content-type", ct});
    return service_.handle(req);
  }

  static std::string get_eim_package_body() { return std::string("\xBF\x4F\x03\x5A\x01\x01", 6); }

  metrics::Registry metrics_;
  int calls_ = 0;
  Bytes seen_body_;
  std::optional<sgp::Version> seen_hint_;
  Result<Bytes> next_ = Bytes{0xBF, 0x4F, 0x03, 0x81, 0x01, 0x01};
  EsipaService service_;
};

TEST(AdminProtocol, AcceptsSgp32AndSgp22VersionsOnly) {
  EXPECT_EQ(parse_admin_protocol("gsma/rsp/v1.2.0").version, sgp::Version::v1_2);
  EXPECT_TRUE(parse_admin_protocol("gsma/rsp/v1.2.3").accepted);
  EXPECT_EQ(parse_admin_protocol("gsma/rsp/v1.0.0").version, sgp::Version::v1_0);
  auto sgp22 = parse_admin_protocol("gsma/rsp/v2.1.0");
  EXPECT_TRUE(sgp22.accepted);
  EXPECT_FALSE(sgp22.version.has_value());
  EXPECT_TRUE(parse_admin_protocol("gsma/rsp/v2.5.0").accepted);
  for (const char* bad : {"", "gsma/rsp/v1.1.0", "gsma/rsp/v3.0.0", "gsma/rsp/v1.2", "gsma/rsp/v1.2.", "gsma/rsp/1.2.0",
                          "GSMA/RSP/v1.2.0", "gsma/rsp/v1.2.0 ", "gsma/rsp/v1.x.0", "gsma/rsp/v1.2.0.1"}) {
    EXPECT_FALSE(parse_admin_protocol(bad).accepted) << bad;
  }
}

TEST(EsipaKind, FromTheOuterTag) {
  EXPECT_EQ(esipa_message_kind(as_bytes(std::string("\xBF\x4F\x00", 3))), "get_eim_package");
  EXPECT_EQ(esipa_message_kind(as_bytes(std::string("\xBF\x50\x00", 3))), "provide_eim_package_result");
  EXPECT_EQ(esipa_message_kind(as_bytes(std::string("\xBF\x3D\x00", 3))), "handle_notification");
  EXPECT_EQ(esipa_message_kind(as_bytes(std::string("\x30\x00", 2))), "unknown");
  EXPECT_EQ(esipa_message_kind({}), "unknown");
}

TEST_F(EsipaServiceTest, AnswersTheEimDerWithTheSameHeaders) {
  auto r = send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "gsma/rsp/v2.1.0");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-gsma-rsp-asn1");
  EXPECT_EQ(r.header("x-admin-protocol"), "gsma/rsp/v2.1.0");
  EXPECT_EQ(r.body, std::string("\xBF\x4F\x03\x81\x01\x01", 6));
  EXPECT_EQ(calls_, 1);
  const std::string sent = get_eim_package_body();
  EXPECT_EQ(as_chars(seen_body_), sent);
  EXPECT_FALSE(seen_hint_.has_value());  // an SGP.22 version says nothing about SGP.32
}

TEST_F(EsipaServiceTest, PassesTheSgp32VersionHint) {
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "gsma/rsp/v1.0.0").status, 200);
  EXPECT_EQ(seen_hint_, sgp::Version::v1_0);
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "gsma/rsp/v1.2.1").status, 200);
  EXPECT_EQ(seen_hint_, sgp::Version::v1_2);
}

TEST_F(EsipaServiceTest, EmptyAnswerIs204) {
  next_ = Bytes{};
  auto r = send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body());
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.header("x-admin-protocol"), "gsma/rsp/v1.2.0");
}

TEST_F(EsipaServiceTest, UndecodableBodyIs400AndNamesWhy) {
  next_ = Error(Errc::parse_error, "getEimPackageRequest: offset 2: length beyond the input");
  auto r = send(Method::post, "/gsma/rsp2/asn1", "\xBF\x4F\x7F");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("offset 2"), std::string::npos) << r.body;
}

TEST_F(EsipaServiceTest, InternalErrorsStayInternal) {
  next_ = Error(Errc::io_error, "database is locked at /secret/path");
  log::set_level(log::Level::off);
  auto r = send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body());
  log::set_level(log::Level::warn);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
  next_ = Error(Errc::unavailable, "shutting down");
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body()).status, 503);
}

TEST_F(EsipaServiceTest, RejectsBeforeTheEimSeesTheBody) {
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/other", get_eim_package_body()).status, 404);
  EXPECT_EQ(send(Method::post, "/", get_eim_package_body()).status, 404);
  auto get = send(Method::get, "/gsma/rsp2/asn1", "");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("allow"), "POST");
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "").status, 400);  // missing
  auto bad = send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "gsma/rsp/v1.1.0");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("X-Admin-Protocol"), std::string::npos);
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "gsma/rsp/v1.2.0", "application/json").status,
            415);
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "gsma/rsp/v1.2.0", "").status, 415);
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", std::string(64 * 1024 + 1, '\0')).status, 413);
  EXPECT_EQ(calls_, 0);
  // Media type parameters and case do not matter.
  EXPECT_EQ(send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "gsma/rsp/v1.2.0",
                 "Application/X-GSMA-RSP-ASN1; charset=binary")
                .status,
            200);
}

TEST_F(EsipaServiceTest, MetricsPerMessageKindAndOneLogLinePerRequest) {
  log::set_level(log::Level::info);
  log::flush();  // nothing logged earlier lands in the capture
  ::testing::internal::CaptureStderr();
  send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body());
  send(Method::post, "/gsma/rsp2/asn1", get_eim_package_body(), "", "application/x-gsma-rsp-asn1");
  log::flush();  // log lines are buffered
  std::string err = ::testing::internal::GetCapturedStderr();
  log::set_level(log::Level::warn);
  std::size_t lines = 0;
  for (std::size_t p = err.find(R"("msg":"esipa")"); p != std::string::npos; p = err.find(R"("msg":"esipa")", p + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 2u) << err;
  EXPECT_NE(err.find(R"("kind":"get_eim_package")"), std::string::npos) << err;
  std::string text = metrics_.expose();
  EXPECT_NE(text.find(R"(esimo_esipa_requests_total{kind="get_eim_package",status="200"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(esimo_esipa_requests_total{kind="rejected",status="400"} 1)"), std::string::npos) << text;
}

}  // namespace
}  // namespace esimo::api
