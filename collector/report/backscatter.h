// Backscatter: a host's answers (SYN-ACK, or RST without SYN, no payload) to connections the
// other side never opened. Someone spoofed the asked addresses in a flood against the answering
// host. One definition, read by the floods section (hosts flooded elsewhere) and the spoofed
// section (home addresses that were spoofed).
#pragma once

#include <cstdint>
#include <optional>

#include "collector/report/flow_row.h"

namespace tapwatch::collector::report {

struct BackscatterAnswer {
  uint32_t answerer = 0;  // the flooded host, answering spoofed SYNs
  uint32_t asked = 0;     // the address that was spoofed, and never opened the connection
  uint32_t service_port = 0;
  int64_t packets = 0;
  bool synack = false;  // else RST
};

// The flow as backscatter, or nothing. Only one side sent packets: normally the initiator
// (the sensor names whoever sent first), but a store fed by another exporter may have the
// silent side first. A SYN-driven initiator is a client, never backscatter.
inline std::optional<BackscatterAnswer> AsBackscatter(const FlowRow& r) {
  if (!r.Tcp()) return std::nullopt;
  BackscatterAnswer a;
  int flags = 0, first_flags = 0;
  if (r.src_pkts > 0 && r.dst_pkts == 0 && r.src_payload == 0 && r.direction != "syn") {
    a = {r.src, r.dst, r.sport, r.src_pkts, false};
    flags = r.src_flags;
    first_flags = r.src_initial_flags >= 0 ? r.src_initial_flags : r.src_flags;
  } else if (r.src_pkts == 0 && r.dst_pkts > 0 && r.dst_payload == 0) {
    a = {r.dst, r.src, r.dport, r.dst_pkts, false};
    flags = first_flags = r.dst_flags;
  } else {
    return std::nullopt;
  }
  a.synack = (first_flags & 0x12) == 0x12;
  const bool rst = (flags & 0x04) && !(flags & 0x02);
  if (!a.synack && !rst) return std::nullopt;
  return a;
}

}  // namespace tapwatch::collector::report
