#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <cstdlib>

namespace esimo::crypto {

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  if (n && RAND_bytes(out.data(), static_cast<int>(n)) != 1) std::abort();  // DRBG failure: nothing safe to do
  return out;
}

std::string random_alnum(std::size_t n) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    Bytes chunk = random_bytes(n);
    for (std::uint8_t b : chunk) {
      if (b >= 248) continue;  // 248 = 4 * 62: keep the distribution uniform
      out.push_back(kAlphabet[b % 62]);
      if (out.size() == n) break;
    }
  }
  return out;
}

}  // namespace esimo::crypto
