#include "api/rest_service.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <deque>

#include "api/device_import.hpp"
#include "api/handlers.hpp"
#include "api/telemetry_ingest.hpp"
#include "base/log.hpp"

namespace esimo::api {

namespace service_detail {
constexpr std::size_t kMaxSegments = 8;
constexpr int kMinStatus = 100;
constexpr int kMaxStatus = 599;

struct Segment {
  std::string literal;  // for a literal segment: the text; for a parameter: the suffix after '}' (":cancel")
  bool param = false;
};

// Per-route metric handles, resolved once: the histogram at construction, counters per status on first use.
struct RouteMetrics {
  metrics::Histogram* latency = nullptr;
  std::array<std::atomic<metrics::Counter*>, kMaxStatus - kMinStatus + 1> by_status{};
};

struct CompiledRoute {
  const RouteSpec* spec = nullptr;
  std::vector<Segment> segments;
  mutable RouteMetrics metrics;  // atomics: updated from any worker
};

// Splits "/v1/devices/89..." into segments; false for paths that no route can match (too deep, no leading '/').
bool split_path(std::string_view path, std::array<std::string_view, kMaxSegments>& out, std::size_t& n) {
  n = 0;
  if (path.empty() || path.front() != '/') return false;
  path.remove_prefix(1);
  while (true) {
    if (n == kMaxSegments) return false;
    auto slash = path.find('/');
    out[n++] = path.substr(0, slash);
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

domain::Role role_for(Access a) {
  switch (a) {
    case Access::operator_: return domain::Role::operator_;
    case Access::admin: return domain::Role::admin;
    default: return domain::Role::viewer;
  }
}

std::uint64_t next_request_number() {
  static std::atomic<std::uint64_t> n{0};
  return n.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace service_detail

struct RestService::Impl {
  explicit Impl(ApiContext context)
      : env{context, KeyService(context.store, context.clock), {}} {
    env.openapi = build_openapi(route_specs(), env.ctx.options);
    const auto& specs = route_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      auto& r = routes.emplace_back();
      r.spec = &specs[i];
      std::array<std::string_view, service_detail::kMaxSegments> segs{};
      std::size_t n = 0;
      service_detail::split_path(specs[i].path, segs, n);
      for (std::size_t s = 0; s < n; ++s) {
        service_detail::Segment seg;
        if (!segs[s].empty() && segs[s].front() == '{') {
          seg.param = true;
          seg.literal = std::string(segs[s].substr(segs[s].find('}') + 1));
        } else {
          seg.literal = std::string(segs[s]);
        }
        r.segments.push_back(std::move(seg));
      }
      r.metrics.latency = &latency_histogram(specs[i].path, http::method_name(specs[i].method));
    }
    unmatched.latency = &latency_histogram("unmatched", "ANY");
  }

  metrics::Histogram& latency_histogram(std::string_view route, std::string_view method) {
    return env.ctx.metrics.histogram("esimo_http_request_seconds", "HTTP request latency by route",
                                     {{"route", std::string(route)}, {"method", std::string(method)}});
  }

  struct Match {
    const service_detail::CompiledRoute* route = nullptr;
    std::array<std::string_view, 2> params{};
    bool path_known = false;  // some route has this path (405 when none has the method)
    std::string allow;        // then: the methods it has, for the Allow header
  };

  Match match(http::Method method, std::string_view path) const {
    Match m;
    std::array<std::string_view, service_detail::kMaxSegments> segs{};
    std::size_t n = 0;
    if (!service_detail::split_path(path, segs, n)) return m;
    if (method == http::Method::head) method = http::Method::get;
    for (const auto& r : routes) {
      if (r.segments.size() != n) continue;
      std::array<std::string_view, 2> params{};
      std::size_t np = 0;
      bool ok = true;
      for (std::size_t i = 0; ok && i < n; ++i) {
        const auto& seg = r.segments[i];
        std::string_view s = segs[i];
        if (!seg.param) {
          ok = s == seg.literal;
          continue;
        }
        // A parameter: non-empty, ends with the suffix (":cancel"), and holds no ':' itself, so that
        // "/v1/operations/{id}" does not swallow "/v1/operations/op_1:cancel".
        if (s.size() <= seg.literal.size() || s.substr(s.size() - seg.literal.size()) != seg.literal) {
          ok = false;
          continue;
        }
        s.remove_suffix(seg.literal.size());
        ok = s.find(':') == std::string_view::npos && np < params.size();
        if (ok) params[np++] = s;
      }
      if (!ok) continue;
      if (r.spec->method == method) {
        m.route = &r;
        m.params = params;
        return m;
      }
      m.path_known = true;
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += http::method_name(r.spec->method);
    }
    return m;
  }

  // Authentication and role: null on success (principal set), else the problem.
  std::optional<Problem> authorize(const service_detail::CompiledRoute& r, const http::Request& req,
                                   Principal& principal) {
    if (r.spec->access == Access::open) return std::nullopt;
    auto p = env.keys.authenticate(req.header("authorization"));
    if (!p) {
      if (p.error().code == Errc::unauthenticated) {
        return make_problem(401, "unauthenticated", "send a valid API key as 'Authorization: Bearer <key>'",
                            "authorization");
      }
      return problem_from_error(p.error());
    }
    principal = std::move(p).value();
    domain::Role need = service_detail::role_for(r.spec->access);
    if (!domain::role_allows(principal.role, need)) {
      return make_problem(403, "forbidden",
                          "this API key's role (" + std::string(domain::to_string(principal.role)) +
                              ") may not call " + http::method_name(r.spec->method) + " " + r.spec->path +
                              " (needs " + std::string(domain::to_string(need)) + ")");
    }
    return std::nullopt;
  }

  void record(const service_detail::CompiledRoute* r, http::Method method, int status,
              std::chrono::steady_clock::time_point t0, const std::string& request_id, const Principal* principal) {
    auto dt = std::chrono::steady_clock::now() - t0;
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(dt).count();
    service_detail::RouteMetrics& rm = r ? r->metrics : unmatched;
    std::string_view route = r ? std::string_view(r->spec->path) : std::string_view("unmatched");
    const char* mname = r ? http::method_name(r->spec->method) : "ANY";
    if (status < service_detail::kMinStatus || status > service_detail::kMaxStatus) status = 500;
    auto& slot = rm.by_status[static_cast<std::size_t>(status - service_detail::kMinStatus)];
    metrics::Counter* c = slot.load(std::memory_order_acquire);
    if (!c) {
      // The registry returns the same series for the same labels, so a race here only looks it up twice.
      c = &env.ctx.metrics.counter("esimo_http_requests_total", "HTTP requests by route, method and status",
                                   {{"route", std::string(route)},
                                    {"method", std::string(mname)},
                                    {"status", std::to_string(status)}});
      slot.store(c, std::memory_order_release);
    }
    c->inc();
    rm.latency->observe(static_cast<double>(us) / 1e6);
    if (log::level() <= log::Level::info) {
      log::info("request", {{"request_id", request_id},
                            {"method", http::method_name(method)},
                            {"route", route},
                            {"status", status},
                            {"duration_us", static_cast<std::int64_t>(us)},
                            {"tenant", static_cast<std::int64_t>(principal ? principal->tenant : 0)}});
    }
  }

  Env env;
  std::deque<service_detail::CompiledRoute> routes;  // deque: elements never move (atomics inside)
  service_detail::RouteMetrics unmatched;
};

namespace service_detail {
void ensure_request_id(http::Request& req) {
  if (req.request_id.empty()) req.request_id = "req_" + std::to_string(next_request_number());
}

// The answer to an upload refused before its body is read (auth, role, media type): swallows nothing.
class RejectedSink final : public http::BodySink {
 public:
  explicit RejectedSink(http::Response r) : response_(std::move(r)) {}
  bool write(std::string_view) override { return false; }
  http::Response finish() override { return std::move(response_); }

 private:
  http::Response response_;
};

// POST /v1/devices:import, streamed: each chunk goes straight into the importer (batches commit as they fill).
class ImportSink final : public http::BodySink {
 public:
  ImportSink(RestService::Impl& impl, const CompiledRoute& route, Principal principal, ImportFormat format,
             std::string request_id, std::chrono::steady_clock::time_point t0)
      : impl_(impl),
        route_(route),
        principal_(std::move(principal)),
        request_id_(std::move(request_id)),
        t0_(t0),
        importer_(impl.env.ctx.store, principal_.tenant, impl.env.ctx.clock, format,
                  import_options_for(impl.env, principal_.tenant)) {}

  bool write(std::string_view chunk) override {
    auto st = importer_.write(chunk);
    if (!st) failure_ = std::move(st).error();
    return st.ok();
  }

  http::Response finish() override {
    http::Response r;
    if (failure_) {
      r = problem_response(*failure_, request_id_);
    } else {
      auto report = importer_.finish();
      if (report) r = json_response(200, report->to_json());
      else r = problem_response(report.error(), request_id_);
    }
    impl_.record(&route_, http::Method::post, r.status, t0_, request_id_, &principal_);
    return r;
  }

 private:
  RestService::Impl& impl_;
  const CompiledRoute& route_;
  Principal principal_;
  std::string request_id_;
  std::chrono::steady_clock::time_point t0_;
  DeviceImporter importer_;
  std::optional<Problem> failure_;
};
}  // namespace service_detail

RestService::RestService(ApiContext context) : impl_(std::make_unique<Impl>(context)) {}
RestService::~RestService() = default;

KeyService& RestService::keys() { return impl_->env.keys; }
const std::string& RestService::openapi_json() const { return impl_->env.openapi; }

std::vector<RouteInfo> RestService::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : impl_->routes) out.push_back({r.spec->method, r.spec->path, r.spec->access, r.spec->summary});
  return out;
}

std::string RestService::route_of(http::Method method, std::string_view path) const {
  auto m = impl_->match(method, path);
  return m.route ? std::string(m.route->spec->path) : std::string();
}

std::unique_ptr<http::BodySink> RestService::open_stream(const http::Request& head) {
  auto m = impl_->match(head.method, head.path);
  if (!m.route || (m.route->spec->handler != h_devices_import && m.route->spec->handler != h_telemetry_post)) {
    return nullptr;
  }
  auto t0 = std::chrono::steady_clock::now();
  std::string request_id =
      head.request_id.empty() ? "req_" + std::to_string(service_detail::next_request_number()) : head.request_id;
  Principal principal;
  auto reject = [&](const Problem& p) -> std::unique_ptr<http::BodySink> {
    auto r = problem_response(p, request_id);
    impl_->record(m.route, head.method, r.status, t0, request_id, principal.key_id.empty() ? nullptr : &principal);
    return std::make_unique<service_detail::RejectedSink>(std::move(r));
  };
  if (auto denied = impl_->authorize(*m.route, head, principal)) return reject(*denied);
  if (m.route->spec->handler == h_telemetry_post) {
    auto tformat = telemetry_format_for(head.header("content-type"));
    if (!tformat) {
      return reject(make_problem(415, "unsupported_media_type",
                                 "send telemetry as application/json (an array) or application/x-ndjson",
                                 "content-type"));
    }
    const auto* route = m.route;
    auto* impl = impl_.get();
    return make_telemetry_sink(impl->env, principal.tenant, *tformat, request_id,
                               [impl, route, t0, request_id, principal](const http::Response& r) {
                                 impl->record(route, http::Method::post, r.status, t0, request_id, &principal);
                               });
  }
  auto format = import_format_for(head.header("content-type"));
  if (!format) {
    return reject(make_problem(415, "unsupported_media_type", "send the devices as text/csv or application/x-ndjson",
                               "content-type"));
  }
  return std::make_unique<service_detail::ImportSink>(*impl_, *m.route, std::move(principal), *format,
                                                      std::move(request_id), t0);
}

http::Response RestService::handle(http::Request& req) {
  auto t0 = std::chrono::steady_clock::now();
  service_detail::ensure_request_id(req);
  auto m = impl_->match(req.method, req.path);
  if (!m.route) {
    Problem p = m.path_known
                    ? make_problem(405, "method_not_allowed",
                                   std::string(http::method_name(req.method)) + " is not allowed on " + req.path)
                    : make_problem(404, "not_found", "no such endpoint: " + req.path);
    auto r = problem_response(p, req.request_id);
    if (m.path_known) r.set_header("allow", m.allow);
    impl_->record(nullptr, req.method, r.status, t0, req.request_id, nullptr);
    return r;
  }
  Principal principal;
  const Principal* who = nullptr;
  http::Response resp;
  if (auto denied = impl_->authorize(*m.route, req, principal)) {
    resp = problem_response(*denied, req.request_id);
    if (!principal.key_id.empty()) who = &principal;
  } else {
    if (m.route->spec->access != Access::open) who = &principal;
    if (req.body.size() > impl_->env.ctx.options.body_limit) {
      resp = problem_response(make_problem(413, "body_too_large",
                                           "the body is larger than " +
                                               std::to_string(impl_->env.ctx.options.body_limit) + " bytes"),
                              req.request_id);
    } else {
      Call call{req, who, m.params, m.route->spec->path};
      auto r = m.route->spec->handler(impl_->env, call);
      resp = r ? std::move(r).value() : problem_response(r.error(), req.request_id);
    }
  }
  if (req.method == http::Method::head) resp.body.clear();
  impl_->record(m.route, req.method, resp.status, t0, req.request_id, who);
  return resp;
}

}  // namespace esimo::api
