#pragma once
// IPv4 (RFC 791).

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes an IPv4 header from `in` (which must run to the end of the captured frame, see
/// WireRemaining) and its transport header. Sets ip_version, src, dst, ip_proto, ip_total_len,
/// ttl, tos, ip_id, dont_fragment, is_fragment, is_later_fragment, fragment_offset (bytes), and
/// l4_payload_wire_len/l4_payload to the IP payload before the transport decoder refines them.
/// A later fragment, or a protocol other than TCP/UDP/ICMP, is kOk with has_l4 = false.
/// Anomalies: kIpv4Truncated (< 20 captured bytes), kIpv4BadVersion, kIpv4BadHeaderLength
/// (IHL < 5), kIpv4TotalLengthTooSmall (< IHL*4), kIpv4TotalLengthExceedsFrame (more than the
/// frame's wire length; more than the captured bytes is snaplen, not an anomaly),
/// kIpv4BadOptions, kIpv4FragmentOverflow (offset + payload > 65535). Header fields stay set
/// when only the length checks or the transport layer fail.
DecodeStatus DecodeIpv4(ByteReader in, DecodedPacket& pkt) noexcept;

/// Parses the IPv4 header quoted by an ICMP error (RFC 792: IP header + first 8 data bytes)
/// into `q`, without transport dispatch or depth counting. `quote_wire_len` is the quote's length
/// on the wire. Returns false only when the wire quote is too short for the IP header it starts
/// with (the caller flags kIcmpQuotedPacketTruncated); a quote cut by snaplen or not starting with
/// an IPv4 header leaves q.present false and returns true.
bool ParseQuotedIpv4(ByteReader in, size_t quote_wire_len, QuotedPacket& q) noexcept;

}  // namespace tapwatch::decoders
