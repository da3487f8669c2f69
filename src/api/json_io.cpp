#include "api/json_io.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace esimo::api {

JsonWriter& JsonWriter::key(std::string_view k) {
  sep();
  log::append_json_string(out_, k);
  out_.push_back(':');
  comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::str(std::string_view v) {
  sep();
  log::append_json_string(out_, v);
  comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::num(std::int64_t v) {
  sep();
  out_ += std::to_string(v);
  comma_ = true;
  return *this;
}

ApiResult<boost::json::value> parse_json(std::string_view text) {
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t n = parser.write_some(text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = boost::json::error::extra_data;
  if (!ec) parser.finish(ec);
  if (ec) {
    return make_problem(400, "invalid_json",
                        "the body is not valid JSON (" + ec.message() + " near byte " + std::to_string(n) + ")");
  }
  return parser.release();
}

std::string json_path(std::string_view base, std::string_view key) {
  std::string out;
  out.reserve(base.size() + key.size() + 1);
  out += base;
  if (!base.empty()) out.push_back('.');
  out += key;
  return out;
}

std::string json_path(std::string_view base, std::size_t index) {
  std::string out(base);
  out.push_back('[');
  out += std::to_string(index);
  out.push_back(']');
  return out;
}

Problem invalid_type(std::string field, std::string_view expected) {
  std::string detail = (field.empty() ? std::string("the body") : field) + " must be " + std::string(expected);
  return make_problem(400, "invalid_type", std::move(detail), std::move(field));
}

ApiResult<ObjectReader> ObjectReader::make(const boost::json::value& v, std::string path) {
  const auto* o = v.if_object();
  if (!o) return invalid_type(std::move(path), "an object");
  return ObjectReader(*o, std::move(path));
}

void ObjectReader::mark(std::string_view key) {
  if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) seen_.push_back(key);
}

const boost::json::value* ObjectReader::get(std::string_view key) {
  mark(key);
  return obj_->if_contains(key);
}

ApiResult<std::optional<std::string>> ObjectReader::opt_string(std::string_view key) {
  const auto* v = get(key);
  if (!v) return std::optional<std::string>{};
  const auto* s = v->if_string();
  if (!s) return invalid_type(path(key), "a string");
  return std::optional<std::string>(std::string(s->data(), s->size()));
}

ApiResult<std::string> ObjectReader::req_string(std::string_view key) {
  ESIMO_TRY(auto s, opt_string(key));
  if (!s) return make_problem(400, "missing_field", path(key) + " is required", path(key));
  return std::move(*s);
}

ApiResult<std::optional<bool>> ObjectReader::opt_bool(std::string_view key) {
  const auto* v = get(key);
  if (!v) return std::optional<bool>{};
  const auto* b = v->if_bool();
  if (!b) return invalid_type(path(key), "true or false");
  return std::optional<bool>(*b);
}

ApiResult<const boost::json::array*> ObjectReader::opt_array(std::string_view key) {
  const auto* v = get(key);
  if (!v) return static_cast<const boost::json::array*>(nullptr);
  const auto* a = v->if_array();
  if (!a) return invalid_type(path(key), "an array");
  return a;
}

ApiResult<std::optional<std::vector<std::string>>> ObjectReader::opt_string_array(std::string_view key) {
  ESIMO_TRY(const boost::json::array* a, opt_array(key));
  if (!a) return std::optional<std::vector<std::string>>{};
  std::vector<std::string> out;
  out.reserve(a->size());
  for (std::size_t i = 0; i < a->size(); ++i) {
    const auto* s = (*a)[i].if_string();
    if (!s) return invalid_type(json_path(path(key), i), "a string");
    out.emplace_back(s->data(), s->size());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

ApiStatus ObjectReader::finish() const {
  for (const auto& kv : *obj_) {
    std::string_view k(kv.key().data(), kv.key().size());
    if (std::find(seen_.begin(), seen_.end(), k) == seen_.end()) {
      return make_problem(400, "unknown_field", path(k) + " is not a known field", path(k));
    }
  }
  return api_ok();
}

}  // namespace esimo::api
