// `ports`: inbound destination ports, with the ISC trend of each.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class PortsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  // key = proto_bit<<63 | port<<47 | addr<<15 | bucket
  std::vector<uint64_t> port_src_keys, port_dst_keys;
  std::unordered_map<std::pair<int, uint32_t>, Counter, TupleHash> port_counts;
};

}  // namespace tapwatch::collector::report
