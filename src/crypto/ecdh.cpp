#include "crypto/ecdh.hpp"

#include "crypto/ossl.hpp"

namespace esimo::crypto {

Result<Bytes> ecdh_shared_secret(const PrivateKey& own, const PublicKey& peer) {
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own.native(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer.native()) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len != 32)
    return Error(Errc::internal, "ECDH: cannot derive: " + ossl::drain_errors());
  Bytes secret(len);
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != 32)
    return Error(Errc::internal, "ECDH: derive failed: " + ossl::drain_errors());
  return secret;
}

}  // namespace esimo::crypto
