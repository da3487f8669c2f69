// libFuzzer target: the ES9+ JSON binding (sgp/es9plus, SGP.22 §6.5): the answers an SM-DP+ sends the eIM's download
// relay (untrusted network input) and the requests the twin's SM-DP+ reads. The first byte picks the decoder. Whatever
// decodes must encode again, and that encoding must decode and encode to the same text; whatever fails is a
// parse_error naming the member at fault.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sgp/es9plus.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The decoders take from a peer two headers the encoders, speaking for our own SM-DP+, refuse: Executed-WithWarning
// without statusCodeData (the function still executed) and an empty subjectCode or reasonCode. Such an answer has no
// canonical form to compare.
bool lenient_header(const esimo::sgp::es9::FunctionExecutionStatus& s) {
  if (!s.status_code_data) return s.status == esimo::sgp::es9::ExecutionStatus::executed_with_warning;
  return s.status_code_data->subject_code.empty() || s.status_code_data->reason_code.empty();
}

template <class Decode>
void round_trip(std::string_view json, Decode decode) {
  auto m = decode(json);
  if (!m.ok()) {
    check(m.error().code == esimo::Errc::parse_error && !m.error().message.empty());
    return;
  }
  if constexpr (requires { m->status; }) {
    if (lenient_header(m->status)) return;
  }
  auto text = esimo::sgp::es9::encode(*m);
  check(text.ok());
  auto again = decode(*text);
  check(again.ok());
  auto text2 = esimo::sgp::es9::encode(*again);
  check(text2.ok() && *text2 == *text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace es9 = esimo::sgp::es9;
  if (size == 0) return 0;
  const std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 11) {
    case 0: return round_trip(json, es9::decode_initiate_authentication_response), 0;
    case 1: return round_trip(json, es9::decode_authenticate_client_response), 0;
    case 2: return round_trip(json, es9::decode_get_bound_profile_package_response), 0;
    case 3: return round_trip(json, es9::decode_cancel_session_response), 0;
    case 4: {
      auto h = es9::decode_response_header(json);
      if (!h.ok()) {
        check(h.error().code == esimo::Errc::parse_error && !h.error().message.empty());
        return 0;
      }
      if (lenient_header(*h)) return 0;
      auto text = es9::encode_header_only(*h);
      check(text.ok());
      auto again = es9::decode_response_header(*text);
      check(again.ok() && again->status == h->status && again->executed() == h->executed());
      auto text2 = es9::encode_header_only(*again);
      check(text2.ok() && *text2 == *text);
      return 0;
    }
    case 5: return round_trip(json, es9::decode_initiate_authentication_request), 0;
    case 6: return round_trip(json, es9::decode_authenticate_client_request), 0;
    case 7: return round_trip(json, es9::decode_get_bound_profile_package_request), 0;
    case 8: return round_trip(json, es9::decode_handle_notification_request), 0;
    case 9: return round_trip(json, es9::decode_cancel_session_request), 0;
    default: {
      auto b = es9::base64_decode(json);
      if (!b.ok()) return 0;
      check(es9::base64_encode(*b) == json);  // strict base64 is canonical
      return 0;
    }
  }
}
