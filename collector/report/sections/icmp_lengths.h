// `icmp_lengths`: ICMP packets by IP length, with their payload fingerprints.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class IcmpLengthsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct IcmpLenAgg {
    int64_t packets = 0, flows = 0;
    std::vector<uint32_t> sources;  // sorted and deduplicated in Build
    std::map<std::string, int64_t, std::less<>> fingerprints;
  };
  std::map<int64_t, IcmpLenAgg> icmp_lens;  // by IP length
};

}  // namespace tapwatch::collector::report
