// `esimo import FILE`: the bulk device import of POST /v1/devices:import, run straight against the store, with a
// progress bar on stderr.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <vector>

#include "api/device_import.hpp"
#include "app/commands.hpp"
#include "app/support.hpp"
#include "store/store.hpp"

namespace esimo::app {
namespace cmd_import_detail {

std::string human_bytes(std::uintmax_t n) {
  char buf[32];
  if (n >= 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024.0));
  } else if (n >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%ju B", n);
  }
  return buf;
}

// A one-line bar redrawn in place ("\r") at most ten times a second.
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, bool enabled, std::uintmax_t total) : err_(err), enabled_(enabled), total_(total) {}

  void update(std::uintmax_t done, const api::ImportReport& r, bool final = false) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 30;
    const double frac = total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(frac * 100.0));
    err_ << "\r[" << bar << "] " << pct << "  " << human_bytes(done) << " / " << human_bytes(total_) << "  "
         << r.imported + r.updated << " devices, " << r.rejected_total << " rejected" << (final ? "\n" : "");
    err_.flush();
  }

 private:
  std::ostream& err_;
  bool enabled_;
  std::uintmax_t total_;
  std::chrono::steady_clock::time_point last_{};
};

Result<api::ImportFormat> format_of(const ImportArgs& args) {
  std::string name = args.format ? *args.format : args.file.extension().string();
  if (!name.empty() && name.front() == '.') name.erase(0, 1);
  if (name == "csv") return api::ImportFormat::csv;
  if (name == "ndjson" || name == "jsonl") return api::ImportFormat::ndjson;
  return Error(Errc::invalid_argument,
               "cannot tell the format of " + args.file.string() + " from its name: pass --format csv or --format ndjson",
               "--format");
}

Error error_of(const api::Problem& p) {
  std::string msg = p.detail;
  if (!p.field.empty()) msg += " (" + p.field + ")";
  return Error(Errc::invalid_argument, msg, p.field);
}

}  // namespace cmd_import_detail

int cmd_import(const ImportArgs& args, Io io) {
  auto format = cmd_import_detail::format_of(args);
  if (!format.ok()) return report_error(io, format.error());
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return report_error(io, Error(Errc::io_error, "cannot read " + args.file.string(), "FILE"));
  std::error_code ec;
  const std::uintmax_t total = std::filesystem::file_size(args.file, ec);

  auto ws = open_workspace(args.common);
  if (!ws.ok()) return report_error(io, ws.error());
  const Config& config = ws->config;
  store::Store& db = *ws->store;
  // Profiles name carriers by home PLMN: the catalog must be there.
  if (auto s = ensure_catalog(db, config); !s.ok()) return report_error(io, s.error());
  auto tenant = tenant_for_command(db, config, args.tenant);
  if (!tenant.ok()) return report_error(io, tenant.error());

  api::DeviceImporter importer(db, tenant->id, SystemClock::instance(), *format);
  cmd_import_detail::ProgressBar bar(io.err, args.progress || ::isatty(STDERR_FILENO) == 1, ec ? 0 : total);
  std::vector<char> buf(256 * 1024);
  std::uintmax_t done = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    done += n;
    auto s = importer.write(std::string_view(buf.data(), n));
    if (!s.ok()) {
      bar.update(done, importer.report(), true);
      return report_error(io, cmd_import_detail::error_of(s.error()));
    }
    bar.update(done, importer.report());
  }
  if (in.bad()) return report_error(io, Error(Errc::io_error, "error reading " + args.file.string(), "FILE"));
  auto report = importer.finish();
  bar.update(done, report.ok() ? *report : importer.report(), true);
  if (!report.ok()) return report_error(io, cmd_import_detail::error_of(report.error()));
  io.out << report->to_json() << "\n";
  return 0;
}

}  // namespace esimo::app
