#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>

#include "twin/software_euicc.hpp"
#include "support/temp_dir.hpp"
#include "twin_test_util.hpp"

namespace esimo::twin::state_tests {

using namespace esimo::twin::testing;  // NOLINT(google-build-using-namespace): test file

// One directory for this suite's files, removed when the test program exits.
std::filesystem::path temp_file(const std::string& name) {
  static const test::TempDir dir("esimo_twin_state");
  return dir / name;
}

// A state with something in every field: fallback attribute, notifications, a result, a pending rollback, config.
SoftwareEuicc busy_euicc() {
  auto e = make_euicc();
  EXPECT_TRUE(e.add_profile(parse_profile_spec("8944000000000000035@234-15").value()).ok());
  EimSide eim;
  run(e, eim,
      sgp::PsmoList{sgp::PsmoSetFallbackAttribute{wire(kIccid2)}, sgp::PsmoSetDefaultDpAddress{"dp.test"},
                    sgp::PsmoConfigureImmediateEnable{true, "1.2.3", "smdp.test"}});
  run(e, eim, sgp::EcoList{sgp::EcoAddEim{eim_config("eim-2", 9)}});
  run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2), true}});
  return e;
}

TEST(StateFile, RoundTripKeepsEverything) {
  auto e = busy_euicc();
  const auto file = temp_file("round_trip.json");
  ASSERT_TRUE(e.save(file).ok());
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  auto back = SoftwareEuicc::load(file);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->to_json(), e.to_json());
  EXPECT_EQ(back->eid(), e.eid());
  EXPECT_EQ(back->find_eim("eim-1")->counter_value, 3u);
  EXPECT_EQ(back->find_eim("eim-2")->association_token, 9);
  EXPECT_TRUE(back->rollback_pending());
  EXPECT_EQ(back->pending_notifications().size(), e.pending_notifications().size());
  EXPECT_EQ(back->default_dp_address(), "dp.test");
  EXPECT_EQ(back->find_profile(wire(kIccid3))->home_plmn, domain::Plmn::parse("234-15").value().to_wire());

  // The loaded eUICC keeps working: replay protection survives, and the rollback still works.
  EimSide eim;
  eim.counter = 3;
  auto replay = run(*back, eim, sgp::PsmoList{sgp::PsmoGetRat{}}, 3);
  EXPECT_TRUE(std::holds_alternative<sgp::EuiccPackageErrorSigned>(replay));
  ASSERT_TRUE(back->rollback().ok());
  EXPECT_EQ(iccid_text(back->enabled_profile()->iccid), kIccid1);
  // Sequence numbers continue past the stored ones.
  EXPECT_GT(back->pending_notifications().back().seq_number, e.pending_notifications().back().seq_number);
  std::filesystem::remove(file);
}

TEST(StateFile, V10RoundTrip) {
  auto e = make_euicc(sgp::Version::v1_0);
  EimSide eim{sgp::Version::v1_0};
  run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  auto back = SoftwareEuicc::from_json(e.to_json());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->version(), sgp::Version::v1_0);
  EXPECT_EQ(back->to_json(), e.to_json());
}

// Changes one field of a valid state and expects the load to fail naming that field.
void expect_bad(const std::function<void(boost::json::object&)>& edit, const std::string& field) {
  auto e = make_euicc();
  EimSide eim;
  run(e, eim, sgp::PsmoList{sgp::PsmoEnable{wire(kIccid2)}});
  boost::json::object o = boost::json::parse(e.to_json()).as_object();
  edit(o);
  auto r = SoftwareEuicc::from_json(boost::json::serialize(o));
  ASSERT_FALSE(r.ok()) << "expected an error for " << field;
  EXPECT_EQ(r.error().field, field) << r.error().message;
  EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
}

TEST(StateFile, BadFieldsAreNamed) {
  expect_bad([](auto& o) { o["eid"] = "1234"; }, "eid");
  expect_bad([](auto& o) { o.erase("eid"); }, "eid");
  expect_bad([](auto& o) { o["format"] = "other/9"; }, "format");
  expect_bad([](auto& o) { o["sgp32_version"] = "2.0"; }, "sgp32_version");
  expect_bad([](auto& o) { o["private_key_pem"] = "not a key"; }, "private_key_pem");
  expect_bad([](auto& o) { o["private_key_pem"] = crypto::PrivateKey::generate().to_pem(); }, "private_key_pem");
  expect_bad([](auto& o) { o["euicc_certificate_pem"] = 5; }, "euicc_certificate_pem");
  expect_bad([](auto& o) { o["eum_certificate_pem"] = pki().ci.certificate.to_pem(); }, "eum_certificate_pem");
  expect_bad([](auto& o) { o["eim_configurations"].as_array()[0].as_object()["eim_configuration_data"] = "bf5701"; },
             "eim_configurations[0].eim_configuration_data");
  expect_bad([](auto& o) { o["profiles"].as_array()[1].as_object()["iccid"] = "8944000000000000010"; },
             "profiles[1].iccid");
  expect_bad([](auto& o) { o["profiles"].as_array()[0].as_object()["state"] = "enabled"; }, "profiles[1].state");
  expect_bad([](auto& o) { o["profiles"].as_array()[0].as_object()["class"] = "gold"; }, "profiles[0].class");
  expect_bad([](auto& o) { o["profiles"].as_array()[0].as_object()["home_plmn"] = "23415"; }, "profiles[0].home_plmn");
  expect_bad([](auto& o) { o["profiles"].as_array()[0].as_object()["isdp_aid"] = "a0"; }, "profiles[0].isdp_aid");
  expect_bad([](auto& o) { o["profiles"].as_array()[0].as_object()["fallback_allowed"] = "yes"; },
             "profiles[0].fallback_allowed");
  expect_bad([](auto& o) { o["notifications"].as_array()[0].as_object()["event"] = "explode"; },
             "notifications[0].event");
  expect_bad([](auto& o) { o["notifications"].as_array()[0].as_object()["seq_number"] = -1; },
             "notifications[0].seq_number");
  expect_bad([](auto& o) { o["package_results"].as_array()[0].as_object()["der"] = "bf5100"; },
             "package_results[0].der");
  expect_bad([](auto& o) { o["next_seq_number"] = 1; }, "next_seq_number");
  expect_bad([](auto& o) { o["state_change"] = nullptr; }, "state_change");
  expect_bad([](auto& o) { o["rollback"] = boost::json::object{{"enabled", "x"}}; }, "rollback.enabled");
}

TEST(StateFile, UnreadableAndNonJsonFiles) {
  auto missing = SoftwareEuicc::load(temp_file("does_not_exist.json"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io_error);
  const auto file = temp_file("garbage.json");
  std::ofstream(file) << "{not json";
  auto garbage = SoftwareEuicc::load(file);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, Errc::parse_error);
  EXPECT_NE(garbage.error().message.find(file.string()), std::string::npos);
  std::filesystem::remove(file);
}

}  // namespace esimo::twin::state_tests
