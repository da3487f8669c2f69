#pragma once
// What the twin's software eUICC and test SM-DP+ share for the Bound Profile Package (BPP), simplified as docs/twin.md
// "Profile download" says:
//  - session keys: ECDH(otSK, otPK) shared secret Z (TR-03111 ECKA, x-coordinate) into the ANSI X9.63 KDF with SHA-256,
//    sharedInfo = keyType || keyLen || hostId of the ControlRefTemplate; 48 octets = initial MAC chaining value ||
//    S-ENC || S-MAC (the order SGP.22 §2.6.4 gives);
//  - every 87/88/86 element is payload || 8-octet MAC, MAC = HMAC-SHA256(S-MAC, chaining value || tag || length(4) ||
//    payload) truncated, the chaining value becoming the first 16 octets of the full HMAC: integrity and order like
//    SCP03t, but NO encryption (S-ENC is derived and unused) and HMAC instead of AES-CMAC;
//  - firstSequenceOf87 holds one ConfigureISDPRequest (BF24) with dpProprietaryData.dpOid (the SM-DP+ OID the
//    ProfileInstallationResult names); sequenceOf88 one StoreMetadataRequest (BF25); no secondSequenceOf87
//    (ReplaceSessionKeys); sequenceOf86 one simplified profile element: SEQUENCE { UTF8String marker, ICCID 5A }
//    instead of TCA eUICC Profile Package elements.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "sgp/rsp22.hpp"

namespace esimo::twin::download {

inline constexpr std::string_view kProfileElementMarker = "esimo-simplified-profile/1";
// The SM-DP+ OID an eUICC uses in CancelSession before it learned the real one from ConfigureISDP (the test
// certificates carry no SM-DP+ OID): the ITU-T example arc.
inline constexpr std::string_view kUnknownSmdpOid = "2.999";
inline constexpr std::uint8_t kTag87 = 0x87, kTag88 = 0x88, kTag86 = 0x86;

struct SessionKeys {
  Bytes initial_mcv;  // 16
  Bytes s_enc;        // 16
  Bytes s_mac;        // 16
};

SessionKeys derive_session_keys(ByteView shared_secret, const sgp::rsp22::ControlRefTemplate& crt);

// MAC-chained protection of BPP elements (one per direction of use: the SM-DP+ protects, the eUICC verifies, each
// starting from the same keys).
class ElementProtector {
 public:
  explicit ElementProtector(SessionKeys keys) : keys_(std::move(keys)), mcv_(keys_.initial_mcv) {}
  Bytes protect(std::uint8_t tag, ByteView payload);
  // The payload, or unauthenticated when the MAC does not verify (the chaining value is then unchanged).
  Result<Bytes> verify(std::uint8_t tag, ByteView element);

 private:
  Bytes mac(std::uint8_t tag, ByteView payload) const;
  SessionKeys keys_;
  Bytes mcv_;
};

// hashCc = SHA-256(SHA-256(confirmation code) || transactionId), as the SM-DP+ checks it in getBoundProfilePackage
// (SGP.22 hashCc of PrepareDownloadRequest / EUICCSigned2).
Bytes hash_confirmation_code(std::string_view confirmation_code, ByteView transaction_id);

Bytes configure_isdp(std::string_view smdp_oid);
// The dpOid of a ConfigureISDPRequest (nullopt when it has no dpProprietaryData).
Result<std::optional<std::string>> parse_configure_isdp(ByteView bf24);

// SGP.22 §4.1 activation code "1$SM-DP+ address$AC_Token[$SM-DP+ OID[$Confirmation Code Required Flag]]".
struct ActivationCode {
  std::string smdp_address;
  std::string matching_id;  // AC_Token
  std::optional<std::string> smdp_oid;
  bool confirmation_code_required = false;
};
Result<ActivationCode> parse_activation_code(std::string_view text);
std::string format_activation_code(std::string_view smdp_address, std::string_view matching_id);

Bytes simplified_profile_element(ByteView iccid);
// The ICCID a simplified profile element carries.
Result<Bytes> parse_simplified_profile_element(ByteView element);

}  // namespace esimo::twin::download
