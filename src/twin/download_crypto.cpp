// Simplified BPP protection shared by the software eUICC and the test SM-DP+ (see download_crypto.hpp).
#include "twin/download_crypto.hpp"

#include <vector>

#include "crypto/digest.hpp"
#include "der/der.hpp"

namespace esimo::twin::download {

SessionKeys derive_session_keys(ByteView shared_secret, const sgp::rsp22::ControlRefTemplate& crt) {
  // ANSI X9.63 KDF: K_i = SHA-256(Z || counter_i (4 octets, from 1) || sharedInfo).
  Bytes shared_info;
  shared_info.insert(shared_info.end(), crt.key_type.begin(), crt.key_type.end());
  shared_info.insert(shared_info.end(), crt.key_len.begin(), crt.key_len.end());
  shared_info.insert(shared_info.end(), crt.host_id.begin(), crt.host_id.end());
  Bytes out;
  for (std::uint32_t counter = 1; out.size() < 48; ++counter) {
    Bytes block(shared_secret.begin(), shared_secret.end());
    for (int shift = 24; shift >= 0; shift -= 8) block.push_back(static_cast<std::uint8_t>(counter >> shift));
    block.insert(block.end(), shared_info.begin(), shared_info.end());
    const auto d = crypto::sha256(block);
    out.insert(out.end(), d.begin(), d.end());
  }
  SessionKeys k;
  k.initial_mcv.assign(out.begin(), out.begin() + 16);
  k.s_enc.assign(out.begin() + 16, out.begin() + 32);
  k.s_mac.assign(out.begin() + 32, out.begin() + 48);
  return k;
}

Bytes ElementProtector::mac(std::uint8_t tag, ByteView payload) const {
  Bytes input = mcv_;
  input.push_back(tag);
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) input.push_back(static_cast<std::uint8_t>(n >> shift));
  input.insert(input.end(), payload.begin(), payload.end());
  const auto h = crypto::hmac_sha256(keys_.s_mac, input);
  return Bytes(h.begin(), h.end());
}

Bytes ElementProtector::protect(std::uint8_t tag, ByteView payload) {
  const Bytes full = mac(tag, payload);
  Bytes out(payload.begin(), payload.end());
  out.insert(out.end(), full.begin(), full.begin() + 8);
  mcv_.assign(full.begin(), full.begin() + 16);
  return out;
}

Result<Bytes> ElementProtector::verify(std::uint8_t tag, ByteView element) {
  if (element.size() < 8) return Error(Errc::unauthenticated, "BPP element shorter than its MAC");
  const ByteView payload = element.first(element.size() - 8);
  const Bytes full = mac(tag, payload);
  if (!crypto::constant_time_equal(ByteView(full.data(), 8), element.last(8))) {
    return Error(Errc::unauthenticated, "BPP element MAC does not verify");
  }
  mcv_.assign(full.begin(), full.begin() + 16);
  return Bytes(payload.begin(), payload.end());
}

Bytes hash_confirmation_code(std::string_view confirmation_code, ByteView transaction_id) {
  const auto inner = crypto::sha256(as_bytes(confirmation_code));
  Bytes input(inner.begin(), inner.end());
  input.insert(input.end(), transaction_id.begin(), transaction_id.end());
  const auto outer = crypto::sha256(input);
  return Bytes(outer.begin(), outer.end());
}

Bytes configure_isdp(std::string_view smdp_oid) {
  // ConfigureISDPRequest ::= [36] SEQUENCE { dpProprietaryData [24] DpProprietaryData OPTIONAL }
  // DpProprietaryData ::= SEQUENCE { dpOid OBJECT IDENTIFIER }
  der::Writer w;
  w.constructed(der::tag(0xBF24), [&] {
    w.constructed(der::context(24, true), [&] { w.oid(der::kOid, smdp_oid); });
  });
  return w.take();
}

Result<std::optional<std::string>> parse_configure_isdp(ByteView bf24) {
  ESIMO_TRY(der::Tlv t, der::read_single(bf24));
  if (t.tag != der::tag(0xBF24)) return Error(Errc::parse_error, "configureISDP: expected tag BF24");
  der::Reader r = t.children();
  ESIMO_TRY(auto dp, r.optional(der::context(24, true)));
  if (!dp) return std::optional<std::string>();
  der::Reader dr = dp->children();
  ESIMO_TRY(der::Tlv oid, dr.expect(der::kOid, "dpOid"));
  ESIMO_TRY(std::string dotted, der::read_oid(oid));
  return std::optional<std::string>(std::move(dotted));
}

Result<ActivationCode> parse_activation_code(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto d = text.find('$', start);
    parts.push_back(text.substr(start, d == std::string_view::npos ? std::string_view::npos : d - start));
    if (d == std::string_view::npos) break;
    start = d + 1;
  }
  auto bad = [&](const std::string& what) {
    return Error(Errc::invalid_argument, "activation code \"" + std::string(text) + "\": " + what, "activation_code");
  };
  if (parts.size() < 3 || parts.size() > 5) return bad("expected 1$SM-DP+ address$matching ID[$OID[$1]]");
  if (parts[0] != "1") return bad("format identifier must be 1");
  if (parts[1].empty()) return bad("empty SM-DP+ address");
  ActivationCode ac;
  ac.smdp_address = std::string(parts[1]);
  ac.matching_id = std::string(parts[2]);
  if (parts.size() >= 4 && !parts[3].empty()) ac.smdp_oid = std::string(parts[3]);
  if (parts.size() == 5) {
    if (parts[4] != "1" && !parts[4].empty()) return bad("confirmation code required flag must be 1");
    ac.confirmation_code_required = parts[4] == "1";
  }
  return ac;
}

std::string format_activation_code(std::string_view smdp_address, std::string_view matching_id) {
  return "1$" + std::string(smdp_address) + "$" + std::string(matching_id);
}

Bytes simplified_profile_element(ByteView iccid) {
  der::Writer w;
  w.constructed(der::kSequence, [&] {
    w.utf8(der::kUtf8String, kProfileElementMarker);
    w.octets(der::tag(0x5A), iccid);
  });
  return w.take();
}

Result<Bytes> parse_simplified_profile_element(ByteView element) {
  ESIMO_TRY(der::Tlv t, der::read_single(element));
  if (t.tag != der::kSequence) return Error(Errc::parse_error, "profile element: expected a SEQUENCE");
  der::Reader r = t.children();
  ESIMO_TRY(der::Tlv marker, r.expect(der::kUtf8String, "marker"));
  ESIMO_TRY(std::string m, der::read_utf8(marker));
  if (m != kProfileElementMarker) return Error(Errc::parse_error, "profile element: unknown format " + m);
  ESIMO_TRY(der::Tlv iccid, r.expect(der::tag(0x5A), "iccid"));
  ESIMO_TRY(ByteView v, der::read_octets(iccid));
  ESIMO_CHECK(r.done("profile element"));
  return Bytes(v.begin(), v.end());
}

}  // namespace esimo::twin::download
