#include "api/telemetry.hpp"

#include <cmath>
#include <utility>

#include "api/codec.hpp"
#include "api/json_io.hpp"

namespace esimo::api {

namespace telemetry_detail {

ApiResult<std::optional<double>> number_in(ObjectReader& rd, std::string_view key, double lo, double hi,
                                           std::string_view unit) {
  const auto* v = rd.get(key);
  if (v == nullptr || v->is_null()) return std::optional<double>();
  if (!v->is_number()) return invalid_type(rd.path(key), "a number");
  double x = v->to_number<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    std::string range = std::to_string(static_cast<long long>(lo)) + " .. " + std::to_string(static_cast<long long>(hi));
    return make_problem(400, "out_of_range",
                        rd.path(key) + " must be from " + range + (unit.empty() ? "" : " " + std::string(unit)),
                        rd.path(key));
  }
  return std::optional<double>(x);
}

ApiResult<std::uint64_t> counter(ObjectReader& rd, std::string_view key) {
  const auto* v = rd.get(key);
  if (v == nullptr || v->is_null()) return std::uint64_t{0};
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
  return make_problem(400, "invalid_type", rd.path(key) + " must be a non-negative integer (bytes)", rd.path(key));
}

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace telemetry_detail

ApiResult<TelemetryRecord> decode_telemetry_record(const boost::json::value& v) {
  namespace d = telemetry_detail;
  ESIMO_TRY(auto rd, ObjectReader::make(v, ""));
  TelemetryRecord r;
  ESIMO_TRY(std::string eid, rd.req_string("eid"));
  ESIMO_TRY(r.eid, parse_eid_field(eid, "eid"));
  ESIMO_TRY(std::string time, rd.req_string("time"));
  auto t = parse_rfc3339(time);
  if (!t) return make_problem(400, "invalid_time", "time must be RFC 3339 (2026-11-25T10:00:00Z)", "time");
  r.time = *t;
  ESIMO_TRY(auto plmn, rd.opt_string("serving_plmn"));
  if (plmn) {
    ESIMO_TRY(r.serving_plmn, parse_plmn_field(*plmn, "serving_plmn"));
  }
  ESIMO_TRY(auto rat, rd.opt_string("rat"));
  if (rat) {
    auto parsed = domain::parse_rat(*rat);
    if (!parsed) return make_problem(400, "invalid_rat", "rat must be LTE-M, NB-IoT, LTE or 5G", "rat");
    r.rat = *parsed;
  }
  ESIMO_TRY(r.rsrp_dbm, d::number_in(rd, "rsrp", -156, -31, "dBm"));
  ESIMO_TRY(r.rsrq_db, d::number_in(rd, "rsrq", -43, 20, "dB"));
  ESIMO_TRY(r.sinr_db, d::number_in(rd, "sinr", -23, 40, "dB"));
  ESIMO_TRY(r.latency_ms, d::number_in(rd, "latency_ms", 0, 600000, "ms"));
  ESIMO_TRY(auto attached, rd.opt_bool("attached"));
  if (!attached) return make_problem(400, "missing_field", "attached (true or false) is required", "attached");
  r.attached = *attached;
  ESIMO_TRY(r.bytes_up, d::counter(rd, "bytes_up"));
  ESIMO_TRY(r.bytes_down, d::counter(rd, "bytes_down"));
  if (const auto* pos = rd.get("position"); pos != nullptr && !pos->is_null()) {
    ESIMO_TRY(auto prd, ObjectReader::make(*pos, "position"));
    TelemetryPosition p;
    ESIMO_TRY(auto lat, d::number_in(prd, "lat", -90, 90, "degrees"));
    ESIMO_TRY(auto lon, d::number_in(prd, "lon", -180, 180, "degrees"));
    if (!lat || !lon) {
      return make_problem(400, "missing_field", "position needs lat and lon", lat ? "position.lon" : "position.lat");
    }
    p.lat = *lat;
    p.lon = *lon;
    ESIMO_TRY(auto country, prd.opt_string("country"));
    if (country) {
      ESIMO_TRY(p.country, parse_country_field(*country, "position.country"));
    }
    ESIMO_CHECK(prd.finish());
    r.position = p;
  }
  ESIMO_CHECK(rd.finish());
  return r;
}

std::optional<TelemetryFormat> telemetry_format_for(std::string_view content_type) {
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  if (ct.empty() || ct == "application/json") return TelemetryFormat::json_array;
  if (ct == "application/x-ndjson" || ct == "application/ndjson") return TelemetryFormat::ndjson;
  return std::nullopt;
}

TelemetryBatchReader::TelemetryBatchReader(TelemetryFormat format, RecordFn on_record, RejectFn on_reject)
    : format_(format), on_record_(std::move(on_record)), on_reject_(std::move(on_reject)) {
  if (format_ == TelemetryFormat::ndjson) position_ = 1;
}

void TelemetryBatchReader::decode(std::string_view text, std::size_t position) {
  if (oversize_) {
    on_reject_(position, "", "record longer than " + std::to_string(kMaxTelemetryRecordBytes) + " bytes");
    return;
  }
  auto v = parse_json(text);
  if (!v) {
    on_reject_(position, "", v.error().detail);
    return;
  }
  auto r = decode_telemetry_record(*v);
  if (!r) {
    on_reject_(position, r.error().field, r.error().detail);
    return;
  }
  on_record_(std::move(r).value(), position);
}

void TelemetryBatchReader::element_done() {
  auto text = telemetry_detail::trim_ws(current_);
  if (!text.empty() || oversize_) decode(text, position_);
  else on_reject_(position_, "", "empty array element");
  ++position_;
  current_.clear();
  oversize_ = false;
}

void TelemetryBatchReader::line_done() {
  auto text = telemetry_detail::trim_ws(current_);
  if (!text.empty() || oversize_) decode(text, position_);
  ++position_;
  current_.clear();
  oversize_ = false;
}

ApiStatus TelemetryBatchReader::write(std::string_view chunk) {
  auto keep = [this](char c) {
    if (current_.size() < kMaxTelemetryRecordBytes) current_.push_back(c);
    else oversize_ = true;
  };
  if (format_ == TelemetryFormat::ndjson) {
    for (char c : chunk) {
      if (c == '\n') line_done();
      else keep(c);
    }
    return api_ok();
  }
  for (char c : chunk) {
    if (!started_) {
      if (telemetry_detail::is_ws(c)) continue;
      if (c != '[') {
        return make_problem(400, "invalid_json", "the body must be a JSON array of telemetry records (or NDJSON)");
      }
      started_ = true;
      continue;
    }
    if (closed_) {
      if (!telemetry_detail::is_ws(c)) trailing_garbage_ = true;
      continue;
    }
    if (in_string_) {
      keep(c);
      if (escape_) escape_ = false;
      else if (c == '\\') escape_ = true;
      else if (c == '"') in_string_ = false;
      continue;
    }
    if (depth_ == 0 && (c == ',' || c == ']')) {
      bool empty_array = c == ']' && position_ == 0 && telemetry_detail::trim_ws(current_).empty() && !oversize_;
      if (!empty_array) element_done();
      if (c == ']') closed_ = true;
      continue;
    }
    if (c == '"') in_string_ = true;
    else if (c == '{' || c == '[') ++depth_;
    else if ((c == '}' || c == ']') && depth_ > 0) --depth_;
    keep(c);
  }
  return api_ok();
}

ApiStatus TelemetryBatchReader::finish() {
  if (format_ == TelemetryFormat::ndjson) {
    if (!current_.empty() || oversize_) line_done();
    return api_ok();
  }
  if (!started_) return make_problem(400, "invalid_json", "the body must be a JSON array of telemetry records");
  if (!closed_) {
    if (!telemetry_detail::trim_ws(current_).empty() || oversize_) element_done();
    on_reject_(position_, "", "the array is not closed (the body ended early)");
  } else if (trailing_garbage_) {
    on_reject_(position_, "", "data after the end of the array");
  }
  return api_ok();
}

}  // namespace esimo::api
