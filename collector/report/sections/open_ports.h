// `open_ports`: the ports each home host answered on.
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

class OpenPortsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct OpenPortAgg {
    int64_t flows = 0;
    int64_t first_ns = 0;
    uint32_t id = 0;      // index for the (id, client) pairs counted after the pass
    int64_t clients = 0;  // distinct clients, filled after the pass
  };
  // One more flow to server:port from client.
  void Count(uint32_t server, int proto, uint32_t port, uint32_t client, const FlowRow& r,
             const RowFacts& f);
  std::unordered_map<std::tuple<uint32_t, int, uint32_t>, OpenPortAgg, TupleHash> open_ports;
  std::vector<uint64_t> open_port_clients;  // id << 32 | client
};

}  // namespace tapwatch::collector::report
