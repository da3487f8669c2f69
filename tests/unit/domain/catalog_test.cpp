#include "domain/catalog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace esimo::domain {
namespace {

constexpr const char* kProvidersXml = "/usr/share/mobile-broadband-provider-info/serviceproviders.xml";
constexpr const char* kIso3166Json = "/usr/share/iso-codes/json/iso_3166-1.json";

std::string read_text(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> plmn_strings(const Carrier& c) {
  std::vector<std::string> out;
  for (const auto& p : c.plmns) out.push_back(p.str());
  return out;
}

const Carrier* find_carrier(const std::vector<Carrier>& all, std::string_view cc, std::string_view name) {
  for (const auto& c : all) {
    if (c.name == name && !c.countries.empty() && c.countries.front().str() == cc) return &c;
  }
  return nullptr;
}

// ---------------------------------------------------------------- the real Debian files

class RealCatalog : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string text = read_text(kProvidersXml);
    ASSERT_FALSE(text.empty()) << kProvidersXml << " is missing (package mobile-broadband-provider-info)";
    auto r = parse_service_providers_xml(text, &stats_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    carriers_ = new std::vector<Carrier>(std::move(r).value());
  }
  static void TearDownTestSuite() {
    delete carriers_;
    carriers_ = nullptr;
  }
  static const std::vector<Carrier>& carriers() { return *carriers_; }
  static std::vector<Carrier>* carriers_;
  static ServiceProvidersStats stats_;
};
std::vector<Carrier>* RealCatalog::carriers_ = nullptr;
ServiceProvidersStats RealCatalog::stats_;

TEST_F(RealCatalog, BrazilHasVivoClaroTimWithRealPlmns) {
  const Carrier* vivo = find_carrier(carriers(), "BR", "Vivo");
  const Carrier* claro = find_carrier(carriers(), "BR", "Claro");
  const Carrier* tim = find_carrier(carriers(), "BR", "TIM");
  ASSERT_NE(vivo, nullptr);
  ASSERT_NE(claro, nullptr);
  ASSERT_NE(tim, nullptr);
  EXPECT_THAT(plmn_strings(*vivo), ::testing::ElementsAre("724-06", "724-10", "724-11", "724-23"));
  EXPECT_THAT(plmn_strings(*claro), ::testing::ElementsAre("724-05"));
  EXPECT_THAT(plmn_strings(*tim), ::testing::ElementsAre("724-02", "724-03", "724-04", "724-08"));
  EXPECT_EQ(vivo->id, "br-vivo");
  EXPECT_EQ(claro->id, "br-claro");
  EXPECT_EQ(tim->id, "br-tim");
  EXPECT_EQ(vivo->tenant_id, kCatalogTenant);
  EXPECT_EQ(vivo->status, CarrierStatus::up);
  EXPECT_EQ(vivo->rats, 0);
  ASSERT_EQ(vivo->countries.size(), 1u);
  EXPECT_EQ(vivo->countries[0].str(), "BR");
  // Velox has no GSM network-id: not a carrier.
  EXPECT_EQ(find_carrier(carriers(), "BR", "Velox"), nullptr);
}

TEST_F(RealCatalog, TurkeyIndiaNigeriaHaveCarriers) {
  for (std::string_view cc : {"TR", "IN", "NG", "US", "DE", "GB"}) {
    auto n = std::count_if(carriers().begin(), carriers().end(),
                           [&](const Carrier& c) { return c.countries.front().str() == cc; });
    EXPECT_GE(n, 2) << cc;
  }
  const Carrier* turkcell = find_carrier(carriers(), "TR", "Turkcell");
  ASSERT_NE(turkcell, nullptr);
  EXPECT_THAT(plmn_strings(*turkcell), ::testing::Contains("286-01"));
  bool india_404 = false;
  for (const auto& c : carriers()) {
    if (c.countries.front().str() != "IN") continue;
    for (const auto& p : c.plmns) india_404 = india_404 || p.mcc_value() == 404;
  }
  EXPECT_TRUE(india_404);
}

TEST_F(RealCatalog, EntitiesAndLanguageTaggedNames) {
  const Carrier* one_and_one = find_carrier(carriers(), "DE", "1&1");
  ASSERT_NE(one_and_one, nullptr);
  EXPECT_EQ(one_and_one->id, "de-1-1");
  EXPECT_NE(find_carrier(carriers(), "AU", "Crazy John's"), nullptr);
  EXPECT_NE(find_carrier(carriers(), "US", "AT&T"), nullptr);
  // Names without Latin letters get their first PLMN as slug.
  const Carrier* rakuten = find_carrier(carriers(), "JP", "\xE6\xA5\xBD\xE5\xA4\xA9\xE3\x83\xA2\xE3\x83\x90\xE3\x82\xA4\xE3\x83\xAB");
  ASSERT_NE(rakuten, nullptr);
  EXPECT_EQ(rakuten->id, "jp-440-11");
  // <name>Drei (3)</name><name xml:lang="de">Drei</name>: the untagged name is the carrier's name.
  const Carrier* drei = find_carrier(carriers(), "AT", "Drei (3)");
  ASSERT_NE(drei, nullptr);
  EXPECT_EQ(drei->id, "at-drei-3");
}

TEST_F(RealCatalog, IdsUniqueSlugsAndPlmnsSortedUnique) {
  std::set<std::string> ids;
  for (const auto& c : carriers()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_FALSE(c.id.empty());
    for (char ch : c.id) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') << c.id;
    EXPECT_FALSE(c.plmns.empty()) << c.id;
    EXPECT_TRUE(std::is_sorted(c.plmns.begin(), c.plmns.end())) << c.id;
    EXPECT_EQ(std::adjacent_find(c.plmns.begin(), c.plmns.end()), c.plmns.end()) << c.id;
  }
  EXPECT_GT(carriers().size(), 400u);
}

TEST_F(RealCatalog, EveryPlmnMccHasACountry) {
  // The compiled-in E.212 map covers every MCC the real catalog uses.
  for (const auto& c : carriers()) {
    for (const auto& p : c.plmns) EXPECT_TRUE(country_of_mcc(p.mcc_value()).has_value()) << c.id << " " << p.str();
  }
}

TEST_F(RealCatalog, KosovoSkippedAndCounted) {
  EXPECT_THAT(stats_.skipped_countries, ::testing::ElementsAre("xk"));
  EXPECT_GT(stats_.countries, 150u);
  EXPECT_GT(stats_.providers_without_gsm, 0u);
  for (const auto& c : carriers()) EXPECT_NE(c.id.substr(0, 3), "xk-");
}

TEST(RealIso3166, CountryNames) {
  const std::string text = read_text(kIso3166Json);
  ASSERT_FALSE(text.empty()) << kIso3166Json << " is missing (package iso-codes)";
  auto r = parse_iso3166_json(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 249u);
  auto find = [&](std::string_view code) -> const Country* {
    for (const auto& c : *r) {
      if (c.code.str() == code) return &c;
    }
    return nullptr;
  };
  const Country* br = find("BR");
  ASSERT_NE(br, nullptr);
  EXPECT_EQ(br->name, "Brazil");
  EXPECT_EQ(br->alpha3, "BRA");
  EXPECT_EQ(br->numeric, "076");
  ASSERT_NE(find("BO"), nullptr);
  EXPECT_EQ(find("BO")->name, "Bolivia");  // common_name over "Bolivia, Plurinational State of"
  ASSERT_NE(find("IN"), nullptr);
  EXPECT_EQ(find("IN")->name, "India");
  ASSERT_NE(find("TR"), nullptr);
  EXPECT_EQ(find("TR")->alpha3, "TUR");
}

// ---------------------------------------------------------------- small documents

constexpr std::string_view kSample = R"(<?xml version="1.0" encoding='utf-8'?>
<!-- comment with <tags> & stuff -->
<!DOCTYPE serviceproviders SYSTEM "serviceproviders.2.dtd" [ <!ENTITY x "y"> ]>
<serviceproviders format="2.0">
<country code='br'>
  <name>Brazil</name>
  <provider primary="true">
    <name>Vivo</name>
    <gsm>
      <network-id mcc="724" mnc="11"/>
      <network-id mcc="724" mnc="06"/>
      <network-id mcc="724" mnc="06" />
      <apn value="zap.vivo.com.br"><name>Vivo &amp; Co</name></apn>
    </gsm>
  </provider>
  <provider><name>A&#233;r&#x6F;</name><gsm><network-id mcc="724" mnc="99"/></gsm></provider>
  <provider><name>Cdma only</name><cdma><sid value="1"/></cdma></provider>
</country>
<country code="uk"><provider><name>EE</name><gsm><network-id mcc="234" mnc="30"/></gsm></provider></country>
</serviceproviders>
)";

TEST(ServiceProvidersXml, ParsesSample) {
  ServiceProvidersStats stats;
  auto r = parse_service_providers_xml(kSample, &stats);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, "br-vivo");
  EXPECT_THAT(plmn_strings((*r)[0]), ::testing::ElementsAre("724-06", "724-11"));
  EXPECT_EQ((*r)[1].name, "A\xC3\xA9ro");  // &#233; -> U+00E9 in UTF-8
  EXPECT_EQ((*r)[1].id, "br-aero");
  EXPECT_EQ((*r)[2].id, "gb-ee");  // "uk" is GB
  EXPECT_EQ((*r)[2].countries[0].str(), "GB");
  EXPECT_EQ(stats.countries, 2u);
  EXPECT_EQ(stats.providers, 4u);
  EXPECT_EQ(stats.providers_without_gsm, 1u);
  EXPECT_TRUE(stats.skipped_countries.empty());
}

TEST(ServiceProvidersXml, MergesSameNameAndDeduplicatesIds) {
  auto r = parse_service_providers_xml(R"(<serviceproviders>
<country code="de">
 <provider><name>Foo+</name><gsm><network-id mcc="262" mnc="02"/></gsm></provider>
 <provider><name>Foo!</name><gsm><network-id mcc="262" mnc="03"/></gsm></provider>
 <provider><name>Foo+</name><gsm><network-id mcc="262" mnc="01"/><network-id mcc="262" mnc="7"/></gsm></provider>
 <provider><name>Foo</name><gsm><network-id mcc="262" mnc="004"/></gsm></provider>
</country>
<country code="xk"><provider><name>Vala</name><gsm><network-id mcc="221" mnc="01"/></gsm></provider></country>
</serviceproviders>)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, "de-foo");
  EXPECT_THAT(plmn_strings((*r)[0]), ::testing::ElementsAre("262-01", "262-02"));
  EXPECT_EQ((*r)[1].id, "de-foo-2");
  EXPECT_EQ((*r)[2].id, "de-foo-3");
  EXPECT_THAT(plmn_strings((*r)[2]), ::testing::ElementsAre("262-004"));
  ServiceProvidersStats stats;
  ASSERT_TRUE(parse_service_providers_xml(R"(<serviceproviders><country code="xk"/><country code="de">
    <provider><name>X</name><gsm><network-id mcc="262" mnc="7"/><network-id mcc="262"/></gsm></provider>
    </country></serviceproviders>)", &stats).ok());
  EXPECT_THAT(stats.skipped_countries, ::testing::ElementsAre("xk"));
  EXPECT_EQ(stats.invalid_network_ids, 2u);
  EXPECT_EQ(stats.providers_without_gsm, 1u);
}

TEST(ServiceProvidersXml, ByteOrderMarkAndNonLatinNames) {
  auto r = parse_service_providers_xml(
      "\xEF\xBB\xBF<?xml version=\"1.0\"?><serviceproviders><country code=\"ir\">"
      "<provider><name>\xD8\xA7\xDB\x8C\xD8\xB1\xD8\xA7\xD9\x86\xD8\xB3\xD9\x84</name><gsm><network-id mcc=\"432\" mnc=\"35\"/></gsm></provider>"
      "<provider><name>\xD9\x87\xD9\x85\xD8\xB1\xD8\xA7\xD9\x87</name><gsm><network-id mcc=\"432\" mnc=\"11\"/></gsm></provider>"
      "</country></serviceproviders>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].id, "ir-432-35");
  EXPECT_EQ((*r)[1].id, "ir-432-11");
}

TEST(ServiceProvidersXml, CdataNameIsText) {
  auto r = parse_service_providers_xml(
      "<serviceproviders><country code=\"fr\"><provider><name><![CDATA[Free <Mobile>]]></name>"
      "<gsm><network-id mcc=\"208\" mnc=\"15\"/></gsm></provider></country></serviceproviders>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "Free <Mobile>");
  EXPECT_EQ((*r)[0].id, "fr-free-mobile");
}

struct BadXml {
  const char* doc;
  const char* expect;  // part of the message
};

TEST(ServiceProvidersXml, MalformedDocumentsNameTheProblemAndLine) {
  const BadXml cases[] = {
      {"", "no root element"},
      {"   \n  ", "no root element"},
      {"<serviceproviders>", "not closed"},
      {"<serviceproviders>\n<country code=\"br\">\n</provider>", "line 3"},
      {"<serviceproviders>\n<country code=\"br\">\n</provider>", "does not match <country> opened on line 2"},
      {"<serviceproviders><country code=br></country></serviceproviders>", "must be quoted"},
      {"<serviceproviders><country code=\"br\" code=\"de\"></country></serviceproviders>", "duplicate attribute"},
      {"<serviceproviders><country code></country></serviceproviders>", "no '='"},
      {"<serviceproviders><country code=\"b<r\"></country></serviceproviders>", "'<' inside"},
      {"<serviceproviders>&bogus;</serviceproviders>", "unknown entity &bogus;"},
      {"<serviceproviders>a & b</serviceproviders>", "'&'"},
      {"<serviceproviders>&#0;</serviceproviders>", "not a valid character"},
      {"<serviceproviders>&#x110000;</serviceproviders>", "out of range"},
      {"<serviceproviders>&#xD800;</serviceproviders>", "not a valid character"},
      {"<serviceproviders>&#12a;</serviceproviders>", "malformed character reference"},
      {"<serviceproviders></serviceproviders><serviceproviders/>", "second root"},
      {"<serviceproviders></serviceproviders>junk", "text outside the root"},
      {"junk<serviceproviders></serviceproviders>", "text outside the root"},
      {"<serviceproviders><!-- open", "unterminated comment"},
      {"<?xml version='1.0'", "unterminated processing instruction"},
      {"<!DOCTYPE x [ <!ENTITY", "unterminated <!DOCTYPE"},
      {"<serviceproviders><![CDATA[x</serviceproviders>", "unterminated CDATA"},
      {"<serviceproviders><!ELEMENT x ANY></serviceproviders>", "unsupported markup"},
      {"<providers></providers>", "expected <serviceproviders>"},
      {"<serviceproviders><country></country></serviceproviders>", "without a code"},
      {"<serviceproviders>< country/></serviceproviders>", "expected an element name"},
      {"<serviceproviders><country code=\"br\"/ ></serviceproviders>", "unexpected '/'"},
      {"<serviceproviders><country code=\"br\"x=\"1\"/></serviceproviders>", "unexpected 'x'"},
      {"<serviceproviders></ serviceproviders>", "expected an element name after '</'"},
      {"</serviceproviders>", "without a start tag"},
      {"<serviceproviders><country code=\"br", "unterminated value"},
      {"<serviceproviders><country", "unterminated tag"},
      {"<serviceproviders></serviceproviders", "unterminated end tag"},
  };
  for (const auto& c : cases) {
    auto r = parse_service_providers_xml(c.doc);
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.error().code, Errc::parse_error) << c.doc;
    EXPECT_THAT(r.error().message, ::testing::HasSubstr(c.expect)) << c.doc;
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("line ")) << c.doc;
    EXPECT_THAT(r.error().field, ::testing::StartsWith("line ")) << c.doc;
  }
}

TEST(ServiceProvidersXml, DeepNestingIsAnError) {
  std::string doc = "<serviceproviders>";
  for (int i = 0; i < 1000; ++i) doc += "<a>";
  auto r = parse_service_providers_xml(doc);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("nested deeper"));
}

TEST(ServiceProvidersXml, EveryTruncationIsAnError) {
  // The root closes at the last '>', so every shorter prefix is incomplete.
  const std::size_t root_end = kSample.rfind('>') + 1;
  for (std::size_t n = 0; n < root_end; ++n) {
    auto r = parse_service_providers_xml(kSample.substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(r.error().code, Errc::parse_error);
    EXPECT_THAT(r.error().message, ::testing::HasSubstr("line ")) << n;
  }
  for (std::size_t n = root_end; n <= kSample.size(); ++n) {
    auto r = parse_service_providers_xml(kSample.substr(0, n));
    ASSERT_TRUE(r.ok()) << n;
    EXPECT_EQ(r->size(), 3u);
  }
}

TEST(ServiceProvidersXml, EveryByteMutationIsAnErrorOrAResult) {
  // Replacing any byte with a markup-significant one yields either a clean error naming a line or a catalog whose
  // carriers are all well-formed.
  std::string doc(kSample);
  for (std::size_t i = 0; i < doc.size(); ++i) {
    for (char c : {'<', '>', '&', '"', '\'', '/', '\0', '\xff', ';', '='}) {
      std::string m = doc;
      m[i] = c;
      auto r = parse_service_providers_xml(m);
      if (r.ok()) {
        for (const auto& carrier : *r) {
          EXPECT_FALSE(carrier.plmns.empty());
          EXPECT_FALSE(carrier.id.empty());
        }
      } else {
        EXPECT_EQ(r.error().code, Errc::parse_error);
        EXPECT_THAT(r.error().message, ::testing::HasSubstr("line ")) << i << " " << int(c);
      }
    }
  }
}

// ---------------------------------------------------------------- ISO 3166 JSON

constexpr std::string_view kIsoSample = R"({"3166-1": [
  {"alpha_2": "BR", "alpha_3": "BRA", "name": "Brazil", "numeric": "076"},
  {"alpha_2": "BO", "alpha_3": "BOL", "common_name": "Bolivia", "name": "Bolivia, Plurinational State of", "numeric": "068"},
  {"alpha_2": "XK", "name": "Kosovo"}
]})";

TEST(Iso3166Json, ParsesSample) {
  auto r = parse_iso3166_json(kIsoSample);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);  // XK is not an assigned code: left out
  EXPECT_EQ((*r)[0].code.str(), "BR");
  EXPECT_EQ((*r)[0].name, "Brazil");
  EXPECT_EQ((*r)[1].name, "Bolivia");
  EXPECT_EQ((*r)[1].numeric, "068");
}

TEST(Iso3166Json, MalformedDocuments) {
  struct Case {
    const char* doc;
    const char* expect;
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {"{}", "missing the \"3166-1\" array"},
      {R"({"3166-1": {}})", "missing the \"3166-1\" array"},
      {R"({"3166-1": [1]})", "3166-1[0] is not an object"},
      {R"({"3166-1": [{"name": "Brazil"}]})", "3166-1[0] has no \"alpha_2\""},
      {R"({"3166-1": [{"alpha_2": "BR"}]})", "has no \"name\""},
      {R"({"3166-1": [{"alpha_2": 76, "name": "Brazil"}]})", "3166-1[0].alpha_2 is not a string"},
      {R"({"3166-1": [{"alpha_2": "BRA", "name": "Brazil"}]})", "3166-1[0].alpha_2"},
      {R"({"3166-1": [{"alpha_2": "BR", "name": "Brazil", "numeric": 76}]})", "numeric is not a string"},
      {"{\"3166-1\": [{\"alpha_2\": \"BR\", \"name\": \"\xff\"}]}", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = parse_iso3166_json(c.doc);
    ASSERT_FALSE(r.ok()) << c.doc;
    EXPECT_EQ(r.error().code, Errc::parse_error) << c.doc;
    EXPECT_THAT(r.error().message, ::testing::HasSubstr(c.expect)) << c.doc;
  }
}

TEST(Iso3166Json, EveryTruncationIsAnError) {
  for (std::size_t n = 0; n < kIsoSample.size(); ++n) {
    auto r = parse_iso3166_json(kIsoSample.substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::parse_error);
  }
}

// ---------------------------------------------------------------- slugs

TEST(Slugify, Forms) {
  EXPECT_EQ(slugify("BR Vivo"), "br-vivo");
  EXPECT_EQ(slugify("  A--B  "), "a-b");
  EXPECT_EQ(slugify("Movistar (Telefónica)"), "movistar-telefonica");
  EXPECT_EQ(slugify("CA Vidéotron"), "ca-videotron");
  EXPECT_EQ(slugify("Straße Œuvre Ĳssel Łódź Şahin"), "strasse-oeuvre-ijssel-lodz-sahin");
  EXPECT_EQ(slugify("AT&T"), "at-t");
  EXPECT_EQ(slugify("IR همراه اول"), "ir");
  EXPECT_EQ(slugify("JP 楽天モバイル"), "jp");
  EXPECT_EQ(slugify(""), "");
  EXPECT_EQ(slugify("---"), "");
  EXPECT_EQ(slugify("\xC3"), "");  // truncated UTF-8
}

}  // namespace
}  // namespace esimo::domain
