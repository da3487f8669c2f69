#include "domain/identifiers.hpp"

#include <gtest/gtest.h>

#include <string>

namespace esimo::domain {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

template <class T>
std::string error_of(const Result<T>& r) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  return r.error().message;
}

// ---------------------------------------------------------------- EID

constexpr std::string_view kEid = "89049032123451234512345678901235";  // mod 97 == 1

TEST(Eid, ParsesValid) {
  auto e = Eid::parse(kEid);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->str(), kEid);
}

TEST(Eid, RejectsWrongCheckDigits) {
  EXPECT_NE(error_of(Eid::parse("89049032123451234512345678901234")).find("MOD 97-10"), std::string::npos);
  EXPECT_FALSE(Eid::parse("89049032123451234512345678901253").ok());
}

TEST(Eid, RejectsBadLengthAndCharacters) {
  EXPECT_NE(error_of(Eid::parse("8904903212345123451234567890123")).find("32 digits, has 31"), std::string::npos);
  EXPECT_FALSE(Eid::parse("890490321234512345123456789012350").ok());
  EXPECT_NE(error_of(Eid::parse("8904903212345123451234567890123A")).find("position 32"), std::string::npos);
  EXPECT_EQ(error_of(Eid::parse("")), "EID is empty");
  EXPECT_FALSE(Eid::parse(" 89049032123451234512345678901235").ok());
}

TEST(Eid, ErrorQuotesInput) {
  auto msg = error_of(Eid::parse("12345"));
  EXPECT_NE(msg.find("\"12345\""), std::string::npos) << msg;
  // Control bytes are escaped and long input is cut, so a message stays one readable line.
  msg = error_of(Eid::parse(std::string("12\n\x01\"x", 6)));
  EXPECT_NE(msg.find("\"12\\x0a\\x01\\\"x\""), std::string::npos) << msg;
  msg = error_of(Eid::parse(std::string(100, '7')));
  EXPECT_NE(msg.find(std::string(64, '7') + "...\""), std::string::npos) << msg;
  EXPECT_EQ(msg.find(std::string(65, '7')), std::string::npos) << msg;
}

TEST(Eid, FromPrefix30ComputesCheckDigits) {
  auto e = Eid::from_prefix30("890490321234512345123456789012");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->str(), kEid);
  // Check digits below 10 are zero-padded: prefix of all zeros -> 98 - 0 = 98; find one yielding a single digit.
  auto z = Eid::from_prefix30("000000000000000000000000000000");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->str(), "00000000000000000000000000000098");
  for (int i = 0; i < 200; ++i) {
    std::string p = "8904903200000000000000000" + std::to_string(10000 + i);
    auto r = Eid::from_prefix30(p);
    ASSERT_TRUE(r.ok()) << p;
    EXPECT_EQ(r->str().substr(0, 30), p);
  }
  EXPECT_FALSE(Eid::from_prefix30("89049032123451234512345678901").ok());
  EXPECT_FALSE(Eid::from_prefix30("89049032123451234512345678901x").ok());
}

TEST(Eid, BytesRoundTrip) {
  auto e = Eid::parse(kEid).value();
  auto b = e.to_bytes();
  EXPECT_EQ(to_hex(b), "89049032123451234512345678901235");
  auto back = Eid::from_bytes(b);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, e);
}

TEST(Eid, FromBytesRejects) {
  EXPECT_NE(error_of(Eid::from_bytes(hex("8904"))).find("16 bytes"), std::string::npos);
  EXPECT_NE(error_of(Eid::from_bytes(hex("8904903212345123451234567890123a"))).find("byte 15"), std::string::npos);
  EXPECT_FALSE(Eid::from_bytes(hex("89049032123451234512345678901234")).ok());  // bad check digits
}

// ---------------------------------------------------------------- ICCID

TEST(Iccid, ParsesValidLengths) {
  for (std::string_view s : {"891004234814455930", "8944476500001224158", "89882470000000012340"}) {
    auto i = Iccid::parse(s);
    ASSERT_TRUE(i.ok()) << s << ": " << i.error().message;
    EXPECT_EQ(i->str(), s);
  }
}

TEST(Iccid, RejectsLuhnFailure) {
  auto msg = error_of(Iccid::parse("8944476500001224157"));
  EXPECT_NE(msg.find("Luhn"), std::string::npos);
  EXPECT_NE(msg.find("should be 8"), std::string::npos) << msg;
  EXPECT_FALSE(Iccid::parse("891004234814455936").ok());
}

TEST(Iccid, RejectsLengthAndCharacters) {
  EXPECT_NE(error_of(Iccid::parse("89444765000012241")).find("18-20 digits, has 17"), std::string::npos);
  EXPECT_FALSE(Iccid::parse("894447650000122415800").ok());
  EXPECT_FALSE(Iccid::parse("89444765000012241F").ok());
  EXPECT_FALSE(Iccid::parse("").ok());
}

TEST(Iccid, WireFormSwapsNibblesAndPads) {
  // 8944476500001224158 -> digit pairs (8,9)(4,4)(4,7)(6,5)(0,0)(0,0)(1,2)(2,4)(1,5)(8,F), each byte low nibble first.
  auto i = Iccid::parse("8944476500001224158").value();
  EXPECT_EQ(to_hex(i.to_wire()), "984474560000214251f8");
  auto back = Iccid::from_wire(i.to_wire());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, i);

  auto i20 = Iccid::parse("89882470000000012340").value();
  EXPECT_EQ(to_hex(i20.to_wire()), "98884207000000103204");
  EXPECT_EQ(Iccid::from_wire(i20.to_wire()).value(), i20);

  auto i18 = Iccid::parse("891004234814455930").value();
  EXPECT_EQ(to_hex(i18.to_wire()), "980140328441549503ff");
  EXPECT_EQ(Iccid::from_wire(i18.to_wire()).value(), i18);
}

TEST(Iccid, FromWireRejects) {
  EXPECT_NE(error_of(Iccid::from_wire(hex("9844745600002142"))).find("10 bytes"), std::string::npos);
  EXPECT_FALSE(Iccid::from_wire(hex("984474560000214251a8")).ok());  // 'A' nibble
  EXPECT_FALSE(Iccid::from_wire(hex("98447456f000214251f8")).ok());  // digit after padding
  EXPECT_FALSE(Iccid::from_wire(hex("984474560000214251f7")).ok());  // Luhn fails
  EXPECT_FALSE(Iccid::from_wire(hex("ffffffffffffffffffff")).ok());
}

// ---------------------------------------------------------------- IMSI

TEST(Imsi, Parses) {
  EXPECT_EQ(Imsi::parse("724060123456789").value().str(), "724060123456789");
  EXPECT_TRUE(Imsi::parse("724060").ok());
  EXPECT_FALSE(Imsi::parse("72406").ok());
  EXPECT_FALSE(Imsi::parse("7240601234567890").ok());
  EXPECT_FALSE(Imsi::parse("72406012345678x").ok());
}

// ---------------------------------------------------------------- PLMN

TEST(Plmn, ParsesBothSeparators) {
  auto p = Plmn::parse("724-06");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->str(), "724-06");
  EXPECT_EQ(p->mcc(), "724");
  EXPECT_EQ(p->mnc(), "06");
  EXPECT_EQ(p->mcc_value(), 724);
  EXPECT_EQ(Plmn::parse("724 06").value(), *p);
}

TEST(Plmn, PreservesMncLength) {
  auto two = Plmn::parse("310-06").value();
  auto three = Plmn::parse("310-006").value();
  EXPECT_NE(two, three);
  EXPECT_EQ(three.str(), "310-006");
  EXPECT_EQ(three.mnc(), "006");
  EXPECT_EQ(Plmn::from_parts("001", "01").value().str(), "001-01");
}

TEST(Plmn, Rejects) {
  EXPECT_NE(error_of(Plmn::parse("72406")).find("MCC-MNC"), std::string::npos);
  EXPECT_FALSE(Plmn::parse("72-406").ok());
  EXPECT_FALSE(Plmn::parse("7240-6").ok());
  EXPECT_FALSE(Plmn::parse("724-6").ok());
  EXPECT_FALSE(Plmn::parse("724-0006").ok());
  EXPECT_FALSE(Plmn::parse("724-0a").ok());
  EXPECT_FALSE(Plmn::parse("724--06").ok());
  EXPECT_FALSE(Plmn::parse("").ok());
  auto msg = error_of(Plmn::parse("724-6"));
  EXPECT_NE(msg.find("\"724-6\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("MNC"), std::string::npos) << msg;
}

TEST(Plmn, WireFormPerTs24008) {
  // TS 24.008 §10.5.1.3: MCC 262 MNC 01 -> 62 F2 10.
  EXPECT_EQ(to_hex(Plmn::parse("262-01").value().to_wire()), "62f210");
  EXPECT_EQ(to_hex(Plmn::parse("724-06").value().to_wire()), "27f460");
  EXPECT_EQ(to_hex(Plmn::parse("310-410").value().to_wire()), "130014");
  for (std::string_view s : {"262-01", "724-06", "310-410", "405-854", "001-01", "999-999"}) {
    auto p = Plmn::parse(s).value();
    auto back = Plmn::from_wire(p.to_wire());
    ASSERT_TRUE(back.ok()) << s;
    EXPECT_EQ(*back, p) << s;
    EXPECT_EQ(back->str(), s);
  }
}

TEST(Plmn, FromWireRejects) {
  EXPECT_FALSE(Plmn::from_wire(hex("62f2")).ok());
  EXPECT_FALSE(Plmn::from_wire(hex("6af210")).ok());
  EXPECT_FALSE(Plmn::from_wire(hex("62f21f")).ok());
  EXPECT_FALSE(Plmn::from_wire(hex("62a210")).ok());
}

// ---------------------------------------------------------------- Country, currency

TEST(CountryCode, ValidatesAgainstIsoList) {
  EXPECT_EQ(CountryCode::parse("BR").value().str(), "BR");
  EXPECT_EQ(CountryCode::parse("br").value().str(), "BR");
  EXPECT_EQ(CountryCode::parse("Tr").value().str(), "TR");
  EXPECT_TRUE(CountryCode::parse("AX").ok());
  EXPECT_TRUE(CountryCode::parse("ZW").ok());
  EXPECT_TRUE(CountryCode::parse("AD").ok());
  EXPECT_NE(error_of(CountryCode::parse("UK")).find("not an assigned"), std::string::npos);
  EXPECT_FALSE(CountryCode::parse("XK").ok());  // user-assigned, not official
  EXPECT_FALSE(CountryCode::parse("EU").ok());
  EXPECT_FALSE(CountryCode::parse("BRA").ok());
  EXPECT_FALSE(CountryCode::parse("").ok());
  EXPECT_FALSE(CountryCode::parse("1R").ok());
}

TEST(CountryOfMcc, KnownAllocations) {
  auto cc = [](std::uint16_t mcc) {
    auto c = country_of_mcc(mcc);
    return c ? c->str() : std::string("-");
  };
  EXPECT_EQ(cc(724), "BR");
  EXPECT_EQ(cc(286), "TR");
  EXPECT_EQ(cc(404), "IN");
  EXPECT_EQ(cc(405), "IN");
  EXPECT_EQ(cc(406), "IN");
  EXPECT_EQ(cc(621), "NG");
  for (std::uint16_t m = 310; m <= 316; ++m) EXPECT_EQ(cc(m), "US") << m;
  EXPECT_EQ(cc(234), "GB");
  EXPECT_EQ(cc(235), "GB");
  EXPECT_EQ(cc(262), "DE");
  EXPECT_EQ(cc(208), "FR");
  EXPECT_EQ(cc(460), "CN");
  EXPECT_EQ(cc(440), "JP");
  EXPECT_EQ(cc(505), "AU");
  EXPECT_EQ(cc(655), "ZA");
  EXPECT_EQ(cc(750), "FK");
  EXPECT_EQ(cc(901), "-");
  EXPECT_EQ(cc(1), "-");
  EXPECT_EQ(cc(221), "-");  // Kosovo has no ISO 3166-1 code
  EXPECT_EQ(cc(0), "-");
  EXPECT_EQ(cc(999), "-");
}

TEST(Currency, ValidatesAgainstIso4217) {
  EXPECT_EQ(Currency::parse("EUR").value().str(), "EUR");
  EXPECT_EQ(Currency::parse("brl").value().str(), "BRL");
  EXPECT_TRUE(Currency::parse("USD").ok());
  EXPECT_TRUE(Currency::parse("INR").ok());
  EXPECT_TRUE(Currency::parse("TRY").ok());
  EXPECT_FALSE(Currency::parse("ABC").ok());
  EXPECT_FALSE(Currency::parse("HRK").ok());  // withdrawn 2023
  EXPECT_FALSE(Currency::parse("EU").ok());
  EXPECT_FALSE(Currency::parse("EURO").ok());
  EXPECT_NE(error_of(Currency::parse("ABC")).find("\"ABC\""), std::string::npos);
}

// ---------------------------------------------------------------- Money

TEST(Money, ParsesDecimals) {
  auto m = Money::parse("0.0125", "EUR");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->micros, 12500);
  EXPECT_EQ(m->currency.str(), "EUR");
  EXPECT_EQ(Money::parse("1", "USD")->micros, 1'000'000);
  EXPECT_EQ(Money::parse("1.5", "USD")->micros, 1'500'000);
  EXPECT_EQ(Money::parse("0.000001", "USD")->micros, 1);
  EXPECT_EQ(Money::parse("-2.25", "USD")->micros, -2'250'000);
  EXPECT_EQ(Money::parse("+3", "USD")->micros, 3'000'000);
  EXPECT_EQ(Money::parse("007.10", "USD")->micros, 7'100'000);
  EXPECT_EQ(Money::parse("0", "USD")->micros, 0);
  EXPECT_EQ(Money::parse("-0", "USD")->micros, 0);
}

TEST(Money, Limits) {
  // INT64_MAX micros = 9223372036854.775807
  EXPECT_EQ(Money::parse("9223372036854.775807", "USD")->micros, INT64_MAX);
  EXPECT_EQ(Money::parse("-9223372036854.775807", "USD")->micros, -INT64_MAX);
  EXPECT_NE(error_of(Money::parse("9223372036854.775808", "USD")).find("too large"), std::string::npos);
  EXPECT_NE(error_of(Money::parse("9223372036855", "USD")).find("too large"), std::string::npos);
  EXPECT_FALSE(Money::parse("99999999999999999999999999", "USD").ok());
}

TEST(Money, RejectsWithReasons) {
  EXPECT_EQ(error_of(Money::parse("", "EUR")), "amount is empty");
  EXPECT_NE(error_of(Money::parse("1e3", "EUR")).find("exponent"), std::string::npos);
  EXPECT_NE(error_of(Money::parse("1.5E2", "EUR")).find("exponent"), std::string::npos);
  EXPECT_NE(error_of(Money::parse("0.0000001", "EUR")).find("more than 6 decimals"), std::string::npos);
  EXPECT_NE(error_of(Money::parse("abc", "EUR")).find("\"abc\""), std::string::npos);
  EXPECT_NE(error_of(Money::parse("1.", "EUR")).find("after the decimal point"), std::string::npos);
  EXPECT_FALSE(Money::parse(".5", "EUR").ok());
  EXPECT_FALSE(Money::parse("-", "EUR").ok());
  EXPECT_FALSE(Money::parse("1,5", "EUR").ok());
  EXPECT_FALSE(Money::parse("1.2.3", "EUR").ok());
  EXPECT_FALSE(Money::parse(" 1", "EUR").ok());
  EXPECT_FALSE(Money::parse("1 ", "EUR").ok());
  EXPECT_FALSE(Money::parse("--1", "EUR").ok());
  EXPECT_FALSE(Money::parse("NaN", "EUR").ok());
  EXPECT_NE(error_of(Money::parse("1.00", "XYZ")).find("currency"), std::string::npos);
}

TEST(Money, AmountString) {
  auto s = [](std::string_view a) { return Money::parse(a, "EUR").value().amount_str(); };
  EXPECT_EQ(s("0.0125"), "0.0125");
  EXPECT_EQ(s("1"), "1.00");
  EXPECT_EQ(s("1.5"), "1.50");
  EXPECT_EQ(s("0.000001"), "0.000001");
  EXPECT_EQ(s("-2.25"), "-2.25");
  EXPECT_EQ(s("-0.5"), "-0.50");
  EXPECT_EQ(s("0"), "0.00");
  EXPECT_EQ(s("123456.789000"), "123456.789");
  EXPECT_EQ(s("9223372036854.775807"), "9223372036854.775807");
  Money min;
  min.micros = INT64_MIN;
  EXPECT_EQ(min.amount_str(), "-9223372036854.775808");
  // Round trip of the text form.
  for (std::string_view a : {"0.01", "12.345678", "-7.00", "1000000.10"}) {
    auto m = Money::parse(a, "EUR").value();
    EXPECT_EQ(Money::parse(m.amount_str(), "EUR").value(), m) << a;
  }
}

}  // namespace
}  // namespace esimo::domain
