// `meta`: what was read: the store, the period, home and how it was found.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class MetaSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  int64_t rows = 0, flows = 0, interim_rows = 0, ipv6_rows = 0, packets = 0;
  int64_t min_start = INT64_MAX, max_end = 0;
};

}  // namespace tapwatch::collector::report
