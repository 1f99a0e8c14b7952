// `reserved_destinations`: home hosts sending to reserved or unallocated networks (SMB/NBNS leaks).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class ReservedDestinationsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct ReservedAgg {
    std::string range, category, note;
    std::set<uint32_t> hosts;
    int64_t flows = 0, packets = 0, answered_flows = 0, payload_bytes_sent = 0,
            payload_bytes_received = 0;
    std::map<std::string, int64_t> services;
    std::map<int, int64_t> smb_commands;
    int64_t smb_failed = 0, smb_messages = 0, nbstat_queries = 0, nb_queries = 0;
    std::set<std::string> nbns_names;
    std::set<uint32_t> dsts;
    int64_t first_ns = INT64_MAX, last_ns = 0;
  };
  std::map<std::string, ReservedAgg> reserved;
  std::vector<uint64_t> reserved_week_hosts;  // week_day<<32 | host
};

}  // namespace tapwatch::collector::report
