#pragma once
// In-process fixture for the REST API: a real SQLite store in a fresh temp dir, a small seeded catalog, two tenants
// (A "acme", B "globex") with one key per role, and helpers to call RestService::handle()/open_stream().
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "api/rest_service.hpp"
#include "base/clock.hpp"
#include "base/http_message.hpp"
#include "base/metrics.hpp"
#include "eim/eim_service.hpp"
#include "store/store.hpp"

namespace esimo::api::testing {

// Valid identifiers, distinct for distinct n.
std::string eid_n(std::uint64_t n);
std::string iccid_n(std::uint64_t n);

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // A fixture that returns true gets a real eim::EimService wired into the API (operations through the eIM).
  virtual bool use_eim() const { return false; }
  void TearDown() override;

  // A request through handle(). `target` is path[?query]; an empty key sends no Authorization header.
  http::Response call(http::Method method, std::string_view target, std::string_view key, std::string body = {},
                      std::string_view content_type = "application/json");
  http::Response get(std::string_view target, std::string_view key) { return call(http::Method::get, target, key); }
  http::Response post(std::string_view target, std::string_view key, std::string body,
                      std::string_view content_type = "application/json") {
    return call(http::Method::post, target, key, std::move(body), content_type);
  }
  // A streamed upload through open_stream(): the body is written in chunks of `chunk` bytes.
  http::Response stream(std::string_view target, std::string_view key, std::string_view body,
                        std::string_view content_type, std::size_t chunk = 7);

  // POST /v1/devices for tenant A (admin) with a minimal body; asserts 201.
  void create_device(std::string_view key, std::uint64_t n, std::string extra = {});
  // An operation stored directly (creating operations arrives with the eIM).
  std::string create_operation(domain::TenantId tenant, std::uint64_t eid_n, domain::OperationState state,
                               std::string type = "enable");

  static boost::json::value json(const http::Response& r);
  // The problem's code, or "" when the response is not a problem.
  static std::string code(const http::Response& r);
  static std::string field(const http::Response& r);
  std::size_t count_devices(domain::TenantId tenant);

  std::filesystem::path dir_;
  ManualClock clock_{TimePoint(std::chrono::seconds(1'795'000'000))};
  metrics::Registry metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<eim::EimService> eim_;
  std::unique_ptr<RestService> service_;
  domain::TenantId tenant_a_ = 0, tenant_b_ = 0;
  std::string a_admin_, a_operator_, a_viewer_, b_admin_, b_viewer_;
};

}  // namespace esimo::api::testing
