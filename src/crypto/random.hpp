#pragma once
// Cryptographically secure random bytes (OpenSSL DRBG), for key secrets, challenges and transaction ids.
#include <cstddef>
#include <string>

#include "base/bytes.hpp"

namespace esimo::crypto {

Bytes random_bytes(std::size_t n);
// n characters of [0-9A-Za-z], uniformly distributed (rejection sampling).
std::string random_alnum(std::size_t n);

}  // namespace esimo::crypto
