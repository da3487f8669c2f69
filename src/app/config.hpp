#pragma once
// Configuration of the esimo process: defaults, a TOML file, ESIMO_* environment variables and command-line flags,
// merged with the precedence flags > environment > file > defaults. Loading throws nothing: a bad file, variable or
// flag is a Result error naming the source (file:line, variable or flag) and the key at fault.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"
#include "base/result.hpp"

namespace esimo::app {

inline constexpr std::string_view kDefaultServiceProvidersXml =
    "/usr/share/mobile-broadband-provider-info/serviceproviders.xml";
inline constexpr std::string_view kDefaultIso3166Json = "/usr/share/iso-codes/json/iso_3166-1.json";

struct Config {
  std::filesystem::path data_dir = "var";
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  unsigned threads = 2;
  std::size_t body_limit = 1 << 20;
  std::string tls_cert_file, tls_key_file;  // PEM; TLS when both are set
  log::Level log_level = log::Level::info;
  std::chrono::milliseconds drain_timeout{10000};
  std::filesystem::path service_providers_xml = std::string(kDefaultServiceProvidersXml);
  std::filesystem::path iso3166_json = std::string(kDefaultIso3166Json);
  std::string default_tenant = "default";

  // The ESipa listener (SGP.32 §6.1) and the eIM behind it; off unless esipa_listen is set.
  bool esipa_enabled = false;
  std::string esipa_listen_host = "127.0.0.1";
  std::uint16_t esipa_listen_port = 0;
  bool esipa_plain = false;                           // plain HTTP (lab, tests); TLS otherwise
  std::string esipa_tls_cert_file, esipa_tls_key_file;  // PEM; default with pki_dir: its dptls pair
  std::filesystem::path pki_dir;                      // `esimo pki test-ca` directory: its CI, eIM key and certificate
  std::string eim_id;                                 // default: persisted in the data dir (generated once)
  std::string eim_fqdn;                               // default: persisted, else the ESipa listen address
  std::filesystem::path eim_key_file;                 // PEM; default: the PKI's eIM key, else <data_dir>/eim.key.pem
  std::vector<std::filesystem::path> ci_root_files;   // PEM GSMA CI roots for eUICC certificate chains

  // Indirect profile download (the eIM relays ES9+ to SM-DP+s; docs/esipa.md). TOML [download] with [[download.smdp]].
  struct SmdpConnector {
    std::string address;  // FQDN[:port] as activation codes carry it
    std::string url;      // base URL; empty: https://<address>
    std::string ca_file;  // PEM trust for its TLS certificate; empty: the PKI's CI (with --pki), else the system's
    std::string carrier;  // carrier id it serves (informational)
  };
  std::vector<SmdpConnector> smdp_connectors;
  bool smdp_allow_unknown = false;  // relay to SM-DP+s without a connector (https://<address>)
  std::chrono::seconds download_session_timeout{600};

  // The orchestration engine (docs/engine.md). TOML [engine].
  // A device whose last record had service and that sends nothing for longer than this is presumed without service
  // (engine::EngineConfig::silence_after, docs/engine.md "Silence"). Zero: off.
  std::chrono::seconds engine_silence_after{0};
};

// Values given on the command line (or by any caller); unset members leave the lower layers alone.
struct ConfigOverrides {
  std::optional<std::filesystem::path> data_dir;
  std::optional<std::string> listen;  // "HOST:PORT", "[v6]:PORT"
  std::optional<unsigned> threads;
  std::optional<std::size_t> body_limit;
  std::optional<std::string> tls_cert_file, tls_key_file;
  std::optional<std::string> log_level;
  std::optional<std::filesystem::path> service_providers_xml, iso3166_json;
  std::optional<std::string> esipa_listen;
  bool esipa_plain = false;  // a flag: only ever switches plain HTTP on
  std::optional<std::string> esipa_tls_cert_file, esipa_tls_key_file;
  std::optional<std::filesystem::path> pki_dir;
  std::optional<std::string> eim_id, eim_fqdn;
  std::optional<std::filesystem::path> eim_key_file;
  std::vector<std::filesystem::path> ci_root_files;  // added to those of the file/environment
  std::vector<std::string> smdp;                     // "ADDRESS[=URL]" connectors, added to the file's
  bool smdp_allow_unknown = false;                   // a flag: only ever switches it on
  std::optional<std::string> engine_silence_after;   // "30m", "1h", "90s"; "off" or "0": off
};

// Reads one environment variable; nullopt when unset. Injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_env();

// A silence threshold: a duration such as "30m", "1h30m" or "90s" (whole seconds), or "off" / "0" for off.
Result<std::chrono::seconds> parse_silence_after(std::string_view text, std::string_view what);

// "HOST:PORT" or "[IPv6]:PORT"; port 0 allowed (ephemeral).
Status parse_listen(std::string_view text, std::string& host, std::uint16_t& port);

// Applies a TOML document to `config`. `source` names it in errors ("esimo.toml:12: unknown key 'server.lissen'").
Status apply_toml(Config& config, std::string_view toml_text, std::string_view source);
Status apply_toml_file(Config& config, const std::filesystem::path& file);
// Applies ESIMO_* variables (see docs/operations.md).
Status apply_env(Config& config, const EnvLookup& env);
Status apply_overrides(Config& config, const ConfigOverrides& flags);

// Defaults, then the file (`config_file`, else $ESIMO_CONFIG when set), then the environment, then the flags.
Result<Config> resolve_config(const std::optional<std::filesystem::path>& config_file, const ConfigOverrides& flags,
                              const EnvLookup& env);

// The effective configuration as TOML (the format apply_toml reads), for `esimo config` and the docs.
std::string to_toml(const Config& config);

}  // namespace esimo::app
