#pragma once
// Logging facade: structured JSON lines (one object per event) on stderr. The backend (spdlog) stays in log.cpp.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace esimo::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, const char* v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v), quoted(true) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, double v) : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted(false) {}
  std::string_view key;
  std::string value;
  bool quoted;
};

void set_level(Level level);
Level level();
bool parse_level(std::string_view name, Level& out);

// {"ts":"...","level":"info","msg":"...", fields...}
void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { write(Level::error, m, f); }

// Writes out buffered lines now. Lines are buffered (written every second, at once from warn up, and at exit); call
// this after a line someone waits for, such as the server's start-up line.
void flush();

// JSON string escaping shared with the metrics and API writers. Bytes that start no well-formed UTF-8 character are
// written as U+FFFD, so the output is always JSON whatever the input.
void append_json_string(std::string& out, std::string_view s);

}  // namespace esimo::log
