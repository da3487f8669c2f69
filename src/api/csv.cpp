#include "api/csv.hpp"

namespace esimo::api {

std::string_view csv_trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> csv_split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto pos = s.find(sep);
    std::string_view part = csv_trim(s.substr(0, pos));
    if (!part.empty()) out.push_back(part);
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

bool CsvReader::step(char c) {
  if (record_delivered_) {  // the previous record was handed out: start the next one
    record_delivered_ = false;
    record_.fields.clear();
    record_.error.clear();
    record_bytes_ = 0;
  }
  if (record_bytes_ == 0 && record_.fields.empty() && !field_started_ && field_.empty()) record_.line = line_;
  if (++record_bytes_ > max_record_bytes_ && record_.error.empty()) {
    record_.error = "record longer than " + std::to_string(max_record_bytes_) + " bytes";
  }
  const bool keep = record_.error.empty();
  if (in_quotes_) {
    if (quote_pending_) {
      quote_pending_ = false;
      if (c == '"') {
        if (keep) field_.push_back('"');
        return false;
      }
      in_quotes_ = false;
      after_quote_ = true;  // c is handled as outside quotes below
    } else if (c == '"') {
      quote_pending_ = true;
      return false;
    } else {
      if (c == '\n') ++line_;
      if (keep) field_.push_back(c);
      return false;
    }
  }
  switch (c) {
    case ',':
      end_field();
      return false;
    case '\n': {
      end_field();
      ++line_;
      return end_record();
    }
    case '\r':
      return false;
    default:
      break;
  }
  if (after_quote_) {
    if (record_.error.empty()) record_.error = "unexpected character after a closing quote";
    return false;
  }
  if (c == '"') {
    if (!field_started_) {
      in_quotes_ = true;
      field_started_ = true;
    } else if (record_.error.empty()) {
      record_.error = "a quote inside an unquoted field";
    }
    return false;
  }
  field_started_ = true;
  if (keep) field_.push_back(c);
  return false;
}

void CsvReader::end_field() {
  // A malformed record keeps no more fields: its text is not kept either, and a line of nothing but commas must not
  // grow the field list without bound (the byte limit counts text, the list would count separators).
  if (record_.error.empty()) record_.fields.push_back(std::move(field_));
  field_.clear();
  field_started_ = false;
  after_quote_ = false;
}

bool CsvReader::end_record() {
  bool blank = record_.fields.size() == 1 && record_.fields[0].empty() && record_.error.empty();
  if (blank) {
    record_.fields.clear();
    record_bytes_ = 0;
    return false;
  }
  record_delivered_ = true;
  return true;
}

bool CsvReader::close() {
  if (record_delivered_) {
    record_delivered_ = false;
    record_.fields.clear();
    record_.error.clear();
    record_bytes_ = 0;
  }
  if (in_quotes_ && !quote_pending_ && record_.error.empty()) record_.error = "unterminated quoted field";
  in_quotes_ = false;
  quote_pending_ = false;
  if (field_.empty() && record_.fields.empty() && !field_started_ && record_.error.empty()) return false;
  end_field();
  return end_record();
}

}  // namespace esimo::api
