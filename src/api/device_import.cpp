#include "api/device_import.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "api/json_io.hpp"

namespace esimo::api {

namespace import_detail {
enum Column { kEid, kName, kGroup, kTags, kProfiles, kLifecycle, kSgp32, kColumnCount };
constexpr const char* kColumnNames[kColumnCount] = {"eid",      "name",      "group",        "tags",
                                                    "profiles", "lifecycle", "sgp32_version"};

bool is_fatal(Errc c) {
  return c == Errc::io_error || c == Errc::unavailable || c == Errc::internal || c == Errc::timeout ||
         c == Errc::cancelled;
}
}  // namespace import_detail

std::optional<ImportFormat> import_format_for(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string_view base = csv_trim(content_type.substr(0, semi));
  std::string lower(base);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "text/csv") return ImportFormat::csv;
  if (lower == "application/x-ndjson" || lower == "application/ndjson" || lower == "application/jsonl") {
    return ImportFormat::ndjson;
  }
  return std::nullopt;
}

std::string ImportReport::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.field_num("imported", static_cast<std::int64_t>(imported));
  w.field_num("updated", static_cast<std::int64_t>(updated));
  w.key("rejected").begin_array();
  for (const auto& r : rejected) {
    w.begin_object().field_num("line", static_cast<std::int64_t>(r.line)).field("reason", r.reason).end_object();
  }
  w.end_array();
  w.field_num("rejected_total", static_cast<std::int64_t>(rejected_total));
  w.end_object();
  return w.take();
}

DeviceImporter::DeviceImporter(store::Store& store, domain::TenantId tenant, const Clock& clock, ImportFormat format,
                               ImportOptions options)
    : store_(store),
      tenant_(tenant),
      clock_(clock),
      format_(format),
      options_(options),
      carriers_(store, tenant),
      groups_(store, tenant),
      csv_(options.max_record_bytes) {
  if (options_.batch_size == 0) options_.batch_size = 1;
}

void DeviceImporter::fail(Problem p) {
  if (!fatal_) fatal_ = std::move(p);
}

void DeviceImporter::reject(std::size_t line, std::string reason) {
  ++report_.rejected_total;
  if (report_.rejected.size() < options_.max_rejections) report_.rejected.push_back({line, std::move(reason)});
}

ApiStatus DeviceImporter::write(std::string_view chunk) {
  if (fatal_) return *fatal_;
  report_.bytes += chunk.size();
  if (format_ == ImportFormat::csv) {
    csv_.feed(chunk, [this](CsvRecord& rec) {
      handle_csv(rec);
      return !fatal_;
    });
    if (fatal_) return *fatal_;
    return api_ok();
  }
  while (!chunk.empty()) {
    const void* nl = std::memchr(chunk.data(), '\n', chunk.size());
    std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - chunk.data()) : chunk.size();
    if (line_error_.empty()) {
      if (ndjson_line_.size() + take > options_.max_record_bytes) {
        line_error_ = "line longer than " + std::to_string(options_.max_record_bytes) + " bytes";
        ndjson_line_.clear();
      } else {
        ndjson_line_.append(chunk.data(), take);
      }
    }
    if (!nl) break;
    chunk.remove_prefix(take + 1);
    handle_ndjson_line();
    ++line_;
    if (fatal_) return *fatal_;
  }
  return api_ok();
}

void DeviceImporter::handle_csv(CsvRecord& rec) {
  if (!header_done_) handle_csv_header(rec);
  else handle_csv_record(rec);
}

void DeviceImporter::handle_csv_header(const CsvRecord& rec) {
  header_done_ = true;
  if (!rec.error.empty()) {
    fail(make_problem(400, "invalid_csv_header", "line " + std::to_string(rec.line) + ": " + rec.error));
    return;
  }
  bool seen[import_detail::kColumnCount] = {};
  for (const auto& raw : rec.fields) {
    std::string name(csv_trim(raw));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (columns_.empty() && name.size() >= 3 && name.compare(0, 3, "\xEF\xBB\xBF") == 0) name.erase(0, 3);  // BOM
    int id = -1;
    for (int i = 0; i < import_detail::kColumnCount; ++i) {
      if (name == import_detail::kColumnNames[i]) id = i;
    }
    if (id < 0) {
      fail(make_problem(400, "invalid_csv_header",
                        "line " + std::to_string(rec.line) + ": unknown column '" + name +
                            "' (expected eid,name,group,tags[,profiles][,lifecycle][,sgp32_version])"));
      return;
    }
    if (seen[id]) {
      fail(make_problem(400, "invalid_csv_header",
                        "line " + std::to_string(rec.line) + ": column '" + name + "' appears twice"));
      return;
    }
    seen[id] = true;
    columns_.push_back(id);
  }
  if (!seen[import_detail::kEid]) {
    fail(make_problem(400, "invalid_csv_header",
                      "line " + std::to_string(rec.line) + ": the header has no 'eid' column"));
  }
}

void DeviceImporter::handle_csv_record(const CsvRecord& row) {
  const std::size_t line = row.line;
  if (!row.error.empty()) return reject(line, row.error);
  if (row.fields.size() != columns_.size()) {
    return reject(line, "expected " + std::to_string(columns_.size()) + " fields, found " +
                            std::to_string(row.fields.size()));
  }
  // A problem on one line rejects that line; a server-side one stops the import.
  auto bad = [&](Problem p) {
    if (p.status >= 500) fail(std::move(p));
    else reject(line, std::move(p.detail));
  };
  TimePoint now = clock_.now();
  store::DeviceRecord rec;
  domain::Device& d = rec.device;
  d.tenant_id = tenant_;
  d.created_at = now;
  d.updated_at = now;
  std::string_view values[import_detail::kColumnCount] = {};
  for (std::size_t i = 0; i < columns_.size(); ++i) values[columns_[i]] = csv_trim(row.fields[i]);

  auto eid = parse_eid_field(values[import_detail::kEid], "eid");
  if (!eid) return bad(std::move(eid).error());
  d.eid = std::move(eid).value();
  auto name = parse_name_field(values[import_detail::kName], "name");
  if (!name) return bad(std::move(name).error());
  d.name = std::move(name).value();
  if (!values[import_detail::kGroup].empty()) {
    auto g = parse_group_field(values[import_detail::kGroup], "group");
    if (!g) return bad(std::move(g).error());
    d.group = std::move(g).value();
  }
  std::vector<std::string> tags;
  for (auto t : csv_split(values[import_detail::kTags], ';')) tags.emplace_back(t);
  auto tags_ok = parse_tags_field(std::move(tags), "tags");
  if (!tags_ok) return bad(std::move(tags_ok).error());
  d.tags = std::move(tags_ok).value();
  if (!values[import_detail::kLifecycle].empty()) {
    auto lc = parse_lifecycle_field(values[import_detail::kLifecycle], "lifecycle");
    if (!lc) return bad(std::move(lc).error());
    d.lifecycle = lc.value();
  }
  if (!values[import_detail::kSgp32].empty()) {
    auto v = parse_sgp32_field(values[import_detail::kSgp32], "sgp32_version");
    if (!v) return bad(std::move(v).error());
    d.sgp32_version = v.value();
  }
  auto profiles = csv_split(values[import_detail::kProfiles], ';');
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    std::string field = json_path("profiles", i);
    std::string_view spec = profiles[i];
    domain::Profile p;
    p.tenant_id = tenant_;
    p.eid = d.eid;
    p.updated_at = now;
    auto at = spec.find('@');
    if (at == std::string_view::npos) {
      return reject(line, field + ": expected ICCID@PLMN[:enabled], got '" + std::string(spec) + "'");
    }
    auto iccid = parse_iccid_field(csv_trim(spec.substr(0, at)), field + ".iccid");
    if (!iccid) return bad(std::move(iccid).error());
    p.iccid = std::move(iccid).value();
    std::string_view carrier = spec.substr(at + 1);
    auto colon = carrier.rfind(':');
    if (colon != std::string_view::npos) {
      std::string_view flag = carrier.substr(colon + 1);
      if (flag == "enabled") p.state = domain::ProfileState::enabled;
      else if (flag == "disabled") p.state = domain::ProfileState::disabled;
      else return reject(line, field + ": unknown profile flag '" + std::string(flag) + "' (enabled or disabled)");
      carrier = carrier.substr(0, colon);
    }
    auto cid = carriers_.resolve(csv_trim(carrier), field + ".carrier");
    if (!cid) return bad(std::move(cid).error());
    p.carrier_id = std::move(cid).value();
    rec.profiles.push_back(std::move(p));
  }
  auto fin = finish_device_record(rec, "profiles");
  if (!fin) return bad(std::move(fin).error());
  auto grp = groups_.check(d.group, "group");
  if (!grp) return bad(std::move(grp).error());
  add(std::move(rec), line);
}

void DeviceImporter::handle_ndjson_line() {
  const std::size_t line = line_;
  std::string text = std::move(ndjson_line_);
  ndjson_line_.clear();
  if (!line_error_.empty()) {
    reject(line, std::move(line_error_));
    line_error_.clear();
    return;
  }
  std::string_view t = csv_trim(text);
  if (t.empty()) return;
  auto v = parse_json(t);
  if (!v) return reject(line, v.error().detail);
  auto rec = decode_device(v.value(), tenant_, clock_.now(), carriers_, groups_);
  if (!rec) {
    if (rec.error().status >= 500) return fail(std::move(rec).error());
    const Problem& p = rec.error();
    // The decoders' details name the field already, except for type and unknown-field errors, which do too.
    return reject(line, p.detail);
  }
  add(std::move(rec).value(), line);
}

void DeviceImporter::add(store::DeviceRecord rec, std::size_t line) {
  if (batch_eids_.count(rec.device.eid.str())) flush();  // the same EID twice: commit the first one before
  if (fatal_) return;
  batch_eids_.insert(rec.device.eid.str());
  batch_.push_back(std::move(rec));
  batch_lines_.push_back(line);
  if (batch_.size() >= options_.batch_size) flush();
}

void DeviceImporter::flush() {
  if (batch_.empty() || fatal_) return;
  auto r = store_.import_devices(batch_);
  if (r) {
    report_.imported += r->inserted;
    report_.updated += r->updated;
    if (options_.on_committed) {
      for (const auto& rec : batch_) options_.on_committed(rec.device.eid);
    }
  } else if (import_detail::is_fatal(r.error().code)) {
    fail(problem_from_error(r.error()));
  } else {
    // Something in the batch was refused (an ICCID already on another device, ...): find which line, one by one.
    for (std::size_t i = 0; i < batch_.size() && !fatal_; ++i) {
      std::vector<store::DeviceRecord> one{batch_[i]};
      auto r1 = store_.import_devices(one);
      if (r1) {
        report_.imported += r1->inserted;
        report_.updated += r1->updated;
        if (options_.on_committed) options_.on_committed(batch_[i].device.eid);
      } else if (import_detail::is_fatal(r1.error().code)) {
        fail(problem_from_error(r1.error()));
      } else {
        reject(batch_lines_[i], r1.error().message);
      }
    }
  }
  batch_.clear();
  batch_lines_.clear();
  batch_eids_.clear();
}

ApiResult<ImportReport> DeviceImporter::finish() {
  if (fatal_) return *fatal_;
  if (format_ == ImportFormat::csv) {
    csv_.finish([this](CsvRecord& rec) {
      handle_csv(rec);
      return true;
    });
    if (!header_done_ && !fatal_) {
      fail(make_problem(400, "invalid_csv_header", "the file is empty: expected a header eid,name,group,tags"));
    }
  } else if (!ndjson_line_.empty() || !line_error_.empty()) {
    handle_ndjson_line();
  }
  flush();
  if (fatal_) return *fatal_;
  return report_;
}

}  // namespace esimo::api
