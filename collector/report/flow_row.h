// One stored flow record as the report's analyses see it: typed, named fields read once from a
// row of the flows table (collector/schema.sql), instead of columns read by position.
#pragma once

#include <cstdint>
#include <string_view>

namespace tapwatch::collector::report {

struct FlowRow {
  int64_t id = 0;
  bool ipv4 = false;        // src/dst below are valid only for IPv4 rows
  bool has_src_v4 = false;  // src is an IPv4 address (dst may not be)
  uint32_t src = 0, dst = 0;
  uint32_t sport = 0, dport = 0;
  int proto = 0;
  int64_t start_ns = 0, end_ns = 0;
  int64_t src_pkts = 0, dst_pkts = 0;
  int64_t src_ip_bytes = 0, dst_ip_bytes = 0;
  int64_t src_payload = 0, dst_payload = 0;
  int src_flags = 0, dst_flags = 0;  // TCP flags ORed over each direction
  int src_initial_flags = -1;        // flags of the initiator's first packet; -1 unknown
  int64_t src_ttl_min = 255;
  int icmp_type = -1;
  bool first_record = true;  // record_seq == 0: counts the flow once
  bool interim = false;
  bool bare_ack = false;
  std::string_view direction;  // how the sensor chose the initiator: syn, guess, ...
  std::string_view src_mac, dst_mac;
  // Summaries as stored (JSON text), empty when NULL.
  std::string_view payload_labels_json, smb_json, netbios_json, icmp_json;
  bool has_icmp_json = false;
  std::string_view in_iface, out_iface;  // firewall-log records only (home inference)

  bool Tcp() const { return proto == 6; }
  bool Udp() const { return proto == 17; }
  /// The responder answered: a SYN-ACK or payload for TCP, any packet otherwise.
  bool Answered() const {
    if (dst_pkts == 0) return false;
    return proto != 6 || (dst_flags & 0x12) == 0x12 || dst_payload > 0;
  }
  /// The responder refused: TCP RST without SYN-ACK or payload.
  bool Refused() const { return proto == 6 && dst_pkts > 0 && (dst_flags & 0x04) && !Answered(); }
  /// Both sides sent payload: a conversation, not a probe.
  bool Conversation() const { return src_payload > 0 && dst_payload > 0; }
  /// A TCP attempt that never completed: the initiator opened with SYN and never acknowledged.
  bool HalfOpen() const {
    return proto == 6 && (src_flags & 0x02) && !(src_flags & 0x10) && src_payload == 0;
  }
};

}  // namespace tapwatch::collector::report
