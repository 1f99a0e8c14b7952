#pragma once
// `tapwatch-collector --connect ENDPOINT... --db FILE [...]`: subscribe to sensors and store
// every record. Two threads: the caller's thread receives and parses (and decides when to stop),
// a writer thread owns the SQLite store and commits every `commit_rows` rows or `commit_ms`.
// Everything received is committed before RunIngest returns (stop request, SIGINT/SIGTERM,
// --exit-after-final, --idle-exit), and the flows indexes exist again by then.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "collector/record_validation.h"

namespace tapwatch::collector {

struct IngestOptions {
  std::vector<std::string> endpoints;  // --connect, at least one
  std::string db_path;                 // --db
  uint64_t exit_after_final = 0;       // --exit-after-final N: stop after N sensors' final stats
  double idle_exit_s = 0;              // --idle-exit S: stop after S seconds without a message
  std::string curve_keys_dir;          // --curve-keys DIR: collector.key and sensor.pub
  uint64_t retain_days = 0;            // --retain-days N: delete flows older than N days (0 keeps all)
  uint64_t retain_every_s = 3600;      // --retain-every S: how often the old flows are deleted
  bool quiet = false;                  // --quiet: no summary on stdout
  uint64_t commit_rows = 10000;        // --commit-rows: commit after this many rows...
  uint64_t commit_ms = 200;            // --commit-ms: ...or this long after the first pending row
  // Flows indexes on a store that starts empty: by default they are dropped for the bulk load
  // (appends only, ~2x cheaper per row) and rebuilt, one sort each, at exit, or once flows were
  // stored and then a window of `index_idle_ms` stored none (a replay ended), or five windows
  // in a row stored under 5,000 flows/s with the writer waiting for work (a live trickle).
  enum class IndexMode {
    kDeferUntilIdle,  // default
    kDeferUntilExit,  // --defer-indexes: rebuilt only at exit
    kMaintain,        // --index-during-load: indexes kept and updated row by row
  };
  IndexMode index_mode = IndexMode::kDeferUntilIdle;
  uint64_t index_idle_ms = 2000;  // --index-idle-ms: the rate window
};

/// What one ingest run did (also printed as the summary).
struct IngestResult {
  int exit_code = 0;
  uint64_t messages = 0;   // ZeroMQ messages received
  uint64_t malformed = 0;  // messages that were not a 2-frame topic + Envelope (EnvelopeBatch)
  uint64_t unknown_topic = 0;       // topic not exactly flow, stats or batch.flow
  uint64_t too_large = 0;           // bodies of over kMaxMessageBytes, dropped unread
  uint64_t too_many_envelopes = 0;  // batches of over kMaxEnvelopesPerMessage envelopes
  uint64_t flows_stored = 0;        // committed: what the store holds from this run
  uint64_t stats_stored = 0;
  RejectCounts rejected;            // records refused (record_validation.h), by reason
  uint64_t unstored = 0;            // valid records lost to a store error
  uint64_t flows_expired = 0;  // deleted by --retain-days
  uint64_t stats_expired = 0;
};

/// Parses the ingest options from argv[first..argc). Throws UsageError (one line) on bad input.
IngestOptions ParseIngestOptions(int argc, char** argv, int first);

/// Runs until `stop` becomes true (then drains what is already queued), until the final stats of
/// `exit_after_final` sensors arrived, or until idle. Everything received is committed before it
/// returns. Writes the per-sensor summary to `out` unless options.quiet, errors to stderr.
/// exit_code: 0 on success, 2 when the store or an endpoint cannot be opened, 1 on a later error.
IngestResult RunIngest(const IngestOptions& options, const std::atomic<bool>& stop, FILE* out);

/// Entry point for the ingest command line: parses, installs SIGINT/SIGTERM handlers that
/// request a clean stop, and runs. Returns the process exit status.
int RunIngestCommand(int argc, char** argv, int first);

}  // namespace tapwatch::collector
