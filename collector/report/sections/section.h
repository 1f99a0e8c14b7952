// A report section: observes every stored flow once (with the facts the builder computed for
// it), then builds its JSON member. Sections are listed, in output order, in section_list.cc.
#pragma once

#include "collector/report/flow_row.h"
#include "collector/report/json_value.h"
#include "collector/report/report_context.h"

namespace tapwatch::collector::report {

class ReportSection {
 public:
  explicit ReportSection(ReportContext& ctx) : ctx_(ctx) {}
  virtual ~ReportSection() = default;
  ReportSection(const ReportSection&) = delete;
  ReportSection& operator=(const ReportSection&) = delete;

  /// Every row of the period, IPv6 ones included (row.ipv4 tells).
  virtual void Observe(const FlowRow& row, const RowFacts& facts) {
    (void)row;
    (void)facts;
  }
  /// The section's JSON member; called once, in list order, after every row was observed.
  virtual JsonValue Build() = 0;

 protected:
  ReportContext& ctx_;
};

}  // namespace tapwatch::collector::report
