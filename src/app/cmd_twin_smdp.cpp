// `esimo twin smdp`: the twin's test SM-DP+ serving ES9+ (SGP.22 §6.5 JSON over HTTPS) with the test PKI's DPauth,
// DPpb and DPtls certificates; `esimo twin smdp code`: prepares a profile on it and prints the activation code.
#include <boost/json.hpp>
#include <fstream>
#include <ostream>

#include "app/commands.hpp"
#include "app/support.hpp"
#include "base/clock.hpp"
#include "crypto/random.hpp"
#include "crypto/test_pki.hpp"
#include "domain/identifiers.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "twin/smdp.hpp"
#include "twin/smdp_http.hpp"

namespace esimo::app {
namespace cmd_twin_smdp_detail {

Result<std::pair<std::string, std::uint16_t>> host_port(std::string_view text, const char* flag) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Error(Errc::invalid_argument, std::string(flag) + ": expected HOST:PORT, got \"" + std::string(text) + "\"",
                 flag);
  }
  const std::string port_text(text.substr(colon + 1));
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 0 || port > 65535) {
    return Error(Errc::invalid_argument, std::string(flag) + ": bad port \"" + port_text + "\"", flag);
  }
  return std::make_pair(std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port));
}

// A fresh ICCID: "89" + "99" (a test issuer) + 15 random digits + the Luhn check digit.
Result<domain::Iccid> random_iccid() {
  std::string digits = "8999";
  const Bytes r = crypto::random_bytes(15);
  for (auto b : r) digits += static_cast<char>('0' + b % 10);
  return domain::Iccid::from_payload(digits);
}

}  // namespace cmd_twin_smdp_detail

namespace tsd = cmd_twin_smdp_detail;

int cmd_twin_smdp(const TwinSmdpArgs& args, Io io) {
  block_stop_signals();  // before the io threads start: only this thread takes SIGTERM/SIGINT

  if (!args.pki_dir) return report_error(io, Error(Errc::invalid_argument, "--pki DIR is required", "--pki"));
  auto listen = tsd::host_port(args.listen, "--listen");
  if (!listen.ok()) return report_error(io, listen.error());
  auto pki = crypto::load_test_pki(*args.pki_dir);
  if (!pki.ok()) return report_error(io, pki.error());

  twin::SmdpOptions options;
  twin::Smdp smdp(twin::SmdpIdentity::from_test_pki(*pki), options, SystemClock::instance());
  twin::SmdpHttpService service(smdp);
  net::ServerOptions so;
  so.host = listen->first;
  so.port = listen->second;
  if (!args.plain) {
    so.tls_cert_file = (*args.pki_dir / crypto::test_pki_files::kDpTls).string();
    so.tls_key_file = (*args.pki_dir / crypto::test_pki_files::kDpTlsKey).string();
  }
  auto server = net::HttpServer::start(so, service);
  if (!server.ok()) return report_error(io, server.error());
  const std::string address = args.address ? *args.address : so.host + ":" + std::to_string((*server)->port());
  smdp.set_address(address);
  if (args.port_file) {
    std::ofstream(*args.port_file) << (*server)->port() << "\n";
  }
  io.out << "test SM-DP+ serving ES9+ on " << ((*server)->tls() ? "https://" : "http://") << so.host << ":"
         << (*server)->port() << " (address " << address << "; admin POST " << twin::kSmdpAdminProfilesPath
         << " from loopback)" << std::endl;

  (void)wait_for_stop_signal();
  (*server)->stop(std::chrono::seconds(2));
  io.out << "test SM-DP+ stopped" << std::endl;
  return 0;
}

int cmd_twin_smdp_code(const TwinSmdpCodeArgs& args, Io io) {
  namespace json = boost::json;
  auto plmn = domain::Plmn::parse(args.carrier);
  if (!plmn.ok()) return report_error(io, Error(Errc::invalid_argument, "--carrier: " + plmn.error().message, "--carrier"));
  json::object order{{"plmn", plmn->str()}};
  if (args.iccid) {
    auto iccid = domain::Iccid::parse(*args.iccid);
    if (!iccid.ok()) return report_error(io, Error(Errc::invalid_argument, "--iccid: " + iccid.error().message, "--iccid"));
    order["iccid"] = iccid->str();
  } else {
    auto iccid = tsd::random_iccid();
    if (!iccid.ok()) return report_error(io, iccid.error());
    order["iccid"] = iccid->str();
  }
  if (args.matching_id) order["matching_id"] = *args.matching_id;
  if (args.confirmation_code) order["confirmation_code"] = *args.confirmation_code;
  if (args.eid) order["eid"] = *args.eid;
  if (args.expires_in_s) order["expires_in_s"] = *args.expires_in_s;

  auto url = net::parse_url(args.smdp_url);
  if (!url.ok()) return report_error(io, url.error());
  net::ClientOptions co;
  co.tls = url->tls;
  if (args.ca_file) co.ca_file = *args.ca_file;
  auto client = net::HttpClient::connect(url->host, url->port, co);
  if (!client.ok()) return report_error(io, client.error());
  auto resp = (*client)->request(http::Method::post, url->prefix + std::string(twin::kSmdpAdminProfilesPath), {},
                                 json::serialize(order));
  if (!resp.ok()) return report_error(io, resp.error());
  if (resp->status != 201) {
    return report_error(io, Error(Errc::failed_precondition, "the SM-DP+ answered HTTP " + std::to_string(resp->status) +
                                                                 ": " + resp->body.substr(0, 300)));
  }
  boost::system::error_code ec;
  json::value v = json::parse(resp->body, ec);
  if (ec || !v.is_object() || !v.as_object().if_contains("activation_code")) {
    return report_error(io, Error(Errc::parse_error, "the SM-DP+ answer has no activation_code"));
  }
  const auto& o = v.as_object();
  io.out << "profile " << json::value_to<std::string>(o.at("iccid")) << " (" << plmn->str() << ") prepared, matching ID "
         << json::value_to<std::string>(o.at("matching_id")) << "\n"
         << json::value_to<std::string>(o.at("activation_code")) << "\n";
  return 0;
}

}  // namespace esimo::app
