// The test SM-DP+ over real HTTP on loopback (net::HttpServer + SmdpHttpService): a whole download with the ES9+ JSON
// binding, the binding's checks (admin protocol, content type, bad JSON), and the admin endpoint.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "sgp/es9plus.hpp"
#include "sgp/rsp22.hpp"
#include "twin/smdp.hpp"
#include "twin/smdp_http.hpp"
#include "twin_test_util.hpp"

namespace esimo::twin::smdp_http_tests {

using namespace esimo::twin::testing;  // NOLINT(google-build-using-namespace): test file
namespace es9 = sgp::es9;
namespace rsp = sgp::rsp22;

Bytes contents_of(const Bytes& tlv) {
  auto t = der::read_single(tlv).value();
  return Bytes(t.value.begin(), t.value.end());
}

struct HttpLab {
  ManualClock clock{test_now()};
  std::unique_ptr<Smdp> smdp;
  std::unique_ptr<SmdpHttpService> service;
  std::unique_ptr<net::HttpServer> server;
  std::unique_ptr<net::HttpClient> client;
  std::string address;

  HttpLab() {
    // Port 0: the SM-DP+ learns its address once the listener is bound.
    smdp = std::make_unique<Smdp>(SmdpIdentity::from_test_pki(pki()), SmdpOptions{}, clock);
    service = std::make_unique<SmdpHttpService>(*smdp);
    server = net::HttpServer::start(net::ServerOptions{}, *service).value();
    address = "127.0.0.1:" + std::to_string(server->port());
    smdp->set_address(address);
    client = net::HttpClient::connect("127.0.0.1", server->port()).value();
  }
  http::Response post(std::string_view target, const std::string& body, std::string ap = std::string(es9::kAdminProtocol),
                      std::string_view content_type = "application/json") {
    std::vector<http::Header> h;
    if (!ap.empty()) h.push_back({"x-admin-protocol", ap});
    auto r = client->request(http::Method::post, target, h, body, content_type);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : http::Response{};
  }
  http::Response call(es9::Function f, const std::string& body) { return post(es9::function_path(f), body); }
};

TEST(SmdpHttp, FullDownloadOverEs9PlusJson) {
  HttpLab lab;
  auto euicc = make_euicc();
  euicc.set_trusted_ci(pki().ci.certificate);

  // Admin: prepare a profile.
  auto created = lab.post(kSmdpAdminProfilesPath, R"({"iccid":"8944000000000000050","plmn":"234-15"})", "");
  ASSERT_EQ(created.status, 201) << created.body;
  auto j = boost::json::parse(created.body).as_object();
  const std::string mid(j["matching_id"].as_string());
  EXPECT_EQ(std::string(j["activation_code"].as_string()), "1$" + lab.address + "$" + mid);

  // initiateAuthentication
  es9::InitiateAuthenticationRequest ia{euicc.get_euicc_challenge(), rsp::encode(euicc.get_euicc_info1()).value(),
                                        lab.address};
  auto r1 = lab.call(es9::Function::initiate_authentication, es9::encode(ia).value());
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_EQ(r1.header("x-admin-protocol"), es9::kAdminProtocol);
  auto init = es9::decode_initiate_authentication_response(r1.body).value();
  ASSERT_TRUE(init.ok.has_value());

  rsp::AuthenticateServerRequest asr;
  asr.server_signed1 = rsp::decode_server_signed1(init.ok->server_signed1).value();
  asr.server_signature1 = contents_of(init.ok->server_signature1);
  asr.euicc_ci_pkid_to_be_used = contents_of(init.ok->euicc_ci_pkid_to_be_used);
  asr.server_certificate = init.ok->server_certificate;
  asr.ctx_params1.matching_id = mid;
  asr.ctx_params1.device_info.tac = Bytes{1, 2, 3, 4};
  EXPECT_EQ(asr.server_signed1.server_address, lab.address);
  const Bytes asr_der = euicc.authenticate_server_der(rsp::encode(asr).value(), lab.clock.now()).value();

  // authenticateClient
  auto r2 = lab.call(es9::Function::authenticate_client,
                     es9::encode(es9::AuthenticateClientRequest{init.ok->transaction_id, asr_der}).value());
  ASSERT_EQ(r2.status, 200) << r2.body;
  auto auth = es9::decode_authenticate_client_response(r2.body).value();
  ASSERT_TRUE(auth.ok.has_value()) << r2.body;

  rsp::PrepareDownloadRequest pdr;
  pdr.smdp_signed2 = rsp::decode_smdp_signed2(auth.ok->smdp_signed2).value();
  pdr.smdp_signature2 = contents_of(auth.ok->smdp_signature2);
  pdr.smdp_certificate = auth.ok->smdp_certificate;
  const Bytes pd_der = euicc.prepare_download_der(rsp::encode(pdr).value(), lab.clock.now()).value();

  // getBoundProfilePackage
  auto r3 = lab.call(es9::Function::get_bound_profile_package,
                     es9::encode(es9::GetBoundProfilePackageRequest{init.ok->transaction_id, pd_der}).value());
  ASSERT_EQ(r3.status, 200) << r3.body;
  auto bpp = es9::decode_get_bound_profile_package_response(r3.body).value();
  ASSERT_TRUE(bpp.ok.has_value());
  auto pir = euicc.load_bound_profile_package(bpp.ok->bound_profile_package);
  ASSERT_TRUE(pir.ok()) << pir.error().message;
  ASSERT_TRUE(std::holds_alternative<rsp::SuccessResult>(pir->data.final_result));

  // handleNotification: 204, and the order is installed.
  auto r4 = lab.call(es9::Function::handle_notification,
                     es9::encode(es9::HandleNotificationRequest{rsp::encode(*pir).value()}).value());
  EXPECT_EQ(r4.status, 204);
  auto status = lab.client->request(http::Method::get, std::string(kSmdpAdminProfilesPath) + "/" + mid);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->status, 200);
  auto sj = boost::json::parse(status->body).as_object();
  EXPECT_EQ(std::string(sj["state"].as_string()), "installed");
  EXPECT_EQ(std::string(sj["installed_on"].as_string()), test_eid().str());
}

TEST(SmdpHttp, BindingChecks) {
  HttpLab lab;
  const std::string body = R"({"transactionId":"01","authenticateServerResponse":"vzgA"})";
  EXPECT_EQ(lab.post(es9::function_path(es9::Function::authenticate_client), body, "").status, 400);
  EXPECT_EQ(lab.post(es9::function_path(es9::Function::authenticate_client), body, "gsma/rsp/v9.9.9").status, 400);
  EXPECT_EQ(lab.post(es9::function_path(es9::Function::authenticate_client), body, std::string(es9::kAdminProtocol),
                     "text/plain")
                .status,
            415);
  auto bad = lab.call(es9::Function::authenticate_client, R"({"transactionId":"zz"})");
  EXPECT_EQ(bad.status, 400);
  auto hdr = es9::decode_response_header(bad.body);
  ASSERT_TRUE(hdr.ok()) << bad.body;
  EXPECT_FALSE(hdr->executed());
  // A well-formed request for an unknown transaction: 200 with a Failed header (8.10.1 / 3.9).
  auto unknown = lab.call(es9::Function::authenticate_client,
                          es9::encode(es9::AuthenticateClientRequest{Bytes{0x01}, Bytes{0xBF, 0x38, 0x00}}).value());
  EXPECT_EQ(unknown.status, 200);
  auto u = es9::decode_authenticate_client_response(unknown.body).value();
  EXPECT_FALSE(u.status.executed());
  EXPECT_EQ(u.status.status_code_data->subject_code, "8.10.1");
  EXPECT_EQ(lab.post("/gsma/rsp2/es9plus/nothing", "{}").status, 404);
}

TEST(SmdpHttp, AdminRejectsBadOrdersAndDuplicates) {
  HttpLab lab;
  EXPECT_EQ(lab.post(kSmdpAdminProfilesPath, R"({"iccid":"123"})", "").status, 400);
  EXPECT_EQ(lab.post(kSmdpAdminProfilesPath, R"({"iccid":"8944000000000000050","plmn":"x"})", "").status, 400);
  EXPECT_EQ(lab.post(kSmdpAdminProfilesPath, R"({"iccid":"8944000000000000050","matching_id":"A"})", "").status, 201);
  EXPECT_EQ(lab.post(kSmdpAdminProfilesPath, R"({"iccid":"8944000000000000068","matching_id":"A"})", "").status, 409);
  EXPECT_EQ(lab.post(kSmdpAdminProfilesPath, R"({"iccid":"8944000000000000050"})", "").status, 409);
  auto missing = lab.client->request(http::Method::get, std::string(kSmdpAdminProfilesPath) + "/NOPE");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

}  // namespace esimo::twin::smdp_http_tests
