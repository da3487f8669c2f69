// libFuzzer target: the device import's CSV record reader (api/csv) and the field parsers the import applies to each
// column (api/codec). The first byte picks the record size limit and where the body is cut in two. Feeding the body
// whole, in two chunks or byte by byte must give the same records; lines only go forward; a malformed record says
// why and holds no more than the limit allows (memory stays bounded however long the line); good records re-encode
// (every field quoted) to CSV that reads back to the same fields; a value a field parser accepts prints as JSON that
// reads back to the same text (what GET /v1/devices will answer for it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/codec.hpp"
#include "api/csv.hpp"
#include "api/json_io.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::vector<esimo::api::CsvRecord> read(std::string_view body, std::size_t max_record_bytes,
                                        const std::vector<std::size_t>& cuts) {
  esimo::api::CsvReader reader(max_record_bytes);
  std::vector<esimo::api::CsvRecord> out;
  auto keep = [&](esimo::api::CsvRecord& r) {
    out.push_back(r);
    return true;
  };
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    reader.feed(body.substr(from, cut - from), keep);
    from = cut;
  }
  reader.finish(keep);
  return out;
}

bool same(const std::vector<esimo::api::CsvRecord>& a, const std::vector<esimo::api::CsvRecord>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].line != b[i].line || a[i].error != b[i].error) return false;
    if (a[i].error.empty() && a[i].fields != b[i].fields) return false;
  }
  return true;
}

// What the API prints for an accepted value must be JSON that reads back to it.
void printable(std::string_view text) {
  esimo::api::JsonWriter w;
  w.begin_array().str(text).end_array();
  auto back = esimo::api::parse_json(w.buffer());
  check(back.ok());
  const auto& a = back->as_array();
  check(a.size() == 1 && a[0].is_string() && a[0].as_string() == text);
}

void check_problem(const esimo::api::Problem& p, std::string_view field) {
  check(p.status == 400 && !p.code.empty() && !p.detail.empty() && p.field.substr(0, field.size()) == field);
}

void parse_fields(std::string_view raw) {
  namespace api = esimo::api;
  const std::string_view v = api::csv_trim(raw);
  if (auto name = api::parse_name_field(v, "name"); name.ok()) printable(*name);
  else check_problem(name.error(), "name");
  if (auto group = api::parse_group_field(v, "group"); group.ok()) printable(*group);
  else check_problem(group.error(), "group");
  std::vector<std::string> tags;
  for (auto t : api::csv_split(v, ';')) {
    check(!t.empty() && api::csv_trim(t) == t);
    tags.emplace_back(t);
  }
  if (auto t = api::parse_tags_field(tags, "tags"); t.ok()) {
    for (std::size_t i = 0; i < t->size(); ++i) {
      printable((*t)[i]);
      check(i == 0 || (*t)[i - 1] < (*t)[i]);  // sorted, no duplicates
    }
  } else {
    check_problem(t.error(), "tags");
  }
  if (auto eid = api::parse_eid_field(v, "eid"); eid.ok()) printable(eid->str());
  else check_problem(eid.error(), "eid");
  if (auto iccid = api::parse_iccid_field(v, "iccid"); iccid.ok()) printable(iccid->str());
  else check_problem(iccid.error(), "iccid");
  if (auto lc = api::parse_lifecycle_field(v, "lifecycle"); !lc.ok()) check_problem(lc.error(), "lifecycle");
  if (auto sv = api::parse_sgp32_field(v, "sgp32_version"); !sv.ok()) check_problem(sv.error(), "sgp32_version");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t max_record_bytes = 8 + (data[0] & 7) * 24;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto whole = read(body, max_record_bytes, {body.size()});

  std::size_t last_line = 0;
  std::string encoded;
  for (const auto& r : whole) {
    check(r.line > last_line);
    last_line = r.line;
    if (!r.error.empty()) {
      // Bounded however long the record: no field text and no more fields than bytes were kept.
      check(r.fields.size() <= max_record_bytes + 1);
      continue;
    }
    std::size_t bytes = 0;
    for (const auto& f : r.fields) bytes += f.size();
    check(bytes <= max_record_bytes);
    check(!(r.fields.size() == 1 && r.fields[0].empty()));  // blank lines are skipped
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      if (i) encoded.push_back(',');
      encoded.push_back('"');
      for (char c : r.fields[i]) {
        if (c == '"') encoded.push_back('"');
        encoded.push_back(c);
      }
      encoded.push_back('"');
      parse_fields(r.fields[i]);
    }
    encoded += "\r\n";
  }

  const std::size_t cut = body.empty() ? 0 : (data[0] >> 3) * 7 % (body.size() + 1);
  check(same(read(body, max_record_bytes, {cut, body.size()}), whole));
  if (body.size() <= 512) {
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i <= body.size(); ++i) bytes.push_back(i);
    check(same(read(body, max_record_bytes, bytes), whole));
  }

  // The good records, every field quoted, read back to the same fields.
  const auto again = read(encoded, encoded.size() + 1, {encoded.size()});
  std::size_t j = 0;
  for (const auto& r : whole) {
    if (!r.error.empty()) continue;
    check(j < again.size() && again[j].error.empty() && again[j].fields == r.fields);
    ++j;
  }
  check(j == again.size());
  return 0;
}
