#include "collector/store_check.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collector/cli_util.h"
#include "collector/record_validation.h"
#include "collector/schema_sql.h"
#include "collector/store.h"

namespace tapwatch::collector {
namespace {

// Rows of a one-column query as text (NULL as ""); nullopt with `error` set when SQLite fails.
std::optional<std::vector<std::string>> Column(sqlite3* db, const std::string& sql,
                                               std::string& error) {
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
    return std::nullopt;
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    out.emplace_back(p ? p : "");
  }
  if (rc != SQLITE_DONE) error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return std::nullopt;
  return out;
}

// The flows columns schema.sql declares NOT NULL without a default: every store has had them.
std::vector<std::string> RequiredFlowsColumns() {
  sqlite3* schema = nullptr;
  std::vector<std::string> out;
  std::string ignored;
  if (sqlite3_open(":memory:", &schema) == SQLITE_OK &&
      sqlite3_exec(schema, kSchemaSql, nullptr, nullptr, nullptr) == SQLITE_OK) {
    out = Column(schema,
                 "SELECT name FROM pragma_table_info('flows') WHERE \"notnull\" = 1 AND "
                 "dflt_value IS NULL",
                 ignored)
              .value_or(std::vector<std::string>{});
  }
  sqlite3_close(schema);
  return out;
}

uint64_t WallClockNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The file's first 100 bytes (https://www.sqlite.org/fileformat2.html#the_database_header): not
// SQLite's, or a file shorter than its header says (cut off), each named as such; "" otherwise.
std::string HeaderDamage(const std::string& path, uint64_t file_bytes) {
  unsigned char h[100] = {};
  FILE* f = std::fopen(path.c_str(), "rb");
  const size_t got = f ? std::fread(h, 1, sizeof(h), f) : 0;
  if (f) std::fclose(f);
  if (got < sizeof(h) || std::memcmp(h, "SQLite format 3", 16) != 0) {
    return "not an SQLite database: its header is not SQLite's";
  }
  auto be32 = [&](int at) {
    return (uint32_t{h[at]} << 24) | (uint32_t{h[at + 1]} << 16) | (uint32_t{h[at + 2]} << 8) |
           h[at + 3];
  };
  const uint32_t page_bytes = h[16] == 0 && h[17] == 1 ? 65536 : (h[16] << 8) | h[17];
  // The size in pages is valid only when the change counter matches "version-valid-for".
  const uint64_t header_bytes = uint64_t{be32(28)} * page_bytes;
  if (be32(24) == be32(92) && header_bytes > file_bytes) {
    return "cut off: its header says " + std::to_string(header_bytes) + " bytes, the file has " +
           std::to_string(file_bytes);
  }
  return "";
}

// The checks of CheckStore from 2 on; "" when the store passed them, else the cause.
std::string Damage(sqlite3* db) {
  std::string error;
  // 2. Every page. quick_check rather than integrity_check, which also compares every index
  // entry with its row: on a 1,000,000-flow store 1.0 s of CPU against 9.0 s (a report of it
  // takes ~30 s). A damaged value is left to the times below.
  const auto problems = Column(db, "PRAGMA quick_check(10)", error);
  if (!problems) return "damaged: SQLite quick_check stopped: " + error;
  if (problems->size() != 1 || (*problems)[0] != "ok") {
    const std::string first = problems->empty() ? "no answer" : (*problems)[0];
    return "damaged: SQLite quick_check: " + first +
           (problems->size() > 1 ? " (and " + std::to_string(problems->size() - 1) +
                                       (problems->size() >= 10 ? "+" : "") + " more)"
                                 : "");
  }
  // 3. The schema.
  const auto tables =
      Column(db, "SELECT name FROM sqlite_master WHERE type = 'table'", error);
  if (!tables) return "SQLite cannot read its schema: " + error;
  const std::set<std::string> have(tables->begin(), tables->end());
  if (have.count("flows") == 0) return "not a tapwatch store: no flows table";
  // Stores made by other tools (tests, benches) may have no meta table or no schema row.
  const auto version =
      have.count("meta") == 0
          ? std::vector<std::string>{}
          : Column(db, "SELECT value FROM meta WHERE key = 'schema'", error)
                .value_or(std::vector<std::string>{"(unreadable)"});
  if (!version.empty() && version[0] != kStoreSchemaVersion) {
    return "not a tapwatch store: meta schema is '" + version[0] + "', expected '" +
           kStoreSchemaVersion + "'";
  }
  const auto columns = Column(db, "SELECT name FROM pragma_table_info('flows')", error);
  if (!columns) return "reading the flows columns: " + error;
  const std::set<std::string> have_columns(columns->begin(), columns->end());
  for (const std::string& column : RequiredFlowsColumns()) {
    if (have_columns.count(column) == 0) return "flows table has no " + column + " column";
  }
  // 4. Row counts and 5. times: one pass over the table (no index covers end_ns); ids are never
  // reused, so there are never more rows than the largest id.
  sqlite3_stmt* stmt = nullptr;
  const std::string times_sql =
      std::string("SELECT count(*), min(start_ns), max(end_ns), sum(end_ns < start_ns), ") +
      "max(id), " +
      (have.count("sensors") != 0 ? "(SELECT max(last_seen_ns) FROM sensors) " : "NULL ") +
      "FROM flows";
  if (sqlite3_prepare_v2(db, times_sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return std::string("reading flow times: ") + sqlite3_errmsg(db);
  }
  std::string cause;
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    cause = std::string("reading flow times: ") + sqlite3_errmsg(db);
  } else if (sqlite3_column_int64(stmt, 0) > 0) {
    const int64_t min_start = sqlite3_column_int64(stmt, 1);
    const int64_t max_end = sqlite3_column_int64(stmt, 2);
    const int64_t backwards = sqlite3_column_int64(stmt, 3);
    // The last record received, or now for a store whose sensors row is gone.
    const int64_t rows = sqlite3_column_int64(stmt, 0);
    const int64_t max_id = sqlite3_column_int64(stmt, 4);
    const uint64_t last_seen = sqlite3_column_type(stmt, 5) == SQLITE_NULL
                                   ? WallClockNs()
                                   : static_cast<uint64_t>(sqlite3_column_int64(stmt, 5));
    if (max_id < rows) {
      cause = "flows table holds " + std::to_string(rows) + " rows under ids up to " +
              std::to_string(max_id);
    } else if (min_start < 0) {
      cause = "a flow starts before 1970 (start_ns " + std::to_string(min_start) + ")";
    } else if (backwards > 0) {
      cause = std::to_string(backwards) + " flows end before they start";
    } else if (static_cast<uint64_t>(max_end) > last_seen + kMaxFutureNs) {
      cause = "a flow ends at " + FormatTimeNs(static_cast<uint64_t>(max_end)) +
              ", after the last record was received (" + FormatTimeNs(last_seen) + ")";
    }
  }
  sqlite3_finalize(stmt);
  return cause;
}

}  // namespace

bool CheckStore(const std::string& path, std::string& error) {
  struct stat sb {};
  if (stat(path.c_str(), &sb) != 0) {
    error = "--db " + path + ": no such file";
    return false;
  }
  if (sb.st_size == 0) {
    error = "--db " + path + ": the file is empty, not a tapwatch store";
    return false;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    error = "--db " + path + ": cannot open: " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return false;
  }
  sqlite3_busy_timeout(db, 5000);
  std::string cause = HeaderDamage(path, static_cast<uint64_t>(sb.st_size));
  if (!cause.empty()) {
  } else if (sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr) != SQLITE_OK) {
    cause = std::string("damaged: SQLite cannot read its schema: ") + sqlite3_errmsg(db);
  } else {
    sqlite3_exec(db, "PRAGMA mmap_size = 0; PRAGMA cache_size = -32768", nullptr, nullptr,
                 nullptr);
    cause = Damage(db);
  }
  sqlite3_close(db);
  if (cause.empty()) return true;
  error = "--db " + path + ": " + cause;
  return false;
}

}  // namespace tapwatch::collector
