// `compromise`: hosts compromised: an attack followed by new behaviour (or, in honeynet mode, any
// outbound connection).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class CompromiseSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct OutboundAgg {
    int64_t flows = 0, bytes = 0, payload_bytes = 0, established = 0;
    int64_t first_ns = INT64_MAX, last_ns = 0;
  };
  // Home hosts that sent known malware payloads out: (host, time, label, destination).
  struct MalwareOut {
    uint32_t host, dst;
    int64_t t_ns;
    std::string label;
  };
  JsonValue BuildHoneynet();
  // Honeynet mode: outbound flows of home hosts by (host, destination, proto, port).
  std::unordered_map<std::tuple<uint32_t, uint32_t, int, uint32_t>, OutboundAgg, TupleHash>
      outbound;
  std::vector<MalwareOut> malware_out_;
};

}  // namespace tapwatch::collector::report
