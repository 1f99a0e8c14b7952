// `bare_ack`: payload without a handshake (bare ACK), by source /16, with dark targets.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"
#include "collector/report/statement.h"

namespace tapwatch::collector::report {

class BareAckSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct BareAckAgg {
    int64_t flows = 0, packets = 0, payload_bytes = 0;
    std::set<uint32_t> sources, targets;
    std::map<std::string, int64_t> labels;
    int64_t cmd_exe = 0, ida = 0;
  };
  // A host is dark when it never sent a packet (flows_src / flows_dst indexes).
  bool Dark(uint32_t a);
  std::unique_ptr<Stmt> dark_src_, dark_dst_;
  std::map<uint32_t, BareAckAgg> bare_ack;  // by /16
  std::set<uint32_t> bare_ack_sources;
  int64_t labels_cmd_exe_handshake = 0, labels_ida_handshake = 0;
  int64_t labels_cmd_exe_bare = 0, labels_ida_bare = 0;
};

}  // namespace tapwatch::collector::report
