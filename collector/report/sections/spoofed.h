// `spoofed`: source addresses that cannot be genuine where they were seen, and backscatter to home.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class SpoofedSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct SpoofAgg {
    std::string category;
    std::string note;
    int64_t flows = 0, packets = 0;
    int flags = 0;
    std::set<uint32_t> targets;
    std::map<uint32_t, int64_t> ports;
    int64_t first_ns = INT64_MAX, last_ns = 0;
  };
  struct BackscatterAgg {
    int64_t flows = 0, packets = 0, synack = 0, rst = 0;
    std::set<uint32_t> victims;  // the home hosts it answered (capped)
    std::map<uint32_t, int64_t> src_ports;
    int64_t first_ns = INT64_MAX, last_ns = 0;
  };
  // A reserved source address that cannot be genuine where it was seen (docs/report.md).
  bool SpoofedSource(const FlowRow& r, const ReservedRange& range, bool src_home) const;
  std::map<uint32_t, SpoofAgg> spoofed;
  std::map<uint32_t, BackscatterAgg> backscatter;
};

}  // namespace tapwatch::collector::report
