// SGP.22 §4.1 activation codes: "1$SM-DP+ address$Matching ID[$SM-DP+ OID[$Confirmation Code Required Flag]]".
#include <vector>

#include "eim/es9_client.hpp"

namespace esimo::eim {
namespace activation_detail {

Error bad_code(const std::string& what) {
  return Error(Errc::invalid_argument, "activation_code: " + what, "activation_code");
}

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// FQDN (or IPv4 literal) with an optional ":port" (lab SM-DP+s listen on one).
Status check_address(std::string_view a) {
  std::string_view host = a;
  if (auto colon = a.rfind(':'); colon != std::string_view::npos) {
    host = a.substr(0, colon);
    std::string_view port = a.substr(colon + 1);
    if (port.empty() || port.size() > 5) return bad_code("SM-DP+ address port must be 1..65535");
    unsigned long v = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return bad_code("SM-DP+ address port must be 1..65535");
      v = v * 10 + static_cast<unsigned long>(c - '0');
    }
    if (v == 0 || v > 65535) return bad_code("SM-DP+ address port must be 1..65535");
  }
  if (host.empty() || host.size() > 253) return bad_code("SM-DP+ address must be a host name of 1..253 characters");
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return bad_code("SM-DP+ address '" + std::string(a) + "' is not a host name");
    }
    for (char c : label) {
      if (!is_alnum(c) && c != '-') return bad_code("SM-DP+ address '" + std::string(a) + "' is not a host name");
    }
    start = dot + 1;
  }
  return {};
}

std::vector<std::string_view> split_dollar(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t d = s.find('$', start);
    if (d == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, d - start));
    start = d + 1;
  }
}

}  // namespace activation_detail

Result<ActivationCode> parse_activation_code(std::string_view text) {
  namespace ad = activation_detail;
  if (text.substr(0, 4) == "LPA:") text.remove_prefix(4);
  // SGP.32 §2.11.1.3: the trigger carries it as UTF8String (SIZE(0..255)).
  if (text.empty() || text.size() > 255) return ad::bad_code("must be 1..255 characters");
  auto parts = ad::split_dollar(text);
  if (parts.size() < 3) return ad::bad_code("must be '1$<SM-DP+ address>$<matching ID>' (SGP.22 §4.1)");
  if (parts.size() > 5) return ad::bad_code("has more than 5 '$'-separated parts (SGP.22 §4.1)");
  if (parts[0] != "1") return ad::bad_code("format '" + std::string(parts[0]) + "' is not supported (only '1')");
  ActivationCode ac;
  ESIMO_CHECK(ad::check_address(parts[1]));
  ac.smdp_address = std::string(parts[1]);
  for (char& c : ac.smdp_address) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  // SGP.22 §4.1: the Matching ID consists of upper-case alphanumerics and '-' only.
  for (char c : parts[2]) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return ad::bad_code("matching ID may hold only 0-9, A-Z and '-' (SGP.22 §4.1)");
  }
  ac.matching_id = std::string(parts[2]);
  if (parts.size() >= 4) {
    std::string_view oid = parts[3];
    bool dot_ok = false;
    for (std::size_t i = 0; i < oid.size(); ++i) {
      const char c = oid[i];
      if (c == '.') {
        if (!dot_ok || i + 1 == oid.size()) return ad::bad_code("SM-DP+ OID must be dotted decimal");
        dot_ok = false;
      } else if (c >= '0' && c <= '9') {
        dot_ok = true;
      } else {
        return ad::bad_code("SM-DP+ OID must be dotted decimal");
      }
    }
    ac.smdp_oid = std::string(oid);
  }
  if (parts.size() == 5) {
    if (parts[4] == "1") {
      ac.confirmation_code_required = true;
    } else if (!parts[4].empty()) {
      return ad::bad_code("confirmation code required flag must be '1' or empty");
    }
  }
  ac.text = std::string(text);
  return ac;
}

}  // namespace esimo::eim
