// `gaps`: stretches of time with no flow at all.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class GapsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  std::vector<int32_t> cover_diff;  // per bin: flows starting minus flows ended before it
  std::vector<int64_t> bin_max_end, bin_min_start;
  void Init();
};

}  // namespace tapwatch::collector::report
