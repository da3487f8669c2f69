#include "domain/model.hpp"

#include <gtest/gtest.h>

namespace esimo::domain {
namespace {

TEST(Model, RoleStrings) {
  for (auto r : {Role::viewer, Role::operator_, Role::admin}) EXPECT_EQ(parse_role(to_string(r)).value(), r);
  EXPECT_EQ(to_string(Role::operator_), "operator");
  EXPECT_EQ(parse_role("Admin").value(), Role::admin);
  auto bad = parse_role("root");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_NE(bad.error().message.find("\"root\""), std::string::npos);
  EXPECT_NE(bad.error().message.find("viewer, operator, admin"), std::string::npos);
  EXPECT_TRUE(role_allows(Role::admin, Role::operator_));
  EXPECT_FALSE(role_allows(Role::viewer, Role::operator_));
}

TEST(Model, RatStrings) {
  EXPECT_EQ(to_string(Rat::lte_m), "LTE-M");
  EXPECT_EQ(to_string(Rat::nb_iot), "NB-IoT");
  EXPECT_EQ(to_string(Rat::lte), "LTE");
  EXPECT_EQ(to_string(Rat::nr5g), "5G");
  for (auto r : {Rat::lte_m, Rat::nb_iot, Rat::lte, Rat::nr5g}) EXPECT_EQ(parse_rat(to_string(r)).value(), r);
  EXPECT_EQ(parse_rat("lte-m").value(), Rat::lte_m);
  EXPECT_EQ(parse_rat("LTEM").value(), Rat::lte_m);
  EXPECT_EQ(parse_rat("nbiot").value(), Rat::nb_iot);
  EXPECT_EQ(parse_rat("NB-IOT").value(), Rat::nb_iot);
  EXPECT_EQ(parse_rat("nr").value(), Rat::nr5g);
  EXPECT_EQ(parse_rat("5g").value(), Rat::nr5g);
  EXPECT_FALSE(parse_rat("3G").ok());
  EXPECT_FALSE(parse_rat("").ok());
}

TEST(Model, OtherEnumStrings) {
  for (auto s : {CarrierStatus::up, CarrierStatus::degraded, CarrierStatus::down})
    EXPECT_EQ(parse_carrier_status(to_string(s)).value(), s);
  EXPECT_EQ(to_string(CarrierStatus::degraded), "degraded");
  for (auto c : {ProfileClass::operational, ProfileClass::test, ProfileClass::provisioning})
    EXPECT_EQ(parse_profile_class(to_string(c)).value(), c);
  EXPECT_EQ(to_string(ProfileClass::provisioning), "provisioning");
  for (auto s : {ProfileState::enabled, ProfileState::disabled}) EXPECT_EQ(parse_profile_state(to_string(s)).value(), s);
  for (auto l : {Lifecycle::inventory, Lifecycle::active, Lifecycle::suspended, Lifecycle::retired})
    EXPECT_EQ(parse_lifecycle(to_string(l)).value(), l);
  EXPECT_EQ(to_string(Lifecycle::inventory), "inventory");
  EXPECT_FALSE(parse_carrier_status("unknown").ok());
  EXPECT_FALSE(parse_profile_class("bootstrap").ok());
  EXPECT_FALSE(parse_profile_state("on").ok());
  EXPECT_FALSE(parse_lifecycle("dead").ok());
}

TEST(Model, Sgp32Version) {
  EXPECT_EQ(to_string(Sgp32Version::v1_0), "1.0");
  EXPECT_EQ(to_string(Sgp32Version::v1_2), "1.2");
  for (std::string_view s : {"1.2", "v1.2", "1.2.0", "1.2.3", "V1.2"}) EXPECT_EQ(parse_sgp32_version(s).value(), Sgp32Version::v1_2) << s;
  for (std::string_view s : {"1.0", "v1.0", "1.0.0", "v1.0.1"}) EXPECT_EQ(parse_sgp32_version(s).value(), Sgp32Version::v1_0) << s;
  for (std::string_view s : {"", "1", "1.1", "2.0", "1.2.", "1.2.x", "12", "v", "1.2 ", "1.20"}) {
    auto r = parse_sgp32_version(s);
    EXPECT_FALSE(r.ok()) << s;
  }
}

TEST(Model, OperationStates) {
  using S = OperationState;
  const S all[] = {S::queued, S::delivered, S::succeeded, S::failed, S::expired, S::cancelled};
  const char* names[] = {"queued", "delivered", "succeeded", "failed", "expired", "cancelled"};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(to_string(all[i]), names[i]);
    EXPECT_EQ(parse_operation_state(names[i]).value(), all[i]);
  }
  EXPECT_FALSE(parse_operation_state("running").ok());
  EXPECT_FALSE(is_terminal(S::queued));
  EXPECT_FALSE(is_terminal(S::delivered));
  for (auto s : {S::succeeded, S::failed, S::expired, S::cancelled}) EXPECT_TRUE(is_terminal(s));
}

TEST(Model, TransitionTable) {
  using S = OperationState;
  const S all[] = {S::queued, S::delivered, S::succeeded, S::failed, S::expired, S::cancelled};
  // allowed[from][to]
  const bool allowed[6][6] = {
      /* queued    */ {false, true, false, true, true, true},
      /* delivered */ {false, false, true, true, true, true},
      /* succeeded */ {false, false, false, false, false, false},
      /* failed    */ {false, false, false, false, false, false},
      /* expired   */ {false, false, false, false, false, false},
      /* cancelled */ {false, false, false, false, false, false},
  };
  for (int f = 0; f < 6; ++f)
    for (int t = 0; t < 6; ++t)
      EXPECT_EQ(transition_allowed(all[f], all[t]), allowed[f][t]) << to_string(all[f]) << " -> " << to_string(all[t]);
}

TEST(Model, GroupNames) {
  EXPECT_TRUE(validate_group_name("fleet").ok());
  EXPECT_TRUE(validate_group_name("eu-west_1.sensors").ok());
  EXPECT_TRUE(validate_group_name("9lives").ok());
  EXPECT_TRUE(validate_group_name(std::string(64, 'a')).ok());
  EXPECT_FALSE(validate_group_name(std::string(65, 'a')).ok());
  EXPECT_FALSE(validate_group_name("").ok());
  EXPECT_FALSE(validate_group_name("-lead").ok());
  EXPECT_FALSE(validate_group_name(".hidden").ok());
  EXPECT_FALSE(validate_group_name("a b").ok());
  EXPECT_FALSE(validate_group_name("a/b").ok());
  EXPECT_FALSE(validate_group_name("a:b").ok());
  auto r = validate_group_name("bad name");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("position 4"), std::string::npos) << r.error().message;
}

TEST(Model, Tags) {
  EXPECT_TRUE(validate_tag("env:prod").ok());
  EXPECT_TRUE(validate_tag("-x").ok());
  EXPECT_TRUE(validate_tag("a.b_c-d:e").ok());
  EXPECT_TRUE(validate_tag(std::string(64, 't')).ok());
  EXPECT_FALSE(validate_tag(std::string(65, 't')).ok());
  EXPECT_FALSE(validate_tag("").ok());
  EXPECT_FALSE(validate_tag("a,b").ok());
  EXPECT_FALSE(validate_tag("ä").ok());
}

}  // namespace
}  // namespace esimo::domain
