#pragma once
// The readers' (`report`, `flows`) check of a store before they read it. SQLite reads a damaged
// file without complaint as long as the pages it happens to touch look sane: a report from it
// exits 0 with wrong numbers (a quarter of the flows, a period ending decades ahead). So before
// anything is read (or written: EnsureFlowsIndexes), the whole file is checked, and a damaged
// store is refused with one line naming the file and the cause.

#include <string>

namespace tapwatch::collector {

/// Exit status of `report` and `flows` for a store that fails the check: the collector's status
/// for an unreadable database (cli_util.h kExitUsage).
inline constexpr int kExitDamagedStore = 2;

/// Checks, in order, and stops at the first problem:
///  1. the file exists, is not empty, starts with SQLite's header, and is as long as its header
///     says (a store cut off is named as such, not as "malformed");
///  2. SQLite's PRAGMA quick_check (every page of every table and index; not each index entry
///     against its row, which costs nine times as much);
///  3. the schema: a flows table with every column collector/schema.sql declares NOT NULL
///     without a default, and meta 'schema' = 'tapwatch-1' when the store has that row (stores
///     made by other tools, such as the tests' and benches', have none);
///  4. row counts: no more rows than ids;
///  5. times: no flow ends before it starts, none starts before 1970 (a negative integer), and
///     none ends more than kMaxFutureNs after the last record the collector received.
/// True when the store may be read; else false and `error` = "--db PATH: CAUSE".
bool CheckStore(const std::string& path, std::string& error);

}  // namespace tapwatch::collector
