#pragma once
// JSON in and out for the REST API.
// - JsonWriter: appends compact JSON to a string (the hot read paths never build a DOM).
// - parse_json(): boost::json with invalid_json naming the offset.
// - ObjectReader: strict decoding of one JSON object: every accessor names the JSON path of the field it reads
//   ("profiles[1].iccid"); wrong types are invalid_type; finish() rejects any member nobody asked for (unknown_field).
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/problem.hpp"

namespace esimo::api {

class JsonWriter {
 public:
  JsonWriter& begin_object() { sep(); out_.push_back('{'); comma_ = false; return *this; }
  JsonWriter& end_object() { out_.push_back('}'); comma_ = true; return *this; }
  JsonWriter& begin_array() { sep(); out_.push_back('['); comma_ = false; return *this; }
  JsonWriter& end_array() { out_.push_back(']'); comma_ = true; return *this; }
  JsonWriter& key(std::string_view k);
  JsonWriter& str(std::string_view v);
  JsonWriter& num(std::int64_t v);
  JsonWriter& boolean(bool v) { sep(); out_ += v ? "true" : "false"; comma_ = true; return *this; }
  JsonWriter& null() { sep(); out_ += "null"; comma_ = true; return *this; }
  JsonWriter& raw(std::string_view json) { sep(); out_ += json; comma_ = true; return *this; }
  // key + value shorthands
  JsonWriter& field(std::string_view k, std::string_view v) { return key(k).str(v); }
  JsonWriter& field_num(std::string_view k, std::int64_t v) { return key(k).num(v); }
  JsonWriter& field_bool(std::string_view k, bool v) { return key(k).boolean(v); }
  std::string& buffer() { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void sep() {
    if (comma_) out_.push_back(',');
  }
  std::string out_;
  bool comma_ = false;
};

// Parses a whole document. Empty input and trailing garbage are invalid_json.
ApiResult<boost::json::value> parse_json(std::string_view text);

// "a" + "b" -> "a.b"; "" + "b" -> "b"; "a" + 3 -> "a[3]".
std::string json_path(std::string_view base, std::string_view key);
std::string json_path(std::string_view base, std::size_t index);

class ObjectReader {
 public:
  // invalid_type when `v` is not an object; `path` names it in errors ("" for the body itself).
  static ApiResult<ObjectReader> make(const boost::json::value& v, std::string path);

  bool has(std::string_view key) const { return obj_->if_contains(key) != nullptr; }
  // The member (marked as read), or nullptr when absent.
  const boost::json::value* get(std::string_view key);
  ApiResult<std::optional<std::string>> opt_string(std::string_view key);
  ApiResult<std::string> req_string(std::string_view key);
  ApiResult<std::optional<bool>> opt_bool(std::string_view key);
  ApiResult<std::optional<std::vector<std::string>>> opt_string_array(std::string_view key);
  // invalid_type unless an array; nullptr when absent.
  ApiResult<const boost::json::array*> opt_array(std::string_view key);
  std::string path(std::string_view key) const { return json_path(path_, key); }
  const std::string& base_path() const { return path_; }
  // unknown_field for the first member no accessor read (in document order).
  ApiStatus finish() const;

 private:
  ObjectReader(const boost::json::object& o, std::string path) : obj_(&o), path_(std::move(path)) {}
  void mark(std::string_view key);
  const boost::json::object* obj_;
  std::string path_;
  std::vector<std::string_view> seen_;
};

Problem invalid_type(std::string field, std::string_view expected);

}  // namespace esimo::api
