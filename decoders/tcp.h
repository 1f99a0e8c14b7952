#pragma once
// TCP (RFC 9293).

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes a TCP header. `in` is the IP payload; pkt.l4_payload_wire_len holds the IP payload's
/// wire length on entry and the TCP payload's (segment length - data offset) on success. Sets
/// src_port, dst_port, tcp_seq, tcp_ack, tcp_flags (the 8 flag bits), tcp_window, has_l4,
/// l4_payload (clipped by snaplen). Options are skipped, not parsed (at most 40 bytes).
/// Anomalies: kTcpTruncated (segment shorter than 20 bytes on the wire), kTcpBadDataOffset
/// (< 5), kTcpOptionsTruncated (data offset beyond the segment). A header cut only by snaplen
/// is kOk with has_l4 = false. On any failure has_l4 stays false and the ports stay 0, except
/// in a first fragment that ends inside the TCP header (kTcpTruncated or kTcpOptionsTruncated):
/// its ports are there, so they are set, with ports_only.
DecodeStatus DecodeTcp(ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
