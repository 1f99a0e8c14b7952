#pragma once
// ICMP (RFC 792) and ICMPv6 (RFC 4443).

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes an ICMPv4 header. `in` is the IP payload; pkt.l4_payload_wire_len holds the IP
/// payload's wire length on entry and the ICMP body's (minus the 8-byte header) on success.
/// Sets icmp_type, icmp_code, has_l4; icmp_id/icmp_seq for echo, timestamp, information and
/// address-mask messages (types 0, 8, 13-18); for errors (3, 4, 5, 11, 12) icmp_quoted from the
/// quoted IPv4 header and first 8 bytes. src_port/dst_port stay 0 (the flow table keys ICMP).
/// Anomalies: kIcmpTruncated (< 8 bytes on the wire); kIcmpQuotedPacketTruncated (the quote is
/// shorter than its IP header; the outer ICMP fields stay set and has_l4 stays true).
DecodeStatus DecodeIcmp(ByteReader in, DecodedPacket& pkt) noexcept;

/// Same for ICMPv6: echo (128, 129) id/seq, errors (1-4) quote an IPv6 packet.
/// Anomalies: kIcmpv6Truncated, kIcmpQuotedPacketTruncated.
DecodeStatus DecodeIcmpv6(ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
