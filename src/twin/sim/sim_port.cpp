#include "twin/sim/sim_port.hpp"

#include "api/esipa_service.hpp"
#include "twin/ipa.hpp"

namespace esimo::twin::sim {

Result<Bytes> ServiceEsipaPort::exchange(ByteView request_der, sgp::Version version) {
  http::Request req;
  req.method = http::Method::post;
  req.target = std::string(api::kEsipaPath);
  req.path = req.target;
  req.headers.push_back({"x-admin-protocol", version == sgp::Version::v1_0 ? "gsma/rsp/v1.0.0" : "gsma/rsp/v1.2.0"});
  req.headers.push_back({"content-type", std::string(api::kEsipaContentType)});
  req.body.assign(reinterpret_cast<const char*>(request_der.data()), request_der.size());
  req.remote_address = "twin";
  http::Response resp = service_.handle(req);
  if (resp.status == 204) return Bytes{};
  if (resp.status != 200) {
    return Error(resp.status >= 500 ? Errc::unavailable : Errc::failed_precondition,
                 "ESipa answered " + std::to_string(resp.status) + ": " + resp.body.substr(0, 120));
  }
  return Bytes(resp.body.begin(), resp.body.end());
}

Result<std::unique_ptr<HttpEsipaPort>> HttpEsipaPort::connect(const std::string& eim_url) {
  std::unique_ptr<HttpEsipaPort> p(new HttpEsipaPort());
  p->url_ = eim_url;
  ESIMO_TRY(p->v12_, HttpEsipaTransport::connect(eim_url, sgp::Version::v1_2));
  return p;
}

HttpEsipaPort::~HttpEsipaPort() = default;

Result<Bytes> HttpEsipaPort::exchange(ByteView request_der, sgp::Version version) {
  if (version == sgp::Version::v1_0) {
    if (!v10_) {
      ESIMO_TRY(v10_, HttpEsipaTransport::connect(url_, sgp::Version::v1_0));
    }
    return v10_->exchange(request_der);
  }
  return v12_->exchange(request_der);
}

}  // namespace esimo::twin::sim
