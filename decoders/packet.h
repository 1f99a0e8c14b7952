#pragma once
// DecodedPacket: what the decoders learn about one frame. Fixed size, no heap: the per-packet path
// fills one of these on the stack for every frame. Spans point into the captured bytes and are
// only valid while the frame is.

#include <array>
#include <cstdint>
#include <span>

#include "decoders/anomaly.h"

namespace tapwatch::decoders {

enum class DecodeStatus : uint8_t { kOk, kUnsupported, kMalformed };

/// libpcap link types we decode (values are the LINKTYPE_ numbers from pcap-linktype(7)).
enum class LinkType : uint16_t {
  kNull = 0,        // BSD loopback: 4-byte host-order address family
  kEthernet = 1,
  kRaw = 101,       // raw IPv4/IPv6
  kLoop = 108,      // OpenBSD loopback: 4-byte network-order address family
  kLinuxSll = 113,
  kLinuxSll2 = 276,
  kIpv4 = 228,
  kIpv6 = 229,
};

/// An IPv4 or IPv6 address. IPv4 is stored in the first 4 bytes, the rest zero, so that keys of
/// the two families never collide and comparisons are plain byte compares.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t family = 0;  // 0 none, 4, 6

  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;
  uint32_t v4() const {
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
           bytes[3];
  }
  static IpAddress FromV4(uint32_t host_order) {
    IpAddress a;
    a.family = 4;
    a.bytes[0] = static_cast<uint8_t>(host_order >> 24);
    a.bytes[1] = static_cast<uint8_t>(host_order >> 16);
    a.bytes[2] = static_cast<uint8_t>(host_order >> 8);
    a.bytes[3] = static_cast<uint8_t>(host_order);
    return a;
  }
};

// TCP flag bits as on the wire (RFC 9293 plus ECE/CWR).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;
inline constexpr uint8_t kIpProtoSctp = 132;

/// Transport protocols whose header starts with 16-bit source and destination ports, which
/// flows are keyed by: TCP, UDP, SCTP.
inline constexpr bool IsPortProtocol(uint8_t proto) {
  return proto == kIpProtoTcp || proto == kIpProtoUdp || proto == kIpProtoSctp;
}

inline constexpr uint8_t kMaxLayers = 8;
inline constexpr uint8_t kMaxAnomaliesPerPacket = 4;

/// The packet that an ICMP error quotes (RFC 792: IP header + first 8 bytes of the datagram).
struct QuotedPacket {
  bool present = false;
  IpAddress src, dst;
  uint8_t ip_proto = 0;
  uint16_t src_port = 0;  // 0 when the quote is too short to hold ports
  uint16_t dst_port = 0;
  uint16_t ip_total_len = 0;
};

struct DecodedPacket {
  // Capture metadata, filled by the caller before decoding.
  uint64_t ts_ns = 0;
  uint32_t wire_len = 0;  // frame length on the wire (pcap len)
  uint32_t cap_len = 0;   // bytes captured (pcap caplen)

  // Link layer.
  bool has_mac = false;
  std::array<uint8_t, 6> src_mac{};
  std::array<uint8_t, 6> dst_mac{};
  uint16_t vlan_outer = 0;  // 0 = untagged; 802.1Q VID of the outer tag
  uint16_t vlan_inner = 0;  // QinQ inner VID
  uint16_t ether_type = 0;  // final EtherType after VLAN tags (or SLL protocol)

  // Network layer.
  uint8_t ip_version = 0;  // 0 = not IP
  IpAddress src, dst;
  uint8_t ip_proto = 0;       // for IPv6: the upper-layer header after extension headers
  uint16_t ip_total_len = 0;  // IPv4 total length; IPv6 40 + payload length (from headers)
  uint8_t ttl = 0;            // IPv4 TTL / IPv6 hop limit
  uint8_t tos = 0;
  uint16_t ip_id = 0;
  bool dont_fragment = false;
  bool is_fragment = false;        // MF set or offset != 0 (or an IPv6 fragment header)
  bool is_later_fragment = false;  // offset != 0: no L4 header in this packet
  uint16_t fragment_offset = 0;    // in bytes

  // Transport layer. has_l4 is true only when the L4 header decoded cleanly.
  bool has_l4 = false;
  // A first fragment that ends inside the TCP header: has_l4 is false, yet src_port/dst_port
  // are set (the flow table keys it by them).
  bool ports_only = false;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t tcp_flags = 0;
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  uint16_t tcp_window = 0;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;   // echo / timestamp / info identifiers
  uint16_t icmp_seq = 0;
  QuotedPacket icmp_quoted;  // ICMP errors: the packet they quote

  uint32_t l4_payload_wire_len = 0;  // payload length from the headers
  std::span<const uint8_t> l4_payload;  // the captured part of the payload (clipped by snaplen)

  // Bad input: up to kMaxAnomaliesPerPacket anomalies, the first ones kept, all counted.
  std::array<Anomaly, kMaxAnomaliesPerPacket> anomalies{};
  uint8_t anomaly_count = 0;
  uint8_t depth = 0;  // encapsulation depth, capped at kMaxLayers

  // Set by a log source (not by decoders): index of the log prefix label, 0 = none.
  uint16_t source_label = 0;

  /// Records `a` and returns kMalformed, so decoders can `return pkt.Flag(...)`.
  DecodeStatus Flag(Anomaly a) noexcept {
    if (anomaly_count < kMaxAnomaliesPerPacket) anomalies[anomaly_count] = a;
    if (anomaly_count < 255) ++anomaly_count;
    return DecodeStatus::kMalformed;
  }
  bool Has(Anomaly a) const noexcept {
    for (uint8_t i = 0; i < anomaly_count && i < kMaxAnomaliesPerPacket; ++i) {
      if (anomalies[i] == a) return true;
    }
    return false;
  }
  bool is_ip() const { return ip_version != 0; }
};

}  // namespace tapwatch::decoders
