#pragma once
// The eIM's port to SM-DP+s (ES9+, SGP.22 §6.5): the download relay calls it; src/api implements it over HTTP(S)
// (api::Es9HttpClient), tests with a fake. The eim layer never sees a socket.
//
// Error contract (what the relay's retry and outcome logic relies on):
//   Errc::unavailable / Errc::timeout   transport failure, HTTP 5xx, 408 or 429: retriable
//   Errc::permission_denied             the address is not a configured SM-DP+ and unknown ones are not allowed
//   Errc::parse_error                   the SM-DP+ answered something that is not the ES9+ binding (not retriable)
//   other                               a local fault (not retriable)
// A function the SM-DP+ executed and refused is NOT an error: it is a Response whose status is Failed/Expired with
// statusCodeData (subjectCode/reasonCode), for the relay to name.
//
// Thread-safety: every method may be called concurrently from the ESipa server's threads.
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "sgp/es9plus.hpp"

namespace esimo::eim {

class Es9Client {
 public:
  virtual ~Es9Client() = default;

  // Whether downloads from this SM-DP+ address (FQDN[:port], as activation codes carry it) may be relayed:
  // ok, or Errc::permission_denied naming the address. Checked when a download is submitted.
  virtual Status check_address(std::string_view smdp_address) const = 0;

  virtual Result<sgp::es9::InitiateAuthenticationResponse> initiate_authentication(
      std::string_view smdp_address, const sgp::es9::InitiateAuthenticationRequest& request) = 0;
  virtual Result<sgp::es9::AuthenticateClientResponse> authenticate_client(
      std::string_view smdp_address, const sgp::es9::AuthenticateClientRequest& request) = 0;
  virtual Result<sgp::es9::GetBoundProfilePackageResponse> get_bound_profile_package(
      std::string_view smdp_address, const sgp::es9::GetBoundProfilePackageRequest& request) = 0;
  // handleNotification answers 204 with no body (SGP.22 §6.5.2.4); a body with a Failed header is returned as that
  // status so the caller can log it.
  virtual Result<sgp::es9::FunctionExecutionStatus> handle_notification(
      std::string_view smdp_address, const sgp::es9::HandleNotificationRequest& request) = 0;
  virtual Result<sgp::es9::CancelSessionResponse> cancel_session(std::string_view smdp_address,
                                                                 const sgp::es9::CancelSessionRequest& request) = 0;
};

// An SGP.22 §4.1 activation code: "1$<SM-DP+ address>$<matching ID>[$<SM-DP+ OID>[$<confirmation code required>]]"
// (an "LPA:" prefix, as QR codes carry, is accepted and dropped).
struct ActivationCode {
  std::string text;          // canonical form (without "LPA:"), what the profileDownloadTriggerRequest carries
  std::string smdp_address;  // FQDN[:port], lower-cased
  std::string matching_id;   // may be empty (SGP.22: the SM-DP+ may then use the EID)
  std::string smdp_oid;      // dotted decimal, may be empty
  bool confirmation_code_required = false;
};
// invalid_argument naming the part at fault (field "activation_code").
Result<ActivationCode> parse_activation_code(std::string_view text);

}  // namespace esimo::eim
