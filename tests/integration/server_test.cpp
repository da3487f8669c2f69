// The real `esimo` binary: `serve` on port 0 next to the CLI on the same data directory, over HTTP(S).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <thread>

#include "domain/identifiers.hpp"
#include "harness.hpp"

namespace esimo::itest {
namespace {

using namespace std::chrono_literals;

std::string eid_n(int n) {
  char prefix[31];
  std::snprintf(prefix, sizeof prefix, "890490320000000000000%09d", n);
  return domain::Eid::from_prefix30(prefix)->str();
}

// 19-digit ICCID (89 55 ...) with its Luhn check digit.
std::string iccid_n(int n) {
  char body[19];
  std::snprintf(body, sizeof body, "895506%012d", n);
  return domain::Iccid::from_payload(body)->str();  // Luhn check digit
}

boost::json::value parse(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

class ServeTest : public ::testing::Test {
 protected:
  void start(Server::Options options = {}) {
    server_ = std::make_unique<Server>(data_dir(), std::move(options));
    ASSERT_TRUE(server_->started()) << server_->startup_error();
    client_ = server_->client();
    ASSERT_NE(client_, nullptr);
  }
  std::filesystem::path data_dir() const { return tmp_ / "data"; }
  Result<http::Response> get(const std::string& target, const std::string& key) {
    return client_->request(http::Method::get, target, bearer(key));
  }

  TempDir tmp_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<net::HttpClient> client_;
};

TEST_F(ServeTest, AnswersHealthReadinessMetricsAndOpenApiAndPrintsAnAdminKey) {
  start();
  EXPECT_EQ(server_->admin_key().rfind("esk_", 0), 0u) << server_->process().out();
  auto out = server_->process().out();
  EXPECT_NE(out.find("/v1/openapi.json"), std::string::npos);
  EXPECT_NE(out.find("/metrics"), std::string::npos);
  EXPECT_NE(out.find("/healthz"), std::string::npos);

  auto health = client_->request(http::Method::get, "/healthz");
  ASSERT_TRUE(health.ok()) << health.error().message;
  EXPECT_EQ(health->status, 200);
  auto ready = client_->request(http::Method::get, "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  auto openapi = client_->request(http::Method::get, "/v1/openapi.json");
  ASSERT_TRUE(openapi.ok());
  EXPECT_EQ(openapi->status, 200);
  EXPECT_TRUE(parse(openapi->body).is_object());
  auto metrics = client_->request(http::Method::get, "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("# TYPE"), std::string::npos);
}

TEST_F(ServeTest, KeyCreatedByTheCliWhileServingWorksAtOnceAndBadKeysAre401) {
  start();
  auto created = run_esimo({"keys", "create", "--data-dir", data_dir().string(), "--tenant", "acme", "--role", "viewer",
                            "--label", "itest"});
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string key = created.last_line();
  ASSERT_EQ(key.rfind("esk_", 0), 0u) << created.out;

  auto ok = get("/v1/devices", key);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200) << ok->body;

  auto bad = get("/v1/devices", key.substr(0, key.size() - 1) + (key.back() == 'A' ? "B" : "A"));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 401);
  auto none = client_->request(http::Method::get, "/v1/devices");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 401);
  auto junk = get("/v1/devices", "not-a-key");
  ASSERT_TRUE(junk.ok());
  EXPECT_EQ(junk->status, 401);

  // A viewer reads but does not write.
  auto write = client_->request(http::Method::post, "/v1/devices", bearer(key),
                                R"({"eid":")" + eid_n(1) + R"(","name":"x"})");
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(write->status, 403) << write->body;

  auto listed = run_esimo({"keys", "list", "--data-dir", data_dir().string(), "--tenant", "acme"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find("itest"), std::string::npos);
  EXPECT_EQ(listed.out.find(key), std::string::npos);  // secrets are never shown again
}

TEST_F(ServeTest, CarriersOfBrazilComeFromTheRealCatalog) {
  start();
  auto r = get("/v1/carriers?country=BR&limit=200", server_->admin_key());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->status, 200) << r->body;
  auto doc = parse(r->body);
  ASSERT_TRUE(doc.is_object());
  std::map<std::string, std::vector<std::string>> plmns_by_name;
  for (const auto& item : doc.at("items").as_array()) {
    std::vector<std::string> plmns;
    for (const auto& p : item.at("plmns").as_array()) plmns.emplace_back(p.as_string().c_str());
    plmns_by_name[item.at("name").as_string().c_str()] = plmns;
  }
  for (const char* name : {"Vivo", "Claro", "TIM"}) {
    ASSERT_TRUE(plmns_by_name.count(name)) << name << " missing from " << r->body;
    EXPECT_FALSE(plmns_by_name[name].empty()) << name;
    for (const auto& p : plmns_by_name[name]) EXPECT_EQ(p.rfind("724-", 0), 0u) << name << " " << p;
  }
  const auto& vivo = plmns_by_name["Vivo"];
  EXPECT_NE(std::find(vivo.begin(), vivo.end(), "724-06"), vivo.end());
}

TEST_F(ServeTest, CreatesDevicesImportsCsvAndTheCliSeesThem) {
  start();
  const auto& key = server_->admin_key();
  const std::string eid1 = eid_n(1);
  auto created = client_->request(
      http::Method::post, "/v1/devices", bearer(key),
      R"({"eid":")" + eid1 + R"(","name":"meter-1","tags":["water"],"profiles":[{"iccid":")" + iccid_n(1) +
          R"(","carrier":"724-06","state":"enabled"}]})");
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_EQ(created->status, 201) << created->body;

  std::string csv = "eid,name,group,tags,profiles\n";
  csv += eid_n(2) + ",meter-2,fleet,water;north," + iccid_n(2) + "@724-05\n";
  csv += eid_n(3) + ",meter-3,fleet,water," + iccid_n(3) + "@724-06\n";
  csv += "12345,broken,fleet,,\n";
  csv += eid1 + ",meter-1-renamed,fleet,water,\n";
  auto imported = client_->request(http::Method::post, "/v1/devices:import", bearer(key), csv, "text/csv");
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  ASSERT_EQ(imported->status, 200) << imported->body;
  auto report = parse(imported->body);
  ASSERT_TRUE(report.is_object()) << imported->body;
  EXPECT_EQ(report.at("imported").as_int64(), 2);
  EXPECT_EQ(report.at("updated").as_int64(), 1);
  ASSERT_EQ(report.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(report.at("rejected").as_array()[0].at("line").as_int64(), 4);

  auto one = get("/v1/devices/" + eid_n(2), key);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->status, 200) << one->body;
  auto renamed = get("/v1/devices/" + eid1, key);
  ASSERT_TRUE(renamed.ok());
  EXPECT_NE(renamed->body.find("meter-1-renamed"), std::string::npos) << renamed->body;

  // The CLI reads the same store while the server runs.
  auto list = run_esimo({"devices", "list", "--data-dir", data_dir().string()});
  ASSERT_EQ(list.code, 0) << list.err;
  for (int i = 1; i <= 3; ++i) EXPECT_NE(list.out.find(eid_n(i)), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("3 devices"), std::string::npos) << list.out;
  auto show = run_esimo({"devices", "show", eid_n(2), "--data-dir", data_dir().string(), "--json"});
  ASSERT_EQ(show.code, 0) << show.err;
  auto shown = parse(show.out);
  ASSERT_TRUE(shown.is_object()) << show.out;
  EXPECT_EQ(shown.at("name").as_string(), "meter-2");
  EXPECT_NE(show.out.find(iccid_n(2)), std::string::npos);
  auto missing = run_esimo({"devices", "show", eid_n(99), "--data-dir", data_dir().string()});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find(eid_n(99)), std::string::npos) << missing.err;
}

// Raw socket: send the headers and half of an import body, SIGTERM the server, then send the rest. The request is in
// flight when the signal arrives; a graceful drain answers it in full and then exits 0.
TEST_F(ServeTest, SigtermWhileARequestIsInFlightFinishesItAndExitsZero) {
  start();
  std::string body = "eid,name,group,tags\n";
  for (int i = 1; i <= 200; ++i) body += eid_n(i) + ",dev-" + std::to_string(i) + ",fleet,drain\n";
  const std::string head = "POST /v1/devices:import HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                           server_->admin_key() + "\r\nContent-Type: text/csv\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  // One full request first, so the server has surely accepted this connection before the import starts on it.
  const std::string warm = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_EQ(::send(fd, warm.data(), warm.size(), MSG_NOSIGNAL), static_cast<ssize_t>(warm.size()));
  std::string warm_response;
  while (warm_response.find("{\"status\"") == std::string::npos || warm_response.back() != '}') {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << warm_response;
    warm_response.append(buf, static_cast<std::size_t>(n));
  }
  ASSERT_EQ(warm_response.rfind("HTTP/1.1 200", 0), 0u) << warm_response;

  const std::string first = head + body.substr(0, body.size() / 2);
  ASSERT_EQ(::send(fd, first.data(), first.size(), MSG_NOSIGNAL), static_cast<ssize_t>(first.size()));
  std::this_thread::sleep_for(500ms);  // the server reads the headers and starts streaming the body into the importer

  server_->process().signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  const std::string rest = body.substr(body.size() / 2);
  ASSERT_EQ(::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL), static_cast<ssize_t>(rest.size()));

  std::string response;
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
    if (response.find("\"imported\"") != std::string::npos && response.find('}') != std::string::npos &&
        response.rfind('}') > response.find("\r\n\r\n"))
      break;
  }
  ::close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  EXPECT_NE(response.find("\"imported\":200"), std::string::npos) << response;

  auto code = server_->process().wait(30s);
  ASSERT_TRUE(code.has_value()) << "esimo serve did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << server_->process().err();
  EXPECT_NE(server_->process().err().find("shutting down"), std::string::npos);
}

TEST_F(ServeTest, RestartOnTheSameDataDirKeepsDataAndKeysAndDoesNotReseed) {
  start();
  const std::string key = server_->admin_key();
  const std::string eid = eid_n(7);
  auto created = client_->request(http::Method::post, "/v1/devices", bearer(key),
                                  R"({"eid":")" + eid + R"(","name":"survivor"})");
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_NE(server_->process().err().find("\"catalog_seeded\":true"), std::string::npos) << server_->process().err();
  auto code = server_->terminate();
  ASSERT_TRUE(code.has_value());
  ASSERT_EQ(*code, 0) << server_->process().err();

  Server::Options again;
  again.admin_key = false;
  start(again);
  auto r = get("/v1/devices/" + eid, key);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("survivor"), std::string::npos);
  EXPECT_NE(server_->process().err().find("\"catalog_seeded\":false"), std::string::npos) << server_->process().err();
  auto carriers = get("/v1/carriers?plmn=724-06", key);
  ASSERT_TRUE(carriers.ok());
  EXPECT_NE(carriers->body.find("Vivo"), std::string::npos) << carriers->body;
}

TEST_F(ServeTest, RevokedKeyIsRefusedOnceTheCacheExpires) {
  start();
  auto created = run_esimo({"keys", "create", "--data-dir", data_dir().string(), "--role", "operator"});
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string key = created.last_line();
  auto before = get("/v1/devices", key);
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->status, 200);

  auto revoked = run_esimo({"keys", "revoke", key, "--data-dir", data_dir().string()});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;  // the server caches a key for 1 s
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = get("/v1/devices", key);
    ASSERT_TRUE(r.ok());
    status = r->status;
    if (status == 401) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 401);
  auto listed = run_esimo({"keys", "list", "--data-dir", data_dir().string(), "--json"});
  ASSERT_EQ(listed.code, 0);
  auto doc = parse(listed.out);
  ASSERT_TRUE(doc.is_object()) << listed.out;
  bool seen_revoked = false;
  for (const auto& k : doc.at("items").as_array()) {
    if (key.find(k.at("id").as_string().c_str()) != std::string::npos) seen_revoked = !k.at("revoked_at").is_null();
  }
  EXPECT_TRUE(seen_revoked) << listed.out;
  auto again = run_esimo({"keys", "revoke", "key_doesnotexist", "--data-dir", data_dir().string()});
  EXPECT_EQ(again.code, 1);
}

TEST_F(ServeTest, ServesHttpsWithTheConfiguredCertificate) {
  const auto cert = tmp_ / "cert.pem";
  const auto key = tmp_ / "key.pem";
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
                          "/CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                          key.string() + " -out " + cert.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Server::Options options;
  options.extra_args = {"--tls-cert", cert.string(), "--tls-key", key.string()};
  server_ = std::make_unique<Server>(data_dir(), options);
  ASSERT_TRUE(server_->started()) << server_->startup_error();
  EXPECT_NE(server_->process().out().find("https://127.0.0.1:"), std::string::npos) << server_->process().out();

  net::ClientOptions tls;
  tls.tls = true;
  tls.ca_file = cert.string();
  auto client = server_->client(tls);
  ASSERT_NE(client, nullptr);
  auto health = client->request(http::Method::get, "/healthz");
  ASSERT_TRUE(health.ok()) << health.error().message;
  EXPECT_EQ(health->status, 200);
  auto carriers = client->request(http::Method::get, "/v1/carriers?country=BR", bearer(server_->admin_key()));
  ASSERT_TRUE(carriers.ok()) << carriers.error().message;
  EXPECT_EQ(carriers->status, 200);

  // The same certificate is not trusted without the CA file.
  net::ClientOptions untrusted;
  untrusted.tls = true;
  auto refused = net::HttpClient::connect("127.0.0.1", server_->port(), untrusted);
  if (refused.ok()) {
    auto r = (*refused)->request(http::Method::get, "/healthz");
    EXPECT_FALSE(r.ok());
  }
  auto code = server_->terminate();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST_F(ServeTest, AnAddressInUseIsAClearErrorNotAHang) {
  start();
  auto r = run_esimo({"serve", "--data-dir", data_dir().string(), "--listen",
                      "127.0.0.1:" + std::to_string(server_->port())});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(std::to_string(server_->port())), std::string::npos) << r.err;
  // The first server is unaffected.
  auto health = client_->request(http::Method::get, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
}

TEST_F(ServeTest, EnvironmentAndConfigFileConfigureTheServer) {
  const auto file = tmp_ / "esimo.toml";
  write_file(file, "log_level = \"warn\"\n[server]\nthreads = 3\n");
  Server::Options options;
  options.extra_args = {"--config", file.string()};
  options.env.vars["ESIMO_LOG_LEVEL"] = "info";  // env beats the file: the info "listening" line is logged
  start(options);
  EXPECT_NE(server_->process().err().find("\"threads\":3"), std::string::npos) << server_->process().err();

  const auto bad = tmp_ / "bad.toml";
  write_file(bad, "data_dir = \"x\"\n[server]\nlisten_port = 8080\n");
  auto r = run_esimo({"serve", "--config", bad.string(), "--data-dir", (tmp_ / "other").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(bad.string() + ":3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("server.listen_port"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace esimo::itest
