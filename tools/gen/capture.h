// A deterministic in-memory capture: frames are built with libtins, kept with the metadata the
// ground truth needs, sorted by packet time and written with Tins::PacketWriter (Ethernet).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <tins/tins.h>

namespace tapwatch::tools {

/// What the generator knows about one frame (read back from the libtins PDUs it built).
struct FrameMeta {
  uint64_t ts_us = 0;
  uint8_t proto = 0;  // IP protocol, 0 when the frame carries no IPv4
  uint32_t src = 0;   // host byte order
  uint32_t dst = 0;
  uint16_t sport = 0;  // TCP/UDP ports; ICMP: 0
  uint16_t dport = 0;
  uint16_t ip_len = 0;  // IPv4 total length
  uint8_t tcp_flags = 0;
  int icmp_type = -1;
  uint32_t payload_bytes = 0;  // TCP/UDP payload, or ICMP data after the 8-byte header
  std::string label;           // planted-phenomenon tag ("welchia", "windows_tracert", ...)
};

struct Frame {
  FrameMeta meta;
  std::vector<uint8_t> bytes;
};

/// Packet counts the truth JSON carries under "totals" (checked against tshark by the tests).
struct Totals {
  uint64_t packets = 0, bytes = 0, ip = 0, tcp = 0, udp = 0, icmp = 0;
  uint64_t nbns = 0, smb = 0, dns = 0, syslog = 0;
  uint64_t flows_5tuple = 0;
};

class Capture {
 public:
  /// Serializes `pdu` (an EthernetII stack) at packet time `ts_us`; `label` tags the frame.
  void Add(uint64_t ts_us, Tins::PDU& pdu, const std::string& label = "");
  /// Frames sorted by time (stable: equal timestamps keep insertion order).
  const std::vector<Frame>& Sorted();
  /// Writes the sorted frames as a pcap (LINKTYPE_ETHERNET, microsecond timestamps).
  void Write(const std::string& path);
  /// Totals over all frames; flows are unordered (proto, addr:port, addr:port), ICMP ports 0.
  Totals ComputeTotals();
  size_t size() const { return frames_.size(); }

 private:
  std::vector<Frame> frames_;
  bool sorted_ = true;
};

/// Appends `"totals": {...}` members (no braces) to a JSON object under construction.
std::string TotalsJson(const Totals& t, const std::string& indent);

std::string Ip4(uint32_t host_order);
uint32_t Ip4(const std::string& dotted);

}  // namespace tapwatch::tools
