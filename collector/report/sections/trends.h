// `trends`: packets per traffic category per bucket, growing or shrinking.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class TrendsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  std::vector<std::array<Counter, kNumCategories>> trend;  // per bucket
};

}  // namespace tapwatch::collector::report
