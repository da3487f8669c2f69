#pragma once
// How a simulated device's ESipa bytes reach an eIM. In-process: straight into api::EsipaService::handle (the same
// binding the HTTP listener calls, so version negotiation, size checks and the eIM behind it run as in production,
// without a socket). Over the wire: HttpEsipaTransport connections to a running esimo.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/http_message.hpp"
#include "base/result.hpp"
#include "sgp/messages.hpp"

namespace esimo::twin {
class HttpEsipaTransport;
}

namespace esimo::twin::sim {

class EsipaPort {
 public:
  virtual ~EsipaPort() = default;
  // One ESipa exchange for a device speaking `version`; empty answer: 204.
  virtual Result<Bytes> exchange(ByteView request_der, sgp::Version version) = 0;
};

// Calls an http::Service (api::EsipaService) directly with the request the HTTP layer would have built.
class ServiceEsipaPort final : public EsipaPort {
 public:
  explicit ServiceEsipaPort(http::Service& service) : service_(service) {}
  Result<Bytes> exchange(ByteView request_der, sgp::Version version) override;

 private:
  http::Service& service_;
};

// Real HTTP ESipa (keep-alive) over one HttpEsipaTransport per version; not thread-safe (one per worker).
class HttpEsipaPort final : public EsipaPort {
 public:
  static Result<std::unique_ptr<HttpEsipaPort>> connect(const std::string& eim_url);
  ~HttpEsipaPort() override;
  Result<Bytes> exchange(ByteView request_der, sgp::Version version) override;

 private:
  HttpEsipaPort() = default;
  std::string url_;
  std::unique_ptr<HttpEsipaTransport> v12_;
  std::unique_ptr<HttpEsipaTransport> v10_;
};

}  // namespace esimo::twin::sim
