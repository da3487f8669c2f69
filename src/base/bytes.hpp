#pragma once
// Byte buffers and views, hex conversion for logs, golden vectors and the CLI, and UTF-8 validation.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace esimo {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Lower-case hex, no separators.
std::string to_hex(ByteView bytes);
// Accepts upper or lower case; ignores ASCII whitespace and ':' separators. Odd digit count or other characters fail.
Result<Bytes> from_hex(std::string_view hex);

// The length (1-4) of the well-formed UTF-8 character that starts at s[i], or 0 when none does (a stray continuation
// byte, a truncated sequence, an overlong form, a surrogate, a value beyond U+10FFFF). Requires i < s.size().
std::size_t utf8_char_length(ByteView s, std::size_t i);
// Every character well-formed (RFC 3629).
bool valid_utf8(ByteView s);

}  // namespace esimo
