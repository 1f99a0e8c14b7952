// Builds the report document (JSON model) from a tapwatch store: one sequential pass over the
// flows table plus a few index-driven queries (min/max start_ns via flows_start, stats via
// stats_time, dark hosts via flows_src / flows_dst). Sections and their keys are documented in
// docs/report.md.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/cli_util.h"
#include "collector/report/json_value.h"
#include "collector/report/reference_data.h"

namespace tapwatch::collector::report {

/// A service home hosts may use outbound without being judged compromised.
struct AllowedService {
  int ip_proto;  // 6 or 17
  uint32_t port;
};

/// Everything the command line controls.
struct ReportOptions {
  std::string db_path;
  std::vector<Cidr> home;          // empty: infer
  std::optional<int64_t> from_ns;  // flows with start_ns >= from
  std::optional<int64_t> to_ns;    // flows with start_ns < to
  std::vector<AllowedService> allowed = {{6, 113}, {17, 53}, {6, 53}};
  int64_t min_gap_ns = 0;  // 0: 1 h for spans >= 2 days, else 5 min
  size_t top = 30;         // rows per ranked table
  /// Honeynet mode: home hosts are honeypots that never initiate, so any outbound connection
  /// is a compromise. Off: a compromise needs an attack followed by new behaviour.
  bool honeynet = false;
  /// Reader threads (each with its own read-only connection) decoding the flows table in
  /// interleaved rowid chunks of scan_chunk_ids ids for a whole-store report; 0: one reader
  /// thread stepping one statement (always so for a --from/--to period or an unnamed database).
  int scan_readers = 2;
  int64_t scan_chunk_ids = 4000;  // a dense chunk fits one batch (4096 rows) of its reader
  /// When set, each finished top-level member of the report is handed here (key, value), in
  /// output order, instead of being kept in *report (left an empty object): the caller can write
  /// one section while the next is computed, and its tree is freed early.
  std::function<void(std::string_view, JsonValue&&)> on_section;
  /// Called with a fraction in [0, 1] and a stage name while computing (may be empty).
  std::function<void(double, const char*)> progress;
};

/// Runs every analysis. Returns false and sets *error (one line) when the store is unusable
/// (no flows table, no flows in the period).
bool BuildReport(sqlite3* db, const ReportOptions& options, const ReferenceData& reference,
                 JsonValue* report, std::string* error);


}  // namespace tapwatch::collector::report
