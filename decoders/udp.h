#pragma once
// UDP (RFC 768).

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes a UDP header. `in` is the IP payload; pkt.l4_payload_wire_len holds the IP payload's
/// wire length on entry and the UDP payload's (UDP length - 8) on success. Sets src_port,
/// dst_port, has_l4, l4_payload (bounded by the UDP length, clipped by snaplen).
/// Anomalies: kUdpTruncated (IP payload shorter than 8 bytes), kUdpBadLength (UDP length < 8,
/// or larger than the IP payload; not checked for IP fragments, whose UDP length covers the whole
/// datagram). A header cut only by snaplen is kOk with has_l4 = false.
DecodeStatus DecodeUdp(ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
