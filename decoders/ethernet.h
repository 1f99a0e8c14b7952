#pragma once
// Ethernet II / IEEE 802.3 (link type 1) and the EtherType dispatch shared by VLAN and SLL.

#include <cstdint>

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes a 14-byte Ethernet header from `in` (the whole captured frame) and what follows.
/// Sets has_mac/src_mac/dst_mac. An 802.3 length field (<= 1500) means an LLC frame (NetBEUI,
/// IPX, STP...): kUnsupported with ether_type 0 and l4_payload = the LLC bytes (clipped to the
/// 802.3 length), so application code can still look at them. kEthernetTruncated if < 14 bytes.
DecodeStatus DecodeEthernet(ByteReader in, DecodedPacket& pkt) noexcept;

/// Dispatches on `ether_type` (sets pkt.ether_type): IPv4, IPv6, VLAN tags; anything else is
/// kUnsupported (counted by the sensor, not an anomaly). `in` starts at the EtherType's payload.
DecodeStatus DecodeEtherPayload(uint16_t ether_type, ByteReader in, DecodedPacket& pkt) noexcept;

}  // namespace tapwatch::decoders
