#pragma once
// Errors as the REST API speaks them: application/problem+json (RFC 9457) with a stable snake_case `code`, the offending
// field (a JSON path such as "profiles[1].iccid", a query parameter or a CSV line) and the request id.
//
// ApiResult<T> is Result<T> with a Problem instead of an Error, so a handler can say *which* 400 it is (invalid_eid vs
// unknown_field). It converts from an Error (a store or domain failure) with a default code per Errc, which lets
// ESIMO_TRY/ESIMO_CHECK mix both kinds inside a handler.
#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/http_message.hpp"
#include "base/result.hpp"

namespace esimo::api {

struct Problem {
  int status = 500;
  std::string code;    // stable snake_case, the last segment of the type URI
  std::string detail;  // for a human
  std::string field;   // JSON path / query parameter, when one is at fault
  std::string extra;   // extra members, already JSON ("\"errors\":[...]"), appended to the object; may be empty
};

Problem make_problem(int status, std::string code, std::string detail, std::string field = {});
// Default mapping of a store/domain error: invalid_argument -> 400 invalid_argument, not_found -> 404 not_found, ...
Problem problem_from_error(const Error& error);
// Same, but a 400-class error is reported with `code` and `field` (used when the caller knows which input was bad).
Problem problem_for_field(const Error& error, std::string code, std::string field);
// Title per status ("Bad Request", ...).
const char* status_title(int status);

http::Response problem_response(const Problem& p, std::string_view request_id);

struct Ok {};

template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}        // NOLINT(google-explicit-constructor)
  ApiResult(Problem p) : v_(std::in_place_index<1>, std::move(p)) {}          // NOLINT(google-explicit-constructor)
  ApiResult(const Error& e) : v_(std::in_place_index<1>, problem_from_error(e)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Problem& error() const& { assert(!ok()); return std::get<1>(v_); }
  Problem&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Problem> v_;
};

using ApiStatus = ApiResult<Ok>;
inline ApiStatus api_ok() { return Ok{}; }

}  // namespace esimo::api
