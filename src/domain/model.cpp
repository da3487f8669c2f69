// String forms of the fleet model's enums, the operation state machine, and name/tag rules.
#include "domain/model.hpp"

#include "domain/error_text.hpp"

#include <array>
#include <utility>

namespace esimo::domain {
namespace model_detail {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Looks s up (case-insensitively) among the names of an enum; the error lists the accepted names.
template <class E, std::size_t N>
Result<E> parse_enum(std::string_view what, std::string_view s, const std::array<std::pair<E, std::string_view>, N>& names) {
  for (const auto& [value, name] : names) {
    if (iequals(s, name)) return value;
  }
  std::string accepted;
  for (const auto& [value, name] : names) {
    if (!accepted.empty()) accepted += ", ";
    accepted += name;
  }
  return Error{Errc::invalid_argument, std::string(what) + " " + quote_input(s) + " is not one of: " + accepted};
}

template <class E, std::size_t N>
std::string_view name_of(E v, const std::array<std::pair<E, std::string_view>, N>& names) {
  for (const auto& [value, name] : names) {
    if (value == v) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<Role, std::string_view>, 3> kRoles{{
    {Role::viewer, "viewer"}, {Role::operator_, "operator"}, {Role::admin, "admin"}}};
constexpr std::array<std::pair<Rat, std::string_view>, 4> kRats{{
    {Rat::lte_m, "LTE-M"}, {Rat::nb_iot, "NB-IoT"}, {Rat::lte, "LTE"}, {Rat::nr5g, "5G"}}};
constexpr std::array<std::pair<Rat, std::string_view>, 7> kRatAliases{{
    {Rat::lte_m, "LTE-M"}, {Rat::nb_iot, "NB-IoT"}, {Rat::lte, "LTE"}, {Rat::nr5g, "5G"},
    {Rat::lte_m, "LTEM"}, {Rat::nb_iot, "NBIOT"}, {Rat::nr5g, "NR"}}};
constexpr std::array<std::pair<CarrierStatus, std::string_view>, 3> kCarrierStatuses{{
    {CarrierStatus::up, "up"}, {CarrierStatus::degraded, "degraded"}, {CarrierStatus::down, "down"}}};
constexpr std::array<std::pair<ProfileClass, std::string_view>, 3> kProfileClasses{{
    {ProfileClass::operational, "operational"}, {ProfileClass::test, "test"},
    {ProfileClass::provisioning, "provisioning"}}};
constexpr std::array<std::pair<ProfileState, std::string_view>, 2> kProfileStates{{
    {ProfileState::enabled, "enabled"}, {ProfileState::disabled, "disabled"}}};
constexpr std::array<std::pair<Lifecycle, std::string_view>, 4> kLifecycles{{
    {Lifecycle::inventory, "inventory"}, {Lifecycle::active, "active"}, {Lifecycle::suspended, "suspended"},
    {Lifecycle::retired, "retired"}}};
constexpr std::array<std::pair<Sgp32Version, std::string_view>, 2> kSgp32Versions{{
    {Sgp32Version::v1_0, "1.0"}, {Sgp32Version::v1_2, "1.2"}}};
constexpr std::array<std::pair<OperationState, std::string_view>, 6> kOperationStates{{
    {OperationState::queued, "queued"}, {OperationState::delivered, "delivered"},
    {OperationState::succeeded, "succeeded"}, {OperationState::failed, "failed"},
    {OperationState::expired, "expired"}, {OperationState::cancelled, "cancelled"}}};

// 1-64 characters: ASCII letters, digits and extra_chars; alnum_first requires a letter or digit first.
Status check_name(std::string_view what, std::string_view s, std::string_view extra_chars, bool alnum_first) {
  if (s.empty()) return Error{Errc::invalid_argument, std::string(what) + " is empty"};
  if (s.size() > 64) {
    return Error{Errc::invalid_argument,
                 std::string(what) + " " + quote_input(s) + " is longer than 64 characters (" + std::to_string(s.size()) + ")"};
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (alnum_first && !alnum(s[0])) {
    return Error{Errc::invalid_argument, std::string(what) + " " + quote_input(s) + " must start with a letter or digit"};
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!alnum(s[i]) && extra_chars.find(s[i]) == std::string_view::npos) {
      return Error{Errc::invalid_argument, std::string(what) + " " + quote_input(s) + " has a character not in [A-Za-z0-9" +
                                               std::string(extra_chars) + "] at position " + std::to_string(i + 1)};
    }
  }
  return ok_status();
}

}  // namespace model_detail

namespace mdd = model_detail;

std::string_view to_string(Role r) { return mdd::name_of(r, mdd::kRoles); }
Result<Role> parse_role(std::string_view s) { return mdd::parse_enum("role", s, mdd::kRoles); }

std::string_view to_string(Rat r) { return mdd::name_of(r, mdd::kRats); }
Result<Rat> parse_rat(std::string_view s) {
  auto r = mdd::parse_enum("RAT", s, mdd::kRatAliases);
  if (!r) return mdd::parse_enum("RAT", s, mdd::kRats);  // the error lists only the canonical names
  return r;
}

std::string_view to_string(CarrierStatus s) { return mdd::name_of(s, mdd::kCarrierStatuses); }
Result<CarrierStatus> parse_carrier_status(std::string_view s) {
  return mdd::parse_enum("carrier status", s, mdd::kCarrierStatuses);
}

std::string_view to_string(ProfileClass c) { return mdd::name_of(c, mdd::kProfileClasses); }
Result<ProfileClass> parse_profile_class(std::string_view s) {
  return mdd::parse_enum("profile class", s, mdd::kProfileClasses);
}

std::string_view to_string(ProfileState s) { return mdd::name_of(s, mdd::kProfileStates); }
Result<ProfileState> parse_profile_state(std::string_view s) {
  return mdd::parse_enum("profile state", s, mdd::kProfileStates);
}

std::string_view to_string(Lifecycle l) { return mdd::name_of(l, mdd::kLifecycles); }
Result<Lifecycle> parse_lifecycle(std::string_view s) { return mdd::parse_enum("lifecycle", s, mdd::kLifecycles); }

std::string_view to_string(Sgp32Version v) { return mdd::name_of(v, mdd::kSgp32Versions); }
// Accepts "1.0", "1.2", an optional 'v' prefix, and a patch level ("1.2.0", "v1.0.3").
Result<Sgp32Version> parse_sgp32_version(std::string_view s) {
  std::string_view rest = s;
  if (!rest.empty() && (rest[0] == 'v' || rest[0] == 'V')) rest.remove_prefix(1);
  if (rest.size() > 3 && rest[3] == '.') {
    std::string_view patch = rest.substr(4);
    bool digits = !patch.empty() && patch.size() <= 4;
    for (char c : patch) digits = digits && c >= '0' && c <= '9';
    if (digits) rest = rest.substr(0, 3);
  }
  if (rest == "1.0") return Sgp32Version::v1_0;
  if (rest == "1.2") return Sgp32Version::v1_2;
  return Error{Errc::invalid_argument,
               "SGP.32 version " + quote_input(s) + " is not supported (accepted: 1.0, 1.2, optionally v-prefixed)"};
}

std::string_view to_string(OperationState s) { return mdd::name_of(s, mdd::kOperationStates); }
Result<OperationState> parse_operation_state(std::string_view s) {
  return mdd::parse_enum("operation state", s, mdd::kOperationStates);
}

bool is_terminal(OperationState s) {
  return s == OperationState::succeeded || s == OperationState::failed || s == OperationState::expired ||
         s == OperationState::cancelled;
}

bool transition_allowed(OperationState from, OperationState to) {
  using S = OperationState;
  switch (from) {
    case S::queued:
      return to == S::delivered || to == S::expired || to == S::cancelled || to == S::failed;
    case S::delivered:
      return to == S::succeeded || to == S::failed || to == S::expired || to == S::cancelled;
    case S::succeeded:
    case S::failed:
    case S::expired:
    case S::cancelled:
      return false;
  }
  return false;
}

Status validate_group_name(std::string_view name) { return mdd::check_name("group name", name, "._-", true); }
Status validate_tag(std::string_view tag) { return mdd::check_name("tag", tag, "._:-", false); }

}  // namespace esimo::domain
