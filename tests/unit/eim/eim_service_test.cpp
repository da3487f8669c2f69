// EimService against a real SQLite store, with results built the way an eUICC builds them (decode the package the eIM
// sent, sign EuiccPackageResultDataSigned || eimSignature object with a test eUICC key). No dependency on src/twin.
#include "eim/eim_service.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "base/metrics.hpp"
#include "crypto/ecdsa.hpp"
#include "domain/identifiers.hpp"
#include "crypto/test_pki.hpp"
#include "sgp/codec.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace esimo::eim {
namespace {

using domain::OperationState;
using sgp::Version;

std::string luhn_complete(const std::string& digits) {
  return domain::Iccid::from_payload(digits)->str();
}

domain::Iccid iccid(int n) {
  std::string base = "894900000000000";
  std::string num = std::to_string(n);
  base += std::string(3 - num.size(), '0') + num;
  return *domain::Iccid::parse(luhn_complete(base));
}

domain::Eid eid(int n) {
  std::string num = std::to_string(n);
  return *domain::Eid::from_prefix30("89049032000000000000000000" + std::string(4 - num.size(), '0') + num);
}

Bytes bytes_of(const domain::Eid& e) {
  auto a = e.to_bytes();
  return Bytes(a.begin(), a.end());
}

Bytes wire(const domain::Iccid& i) {
  auto a = i.to_wire();
  return Bytes(a.begin(), a.end());
}

// A minimal eUICC for the tests: its key, its EID, its profile states, its counter.
struct TestEuicc {
  domain::Eid eid;
  crypto::KeyAndCertificate key;
  std::int64_t association_token = 7;
  std::int64_t seq = 0;
};

class EimServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::TestPkiOptions po;
    po.now = clock_.now();
    auto pki = crypto::make_test_pki(po);
    ASSERT_TRUE(pki.ok()) << pki.error().message;
    pki_ = std::make_unique<crypto::TestPki>(std::move(*pki));
    open();
    auto t = store_->create_tenant("acme");
    ASSERT_TRUE(t.ok());
    tenant_ = t->id;
    domain::Carrier c;
    c.id = "c1";
    c.tenant_id = tenant_;
    c.name = "Carrier One";
    c.plmns = {*domain::Plmn::parse("724-06")};
    ASSERT_TRUE(store_->create_carrier(c).ok());
  }

  void open() {
    store::SqliteOptions so;
    so.clock = &clock_;
    auto s = store::open_sqlite_store(dir_.path(), so);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    EimIdentity id;
    id.eim_id = "esimo-test-eim";
    id.fqdn = "eim.example:8443";
    id.signer = std::make_shared<crypto::SoftwareSigner>(pki_->eim.key);
    id.ci_root_certificates_der = {pki_->ci.certificate.der()};
    EimOptions opts;
    opts.max_psmos_per_package = 3;
    metrics_ = std::make_unique<metrics::Registry>();
    service_ = std::make_unique<EimService>(*store_, clock_, std::move(id), opts, *metrics_);
  }

  void reopen() {
    service_.reset();
    store_.reset();
    open();
    ASSERT_TRUE(service_->load().ok());
  }

  // tell_eim = false: the device is written to the store behind the eIM's back, as another process would.
  TestEuicc add_device(int n, domain::Sgp32Version version = domain::Sgp32Version::v1_2, bool load = true,
                       bool tell_eim = true) {
    store::DeviceRecord rec;
    rec.device.tenant_id = tenant_;
    rec.device.eid = eid(n);
    rec.device.name = "dev" + std::to_string(n);
    rec.device.sgp32_version = version;
    rec.device.active_iccid = iccid(n * 10 + 1);
    rec.device.created_at = clock_.now();
    rec.device.updated_at = clock_.now();
    for (int k = 1; k <= 3; ++k) {
      domain::Profile p;
      p.tenant_id = tenant_;
      p.iccid = iccid(n * 10 + k);
      p.eid = eid(n);
      p.carrier_id = "c1";
      p.state = k == 1 ? domain::ProfileState::enabled : domain::ProfileState::disabled;
      p.updated_at = clock_.now();
      rec.profiles.push_back(p);
    }
    EXPECT_TRUE(store_->create_device(rec).ok());
    if (!tell_eim) {
    } else if (load) {
      EXPECT_TRUE(service_->load().ok());
    } else {
      service_->device_changed(tenant_, eid(n));
    }
    auto k = crypto::make_test_euicc(*pki_, eid(n).str(), clock_.now());
    EXPECT_TRUE(k.ok());
    return TestEuicc{eid(n), std::move(*k)};
  }

  Version version_of(const TestEuicc& e) {
    auto d = store_->get_device(tenant_, e.eid);
    return d->device.sgp32_version == domain::Sgp32Version::v1_0 ? Version::v1_0 : Version::v1_2;
  }

  // One poll; returns the decoded GetEimPackageResponse.
  sgp::GetEimPackageResponse poll(const TestEuicc& e, bool notify = false, std::optional<std::int64_t> cause = {}) {
    const Version v = version_of(e);
    sgp::GetEimPackageRequest req;
    req.eid = bytes_of(e.eid);
    req.notify_state_change = notify;
    req.state_change_cause = cause;
    auto body = sgp::encode(sgp::EsipaMessageFromIpaToEim(req), v);
    EXPECT_TRUE(body.ok());
    auto out = service_->handle_esipa(*body, std::nullopt);
    EXPECT_TRUE(out.ok()) << out.error().message;
    auto msg = sgp::decode_eim_to_ipa(*out, v);
    EXPECT_TRUE(msg.ok()) << msg.error().message;
    return std::get<sgp::GetEimPackageResponse>(*msg);
  }

  Result<Bytes> send(const TestEuicc& e, const sgp::EimPackageResult& result) {
    const Version v = version_of(e);
    sgp::ProvideEimPackageResult m;
    if (v == Version::v1_2) m.eid = bytes_of(e.eid);
    m.result = result;
    auto body = sgp::encode(sgp::EsipaMessageFromIpaToEim(m), v);
    EXPECT_TRUE(body.ok()) << body.error().message;
    return service_->handle_esipa(*body, std::nullopt);
  }

  // Answers the first-contact IpaEuiccDataRequest with the token and the certificates.
  void learn(TestEuicc& e) {
    auto resp = poll(e);
    auto* data = std::get_if<sgp::IpaEuiccDataRequest>(&resp);
    ASSERT_NE(data, nullptr) << "expected an IpaEuiccDataRequest first";
    EXPECT_EQ(data->tag_list, (Bytes{0x84, 0xA5, 0xA6}));
    sgp::IpaEuiccData d;
    d.association_token = e.association_token;
    d.eum_certificate = pki_->eum.certificate.der();
    d.euicc_certificate = e.key.certificate.der();
    if (version_of(e) == Version::v1_2) d.eim_transaction_id = data->eim_transaction_id;
    auto out = send(e, sgp::IpaEuiccDataResponse(d));
    ASSERT_TRUE(out.ok()) << out.error().message;
    // Answered in the device's version (a v1.0 result carries no EID: the eIM finds the device from its content).
    auto answer = sgp::decode_eim_to_ipa(*out, version_of(e));
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_TRUE(std::holds_alternative<sgp::ProvideEimPackageResultResponse>(*answer));
  }

  // A package holding one listProfileInfo, queued by the eIM itself with `reason`.
  void expect_lone_list_profiles(const sgp::EuiccPackageRequest& pkg, const std::string& reason) {
    const auto& list = std::get<sgp::PsmoList>(pkg.euicc_package_signed.euicc_package);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<sgp::PsmoListProfileInfo>(list[0]));
    auto ops = store_->find_operations_by_transaction(to_hex(*pkg.euicc_package_signed.eim_transaction_id));
    ASSERT_TRUE(ops.ok());
    ASSERT_EQ(ops->size(), 1u);
    EXPECT_EQ((*ops)[0].reason, reason);
  }

  // The IpaEuiccDataRequest a poll answered with (an empty one, and a test failure, when it answered otherwise).
  sgp::IpaEuiccDataRequest take_data_request(const sgp::GetEimPackageResponse& resp) {
    const auto* data = std::get_if<sgp::IpaEuiccDataRequest>(&resp);
    EXPECT_NE(data, nullptr) << "expected an IpaEuiccDataRequest";
    return data != nullptr ? *data : sgp::IpaEuiccDataRequest{};
  }

  // Verifies the eIM signature as an eUICC would and returns the package.
  sgp::EuiccPackageRequest take_package(const TestEuicc& e, const sgp::GetEimPackageResponse& resp) {
    const auto* pkg = std::get_if<sgp::EuiccPackageRequest>(&resp);
    EXPECT_NE(pkg, nullptr) << "expected an EuiccPackageRequest";
    if (pkg == nullptr) return {};
    auto signed_der = sgp::encode_euicc_package_signed(pkg->euicc_package_signed, version_of(e));
    EXPECT_TRUE(signed_der.ok());
    Bytes data = *signed_der;
    data.insert(data.end(), {0x84, 0x01, static_cast<std::uint8_t>(e.association_token)});
    EXPECT_TRUE(crypto::verify_raw(pki_->eim.certificate.public_key(), data, pkg->eim_signature).ok())
        << "eIM signature must cover DER(euiccPackageSigned) || 84 01 07";
    EXPECT_EQ(pkg->euicc_package_signed.eid, bytes_of(e.eid));
    EXPECT_EQ(pkg->euicc_package_signed.eim_id, "esimo-test-eim");
    return *pkg;
  }

  sgp::EuiccPackageResult signed_result(TestEuicc& e, const sgp::EuiccPackageRequest& pkg,
                                        std::vector<sgp::EuiccResultData> results, bool corrupt = false) {
    sgp::EuiccPackageResultSigned r;
    r.data.eim_id = pkg.euicc_package_signed.eim_id;
    r.data.counter_value = pkg.euicc_package_signed.counter_value;
    r.data.eim_transaction_id = pkg.euicc_package_signed.eim_transaction_id;
    r.data.seq_number = ++e.seq;
    r.data.euicc_result = std::move(results);
    auto der = sgp::encode_result_data_signed(r.data, version_of(e));
    EXPECT_TRUE(der.ok());
    Bytes msg = *der;
    msg.insert(msg.end(), {0x5F, 0x37, 0x40});
    msg.insert(msg.end(), pkg.eim_signature.begin(), pkg.eim_signature.end());
    auto sig = crypto::sign_raw(e.key.key, msg);
    EXPECT_TRUE(sig.ok());
    r.euicc_sign_epr = *sig;
    if (corrupt) r.euicc_sign_epr[5] ^= 0x01;
    return r;
  }

  static sgp::EuiccResultData result(sgp::EuiccResultKind k, std::int64_t code = 0) {
    sgp::EuiccResultData d;
    d.kind = k;
    d.code = code;
    return d;
  }

  domain::Operation submit(const TestEuicc& e, const OperationRequest& r, SubmitOptions o = {}) {
    if (o.reason.empty()) o.reason = "user:test";
    auto op = service_->submit(tenant_, e.eid, r, o);
    EXPECT_TRUE(op.ok()) << op.error().message;
    return op.ok() ? *op : domain::Operation{};
  }

  domain::Operation get(const domain::Operation& op) { return *store_->get_operation(tenant_, op.id); }
  domain::Profile profile(int n) { return *store_->get_profile(tenant_, iccid(n)); }

  test::TempDir dir_{"esimo-eim-test"};
  ManualClock clock_{TimePoint(std::chrono::seconds(1'800'000'000))};
  std::unique_ptr<crypto::TestPki> pki_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<metrics::Registry> metrics_;
  std::unique_ptr<EimService> service_;
  domain::TenantId tenant_ = 0;
};

bool is_no_package(const sgp::GetEimPackageResponse& r) {
  const auto* e = std::get_if<sgp::EimPackageError>(&r);
  return e != nullptr && e->code == 1;
}

// ---------------------------------------------------------------------------------------------------------------------

TEST_F(EimServiceTest, UnknownEidGetsEidNotFound) {
  sgp::GetEimPackageRequest req;
  req.eid = bytes_of(eid(99));
  ASSERT_TRUE(service_->load().ok());
  auto body = sgp::encode(sgp::EsipaMessageFromIpaToEim(req), Version::v1_2);
  auto out = service_->handle_esipa(*body, std::nullopt);
  ASSERT_TRUE(out.ok());
  auto msg = sgp::decode_eim_to_ipa(*out, Version::v1_2);
  ASSERT_TRUE(msg.ok());
  auto* err = std::get_if<sgp::EimPackageError>(&std::get<sgp::GetEimPackageResponse>(*msg));
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, 2);
}

TEST_F(EimServiceTest, ADeviceWrittenByAnotherProcessIsServedOnItsFirstPoll) {
  ASSERT_TRUE(service_->load().ok());
  TestEuicc e = add_device(5, domain::Sgp32Version::v1_2, /*load=*/false, /*tell_eim=*/false);
  auto resp = poll(e);
  EXPECT_NE(std::get_if<sgp::IpaEuiccDataRequest>(&resp), nullptr) << "expected first contact, not eidNotFound";
}

// A device whose stored eIM state cannot be read is not served from defaults (its first contact would then write
// emulated=false over the stored true): it is not found until the state can be read, then served as stored.
TEST_F(EimServiceTest, ADeviceWhoseEimStateCannotBeReadIsNotServedHalfLoaded) {
  ASSERT_TRUE(service_->load().ok());
  TestEuicc e = add_device(5, domain::Sgp32Version::v1_2, /*load=*/false, /*tell_eim=*/false);
  store::EuiccEimState st;
  st.tenant_id = tenant_;
  st.eid = e.eid;
  st.eim_id = "esimo-test-eim";
  st.emulated = true;
  ASSERT_TRUE(store_->put_euicc_state(st).ok());
  auto exec = [&](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "esimo.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  };
  sgp::GetEimPackageRequest req;
  req.eid = bytes_of(e.eid);
  const Bytes body = *sgp::encode(sgp::EsipaMessageFromIpaToEim(req), Version::v1_2);
  auto answer = [&]() -> sgp::GetEimPackageResponse {
    auto out = service_->handle_esipa(body, std::nullopt);
    EXPECT_TRUE(out.ok());
    return std::get<sgp::GetEimPackageResponse>(*sgp::decode_eim_to_ipa(*out, Version::v1_2));
  };
  exec("ALTER TABLE euicc_eim_state RENAME TO euicc_eim_state_away");
  auto r1 = answer();
  EXPECT_EQ(std::get_if<sgp::IpaEuiccDataRequest>(&r1), nullptr) << "served from defaults";
  const auto* err1 = std::get_if<sgp::EimPackageError>(&r1);
  ASSERT_NE(err1, nullptr);
  EXPECT_EQ(err1->code, 2);  // eidNotFound
  exec("ALTER TABLE euicc_eim_state_away RENAME TO euicc_eim_state");
  clock_.advance(std::chrono::seconds(31));  // past the unknown-EID memory
  auto r2 = answer();
  const auto* err2 = std::get_if<sgp::EimPackageError>(&r2);
  ASSERT_NE(err2, nullptr) << "an emulated device with nothing queued gets no package and no data request";
  EXPECT_EQ(err2->code, 1);  // noEimPackageAvailable
  auto stored = store_->get_euicc_state(tenant_, e.eid);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->emulated);
}

TEST_F(EimServiceTest, UnknownEidsAreRememberedThenLookedUpAgain) {
  ASSERT_TRUE(service_->load().ok());
  sgp::GetEimPackageRequest req;
  req.eid = bytes_of(eid(7));
  auto body = sgp::encode(sgp::EsipaMessageFromIpaToEim(req), Version::v1_2);
  auto code_of = [&] {
    auto out = service_->handle_esipa(*body, std::nullopt);
    EXPECT_TRUE(out.ok());
    auto msg = sgp::decode_eim_to_ipa(*out, Version::v1_2);
    auto* err = std::get_if<sgp::EimPackageError>(&std::get<sgp::GetEimPackageResponse>(*msg));
    return err ? err->code : 0;
  };
  EXPECT_EQ(code_of(), 2);  // eidNotFound, and remembered
  (void)add_device(7, domain::Sgp32Version::v1_2, /*load=*/false, /*tell_eim=*/false);
  EXPECT_EQ(code_of(), 2);  // still within the negative cache: no store read
  clock_.advance(std::chrono::seconds(31));
  EXPECT_EQ(code_of(), 0);  // looked up again and served (first-contact data request)
}

TEST_F(EimServiceTest, UndecodableBodyIsParseErrorAndChangesNothing) {
  TestEuicc e = add_device(1);
  auto op = submit(e, OpDisable{iccid(11)});
  for (const Bytes& body : {Bytes{0xBF, 0x4F, 0x05, 0x5A}, Bytes{0x00}, Bytes{}}) {
    auto out = service_->handle_esipa(body, std::nullopt);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().code, Errc::parse_error);
  }
  EXPECT_EQ(get(op).state, OperationState::queued);
  EXPECT_EQ(store_->get_euicc_state(tenant_, e.eid).error().code, Errc::not_found);
}

TEST_F(EimServiceTest, FirstContactLearnsTokenAndCertificatesThenSendsQueuedPsmosInOrder) {
  TestEuicc e = add_device(1);
  auto op1 = submit(e, OpEnable{iccid(12), true});
  auto op2 = submit(e, OpSetFallback{iccid(13)});
  auto op3 = submit(e, OpListProfiles{});
  auto op4 = submit(e, OpDelete{iccid(13)});  // over max_psmos_per_package (3): next package
  learn(e);
  auto st = store_->get_euicc_state(tenant_, e.eid);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->association_token, std::optional<std::int64_t>(7));
  EXPECT_EQ(st->euicc_certificate_der, e.key.certificate.der());

  auto pkg = take_package(e, poll(e));
  const auto& list = std::get<sgp::PsmoList>(pkg.euicc_package_signed.euicc_package);
  ASSERT_EQ(list.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<sgp::PsmoEnable>(list[0]));
  EXPECT_EQ(std::get<sgp::PsmoEnable>(list[0]).iccid, wire(iccid(12)));
  EXPECT_TRUE(std::get<sgp::PsmoEnable>(list[0]).rollback_flag);
  EXPECT_TRUE(std::holds_alternative<sgp::PsmoSetFallbackAttribute>(list[1]));
  EXPECT_TRUE(std::holds_alternative<sgp::PsmoListProfileInfo>(list[2]));
  EXPECT_EQ(pkg.euicc_package_signed.counter_value, 1u);
  EXPECT_EQ(get(op1).state, OperationState::delivered);
  EXPECT_EQ(get(op1).counter_value, std::optional<std::uint64_t>(1));
  EXPECT_EQ(get(op1).eim_transaction_id, to_hex(*pkg.euicc_package_signed.eim_transaction_id));
  EXPECT_EQ(get(op4).state, OperationState::queued);

  // The eUICC enabled 12 (13 becomes the fallback), and lists 11 disabled, 12 enabled, 13 disabled+fallback.
  auto list_result = result(sgp::EuiccResultKind::list_profile_info);
  for (int k : {11, 12, 13}) {
    sgp::ProfileInfo pi;
    pi.iccid = wire(iccid(k));
    pi.profile_state = k == 12 ? 1 : 0;
    pi.fallback_attribute = k == 13;
    list_result.profiles.push_back(pi);
  }
  auto out = send(e, signed_result(e, pkg,
                                   {result(sgp::EuiccResultKind::enable), result(sgp::EuiccResultKind::set_fallback_attribute),
                                    list_result}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(get(op1).state, OperationState::succeeded);
  EXPECT_EQ(get(op1).outcome, "ok");
  EXPECT_THAT(get(op1).result_json, ::testing::HasSubstr("\"verified\":true"));
  EXPECT_EQ(get(op2).state, OperationState::succeeded);
  EXPECT_EQ(get(op3).state, OperationState::succeeded);
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  EXPECT_TRUE(profile(13).fallback);
  EXPECT_EQ(store_->get_device(tenant_, e.eid)->device.active_iccid, std::optional<domain::Iccid>(iccid(12)));

  // The fourth operation goes out next, with the next counter; the eUICC refuses (13 is the fallback... not enabled:
  // say it is not in disabled state) -> failed with the named outcome, profile kept.
  auto pkg2 = take_package(e, poll(e));
  EXPECT_EQ(pkg2.euicc_package_signed.counter_value, 2u);
  ASSERT_TRUE(send(e, signed_result(e, pkg2, {result(sgp::EuiccResultKind::delete_profile, 2)})).ok());
  EXPECT_EQ(get(op4).state, OperationState::failed);
  EXPECT_EQ(get(op4).outcome, "profile_not_in_disabled_state");
  EXPECT_TRUE(store_->get_profile(tenant_, iccid(13)).ok());
  EXPECT_TRUE(is_no_package(poll(e)));
}

TEST_F(EimServiceTest, EmptyPollAnswersNoPackage) {
  TestEuicc e = add_device(1);
  learn(e);
  EXPECT_TRUE(is_no_package(poll(e)));
  EXPECT_TRUE(is_no_package(poll(e)));
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_polls_total{result=\"empty\"} 2"));
}

TEST_F(EimServiceTest, CounterIsStrictlyIncreasingAndSurvivesRestart) {
  TestEuicc e = add_device(1);
  learn(e);
  std::uint64_t last = 0;
  for (int i = 0; i < 2; ++i) {
    submit(e, OpGetRat{});
    auto pkg = take_package(e, poll(e));
    EXPECT_GT(pkg.euicc_package_signed.counter_value, last);
    last = pkg.euicc_package_signed.counter_value;
    ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::get_rat)})).ok());
  }
  reopen();
  // Learned keys survive too: no new eUICC data request.
  auto op = submit(e, OpDisable{iccid(11)});
  auto pkg = take_package(e, poll(e));
  EXPECT_EQ(pkg.euicc_package_signed.counter_value, last + 1);
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::disable)})).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  EXPECT_FALSE(store_->get_device(tenant_, e.eid)->device.active_iccid.has_value());
}

TEST_F(EimServiceTest, DuplicateResultIsIdempotent) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpEnable{iccid(12)});
  auto pkg = take_package(e, poll(e));
  auto res = signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)});
  ASSERT_TRUE(send(e, res).ok());
  auto first = get(op);
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(send(e, res).ok());
  auto second = get(op);
  EXPECT_EQ(second.state, OperationState::succeeded);
  EXPECT_EQ(second.updated_at, first.updated_at);
  EXPECT_EQ(second.result_json, first.result_json);
}

TEST_F(EimServiceTest, BadEuiccSignatureFailsAndChangesNoState) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpEnable{iccid(12)});
  auto pkg = take_package(e, poll(e));
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)}, /*corrupt=*/true)).ok());
  EXPECT_EQ(get(op).state, OperationState::failed);
  EXPECT_EQ(get(op).outcome, "euicc_signature_invalid");
  EXPECT_EQ(profile(12).state, domain::ProfileState::disabled);
  EXPECT_EQ(profile(11).state, domain::ProfileState::enabled);
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_verification_failures_total 1"));
}

TEST_F(EimServiceTest, ASignatureByAnotherEuiccKeyIsRejected) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpEnable{iccid(12)});
  auto pkg = take_package(e, poll(e));
  TestEuicc impostor = e;
  impostor.key = *crypto::make_test_euicc(*pki_, e.eid.str(), clock_.now());
  ASSERT_TRUE(send(e, signed_result(impostor, pkg, {result(sgp::EuiccResultKind::enable)})).ok());
  EXPECT_EQ(get(op).outcome, "euicc_signature_invalid");
}

TEST_F(EimServiceTest, SignedPackageErrorsAreNamed) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpDisable{iccid(11)});
  auto pkg = take_package(e, poll(e));
  sgp::EuiccPackageErrorSigned err;
  err.data.eim_id = pkg.euicc_package_signed.eim_id;
  err.data.counter_value = pkg.euicc_package_signed.counter_value;
  err.data.eim_transaction_id = pkg.euicc_package_signed.eim_transaction_id;
  err.data.euicc_package_error_code = 4;
  Bytes msg = *sgp::encode_error_data_signed(err.data, Version::v1_2);
  msg.insert(msg.end(), {0x5F, 0x37, 0x40});
  msg.insert(msg.end(), pkg.eim_signature.begin(), pkg.eim_signature.end());
  err.euicc_sign_epe = *crypto::sign_raw(e.key.key, msg);
  ASSERT_TRUE(send(e, sgp::EuiccPackageResult(err)).ok());
  EXPECT_EQ(get(op).state, OperationState::failed);
  EXPECT_EQ(get(op).outcome, "replay_error");
}

TEST_F(EimServiceTest, UnsignedErrorFailsTheOperations) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpDisable{iccid(11)});
  auto pkg = take_package(e, poll(e));
  sgp::EuiccPackageErrorUnsigned err;
  err.eim_id = pkg.euicc_package_signed.eim_id;
  err.eim_transaction_id = pkg.euicc_package_signed.eim_transaction_id;
  ASSERT_TRUE(send(e, sgp::EuiccPackageResult(err)).ok());
  EXPECT_EQ(get(op).outcome, "euicc_package_error_unsigned");
  EXPECT_EQ(profile(11).state, domain::ProfileState::enabled);
}

TEST_F(EimServiceTest, ExpiredOperationIsNotSentAndALateResultIsRecorded) {
  TestEuicc e = add_device(1);
  learn(e);
  SubmitOptions o;
  o.expires_at = clock_.now() + std::chrono::seconds(60);
  auto expiring = submit(e, OpDisable{iccid(11)}, o);
  clock_.advance(std::chrono::seconds(61));
  EXPECT_TRUE(is_no_package(poll(e)));
  EXPECT_EQ(get(expiring).state, OperationState::expired);
  EXPECT_EQ(get(expiring).outcome, "expired");

  // A delivered operation that is cancelled... cannot be: cancel refuses; the late result lands on an operation that
  // expired after delivery (forced here through the store, as a delivered-timeout sweep would).
  auto op = submit(e, OpEnable{iccid(12)});
  auto pkg = take_package(e, poll(e));
  auto d = get(op);
  d.state = OperationState::expired;
  d.outcome = "expired";
  ASSERT_TRUE(store_->update_operation(d, OperationState::delivered).ok());
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)})).ok());
  auto late = get(op);
  EXPECT_EQ(late.state, OperationState::expired);
  EXPECT_THAT(late.result_json, ::testing::HasSubstr("\"late\":true"));
  EXPECT_THAT(late.result_json, ::testing::HasSubstr("\"outcome\":\"ok\""));
  // The eUICC did enable it: the profile state follows the result.
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
}

TEST_F(EimServiceTest, CancelOnlyWhileQueued) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpDisable{iccid(11)});
  auto c = service_->cancel(tenant_, op.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, OperationState::cancelled);
  EXPECT_EQ(service_->cancel(tenant_, op.id).error().code, Errc::conflict);
  EXPECT_TRUE(is_no_package(poll(e)));
  auto op2 = submit(e, OpDisable{iccid(11)});
  (void)take_package(e, poll(e));
  EXPECT_EQ(service_->cancel(tenant_, op2.id).error().code, Errc::conflict);
  EXPECT_EQ(service_->cancel(tenant_, "op_nope").error().code, Errc::not_found);
}

TEST_F(EimServiceTest, SubmitValidatesDeviceProfileAndIdempotencyKey) {
  TestEuicc e = add_device(1);
  EXPECT_EQ(service_->submit(tenant_, eid(5), OpGetRat{}, {}).error().code, Errc::not_found);
  EXPECT_EQ(service_->submit(tenant_ + 1, e.eid, OpGetRat{}, {}).error().code, Errc::not_found);
  EXPECT_EQ(service_->submit(tenant_, e.eid, OpEnable{iccid(99)}, {}).error().code, Errc::failed_precondition);
  SubmitOptions o;
  o.idempotency_key = "k1";
  o.reason = "user:key_1";
  auto a = submit(e, OpGetRat{}, o);
  auto b = submit(e, OpGetRat{}, o);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.reason, "user:key_1");
  EXPECT_EQ(a.type, "get_rat");
}

TEST_F(EimServiceTest, ListProfileInfoReconcilesTheStoredList) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpListProfiles{});
  auto pkg = take_package(e, poll(e));
  // The eUICC holds 11 (disabled), 13 (enabled) and an unknown 77; 12 is gone.
  auto r = result(sgp::EuiccResultKind::list_profile_info);
  for (int k : {11, 13, 77}) {
    sgp::ProfileInfo pi;
    pi.iccid = wire(iccid(k));
    pi.profile_state = k == 13 ? 1 : 0;
    r.profiles.push_back(pi);
  }
  ASSERT_TRUE(send(e, signed_result(e, pkg, {r})).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_EQ(store_->get_profile(tenant_, iccid(12)).error().code, Errc::not_found);
  EXPECT_EQ(profile(13).state, domain::ProfileState::enabled);
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  EXPECT_EQ(store_->get_device(tenant_, e.eid)->device.active_iccid, std::optional<domain::Iccid>(iccid(13)));
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr(iccid(77).str()));
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr("\"removed\":[\"" + iccid(12).str() + "\"]"));
}

TEST_F(EimServiceTest, NotificationsUpdateProfilesAndAreAcknowledged) {
  TestEuicc e = add_device(1);
  learn(e);
  auto tlv = [](Bytes tag, const Bytes& content) {
    Bytes out = std::move(tag);
    out.push_back(static_cast<std::uint8_t>(content.size()));
    out.insert(out.end(), content.begin(), content.end());
    return out;
  };
  // An OtherSignedNotification as the eUICC sends it: SEQUENCE { NotificationMetadata BF2F, euiccNotificationSignature
  // 5F37 } (SGP.22 §5.7.16); profileManagementOperation is a named-bit BIT STRING (81).
  auto note = [&](std::int64_t seq, Bytes event_bits, int k, const crypto::PrivateKey* signer = nullptr) {
    Bytes md = tlv({0x80}, {static_cast<std::uint8_t>(seq)});
    auto ev = tlv({0x81}, event_bits);
    md.insert(md.end(), ev.begin(), ev.end());
    const std::string addr = "smdp.example";
    auto ad = tlv({0x0C}, Bytes(addr.begin(), addr.end()));
    md.insert(md.end(), ad.begin(), ad.end());
    auto ic = tlv({0x5A}, wire(iccid(k)));
    md.insert(md.end(), ic.begin(), ic.end());
    Bytes body = tlv({0xBF, 0x2F}, md);
    auto sig = tlv({0x5F, 0x37}, *crypto::sign_raw(signer ? *signer : e.key.key, body));  // over DER(tbs...)
    body.insert(body.end(), sig.begin(), sig.end());
    Bytes der = tlv({0x30}, body);
    // HandleNotificationEsipa BF3D { pendingNotification [0] { SGP32-PendingNotification } }
    return tlv({0xBF, 0x3D}, tlv({0xA0}, der));
  };
  // HandleNotificationEsipa: enable 12 (bit 1).
  auto body = note(5, {0x06, 0x40}, 12);
  {
    auto decoded = sgp::decode_ipa_to_eim(body, Version::v1_2);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  }
  auto out = service_->handle_esipa(body, std::nullopt);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->empty());  // 204
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  EXPECT_EQ(store_->get_device(tenant_, e.eid)->device.active_iccid, std::optional<domain::Iccid>(iccid(12)));
  // Duplicate: same state.
  ASSERT_TRUE(service_->handle_esipa(body, std::nullopt).ok());
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
  // Delete of 13 (bit 3).
  ASSERT_TRUE(service_->handle_esipa(note(6, {0x04, 0x10}, 13), std::nullopt).ok());
  EXPECT_EQ(store_->get_profile(tenant_, iccid(13)).error().code, Errc::not_found);
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_notifications_total 3"));

  // Notifications reach the eIM through the IPA, unsigned by it, but the eUICC signed them: one signed by another
  // key (here a second eUICC's, valid under the same EUM) changes nothing; it is counted and still acknowledged.
  auto stranger = crypto::make_test_euicc(*pki_, eid(9).str(), clock_.now());
  ASSERT_TRUE(stranger.ok());
  ASSERT_TRUE(service_->handle_esipa(note(7, {0x04, 0x10}, 11, &stranger->key), std::nullopt).ok());  // delete 11
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  ASSERT_TRUE(service_->handle_esipa(note(8, {0x06, 0x40}, 11, &stranger->key), std::nullopt).ok());  // enable 11
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  EXPECT_EQ(store_->get_device(tenant_, e.eid)->device.active_iccid, std::optional<domain::Iccid>(iccid(12)));
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_verification_failures_total 2"));
  // What a refused notification would have said is asked of the eUICC instead (once), in a signed listProfileInfo.
  expect_lone_list_profiles(take_package(e, poll(e)), "eim:notification_unverified");
  // Signed by the eUICC, it is applied.
  ASSERT_TRUE(service_->handle_esipa(note(9, {0x06, 0x40}, 11), std::nullopt).ok());
  EXPECT_EQ(profile(11).state, domain::ProfileState::enabled);
  // A genuine notification replayed (older than the last applied) is not applied again, also after a restart.
  ASSERT_TRUE(service_->handle_esipa(note(5, {0x06, 0x40}, 12), std::nullopt).ok());
  EXPECT_EQ(profile(11).state, domain::ProfileState::enabled);
  EXPECT_EQ(profile(12).state, domain::ProfileState::disabled);
  EXPECT_EQ(store_->get_euicc_state(tenant_, e.eid)->notification_seq, std::optional<std::int64_t>(9));
  reopen();
  ASSERT_TRUE(service_->handle_esipa(note(5, {0x06, 0x40}, 12), std::nullopt).ok());
  EXPECT_EQ(profile(11).state, domain::ProfileState::enabled);
}

// Before its key is learned (first contact not answered yet), a notification is checked against the certificates
// it carries: chained to the CI and naming the device's EID.
TEST_F(EimServiceTest, ANotificationBeforeFirstContactIsCheckedAgainstItsCertificates) {
  TestEuicc e = add_device(1);
  TestEuicc other = add_device(2);
  auto tlv = [](Bytes tag, const Bytes& content) {
    Bytes out = std::move(tag);
    out.push_back(static_cast<std::uint8_t>(content.size()));
    out.insert(out.end(), content.begin(), content.end());
    return out;
  };
  // A notification on profile 12 of device 1 (default: enable), signed with a key, carrying its certificate and the
  // EUM's.
  auto note = [&](const crypto::KeyAndCertificate& signer_and_cert, Bytes event_bits = {0x06, 0x40},
                  std::uint8_t seq = 1) {
    Bytes md = tlv({0x80}, {seq});
    auto ev = tlv({0x81}, event_bits);
    md.insert(md.end(), ev.begin(), ev.end());
    auto ad = tlv({0x0C}, Bytes{'e', 'i', 'm'});
    md.insert(md.end(), ad.begin(), ad.end());
    auto ic = tlv({0x5A}, wire(iccid(12)));
    md.insert(md.end(), ic.begin(), ic.end());
    Bytes body = tlv({0xBF, 0x2F}, md);
    auto sig = tlv({0x5F, 0x37}, *crypto::sign_raw(signer_and_cert.key, body));
    body.insert(body.end(), sig.begin(), sig.end());
    const Bytes& c1 = signer_and_cert.certificate.der();
    const Bytes& c2 = pki_->eum.certificate.der();
    body.insert(body.end(), c1.begin(), c1.end());
    body.insert(body.end(), c2.begin(), c2.end());
    auto long_tlv = [](Bytes tag, const Bytes& content) {
      Bytes out = std::move(tag);
      out.insert(out.end(), {0x82, static_cast<std::uint8_t>(content.size() >> 8),
                             static_cast<std::uint8_t>(content.size())});
      out.insert(out.end(), content.begin(), content.end());
      return out;
    };
    return long_tlv({0xBF, 0x3D}, long_tlv({0xA0}, long_tlv({0x30}, body)));
  };
  // Signed by device 2 with its own (valid) certificate: not device 1's.
  ASSERT_TRUE(service_->handle_esipa(note(other.key), std::nullopt).ok());
  EXPECT_EQ(profile(12).state, domain::ProfileState::disabled);
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_verification_failures_total 1"));
  ASSERT_TRUE(service_->handle_esipa(note(e.key), std::nullopt).ok());
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
  // Once the key is learned, a notification signed under another certificate of the same eUICC (one for another
  // CI, say) is checked against the certificates it carries.
  learn(e);
  auto second = crypto::make_test_euicc(*pki_, e.eid.str(), clock_.now());
  ASSERT_TRUE(second.ok());
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(service_->handle_esipa(note(*second, {0x05, 0x20}, 2), std::nullopt).ok());  // disable 12
  EXPECT_EQ(profile(12).state, domain::ProfileState::disabled);
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_verification_failures_total 1"));
}

TEST_F(EimServiceTest, AResultWithoutNotificationsGetsAnEmptyResponse) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpDisable{iccid(11)});
  auto pkg = take_package(e, poll(e));
  sgp::EprAndNotifications epr;
  epr.euicc_package_result = signed_result(e, pkg, {result(sgp::EuiccResultKind::disable)});
  auto out = send(e, epr);
  ASSERT_TRUE(out.ok()) << out.error().message;
  auto resp = sgp::decode_eim_to_ipa(*out, Version::v1_2);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(std::get<sgp::ProvideEimPackageResultResponse>(*resp).kind,
            sgp::ProvideEimPackageResultResponse::Kind::empty);
  EXPECT_EQ(get(op).state, OperationState::succeeded);
}
TEST_F(EimServiceTest, DeliveredWithoutResultTimesOutAndALateResultIsStillRecorded) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpEnable{iccid(12)});
  auto pkg = take_package(e, poll(e));
  clock_.advance(std::chrono::seconds(1800));
  EXPECT_TRUE(is_no_package(poll(e)));
  EXPECT_EQ(get(op).state, OperationState::delivered);
  clock_.advance(std::chrono::seconds(1800));  // EimOptions::delivered_timeout (1 h)
  EXPECT_TRUE(is_no_package(poll(e)));
  EXPECT_EQ(get(op).state, OperationState::expired);
  EXPECT_EQ(get(op).outcome, "delivered_timeout");
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)})).ok());
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr("\"late\":true"));
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
}

TEST_F(EimServiceTest, AnEidHeldByTwoTenantsIsNotServed) {
  TestEuicc e = add_device(1);
  auto other = store_->create_tenant("globex");
  ASSERT_TRUE(other.ok());
  store::DeviceRecord rec;
  rec.device.tenant_id = other->id;
  rec.device.eid = e.eid;
  rec.device.name = "clash";
  ASSERT_TRUE(store_->create_device(rec).ok());
  service_->device_changed(other->id, e.eid);
  const auto r = poll(e);
  const auto* err = std::get_if<sgp::EimPackageError>(&r);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->code, 2);  // eidNotFound
  ASSERT_TRUE(service_->load().ok());
  const auto r2 = poll(e);
  ASSERT_NE(std::get_if<sgp::EimPackageError>(&r2), nullptr);
  EXPECT_EQ(std::get<sgp::EimPackageError>(r2).code, 2);
  // Resolved: the second tenant's device is deleted.
  ASSERT_TRUE(store_->delete_device(other->id, e.eid).ok());
  service_->device_changed(other->id, e.eid);
  const auto r3 = poll(e);
  EXPECT_NE(std::get_if<sgp::IpaEuiccDataRequest>(&r3), nullptr);
}

TEST_F(EimServiceTest, QueuedEuiccDataOperationAsksForItsTags) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpEuiccData{Bytes{0x84}});
  const auto data = take_data_request(poll(e));
  EXPECT_EQ(data.tag_list, (Bytes{0x84}));
  ASSERT_TRUE(data.eim_transaction_id.has_value());
  sgp::IpaEuiccData d;
  d.association_token = 7;
  d.eim_transaction_id = data.eim_transaction_id;
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr("\"association_token\":7"));
}

// The IPA answers an eUICC data request unsigned; a PSMO's outcome is proved only by the eUICC's signed result. An
// IpaEuiccData (or IpaEuiccDataError) naming a PSMO package's eimTransactionId must not finish its operations — with
// the EID (matched in memory), without it (matched through the package record) and after a restart (store only).
TEST_F(EimServiceTest, AnUnsignedEuiccDataAnswerCannotFinishAPsmo) {
  TestEuicc e = add_device(1);
  learn(e);
  auto send_unsigned = [&](const Bytes& tid, bool with_eid, bool as_error) {
    sgp::ProvideEimPackageResult m;
    if (with_eid) m.eid = bytes_of(e.eid);
    if (as_error) {
      sgp::IpaEuiccDataError err;
      err.eim_transaction_id = tid;
      err.code = 127;
      m.result = sgp::IpaEuiccDataResponse(err);
    } else {
      sgp::IpaEuiccData d;
      d.eim_transaction_id = tid;
      d.association_token = e.association_token;
      m.result = sgp::IpaEuiccDataResponse(d);
    }
    auto body = sgp::encode(sgp::EsipaMessageFromIpaToEim(m), Version::v1_2);
    ASSERT_TRUE(body.ok());
    EXPECT_TRUE(service_->handle_esipa(*body, std::nullopt).ok());
  };
  auto op = submit(e, OpEnable{iccid(12)});
  auto pkg = take_package(e, poll(e));
  const Bytes tid = *pkg.euicc_package_signed.eim_transaction_id;
  for (bool with_eid : {true, false}) {
    for (bool as_error : {false, true}) {
      send_unsigned(tid, with_eid, as_error);
      EXPECT_EQ(get(op).state, OperationState::delivered) << "with_eid " << with_eid << " as_error " << as_error;
    }
  }
  // The package is still in flight: the eUICC's signed result is matched (in memory) and decides.
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)})).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);

  // After a restart nothing is in memory: the store's package record (a PSMO) must refuse the unsigned answers too.
  auto op2 = submit(e, OpDisable{iccid(12)});
  auto pkg2 = take_package(e, poll(e));
  const Bytes tid2 = *pkg2.euicc_package_signed.eim_transaction_id;
  reopen();
  for (bool with_eid : {true, false}) {
    for (bool as_error : {false, true}) {
      send_unsigned(tid2, with_eid, as_error);
      EXPECT_EQ(get(op2).state, OperationState::delivered) << "after restart, with_eid " << with_eid;
    }
  }
  ASSERT_TRUE(send(e, signed_result(e, pkg2, {result(sgp::EuiccResultKind::disable)})).ok());
  EXPECT_EQ(get(op2).state, OperationState::succeeded);
}

// The association token reaches the eIM unsigned (IpaEuiccData). Believed from any answer, anyone reaching ESipa who
// knows an EID could overwrite it, and the eUICC would refuse every package signed after. It is learned only from the
// answer to a request the eIM sent that device: v1.2 by the request's eimTransactionId, v1.0 while a request is open.
TEST_F(EimServiceTest, AnAssociationTokenIsLearnedOnlyFromTheAnswerToAnOpenRequest) {
  auto forge = [&](const TestEuicc& e, std::optional<Bytes> tid, bool with_certificates) {
    sgp::IpaEuiccData d;
    d.association_token = 99;
    d.eim_transaction_id = std::move(tid);
    if (with_certificates) {  // public, and enough to name a v1.0 device (serialNumber = EID)
      d.eum_certificate = pki_->eum.certificate.der();
      d.euicc_certificate = e.key.certificate.der();
    }
    ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  };
  auto stored_token = [&](const TestEuicc& e) { return store_->get_euicc_state(tenant_, e.eid)->association_token; };

  // v1.2, associated: no transaction id, an unknown one, a PSMO package's.
  TestEuicc e = add_device(1);
  learn(e);
  forge(e, std::nullopt, true);
  forge(e, Bytes{1, 2, 3, 4, 5, 6, 7, 8}, true);
  auto op = submit(e, OpEnable{iccid(12)});
  const auto pkg = take_package(e, poll(e));  // signed with token 7 (take_package checks)
  forge(e, *pkg.euicc_package_signed.eim_transaction_id, false);
  EXPECT_EQ(stored_token(e), std::optional<std::int64_t>(7));
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)})).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  auto op2 = submit(e, OpDisable{iccid(12)});
  take_package(e, poll(e));  // still token 7
  EXPECT_EQ(get(op2).state, OperationState::delivered);
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_unmatched_euicc_data_total 3"));

  // v1.2, first contact open: an answer without its transaction id teaches nothing; the real answer does.
  TestEuicc f = add_device(3);
  const auto first = take_data_request(poll(f));
  ASSERT_TRUE(first.eim_transaction_id.has_value());
  forge(f, std::nullopt, true);
  EXPECT_EQ(store_->get_euicc_state(tenant_, f.eid).error().code, Errc::not_found);
  learn(f);  // asks again (nothing learned), and is answered
  EXPECT_EQ(stored_token(f), std::optional<std::int64_t>(7));

  // v1.0 (no EID, no transaction id on the wire): with no request open the certificate names the device, but the
  // token is not learned; the answer to a queued eUICC data request is.
  TestEuicc g = add_device(2, domain::Sgp32Version::v1_0);
  learn(g);
  forge(g, std::nullopt, true);
  EXPECT_EQ(stored_token(g), std::optional<std::int64_t>(7));
  auto op3 = submit(g, OpEnable{iccid(22)});
  take_package(g, poll(g));  // signed with token 7
  auto op4 = submit(g, OpEuiccData{Bytes{0x84}});
  (void)op3;
  const auto asked = take_data_request(poll(g));
  EXPECT_FALSE(asked.eim_transaction_id.has_value());
  g.association_token = 8;  // e.g. the eUICC was re-associated
  sgp::IpaEuiccData d;
  d.association_token = 8;
  d.eum_certificate = pki_->eum.certificate.der();
  d.euicc_certificate = g.key.certificate.der();
  ASSERT_TRUE(send(g, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(get(op4).state, OperationState::succeeded);
  EXPECT_EQ(stored_token(g), std::optional<std::int64_t>(8));
  EXPECT_THAT(metrics_->expose(), ::testing::HasSubstr("esimo_eim_unmatched_euicc_data_total 5"));
}

// A v1.0 IPA that polled twice at first contact answers once: the second request is superseded, not left open to
// take the answer of a later eUICC data operation. That operation's answer — the token and the eUICC certificate
// alone, as a v1.0 request adds A6 to the tags asked — finishes it, the certificate checked under the EUM learned.
TEST_F(EimServiceTest, AV10AnswerFindsItsRequestAfterARepeatedFirstContact) {
  TestEuicc g = add_device(2, domain::Sgp32Version::v1_0);
  take_data_request(poll(g));  // lost on the way back
  learn(g);                    // asked again, answered
  auto op = submit(g, OpEuiccData{Bytes{0x84}});
  const auto asked = take_data_request(poll(g));
  EXPECT_EQ(asked.tag_list, (Bytes{0x84, 0xA6}));
  sgp::IpaEuiccData d;
  d.association_token = g.association_token;
  d.euicc_certificate = g.key.certificate.der();
  ASSERT_TRUE(send(g, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_EQ(get(op).outcome, "ok");
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr("\"certificates\":\"verified\""));
}

// An answer to a request that is no longer open — replayed after it was answered, or past delivered_timeout —
// teaches nothing, even with the right eimTransactionId (which the store still knows after a restart).
TEST_F(EimServiceTest, AReplayedEuiccDataAnswerTeachesNothing) {
  TestEuicc e = add_device(1);
  const auto first = take_data_request(poll(e));
  ASSERT_TRUE(first.eim_transaction_id.has_value());
  sgp::IpaEuiccData d;
  d.association_token = e.association_token;
  d.eum_certificate = pki_->eum.certificate.der();
  d.euicc_certificate = e.key.certificate.der();
  d.eim_transaction_id = first.eim_transaction_id;
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  auto token = [&] { return store_->get_euicc_state(tenant_, e.eid)->association_token; };
  EXPECT_EQ(token(), std::optional<std::int64_t>(7));
  d.association_token = 99;
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());  // replayed, altered
  EXPECT_EQ(token(), std::optional<std::int64_t>(7));
  reopen();  // only the store knows the request now
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(token(), std::optional<std::int64_t>(7));
  // A queued request answered after delivered_timeout: recorded late on its expired operation, nothing learned.
  auto op = submit(e, OpEuiccData{Bytes{0x84}});
  const auto late = take_data_request(poll(e));
  clock_.advance(std::chrono::hours(2));
  EXPECT_TRUE(is_no_package(poll(e)));  // sweeps the delivered operation
  EXPECT_EQ(get(op).state, OperationState::expired);
  d.eim_transaction_id = late.eim_transaction_id;
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(token(), std::optional<std::int64_t>(7));
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr("\"late\":true"));
  auto pkg = take_package(e, poll(e, /*notify=*/true));  // still signed for token 7 (take_package checks)
  (void)pkg;
}

// A signed eUICC package result that names an eUICC data request's transaction id is not that request's answer.
TEST_F(EimServiceTest, AnEuiccDataRequestIsNotFinishedByAPackageResult) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpEuiccData{Bytes{0x84}});
  const auto data = take_data_request(poll(e));
  ASSERT_TRUE(data.eim_transaction_id.has_value());
  sgp::EuiccPackageErrorUnsigned forged;
  forged.eim_id = "esimo-test-eim";
  forged.eim_transaction_id = *data.eim_transaction_id;
  ASSERT_TRUE(send(e, sgp::EuiccPackageResult(forged)).ok());
  EXPECT_EQ(get(op).state, OperationState::delivered);
  // Its real answer still finds it.
  sgp::IpaEuiccData d;
  d.association_token = e.association_token;
  d.eim_transaction_id = data.eim_transaction_id;
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
}

// An eUICC certificate names its EID (subject serialNumber, SGP.22 §4.5.2). One without it — even issued under the
// EUM with the device's own key — is not learned: another end-entity certificate under the CI must not become a
// device's key.
TEST_F(EimServiceTest, AnEuiccCertificateWithoutItsEidIsNotLearned) {
  TestEuicc e = add_device(1);
  learn(e);
  const crypto::Validity v{clock_.now() - std::chrono::hours(1), clock_.now() + std::chrono::hours(24)};
  auto anonymous = crypto::issue_test_certificate(crypto::CertRole::euicc, {{"O", "esimo test"}, {"CN", "eUICC"}},
                                                  e.key.key.public_key(), &pki_->eum.certificate, pki_->eum.key, v);
  ASSERT_TRUE(anonymous.ok()) << anonymous.error().message;
  ASSERT_FALSE(anonymous->subject_serial_number().has_value());
  auto op = submit(e, OpEuiccData{Bytes{0xA5, 0xA6}});
  const auto data = take_data_request(poll(e));
  ASSERT_TRUE(data.eim_transaction_id.has_value());
  sgp::IpaEuiccData d;
  d.eim_transaction_id = data.eim_transaction_id;
  d.eum_certificate = pki_->eum.certificate.der();
  d.euicc_certificate = anonymous->der();
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(get(op).state, OperationState::failed);
  EXPECT_EQ(get(op).outcome, "euicc_certificate_invalid");
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr("names no EID"));
  // The same certificate with the EID is learned (the control).
  auto op2 = submit(e, OpEuiccData{Bytes{0xA5, 0xA6}});
  const auto data2 = take_data_request(poll(e));
  ASSERT_TRUE(data2.eim_transaction_id.has_value());
  d.eim_transaction_id = data2.eim_transaction_id;
  d.euicc_certificate = e.key.certificate.der();
  ASSERT_TRUE(send(e, sgp::IpaEuiccDataResponse(d)).ok());
  EXPECT_EQ(get(op2).state, OperationState::succeeded);
}

TEST_F(EimServiceTest, StateChangeOnPollQueuesAListProfileInfo) {
  TestEuicc e = add_device(1);
  learn(e);
  expect_lone_list_profiles(take_package(e, poll(e, /*notify=*/true, /*cause fallback*/ 1)),
                            "eim:state_change:fallback");
}

TEST_F(EimServiceTest, V10DeviceGetsV10EncodingAndNoFallback) {
  TestEuicc e = add_device(2, domain::Sgp32Version::v1_0);
  auto r = service_->submit(tenant_, e.eid, OpSetFallback{iccid(22)}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::failed_precondition);
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("v1.0"));
  auto op = submit(e, OpConfigureImmediateEnable{true, std::nullopt});
  learn(e);  // v1.0: the data response carries no EID and no transaction id; the certificate names the EID
  auto resp = poll(e);  // decoded as v1.0 by poll()
  auto pkg = take_package(e, resp);
  ASSERT_TRUE(std::holds_alternative<sgp::PsmoConfigureImmediateEnable>(
      std::get<sgp::PsmoList>(pkg.euicc_package_signed.euicc_package)[0]));
  // The v1.0 body does not decode as a v1.2 message of the same meaning: check the bytes differ by version.
  auto out = send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::configure_immediate_enable)}));
  ASSERT_TRUE(out.ok());
  auto resp10 = sgp::decode_eim_to_ipa(*out, Version::v1_0);
  ASSERT_TRUE(resp10.ok()) << resp10.error().message;
  EXPECT_EQ(get(op).state, OperationState::succeeded);
}

TEST_F(EimServiceTest, EmulatedDeviceIsAcceptedWithoutSignaturesAndSaysSo) {
  TestEuicc e = add_device(1);
  store::EuiccEimState st;
  st.tenant_id = tenant_;
  st.eid = e.eid;
  st.eim_id = "esimo-test-eim";
  st.emulated = true;
  ASSERT_TRUE(store_->put_euicc_state(st).ok());
  service_->device_changed(tenant_, e.eid);
  auto op = submit(e, OpEnable{iccid(12)});
  // No eUICC data request first: emulated devices cannot give certificates.
  const auto resp = poll(e);
  const auto* pkg = std::get_if<sgp::EuiccPackageRequest>(&resp);
  ASSERT_NE(pkg, nullptr);
  auto r = signed_result(e, *pkg, {result(sgp::EuiccResultKind::enable)}, /*corrupt=*/true);
  ASSERT_TRUE(send(e, r).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_THAT(get(op).result_json, ::testing::HasSubstr("\"verified\":false,\"emulated\":true"));
}

TEST_F(EimServiceTest, FactoryDataSkipsTheFirstContactRequest) {
  TestEuicc e = add_device(1);
  EimService::EuiccFacts f;
  f.association_token = 7;
  f.euicc_certificate_der = e.key.certificate.der();
  EXPECT_EQ(service_->set_euicc_facts(tenant_, e.eid, f).error().code, Errc::invalid_argument);
  // A certificate issued to another EID, or not under the CI, is refused.
  auto other = crypto::make_test_euicc(*pki_, eid(2).str(), clock_.now());
  f.euicc_certificate_der = other->certificate.der();
  f.eum_certificate_der = pki_->eum.certificate.der();
  EXPECT_EQ(service_->set_euicc_facts(tenant_, e.eid, f).error().code, Errc::invalid_argument);
  f.euicc_certificate_der = e.key.certificate.der();
  f.eum_certificate_der = pki_->ci.certificate.der();
  EXPECT_FALSE(service_->set_euicc_facts(tenant_, e.eid, f).ok());
  f.eum_certificate_der = pki_->eum.certificate.der();
  ASSERT_TRUE(service_->set_euicc_facts(tenant_, e.eid, f).ok());
  EXPECT_EQ(service_->set_euicc_facts(tenant_ + 1, e.eid, f).error().code, Errc::not_found);
  auto op = submit(e, OpDisable{iccid(11)});
  auto pkg = take_package(e, poll(e));
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::disable)})).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  // And it is durable.
  reopen();
  EXPECT_TRUE(is_no_package(poll(e)));
}

TEST_F(EimServiceTest, NotificationsInAResultAreAcknowledged) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpDisable{iccid(11)});
  auto pkg = take_package(e, poll(e));
  sgp::EprAndNotifications epr;
  epr.euicc_package_result = signed_result(e, pkg, {result(sgp::EuiccResultKind::disable)});
  sgp::PendingNotification n;
  n.kind = sgp::PendingNotificationKind::other_signed_notification;
  sgp::NotificationMetadata md;
  md.seq_number = 42;
  md.profile_management_operation = 1u << 2;
  md.notification_address = "smdp.example";
  md.iccid = wire(iccid(11));
  n.metadata = md;
  // The codec carries notifications verbatim: build the TLV the eUICC would send.
  Bytes meta_der{0xBF, 0x2F, 0x00};
  Bytes inner{0x80, 0x01, 0x2A, 0x81, 0x02, 0x05, 0x20, 0x0C, 0x0C};
  const std::string addr = "smdp.example";
  inner.insert(inner.end(), addr.begin(), addr.end());
  inner.push_back(0x5A);
  inner.push_back(0x0A);
  const Bytes w = wire(iccid(11));
  inner.insert(inner.end(), w.begin(), w.end());
  meta_der[2] = static_cast<std::uint8_t>(inner.size());
  meta_der.insert(meta_der.end(), inner.begin(), inner.end());
  Bytes body = meta_der;
  body.push_back(0x5F);
  body.push_back(0x37);
  body.push_back(0x40);
  body.insert(body.end(), 64, 0x11);
  n.der = {0x30, static_cast<std::uint8_t>(body.size())};
  n.der.insert(n.der.end(), body.begin(), body.end());
  epr.notification_list.push_back(n);
  auto out = send(e, epr);
  ASSERT_TRUE(out.ok()) << out.error().message;
  auto resp = sgp::decode_eim_to_ipa(*out, Version::v1_2);
  ASSERT_TRUE(resp.ok());
  const auto& r = std::get<sgp::ProvideEimPackageResultResponse>(*resp);
  EXPECT_EQ(r.kind, sgp::ProvideEimPackageResultResponse::Kind::acknowledgements);
  EXPECT_EQ(r.seq_numbers, (std::vector<std::int64_t>{42}));
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
}

TEST_F(EimServiceTest, ConcurrentPollsNeverReuseACounterOrSendAnOperationTwice) {
  TestEuicc e = add_device(1);
  learn(e);
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(submit(e, OpGetRat{}).id);
  std::mutex mu;
  std::vector<std::uint64_t> counters;
  std::size_t psmos = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        sgp::GetEimPackageRequest req;
        req.eid = bytes_of(e.eid);
        auto body = sgp::encode(sgp::EsipaMessageFromIpaToEim(req), Version::v1_2);
        auto out = service_->handle_esipa(*body, std::nullopt);
        if (!out.ok()) continue;
        auto msg = sgp::decode_eim_to_ipa(*out, Version::v1_2);
        if (!msg.ok()) continue;
        const auto* pkg = std::get_if<sgp::EuiccPackageRequest>(&std::get<sgp::GetEimPackageResponse>(*msg));
        if (pkg == nullptr) continue;
        std::lock_guard lock(mu);
        counters.push_back(pkg->euicc_package_signed.counter_value);
        psmos += std::get<sgp::PsmoList>(pkg->euicc_package_signed.euicc_package).size();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(counters.begin(), counters.end());
  EXPECT_EQ(std::adjacent_find(counters.begin(), counters.end()), counters.end()) << "a counterValue was reused";
  EXPECT_EQ(psmos, ids.size());
  for (const auto& id : ids) EXPECT_EQ(store_->get_operation(tenant_, id)->state, OperationState::delivered);
}

// Operation ids sort in creation order (listings by id read chronologically), also within one clock tick and across
// a clock that moves; the state-change list_profiles the eIM queues itself gets one too.
TEST_F(EimServiceTest, OperationIdsSortInCreationOrder) {
  TestEuicc e = add_device(1);
  learn(e);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(submit(e, OpGetRat{}).id);  // same clock tick
  clock_.advance(std::chrono::seconds(61));
  ids.push_back(submit(e, OpEnable{iccid(12)}).id);
  clock_.advance(std::chrono::hours(24 * 365));
  take_package(e, poll(e, /*notify=*/true, /*cause fallback*/ 1));
  auto listed = store_->list_operations(tenant_, store::OperationFilter{}, store::Page{.limit = 100, .after = {}});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 7u);
  for (std::size_t i = 0; i < listed->items.size(); ++i) {
    const auto& op = listed->items[i];
    EXPECT_EQ(op.id.size(), 23u) << op.id;
    EXPECT_EQ(op.id.rfind("op_", 0), 0u) << op.id;
    if (i > 0) {
      EXPECT_LT(listed->items[i - 1].created_at, op.created_at) << "listed by id: " << op.id;
    }
    if (i < ids.size()) {
      EXPECT_EQ(op.id, ids[i]);
    }
  }
  EXPECT_EQ(listed->items.back().reason, "eim:state_change:fallback");
}

TEST_F(EimServiceTest, OperationJsonIsCanonicalAndStrict) {
  auto r = operation_request_from_json("enable", R"({"type":"enable","iccid":")" + iccid(12).str() + R"(","rollback":true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(to_json(*r), R"({"iccid":")" + iccid(12).str() + R"(","rollback":true})");
  auto unknown = operation_request_from_json("enable", R"({"iccid":")" + iccid(12).str() + R"(","rolback":true})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "rolback");
  auto bad_iccid = operation_request_from_json("disable", R"({"iccid":"123"})");
  ASSERT_FALSE(bad_iccid.ok());
  EXPECT_EQ(bad_iccid.error().field, "iccid");
  auto bad_type = operation_request_from_json("reboot", "{}");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().field, "type");
  EXPECT_EQ(operation_request_from_json("enable", "{").error().code, Errc::parse_error);
  auto wrong = operation_request_from_json("enable", R"({"iccid":")" + iccid(12).str() + R"(","rollback":"yes"})");
  EXPECT_EQ(wrong.error().field, "rollback");
  for (const OperationRequest& req :
       {OperationRequest(OpListProfiles{}), OperationRequest(OpGetRat{}),
        OperationRequest(OpConfigureImmediateEnable{true, std::string("smdp.example")}),
        OperationRequest(OpSetDefaultDp{"dp.example"}), OperationRequest(OpDeleteEim{"eim-2"}),
        OperationRequest(OpEuiccData{Bytes{0x84}}), OperationRequest(OpUnsetFallback{})}) {
    auto back = operation_request_from_json(operation_type(req), to_json(req));
    ASSERT_TRUE(back.ok()) << operation_type(req) << ": " << back.error().message;
    EXPECT_EQ(to_json(*back), to_json(req));
  }
}

TEST_F(EimServiceTest, ExportAddInitialEimDecodes) {
  auto der = service_->export_add_initial_eim(Version::v1_2);
  ASSERT_TRUE(der.ok()) << der.error().message;
  auto m = sgp::decode_add_initial_eim_request(*der, Version::v1_2);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->eim_configuration_data_list.size(), 1u);
  EXPECT_EQ(m->eim_configuration_data_list[0].eim_id, "esimo-test-eim");
  EXPECT_EQ(m->eim_configuration_data_list[0].eim_fqdn, std::optional<std::string>("eim.example:8443"));
  EXPECT_TRUE(m->eim_configuration_data_list[0].eim_public_key.has_value());
}

// A signed-notification TLV as the eUICC sends it (the codec carries notifications verbatim): metadata with the
// sequence number, the event bit and the ICCID, then a signature.
sgp::PendingNotification profile_notification(std::int64_t seq, std::uint32_t event, const domain::Iccid& i,
                                              const crypto::PrivateKey& euicc_key) {
  sgp::PendingNotification n;
  n.kind = sgp::PendingNotificationKind::other_signed_notification;
  sgp::NotificationMetadata md;
  md.seq_number = seq;
  md.profile_management_operation = event;
  md.notification_address = "smdp.example";
  md.iccid = wire(i);
  n.metadata = md;
  const std::string addr = "smdp.example";
  // NotificationEvent, a named-bit BIT STRING: bit k is 0x80 >> k of the octet; DER drops the trailing zero bits.
  std::uint8_t bits = 0;
  std::uint8_t unused = 8;
  for (int k = 0; k < 8; ++k) {
    if ((event & (1u << k)) == 0) continue;
    bits |= static_cast<std::uint8_t>(0x80 >> k);
    unused = static_cast<std::uint8_t>(7 - k);
  }
  Bytes inner{0x80, 0x01, static_cast<std::uint8_t>(seq), 0x81, 0x02, unused, bits, 0x0C,
              static_cast<std::uint8_t>(addr.size())};
  inner.insert(inner.end(), addr.begin(), addr.end());
  inner.push_back(0x5A);
  inner.push_back(0x0A);
  const Bytes w = wire(i);
  inner.insert(inner.end(), w.begin(), w.end());
  Bytes body{0xBF, 0x2F, static_cast<std::uint8_t>(inner.size())};
  body.insert(body.end(), inner.begin(), inner.end());
  const Bytes sig = *crypto::sign_raw(euicc_key, body);  // euiccNotificationSignature over DER(tbsOtherNotification)
  body.insert(body.end(), {0x5F, 0x37, static_cast<std::uint8_t>(sig.size())});
  body.insert(body.end(), sig.begin(), sig.end());
  n.der = {0x30, static_cast<std::uint8_t>(body.size())};
  n.der.insert(n.der.end(), body.begin(), body.end());
  return n;
}

// Calls of each store method so far (esimo_store_seconds{op=...}: one observation per call, process-wide).
std::uint64_t store_calls(const char* op) {
  return metrics::Registry::global()
      .histogram("esimo_store_seconds", "Store call latency by operation", {{"op", op}})
      .count();
}

// SGP.32 §2.11.1.1: counterValue and eimTransactionId are durable before the package leaves, so a crash right
// after sending cannot lead to a reused counter; a result arriving after the restart is still matched and verified.
TEST_F(EimServiceTest, APackageIsDurableBeforeItIsReturned) {
  TestEuicc e = add_device(1);
  learn(e);
  auto op = submit(e, OpEnable{iccid(12)});
  auto pkg = take_package(e, poll(e));
  const auto& tid = *pkg.euicc_package_signed.eim_transaction_id;
  // Read straight from the store, nothing more asked of the eIM: the package is already recorded.
  auto state = store_->get_euicc_state(tenant_, e.eid);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->counter_value, pkg.euicc_package_signed.counter_value);
  auto rec = store_->get_package(tid);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->counter_value, pkg.euicc_package_signed.counter_value);
  EXPECT_EQ(rec->eim_signature, pkg.eim_signature);
  EXPECT_EQ(get(op).state, OperationState::delivered);
  EXPECT_EQ(get(op).eim_transaction_id, to_hex(tid));
  // Crash: the eIM's memory (its packages in flight) is gone; the store is all that is left.
  reopen();
  auto op2 = submit(e, OpGetRat{});
  auto pkg2 = take_package(e, poll(e));
  EXPECT_GT(pkg2.euicc_package_signed.counter_value, pkg.euicc_package_signed.counter_value);
  EXPECT_NE(*pkg2.euicc_package_signed.eim_transaction_id, tid);
  ASSERT_TRUE(send(e, signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)})).ok());
  EXPECT_EQ(get(op).state, OperationState::succeeded);
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  ASSERT_TRUE(send(e, signed_result(e, pkg2, {result(sgp::EuiccResultKind::get_rat)})).ok());
  EXPECT_EQ(get(op2).state, OperationState::succeeded);
}

// CONVENTIONS: the store is the durable record, never read on the hot path. One PSMO cycle (submit, poll, result with
// its notification) writes three times — the operation, the package, the result with its effects in one call — and
// reads nothing back; the notification repeating what the result applied writes nothing.
TEST_F(EimServiceTest, ACycleReadsNothingBackAndAppliesTheResultInOneStoreCall) {
  TestEuicc e = add_device(1);
  learn(e);
  // A first cycle loads the device's slow-path state (profiles, queue) from the store once.
  submit(e, OpGetRat{});
  auto warm = take_package(e, poll(e));
  ASSERT_TRUE(send(e, signed_result(e, warm, {result(sgp::EuiccResultKind::get_rat)})).ok());

  const std::vector<const char*> ops{"get_device",     "get_profile",    "get_package",
                                     "find_operations_by_transaction", "list_queued_operations",
                                     "get_operation",  "list_operations", "get_euicc_state",
                                     "create_operation", "record_package", "apply_package_result",
                                     "update_operation", "put_profile",    "update_device",
                                     "delete_profile",   "put_euicc_state"};
  std::map<std::string, std::uint64_t> calls;
  auto measured = [&](auto&& f) {
    std::map<std::string, std::uint64_t> before;
    for (const char* o : ops) before[o] = store_calls(o);
    f();
    for (const char* o : ops) calls[o] += store_calls(o) - before[o];
  };
  Result<domain::Operation> op = Error(Errc::internal, "not submitted");
  measured([&] { op = service_->submit(tenant_, e.eid, OpEnable{iccid(12)}, SubmitOptions{"user:test", "", {}}); });
  ASSERT_TRUE(op.ok()) << op.error().message;
  sgp::GetEimPackageRequest get_req;
  get_req.eid = bytes_of(e.eid);
  const Bytes poll_body = *sgp::encode(sgp::EsipaMessageFromIpaToEim(get_req), Version::v1_2);
  Result<Bytes> answer = Bytes{};
  measured([&] { answer = service_->handle_esipa(poll_body, Version::v1_2); });
  ASSERT_TRUE(answer.ok());
  auto msg = sgp::decode_eim_to_ipa(*answer, Version::v1_2);
  ASSERT_TRUE(msg.ok());
  auto pkg = take_package(e, std::get<sgp::GetEimPackageResponse>(*msg));
  sgp::EprAndNotifications epr;
  epr.euicc_package_result = signed_result(e, pkg, {result(sgp::EuiccResultKind::enable)});
  epr.notification_list.push_back(profile_notification(51, 1u << 1, iccid(12), e.key.key));
  sgp::ProvideEimPackageResult provide;
  provide.eid = bytes_of(e.eid);
  provide.result = epr;
  const Bytes result_body = *sgp::encode(sgp::EsipaMessageFromIpaToEim(provide), Version::v1_2);
  measured([&] { answer = service_->handle_esipa(result_body, Version::v1_2); });
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  // The final empty poll of the cycle.
  measured([&] { answer = service_->handle_esipa(poll_body, Version::v1_2); });
  ASSERT_TRUE(answer.ok());

  for (const char* o : {"get_device", "get_profile", "get_package", "find_operations_by_transaction",
                        "list_queued_operations", "get_operation", "list_operations", "get_euicc_state"}) {
    EXPECT_EQ(calls[o], 0u) << o << " read on the hot path";
  }
  EXPECT_EQ(calls["create_operation"], 1u);
  EXPECT_EQ(calls["record_package"], 1u);
  EXPECT_EQ(calls["apply_package_result"], 1u) << "the result and its effects in one call; the notification: none";
  for (const char* o : {"update_operation", "put_profile", "update_device", "delete_profile", "put_euicc_state"}) {
    EXPECT_EQ(calls[o], 0u) << o;
  }
  auto resp = sgp::decode_eim_to_ipa(
      *service_->handle_esipa(result_body, Version::v1_2), Version::v1_2);  // a duplicate: acknowledged, no change
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(std::get<sgp::ProvideEimPackageResultResponse>(*resp).seq_numbers, (std::vector<std::int64_t>{51}));
  EXPECT_EQ(get(*op).state, OperationState::succeeded);
  EXPECT_EQ(profile(12).state, domain::ProfileState::enabled);
  EXPECT_EQ(profile(11).state, domain::ProfileState::disabled);
  EXPECT_EQ(store_->get_device(tenant_, e.eid)->device.active_iccid, iccid(12));
  // A notification that does change something (a disable the eIM did not ask for) is still applied.
  auto later = service_->handle_esipa(
      *sgp::encode(sgp::EsipaMessageFromIpaToEim(sgp::HandleNotificationEsipa(profile_notification(52, 1u << 2,
                                                                                                   iccid(12), e.key.key))),
                   Version::v1_2),
      Version::v1_2);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(profile(12).state, domain::ProfileState::disabled);
  EXPECT_FALSE(store_->get_device(tenant_, e.eid)->device.active_iccid.has_value());
}

// Most notifications repeat a result the eIM applied and change nothing, so they move no mark when they arrive. A
// replay of one older than such a notification is still caught: the newer one, kept, is verified then and proves it
// stale; the eUICC is asked for its profiles instead.
TEST_F(EimServiceTest, AReplayOlderThanANotificationThatChangedNothingIsNotApplied) {
  TestEuicc e = add_device(1);
  learn(e);
  auto cycle = [&](const OperationRequest& r, sgp::EuiccResultKind kind, std::int64_t seq, std::uint32_t event) {
    auto op = submit(e, r);
    auto pkg = take_package(e, poll(e));
    sgp::EprAndNotifications epr;
    epr.euicc_package_result = signed_result(e, pkg, {result(kind)});
    epr.notification_list.push_back(profile_notification(seq, event, iccid(12), e.key.key));
    ASSERT_TRUE(send(e, epr).ok());
    EXPECT_EQ(get(op).state, OperationState::succeeded);
  };
  cycle(OpEnable{iccid(12)}, sgp::EuiccResultKind::enable, 20, 1u << 1);    // its notification: enable 12
  cycle(OpDisable{iccid(12)}, sgp::EuiccResultKind::disable, 21, 1u << 2);  // disable 12
  EXPECT_EQ(profile(12).state, domain::ProfileState::disabled);
  // The genuine "enable 12" (seq 20), replayed: older than the disable the eUICC sent after it.
  const auto replayed = profile_notification(20, 1u << 1, iccid(12), e.key.key);
  auto body = sgp::encode(sgp::EsipaMessageFromIpaToEim(sgp::HandleNotificationEsipa(replayed)), Version::v1_2);
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE(service_->handle_esipa(*body, Version::v1_2).ok());
  EXPECT_EQ(profile(12).state, domain::ProfileState::disabled);
  EXPECT_EQ(store_->get_euicc_state(tenant_, e.eid)->notification_seq, std::optional<std::int64_t>(21));
  expect_lone_list_profiles(take_package(e, poll(e)), "eim:notification_stale");
}

}  // namespace
}  // namespace esimo::eim
