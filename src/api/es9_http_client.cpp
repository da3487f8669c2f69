// eim::Es9Client over HTTP(S): SGP.22 §6.1 (HTTP binding) + §6.5 (ES9+ JSON, sgp/es9plus).
#include "api/es9_http_client.hpp"

#include "net/http_client.hpp"

namespace esimo::api {

struct Es9HttpClient::Target {
  net::UrlParts url;
  std::string ca_file;
  std::string key;  // pool key: the base URL and the trust
};

namespace es9_http_detail {

std::string lower_text(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Status codes after which the same request may succeed (the relay retries them).
bool retriable_status(int status) { return status >= 500 || status == 408 || status == 429; }

}  // namespace es9_http_detail

Es9HttpClient::Es9HttpClient(Es9ClientOptions options) : options_(std::move(options)) {}
Es9HttpClient::~Es9HttpClient() = default;

Result<std::shared_ptr<Es9HttpClient>> Es9HttpClient::create(Es9ClientOptions options) {
  for (std::size_t i = 0; i < options.connectors.size(); ++i) {
    auto& c = options.connectors[i];
    const std::string field = "smdp[" + std::to_string(i) + "]";
    c.address = es9_http_detail::lower_text(c.address);
    if (c.address.empty()) return Error(Errc::invalid_argument, field + ".address: is required", field + ".address");
    if (auto a = net::parse_url("https://" + c.address); !a.ok() || !a->prefix.empty()) {
      return Error(Errc::invalid_argument, field + ".address: '" + c.address + "' is not host[:port]",
                   field + ".address");
    }
    if (c.url.empty()) c.url = "https://" + c.address;
    if (auto u = net::parse_url(c.url); !u.ok()) {
      return Error(Errc::invalid_argument, field + ".url: " + u.error().message, field + ".url");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (options.connectors[j].address == c.address) {
        return Error(Errc::invalid_argument, field + ".address: '" + c.address + "' is configured twice",
                     field + ".address");
      }
    }
  }
  return std::shared_ptr<Es9HttpClient>(new Es9HttpClient(std::move(options)));
}

Result<Es9HttpClient::Target> Es9HttpClient::target_for(std::string_view smdp_address) const {
  const std::string address = es9_http_detail::lower_text(smdp_address);
  Target t;
  std::string base;
  for (const auto& c : options_.connectors) {
    if (c.address == address) {
      base = c.url;
      t.ca_file = c.ca_file.empty() ? options_.default_ca_file : c.ca_file;
      break;
    }
  }
  if (base.empty()) {
    if (!options_.allow_unknown) {
      return Error(Errc::permission_denied,
                   "SM-DP+ " + address + " is not a configured connector (and unknown SM-DP+s are not allowed)",
                   "smdp_address");
    }
    base = "https://" + address;
    t.ca_file = options_.default_ca_file;
  }
  ESIMO_TRY(t.url, net::parse_url(base));
  t.key = base + "|" + t.ca_file;
  return t;
}

Status Es9HttpClient::check_address(std::string_view smdp_address) const {
  ESIMO_TRY(Target t, target_for(smdp_address));
  (void)t;
  return {};
}

Result<std::string> Es9HttpClient::post(std::string_view smdp_address, sgp::es9::Function f, const std::string& body) {
  ESIMO_TRY(Target t, target_for(smdp_address));
  std::unique_ptr<net::HttpClient> client;
  {
    std::lock_guard g(pool_mu_);
    auto& idle = idle_[t.key];
    if (!idle.empty()) {
      client = std::move(idle.back());
      idle.pop_back();
    }
  }
  if (!client) {
    net::ClientOptions co;
    co.tls = t.url.tls;
    co.ca_file = t.ca_file;
    co.verify = options_.verify;
    co.timeout = options_.timeout;
    ESIMO_TRY(client, net::HttpClient::connect(t.url.host, t.url.port, co));
  }
  const std::string target = t.url.prefix + sgp::es9::function_path(f);
  auto res =
      client->request(http::Method::post, target,
                      {{"x-admin-protocol", std::string(sgp::es9::kAdminProtocol)}, {"accept", "application/json"}},
                      body, sgp::es9::kContentType);
  if (!res.ok()) return std::move(res).error();  // the connection is dropped with the client
  {
    std::lock_guard g(pool_mu_);
    auto& idle = idle_[t.key];
    if (idle.size() < options_.max_idle_per_smdp) idle.push_back(std::move(client));
  }
  const std::string where = "SM-DP+ " + std::string(smdp_address) + " " + std::string(sgp::es9::function_name(f));
  if (res->status == 204) return std::string();
  if (res->status != 200) {
    const Errc code = es9_http_detail::retriable_status(res->status) ? Errc::unavailable : Errc::failed_precondition;
    return Error(code, where + " answered HTTP " + std::to_string(res->status), "smdp_address");
  }
  if (res->content_type.substr(0, sgp::es9::kContentType.size()) != sgp::es9::kContentType) {
    return Error(Errc::parse_error, where + " answered Content-Type '" + res->content_type + "', not JSON",
                 "content_type");
  }
  return std::move(res->body);
}

namespace es9_http_detail {

template <class R>
Result<R> decoded(Result<R> r, std::string_view smdp, std::string_view function) {
  if (r.ok()) return r;
  Error e = std::move(r).error();
  e.message = "SM-DP+ " + std::string(smdp) + " " + std::string(function) + " response: " + e.message;
  return e;
}

}  // namespace es9_http_detail

Result<sgp::es9::InitiateAuthenticationResponse> Es9HttpClient::initiate_authentication(
    std::string_view smdp_address, const sgp::es9::InitiateAuthenticationRequest& request) {
  ESIMO_TRY(std::string body, sgp::es9::encode(request));
  ESIMO_TRY(std::string out, post(smdp_address, sgp::es9::Function::initiate_authentication, body));
  return es9_http_detail::decoded(sgp::es9::decode_initiate_authentication_response(out), smdp_address,
                                  "initiateAuthentication");
}

Result<sgp::es9::AuthenticateClientResponse> Es9HttpClient::authenticate_client(
    std::string_view smdp_address, const sgp::es9::AuthenticateClientRequest& request) {
  ESIMO_TRY(std::string body, sgp::es9::encode(request));
  ESIMO_TRY(std::string out, post(smdp_address, sgp::es9::Function::authenticate_client, body));
  return es9_http_detail::decoded(sgp::es9::decode_authenticate_client_response(out), smdp_address,
                                  "authenticateClient");
}

Result<sgp::es9::GetBoundProfilePackageResponse> Es9HttpClient::get_bound_profile_package(
    std::string_view smdp_address, const sgp::es9::GetBoundProfilePackageRequest& request) {
  ESIMO_TRY(std::string body, sgp::es9::encode(request));
  ESIMO_TRY(std::string out, post(smdp_address, sgp::es9::Function::get_bound_profile_package, body));
  return es9_http_detail::decoded(sgp::es9::decode_get_bound_profile_package_response(out), smdp_address,
                                  "getBoundProfilePackage");
}

Result<sgp::es9::FunctionExecutionStatus> Es9HttpClient::handle_notification(
    std::string_view smdp_address, const sgp::es9::HandleNotificationRequest& request) {
  ESIMO_TRY(std::string body, sgp::es9::encode(request));
  ESIMO_TRY(std::string out, post(smdp_address, sgp::es9::Function::handle_notification, body));
  if (out.empty()) return sgp::es9::FunctionExecutionStatus::success();  // 204 No Content (SGP.22 §6.5.2.4)
  return es9_http_detail::decoded(sgp::es9::decode_response_header(out), smdp_address, "handleNotification");
}

Result<sgp::es9::CancelSessionResponse> Es9HttpClient::cancel_session(std::string_view smdp_address,
                                                                      const sgp::es9::CancelSessionRequest& request) {
  ESIMO_TRY(std::string body, sgp::es9::encode(request));
  ESIMO_TRY(std::string out, post(smdp_address, sgp::es9::Function::cancel_session, body));
  return es9_http_detail::decoded(sgp::es9::decode_cancel_session_response(out), smdp_address, "cancelSession");
}

}  // namespace esimo::api
