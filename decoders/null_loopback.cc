#include "decoders/null_loopback.h"

#include "decoders/ipv4.h"
#include "decoders/ipv6.h"
#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

namespace {

DecodeStatus DispatchFamily(uint32_t family, ByteReader in, DecodedPacket& pkt) noexcept {
  switch (family) {
    case 2:  // AF_INET everywhere
      pkt.ether_type = kEtherTypeIpv4;
      return DecodeIpv4(in, pkt);
    case 24:  // AF_INET6 on NetBSD/OpenBSD
    case 28:  // FreeBSD
    case 30:  // macOS / Darwin
      pkt.ether_type = kEtherTypeIpv6;
      return DecodeIpv6(in, pkt);
    default:
      pkt.ether_type = 0;
      return DecodeStatus::kUnsupported;
  }
}

}  // namespace

DecodeStatus DecodeNull(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const auto le = in.U32Le();
  if (!le) return pkt.Flag(Anomaly::kNullTruncated);
  uint32_t family = *le;
  if ((family & 0xFFFF0000u) != 0) {
    // Written by a big-endian host: swap (families are small numbers).
    family = ((family & 0xFF) << 24) | ((family & 0xFF00) << 8) | ((family >> 8) & 0xFF00) |
             (family >> 24);
  }
  return DispatchFamily(family, in, pkt);
}

DecodeStatus DecodeLoop(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const auto family = in.U32Be();
  if (!family) return pkt.Flag(Anomaly::kNullTruncated);
  return DispatchFamily(*family, in, pkt);
}

}  // namespace tapwatch::decoders
