#pragma once
// Bulk device import from CSV or NDJSON of any size, fed in chunks (the REST body sink and `esimo import` both use it).
//
// CSV (RFC 4180: fields may be quoted, "" is a quote, quoted fields may hold commas and newlines; CRLF or LF):
//   header   eid,name,group,tags[,profiles]   (any order; lifecycle and sgp32_version columns are also accepted)
//   tags     ';'-separated
//   profiles ';'-separated ICCID@CARRIER[:enabled|:disabled], CARRIER a home PLMN ("724-06") or a carrier id
// NDJSON: one JSON object per line, the POST /v1/devices body. Blank lines are skipped in both.
//
// Each good line is upserted (a known EID is updated, its profile list replaced); each bad line is rejected alone with
// its line number (the physical line it starts on; the CSV header is line 1) and a reason, and the good lines are kept.
// Lines are committed through Store::import_devices in batches (default 20000), so a crash or a fatal error keeps the
// batches already committed. Fatal errors (an unusable CSV header, the store failing) stop the import.
// Not thread-safe: one importer per upload.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "api/codec.hpp"
#include "api/csv.hpp"
#include "api/problem.hpp"
#include "base/clock.hpp"
#include "store/store.hpp"

namespace esimo::api {

enum class ImportFormat { csv, ndjson };
// "text/csv" -> csv, "application/x-ndjson" (or application/ndjson, application/jsonl) -> ndjson; parameters ignored.
std::optional<ImportFormat> import_format_for(std::string_view content_type);

struct ImportRejection {
  std::size_t line = 0;
  std::string reason;
};

struct ImportReport {
  std::size_t imported = 0;        // devices created
  std::size_t updated = 0;         // devices that existed and were updated
  std::size_t rejected_total = 0;  // every rejected line, also those beyond the list cap
  std::vector<ImportRejection> rejected;  // the first max_rejections
  std::size_t bytes = 0;           // bytes read

  // {"imported":n,"updated":n,"rejected":[{"line":n,"reason":"..."}],"rejected_total":n}
  std::string to_json() const;
};

struct ImportOptions {
  std::size_t batch_size = 20000;  // fewer, larger commits: random EIDs dirty most index pages per batch
  std::size_t max_rejections = 1000;
  std::size_t max_record_bytes = 64 * 1024;
  // Called with each device once its batch is committed (the eIM refreshes its hot state); may be empty.
  std::function<void(const domain::Eid&)> on_committed;
};

class DeviceImporter {
 public:
  DeviceImporter(store::Store& store, domain::TenantId tenant, const Clock& clock, ImportFormat format,
                 ImportOptions options = {});

  // Feeds the next bytes. After an error the importer is dead (further calls return the same error).
  ApiStatus write(std::string_view chunk);
  // Ends the input: processes the last line, commits the last batch, returns the report.
  ApiResult<ImportReport> finish();
  const ImportReport& report() const { return report_; }

 private:
  void handle_csv(CsvRecord& rec);
  void handle_csv_header(const CsvRecord& rec);
  void handle_csv_record(const CsvRecord& rec);
  void handle_ndjson_line();
  void add(store::DeviceRecord rec, std::size_t line);
  void reject(std::size_t line, std::string reason);
  void flush();
  void fail(Problem p);

  store::Store& store_;
  domain::TenantId tenant_;
  const Clock& clock_;
  ImportFormat format_;
  ImportOptions options_;
  CarrierResolver carriers_;
  GroupChecker groups_;
  ImportReport report_;
  std::optional<Problem> fatal_;

  // parser state
  CsvReader csv_;
  bool header_done_ = false;
  std::vector<int> columns_;     // CSV column index -> known column id
  std::size_t line_ = 1;         // NDJSON: the line being read
  std::string ndjson_line_;
  std::string line_error_;       // NDJSON: the line being read is already bad

  std::vector<store::DeviceRecord> batch_;
  std::vector<std::size_t> batch_lines_;
  std::unordered_set<std::string> batch_eids_;
};

}  // namespace esimo::api
