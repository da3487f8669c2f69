// esimo-net-const-server: net::HttpServer with a Service that answers the same constant JSON as esimo-bare-server.
// Run both under esimo-http-load in the same session: the ratio is the cost of src/net alone (request conversion,
// request ids, problem handling), before any routing, auth or store work.
//
//   esimo-net-const-server [--port N] [--threads N] [--duration SECONDS] [--port-file PATH]
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include "base/log.hpp"
#include "net/http_server.hpp"

namespace net_const {

constexpr std::string_view kBody = R"({"eid":"89049032123451234512345678901235","state":"active","ok":true})";

class ConstService : public esimo::http::Service {
 public:
  esimo::http::Response handle(esimo::http::Request&) override {
    esimo::http::Response res;
    res.body = kBody;
    return res;
  }
};

volatile std::sig_atomic_t g_signalled = 0;
extern "C" void on_signal(int) { g_signalled = 1; }

bool parse_unsigned(std::string_view text, unsigned& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

int usage(const char* why) {
  std::fprintf(stderr,
               "esimo-net-const-server: %s\n"
               "usage: esimo-net-const-server [--port N] [--threads N] [--duration SECONDS] [--port-file PATH]\n",
               why);
  return 2;
}

int run(int argc, char** argv) {
  esimo::net::ServerOptions opt;
  unsigned port = 0, threads = 2, duration_s = 0;
  std::string port_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string_view { return i + 1 < argc ? std::string_view(argv[++i]) : std::string_view{}; };
    if (a == "--port") {
      if (!parse_unsigned(value(), port) || port > 65535) return usage("--port needs a number 0-65535");
    } else if (a == "--threads") {
      if (!parse_unsigned(value(), threads) || threads == 0 || threads > 256) return usage("--threads needs 1-256");
    } else if (a == "--duration") {
      if (!parse_unsigned(value(), duration_s)) return usage("--duration needs seconds");
    } else if (a == "--port-file") {
      port_file = std::string(value());
      if (port_file.empty()) return usage("--port-file needs a path");
    } else {
      return usage("net::HttpServer answering a constant JSON body");
    }
  }
  esimo::log::set_level(esimo::log::Level::warn);
  opt.port = static_cast<std::uint16_t>(port);
  opt.threads = threads;
  ConstService service;
  auto server = esimo::net::HttpServer::start(opt, service);
  if (!server.ok()) {
    std::fprintf(stderr, "esimo-net-const-server: %s\n", server.error().message.c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (!port_file.empty()) std::ofstream(port_file) << (*server)->port() << "\n";
  std::printf("listening 127.0.0.1:%u threads=%u\n", static_cast<unsigned>((*server)->port()), threads);
  std::fflush(stdout);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(duration_s);
  while (g_signalled == 0 && (duration_s == 0 || std::chrono::steady_clock::now() < until)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (*server)->stop(std::chrono::seconds(5));
  return 0;
}

}  // namespace net_const

int main(int argc, char** argv) { return net_const::run(argc, argv); }
