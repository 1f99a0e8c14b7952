#pragma once
// netfilter LOG target lines (iptables/ip6tables -j LOG, ebtables bridge, UFW, ulogd LOGEMU), the
// message part after the syslog header:
//   "INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 SRC=192.150.249.87 DST=11.11.11.84
//    LEN=40 TOS=0x00 PREC=0x00 TTL=110 ID=12973 PROTO=TCP SPT=220 DPT=6129 WINDOW=16384 RES=0x00
//    SYN URGP=0"
// Field names and order follow the kernel's nf_log_ipv4.c / nf_log_ipv6.c (dump_ipv4_packet,
// dump_ipv6_packet, nf_log_dump_tcp_header, nf_log_dump_udp_header): fragments "FRAG:n" (also
// accepted as FRAG=n), ICMP errors quote the offending packet in "[SRC=... ]", "INCOMPLETE [n
// bytes]" when the L4 header was cut, IPv6 "FRAG:bytes INCOMPLETE(=MF) ID:hex".

#include <string_view>

#include "sensor/log/record.h"

namespace tapwatch::sensor {

/// True when `msg` looks like a netfilter packet line: an "IN=" token.
bool LooksLikeNetfilter(std::string_view msg);

/// Offset of the "IN=" token in `msg` (at the start or after a space), npos if none.
size_t FindNetfilterInToken(std::string_view msg);

/// Parses one netfilter message. Returns kPacket (rec filled), kNonPacket (a netfilter line for a
/// non-IP frame such as ARP), kIncomplete (the message ends before PROTO=: possibly wrapped) or
/// kMalformed (err says which field). Never allocates; rec's views point into msg.
LineKind ParseNetfilterMessage(std::string_view msg, LogRecord& rec, LogParseError& err);
/// The same, with `in_pos` = FindNetfilterInToken(msg) already known (not npos).
LineKind ParseNetfilterMessage(std::string_view msg, size_t in_pos, LogRecord& rec,
                               LogParseError& err);

}  // namespace tapwatch::sensor
