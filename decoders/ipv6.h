#pragma once
// IPv6 (RFC 8200) and its extension-header chain.

#include <cstddef>
#include <cstdint>

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Longest extension-header chain we walk before flagging kIpv6TooManyExtensionHeaders. RFC 8200
/// 4.1 recommends at most one of each (two destination options): 6 headers; 8 leaves slack.
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

/// Decodes an IPv6 header from `in` (which must run to the end of the captured frame), walks the
/// extension headers hop-by-hop (0), routing (43), fragment (44), destination options (60) and
/// AH (51), then the transport header. Sets ip_version, src, dst, ttl (hop limit), tos (traffic
/// class), ip_total_len (40 + payload length, capped at 65535), ip_proto (the header after the
/// extension headers), is_fragment / is_later_fragment / fragment_offset (fragment header).
/// ESP (50), no-next-header (59) and later fragments are kOk with has_l4 = false.
/// Anomalies: kIpv6Truncated (< 40 captured bytes), kIpv6BadVersion,
/// kIpv6PayloadLengthExceedsFrame, kIpv6ExtensionHeaderTruncated (a header runs past the payload
/// length), kIpv6TooManyExtensionHeaders. A chain cut by snaplen is kOk with has_l4 = false.
DecodeStatus DecodeIpv6(ByteReader in, DecodedPacket& pkt) noexcept;

/// Parses the IPv6 packet quoted by an ICMPv6 error (RFC 4443 2.4: as much of the invoking packet
/// as fits) into `q`: addresses, 40 + payload length, upper-layer protocol and ports.
/// `quote_wire_len` is the quote's length on the wire. Returns false only when the wire quote is
/// shorter than the 40-byte header; a quote cut by snaplen or not IPv6 leaves q.present false.
bool ParseQuotedIpv6(ByteReader in, size_t quote_wire_len, QuotedPacket& q) noexcept;

}  // namespace tapwatch::decoders
