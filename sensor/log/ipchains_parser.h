#pragma once
// ipchains (Linux 2.2) "Packet log" lines, the message part after the syslog header:
//   "Packet log: input REJECT eth0 PROTO=6 172.30.3.56:4425 1.11.68.22:445 L=79 S=0x00 I=42665
//    F=0x4000 T=128 (#13)"
// as printed by net/ipv4/ip_fw.c: chain, target, interface, IP protocol number, source and
// destination address:port (for ICMP the "ports" are the ICMP type and code), L= total length,
// S= TOS, I= IP id, F= the 16-bit fragment field (0x4000 = DF, 0x2000 = MF, low 13 bits offset),
// T= TTL, an optional " SYN" for a TCP SYN without ACK, and the rule number (#n).
//
// ipchains logs no other TCP flags. Assumption (documented in docs of the log source): a TCP line
// with SYN is a bare SYN (flags 0x02); a TCP line without it belongs to an established
// connection and gets ACK, plus PSH when the packet carries payload (L > 40).

#include <string_view>

#include "sensor/log/record.h"

namespace tapwatch::sensor {

/// True when `msg` starts with "Packet log: ".
bool LooksLikeIpchains(std::string_view msg);

/// Parses one ipchains message. kIncomplete when the message stops before the T= field (lines
/// quoted wrapped after PROTO=6), kMalformed when a present field is bad.
LineKind ParseIpchainsMessage(std::string_view msg, LogRecord& rec, LogParseError& err);

}  // namespace tapwatch::sensor
