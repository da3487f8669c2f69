#include "app/eim_setup.hpp"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/certificate.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/keys.hpp"
#include "crypto/random.hpp"
#include "crypto/test_pki.hpp"

namespace esimo::app {
namespace eim_setup_detail {

Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(Errc::io_error, "cannot read " + file.string(), file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Written whole then renamed; secret: owner read/write only, set before any byte is written.
Status write_file(const std::filesystem::path& file, std::string_view text, bool secret) {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error(Errc::io_error, "cannot write " + tmp.string(), file.string());
    std::error_code pec;
    if (secret) {
      std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   std::filesystem::perm_options::replace, pec);
    }
    out << text;
    if (!out.flush()) return Error(Errc::io_error, "cannot write " + tmp.string(), file.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Error(Errc::io_error, "cannot write " + file.string() + ": " + ec.message(), file.string());
  return ok_status();
}

struct StoredIdentity {
  std::string eim_id;
  std::string fqdn;
};

Result<std::optional<StoredIdentity>> read_identity(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::optional<StoredIdentity>();
  ESIMO_TRY(std::string text, read_file(file));
  boost::system::error_code jec;
  auto v = boost::json::parse(text, jec);
  if (jec || !v.is_object()) return Error(Errc::parse_error, file.string() + ": not a JSON object", file.string());
  StoredIdentity s;
  const auto& o = v.as_object();
  if (const auto* id = o.if_contains("eim_id"); id && id->is_string()) s.eim_id = std::string(id->as_string());
  if (const auto* f = o.if_contains("fqdn"); f && f->is_string()) s.fqdn = std::string(f->as_string());
  if (s.eim_id.empty()) return Error(Errc::parse_error, file.string() + ": eim_id is missing", file.string());
  return std::optional<StoredIdentity>(std::move(s));
}

Status write_identity(const std::filesystem::path& file, const StoredIdentity& s) {
  boost::json::object o;
  o["eim_id"] = s.eim_id;
  o["fqdn"] = s.fqdn;
  return write_file(file, boost::json::serialize(o) + "\n", false);
}

// SGP.32 eimId: 1..128 characters; esimo keeps to a safe subset so it can appear in file names and URLs.
Status check_eim_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128;
  for (char c : id) ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                c == '.' || c == '-' || c == '_' || c == ':');
  if (!ok) return Error(Errc::invalid_argument, "eIM id '" + id + "': 1..128 of [A-Za-z0-9.-_:]", "--eim-id");
  return ok_status();
}

}  // namespace eim_setup_detail

Result<eim::EimIdentity> load_eim_identity(const Config& config, const IdentityRequest& request) {
  namespace d = eim_setup_detail;
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  const auto id_file = config.data_dir / std::string(kEimIdentityFile);
  ESIMO_TRY(auto stored, d::read_identity(id_file));
  d::StoredIdentity want = stored.value_or(d::StoredIdentity{});
  if (!config.eim_id.empty()) want.eim_id = config.eim_id;
  if (want.eim_id.empty()) want.eim_id = "esimo-" + crypto::random_alnum(12);
  ESIMO_CHECK(d::check_eim_id(want.eim_id));
  if (request.explicit_fqdn) {
    want.fqdn = *request.explicit_fqdn;
  } else if (!config.eim_fqdn.empty()) {
    want.fqdn = config.eim_fqdn;
  } else if (want.fqdn.empty()) {
    want.fqdn = request.fallback_fqdn;
  }
  if (!stored || stored->eim_id != want.eim_id || stored->fqdn != want.fqdn) {
    ESIMO_CHECK(d::write_identity(id_file, want));
  }

  eim::EimIdentity identity;
  identity.eim_id = want.eim_id;
  identity.fqdn = want.fqdn;
  if (!config.pki_dir.empty()) {
    ESIMO_TRY(crypto::TestPki pki, crypto::load_test_pki(config.pki_dir));
    identity.ci_root_certificates_der.push_back(pki.ci.certificate.der());
    if (config.eim_key_file.empty()) {
      identity.signer = std::make_shared<crypto::SoftwareSigner>(pki.eim.key);
      identity.eim_certificate_der = pki.eim.certificate.der();
    }
  }
  if (!identity.signer) {
    std::filesystem::path key_file = config.eim_key_file;
    if (key_file.empty()) {
      key_file = config.data_dir / std::string(kEimKeyFile);
      if (!std::filesystem::exists(key_file, ec)) {
        // Generated once and kept: every eUICC personalised with this eIM's public key must keep verifying it.
        ESIMO_CHECK(d::write_file(key_file, crypto::PrivateKey::generate().to_pem(), true));
      }
    }
    ESIMO_TRY(crypto::PrivateKey key, crypto::PrivateKey::load_pem_file(key_file));
    identity.signer = std::make_shared<crypto::SoftwareSigner>(std::move(key));
  }
  for (const auto& file : config.ci_root_files) {
    ESIMO_TRY(std::string pem, eim_setup_detail::read_file(file));
    auto chain = crypto::Certificate::chain_from_pem(pem);
    if (!chain) return Error(chain.error().code, file.string() + ": " + chain.error().message, "--ci-root");
    for (const auto& c : *chain) identity.ci_root_certificates_der.push_back(c.der());
  }
  return identity;
}

}  // namespace esimo::app
