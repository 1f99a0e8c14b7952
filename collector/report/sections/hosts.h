// `hosts`: the home hosts most attacked, by inbound packets.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class HostsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct HostAgg {
    std::array<Counter, kNumCategories> cat{};
  };
  // Home hosts live in a flat array when the home networks hold at most 2^20 addresses.
  void InitSlots();
  HostAgg& Slot(uint32_t a);
  uint32_t SlotAddress(size_t slot) const;
  bool slots_ready_ = false;
  std::vector<uint64_t> slot_base_;
  std::vector<HostAgg> hosts;
  std::vector<uint8_t> host_seen;
  std::unordered_map<uint32_t, HostAgg> hosts_big;  // homes larger than 2^20 addresses
};

}  // namespace tapwatch::collector::report
