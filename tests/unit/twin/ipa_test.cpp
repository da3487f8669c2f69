#include "twin/ipa.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "twin_test_util.hpp"

namespace esimo::twin::ipa_tests {

using namespace esimo::twin::testing;  // NOLINT(google-build-using-namespace): test file

// An in-process eIM that scripts its answers to GetEimPackageRequest and records every message it receives.
class FakeEim final : public EsipaTransport {
 public:
  explicit FakeEim(sgp::Version v) : version_(v) {}

  std::deque<sgp::GetEimPackageResponse> packages;  // answered in order; then noEimPackageAvailable
  bool acknowledge = true;                          // answer results with EimAcknowledgements of their seqNumber
  int fail_after = -1;                              // exchanges that succeed before the transport breaks (-1: never)
  std::vector<sgp::EsipaMessageFromIpaToEim> received;

  Result<Bytes> exchange(ByteView request) override {
    if (fail_after == 0) return Error(Errc::unavailable, "network down");
    if (fail_after > 0) --fail_after;
    auto msg = sgp::decode_ipa_to_eim(request, version_);
    if (!msg.ok()) return Error(Errc::parse_error, "fake eIM: " + msg.error().message);
    received.push_back(*msg);
    if (std::holds_alternative<sgp::GetEimPackageRequest>(*msg)) {
      sgp::GetEimPackageResponse r = sgp::EimPackageError{1};
      if (!packages.empty()) {
        r = std::move(packages.front());
        packages.pop_front();
      }
      return sgp::encode(sgp::EsipaMessageFromEimToIpa(std::move(r)), version_);
    }
    if (const auto* p = std::get_if<sgp::ProvideEimPackageResult>(&*msg)) {
      sgp::ProvideEimPackageResultResponse resp;
      if (acknowledge) {
        resp.kind = sgp::ProvideEimPackageResultResponse::Kind::acknowledgements;
        if (const auto* r = std::get_if<sgp::EuiccPackageResult>(&p->result)) {
          if (const auto* s = std::get_if<sgp::EuiccPackageResultSigned>(r))
            resp.seq_numbers.push_back(s->data.seq_number);
        }
      }
      return sgp::encode(sgp::EsipaMessageFromEimToIpa(resp), version_);
    }
    return Bytes{};  // HandleNotificationEsipa: 204
  }

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& m : received) {
      if (const auto* x = std::get_if<T>(&m)) out.push_back(*x);
    }
    return out;
  }

 private:
  sgp::Version version_;
};

class IpaVersions : public ::testing::TestWithParam<sgp::Version> {};
INSTANTIATE_TEST_SUITE_P(Both, IpaVersions, ::testing::Values(sgp::Version::v1_2, sgp::Version::v1_0),
                         [](const auto& info) { return info.param == sgp::Version::v1_2 ? "v1_2" : "v1_0"; });

TEST_P(IpaVersions, RunsAPackageReturnsTheResultAndDeliversNotifications) {
  const bool v12 = GetParam() == sgp::Version::v1_2;
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  FakeEim fake(GetParam());
  fake.packages.push_back(eim.request(sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}}));
  Ipa ipa(e, fake);
  auto report = ipa.poll_until_idle(10);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->idle);
  EXPECT_EQ(report->packages, 1u);
  EXPECT_EQ(report->rounds, 2u);
  EXPECT_EQ(report->notifications_sent, 2u);
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid2);
  // The result went back once, signed, with the EID in v1.2 only; the eIM acknowledged it.
  auto results = fake.all<sgp::ProvideEimPackageResult>();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].eid.has_value(), v12);
  const auto& epr = std::get<sgp::EuiccPackageResult>(results[0].result);
  EXPECT_EQ(codes(epr), std::vector<std::int64_t>{0});
  EXPECT_TRUE(e.stored_results().empty());
  // Notifications delivered and dropped.
  auto notes = fake.all<sgp::HandleNotificationEsipa>();
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<sgp::PendingNotification>(notes[0]));
  EXPECT_TRUE(e.pending_notifications().empty());
  // The GetEimPackageRequests carry the EID.
  auto gets = fake.all<sgp::GetEimPackageRequest>();
  ASSERT_EQ(gets.size(), 2u);
  const auto eid = e.eid().to_bytes();
  EXPECT_EQ(gets[0].eid, Bytes(eid.begin(), eid.end()));
  EXPECT_FALSE(gets[0].notify_state_change);
  // Human-readable lines.
  bool saw_package = false;
  for (const auto& l : report->lines) saw_package |= l.find("enableResult ok") != std::string::npos;
  EXPECT_TRUE(saw_package) << ::testing::PrintToString(report->lines);
  EXPECT_EQ(report->lines.back(), "eIM: no package available");
}

TEST_P(IpaVersions, AnswersIpaEuiccDataAndDownloadTriggers) {
  const bool v12 = GetParam() == sgp::Version::v1_2;
  auto e = make_euicc(GetParam());
  FakeEim fake(GetParam());
  sgp::IpaEuiccDataRequest data;
  data.tag_list = Bytes{0x84, 0xA5, 0xA6};
  fake.packages.push_back(data);
  sgp::ProfileDownloadTriggerRequest trigger;
  trigger.profile_download_data = sgp::DownloadActivationCode{"1$smdp.test$MATCHING"};
  if (v12) trigger.eim_transaction_id = Bytes{0x09};
  fake.packages.push_back(trigger);
  Ipa ipa(e, fake);
  auto report = ipa.poll_until_idle(10);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->idle);
  EXPECT_EQ(report->data_requests, 1u);
  auto results = fake.all<sgp::ProvideEimPackageResult>();
  ASSERT_EQ(results.size(), 2u);
  const auto& d = std::get<sgp::IpaEuiccData>(std::get<sgp::IpaEuiccDataResponse>(results[0].result));
  EXPECT_EQ(d.association_token, 1);
  EXPECT_EQ(d.euicc_certificate, e.euicc_certificate_der());
  EXPECT_EQ(d.eum_certificate, e.eum_certificate_der());
  const auto& t = std::get<sgp::ProfileDownloadTriggerResult>(results[1].result);
  const auto& err = std::get<sgp::ProfileDownloadError>(t.result);
  if (v12) {
    EXPECT_EQ(err.profile_download_error_reason, 127);
    EXPECT_EQ(t.eim_transaction_id, Bytes{0x09});
  }
  bool saw = false;
  // This fake eIM does not relay downloads (it answers InitiateAuthentication with nothing).
  for (const auto& l : report->lines) saw |= l.find("profile download failed") != std::string::npos;
  EXPECT_TRUE(saw);
}

TEST_P(IpaVersions, BadSignatureIsReturnedAsAnUnsignedError) {
  auto e = make_euicc(GetParam());
  EimSide eim{GetParam()};
  FakeEim fake(GetParam());
  auto req = eim.request(sgp::PsmoList{sgp::PsmoGetRat{}});
  req.eim_signature = Bytes(64, 0x11);  // decodes, does not verify
  fake.packages.push_back(req);
  Ipa ipa(e, fake);
  auto report = ipa.poll_until_idle(10);
  ASSERT_TRUE(report.ok()) << report.error().message;
  auto results = fake.all<sgp::ProvideEimPackageResult>();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(
      std::holds_alternative<sgp::EuiccPackageErrorUnsigned>(std::get<sgp::EuiccPackageResult>(results[0].result)));
}

TEST(Ipa, StopsOnOtherEimPackageErrorsAndAfterMaxRounds) {
  auto e = make_euicc();
  FakeEim fake(sgp::Version::v1_2);
  fake.packages.push_back(sgp::EimPackageError{2});
  Ipa ipa(e, fake);
  auto r = ipa.poll_until_idle(10);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("eidNotFound"), std::string::npos);

  EimSide eim;
  FakeEim busy(sgp::Version::v1_2);
  for (int i = 0; i < 3; ++i) busy.packages.push_back(eim.request(sgp::PsmoList{sgp::PsmoGetRat{}}));
  Ipa ipa2(e, busy);
  auto report = ipa2.poll_until_idle(2);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->idle);
  EXPECT_EQ(report->packages, 2u);
}

TEST(Ipa, UnreachableEimAfterEnableWithRollbackRollsBackAndDeliversLater) {
  auto e = make_euicc();
  EimSide eim;
  FakeEim fake(sgp::Version::v1_2);
  fake.packages.push_back(eim.request(sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2), true}}));
  fake.fail_after = 1;  // the GetEimPackageRequest works; the result cannot be delivered over the new profile
  Ipa ipa(e, fake);
  auto r = ipa.poll_until_idle(10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(iccid_text(e.enabled_profile()->iccid), kIccid1);  // rolled back
  EXPECT_FALSE(e.rollback_pending());
  ASSERT_EQ(e.stored_results().size(), 1u);
  EXPECT_FALSE(e.stored_results()[0].delivered);

  // Next poll (network back): the rollback result goes first, then notifications, then the state-change poll.
  fake.fail_after = -1;
  fake.received.clear();
  auto report = ipa.poll_until_idle(10);
  ASSERT_TRUE(report.ok()) << report.error().message;
  auto handled = fake.all<sgp::HandleNotificationEsipa>();
  ASSERT_GE(handled.size(), 1u);
  const auto& pr = std::get<sgp::ProvideEimPackageResult>(handled[0]);
  const auto& s = signed_result(std::get<sgp::EuiccPackageResult>(pr.result));
  ASSERT_EQ(s.data.euicc_result.size(), 2u);
  EXPECT_EQ(s.data.euicc_result[1].kind, sgp::EuiccResultKind::rollback);
  EXPECT_TRUE(e.stored_results()[0].delivered);
  EXPECT_TRUE(e.pending_notifications().empty());
  auto gets = fake.all<sgp::GetEimPackageRequest>();
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_TRUE(gets[0].notify_state_change);
  EXPECT_FALSE(e.state_change().notify);
}

TEST(Ipa, FallbackIsAnnouncedWithItsCause) {
  auto e = make_euicc();
  EimSide eim;
  run(e, eim, sgp::PsmoList{sgp::PsmoSetFallbackAttribute{wire(kIccid2)}});
  ASSERT_TRUE(e.fallback().ok());
  FakeEim fake(sgp::Version::v1_2);
  IpaOptions options;
  options.rplmn = Bytes{0x62, 0xF2, 0x10};
  Ipa ipa(e, fake, options);
  ASSERT_TRUE(ipa.poll_until_idle(3).ok());
  auto gets = fake.all<sgp::GetEimPackageRequest>();
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_TRUE(gets[0].notify_state_change);
  EXPECT_EQ(gets[0].state_change_cause, 1);
  EXPECT_EQ(gets[0].rplmn, (Bytes{0x62, 0xF2, 0x10}));
}

TEST(Ipa, RplmnDefaultsToTheEnabledProfilesHomeNetwork) {
  auto e = make_euicc(sgp::Version::v1_2, false);
  ASSERT_TRUE(e.add_profile(parse_profile_spec("8944000000000000019@234-15:enabled").value()).ok());
  FakeEim fake(sgp::Version::v1_2);
  Ipa ipa(e, fake);
  ASSERT_TRUE(ipa.poll_until_idle(1).ok());
  auto gets = fake.all<sgp::GetEimPackageRequest>();
  ASSERT_EQ(gets.size(), 1u);
  const auto want = domain::Plmn::parse("234-15").value().to_wire();
  EXPECT_EQ(gets[0].rplmn, Bytes(want.begin(), want.end()));
}

TEST(Ipa, HttpTransportRejectsBadUrls) {
  auto t = HttpEsipaTransport::connect("ftp://example", sgp::Version::v1_2);
  EXPECT_FALSE(t.ok());
}

// v1.2 ePRAndNotifications: the notifications travel with the result; those the eIM does not acknowledge (this fake
// acknowledges only results) go out again one by one, so none is lost.
TEST(Ipa, NotificationsWithTheResultAreResentWhenNotAcknowledged) {
  auto e = make_euicc(sgp::Version::v1_2);
  EimSide eim{sgp::Version::v1_2};
  FakeEim fake(sgp::Version::v1_2);
  fake.packages.push_back(eim.request(sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}}));
  IpaOptions options;
  options.notifications_with_result = true;
  Ipa ipa(e, fake, options);
  auto report = ipa.poll_until_idle(10);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->idle);
  auto results = fake.all<sgp::ProvideEimPackageResult>();
  ASSERT_EQ(results.size(), 1u);
  const auto* epr = std::get_if<sgp::EprAndNotifications>(&results[0].result);
  ASSERT_NE(epr, nullptr) << "the result should carry the notifications";
  EXPECT_EQ(epr->notification_list.size(), 2u);
  EXPECT_EQ(codes(epr->euicc_package_result), std::vector<std::int64_t>{0});
  EXPECT_EQ(report->notifications_with_result, 0u);
  EXPECT_EQ(fake.all<sgp::HandleNotificationEsipa>().size(), 2u);
  EXPECT_EQ(report->notifications_sent, 2u);
  EXPECT_TRUE(e.pending_notifications().empty());
}

}  // namespace esimo::twin::ipa_tests
