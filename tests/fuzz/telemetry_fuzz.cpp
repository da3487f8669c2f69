// libFuzzer target: the telemetry batch reader (POST /v1/telemetry) over a JSON array or NDJSON. The first byte picks
// the format and where the body is cut in two. Feeding the body whole, in two chunks or byte by byte must give the
// same records and rejections; positions never go back; every rejection says why; every record is in range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/telemetry.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool in(const std::optional<double>& x, double lo, double hi) { return !x || (std::isfinite(*x) && *x >= lo && *x <= hi); }

// One run's outcome, as text: every record and rejection in order, then the status of write() and finish().
std::string run(esimo::api::TelemetryFormat format, std::string_view body, const std::vector<std::size_t>& cuts) {
  namespace api = esimo::api;
  std::string out;
  std::size_t last = 0;
  bool any = false;
  auto seen = [&](std::size_t position) {
    check(!any || position >= last);
    last = position;
    any = true;
  };
  api::TelemetryBatchReader reader(
      format,
      [&](api::TelemetryRecord&& r, std::size_t position) {
        seen(position);
        check(in(r.rsrp_dbm, -156, -31) && in(r.rsrq_db, -43, 20) && in(r.sinr_db, -23, 40) &&
              in(r.latency_ms, 0, 600000));
        check(!r.position || (std::fabs(r.position->lat) <= 90 && std::fabs(r.position->lon) <= 180));
        out += "R" + std::to_string(position) + ":" + r.eid.str() + "," + esimo::format_rfc3339(r.time) + "," +
               (r.attached ? "1" : "0") + "," + std::to_string(r.bytes_up) + "," + std::to_string(r.bytes_down) + "\n";
      },
      [&](std::size_t position, std::string field, std::string message) {
        seen(position);
        check(!message.empty());
        out += "X" + std::to_string(position) + ":" + field + ":" + message + "\n";
      });
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    auto st = reader.write(body.substr(from, cut - from));
    from = cut;
    if (!st.ok()) {
      check(st.error().status == 400 && !st.error().detail.empty());
      return out + "write:" + st.error().code;
    }
  }
  auto st = reader.finish();
  if (!st.ok()) {
    check(st.error().status == 400 && !st.error().detail.empty());
    return out + "finish:" + st.error().code;
  }
  return out + "ok";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace api = esimo::api;
  if (size == 0) return 0;
  const auto format = (data[0] & 1) ? api::TelemetryFormat::ndjson : api::TelemetryFormat::json_array;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string whole = run(format, body, {body.size()});
  const std::size_t cut = body.empty() ? 0 : (data[0] >> 1) % (body.size() + 1);
  check(run(format, body, {cut, body.size()}) == whole);
  if (body.size() <= 512) {
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i <= body.size(); ++i) bytes.push_back(i);
    check(run(format, body, bytes) == whole);
  }
  return 0;
}
