#include "decoders/sctp.h"

#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

namespace {
constexpr uint32_t kSctpCommonHeaderLen = 12;
}  // namespace

DecodeStatus DecodeSctp(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const uint32_t ip_payload_wire_len = pkt.l4_payload_wire_len;
  if (ip_payload_wire_len < kSctpCommonHeaderLen) return pkt.Flag(Anomaly::kSctpTruncated);
  if (in.remaining() < kSctpCommonHeaderLen) return DecodeStatus::kOk;  // snaplen: L3 flow only
  pkt.src_port = *in.U16Be();
  pkt.dst_port = *in.U16Be();
  in.Skip(8);  // verification tag, checksum: not verified
  pkt.l4_payload_wire_len = ip_payload_wire_len - kSctpCommonHeaderLen;
  pkt.l4_payload = in.TakeUpTo(pkt.l4_payload_wire_len).Rest();
  pkt.has_l4 = true;
  return DecodeStatus::kOk;
}

}  // namespace tapwatch::decoders
