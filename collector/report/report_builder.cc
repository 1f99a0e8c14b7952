#include "collector/report/report_builder.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"
#include "collector/report/flow_scan.h"
#include "collector/report/home_inference.h"
#include "collector/report/report_context.h"
#include "collector/report/sections/section_list.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {

namespace {

// Runs the report: the period, home, one scan of the flows feeding every section, then each
// section's JSON in list order (sections/section_list.cc).
class Builder {
 public:
  Builder(sqlite3* db, const ReportOptions& opt, const ReferenceData& ref) : ctx_(db, opt, ref) {}

  bool Run(JsonValue* out, std::string* error);

 private:
  bool LoadPeriod(std::string* error);
  void InferHome();
  // The facts of one row several sections need, computed once.
  void ComputeFacts(const FlowRow& r, RowFacts* f);
  void Progress(double f, const char* stage) {
    if (ctx_.opt.progress) ctx_.opt.progress(f, stage);
  }
  // TAPWATCH_REPORT_TIMING=1: CPU seconds per stage on stderr (benchmarking).
  void Mark(const char* stage) {
    static const bool enabled = std::getenv("TAPWATCH_REPORT_TIMING") != nullptr;
    if (!enabled) return;
    std::clock_t now = std::clock();
    auto wall = std::chrono::steady_clock::now();
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::fprintf(stderr, "report timing: %-22s %.2f s cpu %.2f s wall, peak rss %ld MB\n", stage,
                 static_cast<double>(now - mark_) / CLOCKS_PER_SEC,
                 std::chrono::duration<double>(wall - wall_mark_).count(), ru.ru_maxrss / 1024);
    mark_ = now;
    wall_mark_ = wall;
  }

  ReportContext ctx_;
  int64_t max_id_ = 0;
  IcmpJson icmp_;  // the current row's ICMP summary (buffers reused across rows)
  std::clock_t mark_ = std::clock();
  std::chrono::steady_clock::time_point wall_mark_ = std::chrono::steady_clock::now();
};

bool Builder::LoadPeriod(std::string* error) {
  {
    Stmt check(ctx_.db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='flows'");
    if (!check.ok() || !check.Step()) {
      *error = "no flows table: not a tapwatch store";
      return false;
    }
  }
  // min/max over the flows_start index: no scan.
  Stmt st(ctx_.db,
          "SELECT min(start_ns), max(start_ns), (SELECT max(id) FROM flows) FROM flows "
          "WHERE 1" +
              ctx_.TimeClause());
  if (!st.ok() || !st.Step() || st.Null(0)) {
    *error =
        "no flows in the store" + std::string(ctx_.opt.from_ns || ctx_.opt.to_ns ? " for the period" : "");
    return false;
  }
  ctx_.period.first_ns = st.Int(0);
  ctx_.period.last_ns = st.Int(1);
  max_id_ = st.Int(2);
  int64_t span = ctx_.period.last_ns - ctx_.period.first_ns;
  ctx_.period.bucket_ns = span >= 3 * kDayNs ? kDayNs : kHourNs;
  ctx_.period.buckets = static_cast<size_t>(span / ctx_.period.bucket_ns) + 1;
  if (ctx_.period.buckets > 32767) {
    ctx_.period.bucket_ns = span / 32000 + 1;
    ctx_.period.buckets = static_cast<size_t>(span / ctx_.period.bucket_ns) + 1;
  }
  ctx_.period.bin_ns = 60 * kSecondNs;
  if (span / ctx_.period.bin_ns > 2000000) ctx_.period.bin_ns = span / 2000000 + 1;
  ctx_.period.bins = static_cast<size_t>(span / ctx_.period.bin_ns) + 2;
  return true;
}

void Builder::InferHome() {
  // Evidence from the rows themselves (home_inference.h). A store of up to kWholeRows rows is
  // read whole; a larger one through ~100 evenly spaced id windows (primary-key range lookups,
  // no scan) of up to 2000 rows each.
  constexpr int64_t kWholeRows = 200000;
  HomeEvidence evidence;
  const bool whole = max_id_ <= kWholeRows;
  const int64_t step = whole ? max_id_ + 1 : std::max<int64_t>(1, max_id_ / 100);
  const int64_t window = whole ? max_id_ + 1 : std::min<int64_t>(step, 2000);
  ScanPlan plan;
  plan.db = ctx_.db;
  plan.time_clause = ctx_.TimeClause();
  plan.max_id = max_id_;
  std::string error;
  if (!ScanFlowWindows(plan, step, window, [&](const FlowRow& r) { evidence.Observe(r); },
                       &error)) {
    return;
  }
  ctx_.home_verdict = evidence.Decide();
  ctx_.home = ctx_.home_verdict.home;
  ctx_.home_inferred = true;
  ctx_.home_how = "inferred (" + ctx_.home_verdict.rule + ", confidence " +
                  ctx_.home_verdict.confidence +
                  (whole ? ", every flow read)" : ", sampled windows of the store)");
}

void Builder::ComputeFacts(const FlowRow& r, RowFacts* f) {
  f->flows_inc = r.first_record ? 1 : 0;
  f->icmp = nullptr;
  f->icmp_length28_packets = 0;
  if (r.has_icmp_json) {
    ParseIcmpJson(r.icmp_json, &icmp_);
    f->icmp = &icmp_;
    for (const auto& [len, n] : icmp_.lengths) {
      if (len == 28) f->icmp_length28_packets = n;
    }
  }
  f->labels.clear();
  f->cmd_exe_labels = f->ida_labels = 0;
  if (!r.ipv4) {
    f->src_home = f->dst_home = f->dst_broadcast = f->reversed = f->has_host = false;
    f->category = kTransit;
    f->packets = r.src_pkts + r.dst_pkts;
    return;
  }
  const bool src_home = ctx_.IsHome(r.src), dst_home = ctx_.IsHome(r.dst);
  f->src_home = src_home;
  f->dst_home = dst_home;
  f->dst_broadcast = ctx_.IsBroadcastDst(r.dst);
  f->packets = r.src_pkts + r.dst_pkts;
  // A flow whose initiator sent nothing (the sensor inferred the initiator from a lone
  // SYN-ACK) is traffic *to* the initiator: count it as inbound to it.
  const bool reversed = r.src_pkts == 0 && r.dst_pkts > 0;
  f->reversed = reversed;
  const uint32_t a = reversed ? r.dst : r.src, b = reversed ? r.src : r.dst;
  const bool a_home = reversed ? dst_home : src_home, b_home = reversed ? src_home : dst_home;
  const int proto = r.proto;
  f->has_host = true;
  f->other = b;
  if (a_home && (reversed ? false : f->dst_broadcast)) {
    f->category = kBroadcast;
    f->host = a;
  } else if (a_home && !b_home) {
    f->host = a;
    if (r.dport == 53 && !reversed)
      f->category = kDns;
    else
      f->category = proto == 6 ? kOutTcp : proto == 17 ? kOutUdp : kOutOther;
  } else if (!a_home && b_home) {
    f->host = b;
    f->category = proto == 6 ? kInTcp : proto == 17 ? kInUdp : proto == 1 ? kInIcmp : kInOther;
  } else if (a_home && b_home) {
    f->category = kInternal;
    f->host = a;
  } else {
    f->category = kTransit;
    f->has_host = false;
  }
  if (!r.payload_labels_json.empty()) {
    if (auto arr = JsonValue::Parse(r.payload_labels_json)) {
      for (const auto& l : arr->items()) {
        const std::string& s = l.as_string();
        if (s.find("cmd.exe") != std::string::npos) ++f->cmd_exe_labels;
        if (s.find(".ida") != std::string::npos) ++f->ida_labels;
        f->labels.push_back(s);
      }
    }
  }
}

bool Builder::Run(JsonValue* out, std::string* error) {
  Progress(0, "reading period");
  Mark("start");
  if (!LoadPeriod(error)) return false;
  ctx_.home = ctx_.opt.home;
  if (ctx_.home.empty()) InferHome();
  std::vector<std::unique_ptr<ReportSection>> sections;
  for (const auto& entry : kSections) sections.push_back(entry.make(ctx_));

  ScanPlan plan;
  plan.db = ctx_.db;
  plan.time_clause = ctx_.TimeClause();
  plan.readers = ctx_.opt.scan_readers;
  plan.chunk_ids = ctx_.opt.scan_chunk_ids;
  plan.max_id = max_id_;
  int64_t rows = 0;
  RowFacts facts;
  const bool ok = ScanFlowRows(
      plan,
      [&](const FlowRow& r) {
        if ((++rows & 0xFFFF) == 0 && max_id_ > 0) {
          Progress(0.05 + 0.85 * std::min(1.0, static_cast<double>(r.id) / max_id_),
                   "scanning flows");
        }
        ComputeFacts(r, &facts);
        for (auto& s : sections) s->Observe(r, facts);
      },
      error);
  if (!ok) return false;
  if (rows == 0) {
    *error = "no flows in the store";
    return false;
  }
  Mark("scan flows");
  Progress(0.9, "analysing");
  JsonValue report = JsonValue::Object();
  for (size_t i = 0; i < sections.size(); ++i) {
    JsonValue section = sections[i]->Build();
    sections[i].reset();  // its pass data is no longer needed
    if (ctx_.opt.on_section) {
      ctx_.opt.on_section(kSections[i].key, std::move(section));
    } else {
      report.Set(kSections[i].key, std::move(section));
    }
    Mark(kSections[i].key);
    Progress(0.9 + 0.1 * static_cast<double>(i + 1) / sections.size(), kSections[i].key);
  }
  *out = std::move(report);
  return true;
}

}  // namespace

bool BuildReport(sqlite3* db, const ReportOptions& options, const ReferenceData& reference,
                 JsonValue* report, std::string* error) {
  Builder b(db, options, reference);
  return b.Run(report, error);
}

}  // namespace tapwatch::collector::report
