#pragma once
// Strict DER (X.690 §10) TLV reader and writer. The reader is zero-copy: every Tlv views the input buffer, which must
// outlive it. Anything that is not canonical DER is rejected with Errc::parse_error and a message naming the absolute
// offset and what was wrong: indefinite lengths, non-minimal lengths or tags, lengths beyond the input, nesting deeper
// than kMaxDepth, non-minimal INTEGERs, BOOLEANs other than 00/FF, BIT STRINGs with non-zero padding, invalid UTF-8.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace esimo::der {

enum class TagClass : std::uint8_t { universal = 0, application = 1, context = 2, priv = 3 };

struct Tag {
  TagClass cls = TagClass::universal;
  bool constructed = false;
  std::uint32_t number = 0;

  friend constexpr bool operator==(const Tag&, const Tag&) = default;
};

// A tag from its encoded identifier octets written as a number, e.g. tag(0x30) SEQUENCE, tag(0x5A), tag(0xBF2D),
// tag(0x5F37), tag(0x9F70). Only for well-formed constants (checked at compile time where used in constexpr).
constexpr Tag tag(std::uint32_t encoded) {
  std::uint8_t bytes[4] = {};
  int n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    auto b = static_cast<std::uint8_t>(encoded >> shift);
    if (n == 0 && b == 0 && shift != 0) continue;
    bytes[n++] = b;
  }
  Tag t;
  t.cls = static_cast<TagClass>(bytes[0] >> 6);
  t.constructed = (bytes[0] & 0x20) != 0;
  if ((bytes[0] & 0x1F) != 0x1F) {
    t.number = bytes[0] & 0x1F;
  } else {
    for (int i = 1; i < n; ++i) t.number = (t.number << 7) | (bytes[i] & 0x7F);
  }
  return t;
}
constexpr Tag context(std::uint32_t number, bool constructed = false) { return {TagClass::context, constructed, number}; }
constexpr Tag application(std::uint32_t number, bool constructed = false) {
  return {TagClass::application, constructed, number};
}

// Universal tags used by SGP.22/SGP.32.
inline constexpr Tag kBoolean = tag(0x01);
inline constexpr Tag kInteger = tag(0x02);
inline constexpr Tag kBitString = tag(0x03);
inline constexpr Tag kOctetString = tag(0x04);
inline constexpr Tag kNull = tag(0x05);
inline constexpr Tag kOid = tag(0x06);
inline constexpr Tag kEnumerated = tag(0x0A);
inline constexpr Tag kUtf8String = tag(0x0C);
inline constexpr Tag kSequence = tag(0x30);
inline constexpr Tag kSet = tag(0x31);

// "BF2D"-style hex of the encoded identifier, for error messages and dumps.
std::string tag_to_string(Tag t);

inline constexpr int kMaxDepth = 32;

class Reader;

struct Tlv {
  Tag tag;
  ByteView value;       // the contents octets
  ByteView raw;         // identifier + length + contents
  std::size_t offset = 0;  // absolute offset of the identifier octet in the outermost input
  int depth = 0;           // nesting depth of this TLV (0 = top level)

  // A reader over the contents of a constructed TLV (for primitive ones too: callers check tag.constructed).
  Reader children() const;
};

class Reader {
 public:
  explicit Reader(ByteView data, std::size_t base_offset = 0, int depth = 0)
      : data_(data), base_(base_offset), depth_(depth) {}

  bool empty() const { return pos_ >= data_.size(); }
  std::size_t offset() const { return base_ + pos_; }  // absolute offset of the next TLV
  ByteView remaining() const { return data_.subspan(pos_); }

  // The next TLV, strictly validated (header only; contents are validated by the typed helpers below).
  Result<Tlv> next();
  // The tag of the next TLV without consuming it; nullopt at the end or if the identifier is malformed.
  std::optional<Tag> peek_tag() const;
  // The next TLV, which must carry tag t. `what` names the field in the error.
  Result<Tlv> expect(Tag t, std::string_view what);
  // The next TLV if it carries tag t; nullopt (nothing consumed) if the input is at its end or another tag follows.
  Result<std::optional<Tlv>> optional(Tag t);
  // SGP.32 modules are EXTENSIBILITY IMPLIED: decoders call skip_extensions() after the last known field of a SEQUENCE
  // to skip (well-formed) unknown trailing components added by later versions.
  Status skip_extensions();
  // Fails unless all input was consumed. `what` names the enclosing structure.
  Status done(std::string_view what) const;

 private:
  ByteView data_;
  std::size_t base_ = 0;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

// Decodes exactly one TLV spanning the whole input (no trailing bytes).
Result<Tlv> read_single(ByteView data);

// Typed contents readers. Each checks the TLV is primitive (or constructed where the type requires it) but NOT the tag
// number: implicit tagging means the caller chose the tag; check it with Reader::expect.
Result<std::int64_t> read_integer(const Tlv& tlv);        // minimal two's complement, fits int64
Result<std::uint64_t> read_unsigned(const Tlv& tlv);      // INTEGER >= 0, fits uint64
Result<bool> read_boolean(const Tlv& tlv);                // 00 or FF only
Status read_null(const Tlv& tlv);                         // empty contents
Result<ByteView> read_octets(const Tlv& tlv);             // primitive OCTET STRING contents (view)
Result<std::string> read_utf8(const Tlv& tlv);            // well-formed UTF-8
struct BitString {
  ByteView bytes;              // contents after the unused-bits octet
  std::uint8_t unused_bits = 0;
  // Bit n as numbered in ASN.1 named bit lists (bit 0 = MSB of the first octet).
  bool bit(std::size_t n) const;
  std::size_t bit_count() const { return bytes.size() * 8 - unused_bits; }
};
Result<BitString> read_bit_string(const Tlv& tlv);        // DER: unused < 8, padding bits zero, 0 unused if empty
Result<std::string> read_oid(const Tlv& tlv);             // dotted decimal, minimal base-128 arcs
Result<std::int64_t> read_enumerated(const Tlv& tlv);     // same rules as INTEGER

// Builds DER. Constructed values are written with `constructed(tag, [&]{ ... })`; lengths are computed afterwards and
// always minimal. The writer never fails: programmer errors (e.g. an invalid OID string) are reported by valid().
class Writer {
 public:
  void primitive(Tag t, ByteView contents);
  void integer(Tag t, std::int64_t v);
  void unsigned_integer(Tag t, std::uint64_t v);
  void boolean(Tag t, bool v);
  void null(Tag t);
  void octets(Tag t, ByteView v) { primitive(t, v); }
  void utf8(Tag t, std::string_view s) { primitive(t, as_bytes(s)); }
  // Named-bit BIT STRING: trailing zero bits are removed as DER requires for named bit lists (X.690 §11.2.2).
  void named_bits(Tag t, std::uint32_t bits_msb_first_mask, std::size_t highest_bit);
  void bit_string(Tag t, ByteView bytes, std::uint8_t unused_bits);
  // Dotted decimal, at least two arcs; an invalid string marks the writer invalid.
  void oid(Tag t, std::string_view dotted);
  // Appends already-encoded DER verbatim (e.g. a certificate kept as bytes).
  void raw(ByteView der) { out_.insert(out_.end(), der.begin(), der.end()); }

  template <class F>
  void constructed(Tag t, F&& body) {
    t.constructed = true;
    write_identifier(t);
    const std::size_t start = out_.size();
    body();
    patch_length(start);
  }

  bool valid() const { return valid_; }
  const Bytes& bytes() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  void write_identifier(Tag t);
  void write_length(std::size_t len);
  void patch_length(std::size_t contents_start);
  Bytes out_;
  bool valid_ = true;
};

// Encoded identifier octets of a tag.
Bytes encode_tag(Tag t);

}  // namespace esimo::der
