// `dns_lookups`: names a host looked up shortly before it connected to an IRC port, and names an
// attacked host looked up after its attack (the lookups that name a bot's controller).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "collector/report/sections/section.h"

namespace tapwatch::collector::report {

class DnsLookupsSection : public ReportSection {
 public:
  using ReportSection::ReportSection;
  void Observe(const FlowRow& r, const RowFacts& f) override;
  JsonValue Build() override;

 private:
  struct IrcConnection {
    int64_t start_ns;
    uint32_t peer;
    uint32_t port;
  };
  std::unordered_map<uint32_t, std::vector<IrcConnection>> irc_;  // by client, in start order
  size_t irc_kept_ = 0;
};

}  // namespace tapwatch::collector::report
