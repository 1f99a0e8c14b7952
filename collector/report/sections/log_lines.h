// `log_lines`: firewall log lines per prefix, source, port and home host (log stores only).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class LogLinesSection : public ReportSection {
 public:
  using ReportSection::ReportSection;

  JsonValue Build() override;

 private:
};

}  // namespace tapwatch::collector::report
