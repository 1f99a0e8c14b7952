#pragma once
// SCTP common header (RFC 9260 section 3.1): ports, so SCTP flows are keyed and reported by port
// like TCP and UDP (and their Community ID hashes the ports, as the spec asks).

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes the 12-byte common header. `in` is the IP payload; pkt.l4_payload_wire_len holds the
/// IP payload's wire length on entry and the chunks' length on success. Sets src_port, dst_port,
/// has_l4, l4_payload (the chunks, clipped by snaplen); chunks are not decoded.
/// Anomaly: kSctpTruncated (IP payload shorter than 12 bytes). A header cut only by snaplen is
/// kOk with has_l4 = false.
DecodeStatus DecodeSctp(ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
