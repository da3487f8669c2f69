#pragma once
// Full eIM flows over real HTTP on loopback: the real `esimo serve --esipa-listen 127.0.0.1:0 --esipa-plain --pki DIR`
// in a child process, software eUICCs (twin::SoftwareEuicc) with their IPAs (twin::Ipa over HttpEsipaTransport) in
// the test process, devices and operations through the REST API.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/test_pki.hpp"
#include "harness.hpp"
#include "sgp/messages.hpp"
#include "twin/ipa.hpp"
#include "twin/software_euicc.hpp"

namespace esimo::itest {

std::string esipa_eid(int n);
std::string esipa_iccid(int n);

// One server (data dir + test PKI) shared by a test suite; each test uses its own EIDs and ICCIDs.
struct EsipaWorld {
  TempDir dir;
  std::optional<crypto::TestPki> pki;
  std::unique_ptr<Server> server;
  std::uint16_t esipa_port = 0;
  std::string eim_url() const { return "http://127.0.0.1:" + std::to_string(esipa_port); }
};

class EsipaFlowTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  static EsipaWorld* world_;

  // The AddInitialEimRequest this server exports (esimo eim config export) for `version`.
  static Bytes eim_config(sgp::Version version);

  // A software eUICC personalised for the server, its profiles ICCID(n) (the first enabled).
  std::unique_ptr<twin::SoftwareEuicc> make_euicc(int eid, sgp::Version version, const std::vector<int>& iccids,
                                                  const Bytes* config_override = nullptr);
  // POST /v1/devices with the same EID and profiles (the first enabled); asserts 201.
  void register_device(int eid, sgp::Version version, const std::vector<int>& iccids);

  // POST /v1/devices/{eid}/operations; returns the response.
  http::Response submit(int eid, const std::string& body, std::vector<http::Header> extra = {});
  // submit() that must answer 202; returns the operation id.
  std::string queue(int eid, const std::string& body);
  boost::json::object operation(const std::string& id);
  boost::json::object device(int eid);
  std::string active_iccid(int eid);

  // One IPA poll cycle until the eIM has nothing more.
  twin::PollReport poll(twin::SoftwareEuicc& euicc, twin::EsipaTransport* transport = nullptr);
  std::unique_ptr<twin::HttpEsipaTransport> transport(sgp::Version version);

  // POST to the ESipa listener with raw headers.
  http::Response esipa_post(const std::string& body, const std::string& admin_protocol,
                            const std::string& content_type = "application/x-gsma-rsp-asn1");

  std::unique_ptr<net::HttpClient> rest_;
};

// A transport that lets a test look at or change what goes over the wire.
class TapTransport final : public twin::EsipaTransport {
 public:
  TapTransport(twin::EsipaTransport& inner, sgp::Version version) : inner_(inner), version_(version) {}
  std::function<void(sgp::EsipaMessageFromIpaToEim&)> on_request;     // may change the message before it leaves
  std::function<void(const sgp::EsipaMessageFromEimToIpa&)> on_answer;  // sees each answer
  Result<Bytes> exchange(ByteView request_der) override;

 private:
  twin::EsipaTransport& inner_;
  sgp::Version version_;
};

}  // namespace esimo::itest
