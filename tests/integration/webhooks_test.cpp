// Events and webhooks through the real `esimo serve`: a status-feed change and the outage the engine declares from it
// become events (GET /v1/events, filtered and paged) and signed POSTs to a receiver on loopback; a receiver that
// fails is retried with backoff and then gets every event, in order.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/digest.hpp"
#include "harness.hpp"
#include "net/http_server.hpp"

namespace esimo::itest {
namespace {

struct Delivery {
  std::string body;
  std::string event_id;
  std::string type;
  std::string signature;
};

// The webhook receiver: records each POST; answers 503 while `failing` is set.
class Receiver final : public http::Service {
 public:
  http::Response handle(http::Request& req) override {
    std::lock_guard lock(mu_);
    ++attempts_;
    if (failing_) return http::Response{503, "text/plain", {}, "down for maintenance"};
    Delivery d;
    d.body = req.body;
    for (const auto& h : req.headers) {
      if (h.name == "esimo-event-id") d.event_id = h.value;
      if (h.name == "esimo-event-type") d.type = h.value;
      if (h.name == "esimo-signature") d.signature = h.value;
    }
    got_.push_back(std::move(d));
    return http::Response{204, "", {}, ""};
  }
  std::vector<Delivery> deliveries() {
    std::lock_guard lock(mu_);
    return got_;
  }
  int attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  void set_failing(bool f) {
    std::lock_guard lock(mu_);
    failing_ = f;
  }

 private:
  std::mutex mu_;
  std::vector<Delivery> got_;
  int attempts_ = 0;
  bool failing_ = false;
};

boost::json::value parse_json_body(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// "t=<unix>,v1=<hex>" checked against HMAC-SHA256(secret, "<t>.<body>").
bool signature_ok(const std::string& header, const std::string& secret, const std::string& body) {
  const auto comma = header.find(",v1=");
  if (!header.starts_with("t=") || comma == std::string::npos) return false;
  const std::string t = header.substr(2, comma - 2);
  const std::string mac = header.substr(comma + 4);
  const std::string signed_text = t + "." + body;
  return to_hex(crypto::hmac_sha256(as_bytes(secret), as_bytes(signed_text))) == mac;
}

TEST(Webhooks, EventsAreListedAndDeliveredSignedInOrderAndRetriedAfterFailures) {
  Receiver receiver;
  net::ServerOptions ro;
  ro.threads = 1;
  auto rs = net::HttpServer::start(ro, receiver);
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  const std::string hook_url = "http://127.0.0.1:" + std::to_string((*rs)->port()) + "/hooks/esimo";

  TempDir tmp;
  Server server(tmp / "data");
  ASSERT_TRUE(server.started()) << server.startup_error();
  auto client = server.client();
  const auto auth = bearer(server.admin_key());

  // Bad subscriptions are refused with the field at fault.
  auto r = client->request(http::Method::post, "/v1/webhooks", auth, R"({"url":"ftp://127.0.0.1/x"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("invalid_url"), std::string::npos) << r->body;
  r = client->request(http::Method::post, "/v1/webhooks", auth,
                      R"({"url":")" + hook_url + R"(","types":["outage.started"]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("invalid_event_type"), std::string::npos) << r->body;
  r = client->request(http::Method::post, "/v1/webhooks", auth, R"({"url":")" + hook_url + R"(","secret":"short"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400) << r->body;

  r = client->request(http::Method::post, "/v1/webhooks", auth,
                      R"({"url":")" + hook_url + R"(","types":["outage.*","carrier.status_changed"]})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 201) << r->body;
  auto hook = parse_json_body(r->body);
  ASSERT_TRUE(hook.is_object()) << r->body;
  const std::string hook_id(hook.at("id").as_string());
  const std::string secret(hook.at("secret").as_string());
  EXPECT_GE(secret.size(), 16u);
  // The secret is shown once.
  r = client->request(http::Method::get, "/v1/webhooks/" + hook_id, auth);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.find(secret), std::string::npos);

  // A status-feed change: its event, then the outage the engine declares from it.
  r = client->request(http::Method::put, "/v1/carriers/br-vivo/status", auth,
                      R"({"state":"down","countries":["BR"],"note":"fibre cut"})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(wait_for([&] { return receiver.deliveries().size() >= 2; }))
      << receiver.deliveries().size() << " deliveries";
  auto got = receiver.deliveries();
  EXPECT_EQ(got[0].type, "carrier.status_changed");
  EXPECT_EQ(got[1].type, "outage.declared");
  for (const auto& d : got) {
    EXPECT_TRUE(signature_ok(d.signature, secret, d.body)) << d.signature;
    EXPECT_FALSE(signature_ok(d.signature, secret + "x", d.body));
    auto e = parse_json_body(d.body);
    ASSERT_TRUE(e.is_object()) << d.body;
    EXPECT_EQ(e.at("id").as_string(), d.event_id);
    EXPECT_EQ(e.at("type").as_string(), d.type);
  }
  auto first = parse_json_body(got[0].body);
  EXPECT_EQ(first.at("subject").as_string(), "carriers/br-vivo");
  EXPECT_EQ(first.at("data").at("state").as_string(), "down");
  EXPECT_EQ(first.at("data").at("note").as_string(), "fibre cut");
  auto declared = parse_json_body(got[1].body);
  EXPECT_EQ(declared.at("data").at("carrier").as_string(), "br-vivo");
  EXPECT_EQ(declared.at("data").at("state").as_string(), "active");

  // The same events through GET /v1/events: filtered by type, paged by seq.
  r = client->request(http::Method::get, "/v1/events?type=outage.*", auth);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  auto outage_events = parse_json_body(r->body);
  ASSERT_FALSE(outage_events.at("items").as_array().empty()) << r->body;
  for (const auto& e : outage_events.at("items").as_array()) {
    EXPECT_TRUE(e.at("type").as_string().starts_with("outage.")) << r->body;
  }
  r = client->request(http::Method::get, "/v1/events?limit=1", auth);
  ASSERT_TRUE(r.ok());
  auto page1 = parse_json_body(r->body);
  ASSERT_EQ(page1.at("items").as_array().size(), 1u) << r->body;
  EXPECT_EQ(page1.at("items").as_array()[0].at("type").as_string(), "carrier.status_changed");
  ASSERT_TRUE(page1.at("next").is_string()) << r->body;
  const std::string first_seq = std::to_string(page1.at("items").as_array()[0].at("seq").as_int64());
  r = client->request(http::Method::get, "/v1/events?limit=1&after=" + first_seq, auth);
  ASSERT_TRUE(r.ok());
  auto page2 = parse_json_body(r->body);
  ASSERT_EQ(page2.at("items").as_array().size(), 1u) << r->body;
  EXPECT_EQ(page2.at("items").as_array()[0].at("type").as_string(), "outage.declared");
  r = client->request(http::Method::get, "/v1/events?after=abc", auth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400) << r->body;
  r = client->request(http::Method::get, "/v1/events?type=nope", auth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400) << r->body;

  // The receiver fails: the attempt is recorded and retried with backoff; nothing is lost or reordered.
  receiver.set_failing(true);
  const int attempts_before = receiver.attempts();
  r = client->request(http::Method::put, "/v1/carriers/br-vivo/status", auth, R"({"state":"up","note":"repaired"})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(wait_for([&] {
    auto h = client->request(http::Method::get, "/v1/webhooks/" + hook_id, auth);
    return h.ok() && h->body.find("HTTP 503") != std::string::npos;
  })) << "the failure was not recorded";
  EXPECT_GT(receiver.attempts(), attempts_before);
  receiver.set_failing(false);
  ASSERT_TRUE(wait_for([&] {
    for (const auto& d : receiver.deliveries()) {
      if (d.body.find("repaired") != std::string::npos) return true;
    }
    return false;
  })) << "not delivered after the receiver recovered";
  got = receiver.deliveries();
  std::int64_t last_seq = 0;
  for (const auto& d : got) {
    const auto seq = parse_json_body(d.body).at("seq").as_int64();
    EXPECT_GE(seq, last_seq) << "out of order";
    last_seq = seq;
  }
  // The receiver records a delivery before it answers; the server resets the hook's failure count once the answer is
  // back, so the count is awaited rather than read at once.
  std::string hook_body;
  EXPECT_TRUE(wait_for([&] {
    auto h = client->request(http::Method::get, "/v1/webhooks/" + hook_id, auth);
    if (!h.ok()) return false;
    hook_body = h->body;
    return parse_json_body(h->body).at("failures").as_int64() == 0;
  })) << hook_body;
  EXPECT_EQ(parse_json_body(hook_body).at("last_error").as_string(), "") << hook_body;

  r = client->request(http::Method::del, "/v1/webhooks/" + hook_id, auth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 204);
  r = client->request(http::Method::get, "/v1/webhooks/" + hook_id, auth);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  (*rs)->stop(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace esimo::itest
