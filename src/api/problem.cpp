#include "api/problem.hpp"

#include "base/log.hpp"

namespace esimo::api {

Problem make_problem(int status, std::string code, std::string detail, std::string field) {
  Problem p;
  p.status = status;
  p.code = std::move(code);
  p.detail = std::move(detail);
  p.field = std::move(field);
  return p;
}

Problem problem_from_error(const Error& e) {
  int status = 500;
  const char* code = "internal";
  switch (e.code) {
    case Errc::invalid_argument: status = 400; code = "invalid_argument"; break;
    case Errc::parse_error: status = 400; code = "parse_error"; break;
    case Errc::unsupported: status = 400; code = "unsupported"; break;
    case Errc::unauthenticated: status = 401; code = "unauthenticated"; break;
    case Errc::permission_denied: status = 403; code = "forbidden"; break;
    case Errc::not_found: status = 404; code = "not_found"; break;
    case Errc::already_exists: status = 409; code = "already_exists"; break;
    case Errc::conflict: status = 409; code = "conflict"; break;
    case Errc::failed_precondition: status = 422; code = "failed_precondition"; break;
    case Errc::too_large: status = 413; code = "body_too_large"; break;
    case Errc::resource_exhausted: status = 429; code = "resource_exhausted"; break;
    case Errc::unavailable: status = 503; code = "unavailable"; break;
    case Errc::timeout: status = 504; code = "timeout"; break;
    case Errc::cancelled: status = 503; code = "cancelled"; break;
    case Errc::io_error: status = 500; code = "internal"; break;
    case Errc::internal: status = 500; code = "internal"; break;
  }
  // Server-side failures keep their details in the log, not in the answer.
  std::string detail = status >= 500 ? std::string("the server could not complete the request") : e.message;
  if (status >= 500) log::error("request failed", {{"error", errc_name(e.code)}, {"message", e.message}});
  return make_problem(status, code, std::move(detail), status >= 500 ? std::string() : e.field);
}

Problem problem_for_field(const Error& e, std::string code, std::string field) {
  Problem p = problem_from_error(e);
  if (p.status == 400) {
    p.code = std::move(code);
    p.field = std::move(field);
  }
  return p;
}

const char* status_title(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

http::Response problem_response(const Problem& p, std::string_view request_id) {
  http::Response r;
  r.status = p.status;
  r.content_type = "application/problem+json";
  std::string& o = r.body;
  o.reserve(256 + p.detail.size() + p.extra.size());
  o += "{\"type\":";
  log::append_json_string(o, "https://esimo.dev/problems/" + p.code);
  o += ",\"title\":";
  log::append_json_string(o, status_title(p.status));
  o += ",\"status\":";
  o += std::to_string(p.status);
  o += ",\"code\":";
  log::append_json_string(o, p.code);
  o += ",\"detail\":";
  log::append_json_string(o, p.detail);
  if (!p.field.empty()) {
    o += ",\"field\":";
    log::append_json_string(o, p.field);
  }
  o += ",\"request_id\":";
  log::append_json_string(o, request_id);
  if (!p.extra.empty()) {
    o.push_back(',');
    o += p.extra;
  }
  o.push_back('}');
  if (p.status == 401) r.set_header("www-authenticate", "Bearer");
  return r;
}

}  // namespace esimo::api
