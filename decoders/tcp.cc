#include "decoders/tcp.h"

#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

namespace {
constexpr uint32_t kTcpMinHeaderLen = 20;

// A first fragment may end inside the TCP header (nmap -f cuts it into 8-byte pieces): the header
// is still cut, but the ports are in its first 4 bytes, so the packet keeps its 5-tuple flow and
// its later fragments find it.
DecodeStatus CutHeader(ByteReader start, DecodedPacket& pkt, Anomaly why) noexcept {
  if (pkt.is_fragment && !pkt.is_later_fragment && pkt.l4_payload_wire_len >= 4 &&
      start.remaining() >= 4) {
    pkt.src_port = *start.U16Be();
    pkt.dst_port = *start.U16Be();
    pkt.ports_only = true;
  }
  return pkt.Flag(why);
}
}  // namespace

DecodeStatus DecodeTcp(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const ByteReader start = in;
  const uint32_t segment_wire_len = pkt.l4_payload_wire_len;
  if (segment_wire_len < kTcpMinHeaderLen) return CutHeader(start, pkt, Anomaly::kTcpTruncated);
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
  if (header_len > segment_wire_len) {
    return CutHeader(start, pkt, Anomaly::kTcpOptionsTruncated);
  }
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
