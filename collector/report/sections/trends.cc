#include "collector/report/sections/trends.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

namespace tapwatch::collector::report {

void TrendsSection::Observe(const FlowRow& r, const RowFacts& f) {
  if (!r.ipv4) return;
  if (trend.empty()) trend.resize(ctx_.period.buckets);
  auto& t = trend[ctx_.period.Bucket(r.start_ns)][f.category];
  t.flows += f.flows_inc;
  t.packets += f.packets;
}

JsonValue TrendsSection::Build() {
  JsonValue s = NewSection("Trends per traffic category",
                           "What are the high-level trends? What was growing / decreasing?");
  s.Set("bucket", ctx_.period.bucket_ns == kDayNs    ? "day"
                  : ctx_.period.bucket_ns == kHourNs ? "hour"
                                                     : "custom");
  JsonValue starts = JsonValue::Array();
  for (size_t b = 0; b < ctx_.period.buckets; ++b) {
    starts.Push(FormatTimeNs((ctx_.period.BucketStart(b) - 1) / kSecondNs * kSecondNs));
  }
  s.Set("bucket_starts", starts);
  JsonValue cats = JsonValue::Array();
  std::string answer;
  for (int c = 0; c < kNumCategories; ++c) {
    std::vector<double> y(ctx_.period.buckets);
    int64_t total = 0;
    if (trend.empty()) trend.resize(ctx_.period.buckets);
    for (size_t b = 0; b < ctx_.period.buckets; ++b) {
      y[b] = static_cast<double>(trend[b][c].packets);
      total += trend[b][c].packets;
    }
    if (total == 0) continue;
    // Bursts first: buckets far above the typical level (3x the median and mean + 3 sd). The
    // direction is fitted with those buckets replaced by the median, so one burst does not
    // decide whether a category grows.
    std::vector<double> sorted = y;
    std::sort(sorted.begin(), sorted.end());
    double median = sorted[sorted.size() / 2];
    double mean = static_cast<double>(total) / y.size(), var = 0;
    for (double v : y) var += (v - mean) * (v - mean);
    double sd = std::sqrt(var / y.size());
    JsonValue bursts = JsonValue::Array();
    std::vector<double> fitted = y;
    for (size_t b = 0; b < y.size(); ++b) {
      if (y[b] >= 10 && y[b] > 3 * median && y[b] > mean + 3 * sd) {
        JsonValue burst = JsonValue::Object();
        burst.Set("start", FormatTimeNs((ctx_.period.BucketStart(b) - 1) / kSecondNs * kSecondNs));
        burst.Set("packets", static_cast<int64_t>(y[b]));
        bursts.Push(burst);
        fitted[b] = median;
      }
    }
    double slope = 0, change = 0;
    std::string dir = Direction(fitted, &slope, &change);
    JsonValue row = JsonValue::Object();
    row.Set("category", kCategories[c]);
    row.Set("packets", total);
    row.Set("direction", dir);
    row.Set("slope_per_bucket", slope);
    row.Set("relative_change", change);
    JsonValue series = JsonValue::Array();
    for (double v : y) series.Push(static_cast<int64_t>(v));
    row.Set("series", series);
    row.Set("bursts", bursts);
    cats.Push(row);
    if (dir == "growing" || dir == "shrinking") {
      answer += (answer.empty() ? "" : "; ") + std::string(kCategories[c]) + " " + dir;
    }
  }
  s.Set("answer", answer.empty() ? "no category grows or shrinks clearly" : answer);
  s.Set("categories", cats);
  return s;
}

}  // namespace tapwatch::collector::report
