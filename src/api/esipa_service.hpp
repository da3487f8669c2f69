#pragma once
// The ESipa HTTP binding (SGP.32 §6.1) as an http::Service, served on its own listener (`esimo serve --esipa-listen`):
// POST /gsma/rsp2/asn1 only, Content-Type application/x-gsma-rsp-asn1, X-Admin-Protocol gsma/rsp/v<x.y.z>.
//
// Checks, in order: path (404), method (405 + Allow), X-Admin-Protocol (400 when missing or not v1.0.x, v1.2.x or
// v2.x.y — SGP.32 versions, or the SGP.22 versions deployed IPAds send), Content-Type (415), body size (413). The body
// then goes to the eIM; a body that does not decode answers 400 with a short text and changes nothing; an empty answer
// is 204; otherwise 200 with the DER, the same content type and the request's X-Admin-Protocol echoed.
//
// The eIM is reached through a plain function (the app binds eim::EimService::handle_esipa), so this binding is
// testable without an eIM, and without Beast.
// Thread-safe: handle() runs concurrently on the server's io threads; the handler must be too.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"
#include "base/http_message.hpp"
#include "base/metrics.hpp"
#include "base/result.hpp"
#include "sgp/messages.hpp"

namespace esimo::api {

inline constexpr std::string_view kEsipaPath = "/gsma/rsp2/asn1";
inline constexpr std::string_view kEsipaContentType = "application/x-gsma-rsp-asn1";

// One ESipa request body -> the DER answer (empty: 204). Errc::parse_error: the body does not decode (400).
// `hint` is the SGP.32 version X-Admin-Protocol named (v1.0.x / v1.2.x), nullopt for an SGP.22 version (v2.x.y).
using EsipaHandler = std::function<Result<Bytes>(ByteView body, std::optional<sgp::Version> hint)>;

struct EsipaOptions {
  std::size_t body_limit = 64 * 1024;  // requests are small; bound profile packages come with the download relay
};

// What an X-Admin-Protocol value says: accepted or not, and the SGP.32 version it names (if it names one).
struct AdminProtocol {
  bool accepted = false;
  std::optional<sgp::Version> version;
};
// "gsma/rsp/v1.2.0" -> accepted, v1_2; "gsma/rsp/v2.1.0" -> accepted, no version; "gsma/rsp/v1.1.0", "", "x" -> not.
AdminProtocol parse_admin_protocol(std::string_view header);

// The kind of an ESipa message from its outer tag, for metrics and logs: "get_eim_package",
// "provide_eim_package_result", "handle_notification", "initiate_authentication", "authenticate_client",
// "get_bound_profile_package", "cancel_session", "transfer_eim_package_response", else "unknown".
std::string_view esipa_message_kind(ByteView body);

class EsipaService final : public http::Service {
 public:
  EsipaService(EsipaHandler handler, metrics::Registry& metrics, EsipaOptions options = {});
  ~EsipaService() override;
  EsipaService(const EsipaService&) = delete;
  EsipaService& operator=(const EsipaService&) = delete;

  http::Response handle(http::Request& request) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::api
