#include "collector/report/sections/gaps.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {

void GapsSection::Init() {
  cover_diff.assign(ctx_.period.bins + 1, 0);
  bin_max_end.assign(ctx_.period.bins, INT64_MIN);
  bin_min_start.assign(ctx_.period.bins, INT64_MAX);
}

void GapsSection::Observe(const FlowRow& r, const RowFacts& f) {
  // Coverage of every flow, IPv6 too.
  if (cover_diff.empty()) Init();
  const auto& p = ctx_.period;
  size_t b0 = p.Bin(r.start_ns), b1 = p.Bin(r.end_ns);
  cover_diff[b0] += 1;
  cover_diff[b1 + 1] -= 1;
  bin_max_end[b1] = std::max(bin_max_end[b1], r.end_ns);
  bin_min_start[b0] = std::min(bin_min_start[b0], r.start_ns);
  (void)f;
}

JsonValue GapsSection::Build() {
  if (cover_diff.empty()) Init();
  JsonValue s = NewSection("Capture gaps", "When was nothing captured or logged?");
  int64_t span = ctx_.period.last_ns - ctx_.period.first_ns;
  int64_t min_gap = ctx_.opt.min_gap_ns > 0 ? ctx_.opt.min_gap_ns
                                            : (span >= 2 * kDayNs ? kHourNs : 5 * 60 * kSecondNs);
  s.Set("min_gap_s", min_gap / kSecondNs);
  JsonValue arr = JsonValue::Array();
  // Stats intervals lying wholly inside the gap tell a sensor that was up and saw nothing
  // from one that was down (stats_time index).
  Stmt stats(ctx_.db,
             "SELECT count(*), coalesce(sum(packets),0) FROM stats WHERE "
             "interval_start_ns >= ? AND interval_start_ns < ? AND interval_end_ns <= ?");
  int64_t cover = 0, last_end = INT64_MIN;
  bool prev_active = false;
  for (size_t b = 0; b < ctx_.period.bins; ++b) {
    cover += cover_diff[b];
    const bool active = cover > 0;
    if (active && !prev_active && last_end != INT64_MIN && bin_min_start[b] != INT64_MAX) {
      // The first flow after the empty run starts in this bin; the last activity before it is
      // the latest flow end seen so far.
      const int64_t gap_end = bin_min_start[b];
      if (gap_end - last_end >= min_gap) {
        JsonValue row = JsonValue::Object();
        row.Set("start", FormatTimeNs(last_end));
        row.Set("end", FormatTimeNs(gap_end));
        row.Set("start_ns", last_end);
        row.Set("end_ns", gap_end);
        row.Set("duration_s", (gap_end - last_end) / kSecondNs);
        int64_t rows = 0, packets = 0;
        if (stats.ok()) {
          sqlite3_reset(stats.get());
          stats.Bind(1, last_end);
          stats.Bind(2, gap_end);
          stats.Bind(3, gap_end);
          if (stats.Step()) rows = stats.Int(0), packets = stats.Int(1);
        }
        row.Set("stats_records", rows);
        row.Set("stats_packets", packets);
        row.Set("sensor", rows == 0      ? "no stats records inside: sensor or logger not running"
                          : packets == 0 ? "sensor running, zero packets"
                                         : "packets seen but no IP flows");
        arr.Push(row);
      }
    }
    if (active && bin_max_end[b] != INT64_MIN) last_end = std::max(last_end, bin_max_end[b]);
    prev_active = active;
  }
  s.Set("answer", arr.size() ? std::to_string(arr.size()) + " gap(s); longest starts " +
                                   arr.items()[0].Find("start")->as_string()
                             : "no gap longer than " + std::to_string(min_gap / kSecondNs) + " s");
  if (arr.size() > 1) {
    size_t best = 0;
    for (size_t i = 1; i < arr.size(); ++i) {
      if (arr.items()[i].Find("duration_s")->as_int() >
          arr.items()[best].Find("duration_s")->as_int())
        best = i;
    }
    s.Set("answer", std::to_string(arr.size()) + " gap(s); longest from " +
                        arr.items()[best].Find("start")->as_string() + " to " +
                        arr.items()[best].Find("end")->as_string());
  } else if (arr.size() == 1) {
    s.Set("answer", "nothing captured between " + arr.items()[0].Find("start")->as_string() +
                        " and " + arr.items()[0].Find("end")->as_string());
  }
  s.Set("gaps", arr);
  return s;
}

}  // namespace tapwatch::collector::report
