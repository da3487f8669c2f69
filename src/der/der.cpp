#include "der/der.hpp"

#include <limits>

namespace esimo::der {

namespace der_impl {

Error parse_error_at(std::size_t offset, const std::string& what) {
  return Error(Errc::parse_error, "offset " + std::to_string(offset) + ": " + what);
}

// Minimal two's complement check shared by INTEGER and ENUMERATED (X.690 §8.3.2).
Status check_minimal_integer(const Tlv& tlv, const char* type) {
  if (tlv.tag.constructed) return parse_error_at(tlv.offset, std::string(type) + " must be primitive");
  const ByteView v = tlv.value;
  if (v.empty()) return parse_error_at(tlv.offset, std::string(type) + " has no contents");
  if (v.size() > 1 && ((v[0] == 0x00 && (v[1] & 0x80) == 0) || (v[0] == 0xFF && (v[1] & 0x80) != 0))) {
    return parse_error_at(tlv.offset, std::string(type) + " is not minimally encoded (redundant leading " +
                                          (v[0] == 0 ? "00" : "FF") + ")");
  }
  return ok_status();
}

}  // namespace der_impl

using der_impl::parse_error_at;

std::string tag_to_string(Tag t) {
  std::string hex = to_hex(encode_tag(t));
  for (auto& c : hex) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return hex;
}

Bytes encode_tag(Tag t) {
  Bytes out;
  const auto first = static_cast<std::uint8_t>((static_cast<unsigned>(t.cls) << 6) | (t.constructed ? 0x20 : 0));
  if (t.number < 31) {
    out.push_back(static_cast<std::uint8_t>(first | t.number));
    return out;
  }
  out.push_back(static_cast<std::uint8_t>(first | 0x1F));
  std::uint8_t tmp[5];
  int n = 0;
  std::uint32_t v = t.number;
  do {
    tmp[n++] = static_cast<std::uint8_t>(v & 0x7F);
    v >>= 7;
  } while (v != 0);
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(tmp[i] | (i ? 0x80 : 0)));
  return out;
}

Reader Tlv::children() const { return Reader(value, offset + (raw.size() - value.size()), depth + 1); }

namespace der_impl {

struct Header {
  Tag tag;
  std::size_t header_len = 0;
  std::size_t length = 0;
};

// Parses identifier and length octets at data[0..]; `at` is the absolute offset for messages.
Result<Header> parse_header(ByteView data, std::size_t at) {
  Header h;
  if (data.empty()) return parse_error_at(at, "expected a TLV, found end of input");
  const std::uint8_t first = data[0];
  h.tag.cls = static_cast<TagClass>(first >> 6);
  h.tag.constructed = (first & 0x20) != 0;
  std::size_t i = 1;
  if ((first & 0x1F) != 0x1F) {
    h.tag.number = first & 0x1F;
  } else {
    std::uint64_t num = 0;
    for (;;) {
      if (i >= data.size()) return parse_error_at(at, "tag truncated");
      const std::uint8_t b = data[i];
      if (i == 1 && b == 0x80) return parse_error_at(at, "tag number has a leading 0x80 octet (not minimal)");
      num = (num << 7) | (b & 0x7F);
      if (num > std::numeric_limits<std::uint32_t>::max() >> 1) return parse_error_at(at, "tag number too large");
      ++i;
      if ((b & 0x80) == 0) break;
    }
    if (num < 31) return parse_error_at(at, "tag number " + std::to_string(num) + " must use the single-octet form");
    h.tag.number = static_cast<std::uint32_t>(num);
  }
  if (i >= data.size()) return parse_error_at(at, "length missing after tag " + tag_to_string(h.tag));
  const std::uint8_t l0 = data[i++];
  if (l0 < 0x80) {
    h.length = l0;
  } else if (l0 == 0x80) {
    return parse_error_at(at, "indefinite length is not allowed in DER");
  } else {
    const std::size_t n = l0 & 0x7F;
    if (n > 4) return parse_error_at(at, "length uses " + std::to_string(n) + " octets (at most 4 supported)");
    if (i + n > data.size()) return parse_error_at(at, "length octets truncated");
    if (data[i] == 0) return parse_error_at(at, "length has a leading zero octet (not minimal)");
    std::size_t len = 0;
    for (std::size_t k = 0; k < n; ++k) len = (len << 8) | data[i + k];
    i += n;
    if (len < 0x80) {
      return parse_error_at(at, "length " + std::to_string(len) + " must use the short form (not minimal)");
    }
    h.length = len;
  }
  h.header_len = i;
  const std::size_t remaining = data.size() - i;
  if (h.length > remaining) {
    return parse_error_at(at, "length " + std::to_string(h.length) + " exceeds remaining " + std::to_string(remaining));
  }
  return h;
}

}  // namespace der_impl

Result<Tlv> Reader::next() {
  if (depth_ > kMaxDepth) return parse_error_at(offset(), "nesting deeper than " + std::to_string(kMaxDepth));
  ESIMO_TRY(auto h, der_impl::parse_header(data_.subspan(pos_), offset()));
  Tlv tlv;
  tlv.tag = h.tag;
  tlv.offset = offset();
  tlv.depth = depth_;
  tlv.raw = data_.subspan(pos_, h.header_len + h.length);
  tlv.value = data_.subspan(pos_ + h.header_len, h.length);
  pos_ += h.header_len + h.length;
  return tlv;
}

std::optional<Tag> Reader::peek_tag() const {
  auto h = der_impl::parse_header(data_.subspan(pos_), offset());
  if (!h.ok()) return std::nullopt;
  return h->tag;
}

Result<Tlv> Reader::expect(Tag t, std::string_view what) {
  if (empty()) {
    return parse_error_at(offset(), std::string(what) + ": missing (expected tag " + tag_to_string(t) + ")");
  }
  ESIMO_TRY(Tlv tlv, next());
  if (tlv.tag != t) {
    return parse_error_at(tlv.offset, std::string(what) + ": expected tag " + tag_to_string(t) + ", found " +
                                          tag_to_string(tlv.tag));
  }
  return tlv;
}

Result<std::optional<Tlv>> Reader::optional(Tag t) {
  if (empty()) return std::optional<Tlv>();
  // A malformed header is an error, not an absent field.
  ESIMO_TRY(auto h, der_impl::parse_header(data_.subspan(pos_), offset()));
  if (h.tag != t) return std::optional<Tlv>();
  ESIMO_TRY(Tlv tlv, next());
  return std::optional<Tlv>(tlv);
}

Status Reader::skip_extensions() {
  while (!empty()) {
    ESIMO_TRY(Tlv tlv, next());
    (void)tlv;
  }
  return ok_status();
}

Status Reader::done(std::string_view what) const {
  if (!empty()) {
    return parse_error_at(offset(), std::string(what) + ": " + std::to_string(data_.size() - pos_) +
                                        " unexpected trailing byte(s)");
  }
  return ok_status();
}

Result<Tlv> read_single(ByteView data) {
  Reader r(data);
  ESIMO_TRY(Tlv tlv, r.next());
  ESIMO_CHECK(r.done("top level"));
  return tlv;
}

Result<std::int64_t> read_integer(const Tlv& tlv) {
  ESIMO_CHECK(der_impl::check_minimal_integer(tlv, "INTEGER"));
  if (tlv.value.size() > 8) return parse_error_at(tlv.offset, "INTEGER does not fit in 64 bits");
  std::uint64_t u = (tlv.value[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (auto b : tlv.value) u = (u << 8) | b;
  return static_cast<std::int64_t>(u);
}

Result<std::uint64_t> read_unsigned(const Tlv& tlv) {
  ESIMO_CHECK(der_impl::check_minimal_integer(tlv, "INTEGER"));
  if (tlv.value[0] & 0x80) return parse_error_at(tlv.offset, "INTEGER must not be negative");
  const std::size_t n = tlv.value.size();
  if (n > 9 || (n == 9 && tlv.value[0] != 0)) return parse_error_at(tlv.offset, "INTEGER does not fit in 64 bits");
  std::uint64_t u = 0;
  for (auto b : tlv.value) u = (u << 8) | b;
  return u;
}

Result<std::int64_t> read_enumerated(const Tlv& tlv) {
  ESIMO_CHECK(der_impl::check_minimal_integer(tlv, "ENUMERATED"));
  if (tlv.value.size() > 8) return parse_error_at(tlv.offset, "ENUMERATED does not fit in 64 bits");
  std::uint64_t u = (tlv.value[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (auto b : tlv.value) u = (u << 8) | b;
  return static_cast<std::int64_t>(u);
}

Result<bool> read_boolean(const Tlv& tlv) {
  if (tlv.tag.constructed) return parse_error_at(tlv.offset, "BOOLEAN must be primitive");
  if (tlv.value.size() != 1) return parse_error_at(tlv.offset, "BOOLEAN must have exactly one contents octet");
  if (tlv.value[0] == 0x00) return false;
  if (tlv.value[0] == 0xFF) return true;
  return parse_error_at(tlv.offset, "BOOLEAN must be 00 or FF in DER");
}

Status read_null(const Tlv& tlv) {
  if (tlv.tag.constructed) return parse_error_at(tlv.offset, "NULL must be primitive");
  if (!tlv.value.empty()) return parse_error_at(tlv.offset, "NULL must have empty contents");
  return ok_status();
}

Result<ByteView> read_octets(const Tlv& tlv) {
  if (tlv.tag.constructed) return parse_error_at(tlv.offset, "OCTET STRING must be primitive in DER");
  return tlv.value;
}

Result<std::string> read_utf8(const Tlv& tlv) {
  if (tlv.tag.constructed) return parse_error_at(tlv.offset, "UTF8String must be primitive in DER");
  if (!valid_utf8(tlv.value)) return parse_error_at(tlv.offset, "UTF8String is not valid UTF-8");
  return std::string(as_chars(tlv.value));
}

bool BitString::bit(std::size_t n) const {
  if (n >= bit_count()) return false;
  return (bytes[n / 8] >> (7 - n % 8)) & 1;
}

Result<BitString> read_bit_string(const Tlv& tlv) {
  if (tlv.tag.constructed) return parse_error_at(tlv.offset, "BIT STRING must be primitive in DER");
  if (tlv.value.empty()) return parse_error_at(tlv.offset, "BIT STRING has no unused-bits octet");
  BitString bs;
  bs.unused_bits = tlv.value[0];
  bs.bytes = tlv.value.subspan(1);
  if (bs.unused_bits > 7) return parse_error_at(tlv.offset, "BIT STRING unused-bits count above 7");
  if (bs.bytes.empty() && bs.unused_bits != 0) {
    return parse_error_at(tlv.offset, "empty BIT STRING must have 0 unused bits");
  }
  if (!bs.bytes.empty() && (bs.bytes.back() & ((1u << bs.unused_bits) - 1)) != 0) {
    return parse_error_at(tlv.offset, "BIT STRING padding bits must be zero in DER");
  }
  return bs;
}

Result<std::string> read_oid(const Tlv& tlv) {
  if (tlv.tag.constructed) return parse_error_at(tlv.offset, "OBJECT IDENTIFIER must be primitive");
  const ByteView v = tlv.value;
  if (v.empty()) return parse_error_at(tlv.offset, "OBJECT IDENTIFIER has no contents");
  std::string out;
  std::uint64_t arc = 0;
  bool first = true;
  bool start = true;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (start && v[i] == 0x80) return parse_error_at(tlv.offset, "OBJECT IDENTIFIER arc not minimally encoded");
    start = false;
    if (arc > (std::numeric_limits<std::uint64_t>::max() >> 8)) {
      return parse_error_at(tlv.offset, "OBJECT IDENTIFIER arc too large");
    }
    arc = (arc << 7) | (v[i] & 0x7F);
    if (v[i] & 0x80) continue;
    if (first) {
      const std::uint64_t a = arc < 40 ? 0 : (arc < 80 ? 1 : 2);
      out = std::to_string(a) + "." + std::to_string(arc - a * 40);
      first = false;
    } else {
      out += "." + std::to_string(arc);
    }
    arc = 0;
    start = true;
  }
  if (!start) return parse_error_at(tlv.offset, "OBJECT IDENTIFIER truncated in the last arc");
  return out;
}

// ---- Writer ----

void Writer::write_identifier(Tag t) {
  const Bytes id = encode_tag(t);
  out_.insert(out_.end(), id.begin(), id.end());
}

void Writer::write_length(std::size_t len) {
  if (len < 0x80) {
    out_.push_back(static_cast<std::uint8_t>(len));
    return;
  }
  std::uint8_t tmp[8];
  int n = 0;
  while (len) {
    tmp[n++] = static_cast<std::uint8_t>(len & 0xFF);
    len >>= 8;
  }
  out_.push_back(static_cast<std::uint8_t>(0x80 | n));
  for (int i = n - 1; i >= 0; --i) out_.push_back(tmp[i]);
}

void Writer::patch_length(std::size_t contents_start) {
  const std::size_t len = out_.size() - contents_start;
  Bytes contents(out_.begin() + static_cast<std::ptrdiff_t>(contents_start), out_.end());
  out_.resize(contents_start);
  write_length(len);
  out_.insert(out_.end(), contents.begin(), contents.end());
}

void Writer::primitive(Tag t, ByteView contents) {
  write_identifier(t);
  write_length(contents.size());
  out_.insert(out_.end(), contents.begin(), contents.end());
}

void Writer::integer(Tag t, std::int64_t v) {
  std::uint8_t tmp[8];
  auto u = static_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    tmp[i] = static_cast<std::uint8_t>(u & 0xFF);
    u >>= 8;
  }
  int start = 0;
  while (start < 7 && ((tmp[start] == 0x00 && (tmp[start + 1] & 0x80) == 0) ||
                       (tmp[start] == 0xFF && (tmp[start + 1] & 0x80) != 0))) {
    ++start;
  }
  primitive(t, ByteView(tmp + start, static_cast<std::size_t>(8 - start)));
}

void Writer::unsigned_integer(Tag t, std::uint64_t v) {
  std::uint8_t tmp[9];
  tmp[0] = 0;
  for (int i = 8; i >= 1; --i) {
    tmp[i] = static_cast<std::uint8_t>(v & 0xFF);
    v >>= 8;
  }
  int start = 0;
  while (start < 8 && tmp[start] == 0x00 && (tmp[start + 1] & 0x80) == 0) ++start;
  primitive(t, ByteView(tmp + start, static_cast<std::size_t>(9 - start)));
}

void Writer::boolean(Tag t, bool v) {
  const std::uint8_t b = v ? 0xFF : 0x00;
  primitive(t, ByteView(&b, 1));
}

void Writer::null(Tag t) { primitive(t, ByteView()); }

void Writer::bit_string(Tag t, ByteView bytes, std::uint8_t unused_bits) {
  Bytes contents;
  contents.reserve(bytes.size() + 1);
  contents.push_back(bytes.empty() ? 0 : unused_bits);
  contents.insert(contents.end(), bytes.begin(), bytes.end());
  if (!bytes.empty() && unused_bits) contents.back() &= static_cast<std::uint8_t>(0xFF << unused_bits);
  primitive(t, contents);
}

void Writer::named_bits(Tag t, std::uint32_t mask, std::size_t highest_bit) {
  // mask bit n (value 1u << n) is ASN.1 named bit n.
  std::size_t last = 0;
  bool any = false;
  for (std::size_t n = 0; n <= highest_bit && n < 32; ++n) {
    if (mask & (1u << n)) {
      last = n;
      any = true;
    }
  }
  if (!any) {
    bit_string(t, ByteView(), 0);
    return;
  }
  Bytes bytes(last / 8 + 1, 0);
  for (std::size_t n = 0; n <= last; ++n) {
    if (mask & (1u << n)) bytes[n / 8] |= static_cast<std::uint8_t>(0x80 >> (n % 8));
  }
  bit_string(t, bytes, static_cast<std::uint8_t>(7 - last % 8));
}

void Writer::oid(Tag t, std::string_view dotted) {
  std::vector<std::uint64_t> arcs;
  std::uint64_t cur = 0;
  bool have_digit = false;
  for (char c : dotted) {
    if (c == '.') {
      if (!have_digit) {
        valid_ = false;
        return;
      }
      arcs.push_back(cur);
      cur = 0;
      have_digit = false;
    } else if (c >= '0' && c <= '9' && cur < (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
      cur = cur * 10 + static_cast<std::uint64_t>(c - '0');
      have_digit = true;
    } else {
      valid_ = false;
      return;
    }
  }
  if (!have_digit) {
    valid_ = false;
    return;
  }
  arcs.push_back(cur);
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) ||
      arcs[1] > std::numeric_limits<std::uint64_t>::max() - 80) {
    valid_ = false;
    return;
  }
  Bytes contents;
  auto put = [&contents](std::uint64_t v) {
    std::uint8_t tmp[10];
    int n = 0;
    do {
      tmp[n++] = static_cast<std::uint8_t>(v & 0x7F);
      v >>= 7;
    } while (v);
    for (int i = n - 1; i >= 0; --i) contents.push_back(static_cast<std::uint8_t>(tmp[i] | (i ? 0x80 : 0)));
  };
  put(arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i) put(arcs[i]);
  primitive(t, contents);
}

}  // namespace esimo::der
