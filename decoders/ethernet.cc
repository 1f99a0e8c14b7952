#include "decoders/ethernet.h"

#include "decoders/ipv4.h"
#include "decoders/ipv6.h"
#include "decoders/l2l4_util.h"
#include "decoders/vlan.h"

namespace tapwatch::decoders {

namespace {
constexpr size_t kEthernetHeaderLen = 14;
}  // namespace

DecodeStatus DecodeEthernet(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  if (in.remaining() < kEthernetHeaderLen) return pkt.Flag(Anomaly::kEthernetTruncated);
  in.Copy(pkt.dst_mac);
  in.Copy(pkt.src_mac);
  pkt.has_mac = true;
  const uint16_t type = *in.U16Be();
  if (type < kMinEtherType) {
    // IEEE 802.3: the field is the LLC frame length (values 1501..1535 are undefined; treat them
    // the same way). Not IP, not an anomaly.
    pkt.ether_type = 0;
    pkt.l4_payload = in.TakeUpTo(type).Rest();
    return DecodeStatus::kUnsupported;
  }
  return DecodeEtherPayload(type, in, pkt);
}

DecodeStatus DecodeEtherPayload(uint16_t ether_type, ByteReader in, DecodedPacket& pkt) noexcept {
  pkt.ether_type = ether_type;
  switch (ether_type) {
    case kEtherTypeIpv4:
      return DecodeIpv4(in, pkt);
    case kEtherTypeIpv6:
      return DecodeIpv6(in, pkt);
    case kEtherTypeVlan:
    case kEtherTypeQinQ:
    case kEtherTypeQinQOld:
      return DecodeVlan(in, pkt);
    default:
      return DecodeStatus::kUnsupported;
  }
}

}  // namespace tapwatch::decoders
