// ES9+ JSON binding (SGP.22 §6.5): member names and types, header handling, strict decode errors naming the member.
#include "sgp/es9plus.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace esimo::sgp::es9 {
namespace {

Bytes hx(std::string_view h) { return from_hex(h).value(); }
// Small but well-formed TLVs with the tags SGP.22 gives each member.
Bytes signed1() { return hx("3006800102810103"); }
Bytes sig() {
  return hx(
      "5f3704"
      "01020304");
}
Bytes ski() { return hx("0402aabb"); }
Bytes cert() {
  return hx(
      "30030201"
      "01");
}
Bytes info1() { return hx("bf2003820100"); }
Bytes tid() { return hx("0102030405060708090a0b0c0d0e0f10"); }

boost::json::object parse(const std::string& s) { return boost::json::parse(s).as_object(); }

TEST(Es9Base64, RoundTripsAllLengths) {
  Bytes data;
  for (int n = 0; n < 10; ++n) {
    auto text = base64_encode(data);
    EXPECT_EQ(text.size() % 4, 0U);
    auto back = base64_decode(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, data);
    data.push_back(static_cast<std::uint8_t>(0xF0 + n));
  }
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
}

TEST(Es9Base64, RejectsNonCanonicalText) {
  EXPECT_FALSE(base64_decode("Zm8").ok());       // not padded
  EXPECT_FALSE(base64_decode("Zm9=").ok());      // non-zero pad bits
  EXPECT_FALSE(base64_decode("Z===").ok());      // '=' too early
  EXPECT_FALSE(base64_decode("Zg==Zg==").ok());  // padding before the end
  EXPECT_FALSE(base64_decode("Zm 8").ok());      // whitespace
  EXPECT_FALSE(base64_decode("Zm-8").ok());      // URL alphabet
  EXPECT_TRUE(base64_decode("").ok());
}

TEST(Es9Paths, NamesAndAdminProtocol) {
  EXPECT_EQ(function_path(Function::initiate_authentication), "/gsma/rsp2/es9plus/initiateAuthentication");
  EXPECT_EQ(function_path(Function::get_bound_profile_package), "/gsma/rsp2/es9plus/getBoundProfilePackage");
  EXPECT_EQ(function_path(Function::authenticate_client), "/gsma/rsp2/es9plus/authenticateClient");
  EXPECT_EQ(function_path(Function::handle_notification), "/gsma/rsp2/es9plus/handleNotification");
  EXPECT_EQ(function_path(Function::cancel_session), "/gsma/rsp2/es9plus/cancelSession");
  auto f = function_from_path("/gsma/rsp2/es9plus/cancelSession");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, Function::cancel_session);
  EXPECT_EQ(function_from_path("/gsma/rsp2/es9plus/listProfiles").error().code, Errc::not_found);
  EXPECT_EQ(function_from_path("/gsma/rsp2/asn1").error().code, Errc::not_found);
  EXPECT_TRUE(admin_protocol_supported("gsma/rsp/v2.2.0"));
  EXPECT_TRUE(admin_protocol_supported("gsma/rsp/v2.5.12"));
  EXPECT_TRUE(admin_protocol_supported(kAdminProtocol));
  EXPECT_FALSE(admin_protocol_supported("gsma/rsp/v3.0.0"));
  EXPECT_FALSE(admin_protocol_supported("gsma/rsp/v2.2"));
  EXPECT_FALSE(admin_protocol_supported("gsma/rsp/v2.x.0"));
  EXPECT_FALSE(admin_protocol_supported(""));
}

TEST(Es9Request, InitiateAuthenticationMembers) {
  InitiateAuthenticationRequest m{Bytes(16, 0x11), info1(), "smdp.example.com"};
  auto text = encode(m);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto o = parse(*text);
  EXPECT_EQ(o.at("euiccChallenge").as_string(), base64_encode(Bytes(16, 0x11)));
  EXPECT_EQ(o.at("euiccInfo1").as_string(), "vyADggEA");
  EXPECT_EQ(o.at("smdpAddress").as_string(), "smdp.example.com");
  EXPECT_EQ(o.size(), 3U);  // no header in ES9+ requests
  auto back = decode_initiate_authentication_request(*text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->euicc_challenge, m.euicc_challenge);
  EXPECT_EQ(back->euicc_info1, m.euicc_info1);
  EXPECT_EQ(back->smdp_address, m.smdp_address);
}

TEST(Es9Request, InitiateAuthenticationErrorsNameTheMember) {
  auto e1 = decode_initiate_authentication_request(R"({"euiccInfo1":"vyADggEA","smdpAddress":"a"})");
  ASSERT_FALSE(e1.ok());
  EXPECT_EQ(e1.error().code, Errc::parse_error);
  EXPECT_EQ(e1.error().field, "euiccChallenge");
  auto e2 =
      decode_initiate_authentication_request(R"({"euiccChallenge":"AAAA","euiccInfo1":"vyADggEA","smdpAddress":"a"})");
  ASSERT_FALSE(e2.ok());
  EXPECT_EQ(e2.error().field, "euiccChallenge");  // 3 octets, not 16
  auto e3 = decode_initiate_authentication_request(
      R"({"euiccChallenge":"ERERERERERERERERERERE Q==","euiccInfo1":"vyADggEA","smdpAddress":"a"})");
  ASSERT_FALSE(e3.ok());
  EXPECT_EQ(e3.error().field, "euiccChallenge");
  // euiccInfo1 with the wrong tag (30 instead of BF20)
  std::string wrong = R"({"euiccChallenge":")" + base64_encode(Bytes(16, 1)) + R"(","euiccInfo1":")" +
                      base64_encode(signed1()) + R"(","smdpAddress":"a"})";
  auto e4 = decode_initiate_authentication_request(wrong);
  ASSERT_FALSE(e4.ok());
  EXPECT_EQ(e4.error().field, "euiccInfo1");
  auto e5 = decode_initiate_authentication_request(R"({"euiccChallenge":1})");
  ASSERT_FALSE(e5.ok());
  EXPECT_EQ(e5.error().field, "euiccChallenge");
  EXPECT_EQ(decode_initiate_authentication_request("[1]").error().field, "body");
  EXPECT_EQ(decode_initiate_authentication_request("{").error().field, "body");
}

TEST(Es9Request, TransactionIdIsUpperHexAndChecked) {
  AuthenticateClientRequest m{tid(), hx("bf3803800100")};
  auto text = encode(m);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto o = parse(*text);
  EXPECT_EQ(o.at("transactionId").as_string(), "0102030405060708090A0B0C0D0E0F10");
  auto back = decode_authenticate_client_request(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->transaction_id, tid());
  EXPECT_EQ(back->authenticate_server_response, m.authenticate_server_response);
  // lower case accepted
  auto lower =
      decode_authenticate_client_request(R"({"transactionId":"0a0b","authenticateServerResponse":"vzgDgAEA"})");
  ASSERT_TRUE(lower.ok()) << lower.error().message;
  EXPECT_EQ(lower->transaction_id, hx("0a0b"));
  for (const char* bad :
       {R"({"transactionId":"","authenticateServerResponse":"vzgDgAEA"})",
        R"({"transactionId":"0g","authenticateServerResponse":"vzgDgAEA"})",
        R"({"transactionId":"abc","authenticateServerResponse":"vzgDgAEA"})",
        R"({"transactionId":"000102030405060708090a0b0c0d0e0f10","authenticateServerResponse":"vzgDgAEA"})",
        R"({"transactionId":7,"authenticateServerResponse":"vzgDgAEA"})"}) {
    auto r = decode_authenticate_client_request(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "transactionId") << bad;
  }
  m.transaction_id.clear();
  EXPECT_EQ(encode(m).error().code, Errc::invalid_argument);
}

TEST(Es9Request, OtherRequestsRoundTrip) {
  GetBoundProfilePackageRequest g{tid(), hx("bf2103800101")};
  auto gt = encode(g);
  ASSERT_TRUE(gt.ok());
  EXPECT_TRUE(parse(*gt).contains("prepareDownloadResponse"));
  auto gb = decode_get_bound_profile_package_request(*gt);
  ASSERT_TRUE(gb.ok());
  EXPECT_EQ(gb->prepare_download_response, g.prepare_download_response);

  HandleNotificationRequest h{hx("bf3703800101")};
  auto ht = encode(h);
  ASSERT_TRUE(ht.ok());
  auto hb = decode_handle_notification_request(*ht);
  ASSERT_TRUE(hb.ok());
  EXPECT_EQ(hb->pending_notification, h.pending_notification);
  EXPECT_TRUE(encode(HandleNotificationRequest{hx("300100")}).ok());  // otherSignedNotification
  EXPECT_EQ(encode(HandleNotificationRequest{hx("bf2100")}).error().field, "pendingNotification");
  auto hbad = decode_handle_notification_request(R"({"pendingNotification":"vyEA"})");  // BF21
  ASSERT_FALSE(hbad.ok());
  EXPECT_EQ(hbad.error().field, "pendingNotification");

  CancelSessionRequest c{tid(), hx("bf4103a00100")};
  auto ct = encode(c);
  ASSERT_TRUE(ct.ok());
  auto cb = decode_cancel_session_request(*ct);
  ASSERT_TRUE(cb.ok());
  EXPECT_EQ(cb->cancel_session_response, c.cancel_session_response);
  EXPECT_EQ(decode_cancel_session_request(R"({"transactionId":"01"})").error().field, "cancelSessionResponse");
}

TEST(Es9Response, InitiateAuthenticationSuccess) {
  InitiateAuthenticationResponse r;
  r.ok = InitiateAuthenticationOk{tid(), signed1(), sig(), ski(), cert()};
  auto text = encode(r);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto o = parse(*text);
  EXPECT_EQ(o.at("header").at("functionExecutionStatus").at("status").as_string(), "Executed-Success");
  EXPECT_FALSE(o.at("header").at("functionExecutionStatus").as_object().contains("statusCodeData"));
  for (const char* k :
       {"transactionId", "serverSigned1", "serverSignature1", "euiccCiPKIdToBeUsed", "serverCertificate"}) {
    EXPECT_TRUE(o.contains(k)) << k;
  }
  auto back = decode_initiate_authentication_response(*text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->status.executed());
  ASSERT_TRUE(back->ok.has_value());
  EXPECT_EQ(back->ok->server_signature1, sig());
  EXPECT_EQ(back->ok->euicc_ci_pkid_to_be_used, ski());
  EXPECT_EQ(back->ok->server_certificate, cert());
}

TEST(Es9Response, FailureCarriesStatusCodeDataOnly) {
  InitiateAuthenticationResponse r;
  r.status = FunctionExecutionStatus::failure("8.8.1", "3.8", "unknown SM-DP+ address");
  auto text = encode(r);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto o = parse(*text);
  EXPECT_EQ(o.size(), 1U);
  const auto& fes = o.at("header").at("functionExecutionStatus");
  EXPECT_EQ(fes.at("status").as_string(), "Failed");
  EXPECT_EQ(fes.at("statusCodeData").at("subjectCode").as_string(), "8.8.1");
  EXPECT_EQ(fes.at("statusCodeData").at("reasonCode").as_string(), "3.8");
  EXPECT_EQ(fes.at("statusCodeData").at("message").as_string(), "unknown SM-DP+ address");
  auto back = decode_initiate_authentication_response(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->status.executed());
  EXPECT_FALSE(back->ok.has_value());
  ASSERT_TRUE(back->status.status_code_data.has_value());
  EXPECT_EQ(back->status.status_code_data->reason_code, "3.8");
  // a failure that carries output data, and a success without it, are encoding errors
  r.ok = InitiateAuthenticationOk{tid(), signed1(), sig(), ski(), cert()};
  EXPECT_FALSE(encode(r).ok());
  EXPECT_FALSE(encode(InitiateAuthenticationResponse{}).ok());
}

TEST(Es9Response, HeaderErrorsNameThePath) {
  auto e1 = decode_cancel_session_response("{}");
  ASSERT_FALSE(e1.ok());
  EXPECT_EQ(e1.error().field, "header");
  auto e2 = decode_cancel_session_response(R"({"header":{}})");
  EXPECT_EQ(e2.error().field, "header.functionExecutionStatus");
  auto e3 = decode_cancel_session_response(R"({"header":{"functionExecutionStatus":{"status":"Done"}}})");
  EXPECT_EQ(e3.error().field, "header.functionExecutionStatus.status");
  auto e4 = decode_cancel_session_response(R"({"header":{"functionExecutionStatus":{"status":"Failed"}}})");
  EXPECT_EQ(e4.error().field, "header.functionExecutionStatus.statusCodeData");
  auto e5 = decode_cancel_session_response(
      R"({"header":{"functionExecutionStatus":{"status":"Failed","statusCodeData":{"subjectCode":"8.1"}}}})");
  EXPECT_EQ(e5.error().field, "header.functionExecutionStatus.statusCodeData.reasonCode");
  auto ok = decode_cancel_session_response(R"({"header":{"functionExecutionStatus":{"status":"Executed-Success"}}})");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->status.executed());
  EXPECT_TRUE(ok->ok.has_value());
  auto expired = decode_response_header(
      R"({"header":{"functionExecutionStatus":{"status":"Expired",)"
      R"("statusCodeData":{"subjectCode":"8.1","reasonCode":"4.10","subjectIdentifier":"x"}}}})");
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->status, ExecutionStatus::expired);
  EXPECT_EQ(expired->status_code_data->subject_identifier, "x");
}

TEST(Es9Response, AuthenticateClientAndBpp) {
  AuthenticateClientResponse a;
  a.ok = AuthenticateClientOk{tid(), hx("bf2503800101"), signed1(), sig(), cert()};
  auto at = encode(a);
  ASSERT_TRUE(at.ok()) << at.error().message;
  EXPECT_TRUE(parse(*at).contains("profileMetadata"));
  auto ab = decode_authenticate_client_response(*at);
  ASSERT_TRUE(ab.ok()) << ab.error().message;
  EXPECT_EQ(ab->ok->profile_metadata, a.ok->profile_metadata);
  EXPECT_EQ(ab->ok->smdp_signed2, signed1());
  a.ok->profile_metadata.reset();
  auto at2 = encode(a);
  ASSERT_TRUE(at2.ok());
  EXPECT_FALSE(parse(*at2).contains("profileMetadata"));
  // smdpSignature2 must be the whole 5F37 TLV
  a.ok->smdp_signature2 = hx("01020304");
  auto bad = encode(a);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "smdpSignature2");

  GetBoundProfilePackageResponse b;
  b.ok = GetBoundProfilePackageOk{tid(), hx("bf3603800101")};
  auto bt = encode(b);
  ASSERT_TRUE(bt.ok());
  auto bb = decode_get_bound_profile_package_response(*bt);
  ASSERT_TRUE(bb.ok());
  EXPECT_EQ(bb->ok->bound_profile_package, b.ok->bound_profile_package);
  auto missing = decode_get_bound_profile_package_response(
      R"({"header":{"functionExecutionStatus":{"status":"Executed-Success"}},"transactionId":"01"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "boundProfilePackage");
}

TEST(Es9Response, UnknownMembersIgnored) {
  auto r = decode_cancel_session_response(
      R"({"header":{"functionExecutionStatus":{"status":"Executed-Success"},"x":1},"future":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->status.executed());
}

TEST(Es9Response, HeaderOnlyEncoding) {
  auto s = encode_header_only(FunctionExecutionStatus::success());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, R"({"header":{"functionExecutionStatus":{"status":"Executed-Success"}}})");
  FunctionExecutionStatus f;
  f.status = ExecutionStatus::failed;
  EXPECT_EQ(encode_header_only(f).error().field, "statusCodeData");
}

}  // namespace
}  // namespace esimo::sgp::es9
