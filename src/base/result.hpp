#pragma once
// Result<T>: a value or an Error. Used wherever failure comes from the network, storage, a peer or user input;
// request paths never throw.
#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace esimo {

// Stable error categories. The REST layer maps each to an HTTP status; the text after ':' in messages is for humans.
enum class Errc {
  invalid_argument,     // malformed or out-of-range input (400)
  parse_error,          // input that does not decode: JSON, CSV, DER, TOML (400)
  unsupported,          // well-formed but not supported (e.g. protocol version) (400/415)
  unauthenticated,      // missing or bad credentials (401)
  permission_denied,    // authenticated but not allowed (403)
  not_found,            // (404)
  already_exists,       // (409)
  conflict,             // state does not allow it (409)
  failed_precondition,  // (412/422)
  too_large,            // body or batch over a limit (413)
  resource_exhausted,   // rate limit, queue full (429)
  unavailable,          // dependency down, shutting down (503)
  timeout,              // (504)
  cancelled,
  io_error,             // local file or socket failure (500)
  internal,             // a bug or an impossible state (500)
};

const char* errc_name(Errc c) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;  // what was wrong, for a human; names the input at fault
  std::string field;    // the offending field / JSON path / line, when there is one

  Error() = default;
  Error(Errc c, std::string msg, std::string fld = {}) : code(c), message(std::move(msg)), field(std::move(fld)) {}
};

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

  template <class U>
  T value_or(U&& fallback) const& { return ok() ? value() : static_cast<T>(std::forward<U>(fallback)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace esimo

// Propagate an error from an expression yielding Result<...>: ESIMO_TRY(x, expr) declares x; ESIMO_CHECK(expr) for Status.
#define ESIMO_CONCAT_INNER(a, b) a##b
#define ESIMO_CONCAT(a, b) ESIMO_CONCAT_INNER(a, b)
#define ESIMO_TRY_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                    \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
#define ESIMO_TRY(decl, expr) ESIMO_TRY_IMPL(ESIMO_CONCAT(esimo_try_, __LINE__), decl, expr)
#define ESIMO_CHECK(expr)                                      \
  do {                                                         \
    auto esimo_check_status_ = (expr);                         \
    if (!esimo_check_status_.ok()) return std::move(esimo_check_status_).error(); \
  } while (0)
