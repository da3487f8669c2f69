#include "api/telemetry_ingest.hpp"

#include <utility>

namespace esimo::api {

TelemetryIngest::TelemetryIngest(Env& env, domain::TenantId tenant, TelemetryFormat format, std::size_t body_limit)
    : env_(env),
      tenant_(tenant),
      body_limit_(body_limit),
      reader_(
          format, [this](TelemetryRecord&& r, std::size_t pos) { on_record(std::move(r), pos); },
          [this](std::size_t pos, std::string field, std::string message) {
            on_reject(pos, std::move(field), std::move(message));
          }) {
  rejected_.begin_array();
}

void TelemetryIngest::on_record(TelemetryRecord&& r, std::size_t position) {
  auto it = known_.find(r.eid.str());
  if (it == known_.end()) {
    auto has = tenant_has_device(env_, tenant_, r.eid);
    if (!has) {
      on_reject(position, "eid", "device lookup failed: " + has.error().message);
      return;
    }
    it = known_.emplace(r.eid.str(), *has).first;
  }
  if (!it->second) {
    on_reject(position, "eid", "unknown device " + r.eid.str());
    return;
  }
  ++accepted_;
  pending_.push_back(std::move(r));
  pending_positions_.push_back(position);
  if (pending_.size() >= kBatch) flush();
}

void TelemetryIngest::on_reject(std::size_t position, std::string field, std::string message) {
  ++rejected_total_;
  if (rejected_total_ > kMaxListedRejections) return;
  rejected_.begin_object()
      .field_num(reader_.format() == TelemetryFormat::ndjson ? "line" : "index", static_cast<std::int64_t>(position))
      .field("field", field)
      .field("message", message)
      .end_object();
}

void TelemetryIngest::flush() {
  if (pending_.empty()) return;
  auto statuses = engine_ingest(env_, tenant_, pending_);
  for (std::size_t i = 0; i < statuses.size() && i < pending_positions_.size(); ++i) {
    if (statuses[i].ok()) continue;
    --accepted_;
    const auto& e = statuses[i].error();
    on_reject(pending_positions_[i], e.field, e.message);
  }
  pending_.clear();
  pending_positions_.clear();
}

ApiStatus TelemetryIngest::write(std::string_view chunk) {
  if (failure_) return *failure_;
  received_ += chunk.size();
  if (received_ > body_limit_) {
    flush();
    failure_ = make_problem(413, "body_too_large",
                            "the telemetry batch is larger than " + std::to_string(body_limit_) + " bytes; the " +
                                std::to_string(accepted_) + " records before the limit were accepted");
    return *failure_;
  }
  auto st = reader_.write(chunk);
  if (!st) failure_ = st.error();
  return st;
}

ApiResult<http::Response> TelemetryIngest::finish() {
  if (failure_) return *failure_;
  ESIMO_CHECK(reader_.finish());
  flush();
  rejected_.end_array();
  env_.ctx.metrics.counter("esimo_telemetry_records_total", "Telemetry records by outcome", {{"result", "accepted"}})
      .inc(accepted_);
  env_.ctx.metrics.counter("esimo_telemetry_records_total", "Telemetry records by outcome", {{"result", "rejected"}})
      .inc(rejected_total_);
  JsonWriter w;
  w.begin_object()
      .field_num("accepted", static_cast<std::int64_t>(accepted_))
      .key("rejected")
      .raw(rejected_.buffer())
      .field_num("rejected_total", static_cast<std::int64_t>(rejected_total_))
      .end_object();
  return json_response(202, w.take());
}

namespace telemetry_sink_detail {
class TelemetrySink final : public http::BodySink {
 public:
  TelemetrySink(Env& env, domain::TenantId tenant, TelemetryFormat format, std::string request_id,
                std::function<void(const http::Response&)> on_done)
      : ingest_(env, tenant, format, env.ctx.options.telemetry_body_limit),
        request_id_(std::move(request_id)),
        on_done_(std::move(on_done)) {}

  bool write(std::string_view chunk) override { return ingest_.write(chunk).ok(); }

  http::Response finish() override {
    auto r = ingest_.finish();
    http::Response resp = r ? std::move(r).value() : problem_response(r.error(), request_id_);
    if (on_done_) on_done_(resp);
    return resp;
  }

 private:
  TelemetryIngest ingest_;
  std::string request_id_;
  std::function<void(const http::Response&)> on_done_;
};
}  // namespace telemetry_sink_detail

std::unique_ptr<http::BodySink> make_telemetry_sink(Env& env, domain::TenantId tenant, TelemetryFormat format,
                                                    std::string request_id,
                                                    std::function<void(const http::Response&)> on_done) {
  return std::make_unique<telemetry_sink_detail::TelemetrySink>(env, tenant, format, std::move(request_id),
                                                                std::move(on_done));
}

ApiResult<http::Response> h_telemetry_post(Env& env, Call& call) {
  auto format = telemetry_format_for(call.req.header("content-type"));
  if (!format) {
    return make_problem(415, "unsupported_media_type",
                        "send telemetry as application/json (an array) or application/x-ndjson", "content-type");
  }
  TelemetryIngest ingest(env, call.tenant(), *format, env.ctx.options.telemetry_body_limit);
  ESIMO_CHECK(ingest.write(call.req.body));
  return ingest.finish();
}

}  // namespace esimo::api
