// `slow_scans`: sources active on many days with few flows each (low and slow).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class SlowScansSection : public ReportSection {
 public:
  using ReportSection::ReportSection;

  JsonValue Build() override;

 private:
};

}  // namespace tapwatch::collector::report
