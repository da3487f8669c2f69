#pragma once
// Message digests and MACs (OpenSSL 3 EVP).
#include <array>
#include <cstdint>

#include "base/bytes.hpp"

namespace esimo::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(ByteView data);
// HMAC-SHA256(key, data).
Sha256Digest hmac_sha256(ByteView key, ByteView data);
// Constant-time comparison of equal-length buffers (false when lengths differ).
bool constant_time_equal(ByteView a, ByteView b);

}  // namespace esimo::crypto
