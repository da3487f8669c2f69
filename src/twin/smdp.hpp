#pragma once
// The twin's test SM-DP+ (SGP.22 v2.x): the five ES9+ functions as an object taking and returning the typed ES9+
// messages of sgp/es9plus.hpp, with real SGP.22 mutual authentication (CERT.DPauth / CERT.DPpb under the test CI,
// eUICC and EUM certificates verified up to the same CI, ECDSA P-256 signatures) and a simplified Bound Profile Package
// (twin/download_crypto.hpp). No sockets here: smdp_http.hpp binds it to HTTP.
//
// Profiles are prepared per matching ID (a simplified ES2+ DownloadOrder + ConfirmOrder: prepare_profile), each
// with an ICCID, optional home PLMN, optional confirmation code, optional EID binding and optional expiry. An order is
// `released` until a session authenticates with its matching ID (`downloading`), then `installed` on a successful
// ProfileInstallationResult. A failed install, a cancelled session or an expired session puts it back to `released`
// when the order is reusable (the default; "an activation code that can be used again after a failed install"),
// otherwise `failed` for good. Sessions expire after SmdpOptions::session_ttl (virtual time from the Clock).
//
// Failures are SGP.22 §6.5.2 functionExecutionStatus subject/reason codes, the message naming the error
// ("matchingIdRefused", "downloadOrderExpired", "euiccSignatureInvalid", "confirmationCodeRefused", ...).
//
// Thread-safety: every public function takes one internal mutex (the HTTP binding calls from several threads).
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "crypto/test_pki.hpp"
#include "domain/identifiers.hpp"
#include "sgp/es9plus.hpp"

namespace esimo::twin {

struct SmdpIdentity {
  crypto::KeyAndCertificate dpauth;  // CERT.DPauth.ECDSA: signs serverSigned1
  crypto::KeyAndCertificate dppb;    // CERT.DPpb.ECDSA: signs smdpSigned2 and the BPP
  crypto::Certificate ci;            // the CI eUICC/EUM certificates chain up to (and whose key id eUICCs support)
  static SmdpIdentity from_test_pki(const crypto::TestPki& pki);
};

struct SmdpOptions {
  std::string address;                 // this SM-DP+'s address ("host:port"); initiateAuthentication checks it
  std::string smdp_oid = "2.999.1";    // the SM-DP+ OID put in ConfigureISDP (the test certificates carry none)
  Duration session_ttl = std::chrono::minutes(10);
  int max_confirmation_code_attempts = 3;
};

struct ProfileOrder {
  std::string matching_id;  // empty: one is generated
  domain::Iccid iccid;
  std::optional<domain::Plmn> home_plmn;  // -> StoreMetadataRequest.profileOwner.mccMnc
  std::string service_provider_name = "esimo test operator";
  std::string profile_name = "esimo test profile";
  std::int64_t profile_class = 2;  // operational
  std::optional<std::string> confirmation_code;
  std::optional<domain::Eid> eid;        // bound to one eUICC (eidMismatch otherwise)
  std::optional<TimePoint> expires_at;   // downloadOrderExpired after
  bool reusable = true;                  // released again after a failed install / cancelled session
};

enum class OrderState { released, downloading, installed, failed };
const char* order_state_name(OrderState s);

struct OrderStatus {
  std::string matching_id;
  std::string activation_code;
  domain::Iccid iccid;
  OrderState state = OrderState::released;
  std::optional<domain::Eid> installed_on;
  std::optional<std::string> last_error;  // e.g. "installFailedDueToInsufficientMemoryForProfile(10)"
  int confirmation_code_failures = 0;
};

class Smdp {
 public:
  Smdp(SmdpIdentity identity, SmdpOptions options, const Clock& clock);
  ~Smdp();
  Smdp(const Smdp&) = delete;
  Smdp& operator=(const Smdp&) = delete;

  // ---- admin (ES2+, simplified) ----
  // Returns the order's status with its activation code "1$address$matchingId". already_exists when the matching ID
  // or the ICCID is already ordered.
  Result<OrderStatus> prepare_profile(ProfileOrder order);
  std::optional<OrderStatus> order(std::string_view matching_id) const;
  std::size_t active_sessions() const;
  const SmdpOptions& options() const { return options_; }
  TimePoint now() const { return clock_.now(); }
  // The address once known (a listener on port 0 learns its port after the SM-DP+ exists).
  void set_address(std::string address);

  // ---- ES9+ (SGP.22 §5.6) ----
  sgp::es9::InitiateAuthenticationResponse initiate_authentication(const sgp::es9::InitiateAuthenticationRequest& req);
  sgp::es9::AuthenticateClientResponse authenticate_client(const sgp::es9::AuthenticateClientRequest& req);
  sgp::es9::GetBoundProfilePackageResponse get_bound_profile_package(
      const sgp::es9::GetBoundProfilePackageRequest& req);
  // A ProfileInstallationResult ends its session and moves the order (installed / released / failed); other
  // notifications are accepted and ignored. An Error only for a notification that does not decode.
  Status handle_notification(const sgp::es9::HandleNotificationRequest& req);
  sgp::es9::CancelSessionResponse cancel_session(const sgp::es9::CancelSessionRequest& req);

 private:
  struct Session;
  struct Order;
  void expire_sessions_locked(TimePoint now);
  void end_session_locked(const Bytes& transaction_id, bool installed, const std::string& error);
  Session* find_session_locked(const Bytes& transaction_id, TimePoint now);
  OrderStatus status_locked(const Order& o) const;

  SmdpIdentity identity_;
  SmdpOptions options_;
  const Clock& clock_;
  Bytes ci_pkid_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Order>> orders_;   // by matching ID
  std::map<Bytes, std::unique_ptr<Session>> sessions_;     // by transaction ID
};

}  // namespace esimo::twin
