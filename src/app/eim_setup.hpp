#pragma once
// Who the eIM is, built from the configuration and the data directory, so that `esimo serve`, `esimo eim config
// export` and restarts agree: the eimId and FQDN are persisted in <data_dir>/eim-identity.json on first use; the
// signing key comes from --pki (its eIM key and certificate), --eim-key, or a key generated once into
// <data_dir>/eim.key.pem (mode 0600); the trusted CI roots from --pki and --ci-root.
#include <optional>
#include <string>

#include "app/config.hpp"
#include "base/result.hpp"
#include "eim/eim_service.hpp"

namespace esimo::app {

inline constexpr std::string_view kEimIdentityFile = "eim-identity.json";
inline constexpr std::string_view kEimKeyFile = "eim.key.pem";

// `fqdn`: what the caller knows the eIM is reached at (export: --fqdn; serve: the ESipa listen address). It is used
// when neither the configuration (eim.fqdn) nor an earlier export/serve named one, and an explicit value (export's
// --fqdn, eim.fqdn) replaces the persisted one.
struct IdentityRequest {
  std::optional<std::string> explicit_fqdn;  // export --fqdn
  std::string fallback_fqdn;                 // serve: the bound ESipa address
};
Result<eim::EimIdentity> load_eim_identity(const Config& config, const IdentityRequest& request);

}  // namespace esimo::app
