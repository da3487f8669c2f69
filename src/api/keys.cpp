#include "api/keys.hpp"

#include "base/bytes.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"

namespace esimo::api {

namespace keys_detail {
constexpr std::size_t kSecretRandomLen = 32;
constexpr std::size_t kKeyIdRandomLen = 12;
constexpr std::size_t kMaxCacheEntries = 10000;

std::string hash_secret(std::string_view secret) { return to_hex(crypto::sha256(as_bytes(secret))); }
Error bad_key() { return Error(Errc::unauthenticated, "missing or invalid API key"); }
}  // namespace keys_detail

std::optional<std::string_view> KeyService::key_id_of(std::string_view secret) {
  constexpr std::string_view kPrefix = "esk_";
  if (secret.size() <= kPrefix.size() || secret.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = secret.substr(kPrefix.size());
  auto us = rest.rfind('_');
  if (us == std::string_view::npos || us == 0 || rest.size() - us - 1 != keys_detail::kSecretRandomLen) {
    return std::nullopt;
  }
  std::string_view id = rest.substr(0, us);
  if (id.size() > 64) return std::nullopt;
  return id;
}

Result<CreatedKey> KeyService::create(domain::TenantId tenant, domain::Role role, std::string label) {
  ESIMO_TRY(auto t, store_.get_tenant(tenant));
  (void)t;
  CreatedKey out;
  out.key.id = "key_" + crypto::random_alnum(keys_detail::kKeyIdRandomLen);
  out.key.tenant_id = tenant;
  out.key.role = role;
  out.key.label = std::move(label);
  out.key.created_at = clock_.now();
  out.secret = "esk_" + out.key.id + "_" + crypto::random_alnum(keys_detail::kSecretRandomLen);
  out.key.secret_hash = keys_detail::hash_secret(out.secret);
  ESIMO_CHECK(store_.put_api_key(out.key));
  return out;
}

Result<CreatedKey> KeyService::create_for_tenant(std::string_view tenant_name, domain::Role role, std::string label) {
  auto t = store_.get_tenant_by_name(tenant_name);
  if (!t && t.error().code == Errc::not_found) t = store_.create_tenant(tenant_name);
  if (!t) return std::move(t).error();
  return create(t->id, role, std::move(label));
}

Result<std::vector<domain::ApiKey>> KeyService::list(std::optional<domain::TenantId> tenant) {
  return store_.list_api_keys(tenant);
}

Status KeyService::revoke(std::string_view key_id) {
  ESIMO_CHECK(store_.revoke_api_key(key_id, clock_.now()));
  std::lock_guard lock(mu_);
  cache_.erase(std::string(key_id));
  return ok_status();
}

Result<Principal> KeyService::authenticate(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size()) return keys_detail::bad_key();
  // The scheme is case-insensitive (RFC 9110 §11.1).
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    char a = authorization[i], b = kBearer[i];
    if (a != b && !(a >= 'A' && a <= 'Z' && a + 32 == b) && !(a >= 'a' && a <= 'z' && a - 32 == b)) {
      return keys_detail::bad_key();
    }
  }
  std::string_view secret = authorization.substr(kBearer.size());
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
  auto id = key_id_of(secret);
  if (!id) return keys_detail::bad_key();
  std::string presented = keys_detail::hash_secret(secret);
  TimePoint now = clock_.now();
  std::string key(*id);
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) {
      if (!crypto::constant_time_equal(as_bytes(presented), as_bytes(it->second.secret_hash))) {
        return keys_detail::bad_key();
      }
      return it->second.principal;
    }
  }
  auto stored = store_.get_api_key(key);
  if (!stored) {
    if (stored.error().code == Errc::not_found) return keys_detail::bad_key();
    return std::move(stored).error();
  }
  if (stored->revoked_at || !crypto::constant_time_equal(as_bytes(presented), as_bytes(stored->secret_hash))) {
    return keys_detail::bad_key();
  }
  Principal p{stored->tenant_id, stored->role, stored->id};
  std::lock_guard lock(mu_);
  if (cache_.size() >= keys_detail::kMaxCacheEntries) cache_.clear();
  cache_[key] = Cached{stored->secret_hash, p, now + std::chrono::duration_cast<Duration>(kCacheTtl)};
  return p;
}

}  // namespace esimo::api
