#pragma once
// NetBIOS session service (RFC 1002 section 4.3, TCP 139) and direct-hosted SMB (MS-SMB2 2.1,
// TCP 445: the same 4-byte header with message type 0 and a 24-bit length) as a per-direction
// stream walker WITHOUT reassembly: one call per TCP segment. Several messages in one segment are
// all decoded; a message longer than its segment is decoded from its first segment when its SMB
// header is there, and the rest of it is skipped in the following segments (tracked by TCP
// sequence number, so retransmissions are not counted twice). A lost segment or a message whose
// header is split over two segments loses that message; the walker resynchronises on the next
// segment that starts with a valid header.

#include <cstdint>
#include <span>

#include "decoders/app_detail.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

inline constexpr uint8_t kNbssSessionMessage = 0x00;
inline constexpr uint8_t kNbssSessionRequest = 0x81;
inline constexpr uint8_t kNbssPositiveResponse = 0x82;
inline constexpr uint8_t kNbssNegativeResponse = 0x83;
inline constexpr uint8_t kNbssRetargetResponse = 0x84;
inline constexpr uint8_t kNbssKeepalive = 0x85;

/// Decodes one TCP segment of an NBSS/SMB stream in one direction. `payload` is the captured
/// payload, `wire_len` its length on the wire (>= payload.size()), `seq` the TCP sequence number.
/// Updates `st` (this direction) and `d`. Anomalies: kNbssTruncated, kNbssBadType and those of the
/// SMB decoders.
DecodeStatus DecodeNbssSegment(std::span<const uint8_t> payload, uint32_t wire_len, uint32_t seq,
                               SmbStreamState& st, SmbDetail& d, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
