#pragma once
// LogRecord: everything one firewall log line records about one packet, before it is turned into
// header bytes. Filled by the per-format parsers (log_netfilter_parser, log_ipchains_parser);
// string_views point into the line and are valid only while the line is.

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tapwatch::sensor {

/// Which log dialect to parse. kAuto decides per line ("Packet log:" = ipchains, "IN=" = netfilter).
enum class LogFormat : uint8_t { kAuto, kNetfilter, kIpchains };

/// Parses "auto", "netfilter" or "ipchains"; false on anything else.
bool ParseLogFormat(std::string_view text, LogFormat* out);

/// Network and transport fields of one (outer or ICMP-quoted) packet. A `has_` flag is false when
/// the line did not log the field; the frame builder then writes 0.
struct LogIpFields {
  uint8_t ip_version = 0;  // 4 or 6
  std::array<uint8_t, 16> src{};  // IPv4 in the first 4 bytes
  std::array<uint8_t, 16> dst{};
  bool has_len = false;
  uint32_t ip_len = 0;  // LEN=: IPv4 total length; IPv6 40 + payload length (as netfilter logs)
  uint8_t tos = 0;      // IPv4 TOS|PREC (the ECN bits are not logged), IPv6 TC
  uint8_t ttl = 0;      // TTL= / HOPLIMIT=
  uint16_t ip_id = 0;
  uint32_t flow_label = 0;  // IPv6 FLOWLBL=
  bool df = false;
  bool mf = false;
  bool ce = false;  // netfilter "CE": the reserved (evil) bit 0x8000
  uint16_t frag_offset_units = 0;  // fragment offset in 8-byte units (IPv4 FRAG:n, IPv6 FRAG:bytes/8)
  bool ipv6_frag_header = false;
  uint32_t ipv6_frag_id = 0;

  bool has_proto = false;
  uint8_t proto = 0;
  bool incomplete = false;  // "INCOMPLETE [n bytes]": the L4 header was not in the packet

  bool has_ports = false;  // SPT= and DPT=
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  bool has_seq = false;  // TCP SEQ=/ACK= (--log-tcp-sequence)
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  bool has_window = false;
  uint16_t tcp_window = 0;
  uint8_t tcp_flags = 0;     // wire bits (decoders/packet.h kTcp*)
  uint8_t tcp_reserved = 0;  // RES=: netfilter prints (flag word & 0x0F000000) >> 22
  bool has_urgp = false;
  uint16_t tcp_urgp = 0;
  bool has_udp_len = false;
  uint16_t udp_len = 0;

  bool has_icmp = false;  // TYPE= and CODE=
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  bool has_icmp_echo = false;  // ID= and SEQ= after PROTO=ICMP
  uint16_t icmp_id = 0;
  uint16_t icmp_seq = 0;
  uint32_t icmp_rest = 0;  // second ICMP word: GATEWAY=, PARAMETER=/POINTER=, MTU=

  bool is_later_fragment() const { return frag_offset_units != 0; }
};

/// One parsed packet line.
struct LogRecord {
  LogFormat format = LogFormat::kNetfilter;
  std::string_view label;     // log prefix without its trailing ": " ("INBOUND TCP", "[UFW BLOCK]")
  std::string_view in_iface;  // IN= (ipchains: the interface of the input/forward chain)
  std::string_view out_iface;
  std::string_view phys_in;  // PHYSIN= / PHYSOUT= (bridge), empty when not logged
  std::string_view phys_out;
  bool has_mac = false;  // MAC= with a 14-byte Ethernet header, or MACSRC=/MACDST=
  std::array<uint8_t, 6> dst_mac{};
  std::array<uint8_t, 6> src_mac{};
  LogIpFields ip;
  bool has_inner = false;  // ICMP error: the quoted packet inside [ ]
  LogIpFields inner;

  // In place: `*this = LogRecord{}` zeroed a temporary and copied it (two rep-string runs).
  void Clear() { std::construct_at(this); }
};

/// Why a line did not parse: `field` is the key that failed ("SRC", "timestamp"), `why` a short
/// static reason. Both point to string literals (no allocation).
struct LogParseError {
  const char* field = "";
  const char* why = "";
};

/// Outcome of parsing one line.
enum class LineKind : uint8_t {
  kPacket,      // the record is filled
  kNonPacket,   // syslog line that is not a packet log (bridge state, "Kernel logging stopped")
  kMalformed,   // looks like a packet line (or is not syslog at all) but a field failed
  kIncomplete,  // a packet line that ends before its required fields: maybe wrapped onto the next
};

}  // namespace tapwatch::sensor
