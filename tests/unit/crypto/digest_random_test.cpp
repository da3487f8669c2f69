#include <gtest/gtest.h>

#include <set>

#include "base/bytes.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"

namespace esimo::crypto {
namespace {

std::string hex_of(const Sha256Digest& d) { return to_hex(ByteView(d.data(), d.size())); }

TEST(Digest, Sha256Fips180Abc) {
  EXPECT_EQ(hex_of(sha256(as_bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, Sha256Empty) {
  EXPECT_EQ(hex_of(sha256(ByteView())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(hex_of(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abcd")));
}

TEST(Random, BytesLengthAndVariety) {
  EXPECT_TRUE(random_bytes(0).empty());
  Bytes a = random_bytes(32), b = random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(Random, AlnumCharsetAndLength) {
  for (std::size_t n : {0u, 1u, 7u, 64u, 1000u}) EXPECT_EQ(random_alnum(n).size(), n);
  std::string s = random_alnum(5000);
  std::set<char> seen;
  for (char c : s) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) << c;
    seen.insert(c);
  }
  // 5000 uniform draws over 62 symbols miss one with probability ~62 * (61/62)^5000, i.e. never.
  EXPECT_EQ(seen.size(), 62u);
}

}  // namespace
}  // namespace esimo::crypto
