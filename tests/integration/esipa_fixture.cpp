#include "esipa_fixture.hpp"

#include <cstdio>

#include "base/clock.hpp"
#include "domain/identifiers.hpp"
#include "net/http_client.hpp"
#include "sgp/codec.hpp"

namespace esimo::itest {

std::string esipa_eid(int n) {
  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "890490321111111111111%09d", n);
  return domain::Eid::from_prefix30(prefix)->str();
}

std::string esipa_iccid(int n) {
  char body[19];
  std::snprintf(body, sizeof body, "895506%012d", 700000 + n);
  return domain::Iccid::from_payload(body)->str();  // Luhn check digit
}

EsipaWorld* EsipaFlowTest::world_ = nullptr;

void EsipaFlowTest::SetUpTestSuite() {
  world_ = new EsipaWorld();
  crypto::TestPkiOptions o;
  o.now = SystemClock::instance().now();
  auto pki = crypto::write_test_pki(world_->dir / "pki", o);
  ASSERT_TRUE(pki.ok()) << pki.error().message;
  world_->pki.emplace(std::move(pki).value());
  const auto esipa_port_file = world_->dir / "esipa-port";
  Server::Options so;
  so.extra_args = {"--esipa-listen", "127.0.0.1:0", "--esipa-plain", "--pki", (world_->dir / "pki").string(),
                   "--esipa-port-file", esipa_port_file.string(), "--log-level", "warn"};
  world_->server = std::make_unique<Server>(world_->dir / "data", so);
  ASSERT_TRUE(world_->server->started()) << world_->server->startup_error();
  // Written before the REST port file, so it is there once the server counts as started.
  world_->esipa_port = static_cast<std::uint16_t>(std::stoi(read_file(esipa_port_file)));
}

void EsipaFlowTest::TearDownTestSuite() {
  if (world_ && world_->server) {
    EXPECT_EQ(world_->server->terminate(), 0);
  }
  delete world_;
  world_ = nullptr;
}

Bytes EsipaFlowTest::eim_config(sgp::Version version) {
  const auto out = world_->dir / (std::string("eim-") + sgp::version_name(version) + ".der");
  auto r = run_esimo({"eim", "config", "export", "--data-dir", (world_->dir / "data").string(), "--fqdn",
                      "127.0.0.1:" + std::to_string(world_->esipa_port), "--pki", (world_->dir / "pki").string(),
                      "--sgp32-version", sgp::version_name(version), "--out", out.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  std::string text = read_file(out);
  return Bytes(text.begin(), text.end());
}

std::unique_ptr<twin::SoftwareEuicc> EsipaFlowTest::make_euicc(int eid, sgp::Version version,
                                                                 const std::vector<int>& iccids,
                                                                 const Bytes* config_override) {
  auto e = twin::SoftwareEuicc::create_with_test_pki(*world_->pki, *domain::Eid::parse(esipa_eid(eid)), version,
                                                     SystemClock::instance().now());
  EXPECT_TRUE(e.ok()) << e.error().message;
  if (!e.ok()) return nullptr;
  auto euicc = std::make_unique<twin::SoftwareEuicc>(std::move(e).value());
  for (std::size_t i = 0; i < iccids.size(); ++i) {
    twin::ProfileSpec spec;
    spec.iccid = *domain::Iccid::parse(esipa_iccid(iccids[i]));
    spec.enabled = i == 0;
    EXPECT_TRUE(euicc->add_profile(spec).ok());
  }
  const Bytes config = config_override ? *config_override : eim_config(version);
  auto tokens = euicc->add_initial_eim_der(config);
  EXPECT_TRUE(tokens.ok()) << tokens.error().message;
  return euicc;
}

void EsipaFlowTest::register_device(int eid, sgp::Version version, const std::vector<int>& iccids) {
  std::string body = R"({"eid":")" + esipa_eid(eid) + R"(","sgp32_version":")" + sgp::version_name(version) +
                     R"(","profiles":[)";
  for (std::size_t i = 0; i < iccids.size(); ++i) {
    if (i) body += ",";
    body += R"({"iccid":")" + esipa_iccid(iccids[i]) + R"(","carrier":"724-06","state":")" +
            (i == 0 ? "enabled" : "disabled") + "\"}";
  }
  body += "]}";
  if (!rest_) rest_ = world_->server->client();
  auto r = rest_->request(http::Method::post, "/v1/devices", bearer(world_->server->admin_key()), body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->status, 201) << r->body;
}

http::Response EsipaFlowTest::submit(int eid, const std::string& body, std::vector<http::Header> extra) {
  if (!rest_) rest_ = world_->server->client();
  auto headers = bearer(world_->server->admin_key());
  headers.insert(headers.end(), extra.begin(), extra.end());
  auto r = rest_->request(http::Method::post, "/v1/devices/" + esipa_eid(eid) + "/operations", headers, body);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : http::Response{};
}

std::string EsipaFlowTest::queue(int eid, const std::string& body) {
  auto r = submit(eid, body);
  EXPECT_EQ(r.status, 202) << body << " -> " << r.body;
  if (r.status != 202) return {};
  return std::string(boost::json::parse(r.body).as_object().at("id").as_string());
}

boost::json::object EsipaFlowTest::operation(const std::string& id) {
  if (!rest_) rest_ = world_->server->client();
  auto r = rest_->request(http::Method::get, "/v1/operations/" + id, bearer(world_->server->admin_key()));
  EXPECT_TRUE(r.ok() && r->status == 200);
  if (!r.ok() || r->status != 200) return {};
  return boost::json::parse(r->body).as_object();
}

boost::json::object EsipaFlowTest::device(int eid) {
  if (!rest_) rest_ = world_->server->client();
  auto r = rest_->request(http::Method::get, "/v1/devices/" + esipa_eid(eid), bearer(world_->server->admin_key()));
  EXPECT_TRUE(r.ok() && r->status == 200);
  if (!r.ok() || r->status != 200) return {};
  return boost::json::parse(r->body).as_object();
}

std::string EsipaFlowTest::active_iccid(int eid) {
  auto d = device(eid);
  const auto* a = d.if_contains("active_iccid");
  return a && a->is_string() ? std::string(a->as_string()) : std::string();
}

std::unique_ptr<twin::HttpEsipaTransport> EsipaFlowTest::transport(sgp::Version version) {
  auto t = twin::HttpEsipaTransport::connect(world_->eim_url(), version);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? std::move(t).value() : nullptr;
}

twin::PollReport EsipaFlowTest::poll(twin::SoftwareEuicc& euicc, twin::EsipaTransport* via) {
  std::unique_ptr<twin::HttpEsipaTransport> own;
  if (via == nullptr) {
    own = transport(euicc.version());
    via = own.get();
  }
  twin::Ipa ipa(euicc, *via);
  auto report = ipa.poll_until_idle(32);
  EXPECT_TRUE(report.ok()) << report.error().message;
  if (!report.ok()) return {};
  EXPECT_TRUE(report->idle);
  return std::move(report).value();
}

http::Response EsipaFlowTest::esipa_post(const std::string& body, const std::string& admin_protocol,
                                         const std::string& content_type) {
  auto c = net::HttpClient::connect("127.0.0.1", world_->esipa_port);
  EXPECT_TRUE(c.ok());
  if (!c.ok()) return {};
  std::vector<http::Header> headers;
  if (!admin_protocol.empty()) headers.push_back({"X-Admin-Protocol", admin_protocol});
  auto r = (*c)->request(http::Method::post, "/gsma/rsp2/asn1", headers, body, content_type);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : http::Response{};
}

Result<Bytes> TapTransport::exchange(ByteView request_der) {
  Bytes req(request_der.begin(), request_der.end());
  if (on_request) {
    ESIMO_TRY(auto msg, sgp::decode_ipa_to_eim(request_der, version_));
    on_request(msg);
    ESIMO_TRY(req, sgp::encode(msg, version_));
  }
  ESIMO_TRY(Bytes answer, inner_.exchange(req));
  if (on_answer && !answer.empty()) {
    ESIMO_TRY(auto msg, sgp::decode_eim_to_ipa(answer, version_));
    on_answer(msg);
  }
  return answer;
}

}  // namespace esimo::itest
