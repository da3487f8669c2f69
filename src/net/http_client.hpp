#pragma once
// Synchronous keep-alive HTTP/1.1 client (plain or TLS) for tests, the command line, the twin's IPA and the load tools.
// Beast/Asio stay in http_client.cpp.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/http_message.hpp"
#include "base/result.hpp"

namespace esimo::net {

struct ClientOptions {
  bool tls = false;
  std::string ca_file;  // PEM bundle to trust; empty: the system store
  bool verify = true;   // verify the server certificate and its host name
  std::chrono::milliseconds timeout{30000};  // per request (connect, write, read), not per byte
};

// "http(s)://host[:port][/prefix]" split into its parts; the prefix has no trailing '/' ("" for none).
struct UrlParts {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string prefix;
};
Result<UrlParts> parse_url(std::string_view url);

// One connection, one request at a time; not thread-safe (use one client per thread).
class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> connect(std::string host, std::uint16_t port, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response. Reconnects once when the server has closed the keep-alive
  // connection. Response headers come back with lower-case names; content_type is filled from Content-Type.
  Result<http::Response> request(http::Method method, std::string_view target, std::vector<http::Header> headers = {},
                                 std::string_view body = {}, std::string_view content_type = "application/json");

  // TCP connections opened so far (1 after connect(); grows only when the server closed the previous one).
  std::uint64_t connections_opened() const;

  struct Impl;

 private:
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::net
