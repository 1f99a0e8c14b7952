#include "collector/report/sections/meta.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "collector/report/address_class.h"
#include "collector/report/analysis_util.h"

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
  return m;
}

}  // namespace tapwatch::collector::report
