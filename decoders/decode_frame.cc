#include "decoders/decode_frame.h"

#include "decoders/byte_reader.h"
#include "decoders/ethernet.h"
#include "decoders/ipv4.h"
#include "decoders/ipv6.h"
#include "decoders/l2l4_util.h"
#include "decoders/linux_sll.h"
#include "decoders/null_loopback.h"

namespace tapwatch::decoders {

DecodeStatus DecodeRawIp(std::span<const uint8_t> frame, DecodedPacket& pkt,
                         uint8_t expected_version) noexcept {
  ByteReader in(frame);
  const auto first = in.PeekU8();
  if (!first) {
    return pkt.Flag(expected_version == 6 ? Anomaly::kIpv6Truncated : Anomaly::kIpv4Truncated);
  }
  switch (*first >> 4) {
    case 4:
      pkt.ether_type = kEtherTypeIpv4;
      return DecodeIpv4(in, pkt);
    case 6:
      pkt.ether_type = kEtherTypeIpv6;
      return DecodeIpv6(in, pkt);
    default:
      return pkt.Flag(expected_version == 6 ? Anomaly::kIpv6BadVersion : Anomaly::kIpv4BadVersion);
  }
}

DecodeStatus DecodeFrame(LinkType link, std::span<const uint8_t> frame,
                         DecodedPacket& pkt) noexcept {
  // Start from a clean record: the caller may reuse one DecodedPacket for every frame.
  const uint64_t ts_ns = pkt.ts_ns;
  const uint16_t source_label = pkt.source_label;
  uint32_t wire_len = pkt.wire_len;
  const uint32_t cap_len =
      frame.size() > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(frame.size());
  if (wire_len < cap_len) wire_len = cap_len;
  pkt = DecodedPacket{};
  pkt.ts_ns = ts_ns;
  pkt.wire_len = wire_len;
  pkt.cap_len = cap_len;
  pkt.source_label = source_label;

  const ByteReader in(frame.first(cap_len));
  switch (link) {
    case LinkType::kEthernet:
      return DecodeEthernet(in, pkt);
    case LinkType::kRaw:
    case LinkType::kIpv4:
      // 228 promises IPv4, but the version nibble is what the packet is; trust it.
      return DecodeRawIp(frame.first(cap_len), pkt, 4);
    case LinkType::kIpv6:
      return DecodeRawIp(frame.first(cap_len), pkt, 6);
    case LinkType::kLinuxSll:
      return DecodeLinuxSll(in, pkt);
    case LinkType::kLinuxSll2:
      return DecodeLinuxSll2(in, pkt);
    case LinkType::kNull:
      return DecodeNull(in, pkt);
    case LinkType::kLoop:
      return DecodeLoop(in, pkt);
  }
  return pkt.Flag(Anomaly::kUnknownLinkType);
}

bool IsSupportedLinkType(int linktype) noexcept {
  switch (linktype) {
    case static_cast<int>(LinkType::kNull):
    case static_cast<int>(LinkType::kEthernet):
    case static_cast<int>(LinkType::kRaw):
    case static_cast<int>(LinkType::kLoop):
    case static_cast<int>(LinkType::kLinuxSll):
    case static_cast<int>(LinkType::kLinuxSll2):
    case static_cast<int>(LinkType::kIpv4):
    case static_cast<int>(LinkType::kIpv6):
      return true;
    default:
      return false;
  }
}

}  // namespace tapwatch::decoders
