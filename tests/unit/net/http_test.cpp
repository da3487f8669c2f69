// src/net: the Beast server and client against a tiny in-process Service, over real loopback sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/log.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"

namespace esimo::net {
namespace {

// Counts what reached it and answers a few fixed routes.
class TestService : public http::Service {
 public:
  std::atomic<int> handled{0};
  std::atomic<int> sink_writes{0};
  std::atomic<bool> slow_started{false};
  std::atomic<bool> slow_finished{false};

  class CountingSink : public http::BodySink {
   public:
    CountingSink(TestService& owner, bool reject) : owner_(owner), reject_(reject) {}
    bool write(std::string_view chunk) override {
      ++owner_.sink_writes;
      ++chunks_;
      bytes_ += chunk.size();
      for (unsigned char c : chunk) sum_ = (sum_ * 31 + c) % 1000000007ULL;
      return !reject_;
    }
    http::Response finish() override {
      http::Response r;
      if (reject_) {
        r.status = 422;
        r.body = R"({"rejected":true})";
        return r;
      }
      r.body = "{\"bytes\":" + std::to_string(bytes_) + ",\"chunks\":" + std::to_string(chunks_) +
               ",\"sum\":" + std::to_string(sum_) + "}";
      return r;
    }

   private:
    TestService& owner_;
    bool reject_;
    std::uint64_t bytes_ = 0, chunks_ = 0, sum_ = 0;
  };

  std::unique_ptr<http::BodySink> open_stream(const http::Request& head) override {
    if (head.path == "/upload") return std::make_unique<CountingSink>(*this, false);
    if (head.path == "/upload-reject") return std::make_unique<CountingSink>(*this, true);
    return nullptr;
  }

  http::Response handle(http::Request& req) override {
    ++handled;
    http::Response res;
    if (req.path == "/throw") throw std::runtime_error("boom");
    if (req.path == "/slow") {
      slow_started = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      slow_finished = true;
      res.body = R"({"slow":true})";
      return res;
    }
    if (req.path == "/text") {
      res.content_type = "text/plain";
      res.body = "hello";
      res.set_header("X-Extra", "1");
      return res;
    }
    // Echo: what the server made of the request.
    res.body = std::string(http::method_name(req.method)) + "|" + req.path + "|" + req.query + "|" + req.request_id +
               "|" + std::string(req.header("x-test")) + "|" + req.body;
    res.content_type = "text/plain";
    return res;
  }
};

std::string header_of(const http::Response& r, std::string_view name) { return std::string(r.header(name)); }

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override { log::set_level(log::Level::off); }

  void start(ServerOptions opt = {}) {
    auto s = HttpServer::start(opt, service_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
  }
  std::unique_ptr<HttpClient> client(ClientOptions opt = {}) {
    auto c = HttpClient::connect("127.0.0.1", server_->port(), opt);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? std::move(c).value() : nullptr;
  }

  TestService service_;
  std::unique_ptr<HttpServer> server_;
};

// Sends raw bytes on a fresh socket and returns everything the server sent until it closed the connection.
std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed";
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

TEST_F(NetTest, ManyRequestsShareOneKeepAliveConnection) {
  start();
  auto c = client();
  ASSERT_TRUE(c);
  for (int i = 0; i < 100; ++i) {
    auto r = c->request(http::Method::get, "/echo?i=" + std::to_string(i), {{"x-test", "v"}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("|i=" + std::to_string(i) + "|"), std::string::npos) << r->body;
  }
  EXPECT_EQ(c->connections_opened(), 1u);
  EXPECT_EQ(service_.handled.load(), 100);
}

TEST_F(NetTest, RequestFieldsReachTheService) {
  start();
  auto c = client();
  ASSERT_TRUE(c);
  auto r = c->request(http::Method::post, "/a%20b/c?x=1%202&y", {{"X-Test", "Value"}}, "payload");
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto body = r->body;
  EXPECT_EQ(body.substr(0, body.find('|')), "POST");
  EXPECT_NE(body.find("|/a b/c|x=1%202&y|"), std::string::npos) << body;
  EXPECT_NE(body.find("|Value|payload"), std::string::npos) << body;
  EXPECT_EQ(r->content_type, "text/plain");
  EXPECT_EQ(header_of(*r, "server"), "esimo");
  EXPECT_EQ(header_of(*r, "content-length"), std::to_string(body.size()));

  auto t = c->request(http::Method::get, "/text");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->body, "hello");
  EXPECT_EQ(header_of(*t, "x-extra"), "1");
}

TEST_F(NetTest, ConcurrentClientsAllServed) {
  ServerOptions opt;
  opt.threads = 4;
  start(opt);
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = HttpClient::connect("127.0.0.1", server_->port());
      if (!c.ok()) return;
      for (int i = 0; i < kEach; ++i) {
        std::string body = "t" + std::to_string(t) + "i" + std::to_string(i);
        auto r = (*c)->request(http::Method::post, "/echo", {}, body);
        if (r.ok() && r->status == 200 && r->body.ends_with("|" + body)) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_EQ(service_.handled.load(), kThreads * kEach);
}

TEST_F(NetTest, BodyOverLimitIs413AndHandlerNotCalled) {
  ServerOptions opt;
  opt.body_limit = 1024;
  start(opt);
  auto c = client();
  ASSERT_TRUE(c);
  auto r = c->request(http::Method::post, "/echo", {}, std::string(200 * 1024, 'x'));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->content_type, "application/problem+json");
  EXPECT_NE(r->body.find(R"("code":"body_too_large")"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("request body exceeds 1024 bytes"), std::string::npos) << r->body;
  EXPECT_EQ(service_.handled.load(), 0);

  // Exactly at the limit is fine, on a fresh connection made transparently.
  auto ok = c->request(http::Method::post, "/echo", {}, std::string(1024, 'y'));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(service_.handled.load(), 1);
}

TEST_F(NetTest, ChunkedBodyOverLimitIs413) {
  ServerOptions opt;
  opt.body_limit = 16;
  start(opt);
  std::string req =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  std::string out = raw_exchange(server_->port(), req);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_EQ(service_.handled.load(), 0);
}

TEST_F(NetTest, StreamingSinkReceivesWholeLargeUploadInChunks) {
  start();  // body_limit stays 1 MiB: sinks are not limited
  auto c = client();
  ASSERT_TRUE(c);
  std::string body(20u << 20, '\0');
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + (i * 7) % 26);
    sum = (sum * 31 + static_cast<unsigned char>(body[i])) % 1000000007ULL;
  }
  auto r = c->request(http::Method::post, "/upload", {}, body, "text/csv");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"bytes\":" + std::to_string(body.size())), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"sum\":" + std::to_string(sum)), std::string::npos) << r->body;
  EXPECT_GE(service_.sink_writes.load(), 20 * 16);  // 64 KiB chunks at most
  EXPECT_EQ(service_.handled.load(), 0);            // handle() is not used for streamed bodies

  auto again = c->request(http::Method::get, "/echo");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(c->connections_opened(), 1u);
}

TEST_F(NetTest, SinkRejectingEarlyStopsReadingAndAnswers) {
  start();
  auto c = client();
  ASSERT_TRUE(c);
  auto r = c->request(http::Method::post, "/upload-reject", {}, std::string(5u << 20, 'z'));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 422);
  EXPECT_EQ(r->body, R"({"rejected":true})");
  EXPECT_EQ(service_.sink_writes.load(), 1);
  auto again = c->request(http::Method::get, "/echo");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->status, 200);
}

TEST_F(NetTest, MalformedRequestGets400AndClose) {
  start();
  std::string out = raw_exchange(server_->port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_NE(out.find("malformed_http"), std::string::npos) << out;
  EXPECT_EQ(service_.handled.load(), 0);
}

TEST_F(NetTest, ConnectionCloseRequestIsHonoured) {
  start();
  std::string out = raw_exchange(server_->port(), "GET /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_TRUE(out.ends_with("hello")) << out;  // and the server closed, or raw_exchange would have timed out
}

TEST_F(NetTest, PipelinedRequestsAnsweredInOrder) {
  start();
  std::string out = raw_exchange(server_->port(),
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nonePOST /echo HTTP/1.1\r\n"
                                 "Host: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntwo");
  auto first = out.find("|one");
  auto second = out.find("|two");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_EQ(service_.handled.load(), 2);
}

TEST_F(NetTest, ExpectContinueGetsInterimResponseUnlessTooLarge) {
  ServerOptions opt;
  opt.body_limit = 100;
  start(opt);
  std::string ok = raw_exchange(server_->port(),
                                "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n"
                                "Connection: close\r\n\r\nbody");
  EXPECT_EQ(ok.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0), 0u) << ok;
  EXPECT_TRUE(ok.ends_with("|body")) << ok;

  std::string big = raw_exchange(server_->port(),
                                 "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(big.rfind("HTTP/1.1 413", 0), 0u) << big;
  EXPECT_EQ(service_.handled.load(), 1);
}

TEST_F(NetTest, OversizeHeadersGet431) {
  ServerOptions opt;
  opt.header_limit = 1024;
  start(opt);
  std::string out = raw_exchange(server_->port(), "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'h') +
                                                      "\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out;
  EXPECT_EQ(service_.handled.load(), 0);
}

TEST_F(NetTest, Http10ClosesUnlessKeepAliveAsked) {
  start();
  std::string out = raw_exchange(server_->port(), "GET /text HTTP/1.0\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_TRUE(out.ends_with("hello")) << out;  // closed after one answer
}

TEST_F(NetTest, HeadAnswersHeadersWithoutBody) {
  start();
  auto c = client();
  ASSERT_TRUE(c);
  auto get = c->request(http::Method::get, "/text");
  auto head = c->request(http::Method::head, "/text");
  ASSERT_TRUE(get.ok() && head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(header_of(*head, "content-length"), header_of(*get, "content-length"));
  // The connection is still in sync: no stray body bytes were sent after the HEAD answer.
  auto after = c->request(http::Method::get, "/text");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->body, "hello");
  EXPECT_EQ(c->connections_opened(), 1u);
}

TEST_F(NetTest, RequestIdEchoedOrGenerated) {
  start();
  auto c = client();
  ASSERT_TRUE(c);
  auto given = c->request(http::Method::get, "/echo", {{"X-Request-Id", "abc.DEF_123-x"}});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(header_of(*given, "x-request-id"), "abc.DEF_123-x");
  EXPECT_NE(given->body.find("|abc.DEF_123-x|"), std::string::npos);

  auto bad = c->request(http::Method::get, "/echo", {{"X-Request-Id", "has space/and slash"}});
  auto none1 = c->request(http::Method::get, "/echo");
  auto none2 = c->request(http::Method::get, "/echo");
  ASSERT_TRUE(bad.ok() && none1.ok() && none2.ok());
  std::string b = header_of(*bad, "x-request-id"), n1 = header_of(*none1, "x-request-id"),
              n2 = header_of(*none2, "x-request-id");
  EXPECT_NE(b, "has space/and slash");
  EXPECT_FALSE(b.empty());
  EXPECT_FALSE(n1.empty());
  EXPECT_NE(n1, n2);
  for (const auto& id : {b, n1, n2}) {
    EXPECT_EQ(id.find_first_not_of("0123456789abcdefABCDEF-"), std::string::npos) << id;
  }
  std::string too_long(65, 'a');
  auto longer = c->request(http::Method::get, "/echo", {{"X-Request-Id", too_long}});
  ASSERT_TRUE(longer.ok());
  EXPECT_NE(header_of(*longer, "x-request-id"), too_long);
}

TEST_F(NetTest, HandlerExceptionBecomes500AndServerLives) {
  start();
  auto c = client();
  ASSERT_TRUE(c);
  auto r = c->request(http::Method::get, "/throw");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->content_type, "application/problem+json");
  EXPECT_NE(r->body.find(R"("code":"internal")"), std::string::npos);
  EXPECT_EQ(r->body.find("boom"), std::string::npos);  // internals are logged, not sent
  auto again = c->request(http::Method::get, "/text");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);
}

TEST_F(NetTest, GracefulStopLetsInFlightRequestFinish) {
  start();
  auto idle = client();  // an idle keep-alive connection must not hold the stop up
  ASSERT_TRUE(idle);
  ASSERT_TRUE(idle->request(http::Method::get, "/text").ok());

  std::atomic<int> status{0};
  std::thread slow([&] {
    auto c = HttpClient::connect("127.0.0.1", server_->port());
    if (!c.ok()) return;
    auto r = (*c)->request(http::Method::get, "/slow");
    if (r.ok()) status = r->status;
  });
  while (!service_.slow_started.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  server_->stop(std::chrono::seconds(20));
  EXPECT_TRUE(service_.slow_finished.load());  // stop() returned only after the handler had finished
  slow.join();
  EXPECT_EQ(status.load(), 200);
  // The server is gone: new requests fail cleanly.
  auto after = idle->request(http::Method::get, "/text");
  EXPECT_FALSE(after.ok());
  server_->stop(std::chrono::milliseconds(10));  // idempotent
}

TEST_F(NetTest, ClientRejectsBadInput) {
  start();
  auto c = client();
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->request(http::Method::other, "/x").ok());
  EXPECT_FALSE(c->request(http::Method::get, "no-slash").ok());
  auto refused = HttpClient::connect("127.0.0.1", 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::unavailable);
}

TEST(ParseUrl, SplitsSchemeHostPortPrefix) {
  auto a = parse_url("https://eim.example.com:8443/esipa/");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "eim.example.com");
  EXPECT_EQ(a->port, 8443);
  EXPECT_EQ(a->prefix, "/esipa");
  auto b = parse_url("http://127.0.0.1");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, 80);
  EXPECT_EQ(b->prefix, "");
  auto c = parse_url("https://[::1]/x");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 443);
  EXPECT_FALSE(parse_url("ftp://x").ok());
  EXPECT_FALSE(parse_url("http://:80").ok());
  EXPECT_FALSE(parse_url("http://h:0").ok());
  EXPECT_FALSE(parse_url("http://h:70000").ok());
  EXPECT_FALSE(parse_url("http://h:8x").ok());
  EXPECT_FALSE(parse_url("http://h/p?q=1").ok());
}

class NetTlsTest : public NetTest {
 protected:
  void SetUp() override {
    NetTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("esimo-net-tls-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    std::filesystem::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1"
                      " -addext subjectAltName=IP:127.0.0.1 -keyout '" + key_ + "' -out '" + cert_ + "' >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl CLI failed: " << cmd;
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
  std::string cert_, key_;
};

TEST_F(NetTlsTest, RoundTripWithVerifiedSelfSignedCertificate) {
  ServerOptions opt;
  opt.tls_cert_file = cert_;
  opt.tls_key_file = key_;
  start(opt);
  ASSERT_TRUE(server_->tls());
  ClientOptions copt;
  copt.tls = true;
  copt.ca_file = cert_;
  auto c = client(copt);
  ASSERT_TRUE(c);
  for (int i = 0; i < 5; ++i) {
    auto r = c->request(http::Method::post, "/echo", {}, "secret" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->body.ends_with("|secret" + std::to_string(i)));
  }
  EXPECT_EQ(c->connections_opened(), 1u);

  // Without the CA the certificate is not trusted.
  ClientOptions untrusted;
  untrusted.tls = true;
  auto bad = HttpClient::connect("127.0.0.1", server_->port(), untrusted);
  EXPECT_FALSE(bad.ok());
  // A plain-HTTP client gets no answer from a TLS port.
  auto plain = HttpClient::connect("127.0.0.1", server_->port(), ClientOptions{.timeout = std::chrono::seconds(5)});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->request(http::Method::get, "/text").ok());
}

TEST_F(NetTlsTest, BadCertificateFileIsAStartError) {
  std::string garbage = (dir_ / "garbage.pem").string();
  std::ofstream(garbage) << "not a certificate\n";
  ServerOptions opt;
  opt.tls_cert_file = garbage;
  opt.tls_key_file = key_;
  auto s = HttpServer::start(opt, service_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(garbage), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().field, "tls_cert_file");

  opt.tls_cert_file = cert_;
  opt.tls_key_file = (dir_ / "missing-key.pem").string();
  auto m = HttpServer::start(opt, service_);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("missing-key.pem"), std::string::npos) << m.error().message;

  opt.tls_key_file.clear();
  EXPECT_FALSE(HttpServer::start(opt, service_).ok());
}

}  // namespace
}  // namespace esimo::net
