#include "app/config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "policy/condition.hpp"

namespace esimo::app {
namespace config_detail {

Error config_error(std::string_view source, std::int64_t line, std::string_view key, std::string_view what) {
  std::string msg(source);
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": ";
  msg += what;
  return Error(Errc::invalid_argument, std::move(msg), std::string(key));
}

Result<std::uint64_t> parse_unsigned(std::string_view text, std::string_view what) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Error(Errc::invalid_argument, std::string(what) + ": '" + std::string(text) + "' is not a non-negative integer",
                 std::string(what));
  }
  return v;
}

Status set_log_level(Config& c, std::string_view text, std::string_view what) {
  log::Level l{};
  if (!log::parse_level(text, l)) {
    return Error(Errc::invalid_argument,
                 std::string(what) + ": unknown log level '" + std::string(text) + "' (debug, info, warn, error, off)",
                 std::string(what));
  }
  c.log_level = l;
  return ok_status();
}

Status check_threads(std::uint64_t v, std::string_view what) {
  if (v < 1 || v > 256) return Error(Errc::invalid_argument, std::string(what) + ": threads must be 1..256", std::string(what));
  return ok_status();
}

Status check_body_limit(std::uint64_t v, std::string_view what) {
  if (v < 1024) return Error(Errc::invalid_argument, std::string(what) + ": body limit must be at least 1024 bytes", std::string(what));
  return ok_status();
}

// One TOML table walked key by key: every key must be known, every value of the right type.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, std::string_view source)
      : table_(table), prefix_(std::move(prefix)), source_(source) {}

  template <class Fn>
  Status each(Fn&& fn) {
    for (auto&& [key, node] : table_) {
      std::string full = prefix_.empty() ? std::string(key.str()) : prefix_ + "." + std::string(key.str());
      ESIMO_CHECK(fn(full, node));
    }
    return ok_status();
  }

  Error unknown(const std::string& full, const toml::node& node) const {
    return config_error(source_, node.source().begin.line, full, "unknown key '" + full + "'");
  }

  Result<std::string> string(const std::string& full, const toml::node& node) const {
    if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
    return config_error(source_, node.source().begin.line, full, "'" + full + "' must be a string");
  }

  Result<std::uint64_t> uint(const std::string& full, const toml::node& node) const {
    if (node.is_integer()) {
      auto v = node.value<std::int64_t>();
      if (v && *v >= 0) return static_cast<std::uint64_t>(*v);
    }
    return config_error(source_, node.source().begin.line, full, "'" + full + "' must be a non-negative integer");
  }

  Error bad(const std::string& full, const toml::node& node, const Error& e) const {
    const bool named = e.message.rfind(full, 0) == 0;
    return config_error(source_, node.source().begin.line, full, named ? e.message : full + ": " + e.message);
  }

  std::string_view source() const { return source_; }

 private:
  const toml::table& table_;
  std::string prefix_;
  std::string_view source_;
};

Status apply_server_table(Config& c, const toml::table& t, std::string_view source) {
  TableReader r(t, "server", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "server.listen") {
      ESIMO_TRY(std::string v, r.string(key, node));
      if (auto s = parse_listen(v, c.listen_host, c.listen_port); !s.ok()) return r.bad(key, node, s.error());
    } else if (key == "server.threads") {
      ESIMO_TRY(std::uint64_t v, r.uint(key, node));
      if (auto s = check_threads(v, key); !s.ok()) return r.bad(key, node, s.error());
      c.threads = static_cast<unsigned>(v);
    } else if (key == "server.body_limit") {
      ESIMO_TRY(std::uint64_t v, r.uint(key, node));
      if (auto s = check_body_limit(v, key); !s.ok()) return r.bad(key, node, s.error());
      c.body_limit = static_cast<std::size_t>(v);
    } else if (key == "server.drain_timeout_ms") {
      ESIMO_TRY(std::uint64_t v, r.uint(key, node));
      c.drain_timeout = std::chrono::milliseconds(v);
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

Status apply_tls_table(Config& c, const toml::table& t, std::string_view source) {
  TableReader r(t, "tls", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "tls.cert") {
      ESIMO_TRY(c.tls_cert_file, r.string(key, node));
    } else if (key == "tls.key") {
      ESIMO_TRY(c.tls_key_file, r.string(key, node));
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

Status apply_esipa_table(Config& c, const toml::table& t, std::string_view source) {
  TableReader r(t, "esipa", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "esipa.listen") {
      ESIMO_TRY(std::string v, r.string(key, node));
      if (auto s = parse_listen(v, c.esipa_listen_host, c.esipa_listen_port); !s.ok()) return r.bad(key, node, s.error());
      c.esipa_enabled = true;
    } else if (key == "esipa.plain") {
      if (!node.is_boolean()) return config_error(source, node.source().begin.line, key, "'" + key + "' must be a boolean");
      c.esipa_plain = node.value<bool>().value_or(false);
    } else if (key == "esipa.tls_cert") {
      ESIMO_TRY(c.esipa_tls_cert_file, r.string(key, node));
    } else if (key == "esipa.tls_key") {
      ESIMO_TRY(c.esipa_tls_key_file, r.string(key, node));
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

Status apply_eim_table(Config& c, const toml::table& t, std::string_view source) {
  TableReader r(t, "eim", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "eim.id") {
      ESIMO_TRY(c.eim_id, r.string(key, node));
    } else if (key == "eim.fqdn") {
      ESIMO_TRY(c.eim_fqdn, r.string(key, node));
    } else if (key == "eim.key") {
      ESIMO_TRY(std::string v, r.string(key, node));
      c.eim_key_file = v;
    } else if (key == "eim.pki") {
      ESIMO_TRY(std::string v, r.string(key, node));
      c.pki_dir = v;
    } else if (key == "eim.ci_roots") {
      const toml::array* a = node.as_array();
      if (a == nullptr) return config_error(source, node.source().begin.line, key, "'" + key + "' must be an array of strings");
      c.ci_root_files.clear();
      for (const auto& item : *a) {
        auto v = item.value<std::string>();
        if (!v || !item.is_string()) {
          return config_error(source, item.source().begin.line, key, "'" + key + "' must be an array of strings");
        }
        c.ci_root_files.emplace_back(*v);
      }
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

Status apply_download_table(Config& c, const toml::table& t, std::string_view source) {
  TableReader r(t, "download", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "download.allow_unknown_smdp") {
      if (!node.is_boolean()) return config_error(source, node.source().begin.line, key, "'" + key + "' must be a boolean");
      c.smdp_allow_unknown = node.value<bool>().value_or(false);
    } else if (key == "download.session_timeout_s") {
      ESIMO_TRY(std::uint64_t v, r.uint(key, node));
      if (v == 0) return config_error(source, node.source().begin.line, key, "'" + key + "' must be at least 1");
      c.download_session_timeout = std::chrono::seconds(v);
    } else if (key == "download.smdp") {
      const toml::array* a = node.as_array();
      if (a == nullptr) return config_error(source, node.source().begin.line, key, "'" + key + "' must be [[download.smdp]] tables");
      c.smdp_connectors.clear();
      for (const auto& item : *a) {
        const toml::table* st = item.as_table();
        if (st == nullptr) return config_error(source, item.source().begin.line, key, "'" + key + "' must be [[download.smdp]] tables");
        TableReader sr(*st, "download.smdp", source);
        Config::SmdpConnector conn;
        ESIMO_CHECK(sr.each([&](const std::string& k, const toml::node& n) -> Status {
          if (k == "download.smdp.address") {
            ESIMO_TRY(conn.address, sr.string(k, n));
          } else if (k == "download.smdp.url") {
            ESIMO_TRY(conn.url, sr.string(k, n));
          } else if (k == "download.smdp.ca_file") {
            ESIMO_TRY(conn.ca_file, sr.string(k, n));
          } else if (k == "download.smdp.carrier") {
            ESIMO_TRY(conn.carrier, sr.string(k, n));
          } else {
            return sr.unknown(k, n);
          }
          return ok_status();
        }));
        if (conn.address.empty()) {
          return config_error(source, item.source().begin.line, "download.smdp.address", "'download.smdp.address' is required");
        }
        c.smdp_connectors.push_back(std::move(conn));
      }
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

Status apply_engine_table(Config& c, const toml::table& t, std::string_view source) {
  TableReader r(t, "engine", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "engine.silence_after") {
      ESIMO_TRY(std::string v, r.string(key, node));
      auto d = parse_silence_after(v, key);
      if (!d.ok()) return r.bad(key, node, d.error());
      c.engine_silence_after = *d;
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

Status apply_catalog_table(Config& c, const toml::table& t, std::string_view source) {
  TableReader r(t, "catalog", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "catalog.service_providers") {
      ESIMO_TRY(std::string v, r.string(key, node));
      c.service_providers_xml = v;
    } else if (key == "catalog.iso3166") {
      ESIMO_TRY(std::string v, r.string(key, node));
      c.iso3166_json = v;
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

void append_toml_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
}

const char* level_text(log::Level l) {
  switch (l) {
    case log::Level::debug: return "debug";
    case log::Level::info: return "info";
    case log::Level::warn: return "warn";
    case log::Level::error: return "error";
    case log::Level::off: return "off";
  }
  return "info";
}

}  // namespace config_detail

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<std::chrono::seconds> parse_silence_after(std::string_view text, std::string_view what) {
  if (text == "off" || text == "0") return std::chrono::seconds(0);
  const std::optional<Duration> d = policy::parse_duration(text);
  if (!d) {
    return Error(Errc::invalid_argument,
                 std::string(what) + ": '" + std::string(text) +
                     "' is not a duration (e.g. \"30m\", \"1h\", \"90s\"; \"off\" or \"0\" for off)",
                 std::string(what));
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

Status parse_listen(std::string_view text, std::string& host, std::uint16_t& port) {
  std::string_view h, p;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error(Errc::invalid_argument, "listen address '" + std::string(text) + "' must be [IPv6]:PORT", "listen");
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Error(Errc::invalid_argument, "listen address '" + std::string(text) + "' must be HOST:PORT", "listen");
    }
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  if (h.empty()) return Error(Errc::invalid_argument, "listen address '" + std::string(text) + "' has no host", "listen");
  auto v = config_detail::parse_unsigned(p, "listen port");
  if (!v.ok() || *v > 65535) {
    return Error(Errc::invalid_argument, "listen address '" + std::string(text) + "': port must be 0..65535", "listen");
  }
  host = std::string(h);
  port = static_cast<std::uint16_t>(*v);
  return ok_status();
}

Status apply_toml(Config& c, std::string_view toml_text, std::string_view source) {
  using config_detail::config_error;
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    return Error(Errc::parse_error,
                 std::string(source) + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description()),
                 "");
  }
  config_detail::TableReader r(root, "", source);
  return r.each([&](const std::string& key, const toml::node& node) -> Status {
    if (key == "data_dir") {
      ESIMO_TRY(std::string v, r.string(key, node));
      c.data_dir = v;
    } else if (key == "log_level") {
      ESIMO_TRY(std::string v, r.string(key, node));
      if (auto s = config_detail::set_log_level(c, v, key); !s.ok()) return r.bad(key, node, s.error());
    } else if (key == "default_tenant") {
      ESIMO_TRY(c.default_tenant, r.string(key, node));
    } else if (key == "server" || key == "tls" || key == "catalog" || key == "esipa" || key == "eim" ||
               key == "download" || key == "engine") {
      const toml::table* t = node.as_table();
      if (t == nullptr) return config_error(source, node.source().begin.line, key, "'" + key + "' must be a table");
      if (key == "server") return config_detail::apply_server_table(c, *t, source);
      if (key == "tls") return config_detail::apply_tls_table(c, *t, source);
      if (key == "esipa") return config_detail::apply_esipa_table(c, *t, source);
      if (key == "eim") return config_detail::apply_eim_table(c, *t, source);
      if (key == "download") return config_detail::apply_download_table(c, *t, source);
      if (key == "engine") return config_detail::apply_engine_table(c, *t, source);
      return config_detail::apply_catalog_table(c, *t, source);
    } else {
      return r.unknown(key, node);
    }
    return ok_status();
  });
}

Status apply_toml_file(Config& c, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Errc::io_error, "cannot read config file " + file.string(), "config");
  std::ostringstream ss;
  ss << in.rdbuf();
  return apply_toml(c, ss.str(), file.string());
}

Status apply_env(Config& c, const EnvLookup& env) {
  using config_detail::parse_unsigned;
  if (auto v = env("ESIMO_DATA_DIR"); v && !v->empty()) c.data_dir = *v;
  if (auto v = env("ESIMO_LISTEN"); v && !v->empty()) {
    if (auto s = parse_listen(*v, c.listen_host, c.listen_port); !s.ok()) {
      return Error(Errc::invalid_argument, "ESIMO_LISTEN: " + s.error().message, "ESIMO_LISTEN");
    }
  }
  if (auto v = env("ESIMO_LOG_LEVEL"); v && !v->empty()) ESIMO_CHECK(config_detail::set_log_level(c, *v, "ESIMO_LOG_LEVEL"));
  if (auto v = env("ESIMO_THREADS"); v && !v->empty()) {
    ESIMO_TRY(std::uint64_t n, parse_unsigned(*v, "ESIMO_THREADS"));
    ESIMO_CHECK(config_detail::check_threads(n, "ESIMO_THREADS"));
    c.threads = static_cast<unsigned>(n);
  }
  if (auto v = env("ESIMO_BODY_LIMIT"); v && !v->empty()) {
    ESIMO_TRY(std::uint64_t n, parse_unsigned(*v, "ESIMO_BODY_LIMIT"));
    ESIMO_CHECK(config_detail::check_body_limit(n, "ESIMO_BODY_LIMIT"));
    c.body_limit = static_cast<std::size_t>(n);
  }
  if (auto v = env("ESIMO_DRAIN_TIMEOUT_MS"); v && !v->empty()) {
    ESIMO_TRY(std::uint64_t n, parse_unsigned(*v, "ESIMO_DRAIN_TIMEOUT_MS"));
    c.drain_timeout = std::chrono::milliseconds(n);
  }
  if (auto v = env("ESIMO_TLS_CERT"); v) c.tls_cert_file = *v;
  if (auto v = env("ESIMO_TLS_KEY"); v) c.tls_key_file = *v;
  if (auto v = env("ESIMO_SERVICE_PROVIDERS"); v && !v->empty()) c.service_providers_xml = *v;
  if (auto v = env("ESIMO_ISO3166"); v && !v->empty()) c.iso3166_json = *v;
  if (auto v = env("ESIMO_DEFAULT_TENANT"); v && !v->empty()) c.default_tenant = *v;
  if (auto v = env("ESIMO_ESIPA_LISTEN"); v && !v->empty()) {
    if (auto s = parse_listen(*v, c.esipa_listen_host, c.esipa_listen_port); !s.ok()) {
      return Error(Errc::invalid_argument, "ESIMO_ESIPA_LISTEN: " + s.error().message, "ESIMO_ESIPA_LISTEN");
    }
    c.esipa_enabled = true;
  }
  if (auto v = env("ESIMO_ESIPA_PLAIN"); v && !v->empty()) {
    if (*v != "0" && *v != "1" && *v != "true" && *v != "false") {
      return Error(Errc::invalid_argument, "ESIMO_ESIPA_PLAIN: must be 1, 0, true or false", "ESIMO_ESIPA_PLAIN");
    }
    c.esipa_plain = *v == "1" || *v == "true";
  }
  if (auto v = env("ESIMO_ESIPA_TLS_CERT"); v) c.esipa_tls_cert_file = *v;
  if (auto v = env("ESIMO_ESIPA_TLS_KEY"); v) c.esipa_tls_key_file = *v;
  if (auto v = env("ESIMO_PKI"); v && !v->empty()) c.pki_dir = *v;
  if (auto v = env("ESIMO_EIM_ID"); v && !v->empty()) c.eim_id = *v;
  if (auto v = env("ESIMO_EIM_FQDN"); v && !v->empty()) c.eim_fqdn = *v;
  if (auto v = env("ESIMO_EIM_KEY"); v && !v->empty()) c.eim_key_file = *v;
  if (auto v = env("ESIMO_ENGINE_SILENCE_AFTER"); v && !v->empty()) {
    ESIMO_TRY(c.engine_silence_after, parse_silence_after(*v, "ESIMO_ENGINE_SILENCE_AFTER"));
  }
  if (auto v = env("ESIMO_CI_ROOTS"); v && !v->empty()) {
    // ':'-separated, like PATH.
    c.ci_root_files.clear();
    std::string_view rest = *v;
    while (!rest.empty()) {
      auto colon = rest.find(':');
      if (colon != 0) c.ci_root_files.emplace_back(std::string(rest.substr(0, colon)));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return ok_status();
}

Status apply_overrides(Config& c, const ConfigOverrides& f) {
  if (f.data_dir) c.data_dir = *f.data_dir;
  if (f.listen) {
    if (auto s = parse_listen(*f.listen, c.listen_host, c.listen_port); !s.ok()) {
      return Error(Errc::invalid_argument, "--listen: " + s.error().message, "--listen");
    }
  }
  if (f.threads) {
    ESIMO_CHECK(config_detail::check_threads(*f.threads, "--threads"));
    c.threads = *f.threads;
  }
  if (f.body_limit) {
    ESIMO_CHECK(config_detail::check_body_limit(*f.body_limit, "--body-limit"));
    c.body_limit = *f.body_limit;
  }
  if (f.tls_cert_file) c.tls_cert_file = *f.tls_cert_file;
  if (f.tls_key_file) c.tls_key_file = *f.tls_key_file;
  if (f.log_level) ESIMO_CHECK(config_detail::set_log_level(c, *f.log_level, "--log-level"));
  if (f.service_providers_xml) c.service_providers_xml = *f.service_providers_xml;
  if (f.iso3166_json) c.iso3166_json = *f.iso3166_json;
  if (f.esipa_listen) {
    if (auto s = parse_listen(*f.esipa_listen, c.esipa_listen_host, c.esipa_listen_port); !s.ok()) {
      return Error(Errc::invalid_argument, "--esipa-listen: " + s.error().message, "--esipa-listen");
    }
    c.esipa_enabled = true;
  }
  if (f.esipa_plain) c.esipa_plain = true;
  if (f.esipa_tls_cert_file) c.esipa_tls_cert_file = *f.esipa_tls_cert_file;
  if (f.esipa_tls_key_file) c.esipa_tls_key_file = *f.esipa_tls_key_file;
  if (f.pki_dir) c.pki_dir = *f.pki_dir;
  if (f.eim_id) c.eim_id = *f.eim_id;
  if (f.eim_fqdn) c.eim_fqdn = *f.eim_fqdn;
  if (f.eim_key_file) c.eim_key_file = *f.eim_key_file;
  for (const auto& p : f.ci_root_files) c.ci_root_files.push_back(p);
  for (const auto& text : f.smdp) {
    Config::SmdpConnector conn;
    const auto eq = text.find('=');
    conn.address = text.substr(0, eq);
    if (eq != std::string::npos) conn.url = text.substr(eq + 1);
    if (conn.address.empty()) return Error(Errc::invalid_argument, "--smdp: give ADDRESS[=URL]", "--smdp");
    c.smdp_connectors.push_back(std::move(conn));
  }
  if (f.smdp_allow_unknown) c.smdp_allow_unknown = true;
  if (f.engine_silence_after) {
    ESIMO_TRY(c.engine_silence_after, parse_silence_after(*f.engine_silence_after, "--engine-silence-after"));
  }
  return ok_status();
}

Result<Config> resolve_config(const std::optional<std::filesystem::path>& config_file, const ConfigOverrides& flags,
                              const EnvLookup& env) {
  Config c;
  std::optional<std::filesystem::path> file = config_file;
  if (!file) {
    if (auto v = env("ESIMO_CONFIG"); v && !v->empty()) file = *v;
  }
  if (file) ESIMO_CHECK(apply_toml_file(c, *file));
  ESIMO_CHECK(apply_env(c, env));
  ESIMO_CHECK(apply_overrides(c, flags));
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return Error(Errc::invalid_argument, "TLS needs both a certificate and a key (tls.cert and tls.key)", "tls");
  }
  if (c.esipa_tls_cert_file.empty() != c.esipa_tls_key_file.empty()) {
    return Error(Errc::invalid_argument,
                 "ESipa TLS needs both a certificate and a key (--esipa-tls-cert and --esipa-tls-key)", "esipa");
  }
  return c;
}

std::string to_toml(const Config& c) {
  using config_detail::append_toml_string;
  std::string out;
  out += "data_dir = ";
  append_toml_string(out, c.data_dir.string());
  out += "\nlog_level = ";
  append_toml_string(out, config_detail::level_text(c.log_level));
  out += "\ndefault_tenant = ";
  append_toml_string(out, c.default_tenant);
  out += "\n\n[server]\nlisten = ";
  std::string listen = c.listen_host.find(':') != std::string::npos ? "[" + c.listen_host + "]" : c.listen_host;
  append_toml_string(out, listen + ":" + std::to_string(c.listen_port));
  out += "\nthreads = " + std::to_string(c.threads);
  out += "\nbody_limit = " + std::to_string(c.body_limit);
  out += "\ndrain_timeout_ms = " + std::to_string(c.drain_timeout.count());
  out += "\n\n[tls]\ncert = ";
  append_toml_string(out, c.tls_cert_file);
  out += "\nkey = ";
  append_toml_string(out, c.tls_key_file);
  out += "\n\n[catalog]\nservice_providers = ";
  append_toml_string(out, c.service_providers_xml.string());
  out += "\niso3166 = ";
  append_toml_string(out, c.iso3166_json.string());
  out += "\n\n[esipa]\n";
  if (c.esipa_enabled) {
    std::string listen = c.esipa_listen_host.find(':') != std::string::npos ? "[" + c.esipa_listen_host + "]"
                                                                            : c.esipa_listen_host;
    out += "listen = ";
    append_toml_string(out, listen + ":" + std::to_string(c.esipa_listen_port));
    out += "\n";
  }
  out += std::string("plain = ") + (c.esipa_plain ? "true" : "false");
  out += "\ntls_cert = ";
  append_toml_string(out, c.esipa_tls_cert_file);
  out += "\ntls_key = ";
  append_toml_string(out, c.esipa_tls_key_file);
  out += "\n\n[eim]\nid = ";
  append_toml_string(out, c.eim_id);
  out += "\nfqdn = ";
  append_toml_string(out, c.eim_fqdn);
  out += "\nkey = ";
  append_toml_string(out, c.eim_key_file.string());
  out += "\npki = ";
  append_toml_string(out, c.pki_dir.string());
  out += "\nci_roots = [";
  for (std::size_t i = 0; i < c.ci_root_files.size(); ++i) {
    if (i) out += ", ";
    append_toml_string(out, c.ci_root_files[i].string());
  }
  out += "]\n\n[engine]\nsilence_after = ";
  append_toml_string(out, c.engine_silence_after.count() == 0 ? std::string("off")
                                                                : policy::format_duration(c.engine_silence_after));
  out += "\n\n[download]\n";
  out += std::string("allow_unknown_smdp = ") + (c.smdp_allow_unknown ? "true" : "false");
  out += "\nsession_timeout_s = " + std::to_string(c.download_session_timeout.count()) + "\n";
  for (const auto& conn : c.smdp_connectors) {
    out += "\n[[download.smdp]]\naddress = ";
    append_toml_string(out, conn.address);
    out += "\nurl = ";
    append_toml_string(out, conn.url);
    out += "\nca_file = ";
    append_toml_string(out, conn.ca_file);
    out += "\ncarrier = ";
    append_toml_string(out, conn.carrier);
    out += "\n";
  }
  return out;
}

}  // namespace esimo::app
