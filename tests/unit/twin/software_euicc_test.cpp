#include "twin/software_euicc.hpp"

#include <gtest/gtest.h>

#include "twin_test_util.hpp"

namespace esimo::twin::euicc_tests {

using namespace esimo::twin::testing;  // NOLINT(google-build-using-namespace): test file
using K = sgp::EuiccResultKind;

class Versions : public ::testing::TestWithParam<sgp::Version> {};
INSTANTIATE_TEST_SUITE_P(Both, Versions, ::testing::Values(sgp::Version::v1_2, sgp::Version::v1_0),
                         [](const auto& info) { return info.param == sgp::Version::v1_2 ? "v1_2" : "v1_0"; });

TEST_P(Versions, EnableDisablesTheEnabledProfileAndQueuesNotifications) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  auto r = run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{0});
  EXPECT_EQ(signed_result(r).data.euicc_result[0].kind, K::enable);
  ASSERT_NE(e.enabled_profile(), nullptr);
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid2);
  ASSERT_EQ(e.pending_notifications().size(), 2u);
  EXPECT_EQ(e.pending_notifications()[0].event, NotificationEvent::disable);
  EXPECT_EQ(iccid_text(e.pending_notifications()[0].iccid), kIccid1);
  EXPECT_EQ(e.pending_notifications()[1].event, NotificationEvent::enable);
  EXPECT_LT(e.pending_notifications()[0].seq_number, e.pending_notifications()[1].seq_number);
  // The result's seqNumber follows the notifications in the same sequence space.
  EXPECT_GT(signed_result(r).data.seq_number, e.pending_notifications()[1].seq_number);
  EXPECT_EQ(signed_result(r).data.eim_id, "eim-1");
  EXPECT_EQ(signed_result(r).data.counter_value, 1u);
  EXPECT_EQ(signed_result(r).data.eim_transaction_id, Bytes{0x01});
}

TEST_P(Versions, ProfileRules) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid1)}})), std::vector<std::int64_t>{2});
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoDisable{wire(kIccid2)}})), std::vector<std::int64_t>{2});
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoDelete{wire(kIccid1)}})), std::vector<std::int64_t>{2});
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccidUnknown)}})), std::vector<std::int64_t>{1});
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoDisable{wire(kIccidUnknown)}})), std::vector<std::int64_t>{1});
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoDelete{wire(kIccidUnknown)}})), std::vector<std::int64_t>{1});
  EXPECT_EQ(e.profiles().size(), 2u);
  EXPECT_TRUE(e.pending_notifications().empty());
  // Disable then delete works; a package stops at its first failure.
  auto r = run(
      e, eim,
      sgp::PsmoList{sgp::PsmoDelete{wire(kIccid2)}, sgp::PsmoDelete{wire(kIccid2)}, sgp::PsmoDisable{wire(kIccid1)}});
  EXPECT_EQ(codes(r), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(e.profiles().size(), 1u);
  ASSERT_NE(e.enabled_profile(), nullptr);  // the disable after the failure did not run
  r = run(e, eim, sgp::PsmoList{sgp::PsmoDisable{wire(kIccid1)}, sgp::PsmoDelete{wire(kIccid1)}});
  EXPECT_EQ(codes(r), (std::vector<std::int64_t>{0, 0}));
  EXPECT_TRUE(e.profiles().empty());
  ASSERT_EQ(e.pending_notifications().size(), 3u);
  EXPECT_EQ(e.pending_notifications()[0].event, NotificationEvent::del);
  EXPECT_EQ(e.pending_notifications()[2].event, NotificationEvent::del);
}

TEST_P(Versions, ListProfileInfoGetRatConfigureImmediateEnable) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  auto r = run(e, eim, sgp::PsmoList{sgp::PsmoListProfileInfo{}, sgp::PsmoGetRat{}});
  const auto& res = signed_result(r).data.euicc_result;
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0].kind, K::list_profile_info);
  ASSERT_EQ(res[0].profiles.size(), 2u);
  EXPECT_EQ(res[0].profiles[0].iccid, wire(kIccid1));
  EXPECT_EQ(res[0].profiles[0].profile_state, 1);
  EXPECT_EQ(res[0].profiles[0].profile_nickname, "first");
  EXPECT_EQ(res[0].profiles[0].service_provider_name, "Carrier A");
  EXPECT_EQ(res[0].profiles[1].profile_state, 0);
  EXPECT_EQ(res[0].profiles[1].isdp_aid->size(), 16u);
  EXPECT_EQ(res[1].kind, K::get_rat);
  EXPECT_EQ(res[1].code, 0);

  sgp::PsmoListProfileInfo by_iccid;
  by_iccid.search_iccid = wire(kIccid2);
  r = run(e, eim, sgp::PsmoList{by_iccid});
  ASSERT_EQ(signed_result(r).data.euicc_result[0].profiles.size(), 1u);
  EXPECT_EQ(signed_result(r).data.euicc_result[0].profiles[0].iccid, wire(kIccid2));

  sgp::PsmoConfigureImmediateEnable cie{true, "1.2.3.4", "smdp.example.test"};
  r = run(e, eim, sgp::PsmoList{cie});
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{0});
  EXPECT_EQ(signed_result(r).data.euicc_result[0].kind, K::configure_immediate_enable);
  EXPECT_TRUE(e.immediate_enable().immediate_enable_flag);
  EXPECT_EQ(e.immediate_enable().default_smdp_address, "smdp.example.test");
}

TEST(SoftwareEuicc, SetDefaultDpAddressV12) {
  auto e = make_euicc();
  EimSide eim;
  auto r = run(e, eim, sgp::PsmoList{sgp::PsmoSetDefaultDpAddress{"dp.example.test"}});
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{0});
  EXPECT_EQ(signed_result(r).data.euicc_result[0].kind, K::set_default_dp_address);
  EXPECT_EQ(e.default_dp_address(), "dp.example.test");
}

TEST(SoftwareEuicc, FallbackAttributeRulesV12) {
  auto e = make_euicc();
  EimSide eim;
  using L = sgp::PsmoList;
  // Unset when no profile has it -> noFallbackAttribute(2).
  EXPECT_EQ(codes(run(e, eim, L{sgp::PsmoUnsetFallbackAttribute{}})), std::vector<std::int64_t>{2});
  // Unknown ICCID -> 1; the enabled profile -> fallbackProfileEnabled(3).
  EXPECT_EQ(codes(run(e, eim, L{sgp::PsmoSetFallbackAttribute{wire(kIccidUnknown)}})), std::vector<std::int64_t>{1});
  EXPECT_EQ(codes(run(e, eim, L{sgp::PsmoSetFallbackAttribute{wire(kIccid1)}})), std::vector<std::int64_t>{3});
  auto r = run(e, eim, L{sgp::PsmoSetFallbackAttribute{wire(kIccid2)}});
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{0});
  EXPECT_EQ(signed_result(r).data.euicc_result[0].kind, K::set_fallback_attribute);
  EXPECT_TRUE(e.find_profile(wire(kIccid2))->fallback_attribute);
  // ListProfileInfo shows it (v1.2).
  r = run(e, eim, L{sgp::PsmoListProfileInfo{}});
  EXPECT_EQ(signed_result(r).data.euicc_result[0].profiles[1].fallback_attribute, true);

  // Fallback: the device switches to the fallback profile by itself.
  ASSERT_TRUE(e.fallback().ok());
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid2);
  EXPECT_TRUE(e.state_change().notify);
  EXPECT_EQ(e.state_change().cause, 1);  // StateChangeCause fallback
  EXPECT_FALSE(e.fallback().ok());       // already on the fallback profile
  // While fallback is active: no unset (3), no move (3), no delete of the profile to return to (21).
  EXPECT_EQ(codes(run(e, eim, L{sgp::PsmoUnsetFallbackAttribute{}})), std::vector<std::int64_t>{3});
  EXPECT_EQ(codes(run(e, eim, L{sgp::PsmoSetFallbackAttribute{wire(kIccid1)}})), std::vector<std::int64_t>{3});
  r = run(e, eim, L{sgp::PsmoDelete{wire(kIccid1)}});
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{21});
  // The eIM enables the normal profile again; the attribute can then be unset.
  EXPECT_EQ(codes(run(e, eim, L{sgp::PsmoEnable{wire(kIccid1)}, sgp::PsmoUnsetFallbackAttribute{}})),
            (std::vector<std::int64_t>{0, 0}));
  EXPECT_FALSE(e.find_profile(wire(kIccid2))->fallback_attribute);
}

TEST(SoftwareEuicc, FallbackNotAllowedByProfileOwner) {
  auto e = make_euicc();
  ProfileSpec p3{domain::Iccid::parse(kIccid3).value(), false};
  p3.fallback_allowed = false;
  ASSERT_TRUE(e.add_profile(p3).ok());
  EimSide eim;
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoSetFallbackAttribute{wire(kIccid3)}})),
            std::vector<std::int64_t>{2});
  EXPECT_FALSE(e.fallback().ok());  // no fallback profile
}

TEST(SoftwareEuicc, FallbackAbsentInV10) {
  auto e = make_euicc(sgp::Version::v1_0);
  EXPECT_EQ(e.fallback().error().code, Errc::unsupported);
  // A v1.0 eIM cannot even encode the v1.2-only PSMOs.
  sgp::EuiccPackageSigned s;
  s.eim_id = "eim-1";
  s.eid = wire(kIccid1);
  s.eid.resize(16);
  s.counter_value = 1;
  s.euicc_package = sgp::PsmoList{sgp::PsmoSetFallbackAttribute{wire(kIccid2)}};
  EXPECT_EQ(sgp::encode_euicc_package_signed(s, sgp::Version::v1_0).error().code, Errc::unsupported);
  s.euicc_package = sgp::PsmoList{sgp::PsmoUnsetFallbackAttribute{}};
  EXPECT_EQ(sgp::encode_euicc_package_signed(s, sgp::Version::v1_0).error().code, Errc::unsupported);
  // A v1.2 package carrying one does not decode on a v1.0 eUICC: an error, nothing runs, the counter is untouched.
  EimSide eim12;
  auto bytes = eim12.package(sgp::PsmoList{sgp::PsmoSetFallbackAttribute{wire(kIccid2)}});
  EXPECT_FALSE(e.execute_package(bytes).ok());
  EXPECT_EQ(e.find_eim("eim-1")->counter_value, 0u);
  ProfileSpec p{domain::Iccid::parse(kIccid3).value(), false};
  p.fallback_attribute = true;
  EXPECT_EQ(e.add_profile(p).error().code, Errc::unsupported);
}

TEST_P(Versions, ReplayInvalidEidAndCounter) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  EXPECT_EQ(codes(run(e, eim, sgp::PsmoList{sgp::PsmoGetRat{}}, 5)), std::vector<std::int64_t>{0});
  for (std::uint64_t c : {5u, 4u}) {
    auto r = run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}}, c);
    const auto* err = std::get_if<sgp::EuiccPackageErrorSigned>(&r);
    ASSERT_NE(err, nullptr);
    EXPECT_EQ(err->data.euicc_package_error_code, 4);  // replayError
    EXPECT_EQ(err->data.counter_value, c);
  }
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid1);
  EXPECT_EQ(e.find_eim("eim-1")->counter_value, 5u);

  eim.eid = [] {
    auto a = other_eid().to_bytes();
    return Bytes(a.begin(), a.end());
  }();
  auto r = run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}}, 6);
  const auto* err = std::get_if<sgp::EuiccPackageErrorSigned>(&r);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->data.euicc_package_error_code, 3);  // invalidEid
  EXPECT_EQ(e.find_eim("eim-1")->counter_value, 5u);
  // The error is signed by the eUICC over DER(errorDataSigned) || eimSignature object.
  EXPECT_TRUE(
      crypto::verify_raw(e.public_key(), with_signature_object(err->data_der, eim.last_signature), err->euicc_sign_epe)
          .ok());
}

TEST_P(Versions, UnauthenticatedEimGetsAnUnsignedError) {
  auto e = make_euicc(GetParam());
  // Wrong key.
  const crypto::PrivateKey other = crypto::PrivateKey::generate();
  EimSide bad{GetParam()};
  bad.key = &other;
  auto r = run(e, bad, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  const auto* u = std::get_if<sgp::EuiccPackageErrorUnsigned>(&r);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->eim_id, "eim-1");
  EXPECT_EQ(u->association_token, 1);
  EXPECT_EQ(u->eim_transaction_id.has_value(), GetParam() == sgp::Version::v1_2);
  // Wrong association token in the signed data.
  EimSide wrong_token{GetParam()};
  wrong_token.association_token = 2;
  EXPECT_TRUE(std::holds_alternative<sgp::EuiccPackageErrorUnsigned>(
      run(e, wrong_token, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}})));
  // Unknown eimId.
  EimSide unknown{GetParam()};
  unknown.eim_id = "eim-9";
  r = run(e, unknown, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  u = std::get_if<sgp::EuiccPackageErrorUnsigned>(&r);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->eim_id, "eim-9");
  EXPECT_FALSE(u->association_token.has_value());
  // Nothing changed.
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid1);
  EXPECT_EQ(e.find_eim("eim-1")->counter_value, 0u);
  EXPECT_TRUE(e.pending_notifications().empty());
  // Garbage is an error, not a result.
  EXPECT_FALSE(e.execute_package(Bytes{0xBF, 0x51, 0x01}).ok());
}

TEST_P(Versions, ResultSignatureVerifiesUpToTheCi) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  auto r = run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  const auto& s = signed_result(r);
  auto euicc_cert = crypto::Certificate::from_der(e.euicc_certificate_der()).value();
  auto eum_cert = crypto::Certificate::from_der(e.eum_certificate_der()).value();
  const Bytes signed_data = with_signature_object(s.data_der, eim.last_signature);
  EXPECT_TRUE(crypto::verify_raw(euicc_cert.public_key(), signed_data, s.euicc_sign_epr).ok());
  // Not over the data alone, nor with another eimSignature.
  EXPECT_FALSE(crypto::verify_raw(euicc_cert.public_key(), s.data_der, s.euicc_sign_epr).ok());
  crypto::TrustStore trust(std::vector<crypto::Certificate>{pki().ci.certificate});
  const crypto::Certificate intermediates[] = {eum_cert};
  EXPECT_TRUE(trust.verify(euicc_cert, intermediates, test_now()).ok());
}

TEST_P(Versions, EimConfigurationOperations) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  const crypto::PrivateKey key2 = crypto::PrivateKey::generate();
  // addEim without a token: the eUICC generates one and returns it.
  auto r = run(e, eim, sgp::EcoList{sgp::EcoAddEim{eim_config("eim-2", std::nullopt, &key2)}});
  const auto& add = signed_result(r).data.euicc_result.at(0);
  EXPECT_EQ(add.kind, K::add_eim);
  ASSERT_TRUE(add.association_token.has_value());
  EXPECT_EQ(*add.association_token, 2);
  EXPECT_EQ(e.find_eim("eim-2")->association_token, 2);
  // With a token: kept, addEimResultCode ok.
  r = run(e, eim, sgp::EcoList{sgp::EcoAddEim{eim_config("eim-3", 77)}});
  EXPECT_FALSE(signed_result(r).data.euicc_result.at(0).association_token.has_value());
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{0});
  EXPECT_EQ(e.find_eim("eim-3")->association_token, 77);
  // Duplicate -> associatedEimAlreadyExists(2).
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoAddEim{eim_config("eim-2")}})), std::vector<std::int64_t>{2});
  // The new eIM can now manage the eUICC with its own key, counter and token.
  EimSide eim2{GetParam(), "eim-2", 2};
  eim2.key = &key2;
  EXPECT_EQ(codes(run(e, eim2, sgp::PsmoList{sgp::PsmoGetRat{}})), std::vector<std::int64_t>{0});
  // listEim.
  r = run(e, eim, sgp::EcoList{sgp::EcoListEim{}});
  ASSERT_EQ(signed_result(r).data.euicc_result.at(0).eims.size(), 3u);
  EXPECT_EQ(signed_result(r).data.euicc_result.at(0).eims[1].eim_id, "eim-2");
  // updateEim: new FQDN and a higher counter; a lower counter -> counterValueOutOfRange(6); unknown -> eimNotFound(1).
  auto upd = eim_config("eim-3");
  upd.eim_fqdn = "new.example.test";
  upd.counter_value = 10;
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoUpdateEim{upd}})), std::vector<std::int64_t>{0});
  EXPECT_EQ(e.find_eim("eim-3")->data.eim_fqdn, "new.example.test");
  EXPECT_EQ(e.find_eim("eim-3")->counter_value, 10u);
  EXPECT_EQ(e.find_eim("eim-3")->association_token, 77);
  upd.counter_value = 3;
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoUpdateEim{upd}})), std::vector<std::int64_t>{6});
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoUpdateEim{eim_config("eim-9")}})), std::vector<std::int64_t>{1});
  // deleteEim: unknown -> 1; others -> 0; the last one -> lastEimDeleted(2).
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoDeleteEim{"eim-9"}})), std::vector<std::int64_t>{1});
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoDeleteEim{"eim-2"}, sgp::EcoDeleteEim{"eim-3"}})),
            (std::vector<std::int64_t>{0, 0}));
  r = run(e, eim, sgp::EcoList{sgp::EcoDeleteEim{"eim-1"}});
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{2});
  EXPECT_TRUE(e.eim_configs().empty());
}

TEST(SoftwareEuicc, AddEimWithForeignCiIsRefused) {
  auto e = make_euicc();
  EimSide eim;
  auto cfg = eim_config("eim-2");
  cfg.euicc_ci_pkid = Bytes(20, 0xAB);
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoAddEim{cfg}})), std::vector<std::int64_t>{3});  // ciPKUnknown
  auto nokey = eim_config("eim-2");
  nokey.eim_public_key.reset();
  EXPECT_EQ(codes(run(e, eim, sgp::EcoList{sgp::EcoAddEim{nokey}})), std::vector<std::int64_t>{7});  // commandError
}

TEST(SoftwareEuicc, PersonalisationRefusesDuplicatesAndBadKeys) {
  auto e = make_euicc();
  sgp::AddInitialEimRequest dup;
  dup.eim_configuration_data_list.push_back(eim_config("eim-1"));
  EXPECT_EQ(e.add_initial_eim(dup).error().code, Errc::already_exists);
  sgp::AddInitialEimRequest bad_key;
  bad_key.eim_configuration_data_list.push_back(eim_config("eim-2"));
  bad_key.eim_configuration_data_list.back().eim_public_key = Bytes{0x30, 0x00};
  EXPECT_FALSE(e.add_initial_eim(bad_key).ok());
  EXPECT_EQ(e.eim_configs().size(), 1u);
  // The DER form (BF57) works too and keeps a given token.
  sgp::AddInitialEimRequest ok;
  ok.eim_configuration_data_list.push_back(eim_config("eim-2", 42));
  auto tokens = e.add_initial_eim_der(sgp::encode(ok, sgp::Version::v1_2).value());
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  EXPECT_EQ(*tokens, std::vector<std::int64_t>{42});
}

TEST(SoftwareEuicc, CreateChecksKeyCertificateAndEid) {
  auto kc = crypto::make_test_euicc(pki(), test_eid().str(), test_now()).value();
  auto wrong_key = SoftwareEuicc::create(
      {test_eid(), sgp::Version::v1_2, crypto::PrivateKey::generate(), kc.certificate, pki().eum.certificate});
  EXPECT_EQ(wrong_key.error().field, "euicc_key");
  auto wrong_eid =
      SoftwareEuicc::create({other_eid(), sgp::Version::v1_2, kc.key, kc.certificate, pki().eum.certificate});
  EXPECT_EQ(wrong_eid.error().field, "euicc_certificate");
  auto wrong_eum =
      SoftwareEuicc::create({test_eid(), sgp::Version::v1_2, kc.key, kc.certificate, pki().ci.certificate});
  EXPECT_EQ(wrong_eum.error().field, "eum_certificate");
}

TEST_P(Versions, NotificationsAreSignedAndRemovedWhenAcknowledged) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  auto notes = e.signed_notifications();
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 2u);
  for (const auto& n : *notes) {
    // It goes through the sgp codec (decodes its metadata) inside a HandleNotificationEsipa.
    auto bytes = sgp::encode(sgp::EsipaMessageFromIpaToEim(sgp::HandleNotificationEsipa(n)), GetParam());
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    auto back = sgp::decode_ipa_to_eim(*bytes, GetParam());
    ASSERT_TRUE(back.ok()) << back.error().message;
    const auto& pn = std::get<sgp::PendingNotification>(std::get<sgp::HandleNotificationEsipa>(*back));
    ASSERT_TRUE(pn.metadata.has_value());
    EXPECT_EQ(pn.metadata->seq_number, n.metadata->seq_number);
    EXPECT_EQ(pn.metadata->profile_management_operation, n.metadata->profile_management_operation);
    EXPECT_EQ(pn.metadata->iccid, n.metadata->iccid);
    // euiccNotificationSignature covers tbsOtherNotification (the BF2F TLV).
    der::Reader r = der::read_single(n.der).value().children();
    const der::Tlv meta = r.next().value();
    const der::Tlv sig = r.next().value();
    EXPECT_TRUE(crypto::verify_raw(e.public_key(), meta.raw, sig.value).ok());
  }
  EXPECT_EQ((*notes)[0].metadata->profile_management_operation, 1u << 2);  // disable
  EXPECT_EQ((*notes)[1].metadata->profile_management_operation, 1u << 1);  // enable
  const std::int64_t first = (*notes)[0].metadata->seq_number;
  const std::int64_t result_seq = e.stored_results().back().seq_number;
  const std::int64_t acks[] = {first, result_seq};
  e.acknowledge(acks);
  ASSERT_EQ(e.pending_notifications().size(), 1u);
  EXPECT_EQ(e.pending_notifications()[0].seq_number, (*notes)[1].metadata->seq_number);
  EXPECT_TRUE(e.stored_results().empty());
  e.remove_notification((*notes)[1].metadata->seq_number);
  EXPECT_TRUE(e.pending_notifications().empty());
}

TEST_P(Versions, IpaEuiccDataAnswersTheTagList) {
  auto e = make_euicc(GetParam());
  const bool v12 = GetParam() == sgp::Version::v1_2;
  EimSide eim{GetParam()};
  run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  sgp::IpaEuiccDataRequest req;
  req.tag_list = v12 ? Bytes{0x84, 0xA5, 0xA6, 0xBF, 0x20, 0xBF, 0x22, 0xA0, 0xA2, 0x81}
                     : Bytes{0x84, 0xA5, 0xA6, 0xBF, 0x20, 0xBF, 0x22, 0xBF, 0x2B};
  if (v12) req.eim_transaction_id = Bytes{0x07};
  auto resp = e.ipa_euicc_data(req, "eim-1");
  const auto* d = std::get_if<sgp::IpaEuiccData>(&resp);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->association_token, 1);
  EXPECT_EQ(d->eum_certificate, pki().eum.certificate.der());
  EXPECT_EQ(d->euicc_certificate, e.euicc_certificate_der());
  ASSERT_TRUE(d->euicc_info1 && d->euicc_info2);
  ASSERT_TRUE(d->notifications_list.has_value());
  EXPECT_EQ(d->notifications_list->size(), 2u);
  if (v12) {
    ASSERT_TRUE(d->euicc_package_result_list.has_value());
    EXPECT_EQ(d->euicc_package_result_list->size(), 1u);
    EXPECT_EQ(d->eim_transaction_id, Bytes{0x07});
  }
  // The whole answer encodes and decodes inside a ProvideEimPackageResult.
  sgp::ProvideEimPackageResult p;
  if (v12) {
    auto a = test_eid().to_bytes();
    p.eid = Bytes(a.begin(), a.end());
  }
  p.result = resp;
  auto bytes = sgp::encode(sgp::EsipaMessageFromIpaToEim(p), GetParam());
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  auto back = sgp::decode_ipa_to_eim(*bytes, GetParam());
  ASSERT_TRUE(back.ok()) << back.error().message;
  const auto& bd = std::get<sgp::IpaEuiccData>(
      std::get<sgp::IpaEuiccDataResponse>(std::get<sgp::ProvideEimPackageResult>(*back).result));
  EXPECT_EQ(bd.association_token, 1);
  EXPECT_EQ(bd.euicc_certificate, e.euicc_certificate_der());
  EXPECT_EQ(bd.notifications_list->size(), 2u);

  // Only what is asked; search criteria filter notifications.
  sgp::IpaEuiccDataRequest only_token;
  only_token.tag_list = Bytes{0x84};
  auto r2 = std::get<sgp::IpaEuiccData>(e.ipa_euicc_data(only_token));
  EXPECT_EQ(r2.association_token, 1);
  EXPECT_FALSE(r2.euicc_certificate.has_value());
  EXPECT_FALSE(r2.notifications_list.has_value());
  sgp::IpaEuiccDataRequest enables;
  enables.tag_list = v12 ? Bytes{0xA0} : Bytes{0xBF, 0x2B};
  enables.search_notification_operation = 1u << 1;
  auto r3 = std::get<sgp::IpaEuiccData>(e.ipa_euicc_data(enables));
  ASSERT_EQ(r3.notifications_list->size(), 1u);
  EXPECT_EQ((*r3.notifications_list)[0].metadata->profile_management_operation, 1u << 1);

  // Errors: a malformed tag list, an unknown CI.
  sgp::IpaEuiccDataRequest bad;
  bad.tag_list = Bytes{0xBF};
  EXPECT_EQ(std::get<sgp::IpaEuiccDataError>(e.ipa_euicc_data(bad)).code, 1);
  sgp::IpaEuiccDataRequest ci;
  ci.tag_list = Bytes{0x84};
  ci.euicc_ci_pkid = Bytes{0x01, 0x02};
  EXPECT_EQ(std::get<sgp::IpaEuiccDataError>(e.ipa_euicc_data(ci)).code, 5);
}

TEST_P(Versions, RollbackReturnsToThePreviousProfile) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  EXPECT_FALSE(e.rollback().ok());  // nothing pending
  auto r = run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2), true}});
  EXPECT_EQ(codes(r), std::vector<std::int64_t>{0});
  EXPECT_TRUE(e.rollback_pending());
  const std::int64_t first_seq = signed_result(r).data.seq_number;
  ASSERT_TRUE(e.rollback().ok());
  EXPECT_FALSE(e.rollback_pending());
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid1);
  EXPECT_TRUE(e.state_change().notify);
  EXPECT_FALSE(e.state_change().cause.has_value());
  // The stored result became the package's result with rollbackResult ok appended, newly sequenced and signed.
  ASSERT_EQ(e.stored_results().size(), 1u);
  const auto& stored = e.stored_results()[0];
  EXPECT_GT(stored.seq_number, first_seq);
  EXPECT_FALSE(stored.delivered);
  auto decoded = sgp::decode_euicc_package_result(stored.der, GetParam()).value();
  const auto& s = signed_result(decoded);
  ASSERT_EQ(s.data.euicc_result.size(), 2u);
  EXPECT_EQ(s.data.euicc_result[1].kind, K::rollback);
  EXPECT_EQ(s.data.euicc_result[1].code, 0);
  EXPECT_TRUE(
      crypto::verify_raw(e.public_key(), with_signature_object(s.data_der, eim.last_signature), s.euicc_sign_epr).ok());
  // Two enables with rollbackFlag in one package: the second -> rollbackNotAvailable(20).
  r = run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2), true}, sgp::PsmoEnable{wire(kIccid1), true}});
  EXPECT_EQ(codes(r), (std::vector<std::int64_t>{0, 20}));
  // A later package proves connectivity: no rollback any more.
  run(e, eim, sgp::PsmoList{sgp::PsmoGetRat{}});
  EXPECT_FALSE(e.rollback_pending());
}

TEST(SoftwareEuicc, ProfileSpecsFromTheCommandLine) {
  auto s = parse_profile_spec("8944000000000000019@234-15:enabled");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->iccid.str(), kIccid1);
  EXPECT_TRUE(s->enabled);
  ASSERT_TRUE(s->home_plmn.has_value());
  EXPECT_EQ(s->home_plmn->str(), "234-15");
  s = parse_profile_spec("8944000000000000027");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->enabled);
  EXPECT_FALSE(s->home_plmn.has_value());
  EXPECT_NE(parse_profile_spec("8944000000000000027:on").error().message.find(":enabled"), std::string::npos);
  EXPECT_FALSE(parse_profile_spec("8944000000000000028").ok());  // Luhn
  EXPECT_FALSE(parse_profile_spec("8944000000000000027@2341").ok());
}

TEST(SoftwareEuicc, CreateWithTestPki) {
  auto e = SoftwareEuicc::create_with_test_pki(pki(), test_eid(), sgp::Version::v1_0, test_now());
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->version(), sgp::Version::v1_0);
  auto cert = crypto::Certificate::from_der(e->euicc_certificate_der()).value();
  EXPECT_EQ(cert.subject_serial_number(), test_eid().str());
  EXPECT_EQ(e->eum_certificate_der(), pki().eum.certificate.der());
}

TEST(SoftwareEuicc, EveryTruncationOfAPackageIsAnErrorAndChangesNothing) {
  auto e = make_euicc();
  EimSide eim;
  const Bytes good = eim.package(sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = e.execute_package(ByteView(good.data(), n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes";
  }
  Bytes flipped = good;
  flipped[flipped.size() / 2] ^= 0x01;  // still DER perhaps, but the signature no longer matches
  auto r = e.execute_package(flipped);
  if (r.ok()) {
    EXPECT_FALSE(std::holds_alternative<sgp::EuiccPackageResultSigned>(
        sgp::decode_euicc_package_result(*r, sgp::Version::v1_2).value()));
  }
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid1);
  EXPECT_EQ(e.find_eim("eim-1")->counter_value, 0u);
  EXPECT_TRUE(e.pending_notifications().empty());
  // The intact package still runs.
  ASSERT_TRUE(e.execute_package(good).ok());
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid2);
}

}  // namespace esimo::twin::euicc_tests
