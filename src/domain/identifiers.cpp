// Validated identifiers of the fleet model: EID, ICCID, IMSI, PLMN, country, currency, money.
#include "domain/identifiers.hpp"

#include "domain/error_text.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace esimo::domain {

// Quotes untrusted input for an error message: at most 64 characters, non-printable bytes escaped.
std::string quote_input(std::string_view s) {
  static constexpr std::size_t kMax = 64;
  std::string out = "\"";
  const std::size_t n = std::min(s.size(), kMax);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) out += "...";
  out += '"';
  return out;
}

namespace identifiers_detail {

Error invalid(std::string msg) { return Error{Errc::invalid_argument, std::move(msg)}; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Checks that text is all decimal digits and its length is within [min_len, max_len].
Status check_digits(std::string_view what, std::string_view text, std::size_t min_len, std::size_t max_len) {
  if (text.empty()) return invalid(std::string(what) + " is empty");
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_digit(text[i])) {
      return invalid(std::string(what) + " " + quote_input(text) + " has a non-digit character at position " +
                     std::to_string(i + 1));
    }
  }
  if (text.size() < min_len || text.size() > max_len) {
    std::string range = min_len == max_len ? std::to_string(min_len)
                                           : std::to_string(min_len) + "-" + std::to_string(max_len);
    return invalid(std::string(what) + " " + quote_input(text) + " must have " + range + " digits, has " +
                   std::to_string(text.size()));
  }
  return ok_status();
}

// The decimal number written by digits, mod 97 (ISO/IEC 7064).
unsigned mod97(std::string_view digits) {
  unsigned r = 0;
  for (char c : digits) r = (r * 10 + static_cast<unsigned>(c - '0')) % 97;
  return r;
}

// Luhn (ISO/IEC 7812-1) sum of digits, doubling every second digit from the right, starting with the rightmost when
// double_rightmost (the digits are a payload whose check digit is still to come).
unsigned luhn_sum(std::string_view digits, bool double_rightmost) {
  unsigned sum = 0;
  bool twice = double_rightmost;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    unsigned d = static_cast<unsigned>(*it - '0');
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum;
}

bool luhn_valid(std::string_view digits) { return luhn_sum(digits, false) % 10 == 0; }

char luhn_check_digit(std::string_view payload) {
  return static_cast<char>('0' + (10 - luhn_sum(payload, true) % 10) % 10);
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// ISO 3166-1 alpha-2, officially assigned codes (249), sorted.
constexpr const char* kIsoCountries[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE",
    "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD",
    "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU",
    "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
    "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI",
    "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK",
    "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

// ISO 4217 alphabetic codes in use (list one, including funds and precious-metal codes), sorted. HRK (withdrawn 2023)
// is out; XCG (2025) and ZWG (2024) are in.
constexpr const char* kIsoCurrencies[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF",
    "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
    "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR",
    "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD",
    "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
    "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD",
    "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF",
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA",
    "XXX", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
};

struct MccCountry {
  std::uint16_t mcc;
  char cc[3];
};

// ITU-T E.212 geographic MCCs -> ISO 3166-1 alpha-2 (sorted by MCC). An MCC shared by several territories maps to the
// main one (340 French Antilles -> GP, 362 former Netherlands Antilles -> CW, 647 -> RE). 221 (Kosovo) and 289
// (Abkhazia) have no ISO 3166-1 code and are left out, as are the international and trial MCCs (001, 901, 902, 991...).
constexpr MccCountry kMccCountries[] = {
    {202, "GR"}, {204, "NL"}, {206, "BE"}, {208, "FR"}, {212, "MC"}, {213, "AD"}, {214, "ES"}, {216, "HU"},
    {218, "BA"}, {219, "HR"}, {220, "RS"}, {222, "IT"}, {225, "VA"}, {226, "RO"}, {228, "CH"}, {230, "CZ"},
    {231, "SK"}, {232, "AT"}, {234, "GB"}, {235, "GB"}, {238, "DK"}, {240, "SE"}, {242, "NO"}, {244, "FI"},
    {246, "LT"}, {247, "LV"}, {248, "EE"}, {250, "RU"}, {255, "UA"}, {257, "BY"}, {259, "MD"}, {260, "PL"},
    {262, "DE"}, {266, "GI"}, {268, "PT"}, {270, "LU"}, {272, "IE"}, {274, "IS"}, {276, "AL"}, {278, "MT"},
    {280, "CY"}, {282, "GE"}, {283, "AM"}, {284, "BG"}, {286, "TR"}, {288, "FO"}, {290, "GL"}, {292, "SM"},
    {293, "SI"}, {294, "MK"}, {295, "LI"}, {297, "ME"},
    {302, "CA"}, {308, "PM"}, {310, "US"}, {311, "US"}, {312, "US"}, {313, "US"}, {314, "US"}, {315, "US"},
    {316, "US"}, {330, "PR"}, {332, "VI"}, {334, "MX"}, {338, "JM"}, {340, "GP"}, {342, "BB"}, {344, "AG"},
    {346, "KY"}, {348, "VG"}, {350, "BM"}, {352, "GD"}, {354, "MS"}, {356, "KN"}, {358, "LC"}, {360, "VC"},
    {362, "CW"}, {363, "AW"}, {364, "BS"}, {365, "AI"}, {366, "DM"}, {368, "CU"}, {370, "DO"}, {372, "HT"},
    {374, "TT"}, {376, "TC"},
    {400, "AZ"}, {401, "KZ"}, {402, "BT"}, {404, "IN"}, {405, "IN"}, {406, "IN"}, {410, "PK"}, {412, "AF"},
    {413, "LK"}, {414, "MM"}, {415, "LB"}, {416, "JO"}, {417, "SY"}, {418, "IQ"}, {419, "KW"}, {420, "SA"},
    {421, "YE"}, {422, "OM"}, {424, "AE"}, {425, "IL"}, {426, "BH"}, {427, "QA"}, {428, "MN"}, {429, "NP"},
    {430, "AE"}, {431, "AE"}, {432, "IR"}, {434, "UZ"}, {436, "TJ"}, {437, "KG"}, {438, "TM"}, {440, "JP"},
    {441, "JP"}, {450, "KR"}, {452, "VN"}, {454, "HK"}, {455, "MO"}, {456, "KH"}, {457, "LA"}, {460, "CN"},
    {461, "CN"}, {466, "TW"}, {467, "KP"}, {470, "BD"}, {472, "MV"},
    {502, "MY"}, {505, "AU"}, {510, "ID"}, {514, "TL"}, {515, "PH"}, {520, "TH"}, {525, "SG"}, {528, "BN"},
    {530, "NZ"}, {534, "MP"}, {535, "GU"}, {536, "NR"}, {537, "PG"}, {539, "TO"}, {540, "SB"}, {541, "VU"},
    {542, "FJ"}, {543, "WF"}, {544, "AS"}, {545, "KI"}, {546, "NC"}, {547, "PF"}, {548, "CK"}, {549, "WS"},
    {550, "FM"}, {551, "MH"}, {552, "PW"}, {553, "TV"}, {554, "TK"}, {555, "NU"},
    {602, "EG"}, {603, "DZ"}, {604, "MA"}, {605, "TN"}, {606, "LY"}, {607, "GM"}, {608, "SN"}, {609, "MR"},
    {610, "ML"}, {611, "GN"}, {612, "CI"}, {613, "BF"}, {614, "NE"}, {615, "TG"}, {616, "BJ"}, {617, "MU"},
    {618, "LR"}, {619, "SL"}, {620, "GH"}, {621, "NG"}, {622, "TD"}, {623, "CF"}, {624, "CM"}, {625, "CV"},
    {626, "ST"}, {627, "GQ"}, {628, "GA"}, {629, "CG"}, {630, "CD"}, {631, "AO"}, {632, "GW"}, {633, "SC"},
    {634, "SD"}, {635, "RW"}, {636, "ET"}, {637, "SO"}, {638, "DJ"}, {639, "KE"}, {640, "TZ"}, {641, "UG"},
    {642, "BI"}, {643, "MZ"}, {645, "ZM"}, {646, "MG"}, {647, "RE"}, {648, "ZW"}, {649, "NA"}, {650, "MW"},
    {651, "LS"}, {652, "BW"}, {653, "SZ"}, {654, "KM"}, {655, "ZA"}, {657, "ER"}, {658, "SH"}, {659, "SS"},
    {702, "BZ"}, {704, "GT"}, {706, "SV"}, {708, "HN"}, {710, "NI"}, {712, "CR"}, {714, "PA"}, {716, "PE"},
    {722, "AR"}, {724, "BR"}, {730, "CL"}, {732, "CO"}, {734, "VE"}, {736, "BO"}, {738, "GY"}, {740, "EC"},
    {742, "GF"}, {744, "PY"}, {746, "SR"}, {748, "UY"}, {750, "FK"},
    {995, "IO"},
};

template <std::size_t N>
bool in_sorted_table(const char* const (&table)[N], std::string_view code) {
  auto it = std::lower_bound(std::begin(table), std::end(table), code,
                             [](const char* a, std::string_view b) { return std::string_view(a) < b; });
  return it != std::end(table) && std::string_view(*it) == code;
}

}  // namespace identifiers_detail

namespace idd = identifiers_detail;

// ---------------------------------------------------------------- Eid

Result<Eid> Eid::parse(std::string_view text) {
  ESIMO_CHECK(idd::check_digits("EID", text, 32, 32));
  if (idd::mod97(text) != 1) {
    return idd::invalid("EID " + quote_input(text) + " fails its ISO 7064 MOD 97-10 check digits (last two digits)");
  }
  Eid e;
  e.value_ = std::string(text);
  return e;
}

Result<Eid> Eid::from_prefix30(std::string_view first30) {
  ESIMO_CHECK(idd::check_digits("EID prefix", first30, 30, 30));
  const unsigned check = 98 - (idd::mod97(first30) * 100) % 97;
  std::string s(first30);
  s += static_cast<char>('0' + check / 10);
  s += static_cast<char>('0' + check % 10);
  return parse(s);
}

std::array<std::uint8_t, 16> Eid::to_bytes() const {
  std::array<std::uint8_t, 16> out{};
  if (value_.size() != 32) return out;  // a default-constructed Eid
  for (std::size_t i = 0; i < 16; ++i) {
    out[i] = static_cast<std::uint8_t>(((value_[2 * i] - '0') << 4) | (value_[2 * i + 1] - '0'));
  }
  return out;
}

Result<Eid> Eid::from_bytes(ByteView b) {
  if (b.size() != 16) {
    return idd::invalid("EID must be 16 bytes of packed BCD, got " + std::to_string(b.size()) + " bytes");
  }
  std::string s;
  s.reserve(32);
  for (std::size_t i = 0; i < b.size(); ++i) {
    const unsigned hi = b[i] >> 4, lo = b[i] & 0xf;
    if (hi > 9 || lo > 9) {
      return idd::invalid("EID byte " + std::to_string(i) + " is not packed BCD (0x" + to_hex(b.subspan(i, 1)) + ")");
    }
    s += static_cast<char>('0' + hi);
    s += static_cast<char>('0' + lo);
  }
  return parse(s);
}

// ---------------------------------------------------------------- Iccid

Result<Iccid> Iccid::parse(std::string_view text) {
  ESIMO_CHECK(idd::check_digits("ICCID", text, 18, 20));
  if (!idd::luhn_valid(text)) {
    return idd::invalid("ICCID " + quote_input(text) + " fails its Luhn check digit (last digit should be " +
                        std::string(1, idd::luhn_check_digit(text.substr(0, text.size() - 1))) + ")");
  }
  Iccid i;
  i.value_ = std::string(text);
  return i;
}

Result<Iccid> Iccid::from_payload(std::string_view digits) {
  ESIMO_CHECK(idd::check_digits("ICCID payload", digits, 17, 19));
  return parse(std::string(digits) + idd::luhn_check_digit(digits));
}

std::array<std::uint8_t, 10> Iccid::to_wire() const {
  std::array<std::uint8_t, 10> out;
  out.fill(0xff);
  for (std::size_t i = 0; i < value_.size(); ++i) {
    const auto d = static_cast<std::uint8_t>(value_[i] - '0');
    auto& byte = out[i / 2];
    // Digit 1 in the low nibble, digit 2 in the high nibble of each byte (swapped BCD).
    byte = (i % 2 == 0) ? static_cast<std::uint8_t>((byte & 0xf0) | d) : static_cast<std::uint8_t>((byte & 0x0f) | (d << 4));
  }
  return out;
}

Result<Iccid> Iccid::from_wire(ByteView b) {
  if (b.size() != 10) {
    return idd::invalid("ICCID must be 10 bytes of swapped BCD, got " + std::to_string(b.size()) + " bytes");
  }
  std::string s;
  bool padding = false;
  for (std::size_t i = 0; i < 20; ++i) {
    const unsigned nibble = (i % 2 == 0) ? (b[i / 2] & 0xf) : (b[i / 2] >> 4);
    if (nibble == 0xf) {
      padding = true;
      continue;
    }
    if (padding || nibble > 9) {
      return idd::invalid("ICCID wire form " + to_hex(b) + " has an invalid nibble at digit " + std::to_string(i + 1));
    }
    s += static_cast<char>('0' + nibble);
  }
  return parse(s);
}

// ---------------------------------------------------------------- Imsi

Result<Imsi> Imsi::parse(std::string_view text) {
  ESIMO_CHECK(idd::check_digits("IMSI", text, 6, 15));
  Imsi i;
  i.value_ = std::string(text);
  return i;
}

// ---------------------------------------------------------------- Plmn

Result<Plmn> Plmn::from_parts(std::string_view mcc, std::string_view mnc) {
  ESIMO_CHECK(idd::check_digits("MCC", mcc, 3, 3));
  ESIMO_CHECK(idd::check_digits("MNC", mnc, 2, 3));
  Plmn p;
  p.mcc_ = static_cast<std::uint16_t>(std::stoi(std::string(mcc)));
  p.mnc_ = static_cast<std::uint16_t>(std::stoi(std::string(mnc)));
  p.mnc_digits_ = static_cast<std::uint8_t>(mnc.size());
  return p;
}

Result<Plmn> Plmn::parse(std::string_view text) {
  const auto sep = text.find_first_of("- ");
  if (sep == std::string_view::npos) {
    return idd::invalid("PLMN " + quote_input(text) + " must be written MCC-MNC, e.g. \"724-06\"");
  }
  auto r = from_parts(text.substr(0, sep), text.substr(sep + 1));
  if (!r) return idd::invalid("PLMN " + quote_input(text) + ": " + r.error().message);
  return r;
}

std::string Plmn::mcc() const {
  char buf[4];
  buf[0] = static_cast<char>('0' + mcc_ / 100);
  buf[1] = static_cast<char>('0' + mcc_ / 10 % 10);
  buf[2] = static_cast<char>('0' + mcc_ % 10);
  buf[3] = 0;
  return buf;
}

std::string Plmn::mnc() const {
  std::string s;
  if (mnc_digits_ == 3) s += static_cast<char>('0' + mnc_ / 100);
  s += static_cast<char>('0' + mnc_ / 10 % 10);
  s += static_cast<char>('0' + mnc_ % 10);
  return s;
}

std::string Plmn::str() const { return mcc() + "-" + mnc(); }

std::array<std::uint8_t, 3> Plmn::to_wire() const {
  const unsigned m1 = mcc_ / 100, m2 = mcc_ / 10 % 10, m3 = mcc_ % 10;
  unsigned n1, n2, n3;
  if (mnc_digits_ == 3) {
    n1 = mnc_ / 100;
    n2 = mnc_ / 10 % 10;
    n3 = mnc_ % 10;
  } else {
    n1 = mnc_ / 10;
    n2 = mnc_ % 10;
    n3 = 0xf;
  }
  return {static_cast<std::uint8_t>((m2 << 4) | m1), static_cast<std::uint8_t>((n3 << 4) | m3),
          static_cast<std::uint8_t>((n2 << 4) | n1)};
}

Result<Plmn> Plmn::from_wire(ByteView b) {
  if (b.size() != 3) return idd::invalid("PLMN must be 3 bytes, got " + std::to_string(b.size()) + " bytes");
  const unsigned m1 = b[0] & 0xf, m2 = b[0] >> 4, m3 = b[1] & 0xf, n3 = b[1] >> 4, n1 = b[2] & 0xf, n2 = b[2] >> 4;
  if (m1 > 9 || m2 > 9 || m3 > 9 || n1 > 9 || n2 > 9 || (n3 > 9 && n3 != 0xf)) {
    return idd::invalid("PLMN wire form " + to_hex(b) + " is not BCD (TS 24.008 §10.5.1.3)");
  }
  Plmn p;
  p.mcc_ = static_cast<std::uint16_t>(m1 * 100 + m2 * 10 + m3);
  if (n3 == 0xf) {
    p.mnc_ = static_cast<std::uint16_t>(n1 * 10 + n2);
    p.mnc_digits_ = 2;
  } else {
    p.mnc_ = static_cast<std::uint16_t>(n1 * 100 + n2 * 10 + n3);
    p.mnc_digits_ = 3;
  }
  return p;
}

// ---------------------------------------------------------------- CountryCode

Result<CountryCode> CountryCode::parse(std::string_view text) {
  if (text.size() != 2) {
    return idd::invalid("country " + quote_input(text) + " must be an ISO 3166-1 alpha-2 code (two letters)");
  }
  const char code[2] = {idd::upper(text[0]), idd::upper(text[1])};
  if (!idd::in_sorted_table(idd::kIsoCountries, std::string_view(code, 2))) {
    return idd::invalid("country " + quote_input(text) + " is not an assigned ISO 3166-1 alpha-2 code");
  }
  CountryCode c;
  c.code_ = {code[0], code[1]};
  return c;
}

std::optional<CountryCode> country_of_mcc(std::uint16_t mcc) {
  const auto* begin = std::begin(idd::kMccCountries);
  const auto* end = std::end(idd::kMccCountries);
  const auto* it = std::lower_bound(begin, end, mcc, [](const idd::MccCountry& e, std::uint16_t m) { return e.mcc < m; });
  if (it == end || it->mcc != mcc) return std::nullopt;
  auto c = CountryCode::parse(std::string_view(it->cc, 2));
  if (!c) return std::nullopt;
  return *c;
}

// ---------------------------------------------------------------- Currency

Result<Currency> Currency::parse(std::string_view text) {
  if (text.size() != 3) {
    return idd::invalid("currency " + quote_input(text) + " must be an ISO 4217 alphabetic code (three letters)");
  }
  const char code[3] = {idd::upper(text[0]), idd::upper(text[1]), idd::upper(text[2])};
  if (!idd::in_sorted_table(idd::kIsoCurrencies, std::string_view(code, 3))) {
    return idd::invalid("currency " + quote_input(text) + " is not an ISO 4217 currency code");
  }
  Currency c;
  c.code_ = {code[0], code[1], code[2]};
  return c;
}

// ---------------------------------------------------------------- Money

Result<Money> Money::parse(std::string_view amount, std::string_view currency) {
  const std::string q = quote_input(amount);
  if (amount.empty()) return idd::invalid("amount is empty");
  std::size_t i = 0;
  bool negative = false;
  if (amount[0] == '-' || amount[0] == '+') {
    negative = amount[0] == '-';
    ++i;
  }
  const std::size_t int_begin = i;
  while (i < amount.size() && idd::is_digit(amount[i])) ++i;
  const std::size_t int_end = i;
  if (int_end == int_begin) return idd::invalid("amount " + q + " must start with a digit (after an optional sign)");
  std::size_t frac_begin = i, frac_end = i;
  if (i < amount.size() && amount[i] == '.') {
    ++i;
    frac_begin = i;
    while (i < amount.size() && idd::is_digit(amount[i])) ++i;
    frac_end = i;
    if (frac_end == frac_begin) return idd::invalid("amount " + q + " has no digits after the decimal point");
  }
  if (i < amount.size()) {
    if (amount[i] == 'e' || amount[i] == 'E') {
      return idd::invalid("amount " + q + " uses an exponent; write the plain decimal number");
    }
    return idd::invalid("amount " + q + " has an unexpected character at position " + std::to_string(i + 1));
  }
  if (frac_end - frac_begin > 6) {
    return idd::invalid("amount " + q + " has more than 6 decimals (the resolution is one micro-unit)");
  }
  // Magnitude in micro-units, checked against int64 overflow.
  constexpr std::uint64_t kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t units = 0;
  for (std::size_t k = int_begin; k < int_end; ++k) {
    units = units * 10 + static_cast<std::uint64_t>(amount[k] - '0');
    if (units > kLimit / 1'000'000) return idd::invalid("amount " + q + " is too large");
  }
  std::uint64_t frac = 0;
  std::size_t frac_digits = frac_end - frac_begin;
  for (std::size_t k = frac_begin; k < frac_end; ++k) frac = frac * 10 + static_cast<std::uint64_t>(amount[k] - '0');
  for (; frac_digits < 6; ++frac_digits) frac *= 10;
  const std::uint64_t micros = units * 1'000'000;
  if (micros > kLimit - frac) return idd::invalid("amount " + q + " is too large");
  auto cur = Currency::parse(currency);
  if (!cur) return std::move(cur).error();
  Money m;
  m.micros = static_cast<std::int64_t>(micros + frac) * (negative ? -1 : 1);
  m.currency = *cur;
  return m;
}

std::string Money::amount_str() const {
  const bool negative = micros < 0;
  const std::uint64_t mag = negative ? (~static_cast<std::uint64_t>(micros) + 1) : static_cast<std::uint64_t>(micros);
  std::string frac = std::to_string(mag % 1'000'000);
  frac.insert(0, 6 - frac.size(), '0');
  while (frac.size() > 2 && frac.back() == '0') frac.pop_back();
  return (negative ? "-" : "") + std::to_string(mag / 1'000'000) + "." + frac;
}

}  // namespace esimo::domain
