#pragma once
// eim::Es9Client over HTTP(S) (SGP.22 §6.1 binding of ES9+): POST <base>/gsma/rsp2/es9plus/<function>, Content-Type
// application/json, X-Admin-Protocol gsma/rsp/v2.2.0, bodies from sgp/es9plus. Built on net::HttpClient (Beast stays in
// src/net), with a small keep-alive pool per SM-DP+.
//
// SM-DP+ connectors: the eIM relays only to SM-DP+s it is configured for (address as activation codes carry it, base
// URL, TLS trust). An address that is not configured is refused (Errc::permission_denied) unless allow_unknown is set,
// in which case it is reached at https://<address> with the default trust. This is where ES2+ (ordering profiles from
// the SM-DP+) would be added per connector; it is not implemented.
//
// HTTP mapping (what the relay's retry policy sees): transport failures and HTTP 5xx/408/429 -> Errc::unavailable
// (or timeout); other non-2xx -> Errc::failed_precondition; a 200 body that is not the ES9+ binding ->
// Errc::parse_error. handleNotification accepts 204 (no body) or 200 with a header.
// Thread-safe: any number of concurrent calls; each takes a pooled connection for its SM-DP+.
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eim/es9_client.hpp"

namespace esimo::net {
class HttpClient;
}  // namespace esimo::net

namespace esimo::api {

struct SmdpConnector {
  std::string address;     // FQDN[:port] as activation codes carry it (compared case-insensitively)
  std::string url;         // base URL ("https://host:port[/prefix]"); empty: https://<address>
  std::string ca_file;     // PEM bundle trusted for its TLS certificate; empty: Es9ClientOptions::default_ca_file
  std::string carrier_id;  // the carrier it serves (informational; ES2+ would use it)
};

struct Es9ClientOptions {
  std::vector<SmdpConnector> connectors;
  bool allow_unknown = false;   // relay to SM-DP+ addresses that have no connector (https://<address>)
  std::string default_ca_file;  // empty: the system trust store
  bool verify = true;           // verify the SM-DP+'s TLS certificate and host name (off only in labs)
  std::chrono::milliseconds timeout{30000};
  std::size_t max_idle_per_smdp = 8;
};

class Es9HttpClient final : public eim::Es9Client {
 public:
  // invalid_argument naming the connector when an address or URL does not parse.
  static Result<std::shared_ptr<Es9HttpClient>> create(Es9ClientOptions options);
  ~Es9HttpClient() override;

  Status check_address(std::string_view smdp_address) const override;
  Result<sgp::es9::InitiateAuthenticationResponse> initiate_authentication(
      std::string_view smdp_address, const sgp::es9::InitiateAuthenticationRequest& request) override;
  Result<sgp::es9::AuthenticateClientResponse> authenticate_client(
      std::string_view smdp_address, const sgp::es9::AuthenticateClientRequest& request) override;
  Result<sgp::es9::GetBoundProfilePackageResponse> get_bound_profile_package(
      std::string_view smdp_address, const sgp::es9::GetBoundProfilePackageRequest& request) override;
  Result<sgp::es9::FunctionExecutionStatus> handle_notification(
      std::string_view smdp_address, const sgp::es9::HandleNotificationRequest& request) override;
  Result<sgp::es9::CancelSessionResponse> cancel_session(std::string_view smdp_address,
                                                         const sgp::es9::CancelSessionRequest& request) override;

  struct Target;

 private:
  explicit Es9HttpClient(Es9ClientOptions options);
  Result<Target> target_for(std::string_view smdp_address) const;
  // One POST to the function's path; returns the response body (empty for 204).
  Result<std::string> post(std::string_view smdp_address, sgp::es9::Function f, const std::string& body);

  Es9ClientOptions options_;
  std::mutex pool_mu_;
  std::map<std::string, std::vector<std::unique_ptr<net::HttpClient>>> idle_;  // by base URL
};

}  // namespace esimo::api
