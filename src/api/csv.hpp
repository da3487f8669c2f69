#pragma once
// Streaming CSV record reader per RFC 4180: fields may be quoted; "" inside quotes is a quote; quoted fields may hold
// commas and line breaks; records end with LF or CRLF. Each record carries the physical line it starts on (1-based)
// and, when malformed, an error instead of trustworthy fields. Blank lines are skipped. Not thread-safe.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace esimo::api {

struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
  std::string error;  // non-empty: the record is malformed (fields incomplete)
};

class CsvReader {
 public:
  explicit CsvReader(std::size_t max_record_bytes = 64 * 1024) : max_record_bytes_(max_record_bytes) {}

  // Feeds bytes; calls on_record(CsvRecord&) for each complete record. on_record returns false to stop early.
  template <class F>
  void feed(std::string_view chunk, F&& on_record) {
    for (char c : chunk) {
      if (step(c) && !on_record(record_)) return;
    }
  }
  // End of input: the last record when it has no final line break (an open quote is an error).
  template <class F>
  void finish(F&& on_record) {
    if (close()) on_record(record_);
  }

 private:
  bool step(char c);   // true when record_ is complete
  bool close();
  void end_field();
  bool end_record();   // false for a blank line

  std::size_t max_record_bytes_;
  CsvRecord record_;
  bool record_delivered_ = false;
  std::string field_;
  std::size_t line_ = 1;
  std::size_t record_bytes_ = 0;
  bool in_quotes_ = false;
  bool quote_pending_ = false;
  bool after_quote_ = false;
  bool field_started_ = false;
};

// Trims spaces, tabs and a trailing CR.
std::string_view csv_trim(std::string_view s);
// Splits on `sep`, trimming each part and dropping empty ones.
std::vector<std::string_view> csv_split(std::string_view s, char sep);

}  // namespace esimo::api
