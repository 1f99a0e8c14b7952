// `recon`: horizontal and vertical scans, ping sweeps, nmap probes, traceroutes, from any source.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class ReconSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct ProbeAgg {
    int64_t nmap28_packets = 0, odd_flag_flows = 0;
    std::map<std::string, int64_t> combos;
    std::set<uint32_t> targets;
  };
  struct TraceAgg {
    int64_t flows = 0, packets = 0;
    std::set<uint32_t> dsts;
    std::string tool;
    int64_t first_ns = INT64_MAX;
  };
  std::map<uint32_t, ProbeAgg> probe_table;
  std::map<uint32_t, TraceAgg> trace_table;
  int64_t multicast_ttl1_flows = 0;
};

}  // namespace tapwatch::collector::report
