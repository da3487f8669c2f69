// `esimo config show` and `esimo version`.
#include <ostream>

#include "app/commands.hpp"
#include "app/support.hpp"

namespace esimo::app {

int cmd_config_show(const CommonArgs& args, Io io) {
  auto config = load_config(args);
  if (!config.ok()) return report_error(io, config.error());
  io.out << to_toml(*config);
  return 0;
}

int cmd_version(Io io) {
  io.out << "esimo " << version_string() << "\n";
  return 0;
}

}  // namespace esimo::app
