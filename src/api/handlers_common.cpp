#include <charconv>

#include "api/handlers.hpp"

namespace esimo::api {

http::Response json_response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

http::Response no_content() {
  http::Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace query_detail {
// Is `name` listed in "a,b*,c" (a trailing '*' marks a repeatable parameter)?
bool allowed_param(std::string_view allowed, std::string_view name, bool& repeatable) {
  while (!allowed.empty()) {
    auto comma = allowed.find(',');
    std::string_view item = allowed.substr(0, comma);
    repeatable = !item.empty() && item.back() == '*';
    if (repeatable) item.remove_suffix(1);
    if (item == name) return true;
    if (comma == std::string_view::npos) break;
    allowed.remove_prefix(comma + 1);
  }
  return false;
}
}  // namespace query_detail

ApiResult<QueryReader> QueryReader::make(std::string_view query, std::string_view allowed, bool paged) {
  QueryReader q;
  q.params_ = http::parse_query(query);
  for (std::size_t i = 0; i < q.params_.size(); ++i) {
    const auto& [k, v] = q.params_[i];
    bool repeatable = false;
    if (paged && (k == "limit" || k == "after")) {
      repeatable = false;
    } else if (!query_detail::allowed_param(allowed, k, repeatable)) {
      return make_problem(400, "unknown_parameter", "unknown query parameter '" + k + "'", k);
    }
    if (!repeatable) {
      for (std::size_t j = 0; j < i; ++j) {
        if (q.params_[j].first == k) {
          return make_problem(400, "invalid_parameter", "query parameter '" + k + "' given twice", k);
        }
      }
    }
  }
  if (paged) {
    if (auto limit = q.get("limit")) {
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
      if (ec != std::errc() || p != limit->data() + limit->size() || n < 1 || n > 1000) {
        return make_problem(400, "invalid_limit", "limit must be an integer from 1 to 1000", "limit");
      }
      q.page_.limit = n;
    }
    if (auto after = q.get("after")) q.page_.after = *after;
  }
  return q;
}

std::optional<std::string> QueryReader::get(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> QueryReader::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

void QueryReader::write_next(JsonWriter& w, const Env& env, const Call& call,
                             const std::optional<std::string>& next_after) const {
  if (!next_after) {
    w.null();
    return;
  }
  std::string url = env.ctx.options.public_base_url;
  url += call.req.path;
  url.push_back('?');
  for (const auto& [k, v] : params_) {
    if (k == "after" || k == "limit") continue;
    url += url_encode(k);
    url.push_back('=');
    url += url_encode(v);
    url.push_back('&');
  }
  url += "after=";
  url += url_encode(*next_after);
  url += "&limit=";
  url += std::to_string(page_.limit);
  w.str(url);
}

ApiResult<http::Response> h_healthz(Env&, Call&) { return json_response(200, "{\"status\":\"ok\"}"); }

ApiResult<http::Response> h_readyz(Env& env, Call&) {
  // Any answer from the store (not_found included) means it is up.
  auto t = env.ctx.store.get_tenant(-1);
  if (!t && t.error().code != Errc::not_found) {
    return make_problem(503, "unavailable", "the store does not answer: " + std::string(errc_name(t.error().code)));
  }
  return json_response(200, "{\"status\":\"ready\"}");
}

ApiResult<http::Response> h_metrics(Env& env, Call&) {
  http::Response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = env.ctx.metrics.expose();
  return r;
}

ApiResult<http::Response> h_openapi(Env& env, Call&) { return json_response(200, env.openapi); }

}  // namespace esimo::api
