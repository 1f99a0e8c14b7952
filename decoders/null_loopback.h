#pragma once
// BSD loopback encapsulations: NULL (link type 0, 4-byte address family in the capturing host's
// byte order) and LOOP (108, the same in network byte order).

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes the 4-byte NULL header. The byte order is the capturing host's, which the file does
/// not record, so (like libpcap and Wireshark) a value with a non-zero upper half is byte-swapped.
/// Family 2 = IPv4; 24, 28, 30 = IPv6 (NetBSD/OpenBSD, FreeBSD, macOS); anything else is
/// kUnsupported. kNullTruncated if < 4 bytes.
DecodeStatus DecodeNull(ByteReader in, DecodedPacket& pkt) noexcept;

/// Same header in network byte order (OpenBSD LOOP).
DecodeStatus DecodeLoop(ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
