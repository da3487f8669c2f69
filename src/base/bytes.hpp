#pragma once
// Byte buffers and views, and hex conversion for logs, golden vectors and the CLI.
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

}  // namespace esimo
