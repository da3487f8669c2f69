#include <gtest/gtest.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/ecdh.hpp"
#include "crypto/ecdsa.hpp"
#include "crypto/keys.hpp"
#include "crypto/random.hpp"

namespace esimo::crypto {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

// RFC 6979 A.2.5: P-256 key and deterministic signatures with SHA-256.
constexpr std::string_view kRfcPoint =
    "04"
    "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
    "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";
constexpr std::string_view kRfcSampleSig =
    "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
    "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
constexpr std::string_view kRfcTestSig =
    "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
    "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083";
constexpr std::string_view kOrder = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
constexpr std::string_view kOrderMinus1 = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632550";

PublicKey rfc_key() { return PublicKey::from_uncompressed_point(hex(kRfcPoint)).value(); }

TEST(Ecdsa, Rfc6979SampleVectorVerifiesRawAndDer) {
  auto key = rfc_key();
  Bytes raw = hex(kRfcSampleSig);
  EXPECT_TRUE(verify_raw(key, as_bytes("sample"), raw).ok());
  auto der = raw_to_der(raw);
  ASSERT_TRUE(der.ok());
  // r and s both have the top bit set: each INTEGER carries a 0x00 pad, 2 + 2 * (2 + 33) bytes.
  EXPECT_EQ(der->size(), 72u);
  EXPECT_EQ((*der)[0], 0x30);
  EXPECT_EQ((*der)[1], 70);
  EXPECT_TRUE(verify_der(key, as_bytes("sample"), *der).ok());
  auto wrong = verify_raw(key, as_bytes("samplf"), raw);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::unauthenticated);
}

TEST(Ecdsa, Rfc6979TestVectorVerifiesWithShortS) {
  auto key = rfc_key();
  Bytes raw = hex(kRfcTestSig);
  EXPECT_TRUE(verify_raw(key, as_bytes("test"), raw).ok());
  auto der = raw_to_der(raw);
  ASSERT_TRUE(der.ok());
  // s = 019F... : no pad, 32 bytes; r = F1...: padded, 33 bytes.
  EXPECT_EQ(der->size(), 2u + 35u + 34u);
  EXPECT_TRUE(verify_der(key, as_bytes("test"), *der).ok());
  EXPECT_FALSE(verify_raw(key, as_bytes("sample"), raw).ok());
}

TEST(Ecdsa, SignVerifyBothForms) {
  PrivateKey key = PrivateKey::generate();
  PublicKey pub = key.public_key();
  Bytes msg = random_bytes(200);
  auto raw = sign_raw(key, msg);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), kRawSignatureSize);
  EXPECT_TRUE(verify_raw(pub, msg, *raw).ok());
  auto der = sign_der(key, msg);
  ASSERT_TRUE(der.ok());
  EXPECT_TRUE(verify_der(pub, msg, *der).ok());
  // Cross forms through the converters.
  EXPECT_TRUE(verify_der(pub, msg, raw_to_der(*raw).value()).ok());
  EXPECT_TRUE(verify_raw(pub, msg, der_to_raw(*der).value()).ok());
}

TEST(Ecdsa, TamperedMessageSignatureOrKeyRejected) {
  PrivateKey key = PrivateKey::generate();
  PublicKey pub = key.public_key();
  ByteView text = as_bytes("EuiccPackageSigned || associationToken");
  Bytes msg(text.begin(), text.end());
  Bytes raw = sign_raw(key, msg).value();

  Bytes msg2 = msg;
  msg2[3] ^= 0x01;
  auto r1 = verify_raw(pub, msg2, raw);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, Errc::unauthenticated);

  Bytes sig2 = raw;
  sig2[40] ^= 0x01;  // inside s
  auto r2 = verify_raw(pub, msg, sig2);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, Errc::unauthenticated);

  auto r3 = verify_raw(PrivateKey::generate().public_key(), msg, raw);
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, Errc::unauthenticated);

  Bytes der = raw_to_der(raw).value();
  der[der.size() - 1] ^= 0x01;
  auto r4 = verify_der(pub, msg, der);
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().code, Errc::unauthenticated);
}

TEST(Ecdsa, SignerAndVerifierReuseContexts) {
  SoftwareSigner signer(PrivateKey::generate());
  Signer& iface = signer;
  Verifier verifier(iface.public_key());
  for (int i = 0; i < 5; ++i) {
    Bytes msg = random_bytes(static_cast<std::size_t>(10 + i));
    auto sig = iface.sign_raw(msg);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(verifier.verify_raw(msg, *sig).ok()) << i;
    EXPECT_TRUE(verifier.verify_der(msg, raw_to_der(*sig).value()).ok()) << i;
    msg.push_back(0);
    EXPECT_EQ(verifier.verify_raw(msg, *sig).error().code, Errc::unauthenticated) << i;
  }
  auto der = signer.sign_der(as_bytes("x"));
  ASSERT_TRUE(der.ok());
  EXPECT_TRUE(verify_der(signer.public_key(), as_bytes("x"), *der).ok());
}

TEST(Ecdsa, SignerAndVerifierAreSafeToShareBetweenThreads) {
  SoftwareSigner signer(PrivateKey::generate());
  Verifier verifier(signer.public_key());
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<int> good(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Bytes msg = random_bytes(32);
        auto sig = signer.sign_raw(msg);
        if (sig.ok() && verifier.verify_raw(msg, *sig).ok()) ++good[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(good[static_cast<std::size_t>(t)], kPerThread) << t;
}

TEST(Ecdsa, SoftwareSignerLoadsPemFileAndNamesMissingFile) {
  auto dir = std::filesystem::temp_directory_path() / ("esimo_ecdsa_" + random_alnum(10));
  std::filesystem::create_directories(dir);
  PrivateKey key = PrivateKey::generate();
  {
    std::ofstream(dir / "eim.key.pem") << key.to_pem();
  }
  auto signer = SoftwareSigner::load_pem_file(dir / "eim.key.pem");
  ASSERT_TRUE(signer.ok());
  EXPECT_TRUE((*signer)->public_key() == key.public_key());
  auto missing = SoftwareSigner::load_pem_file(dir / "nope.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// ---- raw <-> DER ----

TEST(EcdsaEncoding, RawRoundTripsThroughDer) {
  for (int i = 0; i < 50; ++i) {
    Bytes raw = random_bytes(64);
    raw[0] &= 0x7F;  // keep r < n
    raw[32] &= 0x7F;
    if (i % 3 == 0) raw[0] = raw[1] = 0;  // leading zeros: shorter INTEGER
    if (i % 5 == 0) raw[32] = 0x80;       // top bit set: 0x00 pad
    raw[31] |= 1;
    raw[63] |= 1;
    auto der = raw_to_der(raw);
    ASSERT_TRUE(der.ok()) << der.error().message;
    auto back = der_to_raw(*der);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, raw);
  }
}

TEST(EcdsaEncoding, SmallestScalarsEncodeMinimally) {
  Bytes raw(64, 0);
  raw[31] = 1;
  raw[63] = 0x7F;
  EXPECT_EQ(to_hex(raw_to_der(raw).value()), "300602010102017f");
  raw[63] = 0x80;
  EXPECT_EQ(to_hex(raw_to_der(raw).value()), "300702010102020080");
}

TEST(EcdsaEncoding, RawRejectsWrongLengthAndOutOfRange) {
  EXPECT_EQ(raw_to_der(Bytes(63, 1)).error().code, Errc::invalid_argument);
  EXPECT_EQ(raw_to_der(Bytes(65, 1)).error().code, Errc::invalid_argument);
  EXPECT_FALSE(raw_to_der(Bytes()).ok());
  Bytes ones(32, 0);
  ones[31] = 1;
  auto join = [](const Bytes& a, const Bytes& b) {
    Bytes out = a;
    out.insert(out.end(), b.begin(), b.end());
    return out;
  };
  Bytes zero(32, 0);
  EXPECT_EQ(raw_to_der(join(zero, ones)).error().field, "r");
  EXPECT_EQ(raw_to_der(join(ones, zero)).error().field, "s");
  EXPECT_EQ(raw_to_der(join(hex(kOrder), ones)).error().field, "r");
  EXPECT_EQ(raw_to_der(join(ones, hex(kOrder))).error().field, "s");
  EXPECT_EQ(raw_to_der(join(Bytes(32, 0xFF), ones)).error().field, "r");
  EXPECT_TRUE(raw_to_der(join(hex(kOrderMinus1), hex(kOrderMinus1))).ok());
  // verify_raw applies the same checks before any curve arithmetic.
  EXPECT_EQ(verify_raw(rfc_key(), as_bytes("sample"), join(zero, ones)).error().code, Errc::invalid_argument);
}

TEST(EcdsaEncoding, DerRejectsNonCanonicalForms) {
  auto rejects = [](std::string_view h) {
    auto r = der_to_raw(hex(h));
    if (r.ok()) return false;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << h;
    return true;
  };
  EXPECT_TRUE(der_to_raw(hex("3006020101020101")).ok());
  EXPECT_TRUE(rejects(""));
  EXPECT_TRUE(rejects("30"));
  EXPECT_TRUE(rejects("3106020101020101"));            // not a SEQUENCE
  EXPECT_TRUE(rejects("3007020101020101"));            // length larger than content
  EXPECT_TRUE(rejects("300602010102010100"));          // trailing byte
  EXPECT_TRUE(rejects("308106020101020101"));          // long-form length
  EXPECT_TRUE(rejects("3007020200010201 01"));        // leading 0x00 before a byte < 0x80
  EXPECT_TRUE(rejects("3006020181020101"));            // negative r
  EXPECT_TRUE(rejects("3006020100020101"));            // r = 0
  EXPECT_TRUE(rejects("3006020101020100"));            // s = 0
  EXPECT_TRUE(rejects("30050200020101"));              // zero-length INTEGER
  EXPECT_TRUE(rejects("3006040101020101"));            // OCTET STRING instead of INTEGER
  EXPECT_TRUE(rejects("3003020101"));                  // s missing
  EXPECT_TRUE(rejects("3006020101020201"));            // s truncated
  // r = n (33 bytes with pad) and a 34-byte INTEGER.
  EXPECT_TRUE(rejects("3026022100" + std::string(kOrder) + "020101"));
  EXPECT_TRUE(rejects("302702220001" + std::string(kOrderMinus1).substr(0) + "020101"));
  EXPECT_TRUE(der_to_raw(hex("3026022100" + std::string(kOrderMinus1) + "020101")).ok());
  // verify_der refuses a non-minimal encoding of a valid signature.
  Bytes raw = hex(kRfcTestSig);
  Bytes der = raw_to_der(raw).value();  // 30 45 02 21 00 F1.. 02 20 01 9F..
  Bytes padded = {0x30, static_cast<std::uint8_t>(der[1] + 1)};
  padded.insert(padded.end(), der.begin() + 2, der.begin() + 2 + 35);
  padded.insert(padded.end(), {0x02, 0x21, 0x00});
  padded.insert(padded.end(), der.begin() + 2 + 35 + 2, der.end());
  ASSERT_EQ(padded.size(), der.size() + 1);
  EXPECT_EQ(verify_der(rfc_key(), as_bytes("test"), padded).error().code, Errc::invalid_argument);
  EXPECT_TRUE(verify_der(rfc_key(), as_bytes("test"), der).ok());
}

// ---- keys ----

TEST(Keys, PrivatePemRoundTrip) {
  PrivateKey key = PrivateKey::generate();
  std::string pem = key.to_pem();
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  auto back = PrivateKey::from_pem(pem);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->public_key() == key.public_key());
  // A signature by the reloaded key verifies under the original public key.
  EXPECT_TRUE(verify_raw(key.public_key(), as_bytes("m"), sign_raw(*back, as_bytes("m")).value()).ok());
}

// SEC1 "EC PRIVATE KEY" PEM of `priv`'s scalar carrying `point` as its publicKey (RFC 5915 §3).
std::string sec1_pem(const PrivateKey& priv, const Bytes& point) {
  BIGNUM* d = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(priv.native(), "priv", &d), 1);
  unsigned char scalar[32];
  EXPECT_EQ(BN_bn2binpad(d, scalar, 32), 32);
  BN_clear_free(d);
  Bytes der{0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20};
  der.insert(der.end(), scalar, scalar + 32);
  for (std::uint8_t b : {0xA0, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0xA1, 0x44, 0x03, 0x42, 0x00})
    der.push_back(b);
  der.insert(der.end(), point.begin(), point.end());
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  b64.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(), static_cast<int>(der.size()))));
  std::string pem = "-----BEGIN EC PRIVATE KEY-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END EC PRIVATE KEY-----\n";
}

TEST(Keys, PrivatePemWhosePublicKeyIsAnotherKeysIsRejected) {
  const PrivateKey a = PrivateKey::generate();
  const PrivateKey b = PrivateKey::generate();
  auto own = PrivateKey::from_pem(sec1_pem(a, a.public_key().to_uncompressed_point()));
  ASSERT_TRUE(own.ok()) << own.error().message;  // the construction itself is a valid key file
  EXPECT_TRUE(own->public_key() == a.public_key());
  auto mixed = PrivateKey::from_pem(sec1_pem(a, b.public_key().to_uncompressed_point()));
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().code, Errc::invalid_argument);
}

TEST(Keys, BadPemRejected) {
  EXPECT_EQ(PrivateKey::from_pem("").error().code, Errc::parse_error);
  EXPECT_EQ(PrivateKey::from_pem("not a key").error().code, Errc::parse_error);
  std::string pem = PrivateKey::generate().to_pem();
  std::string broken = pem;
  broken[40] = broken[40] == 'A' ? 'B' : 'A';  // corrupt the base64 body
  EXPECT_FALSE(PrivateKey::from_pem(broken).ok());
  EXPECT_FALSE(PrivateKey::from_pem(pem.substr(0, pem.size() / 2)).ok());
  // A public key PEM is not a private key, and vice versa.
  std::string pub_pem = PrivateKey::generate().public_key().to_pem();
  EXPECT_FALSE(PrivateKey::from_pem(pub_pem).ok());
  EXPECT_TRUE(PublicKey::from_pem(pub_pem).ok());
  EXPECT_FALSE(PublicKey::from_pem("garbage").ok());
}

TEST(Keys, OtherCurvesRejected) {
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  ASSERT_NE(p384, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, p384, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  unsigned char* spki = nullptr;
  int spki_len = i2d_PUBKEY(p384, &spki);
  ASSERT_GT(spki_len, 0);
  Bytes spki_der(spki, spki + spki_len);
  OPENSSL_free(spki);
  BIO_free(bio);
  EVP_PKEY_free(p384);
  auto k = PrivateKey::from_pem(pem);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().code, Errc::unsupported);
  auto p = PublicKey::from_spki_der(spki_der);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::unsupported);
}

TEST(Keys, LoadPemFileErrorsNameTheFile) {
  auto dir = std::filesystem::temp_directory_path() / ("esimo_keys_" + random_alnum(10));
  std::filesystem::create_directories(dir);
  auto missing = PrivateKey::load_pem_file(dir / "missing.key.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io_error);
  EXPECT_NE(missing.error().message.find("missing.key.pem"), std::string::npos);
  {
    std::ofstream(dir / "bad.key.pem") << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  }
  auto bad = PrivateKey::load_pem_file(dir / "bad.key.pem");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::parse_error);
  EXPECT_NE(bad.error().message.find("bad.key.pem"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Keys, PublicKeyPointAndSpkiRoundTrip) {
  PublicKey pub = PrivateKey::generate().public_key();
  Bytes point = pub.to_uncompressed_point();
  ASSERT_EQ(point.size(), kP256PointSize);
  EXPECT_EQ(point[0], 0x04);
  auto from_point = PublicKey::from_uncompressed_point(point);
  ASSERT_TRUE(from_point.ok());
  EXPECT_TRUE(*from_point == pub);
  Bytes spki = pub.to_spki_der();
  EXPECT_EQ(spki.size(), 91u);  // SEQUENCE{AlgorithmIdentifier(ecPublicKey, prime256v1), BIT STRING 04||X||Y}
  auto from_spki = PublicKey::from_spki_der(spki);
  ASSERT_TRUE(from_spki.ok());
  EXPECT_TRUE(*from_spki == pub);
  EXPECT_EQ(from_spki->to_uncompressed_point(), point);
  // The RFC 6979 key's point survives the round trip byte for byte.
  EXPECT_EQ(to_hex(rfc_key().to_uncompressed_point()), to_hex(hex(kRfcPoint)));
}

TEST(Keys, BadPointsAndSpkiRejected) {
  Bytes point = hex(kRfcPoint);
  EXPECT_EQ(PublicKey::from_uncompressed_point(ByteView(point).first(64)).error().code, Errc::invalid_argument);
  Bytes compressed = point;
  compressed[0] = 0x02;
  EXPECT_EQ(PublicKey::from_uncompressed_point(compressed).error().code, Errc::invalid_argument);
  Bytes off_curve = point;
  off_curve[64] ^= 0x01;
  EXPECT_EQ(PublicKey::from_uncompressed_point(off_curve).error().code, Errc::invalid_argument);
  Bytes spki = rfc_key().to_spki_der();
  Bytes trailing = spki;
  trailing.push_back(0);
  EXPECT_EQ(PublicKey::from_spki_der(trailing).error().code, Errc::parse_error);
  EXPECT_FALSE(PublicKey::from_spki_der(ByteView(spki).first(spki.size() - 1)).ok());
  EXPECT_FALSE(PublicKey::from_spki_der(Bytes{0x30, 0x00}).ok());
}

TEST(Keys, CopiesShareTheKey) {
  PrivateKey a = PrivateKey::generate();
  PrivateKey b = a;
  PublicKey pa = a.public_key();
  PublicKey pb = pa;
  pb = pa;
  EXPECT_TRUE(b.public_key() == pa);
  EXPECT_TRUE(pb == pa);
  EXPECT_TRUE(verify_raw(pb, as_bytes("z"), sign_raw(b, as_bytes("z")).value()).ok());
}

TEST(Ecdh, BothSidesAgree) {
  PrivateKey euicc = PrivateKey::generate();
  PrivateKey smdp = PrivateKey::generate();
  auto a = ecdh_shared_secret(euicc, smdp.public_key());
  auto b = ecdh_shared_secret(smdp, euicc.public_key());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(*a, *b);
  auto c = ecdh_shared_secret(euicc, PrivateKey::generate().public_key());
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*a, *c);
}

}  // namespace
}  // namespace esimo::crypto
