#pragma once
// The test SM-DP+ over HTTP (served by net::HttpServer): ES9+ with the SGP.22 §6.5 JSON binding, and a small admin
// endpoint to prepare profiles (loopback callers only).
//
//   POST /gsma/rsp2/es9plus/{initiateAuthentication,authenticateClient,getBoundProfilePackage,handleNotification,
//        cancelSession}
//        Content-Type application/json (else 415), X-Admin-Protocol gsma/rsp/v2.x.y (missing or other: 400); a body
//        that does not decode: 400 with a Failed header naming the member. Answers 200 with the functionExecutionStatus
//        header (and the output data when executed); handleNotification answers 204.
//   POST /esimo/smdp/profiles   {"iccid", "plmn"?, "matching_id"?, "confirmation_code"?, "eid"?, "expires_in_s"?,
//                                "reusable"?, "service_provider_name"?, "profile_name"?, "profile_class"?}
//        -> 201 {"matching_id", "activation_code", "iccid", "state"}; 409 for a used matching ID / ICCID.
//   GET  /esimo/smdp/profiles/{matching_id} -> 200 {"matching_id", "activation_code", "iccid", "state",
//                                                  "installed_on"?, "last_error"?}
//   Admin requests from a non-loopback address: 403.
#include <string_view>

#include "base/http_message.hpp"
#include "twin/smdp.hpp"

namespace esimo::twin {

inline constexpr std::string_view kSmdpAdminProfilesPath = "/esimo/smdp/profiles";

class SmdpHttpService final : public http::Service {
 public:
  explicit SmdpHttpService(Smdp& smdp) : smdp_(smdp) {}
  http::Response handle(http::Request& request) override;

 private:
  http::Response es9(http::Request& request);
  http::Response admin(http::Request& request);
  Smdp& smdp_;
};

}  // namespace esimo::twin
