#pragma once
// Linux "cooked" capture headers: SLL v1 (link type 113, 16 bytes) and SLL2 (276, 20 bytes).
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and LINKTYPE_LINUX_SLL2.html

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes a 16-byte SLL v1 header and what follows. The protocol field is an EtherType, or a
/// small value (1 = 802.3, 4 = 802.2 LLC, ...) for non-Ethernet-II frames: kUnsupported with
/// ether_type 0. kSllTruncated if < 16 bytes. has_mac stays false (only one address is given).
DecodeStatus DecodeLinuxSll(ByteReader in, DecodedPacket& pkt) noexcept;

/// Same for the 20-byte SLL2 header (protocol first, then interface index).
DecodeStatus DecodeLinuxSll2(ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
