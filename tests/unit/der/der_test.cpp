#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "der/der.hpp"

namespace esimo::der {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

TEST(DerTag, FromEncodedConstant) {
  EXPECT_EQ(tag(0x30), (Tag{TagClass::universal, true, 16}));
  EXPECT_EQ(tag(0x5A), (Tag{TagClass::application, false, 26}));
  EXPECT_EQ(tag(0xBF2D), (Tag{TagClass::context, true, 45}));
  EXPECT_EQ(tag(0x5F37), (Tag{TagClass::application, false, 55}));
  EXPECT_EQ(tag(0x9F70), (Tag{TagClass::context, false, 112}));
  EXPECT_EQ(tag(0xBF57), (Tag{TagClass::context, true, 87}));
  EXPECT_EQ(tag(0xE3), (Tag{TagClass::priv, true, 3}));
  EXPECT_EQ(tag_to_string(tag(0xBF54)), "BF54");
  EXPECT_EQ(to_hex(encode_tag(context(200, true))), "bf8148");
}

TEST(DerReader, ReadsNestedMultiByteTags) {
  const Bytes in = hex("BF2D 08 5F37 01 AA 9F70 01 01");
  auto top = read_single(in);
  ASSERT_TRUE(top.ok()) << top.error().message;
  EXPECT_EQ(top->tag, tag(0xBF2D));
  EXPECT_EQ(top->raw.size(), in.size());
  Reader r = top->children();
  auto a = r.expect(tag(0x5F37), "sig");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value[0], 0xAA);
  EXPECT_EQ(a->offset, 3u);
  auto b = r.optional(tag(0x5A));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  auto c = r.optional(tag(0x9F70));
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->offset, 7u);
  EXPECT_TRUE(r.done("x").ok());
}

TEST(DerReader, LongLengthsRoundTrip) {
  for (std::size_t len : {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 65536u}) {
    Writer w;
    Bytes payload(len, 0x42);
    w.octets(kOctetString, payload);
    auto tlv = read_single(w.bytes());
    ASSERT_TRUE(tlv.ok()) << len << ": " << tlv.error().message;
    EXPECT_EQ(tlv->value.size(), len);
  }
}

struct Malformed {
  const char* name;
  const char* hex;
  const char* error;  // expected substring of the message
};

TEST(DerReader, RejectsMalformedEncodings) {
  const std::vector<Malformed> table = {
      {"empty", "", "offset 0: expected a TLV, found end of input"},
      {"long form for short length", "04 81 05 0102030405", "offset 0: length 5 must use the short form"},
      {"leading zero length octet", "04 82 00 7F", "offset 0: length has a leading zero octet"},
      {"indefinite length", "30 80 0000", "offset 0: indefinite length is not allowed in DER"},
      {"length beyond input", "30 05 0201", "offset 0: length 5 exceeds remaining 2"},
      {"long length beyond input", "04 82 012C 00", "offset 0: length 300 exceeds remaining 1"},
      {"length octets truncated", "04 82 01", "offset 0: length octets truncated"},
      {"too many length octets", "04 85 0100000000", "at most 4 supported"},
      {"missing length", "04", "length missing after tag 04"},
      {"tag truncated", "BF", "offset 0: tag truncated"},
      {"multi-byte tag truncated", "BF 81", "offset 0: tag truncated"},
      {"tag with leading 0x80", "BF 80 2D 00", "leading 0x80 octet"},
      {"low tag in high form", "9F 1E 00", "tag number 30 must use the single-octet form"},
      {"trailing bytes", "05 00 00", "offset 2: top level: 1 unexpected trailing byte(s)"},
  };
  for (const auto& m : table) {
    const Bytes in = hex(m.hex);
    auto r = read_single(in);
    ASSERT_FALSE(r.ok()) << m.name;
    EXPECT_EQ(r.error().code, Errc::parse_error) << m.name;
    EXPECT_NE(r.error().message.find(m.error), std::string::npos) << m.name << ": " << r.error().message;
  }
}

TEST(DerReader, ErrorsNameAbsoluteOffsetsInsideNesting) {
  const Bytes in = hex("30 0A 02 01 05 30 05 04 81 01 41 00");
  auto top = read_single(in);
  ASSERT_TRUE(top.ok());
  Reader r = top->children();
  ASSERT_TRUE(r.next().ok());
  auto inner = r.next();
  ASSERT_TRUE(inner.ok());
  auto bad = inner->children().next();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "offset 7: length 1 must use the short form (not minimal)");
}

TEST(DerReader, DepthLimit) {
  Bytes in;
  // 40 nested empty-then-growing SEQUENCEs built inside out.
  Bytes inner;
  for (int i = 0; i < 40; ++i) {
    Writer w;
    w.constructed(kSequence, [&] { w.raw(inner); });
    inner = w.take();
  }
  std::function<Status(const Tlv&)> walk = [&](const Tlv& t) -> Status {
    Reader r = t.children();
    while (!r.empty()) {
      ESIMO_TRY(Tlv c, r.next());
      ESIMO_CHECK(walk(c));
    }
    return ok_status();
  };
  auto top = read_single(inner);
  ASSERT_TRUE(top.ok());
  auto st = walk(*top);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("nesting deeper than 32"), std::string::npos);
}

TEST(DerReader, ExpectNamesFieldAndTags) {
  const Bytes in = hex("80 01 01");
  Reader r(in);
  auto t = r.expect(tag(0x81), "counterValue");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, "offset 0: counterValue: expected tag 81, found 80");
  Reader e{ByteView()};
  auto m = e.expect(tag(0x81), "counterValue");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "offset 0: counterValue: missing (expected tag 81)");
}

TEST(DerReader, OptionalPropagatesMalformedHeader) {
  const Bytes in = hex("04 81 05");
  Reader r(in);
  auto o = r.optional(kInteger);
  EXPECT_FALSE(o.ok());
}

TEST(DerInteger, MinimalAndRoundTrip) {
  for (std::int64_t v : std::vector<std::int64_t>{0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, -32768,
                         std::int64_t{1} << 40, INT64_MAX, INT64_MIN}) {
    Writer w;
    w.integer(kInteger, v);
    auto tlv = read_single(w.bytes());
    ASSERT_TRUE(tlv.ok());
    auto got = read_integer(*tlv);
    ASSERT_TRUE(got.ok()) << v;
    EXPECT_EQ(*got, v);
  }
  Writer w;
  w.integer(kInteger, 128);
  EXPECT_EQ(to_hex(w.bytes()), "02020080");
  Writer w2;
  w2.integer(kInteger, -129);
  EXPECT_EQ(to_hex(w2.bytes()), "0202ff7f");
  Writer w3;
  w3.unsigned_integer(kInteger, UINT64_MAX);
  EXPECT_EQ(to_hex(w3.bytes()), "020900ffffffffffffffff");
  auto u = read_unsigned(read_single(w3.bytes()).value());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, UINT64_MAX);
}

TEST(DerInteger, RejectsNonMinimal) {
  const std::vector<Malformed> table = {
      {"redundant 00", "02 02 0001", "redundant leading 00"},
      {"redundant FF", "02 02 FF80", "redundant leading FF"},
      {"empty", "02 00", "INTEGER has no contents"},
      {"too wide", "02 09 010000000000000000", "does not fit in 64 bits"},
      {"constructed", "22 01 00", "must be primitive"},
  };
  for (const auto& m : table) {
    const Bytes in = hex(m.hex);
    auto tlv = read_single(in);
    ASSERT_TRUE(tlv.ok()) << m.name;
    auto v = read_integer(*tlv);
    ASSERT_FALSE(v.ok()) << m.name;
    EXPECT_NE(v.error().message.find(m.error), std::string::npos) << m.name << ": " << v.error().message;
  }
  auto neg = read_unsigned(read_single(hex("02 01 80")).value());
  ASSERT_FALSE(neg.ok());
  EXPECT_NE(neg.error().message.find("must not be negative"), std::string::npos);
}

TEST(DerPrimitives, BooleanNullUtf8BitStringOid) {
  EXPECT_TRUE(*read_boolean(read_single(hex("01 01 FF")).value()));
  EXPECT_FALSE(*read_boolean(read_single(hex("01 01 00")).value()));
  auto b = read_boolean(read_single(hex("01 01 01")).value());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("BOOLEAN must be 00 or FF"), std::string::npos);
  EXPECT_FALSE(read_boolean(read_single(hex("01 02 FFFF")).value()).ok());

  EXPECT_TRUE(read_null(read_single(hex("05 00")).value()).ok());
  EXPECT_FALSE(read_null(read_single(hex("05 01 00")).value()).ok());

  EXPECT_EQ(*read_utf8(read_single(hex("0C 03 E282AC")).value()), "\xE2\x82\xAC");
  EXPECT_FALSE(read_utf8(read_single(hex("0C 02 C0AF")).value()).ok());  // overlong
  EXPECT_FALSE(read_utf8(read_single(hex("0C 01 E2")).value()).ok());    // truncated
  EXPECT_FALSE(read_utf8(read_single(hex("0C 03 EDA080")).value()).ok());  // surrogate

  const Bytes bits = hex("03 02 05 A0");
  auto bs = read_bit_string(read_single(bits).value());
  ASSERT_TRUE(bs.ok());
  EXPECT_TRUE(bs->bit(0));
  EXPECT_FALSE(bs->bit(1));
  EXPECT_TRUE(bs->bit(2));
  EXPECT_EQ(bs->bit_count(), 3u);
  EXPECT_FALSE(read_bit_string(read_single(hex("03 02 05 A1")).value()).ok());  // padding bit set
  EXPECT_FALSE(read_bit_string(read_single(hex("03 02 08 00")).value()).ok());  // unused > 7
  EXPECT_FALSE(read_bit_string(read_single(hex("03 01 01")).value()).ok());     // empty with unused
  EXPECT_FALSE(read_bit_string(read_single(hex("03 00")).value()).ok());

  Writer w;
  w.named_bits(kBitString, (1u << 0) | (1u << 2), 4);
  EXPECT_EQ(to_hex(w.bytes()), "030205a0");
  Writer w0;
  w0.named_bits(kBitString, 0, 4);
  EXPECT_EQ(to_hex(w0.bytes()), "030100");

  Writer wo;
  wo.oid(kOid, "2.999.1");
  wo.oid(kOid, "1.2.840.10045.3.1.7");
  ASSERT_TRUE(wo.valid());
  Reader r(wo.bytes());
  EXPECT_EQ(*read_oid(r.next().value()), "2.999.1");
  EXPECT_EQ(*read_oid(r.next().value()), "1.2.840.10045.3.1.7");
  EXPECT_EQ(to_hex(read_single(hex("06 08 2A8648CE3D030107")).value().value), "2a8648ce3d030107");
  EXPECT_FALSE(read_oid(read_single(hex("06 02 2A80")).value()).ok());  // truncated arc
  EXPECT_FALSE(read_oid(read_single(hex("06 02 8001")).value()).ok());  // leading 0x80
  Writer bad;
  bad.oid(kOid, "1");
  EXPECT_FALSE(bad.valid());
  Writer bad2;
  bad2.oid(kOid, "1.x");
  EXPECT_FALSE(bad2.valid());
}

TEST(DerWriter, NestedConstructedMinimalLengths) {
  Writer w;
  w.constructed(tag(0xBF51), [&] {
    w.constructed(kSequence, [&] {
      w.utf8(context(0), "eim");
      w.octets(tag(0x5A), Bytes(16, 0x89));
      w.integer(context(1), 5);
    });
    w.octets(tag(0x5F37), Bytes(200, 0x01));
  });
  const Bytes& out = w.bytes();
  EXPECT_EQ(to_hex(ByteView(out).first(4)), "bf5181e8");  // 0xE8 = 232 > 127 -> 81 ED
  auto top = read_single(out);
  ASSERT_TRUE(top.ok()) << top.error().message;
  Reader r = top->children();
  auto seq = r.expect(kSequence, "signed");
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->value.size(), 26u);
  auto sig = r.expect(tag(0x5F37), "sig");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->raw.size(), 4u + 200u);
  EXPECT_TRUE(r.done("req").ok());
}

TEST(DerReader, SkipExtensionsConsumesWellFormedOnly) {
  const Bytes ok = hex("8101 00 9F7F 00");
  Reader r(ok);
  EXPECT_TRUE(r.skip_extensions().ok());
  EXPECT_TRUE(r.empty());
  const Bytes bad = hex("8101 00 9F7F 05");
  Reader r2(bad);
  EXPECT_FALSE(r2.skip_extensions().ok());
}

}  // namespace
}  // namespace esimo::der
