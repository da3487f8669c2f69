#pragma once
// The `esimo` commands as plain functions over argument structs. cli.cpp (the only file that sees CLI11) maps the
// command line onto these; tests and other tools can call them directly. Each returns the process exit code
// (0 success, 1 failure with a message on `err`).
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace esimo::app {

struct Io {
  std::ostream& out;
  std::ostream& err;
};

struct CommonArgs {
  std::optional<std::filesystem::path> config_file;
  ConfigOverrides overrides;
};

struct ServeArgs {
  CommonArgs common;
  bool admin_key = false;                        // create and print a fresh admin key for the default tenant
  std::optional<std::filesystem::path> port_file;  // the bound port is written here once listening
  std::optional<std::filesystem::path> esipa_port_file;  // the bound ESipa port, likewise
};
int cmd_serve(const ServeArgs& args, Io io);

struct ImportArgs {
  CommonArgs common;
  std::filesystem::path file;
  std::optional<std::string> tenant;  // default: the configured default tenant
  std::optional<std::string> format;  // csv | ndjson; default from the file extension
  bool progress = false;              // force the progress bar even when stderr is not a terminal
};
int cmd_import(const ImportArgs& args, Io io);

struct CarriersListArgs {
  CommonArgs common;
  std::optional<std::string> country;  // ISO 3166-1 alpha-2
  std::optional<std::string> plmn;     // "724-06"
  std::optional<std::string> tenant;   // include this tenant's own carriers
  bool json = false;
};
int cmd_carriers_list(const CarriersListArgs& args, Io io);

struct DevicesListArgs {
  CommonArgs common;
  std::optional<std::string> tenant;
  std::optional<std::string> group;
  std::vector<std::string> tags;
  std::size_t limit = 0;  // 0: all
  bool json = false;
};
int cmd_devices_list(const DevicesListArgs& args, Io io);

struct DevicesShowArgs {
  CommonArgs common;
  std::optional<std::string> tenant;
  std::string eid;
  bool json = false;
};
int cmd_devices_show(const DevicesShowArgs& args, Io io);

struct KeysCreateArgs {
  CommonArgs common;
  std::optional<std::string> tenant;
  std::string role = "viewer";
  std::string label;
};
int cmd_keys_create(const KeysCreateArgs& args, Io io);

struct KeysListArgs {
  CommonArgs common;
  std::optional<std::string> tenant;  // default: every tenant
  bool json = false;
};
int cmd_keys_list(const KeysListArgs& args, Io io);

struct KeysRevokeArgs {
  CommonArgs common;
  std::string id;
};
int cmd_keys_revoke(const KeysRevokeArgs& args, Io io);

// `esimo pki test-ca --out DIR`: the test CI, EUM, eIM and SM-DP+ certificates and keys (crypto/test_pki.hpp).
struct PkiTestCaArgs {
  std::filesystem::path out;
  bool overwrite = false;
};
int cmd_pki_test_ca(const PkiTestCaArgs& args, Io io);

// `esimo eim config export`: the AddInitialEimRequest (BF57) DER that personalises eUICCs for this eIM.
struct EimConfigExportArgs {
  CommonArgs common;
  std::string fqdn;  // HOST:PORT the IPAs reach the ESipa listener at
  std::filesystem::path out;
  std::string sgp32_version = "1.2";
};
int cmd_eim_config_export(const EimConfigExportArgs& args, Io io);

// `esimo device new`: a software eUICC (twin) personalised with an exported eIM configuration, saved as JSON.
struct DeviceNewArgs {
  std::string eid;
  std::string sgp32_version = "1.2";
  std::vector<std::string> profiles;  // ICCID[@MCC-MNC][:enabled]
  std::filesystem::path eim_config;   // AddInitialEimRequest DER (esimo eim config export)
  std::optional<std::filesystem::path> pki_dir;
  std::filesystem::path state;
};
int cmd_device_new(const DeviceNewArgs& args, Io io);

// `esimo device poll`: the software eUICC's IPA polls the eIM until it has nothing more; the state is saved.
struct DevicePollArgs {
  std::filesystem::path state;
  std::string eim_url;  // http(s)://host:port
  std::optional<std::string> ca_file;
  std::optional<std::string> admin_protocol;  // X-Admin-Protocol to send (default gsma/rsp/v<version>.0)
  std::size_t max_rounds = 64;
};
int cmd_device_poll(const DevicePollArgs& args, Io io);

// `esimo twin run SCENARIO`: the digital twin's simulated fleet on virtual time against a real eIM, with its KPIs
// (docs/twin.md "Simulation", "KPIs"). In-process by default; over real HTTP ESipa with --eim.
struct TwinRunArgs {
  CommonArgs common;
  std::filesystem::path scenario;
  std::optional<std::uint64_t> devices;
  std::optional<std::uint64_t> seed;
  std::string engine = "off";  // on | off
  std::optional<std::filesystem::path> json_file;
  // --policy FILE (JSON or YAML): the fleet policy of the engine for this run (else the scenario's `policy`, else the
  // engine's default policy).
  std::optional<std::filesystem::path> policy_file;
  bool progress = false;  // force the progress bar even when stderr is not a terminal
  // Over the wire: a running `esimo serve --esipa-listen ... --pki DIR`.
  std::optional<std::string> eim_url;      // ESipa base URL
  std::optional<std::string> api_url;      // REST base URL (devices are imported there)
  std::optional<std::string> api_key;      // admin key for the import
  std::optional<std::filesystem::path> pki_dir;     // the server's test PKI (its EUM certifies the eUICCs)
  std::optional<std::filesystem::path> eim_config;  // AddInitialEimRequest (esimo eim config export)
};
int cmd_twin_run(const TwinRunArgs& args, Io io);

// `esimo demo` (`make run`): the server (REST + ESipa on loopback, embedded store) with a simulated fleet on
// accelerated time and a carrier outage part-way through; runs until Ctrl-C.
struct DemoArgs {
  CommonArgs common;
  std::uint64_t devices = 5000;
  double speed = 120;  // simulated seconds per wall second
  std::optional<std::filesystem::path> scenario;  // default: the built-in 22-country demo fleet
  bool engine = true;                              // --engine on|off: the orchestration engine (issue 6)
};
int cmd_demo(const DemoArgs& args, Io io);

// `esimo twin smdp`: the twin's test SM-DP+ (ES9+ over HTTPS with the PKI's DPtls pair, plain HTTP with --plain) until
// SIGINT/SIGTERM. `esimo twin smdp code`: prepares a profile on it (loopback admin endpoint), prints the activation code.
struct TwinSmdpArgs {
  std::string listen = "127.0.0.1:8443";           // HOST:PORT (port 0: ephemeral)
  std::optional<std::filesystem::path> pki_dir;    // esimo pki test-ca output (required)
  bool plain = false;
  std::optional<std::string> address;              // the serverAddress it signs (default: HOST:bound port)
  std::optional<std::filesystem::path> port_file;  // the bound port is written here once listening
};
int cmd_twin_smdp(const TwinSmdpArgs& args, Io io);
struct TwinSmdpCodeArgs {
  std::string smdp_url;  // http(s)://HOST:PORT
  std::string carrier;   // home PLMN of the profile, MCC-MNC
  std::optional<std::string> iccid;  // default: a fresh test ICCID
  std::optional<std::string> matching_id;
  std::optional<std::string> confirmation_code;
  std::optional<std::string> eid;
  std::optional<std::int64_t> expires_in_s;
  std::optional<std::string> ca_file;  // PEM to trust for https (the test PKI's ci.pem)
};
int cmd_twin_smdp_code(const TwinSmdpCodeArgs& args, Io io);

// `esimo policy validate FILE`: a policy document (JSON or YAML) checked against the carrier catalog; exit 0 valid,
// 2 invalid (FILE:LINE:COLUMN and the JSON path on stderr), 1 otherwise.
struct PolicyValidateArgs {
  CommonArgs common;
  std::filesystem::path file;
  std::optional<std::string> format;  // json | yaml; default from the extension or the first character
  bool no_catalog = false;            // do not resolve carrier references against the catalog
  bool json = false;                  // print the canonical JSON of a valid document
};
int cmd_policy_validate(const PolicyValidateArgs& args, Io io);

// `esimo policy apply FILE --server URL --api-key KEY`: creates the document on a running esimo, or replaces the
// stored one with its name (or scope); exit 0 done, 2 invalid document, 1 otherwise.
struct PolicyApplyArgs {
  std::filesystem::path file;
  std::string server;                  // REST base URL, http(s)://host:port
  std::string api_key;                 // an operator or admin key
  std::optional<std::string> ca_file;  // PEM to trust for https
};
int cmd_policy_apply(const PolicyApplyArgs& args, Io io);

// Prints the effective configuration (after file, environment and flags) as TOML.
int cmd_config_show(const CommonArgs& args, Io io);

int cmd_version(Io io);

// The full command line (CLI11): `esimo <command> ...`. Returns the exit code.
int run_cli(int argc, char** argv);

const char* version_string();

}  // namespace esimo::app
