// eUICC results, eUICC data, notifications: verification (SGP.32 §2.11.2.1), named outcomes, and the profile state
// they prove. Profiles and the active profile change only here.
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "base/log.hpp"
#include "der/der.hpp"
#include "eim/eim_impl.hpp"

namespace esimo::eim {

namespace impl_detail {

namespace {
struct CodeName {
  std::int64_t code;
  const char* name;
};
template <std::size_t N>
std::string name_in(const CodeName (&table)[N], std::int64_t code) {
  for (const auto& c : table) {
    if (c.code == code) return c.name;
  }
  return "undefined_error";
}
// Result codes of SGP32DefinitionsV12.asn (EnableProfileResult, DisableProfileResult, ...).
constexpr CodeName kEnableCodes[] = {{0, "ok"},
                                     {1, "iccid_or_aid_not_found"},
                                     {2, "profile_not_in_disabled_state"},
                                     {3, "disallowed_by_policy"},
                                     {5, "cat_busy"},
                                     {20, "rollback_not_available"},
                                     {127, "undefined_error"}};
constexpr CodeName kDisableCodes[] = {{0, "ok"},
                                      {1, "iccid_or_aid_not_found"},
                                      {2, "profile_not_in_enabled_state"},
                                      {3, "disallowed_by_policy"},
                                      {5, "cat_busy"},
                                      {127, "undefined_error"}};
constexpr CodeName kDeleteCodes[] = {{0, "ok"},
                                     {1, "iccid_or_aid_not_found"},
                                     {2, "profile_not_in_disabled_state"},
                                     {3, "disallowed_by_policy"},
                                     {20, "rollback_not_available"},
                                     {21, "return_fallback_profile"},
                                     {127, "undefined_error"}};
constexpr CodeName kGenericCodes[] = {
    {0, "ok"}, {1, "insufficient_memory"}, {7, "command_error"}, {127, "undefined_error"}};
constexpr CodeName kAddEimCodes[] = {{0, "ok"},
                                     {1, "insufficient_memory"},
                                     {2, "associated_eim_already_exists"},
                                     {3, "ci_pk_unknown"},
                                     {5, "invalid_association_token"},
                                     {6, "counter_value_out_of_range"},
                                     {7, "command_error"},
                                     {127, "undefined_error"}};
constexpr CodeName kDeleteEimCodes[] = {
    {0, "ok"}, {1, "eim_not_found"}, {2, "last_eim_deleted"}, {7, "command_error"}, {127, "undefined_error"}};
constexpr CodeName kUpdateEimCodes[] = {{0, "ok"},
                                        {1, "eim_not_found"},
                                        {3, "ci_pk_unknown"},
                                        {6, "counter_value_out_of_range"},
                                        {7, "command_error"},
                                        {127, "undefined_error"}};
constexpr CodeName kSetFallbackCodes[] = {{0, "ok"},
                                          {1, "iccid_or_aid_not_found"},
                                          {2, "fallback_not_allowed"},
                                          {3, "fallback_profile_enabled"},
                                          {127, "undefined_error"}};
constexpr CodeName kUnsetFallbackCodes[] = {{0, "ok"},
                                            {2, "no_fallback_attribute"},
                                            {3, "fallback_profile_enabled"},
                                            {7, "command_error"},
                                            {127, "undefined_error"}};
constexpr CodeName kTerminatedCodes[] = {{1, "processing_terminated_result_size_overflow"},
                                         {2, "processing_terminated_unknown_or_damaged_command"},
                                         {3, "processing_terminated_interruption"},
                                         {127, "processing_terminated_undefined_error"}};
constexpr CodeName kListErrorCodes[] = {
    {1, "incorrect_input_values"}, {11, "profile_change_ongoing"}, {127, "undefined_error"}};
constexpr CodeName kOkCodes[] = {{0, "ok"}, {127, "undefined_error"}};
// EuiccPackageErrorCode (§2.11.2.1).
constexpr CodeName kPackageErrorCodes[] = {{3, "invalid_eid"},    {4, "replay_error"},
                                           {6, "counter_value_out_of_range"}, {15, "size_overflow"},
                                           {104, "ecall_active"}, {127, "undefined_error"}};
}  // namespace

std::string outcome_of_result(const sgp::EuiccResultData& r) {
  using K = sgp::EuiccResultKind;
  switch (r.kind) {
    case K::enable: return name_in(kEnableCodes, r.code);
    case K::disable: return name_in(kDisableCodes, r.code);
    case K::delete_profile: return name_in(kDeleteCodes, r.code);
    case K::list_profile_info: return r.list_error ? name_in(kListErrorCodes, *r.list_error) : "ok";
    case K::get_rat: return "ok";
    case K::configure_immediate_enable: return name_in(kGenericCodes, r.code);
    case K::add_eim: return r.association_token ? "ok" : name_in(kAddEimCodes, r.code);
    case K::delete_eim: return name_in(kDeleteEimCodes, r.code);
    case K::update_eim: return name_in(kUpdateEimCodes, r.code);
    case K::list_eim: return r.list_error ? name_in(kListErrorCodes, *r.list_error) : "ok";
    case K::rollback: return name_in(kOkCodes, r.code);
    case K::set_fallback_attribute: return name_in(kSetFallbackCodes, r.code);
    case K::unset_fallback_attribute: return name_in(kUnsetFallbackCodes, r.code);
    case K::processing_terminated: return name_in(kTerminatedCodes, r.code);
    case K::set_default_dp_address: return name_in(kGenericCodes, r.code);
  }
  return "undefined_error";
}

std::string outcome_of_package_error(std::int64_t code) { return name_in(kPackageErrorCodes, code); }

}  // namespace impl_detail

namespace results_detail {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// The result kind each request type is answered with.
bool kind_matches(std::string_view type, sgp::EuiccResultKind k) {
  using K = sgp::EuiccResultKind;
  if (type == "enable") return k == K::enable;
  if (type == "disable") return k == K::disable;
  if (type == "delete") return k == K::delete_profile;
  if (type == "list_profiles") return k == K::list_profile_info;
  if (type == "get_rat") return k == K::get_rat;
  if (type == "configure_immediate_enable") return k == K::configure_immediate_enable;
  if (type == "set_fallback") return k == K::set_fallback_attribute;
  if (type == "unset_fallback") return k == K::unset_fallback_attribute;
  if (type == "set_default_dp") return k == K::set_default_dp_address;
  if (type == "add_eim") return k == K::add_eim;
  if (type == "update_eim") return k == K::update_eim;
  if (type == "delete_eim") return k == K::delete_eim;
  if (type == "list_eim") return k == K::list_eim;
  return false;
}

// The eUICC signature data object appended to the signed data: 5F37 40 || r||s (SGP.32 §2.11.2.1: euiccSignEPR/EPE
// cover euiccPackageResultDataSigned and the eimSignature data object of the package answered; docs/esipa.md).
Bytes with_eim_signature(const Bytes& data_der, const Bytes& eim_signature) {
  Bytes out = data_der;
  out.push_back(0x5F);
  out.push_back(0x37);
  out.push_back(static_cast<std::uint8_t>(eim_signature.size()));
  out.insert(out.end(), eim_signature.begin(), eim_signature.end());
  return out;
}

bool first_result(const domain::Operation& op) {
  using S = domain::OperationState;
  if (op.state == S::delivered || op.state == S::queued) return true;
  return (op.state == S::expired || op.state == S::cancelled) && op.result_json.empty();
}

std::string json_str(std::string_view s) { return boost::json::serialize(boost::json::value(s)); }

const char* data_error_name(std::int64_t code) {
  switch (code) {
    case 1: return "incorrect_tag_list";
    case 5: return "euicc_ci_pkid_not_found";
    case 104: return "ecall_active";
    default: return "undefined_error";
  }
}

}  // namespace results_detail

std::optional<store::PackageResultUpdate::OperationUpdate> EimService::Impl::finished(const domain::Operation& op,
                                                                                      bool success,
                                                                                      const std::string& outcome,
                                                                                      const std::string& result_json,
                                                                                      TimePoint now) {
  using S = domain::OperationState;
  if (!results_detail::first_result(op)) return std::nullopt;  // duplicate: the first result stands
  store::PackageResultUpdate::OperationUpdate u{op, op.state};
  domain::Operation& done = u.op;
  done.updated_at = now;
  if (op.state == S::delivered || op.state == S::queued) {
    done.state = success ? S::succeeded : S::failed;
    done.outcome = outcome;
    done.result_json = result_json;
  } else {
    // A late result for an expired or cancelled operation: recorded, the state stays (SGP.32 results are facts).
    done.result_json = result_json.size() > 1 && result_json.front() == '{'
                           ? "{\"late\":true,\"outcome\":" + results_detail::json_str(outcome) +
                                 (result_json.size() > 2 ? "," : "") + result_json.substr(1)
                           : result_json;
  }
  return u;
}

Result<bool> EimService::Impl::finish_operation(domain::Operation op, bool success, std::string outcome,
                                                std::string result_json) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto u = finished(op, success, outcome, result_json, clock.now());
    if (!u) return false;
    Status st = store.update_operation(u->op, u->expected);
    if (st.ok()) {
      count_outcome(outcome);
      return true;
    }
    if (st.error().code != Errc::conflict) return st.error();
    ESIMO_TRY(op, store.get_operation(op.tenant_id, op.id));
  }
  return false;
}

void EimService::Impl::set_profile_state(DeviceWork& w, const domain::Iccid& iccid, std::string_view change) {
  bool found = false;
  for (auto it = w.profiles.begin(); it != w.profiles.end();) {
    const bool self = it->iccid == iccid;
    found = found || self;
    if (change == "delete" && self) {
      it = w.profiles.erase(it);
      continue;
    }
    if (change == "enable") {
      if (self) {
        it->state = domain::ProfileState::enabled;
      } else if (it->state == domain::ProfileState::enabled) {
        it->state = domain::ProfileState::disabled;
      }
    } else if (change == "disable" && self) {
      it->state = domain::ProfileState::disabled;
    } else if (change == "set_fallback") {
      it->fallback = self;
    } else if (change == "unset_fallback") {
      it->fallback = false;
    }
    ++it;
  }
  if (change == "enable" && found) w.active_iccid = iccid;
  if ((change == "disable" || change == "delete") && w.active_iccid == iccid) w.active_iccid.reset();
}

void EimService::Impl::forget_deleted(const store::PackageResultUpdate& u) {
  for (const auto& c : u.profiles) {
    if (!c.deleted) continue;
    std::unique_lock lock(mu);
    iccid_index.erase(c.iccid.str());
  }
}

void EimService::Impl::profile_update(const DeviceWork& before, const DeviceWork& after,
                                      store::PackageResultUpdate& u) {
  for (const auto& b : before.profiles) {
    const HotProfile* a = nullptr;
    for (const auto& p : after.profiles) {
      if (p.iccid == b.iccid) a = &p;
    }
    if (a == nullptr) {
      u.profiles.push_back(store::ProfileStateChange{b.iccid, true, b.state, b.fallback});
    } else if (a->state != b.state || a->fallback != b.fallback) {
      u.profiles.push_back(store::ProfileStateChange{a->iccid, false, a->state, a->fallback});
    }
  }
  if (after.active_iccid != before.active_iccid) {
    u.set_active_iccid = true;
    u.active_iccid = after.active_iccid;
  }
}

Status EimService::Impl::reconcile_profiles(domain::TenantId tenant, const domain::Eid& eid,
                                            const std::vector<sgp::ProfileInfo>& reported, bool complete,
                                            std::string& summary) {
  ESIMO_TRY(store::DeviceRecord rec, store.get_device(tenant, eid));
  const TimePoint now = clock.now();
  struct Seen {
    domain::ProfileState state;
    std::optional<bool> fallback;
  };
  std::map<std::string, Seen> seen;
  boost::json::array unknown;
  std::optional<domain::Iccid> enabled;
  for (const auto& info : reported) {
    if (!info.iccid) continue;
    auto iccid = domain::Iccid::from_wire(*info.iccid);
    if (!iccid) continue;
    const auto state = info.profile_state.value_or(0) == 1 ? domain::ProfileState::enabled
                                                           : domain::ProfileState::disabled;
    if (state == domain::ProfileState::enabled) enabled = *iccid;
    seen[iccid->str()] = Seen{state, info.fallback_attribute};
  }
  boost::json::array updated;
  boost::json::array removed;
  std::set<std::string> stored;
  for (auto p : rec.profiles) {
    stored.insert(p.iccid.str());
    auto it = seen.find(p.iccid.str());
    if (it == seen.end()) {
      if (complete) {
        ESIMO_CHECK(store.delete_profile(tenant, p.iccid));
        removed.emplace_back(p.iccid.str());
        std::unique_lock lock(mu);
        iccid_index.erase(p.iccid.str());
      }
      continue;
    }
    const bool fallback = it->second.fallback.value_or(p.fallback);
    if (p.state != it->second.state || p.fallback != fallback) {
      p.state = it->second.state;
      p.fallback = fallback;
      p.updated_at = now;
      ESIMO_CHECK(store.put_profile(p));
      updated.emplace_back(p.iccid.str());
    }
  }
  for (const auto& [iccid, s] : seen) {
    // A profile the store does not know has no carrier yet: reported, not invented (import or REST adds it).
    if (stored.count(iccid) == 0) unknown.emplace_back(iccid);
  }
  domain::Device dev = rec.device;
  std::optional<domain::Iccid> active = enabled && stored.count(enabled->str()) ? enabled : std::nullopt;
  if ((complete || enabled) && dev.active_iccid != active) {
    dev.active_iccid = active;
    dev.updated_at = now;
    ESIMO_CHECK(store.update_device(dev));
  }
  summary = "\"updated\":" + boost::json::serialize(updated) + ",\"removed\":" + boost::json::serialize(removed) +
            ",\"unknown\":" + boost::json::serialize(unknown);
  return {};
}

void EimService::Impl::apply_effect(DeviceWork& w, const domain::Operation& op) {
  auto req = operation_request_from_json(op.type, op.params_json);
  if (!req) return;
  if (const auto* x = std::get_if<OpEnable>(&*req)) return set_profile_state(w, x->iccid, "enable");
  if (const auto* x = std::get_if<OpDisable>(&*req)) return set_profile_state(w, x->iccid, "disable");
  if (const auto* x = std::get_if<OpDelete>(&*req)) return set_profile_state(w, x->iccid, "delete");
  if (const auto* x = std::get_if<OpSetFallback>(&*req)) return set_profile_state(w, x->iccid, "set_fallback");
  if (std::holds_alternative<OpUnsetFallback>(*req)) {
    for (const auto& p : w.profiles) {
      if (p.fallback) {
        const domain::Iccid iccid = p.iccid;
        return set_profile_state(w, iccid, "unset_fallback");
      }
    }
  }
}

Status EimService::Impl::handle_package_result(const sgp::EuiccPackageResult& r, const std::optional<EidKey>& hint) {
  const std::optional<Bytes> tid = std::visit(
      results_detail::Overloaded{
          [](const sgp::EuiccPackageResultSigned& x) { return x.data.eim_transaction_id; },
          [](const sgp::EuiccPackageErrorSigned& x) { return x.data.eim_transaction_id; },
          [](const sgp::EuiccPackageErrorUnsigned& x) { return x.eim_transaction_id; },
      },
      r);
  if (!tid) {
    log::warn("eUICC package result without an eimTransactionId cannot be matched; ignored");
    return {};
  }
  // The device: the EID the result came with (v1.2), else the package record's (v1.0 results carry none).
  std::optional<store::EimPackageRecord> pkg;
  std::optional<EidKey> key = hint;
  auto read_package = [&]() -> Status {
    auto p = store.get_package(*tid);
    if (!p) {
      if (p.error().code != Errc::not_found) return std::move(p).error();
      log::warn("eUICC package result for an unknown eimTransactionId; ignored", {{"tid", to_hex(*tid)}});
      return {};
    }
    pkg = std::move(*p);
    return {};
  };
  if (!key) {
    ESIMO_CHECK(read_package());
    if (!pkg) return {};
    key = pkg->eid.to_bytes();
  }
  auto busy = busy_of(*key);
  if (!busy) return {};
  std::lock_guard dev_lock(*busy);
  auto dev = snapshot(*key);
  if (!dev) return {};
  // The package as sent, from the hot state; after a restart (or when evicted) from the store.
  InFlightPackage flight;
  bool hot = false;
  auto& in_flight = dev->work->in_flight;
  for (auto it = in_flight.begin(); it != in_flight.end(); ++it) {
    if (it->eim_transaction_id == *tid && !it->euicc_data) {
      flight = std::move(*it);
      in_flight.erase(it);
      hot = true;
      break;
    }
  }
  if (!hot) {
    if (!pkg) {
      ESIMO_CHECK(read_package());
      if (!pkg) return {};
    }
    if (pkg->kind == "euicc_data") {
      log::warn("eUICC package result for an eUICC data request; ignored", {{"tid", to_hex(*tid)}});
      return {};
    }
    if (pkg->eid.to_bytes() != *key) {
      log::warn("eUICC package result names another EID than its package; ignored", {{"tid", to_hex(*tid)}});
      return {};
    }
    if (dev->tenant != pkg->tenant_id) return {};
    ESIMO_TRY(flight.operations, store.find_operations_by_transaction(to_hex(*tid)));
    flight.eim_transaction_id = *tid;
    flight.counter_value = pkg->counter_value;
    flight.eim_signature = pkg->eim_signature;
  }

  const std::string verified_json =
      dev->emulated ? "\"verified\":false,\"emulated\":true" : std::string("\"verified\":true");
  auto verify = [&](const Bytes& data_der, const Bytes& signature) -> bool {
    if (dev->emulated) return true;  // accepted only with the per-device flag; operations say so
    if (!dev->euicc_verifier) return false;
    return dev->euicc_verifier
        ->verify_raw(results_detail::with_eim_signature(data_der, flight.eim_signature), signature)
        .ok();
  };

  // What the result says about each operation of the package (index-aligned with the package's list).
  struct Decision {
    bool success = false;
    std::string outcome;
    std::string detail;                           // JSON members after verified_json
    const sgp::EuiccResultData* effect = nullptr;  // an ok result whose effect on the profiles applies
  };
  std::vector<Decision> decisions(flight.operations.size());
  std::string prefix = verified_json;  // the first JSON members of every result_json
  if (const auto* s = std::get_if<sgp::EuiccPackageResultSigned>(&r)) {
    if (!verify(s->data_der, s->euicc_sign_epr) || s->data.counter_value != flight.counter_value) {
      verification_failures->inc();
      log::warn("eUICC result signature does not verify; operations failed, device state unchanged",
                {{"eid", dev->eid.str()}, {"tid", to_hex(*tid)}});
      prefix = "\"verified\":false";
      for (auto& d : decisions) d.outcome = "euicc_signature_invalid";
    } else {
      const auto& results = s->data.euicc_result;
      std::optional<std::string> terminated;
      for (std::size_t i = 0; i < flight.operations.size(); ++i) {
        const auto& op = flight.operations[i];
        Decision& d = decisions[i];
        const sgp::EuiccResultData* e = i < results.size() ? &results[i] : nullptr;
        if (e != nullptr && e->kind == sgp::EuiccResultKind::processing_terminated) {
          terminated = impl_detail::outcome_of_result(*e);
        }
        if (terminated) {
          d.outcome = *terminated;
          e = nullptr;
        } else if (e == nullptr) {
          d.outcome = "no_result";
        } else if (!results_detail::kind_matches(op.type, e->kind)) {
          d.outcome = "result_mismatch";
          d.detail = ",\"result\":" + results_detail::json_str(sgp::euicc_result_kind_name(e->kind));
        } else {
          d.outcome = impl_detail::outcome_of_result(*e);
          d.detail = ",\"code\":" + std::to_string(e->code);
          if (e->association_token) d.detail += ",\"association_token\":" + std::to_string(*e->association_token);
          if (!e->eims.empty()) {
            boost::json::array eims;
            for (const auto& x : e->eims) eims.emplace_back(x.eim_id);
            d.detail += ",\"eims\":" + boost::json::serialize(eims);
          }
          if (!e->rat_der.empty()) d.detail += ",\"rat\":" + results_detail::json_str(to_hex(e->rat_der));
        }
        d.success = d.outcome == "ok";
        if (d.success) d.effect = e;
      }
    }
  } else if (const auto* s = std::get_if<sgp::EuiccPackageErrorSigned>(&r)) {
    if (!verify(s->data_der, s->euicc_sign_epe)) {
      verification_failures->inc();
      prefix = "\"verified\":false";
      for (auto& d : decisions) d.outcome = "euicc_signature_invalid";
    } else {
      for (auto& d : decisions) {
        d.outcome = impl_detail::outcome_of_package_error(s->data.euicc_package_error_code);
        d.detail = ",\"euicc_package_error_code\":" + std::to_string(s->data.euicc_package_error_code);
      }
    }
  } else {
    // EuiccPackageErrorUnsigned: the eUICC could not authenticate the eIM (unknown eimId or a bad eIM signature).
    prefix = "\"verified\":false";
    for (auto& d : decisions) d.outcome = "euicc_package_error_unsigned";
  }

  // One store call for the whole result: operations, profile states and the active profile (all or nothing).
  auto commit = [&](const std::vector<domain::Operation>& ops) -> Status {
    const TimePoint now = clock.now();
    store::PackageResultUpdate u;
    u.tenant_id = dev->tenant;
    u.eid = dev->eid;
    u.at = now;
    DeviceWork* work = nullptr;
    DeviceWork after;
    bool effects = false;
    bool reconciled = false;
    std::vector<std::string> outcomes;
    for (std::size_t i = 0; i < ops.size() && i < decisions.size(); ++i) {
      const auto& op = ops[i];
      const Decision& d = decisions[i];
      std::string detail = d.detail;
      if (d.effect != nullptr && results_detail::first_result(op)) {
        // Effects first (the eUICC did it, whether or not the operation is still waiting), then the record.
        if (d.effect->kind == sgp::EuiccResultKind::list_profile_info) {
          auto req = operation_request_from_json(op.type, op.params_json);
          const bool complete = req && std::holds_alternative<OpListProfiles>(*req) &&
                                !std::get<OpListProfiles>(*req).iccid;
          std::string summary;
          ESIMO_CHECK(reconcile_profiles(op.tenant_id, op.eid, d.effect->profiles, complete, summary));
          detail += "," + summary;
          reconciled = true;
        } else {
          if (work == nullptr) {
            ESIMO_TRY(work, work_of(*dev));
            after = *work;
          }
          apply_effect(after, op);
          effects = true;
        }
      }
      if (auto f = finished(op, d.success, d.outcome, "{" + prefix + detail + "}", now)) {
        u.operations.push_back(std::move(*f));
        outcomes.push_back(d.outcome);
      }
    }
    if (effects) profile_update(*work, after, u);
    if (reconciled) dev->work->loaded = false;  // reconcile_profiles wrote the profiles itself
    if (u.operations.empty() && u.profiles.empty() && !u.set_active_iccid) return {};
    ESIMO_CHECK(store.apply_package_result(u));
    if (effects) {
      work->profiles = std::move(after.profiles);
      work->active_iccid = std::move(after.active_iccid);
      forget_deleted(u);
    }
    for (const auto& o : outcomes) count_outcome(o);
    return {};
  };
  Status st = commit(flight.operations);
  if (!st.ok() && st.error().code == Errc::conflict) {
    // An operation moved meanwhile (expired, cancelled, a duplicate result): read them back and decide again.
    dev->work->loaded = false;
    ESIMO_TRY(auto fresh, store.find_operations_by_transaction(to_hex(*tid)));
    st = commit(fresh);
  }
  return st;
}

Status EimService::Impl::handle_package_result_error(const sgp::EimPackageResultError& e) {
  if (!e.eim_transaction_id) {
    log::warn("IPA package error without an eimTransactionId cannot be matched; ignored", {{"code", e.code}});
    return {};
  }
  ESIMO_TRY(auto ops, store.find_operations_by_transaction(to_hex(*e.eim_transaction_id)));
  const std::string outcome = e.code == 1 ? "ipa_invalid_package_format"
                              : e.code == 2 ? "ipa_unknown_package"
                                            : "ipa_undefined_error";
  for (const auto& op : ops) {
    ESIMO_TRY(bool first, finish_operation(op, false, outcome, "{\"code\":" + std::to_string(e.code) + "}"));
    (void)first;
  }
  return {};
}

Status EimService::Impl::handle_euicc_data(const sgp::IpaEuiccDataResponse& r, const std::optional<EidKey>& hint,
                                           std::vector<std::int64_t>& acks) {
  // The IPA answers an eUICC data request unsigned: such an answer may finish only the euicc_data operations of the
  // request it names, never the operations of a signed eUICC package that happens to carry that transaction id.
  const auto is_data_op = [](const domain::Operation& op) { return op.type == "euicc_data"; };
  if (const auto* err = std::get_if<sgp::IpaEuiccDataError>(&r)) {
    if (!err->eim_transaction_id) return {};
    if (hint) {
      if (auto busy = busy_of(*hint)) {
        std::lock_guard dev_lock(*busy);
        if (auto dev = snapshot(*hint)) {
          std::erase_if(dev->work->in_flight, [&](const InFlightPackage& f) {
            return f.euicc_data && f.eim_transaction_id == *err->eim_transaction_id;
          });
        }
      }
    }
    ESIMO_TRY(auto ops, store.find_operations_by_transaction(to_hex(*err->eim_transaction_id)));
    for (const auto& op : ops) {
      if (!is_data_op(op)) continue;
      ESIMO_TRY(bool first, finish_operation(op, false, results_detail::data_error_name(err->code),
                                             "{\"code\":" + std::to_string(err->code) + "}"));
      (void)first;
    }
    return {};
  }
  const auto& d = std::get<sgp::IpaEuiccData>(r);
  std::optional<store::EimPackageRecord> pkg;
  // A v1.2 answer names its device: its request is found in that device's hot state below (the store only after a
  // restart). Without the EID, the package record is what names the device.
  if (d.eim_transaction_id && !hint) {
    auto p = store.get_package(*d.eim_transaction_id);
    if (p && p->kind == "euicc_data") pkg = std::move(*p);
  }
  std::optional<crypto::Certificate> euicc_cert;
  std::optional<crypto::Certificate> eum_cert;
  if (d.euicc_certificate) {
    if (auto c = crypto::Certificate::from_der(*d.euicc_certificate)) euicc_cert = std::move(*c);
  }
  if (d.eum_certificate) {
    if (auto c = eum_certificates.from_der(*d.eum_certificate)) eum_cert = std::move(*c);
  }
  // The device: the v1.2 EID, else the package answered, else the eUICC certificate's serialNumber (the EID).
  std::optional<EidKey> key = hint;
  if (!key && pkg) key = pkg->eid.to_bytes();
  if (!key && euicc_cert) {
    if (auto serial = euicc_cert->subject_serial_number()) {
      if (auto eid = domain::Eid::parse(*serial)) key = eid->to_bytes();
    }
  }
  if (!key) {
    log::warn("eUICC data that names no device; ignored");
    return {};
  }
  std::vector<domain::Operation> ops;
  {
    auto busy = busy_of(*key);
    if (!busy) return {};
    std::lock_guard dev_lock(*busy);
    auto dev = snapshot(*key);
    if (!dev || dev->ambiguous) return {};
    if (pkg && (pkg->eid != dev->eid || pkg->tenant_id != dev->tenant)) pkg.reset();
    // The request as sent (its operations), kept in the hot state when it left (esipa.cpp).
    // The entry leaves the hot state even when the package record (an answer without its EID) already named the
    // device: an entry left behind would match a duplicate of this answer and finish its operations again.
    std::optional<InFlightPackage> flight;
    auto& in_flight = dev->work->in_flight;
    const TimePoint now = clock.now();
    const auto open_for = std::chrono::duration_cast<Duration>(options.delivered_timeout);
    // Requests past delivered_timeout are closed: their operations expired (a late answer is still recorded on
    // them through the store) and their answer teaches nothing.
    std::erase_if(in_flight, [&](const InFlightPackage& f) { return f.euicc_data && now - f.sent_at >= open_for; });
    if (d.eim_transaction_id) {
      for (auto it = in_flight.begin(); it != in_flight.end(); ++it) {
        if (it->euicc_data && it->eim_transaction_id == *d.eim_transaction_id) {
          if (!pkg) flight = std::move(*it);
          in_flight.erase(it);
          break;
        }
      }
      if (!flight && !pkg) {
        if (auto p = store.get_package(*d.eim_transaction_id)) {
          if (p->eid == dev->eid && p->tenant_id == dev->tenant && p->kind == "euicc_data") pkg = std::move(*p);
        }
      }
    } else if (dev->version == sgp::Version::v1_0) {
      // v1.0 IpaEuiccData carries no transaction id: it answers the device's oldest open eUICC data request with
      // operations, else its open first-contact request (at most one: a new one supersedes the others) — in the hot
      // state, or (after a restart) its oldest delivered euicc_data operation in the store. A first-contact request
      // lost in a restart is not matched: the next poll asks again.
      auto pick = std::find_if(in_flight.begin(), in_flight.end(),
                               [](const InFlightPackage& f) { return f.euicc_data && !f.operations.empty(); });
      if (pick == in_flight.end()) {
        pick = std::find_if(in_flight.begin(), in_flight.end(), [](const InFlightPackage& f) { return f.euicc_data; });
      }
      if (pick != in_flight.end()) {
        flight = std::move(*pick);
        in_flight.erase(pick);
      }
      if (!flight) {
        store::OperationFilter filter;
        filter.eid = dev->eid;
        filter.state = domain::OperationState::delivered;
        filter.type = "euicc_data";
        auto open_ops = store.list_operations(dev->tenant, filter, store::Page{.limit = 1, .after = {}});
        if (open_ops && !open_ops->items.empty()) {
          if (auto tid = from_hex(open_ops->items.front().eim_transaction_id)) {
            if (auto p = store.get_package(*tid)) {
              if (p->eid == dev->eid && p->tenant_id == dev->tenant && p->kind == "euicc_data") pkg = std::move(*p);
            }
          }
        }
      }
    }
    // The operations the answer finishes (a late answer is still recorded on expired ones).
    if (flight) {
      ops = std::move(flight->operations);
    } else if (pkg) {
      ESIMO_TRY(ops, store.find_operations_by_transaction(to_hex(pkg->eim_transaction_id)));
    }
    // The IPA's answer is unsigned: the association token and certificates in it are believed only as the answer to
    // a request the eIM sent this device that is still open (v1.2: by its eimTransactionId, which only the device
    // and the eIM know; v1.0: while one is open). Otherwise anyone reaching ESipa who knows an EID could overwrite
    // its token and have the eUICC refuse the device's next packages — or replay an old answer to roll it back. A
    // request found through the store (after a restart) is open while one of its operations is still delivered, or,
    // for a first-contact request, while it is recent and the device still needs its eUICC data.
    bool open = flight.has_value();
    if (!open && pkg) {
      bool any = false;
      for (const auto& op : ops) {
        if (!is_data_op(op)) continue;
        any = true;
        open = open || op.state == domain::OperationState::delivered;
      }
      if (!any) open = now - pkg->created_at < open_for && dev->needs_euicc_data();
    }
    if (!flight && !pkg) {
      unmatched_answers->inc();
      log::warn("eUICC data that answers no open request of its device; ignored", {{"eid", dev->eid.str()}});
    } else if (!open) {
      unmatched_answers->inc();
      log::warn("eUICC data answering a closed request; recorded on its operations, nothing learned",
                {{"eid", dev->eid.str()}});
    }
    std::string cert_status;
    std::shared_ptr<crypto::Verifier> verifier;
    if (open && euicc_cert && !eum_cert && !d.eum_certificate) {
      // The eUICC certificate alone (a v1.0 request always asks for it so the answer names its device; or a request
      // for A6 only): checked under the EUM certificate learned before.
      if (auto st = store.get_euicc_state(dev->tenant, dev->eid); st && !st->eum_certificate_der.empty()) {
        if (auto c = eum_certificates.from_der(st->eum_certificate_der)) eum_cert = std::move(*c);
      }
    }
    if (open && euicc_cert && eum_cert) {
      std::vector<crypto::Certificate> inter{*eum_cert};
      Status chain = trust->verify(*euicc_cert, inter, clock.now());
      const auto serial = euicc_cert->subject_serial_number();
      if (!chain.ok()) {
        cert_status = "chain: " + chain.error().message;
      } else if (!serial) {
        // SGP.22 §4.5.2: an eUICC certificate's subject carries the EID as serialNumber. Another end-entity
        // certificate under the same CI (an SM-DP+'s, an eIM's) must not become this device's key.
        cert_status = "the eUICC certificate names no EID (subject serialNumber)";
      } else if (*serial != dev->eid.str()) {
        cert_status = "the eUICC certificate names EID " + *serial;
      } else {
        verifier = std::make_shared<crypto::Verifier>(euicc_cert->public_key());
        cert_status = "verified";
        eum_certificates.remember(*eum_cert);  // verified: the next eUICC of this EUM skips its parse
      }
      if (!verifier) {
        verification_failures->inc();
        log::warn("eUICC certificate chain does not verify; not learned",
                  {{"eid", dev->eid.str()}, {"error", cert_status}});
      }
    } else if (open && (d.euicc_certificate || d.eum_certificate)) {
      cert_status = "incomplete or undecodable certificates";
      verification_failures->inc();
    }
    if (open && (verifier || d.association_token)) {
      store::EuiccEimState st;
      // What is not learned now is kept from the stored state; when everything is (first contact: token and
      // certificates), the hot state holds the rest and nothing is read.
      std::optional<store::EuiccEimState> stored;
      if (!(verifier && d.association_token)) {
        if (auto got = store.get_euicc_state(dev->tenant, dev->eid)) stored = std::move(*got);
      }
      if (stored) {
        st = std::move(*stored);
      } else {
        st.tenant_id = dev->tenant;
        st.eid = dev->eid;
        st.eim_id = dev->eim_id;
        st.counter_value = dev->counter;
        st.emulated = dev->emulated;
      }
      if (d.association_token) st.association_token = d.association_token;
      st.notification_seq = dev->notification_seq;  // a mark kept in memory before the row existed (never lowered)
      if (verifier) {
        st.euicc_certificate_der = euicc_cert->der();
        st.eum_certificate_der = eum_cert->der();
      }
      st.updated_at = clock.now();
      ESIMO_CHECK(store.put_euicc_state(st));
      std::unique_lock lock(mu);
      if (auto it = devices.find(*key); it != devices.end()) {
        if (d.association_token) it->second.association_token = d.association_token;
        if (verifier) it->second.euicc_verifier = verifier;
      }
    }
    if (flight || pkg) {
      std::string json = "{";
      if (d.association_token) json += "\"association_token\":" + std::to_string(*d.association_token) + ",";
      if (d.default_smdp_address) json += "\"default_smdp_address\":" + results_detail::json_str(*d.default_smdp_address) + ",";
      json += "\"certificates\":" + results_detail::json_str(cert_status.empty() ? "absent" : cert_status) + "}";
      const bool cert_bad = !cert_status.empty() && cert_status != "verified";
      for (const auto& op : ops) {
        if (!is_data_op(op)) continue;
        ESIMO_TRY(bool first, finish_operation(op, !cert_bad, cert_bad ? "euicc_certificate_invalid" : "ok", json));
        (void)first;
      }
    }
  }
  if (d.notifications_list) apply_notifications(*d.notifications_list, key, acks);
  if (d.euicc_package_result_list) {
    for (const auto& res : *d.euicc_package_result_list) ESIMO_CHECK(handle_package_result(res, key));
  }
  return {};
}

// SGP.22 OtherSignedNotification ::= SEQUENCE { tbsOtherNotification NotificationMetadata (BF2F),
// euiccNotificationSignature [APPLICATION 55] (5F37, raw r||s over DER(tbsOtherNotification)), euiccCertificate,
// eumCertificate }. Checked against the device's learned key; failing that (not learned yet, or signed under another
// of the eUICC's certificates), against the certificates the notification carries, verified as at first contact
// (chain to the CI, EID as subject serialNumber).
Status EimService::Impl::verify_notification(const sgp::PendingNotification& n, const HotDevice& dev) {
  if (n.kind != sgp::PendingNotificationKind::other_signed_notification) {
    return Error{Errc::invalid_argument, "only an otherSignedNotification changes profile states"};
  }
  ESIMO_TRY(der::Tlv outer, der::read_single(n.der));
  der::Reader r = outer.children();
  ESIMO_TRY(der::Tlv tbs, r.expect(der::tag(0xBF2F), "tbsOtherNotification"));
  ESIMO_TRY(der::Tlv sig, r.expect(der::tag(0x5F37), "euiccNotificationSignature"));
  ESIMO_TRY(ByteView signature, der::read_octets(sig));
  if (dev.euicc_verifier && dev.euicc_verifier->verify_raw(tbs.raw, signature).ok()) return {};
  // Not under the learned key (none yet, or the eUICC signed under another of its certificates, another CI's say):
  // under the certificates the notification carries, as strictly as at first contact.
  ESIMO_TRY(der::Tlv euicc_tlv, r.expect(der::kSequence, "euiccCertificate"));
  ESIMO_TRY(der::Tlv eum_tlv, r.expect(der::kSequence, "eumCertificate"));
  ESIMO_TRY(auto euicc_cert, crypto::Certificate::from_der(euicc_tlv.raw));
  ESIMO_TRY(auto eum_cert, eum_certificates.from_der(eum_tlv.raw));
  std::vector<crypto::Certificate> inter{std::move(eum_cert)};
  ESIMO_CHECK(trust->verify(euicc_cert, inter, clock.now()));
  if (euicc_cert.subject_serial_number() != dev.eid.str()) {
    return Error{Errc::invalid_argument, "the eUICC certificate does not name this EID"};
  }
  return crypto::Verifier(euicc_cert.public_key()).verify_raw(tbs.raw, signature);
}

void EimService::Impl::apply_notifications(const std::vector<sgp::PendingNotification>& list,
                                           const std::optional<EidKey>& hint, std::vector<std::int64_t>& acks) {
  // In seqNumber order: the eUICC numbers its notifications in the order it made them, and an older one than the last
  // applied is not applied (below).
  std::vector<const sgp::PendingNotification*> ordered;
  ordered.reserve(list.size());
  for (const auto& n : list) ordered.push_back(&n);
  if (ordered.size() > 1) {
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
      return (a->metadata ? a->metadata->seq_number : 0) < (b->metadata ? b->metadata->seq_number : 0);
    });
  }
  for (const auto* np : ordered) {
    const auto& n = *np;
    notifications->inc();
    if (!n.metadata) continue;  // compact forms carry no metadata: nothing to apply or acknowledge by number
    acks.push_back(n.metadata->seq_number);
    if (!n.metadata->iccid) continue;
    auto iccid = domain::Iccid::from_wire(*n.metadata->iccid);
    if (!iccid) continue;
    std::optional<EidKey> key = hint;
    if (!key) {
      std::shared_lock lock(mu);
      auto it = iccid_index.find(iccid->str());
      if (it != iccid_index.end()) key = it->second;
    }
    if (!key) {
      log::info("notification for a profile the eIM does not know; acknowledged", {{"iccid", iccid->str()}});
      continue;
    }
    auto dev = snapshot(*key);
    if (!dev || dev->ambiguous) continue;
    // NotificationEvent bits (SGP.22 §5.7.16): 0 install, 1 enable, 2 disable, 3 delete. Applying the same event twice
    // leaves the same state, so duplicates are harmless.
    const std::uint32_t ev = n.metadata->profile_management_operation;
    const char* change = (ev & (1u << 3)) != 0   ? "delete"
                         : (ev & (1u << 1)) != 0 ? "enable"
                         : (ev & (1u << 2)) != 0 ? "disable"
                                                 : nullptr;
    if (change == nullptr) continue;
    auto busy = busy_of(*key);
    if (!busy) continue;
    std::lock_guard dev_lock(*busy);
    auto work = work_of(*dev);
    if (!work) {
      log::warn("notification could not be applied", {{"iccid", iccid->str()}, {"error", work.error().message}});
      continue;
    }
    DeviceWork after = **work;
    set_profile_state(after, *iccid, change);
    store::PackageResultUpdate u;
    u.tenant_id = dev->tenant;
    u.eid = dev->eid;
    u.at = clock.now();
    profile_update(**work, after, u);
    const std::int64_t seq = n.metadata->seq_number;
    std::optional<std::int64_t> last_seq;
    {
      std::shared_lock lock(mu);
      if (auto it = devices.find(*key); it != devices.end()) last_seq = it->second.notification_seq;
    }
    auto& noop = (*work)->unverified_noop;
    // A notification repeating what a result already applied changes nothing: nothing is written nor verified now.
    // The newest such one is kept: should an older state-changing notification arrive, it is verified then and, if
    // genuine, proves that one a replay (the mark would otherwise stay where the last state change left it).
    if (u.profiles.empty() && !u.set_active_iccid) {
      if ((!last_seq || seq > *last_seq) && (!noop || seq > noop->metadata->seq_number)) noop = n;
      continue;
    }
    if (noop && seq <= noop->metadata->seq_number) {
      if (dev->emulated || verify_notification(*noop, *dev).ok()) {
        const std::int64_t proven = noop->metadata->seq_number;
        store::PackageResultUpdate mark;
        mark.tenant_id = dev->tenant;
        mark.eid = dev->eid;
        mark.at = u.at;
        mark.notification_seq = proven;
        if (store.apply_package_result(mark).ok()) {
          std::unique_lock lock(mu);
          if (auto it = devices.find(*key); it != devices.end()) {
            if (!it->second.notification_seq || proven > *it->second.notification_seq) {
              it->second.notification_seq = proven;
            }
          }
        }
        if (!last_seq || proven > *last_seq) last_seq = proven;
      }
      noop.reset();
    }
    // One no newer than the last applied is a replay, or was overtaken by a newer one: it is not applied, and the
    // eUICC's signed listProfileInfo says what holds now (a genuine one delivered out of order loses nothing).
    if (last_seq && seq <= *last_seq) {
      log::warn("notification older than the last applied; not applied",
                {{"eid", dev->eid.str()}, {"iccid", iccid->str()}, {"seq", seq}, {"last_seq", *last_seq}});
      if (Status q = queue_list_profiles(*dev, **work, "eim:notification_stale"); !q.ok()) {
        log::warn("listProfileInfo not queued", {{"eid", dev->eid.str()}, {"error", q.error().message}});
      }
      continue;
    }
    // The IPA relays it, but the eUICC signed it: what the eIM believes changes only on that signature (a forged
    // delete would otherwise remove a profile from the eIM's records). Still acknowledged: the eUICC's next
    // listProfileInfo reconciles whatever a refused genuine notification said.
    if (!dev->emulated) {
      if (Status sig = verify_notification(n, *dev); !sig.ok()) {
        verification_failures->inc();
        log::warn("notification signature does not verify; not applied",
                  {{"eid", dev->eid.str()}, {"iccid", iccid->str()}, {"error", sig.error().message}});
        // Acknowledged all the same (a forged one must not be resent forever); if it was genuine, what it said is
        // learned from the eUICC's signed listProfileInfo instead.
        if (Status q = queue_list_profiles(*dev, **work, "eim:notification_unverified"); !q.ok()) {
          log::warn("listProfileInfo not queued", {{"eid", dev->eid.str()}, {"error", q.error().message}});
        }
        continue;
      }
    }
    u.notification_seq = seq;
    if (Status st = store.apply_package_result(u); !st.ok()) {
      (*work)->loaded = false;
      log::warn("notification could not be applied", {{"iccid", iccid->str()}, {"error", st.error().message}});
      continue;
    }
    {
      std::unique_lock lock(mu);
      if (auto it = devices.find(*key); it != devices.end()) {
        if (!it->second.notification_seq || seq > *it->second.notification_seq) it->second.notification_seq = seq;
      }
    }
    (*work)->profiles = std::move(after.profiles);
    (*work)->active_iccid = std::move(after.active_iccid);
    forget_deleted(u);
  }
}

}  // namespace esimo::eim
