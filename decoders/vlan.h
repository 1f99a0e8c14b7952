#pragma once
// IEEE 802.1Q / 802.1ad VLAN tags (EtherTypes 0x8100, 0x88a8, 0x9100).

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes one 4-byte tag (TCI + inner EtherType) from `in` and what follows. The first tag's VID
/// goes to vlan_outer, the second to vlan_inner; further tags only count towards pkt.depth.
/// kVlanTruncated if < 4 bytes; kTooManyLayers past kMaxLayers.
DecodeStatus DecodeVlan(ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
