#pragma once
// The collector's SQLite store: one row per FlowRecord / StatsRecord received (schema:
// collector/schema.sql, embedded at build time), plus per-sensor sequence accounting in the
// `sensors` table. WAL journal, prepared statements, explicit transactions: the caller decides
// when to Commit() (the ingest loop commits every ~10k rows or 200 ms).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collector/record_validation.h"
#include "collector/sequence_tracker.h"
#include "tapwatch.pb.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tapwatch::collector {

/// meta 'schema': what kind of store this is.
inline constexpr char kStoreSchemaVersion[] = "tapwatch-1";

/// Creates the flows indexes of collector/schema.sql that are missing from the store at `path`
/// (the collector defers them during a bulk load, and a collector killed mid-load leaves them
/// out), for the readers (`flows`, `report`) to call before opening the store read-only. Never
/// creates a database or a table: false with `error` when the file cannot be opened for writing
/// or the indexes cannot be built (the caller goes on, with slower queries); true when nothing
/// was missing, there is no flows table, or the indexes were built.
bool EnsureFlowsIndexes(const std::string& path, std::string& error);

class Store {
 public:
  /// Opens (creating if needed) the database at `path` and applies the schema; ":memory:" works.
  /// Restores sensor counters already in the file. nullptr and a one-line `error` on failure
  /// (unwritable path, not a database, ...).
  static std::unique_ptr<Store> Open(const std::string& path, std::string& error);

  /// Commits an open transaction and closes the database.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Accounts one envelope's sequence number and, unless it is a duplicate or `rejected`, stores
  /// its flow or stats row (an envelope without a body is accounted but stores nothing). A
  /// rejected record is counted by reason (rejected(), table rejected_records); one whose sensor
  /// id is rejected is not accounted to any sensor. Opens a transaction if none is open. Returns
  /// false on a SQLite error (see error()): the open transaction is rolled back, its records
  /// count as unstored, and from then on every record is accounted and counted unstored only.
  /// `resent`: sent again on request (a copy already stored is then no stream duplicate).
  bool Add(const proto::Envelope& envelope, std::optional<RejectReason> rejected,
           bool resent = false);
  /// The same, validating the envelope (ValidateEnvelope) against the wall clock now.
  bool Add(const proto::Envelope& envelope, bool resent = false);

  /// The sensor said `range` of an instance has left its buffer (SequenceTracker::GiveUp); saved
  /// with the next Commit(). False on a SQLite error.
  bool GiveUp(std::string_view sensor_id, uint64_t instance_id, SeqRange range);

  /// Ranges to ask the sensors for again (SequenceTracker::TakeWanted).
  std::vector<WantedRange> TakeWanted() { return tracker_.TakeWanted(); }
  /// After Open: SequenceTracker::WantUnfinished.
  std::vector<SequenceTracker::Unfinished> WantUnfinished() { return tracker_.WantUnfinished(); }

  /// Writes the sensors, sensor_instances and rejected_records tables and commits the open
  /// transaction; true when nothing was open. A failed commit is rolled back as in Add().
  bool Commit();

  /// True once a SQLite error made the store stop storing (see Add()).
  bool failed() const { return failed_; }

  /// Bulk-load mode: when the flows table is empty, drops its secondary indexes so inserts only
  /// append (random index inserts cost ~4x per row). RebuildIndexes() (also run by the
  /// destructor, and by the next Open after a crash, since the schema re-creates them) puts them
  /// back with one sort each. Checkpoints stay synchronous = NORMAL throughout. Returns false on
  /// a SQLite error; no-op on a non-empty store.
  bool DeferIndexes();

  /// Commits, then re-creates any deferred indexes (sorted in small runs spilled to temporary
  /// files, see store.cc). True when nothing was
  /// deferred.
  bool RebuildIndexes();

  /// Retention: commits, then deletes the flows that ended and the stats intervals that closed
  /// before `cutoff_ns`, in one transaction; `flows` and `stats` say how many.
  bool DeleteBefore(uint64_t cutoff_ns, uint64_t& flows, uint64_t& stats);

  /// True between a DeferIndexes() that dropped the flows indexes and the RebuildIndexes().
  bool indexes_deferred() const { return indexes_deferred_; }

  /// Rows added since the last Commit().
  size_t pending_rows() const { return pending_rows_; }

  const SequenceTracker& tracker() const { return tracker_; }
  const std::string& error() const { return error_; }
  /// Rows committed by this Store: exactly what it added to the file.
  uint64_t flows_stored() const { return flows_stored_; }
  uint64_t stats_stored() const { return stats_stored_; }
  uint64_t empty_records() const { return empty_records_; }
  /// Records rejected by this Store, in total and per sensor id ("" for a rejected sensor id).
  const RejectCounts& rejected() const { return rejected_; }
  const std::map<std::string, RejectCounts, std::less<>>& rejected_by_sensor() const {
    return rejected_by_sensor_;
  }
  /// Valid records not stored because of a store error: rolled back or received after it.
  uint64_t unstored() const { return unstored_; }

 private:
  Store() = default;
  bool Exec(const char* sql);
  bool Prepare(const char* sql, sqlite3_stmt** stmt);
  bool RestoreSensors();
  void MarkDirty(std::string_view sensor_id);
  bool SetAutocheckpoint();
  // Prepares the flows INSERT (collector/flow_columns.h) and finds each column's parameter.
  bool PrepareInsertFlow();
  bool InsertFlow(const proto::Envelope& envelope, std::string_view sensor_id);
  bool InsertStats(const proto::Envelope& envelope, std::string_view sensor_id);
  bool Step(sqlite3_stmt* stmt, const char* what);
  bool Fail(const char* what);
  // Rolls back after a SQLite error: the transaction's rows become unstored, failed_ is set.
  bool Abandon();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_flow_ = nullptr;
  std::vector<int> flow_params_;  // insert_flow_'s parameter of each FlowColumns() entry
  sqlite3_stmt* insert_stats_ = nullptr;
  sqlite3_stmt* upsert_sensor_ = nullptr;
  sqlite3_stmt* add_rejected_ = nullptr;
  sqlite3_stmt* upsert_instance_ = nullptr;
  bool in_transaction_ = false;
  bool indexes_deferred_ = false;
  size_t pending_rows_ = 0;
  SequenceTracker tracker_;
  std::set<std::string, std::less<>> dirty_sensors_;
  // The sensor of the previous Add(), already in dirty_sensors_ (one sensor sends runs of
  // records: saves a set lookup per row). Cleared with dirty_sensors_.
  std::string last_dirty_sensor_;
  std::string error_;
  uint64_t flows_stored_ = 0;
  uint64_t stats_stored_ = 0;
  uint64_t pending_flows_ = 0;
  uint64_t pending_stats_ = 0;
  uint64_t empty_records_ = 0;
  uint64_t unstored_ = 0;
  bool failed_ = false;
  RejectCounts rejected_;
  std::map<std::string, RejectCounts, std::less<>> rejected_by_sensor_;
  std::map<std::string, RejectCounts, std::less<>> pending_rejected_;  // not yet in the table
};

}  // namespace tapwatch::collector
