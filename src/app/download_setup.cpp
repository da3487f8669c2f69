// SM-DP+ connectors of the download relay, from the configuration.
#include "app/download_setup.hpp"

#include "api/es9_http_client.hpp"
#include "base/log.hpp"
#include "crypto/test_pki.hpp"

namespace esimo::app {

Status setup_downloads(const Config& config, eim::EimService& eim) {
  api::Es9ClientOptions o;
  o.allow_unknown = config.smdp_allow_unknown;
  if (!config.pki_dir.empty()) o.default_ca_file = (config.pki_dir / std::string(crypto::test_pki_files::kCi)).string();
  for (const auto& c : config.smdp_connectors) {
    o.connectors.push_back(api::SmdpConnector{c.address, c.url, c.ca_file, c.carrier});
  }
  auto client = api::Es9HttpClient::create(std::move(o));
  if (!client.ok()) return std::move(client).error();
  eim::DownloadOptions d;
  d.session_timeout = config.download_session_timeout;
  eim.enable_downloads(std::move(client).value(), d);
  if (config.smdp_connectors.empty() && !config.smdp_allow_unknown) {
    log::info("no SM-DP+ connector configured: download operations are refused (give --smdp or [[download.smdp]])");
  }
  return {};
}

}  // namespace esimo::app
