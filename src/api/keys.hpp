#pragma once
// API keys: creation, listing, revocation (the CLI `esimo keys ...`) and authentication of `Authorization: Bearer ...`
// (the REST service).
//
// A secret reads "esk_<key id>_<32 random [0-9A-Za-z]>", e.g. "esk_key_3kq8ZtLr0aB1_Xc...". The key id is its public
// part (safe to log); the store keeps only hex SHA-256 of the whole secret, compared in constant time.
//
// Cache: authenticate() keeps successful look-ups for 1 second (by key id). So a key revoked from the CLI on a running
// server stops working within 1 s, and a new key is accepted at once (a cache miss reads the store). Failures are not
// cached. Thread-safe: authenticate() is called from every server worker.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "domain/model.hpp"
#include "store/store.hpp"

namespace esimo::api {

struct Principal {
  domain::TenantId tenant = 0;
  domain::Role role = domain::Role::viewer;
  std::string key_id;
};

struct CreatedKey {
  domain::ApiKey key;
  std::string secret;  // shown once, never stored
};

class KeyService {
 public:
  static constexpr std::chrono::milliseconds kCacheTtl{1000};

  KeyService(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  Result<CreatedKey> create(domain::TenantId tenant, domain::Role role, std::string label);
  // Finds the tenant by name, creating it (with its root group) when it does not exist yet.
  Result<CreatedKey> create_for_tenant(std::string_view tenant_name, domain::Role role, std::string label);
  Result<std::vector<domain::ApiKey>> list(std::optional<domain::TenantId> tenant);
  Status revoke(std::string_view key_id);

  // `authorization` is the header value. unauthenticated (no detail about which part was wrong) when missing,
  // malformed, unknown, revoked or not matching.
  Result<Principal> authenticate(std::string_view authorization);

  // Splits "esk_<id>_<secret>" into the key id; nullopt when malformed.
  static std::optional<std::string_view> key_id_of(std::string_view secret);

 private:
  struct Cached {
    std::string secret_hash;
    Principal principal;
    TimePoint expires;
  };
  store::Store& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // guarded by mu_
};

}  // namespace esimo::api
