// `esimo pki test-ca`, `esimo eim config export`, `esimo device new|poll`: the eIM's association material and one
// software eUICC (twin) driven from the command line.
#include <fstream>
#include <ostream>
#include <sstream>

#include "app/commands.hpp"
#include "app/eim_setup.hpp"
#include "app/support.hpp"
#include "base/clock.hpp"
#include "crypto/test_pki.hpp"
#include "domain/identifiers.hpp"
#include "eim/eim_service.hpp"
#include "base/metrics.hpp"
#include "sgp/codec.hpp"
#include "store/store.hpp"
#include "twin/ipa.hpp"
#include "twin/software_euicc.hpp"

namespace esimo::app {
namespace cmd_eim_detail {

Result<sgp::Version> version_arg(std::string_view text, const char* flag) {
  if (text == "1.2") return sgp::Version::v1_2;
  if (text == "1.0") return sgp::Version::v1_0;
  return Error(Errc::invalid_argument, std::string(flag) + ": SGP.32 version must be 1.2 or 1.0", flag);
}

Result<Bytes> read_binary(const std::filesystem::path& file, const char* flag) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Errc::io_error, "cannot read " + file.string(), flag);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return Bytes(s.begin(), s.end());
}

Status write_binary(const std::filesystem::path& file, ByteView data, const char* flag) {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out) return Error(Errc::io_error, "cannot write " + tmp.string(), flag);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Error(Errc::io_error, "cannot write " + file.string() + ": " + ec.message(), flag);
  return ok_status();
}

}  // namespace cmd_eim_detail

int cmd_pki_test_ca(const PkiTestCaArgs& args, Io io) {
  crypto::TestPkiOptions options;
  options.now = SystemClock::instance().now();
  auto pki = crypto::write_test_pki(args.out, options, args.overwrite);
  if (!pki.ok()) return report_error(io, pki.error());
  io.out << "test PKI written to " << args.out.string() << " (NOT for production: the CI key sits next to it)\n"
         << "  CI:    " << pki->ci.certificate.subject() << "\n"
         << "  EUM:   " << pki->eum.certificate.subject() << "\n"
         << "  eIM:   " << pki->eim.certificate.subject() << "\n"
         << "  files: ci.pem eum.pem eim.pem dpauth.pem dppb.pem dptls.pem (+ .key.pem)\n";
  return 0;
}

int cmd_eim_config_export(const EimConfigExportArgs& args, Io io) {
  auto version = cmd_eim_detail::version_arg(args.sgp32_version, "--sgp32-version");
  if (!version.ok()) return report_error(io, version.error());
  std::string host;
  std::uint16_t port = 0;
  if (auto s = parse_listen(args.fqdn, host, port); !s.ok() || port == 0) {
    return report_error(io, Error(Errc::invalid_argument, "--fqdn: '" + args.fqdn + "' must be HOST:PORT", "--fqdn"));
  }
  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  auto identity = load_eim_identity(ws->config, IdentityRequest{args.fqdn, {}});
  if (!identity.ok()) return report_error(io, identity.error());
  const std::string eim_id = identity->eim_id;
  metrics::Registry registry;
  eim::EimService eim(*ws->store, SystemClock::instance(), std::move(identity).value(), eim::EimOptions{}, registry);
  auto der = eim.export_add_initial_eim(*version);
  if (!der.ok()) return report_error(io, der.error());
  if (auto s = cmd_eim_detail::write_binary(args.out, *der, "--out"); !s.ok()) return report_error(io, s.error());
  io.out << "AddInitialEimRequest (SGP.32 v" << sgp::version_name(*version) << ", " << der->size()
         << " bytes) for eIM '" << eim_id << "' at " << args.fqdn << " written to " << args.out.string() << "\n";
  return 0;
}

int cmd_device_new(const DeviceNewArgs& args, Io io) {
  auto version = cmd_eim_detail::version_arg(args.sgp32_version, "--sgp32-version");
  if (!version.ok()) return report_error(io, version.error());
  auto eid = domain::Eid::parse(args.eid);
  if (!eid.ok()) return report_error(io, Error(eid.error().code, "--eid: " + eid.error().message, "--eid"));
  if (!args.pki_dir) {
    return report_error(io, Error(Errc::invalid_argument,
                                  "--pki DIR is required: the eUICC certificate is issued under its EUM", "--pki"));
  }
  std::vector<twin::ProfileSpec> specs;
  for (const auto& text : args.profiles) {
    auto spec = twin::parse_profile_spec(text);
    if (!spec.ok()) {
      return report_error(io, Error(spec.error().code, "--profile '" + text + "': " + spec.error().message, "--profile"));
    }
    specs.push_back(std::move(spec).value());
  }
  auto config = cmd_eim_detail::read_binary(args.eim_config, "--eim-config");
  if (!config.ok()) return report_error(io, config.error());
  auto pki = crypto::load_test_pki(*args.pki_dir);
  if (!pki.ok()) return report_error(io, pki.error());
  auto euicc = twin::SoftwareEuicc::create_with_test_pki(*pki, *eid, *version, SystemClock::instance().now());
  if (!euicc.ok()) return report_error(io, euicc.error());
  for (const auto& spec : specs) {
    if (auto s = euicc->add_profile(spec); !s.ok()) {
      return report_error(io, Error(s.error().code, "--profile " + spec.iccid.str() + ": " + s.error().message,
                                    "--profile"));
    }
  }
  auto tokens = euicc->add_initial_eim_der(*config);
  if (!tokens.ok()) {
    return report_error(io, Error(tokens.error().code, "--eim-config: " + tokens.error().message, "--eim-config"));
  }
  if (auto s = euicc->save(args.state); !s.ok()) return report_error(io, s.error());
  io.out << "software eUICC " << eid->str() << " (SGP.32 v" << sgp::version_name(*version) << ") saved to "
         << args.state.string() << "\n";
  for (const auto& p : euicc->profiles()) {
    io.out << "  profile " << twin::iccid_text(p.iccid) << (p.enabled ? " enabled" : " disabled") << "\n";
  }
  for (std::size_t i = 0; i < euicc->eim_configs().size(); ++i) {
    const auto& c = euicc->eim_configs()[i];
    io.out << "  eIM " << c.data.eim_id << " at " << c.data.eim_fqdn.value_or("?") << ", association token "
           << c.association_token << "\n";
  }
  return 0;
}

int cmd_device_poll(const DevicePollArgs& args, Io io) {
  auto euicc = twin::SoftwareEuicc::load(args.state);
  if (!euicc.ok()) return report_error(io, euicc.error());
  twin::HttpEsipaOptions options;
  if (args.ca_file) options.ca_file = *args.ca_file;
  if (args.admin_protocol) options.admin_protocol = *args.admin_protocol;
  auto transport = twin::HttpEsipaTransport::connect(args.eim_url, euicc->version(), options);
  if (!transport.ok()) return report_error(io, transport.error());
  twin::Ipa ipa(*euicc, **transport);
  auto report = ipa.poll_until_idle(args.max_rounds);
  // Saved whatever happened: counters, results and notifications moved on the eUICC even when an exchange failed.
  auto saved = euicc->save(args.state);
  if (!report.ok()) return report_error(io, report.error());
  if (!saved.ok()) return report_error(io, saved.error());
  for (const auto& line : report->lines) io.out << line << "\n";
  io.out << report->rounds << " poll(s), " << report->packages << " package(s), " << report->data_requests
         << " data request(s), " << report->notifications_sent << " notification(s); "
         << (report->idle ? "the eIM has nothing more" : "stopped before the eIM was idle") << "\n";
  if (const auto* p = euicc->enabled_profile()) io.out << "enabled profile: " << twin::iccid_text(p->iccid) << "\n";
  return 0;
}

}  // namespace esimo::app
