#pragma once
// Plain HTTP request/response values. src/net translates Beast messages to and from these; src/api handles them without
// ever seeing a socket, so handlers are testable in-process and Beast stays inside src/net.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esimo::http {

enum class Method { get, head, post, put, patch, del, options, other };

const char* method_name(Method m);

struct Header {
  std::string name;  // lower-case
  std::string value;
};

struct Request {
  Method method = Method::get;
  std::string target;  // as received: path + "?" + query
  std::string path;    // percent-decoded path, without the query
  std::string query;   // raw query string, without '?'
  std::vector<Header> headers;
  std::string body;
  std::string remote_address;
  std::string request_id;  // assigned by the server (or taken from X-Request-Id)

  // Case-insensitive lookup; empty when absent.
  std::string_view header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<Header> headers;
  std::string body;

  Response& set_header(std::string name, std::string value);
  std::string_view header(std::string_view name) const;
};

// A request body delivered in chunks, for uploads of any size (bulk import). The server calls write() for each chunk
// as it arrives, then finish() once the body is complete. A sink that fails returns the error response from finish();
// the server stops reading after the first failed write().
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual bool write(std::string_view chunk) = 0;  // false: stop, the body is rejected
  virtual Response finish() = 0;
};

// What the network layer serves. handle() runs on a server worker thread and may block briefly (store commit).
class Service {
 public:
  virtual ~Service() = default;
  // Called once the headers of a request are read. Return a sink to receive the body in chunks instead of buffering it
  // (no body-size limit then applies); return nullptr to have the whole body buffered (up to the configured limit).
  virtual std::unique_ptr<BodySink> open_stream(const Request& head) { (void)head; return nullptr; }
  virtual Response handle(Request& request) = 0;
};

// Query-string helpers shared by the handlers.
std::string percent_decode(std::string_view s, bool plus_as_space);
// All values of `key` in the query, decoded, in order.
std::vector<std::string> query_values(std::string_view query, std::string_view key);
// Parsed key/value pairs of a query string, decoded.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace esimo::http
