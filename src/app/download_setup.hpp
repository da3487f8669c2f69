#pragma once
// The eIM's SM-DP+ connectors for the indirect profile download relay (docs/esipa.md "Profile download relay"), from
// the configuration: [[download.smdp]] entries / --smdp ADDRESS[=URL], download.allow_unknown_smdp /
// --smdp-allow-unknown, and the trust: a connector's ca_file, else the test PKI's CI (--pki: its DPtls certificate is
// issued under that CI), else the system trust store.
#include "app/config.hpp"
#include "base/result.hpp"
#include "eim/eim_service.hpp"

namespace esimo::app {

// Configures `eim` to relay downloads (always: with no connector and unknown SM-DP+s refused, every download is refused
// at submit with a message saying why). invalid_argument naming the connector at fault.
Status setup_downloads(const Config& config, eim::EimService& eim);

}  // namespace esimo::app
