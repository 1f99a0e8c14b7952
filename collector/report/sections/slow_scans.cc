#include "collector/report/sections/slow_scans.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/probe_events.h"

namespace tapwatch::collector::report {

JsonValue SlowScansSection::Build() {
  JsonValue s =
      NewSection("Low-and-slow scanners", "Any long-term (low and slow) scanning activity?");
  const int64_t unit_s = ctx_.period.bucket_ns / kSecondNs;  // day, or hour for short captures
  const std::string unit = ctx_.period.bucket_ns == kDayNs ? "day" : "hour";
  constexpr int kMinActiveUnits = 3;
  constexpr int64_t kMaxFlowsPerUnit = 50;
  const double kStep = std::log(0.8 / 0.2);  // TRW, theta0 = 0.8, theta1 = 0.2
  const double kEta1 = std::log(0.99 / 0.01), kEta0 = std::log(0.01 / 0.99);
  auto& ev = ctx_.probe_events;
  std::sort(ev.begin(), ev.end(), [](const ScanEv& a, const ScanEv& b) {
    return a.src != b.src ? a.src < b.src : EarlierProbe(a, b);
  });
  struct Found {
    double score;
    JsonValue row;
  };
  std::vector<Found> found;
  for (size_t i = 0; i < ev.size();) {
    size_t j = i;
    while (j < ev.size() && ev[j].src == ev[i].src) ++j;
    // Fewer flows than active units needed, or all in one unit: not low-and-slow; skip cheaply.
    // Home hosts coming back to the same places every day are their own users, not probers.
    if (j - i < kMinActiveUnits || (ev[i].bits & kEvFromHome) ||
        ev[j - 1].t_s / unit_s - ev[i].t_s / unit_s + 1 < kMinActiveUnits) {
      i = j;
      continue;
    }
    // Events are in time order, so units are non-decreasing: runs give the per-unit counts.
    std::vector<std::pair<int64_t, int64_t>> per_unit;  // (unit, flows)
    std::vector<uint64_t> target_unit;                  // dst << 32 | unit
    double lambda = 0, lambda_max = 0;
    std::unordered_set<uint32_t> contacted;
    int64_t answered = 0;
    for (size_t k = i; k < j; ++k) {
      if (ev[k].bits & kEvSuccess) ++answered;
      int64_t u = ev[k].t_s / unit_s;
      if (per_unit.empty() || per_unit.back().first != u) per_unit.push_back({u, 0});
      ++per_unit.back().second;
      target_unit.push_back(uint64_t{ev[k].dst} << 32 | static_cast<uint32_t>(u));
      if (contacted.insert(ev[k].dst).second) {
        lambda += (ev[k].bits & kEvSuccess) ? -kStep : kStep;
        lambda_max = std::max(lambda_max, lambda);
      }
    }
    int64_t active = static_cast<int64_t>(per_unit.size());
    int64_t max_per_unit = 0;
    for (auto& [u, c] : per_unit) max_per_unit = std::max(max_per_unit, c);
    int64_t span_units = per_unit.back().first - per_unit.front().first + 1;
    SortUnique(target_unit);
    int64_t returning = 0, targets = 0;
    std::string returning_example;
    for (size_t a = 0; a < target_unit.size();) {
      size_t b = a;
      while (b < target_unit.size() && (target_unit[b] >> 32) == (target_unit[a] >> 32)) ++b;
      ++targets;
      if (b - a >= 2) {
        ++returning;
        if (returning_example.empty())
          returning_example = FormatIpv4(static_cast<uint32_t>(target_unit[a] >> 32));
      }
      a = b;
    }
    // A regular client (a web user coming back every day) is answered; a prober mostly is not.
    const bool mostly_unanswered = answered * 2 <= static_cast<int64_t>(j - i);
    if (active >= kMinActiveUnits && max_per_unit <= kMaxFlowsPerUnit && returning >= 1 &&
        span_units >= kMinActiveUnits && (mostly_unanswered || lambda_max >= kEta1)) {
      JsonValue row = JsonValue::Object();
      row.Set("source", FormatIpv4(ev[i].src));
      row.Set("flows", static_cast<int64_t>(j - i));
      row.Set("active_" + unit + "s", active);
      row.Set("span_" + unit + "s", span_units);
      row.Set("max_flows_per_" + unit, max_per_unit);
      row.Set("targets", targets);
      row.Set("answered_flows", answered);
      row.Set("returning_targets", returning);
      row.Set("example_target", returning_example);
      JsonValue visits = JsonValue::Array();
      for (auto& [u, c] : per_unit) {
        if (visits.size() >= 40) break;
        visits.Push(FormatTimeNs(ctx_.period.first_ns + u * unit_s * kSecondNs)
                        .substr(0, unit == "day" ? 10 : 13));
      }
      row.Set("active_" + unit + "_list", visits);
      row.Set("trw_lambda", lambda);
      row.Set("trw_max_lambda", lambda_max);
      row.Set("trw_decision", lambda_max >= kEta1 ? "scanner"
                              : lambda <= kEta0   ? "benign"
                                                  : "pending");
      char why[320];
      std::snprintf(why, sizeof why,
                    "active on %lld of %lld %ss, never more than %lld flows in one %s, returned to "
                    "%lld target(s) (e.g. %s) on different %ss; TRW log-likelihood %.2f (scanner "
                    "threshold %.2f)",
                    static_cast<long long>(active), static_cast<long long>(span_units),
                    unit.c_str(), static_cast<long long>(max_per_unit), unit.c_str(),
                    static_cast<long long>(returning), returning_example.c_str(), unit.c_str(),
                    lambda_max, kEta1);
      row.Set("why", why);
      found.push_back({static_cast<double>(active) * static_cast<double>(targets), row});
      ctx_.AddFinding(ev[i].src, false, 25, "slow_scans",
                      "low-and-slow: active on " + std::to_string(active) + " " + unit + "s");
    }
    i = j;
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Found& a, const Found& b) { return a.score > b.score; });
  JsonValue arr = JsonValue::Array();
  for (size_t i = 0; i < found.size() && i < std::max<size_t>(ctx_.opt.top, 50); ++i)
    arr.Push(found[i].row);
  s.Set("unit", unit);
  s.Set("method",
        "a source is low-and-slow when it is active on >= 3 distinct " + unit +
            "s spread over >= 3 " + unit + "s, never exceeds 50 new flows in one " + unit +
            ", returns to at least one target on a different " + unit +
            ", and at most half of its flows were answered (or the random walk says scanner): a "
            "regular client coming back every day is answered. The threshold random walk (Jung et "
            "al. 2004: theta0 0.8, theta1 0.2, alpha = beta = 0.01) "
            "adds +1.386 per unanswered first contact and -1.386 per answered one; >= 4.595 means "
            "scanner.");
  s.Set("answer", std::to_string(found.size()) + " low-and-slow source(s)");
  s.Set("sources_total", static_cast<int64_t>(found.size()));
  s.Set("sources", arr);
  return s;
}

}  // namespace tapwatch::collector::report
