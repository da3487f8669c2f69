// Profile download in-process: the software eUICC (ES10b) against the test SM-DP+ (ES9+) with real ECDSA and
// certificates from the test PKI, first directly (the test plays the LPA), then through the IPA with an in-process
// eIM relay (ESipa <-> ES9+). Every failure the issue names: bad SM-DP+ signature, unknown and expired matching ID,
// wrong/missing confirmation code, eUICC full, cancel session; and an activation code used again after a failure.
#include <gtest/gtest.h>

#include <deque>

#include "crypto/digest.hpp"
#include "sgp/es9plus.hpp"
#include "sgp/rsp22.hpp"
#include "twin/download_crypto.hpp"
#include "twin/ipa.hpp"
#include "twin/smdp.hpp"
#include "twin_test_util.hpp"

namespace esimo::twin::download_tests {

using namespace esimo::twin::testing;  // NOLINT(google-build-using-namespace): test file
namespace es9 = sgp::es9;
namespace rsp = sgp::rsp22;

constexpr const char* kAddress = "smdp.test:8443";
constexpr const char* kNewIccid = "8944000000000000050";

Bytes tlv_contents(const Bytes& whole) { return Bytes(der::read_single(whole)->value.begin(), der::read_single(whole)->value.end()); }
Bytes sig_tlv(const Bytes& contents) {
  der::Writer w;
  w.octets(der::tag(0x5F37), contents);
  return w.take();
}

struct Lab {
  ManualClock clock{test_now()};
  Smdp smdp{SmdpIdentity::from_test_pki(pki()), SmdpOptions{kAddress}, clock};
  SoftwareEuicc euicc = [] {
    auto e = make_euicc();
    e.set_trusted_ci(pki().ci.certificate);
    return e;
  }();

  std::string order(std::optional<std::string> cc = std::nullopt, std::string matching_id = "") {
    ProfileOrder o{matching_id, domain::Iccid::parse(kNewIccid).value()};
    o.home_plmn = domain::Plmn::parse("234-15").value();
    o.confirmation_code = cc;
    auto st = smdp.prepare_profile(o);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return st->matching_id;
  }
};

// The LPA role, one step at a time, keeping what later steps need.
struct Lpa {
  Lab& lab;
  Bytes tid;
  es9::InitiateAuthenticationOk init;
  Bytes asr_der;
  es9::AuthenticateClientOk auth;
  Bytes pdr_der;
  Bytes bpp;

  es9::FunctionExecutionStatus initiate() {
    es9::InitiateAuthenticationRequest req{lab.euicc.get_euicc_challenge(), rsp::encode(lab.euicc.get_euicc_info1()).value(),
                                           kAddress};
    auto r = lab.smdp.initiate_authentication(req);
    if (r.ok) {
      init = *r.ok;
      tid = init.transaction_id;
    }
    return r.status;
  }
  rsp::AuthenticateServerResponse authenticate_server(const std::string& matching_id) {
    rsp::AuthenticateServerRequest asr;
    asr.server_signed1 = rsp::decode_server_signed1(init.server_signed1).value();
    asr.server_signed1_der = init.server_signed1;
    asr.server_signature1 = tlv_contents(init.server_signature1);
    asr.euicc_ci_pkid_to_be_used = tlv_contents(init.euicc_ci_pkid_to_be_used);
    asr.server_certificate = init.server_certificate;
    asr.ctx_params1.matching_id = matching_id;
    asr.ctx_params1.device_info.tac = Bytes{1, 2, 3, 4};
    auto resp = lab.euicc.authenticate_server(asr, lab.clock.now());
    EXPECT_TRUE(resp.ok()) << resp.error().message;
    asr_der = rsp::encode(*resp).value();
    return *resp;
  }
  es9::FunctionExecutionStatus authenticate_client() {
    auto r = lab.smdp.authenticate_client(es9::AuthenticateClientRequest{tid, asr_der});
    if (r.ok) auth = *r.ok;
    return r.status;
  }
  rsp::PrepareDownloadResponse prepare(std::optional<std::string> cc = std::nullopt) {
    rsp::PrepareDownloadRequest pdr;
    pdr.smdp_signed2 = rsp::decode_smdp_signed2(auth.smdp_signed2).value();
    pdr.smdp_signed2_der = auth.smdp_signed2;
    pdr.smdp_signature2 = tlv_contents(auth.smdp_signature2);
    if (cc) pdr.hash_cc = download::hash_confirmation_code(*cc, tid);
    pdr.smdp_certificate = auth.smdp_certificate;
    auto resp = lab.euicc.prepare_download(pdr, lab.clock.now());
    EXPECT_TRUE(resp.ok()) << resp.error().message;
    pdr_der = rsp::encode(*resp).value();
    return *resp;
  }
  es9::FunctionExecutionStatus get_bpp() {
    auto r = lab.smdp.get_bound_profile_package(es9::GetBoundProfilePackageRequest{tid, pdr_der});
    if (r.ok) bpp = r.ok->bound_profile_package;
    return r.status;
  }
  rsp::ProfileInstallationResult load() {
    auto pir = lab.euicc.load_bound_profile_package(bpp);
    EXPECT_TRUE(pir.ok()) << pir.error().message;
    EXPECT_TRUE(lab.smdp.handle_notification(es9::HandleNotificationRequest{rsp::encode(*pir).value()}).ok());
    return *pir;
  }
};

std::string message(const es9::FunctionExecutionStatus& s) {
  return s.status_code_data ? s.status_code_data->message.value_or("") : "";
}

TEST(ProfileDownload, MutualAuthenticationAndInstall) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  auto asr = lpa.authenticate_server(mid);
  ASSERT_TRUE(std::holds_alternative<rsp::AuthenticateResponseOk>(asr));
  // euiccSignature1 verifies with the eUICC's key over euiccSigned1.
  const auto decoded = std::get<rsp::AuthenticateResponseOk>(rsp::decode_authenticate_server_response(lpa.asr_der).value());
  EXPECT_TRUE(crypto::verify_raw(lab.euicc.public_key(), decoded.euicc_signed1_der, decoded.euicc_signature1).ok());
  auto st = lpa.authenticate_client();
  ASSERT_TRUE(st.executed()) << message(st);
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::downloading);
  auto meta = rsp::decode_store_metadata_request(*lpa.auth.profile_metadata).value();
  EXPECT_EQ(meta.iccid, wire(kNewIccid));
  ASSERT_TRUE(std::holds_alternative<rsp::PrepareDownloadResponseOk>(lpa.prepare()));
  ASSERT_TRUE(lpa.get_bpp().executed());
  auto pir = lpa.load();
  ASSERT_TRUE(std::holds_alternative<rsp::SuccessResult>(pir.data.final_result));
  EXPECT_EQ(pir.data.notification_metadata.iccid, wire(kNewIccid));
  EXPECT_EQ(pir.data.smdp_oid, "2.999.1");
  EXPECT_TRUE(crypto::verify_raw(lab.euicc.public_key(), pir.data_der.empty()
                                                              ? rsp::encode_profile_installation_result_data(pir.data).value()
                                                              : pir.data_der,
                                 pir.euicc_sign_pir)
                  .ok());

  const Profile* p = lab.euicc.find_profile(wire(kNewIccid));
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->enabled);
  ASSERT_TRUE(p->home_plmn.has_value());
  EXPECT_EQ(domain::Plmn::from_wire(*p->home_plmn)->str(), "234-15");
  EXPECT_EQ(lab.euicc.installation_results().size(), 1u);
  EXPECT_EQ(lab.euicc.download_session(), nullptr);
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::installed);
  EXPECT_EQ(lab.smdp.active_sessions(), 0u);
  // The same activation code cannot install twice.
  Lpa again{lab};
  ASSERT_TRUE(again.initiate().executed());
  again.authenticate_server(mid);
  auto st2 = again.authenticate_client();
  EXPECT_FALSE(st2.executed());
  EXPECT_NE(message(st2).find("matchingIdRefused"), std::string::npos);
}

TEST(ProfileDownload, EuiccRejectsABadServerSignature) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  Bytes sig = tlv_contents(lpa.init.server_signature1);
  sig[10] ^= 0x01;
  lpa.init.server_signature1 = sig_tlv(sig);
  auto asr = lpa.authenticate_server(mid);
  const auto* e = std::get_if<rsp::AuthenticateResponseError>(&asr);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->code, 2);  // invalidSignature
  // The SM-DP+ refuses the eUICC's error and ends its session; the order is available again.
  auto st = lpa.authenticate_client();
  EXPECT_FALSE(st.executed());
  EXPECT_EQ(lab.smdp.active_sessions(), 0u);
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::released);
}

TEST(ProfileDownload, EuiccRejectsAServerCertificateFromAnotherCi) {
  Lab lab;
  crypto::TestPkiOptions o;
  o.now = test_now();
  auto other = crypto::make_test_pki(o).value();
  Smdp rogue(SmdpIdentity{other.dpauth, other.dppb, pki().ci.certificate}, SmdpOptions{kAddress}, lab.clock);
  ProfileOrder order{"", domain::Iccid::parse(kNewIccid).value()};
  const std::string mid = rogue.prepare_profile(order)->matching_id;
  Lab& l = lab;
  es9::InitiateAuthenticationRequest req{l.euicc.get_euicc_challenge(), rsp::encode(l.euicc.get_euicc_info1()).value(),
                                         kAddress};
  auto init = rogue.initiate_authentication(req);
  ASSERT_TRUE(init.ok.has_value());
  rsp::AuthenticateServerRequest asr;
  asr.server_signed1 = rsp::decode_server_signed1(init.ok->server_signed1).value();
  asr.server_signature1 = tlv_contents(init.ok->server_signature1);
  asr.euicc_ci_pkid_to_be_used = tlv_contents(init.ok->euicc_ci_pkid_to_be_used);
  asr.server_certificate = init.ok->server_certificate;
  asr.ctx_params1.matching_id = mid;
  asr.ctx_params1.device_info.tac = Bytes{1, 2, 3, 4};
  auto resp = l.euicc.authenticate_server(asr, l.clock.now());
  ASSERT_TRUE(resp.ok());
  ASSERT_TRUE(std::holds_alternative<rsp::AuthenticateResponseError>(*resp));
  EXPECT_EQ(std::get<rsp::AuthenticateResponseError>(*resp).code, 1);  // invalidCertificate
}

TEST(ProfileDownload, UnknownAndExpiredMatchingIds) {
  Lab lab;
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server("NO-SUCH-ID");
  auto st = lpa.authenticate_client();
  EXPECT_FALSE(st.executed());
  EXPECT_EQ(st.status_code_data->subject_code, "8.2.6");
  EXPECT_NE(message(st).find("matchingIdRefused"), std::string::npos);

  ProfileOrder o{"EXPIRING", domain::Iccid::parse(kNewIccid).value()};
  o.expires_at = lab.clock.now() + std::chrono::hours(1);
  ASSERT_TRUE(lab.smdp.prepare_profile(o).ok());
  lab.clock.advance(std::chrono::hours(2));
  Lpa late{lab};
  ASSERT_TRUE(late.initiate().executed());
  late.authenticate_server("EXPIRING");
  auto st2 = late.authenticate_client();
  EXPECT_FALSE(st2.executed());
  EXPECT_EQ(st2.status_code_data->subject_code, "8.8.5");
  EXPECT_NE(message(st2).find("downloadOrderExpired"), std::string::npos);
  EXPECT_EQ(lab.smdp.active_sessions(), 0u);
}

TEST(ProfileDownload, ConfirmationCode) {
  Lab lab;
  const std::string mid = lab.order(std::string("1234"));
  // Missing.
  {
    Lpa lpa{lab};
    ASSERT_TRUE(lpa.initiate().executed());
    lpa.authenticate_server(mid);
    ASSERT_TRUE(lpa.authenticate_client().executed());
    EXPECT_TRUE(rsp::decode_smdp_signed2(lpa.auth.smdp_signed2)->cc_required_flag);
    // The eUICC refuses to go on without hashCc when ccRequiredFlag is set.
    auto pd = lpa.prepare();
    ASSERT_TRUE(std::holds_alternative<rsp::PrepareDownloadResponseError>(pd));
    EXPECT_EQ(std::get<rsp::PrepareDownloadResponseError>(pd).code, 127);
    EXPECT_FALSE(lpa.get_bpp().executed());
    EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::released);
  }
  // Wrong.
  {
    Lpa lpa{lab};
    ASSERT_TRUE(lpa.initiate().executed());
    lpa.authenticate_server(mid);
    ASSERT_TRUE(lpa.authenticate_client().executed());
    ASSERT_TRUE(std::holds_alternative<rsp::PrepareDownloadResponseOk>(lpa.prepare(std::string("9999"))));
    auto st = lpa.get_bpp();
    EXPECT_FALSE(st.executed());
    EXPECT_NE(message(st).find("confirmationCodeRefused"), std::string::npos);
    EXPECT_EQ(lab.smdp.order(mid)->confirmation_code_failures, 1);
  }
  // Right: installs (the activation code is used again after the failures).
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server(mid);
  ASSERT_TRUE(lpa.authenticate_client().executed());
  ASSERT_TRUE(std::holds_alternative<rsp::PrepareDownloadResponseOk>(lpa.prepare(std::string("1234"))));
  ASSERT_TRUE(lpa.get_bpp().executed());
  EXPECT_TRUE(std::holds_alternative<rsp::SuccessResult>(lpa.load().data.final_result));
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::installed);
}

TEST(ProfileDownload, EuiccFullIsReportedAndTheCodeCanBeUsedAgain) {
  Lab lab;
  // make_euicc installed 2 profiles; fill up to kMaxProfiles.
  for (std::size_t i = lab.euicc.profiles().size(); i < SoftwareEuicc::kMaxProfiles; ++i) {
    const std::string payload = "89440000000001" + std::to_string(10000 + i);
    ASSERT_TRUE(lab.euicc.add_profile(ProfileSpec{domain::Iccid::from_payload(payload).value()}).ok());
  }
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server(mid);
  ASSERT_TRUE(lpa.authenticate_client().executed());
  lpa.prepare();
  ASSERT_TRUE(lpa.get_bpp().executed());
  auto pir = lpa.load();
  const auto* e = std::get_if<rsp::ErrorResult>(&pir.data.final_result);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->error_reason, 10);  // installFailedDueToInsufficientMemoryForProfile
  EXPECT_EQ(lab.euicc.find_profile(wire(kNewIccid)), nullptr);
  auto o = lab.smdp.order(mid);
  EXPECT_EQ(o->state, OrderState::released);
  EXPECT_NE(o->last_error->find("installFailedDueToInsufficientMemoryForProfile"), std::string::npos);

  // Make room; the same activation code now installs.
  sgp::PsmoList del{sgp::PsmoDelete{wire(kIccid2)}};
  EimSide eim;
  EXPECT_EQ(codes(run(lab.euicc, eim, del)), std::vector<std::int64_t>{0});
  Lpa retry{lab};
  ASSERT_TRUE(retry.initiate().executed());
  retry.authenticate_server(mid);
  ASSERT_TRUE(retry.authenticate_client().executed());
  retry.prepare();
  ASSERT_TRUE(retry.get_bpp().executed());
  EXPECT_TRUE(std::holds_alternative<rsp::SuccessResult>(retry.load().data.final_result));
  EXPECT_NE(lab.euicc.find_profile(wire(kNewIccid)), nullptr);
}

TEST(ProfileDownload, CancelSessionEndsBothSides) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server(mid);
  ASSERT_TRUE(lpa.authenticate_client().executed());
  auto cancel = lab.euicc.cancel_session(rsp::CancelSessionRequest{lpa.tid, 1});  // postponed
  ASSERT_TRUE(cancel.ok());
  ASSERT_TRUE(std::holds_alternative<rsp::CancelSessionResponseOk>(*cancel));
  EXPECT_EQ(lab.euicc.download_session(), nullptr);
  auto st = lab.smdp.cancel_session(es9::CancelSessionRequest{lpa.tid, rsp::encode(*cancel).value()});
  EXPECT_TRUE(st.status.executed()) << message(st.status);
  EXPECT_EQ(lab.smdp.active_sessions(), 0u);
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::released);
  // A second cancel names the unknown transaction.
  auto again = lab.euicc.cancel_session(rsp::CancelSessionRequest{lpa.tid, 1});
  ASSERT_TRUE(std::holds_alternative<rsp::CancelSessionResponseError>(*again));
  EXPECT_EQ(std::get<rsp::CancelSessionResponseError>(*again).code, 5);
  EXPECT_FALSE(lab.smdp.cancel_session(es9::CancelSessionRequest{lpa.tid, rsp::encode(*again).value()}).status.executed());
  // A forged cancel (bad eUICC signature) is refused while the session lives.
  Lpa other{lab};
  ASSERT_TRUE(other.initiate().executed());
  other.authenticate_server(mid);
  ASSERT_TRUE(other.authenticate_client().executed());
  rsp::CancelSessionResponseOk forged;
  forged.signed_data = {other.tid, "2.999", 1};
  forged.signature = Bytes(64, 0x11);
  auto forged_st = lab.smdp.cancel_session(
      es9::CancelSessionRequest{other.tid, rsp::encode(rsp::CancelSessionResponse(forged)).value()});
  EXPECT_FALSE(forged_st.status.executed());
  EXPECT_NE(message(forged_st.status).find("euiccSignatureInvalid"), std::string::npos);
}

TEST(ProfileDownload, SessionsExpire) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server(mid);
  ASSERT_TRUE(lpa.authenticate_client().executed());
  lab.clock.advance(std::chrono::minutes(11));
  lpa.prepare();
  auto st = lpa.get_bpp();
  EXPECT_FALSE(st.executed());
  EXPECT_EQ(st.status_code_data->subject_code, "8.10.1");
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::released);
}

TEST(ProfileDownload, BppBoundToAnotherSessionIsRejected) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server(mid);
  ASSERT_TRUE(lpa.authenticate_client().executed());
  lpa.prepare();
  ASSERT_TRUE(lpa.get_bpp().executed());
  // Flip one byte of the last profile element (its MAC no longer verifies).
  Bytes bpp = lpa.bpp;
  bpp[bpp.size() - 3] ^= 0x01;
  auto pir = lab.euicc.load_bound_profile_package(bpp);
  ASSERT_TRUE(pir.ok()) << pir.error().message;
  const auto* e = std::get_if<rsp::ErrorResult>(&pir->data.final_result);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->error_reason, 8);  // scp03tSecurityError
  EXPECT_EQ(lab.euicc.find_profile(wire(kNewIccid)), nullptr);
}

TEST(ProfileDownload, EveryTruncatedBppIsRefusedAndNothingIsInstalled) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server(mid);
  ASSERT_TRUE(lpa.authenticate_client().executed());
  lpa.prepare();
  ASSERT_TRUE(lpa.get_bpp().executed());
  const std::size_t results_before = lab.euicc.installation_results().size();
  for (std::size_t n = 0; n < lpa.bpp.size(); ++n) {
    auto r = lab.euicc.load_bound_profile_package(ByteView(lpa.bpp.data(), n));
    ASSERT_FALSE(r.ok()) << "truncated to " << n << " bytes loaded";
    EXPECT_EQ(r.error().code, Errc::parse_error);
  }
  // The session survived the garbage: the intact package still installs.
  EXPECT_EQ(lab.euicc.installation_results().size(), results_before);
  auto pir = lab.euicc.load_bound_profile_package(lpa.bpp);
  ASSERT_TRUE(pir.ok());
  EXPECT_TRUE(std::holds_alternative<rsp::SuccessResult>(pir->data.final_result));
}

TEST(ProfileDownload, AnyFlippedBitInServerSigned1IsRefused) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  const Bytes original = lpa.init.server_signed1;
  for (std::size_t i = 0; i < original.size(); i += 7) {
    Bytes flipped = original;
    flipped[i] ^= 0x04;
    auto s1 = rsp::decode_server_signed1(flipped);
    if (!s1.ok()) continue;  // no longer DER: the IPA would stop here
    rsp::AuthenticateServerRequest asr;
    asr.server_signed1 = *s1;
    asr.server_signed1_der = flipped;
    asr.server_signature1 = tlv_contents(lpa.init.server_signature1);
    asr.euicc_ci_pkid_to_be_used = tlv_contents(lpa.init.euicc_ci_pkid_to_be_used);
    asr.server_certificate = lpa.init.server_certificate;
    asr.ctx_params1.matching_id = mid;
    asr.ctx_params1.device_info.tac = Bytes{1, 2, 3, 4};
    auto resp = lab.euicc.authenticate_server(asr, lab.clock.now());
    ASSERT_TRUE(resp.ok());
    const auto* e = std::get_if<rsp::AuthenticateResponseError>(&*resp);
    ASSERT_NE(e, nullptr) << "byte " << i << " flipped was accepted";
    EXPECT_EQ(e->code, 2);
  }
}

TEST(ProfileDownload, StateFileKeepsTrustedCiAndUndeliveredResults) {
  Lab lab;
  const std::string mid = lab.order();
  Lpa lpa{lab};
  ASSERT_TRUE(lpa.initiate().executed());
  lpa.authenticate_server(mid);
  ASSERT_TRUE(lpa.authenticate_client().executed());
  lpa.prepare();
  ASSERT_TRUE(lpa.get_bpp().executed());
  lpa.load();
  auto back = SoftwareEuicc::from_json(lab.euicc.to_json());
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_NE(back->trusted_ci_der(), nullptr);
  EXPECT_EQ(*back->trusted_ci_der(), pki().ci.certificate.der());
  ASSERT_EQ(back->installation_results().size(), 1u);
  EXPECT_EQ(back->installation_results()[0].der, lab.euicc.installation_results()[0].der);
  EXPECT_NE(back->find_profile(wire(kNewIccid)), nullptr);
}

// ---------------------------------------------------------------------------------------------------------------
// Through the IPA: an in-process eIM that relays ESipa to the SM-DP+ (what dl-eim's eIM does over HTTP).

class RelayEim final : public EsipaTransport {
 public:
  RelayEim(Smdp& smdp, sgp::Version v) : smdp_(smdp), version_(v) {}
  std::deque<sgp::GetEimPackageResponse> packages;
  std::optional<std::string> confirmation_code;
  bool corrupt_bpp = false;  // answer GetBoundProfilePackage with a BF36 the eUICC cannot decode
  std::vector<sgp::EsipaMessageFromIpaToEim> received;

  Result<Bytes> exchange(ByteView request) override {
    ESIMO_TRY(auto msg, sgp::decode_ipa_to_eim(request, version_));
    received.push_back(msg);
    auto out = [&](sgp::EsipaMessageFromEimToIpa m) { return sgp::encode(m, version_); };
    if (std::holds_alternative<sgp::GetEimPackageRequest>(msg)) {
      sgp::GetEimPackageResponse r = sgp::EimPackageError{1};
      if (!packages.empty()) {
        r = std::move(packages.front());
        packages.pop_front();
      }
      return out(std::move(r));
    }
    if (const auto* x = std::get_if<sgp::InitiateAuthenticationRequestEsipa>(&msg)) {
      auto r = smdp_.initiate_authentication({x->euicc_challenge, *x->euicc_info1, *x->smdp_address});
      if (!r.ok) return out(sgp::InitiateAuthenticationResponseEsipa(sgp::InitiateAuthenticationErrorEsipa{127}));
      sgp::InitiateAuthenticationOkEsipa ok;
      ok.transaction_id = r.ok->transaction_id;
      ok.server_signed1 = r.ok->server_signed1;
      ok.server_signature1 = tlv_contents(r.ok->server_signature1);
      ok.euicc_ci_pkid_to_be_used = tlv_contents(r.ok->euicc_ci_pkid_to_be_used);
      ok.server_certificate = r.ok->server_certificate;
      return out(sgp::InitiateAuthenticationResponseEsipa(ok));
    }
    if (const auto* x = std::get_if<sgp::AuthenticateClientRequestEsipa>(&msg)) {
      auto r = smdp_.authenticate_client({x->transaction_id, x->authenticate_server_response});
      if (!r.ok) {
        errors.push_back(message(r.status));
        return out(sgp::AuthenticateClientResponseEsipa(sgp::AuthenticateClientErrorEsipa{127}));
      }
      sgp::AuthenticateClientOkDpEsipa ok;
      ok.transaction_id = r.ok->transaction_id;
      ok.profile_metadata = r.ok->profile_metadata;
      ok.smdp_signed2 = r.ok->smdp_signed2;
      ok.smdp_signature2 = tlv_contents(r.ok->smdp_signature2);
      ok.smdp_certificate = r.ok->smdp_certificate;
      if (confirmation_code) ok.hash_cc = download::hash_confirmation_code(*confirmation_code, x->transaction_id);
      return out(sgp::AuthenticateClientResponseEsipa(ok));
    }
    if (const auto* x = std::get_if<sgp::GetBoundProfilePackageRequestEsipa>(&msg)) {
      auto r = smdp_.get_bound_profile_package({x->transaction_id, x->prepare_download_response});
      if (!r.ok) {
        errors.push_back(message(r.status));
        return out(sgp::GetBoundProfilePackageResponseEsipa(sgp::GetBoundProfilePackageErrorEsipa{127}));
      }
      const Bytes bpp = corrupt_bpp ? Bytes{0xBF, 0x36, 0x02, 0x05, 0x00} : r.ok->bound_profile_package;
      return out(sgp::GetBoundProfilePackageResponseEsipa(sgp::GetBoundProfilePackageOkEsipa{r.ok->transaction_id, bpp}));
    }
    if (const auto* x = std::get_if<sgp::CancelSessionRequestEsipa>(&msg)) {
      der::Writer w;  // ES9+ carries the whole BF41
      w.constructed(der::tag(0xBF41), [&] { w.raw(x->cancel_session_response); });
      auto r = smdp_.cancel_session({x->transaction_id, w.take()});
      if (!r.status.executed()) return out(sgp::CancelSessionResponseEsipa(sgp::CancelSessionErrorEsipa{127}));
      return out(sgp::CancelSessionResponseEsipa(sgp::CancelSessionOkEsipa{}));
    }
    if (const auto* x = std::get_if<sgp::HandleNotificationEsipa>(&msg)) {
      if (const auto* n = std::get_if<sgp::PendingNotification>(x)) {
        ESIMO_CHECK(smdp_.handle_notification({n->der}));
      }
      return Bytes{};
    }
    if (std::holds_alternative<sgp::ProvideEimPackageResult>(msg)) {
      sgp::ProvideEimPackageResultResponse resp;
      resp.kind = sgp::ProvideEimPackageResultResponse::Kind::empty;
      return out(resp);
    }
    return Bytes{};
  }

  template <class T>
  std::vector<T> all() const {
    std::vector<T> v;
    for (const auto& m : received) {
      if (const auto* x = std::get_if<T>(&m)) v.push_back(*x);
    }
    return v;
  }
  std::vector<std::string> errors;

 private:
  Smdp& smdp_;
  sgp::Version version_;
};

sgp::ProfileDownloadTriggerRequest trigger(const std::string& ac) {
  sgp::ProfileDownloadTriggerRequest t;
  t.profile_download_data = sgp::DownloadActivationCode{ac};
  t.eim_transaction_id = Bytes{0x42};
  return t;
}

TEST(IpaDownload, IndirectDownloadInstallsAndReportsTheResult) {
  Lab lab;
  const std::string mid = lab.order();
  RelayEim eim(lab.smdp, sgp::Version::v1_2);
  eim.packages.push_back(trigger(download::format_activation_code(kAddress, mid)));
  IpaOptions o;
  o.clock = &lab.clock;
  Ipa ipa(lab.euicc, eim, o);
  auto report = ipa.poll_until_idle(5);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->downloads, 1u);
  EXPECT_EQ(report->installed_iccids, std::vector<std::string>{kNewIccid});
  EXPECT_TRUE(report->download_errors.empty());
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::installed);
  EXPECT_NE(lab.euicc.find_profile(wire(kNewIccid)), nullptr);
  EXPECT_TRUE(lab.euicc.installation_results().empty());  // delivered
  // The PIR went out as a notification and as the trigger's result (with the eIM transaction id).
  auto notes = eim.all<sgp::HandleNotificationEsipa>();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(std::get<sgp::PendingNotification>(notes[0]).kind, sgp::PendingNotificationKind::profile_installation_result);
  auto results = eim.all<sgp::ProvideEimPackageResult>();
  ASSERT_EQ(results.size(), 1u);
  const auto& t = std::get<sgp::ProfileDownloadTriggerResult>(results[0].result);
  EXPECT_EQ(t.eim_transaction_id, Bytes{0x42});
  const auto& pir = std::get<sgp::PendingNotification>(t.result);
  EXPECT_EQ(pir.metadata->iccid, wire(kNewIccid));
  EXPECT_TRUE(report->idle);
}

TEST(IpaDownload, BadServerSignatureCancelsTheSessionAndReportsAnError) {
  Lab lab;
  const std::string mid = lab.order();
  // An SM-DP+ whose DPauth key does not match its certificate: serverSignature1 cannot verify.
  SmdpIdentity id = SmdpIdentity::from_test_pki(pki());
  id.dpauth.key = crypto::PrivateKey::generate();
  Smdp bad(id, SmdpOptions{kAddress}, lab.clock);
  ProfileOrder order{mid, domain::Iccid::parse(kNewIccid).value()};
  ASSERT_TRUE(bad.prepare_profile(order).ok());
  RelayEim eim(bad, sgp::Version::v1_2);
  eim.packages.push_back(trigger(download::format_activation_code(kAddress, mid)));
  IpaOptions o;
  o.clock = &lab.clock;
  Ipa ipa(lab.euicc, eim, o);
  auto report = ipa.poll_until_idle(5);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->download_errors.size(), 1u);
  EXPECT_NE(report->download_errors[0].find("invalidSignature"), std::string::npos) << report->download_errors[0];
  EXPECT_EQ(eim.all<sgp::CancelSessionRequestEsipa>().size(), 1u);
  EXPECT_EQ(bad.active_sessions(), 0u);
  auto results = eim.all<sgp::ProvideEimPackageResult>();
  ASSERT_EQ(results.size(), 1u);
  const auto& t = std::get<sgp::ProfileDownloadTriggerResult>(results[0].result);
  const auto& err = std::get<sgp::ProfileDownloadError>(t.result);
  EXPECT_EQ(err.profile_download_error_reason, 127);
  ASSERT_TRUE(err.error_response.has_value());  // the eUICC's AuthenticateServerResponse error
  EXPECT_EQ(lab.euicc.find_profile(wire(kNewIccid)), nullptr);
}

TEST(IpaDownload, UnknownMatchingIdAndFullEuiccEndInNamedFailures) {
  Lab lab;
  RelayEim eim(lab.smdp, sgp::Version::v1_2);
  eim.packages.push_back(trigger(download::format_activation_code(kAddress, "UNKNOWN")));
  IpaOptions o;
  o.clock = &lab.clock;
  Ipa ipa(lab.euicc, eim, o);
  auto report = ipa.poll_until_idle(5);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->download_errors.size(), 1u);
  EXPECT_NE(report->download_errors[0].find("authenticateClient"), std::string::npos);
  ASSERT_EQ(eim.errors.size(), 1u);
  EXPECT_NE(eim.errors[0].find("matchingIdRefused"), std::string::npos);
  EXPECT_EQ(lab.euicc.download_session(), nullptr);

  for (std::size_t i = lab.euicc.profiles().size(); i < SoftwareEuicc::kMaxProfiles; ++i) {
    const std::string payload = "89440000000001" + std::to_string(10000 + i);
    ASSERT_TRUE(lab.euicc.add_profile(ProfileSpec{domain::Iccid::from_payload(payload).value()}).ok());
  }
  const std::string mid = lab.order();
  eim.packages.push_back(trigger(download::format_activation_code(kAddress, mid)));
  auto full = ipa.poll_until_idle(5);
  ASSERT_TRUE(full.ok()) << full.error().message;
  ASSERT_EQ(full->download_errors.size(), 1u);
  EXPECT_NE(full->download_errors[0].find("installFailedDueToInsufficientMemoryForProfile"), std::string::npos);
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::released);
}

TEST(IpaDownload, ConfirmationCodeFromTheEimAndVersion10) {
  Lab lab;
  lab.euicc = [] {
    auto e = make_euicc(sgp::Version::v1_0);
    e.set_trusted_ci(pki().ci.certificate);
    return e;
  }();
  const std::string mid = lab.order(std::string("4321"));
  RelayEim eim(lab.smdp, sgp::Version::v1_0);
  eim.confirmation_code = "4321";
  sgp::ProfileDownloadTriggerRequest t;
  t.profile_download_data = sgp::DownloadActivationCode{download::format_activation_code(kAddress, mid)};
  eim.packages.push_back(t);
  IpaOptions o;
  o.clock = &lab.clock;
  Ipa ipa(lab.euicc, eim, o);
  auto report = ipa.poll_until_idle(5);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->installed_iccids, std::vector<std::string>{kNewIccid});
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::installed);
  // v1.0: no eimTransactionId anywhere.
  auto init = eim.all<sgp::InitiateAuthenticationRequestEsipa>();
  ASSERT_EQ(init.size(), 1u);
  EXPECT_FALSE(init[0].eim_transaction_id.has_value());
}

TEST(IpaDownload, UndecodableBppIsCancelledWithLoadBppExecutionError) {
  Lab lab;
  const std::string mid = lab.order();
  RelayEim eim(lab.smdp, sgp::Version::v1_2);
  eim.corrupt_bpp = true;
  eim.packages.push_back(trigger(download::format_activation_code(kAddress, mid)));
  IpaOptions o;
  o.clock = &lab.clock;
  Ipa ipa(lab.euicc, eim, o);
  auto report = ipa.poll_until_idle(5);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->download_errors.size(), 1u);
  EXPECT_NE(report->download_errors[0].find("could not load the bound profile package"), std::string::npos);
  auto cancels = eim.all<sgp::CancelSessionRequestEsipa>();
  ASSERT_EQ(cancels.size(), 1u);
  auto resp = rsp::decode_cancel_session_response_alternative(cancels[0].cancel_session_response);
  ASSERT_TRUE(resp.ok()) << resp.error().message;
  const auto* ok = std::get_if<rsp::CancelSessionResponseOk>(&*resp);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->signed_data.reason, 5);  // loadBppExecutionError
  EXPECT_EQ(lab.smdp.active_sessions(), 0u);
  EXPECT_EQ(lab.smdp.order(mid)->state, OrderState::released);
  EXPECT_EQ(lab.euicc.download_session(), nullptr);
  // A retried download then succeeds with the same activation code.
  eim.corrupt_bpp = false;
  eim.packages.push_back(trigger(download::format_activation_code(kAddress, mid)));
  auto again = ipa.poll_until_idle(5);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->installed_iccids, std::vector<std::string>{kNewIccid});
}

}  // namespace esimo::twin::download_tests
