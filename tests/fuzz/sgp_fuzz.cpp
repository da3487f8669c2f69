// libFuzzer target: every SGP.32 decoder, in both versions. Whatever decodes must re-encode, and the re-encoding must
// decode to the same text dump (decode -> encode -> decode is stable).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sgp/codec.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <class Decode>
void round_trip(esimo::ByteView in, esimo::sgp::Version v, Decode decode) {
  auto m = decode(in, v);
  if (!m.ok()) {
    check(!m.error().message.empty());
    return;
  }
  auto der = esimo::sgp::encode(*m, v);
  check(der.ok());
  auto again = decode(*der, v);
  check(again.ok());
  check(esimo::sgp::to_text(*again, v) == esimo::sgp::to_text(*m, v));
  auto der2 = esimo::sgp::encode(*again, v);
  check(der2.ok() && *der2 == *der);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sgp = esimo::sgp;
  const esimo::ByteView in(data, size);
  for (auto v : {sgp::Version::v1_2, sgp::Version::v1_0}) {
    round_trip(in, v, [](esimo::ByteView b, sgp::Version ver) { return sgp::decode_ipa_to_eim(b, ver); });
    round_trip(in, v, [](esimo::ByteView b, sgp::Version ver) { return sgp::decode_eim_to_ipa(b, ver); });
    round_trip(in, v, [](esimo::ByteView b, sgp::Version ver) { return sgp::decode_euicc_package_request(b, ver); });
    round_trip(in, v, [](esimo::ByteView b, sgp::Version ver) { return sgp::decode_euicc_package_result(b, ver); });
    round_trip(in, v, [](esimo::ByteView b, sgp::Version ver) { return sgp::decode_add_initial_eim_request(b, ver); });
  }
  return 0;
}
