#pragma once
// Validated value types of the fleet model. Each has a parse() that names what is wrong with bad input, and a canonical
// text form (str()). Construction only through parse()/from_*: an instance is always valid.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace esimo::domain {

// eUICC identifier: 32 decimal digits; digits 31-32 are check digits per ISO/IEC 7064 MOD 97-10 over the 32-digit
// number (GSMA SGP.29): the whole number mod 97 equals 1.
class Eid {
 public:
  static Result<Eid> parse(std::string_view text);
  // Completes 30 digits with their two check digits.
  static Result<Eid> from_prefix30(std::string_view first30);
  const std::string& str() const { return value_; }
  // 16 bytes, packed BCD, most significant digit first (the form of the EID data object, tag 5A).
  std::array<std::uint8_t, 16> to_bytes() const;
  static Result<Eid> from_bytes(ByteView b);
  auto operator<=>(const Eid&) const = default;

 private:
  std::string value_;
};

// Integrated Circuit Card Identifier: 18-20 digits (ITU-T E.118: "89" MII, country code, issuer, account), the last
// one a Luhn check digit.
class Iccid {
 public:
  static Result<Iccid> parse(std::string_view text);
  // Completes 17-19 digits with their Luhn check digit.
  static Result<Iccid> from_payload(std::string_view digits);
  const std::string& str() const { return value_; }
  // 10 bytes, BCD with nibbles swapped per byte and padded with 'F' (the ICCID data object, tag 5A, SGP.22).
  std::array<std::uint8_t, 10> to_wire() const;
  static Result<Iccid> from_wire(ByteView b);
  auto operator<=>(const Iccid&) const = default;

 private:
  std::string value_;
};

// IMSI: 6-15 digits (MCC + MNC + MSIN).
class Imsi {
 public:
  static Result<Imsi> parse(std::string_view text);
  const std::string& str() const { return value_; }
  auto operator<=>(const Imsi&) const = default;

 private:
  std::string value_;
};

// Public Land Mobile Network id: MCC (3 digits) + MNC (2 or 3 digits; "06" and "006" are different networks).
// Canonical text "724-06". Without a separator the MNC length is ambiguous, so parse() accepts only "MCC-MNC" (and
// "MCC MNC").
class Plmn {
 public:
  static Result<Plmn> parse(std::string_view text);
  static Result<Plmn> from_parts(std::string_view mcc, std::string_view mnc);
  std::string str() const;  // "724-06"
  std::string mcc() const;  // "724"
  std::string mnc() const;  // "06" or "006"
  std::uint16_t mcc_value() const { return mcc_; }
  // 3 bytes per 3GPP TS 24.008 §10.5.1.3 (MCC digit 2|1, MNC digit 3|MCC digit 3, MNC digit 2|1; F filler).
  std::array<std::uint8_t, 3> to_wire() const;
  static Result<Plmn> from_wire(ByteView b);
  auto operator<=>(const Plmn&) const = default;

 private:
  std::uint16_t mcc_ = 0;
  std::uint16_t mnc_ = 0;
  std::uint8_t mnc_digits_ = 2;
};

// ISO 3166-1 alpha-2 country code, upper case, from the officially assigned list.
class CountryCode {
 public:
  static Result<CountryCode> parse(std::string_view text);  // case-insensitive
  std::string str() const { return std::string(code_.data(), 2); }
  auto operator<=>(const CountryCode&) const = default;

 private:
  std::array<char, 2> code_{};
};

// The country an MCC is allocated to (ITU-T E.212). MCCs shared by several territories map to the main one;
// international MCCs (901 etc.) have none.
std::optional<CountryCode> country_of_mcc(std::uint16_t mcc);

// ISO 4217 alphabetic currency code, upper case.
class Currency {
 public:
  static Result<Currency> parse(std::string_view text);
  std::string str() const { return std::string(code_.data(), 3); }
  auto operator<=>(const Currency&) const = default;

 private:
  std::array<char, 3> code_{};
};

// Money in integer micro-units (1 EUR = 1,000,000) of one currency. Never floating point.
struct Money {
  std::int64_t micros = 0;
  Currency currency;
  // "0.0125" -> 12500 micros. Up to 6 decimals; sign allowed; no exponent.
  static Result<Money> parse(std::string_view amount, std::string_view currency);
  std::string amount_str() const;  // "0.0125", minimal decimals, at least 2 ("1.00")
  auto operator<=>(const Money&) const = default;
};

}  // namespace esimo::domain
