#pragma once
// Turns a LogRecord into the header bytes of an Ethernet frame: Ethernet (MAC= or zero MACs),
// IPv4 (with a correct header checksum) or IPv6 (+ fragment header), and the TCP/UDP/ICMP/ICMPv6
// header; for ICMP errors also the quoted packet (its IP header and first 8 bytes, RFC 792 /
// RFC 4443). No payload: the frame is "header-only", its wire length 14 + LEN.
//
// Fields a line does not log are written as 0: TCP checksum, SEQ/ACK without --log-tcp-sequence,
// UDP/ICMP checksums (the payload is unknown, so no checksum could be right; UDP 0 means "none"),
// the IPv4 ECN bits, IP options and TCP options (data offset 5, IHL 5).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "sensor/log/record.h"

namespace tapwatch::sensor {

inline constexpr size_t kLogFrameCapacity = 160;

/// Writes the headers into `out`; returns the number of bytes built (the caller clips it to the
/// wire length). Never fails: the parsers guarantee an IP version and LEN >= the IP header.
size_t BuildLogFrame(const LogRecord& rec, std::span<uint8_t, kLogFrameCapacity> out);

/// RFC 1071 Internet checksum of `bytes` (as stored in the header, i.e. already complemented).
uint16_t InternetChecksum(std::span<const uint8_t> bytes);

}  // namespace tapwatch::sensor
