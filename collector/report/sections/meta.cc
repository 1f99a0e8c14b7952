#include "collector/report/sections/meta.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {

void MetaSection::Observe(const FlowRow& r, const RowFacts& f) {
  ++rows;
  if (r.interim) ++interim_rows;
  if (r.first_record) ++flows;
  if (!r.ipv4) ++ipv6_rows;
  packets += r.src_pkts + r.dst_pkts;
  min_start = std::min(min_start, r.start_ns);
  max_end = std::max(max_end, r.end_ns);
  (void)f;
}

namespace {

// The collector's per-sensor record accounting (the `sensors` table): what the flows above are
// short of, and why. A store written before these counters existed has only the first five.
void AddSensorCounters(sqlite3* db, JsonValue& m) {
  static constexpr const char* kColumns[] = {"received",  "lost",          "duplicates",
                                             "restarts",  "recovered",     "unrecoverable",
                                             "resyncs",   "id_conflicts"};
  Stmt full(db,
            "SELECT sensor_id, received, gaps, duplicates, restarts, recovered, unrecoverable, "
            "resyncs, conflicts FROM sensors ORDER BY sensor_id");
  Stmt older(db, full.ok() ? "" : "SELECT sensor_id, received, gaps, duplicates, restarts "
                                  "FROM sensors ORDER BY sensor_id");
  Stmt& st = full.ok() ? full : older;
  if (!st.ok()) return;
  const int columns = sqlite3_column_count(st.get()) - 1;
  JsonValue sensors = JsonValue::Array();
  int64_t totals[std::size(kColumns)] = {};
  while (st.Step()) {
    JsonValue row = JsonValue::Object();
    row.Set("sensor_id", std::string(st.Text(0)));
    for (int i = 0; i < columns; ++i) {
      row.Set(kColumns[i], st.Int(i + 1));
      totals[i] += st.Int(i + 1);
    }
    sensors.Push(row);
  }
  m.Set("records_received", totals[0]);
  m.Set("records_lost", totals[1]);
  m.Set("records_unrecoverable", totals[5]);
  m.Set("records_recovered", totals[4]);
  m.Set("sequence_resyncs", totals[6]);
  m.Set("sensor_id_conflicts", totals[7]);
  m.Set("sensors", sensors);
}

}  // namespace

JsonValue MetaSection::Build() {
  JsonValue m = JsonValue::Object();
  m.Set("schema_version", 1);
  m.Set("db", ctx_.opt.db_path);
  JsonValue home = JsonValue::Array();
  for (const auto& c : ctx_.home) home.Push(c.ToString());
  m.Set("home", home);
  m.Set("home_inferred", ctx_.home_inferred);
  m.Set("home_how", ctx_.home_inferred ? ctx_.home_how : "given with --home");
  m.Set("home_confidence", ctx_.home_inferred ? ctx_.home_verdict.confidence : "given");
  JsonValue evidence = JsonValue::Array();
  for (const auto& e : ctx_.home_verdict.evidence) evidence.Push(e);
  m.Set("home_evidence", evidence);
  m.Set("mode", ctx_.opt.honeynet ? "honeynet" : "network");
  m.Set("first", FormatTimeNs(min_start));
  m.Set("last", FormatTimeNs(max_end));
  m.Set("first_ns", min_start);
  m.Set("last_ns", max_end);
  m.Set("bucket", ctx_.period.bucket_ns == kDayNs    ? "day"
                  : ctx_.period.bucket_ns == kHourNs ? "hour"
                                                     : "custom");
  m.Set("rows", rows);
  m.Set("flows", flows);
  m.Set("interim_rows", interim_rows);
  m.Set("ipv6_rows", ipv6_rows);
  m.Set("packets", packets);
  JsonValue allowed = JsonValue::Array();
  for (const auto& a : ctx_.opt.allowed)
    allowed.Push(ProtoName(a.ip_proto) + "/" + std::to_string(a.port));
  m.Set("allowed_outbound", allowed);
  AddSensorCounters(ctx_.db, m);
  return m;
}

}  // namespace tapwatch::collector::report
