// `floods`: SYN, UDP and ICMP floods onto a victim, capture-wide bursts of spoofed SYNs, and the
// backscatter of floods elsewhere (SYN-ACK/RST answers to connections nobody here opened).
// Needs no home network: a flood is a flood whoever is flooded.
#pragma once

#include <unordered_map>
#include <vector>

#include "collector/report/distinct_counter.h"
#include "collector/report/flat_table.h"
#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class FloodsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& row, const RowFacts& facts) override;
  JsonValue Build() override;

 private:
  template <typename Distinct>
  struct Aggregate {
    int64_t flows = 0, packets = 0, one_packet_flows = 0, answered_flows = 0;
    int64_t first_ns = INT64_MAX, last_ns = INT64_MIN;
    Distinct peers;   // sources (floods) or answered addresses (backscatter)
    Distinct peer16;  // their /16s: random spoofing spreads over the address space
    Distinct ports;   // destination ports (floods) or service ports (backscatter)
    void Add(const FlowRow& r, uint32_t peer, uint32_t port, int64_t pkts);
  };
  // kind: 0 SYN, 1 UDP, 2 ICMP echo; the key is victim << 2 | kind.
  // Per-address tables hold many aggregates: small sets; the capture-wide one counts exactly
  // to 4096.
  using PerAddress = Aggregate<SmallDistinct>;
  FlatTable<PerAddress> victims_;             // key: victim << 2 | kind
  Aggregate<DistinctCounter> all_half_open_;  // every half-open SYN, for random victims
  DistinctCounter half_open_victims_;
  FlatTable<PerAddress> backscatter_;  // by the host that answered
  bool victims_full_ = false;
};

}  // namespace tapwatch::collector::report
