// esimo-bare-server: the baseline for the HTTP benchmarks. A bare Boost.Beast HTTP/1.1 keep-alive server that answers
// every request with the same small JSON body, with the same threading model as net::HttpServer (one io_context, N
// threads, a strand and a coroutine per connection). The figure to compare esimo against, measured in the same run.
//
//   esimo-bare-server [--port N] [--threads N] [--duration SECONDS] [--port-file PATH]
//
// Listens on 127.0.0.1 only. Prints "listening 127.0.0.1:PORT" on stdout, then serves until SIGINT/SIGTERM or --duration.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace bare {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kBody = R"({"eid":"89049032123451234512345678901235","state":"active","ok":true})";

struct Options {
  unsigned port = 0;
  unsigned threads = 2;
  unsigned duration_s = 0;  // 0: until a signal
  std::string port_file;
};

bool parse_unsigned(std::string_view text, unsigned& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

int usage(const char* why) {
  std::fprintf(stderr, "esimo-bare-server: %s\nusage: esimo-bare-server [--port N] [--threads N] [--duration SECONDS] [--port-file PATH]\n", why);
  return 2;
}

asio::awaitable<void> serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    stream.expires_after(std::chrono::seconds(75));
    co_await bhttp::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::server, "bare");
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    if (req.method() != bhttp::verb::head) res.body() = kBody;
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> accept_all(tcp::acceptor& acceptor, asio::io_context& ioc) {
  for (;;) {
    tcp::socket socket(asio::make_strand(ioc));
    beast::error_code ec;
    co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    auto ex = socket.get_executor();
    asio::co_spawn(ex, serve(std::move(socket)), asio::detached);
  }
}

int run(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string_view { return i + 1 < argc ? std::string_view(argv[++i]) : std::string_view{}; };
    if (a == "--port") {
      if (!parse_unsigned(value(), opt.port) || opt.port > 65535) return usage("--port needs a number 0-65535");
    } else if (a == "--threads") {
      if (!parse_unsigned(value(), opt.threads) || opt.threads == 0 || opt.threads > 256) return usage("--threads needs 1-256");
    } else if (a == "--duration") {
      if (!parse_unsigned(value(), opt.duration_s)) return usage("--duration needs seconds");
    } else if (a == "--port-file") {
      opt.port_file = std::string(value());
      if (opt.port_file.empty()) return usage("--port-file needs a path");
    } else if (a == "--help" || a == "-h") {
      return usage("a bare Beast keep-alive server answering a constant JSON body");
    } else {
      return usage(("unknown option " + std::string(a)).c_str());
    }
  }

  asio::io_context ioc(static_cast<int>(opt.threads));
  tcp::acceptor acceptor(asio::make_strand(ioc));
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(opt.port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "esimo-bare-server: cannot listen on 127.0.0.1:%u: %s\n", opt.port, ec.message().c_str());
    return 1;
  }
  const unsigned port = acceptor.local_endpoint().port();

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer deadline(ioc);
  auto shut = [&] {
    asio::post(acceptor.get_executor(), [&] { acceptor.close(ec); });
    ioc.stop();
  };
  signals.async_wait([&](const beast::error_code& e, int) {
    if (!e) shut();
  });
  if (opt.duration_s > 0) {
    deadline.expires_after(std::chrono::seconds(opt.duration_s));
    deadline.async_wait([&](const beast::error_code& e) {
      if (!e) shut();
    });
  }
  asio::co_spawn(acceptor.get_executor(), accept_all(acceptor, ioc), asio::detached);

  if (!opt.port_file.empty()) {
    std::ofstream(opt.port_file) << port << "\n";
  }
  std::printf("listening 127.0.0.1:%u threads=%u\n", port, opt.threads);
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < opt.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace bare

int main(int argc, char** argv) { return bare::run(argc, argv); }
