#include "decoders/vlan.h"

#include "decoders/ethernet.h"
#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

DecodeStatus DecodeVlan(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const auto tci = in.U16Be();
  const auto type = in.U16Be();
  if (!tci || !type) return pkt.Flag(Anomaly::kVlanTruncated);
  // IEEE 802.1Q-2018 9.6: TCI = PCP(3) DEI(1) VID(12).
  const uint16_t vid = *tci & 0x0FFF;
  if (pkt.vlan_outer == 0) {
    pkt.vlan_outer = vid;
  } else if (pkt.vlan_inner == 0) {
    pkt.vlan_inner = vid;
  }
  if (*type < kMinEtherType) {
    pkt.ether_type = 0;  // 802.3 length inside the tag: LLC frame
    pkt.l4_payload = in.TakeUpTo(*type).Rest();
    return DecodeStatus::kUnsupported;
  }
  return DecodeEtherPayload(*type, in, pkt);
}

}  // namespace tapwatch::decoders
