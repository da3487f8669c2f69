// SGP.22 download messages (sgp/rsp22.hpp): golden vectors (tests/unit/sgp/rsp22_vectors/rsp22.txt, "hex -> decoded
// text" like the SGP.32 vectors), round trips, every truncation rejected, and small encodings checked by hand against
// the ASN.1 (RSPDefinitions, AUTOMATIC TAGS). ESIMO_REGEN_VECTORS=1 rewrites the vector file from the corpus below.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "sgp/rsp22.hpp"

namespace esimo::sgp::rsp22 {
namespace {

Bytes fill(std::size_t n, std::uint8_t start) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
  return b;
}
// A small well-formed stand-in for a certificate: SEQUENCE { INTEGER 1 }.
Bytes fake_cert(std::uint8_t v) { return Bytes{0x30, 0x03, 0x02, 0x01, v}; }
Bytes iccid() { return Bytes{0x98, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xF9}; }
Bytes point(std::uint8_t v) {
  Bytes b = fill(65, v);
  b[0] = 0x04;
  return b;
}

CtxParams1 ctx() {
  CtxParams1 c;
  c.matching_id = "MATCH-1";
  c.device_info.tac = Bytes{0x35, 0x29, 0x06, 0x11};
  c.device_info.device_capabilities = Bytes{0x80, 0x03, 0x0F, 0x00, 0x00};
  return c;
}

struct Entry {
  std::string name;
  std::function<Result<Bytes>()> encode;
  std::function<Result<std::string>(ByteView)> decode_text;
};

template <class T, class Decode>
Entry entry(std::string name, T value, Decode decode) {
  return Entry{std::move(name), [value] { return rsp22::encode(value); },
               [decode](ByteView der) -> Result<std::string> {
                 ESIMO_TRY(auto m, decode(der));
                 return to_text(m);
               }};
}

std::vector<Entry> corpus() {
  std::vector<Entry> out;
  EuiccInfo1 info1{Bytes{2, 3, 0}, {fill(20, 0xA0)}, {fill(20, 0xA0)}};
  out.push_back(entry("euiccInfo1", info1, decode_euicc_info1));

  AuthenticateServerRequest asr;
  asr.server_signed1 = {fill(16, 0x10), fill(16, 0x20), "smdp.example.test", fill(16, 0x30)};
  asr.server_signature1 = fill(64, 0x40);
  asr.euicc_ci_pkid_to_be_used = fill(20, 0xA0);
  asr.server_certificate = fake_cert(1);
  asr.ctx_params1 = ctx();
  out.push_back(entry("authenticateServerRequest", asr, decode_authenticate_server_request));

  AuthenticateResponseOk ok1;
  ok1.euicc_signed1.transaction_id = fill(16, 0x10);
  ok1.euicc_signed1.server_address = "smdp.example.test";
  ok1.euicc_signed1.server_challenge = fill(16, 0x30);
  ok1.euicc_signed1.euicc_info2 = Bytes{0xBF, 0x22, 0x05, 0x81, 0x03, 0x02, 0x03, 0x01};
  ok1.euicc_signed1.ctx_params1 = ctx();
  ok1.euicc_signature1 = fill(64, 0x50);
  ok1.euicc_certificate = fake_cert(2);
  ok1.eum_certificate = fake_cert(3);
  out.push_back(entry("authenticateServerResponse ok", AuthenticateServerResponse(ok1),
                      decode_authenticate_server_response));
  out.push_back(entry("authenticateServerResponse error",
                      AuthenticateServerResponse(AuthenticateResponseError{fill(16, 0x10), 6}),
                      decode_authenticate_server_response));

  PrepareDownloadRequest pdr;
  pdr.smdp_signed2 = {fill(16, 0x10), true, std::nullopt};
  pdr.smdp_signature2 = fill(64, 0x60);
  pdr.hash_cc = fill(32, 0x70);
  pdr.smdp_certificate = fake_cert(4);
  out.push_back(entry("prepareDownloadRequest", pdr, decode_prepare_download_request));

  PrepareDownloadResponseOk pok;
  pok.euicc_signed2 = {fill(16, 0x10), point(0x01), fill(32, 0x70)};
  pok.euicc_signature2 = fill(64, 0x80);
  out.push_back(entry("prepareDownloadResponse ok", PrepareDownloadResponse(pok), decode_prepare_download_response));
  out.push_back(entry("prepareDownloadResponse error",
                      PrepareDownloadResponse(PrepareDownloadResponseError{fill(16, 0x10), 2}),
                      decode_prepare_download_response));

  StoreMetadataRequest smr;
  smr.iccid = iccid();
  smr.service_provider_name = "Carrier";
  smr.profile_name = "IoT profile";
  smr.profile_class = 2;
  smr.notification_configuration_info.push_back({1u << 0, "smdp.example.test"});
  smr.profile_owner = OperatorId{Bytes{0x32, 0xF4, 0x51}, std::nullopt, std::nullopt};
  out.push_back(entry("storeMetadataRequest", smr, decode_store_metadata_request));

  BoundProfilePackage bpp;
  bpp.initialise_secure_channel.transaction_id = fill(16, 0x10);
  bpp.initialise_secure_channel.control_ref_template = {Bytes{0x88}, Bytes{0x10}, Bytes{0x01}};
  bpp.initialise_secure_channel.smdp_otpk = point(0x02);
  bpp.initialise_secure_channel.smdp_sign = fill(64, 0x90);
  bpp.first_sequence_of_87 = {Bytes{0xBF, 0x24, 0x00}};
  bpp.sequence_of_88 = {Bytes{0x01, 0x02}};
  bpp.sequence_of_86 = {Bytes{0x03}, Bytes{0x04, 0x05}};
  out.push_back(entry("boundProfilePackage", bpp, decode_bound_profile_package));

  ProfileInstallationResult pir;
  pir.data.transaction_id = fill(16, 0x10);
  pir.data.notification_metadata = {7, 1u << 0, "smdp.example.test", iccid()};
  pir.data.smdp_oid = "2.999.10";
  pir.data.final_result = SuccessResult{fill(16, 0xA0), Bytes{}};
  pir.euicc_sign_pir = fill(64, 0xB0);
  out.push_back(entry("profileInstallationResult success", pir, decode_profile_installation_result));
  pir.data.final_result = ErrorResult{5, 10, std::nullopt};
  out.push_back(entry("profileInstallationResult error", pir, decode_profile_installation_result));

  out.push_back(entry("cancelSessionRequest", CancelSessionRequest{fill(16, 0x10), 5}, decode_cancel_session_request));
  CancelSessionResponseOk cok;
  cok.signed_data = {fill(16, 0x10), "2.999.10", 5};
  cok.signature = fill(64, 0xC0);
  out.push_back(entry("cancelSessionResponse ok", CancelSessionResponse(cok), decode_cancel_session_response));
  out.push_back(entry("cancelSessionResponse error", CancelSessionResponse(CancelSessionResponseError{5}),
                      decode_cancel_session_response));
  return out;
}

const std::filesystem::path kFile = std::filesystem::path(ESIMO_SOURCE_DIR) / "tests/unit/sgp/rsp22_vectors/rsp22.txt";

struct Vector {
  std::string hex;
  std::string text;
};

std::map<std::string, Vector> read_file() {
  std::ifstream in(kFile);
  std::map<std::string, Vector> out;
  std::string line, name;
  enum { none, hex, text } state = none;
  while (std::getline(in, line)) {
    if (line.rfind("== ", 0) == 0) {
      name = line.substr(3);
      state = hex;
    } else if (state == hex) {
      if (line == "->") {
        state = text;
      } else {
        out[name].hex += line;
      }
    } else if (state == text) {
      if (line.empty()) {
        state = none;
      } else {
        out[name].text += line + "\n";
      }
    }
  }
  return out;
}

TEST(Rsp22Vectors, RegenerateIfAsked) {
  if (!std::getenv("ESIMO_REGEN_VECTORS")) GTEST_SKIP() << "set ESIMO_REGEN_VECTORS=1 to rewrite the vector file";
  std::string body;
  for (const auto& e : corpus()) {
    auto der = e.encode();
    ASSERT_TRUE(der.ok()) << e.name << ": " << der.error().message;
    auto text = e.decode_text(*der);
    ASSERT_TRUE(text.ok()) << e.name << ": " << text.error().message;
    body += "== " + e.name + "\n" + to_hex(*der) + "\n->\n" + *text + "\n";
  }
  std::filesystem::create_directories(kFile.parent_path());
  std::ofstream(kFile) << body;
}

TEST(Rsp22Vectors, EncodeDecodeAndTextMatchTheFile) {
  const auto vectors = read_file();
  const auto entries = corpus();
  ASSERT_EQ(vectors.size(), entries.size());
  for (const auto& e : entries) {
    SCOPED_TRACE(e.name);
    auto it = vectors.find(e.name);
    ASSERT_NE(it, vectors.end());
    auto der = e.encode();
    ASSERT_TRUE(der.ok()) << der.error().message;
    EXPECT_EQ(to_hex(*der), it->second.hex);
    auto wire = from_hex(it->second.hex);
    ASSERT_TRUE(wire.ok());
    auto text = e.decode_text(*wire);
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_EQ(*text, it->second.text);
  }
}

TEST(Rsp22Vectors, EveryTruncationIsRejected) {
  for (const auto& e : corpus()) {
    auto der = e.encode();
    ASSERT_TRUE(der.ok());
    for (std::size_t n = 0; n < der->size(); ++n) {
      auto r = e.decode_text(ByteView(der->data(), n));
      EXPECT_FALSE(r.ok()) << e.name << " truncated to " << n << " bytes decoded";
      if (!r.ok()) {
        EXPECT_EQ(r.error().code, Errc::parse_error);
      }
    }
    Bytes longer = *der;
    longer.push_back(0x00);
    EXPECT_FALSE(e.decode_text(longer).ok()) << e.name << " with a trailing byte decoded";
  }
}

// Hand-checked encodings.
TEST(Rsp22Encoding, CancelSessionRequestUsesAutomaticTags) {
  // CancelSessionRequest ::= [65] SEQUENCE { transactionId TransactionId, reason CancelSessionReason }: both untagged,
  // so automatic tags [0] 80 and [1] 81.
  auto der = encode(CancelSessionRequest{Bytes{0x01, 0x02}, 5});
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf41078002010281010" "5");
}

TEST(Rsp22Encoding, CancelSessionResponseErrorIsAnImplicitInteger) {
  // CancelSessionResponse ::= [65] CHOICE {..., cancelSessionResponseError INTEGER}: [1] -> 81, wrapped by BF41.
  auto der = encode(CancelSessionResponse(CancelSessionResponseError{5}));
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf4103810105");
  auto alt = encode_cancel_session_response_alternative(CancelSessionResponse(CancelSessionResponseError{127}));
  ASSERT_TRUE(alt.ok());
  EXPECT_EQ(to_hex(*alt), "81017f");
}

TEST(Rsp22Encoding, PrepareDownloadErrorIsWrappedInA1) {
  auto der = encode(PrepareDownloadResponse(PrepareDownloadResponseError{Bytes{0xAB}, 2}));
  ASSERT_TRUE(der.ok());
  // BF21 { A1 { 80 01 AB, 02 01 02 } }
  EXPECT_EQ(to_hex(*der), "bf2108a106" "8001ab" "020102");
}

TEST(Rsp22Encoding, DefaultProfileClassIsNotEncoded) {
  StoreMetadataRequest m;
  m.iccid = iccid();
  auto der = encode(m);
  ASSERT_TRUE(der.ok());
  EXPECT_EQ(to_hex(*der), "bf2510" "5a0a984400000000000010f9" "9100" "9200");
  // An explicit operational(2) is not DER.
  auto bad = from_hex("bf2513" "5a0a984400000000000010f9" "9100" "9200" "950102").value();
  auto r = decode_store_metadata_request(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("profileClass"), std::string::npos);
}

TEST(Rsp22Encoding, IscSignedPartIsKeptByTheDecoder) {
  BoundProfilePackage bpp;
  bpp.initialise_secure_channel.transaction_id = Bytes{0x01};
  bpp.initialise_secure_channel.control_ref_template = {Bytes{0x88}, Bytes{0x10}, Bytes{0x01}};
  bpp.initialise_secure_channel.smdp_otpk = point(0x02);
  bpp.initialise_secure_channel.smdp_sign = fill(64, 0x90);
  auto der = encode(bpp);
  ASSERT_TRUE(der.ok());
  auto back = decode_bound_profile_package(*der);
  ASSERT_TRUE(back.ok()) << back.error().message;
  auto part = encode_initialise_secure_channel_signed_part(bpp.initialise_secure_channel);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(back->initialise_secure_channel.signed_part_der, *part);
  // remoteOpId [2] 82 01 01 first.
  EXPECT_EQ(to_hex(ByteView(part->data(), 3)), "820101");
}

TEST(Rsp22Encoding, UnknownAlternativesAndSizesAreNamed) {
  // BF38 with an A2 alternative (SGP.32 compactAuthenticateResponseOk) is not supported.
  auto r = decode_authenticate_server_response(from_hex("bf3802a200").value());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown AuthenticateServerResponse alternative A2"), std::string::npos)
      << r.error().message;
  // euiccChallenge of 15 octets.
  auto c = decode_get_euicc_challenge_response(from_hex("bf2e11800f" + std::string(30, '0')).value());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("euiccChallenge"), std::string::npos);
}

}  // namespace
}  // namespace esimo::sgp::rsp22
