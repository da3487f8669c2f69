#pragma once
// POST /v1/telemetry: the record shape, its strict decoder and a streamed batch reader for a JSON array or NDJSON.
// A bad record is reported by its index (array) or line (NDJSON) with the field at fault; the good ones of the same
// batch are kept. The reader holds at most one record's text at a time, so a batch of any size runs in bounded
// memory (each record is limited to kMaxTelemetryRecordBytes).
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/problem.hpp"
#include "base/clock.hpp"
#include "domain/identifiers.hpp"
#include "domain/model.hpp"

namespace esimo::api {

inline constexpr std::size_t kMaxTelemetryRecordBytes = 16 * 1024;

struct TelemetryPosition {
  double lat = 0;
  double lon = 0;
  std::optional<domain::CountryCode> country;
};

// One measurement report of a device. Required: eid, time, attached. Units: dBm (rsrp), dB (rsrq, sinr), ms.
struct TelemetryRecord {
  domain::Eid eid;
  TimePoint time{};
  std::optional<domain::Plmn> serving_plmn;
  std::optional<domain::Rat> rat;
  std::optional<double> rsrp_dbm;    // -156 .. -31
  std::optional<double> rsrq_db;     // -43 .. 20
  std::optional<double> sinr_db;     // -23 .. 40
  std::optional<double> latency_ms;  // 0 .. 600000
  bool attached = false;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  std::optional<TelemetryPosition> position;
};

// Strict: unknown members, wrong types and out-of-range values are problems naming the member ("position.lat").
ApiResult<TelemetryRecord> decode_telemetry_record(const boost::json::value& v);

enum class TelemetryFormat { json_array, ndjson };
// From a Content-Type: application/json -> json_array, application/x-ndjson -> ndjson; nullopt otherwise.
std::optional<TelemetryFormat> telemetry_format_for(std::string_view content_type);

// Splits a streamed body into records and decodes each. `on_record(record, position)` and `on_reject(position, field,
// message)` are called in order; position is the 0-based array index or the 1-based NDJSON line.
class TelemetryBatchReader {
 public:
  using RecordFn = std::function<void(TelemetryRecord&&, std::size_t position)>;
  using RejectFn = std::function<void(std::size_t position, std::string field, std::string message)>;
  TelemetryBatchReader(TelemetryFormat format, RecordFn on_record, RejectFn on_reject);

  // A problem only when the body as a whole is unusable (a JSON body that is not an array).
  ApiStatus write(std::string_view chunk);
  ApiStatus finish();
  TelemetryFormat format() const { return format_; }

 private:
  void element_done();
  void line_done();
  void decode(std::string_view text, std::size_t position);

  TelemetryFormat format_;
  RecordFn on_record_;
  RejectFn on_reject_;
  std::string current_;
  bool oversize_ = false;
  std::size_t position_ = 0;  // array: index of the current element; NDJSON: current line (1-based)
  // JSON array state
  bool started_ = false;  // saw '['
  bool closed_ = false;   // saw the closing ']'
  int depth_ = 0;         // nesting inside the current element
  bool in_string_ = false;
  bool escape_ = false;
  bool trailing_garbage_ = false;
};

}  // namespace esimo::api
