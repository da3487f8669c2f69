// Indirect profile download over real HTTP on loopback: software eUICC + IPA (twin) <-> `esimo serve` (the eIM's
// ESipa listener and download relay) <-> test SM-DP+ (twin::Smdp over HTTPS with the test PKI's DPtls certificate).
// The full download with the enable the operation asked for, and each failure the issue names, every one leaving no
// session behind (on the SM-DP+; and the device takes its next download).
#include <boost/json.hpp>

#include "base/clock.hpp"
#include "esipa_fixture.hpp"
#include "net/http_server.hpp"
#include "twin/smdp.hpp"
#include "twin/smdp_http.hpp"

namespace esimo::itest {
namespace download_flow {

// The SM-DP+ behind a listener whose port is known only once it listens.
struct SmdpSite {
  std::unique_ptr<twin::Smdp> smdp;
  std::unique_ptr<twin::SmdpHttpService> service;
  std::unique_ptr<net::HttpServer> server;
  std::string address;  // "127.0.0.1:PORT"
};

SmdpSite start_smdp(const crypto::TestPki& pki, const std::filesystem::path& pki_dir, bool bad_dpauth_key) {
  SmdpSite s;
  twin::SmdpIdentity id = twin::SmdpIdentity::from_test_pki(pki);
  // A DPauth key that does not match its certificate: serverSignature1 cannot verify on the eUICC.
  if (bad_dpauth_key) id.dpauth.key = crypto::PrivateKey::generate();
  twin::SmdpOptions o;
  o.address = "127.0.0.1:0";
  s.smdp = std::make_unique<twin::Smdp>(std::move(id), o, SystemClock::instance());
  s.service = std::make_unique<twin::SmdpHttpService>(*s.smdp);
  net::ServerOptions so;
  so.tls_cert_file = (pki_dir / std::string(crypto::test_pki_files::kDpTls)).string();
  so.tls_key_file = (pki_dir / std::string(crypto::test_pki_files::kDpTlsKey)).string();
  auto server = net::HttpServer::start(so, *s.service);
  EXPECT_TRUE(server.ok()) << server.error().message;
  if (!server.ok()) return s;
  s.server = std::move(server).value();
  s.address = "127.0.0.1:" + std::to_string(s.server->port());
  s.smdp->set_address(s.address);
  return s;
}

struct Sites {
  SmdpSite good, bad;
  std::string dead_address;  // nothing listens there
};
Sites* sites = nullptr;

}  // namespace download_flow

class DownloadFlowTest : public EsipaFlowTest {
 protected:
  static void SetUpTestSuite() {
    namespace df = download_flow;
    world_ = new EsipaWorld();
    crypto::TestPkiOptions o;
    o.now = SystemClock::instance().now();
    auto pki = crypto::write_test_pki(world_->dir / "pki", o);
    ASSERT_TRUE(pki.ok()) << pki.error().message;
    world_->pki.emplace(std::move(pki).value());
    df::sites = new df::Sites();
    df::sites->good = df::start_smdp(*world_->pki, world_->dir / "pki", false);
    df::sites->bad = df::start_smdp(*world_->pki, world_->dir / "pki", true);
    {
      // A port that was just free: an SM-DP+ that is down.
      df::SmdpSite gone = df::start_smdp(*world_->pki, world_->dir / "pki", false);
      ASSERT_TRUE(gone.server);
      df::sites->dead_address = gone.address;
      gone.server->stop(std::chrono::milliseconds(0));
    }
    const auto esipa_port_file = world_->dir / "esipa-port";
    Server::Options so;
    so.extra_args = {"--esipa-listen", "127.0.0.1:0", "--esipa-plain", "--pki", (world_->dir / "pki").string(),
                     "--esipa-port-file", esipa_port_file.string(), "--log-level", "warn",
                     // The test PKI's CI is trusted for the SM-DP+s' TLS (--pki); three connectors.
                     "--smdp", df::sites->good.address, "--smdp", df::sites->bad.address, "--smdp",
                     df::sites->dead_address};
    world_->server = std::make_unique<Server>(world_->dir / "data", so);
    ASSERT_TRUE(world_->server->started()) << world_->server->startup_error();
    world_->esipa_port = static_cast<std::uint16_t>(std::stoi(read_file(esipa_port_file)));
  }

  static void TearDownTestSuite() {
    EsipaFlowTest::TearDownTestSuite();
    delete download_flow::sites;
    download_flow::sites = nullptr;
  }

  twin::Smdp& smdp() { return *download_flow::sites->good.smdp; }

  // A profile prepared on `site` (the test SM-DP+'s simplified ES2+); returns its activation code.
  std::string prepare(download_flow::SmdpSite& site, int iccid, bool reusable = true) {
    twin::ProfileOrder order;
    order.iccid = *domain::Iccid::parse(esipa_iccid(iccid));
    order.home_plmn = *domain::Plmn::parse("724-06");
    order.reusable = reusable;
    auto st = site.smdp->prepare_profile(order);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return st.ok() ? st->activation_code : std::string();
  }

  std::string download_body(const std::string& ac, bool enable) {
    return R"({"type":"download","activation_code":")" + ac + R"(","enable":)" + (enable ? "true" : "false") + "}";
  }

  std::string outcome(const std::string& op) {
    auto o = operation(op);
    const auto* v = o.if_contains("outcome");
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }
  std::string state(const std::string& op) { return std::string(operation(op).at("state").as_string()); }

  bool device_has_profile(int eid, int iccid) {
    auto d = device(eid);
    const auto* profiles = d.if_contains("profiles");
    if (profiles == nullptr || !profiles->is_array()) return false;
    for (const auto& p : profiles->as_array()) {
      if (p.as_object().at("iccid").as_string() == esipa_iccid(iccid)) return true;
    }
    return false;
  }
};

TEST_F(DownloadFlowTest, FullDownloadThenEnable) {
  register_device(1, sgp::Version::v1_2, {101});
  auto euicc = make_euicc(1, sgp::Version::v1_2, {101});
  ASSERT_TRUE(euicc);
  const std::string ac = prepare(download_flow::sites->good, 102);
  const std::string op = queue(1, download_body(ac, true));
  auto report = poll(*euicc);
  EXPECT_EQ(report.downloads, 1u);
  EXPECT_EQ(report.installed_iccids, std::vector<std::string>{esipa_iccid(102)});
  EXPECT_EQ(state(op), "succeeded");
  EXPECT_EQ(outcome(op), "ok");
  EXPECT_NE(boost::json::serialize(operation(op)).find(esipa_iccid(102)), std::string::npos);
  EXPECT_EQ(smdp().order(ac.substr(ac.rfind('$') + 1))->state, twin::OrderState::installed);
  EXPECT_EQ(smdp().active_sessions(), 0u);
  // The installed profile is the device's, and the enable queued behind the download ran in the same poll.
  EXPECT_TRUE(device_has_profile(1, 102));
  EXPECT_EQ(active_iccid(1), esipa_iccid(102));
}

TEST_F(DownloadFlowTest, SmdpDownEndsSmdpUnreachable) {
  register_device(2, sgp::Version::v1_2, {201});
  auto euicc = make_euicc(2, sgp::Version::v1_2, {201});
  ASSERT_TRUE(euicc);
  const std::string op = queue(2, download_body("1$" + download_flow::sites->dead_address + "$NO-SMDP-1", false));
  auto report = poll(*euicc);
  EXPECT_EQ(report.downloads, 1u);
  EXPECT_EQ(report.download_errors.size(), 1u);
  EXPECT_EQ(state(op), "failed");
  EXPECT_EQ(outcome(op), "smdp_unreachable");
  // Not stuck: the next download on this device goes through.
  const std::string op2 = queue(2, download_body(prepare(download_flow::sites->good, 202), false));
  poll(*euicc);
  EXPECT_EQ(state(op2), "succeeded");
}

TEST_F(DownloadFlowTest, UnknownMatchingIdIsNamed) {
  register_device(3, sgp::Version::v1_2, {301});
  auto euicc = make_euicc(3, sgp::Version::v1_2, {301});
  ASSERT_TRUE(euicc);
  const std::string op = queue(3, download_body("1$" + download_flow::sites->good.address + "$NO-SUCH-ORDER", false));
  auto report = poll(*euicc);
  EXPECT_EQ(report.download_errors.size(), 1u);
  EXPECT_EQ(state(op), "failed");
  EXPECT_EQ(outcome(op), "matching_id_unknown");
  EXPECT_EQ(smdp().active_sessions(), 0u);
}

TEST_F(DownloadFlowTest, BadSmdpSignatureIsReportedByTheEuicc) {
  register_device(4, sgp::Version::v1_2, {401});
  auto euicc = make_euicc(4, sgp::Version::v1_2, {401});
  ASSERT_TRUE(euicc);
  const std::string op = queue(4, download_body(prepare(download_flow::sites->bad, 402), false));
  auto report = poll(*euicc);
  ASSERT_EQ(report.download_errors.size(), 1u);
  EXPECT_EQ(state(op), "failed");
  EXPECT_EQ(outcome(op), "bad_smdp_signature");
  EXPECT_EQ(download_flow::sites->bad.smdp->active_sessions(), 0u);  // the eUICC's CancelSession was relayed
  EXPECT_FALSE(device_has_profile(4, 402));
}

TEST_F(DownloadFlowTest, FullEuiccIsNamedAndTheCodeWorksAgainOnceThereIsRoom) {
  std::vector<int> iccids;
  for (int k = 0; k < static_cast<int>(twin::SoftwareEuicc::kMaxProfiles); ++k) iccids.push_back(500 + k);
  register_device(5, sgp::Version::v1_2, iccids);
  auto euicc = make_euicc(5, sgp::Version::v1_2, iccids);
  ASSERT_TRUE(euicc);
  const std::string ac = prepare(download_flow::sites->good, 599);
  const std::string op = queue(5, download_body(ac, false));
  auto report = poll(*euicc);
  EXPECT_EQ(state(op), "failed");
  EXPECT_EQ(outcome(op), "too_many_profiles");
  EXPECT_EQ(smdp().active_sessions(), 0u);
  EXPECT_FALSE(device_has_profile(5, 599));
  // Make room, then retry with the same activation code (the order is reusable after a failed install).
  const std::string del = queue(5, R"({"type":"delete","iccid":")" + esipa_iccid(501) + "\"}");
  poll(*euicc);
  EXPECT_EQ(state(del), "succeeded");
  const std::string retry = queue(5, download_body(ac, false));
  auto report2 = poll(*euicc);
  EXPECT_EQ(report2.installed_iccids, std::vector<std::string>{esipa_iccid(599)});
  EXPECT_EQ(state(retry), "succeeded");
  EXPECT_TRUE(device_has_profile(5, 599));
}

TEST_F(DownloadFlowTest, UnconfiguredSmdpIsRefusedAtSubmit) {
  register_device(6, sgp::Version::v1_2, {601});
  auto r = submit(6, download_body("1$smdp.not-configured.example$ABC", false));
  EXPECT_EQ(r.status, 422) << r.body;
  auto bad = submit(6, download_body("1$smdp.example$lower-case", false));
  EXPECT_EQ(bad.status, 400) << bad.body;
}

}  // namespace esimo::itest
