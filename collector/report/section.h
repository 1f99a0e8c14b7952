// What a report section sees besides the rows it observes, and what it hands back to `threats`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tapwatch::collector::report {

struct SectionContext {
  std::function<bool(uint32_t)> is_home;  // false for every address when home is unknown
  int64_t first_ns = 0;                   // period start
  size_t top = 30;                        // rows per ranked table; never limits counts
};

/// One address a section found something about; `threats` ranks addresses by summed scores.
struct Finding {
  uint32_t address = 0;
  bool home = false;
  int score = 0;
  std::string section;
  std::string reason;
};

}  // namespace tapwatch::collector::report
