#pragma once
// HTTP/1.1 (and HTTPS) server over Boost.Beast. Beast/Asio stay in http_server.cpp: this header only shows the plain
// http::Service contract from src/base, so src/api and src/app never compile Asio.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/http_message.hpp"
#include "base/result.hpp"

namespace esimo::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, read it back with HttpServer::port()
  unsigned threads = 2;    // io threads; Service::handle() runs on them
  std::size_t body_limit = 1 << 20;             // buffered bodies only; streamed bodies (open_stream) have none
  std::size_t header_limit = 16 * 1024;         // request line + headers
  std::chrono::seconds idle_timeout{75};        // a keep-alive connection with no request in flight
  std::chrono::seconds header_timeout{15};      // from the first byte of a request to the end of its headers (and TLS handshake)
  std::string tls_cert_file, tls_key_file;      // PEM; TLS when both are set
  std::string server_name = "esimo";            // Server header
};

// Owns the listening socket, the io threads and every connection. start() and port() from any thread; stop() is
// thread-safe and idempotent; the destructor stops with a short drain.
class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(const ServerOptions& options, http::Service& service);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  bool tls() const;

  // Stop accepting, close idle keep-alive connections, let requests in flight finish (their connections close after the
  // response), wait up to `drain`, then close what is left and join the io threads.
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(10));

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace esimo::net
