#include "base/log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "base/bytes.hpp"
#include "base/clock.hpp"

namespace esimo::log {
namespace {

std::atomic<Level> g_level{Level::info};

// Log lines go to stderr through a buffer: a server logs one line per request, and a write(2) per line was the largest
// remaining cost of a cheap request (docs/performance.md). The buffer is written out when it passes 64 KiB, every
// kFlushInterval (spdlog's periodic flusher), at once for warnings and errors, and at exit; a process killed with
// SIGKILL can lose up to kFlushInterval of info/debug lines (docs/operations.md).
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~BufferedStderrSink() override {
    std::lock_guard lock(mutex_);
    write_out();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    buffer_.append(msg.payload.data(), msg.payload.size());
    buffer_.push_back('\n');
    if (buffer_.size() >= kFlushBytes) write_out();
  }
  void flush_() override { write_out(); }

 private:
  static constexpr std::size_t kFlushBytes = 64 * 1024;
  void write_out() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr closed or full: drop rather than block the server
      done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }
  std::string buffer_;
};

constexpr std::chrono::seconds kFlushInterval{1};  // spdlog 1.10 flushes periodically in whole seconds

spdlog::logger& logger() {
  static auto instance = [] {
    auto l = std::make_shared<spdlog::logger>("esimo", std::make_shared<BufferedStderrSink>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::warn);
    spdlog::register_logger(l);
    spdlog::flush_every(kFlushInterval);
    return l;
  }();
  return *instance;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "info";
}

}  // namespace

void set_level(Level level) { g_level.store(level); }

void flush() { logger().flush(); }
Level level() { return g_level.load(); }

bool parse_level(std::string_view name, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
    if (name == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  const ByteView bytes = as_bytes(s);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (bytes[i] >= 0x80) {
      // JSON text is UTF-8 (RFC 8259 §8.1): a byte that starts no well-formed character (a Latin-1 CSV cell echoed in
      // an error) becomes U+FFFD rather than making the whole document unreadable.
      const std::size_t n = utf8_char_length(bytes, i);
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(s.data() + i, n);
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void write(Level lvl, std::string_view msg, std::initializer_list<Field> fields) {
  if (lvl < g_level.load(std::memory_order_relaxed)) return;
  std::string line;
  line.reserve(128);
  line += "{\"ts\":\"";
  line += format_rfc3339(SystemClock::instance().now());
  line += "\",\"level\":\"";
  line += level_name(lvl);
  line += "\",\"msg\":";
  append_json_string(line, msg);
  for (const auto& f : fields) {
    line.push_back(',');
    append_json_string(line, f.key);
    line.push_back(':');
    if (f.quoted) {
      append_json_string(line, f.value);
    } else {
      line += f.value;
    }
  }
  line.push_back('}');
  logger().log(lvl >= Level::warn ? spdlog::level::warn : spdlog::level::info, line);
}

}  // namespace esimo::log
