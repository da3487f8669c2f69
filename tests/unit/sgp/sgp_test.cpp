// Byte layouts checked by hand against the ASN.1 (SGP.32 v1.2 / v1.0 modules), error paths and version rules.
#include <gtest/gtest.h>

#include "corpus.hpp"
#include "sgp/codec.hpp"

namespace esimo::sgp::testing {
namespace {

const std::string kEid = "89049032123451234512345678901235";
Bytes hex(std::string_view h) { return from_hex(h).value(); }
// tag_hex + minimal length + contents, for hand-written malformed inputs.
std::string tlv(const std::string& tag_hex, const std::string& contents_hex) {
  const std::size_t n = hex(contents_hex).size();
  std::string len;
  if (n < 0x80) {
    len = to_hex(Bytes{static_cast<std::uint8_t>(n)});
  } else {
    len = "81" + to_hex(Bytes{static_cast<std::uint8_t>(n)});
  }
  return tag_hex + len + contents_hex;
}
std::string sig64(std::uint8_t fill) { return to_hex(sample_signature(fill)); }

TEST(SgpLayout, GetEimPackageRequestV12) {
  // [79] SEQUENCE: 5A eidValue, [0] NULL notifyStateChange, [1] stateChangeCause, [2] rPLMN.
  GetEimPackageRequest g{sample_eid(), true, 1, Bytes{0x13, 0xF0, 0x01}};
  auto der = encode(EsipaMessageFromIpaToEim(g), Version::v1_2);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf4f1c5a10" + kEid + "8000810101820313f001");
}

TEST(SgpLayout, GetEimPackageRequestV10MovesRplmnToTag81AndHasNoCause) {
  GetEimPackageRequest g{sample_eid(), true, std::nullopt, Bytes{0x13, 0xF0, 0x01}};
  auto der = encode(EsipaMessageFromIpaToEim(g), Version::v1_0);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf4f195a10" + kEid + "8000810313f001");
  g.state_change_cause = 1;
  auto bad = encode(EsipaMessageFromIpaToEim(g), Version::v1_0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::unsupported);
  // A v1.2 request (with [1] cause and [2] rPLMN) read as v1.0: [1] must be 3 octets -> error names the field.
  auto v12 = hex("bf4f1c5a10" + kEid + "8000810101820313f001");
  auto r = decode_ipa_to_eim(v12, Version::v1_0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "esipaMessageFromIpaToEim.getEimPackageRequest.rPLMN");
}

TEST(SgpLayout, NoEimPackageAvailable) {
  // [79] on the CHOICE GetEimPackageResponse is explicit: BF4F { INTEGER 1 }.
  auto der = encode(EsipaMessageFromEimToIpa(GetEimPackageResponse(EimPackageError{1})), Version::v1_2);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf4f03020101");
}

TEST(SgpLayout, EnablePsmoWithRollback) {
  // BF51 { 30 { 80 eimId, 5A eid, 81 counter, 82 tid, A0 psmoList { A3 enable { 5A iccid, 05 00 rollbackFlag } } },
  //        5F37 signature }. rollbackFlag is a universal NULL: its SEQUENCE has a tagged component, so no automatic
  // tagging applies there.
  EuiccPackageRequest r;
  r.euicc_package_signed.eim_id = "eim";
  r.euicc_package_signed.eid = sample_eid();
  r.euicc_package_signed.counter_value = 7;
  r.euicc_package_signed.eim_transaction_id = Bytes{0x01};
  r.euicc_package_signed.euicc_package = PsmoList{PsmoEnable{sample_iccid(2), true}};
  r.eim_signature = sample_signature(0);
  const std::string signed_hex =
      "302f" "800365696d" "5a10" + kEid + "810107" "820101" "a010" "a30e" "5a0a" + to_hex(sample_iccid(2)) + "0500";
  auto s = encode_euicc_package_signed(r.euicc_package_signed, Version::v1_2);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(to_hex(*s), signed_hex);
  auto der = encode(EsipaMessageFromEimToIpa(GetEimPackageResponse(r)), Version::v1_2);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf4f77" "bf5174" + signed_hex + "5f3740" + sig64(0));
  // v1.0 has the same bytes for this package (transactionId shares tag [2]).
  auto der10 = encode(EsipaMessageFromEimToIpa(GetEimPackageResponse(r)), Version::v1_0);
  ASSERT_TRUE(der10.ok());
  EXPECT_EQ(*der10, *der);
  // The decoder keeps the exact signed bytes for signature verification.
  auto back = decode_eim_to_ipa(*der, Version::v1_2);
  ASSERT_TRUE(back.ok());
  const auto& pkg = std::get<EuiccPackageRequest>(std::get<GetEimPackageResponse>(*back));
  EXPECT_EQ(to_hex(pkg.euicc_package_signed_der), signed_hex);
}

TEST(SgpLayout, ProvideEimPackageResultShapesPerVersion) {
  EuiccPackageResultSigned s;
  s.data.eim_id = "eim";
  s.data.counter_value = 7;
  s.data.eim_transaction_id = Bytes{0x01};
  s.data.seq_number = 1;
  EuiccResultData ok;
  ok.kind = EuiccResultKind::enable;
  s.data.euicc_result = {ok};
  s.euicc_sign_epr = sample_signature(0);
  // BF51 { A0 euiccPackageResultSigned { 30 { 80 eimId, 81 counter, 82 tid, 83 seq, 30 { 83 enableResult 0 } },
  //                                     5F37 } }  -- the EuiccPackageResult alternatives are automatically tagged.
  const std::string epr =
      "bf515a" "a058" "3013" "800365696d" "810107" "820101" "830101" "3003830100" "5f3740" + sig64(0);
  ProvideEimPackageResult p;
  p.eid = sample_eid();
  p.result = EuiccPackageResult(s);
  auto v12 = encode(EsipaMessageFromIpaToEim(p), Version::v1_2);
  ASSERT_TRUE(v12.ok());
  EXPECT_EQ(to_hex(*v12), "bf506f5a10" + kEid + epr);
  p.eid.reset();
  // v1.0: ProvideEimPackageResult is an untagged CHOICE; the [80] of the ESipa wrapper is explicit around it.
  auto v10 = encode(EsipaMessageFromIpaToEim(p), Version::v1_0);
  ASSERT_TRUE(v10.ok());
  EXPECT_EQ(to_hex(*v10), "bf505d" + epr);
  // HandleNotificationEsipa carrying it: v1.2 BF3D { BF50 {...} }, v1.0 BF3D { A1 {...} }.
  auto h12 = encode(EsipaMessageFromIpaToEim(HandleNotificationEsipa(p)), Version::v1_2);
  ASSERT_TRUE(h12.ok());
  EXPECT_EQ(to_hex(*h12), "bf3d60bf505d" + epr);
  auto h10 = encode(EsipaMessageFromIpaToEim(HandleNotificationEsipa(p)), Version::v1_0);
  ASSERT_TRUE(h10.ok());
  EXPECT_EQ(to_hex(*h10), "bf3d5fa15d" + epr);
}

TEST(SgpLayout, IpaEuiccDataErrorPerVersion) {
  // v1.2: BF52 { A1 ipaEuiccDataResponseError { 80 tid, 02 code } }; v1.0: BF52 { 81 ipaEuiccDataError }.
  ProvideEimPackageResult p;
  p.result = IpaEuiccDataResponse(IpaEuiccDataError{Bytes{0x22}, 1});
  auto v12 = encode(EsipaMessageFromIpaToEim(p), Version::v1_2);
  ASSERT_TRUE(v12.ok());
  EXPECT_EQ(to_hex(*v12), "bf500bbf5208a106800122020101");
  auto bad = encode(EsipaMessageFromIpaToEim(p), Version::v1_0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::unsupported);
  p.result = IpaEuiccDataResponse(IpaEuiccDataError{std::nullopt, 1});
  auto v10 = encode(EsipaMessageFromIpaToEim(p), Version::v1_0);
  ASSERT_TRUE(v10.ok());
  EXPECT_EQ(to_hex(*v10), "bf5006bf5203810101");
}

TEST(SgpLayout, IpaEuiccDataCertificatesAreImplicitlyTagged) {
  // eumCertificate [5] / euiccCertificate [6] replace the Certificate's SEQUENCE tag: A5 / A6.
  IpaEuiccData d;
  d.eum_certificate = hex("3003020101");
  d.euicc_certificate = hex("3003020102");
  ProvideEimPackageResult p;
  p.result = IpaEuiccDataResponse(d);
  auto der = encode(EsipaMessageFromIpaToEim(p), Version::v1_2);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf500fbf520ca00aa503020101a603020102");
  auto back = decode_ipa_to_eim(*der, Version::v1_2);
  ASSERT_TRUE(back.ok()) << back.error().message;
  const auto& got = std::get<IpaEuiccData>(std::get<IpaEuiccDataResponse>(std::get<ProvideEimPackageResult>(*back).result));
  EXPECT_EQ(to_hex(*got.euicc_certificate), "3003020102");
}

TEST(SgpLayout, ProfileDownloadErrorResponseTagDiffersPerVersion) {
  // v1.2 profileDownloadError { [0] reason, errorResponse OCTET STRING } keeps 04 (a sibling is tagged);
  // v1.0 profileDownloadError { errorResponse } alone is automatically tagged [0] -> 80.
  ProvideEimPackageResult p;
  p.result = ProfileDownloadTriggerResult{std::nullopt, ProfileDownloadError{127, Bytes{0xAB}}};
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromIpaToEim(p), Version::v1_2)), "bf500bbf540830068001" "7f" "0401ab");
  p.result = ProfileDownloadTriggerResult{std::nullopt, ProfileDownloadError{std::nullopt, Bytes{0xAB}}};
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromIpaToEim(p), Version::v1_0)), "bf5008bf540530038001ab");
  EXPECT_EQ(encode(EsipaMessageFromIpaToEim(p), Version::v1_2).error().code, Errc::invalid_argument);
}

TEST(SgpLayout, ProvideEimPackageResultResponsePerVersion) {
  ProvideEimPackageResultResponse acks;
  acks.kind = ProvideEimPackageResultResponse::Kind::acknowledgements;
  acks.seq_numbers = {5, 6};
  for (auto v : {Version::v1_2, Version::v1_0}) {
    auto d = encode(EsipaMessageFromEimToIpa(acks), v);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(to_hex(*d), "bf5009bf5306800105800106");
  }
  ProvideEimPackageResultResponse empty;
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromEimToIpa(empty), Version::v1_2)), "bf50023000");
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromEimToIpa(empty), Version::v1_0)), "bf5000");
  ProvideEimPackageResultResponse err;
  err.kind = ProvideEimPackageResultResponse::Kind::error;
  err.error_code = 3;
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromEimToIpa(err), Version::v1_2)), "bf5003020103");
  auto bad = encode(EsipaMessageFromEimToIpa(err), Version::v1_0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::unsupported);
}

TEST(SgpLayout, SetDefaultDpAddressAndFallbackAreV12Only) {
  EuiccPackageRequest r;
  r.euicc_package_signed.eim_id = "eim";
  r.euicc_package_signed.eid = sample_eid();
  r.euicc_package_signed.euicc_package = PsmoList{PsmoSetDefaultDpAddress{"dp"}};
  auto s = encode_euicc_package_signed(r.euicc_package_signed, Version::v1_2);
  ASSERT_TRUE(s.ok());
  // setDefaultDpAddress [101] -> BF65 { [0] UTF8String } (its sole component is automatically tagged).
  EXPECT_NE(to_hex(*s).find("a007bf650480026470"), std::string::npos) << to_hex(*s);
  for (Psmo p : {Psmo(PsmoSetDefaultDpAddress{"dp"}), Psmo(PsmoSetFallbackAttribute{sample_iccid(1)}),
                 Psmo(PsmoUnsetFallbackAttribute{})}) {
    r.euicc_package_signed.euicc_package = PsmoList{p};
    auto bad = encode(r, Version::v1_0);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::unsupported);
  }
}

TEST(SgpLayout, AddInitialEimRequestEimPublicKeyIsImplicitlyTaggedInsideExplicitChoice) {
  EimConfigurationData c;
  c.eim_id = "e";
  c.eim_public_key = hex("3003020101");  // stands in for a SubjectPublicKeyInfo: any DER SEQUENCE
  AddInitialEimRequest a{{c}};
  auto der = encode(a, Version::v1_2);
  ASSERT_TRUE(der.ok());
  // BF57 { A0 { 30 { 80 'e', A5 { A0 <SPKI contents> } } } }
  EXPECT_EQ(to_hex(*der), "bf570ea00c300a800165a505a003020101");
  auto back = decode_add_initial_eim_request(*der, Version::v1_2);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_hex(*back->eim_configuration_data_list[0].eim_public_key), "3003020101");
}

TEST(SgpErrors, NameTheFieldPath) {
  const std::string head = "800365696d" "5a10" + kEid;
  // counterValue missing.
  auto r = decode_euicc_package_request(hex(tlv("bf51", tlv("30", head))), Version::v1_2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::parse_error);
  EXPECT_EQ(r.error().field, "euiccPackageRequest.euiccPackageSigned.counterValue");
  EXPECT_NE(r.error().message.find("missing (expected tag 81)"), std::string::npos) << r.error().message;

  // counterValue with a non-minimal INTEGER (at offset 3 + 2 + 23 = 28).
  auto r2 = decode_euicc_package_request(hex(tlv("bf51", tlv("30", head + "81020007" "a000"))), Version::v1_2);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().field, "euiccPackageRequest.euiccPackageSigned.counterValue");
  EXPECT_NE(r2.error().message.find("offset 28: INTEGER is not minimally encoded"), std::string::npos)
      << r2.error().message;

  // A PSMO with an unknown tag, second in the list.
  auto r3 = decode_euicc_package_request(hex(tlv("bf51", tlv("30", head + "810101" + tlv("a0", "a600" "bf7f00")))),
                                         Version::v1_2);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().field, "euiccPackageRequest.euiccPackageSigned.euiccPackage.psmoList[1]");

  // A v1.2-only PSMO (unsetFallbackAttribute, A9) sent to a v1.0 decoder.
  const std::string fb = tlv("bf51", tlv("30", head + "810101" + tlv("a0", "a900")));
  auto r4 = decode_euicc_package_request(hex(fb), Version::v1_0);
  ASSERT_FALSE(r4.ok());
  EXPECT_NE(r4.error().message.find("unknown PSMO tag A9 for SGP.32 v1.0"), std::string::npos) << r4.error().message;
  // The same bytes are a valid v1.2 package up to the missing signature.
  auto r5 = decode_euicc_package_request(hex(fb), Version::v1_2);
  ASSERT_FALSE(r5.ok());
  EXPECT_EQ(r5.error().field, "euiccPackageRequest.eimSignature");
}

TEST(SgpLayout, DownloadResponsesAreAutomaticallyTaggedChoices) {
  // GetBoundProfilePackageResponseEsipa ::= [58] CHOICE { ok SEQUENCE, error INTEGER } -> BF3A { A0 {...} | 81 }.
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromEimToIpa(GetBoundProfilePackageResponseEsipa(
                               GetBoundProfilePackageErrorEsipa{95})),
                           Version::v1_2)),
            "bf3a0381015f");
  GetBoundProfilePackageOkEsipa ok{Bytes{0x01}, hex("bf3600")};
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromEimToIpa(GetBoundProfilePackageResponseEsipa(ok)), Version::v1_2)),
            "bf3a08a006800101bf3600");
  // AuthenticateClientResponseEsipa error is the third alternative: [2] -> 82.
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromEimToIpa(AuthenticateClientResponseEsipa(AuthenticateClientErrorEsipa{8})),
                           Version::v1_0)),
            "bf3b03820108");
  // CancelSessionRequestEsipa: untagged components get [0] 80 and [1] A1 (explicit around the CHOICE).
  CancelSessionRequestEsipa c{Bytes{0x01}, hex("810105")};
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromIpaToEim(c), Version::v1_2)), "bf4108800101a103810105");
  // InitiateAuthenticationRequestEsipa: eimTransactionId [2] comes after euiccInfo1, and only in v1.2.
  InitiateAuthenticationRequestEsipa ia;
  ia.euicc_challenge = Bytes(16, 0x11);
  ia.eim_transaction_id = Bytes{0x44};
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromIpaToEim(ia), Version::v1_2)),
            "bf3915" "8110" + std::string(32, '1') + "820144");
  EXPECT_EQ(encode(EsipaMessageFromIpaToEim(ia), Version::v1_0).error().code, Errc::unsupported);
}

TEST(SgpErrors, WrongTopLevelAndUnsupportedMessages) {
  auto r = decode_ipa_to_eim(hex("bf4e 00"), Version::v1_2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::parse_error);
  EXPECT_EQ(r.error().field, "esipaMessageFromIpaToEim.transferEimPackageResponse");
  // eimPackageReceived NULL inside the explicit [78].
  EXPECT_EQ(to_hex(*encode(EsipaMessageFromIpaToEim(TransferEimPackageResponse{EimPackageReceived{}}), Version::v1_2)),
            "bf4e020500");
  auto r2 = decode_ipa_to_eim(hex("3000"), Version::v1_2);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, Errc::parse_error);
  EXPECT_NE(r2.error().message.find("unknown message tag 30"), std::string::npos);
  auto r3 = decode_eim_to_ipa(hex("bf4f 06 020101 020101"), Version::v1_2);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().message.find("unexpected trailing data"), std::string::npos) << r3.error().message;
}

TEST(SgpErrors, DuplicatedOrOutOfOrderFieldsRejectedUnknownExtensionsSkipped) {
  // A known tag after its slot is an error; an unknown trailing tag is skipped (EXTENSIBILITY IMPLIED).
  auto dup = decode_ipa_to_eim(hex(tlv("bf4f", "5a10" + kEid + "8000 8000")), Version::v1_2);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("duplicated or out of order"), std::string::npos) << dup.error().message;
  auto ext = decode_ipa_to_eim(hex(tlv("bf4f", "5a10" + kEid + "8000 9f7f00")), Version::v1_2);
  ASSERT_TRUE(ext.ok()) << ext.error().message;
  EXPECT_TRUE(std::get<GetEimPackageRequest>(*ext).notify_state_change);
}

TEST(SgpEncode, RejectsBadIdentifiers) {
  GetEimPackageRequest g;
  g.eid = Bytes(15, 0);
  auto r = encode(EsipaMessageFromIpaToEim(g), Version::v1_2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EuiccPackageRequest p;
  p.euicc_package_signed.eim_id = "e";
  p.euicc_package_signed.eid = sample_eid();
  p.euicc_package_signed.euicc_package = PsmoList{PsmoEnable{Bytes(9, 0), false}};
  auto r2 = encode(p, Version::v1_2);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().field, "enable.iccid");
}

TEST(SgpVersion, Parse) {
  EXPECT_EQ(*parse_version("1.2"), Version::v1_2);
  EXPECT_EQ(*parse_version("v1.2.0"), Version::v1_2);
  EXPECT_EQ(*parse_version("1.0.1"), Version::v1_0);
  EXPECT_FALSE(parse_version("1.1").ok());
  EXPECT_FALSE(parse_version("1.20").ok());
  EXPECT_EQ(parse_version("2.0").error().code, Errc::unsupported);
}

}  // namespace
}  // namespace esimo::sgp::testing
