#pragma once
// Small helpers shared by the L2-L4 decoders. Internal to decoders/: not part of the sensor API.

#include <cstddef>
#include <cstdint>

#include "decoders/byte_reader.h"
#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Counts one more encapsulation layer. False (and pkt.depth left at kMaxLayers) when the frame
/// nests deeper than kMaxLayers; the caller then returns pkt.Flag(Anomaly::kTooManyLayers).
inline bool EnterLayer(DecodedPacket& pkt) noexcept {
  if (pkt.depth >= kMaxLayers) return false;
  ++pkt.depth;
  return true;
}

/// Bytes that were on the wire from `in`'s cursor to the end of the frame. `in` must end where the
/// captured frame ends (true for every layer above the link header: nothing bounds it before the
/// IP layer). Snaplen cuts the captured bytes, never the wire bytes (pcap len), so this is how a
/// decoder tells "the header says more bytes than the frame had" (an anomaly) from "the capture
/// stopped early" (normal). Without capture metadata (wire_len 0) the captured size is used.
inline size_t WireRemaining(const ByteReader& in, const DecodedPacket& pkt) noexcept {
  if (pkt.wire_len == 0) return in.remaining();
  const size_t cap = pkt.cap_len;
  const size_t wire = pkt.wire_len > cap ? size_t{pkt.wire_len} : cap;
  const size_t consumed = cap >= in.remaining() ? cap - in.remaining() : 0;
  return wire > consumed ? wire - consumed : 0;
}

/// Reads a 16-byte IPv6 address; false (cursor unchanged) if fewer than 16 bytes remain.
inline bool ReadIpv6Address(ByteReader& in, IpAddress& out) noexcept {
  IpAddress a;
  a.family = 6;
  if (!in.Copy(a.bytes)) return false;
  out = a;
  return true;
}

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;     // IEEE 802.1Q C-tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88A8;     // IEEE 802.1ad S-tag
inline constexpr uint16_t kEtherTypeQinQOld = 0x9100;  // pre-standard QinQ
/// EtherType values start at 0x0600; 0..1500 is an IEEE 802.3 length (an LLC frame follows) and
/// 1501..1535 is undefined: both are treated as "not Ethernet II".
inline constexpr uint16_t kMinEtherType = 0x0600;

}  // namespace tapwatch::decoders
