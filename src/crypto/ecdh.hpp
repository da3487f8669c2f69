#pragma once
// ECKA-DH on P-256 (BSI TR-03111 ECKA): the shared secret is the x-coordinate of own_private * peer_public. SGP.22
// uses it between the one-time keys otSK.EUICC.ECKA / otPK.DP.ECKA before session-key derivation (not provided here).
#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/keys.hpp"

namespace esimo::crypto {

// 32 bytes. Fails only on an internal error (both keys are validated P-256 keys by construction).
Result<Bytes> ecdh_shared_secret(const PrivateKey& own, const PublicKey& peer);

}  // namespace esimo::crypto
