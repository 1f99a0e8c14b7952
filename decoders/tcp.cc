#include "decoders/tcp.h"

#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

namespace {
constexpr uint32_t kTcpMinHeaderLen = 20;
}  // namespace

DecodeStatus DecodeTcp(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const uint32_t segment_wire_len = pkt.l4_payload_wire_len;
  if (segment_wire_len < kTcpMinHeaderLen) return pkt.Flag(Anomaly::kTcpTruncated);
  if (in.remaining() < kTcpMinHeaderLen) return DecodeStatus::kOk;  // snaplen: L3 flow only
  const uint16_t src_port = *in.U16Be();
  const uint16_t dst_port = *in.U16Be();
  const uint32_t seq = *in.U32Be();
  const uint32_t ack = *in.U32Be();
  const uint8_t offset_byte = *in.U8();  // data offset (4 bits), reserved (3), AE/NS (1)
  const uint8_t flags = *in.U8();
  const uint16_t window = *in.U16Be();
  in.Skip(4);  // checksum (not verified), urgent pointer
  const uint32_t header_len = static_cast<uint32_t>(offset_byte >> 4) * 4;
  if (header_len < kTcpMinHeaderLen) return pkt.Flag(Anomaly::kTcpBadDataOffset);
  if (header_len > segment_wire_len) return pkt.Flag(Anomaly::kTcpOptionsTruncated);
  in.TakeUpTo(header_len - kTcpMinHeaderLen);  // options: skipped (snaplen may cut them)

  pkt.src_port = src_port;
  pkt.dst_port = dst_port;
  pkt.tcp_seq = seq;
  pkt.tcp_ack = ack;
  pkt.tcp_flags = flags;
  pkt.tcp_window = window;
  pkt.l4_payload_wire_len = segment_wire_len - header_len;
  pkt.l4_payload = in.Rest();
  pkt.has_l4 = true;
  return DecodeStatus::kOk;
}

}  // namespace tapwatch::decoders
