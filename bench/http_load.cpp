// esimo-http-load: a closed-loop HTTP/1.1 load generator over real sockets. N keep-alive connections, spread over M
// threads (one io_context each), each sending its next request as soon as the previous answer arrived. Reports
// requests/s, latency percentiles and errors; --json for scripts.
//
//   esimo-http-load --port N [--connections 64] [--threads 2] [--duration 10] [--requests 0] [--warmup 1]
//                   [--path /v1/x]... [--paths-file FILE] [--method GET] [--header "Name: value"]... [--auth "Bearer k"]
//                   [--body TEXT | --body-file FILE] [--content-type TYPE] [--timeout-ms 5000] [--json] [--json-out FILE]
//
// Loopback only (127.0.0.1 / ::1): it is a benchmark tool, not a traffic cannon. Duration <= 600 s.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
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
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace load {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  unsigned connections = 64;
  unsigned threads = 2;
  unsigned duration_s = 10;
  std::uint64_t requests = 0;  // 0: until the duration is up
  unsigned warmup_s = 1;
  unsigned timeout_ms = 5000;
  std::string method = "GET";
  std::vector<std::string> paths;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string content_type = "application/json";  // sent with a body (and with every POST/PUT/PATCH)
  bool json = false;
  std::string json_out;  // also write the JSON result to this file
};

// Everything the connections share. Counters are atomics; latencies are per connection, merged at the end.
struct Run {
  const Options* opt = nullptr;
  std::vector<std::string> wire;  // one serialized request per path, built once
  Clock::time_point measure_from;  // end of the warm-up
  Clock::time_point deadline;
  std::atomic<std::uint64_t> issued{0};  // requests claimed (bounded by --requests)
  std::atomic<std::uint64_t> ok{0};
  std::atomic<std::uint64_t> non_2xx{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> path_cursor{0};
};

struct ConnStats {
  std::vector<std::uint32_t> latency_us;  // measured requests only
};

bool parse_u64(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

bool parse_uint(std::string_view text, unsigned& out) {
  std::uint64_t v = 0;
  if (!parse_u64(text, v) || v > 0xFFFFFFFFu) return false;
  out = static_cast<unsigned>(v);
  return true;
}

int usage(const std::string& why) {
  std::fprintf(stderr,
               "esimo-http-load: %s\n"
               "usage: esimo-http-load --port N [--host 127.0.0.1] [--connections 64] [--threads 2] [--duration 10]\n"
               "         [--requests 0] [--warmup 1] [--path P]... [--paths-file FILE] [--method GET]\n"
               "         [--header 'Name: value']... [--auth 'Bearer KEY'] [--body TEXT | --body-file FILE]\n"
               "         [--content-type application/json] [--timeout-ms 5000]\n"
               "         [--json] [--json-out FILE]\n",
               why.c_str());
  return 2;
}

std::string serialize_request(const Options& opt, const std::string& path) {
  std::string r = opt.method + " " + path + " HTTP/1.1\r\nHost: " + opt.host + ":" + std::to_string(opt.port) +
                  "\r\nUser-Agent: esimo-http-load\r\n";
  for (const auto& h : opt.headers) r += h + "\r\n";
  if (!opt.body.empty() || opt.method == "POST" || opt.method == "PUT" || opt.method == "PATCH") {
    r += "Content-Type: " + opt.content_type + "\r\nContent-Length: " + std::to_string(opt.body.size()) + "\r\n";
  }
  r += "\r\n";
  r += opt.body;
  return r;
}

bool claim(Run& run) {
  if (Clock::now() >= run.deadline) return false;
  if (run.opt->requests == 0) return true;
  return run.issued.fetch_add(1, std::memory_order_relaxed) < run.opt->requests;
}

asio::awaitable<void> drive(Run& run, tcp::endpoint endpoint, ConnStats& stats) {
  auto ex = co_await asio::this_coro::executor;
  const bool head = run.opt->method == "HEAD";
  const auto timeout = std::chrono::milliseconds(run.opt->timeout_ms);
  beast::error_code ec;
  while (claim(run)) {
    beast::tcp_stream stream(ex);
    stream.expires_after(timeout);
    co_await stream.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      run.errors.fetch_add(1, std::memory_order_relaxed);
      asio::steady_timer pause(ex, std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    stream.socket().set_option(tcp::no_delay(true), ec);
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      if (!first && !claim(run)) co_return;
      first = false;
      const std::string& wire = run.wire[run.path_cursor.fetch_add(1, std::memory_order_relaxed) % run.wire.size()];
      auto t0 = Clock::now();
      stream.expires_after(timeout);
      co_await asio::async_write(stream, asio::buffer(wire), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(64u << 20);
      parser.skip(head);
      co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      auto t1 = Clock::now();
      const auto& res = parser.get();
      if (t0 >= run.measure_from) {
        unsigned status = res.result_int();
        if (status >= 200 && status < 300) {
          run.ok.fetch_add(1, std::memory_order_relaxed);
        } else {
          run.non_2xx.fetch_add(1, std::memory_order_relaxed);
        }
        run.bytes.fetch_add(res.body().size(), std::memory_order_relaxed);
        stats.latency_us.push_back(static_cast<std::uint32_t>(
            std::min<std::int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count(), 0xFFFFFFFF)));
      }
      if (!res.keep_alive()) break;
    }
    if (ec) run.errors.fetch_add(1, std::memory_order_relaxed);
  }
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(idx, sorted.size() - 1)] / 1000.0;
}

int run_load(int argc, char** argv) {
  Options opt;
  std::string paths_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string_view { return i + 1 < argc ? std::string_view(argv[++i]) : std::string_view{}; };
    if (a == "--host") {
      opt.host = std::string(value());
    } else if (a == "--port") {
      if (!parse_uint(value(), opt.port) || opt.port == 0 || opt.port > 65535) return usage("--port needs 1-65535");
    } else if (a == "--connections") {
      if (!parse_uint(value(), opt.connections) || opt.connections == 0 || opt.connections > 4096) {
        return usage("--connections needs 1-4096");
      }
    } else if (a == "--threads") {
      if (!parse_uint(value(), opt.threads) || opt.threads == 0 || opt.threads > 64) return usage("--threads needs 1-64");
    } else if (a == "--duration") {
      if (!parse_uint(value(), opt.duration_s) || opt.duration_s == 0 || opt.duration_s > 600) {
        return usage("--duration needs 1-600 seconds");
      }
    } else if (a == "--requests") {
      if (!parse_u64(value(), opt.requests)) return usage("--requests needs a count");
    } else if (a == "--warmup") {
      if (!parse_uint(value(), opt.warmup_s) || opt.warmup_s > 60) return usage("--warmup needs 0-60 seconds");
    } else if (a == "--timeout-ms") {
      if (!parse_uint(value(), opt.timeout_ms) || opt.timeout_ms == 0) return usage("--timeout-ms needs a positive number");
    } else if (a == "--method") {
      opt.method = std::string(value());
      if (opt.method.empty()) return usage("--method needs a value");
    } else if (a == "--path") {
      std::string p(value());
      if (p.empty() || p.front() != '/') return usage("--path must start with '/'");
      opt.paths.push_back(std::move(p));
    } else if (a == "--paths-file") {
      paths_file = std::string(value());
    } else if (a == "--header") {
      std::string h(value());
      if (h.find(':') == std::string::npos) return usage("--header needs 'Name: value'");
      opt.headers.push_back(std::move(h));
    } else if (a == "--auth") {
      opt.headers.push_back("Authorization: " + std::string(value()));
    } else if (a == "--body") {
      opt.body = std::string(value());
    } else if (a == "--body-file") {  // sent as is, byte for byte (e.g. an ESipa DER message)
      std::ifstream in{std::string(value()), std::ios::binary};
      if (!in) return usage("cannot read --body-file");
      opt.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else if (a == "--content-type") {
      opt.content_type = std::string(value());
      if (opt.content_type.empty()) return usage("--content-type needs a value");
    } else if (a == "--json") {
      opt.json = true;
    } else if (a == "--json-out") {
      opt.json_out = std::string(value());
      if (opt.json_out.empty()) return usage("--json-out needs a path");
    } else if (a == "--help" || a == "-h") {
      return usage("closed-loop HTTP/1.1 keep-alive load generator");
    } else {
      return usage("unknown option " + std::string(a));
    }
  }
  if (opt.port == 0) return usage("--port is required");
  if (!paths_file.empty()) {
    std::ifstream in(paths_file);
    if (!in) return usage("cannot read --paths-file " + paths_file);
    std::string line;
    std::size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line.front() == '#') continue;
      if (line.front() != '/') return usage(paths_file + ":" + std::to_string(line_no) + ": a path must start with '/'");
      opt.paths.push_back(line);
    }
  }
  if (opt.paths.empty()) opt.paths.push_back("/");

  beast::error_code ec;
  auto address = asio::ip::make_address(opt.host == "localhost" ? "127.0.0.1" : opt.host, ec);
  if (ec || !address.is_loopback()) return usage("--host must be a loopback address (127.0.0.1 or ::1)");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(opt.port));

  Run run;
  run.opt = &opt;
  for (const auto& p : opt.paths) run.wire.push_back(serialize_request(opt, p));
  const auto start = Clock::now();
  run.measure_from = start + std::chrono::seconds(opt.warmup_s);
  run.deadline = run.measure_from + std::chrono::seconds(opt.duration_s);
  if (opt.requests > 0) run.measure_from = start;  // a fixed count is measured whole

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (unsigned t = 0; t < opt.threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::vector<ConnStats> stats(opt.connections);
  for (unsigned c = 0; c < opt.connections; ++c) {
    auto& ioc = *contexts[c % contexts.size()];
    asio::co_spawn(ioc, drive(run, endpoint, stats[c]), asio::detached);
  }
  std::vector<std::thread> threads;
  for (auto& ioc : contexts) threads.emplace_back([&ioc] { ioc->run(); });
  for (auto& t : threads) t.join();
  const auto end = std::min(Clock::now(), run.deadline);

  std::vector<std::uint32_t> all;
  for (auto& s : stats) all.insert(all.end(), s.latency_us.begin(), s.latency_us.end());
  std::sort(all.begin(), all.end());
  const double seconds = std::max(1e-9, std::chrono::duration<double>(end - run.measure_from).count());
  const std::uint64_t done = run.ok.load() + run.non_2xx.load();
  const double rps = static_cast<double>(done) / seconds;
  const double p50 = percentile_ms(all, 50), p95 = percentile_ms(all, 95), p99 = percentile_ms(all, 99);
  const double max_ms = all.empty() ? 0.0 : all.back() / 1000.0;

  char json[1024];
  std::snprintf(json, sizeof json,
        "{\"connections\":%u,\"threads\":%u,\"seconds\":%.3f,\"requests\":%llu,\"ok\":%llu,\"non_2xx\":%llu,"
        "\"errors\":%llu,\"requests_per_second\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,"
        "\"max\":%.3f},\"body_bytes\":%llu,\"paths\":%zu}\n",
        opt.connections, opt.threads, seconds, static_cast<unsigned long long>(done),
        static_cast<unsigned long long>(run.ok.load()), static_cast<unsigned long long>(run.non_2xx.load()),
        static_cast<unsigned long long>(run.errors.load()), rps, p50, p95, p99, max_ms,
        static_cast<unsigned long long>(run.bytes.load()), opt.paths.size());
  if (!opt.json_out.empty()) {
    std::ofstream out(opt.json_out);
    out << json;
    if (!out) std::fprintf(stderr, "esimo-http-load: cannot write %s\n", opt.json_out.c_str());
  }
  if (opt.json) {
    std::fputs(json, stdout);
  } else {
    std::printf("%u connections on %u threads, %.2f s measured\n", opt.connections, opt.threads, seconds);
    std::printf("requests   %llu (%llu 2xx, %llu other), errors %llu\n", static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(run.ok.load()), static_cast<unsigned long long>(run.non_2xx.load()),
                static_cast<unsigned long long>(run.errors.load()));
    std::printf("throughput %.0f requests/s\n", rps);
    std::printf("latency    p50 %.3f ms  p95 %.3f ms  p99 %.3f ms  max %.3f ms\n", p50, p95, p99, max_ms);
  }
  return done > 0 ? 0 : 1;
}

}  // namespace load

int main(int argc, char** argv) { return load::run_load(argc, argv); }
