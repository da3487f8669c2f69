// The test SM-DP+'s ES9+ functions (SGP.22 v2.x §5.6.1-5.6.5 behaviour, §6.5.2 status codes).
#include "twin/smdp.hpp"

#include <algorithm>
#include <memory>
#include <span>

#include "crypto/ecdh.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/random.hpp"
#include "der/der.hpp"
#include "sgp/rsp22.hpp"
#include "twin/download_crypto.hpp"

namespace esimo::twin {

struct Smdp::Order {
  ProfileOrder spec;
  OrderState state = OrderState::released;
  std::optional<Bytes> session;  // transaction ID while downloading
  std::optional<domain::Eid> installed_on;
  std::optional<std::string> last_error;
  int cc_failures = 0;
};

struct Smdp::Session {
  enum class Stage { initiated, authenticated, bound };
  Stage stage = Stage::initiated;
  TimePoint expires;
  Bytes euicc_challenge;
  Bytes server_challenge;
  std::optional<std::string> matching_id;
  std::optional<domain::Eid> eid;
  std::optional<crypto::PublicKey> euicc_key;
  Bytes euicc_signature1;
  Bytes smdp_signature2;
};

namespace smdp_impl {

namespace es9 = sgp::es9;
namespace rsp = sgp::rsp22;

// SGP.22 §6.5.2 subject / reason codes used here.
es9::FunctionExecutionStatus failure(const char* subject, const char* reason, const std::string& name) {
  return es9::FunctionExecutionStatus::failure(subject, reason, name);
}
es9::FunctionExecutionStatus unknown_transaction() { return failure("8.10.1", "3.9", "invalidTransactionId"); }
es9::FunctionExecutionStatus euicc_signature_invalid() { return failure("8.1", "6.1", "euiccSignatureInvalid"); }

template <class Ok>
es9::Response<Ok> fail(es9::FunctionExecutionStatus s) {
  return es9::Response<Ok>{std::move(s), std::nullopt};
}

Bytes tlv(der::Tag t, ByteView value) {
  der::Writer w;
  w.octets(t, value);
  return w.take();
}
std::string random_matching_id() {
  // SGP.22 §4.1: the AC_Token is upper-case alphanumeric with '-'; 4 groups of 5.
  const std::string s = crypto::random_alnum(20);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i && i % 5 == 0) out += '-';
    char c = s[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out += c;
  }
  return out;
}

// A certificate chain leaf -> intermediates -> CI at `now`: 6.1 invalid / 6.3 expired under the subject code given.
std::optional<es9::FunctionExecutionStatus> check_chain(const crypto::Certificate& leaf,
                                                        std::span<const crypto::Certificate> intermediates,
                                                        const crypto::Certificate& ci, TimePoint now,
                                                        const char* subject, const char* invalid_name,
                                                        const char* expired_name) {
  const crypto::Certificate roots[] = {ci};
  auto st = crypto::verify_chain(leaf, intermediates, roots, now);
  if (st.ok()) return std::nullopt;
  const auto f = crypto::chain_failure_of(st.error());
  if (f == crypto::ChainFailure::expired || f == crypto::ChainFailure::not_yet_valid) {
    return failure(subject, "6.3", expired_name);
  }
  return failure(subject, "6.1", std::string(invalid_name) + ": " + st.error().message);
}

// The profile metadata (SGP.22 §5.5.3 StoreMetadataRequest) of an order: what the eUICC stores with the profile.
sgp::rsp22::StoreMetadataRequest store_metadata(const ProfileOrder& o, const std::string& notification_address) {
  sgp::rsp22::StoreMetadataRequest meta;
  const auto w = o.iccid.to_wire();
  meta.iccid = Bytes(w.begin(), w.end());
  meta.service_provider_name = o.service_provider_name;
  meta.profile_name = o.profile_name;
  meta.profile_class = o.profile_class;
  if (o.home_plmn) {
    const auto p = o.home_plmn->to_wire();
    meta.profile_owner = sgp::rsp22::OperatorId{Bytes(p.begin(), p.end()), std::nullopt, std::nullopt};
  }
  meta.notification_configuration_info.push_back({1u << 0, notification_address});  // notificationInstall
  return meta;
}

}  // namespace smdp_impl

namespace si = smdp_impl;

const char* order_state_name(OrderState s) {
  switch (s) {
    case OrderState::released: return "released";
    case OrderState::downloading: return "downloading";
    case OrderState::installed: return "installed";
    case OrderState::failed: return "failed";
  }
  return "?";
}

SmdpIdentity SmdpIdentity::from_test_pki(const crypto::TestPki& pki) {
  return SmdpIdentity{pki.dpauth, pki.dppb, pki.ci.certificate};
}

Smdp::Smdp(SmdpIdentity identity, SmdpOptions options, const Clock& clock)
    : identity_(std::move(identity)), options_(std::move(options)), clock_(clock) {
  ci_pkid_ = identity_.ci.subject_key_identifier().value_or(Bytes{});
}

Smdp::~Smdp() = default;

void Smdp::set_address(std::string address) {
  std::lock_guard lock(mu_);
  options_.address = std::move(address);
}

OrderStatus Smdp::status_locked(const Order& o) const {
  OrderStatus s{o.spec.matching_id, download::format_activation_code(options_.address, o.spec.matching_id),
                o.spec.iccid};
  s.state = o.state;
  s.installed_on = o.installed_on;
  s.last_error = o.last_error;
  s.confirmation_code_failures = o.cc_failures;
  return s;
}

Result<OrderStatus> Smdp::prepare_profile(ProfileOrder order) {
  std::lock_guard lock(mu_);
  if (order.matching_id.empty()) {
    do {
      order.matching_id = si::random_matching_id();
    } while (orders_.count(order.matching_id));
  }
  if (order.matching_id.find('$') != std::string::npos) {
    return Error(Errc::invalid_argument, "matching ID must not contain '$'", "matching_id");
  }
  if (orders_.count(order.matching_id)) {
    return Error(Errc::already_exists, "matching ID " + order.matching_id + " is already ordered", "matching_id");
  }
  for (const auto& [id, o] : orders_) {
    if (o->spec.iccid == order.iccid) {
      return Error(Errc::already_exists, "ICCID " + order.iccid.str() + " is already ordered (" + id + ")", "iccid");
    }
  }
  if (order.profile_class < 0 || order.profile_class > 2) {
    return Error(Errc::invalid_argument, "profile class must be 0 (test), 1 (provisioning) or 2 (operational)",
                 "profile_class");
  }
  auto o = std::make_unique<Order>();
  o->spec = std::move(order);
  const std::string key = o->spec.matching_id;
  auto& slot = orders_[key];
  slot = std::move(o);
  return status_locked(*slot);
}

std::optional<OrderStatus> Smdp::order(std::string_view matching_id) const {
  std::lock_guard lock(mu_);
  auto it = orders_.find(std::string(matching_id));
  if (it == orders_.end()) return std::nullopt;
  return status_locked(*it->second);
}

std::size_t Smdp::active_sessions() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void Smdp::end_session_locked(const Bytes& transaction_id, bool installed, const std::string& error) {
  auto it = sessions_.find(transaction_id);
  if (it == sessions_.end()) return;
  if (it->second->matching_id) {
    auto o = orders_.find(*it->second->matching_id);
    if (o != orders_.end() && o->second->session == transaction_id) {
      Order& ord = *o->second;
      ord.session.reset();
      if (installed) {
        ord.state = OrderState::installed;
        ord.installed_on = it->second->eid;
        ord.last_error.reset();
      } else {
        ord.state = ord.spec.reusable ? OrderState::released : OrderState::failed;
        ord.last_error = error;
      }
    }
  }
  sessions_.erase(it);
}

void Smdp::expire_sessions_locked(TimePoint now) {
  std::vector<Bytes> expired;
  for (const auto& [tid, s] : sessions_) {
    if (s->expires <= now) expired.push_back(tid);
  }
  for (const auto& tid : expired) end_session_locked(tid, false, "session expired");
}

Smdp::Session* Smdp::find_session_locked(const Bytes& transaction_id, TimePoint now) {
  expire_sessions_locked(now);
  auto it = sessions_.find(transaction_id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

// ---- initiateAuthentication (SGP.22 §5.6.1) ----
sgp::es9::InitiateAuthenticationResponse Smdp::initiate_authentication(
    const sgp::es9::InitiateAuthenticationRequest& req) {
  using Ok = sgp::es9::InitiateAuthenticationOk;
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.now();
  expire_sessions_locked(now);
  if (!options_.address.empty() && req.smdp_address != options_.address) {
    return si::fail<Ok>(si::failure("8.8.1", "3.8", "invalidDpAddress: " + req.smdp_address));
  }
  if (req.euicc_challenge.size() != 16) return si::fail<Ok>(si::failure("8.1", "3.1", "euiccChallenge size"));
  auto info1 = sgp::rsp22::decode_euicc_info1(req.euicc_info1);
  if (!info1.ok()) return si::fail<Ok>(si::failure("8.1", "3.1", "euiccInfo1: " + info1.error().message));
  const auto& ver = info1->ci_pkids_verification;
  if (ci_pkid_.empty() || std::find(ver.begin(), ver.end(), ci_pkid_) == ver.end()) {
    return si::fail<Ok>(si::failure("8.8.2", "3.1", "ciPKNotSupported"));
  }

  auto session = std::make_unique<Session>();
  session->expires = now + options_.session_ttl;
  session->euicc_challenge = req.euicc_challenge;
  session->server_challenge = crypto::random_bytes(16);
  Bytes tid;
  do {
    tid = crypto::random_bytes(16);
  } while (sessions_.count(tid));

  sgp::rsp22::ServerSigned1 s1{tid, req.euicc_challenge, options_.address.empty() ? req.smdp_address : options_.address,
                               session->server_challenge};
  auto s1_der = sgp::rsp22::encode_server_signed1(s1);
  if (!s1_der.ok()) return si::fail<Ok>(si::failure("8.1", "3.1", s1_der.error().message));
  auto sig = crypto::sign_raw(identity_.dpauth.key, *s1_der);
  if (!sig.ok()) return si::fail<Ok>(si::failure("8.1", "3.1", sig.error().message));

  Ok ok;
  ok.transaction_id = tid;
  ok.server_signed1 = *s1_der;
  ok.server_signature1 = si::tlv(der::tag(0x5F37), *sig);
  ok.euicc_ci_pkid_to_be_used = si::tlv(der::kOctetString, ci_pkid_);
  ok.server_certificate = identity_.dpauth.certificate.der();
  sessions_[tid] = std::move(session);
  return sgp::es9::InitiateAuthenticationResponse{sgp::es9::FunctionExecutionStatus::success(), std::move(ok)};
}

// ---- authenticateClient (SGP.22 §5.6.3) ----
sgp::es9::AuthenticateClientResponse Smdp::authenticate_client(const sgp::es9::AuthenticateClientRequest& req) {
  using Ok = sgp::es9::AuthenticateClientOk;
  namespace rsp = sgp::rsp22;
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.now();
  Session* s = find_session_locked(req.transaction_id, now);
  if (!s || s->stage != Session::Stage::initiated) return si::fail<Ok>(si::unknown_transaction());
  auto end = [&](sgp::es9::FunctionExecutionStatus st) {
    end_session_locked(req.transaction_id, false, st.status_code_data ? st.status_code_data->message.value_or("failed") : "failed");
    return si::fail<Ok>(std::move(st));
  };

  auto resp = rsp::decode_authenticate_server_response(req.authenticate_server_response);
  if (!resp.ok()) return end(si::failure("8.1", "3.1", "authenticateServerResponse: " + resp.error().message));
  if (const auto* e = std::get_if<rsp::AuthenticateResponseError>(&*resp)) {
    return end(si::failure("8.1", "3.8", "eUICC refused AuthenticateServer: " + rsp::authenticate_error_name(e->code)));
  }
  const auto& ok1 = std::get<rsp::AuthenticateResponseOk>(*resp);
  if (ok1.euicc_signed1.transaction_id != req.transaction_id) return end(si::unknown_transaction());

  auto eum = crypto::Certificate::from_der(ok1.eum_certificate);
  if (!eum.ok()) return end(si::failure("8.1.2", "6.1", "eumCertificateInvalid"));
  auto euicc = crypto::Certificate::from_der(ok1.euicc_certificate);
  if (!euicc.ok()) return end(si::failure("8.1.3", "6.1", "euiccCertificateInvalid"));
  if (auto f = si::check_chain(*eum, {}, identity_.ci, now, "8.1.2", "eumCertificateInvalid", "eumCertificateExpired")) {
    return end(*f);
  }
  const crypto::Certificate inter[] = {*eum};
  if (auto f = si::check_chain(*euicc, inter, identity_.ci, now, "8.1.3", "euiccCertificateInvalid",
                               "euiccCertificateExpired")) {
    return end(*f);
  }
  if (!crypto::verify_raw(euicc->public_key(), ok1.euicc_signed1_der, ok1.euicc_signature1).ok()) {
    return end(si::euicc_signature_invalid());
  }
  if (ok1.euicc_signed1.server_challenge != s->server_challenge) return end(si::euicc_signature_invalid());
  auto eid = domain::Eid::parse(euicc->subject_serial_number().value_or(""));
  if (!eid.ok()) return end(si::failure("8.1.3", "6.1", "euiccCertificateInvalid: no EID"));

  // The profile: the matching ID of ctxParams1 (SGP.22 §3.1.3: activation code use case).
  const auto& mid = ok1.euicc_signed1.ctx_params1.matching_id;
  auto oit = mid ? orders_.find(*mid) : orders_.end();
  if (oit == orders_.end()) return end(si::failure("8.2.6", "3.8", "matchingIdRefused: unknown matching ID"));
  Order& order = *oit->second;
  if (order.spec.expires_at && now >= *order.spec.expires_at) {
    return end(si::failure("8.8.5", "4.10", "downloadOrderExpired"));
  }
  if (order.spec.eid && !(*order.spec.eid == *eid)) return end(si::failure("8.1.1", "3.8", "eidMismatch"));
  if (order.state != OrderState::released) {
    return end(si::failure("8.2.6", "3.8",
                           std::string("matchingIdRefused: profile ") + order_state_name(order.state)));
  }

  const rsp::StoreMetadataRequest meta = si::store_metadata(order.spec, options_.address);
  auto meta_der = rsp::encode(meta);
  rsp::SmdpSigned2 s2{req.transaction_id, order.spec.confirmation_code.has_value(), std::nullopt};
  auto s2_der = rsp::encode_smdp_signed2(s2);
  if (!meta_der.ok() || !s2_der.ok()) return end(si::failure("8.1", "3.1", "cannot encode the profile metadata"));
  auto sig2 = crypto::sign_raw(identity_.dppb.key,
                               rsp::signed_data_with_signature_object(*s2_der, ok1.euicc_signature1));
  if (!sig2.ok()) return end(si::failure("8.1", "3.1", sig2.error().message));

  s->stage = Session::Stage::authenticated;
  s->matching_id = *mid;
  s->eid = *eid;
  s->euicc_key = euicc->public_key();
  s->euicc_signature1 = ok1.euicc_signature1;
  s->smdp_signature2 = *sig2;
  order.state = OrderState::downloading;
  order.session = req.transaction_id;

  Ok ok;
  ok.transaction_id = req.transaction_id;
  ok.profile_metadata = *meta_der;
  ok.smdp_signed2 = *s2_der;
  ok.smdp_signature2 = si::tlv(der::tag(0x5F37), *sig2);
  ok.smdp_certificate = identity_.dppb.certificate.der();
  return sgp::es9::AuthenticateClientResponse{sgp::es9::FunctionExecutionStatus::success(), std::move(ok)};
}

// ---- getBoundProfilePackage (SGP.22 §5.6.2) ----
sgp::es9::GetBoundProfilePackageResponse Smdp::get_bound_profile_package(
    const sgp::es9::GetBoundProfilePackageRequest& req) {
  using Ok = sgp::es9::GetBoundProfilePackageOk;
  namespace rsp = sgp::rsp22;
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.now();
  Session* s = find_session_locked(req.transaction_id, now);
  if (!s || s->stage != Session::Stage::authenticated) return si::fail<Ok>(si::unknown_transaction());
  auto end = [&](sgp::es9::FunctionExecutionStatus st) {
    end_session_locked(req.transaction_id, false, st.status_code_data ? st.status_code_data->message.value_or("failed") : "failed");
    return si::fail<Ok>(std::move(st));
  };
  Order& order = *orders_.at(*s->matching_id);

  auto resp = rsp::decode_prepare_download_response(req.prepare_download_response);
  if (!resp.ok()) return end(si::failure("8.1", "3.1", "prepareDownloadResponse: " + resp.error().message));
  if (const auto* e = std::get_if<rsp::PrepareDownloadResponseError>(&*resp)) {
    return end(si::failure("8.1", "3.8", "eUICC refused PrepareDownload: " + rsp::download_error_name(e->code)));
  }
  const auto& ok2 = std::get<rsp::PrepareDownloadResponseOk>(*resp);
  if (ok2.euicc_signed2.transaction_id != req.transaction_id) return end(si::unknown_transaction());
  const Bytes covered = rsp::signed_data_with_signature_object(ok2.euicc_signed2_der, s->smdp_signature2);
  if (!crypto::verify_raw(*s->euicc_key, covered, ok2.euicc_signature2).ok()) return end(si::euicc_signature_invalid());
  if (order.spec.expires_at && now >= *order.spec.expires_at) {
    return end(si::failure("8.8.5", "4.10", "downloadOrderExpired"));
  }
  if (order.spec.confirmation_code) {
    if (!ok2.euicc_signed2.hash_cc) return end(si::failure("8.2.7", "2.2", "confirmationCodeMissing"));
    const Bytes want = download::hash_confirmation_code(*order.spec.confirmation_code, req.transaction_id);
    if (*ok2.euicc_signed2.hash_cc != want) {
      ++order.cc_failures;
      if (order.cc_failures >= options_.max_confirmation_code_attempts) {
        order.spec.reusable = false;  // the order ends (SGP.22: confirmationCodeRetriesExceeded)
        return end(si::failure("8.2.7", "6.4", "confirmationCodeRetriesExceeded"));
      }
      return end(si::failure("8.2.7", "3.8", "confirmationCodeRefused"));
    }
  }
  auto euicc_otpk = crypto::PublicKey::from_uncompressed_point(ok2.euicc_signed2.euicc_otpk);
  if (!euicc_otpk.ok()) return end(si::failure("8.1", "3.1", "euiccOtpk: " + euicc_otpk.error().message));

  // Binding (SGP.22 §2.5.4, simplified content: download_crypto.hpp).
  const crypto::PrivateKey otsk = crypto::PrivateKey::generate();
  auto shared = crypto::ecdh_shared_secret(otsk, *euicc_otpk);
  if (!shared.ok()) return end(si::failure("8.1", "3.1", shared.error().message));
  rsp::BoundProfilePackage bpp;
  auto& isc = bpp.initialise_secure_channel;
  isc.transaction_id = req.transaction_id;
  isc.control_ref_template = {Bytes{0x88}, Bytes{0x10}, Bytes{0x01}};
  isc.smdp_otpk = otsk.public_key().to_uncompressed_point();
  auto part = rsp::encode_initialise_secure_channel_signed_part(isc);
  if (!part.ok()) return end(si::failure("8.1", "3.1", part.error().message));
  auto sign = crypto::sign_raw(identity_.dppb.key, rsp::signed_data_with_signature_object(*part, ok2.euicc_signature2));
  if (!sign.ok()) return end(si::failure("8.1", "3.1", sign.error().message));
  isc.smdp_sign = *sign;
  download::ElementProtector mac(download::derive_session_keys(*shared, isc.control_ref_template));
  bpp.first_sequence_of_87.push_back(mac.protect(download::kTag87, download::configure_isdp(options_.smdp_oid)));
  const rsp::StoreMetadataRequest meta = si::store_metadata(order.spec, options_.address);
  auto meta_der = rsp::encode(meta);
  if (!meta_der.ok()) return end(si::failure("8.1", "3.1", meta_der.error().message));
  bpp.sequence_of_88.push_back(mac.protect(download::kTag88, *meta_der));
  bpp.sequence_of_86.push_back(mac.protect(download::kTag86, download::simplified_profile_element(meta.iccid)));
  auto bpp_der = rsp::encode(bpp);
  if (!bpp_der.ok()) return end(si::failure("8.1", "3.1", bpp_der.error().message));

  s->stage = Session::Stage::bound;
  Ok ok;
  ok.transaction_id = req.transaction_id;
  ok.bound_profile_package = std::move(bpp_der).value();
  return sgp::es9::GetBoundProfilePackageResponse{sgp::es9::FunctionExecutionStatus::success(), std::move(ok)};
}

// ---- handleNotification (SGP.22 §5.6.4) ----
Status Smdp::handle_notification(const sgp::es9::HandleNotificationRequest& req) {
  namespace rsp = sgp::rsp22;
  std::lock_guard lock(mu_);
  auto t = der::read_single(req.pending_notification);
  if (!t.ok()) return Error(Errc::parse_error, "pendingNotification: " + t.error().message);
  if (t->tag != der::tag(0xBF37)) return ok_status();  // otherSignedNotification: nothing to do in the test SM-DP+
  ESIMO_TRY(rsp::ProfileInstallationResult pir, rsp::decode_profile_installation_result(req.pending_notification));
  auto it = sessions_.find(pir.data.transaction_id);
  if (it == sessions_.end() || !it->second->euicc_key) return ok_status();  // late or unknown: acknowledged, ignored
  if (!crypto::verify_raw(*it->second->euicc_key, pir.data_der, pir.euicc_sign_pir).ok()) {
    return ok_status();  // not signed by this session's eUICC: ignored (the session expires on its own)
  }
  if (std::holds_alternative<rsp::SuccessResult>(pir.data.final_result)) {
    end_session_locked(pir.data.transaction_id, true, {});
  } else {
    const auto& e = std::get<rsp::ErrorResult>(pir.data.final_result);
    end_session_locked(pir.data.transaction_id, false, rsp::profile_installation_error_name(e.error_reason));
  }
  return ok_status();
}

// ---- cancelSession (SGP.22 §5.6.5) ----
sgp::es9::CancelSessionResponse Smdp::cancel_session(const sgp::es9::CancelSessionRequest& req) {
  using Ok = sgp::es9::CancelSessionOk;
  namespace rsp = sgp::rsp22;
  std::lock_guard lock(mu_);
  Session* s = find_session_locked(req.transaction_id, clock_.now());
  if (!s) return si::fail<Ok>(si::unknown_transaction());
  // The BF41 response as the eUICC returned it, or its bare alternative as CancelSessionRequestEsipa carries it.
  auto resp = rsp::decode_cancel_session_response(req.cancel_session_response);
  if (!resp.ok()) resp = rsp::decode_cancel_session_response_alternative(req.cancel_session_response);
  if (!resp.ok()) return si::fail<Ok>(si::failure("8.1", "3.1", "cancelSessionResponse: " + resp.error().message));
  std::string reason = "cancelled";
  if (const auto* ok = std::get_if<rsp::CancelSessionResponseOk>(&*resp)) {
    if (ok->signed_data.transaction_id != req.transaction_id) return si::fail<Ok>(si::unknown_transaction());
    // Before authenticateClient the SM-DP+ has no eUICC key to check the signature with (SGP.22 §5.6.5 note).
    if (s->euicc_key && !crypto::verify_raw(*s->euicc_key, ok->signed_der, ok->signature).ok()) {
      return si::fail<Ok>(si::euicc_signature_invalid());
    }
    reason = "cancelled: " + rsp::cancel_session_reason_name(ok->signed_data.reason);
    // endUserRejection and pprNotAllowed end the order for good (SGP.22 §3.1.3.3).
    if ((ok->signed_data.reason == 0 || ok->signed_data.reason == 3) && s->matching_id) {
      if (auto o = orders_.find(*s->matching_id); o != orders_.end()) o->second->spec.reusable = false;
    }
  }
  end_session_locked(req.transaction_id, false, reason);
  return sgp::es9::CancelSessionResponse{sgp::es9::FunctionExecutionStatus::success(), Ok{}};
}

}  // namespace esimo::twin
