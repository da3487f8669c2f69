// The indirect profile download relay (download_relay.cpp) through EimService, against a real SQLite store and a fake
// SM-DP+ (Es9Client): the ESipa messages an IPA sends, the ES9+ calls the relay makes, the operation's outcome.
#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "base/metrics.hpp"
#include "crypto/digest.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/test_pki.hpp"
#include "der/der.hpp"
#include "eim/eim_service.hpp"
#include "eim/es9_client.hpp"
#include "sgp/codec.hpp"
#include "sgp/rsp22.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace esimo::eim::dltest {

namespace es9 = sgp::es9;
namespace rsp22 = sgp::rsp22;
using domain::OperationState;
using sgp::Version;

constexpr const char* kSmdp = "smdp.example.test";

Bytes dl_fill(std::size_t n, std::uint8_t start) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}
Bytes dl_tlv(std::uint32_t tag, ByteView contents) {
  der::Writer w;
  w.octets(der::tag(tag), contents);
  return w.take();
}
Bytes dl_cert(std::uint8_t v) { return Bytes{0x30, 0x03, 0x02, 0x01, v}; }
domain::Eid dl_eid(int n) {
  std::string num = std::to_string(n);
  return *domain::Eid::from_prefix30("89049032000000000000000000" + std::string(4 - num.size(), '0') + num);
}
domain::Iccid dl_iccid() { return *domain::Iccid::parse("8944000000000000019"); }
Bytes dl_wire(const domain::Iccid& i) {
  auto a = i.to_wire();
  return Bytes(a.begin(), a.end());
}

// A scripted SM-DP+: each function answers from its queue (or a default success), and every call is recorded.
class FakeSmdp final : public Es9Client {
 public:
  std::vector<std::string> calls;
  std::vector<std::string> allowed{kSmdp};
  Bytes transaction_id = dl_fill(16, 0x10);
  std::deque<Error> initiate_errors;  // returned (in order) before the answer
  std::optional<es9::FunctionExecutionStatus> initiate_status, authenticate_status, bpp_status, cancel_status;
  std::deque<Error> authenticate_errors;
  es9::InitiateAuthenticationRequest last_initiate;
  es9::AuthenticateClientRequest last_authenticate;
  es9::CancelSessionRequest last_cancel;
  Bytes last_notification;
  Bytes profile_metadata;

  Status check_address(std::string_view a) const override {
    for (const auto& x : allowed) {
      if (x == a) return {};
    }
    return Error(Errc::permission_denied, "SM-DP+ " + std::string(a) + " is not configured", "smdp_address");
  }
  Result<es9::InitiateAuthenticationResponse> initiate_authentication(
      std::string_view a, const es9::InitiateAuthenticationRequest& r) override {
    calls.push_back("initiateAuthentication@" + std::string(a));
    last_initiate = r;
    if (!initiate_errors.empty()) {
      Error e = initiate_errors.front();
      initiate_errors.pop_front();
      return e;
    }
    es9::InitiateAuthenticationResponse out;
    if (initiate_status) {
      out.status = *initiate_status;
      return out;
    }
    out.ok = es9::InitiateAuthenticationOk{transaction_id, Bytes{0x30, 0x00}, dl_tlv(0x5F37, dl_fill(64, 1)),
                                           dl_tlv(0x04, dl_fill(20, 0xA0)), dl_cert(9)};
    return out;
  }
  Result<es9::AuthenticateClientResponse> authenticate_client(std::string_view a,
                                                              const es9::AuthenticateClientRequest& r) override {
    calls.push_back("authenticateClient@" + std::string(a));
    last_authenticate = r;
    if (!authenticate_errors.empty()) {
      Error e = authenticate_errors.front();
      authenticate_errors.pop_front();
      return e;
    }
    es9::AuthenticateClientResponse out;
    if (authenticate_status) {
      out.status = *authenticate_status;
      return out;
    }
    out.ok = es9::AuthenticateClientOk{r.transaction_id, profile_metadata, Bytes{0x30, 0x00},
                                       dl_tlv(0x5F37, dl_fill(64, 2)), dl_cert(8)};
    return out;
  }
  Result<es9::GetBoundProfilePackageResponse> get_bound_profile_package(
      std::string_view a, const es9::GetBoundProfilePackageRequest& r) override {
    calls.push_back("getBoundProfilePackage@" + std::string(a));
    es9::GetBoundProfilePackageResponse out;
    if (bpp_status) {
      out.status = *bpp_status;
      return out;
    }
    out.ok = es9::GetBoundProfilePackageOk{r.transaction_id, Bytes{0xBF, 0x36, 0x02, 0x05, 0x00}};
    return out;
  }
  Result<es9::FunctionExecutionStatus> handle_notification(std::string_view a,
                                                           const es9::HandleNotificationRequest& r) override {
    calls.push_back("handleNotification@" + std::string(a));
    last_notification = r.pending_notification;
    return es9::FunctionExecutionStatus::success();
  }
  Result<es9::CancelSessionResponse> cancel_session(std::string_view a, const es9::CancelSessionRequest& r) override {
    calls.push_back("cancelSession@" + std::string(a));
    last_cancel = r;
    es9::CancelSessionResponse out;
    if (cancel_status) {
      out.status = *cancel_status;
    } else {
      out.ok = es9::CancelSessionOk{};
    }
    return out;
  }
};

class DownloadRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::TestPkiOptions po;
    po.now = clock_.now();
    auto pki = crypto::make_test_pki(po);
    ASSERT_TRUE(pki.ok()) << pki.error().message;
    pki_ = std::make_unique<crypto::TestPki>(std::move(*pki));
    store::SqliteOptions so;
    so.clock = &clock_;
    auto s = store::open_sqlite_store(dir_.path(), so);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    auto t = store_->create_tenant("acme");
    ASSERT_TRUE(t.ok());
    tenant_ = t->id;
    domain::Carrier c;
    c.id = "c1";
    c.tenant_id = tenant_;
    c.name = "Carrier One";
    c.plmns = {*domain::Plmn::parse("234-15")};
    ASSERT_TRUE(store_->create_carrier(c).ok());
    EimIdentity id;
    id.eim_id = "esimo-test-eim";
    id.fqdn = "eim.example:8443";
    id.signer = std::make_shared<crypto::SoftwareSigner>(pki_->eim.key);
    id.ci_root_certificates_der = {pki_->ci.certificate.der()};
    service_ = std::make_unique<EimService>(*store_, clock_, std::move(id), EimOptions{}, metrics_);
    smdp_ = std::make_shared<FakeSmdp>();
    rsp22::StoreMetadataRequest md;
    md.iccid = dl_wire(dl_iccid());
    md.service_provider_name = "Carrier One";
    md.profile_name = "IoT";
    md.profile_owner = rsp22::OperatorId{Bytes{0x32, 0xF4, 0x51}, std::nullopt, std::nullopt};  // 234-15
    smdp_->profile_metadata = *rsp22::encode(md);
    DownloadOptions o;
    o.session_timeout = std::chrono::seconds(300);
    o.sleep = [this](std::chrono::milliseconds d) { slept_.push_back(d); };
    service_->enable_downloads(smdp_, o);
  }

  // A device the eIM may send packages to at once (emulated: no certificates needed before the first package).
  void add_device(int n, domain::Sgp32Version version = domain::Sgp32Version::v1_2) {
    store::DeviceRecord rec;
    rec.device.tenant_id = tenant_;
    rec.device.eid = dl_eid(n);
    rec.device.name = "dev" + std::to_string(n);
    rec.device.sgp32_version = version;
    rec.device.created_at = clock_.now();
    rec.device.updated_at = clock_.now();
    ASSERT_TRUE(store_->create_device(rec).ok());
    ASSERT_TRUE(service_->load().ok());
    EimService::EuiccFacts f;
    f.association_token = 1;
    f.emulated = true;
    ASSERT_TRUE(service_->set_euicc_facts(tenant_, dl_eid(n), f).ok());
    auto k = crypto::make_test_euicc(*pki_, dl_eid(n).str(), clock_.now());
    ASSERT_TRUE(k.ok());
    euicc_cert_ = k->certificate.der();
    euicc_key_ = std::make_unique<crypto::PrivateKey>(k->key);
    version_ = version == domain::Sgp32Version::v1_0 ? Version::v1_0 : Version::v1_2;
  }

  domain::Operation submit_download(const std::string& ac = std::string("1$") + kSmdp + "$MATCH-1", bool enable = true,
                                    std::optional<std::string> cc = std::nullopt) {
    std::string json = "{\"activation_code\":\"" + ac + "\",\"enable\":" + (enable ? "true" : "false");
    if (cc) json += ",\"confirmation_code\":\"" + *cc + "\"";
    json += "}";
    auto req = operation_request_from_json("download", json);
    EXPECT_TRUE(req.ok()) << req.error().message;
    auto op = service_->submit(tenant_, dl_eid(1), *req, SubmitOptions{"user:test", "", std::nullopt});
    EXPECT_TRUE(op.ok()) << op.error().message;
    return *op;
  }

  sgp::EsipaMessageFromEimToIpa exchange(const sgp::EsipaMessageFromIpaToEim& m) {
    auto body = sgp::encode(m, version_);
    EXPECT_TRUE(body.ok()) << body.error().message;
    auto out = service_->handle_esipa(*body, std::nullopt);
    EXPECT_TRUE(out.ok()) << out.error().message;
    if (!out.ok() || out->empty()) return sgp::ProvideEimPackageResultResponse{};
    auto msg = sgp::decode_eim_to_ipa(*out, version_);
    EXPECT_TRUE(msg.ok()) << msg.error().message;
    return *msg;
  }

  sgp::ProfileDownloadTriggerRequest poll_trigger() {
    sgp::GetEimPackageRequest g;
    auto e = dl_eid(1).to_bytes();
    g.eid = Bytes(e.begin(), e.end());
    auto resp = std::get<sgp::GetEimPackageResponse>(exchange(g));
    auto* t = std::get_if<sgp::ProfileDownloadTriggerRequest>(&resp);
    EXPECT_NE(t, nullptr) << "expected a profileDownloadTriggerRequest";
    return t ? *t : sgp::ProfileDownloadTriggerRequest{};
  }

  sgp::InitiateAuthenticationResponseEsipa initiate(const sgp::ProfileDownloadTriggerRequest& t) {
    sgp::InitiateAuthenticationRequestEsipa m;
    m.euicc_challenge = dl_fill(16, 0x77);
    m.smdp_address = kSmdp;
    m.euicc_info1 = Bytes{0xBF, 0x20, 0x03, 0x82, 0x01, 0x00};
    if (version_ == Version::v1_2) m.eim_transaction_id = t.eim_transaction_id;
    return std::get<sgp::InitiateAuthenticationResponseEsipa>(exchange(m));
  }

  Bytes authenticate_server_response_ok() {
    rsp22::AuthenticateResponseOk ok;
    ok.euicc_signed1.transaction_id = smdp_->transaction_id;
    ok.euicc_signed1.server_address = kSmdp;
    ok.euicc_signed1.server_challenge = dl_fill(16, 0x30);
    ok.euicc_signed1.euicc_info2 = Bytes{0xBF, 0x22, 0x05, 0x81, 0x03, 0x02, 0x03, 0x01};
    ok.euicc_signed1.ctx_params1.matching_id = "MATCH-1";
    ok.euicc_signed1.ctx_params1.device_info.tac = Bytes{0x35, 0x29, 0x06, 0x11};
    ok.euicc_signed1.ctx_params1.device_info.device_capabilities = Bytes{0x80, 0x03, 0x0F, 0x00, 0x00};
    ok.euicc_signature1 = dl_fill(64, 0x50);
    ok.euicc_certificate = euicc_cert_;
    ok.eum_certificate = pki_->eum.certificate.der();
    return *rsp22::encode(rsp22::AuthenticateServerResponse(ok));
  }

  sgp::AuthenticateClientResponseEsipa authenticate(Bytes asr) {
    return std::get<sgp::AuthenticateClientResponseEsipa>(
        exchange(sgp::AuthenticateClientRequestEsipa{smdp_->transaction_id, std::move(asr)}));
  }

  sgp::GetBoundProfilePackageResponseEsipa bound_profile_package(bool euicc_ok = true) {
    rsp22::PrepareDownloadResponse pdr;
    if (euicc_ok) {
      Bytes point = dl_fill(65, 1);
      point[0] = 0x04;
      pdr = rsp22::PrepareDownloadResponseOk{{smdp_->transaction_id, point, std::nullopt}, dl_fill(64, 0x80), {}};
    } else {
      pdr = rsp22::PrepareDownloadResponseError{smdp_->transaction_id, 2};  // invalidSignature
    }
    return std::get<sgp::GetBoundProfilePackageResponseEsipa>(
        exchange(sgp::GetBoundProfilePackageRequestEsipa{smdp_->transaction_id, *rsp22::encode(pdr)}));
  }

  // Signed by the device's eUICC (euiccSignPIR over DER(profileInstallationResultData)); `signer` another key.
  Bytes installation_result(std::optional<std::pair<std::int64_t, std::int64_t>> error = std::nullopt,
                            const crypto::PrivateKey* signer = nullptr) {
    rsp22::ProfileInstallationResult pir;
    pir.data.transaction_id = smdp_->transaction_id;
    pir.data.notification_metadata = {7, 1u << 0, kSmdp, dl_wire(dl_iccid())};
    pir.data.smdp_oid = "2.999.10";
    if (error) {
      pir.data.final_result = rsp22::ErrorResult{error->first, error->second, std::nullopt};
    } else {
      pir.data.final_result = rsp22::SuccessResult{dl_fill(16, 0xA0), Bytes{}};
    }
    pir.euicc_sign_pir = *crypto::sign_raw(signer != nullptr ? *signer : *euicc_key_,
                                           *rsp22::encode_profile_installation_result_data(pir.data));
    return *rsp22::encode(pir);
  }

  void notify(const Bytes& pir_der) {
    sgp::PendingNotification n;
    n.kind = sgp::PendingNotificationKind::profile_installation_result;
    n.der = pir_der;
    n.metadata = sgp::NotificationMetadata{7, 1u << 0, kSmdp, dl_wire(dl_iccid())};
    auto out = exchange(sgp::HandleNotificationEsipa(n));
    (void)out;
  }

  domain::Operation op_now(const std::string& id) {
    auto op = store_->get_operation(tenant_, id);
    EXPECT_TRUE(op.ok());
    return *op;
  }

  // Runs the download up to (and including) AuthenticateClient.
  void run_to_authenticated() {
    auto t = poll_trigger();
    auto ia = initiate(t);
    ASSERT_TRUE(std::holds_alternative<sgp::InitiateAuthenticationOkEsipa>(ia));
    auto ac = authenticate(authenticate_server_response_ok());
    ASSERT_TRUE(std::holds_alternative<sgp::AuthenticateClientOkDpEsipa>(ac));
  }

  test::TempDir dir_{"esimo-dl"};
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  metrics::Registry metrics_;
  std::unique_ptr<crypto::TestPki> pki_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<EimService> service_;
  std::shared_ptr<FakeSmdp> smdp_;
  domain::TenantId tenant_ = 0;
  Bytes euicc_cert_;
  std::unique_ptr<crypto::PrivateKey> euicc_key_;
  Version version_ = Version::v1_2;
  std::vector<std::chrono::milliseconds> slept_;
};

TEST(ActivationCode, ParsesSgp22Format) {
  auto ac = parse_activation_code("LPA:1$SMDP.Example.com$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1");
  ASSERT_TRUE(ac.ok()) << ac.error().message;
  EXPECT_EQ(ac->text, "1$SMDP.Example.com$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1");
  EXPECT_EQ(ac->smdp_address, "smdp.example.com");
  EXPECT_EQ(ac->matching_id, "04386-AGYFT-A74Y8-3F815");
  EXPECT_EQ(ac->smdp_oid, "1.3.6.1.4.1.31746");
  EXPECT_TRUE(ac->confirmation_code_required);
  auto lab = parse_activation_code("1$127.0.0.1:8443$");
  ASSERT_TRUE(lab.ok()) << lab.error().message;
  EXPECT_EQ(lab->smdp_address, "127.0.0.1:8443");
  EXPECT_TRUE(lab->matching_id.empty());
  for (const char* bad : {"", "2$a.b$X", "1$a.b", "1$$X", "1$-a.b$X", "1$a..b$X", "1$a.b:0$X", "1$a.b:99999$X",
                          "1$a.b$lower", "1$a.b$X$1..2", "1$a.b$X$1.2$2", "1$a.b$X$1.2$1$extra", "1$a b$X"}) {
    auto r = parse_activation_code(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "activation_code") << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
}

TEST_F(DownloadRelayTest, OperationJsonKeepsOnlyTheConfirmationCodeHash) {
  auto req = operation_request_from_json(
      "download", R"({"activation_code":"LPA:1$smdp.example.test$MATCH-1","confirmation_code":"1234","enable":true})");
  ASSERT_TRUE(req.ok()) << req.error().message;
  const std::string json = to_json(*req);
  EXPECT_EQ(json.find("1234\""), std::string::npos);
  EXPECT_NE(json.find("confirmation_code_sha256"), std::string::npos);
  auto back = operation_request_from_json("download", json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  const auto& dl = std::get<OpDownload>(*back);
  EXPECT_EQ(dl.activation_code, "1$smdp.example.test$MATCH-1");
  const auto h = crypto::sha256(as_bytes("1234"));
  EXPECT_EQ(dl.confirmation_code_sha256, Bytes(h.begin(), h.end()));
  EXPECT_TRUE(dl.enable);
  auto bad = operation_request_from_json("download", R"({"activation_code":"1$x.y$lower-case"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "activation_code");
  auto extra = operation_request_from_json("download", R"({"activation_code":"1$x.y$A","iccid":"1"})");
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().field, "iccid");
}

TEST_F(DownloadRelayTest, SubmitRefusesAnUnconfiguredSmdp) {
  add_device(1);
  auto req = operation_request_from_json("download", R"({"activation_code":"1$other.example$A"})");
  ASSERT_TRUE(req.ok());
  auto op = service_->submit(tenant_, dl_eid(1), *req, SubmitOptions{});
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.error().code, Errc::failed_precondition);
  EXPECT_EQ(op.error().field, "activation_code");
}

TEST_F(DownloadRelayTest, FullDownloadThenEnableQueued) {
  add_device(1);
  const auto op = submit_download(std::string("1$") + kSmdp + "$MATCH-1", true, "4711");
  auto t = poll_trigger();
  ASSERT_TRUE(t.profile_download_data.has_value());
  EXPECT_EQ(std::get<sgp::DownloadActivationCode>(*t.profile_download_data).activation_code,
            std::string("1$") + kSmdp + "$MATCH-1");
  ASSERT_TRUE(t.eim_transaction_id.has_value());
  EXPECT_EQ(op_now(op.id).state, OperationState::delivered);
  EXPECT_EQ(op_now(op.id).eim_transaction_id, to_hex(*t.eim_transaction_id));

  auto ia = initiate(t);
  auto* iok = std::get_if<sgp::InitiateAuthenticationOkEsipa>(&ia);
  ASSERT_NE(iok, nullptr);
  EXPECT_EQ(iok->transaction_id, smdp_->transaction_id);
  EXPECT_EQ(iok->server_signature1, dl_fill(64, 1));            // 5F37 contents on ESipa
  EXPECT_EQ(iok->euicc_ci_pkid_to_be_used, dl_fill(20, 0xA0));  // 04 contents on ESipa
  EXPECT_EQ(iok->matching_id, "MATCH-1");
  EXPECT_EQ(smdp_->last_initiate.euicc_challenge, dl_fill(16, 0x77));
  EXPECT_EQ(smdp_->last_initiate.smdp_address, kSmdp);

  auto ac = authenticate(authenticate_server_response_ok());
  auto* aok = std::get_if<sgp::AuthenticateClientOkDpEsipa>(&ac);
  ASSERT_NE(aok, nullptr);
  EXPECT_EQ(aok->smdp_signature2, dl_fill(64, 2));
  EXPECT_EQ(aok->profile_metadata, smdp_->profile_metadata);
  // hashCc = SHA-256(SHA-256(CC) || TransactionId)
  auto cc = crypto::sha256(as_bytes("4711"));
  Bytes in(cc.begin(), cc.end());
  in.insert(in.end(), smdp_->transaction_id.begin(), smdp_->transaction_id.end());
  auto want = crypto::sha256(in);
  EXPECT_EQ(aok->hash_cc, Bytes(want.begin(), want.end()));
  // The eUICC certificates seen in AuthenticateClient are recorded against the device.
  auto st = store_->get_euicc_state(tenant_, dl_eid(1));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->euicc_certificate_der, euicc_cert_);
  EXPECT_EQ(st->eum_certificate_der, pki_->eum.certificate.der());

  auto bpp = bound_profile_package();
  auto* bok = std::get_if<sgp::GetBoundProfilePackageOkEsipa>(&bpp);
  ASSERT_NE(bok, nullptr);
  EXPECT_EQ(bok->bound_profile_package, (Bytes{0xBF, 0x36, 0x02, 0x05, 0x00}));

  // A result not signed by the device's eUICC (here by another eUICC under the same EUM) is ignored: not forwarded,
  // no profile recorded, the operation still waiting for the genuine one.
  auto stranger = crypto::make_test_euicc(*pki_, dl_eid(2).str(), clock_.now());
  ASSERT_TRUE(stranger.ok());
  notify(installation_result(std::nullopt, &stranger->key));
  EXPECT_TRUE(smdp_->last_notification.empty());
  EXPECT_EQ(op_now(op.id).state, OperationState::delivered);
  EXPECT_EQ(store_->get_profile(tenant_, dl_iccid()).error().code, Errc::not_found);
  EXPECT_EQ(service_->download_sessions(), 1U);

  const Bytes pir = installation_result();
  notify(pir);
  EXPECT_EQ(smdp_->last_notification, pir);
  const auto done = op_now(op.id);
  EXPECT_EQ(done.state, OperationState::succeeded);
  EXPECT_EQ(done.outcome, "ok");
  EXPECT_NE(done.result_json.find(dl_iccid().str()), std::string::npos) << done.result_json;
  auto prof = store_->get_profile(tenant_, dl_iccid());
  ASSERT_TRUE(prof.ok());
  EXPECT_EQ(prof->eid, dl_eid(1));
  EXPECT_EQ(prof->state, domain::ProfileState::disabled);
  EXPECT_EQ(prof->carrier_id, "c1");  // from the profile owner 234-15
  auto queued = store_->list_queued_operations(tenant_, dl_eid(1));
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1U);
  EXPECT_EQ((*queued)[0].type, "enable");
  EXPECT_EQ((*queued)[0].reason, "download:" + op.id);
  EXPECT_EQ(service_->download_sessions(), 0U);
  EXPECT_EQ(smdp_->calls, (std::vector<std::string>{
                              "initiateAuthentication@smdp.example.test", "authenticateClient@smdp.example.test",
                              "getBoundProfilePackage@smdp.example.test", "handleNotification@smdp.example.test"}));
  // The enable goes out on the next poll.
  sgp::GetEimPackageRequest g;
  auto e = dl_eid(1).to_bytes();
  g.eid = Bytes(e.begin(), e.end());
  auto next = std::get<sgp::GetEimPackageResponse>(exchange(g));
  EXPECT_TRUE(std::holds_alternative<sgp::EuiccPackageRequest>(next));
}

TEST_F(DownloadRelayTest, SmdpDownIsRetriedThenNamed) {
  add_device(1);
  const auto op = submit_download();
  for (int i = 0; i < 3; ++i) smdp_->initiate_errors.push_back(Error(Errc::unavailable, "connection refused"));
  auto ia = initiate(poll_trigger());
  ASSERT_TRUE(std::holds_alternative<sgp::InitiateAuthenticationErrorEsipa>(ia));
  EXPECT_EQ(std::get<sgp::InitiateAuthenticationErrorEsipa>(ia).code, 127);
  EXPECT_EQ(slept_,
            (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(250), std::chrono::milliseconds(500)}));
  EXPECT_EQ(op_now(op.id).state, OperationState::failed);
  EXPECT_EQ(op_now(op.id).outcome, "smdp_unreachable");
  EXPECT_EQ(service_->download_sessions(), 0U);
  // Nothing is stuck: a new download is triggered on the next poll, and succeeds after one transport error.
  const auto again = submit_download();
  smdp_->initiate_errors.push_back(Error(Errc::timeout, "read timed out"));
  run_to_authenticated();
  auto bpp = bound_profile_package();
  ASSERT_TRUE(std::holds_alternative<sgp::GetBoundProfilePackageOkEsipa>(bpp));
  notify(installation_result());
  EXPECT_EQ(op_now(again.id).state, OperationState::succeeded);
}

TEST_F(DownloadRelayTest, UnknownAndExpiredMatchingIds) {
  add_device(1);
  const auto op = submit_download();
  smdp_->authenticate_status = es9::FunctionExecutionStatus::failure("8.2.6", "3.8", "MatchingID refused");
  initiate(poll_trigger());
  auto ac = authenticate(authenticate_server_response_ok());
  ASSERT_TRUE(std::holds_alternative<sgp::AuthenticateClientErrorEsipa>(ac));
  EXPECT_EQ(std::get<sgp::AuthenticateClientErrorEsipa>(ac).code, 6);  // matchingIdRefused
  EXPECT_EQ(op_now(op.id).outcome, "matching_id_unknown");
  EXPECT_EQ(op_now(op.id).state, OperationState::failed);
  EXPECT_EQ(service_->download_sessions(), 0U);

  const auto op2 = submit_download();
  smdp_->authenticate_status = es9::FunctionExecutionStatus::failure("8.8.5", "4.10", "Download order expired");
  initiate(poll_trigger());
  auto ac2 = authenticate(authenticate_server_response_ok());
  EXPECT_EQ(std::get<sgp::AuthenticateClientErrorEsipa>(ac2).code, 18);  // downloadOrderExpired
  EXPECT_EQ(op_now(op2.id).outcome, "matching_id_expired");
  EXPECT_EQ(service_->download_sessions(), 0U);
}

TEST_F(DownloadRelayTest, EuiccRefusingTheSmdpSignatureIsNamed) {
  add_device(1);
  const auto op = submit_download();
  initiate(poll_trigger());
  smdp_->authenticate_status = es9::FunctionExecutionStatus::failure("8.1", "6.1", "eUICC reported an error");
  auto asr = rsp22::encode(rsp22::AuthenticateServerResponse(
      rsp22::AuthenticateResponseError{smdp_->transaction_id, 2}));  // invalidSignature
  ASSERT_TRUE(asr.ok());
  auto ac = authenticate(*asr);
  ASSERT_TRUE(std::holds_alternative<sgp::AuthenticateClientErrorEsipa>(ac));
  EXPECT_EQ(op_now(op.id).outcome, "bad_smdp_signature");
  EXPECT_EQ(smdp_->last_authenticate.authenticate_server_response, *asr);  // the SM-DP+ was told
  EXPECT_EQ(service_->download_sessions(), 0U);
}

TEST_F(DownloadRelayTest, BadSmdpSignature2ReportedInPrepareDownload) {
  add_device(1);
  const auto op = submit_download();
  run_to_authenticated();
  smdp_->bpp_status = es9::FunctionExecutionStatus::failure("8.1", "6.1", "eUICC reported an error");
  auto bpp = bound_profile_package(false);
  ASSERT_TRUE(std::holds_alternative<sgp::GetBoundProfilePackageErrorEsipa>(bpp));
  EXPECT_EQ(op_now(op.id).outcome, "bad_smdp_signature");
  EXPECT_EQ(service_->download_sessions(), 0U);
}

TEST_F(DownloadRelayTest, EuiccFullAndTooManyProfiles) {
  add_device(1);
  const auto op = submit_download(std::string("1$") + kSmdp + "$MATCH-1", false);
  run_to_authenticated();
  bound_profile_package();
  notify(installation_result(std::make_pair(5, 10)));  // loadProfileElements, insufficient memory
  EXPECT_EQ(op_now(op.id).state, OperationState::failed);
  EXPECT_EQ(op_now(op.id).outcome, "euicc_memory_full");
  EXPECT_FALSE(store_->get_profile(tenant_, dl_iccid()).ok());
  EXPECT_EQ(smdp_->calls.back(), "handleNotification@smdp.example.test");

  const auto op2 = submit_download(std::string("1$") + kSmdp + "$MATCH-1", false);
  run_to_authenticated();
  bound_profile_package();
  notify(installation_result(std::make_pair(1, 10)));  // configureISDP: no room for another ISD-P
  EXPECT_EQ(op_now(op2.id).outcome, "too_many_profiles");
  EXPECT_EQ(service_->download_sessions(), 0U);
}

TEST_F(DownloadRelayTest, ConfirmationCodeRefusedKeepsTheSessionForTheEuiccCancel) {
  add_device(1);
  const auto op = submit_download(std::string("1$") + kSmdp + "$MATCH-1", false, "0000");
  run_to_authenticated();
  smdp_->bpp_status = es9::FunctionExecutionStatus::failure("8.2.7", "3.8", "Confirmation Code refused");
  auto bpp = bound_profile_package();
  EXPECT_EQ(std::get<sgp::GetBoundProfilePackageErrorEsipa>(bpp).code, 3);
  EXPECT_EQ(op_now(op.id).outcome, "confirmation_code_refused");
  // The IPA cancels the eUICC session; the eIM relays its CancelSession to the SM-DP+ (BF41 around the alternative).
  rsp22::CancelSessionResponseOk cok;
  cok.signed_data = {smdp_->transaction_id, "2.999.10", 0};
  cok.signature = dl_fill(64, 0xC0);
  auto alt = rsp22::encode_cancel_session_response_alternative(rsp22::CancelSessionResponse(cok));
  ASSERT_TRUE(alt.ok());
  auto cs = exchange(sgp::CancelSessionRequestEsipa{smdp_->transaction_id, *alt});
  EXPECT_TRUE(std::holds_alternative<sgp::CancelSessionOkEsipa>(std::get<sgp::CancelSessionResponseEsipa>(cs)));
  auto whole = rsp22::decode_cancel_session_response(smdp_->last_cancel.cancel_session_response);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(op_now(op.id).outcome, "confirmation_code_refused");  // the first outcome stands
  EXPECT_EQ(service_->download_sessions(), 0U);
}

TEST_F(DownloadRelayTest, CancelWhileDownloadingRefusesTheIpaAndRelaysItsCancelSession) {
  add_device(1);
  const auto op = submit_download();
  initiate(poll_trigger());
  auto cancelled = service_->cancel(tenant_, op.id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().message;
  EXPECT_EQ(op_now(op.id).state, OperationState::cancelled);
  auto ac = authenticate(authenticate_server_response_ok());
  ASSERT_TRUE(std::holds_alternative<sgp::AuthenticateClientErrorEsipa>(ac));
  EXPECT_EQ(smdp_->calls.size(), 1U);  // authenticateClient was not relayed
  rsp22::CancelSessionResponseOk cok;
  cok.signed_data = {smdp_->transaction_id, "2.999.10", 1};
  cok.signature = dl_fill(64, 0xC0);
  auto alt = rsp22::encode_cancel_session_response_alternative(rsp22::CancelSessionResponse(cok));
  exchange(sgp::CancelSessionRequestEsipa{smdp_->transaction_id, *alt});
  EXPECT_EQ(smdp_->calls.back(), "cancelSession@smdp.example.test");
  EXPECT_EQ(op_now(op.id).state, OperationState::cancelled);
  EXPECT_EQ(service_->download_sessions(), 0U);
}

// What the twin's IPA does when the eUICC refuses a step: CancelSession (relayed), then the trigger's result with the
// eUICC's refusal in profileDownloadError.errorResponse, which names the outcome.
TEST_F(DownloadRelayTest, EuiccRefusalReportedThroughCancelAndTriggerResult) {
  add_device(1);
  const auto op = submit_download();
  auto t = poll_trigger();
  initiate(t);
  rsp22::CancelSessionResponseOk cok;
  cok.signed_data = {smdp_->transaction_id, "2.999.10", 127};
  cok.signature = dl_fill(64, 0xC0);
  auto alt = rsp22::encode_cancel_session_response_alternative(rsp22::CancelSessionResponse(cok));
  auto cs = exchange(sgp::CancelSessionRequestEsipa{smdp_->transaction_id, *alt});
  EXPECT_TRUE(std::holds_alternative<sgp::CancelSessionOkEsipa>(std::get<sgp::CancelSessionResponseEsipa>(cs)));
  EXPECT_EQ(smdp_->calls.back(), "cancelSession@smdp.example.test");
  EXPECT_EQ(op_now(op.id).state, OperationState::delivered);  // the trigger's result says why
  sgp::ProfileDownloadError err;
  err.profile_download_error_reason = 127;
  err.error_response =
      *rsp22::encode(rsp22::AuthenticateServerResponse(rsp22::AuthenticateResponseError{smdp_->transaction_id, 2}));
  sgp::ProvideEimPackageResult pr;
  auto e = dl_eid(1).to_bytes();
  pr.eid = Bytes(e.begin(), e.end());
  pr.result = sgp::ProfileDownloadTriggerResult{t.eim_transaction_id, err};
  exchange(pr);
  EXPECT_EQ(op_now(op.id).state, OperationState::failed);
  EXPECT_EQ(op_now(op.id).outcome, "bad_smdp_signature");
  EXPECT_EQ(service_->download_sessions(), 0U);

  // Without the trigger's result the cancelled session ends `cancelled` after a grace period.
  const auto op2 = submit_download();
  initiate(poll_trigger());
  exchange(sgp::CancelSessionRequestEsipa{smdp_->transaction_id, *alt});
  clock_.advance(std::chrono::seconds(31));
  const auto op3 = submit_download();
  poll_trigger();
  EXPECT_EQ(op_now(op2.id).outcome, "cancelled");
  EXPECT_EQ(op_now(op3.id).state, OperationState::delivered);
}

TEST_F(DownloadRelayTest, IdleSessionTimesOutAndFreesTheDevice) {
  add_device(1);
  const auto op = submit_download();
  poll_trigger();  // the IPA never starts
  EXPECT_EQ(service_->download_sessions(), 1U);
  const auto second = submit_download();
  clock_.advance(std::chrono::seconds(301));
  auto t = poll_trigger();  // the sweep ends the first; the second is triggered
  EXPECT_EQ(op_now(op.id).state, OperationState::failed);
  EXPECT_EQ(op_now(op.id).outcome, "session_timeout");
  EXPECT_EQ(op_now(second.id).state, OperationState::delivered);
  EXPECT_EQ(op_now(second.id).eim_transaction_id, to_hex(*t.eim_transaction_id));
}

TEST_F(DownloadRelayTest, V10DownloadIsBoundByTheEuiccCertificate) {
  add_device(1, domain::Sgp32Version::v1_0);
  const auto op = submit_download(std::string("1$") + kSmdp + "$MATCH-1", false);
  auto t = poll_trigger();
  auto ia = initiate(t);  // no eimTransactionId in v1.0
  ASSERT_TRUE(std::holds_alternative<sgp::InitiateAuthenticationOkEsipa>(ia));
  auto ac = authenticate(authenticate_server_response_ok());
  ASSERT_TRUE(std::holds_alternative<sgp::AuthenticateClientOkDpEsipa>(ac));
  bound_profile_package();
  notify(installation_result());
  EXPECT_EQ(op_now(op.id).state, OperationState::succeeded);
}

TEST_F(DownloadRelayTest, UnknownTransactionIdsAreRefused) {
  add_device(1);
  auto bpp = std::get<sgp::GetBoundProfilePackageResponseEsipa>(
      exchange(sgp::GetBoundProfilePackageRequestEsipa{dl_fill(8, 0x99), Bytes{0xBF, 0x21, 0x00}}));
  EXPECT_EQ(std::get<sgp::GetBoundProfilePackageErrorEsipa>(bpp).code, 95);
  sgp::InitiateAuthenticationRequestEsipa m;
  m.euicc_challenge = dl_fill(16, 1);
  m.smdp_address = kSmdp;
  m.euicc_info1 = Bytes{0xBF, 0x20, 0x00};
  m.eim_transaction_id = dl_fill(8, 0x42);
  auto ia = std::get<sgp::InitiateAuthenticationResponseEsipa>(exchange(m));
  EXPECT_EQ(std::get<sgp::InitiateAuthenticationErrorEsipa>(ia).code, 52);  // invalidEimTransactionId
  EXPECT_TRUE(smdp_->calls.empty());
}

}  // namespace esimo::eim::dltest
