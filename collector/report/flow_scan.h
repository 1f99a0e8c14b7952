// The report's scan layer: reads each stored flow of the period once, as a typed FlowRow.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <string>

#include "collector/report/flow_row.h"

namespace tapwatch::collector::report {

struct ScanPlan {
  sqlite3* db = nullptr;
  std::string time_clause;  // " AND start_ns >= .." or empty for the whole store
  int readers = 2;          // reader threads for a whole-store scan; 0: one statement
  int64_t chunk_ids = 4000;
  int64_t max_id = 0;
};

/// Calls f for every flow row of the period on this thread: in rowid order for the whole store
/// (read by plan.readers threads in interleaved rowid chunks), in start_ns order for a period.
/// A FlowRow's text views live until f returns. False and *error when the table does not match
/// the schema.
bool ScanFlowRows(const ScanPlan& plan, const std::function<void(const FlowRow&)>& f,
                  std::string* error);

/// Calls f for the rows with ids in [k * step, k * step + window) for k = 0, 1, ... up to
/// plan.max_id: evenly spaced samples of a large store through primary-key range lookups.
bool ScanFlowWindows(const ScanPlan& plan, int64_t step, int64_t window,
                     const std::function<void(const FlowRow&)>& f, std::string* error);

}  // namespace tapwatch::collector::report
