#include "decoders/linux_sll.h"

#include "decoders/ethernet.h"
#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

namespace {

constexpr size_t kSllHeaderLen = 16;
constexpr size_t kSll2HeaderLen = 20;
constexpr uint16_t kArphrdNetlink = 824;  // protocol field is a netlink family, not an EtherType

DecodeStatus DispatchSllProtocol(uint16_t arphrd, uint16_t protocol, ByteReader in,
                                 DecodedPacket& pkt) noexcept {
  if (arphrd == kArphrdNetlink || protocol < kMinEtherType) {
    pkt.ether_type = 0;
    return DecodeStatus::kUnsupported;
  }
  return DecodeEtherPayload(protocol, in, pkt);
}

}  // namespace

DecodeStatus DecodeLinuxSll(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  if (in.remaining() < kSllHeaderLen) return pkt.Flag(Anomaly::kSllTruncated);
  in.Skip(2);  // packet type (to us, broadcast, outgoing...)
  const uint16_t arphrd = *in.U16Be();
  in.Skip(2 + 8);  // link-layer address length + address (padded to 8)
  const uint16_t protocol = *in.U16Be();
  return DispatchSllProtocol(arphrd, protocol, in, pkt);
}

DecodeStatus DecodeLinuxSll2(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  if (in.remaining() < kSll2HeaderLen) return pkt.Flag(Anomaly::kSllTruncated);
  const uint16_t protocol = *in.U16Be();
  in.Skip(2 + 4);  // reserved (MBZ) + interface index
  const uint16_t arphrd = *in.U16Be();
  in.Skip(1 + 1 + 8);  // packet type, address length, address (padded to 8)
  return DispatchSllProtocol(arphrd, protocol, in, pkt);
}

}  // namespace tapwatch::decoders
