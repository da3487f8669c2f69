#pragma once
// Internal helpers shared by the sgp codec translation units (not part of the public API).
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "der/der.hpp"
#include "sgp/messages.hpp"

namespace esimo::sgp::detail {

// A field path built lazily (a linked list on the stack): "euiccPackageSigned.counterValue". Only materialised when an
// error is reported, so decoding allocates nothing for paths on success.
struct Path {
  const Path* parent = nullptr;
  std::string_view name;
  std::string str() const {
    std::string s = parent ? parent->str() : std::string();
    if (!s.empty() && !name.empty() && name.front() != '[') s += '.';
    s += name;
    return s;
  }
  Path operator/(std::string_view child) const { return Path{this, child}; }
};

inline Error fail(const Path& p, const std::string& what) {
  const std::string path = p.str();
  return Error(Errc::parse_error, path + ": " + what, path);
}
inline Error wrap(const Path& p, Error e) {
  const std::string path = p.str();
  return Error(e.code, path + ": " + e.message, path);
}
inline Error unsupported(const std::string& field, Version v) {
  return Error(Errc::unsupported, field + " does not exist in SGP.32 v" + version_name(v), field);
}
inline Error bad_value(const std::string& field, const std::string& what) {
  return Error(Errc::invalid_argument, field + ": " + what, field);
}

// The next TLV, which must carry tag t.
inline Result<der::Tlv> need(der::Reader& r, der::Tag t, const Path& p) {
  if (r.empty()) {
    return fail(p, "offset " + std::to_string(r.offset()) + ": missing (expected tag " + der::tag_to_string(t) + ")");
  }
  auto n = r.next();
  if (!n.ok()) return wrap(p, std::move(n).error());
  if (n->tag != t) {
    return fail(p, "offset " + std::to_string(n->offset) + ": expected tag " + der::tag_to_string(t) + ", found " +
                       der::tag_to_string(n->tag));
  }
  return std::move(n).value();
}
inline Result<std::optional<der::Tlv>> maybe(der::Reader& r, der::Tag t, const Path& p) {
  auto o = r.optional(t);
  if (!o.ok()) return wrap(p, std::move(o).error());
  return std::move(o).value();
}
inline Result<der::Tlv> next_any(der::Reader& r, const Path& p) {
  if (r.empty()) return fail(p, "offset " + std::to_string(r.offset()) + ": missing");
  auto n = r.next();
  if (!n.ok()) return wrap(p, std::move(n).error());
  return std::move(n).value();
}

// Skips unknown trailing components (extensibility) but rejects a known tag showing up again or out of order.
inline Status finish_sequence(der::Reader& r, std::initializer_list<der::Tag> known, const Path& p) {
  while (!r.empty()) {
    auto n = r.next();
    if (!n.ok()) return wrap(p, std::move(n).error());
    for (const auto& k : known) {
      if (n->tag == k) {
        return fail(p, "offset " + std::to_string(n->offset) + ": tag " + der::tag_to_string(k) +
                           " duplicated or out of order");
      }
    }
  }
  return ok_status();
}
// For CHOICE alternatives and SEQUENCE OF bodies that allow nothing further.
inline Status finish_exact(const der::Reader& r, const Path& p) {
  if (!r.empty()) return fail(p, "offset " + std::to_string(r.offset()) + ": unexpected trailing data");
  return ok_status();
}

template <class T>
inline Result<T> field(Result<T> r, const Path& p) {
  if (!r.ok()) return wrap(p, std::move(r).error());
  return r;
}
inline Result<std::int64_t> get_int(const der::Tlv& t, const Path& p) { return field(der::read_integer(t), p); }
inline Result<std::uint64_t> get_uint(const der::Tlv& t, const Path& p) { return field(der::read_unsigned(t), p); }
inline Result<std::string> get_utf8(const der::Tlv& t, const Path& p) { return field(der::read_utf8(t), p); }
inline Result<Bytes> get_octets(const der::Tlv& t, const Path& p, std::size_t min = 0, std::size_t max = SIZE_MAX) {
  auto v = der::read_octets(t);
  if (!v.ok()) return wrap(p, std::move(v).error());
  if (v->size() < min || v->size() > max) {
    const std::string range = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    return fail(p, "offset " + std::to_string(t.offset) + ": size " + std::to_string(v->size()) + " outside " + range);
  }
  return Bytes(v->begin(), v->end());
}
inline Status get_null(const der::Tlv& t, const Path& p) {
  auto s = der::read_null(t);
  if (!s.ok()) return wrap(p, std::move(s).error());
  return ok_status();
}
// Named-bit BIT STRING into a mask (bits beyond 31 must be zero).
inline Result<std::uint32_t> get_bits(const der::Tlv& t, const Path& p) {
  auto bs = der::read_bit_string(t);
  if (!bs.ok()) return wrap(p, std::move(bs).error());
  std::uint32_t mask = 0;
  for (std::size_t n = 0; n < bs->bit_count(); ++n) {
    if (!bs->bit(n)) continue;
    if (n >= 32) return fail(p, "offset " + std::to_string(t.offset) + ": named bit " + std::to_string(n) + " unknown");
    mask |= 1u << n;
  }
  // DER for named bit lists: no trailing zero bits (X.690 §11.2.2).
  if (bs->bit_count() > 0 && !bs->bit(bs->bit_count() - 1)) {
    return fail(p, "offset " + std::to_string(t.offset) + ": named-bit BIT STRING has trailing zero bits");
  }
  return mask;
}

// An optional TransactionId (OCTET STRING SIZE(1..16)) under tag t.
inline Status get_tid(der::Reader& r, der::Tag t, const Path& p, std::optional<Bytes>& out) {
  ESIMO_TRY(auto tlv, maybe(r, t, p));
  if (tlv) {
    ESIMO_TRY(out, get_octets(*tlv, p, 1, 16));
  }
  return ok_status();
}
// The mandatory eimId [0] UTF8String (SIZE(1..128)) that opens every signed/result structure.
inline Result<std::string> get_eim_id(der::Reader& r, const Path& p) {
  ESIMO_TRY(der::Tlv x, need(r, der::context(0), p));
  ESIMO_TRY(std::string id, get_utf8(x, p));
  if (id.empty() || id.size() > 128) return fail(p, "offset " + std::to_string(x.offset) + ": size outside 1..128");
  return id;
}
// Decodes one whole message: exactly one TLV, then `get(tlv, root_path)`.
template <class Get>
inline auto decode_top(ByteView bytes, std::string_view root, Get get) -> decltype(get(der::Tlv{}, Path{})) {
  const Path path{nullptr, root};
  auto t = der::read_single(bytes);
  if (!t.ok()) return wrap(path, std::move(t).error());
  return get(*t, path);
}

inline constexpr der::Tag kTagEid = der::tag(0x5A);
inline constexpr der::Tag kTagIccid = der::tag(0x5A);
inline constexpr der::Tag kTagSignature = der::tag(0x5F37);

// Checks shared by encoders.
inline Status check_eid(const Bytes& eid, const char* field_name) {
  if (eid.size() != 16) return bad_value(field_name, "EID must be 16 octets, got " + std::to_string(eid.size()));
  return ok_status();
}
inline Status check_iccid(const Bytes& iccid, const char* field_name) {
  if (iccid.size() != 10) return bad_value(field_name, "ICCID must be 10 octets, got " + std::to_string(iccid.size()));
  return ok_status();
}
inline Status check_tid(const std::optional<Bytes>& tid, const char* field_name) {
  if (tid && (tid->empty() || tid->size() > 16)) {
    return bad_value(field_name, "TransactionId must be 1..16 octets, got " + std::to_string(tid->size()));
  }
  return ok_status();
}

// Shared sub-codecs implemented in package_codec.cpp / result_codec.cpp.
Status put_euicc_package_request(der::Writer& w, const EuiccPackageRequest& m, Version v);
Result<EuiccPackageRequest> get_euicc_package_request(const der::Tlv& t, Version v, const Path& p);
Status put_ipa_euicc_data_request(der::Writer& w, const IpaEuiccDataRequest& m, Version v);
Result<IpaEuiccDataRequest> get_ipa_euicc_data_request(const der::Tlv& t, Version v, const Path& p);
Status put_profile_download_trigger_request(der::Writer& w, const ProfileDownloadTriggerRequest& m, Version v);
Result<ProfileDownloadTriggerRequest> get_profile_download_trigger_request(const der::Tlv& t, Version v, const Path& p);
// EuiccPackageResult including its BF51 wrapper.
Status put_euicc_package_result(der::Writer& w, const EuiccPackageResult& m, Version v);
Result<EuiccPackageResult> get_euicc_package_result(const der::Tlv& t, Version v, const Path& p);
Status put_ipa_euicc_data_response(der::Writer& w, const IpaEuiccDataResponse& m, Version v);
Result<IpaEuiccDataResponse> get_ipa_euicc_data_response(const der::Tlv& t, Version v, const Path& p);
// Indirect-download messages (download_codec.cpp): put_* write the complete message TLV; get_* take it.
Status put_download_request(der::Writer& w, const EsipaMessageFromIpaToEim& m, Version v);
Status put_download_response(der::Writer& w, const EsipaMessageFromEimToIpa& m, Version v);
// nullopt when the tag is not one of BF39/BF3B/BF3A/BF41.
std::optional<Result<EsipaMessageFromIpaToEim>> get_download_request(const der::Tlv& t, Version v, const Path& p);
std::optional<Result<EsipaMessageFromEimToIpa>> get_download_response(const der::Tlv& t, Version v, const Path& p);
// One SGP32-PendingNotification CHOICE alternative TLV.
Result<PendingNotification> get_pending_notification(const der::Tlv& t, const Path& p);
Status put_pending_notification(der::Writer& w, const PendingNotification& n);

}  // namespace esimo::sgp::detail
