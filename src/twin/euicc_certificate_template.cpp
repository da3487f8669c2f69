#include "twin/euicc_certificate_template.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "crypto/random.hpp"
#include "der/der.hpp"

namespace esimo::twin {

namespace {
// The template's EID: a valid 32-digit string that cannot occur elsewhere in a TBSCertificate by chance (it is
// looked for and must be found exactly once).
constexpr std::string_view kPlaceholderEid = "89049032999999999999999999999999";
constexpr std::size_t kSerialSize = 16;  // issue_test_certificate's 127-bit positive serial

std::size_t count_and_find(ByteView hay, ByteView needle, std::size_t& at) {
  std::size_t n = 0;
  for (auto it = hay.begin(); (it = std::search(it, hay.end(), needle.begin(), needle.end())) != hay.end(); ++it) {
    if (n++ == 0) at = static_cast<std::size_t>(it - hay.begin());
  }
  return n;
}
}  // namespace

Result<EuiccCertificateTemplate> EuiccCertificateTemplate::make(const crypto::Certificate& eum_cert,
                                                                const crypto::PrivateKey& eum_key,
                                                                const crypto::PublicKey& euicc_public_key,
                                                                crypto::Validity validity) {
  ESIMO_TRY(crypto::Certificate cert,
            crypto::issue_euicc_certificate(eum_cert, eum_key, kPlaceholderEid, euicc_public_key, validity));
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (RFC 5280 §4.1)
  const Bytes& der = cert.der();
  ESIMO_TRY(der::Tlv outer, der::read_single(der));
  der::Reader parts = outer.children();
  ESIMO_TRY(der::Tlv tbs, parts.expect(der::kSequence, "tbsCertificate"));
  ESIMO_TRY(der::Tlv alg, parts.expect(der::kSequence, "signatureAlgorithm"));
  // TBSCertificate ::= SEQUENCE { [0] EXPLICIT version, serialNumber INTEGER, ... }
  der::Reader fields = tbs.children();
  ESIMO_TRY(der::Tlv version, fields.expect(der::context(0, true), "version"));
  (void)version;
  ESIMO_TRY(der::Tlv serial, fields.expect(der::kInteger, "serialNumber"));
  if (serial.value.size() != kSerialSize || (serial.value[0] & 0xC0) != 0x40) {
    return Error(Errc::internal, "eUICC certificate template: unexpected serialNumber form");
  }
  Bytes tbs_bytes(tbs.raw.begin(), tbs.raw.end());
  const auto serial_at = static_cast<std::size_t>(serial.value.data() - tbs.raw.data());
  std::size_t eid_at = 0;
  if (count_and_find(tbs_bytes, as_bytes(kPlaceholderEid), eid_at) != 1) {
    return Error(Errc::internal, "eUICC certificate template: the subject serialNumber is not found exactly once");
  }
  return EuiccCertificateTemplate(std::move(tbs_bytes), serial_at, eid_at, Bytes(alg.raw.begin(), alg.raw.end()),
                                  std::make_shared<crypto::SoftwareSigner>(eum_key), euicc_public_key);
}

Result<Bytes> EuiccCertificateTemplate::issue(const domain::Eid& eid) const {
  Bytes tbs = tbs_;
  Bytes serial = crypto::random_bytes(kSerialSize);
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x3F) | 0x40);  // positive, minimal, 16 octets
  std::memcpy(tbs.data() + serial_at_, serial.data(), kSerialSize);
  const std::string& digits = eid.str();  // 32 digits by construction of Eid
  std::memcpy(tbs.data() + eid_at_, digits.data(), kPlaceholderEid.size());
  ESIMO_TRY(Bytes signature, signer_->sign_der(tbs));
  der::Writer w;
  w.constructed(der::kSequence, [&] {
    w.raw(tbs);
    w.raw(signature_algorithm_);
    w.bit_string(der::kBitString, signature, 0);
  });
  return w.take();
}

}  // namespace esimo::twin
