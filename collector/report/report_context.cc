#include "collector/report/report_context.h"

#include "collector/report/address_class.h"

namespace tapwatch::collector::report {

const char* const kCategories[kNumCategories] = {"inbound_tcp",    "inbound_udp",  "inbound_icmp",
                                                 "inbound_other",  "outbound_tcp", "outbound_udp",
                                                 "outbound_other", "broadcast",    "dns",
                                                 "internal",       "transit"};

bool ReportContext::IsBroadcastDst(uint32_t a) const {
  if (a == 0xFFFFFFFFu || IsMulticast(a)) return true;
  for (const auto& c : home) {
    if (c.prefix_len <= 30 && c.Contains(a) && (a | c.mask) == 0xFFFFFFFFu) return true;
    // Subnet-directed broadcast of a /24 inside a larger home network.
    if (c.Contains(a) && (a & 0xFF) == 0xFF) return true;
  }
  return false;
}

bool ReportContext::Allowed(int proto, uint32_t port) const {
  for (const auto& a : opt.allowed) {
    if (a.ip_proto == proto && a.port == port) return true;
  }
  return false;
}

std::string ReportContext::Service(int proto, uint32_t port) const {
  const PortInfo* p = ref.FindPort(proto, port);
  return p ? p->service : "";
}

std::string ReportContext::TimeClause() const {
  std::string w;
  if (opt.from_ns) w += " AND start_ns >= " + std::to_string(*opt.from_ns);
  if (opt.to_ns) w += " AND start_ns < " + std::to_string(*opt.to_ns);
  return w;
}

std::string ReportContext::Scope(uint32_t src, uint32_t dst) const {
  const bool s = IsHome(src), d = IsHome(dst);
  return s && d ? "internal" : s ? "outbound" : d ? "inbound" : "external";
}

}  // namespace tapwatch::collector::report
