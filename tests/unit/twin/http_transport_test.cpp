#include <gtest/gtest.h>

#include <mutex>

#include "net/http_server.hpp"
#include "twin/ipa.hpp"
#include "twin_test_util.hpp"

namespace esimo::twin::http_tests {

using namespace esimo::twin::testing;  // NOLINT(google-build-using-namespace): test file

// A loopback ESipa endpoint: records what arrives, answers noEimPackageAvailable to GetEimPackageRequest and 204 to
// anything else, or a fixed status when `status` is set.
class RecordingEim final : public http::Service {
 public:
  explicit RecordingEim(sgp::Version v) : version_(v) {}
  http::Response handle(http::Request& req) override {
    std::lock_guard lock(mu_);
    paths.push_back(req.path);
    admin_protocols.emplace_back(req.header("x-admin-protocol"));
    content_types.emplace_back(req.header("content-type"));
    http::Response resp;
    if (status != 0) {
      resp.status = status;
      resp.body = "broken";
      return resp;
    }
    const ByteView body = as_bytes(req.body);
    auto msg = sgp::decode_ipa_to_eim(body, version_);
    if (msg.ok() && std::holds_alternative<sgp::GetEimPackageRequest>(*msg)) {
      auto out =
          sgp::encode(sgp::EsipaMessageFromEimToIpa(sgp::GetEimPackageResponse(sgp::EimPackageError{1})), version_);
      resp.content_type = "application/x-gsma-rsp-asn1";
      resp.body.assign(out->begin(), out->end());
      resp.set_header("X-Admin-Protocol", std::string(req.header("x-admin-protocol")));
      return resp;
    }
    resp.status = 204;
    resp.content_type.clear();
    return resp;
  }
  std::mutex mu_;
  std::vector<std::string> paths, admin_protocols, content_types;
  int status = 0;

 private:
  sgp::Version version_;
};

TEST(HttpEsipaTransport, PollsOverLoopbackWithTheEsipaBinding) {
  for (const auto v : {sgp::Version::v1_2, sgp::Version::v1_0}) {
    RecordingEim service(v);
    auto server = net::HttpServer::start(net::ServerOptions{}, service);
    ASSERT_TRUE(server.ok()) << server.error().message;
    const std::string url = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/eim";
    HttpEsipaOptions options;
    if (v == sgp::Version::v1_0) options.admin_protocol = "gsma/rsp/v2.1.0";  // as the public IPAd sends
    auto transport = HttpEsipaTransport::connect(url, v, options);
    ASSERT_TRUE(transport.ok()) << transport.error().message;
    auto e = make_euicc(v);
    EimSide eim{v};
    run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});  // leaves a result and two notifications to deliver
    Ipa ipa(e, **transport);
    auto report = ipa.poll_until_idle(5);
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_TRUE(report->idle);
    EXPECT_EQ(report->notifications_sent, 2u);
    EXPECT_TRUE(e.pending_notifications().empty());
    std::lock_guard lock(service.mu_);
    ASSERT_EQ(service.paths.size(), 4u);  // stored result, 2 notifications, GetEimPackageRequest
    for (std::size_t i = 0; i < service.paths.size(); ++i) {
      EXPECT_EQ(service.paths[i], "/eim/gsma/rsp2/asn1");
      EXPECT_EQ(service.content_types[i], "application/x-gsma-rsp-asn1");
      EXPECT_EQ(service.admin_protocols[i], v == sgp::Version::v1_2 ? "gsma/rsp/v1.2.0" : "gsma/rsp/v2.1.0");
    }
  }
}

TEST(HttpEsipaTransport, HttpErrorsBecomeErrors) {
  RecordingEim service(sgp::Version::v1_2);
  service.status = 503;
  auto server = net::HttpServer::start(net::ServerOptions{}, service);
  ASSERT_TRUE(server.ok());
  auto transport =
      HttpEsipaTransport::connect("http://127.0.0.1:" + std::to_string((*server)->port()), sgp::Version::v1_2);
  ASSERT_TRUE(transport.ok());
  auto r = (*transport)->exchange(Bytes{0xBF, 0x4F, 0x00});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_NE(r.error().message.find("503"), std::string::npos);
  service.status = 400;
  r = (*transport)->exchange(Bytes{0xBF, 0x4F, 0x00});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::failed_precondition);
}

}  // namespace esimo::twin::http_tests
