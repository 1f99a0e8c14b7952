// `mac_aliases`: MACs that carry several home addresses, and the logging host.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class MacAliasesSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct MacAgg {
    uint32_t id = 0;                 // index for the (id, address) pairs counted after the pass
    std::vector<uint32_t> home_ips;  // filled after the pass
    int64_t external_ips = 0;        // filled after the pass
    int64_t flows = 0;
    uint32_t last_home_ip = 0;
    std::vector<uint32_t> external_sample;  // distinct external addresses, up to the sample size
  };
  static constexpr size_t kMacExternalSample = 64;
  std::vector<uint64_t> mac_ips;  // mac id << 33 | home bit << 32 | address
  std::unordered_map<std::string, MacAgg, StringHash, std::equal_to<>> mac_table;
  std::map<uint32_t, std::map<uint32_t, int64_t>> syslog;  // receiver -> sender -> packets
  std::string last_mac_[2];
  MacAgg* last_mac_agg_[2] = {nullptr, nullptr};
};

}  // namespace tapwatch::collector::report
