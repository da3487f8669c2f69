// The HTTP/1.1 server: one C++20 coroutine per connection on its own strand, Beast parsers and serializers, optional TLS.
// The only layer above that sees any of this is http::Service (src/base/http_message.hpp).
#include "net/http_server.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <list>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "base/log.hpp"

namespace esimo::net {
namespace http_server_impl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kStreamChunk = 64 * 1024;

// What stop() needs to reach one connection. Touched only on the connection's strand, except `strand` (immutable).
struct ConnControl {
  explicit ConnControl(asio::strand<asio::io_context::executor_type> s) : strand(std::move(s)) {}
  asio::strand<asio::io_context::executor_type> strand;
  tcp::socket* socket = nullptr;  // null once the connection has ended
  bool idle = false;              // waiting for the first byte of the next request
};

// State shared by the server and its connection coroutines (which hold it by shared_ptr, so tearing down the
// io_context in any order is safe).
struct Shared {
  http::Service* service = nullptr;
  ServerOptions options;
  std::unique_ptr<asio::ssl::context> tls;
  std::atomic<bool> stopping{false};
  std::string request_id_prefix;
  std::atomic<std::uint64_t> request_seq{0};

  std::mutex mu;
  std::condition_variable cv;
  std::list<std::shared_ptr<ConnControl>> conns;  // guarded by mu
};

// Removes a connection from the registry when its coroutine ends (or its frame is destroyed at shutdown).
class ConnRegistration {
 public:
  ConnRegistration(std::shared_ptr<Shared> sh, std::shared_ptr<ConnControl> ctl) : sh_(std::move(sh)), ctl_(std::move(ctl)) {
    std::lock_guard lock(sh_->mu);
    it_ = sh_->conns.insert(sh_->conns.end(), ctl_);
  }
  ~ConnRegistration() {
    ctl_->socket = nullptr;
    std::lock_guard lock(sh_->mu);
    sh_->conns.erase(it_);
    sh_->cv.notify_all();
  }
  ConnRegistration(const ConnRegistration&) = delete;
  ConnRegistration& operator=(const ConnRegistration&) = delete;

 private:
  std::shared_ptr<Shared> sh_;
  std::shared_ptr<ConnControl> ctl_;
  std::list<std::shared_ptr<ConnControl>>::iterator it_;
};

http::Method to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get: return http::Method::get;
    case bhttp::verb::head: return http::Method::head;
    case bhttp::verb::post: return http::Method::post;
    case bhttp::verb::put: return http::Method::put;
    case bhttp::verb::patch: return http::Method::patch;
    case bhttp::verb::delete_: return http::Method::del;
    case bhttp::verb::options: return http::Method::options;
    default: return http::Method::other;
  }
}

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  }
  return true;
}

// RFC 9457 problem document, with the stable `code` and the request id the API layer also uses.
http::Response problem(int status, std::string_view title, std::string_view code, std::string_view detail,
                       std::string_view request_id) {
  http::Response res;
  res.status = status;
  res.content_type = "application/problem+json";
  std::string& b = res.body;
  b = "{\"type\":\"about:blank\",\"title\":";
  log::append_json_string(b, title);
  b += ",\"status\":" + std::to_string(status) + ",\"code\":";
  log::append_json_string(b, code);
  b += ",\"detail\":";
  log::append_json_string(b, detail);
  if (!request_id.empty()) {
    b += ",\"request_id\":";
    log::append_json_string(b, request_id);
  }
  b += "}";
  return res;
}

std::string next_request_id(Shared& sh) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012llx",
                static_cast<unsigned long long>(sh.request_seq.fetch_add(1, std::memory_order_relaxed) + 1));
  return sh.request_id_prefix + buf;
}

http::Request to_request(const bhttp::request_parser<bhttp::empty_body>::value_type& m, Shared& sh,
                         const std::string& remote) {
  http::Request req;
  req.method = to_method(m.method());
  req.target = std::string(m.target());
  std::string_view target = req.target;
  auto q = target.find('?');
  req.path = http::percent_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  req.headers.reserve(16);
  for (const auto& f : m) {
    std::string name(f.name_string());
    for (char& c : name) c = lower_char(c);
    req.headers.push_back({std::move(name), std::string(f.value())});
  }
  req.remote_address = remote;
  std::string_view given = req.header("x-request-id");
  req.request_id = sane_request_id(given) ? std::string(given) : next_request_id(sh);
  return req;
}

// Calls into the service never let an exception reach the io thread.
http::Response call_handle(Shared& sh, http::Request& req) {
  try {
    return sh.service->handle(req);
  } catch (const std::exception& e) {
    log::error("http handler threw", {{"request_id", req.request_id}, {"path", req.path}, {"what", e.what()}});
  } catch (...) {
    log::error("http handler threw", {{"request_id", req.request_id}, {"path", req.path}, {"what", "unknown exception"}});
  }
  return problem(500, "Internal Server Error", "internal", "the request failed unexpectedly", req.request_id);
}

bool transport_gone(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::bad_descriptor;
}

template <class Stream>
asio::awaitable<void> write_response(Stream& stream, Shared& sh, http::Response res, const std::string& request_id,
                                     bool head_request, bool keep_alive, beast::error_code& ec) {
  if (res.status < 100 || res.status > 999) res.status = 500;
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
  out.set(bhttp::field::server, sh.options.server_name);
  if (!res.content_type.empty() && !res.body.empty()) out.set(bhttp::field::content_type, res.content_type);
  for (auto& h : res.headers) {
    if (iequal_ascii(h.name, "content-length") || iequal_ascii(h.name, "connection") ||
        iequal_ascii(h.name, "transfer-encoding")) {
      continue;  // framing is ours
    }
    out.insert(h.name, h.value);
  }
  out.set("X-Request-Id", request_id);
  bool no_body_status = res.status == 204 || res.status == 304 || res.status < 200;
  if (!no_body_status) out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  if (head_request) out.body().clear();  // RFC 9110 §9.3.2: HEAD answers the GET's headers, Content-Length included
  beast::get_lowest_layer(stream).expires_after(sh.options.idle_timeout);
  co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
}

// Serves requests on one connection until it closes, errs, or the server stops. Returns true when the last response
// went out while part of the request body was still unread (the caller then drains it before closing, so the client
// reads our answer instead of a connection reset).
template <class Stream>
asio::awaitable<bool> serve_requests(Stream& stream, Shared& sh, ConnControl& ctl, const std::string& remote) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  const auto& opt = sh.options;
  for (;;) {
    if (buffer.size() == 0) {
      // Idle keep-alive: the only state stop() may cut short.
      if (sh.stopping.load()) co_return false;
      ctl.idle = true;
      tcp_layer.expires_after(opt.idle_timeout);
      std::size_t n = co_await stream.async_read_some(buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      ctl.idle = false;
      if (ec) co_return false;
      buffer.commit(n);
    }

    tcp_layer.expires_after(opt.header_timeout);
    bhttp::request_parser<bhttp::empty_body> head_parser;
    head_parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    head_parser.body_limit(boost::none);  // decided once we know whether the body is streamed (Content-Length is checked below)
    co_await bhttp::async_read_header(stream, buffer, head_parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (transport_gone(ec)) co_return false;
      std::string id = next_request_id(sh);
      http::Response res = ec == bhttp::error::header_limit
                               ? problem(431, "Request Header Fields Too Large", "headers_too_large",
                                         "request headers exceed " + std::to_string(opt.header_limit) + " bytes", id)
                               : problem(400, "Bad Request", "malformed_http", "malformed HTTP request: " + ec.message(), id);
      co_await write_response(stream, sh, std::move(res), id, false, false, ec);
      co_return !ec;
    }

    const auto& head = head_parser.get();
    http::Request req = to_request(head, sh, remote);
    const bool head_request = req.method == http::Method::head;
    // RFC 9110 §10.1.1: only HTTP/1.1 clients get the interim answer.
    const bool expects_continue = head.version() >= 11 && iequal_ascii(head[bhttp::field::expect], "100-continue");
    bool keep_alive = head.keep_alive();
    bool body_unread = false;
    http::Response res;

    auto send_continue = [&]() -> asio::awaitable<void> {
      if (!expects_continue || head_parser.is_done()) co_return;
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      co_await bhttp::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
    };

    std::unique_ptr<http::BodySink> sink;
    bool handler_failed = false;
    try {
      sink = sh.service->open_stream(req);
    } catch (const std::exception& e) {
      log::error("http open_stream threw", {{"request_id", req.request_id}, {"what", e.what()}});
      handler_failed = true;
    } catch (...) {
      log::error("http open_stream threw", {{"request_id", req.request_id}, {"what", "unknown exception"}});
      handler_failed = true;
    }

    if (handler_failed) {
      res = problem(500, "Internal Server Error", "internal", "the request failed unexpectedly", req.request_id);
      body_unread = !head_parser.is_done();
      keep_alive = keep_alive && !body_unread;
    } else if (sink) {
      co_await send_continue();
      if (ec) co_return false;
      bhttp::request_parser<bhttp::buffer_body> body_parser{std::move(head_parser)};
      body_parser.body_limit(boost::none);  // a sink takes bodies of any size
      std::vector<char> chunk(kStreamChunk);
      bool rejected = false;
      while (!body_parser.is_done()) {
        body_parser.get().body().data = chunk.data();
        body_parser.get().body().size = chunk.size();
        tcp_layer.expires_after(opt.idle_timeout);
        co_await bhttp::async_read(stream, buffer, body_parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) break;
        std::size_t n = chunk.size() - body_parser.get().body().size;
        if (n == 0) continue;
        bool accepted = false;
        try {
          accepted = sink->write(std::string_view(chunk.data(), n));
        } catch (const std::exception& e) {
          log::error("http body sink threw", {{"request_id", req.request_id}, {"what", e.what()}});
          handler_failed = true;
        } catch (...) {
          log::error("http body sink threw", {{"request_id", req.request_id}, {"what", "unknown exception"}});
          handler_failed = true;
        }
        if (!accepted) {
          rejected = true;
          break;
        }
      }
      if (ec) {
        if (transport_gone(ec)) co_return false;
        res = problem(400, "Bad Request", "malformed_http", "malformed request body: " + ec.message(), req.request_id);
        keep_alive = false;
      } else if (handler_failed) {
        res = problem(500, "Internal Server Error", "internal", "the request failed unexpectedly", req.request_id);
        keep_alive = false;
        body_unread = !body_parser.is_done();
      } else {
        try {
          res = sink->finish();
        } catch (const std::exception& e) {
          log::error("http body sink threw", {{"request_id", req.request_id}, {"what", e.what()}});
          res = problem(500, "Internal Server Error", "internal", "the request failed unexpectedly", req.request_id);
        } catch (...) {
          log::error("http body sink threw", {{"request_id", req.request_id}, {"what", "unknown exception"}});
          res = problem(500, "Internal Server Error", "internal", "the request failed unexpectedly", req.request_id);
        }
        if (rejected || !body_parser.is_done()) {
          keep_alive = false;  // the rest of the body is still on the wire
          body_unread = true;
        }
      }
    } else {
      auto too_large = [&] {
        keep_alive = false;
        body_unread = true;
        return problem(413, "Payload Too Large", "body_too_large",
                       "request body exceeds " + std::to_string(opt.body_limit) + " bytes", req.request_id);
      };
      auto declared = head_parser.content_length();
      if (declared && *declared > opt.body_limit) {
        res = too_large();  // refuse before reading a byte of it
      } else {
        co_await send_continue();
        if (ec) co_return false;
        bhttp::request_parser<bhttp::string_body> body_parser{std::move(head_parser)};
        body_parser.body_limit(opt.body_limit);
        if (!body_parser.is_done()) {
          tcp_layer.expires_after(opt.idle_timeout);
          co_await bhttp::async_read(stream, buffer, body_parser, asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec == bhttp::error::body_limit) {
          res = too_large();
        } else if (ec) {
          if (transport_gone(ec)) co_return false;
          res = problem(400, "Bad Request", "malformed_http", "malformed request body: " + ec.message(), req.request_id);
          keep_alive = false;
        } else {
          req.body = std::move(body_parser.get().body());
          res = call_handle(sh, req);
        }
      }
    }

    if (sh.stopping.load()) keep_alive = false;
    co_await write_response(stream, sh, std::move(res), req.request_id, head_request, keep_alive, ec);
    if (ec) co_return false;
    if (!keep_alive) co_return body_unread;
  }
}

// Reads and drops what the client is still sending (bounded in bytes and time) before the connection closes.
template <class Stream>
asio::awaitable<void> discard_input(Stream& stream) {
  constexpr std::size_t kMaxDiscard = 64u << 20;
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  std::vector<char> sink(kStreamChunk);
  std::size_t total = 0;
  beast::error_code ec;
  while (total < kMaxDiscard) {
    total += co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

asio::awaitable<void> run_connection(std::shared_ptr<Shared> sh, tcp::socket socket,
                                     std::shared_ptr<ConnControl> ctl) {
  ConnRegistration registration(sh, ctl);
  beast::error_code ec;
  std::string remote;
  auto endpoint = socket.remote_endpoint(ec);
  if (!ec) remote = endpoint.address().to_string();
  socket.set_option(tcp::no_delay(true), ec);

  beast::tcp_stream tcp_stream(std::move(socket));
  if (sh->tls) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *sh->tls);
    ctl->socket = &beast::get_lowest_layer(stream).socket();
    beast::get_lowest_layer(stream).expires_after(sh->options.header_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    bool linger = co_await serve_requests(stream, *sh, *ctl, remote);
    if (linger) co_await discard_input(stream);
    if (beast::get_lowest_layer(stream).socket().is_open()) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
  } else {
    ctl->socket = &tcp_stream.socket();
    bool linger = co_await serve_requests(tcp_stream, *sh, *ctl, remote);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger) co_await discard_input(tcp_stream);
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<Shared> sh, tcp::acceptor& acceptor, asio::io_context& ioc) {
  for (;;) {
    auto strand = asio::make_strand(ioc);
    tcp::socket socket(strand);
    beast::error_code ec;
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (sh->stopping.load() || !acceptor.is_open()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors and the like: log, breathe, keep serving the connections we have.
      log::warn("http accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto ctl = std::make_shared<ConnControl>(strand);
    asio::co_spawn(strand, run_connection(sh, std::move(socket), ctl), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::error("http connection failed", {{"what", ex.what()}});
      } catch (...) {
        log::error("http connection failed", {{"what", "unknown exception"}});
      }
    });
  }
}

std::string make_request_id_prefix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x-", static_cast<unsigned>(rd()));
  return buf;
}

}  // namespace http_server_impl

struct HttpServer::Impl {
  std::shared_ptr<http_server_impl::Shared> sh;
  std::unique_ptr<boost::asio::io_context> ioc;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::mutex stop_mu;
  bool stopped = false;

  void stop(std::chrono::milliseconds drain);
};

void HttpServer::Impl::stop(std::chrono::milliseconds drain) {
  namespace asio = boost::asio;
  std::lock_guard stop_lock(stop_mu);
  if (stopped) return;
  stopped = true;
  sh->stopping.store(true);

  asio::post(acceptor->get_executor(), [a = acceptor.get()] {
    boost::system::error_code ec;
    a->close(ec);
  });
  auto close_connections = [this](bool only_idle) {
    std::lock_guard lock(sh->mu);
    for (const auto& ctl : sh->conns) {
      asio::post(ctl->strand, [ctl, only_idle] {
        if (ctl->socket == nullptr || (only_idle && !ctl->idle)) return;
        boost::system::error_code ec;
        ctl->socket->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        ctl->socket->close(ec);
      });
    }
  };
  close_connections(true);
  {
    std::unique_lock lock(sh->mu);
    sh->cv.wait_for(lock, drain, [this] { return sh->conns.empty(); });
  }
  bool leftovers = false;
  {
    std::lock_guard lock(sh->mu);
    leftovers = !sh->conns.empty();
  }
  if (leftovers) {
    log::warn("http drain timed out, closing connections", {{"open", static_cast<std::uint64_t>(sh->conns.size())}});
    close_connections(false);
    std::unique_lock lock(sh->mu);
    sh->cv.wait_for(lock, std::chrono::seconds(1), [this] { return sh->conns.empty(); });
  }
  ioc->stop();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
  // Destroy the acceptor before its io_context; the io_context then destroys any connection frames still pending.
  acceptor.reset();
  ioc.reset();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  if (impl_) impl_->stop(std::chrono::seconds(2));
}

std::uint16_t HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->sh->tls != nullptr; }
void HttpServer::stop(std::chrono::milliseconds drain) { impl_->stop(drain); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerOptions& options, http::Service& service) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  auto sh = std::make_shared<http_server_impl::Shared>();
  sh->service = &service;
  sh->options = options;
  if (sh->options.threads == 0) sh->options.threads = 1;
  sh->request_id_prefix = http_server_impl::make_request_id_prefix();

  const bool want_tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (want_tls) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return Error(Errc::invalid_argument, "TLS needs both a certificate file and a key file",
                   options.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file");
    }
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                     asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) {
      return Error(Errc::invalid_argument,
                   "TLS certificate file " + options.tls_cert_file + " could not be loaded: " + ec.message(),
                   "tls_cert_file");
    }
    ctx->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return Error(Errc::invalid_argument,
                   "TLS key file " + options.tls_key_file + " could not be loaded: " + ec.message(), "tls_key_file");
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return Error(Errc::invalid_argument,
                   "TLS key file " + options.tls_key_file + " does not match certificate " + options.tls_cert_file,
                   "tls_key_file");
    }
    sh->tls = std::move(ctx);
  }

  auto impl = std::make_unique<Impl>();
  impl->sh = sh;
  impl->ioc = std::make_unique<asio::io_context>(static_cast<int>(sh->options.threads));
  auto& ioc = *impl->ioc;

  const std::string where = options.host + ":" + std::to_string(options.port);
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options.port);
  } else {
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(options.host, std::to_string(options.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return Error(Errc::invalid_argument, "cannot resolve listen host " + options.host + ": " + ec.message(), "host");
    }
    endpoint = results.begin()->endpoint();
  }

  impl->acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(ioc));
  auto& acceptor = *impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error(Errc::io_error, "cannot listen on " + where + ": " + ec.message(), "listen");
  impl->port = acceptor.local_endpoint(ec).port();

  asio::co_spawn(acceptor.get_executor(), http_server_impl::accept_loop(sh, acceptor, ioc), [](std::exception_ptr e) {
    if (e) log::error("http accept loop ended by an exception");
  });
  for (unsigned i = 0; i < sh->options.threads; ++i) {
    impl->threads.emplace_back([&ioc] { ioc.run(); });
  }
  log::info("http server listening", {{"address", endpoint.address().to_string()},
                                       {"port", static_cast<unsigned>(impl->port)},
                                       {"tls", sh->tls != nullptr},
                                       {"threads", sh->options.threads}});
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace esimo::net
