#include "collector/store.h"

#include <sqlite3.h>

#include <charconv>
#include <chrono>
#include <map>
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collector/flow_columns.h"
#include "collector/json_out.h"
#include "collector/schema_sql.h"

namespace tapwatch::collector {
namespace {

constexpr char kInsertStatsSql[] =
    "INSERT INTO stats (sensor_id, seq, interval_start_ns, interval_end_ns, packets, wire_bytes, "
    "decoded, unsupported, malformed, non_ip, flows_created, flows_exported, flows_evicted, "
    "flows_active, kernel_drops, kernel_if_drops, zmq_send_drops, total_packets, "
    "log_lines_packet, log_lines_other, log_lines_malformed, is_final, anomalies_json, "
    "non_ip_ethertypes_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

constexpr char kUpsertSensorSql[] =
    "INSERT INTO sensors (sensor_id, sensor_start_ns, received, gaps, duplicates, last_seq, "
    "restarts, final_records, last_seen_ns, instance_id, resyncs, conflicts, recovered, "
    "unrecoverable) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT(sensor_id) DO UPDATE SET sensor_start_ns = excluded.sensor_start_ns, "
    "received = excluded.received, gaps = excluded.gaps, duplicates = excluded.duplicates, "
    "last_seq = excluded.last_seq, restarts = excluded.restarts, "
    "final_records = excluded.final_records, last_seen_ns = excluded.last_seen_ns, "
    "instance_id = excluded.instance_id, resyncs = excluded.resyncs, "
    "conflicts = excluded.conflicts, recovered = excluded.recovered, "
    "unrecoverable = excluded.unrecoverable";

constexpr char kUpsertInstanceSql[] =
    "INSERT OR REPLACE INTO sensor_instances (sensor_id, instance_id, sensor_start_ns, last_seq, "
    "contiguous_seq, holes, conflicting, final_seen, resend_endpoint, lost_through) "
    "VALUES (?,?,?,?,?,?,?,?,?,?)";

// Holes as text, "first-last first-last ...", and back (at most kMaxHoles of them).
std::string HolesText(const std::map<uint64_t, uint64_t>& holes) {
  std::string text;
  for (const auto& [first, last] : holes) {
    if (!text.empty()) text += ' ';
    text += std::to_string(first) + '-' + std::to_string(last);
  }
  return text;
}

std::map<uint64_t, uint64_t> ParseHoles(std::string_view text) {
  std::map<uint64_t, uint64_t> holes;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view item = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    const size_t dash = item.find('-');
    uint64_t first = 0;
    uint64_t last = 0;
    if (dash == std::string_view::npos ||
        std::from_chars(item.data(), item.data() + dash, first).ec != std::errc() ||
        std::from_chars(item.data() + dash + 1, item.data() + item.size(), last).ec !=
            std::errc() ||
        first == 0 || last < first) {
      continue;  // damaged text loses that hole only: its records stay counted as lost
    }
    holes.emplace(first, last);
  }
  return holes;
}

// Counts are added: several runs (or collectors) share one store.
constexpr char kAddRejectedSql[] =
    "INSERT INTO rejected_records (sensor_id, reason, records) VALUES (?,?,?) "
    "ON CONFLICT(sensor_id, reason) DO UPDATE SET records = records + excluded.records";

// Binds columns left to right; strings and blobs are SQLITE_STATIC, so everything bound must
// outlive the sqlite3_step() that follows.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* stmt) : stmt_(stmt) {}
  // SQLite integers are signed 64-bit; a uint64 above INT64_MAX is stored as its two's
  // complement (no field we store gets near it: nanoseconds since 1970 are ~2^61).
  void U64(uint64_t v) { sqlite3_bind_int64(stmt_, ++i_, static_cast<sqlite3_int64>(v)); }
  void Null() { sqlite3_bind_null(stmt_, ++i_); }
  void U64OrNull(bool present, uint64_t v) { present ? U64(v) : Null(); }
  void Text(std::string_view s) {
    sqlite3_bind_text(stmt_, ++i_, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void TextOrNull(std::string_view s) { s.empty() ? Null() : Text(s); }
  void BlobOrNull(std::string_view s) {
    if (s.empty()) return Null();
    sqlite3_bind_blob(stmt_, ++i_, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  int count() const { return i_; }

 private:
  sqlite3_stmt* stmt_;
  int i_ = 0;
};

uint64_t WallClockNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// CREATE INDEX sorts every row's key. Sorted as one in-memory list (temp_store = MEMORY, or runs
// as large as a 64 MiB page cache), SQLite's merge sort chases pointers through tens of MB and
// misses the cache at most steps: over half of the build. In runs of 256 KiB (the larger of
// SQLITE_CONFIG_PMASZ pages and the page cache) each run is sorted inside L2, spilled to a
// temporary file and merged in one streaming pass: the four flows indexes of 500k rows take ~40%
// less CPU (bench/sqlite_floor --pmasz 16 --index-pragma ...). The small page cache costs
// nothing here: the build reads the table once and only appends index pages. A sorting helper
// thread (threads = 2) costs ~10% more CPU: on this 2-core host it built the indexes in
// 0.52-0.55 s instead of 0.65-0.69 s while the second core was free, but in 0.77-0.92 s when
// other work held it; without it the build is steady.
constexpr int kSortRunPages = 16;
constexpr char kIndexBuildPragmas[] =
    "PRAGMA temp_store = FILE; PRAGMA cache_size = -256; PRAGMA threads = 0;";
// Without a writable temporary directory the runs cannot spill: then sort in memory, as before.
constexpr char kIndexBuildInMemoryPragmas[] =
    "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA threads = 0;";
// Checkpoints sync the WAL and the database file, in a bulk load too: skipping those fsyncs
// (synchronous = OFF) was 4-8% faster but lets an OS crash mid-load damage the whole store.
constexpr char kSyncPragma[] = "PRAGMA synchronous = NORMAL";
// The page cache for the load (the flows B-tree's right edge, the sensors and stats tables).
constexpr char kLoadCachePragma[] = "PRAGMA cache_size = -65536";

// Process-wide SQLite settings, effective only before SQLite initialises (the first open in a
// process): later calls are refused by SQLite and harmless.
void ConfigureSqliteOnce() {
  static const bool configured = [] {
    // SQLite's memory statistics take a global mutex on every allocation; we never read them.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_PMASZ, static_cast<unsigned>(kSortRunPages));
    return true;
  }();
  (void)configured;
}

// Runs `create` (CREATE INDEX statements) with the sorted-run settings, or again sorting in
// memory when the runs cannot spill. False with SQLite's message in `error` when both fail.
bool BuildIndexes(sqlite3* db, const std::string& create, std::string& error) {
  for (const char* pragmas : {kIndexBuildPragmas, kIndexBuildInMemoryPragmas}) {
    char* message = nullptr;
    const bool built =
        sqlite3_exec(db, (pragmas + create).c_str(), nullptr, nullptr, &message) == SQLITE_OK;
    if (!built) error = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    if (built) return true;
  }
  return false;
}

// The schema's "CREATE INDEX IF NOT EXISTS flows_..." statements, one per line of schema.sql.
std::vector<std::string> FlowsIndexStatements() {
  std::vector<std::string> out;
  const std::string_view schema = kSchemaSql;
  constexpr std::string_view kPrefix = "CREATE INDEX IF NOT EXISTS flows_";
  for (size_t pos = schema.find(kPrefix); pos != std::string_view::npos;
       pos = schema.find(kPrefix, pos + 1)) {
    out.emplace_back(schema.substr(pos, schema.find(';', pos) - pos + 1));
  }
  return out;
}

// The columns of `table` in `db`: name -> "TYPE[ NOT NULL][ DEFAULT value]".
std::vector<std::pair<std::string, std::string>> Columns(sqlite3* db, const std::string& table) {
  std::vector<std::pair<std::string, std::string>> out;
  sqlite3_stmt* stmt = nullptr;
  const std::string sql = "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info('" +
                          table + "')";
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    auto text = [&](int i) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(p ? p : "");
    };
    std::string definition = text(1);
    if (sqlite3_column_int(stmt, 2) != 0) definition += " NOT NULL";
    if (sqlite3_column_type(stmt, 3) != SQLITE_NULL) definition += " DEFAULT " + text(3);
    out.emplace_back(text(0), definition);
  }
  sqlite3_finalize(stmt);
  return out;
}

// Gives the tables of a store written by an older collector the columns schema.sql has added
// since (CREATE TABLE IF NOT EXISTS leaves an existing table as it was). The schema itself, applied
// to an empty in-memory database, says which columns there are: no second list to keep in step.
bool AddMissingColumns(sqlite3* db, std::string& error) {
  sqlite3* schema = nullptr;
  bool ok = sqlite3_open(":memory:", &schema) == SQLITE_OK &&
            sqlite3_exec(schema, kSchemaSql, nullptr, nullptr, nullptr) == SQLITE_OK;
  std::vector<std::string> tables;
  sqlite3_stmt* stmt = nullptr;
  if (ok && sqlite3_prepare_v2(schema, "SELECT name FROM sqlite_master WHERE type = 'table'", -1,
                               &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
  }
  sqlite3_finalize(stmt);
  for (const std::string& table : tables) {
    std::set<std::string, std::less<>> present;
    for (auto& [name, definition] : Columns(db, table)) present.insert(name);
    for (const auto& [name, definition] : Columns(schema, table)) {
      if (present.count(name) != 0) continue;
      const std::string alter =
          "ALTER TABLE " + table + " ADD COLUMN " + name + " " + definition;
      char* message = nullptr;
      if (sqlite3_exec(db, alter.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        error = alter + ": " + (message ? message : sqlite3_errmsg(db));
        ok = false;
      }
      sqlite3_free(message);
    }
  }
  if (!ok && error.empty()) error = "reading the schema: " + std::string(sqlite3_errmsg(schema));
  sqlite3_close(schema);
  return ok;
}

}  // namespace

bool EnsureFlowsIndexes(const std::string& path, std::string& error) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  // No SQLITE_OPEN_CREATE: a missing file stays missing (the caller reports it).
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    error = "--db " + path + ": cannot open for writing: " +
            (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return false;
  }
  sqlite3_busy_timeout(db, 5000);
  const std::vector<std::string> statements = FlowsIndexStatements();
  // How many of the schema's flows indexes exist, and whether there is a flows table at all.
  std::string names;
  for (const std::string& statement : statements) {
    constexpr size_t kNameAt = std::string_view("CREATE INDEX IF NOT EXISTS ").size();
    names += (names.empty() ? "'" : ", '") +
             statement.substr(kNameAt, statement.find(' ', kNameAt) - kNameAt) + "'";
  }
  int present = -1;
  bool has_table = false;
  sqlite3_stmt* stmt = nullptr;
  const std::string query =
      "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flows' "
      "AND name IN (" + names + ")), "
      "EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'flows')";
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    present = sqlite3_column_int(stmt, 0);
    has_table = sqlite3_column_int(stmt, 1) != 0;
  }
  sqlite3_finalize(stmt);
  bool ok = true;
  if (present < 0) {
    error = "--db " + path + ": " + sqlite3_errmsg(db);
    ok = false;
  } else if (has_table && present < static_cast<int>(statements.size())) {
    std::string create;
    for (const std::string& statement : statements) create += statement;
    std::string message;
    if (!BuildIndexes(db, create, message)) {
      error = "--db " + path + ": creating the flows indexes: " + message;
      ok = false;
    }
  }
  sqlite3_close(db);
  return ok;
}

std::unique_ptr<Store> Store::Open(const std::string& path, std::string& error) {
  ConfigureSqliteOnce();
  std::unique_ptr<Store> store(new Store());
  const int rc =
      sqlite3_open_v2(path.c_str(), &store->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    error = "--db " + path +
            ": cannot open: " + (store->db_ ? sqlite3_errmsg(store->db_) : sqlite3_errstr(rc));
    return nullptr;
  }
  // A reader may hold the write lock for a while (EnsureFlowsIndexes builds the indexes on a
  // large store): the writer waits for it rather than failing; ZeroMQ buffers meanwhile.
  sqlite3_busy_timeout(store->db_, 600000);
  // synchronous = NORMAL is durable across application crashes in WAL mode (only an OS crash can
  // lose the last commits), and avoids an fsync per transaction.
  // A new store gets 16 KiB pages (before the schema: fixed once a table exists, and in WAL
  // mode): a quarter of the B-tree pages to allocate and balance on append, ~12% less SQLite
  // time per row and a faster index build (bench/sqlite_floor). An existing store keeps its own.
  if (!store->Exec("PRAGMA page_size = 16384") || !store->Exec(kSchemaSql) ||
      !AddMissingColumns(store->db_, store->error_) || !store->Exec(kSyncPragma) ||
      !store->Exec(kLoadCachePragma) || !store->SetAutocheckpoint() ||
      !store->Exec((std::string("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '") +
                    kStoreSchemaVersion + "')")
                       .c_str()) ||
      !store->PrepareInsertFlow() ||
      !store->Prepare(kInsertStatsSql, &store->insert_stats_) ||
      !store->Prepare(kUpsertSensorSql, &store->upsert_sensor_) ||
      !store->Prepare(kAddRejectedSql, &store->add_rejected_) ||
      !store->Prepare(kUpsertInstanceSql, &store->upsert_instance_) ||
      !store->RestoreSensors()) {
    error = "--db " + path + ": " + store->error_;
    return nullptr;
  }
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  Commit();
  RebuildIndexes();
  sqlite3_finalize(insert_flow_);
  sqlite3_finalize(insert_stats_);
  sqlite3_finalize(upsert_sensor_);
  sqlite3_finalize(add_rejected_);
  sqlite3_finalize(upsert_instance_);
  sqlite3_close(db_);
}

bool Store::SetAutocheckpoint() {
  sqlite3_stmt* stmt = nullptr;
  if (!Prepare("PRAGMA page_size", &stmt)) return false;
  const int page_size = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (page_size <= 0) return Fail("page_size");
  // Checkpoint every 64 MiB of WAL whatever the page size (SQLite's default is 1000 pages):
  // fewer checkpoints interrupting the ingest.
  constexpr int kCheckpointBytes = 64 << 20;
  return Exec(("PRAGMA wal_autocheckpoint = " + std::to_string(kCheckpointBytes / page_size))
                  .c_str());
}

bool Store::Fail(const char* what) {
  error_ = std::string(what) + ": " + sqlite3_errmsg(db_);
  return false;
}

bool Store::Abandon() {
  // SQLite may have rolled back already (SQLITE_FULL can do that): then there is nothing open.
  if (in_transaction_ && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  in_transaction_ = false;
  unstored_ += pending_flows_ + pending_stats_;
  pending_flows_ = 0;
  pending_stats_ = 0;
  pending_rows_ = 0;
  pending_rejected_.clear();
  dirty_sensors_.clear();
  last_dirty_sensor_.clear();
  failed_ = true;
  return false;
}

bool Store::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  error_ = message ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  return false;
}

bool Store::Prepare(const char* sql, sqlite3_stmt** stmt) {
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) == SQLITE_OK) {
    return true;
  }
  return Fail("prepare");
}

bool Store::Step(sqlite3_stmt* stmt, const char* what) {
  const int rc = sqlite3_step(stmt);
  // Every parameter is bound again before the next step, so no sqlite3_clear_bindings().
  sqlite3_reset(stmt);
  if (rc == SQLITE_DONE) return true;
  return Fail(what);
}

bool Store::RestoreSensors() {
  sqlite3_stmt* stmt = nullptr;
  if (!Prepare("SELECT sensor_id, sensor_start_ns, received, gaps, duplicates, last_seq, "
               "restarts, final_records, instance_id, resyncs, conflicts, recovered, "
               "unrecoverable FROM sensors",
               &stmt)) {
    return false;
  }
  const auto u64 = [&](int column) {
    return static_cast<uint64_t>(sqlite3_column_int64(stmt, column));
  };
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    SensorCounters c;
    c.sensor_start_ns = u64(1);
    c.received = u64(2);
    c.gaps = u64(3);
    c.duplicates = u64(4);
    c.last_seq = u64(5);
    c.restarts = u64(6);
    c.final_records = u64(7);
    c.instance_id = u64(8);
    c.resyncs = u64(9);
    c.conflicts = u64(10);
    c.recovered = u64(11);
    c.unrecoverable = u64(12);
    tracker_.Restore(id ? id : "", c);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Fail("reading sensors");
  if (!Prepare("SELECT sensor_id, instance_id, sensor_start_ns, last_seq, holes, conflicting, "
               "final_seen, resend_endpoint, lost_through FROM sensor_instances",
               &stmt)) {
    return false;
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const auto* holes = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 4));
    InstanceState state;
    state.sensor_start_ns = u64(2);
    state.last_seq = u64(3);
    if (holes != nullptr) state.holes = ParseHoles(holes);
    state.conflicting = sqlite3_column_int(stmt, 5) != 0;
    state.final_seen = sqlite3_column_int(stmt, 6) != 0;
    state.lost_through = u64(8);
    if (const auto* endpoint = sqlite3_column_text(stmt, 7)) {
      state.resend_endpoint = reinterpret_cast<const char*>(endpoint);
    }
    tracker_.RestoreInstance(id ? id : "", u64(1), state);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return Fail("reading sensor_instances");
  return true;
}

bool Store::Add(const proto::Envelope& envelope, bool resent) {
  return Add(envelope, ValidateEnvelope(envelope, WallClockNs()), resent);
}

bool Store::Add(const proto::Envelope& envelope, std::optional<RejectReason> rejected,
                bool resent) {
  std::string_view sensor_id = envelope.sensor_id();
  if (sensor_id.empty() && envelope.has_flow()) sensor_id = envelope.flow().sensor_id();
  if (sensor_id.empty() && envelope.has_stats()) sensor_id = envelope.stats().sensor_id();
  // A record whose sensor id is refused keys nothing: a megabyte of id is not kept, not even
  // as a key of the counters.
  if (rejected == RejectReason::kSensorId) sensor_id = {};
  // Rejected records are few: a key string per record is cheap.
  auto count_rejected = [&] {
    rejected_.Add(*rejected);
    rejected_by_sensor_[std::string(sensor_id)].Add(*rejected);
    if (!failed_) pending_rejected_[std::string(sensor_id)].Add(*rejected);
  };
  if (rejected == RejectReason::kSensorId) {
    count_rejected();
    return true;
  }
  if (!failed_ && !in_transaction_) {
    if (!Exec("BEGIN")) return Abandon();
    in_transaction_ = true;
  }

  const SeqVerdict verdict = tracker_.Observe(sensor_id, envelope.instance_id(),
                                              envelope.sensor_start_ns(), envelope.seq(), resent);
  const bool final = envelope.has_stats() && envelope.stats().final();
  // What a restarted collector needs to ask this instance for what it missed.
  if (final || !envelope.resend_endpoint().empty()) {
    if (InstanceState* s = tracker_.FindInstance(
            sensor_id, InstanceKey(envelope.instance_id(), envelope.sensor_start_ns()))) {
      if (final) s->final_seen = true;
      if (!envelope.resend_endpoint().empty()) s->resend_endpoint = envelope.resend_endpoint();
    }
  }
  MarkDirty(sensor_id);
  if (envelope.has_stats() && envelope.stats().final()) {
    ++tracker_.MutableCounters(sensor_id).final_records;
  }
  // A duplicate is a record already stored: storing it again would double-count traffic.
  if (verdict == SeqVerdict::kDuplicate) return true;
  if (rejected) {
    count_rejected();
    return true;
  }
  if (envelope.body_case() == proto::Envelope::BODY_NOT_SET) {
    ++empty_records_;
    return true;
  }
  if (failed_) {
    ++unstored_;
    return true;
  }
  ++pending_rows_;
  const bool stored = envelope.has_flow() ? InsertFlow(envelope, sensor_id)
                                          : InsertStats(envelope, sensor_id);
  if (stored) return true;
  ++unstored_;  // the row that failed; Abandon() adds the rest of the transaction
  return Abandon();
}

bool Store::PrepareInsertFlow() {
  if (!Prepare(InsertFlowSql().c_str(), &insert_flow_)) return false;
  flow_params_.clear();
  for (const FlowColumn& column : FlowColumns()) {
    const std::string param = ":" + std::string(column.name);
    const int index = sqlite3_bind_parameter_index(insert_flow_, param.c_str());
    if (index == 0) {
      error_ = "insert flow: no parameter " + param;
      return false;
    }
    flow_params_.push_back(index);
  }
  return true;
}

void Store::MarkDirty(std::string_view sensor_id) {
  if (sensor_id != last_dirty_sensor_ || dirty_sensors_.empty()) {
    if (dirty_sensors_.find(sensor_id) == dirty_sensors_.end()) dirty_sensors_.emplace(sensor_id);
    last_dirty_sensor_.assign(sensor_id);
  }
}

bool Store::GiveUp(std::string_view sensor_id, uint64_t instance_id, SeqRange range) {
  if (!in_transaction_) {
    if (!Exec("BEGIN")) return false;
    in_transaction_ = true;
  }
  tracker_.GiveUp(sensor_id, instance_id, range);
  MarkDirty(sensor_id);
  return true;
}

bool Store::InsertFlow(const proto::Envelope& envelope, std::string_view sensor_id) {
  const FlowRowValues row(envelope, sensor_id);
  const std::span<const FlowColumn> columns = FlowColumns();
  for (size_t i = 0; i < columns.size(); ++i) {
    ParamBinder b(insert_flow_, flow_params_[i]);
    columns[i].bind(row, b);
  }
  if (!Step(insert_flow_, "insert flow")) return false;
  ++pending_flows_;
  return true;
}

bool Store::InsertStats(const proto::Envelope& envelope, std::string_view sensor_id) {
  const proto::StatsRecord& s = envelope.stats();
  const std::string anomalies = MapToJson(s.anomalies());
  const std::string ethertypes = MapToJson(s.non_ip_ethertypes());
  Binder b(insert_stats_);
  b.Text(sensor_id);
  b.U64(envelope.seq());
  b.U64(s.interval_start_ns());
  b.U64(s.interval_end_ns());
  b.U64(s.packets());
  b.U64(s.wire_bytes());
  b.U64(s.decoded());
  b.U64(s.unsupported());
  b.U64(s.malformed());
  b.U64(s.non_ip());
  b.U64(s.flows_created());
  b.U64(s.flows_exported());
  b.U64(s.flows_evicted());
  b.U64(s.flows_active());
  b.U64(s.kernel_drops());
  b.U64(s.kernel_if_drops());
  b.U64(s.zmq_send_drops());
  b.U64(s.total_packets());
  b.U64(s.log_lines_packet());
  b.U64(s.log_lines_other());
  b.U64(s.log_lines_malformed());
  b.U64(s.final() ? 1 : 0);
  b.TextOrNull(anomalies);
  b.TextOrNull(ethertypes);
  if (!Step(insert_stats_, "insert stats")) return false;
  ++pending_stats_;
  return true;
}

bool Store::DeferIndexes() {
  if (!Commit()) return false;
  sqlite3_stmt* stmt = nullptr;
  if (!Prepare("SELECT EXISTS (SELECT 1 FROM flows)", &stmt)) return false;
  const bool empty = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == 0;
  sqlite3_finalize(stmt);
  if (!empty) return true;
  // Every explicit index on flows (sql IS NULL marks automatic ones, e.g. for PRIMARY KEY).
  std::vector<std::string> names;
  if (!Prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'flows' "
               "AND sql IS NOT NULL",
               &stmt)) {
    return false;
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  for (const std::string& name : names) {
    if (!Exec(("DROP INDEX IF EXISTS \"" + name + "\"").c_str())) return false;
  }
  indexes_deferred_ = true;
  return true;
}

bool Store::RebuildIndexes() {
  if (!Commit()) return false;
  if (!indexes_deferred_) return true;
  // The schema text is idempotent (CREATE ... IF NOT EXISTS): it re-creates what was dropped.
  const bool built = BuildIndexes(db_, kSchemaSql, error_);
  // The load's page cache comes back even after a failed build (the store stays open).
  if (!Exec(kLoadCachePragma) || !built) return false;
  indexes_deferred_ = false;
  return true;
}

bool Store::Commit() {
  if (failed_) return false;
  if (!in_transaction_) {
    if (pending_rejected_.empty()) return true;
    // Only rejected records since the last commit: their counts still go to the table.
    if (!Exec("BEGIN")) return Abandon();
    in_transaction_ = true;
  }
  const uint64_t now_ns = WallClockNs();
  for (const std::string& id : dirty_sensors_) {
    const SensorCounters& c = tracker_.sensors().find(id)->second;
    Binder b(upsert_sensor_);
    b.Text(id);
    b.U64(c.sensor_start_ns);
    b.U64(c.received);
    b.U64(c.gaps);
    b.U64(c.duplicates);
    b.U64(c.last_seq);
    b.U64(c.restarts);
    b.U64(c.final_records);
    b.U64(now_ns);
    b.U64(c.instance_id);
    b.U64(c.resyncs);
    b.U64(c.conflicts);
    b.U64(c.recovered);
    b.U64(c.unrecoverable);
    if (!Step(upsert_sensor_, "update sensors")) return Abandon();
    const auto instances = tracker_.instances().find(id);
    if (instances == tracker_.instances().end()) continue;
    for (const auto& [key, state] : instances->second) {
      const std::string holes = HolesText(state.holes);
      Binder bi(upsert_instance_);
      bi.Text(id);
      bi.U64(key);
      bi.U64(state.sensor_start_ns);
      bi.U64(state.last_seq);
      bi.U64(state.contiguous_seq());
      bi.TextOrNull(holes);
      bi.U64(state.conflicting ? 1 : 0);
      bi.U64(state.final_seen ? 1 : 0);
      bi.TextOrNull(state.resend_endpoint);
      bi.U64(state.lost_through);
      if (!Step(upsert_instance_, "update sensor_instances")) return Abandon();
    }
  }
  for (const auto& [id, counts] : pending_rejected_) {
    for (size_t i = 0; i < kRejectReasonCount; ++i) {
      if (counts.by_reason[i] == 0) continue;
      Binder b(add_rejected_);
      b.Text(id);
      b.Text(RejectReasonName(static_cast<RejectReason>(i)));
      b.U64(counts.by_reason[i]);
      if (!Step(add_rejected_, "update rejected_records")) return Abandon();
    }
  }
  if (!Exec("COMMIT")) return Abandon();
  dirty_sensors_.clear();
  last_dirty_sensor_.clear();
  pending_rejected_.clear();
  in_transaction_ = false;
  pending_rows_ = 0;
  flows_stored_ += pending_flows_;
  stats_stored_ += pending_stats_;
  pending_flows_ = 0;
  pending_stats_ = 0;
  return true;
}

bool Store::DeleteBefore(uint64_t cutoff_ns, uint64_t& flows, uint64_t& stats) {
  flows = 0;
  stats = 0;
  if (!Commit()) return false;
  // start_ns is indexed (flows_start); a flow that ended before the cutoff began before it.
  const std::string cutoff = std::to_string(cutoff_ns);
  const std::string flows_sql =
      "DELETE FROM flows WHERE start_ns < " + cutoff + " AND end_ns < " + cutoff;
  const std::string stats_sql = "DELETE FROM stats WHERE interval_end_ns < " + cutoff;
  if (!Exec("BEGIN") || !Exec(flows_sql.c_str())) return false;
  flows = static_cast<uint64_t>(sqlite3_changes(db_));
  if (!Exec(stats_sql.c_str())) return false;
  stats = static_cast<uint64_t>(sqlite3_changes(db_));
  return Exec("COMMIT");
}

}  // namespace tapwatch::collector
