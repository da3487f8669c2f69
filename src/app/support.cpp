#include "app/support.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <ostream>
#include <system_error>

#include "app/catalog_seed.hpp"
#include "base/log.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace esimo::app {

Result<Config> load_config(const CommonArgs& common) {
  ESIMO_TRY(Config config, resolve_config(common.config_file, common.overrides, process_env()));
  log::set_level(config.log_level);
  return config;
}

Result<std::unique_ptr<store::Store>> open_store(const Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return Error(Errc::io_error, "cannot create data directory " + config.data_dir.string() + ": " + ec.message(),
                 config.data_dir.string());
  }
  return store::open_sqlite_store(config.data_dir);
}

Result<Workspace> open_workspace(const CommonArgs& common) {
  ESIMO_TRY(Config config, load_config(common));
  ESIMO_TRY(std::unique_ptr<store::Store> store, open_store(config));
  return Workspace{std::move(config), std::move(store)};
}

Result<domain::Tenant> ensure_tenant(store::Store& store, std::string_view name) {
  auto found = store.get_tenant_by_name(name);
  if (found.ok() || found.error().code != Errc::not_found) return found;
  auto created = store.create_tenant(name);
  if (created.ok() || created.error().code != Errc::already_exists) return created;
  return store.get_tenant_by_name(name);  // another process created it between our two calls
}

Status ensure_catalog(store::Store& store, const Config& config) {
  ESIMO_TRY(auto countries, store.list_countries());
  if (!countries.empty()) return ok_status();
  auto seeded = seed_catalog_if_changed(store, {config.service_providers_xml, config.iso3166_json}, config.data_dir);
  if (!seeded.ok()) return std::move(seeded).error();
  return ok_status();
}

Result<domain::Tenant> tenant_for_command(store::Store& store, const Config& config,
                                          const std::optional<std::string>& name) {
  if (!name || *name == config.default_tenant) return ensure_tenant(store, config.default_tenant);
  auto t = store.get_tenant_by_name(*name);
  if (!t.ok() && t.error().code == Errc::not_found) {
    return Error(Errc::not_found, "no tenant named '" + *name + "' (create it with `esimo keys create --tenant " + *name +
                                      " --role admin`)", "--tenant");
  }
  return t;
}

int report_error(Io io, const Error& error) {
  io.err << "esimo: " << error.message;
  if (!error.field.empty() && error.message.find(error.field) == std::string::npos) io.err << " (" << error.field << ")";
  io.err << "\n";
  io.err.flush();
  return 1;
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += line;
    out += '\n';
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

void block_stop_signals() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int wait_for_stop_signal() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  int sig = 0;
  sigwait(&stop, &sig);
  return sig;
}

}  // namespace esimo::app
