#include "decoders/udp.h"

#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

namespace {
constexpr uint32_t kUdpHeaderLen = 8;
}  // namespace

DecodeStatus DecodeUdp(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const uint32_t ip_payload_wire_len = pkt.l4_payload_wire_len;
  if (ip_payload_wire_len < kUdpHeaderLen) return pkt.Flag(Anomaly::kUdpTruncated);
  if (in.remaining() < kUdpHeaderLen) return DecodeStatus::kOk;  // snaplen: L3 flow only
  const uint16_t src_port = *in.U16Be();
  const uint16_t dst_port = *in.U16Be();
  const uint16_t length = *in.U16Be();
  in.Skip(2);  // checksum: not verified
  if (length < kUdpHeaderLen) return pkt.Flag(Anomaly::kUdpBadLength);
  uint32_t payload_wire_len = ip_payload_wire_len - kUdpHeaderLen;
  if (pkt.is_fragment) {
    // The UDP length covers the reassembled datagram; this packet carries only its share.
  } else if (length > ip_payload_wire_len) {
    return pkt.Flag(Anomaly::kUdpBadLength);
  } else {
    payload_wire_len = length - kUdpHeaderLen;  // RFC 768: bytes past the UDP length are not UDP
  }
  pkt.src_port = src_port;
  pkt.dst_port = dst_port;
  pkt.l4_payload_wire_len = payload_wire_len;
  pkt.l4_payload = in.TakeUpTo(payload_wire_len).Rest();
  pkt.has_l4 = true;
  return DecodeStatus::kOk;
}

}  // namespace tapwatch::decoders
