// `threats`: the addresses to look at first, ranked by the findings of every other section.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class ThreatsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;

  JsonValue Build() override;

 private:
};

}  // namespace tapwatch::collector::report
