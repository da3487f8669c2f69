// Every PSMO and eCO, in SGP.32 v1.2 and v1.0, and the negative cases, between the real server and software IPAs
// over HTTP on loopback.
#include <gtest/gtest.h>

#include "esipa_fixture.hpp"
#include "crypto/keys.hpp"
#include "domain/identifiers.hpp"
#include "sgp/codec.hpp"

namespace esimo::itest {
namespace {

using sgp::Version;

std::string state_of(const boost::json::object& op) {
  return op.contains("state") ? std::string(op.at("state").as_string()) : std::string("?");
}
std::string outcome_of(const boost::json::object& op) {
  const auto* o = op.if_contains("outcome");
  return o && o->is_string() ? std::string(o->as_string()) : std::string();
}

class EsipaOps : public EsipaFlowTest {
 protected:
  // Queues `body`, checks nothing changes before the poll, polls, and checks the operation's end.
  void run(twin::SoftwareEuicc& euicc, int eid, const std::string& body, const std::string& state = "succeeded",
           const std::string& outcome = "ok") {
    const std::string id = queue(eid, body);
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(state_of(operation(id)), "queued");
    poll(euicc);
    auto op = operation(id);
    EXPECT_EQ(state_of(op), state) << body << ": " << boost::json::serialize(op);
    EXPECT_EQ(outcome_of(op), outcome) << body << ": " << boost::json::serialize(op);
  }

  std::string profile_state(int eid, int iccid) {
    auto d = device(eid);
    for (const auto& p : d.at("profiles").as_array()) {
      if (p.as_object().at("iccid").as_string() == esipa_iccid(iccid)) {
        return std::string(p.as_object().at("state").as_string());
      }
    }
    return "absent";
  }

  void every_psmo_and_eco(Version v, int eid) {
    const int p1 = eid * 10, p2 = eid * 10 + 1;
    auto euicc = make_euicc(eid, v, {p1, p2});
    ASSERT_TRUE(euicc);
    register_device(eid, v, {p1, p2});

    // enable: the stored state changes only from the result, never when asked.
    const std::string id = queue(eid, R"({"type":"enable","iccid":")" + esipa_iccid(p2) + "\"}");
    EXPECT_EQ(active_iccid(eid), esipa_iccid(p1));
    EXPECT_EQ(profile_state(eid, p2), "disabled");
    poll(*euicc);
    EXPECT_EQ(state_of(operation(id)), "succeeded");
    EXPECT_EQ(active_iccid(eid), esipa_iccid(p2));
    EXPECT_EQ(profile_state(eid, p1), "disabled");
    EXPECT_EQ(twin::iccid_text(euicc->enabled_profile()->iccid), esipa_iccid(p2));

    run(*euicc, eid, R"({"type":"disable","iccid":")" + esipa_iccid(p2) + "\"}");
    EXPECT_EQ(profile_state(eid, p2), "disabled");
    EXPECT_EQ(euicc->enabled_profile(), nullptr);
    run(*euicc, eid, R"({"type":"enable","iccid":")" + esipa_iccid(p1) + R"(","rollback":true})");
    EXPECT_EQ(active_iccid(eid), esipa_iccid(p1));
    run(*euicc, eid, R"({"type":"list_profiles"})");
    run(*euicc, eid, R"({"type":"get_rat"})");
    run(*euicc, eid, R"({"type":"configure_immediate_enable","immediate_enable":true})");
    EXPECT_TRUE(euicc->immediate_enable().immediate_enable_flag);
    if (v == Version::v1_2) {
      run(*euicc, eid, R"({"type":"set_default_dp","address":"smdp.example.com"})");
      EXPECT_EQ(euicc->default_dp_address().value_or(""), "smdp.example.com");
      run(*euicc, eid, R"({"type":"set_fallback","iccid":")" + esipa_iccid(p2) + "\"}");
      EXPECT_TRUE(euicc->profiles()[1].fallback_attribute);
      run(*euicc, eid, R"({"type":"unset_fallback"})");
      EXPECT_FALSE(euicc->profiles()[1].fallback_attribute);
    } else {
      // Fallback PSMOs and setDefaultDpAddress do not exist in v1.0: refused at submit.
      EXPECT_EQ(submit(eid, R"({"type":"set_default_dp","address":"smdp.example.com"})").status, 422);
      EXPECT_EQ(submit(eid, R"({"type":"set_fallback","iccid":")" + esipa_iccid(p2) + "\"}").status, 422);
      EXPECT_EQ(submit(eid, R"({"type":"unset_fallback"})").status, 422);
    }
    run(*euicc, eid, R"({"type":"delete","iccid":")" + esipa_iccid(p2) + "\"}");
    EXPECT_EQ(profile_state(eid, p2), "absent");
    EXPECT_EQ(euicc->profiles().size(), 1u);

    // eCOs
    run(*euicc, eid, R"({"type":"list_eim"})");
    const std::string key = to_hex(crypto::PrivateKey::generate().public_key().to_spki_der());
    run(*euicc, eid,
        R"({"type":"add_eim","eim_id":"second-eim","fqdn":"second.example:443","counter_value":0,"eim_public_key":")" +
            key + "\"}");
    EXPECT_NE(euicc->find_eim("second-eim"), nullptr);
    run(*euicc, eid,
        R"({"type":"update_eim","eim_id":"second-eim","fqdn":"other.example:443","eim_public_key":")" + key + "\"}");
    ASSERT_NE(euicc->find_eim("second-eim"), nullptr);
    EXPECT_EQ(euicc->find_eim("second-eim")->data.eim_fqdn.value_or(""), "other.example:443");
    run(*euicc, eid, R"({"type":"delete_eim","eim_id":"second-eim"})");
    EXPECT_EQ(euicc->find_eim("second-eim"), nullptr);
    if (v == Version::v1_2) run(*euicc, eid, R"({"type":"euicc_data","tag_list":"84a5a6"})");
  }
};

TEST_F(EsipaOps, EveryPsmoAndEcoV12) { every_psmo_and_eco(Version::v1_2, 1); }

TEST_F(EsipaOps, EveryPsmoAndEcoV10) { every_psmo_and_eco(Version::v1_0, 2); }

// A v1.0 IpaEuiccData answer carries no eimTransactionId: the eIM asks for the eUICC certificate too, finds the
// device from it, and matches the answer to the device's oldest delivered euicc_data operation.
TEST_F(EsipaOps, EuiccDataV10) {
  auto euicc = make_euicc(10, Version::v1_0, {100});
  ASSERT_TRUE(euicc);
  register_device(10, Version::v1_0, {100});
  poll(*euicc);  // first contact: the eIM's own eUICC data request
  run(*euicc, 10, R"({"type":"euicc_data","tag_list":"84a5a6"})");
}

TEST_F(EsipaOps, V10DeviceBehindTheIpadsSgp22Header) {
  // The public IPAd speaks SGP.32 v1.0 but sends X-Admin-Protocol gsma/rsp/v2.1.0: the device's version decides.
  auto euicc = make_euicc(11, Version::v1_0, {110, 111});
  ASSERT_TRUE(euicc);
  register_device(11, Version::v1_0, {110, 111});
  twin::HttpEsipaOptions o;
  o.admin_protocol = "gsma/rsp/v2.1.0";
  auto http = twin::HttpEsipaTransport::connect(world_->eim_url(), Version::v1_0, o);
  ASSERT_TRUE(http.ok());
  const std::string id = queue(11, R"({"type":"enable","iccid":")" + esipa_iccid(111) + "\"}");
  poll(*euicc, http->get());
  EXPECT_EQ(state_of(operation(id)), "succeeded");
  EXPECT_EQ(active_iccid(11), esipa_iccid(111));
}

TEST_F(EsipaOps, SeveralQueuedPsmosGoOutInOnePackage) {
  auto euicc = make_euicc(3, Version::v1_2, {30, 31});
  ASSERT_TRUE(euicc);
  register_device(3, Version::v1_2, {30, 31});
  const std::string a = queue(3, R"({"type":"disable","iccid":")" + esipa_iccid(30) + "\"}");
  const std::string b = queue(3, R"({"type":"enable","iccid":")" + esipa_iccid(31) + "\"}");
  auto report = poll(*euicc);
  EXPECT_EQ(report.packages, 1u);
  EXPECT_EQ(state_of(operation(a)), "succeeded");
  EXPECT_EQ(state_of(operation(b)), "succeeded");
  EXPECT_EQ(active_iccid(3), esipa_iccid(31));
}

TEST_F(EsipaOps, UnknownIccidFailsWithItsOutcome) {
  // The platform believes the device holds profile 42; the eUICC does not.
  auto euicc = make_euicc(4, Version::v1_2, {40, 41});
  ASSERT_TRUE(euicc);
  register_device(4, Version::v1_2, {40, 41, 42});
  run(*euicc, 4, R"({"type":"enable","iccid":")" + esipa_iccid(42) + "\"}", "failed", "iccid_or_aid_not_found");
  EXPECT_EQ(active_iccid(4), esipa_iccid(40));
}

TEST_F(EsipaOps, DeleteOfTheEnabledProfileFails) {
  auto euicc = make_euicc(5, Version::v1_0, {50, 51});
  ASSERT_TRUE(euicc);
  register_device(5, Version::v1_0, {50, 51});
  run(*euicc, 5, R"({"type":"delete","iccid":")" + esipa_iccid(50) + "\"}", "failed", "profile_not_in_disabled_state");
  EXPECT_EQ(profile_state(5, 50), "enabled");
  EXPECT_EQ(euicc->profiles().size(), 2u);
}

TEST_F(EsipaOps, BadEimSignatureIsRejectedByTheEuiccAndReported) {
  // The eUICC trusts another key for this eIM's id: every package signature fails on the card.
  auto config = sgp::decode_add_initial_eim_request(eim_config(Version::v1_2), Version::v1_2);
  ASSERT_TRUE(config.ok());
  for (auto& c : config->eim_configuration_data_list) {
    c.eim_certificate.reset();
    c.eim_public_key = crypto::PrivateKey::generate().public_key().to_spki_der();
  }
  auto der = sgp::encode(*config, Version::v1_2);
  ASSERT_TRUE(der.ok());
  auto euicc = make_euicc(6, Version::v1_2, {60, 61}, &*der);
  ASSERT_TRUE(euicc);
  register_device(6, Version::v1_2, {60, 61});
  const std::string id = queue(6, R"({"type":"enable","iccid":")" + esipa_iccid(61) + "\"}");
  poll(*euicc);
  auto op = operation(id);
  EXPECT_EQ(state_of(op), "failed") << boost::json::serialize(op);
  EXPECT_EQ(outcome_of(op), "euicc_package_error_unsigned");
  EXPECT_EQ(active_iccid(6), esipa_iccid(60));
  EXPECT_EQ(twin::iccid_text(euicc->enabled_profile()->iccid), esipa_iccid(60));
}

TEST_F(EsipaOps, ReplayedPackageIsRefusedByTheEuicc) {
  auto euicc = make_euicc(7, Version::v1_2, {70, 71});
  ASSERT_TRUE(euicc);
  register_device(7, Version::v1_2, {70, 71});
  auto http = transport(Version::v1_2);
  TapTransport tap(*http, Version::v1_2);
  std::optional<sgp::EuiccPackageRequest> captured;
  tap.on_answer = [&](const sgp::EsipaMessageFromEimToIpa& m) {
    if (const auto* g = std::get_if<sgp::GetEimPackageResponse>(&m)) {
      if (const auto* p = std::get_if<sgp::EuiccPackageRequest>(g)) captured = *p;
    }
  };
  const std::string id = queue(7, R"({"type":"enable","iccid":")" + esipa_iccid(71) + "\"}");
  poll(*euicc, &tap);
  EXPECT_EQ(state_of(operation(id)), "succeeded");
  ASSERT_TRUE(captured.has_value());
  // The same signed package again (same counterValue): the eUICC answers replayError and changes nothing.
  ASSERT_TRUE(euicc->execute_package(*sgp::encode(*captured, Version::v1_2)).ok());
  auto again = euicc->execute_package(*sgp::encode(*captured, Version::v1_2));
  ASSERT_TRUE(again.ok());
  auto result = sgp::decode_euicc_package_result(*again, Version::v1_2);
  ASSERT_TRUE(result.ok());
  const auto* err = std::get_if<sgp::EuiccPackageErrorSigned>(&*result);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->data.euicc_package_error_code, 4);  // replayError
  EXPECT_EQ(twin::iccid_text(euicc->enabled_profile()->iccid), esipa_iccid(71));
}

TEST_F(EsipaOps, ResultWithABadEuiccSignatureFailsTheOperation) {
  auto euicc = make_euicc(8, Version::v1_2, {80, 81});
  ASSERT_TRUE(euicc);
  register_device(8, Version::v1_2, {80, 81});
  auto http = transport(Version::v1_2);
  TapTransport tap(*http, Version::v1_2);
  int tampered = 0;
  auto flip = [&](sgp::EuiccPackageResult& r) {
    if (auto* s = std::get_if<sgp::EuiccPackageResultSigned>(&r); s && !s->euicc_sign_epr.empty()) {
      s->euicc_sign_epr[5] ^= 0x01;
      ++tampered;
    }
  };
  tap.on_request = [&](sgp::EsipaMessageFromIpaToEim& m) {
    if (auto* p = std::get_if<sgp::ProvideEimPackageResult>(&m)) {
      if (auto* r = std::get_if<sgp::EuiccPackageResult>(&p->result)) flip(*r);
      if (auto* en = std::get_if<sgp::EprAndNotifications>(&p->result)) flip(en->euicc_package_result);
    }
  };
  const std::string id = queue(8, R"({"type":"enable","iccid":")" + esipa_iccid(81) + "\"}");
  twin::Ipa ipa(*euicc, tap);
  (void)ipa.poll_until_idle(8);
  EXPECT_GE(tampered, 1);
  auto op = operation(id);
  EXPECT_EQ(state_of(op), "failed") << boost::json::serialize(op);
  EXPECT_EQ(outcome_of(op), "euicc_signature_invalid");
  // The operation is not believed. (The eUICC did switch; its signed notifications, which were not tampered with,
  // bring the stored profile state along separately.)
  EXPECT_NE(outcome_of(op), "ok");
}

TEST_F(EsipaOps, HttpBindingRejectsBadRequestsWithoutStateChange) {
  auto euicc = make_euicc(9, Version::v1_2, {90, 91});
  ASSERT_TRUE(euicc);
  register_device(9, Version::v1_2, {90, 91});
  const std::string id = queue(9, R"({"type":"get_rat"})");
  // A real GetEimPackageRequest for this EID, then broken forms of it.
  sgp::GetEimPackageRequest get;
  const auto eid_bytes = domain::Eid::parse(esipa_eid(9))->to_bytes();
  get.eid.assign(eid_bytes.begin(), eid_bytes.end());
  auto der = sgp::encode(sgp::EsipaMessageFromIpaToEim(get), Version::v1_2);
  ASSERT_TRUE(der.ok());
  const std::string body(der->begin(), der->end());

  EXPECT_EQ(esipa_post(body, "gsma/rsp/v1.2.0", "application/json").status, 415);
  EXPECT_EQ(esipa_post(body, "").status, 400);
  EXPECT_EQ(esipa_post(body, "gsma/rsp/v1.1.0").status, 400);
  EXPECT_EQ(esipa_post(body, "gsma/rsp/v3.0.0").status, 400);
  for (std::size_t cut = 1; cut < body.size(); cut += 3) {
    EXPECT_EQ(esipa_post(body.substr(0, cut), "gsma/rsp/v1.2.0").status, 400) << "truncated at " << cut;
  }
  EXPECT_EQ(esipa_post("\x30\x03garbage", "gsma/rsp/v1.2.0").status, 400);
  EXPECT_EQ(esipa_post(std::string(200, '\xff'), "gsma/rsp/v2.1.0").status, 400);
  EXPECT_EQ(esipa_post(body + "x", "gsma/rsp/v1.2.0").status, 400);
  // Nothing moved: the operation is still queued, no package went out.
  EXPECT_EQ(state_of(operation(id)), "queued");
  // The deployed IPAd's SGP.22 header works, and is echoed.
  auto ok = esipa_post(body, "gsma/rsp/v2.1.0");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("x-admin-protocol"), "gsma/rsp/v2.1.0");
  EXPECT_EQ(ok.content_type, "application/x-gsma-rsp-asn1");
}

}  // namespace
}  // namespace esimo::itest
