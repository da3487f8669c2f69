// The command line: CLI11 maps `esimo <command> [flags]` onto the argument structs of commands.hpp. The only file of
// the program that includes CLI11.
#include <CLI/CLI.hpp>

#include <iostream>

#include "app/commands.hpp"

#ifndef ESIMO_VERSION
#define ESIMO_VERSION "0.0.0"
#endif

namespace esimo::app {
namespace cli_detail {

template <class T>
CLI::Option* optional_option(CLI::App* cmd, const std::string& name, std::optional<T>& target,
                             const std::string& description) {
  return cmd->add_option_function<T>(
      name, [&target](const T& v) { target = v; }, description);
}

CLI::Option* optional_path(CLI::App* cmd, const std::string& name, std::optional<std::filesystem::path>& target,
                           const std::string& description) {
  return cmd->add_option_function<std::string>(
      name, [&target](const std::string& v) { target = std::filesystem::path(v); }, description);
}

// Options every command that touches the data directory takes.
void add_common(CLI::App* cmd, CommonArgs& common) {
  optional_path(cmd, "--config", common.config_file, "TOML configuration file (also $ESIMO_CONFIG)");
  optional_path(cmd, "--data-dir", common.overrides.data_dir, "data directory (default ./var; $ESIMO_DATA_DIR)");
  optional_option(cmd, "--log-level", common.overrides.log_level, "debug, info, warn, error or off ($ESIMO_LOG_LEVEL)");
  optional_path(cmd, "--service-providers", common.overrides.service_providers_xml,
                "mobile-broadband-provider-info serviceproviders.xml ($ESIMO_SERVICE_PROVIDERS)");
  optional_path(cmd, "--iso3166", common.overrides.iso3166_json, "iso-codes iso_3166-1.json ($ESIMO_ISO3166)");
}

}  // namespace cli_detail

const char* version_string() { return ESIMO_VERSION; }

int run_cli(int argc, char** argv) {
  Io io{std::cout, std::cerr};
  CLI::App app{"esimo: eSIM orchestration for IoT fleets (SGP.32 eIM + policy engine)", "esimo"};
  app.require_subcommand(1);
  app.fallthrough(false);
  int code = 0;

  // serve
  ServeArgs serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the REST API server on the embedded store");
  cli_detail::add_common(serve_cmd, serve.common);
  cli_detail::optional_option(serve_cmd, "--listen", serve.common.overrides.listen,
                              "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks one; $ESIMO_LISTEN)");
  cli_detail::optional_option(serve_cmd, "--threads", serve.common.overrides.threads, "io threads ($ESIMO_THREADS)");
  cli_detail::optional_option(serve_cmd, "--body-limit", serve.common.overrides.body_limit,
                              "largest buffered request body in bytes ($ESIMO_BODY_LIMIT)");
  cli_detail::optional_option(serve_cmd, "--tls-cert", serve.common.overrides.tls_cert_file,
                              "PEM certificate chain: serve HTTPS ($ESIMO_TLS_CERT)");
  cli_detail::optional_option(serve_cmd, "--tls-key", serve.common.overrides.tls_key_file,
                              "PEM private key of --tls-cert ($ESIMO_TLS_KEY)");
  cli_detail::optional_option(serve_cmd, "--esipa-listen", serve.common.overrides.esipa_listen,
                              "HOST:PORT of the ESipa listener (the eIM; off when unset; $ESIMO_ESIPA_LISTEN)");
  serve_cmd->add_flag("--esipa-plain", serve.common.overrides.esipa_plain,
                      "serve ESipa over plain HTTP (lab and tests only; $ESIMO_ESIPA_PLAIN)");
  cli_detail::optional_option(serve_cmd, "--esipa-tls-cert", serve.common.overrides.esipa_tls_cert_file,
                              "PEM certificate chain of the ESipa listener ($ESIMO_ESIPA_TLS_CERT)");
  cli_detail::optional_option(serve_cmd, "--esipa-tls-key", serve.common.overrides.esipa_tls_key_file,
                              "PEM private key of --esipa-tls-cert ($ESIMO_ESIPA_TLS_KEY)");
  cli_detail::optional_path(serve_cmd, "--pki", serve.common.overrides.pki_dir,
                            "test PKI directory (esimo pki test-ca): trust its CI, sign with its eIM key ($ESIMO_PKI)");
  cli_detail::optional_option(serve_cmd, "--eim-id", serve.common.overrides.eim_id,
                              "eimId (default: generated once, kept in the data dir; $ESIMO_EIM_ID)");
  cli_detail::optional_option(serve_cmd, "--eim-fqdn", serve.common.overrides.eim_fqdn,
                              "HOST:PORT the IPAs reach the eIM at (default: kept in the data dir; $ESIMO_EIM_FQDN)");
  cli_detail::optional_path(serve_cmd, "--eim-key", serve.common.overrides.eim_key_file,
                            "PEM eIM signing key (default: the PKI's, else generated into the data dir; $ESIMO_EIM_KEY)");
  serve_cmd->add_option("--ci-root", serve.common.overrides.ci_root_files,
                        "PEM GSMA CI root to verify eUICC certificates against (repeatable; $ESIMO_CI_ROOTS)");
  serve_cmd->add_option("--smdp", serve.common.overrides.smdp,
                        "SM-DP+ connector ADDRESS[=URL] for downloads (repeatable; URL default https://ADDRESS)");
  serve_cmd->add_flag("--smdp-allow-unknown", serve.common.overrides.smdp_allow_unknown,
                      "relay downloads to SM-DP+ addresses that have no connector");
  cli_detail::optional_path(serve_cmd, "--esipa-port-file", serve.esipa_port_file,
                            "write the bound ESipa port to this file once listening");
  cli_detail::optional_option(serve_cmd, "--engine-silence-after", serve.common.overrides.engine_silence_after,
                              "presume a device without service once it has sent nothing this long after a record with "
                              "service, e.g. 30m (default off; above the fleet's reporting interval; "
                              "$ESIMO_ENGINE_SILENCE_AFTER)");
  serve_cmd->add_flag("--admin-key", serve.admin_key, "create and print a fresh admin API key for the default tenant");
  cli_detail::optional_path(serve_cmd, "--port-file", serve.port_file, "write the bound port to this file once listening");
  serve_cmd->callback([&] { code = cmd_serve(serve, io); });

  // import
  ImportArgs import;
  auto* import_cmd = app.add_subcommand("import", "Import devices from a CSV or NDJSON file straight into the store");
  import_cmd->add_option("FILE", import.file, "devices file: CSV (eid,name,group,tags[,profiles]) or NDJSON")->required();
  cli_detail::add_common(import_cmd, import.common);
  cli_detail::optional_option(import_cmd, "--tenant", import.tenant, "tenant name (default: default)");
  cli_detail::optional_option(import_cmd, "--format", import.format, "csv or ndjson (default: from the extension)")
      ->check(CLI::IsMember({"csv", "ndjson"}));
  import_cmd->add_flag("--progress", import.progress, "show the progress bar even when stderr is not a terminal");
  import_cmd->callback([&] { code = cmd_import(import, io); });

  // carriers
  auto* carriers_cmd = app.add_subcommand("carriers", "The carrier catalog");
  carriers_cmd->require_subcommand(1);
  CarriersListArgs carriers_list;
  auto* carriers_list_cmd = carriers_cmd->add_subcommand("list", "List carriers (NAME, ID, PLMNs, countries)");
  cli_detail::add_common(carriers_list_cmd, carriers_list.common);
  cli_detail::optional_option(carriers_list_cmd, "--country", carriers_list.country, "home country, ISO 3166-1 (BR)");
  cli_detail::optional_option(carriers_list_cmd, "--plmn", carriers_list.plmn, "home PLMN (724-06)");
  cli_detail::optional_option(carriers_list_cmd, "--tenant", carriers_list.tenant, "also list this tenant's own carriers");
  carriers_list_cmd->add_flag("--json", carriers_list.json, "print JSON instead of a table");
  carriers_list_cmd->callback([&] { code = cmd_carriers_list(carriers_list, io); });

  // devices
  auto* devices_cmd = app.add_subcommand("devices", "A tenant's devices");
  devices_cmd->require_subcommand(1);
  DevicesListArgs devices_list;
  auto* devices_list_cmd = devices_cmd->add_subcommand("list", "List devices");
  cli_detail::add_common(devices_list_cmd, devices_list.common);
  cli_detail::optional_option(devices_list_cmd, "--tenant", devices_list.tenant, "tenant name (default: default)");
  cli_detail::optional_option(devices_list_cmd, "--group", devices_list.group, "only devices in this group");
  devices_list_cmd->add_option("--tag", devices_list.tags, "only devices with this tag (repeatable)");
  devices_list_cmd->add_option("--limit", devices_list.limit, "at most this many (0: all)");
  devices_list_cmd->add_flag("--json", devices_list.json, "print JSON instead of a table");
  devices_list_cmd->callback([&] { code = cmd_devices_list(devices_list, io); });
  DevicesShowArgs devices_show;
  auto* devices_show_cmd = devices_cmd->add_subcommand("show", "Show one device and its profiles");
  devices_show_cmd->add_option("EID", devices_show.eid, "the device's EID (32 digits)")->required();
  cli_detail::add_common(devices_show_cmd, devices_show.common);
  cli_detail::optional_option(devices_show_cmd, "--tenant", devices_show.tenant, "tenant name (default: default)");
  devices_show_cmd->add_flag("--json", devices_show.json, "print JSON instead of text");
  devices_show_cmd->callback([&] { code = cmd_devices_show(devices_show, io); });

  // keys
  auto* keys_cmd = app.add_subcommand("keys", "API keys (work whether or not the server runs)");
  keys_cmd->require_subcommand(1);
  KeysCreateArgs keys_create;
  auto* keys_create_cmd = keys_cmd->add_subcommand("create", "Create an API key; prints the key alone on the last line");
  cli_detail::add_common(keys_create_cmd, keys_create.common);
  cli_detail::optional_option(keys_create_cmd, "--tenant", keys_create.tenant,
                              "tenant name, created when missing (default: default)");
  keys_create_cmd->add_option("--role", keys_create.role, "viewer, operator or admin")
      ->check(CLI::IsMember({"viewer", "operator", "admin"}))
      ->required();
  keys_create_cmd->add_option("--label", keys_create.label, "a note for humans (who or what uses the key)");
  keys_create_cmd->callback([&] { code = cmd_keys_create(keys_create, io); });
  KeysListArgs keys_list;
  auto* keys_list_cmd = keys_cmd->add_subcommand("list", "List API keys (ids, never secrets)");
  cli_detail::add_common(keys_list_cmd, keys_list.common);
  cli_detail::optional_option(keys_list_cmd, "--tenant", keys_list.tenant, "only this tenant's keys");
  keys_list_cmd->add_flag("--json", keys_list.json, "print JSON instead of a table");
  keys_list_cmd->callback([&] { code = cmd_keys_list(keys_list, io); });
  KeysRevokeArgs keys_revoke;
  auto* keys_revoke_cmd = keys_cmd->add_subcommand("revoke", "Revoke an API key by its id");
  keys_revoke_cmd->add_option("ID", keys_revoke.id, "key id (key_...)")->required();
  cli_detail::add_common(keys_revoke_cmd, keys_revoke.common);
  keys_revoke_cmd->callback([&] { code = cmd_keys_revoke(keys_revoke, io); });

  // config
  auto* config_cmd = app.add_subcommand("config", "The configuration");
  config_cmd->require_subcommand(1);
  ServeArgs config_show;  // every setting `serve` takes
  auto* config_show_cmd =
      config_cmd->add_subcommand("show", "Print the effective configuration (file < environment < flags) as TOML");
  cli_detail::add_common(config_show_cmd, config_show.common);
  cli_detail::optional_option(config_show_cmd, "--listen", config_show.common.overrides.listen, "HOST:PORT");
  cli_detail::optional_option(config_show_cmd, "--threads", config_show.common.overrides.threads, "io threads");
  cli_detail::optional_option(config_show_cmd, "--body-limit", config_show.common.overrides.body_limit,
                              "largest buffered request body in bytes");
  cli_detail::optional_option(config_show_cmd, "--tls-cert", config_show.common.overrides.tls_cert_file,
                              "PEM certificate chain");
  cli_detail::optional_option(config_show_cmd, "--tls-key", config_show.common.overrides.tls_key_file, "PEM private key");
  cli_detail::optional_option(config_show_cmd, "--engine-silence-after", config_show.common.overrides.engine_silence_after,
                              "silence threshold of the engine, e.g. 30m, or off");
  config_show_cmd->callback([&] { code = cmd_config_show(config_show.common, io); });

  // pki
  auto* pki_cmd = app.add_subcommand("pki", "Test PKI for labs and the twin");
  pki_cmd->require_subcommand(1);
  PkiTestCaArgs pki_test_ca;
  auto* pki_test_ca_cmd =
      pki_cmd->add_subcommand("test-ca", "Write a test CI, EUM, eIM and SM-DP+ certificates and keys (NOT production)");
  pki_test_ca_cmd->add_option("--out", pki_test_ca.out, "directory to write")->required();
  pki_test_ca_cmd->add_flag("--overwrite", pki_test_ca.overwrite, "replace an existing test PKI in --out");
  pki_test_ca_cmd->callback([&] { code = cmd_pki_test_ca(pki_test_ca, io); });

  // eim
  auto* eim_cmd = app.add_subcommand("eim", "The eIM");
  eim_cmd->require_subcommand(1);
  auto* eim_config_cmd = eim_cmd->add_subcommand("config", "The eIM configuration personalised into eUICCs");
  eim_config_cmd->require_subcommand(1);
  EimConfigExportArgs eim_export;
  auto* eim_export_cmd =
      eim_config_cmd->add_subcommand("export", "Write the AddInitialEimRequest (BF57 DER) for this eIM");
  cli_detail::add_common(eim_export_cmd, eim_export.common);
  eim_export_cmd->add_option("--fqdn", eim_export.fqdn, "HOST:PORT the IPAs reach the ESipa listener at")->required();
  eim_export_cmd->add_option("--out", eim_export.out, "file to write")->required();
  cli_detail::optional_path(eim_export_cmd, "--pki", eim_export.common.overrides.pki_dir,
                            "test PKI directory: its eIM key and certificate");
  cli_detail::optional_path(eim_export_cmd, "--eim-key", eim_export.common.overrides.eim_key_file,
                            "PEM eIM signing key");
  cli_detail::optional_option(eim_export_cmd, "--eim-id", eim_export.common.overrides.eim_id, "eimId");
  eim_export_cmd->add_option("--sgp32-version", eim_export.sgp32_version, "1.2 (default) or 1.0")
      ->check(CLI::IsMember({"1.2", "1.0"}));
  eim_export_cmd->callback([&] { code = cmd_eim_config_export(eim_export, io); });

  // device (one software eUICC)
  auto* device_cmd = app.add_subcommand("device", "One software eUICC and its IPA (the twin, from the command line)");
  device_cmd->require_subcommand(1);
  DeviceNewArgs device_new;
  auto* device_new_cmd = device_cmd->add_subcommand("new", "Create a software eUICC personalised for an eIM");
  device_new_cmd->add_option("--eid", device_new.eid, "EID (32 digits)")->required();
  device_new_cmd->add_option("--sgp32-version", device_new.sgp32_version, "1.2 (default) or 1.0")
      ->check(CLI::IsMember({"1.2", "1.0"}));
  device_new_cmd->add_option("--profile", device_new.profiles, "ICCID[@MCC-MNC][:enabled] (repeatable)");
  device_new_cmd->add_option("--eim-config", device_new.eim_config, "AddInitialEimRequest file (esimo eim config export)")
      ->required();
  cli_detail::optional_path(device_new_cmd, "--pki", device_new.pki_dir, "test PKI whose EUM issues the eUICC certificate");
  device_new_cmd->add_option("--state", device_new.state, "JSON file to write the eUICC to")->required();
  device_new_cmd->callback([&] { code = cmd_device_new(device_new, io); });
  DevicePollArgs device_poll;
  auto* device_poll_cmd = device_cmd->add_subcommand("poll", "Poll the eIM until it has nothing more; save the state");
  device_poll_cmd->add_option("--state", device_poll.state, "the eUICC's JSON file")->required();
  device_poll_cmd->add_option("--eim", device_poll.eim_url, "eIM URL, http(s)://HOST:PORT")->required();
  cli_detail::optional_option(device_poll_cmd, "--ca", device_poll.ca_file, "PEM CA bundle to trust (HTTPS)");
  cli_detail::optional_option(device_poll_cmd, "--admin-protocol", device_poll.admin_protocol,
                              "X-Admin-Protocol to send (default gsma/rsp/v<SGP.32 version>.0)");
  device_poll_cmd->add_option("--max-rounds", device_poll.max_rounds, "stop after this many polls (default 64)");
  device_poll_cmd->callback([&] { code = cmd_device_poll(device_poll, io); });

  // twin (the digital twin's fleet simulator) and demo
  auto* twin_cmd = app.add_subcommand("twin", "The digital twin: simulated fleets on virtual time");
  twin_cmd->require_subcommand(1);
  TwinRunArgs twin_run;
  auto* twin_run_cmd = twin_cmd->add_subcommand("run", "Run a scenario's fleet against a real eIM and print its KPIs");
  cli_detail::add_common(twin_run_cmd, twin_run.common);
  twin_run_cmd->add_option("scenario", twin_run.scenario, "scenario TOML file (scenarios/*.toml)")->required();
  cli_detail::optional_option(twin_run_cmd, "--devices", twin_run.devices, "fleet size (default: the scenario's)");
  cli_detail::optional_option(twin_run_cmd, "--seed", twin_run.seed, "seed (default: the scenario's)");
  twin_run_cmd->add_option("--engine", twin_run.engine, "on|off: orchestration engine (default off)")
      ->check(CLI::IsMember({"on", "off"}));
  cli_detail::optional_path(twin_run_cmd, "--json", twin_run.json_file, "write the KPIs as JSON to this file");
  cli_detail::optional_path(twin_run_cmd, "--policy", twin_run.policy_file, "fleet policy (JSON or YAML) for --engine on");
  twin_run_cmd->add_flag("--progress", twin_run.progress, "progress bar even when stderr is not a terminal");
  cli_detail::optional_option(twin_run_cmd, "--eim", twin_run.eim_url, "over the wire: ESipa URL of a running esimo");
  cli_detail::optional_option(twin_run_cmd, "--api", twin_run.api_url, "over the wire: its REST URL (devices imported)");
  cli_detail::optional_option(twin_run_cmd, "--api-key", twin_run.api_key, "over the wire: an admin API key");
  cli_detail::optional_path(twin_run_cmd, "--pki", twin_run.pki_dir, "over the wire: the server's test PKI directory");
  cli_detail::optional_path(twin_run_cmd, "--eim-config", twin_run.eim_config,
                            "over the wire: AddInitialEimRequest file (esimo eim config export)");
  twin_run_cmd->callback([&] { code = cmd_twin_run(twin_run, io); });
  DemoArgs demo;
  auto* demo_cmd = app.add_subcommand("demo", "Server + a simulated 5,000-device fleet with a carrier outage (Ctrl-C stops)");
  cli_detail::add_common(demo_cmd, demo.common);
  cli_detail::optional_option(demo_cmd, "--listen", demo.common.overrides.listen, "REST HOST:PORT (default 127.0.0.1:8080)");
  demo_cmd->add_option("--devices", demo.devices, "fleet size (default 5000)");
  demo_cmd->add_option("--speed", demo.speed, "simulated seconds per wall second (default 120)");
  cli_detail::optional_path(demo_cmd, "--scenario", demo.scenario, "scenario TOML instead of the built-in demo fleet");
  std::string demo_engine = "on";
  demo_cmd->add_option("--engine", demo_engine, "on|off: orchestration engine (default on)")
      ->check(CLI::IsMember({"on", "off"}));
  demo_cmd->callback([&] {
    demo.engine = demo_engine == "on";
    code = cmd_demo(demo, io);
  });

  // twin smdp (the test SM-DP+), under the `twin` command above
  TwinSmdpArgs twin_smdp;
  auto* twin_smdp_cmd = twin_cmd->add_subcommand("smdp", "Serve the test SM-DP+ (ES9+ over HTTPS; `code` prepares a profile)");
  twin_smdp_cmd->add_option("--listen", twin_smdp.listen, "HOST:PORT to listen on (default 127.0.0.1:8443)");
  cli_detail::optional_path(twin_smdp_cmd, "--pki", twin_smdp.pki_dir, "test PKI (esimo pki test-ca) for DPauth/DPpb/DPtls");
  twin_smdp_cmd->add_flag("--plain", twin_smdp.plain, "plain HTTP instead of TLS (lab and tests)");
  cli_detail::optional_option(twin_smdp_cmd, "--address", twin_smdp.address, "SM-DP+ address it signs (default HOST:PORT)");
  cli_detail::optional_path(twin_smdp_cmd, "--port-file", twin_smdp.port_file, "write the bound port here once listening");
  TwinSmdpCodeArgs twin_smdp_code;
  auto* twin_smdp_code_cmd = twin_smdp_cmd->add_subcommand("code", "Prepare a profile and print its activation code");
  twin_smdp_code_cmd->add_option("--smdp", twin_smdp_code.smdp_url, "SM-DP+ URL, http(s)://HOST:PORT")->required();
  twin_smdp_code_cmd->add_option("--carrier", twin_smdp_code.carrier, "home PLMN of the profile, MCC-MNC")->required();
  cli_detail::optional_option(twin_smdp_code_cmd, "--iccid", twin_smdp_code.iccid, "ICCID (default: a fresh test one)");
  cli_detail::optional_option(twin_smdp_code_cmd, "--matching-id", twin_smdp_code.matching_id, "matching ID (default: generated)");
  cli_detail::optional_option(twin_smdp_code_cmd, "--confirmation-code", twin_smdp_code.confirmation_code, "confirmation code");
  cli_detail::optional_option(twin_smdp_code_cmd, "--eid", twin_smdp_code.eid, "bind the profile to this EID");
  cli_detail::optional_option(twin_smdp_code_cmd, "--expires-in", twin_smdp_code.expires_in_s, "seconds until the order expires");
  cli_detail::optional_option(twin_smdp_code_cmd, "--ca", twin_smdp_code.ca_file, "PEM CA bundle to trust (HTTPS)");
  twin_smdp_code_cmd->callback([&] { code = cmd_twin_smdp_code(twin_smdp_code, io); });
  twin_smdp_cmd->callback([&] {
    if (!twin_smdp_code_cmd->parsed()) code = cmd_twin_smdp(twin_smdp, io);
  });

  // policy
  auto* policy_cmd = app.add_subcommand("policy", "Policy documents (docs/policies.md)");
  policy_cmd->require_subcommand(1);
  PolicyValidateArgs policy_validate;
  auto* policy_validate_cmd = policy_cmd->add_subcommand("validate", "Check a policy file (JSON or YAML); exit 2 when invalid");
  cli_detail::add_common(policy_validate_cmd, policy_validate.common);
  policy_validate_cmd->add_option("file", policy_validate.file, "policy document (.json, .yaml)")->required();
  cli_detail::optional_option(policy_validate_cmd, "--format", policy_validate.format, "json|yaml (default: from the file)");
  policy_validate_cmd->add_flag("--no-catalog", policy_validate.no_catalog, "do not check carrier references against the catalog");
  policy_validate_cmd->add_flag("--json", policy_validate.json, "print the canonical JSON of a valid document");
  policy_validate_cmd->callback([&] { code = cmd_policy_validate(policy_validate, io); });
  PolicyApplyArgs policy_apply;
  auto* policy_apply_cmd = policy_cmd->add_subcommand("apply", "Create or replace a policy on a running esimo (REST)");
  policy_apply_cmd->add_option("file", policy_apply.file, "policy document (.json, .yaml)")->required();
  policy_apply_cmd->add_option("--server", policy_apply.server, "REST base URL, e.g. http://127.0.0.1:8080")->required();
  policy_apply_cmd->add_option("--api-key", policy_apply.api_key, "operator or admin API key")->required();
  cli_detail::optional_option(policy_apply_cmd, "--ca", policy_apply.ca_file, "PEM CA bundle to trust (HTTPS)");
  policy_apply_cmd->callback([&] { code = cmd_policy_apply(policy_apply, io); });

  // version
  app.add_subcommand("version", "Print the version")->callback([&] { code = cmd_version(io); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return code;
}

}  // namespace esimo::app
