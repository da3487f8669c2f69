#pragma once
// Shared plumbing of the commands: configuration, opening the store, tenants, and plain-text tables.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "base/result.hpp"
#include "domain/model.hpp"

namespace esimo::store {
class Store;
}

namespace esimo::app {

// Resolves the configuration (flags > env > file > defaults) and applies the log level.
Result<Config> load_config(const CommonArgs& common);

// Opens (creating when needed) the embedded store under config.data_dir.
Result<std::unique_ptr<store::Store>> open_store(const Config& config);

// What most commands start from: the resolved configuration and the store it names.
struct Workspace {
  Config config;
  std::unique_ptr<store::Store> store;
};
Result<Workspace> open_workspace(const CommonArgs& common);

// The tenant named `name`, created (with its root group) when missing. Safe against a concurrent creator.
Result<domain::Tenant> ensure_tenant(store::Store& store, std::string_view name);

// Seeds the carrier catalog when the store has none yet (a fresh data directory used by the CLI before any `serve`).
Status ensure_catalog(store::Store& store, const Config& config);

// The default tenant is created on first use; any other name must exist.
Result<domain::Tenant> tenant_for_command(store::Store& store, const Config& config,
                                          const std::optional<std::string>& name);

// Blocks SIGTERM/SIGINT in the calling thread (do it before starting threads, so they inherit the mask) and ignores
// SIGPIPE; a long-running command then waits for them with wait_for_stop_signal() on this thread, never in a handler.
void block_stop_signals();
// Waits until SIGTERM or SIGINT arrives (block_stop_signals() first); returns the signal number.
int wait_for_stop_signal();

// Prints "esimo: <message>" (and the field when it adds something) on `err`; returns exit code 1.
int report_error(Io io, const Error& error);

// Left-aligned columns separated by two spaces; the first row is the header.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace esimo::app
