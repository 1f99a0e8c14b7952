#pragma once
// The one place that maps an IP protocol number to a transport decoder.

#include <cstdint>

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes the transport header for IP protocol `proto`. `in` is the IP payload (bounded by the
/// IP length fields, clipped by snaplen) and pkt.l4_payload_wire_len must hold the IP payload's
/// wire length (the transport decoder replaces it with its own payload length). TCP, UDP, SCTP
/// (common header), ICMP and ICMPv6 are decoded; any other protocol is kOk with has_l4 = false (an address-pair flow).
DecodeStatus DecodeTransport(uint8_t proto, ByteReader in, DecodedPacket& pkt) noexcept;

/// Reads the source and destination ports of a quoted TCP, UDP or SCTP header (the first 4 of the 8
/// bytes RFC 792 quotes) into `q`; leaves them 0 for other protocols or when not captured.
void QuotedPorts(uint8_t proto, ByteReader in, QuotedPacket& q) noexcept;

}  // namespace tapwatch::decoders
