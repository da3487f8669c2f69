// Parsing of the reference data the carrier catalog is seeded from: iso-codes' ISO 3166-1 JSON (Boost.JSON) and
// mobile-broadband-provider-info's serviceproviders.xml (a small strict XML reader of our own: the file is plain
// elements, attributes, comments, a DOCTYPE and the predefined/numeric entities; nothing here needs a full XML stack).
#include "domain/catalog.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

namespace esimo::domain {
namespace catalog_detail {

// ---------------------------------------------------------------- XML reader

// Pull reader over an in-memory document. Checks well-formedness as far as the catalog needs: tags nest and match,
// attributes are quoted and unique, entities are known, one root element. Self-closing tags yield start then end.
class XmlReader {
 public:
  enum class Kind { start, end, text, eof };
  struct Event {
    Kind kind = Kind::eof;
    std::string_view name;
    std::vector<std::pair<std::string_view, std::string>> attrs;
    std::string text;
    std::size_t offset = 0;  // where the event starts in the input
  };

  explicit XmlReader(std::string_view in) : in_(in) {
    if (in_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte order mark
  }

  Status next(Event& ev);

  std::size_t line_at(std::size_t offset) const {
    offset = std::min(offset, in_.size());
    return 1 + static_cast<std::size_t>(std::count(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  }

  Error error_at(std::size_t offset, const std::string& what) const {
    const std::string where = "line " + std::to_string(line_at(offset));
    return Error{Errc::parse_error, "serviceproviders XML, " + where + ": " + what, where};
  }

 private:
  static constexpr std::size_t kMaxDepth = 256;

  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
  }
  static bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

  bool starts_with(std::string_view s) const { return in_.substr(pos_).starts_with(s); }
  void skip_space() {
    while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
  }
  std::string_view read_name() {
    const std::size_t b = pos_;
    if (pos_ < in_.size() && is_name_start(in_[pos_])) {
      ++pos_;
      while (pos_ < in_.size() && is_name_char(in_[pos_])) ++pos_;
    }
    return in_.substr(b, pos_ - b);
  }
  // Skips past `terminator`, or fails naming what was left unterminated.
  Status skip_past(std::string_view terminator, std::size_t start, const char* what) {
    const auto end = in_.find(terminator, pos_);
    if (end == std::string_view::npos) return error_at(start, std::string("unterminated ") + what);
    pos_ = end + terminator.size();
    return ok_status();
  }
  Status skip_doctype(std::size_t start);
  Status read_start_tag(Event& ev);
  Status read_end_tag(Event& ev);
  Status decode(std::string_view raw, std::size_t offset, std::string& out) const;
  std::string describe_char(std::size_t at) const {
    if (at >= in_.size()) return "end of input";
    const auto c = static_cast<unsigned char>(in_[at]);
    if (c < 0x20 || c >= 0x7f) return "byte 0x" + to_hex(as_bytes(in_.substr(at, 1)));
    return std::string("'") + static_cast<char>(c) + "'";
  }

  struct Open {
    std::string_view name;
    std::size_t offset;
  };

  std::string_view in_;
  std::size_t pos_ = 0;
  std::vector<Open> open_;
  bool root_seen_ = false;
  bool pending_end_ = false;  // a self-closing tag's end event is due
  std::string_view pending_name_;
};

Status XmlReader::decode(std::string_view raw, std::size_t offset, std::string& out) const {
  out.clear();
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const char c = raw[i];
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    const auto semi = raw.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) return error_at(offset + i, "'&' that starts no entity");
    const std::string_view ent = raw.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (ent.size() >= 2 && ent[0] == '#') {
      const bool hex = ent[1] == 'x';
      const std::string_view digits = ent.substr(hex ? 2 : 1);
      if (digits.empty()) return error_at(offset + i, "empty character reference");
      std::uint32_t cp = 0;
      for (char d : digits) {
        unsigned v;
        if (d >= '0' && d <= '9') v = static_cast<unsigned>(d - '0');
        else if (hex && d >= 'a' && d <= 'f') v = static_cast<unsigned>(d - 'a' + 10);
        else if (hex && d >= 'A' && d <= 'F') v = static_cast<unsigned>(d - 'A' + 10);
        else return error_at(offset + i, "malformed character reference &" + std::string(ent) + ";");
        cp = cp * (hex ? 16 : 10) + v;
        if (cp > 0x10FFFF) return error_at(offset + i, "character reference &" + std::string(ent) + "; is out of range");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return error_at(offset + i, "character reference &" + std::string(ent) + "; is not a valid character");
      }
      // UTF-8 encoding of the code point.
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    } else {
      return error_at(offset + i, "unknown entity &" + std::string(ent) + ";");
    }
    i = semi + 1;
  }
  return ok_status();
}

Status XmlReader::skip_doctype(std::size_t start) {
  // <!DOCTYPE name SYSTEM "..." [ internal subset ]>: skip to the '>' outside quotes and brackets.
  char quote = 0;
  int brackets = 0;
  for (; pos_ < in_.size(); ++pos_) {
    const char c = in_[pos_];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[') {
      ++brackets;
    } else if (c == ']') {
      --brackets;
    } else if (c == '>' && brackets <= 0) {
      ++pos_;
      return ok_status();
    }
  }
  return error_at(start, "unterminated <!DOCTYPE");
}

Status XmlReader::read_start_tag(Event& ev) {
  const std::size_t start = pos_;
  ++pos_;  // '<'
  ev.kind = Kind::start;
  ev.offset = start;
  ev.attrs.clear();
  ev.name = read_name();
  if (ev.name.empty()) return error_at(start, "expected an element name after '<', found " + describe_char(pos_));
  if (root_seen_ && open_.empty()) return error_at(start, "a second root element <" + std::string(ev.name) + ">");
  for (;;) {
    const std::size_t before_space = pos_;
    skip_space();
    if (pos_ >= in_.size()) return error_at(start, "unterminated tag <" + std::string(ev.name) + ">");
    if (in_[pos_] == '>') {
      ++pos_;
      break;
    }
    if (starts_with("/>")) {
      pos_ += 2;
      pending_end_ = true;
      pending_name_ = ev.name;
      break;
    }
    if (pos_ == before_space) {
      return error_at(pos_, "unexpected " + describe_char(pos_) + " in tag <" + std::string(ev.name) + ">");
    }
    const std::size_t attr_at = pos_;
    const std::string_view attr = read_name();
    if (attr.empty()) {
      return error_at(pos_, "unexpected " + describe_char(pos_) + " in tag <" + std::string(ev.name) + ">");
    }
    skip_space();
    if (pos_ >= in_.size() || in_[pos_] != '=') {
      return error_at(pos_, "attribute " + std::string(attr) + " has no '=' and value");
    }
    ++pos_;
    skip_space();
    if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) {
      return error_at(pos_, "attribute " + std::string(attr) + " value must be quoted");
    }
    const char quote = in_[pos_++];
    const auto end = in_.find(quote, pos_);
    if (end == std::string_view::npos) return error_at(attr_at, "unterminated value of attribute " + std::string(attr));
    const std::string_view raw = in_.substr(pos_, end - pos_);
    if (raw.find('<') != std::string_view::npos) {
      return error_at(pos_, "'<' inside the value of attribute " + std::string(attr));
    }
    for (const auto& [n, v] : ev.attrs) {
      if (n == attr) return error_at(attr_at, "duplicate attribute " + std::string(attr));
    }
    std::string value;
    ESIMO_CHECK(decode(raw, pos_, value));
    ev.attrs.emplace_back(attr, std::move(value));
    pos_ = end + 1;
  }
  if (!pending_end_) {
    if (open_.size() >= kMaxDepth) return error_at(start, "elements nested deeper than " + std::to_string(kMaxDepth));
    open_.push_back({ev.name, start});
  }
  root_seen_ = true;
  return ok_status();
}

Status XmlReader::read_end_tag(Event& ev) {
  const std::size_t start = pos_;
  pos_ += 2;  // "</"
  ev.kind = Kind::end;
  ev.offset = start;
  ev.attrs.clear();
  ev.name = read_name();
  if (ev.name.empty()) return error_at(start, "expected an element name after '</'");
  skip_space();
  if (pos_ >= in_.size() || in_[pos_] != '>') {
    return error_at(start, "unterminated end tag </" + std::string(ev.name) + ">");
  }
  ++pos_;
  if (open_.empty()) return error_at(start, "end tag </" + std::string(ev.name) + "> without a start tag");
  if (open_.back().name != ev.name) {
    return error_at(start, "end tag </" + std::string(ev.name) + "> does not match <" + std::string(open_.back().name) +
                               "> opened on line " + std::to_string(line_at(open_.back().offset)));
  }
  open_.pop_back();
  return ok_status();
}

Status XmlReader::next(Event& ev) {
  if (pending_end_) {
    pending_end_ = false;
    ev.kind = Kind::end;
    ev.name = pending_name_;
    ev.attrs.clear();
    return ok_status();
  }
  for (;;) {
    if (pos_ >= in_.size()) {
      if (!open_.empty()) {
        return error_at(in_.size(), "unexpected end of input: <" + std::string(open_.back().name) + "> opened on line " +
                                        std::to_string(line_at(open_.back().offset)) + " is not closed");
      }
      if (!root_seen_) return error_at(in_.size(), "no root element");
      ev.kind = Kind::eof;
      return ok_status();
    }
    const std::size_t start = pos_;
    if (in_[pos_] != '<') {
      const auto lt = in_.find('<', pos_);
      const std::size_t end = lt == std::string_view::npos ? in_.size() : lt;
      const std::string_view raw = in_.substr(pos_, end - pos_);
      pos_ = end;
      if (open_.empty()) {
        if (std::any_of(raw.begin(), raw.end(), [](char c) { return !is_space(c); })) {
          return error_at(start, "text outside the root element");
        }
        continue;
      }
      ev.kind = Kind::text;
      ev.offset = start;
      ev.name = {};
      ev.attrs.clear();
      ESIMO_CHECK(decode(raw, start, ev.text));
      return ok_status();
    }
    if (starts_with("<!--")) {
      pos_ += 4;
      ESIMO_CHECK(skip_past("-->", start, "comment"));
      continue;
    }
    if (starts_with("<?")) {
      pos_ += 2;
      ESIMO_CHECK(skip_past("?>", start, "processing instruction"));
      continue;
    }
    if (starts_with("<![CDATA[")) {
      if (open_.empty()) return error_at(start, "CDATA outside the root element");
      pos_ += 9;
      const auto end = in_.find("]]>", pos_);
      if (end == std::string_view::npos) return error_at(start, "unterminated CDATA section");
      ev.kind = Kind::text;
      ev.offset = start;
      ev.name = {};
      ev.attrs.clear();
      ev.text.assign(in_.substr(pos_, end - pos_));
      pos_ = end + 3;
      return ok_status();
    }
    if (starts_with("<!DOCTYPE")) {
      if (root_seen_) return error_at(start, "<!DOCTYPE after the root element");
      pos_ += 9;
      ESIMO_CHECK(skip_doctype(start));
      continue;
    }
    if (starts_with("<!")) return error_at(start, "unsupported markup declaration");
    if (starts_with("</")) return read_end_tag(ev);
    return read_start_tag(ev);
  }
}

// ---------------------------------------------------------------- slugs

// ASCII letters for Latin-1 Supplement (U+00C0-U+00FF) and Latin Extended-A (U+0100-U+017F); "" for none.
const char* fold_latin(std::uint32_t cp) {
  static constexpr const char* kLatin1[64] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // C0
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",  // E0
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",  // F0
  };
  // One base letter per code point from U+0100; digraphs handled below.
  static constexpr std::string_view kExtA =
      "aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" "ii" "jj" "kkk" "llllllllll" "nnnnnnnnn"
      "oooooo" "oo" "rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";
  static constexpr const char* kLetters[26] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
                                               "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z"};
  if (cp >= 0xC0 && cp <= 0xFF) return kLatin1[cp - 0xC0];
  if (cp == 0x132 || cp == 0x133) return "ij";
  if (cp == 0x152 || cp == 0x153) return "oe";
  if (cp >= 0x100 && cp < 0x100 + kExtA.size()) return kLetters[kExtA[cp - 0x100] - 'a'];
  return "";
}

// ---------------------------------------------------------------- service providers

std::string trim(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return std::string(s);
}

const std::string* find_attr(const XmlReader::Event& ev, std::string_view name) {
  for (const auto& [n, v] : ev.attrs) {
    if (n == name) return &v;
  }
  return nullptr;
}

// The country of a <country code="..">: ISO 3166-1 upper case; "uk" is the file's (and the TLD's) name for GB.
std::optional<CountryCode> catalog_country(std::string_view code) {
  if (code == "uk" || code == "UK") return CountryCode::parse("GB").value();
  auto c = CountryCode::parse(code);
  if (!c) return std::nullopt;
  return *c;
}

}  // namespace catalog_detail

namespace cdd = catalog_detail;

std::string slugify(std::string_view name) {
  std::string out;
  bool dash = false;
  auto put = [&](std::string_view letters) {
    if (letters.empty()) {
      dash = !out.empty();
      return;
    }
    if (dash) out += '-';
    dash = false;
    out += letters;
  };
  for (std::size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      put(std::string_view(&name[i], 1));
      ++i;
    } else if (c >= 'A' && c <= 'Z') {
      const char lower = static_cast<char>(c - 'A' + 'a');
      put(std::string_view(&lower, 1));
      ++i;
    } else if (c >= 0xC2 && c <= 0xDF && i + 1 < name.size() && (static_cast<unsigned char>(name[i + 1]) & 0xC0) == 0x80) {
      // Two-byte UTF-8: fold accented Latin letters to ASCII.
      const std::uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(name[i + 1]) & 0x3Fu);
      put(cdd::fold_latin(cp));
      i += 2;
    } else {
      put("");
      ++i;
    }
  }
  return out;
}

Result<std::vector<Carrier>> parse_service_providers_xml(std::string_view xml_text) {
  return parse_service_providers_xml(xml_text, nullptr);
}

Result<std::vector<Carrier>> parse_service_providers_xml(std::string_view xml_text, ServiceProvidersStats* stats_out) {
  using Kind = cdd::XmlReader::Kind;
  cdd::XmlReader reader(xml_text);
  cdd::XmlReader::Event ev;
  ServiceProvidersStats stats;

  std::vector<Carrier> carriers;
  std::map<std::pair<std::string, std::string>, std::size_t> by_key;  // (country, name) -> index in carriers

  std::vector<std::string_view> path;  // open element names
  std::optional<CountryCode> country;  // of the open <country>, when valid
  bool in_provider = false;
  std::string provider_name;           // the first <name> without xml:lang, else the first <name>
  bool provider_name_is_default = false;
  std::vector<Plmn> provider_plmns;
  bool in_name = false;
  bool name_has_lang = false;
  std::string name_text;

  auto at_path = [&](std::initializer_list<std::string_view> want) {
    return path.size() == want.size() && std::equal(path.begin(), path.end(), want.begin());
  };

  for (;;) {
    ESIMO_CHECK(reader.next(ev));
    if (ev.kind == Kind::eof) break;
    if (ev.kind == Kind::text) {
      if (in_name) name_text += ev.text;
      continue;
    }
    if (ev.kind == Kind::start) {
      if (path.empty() && ev.name != "serviceproviders") {
        return reader.error_at(ev.offset, "root element is <" + std::string(ev.name) + ">, expected <serviceproviders>");
      }
      if (at_path({"serviceproviders"}) && ev.name == "country") {
        ++stats.countries;
        const std::string* code = cdd::find_attr(ev, "code");
        if (!code) return reader.error_at(ev.offset, "<country> without a code attribute");
        country = cdd::catalog_country(*code);
        if (!country) stats.skipped_countries.push_back(*code);
      } else if (at_path({"serviceproviders", "country"}) && ev.name == "provider") {
        in_provider = true;
        provider_name.clear();
        provider_name_is_default = false;
        provider_plmns.clear();
        if (country) ++stats.providers;
      } else if (in_provider && at_path({"serviceproviders", "country", "provider"}) && ev.name == "name") {
        in_name = true;
        name_has_lang = cdd::find_attr(ev, "xml:lang") != nullptr;
        name_text.clear();
      } else if (in_provider && at_path({"serviceproviders", "country", "provider", "gsm"}) && ev.name == "network-id") {
        const std::string* mcc = cdd::find_attr(ev, "mcc");
        const std::string* mnc = cdd::find_attr(ev, "mnc");
        auto plmn = (mcc && mnc) ? Plmn::from_parts(*mcc, *mnc) : Result<Plmn>(Error{Errc::invalid_argument, "missing"});
        if (plmn) provider_plmns.push_back(*plmn);
        else ++stats.invalid_network_ids;
      }
      path.push_back(ev.name);
      continue;
    }
    // End tag (the reader has checked it matches path.back()).
    if (in_name && at_path({"serviceproviders", "country", "provider", "name"})) {
      in_name = false;
      std::string name = cdd::trim(name_text);
      // The first name wins, except that a name without xml:lang beats a language-tagged one.
      if (!name.empty() && (provider_name.empty() || (!provider_name_is_default && !name_has_lang))) {
        provider_name = std::move(name);
        provider_name_is_default = !name_has_lang;
      }
    } else if (in_provider && at_path({"serviceproviders", "country", "provider"})) {
      in_provider = false;
      if (country) {
        if (provider_plmns.empty() || provider_name.empty()) {
          ++stats.providers_without_gsm;
        } else {
          auto key = std::make_pair(country->str(), provider_name);
          auto [it, inserted] = by_key.emplace(key, carriers.size());
          if (inserted) {
            Carrier c;
            c.tenant_id = kCatalogTenant;
            c.name = provider_name;
            c.countries = {*country};
            c.rats = 0;
            c.status = CarrierStatus::up;
            carriers.push_back(std::move(c));
          }
          auto& plmns = carriers[it->second].plmns;
          plmns.insert(plmns.end(), provider_plmns.begin(), provider_plmns.end());
        }
      }
    } else if (at_path({"serviceproviders", "country"})) {
      country.reset();
    }
    if (!path.empty()) path.pop_back();
  }

  // PLMNs sorted and unique; ids are slugs of "<cc> <name>", made unique in file order.
  std::set<std::string> used;
  for (auto& c : carriers) {
    std::sort(c.plmns.begin(), c.plmns.end());
    c.plmns.erase(std::unique(c.plmns.begin(), c.plmns.end()), c.plmns.end());
    // A name with no Latin letters or digits (e.g. Farsi, Japanese) gets its first home PLMN instead: "ir-432-11".
    const std::string name_slug = slugify(c.name);
    const std::string base = slugify(c.countries.front().str() + " " + (name_slug.empty() ? c.plmns.front().str() : c.name));
    std::string id = base;
    for (int n = 2; used.count(id) != 0; ++n) id = base + "-" + std::to_string(n);
    used.insert(id);
    c.id = std::move(id);
  }
  if (stats_out) *stats_out = std::move(stats);
  return carriers;
}

// ---------------------------------------------------------------- ISO 3166-1

Result<std::vector<Country>> parse_iso3166_json(std::string_view json_text) {
  namespace json = boost::json;
  auto fail = [](std::string msg, std::string field = {}) {
    return Error{Errc::parse_error, "iso_3166-1.json: " + std::move(msg), std::move(field)};
  };
  boost::system::error_code ec;
  json::value doc = json::parse(json::string_view(json_text.data(), json_text.size()), ec);
  if (ec) return fail("not valid JSON (" + ec.message() + ")");
  const json::object* root = doc.if_object();
  if (!root) return fail("the document is not a JSON object");
  const json::value* list_v = root->if_contains("3166-1");
  const json::array* list = list_v ? list_v->if_array() : nullptr;
  if (!list) return fail("missing the \"3166-1\" array", "3166-1");

  std::vector<Country> out;
  out.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string where = "3166-1[" + std::to_string(i) + "]";
    const json::object* e = (*list)[i].if_object();
    if (!e) return fail(where + " is not an object", where);
    auto get = [&](std::string_view key, bool required, std::string& dst) -> Status {
      const json::value* v = e->if_contains(json::string_view(key.data(), key.size()));
      if (!v) {
        if (required) return fail(where + " has no \"" + std::string(key) + "\"", where + "." + std::string(key));
        return ok_status();
      }
      const json::string* s = v->if_string();
      if (!s) return fail(where + "." + std::string(key) + " is not a string", where + "." + std::string(key));
      dst.assign(s->data(), s->size());
      return ok_status();
    };
    std::string alpha2, name, common_name;
    Country c;
    ESIMO_CHECK(get("alpha_2", true, alpha2));
    ESIMO_CHECK(get("name", true, name));
    ESIMO_CHECK(get("common_name", false, common_name));
    ESIMO_CHECK(get("alpha_3", false, c.alpha3));
    ESIMO_CHECK(get("numeric", false, c.numeric));
    auto code = CountryCode::parse(alpha2);
    if (!code) {
      if (alpha2.size() == 2) continue;  // a code newer than our compiled list: not representable, left out
      return fail(where + ".alpha_2: " + code.error().message, where + ".alpha_2");
    }
    c.code = *code;
    c.name = common_name.empty() ? std::move(name) : std::move(common_name);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace esimo::domain
