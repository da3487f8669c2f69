// api::Es9HttpClient against a scripted ES9+ server on loopback (net::HttpServer): the HTTP binding (path, headers,
// JSON), the connector rules, and the mapping of HTTP failures to the errors the relay's retry policy reads.
#include "api/es9_http_client.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "net/http_server.hpp"

namespace esimo::api::es9_client_test {

namespace es9 = sgp::es9;

class ScriptedSmdp final : public http::Service {
 public:
  http::Response handle(http::Request& request) override {
    std::lock_guard g(mu);
    requests.push_back(request);
    http::Response r;
    r.status = status;
    r.content_type = content_type;
    r.body = body;
    return r;
  }
  std::mutex mu;
  std::vector<http::Request> requests;
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

Bytes es9_fill(std::size_t n, std::uint8_t v) { return Bytes(n, v); }

class Es9HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = net::HttpServer::start(net::ServerOptions{}, smdp_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    address_ = "smdp.example.test:" + std::to_string(server_->port());
    Es9ClientOptions o;
    o.connectors.push_back(SmdpConnector{address_, "http://127.0.0.1:" + std::to_string(server_->port()), "", "c1"});
    auto c = Es9HttpClient::create(o);
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }

  es9::InitiateAuthenticationRequest initiate_request() {
    return es9::InitiateAuthenticationRequest{es9_fill(16, 7), Bytes{0xBF, 0x20, 0x00}, address_};
  }

  ScriptedSmdp smdp_;
  std::unique_ptr<net::HttpServer> server_;
  std::shared_ptr<Es9HttpClient> client_;
  std::string address_;
};

TEST_F(Es9HttpClientTest, PostsTheEs9PlusBindingAndDecodesTheAnswer) {
  es9::InitiateAuthenticationResponse answer;
  answer.ok = es9::InitiateAuthenticationOk{es9_fill(16, 1), Bytes{0x30, 0x00}, Bytes{0x5F, 0x37, 0x01, 0x02},
                                            Bytes{0x04, 0x01, 0x03}, Bytes{0x30, 0x00}};
  smdp_.body = *es9::encode(answer);
  auto r = client_->initiate_authentication("SMDP.example.test:" + std::to_string(server_->port()), initiate_request());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->ok.has_value());
  EXPECT_EQ(r->ok->transaction_id, es9_fill(16, 1));
  ASSERT_EQ(smdp_.requests.size(), 1u);
  const auto& req = smdp_.requests[0];
  EXPECT_EQ(req.method, http::Method::post);
  EXPECT_EQ(req.path, "/gsma/rsp2/es9plus/initiateAuthentication");
  EXPECT_EQ(req.header("x-admin-protocol"), "gsma/rsp/v2.2.0");
  EXPECT_EQ(req.header("content-type"), "application/json");
  auto sent = es9::decode_initiate_authentication_request(req.body);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->euicc_challenge, es9_fill(16, 7));
  // A second call reuses the pooled connection.
  ASSERT_TRUE(client_->initiate_authentication(address_, initiate_request()).ok());
  EXPECT_EQ(smdp_.requests.size(), 2u);
}

TEST_F(Es9HttpClientTest, AFailedFunctionIsAResponseNotAnError) {
  smdp_.body = *es9::encode_header_only(es9::FunctionExecutionStatus::failure("8.2.6", "3.8", "refused"));
  auto r =
      client_->authenticate_client(address_, es9::AuthenticateClientRequest{es9_fill(4, 1), Bytes{0xBF, 0x38, 0x00}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->status.executed());
  EXPECT_EQ(r->status.status_code_data->subject_code, "8.2.6");
  EXPECT_EQ(smdp_.requests.back().path, "/gsma/rsp2/es9plus/authenticateClient");
}

TEST_F(Es9HttpClientTest, HttpFailuresMapToRetriableOrNot) {
  smdp_.status = 503;
  auto a = client_->initiate_authentication(address_, initiate_request());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, Errc::unavailable);
  smdp_.status = 400;
  auto b = client_->initiate_authentication(address_, initiate_request());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::failed_precondition);
  smdp_.status = 200;
  smdp_.content_type = "text/html";
  smdp_.body = "<html/>";
  auto c = client_->initiate_authentication(address_, initiate_request());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::parse_error);
  smdp_.content_type = "application/json";
  smdp_.body = R"({"header":{"functionExecutionStatus":{"status":"Executed-Success"}}})";  // no output data
  auto d = client_->initiate_authentication(address_, initiate_request());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, Errc::parse_error);
  EXPECT_EQ(d.error().field, "transactionId");
}

TEST_F(Es9HttpClientTest, HandleNotificationAccepts204) {
  smdp_.status = 204;
  smdp_.body.clear();
  auto r = client_->handle_notification(address_, es9::HandleNotificationRequest{Bytes{0xBF, 0x37, 0x00}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->executed());
  EXPECT_EQ(smdp_.requests.back().path, "/gsma/rsp2/es9plus/handleNotification");
}

TEST_F(Es9HttpClientTest, CancelSessionSendsTheWholeResponse) {
  smdp_.body = *es9::encode_header_only(es9::FunctionExecutionStatus::success());
  auto r = client_->cancel_session(address_, es9::CancelSessionRequest{es9_fill(4, 2), Bytes{0xBF, 0x41, 0x00}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->status.executed());
  auto sent = es9::decode_cancel_session_request(smdp_.requests.back().body);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->cancel_session_response, (Bytes{0xBF, 0x41, 0x00}));
}

TEST_F(Es9HttpClientTest, OnlyConfiguredSmdpsUnlessUnknownAreAllowed) {
  auto denied = client_->check_address("other.example");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, Errc::permission_denied);
  auto call = client_->initiate_authentication("other.example", initiate_request());
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.error().code, Errc::permission_denied);
  EXPECT_TRUE(smdp_.requests.empty());
  Es9ClientOptions o;
  o.allow_unknown = true;
  auto open = Es9HttpClient::create(o);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE((*open)->check_address("other.example").ok());
}

TEST_F(Es9HttpClientTest, ConnectorsAreValidated) {
  Es9ClientOptions o;
  o.connectors.push_back(SmdpConnector{"", "", "", ""});
  EXPECT_EQ(Es9HttpClient::create(o).error().field, "smdp[0].address");
  o.connectors[0] = SmdpConnector{"a.example/x", "", "", ""};
  EXPECT_EQ(Es9HttpClient::create(o).error().field, "smdp[0].address");
  o.connectors[0] = SmdpConnector{"a.example", "ftp://a.example", "", ""};
  EXPECT_EQ(Es9HttpClient::create(o).error().field, "smdp[0].url");
  o.connectors[0] = SmdpConnector{"a.example", "", "", ""};
  o.connectors.push_back(SmdpConnector{"A.example", "", "", ""});
  EXPECT_EQ(Es9HttpClient::create(o).error().field, "smdp[1].address");
}

TEST_F(Es9HttpClientTest, ASmdpThatIsDownIsUnavailable) {
  const std::uint16_t port = server_->port();
  server_->stop(std::chrono::milliseconds(0));
  server_.reset();
  Es9ClientOptions o;
  o.connectors.push_back(SmdpConnector{"down.example", "http://127.0.0.1:" + std::to_string(port), "", ""});
  o.timeout = std::chrono::milliseconds(2000);
  auto c = Es9HttpClient::create(o);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->initiate_authentication("down.example", initiate_request());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code == Errc::unavailable || r.error().code == Errc::timeout) << r.error().message;
}

}  // namespace esimo::api::es9_client_test
