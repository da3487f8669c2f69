#pragma once
// Internal to src/api: one POST /v1/telemetry request, buffered (handle()) or streamed (open_stream()): records are
// decoded, checked against the tenant's devices (an unknown EID is rejected per record) and handed to the engine in
// batches; the answer is 202 {"accepted": n, "rejected": [{"index"|"line", "field", "message"}], "rejected_total": n}.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/handlers.hpp"
#include "api/telemetry.hpp"

namespace esimo::api {

// Engine side of ingest: a batch of decoded records of one tenant; per record ok or why the engine refused it. Without
// an engine every record is ok (validated only).
std::vector<Status> engine_ingest(Env& env, domain::TenantId tenant, const std::vector<TelemetryRecord>& batch);
// Does the tenant have this device? The engine's registry when there is an engine, else the store.
Result<bool> tenant_has_device(Env& env, domain::TenantId tenant, const domain::Eid& eid);

class TelemetryIngest {
 public:
  static constexpr std::size_t kBatch = 1024;
  static constexpr std::size_t kMaxListedRejections = 1000;

  TelemetryIngest(Env& env, domain::TenantId tenant, TelemetryFormat format, std::size_t body_limit);
  ApiStatus write(std::string_view chunk);
  ApiResult<http::Response> finish();

 private:
  void on_record(TelemetryRecord&& r, std::size_t position);
  void on_reject(std::size_t position, std::string field, std::string message);
  void flush();

  Env& env_;
  domain::TenantId tenant_;
  std::size_t body_limit_;
  std::size_t received_ = 0;
  TelemetryBatchReader reader_;
  std::unordered_map<std::string, bool> known_;  // EID -> the tenant has it
  std::vector<TelemetryRecord> pending_;
  std::vector<std::size_t> pending_positions_;
  std::size_t accepted_ = 0;
  std::size_t rejected_total_ = 0;
  JsonWriter rejected_;  // the listed rejections, as JSON array members
  std::optional<Problem> failure_;
};

// The streamed form for RestService::open_stream; `on_done(response)` runs once when the answer is ready.
std::unique_ptr<http::BodySink> make_telemetry_sink(Env& env, domain::TenantId tenant, TelemetryFormat format,
                                                    std::string request_id,
                                                    std::function<void(const http::Response&)> on_done);

}  // namespace esimo::api
