#include "api_fixture.hpp"

#include <atomic>
#include <unistd.h>

#include "base/log.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/keys.hpp"
#include "domain/catalog.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace esimo::api::testing {

namespace fixture_detail {
std::string luhn_complete(const std::string& digits) {
  int sum = 0;
  bool dbl = true;  // the digit left of the check digit is doubled
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return digits + static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::string padded(std::uint64_t n, std::size_t width) {
  std::string s = std::to_string(n);
  return std::string(width - s.size(), '0') + s;
}
}  // namespace fixture_detail

std::string eid_n(std::uint64_t n) {
  return domain::Eid::from_prefix30("89049032" + fixture_detail::padded(n, 22)).value().str();
}

std::string iccid_n(std::uint64_t n) {
  return fixture_detail::luhn_complete("895506" + fixture_detail::padded(n, 12));
}

void ApiTest::SetUp() {
  log::set_level(log::Level::warn);
  static std::atomic<int> seq{0};
  dir_ = std::filesystem::temp_directory_path() /
         ("esimo_api_test_" + std::to_string(::getpid()) + "_" + std::to_string(seq++));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  store::SqliteOptions opts;
  opts.durable_commits = false;
  opts.clock = &clock_;
  auto s = store::open_sqlite_store(dir_, opts);
  ASSERT_TRUE(s.ok()) << s.error().message;
  store_ = std::move(s).value();

  auto country = [](std::string_view code, std::string name) {
    domain::Country c;
    c.code = domain::CountryCode::parse(code).value();
    c.name = std::move(name);
    return c;
  };
  auto carrier = [](std::string id, std::string name, std::vector<std::string_view> plmns, std::string_view cc) {
    domain::Carrier c;
    c.id = std::move(id);
    c.name = std::move(name);
    for (auto p : plmns) c.plmns.push_back(domain::Plmn::parse(p).value());
    c.countries.push_back(domain::CountryCode::parse(cc).value());
    return c;
  };
  ASSERT_TRUE(store_
                  ->seed_catalog({country("BR", "Brazil"), country("DE", "Germany"), country("FR", "France")},
                                 {carrier("br-vivo", "Vivo", {"724-06", "724-10"}, "BR"),
                                  carrier("br-claro", "Claro", {"724-05"}, "BR"),
                                  carrier("de-telekom", "Telekom", {"262-01"}, "DE")})
                  .ok());

  ApiOptions options;
  options.public_base_url = "http://api.test";
  options.body_limit = 64 * 1024;
  if (use_eim()) {
    eim::EimIdentity identity;
    identity.eim_id = "eim.api.test";
    identity.fqdn = "eim.api.test:8443";
    identity.signer = std::make_shared<crypto::SoftwareSigner>(crypto::PrivateKey::generate());
    eim_ = std::make_unique<eim::EimService>(*store_, clock_, std::move(identity), eim::EimOptions{}, metrics_);
    ASSERT_TRUE(eim_->load().ok());
  }
  service_ = std::make_unique<RestService>(ApiContext{*store_, clock_, metrics_, options, eim_.get()});
  auto& keys = service_->keys();
  auto mk = [&](std::string_view tenant, domain::Role role) {
    auto k = keys.create_for_tenant(tenant, role, "test");
    EXPECT_TRUE(k.ok());
    return k.ok() ? k.value() : CreatedKey{};
  };
  auto aa = mk("acme", domain::Role::admin);
  tenant_a_ = aa.key.tenant_id;
  a_admin_ = aa.secret;
  a_operator_ = mk("acme", domain::Role::operator_).secret;
  a_viewer_ = mk("acme", domain::Role::viewer).secret;
  auto ba = mk("globex", domain::Role::admin);
  tenant_b_ = ba.key.tenant_id;
  b_admin_ = ba.secret;
  b_viewer_ = mk("globex", domain::Role::viewer).secret;
  ASSERT_NE(tenant_a_, tenant_b_);
}

void ApiTest::TearDown() {
  service_.reset();
  eim_.reset();
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

namespace fixture_detail {
http::Request make_request(http::Method method, std::string_view target, std::string_view key,
                           std::string_view content_type) {
  http::Request req;
  req.method = method;
  req.target = std::string(target);
  auto q = target.find('?');
  req.path = http::percent_decode(target.substr(0, q), false);
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  if (!key.empty()) req.headers.push_back({"authorization", "Bearer " + std::string(key)});
  if (!content_type.empty()) req.headers.push_back({"content-type", std::string(content_type)});
  req.request_id = "req-test";
  return req;
}
}  // namespace fixture_detail

http::Response ApiTest::call(http::Method method, std::string_view target, std::string_view key, std::string body,
                             std::string_view content_type) {
  auto req = fixture_detail::make_request(method, target, key, content_type);
  req.body = std::move(body);
  return service_->handle(req);
}

http::Response ApiTest::stream(std::string_view target, std::string_view key, std::string_view body,
                               std::string_view content_type, std::size_t chunk) {
  auto req = fixture_detail::make_request(http::Method::post, target, key, content_type);
  auto sink = service_->open_stream(req);
  if (!sink) {
    ADD_FAILURE() << "open_stream returned no sink for " << target;
    return {};
  }
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    if (!sink->write(body.substr(i, chunk))) break;
  }
  return sink->finish();
}

void ApiTest::create_device(std::string_view key, std::uint64_t n, std::string extra) {
  std::string body = "{\"eid\":\"" + eid_n(n) + "\"" + (extra.empty() ? "" : "," + extra) + "}";
  auto r = post("/v1/devices", key, body);
  ASSERT_EQ(r.status, 201) << r.body;
}

std::string ApiTest::create_operation(domain::TenantId tenant, std::uint64_t n, domain::OperationState state,
                                      std::string type) {
  static std::atomic<int> seq{0};
  domain::Operation op;
  op.id = "op_test" + std::to_string(seq++);
  op.tenant_id = tenant;
  op.eid = domain::Eid::parse(eid_n(n)).value();
  op.type = std::move(type);
  op.params_json = "{\"iccid\":\"" + iccid_n(n) + "\"}";
  op.state = state;
  op.reason = "user:test";
  op.created_at = op.updated_at = clock_.now();
  auto st = store_->create_operation(op);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return op.id;
}

boost::json::value ApiTest::json(const http::Response& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec) ADD_FAILURE() << "not JSON: " << r.body;
  return v;
}

std::string ApiTest::code(const http::Response& r) {
  if (r.content_type != "application/problem+json") return {};
  auto v = json(r);
  const auto* c = v.is_object() ? v.as_object().if_contains("code") : nullptr;
  return c && c->is_string() ? std::string(c->as_string()) : std::string();
}

std::string ApiTest::field(const http::Response& r) {
  auto v = json(r);
  const auto* c = v.is_object() ? v.as_object().if_contains("field") : nullptr;
  return c && c->is_string() ? std::string(c->as_string()) : std::string();
}

std::size_t ApiTest::count_devices(domain::TenantId tenant) {
  store::Page page;
  page.limit = 1000;
  std::size_t n = 0;
  while (true) {
    auto p = store_->list_devices(tenant, {}, page);
    EXPECT_TRUE(p.ok());
    if (!p.ok()) return n;
    n += p->items.size();
    if (!p->next_after) return n;
    page.after = *p->next_after;
  }
}

}  // namespace esimo::api::testing
