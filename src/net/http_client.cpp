// Synchronous HTTP/1.1 client over Beast. Each call runs async operations on a private io_context so that every step
// (connect, handshake, write, read) is bounded by ClientOptions::timeout.
#include "net/http_client.hpp"

#include <charconv>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace esimo::net {
namespace http_client_impl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::optional<bhttp::verb> to_verb(http::Method m) {
  switch (m) {
    case http::Method::get: return bhttp::verb::get;
    case http::Method::head: return bhttp::verb::head;
    case http::Method::post: return bhttp::verb::post;
    case http::Method::put: return bhttp::verb::put;
    case http::Method::patch: return bhttp::verb::patch;
    case http::Method::del: return bhttp::verb::delete_;
    case http::Method::options: return bhttp::verb::options;
    case http::Method::other: break;
  }
  return std::nullopt;
}

std::string lower_name(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The peer closed a keep-alive connection we were about to reuse.
bool stale_connection(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

}  // namespace http_client_impl

struct HttpClient::Impl {
  using tcp_stream = boost::beast::tcp_stream;
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  std::string host;
  std::uint16_t port = 0;
  ClientOptions options;
  boost::asio::io_context ioc;
  std::unique_ptr<boost::asio::ssl::context> tls_ctx;
  std::unique_ptr<tcp_stream> plain;
  std::unique_ptr<tls_stream> tls;
  boost::beast::flat_buffer buffer;
  std::uint64_t opened = 0;

  bool connected() const { return plain != nullptr || tls != nullptr; }
  tcp_stream& lowest() { return tls ? boost::beast::get_lowest_layer(*tls) : *plain; }

  // Runs one async operation to completion on our io_context; the stream's expiry bounds it.
  template <class Start>
  boost::system::error_code run(Start start) {
    boost::system::error_code result = boost::asio::error::would_block;
    start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void close() {
    boost::system::error_code ec;
    if (connected()) lowest().socket().close(ec);
    tls.reset();
    plain.reset();
    buffer.clear();
  }

  Status open() {
    namespace asio = boost::asio;
    using tcp = asio::ip::tcp;
    close();
    const std::string where = host + ":" + std::to_string(port);
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return Error(Errc::unavailable, "cannot resolve " + host + ": " + ec.message(), "host");
    auto stream = std::make_unique<tcp_stream>(ioc);
    stream->expires_after(options.timeout);
    ec = run([&](auto handler) { stream->async_connect(endpoints, std::move(handler)); });
    if (ec) {
      Errc code = ec == boost::beast::error::timeout ? Errc::timeout : Errc::unavailable;
      return Error(code, "cannot connect to " + where + ": " + ec.message());
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    ++opened;
    if (!options.tls) {
      plain = std::move(stream);
      return {};
    }
    auto s = std::make_unique<tls_stream>(std::move(*stream), *tls_ctx);
    boost::system::error_code addr_ec;
    asio::ip::make_address(host, addr_ec);
    if (addr_ec && SSL_set_tlsext_host_name(s->native_handle(), host.c_str()) != 1) {
      return Error(Errc::io_error, "cannot set TLS server name " + host);
    }
    if (options.verify) {
      s->set_verify_mode(asio::ssl::verify_peer);
      s->set_verify_callback(asio::ssl::host_name_verification(host));
    } else {
      s->set_verify_mode(asio::ssl::verify_none);
    }
    boost::beast::get_lowest_layer(*s).expires_after(options.timeout);
    ec = run([&](auto handler) { s->async_handshake(asio::ssl::stream_base::client, std::move(handler)); });
    if (ec) {
      Errc code = ec == boost::beast::error::timeout ? Errc::timeout : Errc::unavailable;
      return Error(code, "TLS handshake with " + where + " failed: " + ec.message());
    }
    tls = std::move(s);
    return {};
  }

  // One request/response exchange on the open connection. `got_response_bytes` tells a stale connection (nothing came
  // back) from a failure mid-response.
  template <class Stream, class Req>
  boost::system::error_code exchange(Stream& stream, Req& req, bool head_request,
                                     boost::beast::http::response_parser<boost::beast::http::string_body>& parser) {
    namespace bhttp = boost::beast::http;
    boost::beast::get_lowest_layer(stream).expires_after(options.timeout);
    auto ec = run([&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
    if (ec) return ec;
    parser.body_limit(boost::none);
    parser.skip(head_request);
    boost::beast::get_lowest_layer(stream).expires_after(options.timeout);
    return run([&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() {
  if (impl_) impl_->close();
}

Result<std::unique_ptr<HttpClient>> HttpClient::connect(std::string host, std::uint16_t port, ClientOptions options) {
  namespace asio = boost::asio;
  auto impl = std::make_unique<Impl>();
  impl->host = std::move(host);
  impl->port = port;
  impl->options = std::move(options);
  if (impl->options.tls) {
    impl->tls_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    impl->tls_ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                               asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                               asio::ssl::context::no_tlsv1_1);
    if (!impl->options.ca_file.empty()) {
      impl->tls_ctx->load_verify_file(impl->options.ca_file, ec);
      if (ec) {
        return Error(Errc::invalid_argument,
                     "CA file " + impl->options.ca_file + " could not be loaded: " + ec.message(), "ca_file");
      }
    } else {
      impl->tls_ctx->set_default_verify_paths(ec);
    }
  }
  ESIMO_CHECK(impl->open());
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<http::Response> HttpClient::request(http::Method method, std::string_view target, std::vector<http::Header> headers,
                                           std::string_view body, std::string_view content_type) {
  namespace bhttp = boost::beast::http;
  auto verb = http_client_impl::to_verb(method);
  if (!verb) return Error(Errc::invalid_argument, "unsupported HTTP method", "method");
  if (target.empty() || target.front() != '/') return Error(Errc::invalid_argument, "request target must start with '/'", "target");

  bhttp::request<bhttp::string_body> req{*verb, std::string(target), 11};
  req.set(bhttp::field::host, impl_->host + ":" + std::to_string(impl_->port));
  req.set(bhttp::field::user_agent, "esimo");
  for (const auto& h : headers) req.insert(h.name, h.value);
  if (!body.empty() || method == http::Method::post || method == http::Method::put || method == http::Method::patch) {
    if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
    req.body().assign(body.data(), body.size());
  }
  req.keep_alive(true);
  req.prepare_payload();
  const bool head_request = method == http::Method::head;

  boost::system::error_code ec;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->connected();
    if (!reused) ESIMO_CHECK(impl_->open());
    parser.emplace();
    ec = impl_->tls ? impl_->exchange(*impl_->tls, req, head_request, *parser)
                    : impl_->exchange(*impl_->plain, req, head_request, *parser);
    if (!ec) break;
    const bool retry = attempt == 0 && reused && !parser->got_some() && http_client_impl::stale_connection(ec);
    impl_->close();
    if (!retry) break;
  }
  const std::string where = impl_->host + ":" + std::to_string(impl_->port);
  if (ec) {
    if (ec == boost::beast::error::timeout) {
      return Error(Errc::timeout, "HTTP request to " + where + " timed out after " +
                                      std::to_string(impl_->options.timeout.count()) + " ms");
    }
    return Error(Errc::unavailable, "HTTP request to " + where + " failed: " + ec.message());
  }

  auto& msg = parser->get();
  http::Response res;
  res.status = static_cast<int>(msg.result_int());
  res.content_type = std::string(msg[bhttp::field::content_type]);
  res.headers.reserve(8);
  for (const auto& f : msg) res.headers.push_back({http_client_impl::lower_name(f.name_string()), std::string(f.value())});
  res.body = std::move(msg.body());
  if (!msg.keep_alive()) impl_->close();
  return res;
}

std::uint64_t HttpClient::connections_opened() const { return impl_->opened; }

Result<UrlParts> parse_url(std::string_view url) {
  UrlParts out;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return Error(Errc::invalid_argument, "URL must start with http:// or https://: " + std::string(url), "url");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Error(Errc::invalid_argument, "unterminated IPv6 address in URL", "url");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error(Errc::invalid_argument, "unexpected text after IPv6 address in URL", "url");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Error(Errc::invalid_argument, "URL has no host: " + std::string(url), "url");
  if (port_text.empty()) {
    out.port = out.tls ? 443 : 80;
  } else {
    unsigned value = 0;
    auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (err != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return Error(Errc::invalid_argument, "invalid port in URL: " + std::string(port_text), "url");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Error(Errc::invalid_argument, "URL prefix may not carry a query or fragment: " + std::string(url), "url");
  }
  out.prefix = std::string(path);
  return out;
}

}  // namespace esimo::net
