#include "decoders/transport.h"

#include "decoders/icmp.h"
#include "decoders/sctp.h"
#include "decoders/tcp.h"
#include "decoders/udp.h"

namespace tapwatch::decoders {

DecodeStatus DecodeTransport(uint8_t proto, ByteReader in, DecodedPacket& pkt) noexcept {
  switch (proto) {
    case kIpProtoTcp:
      return DecodeTcp(in, pkt);
    case kIpProtoUdp:
      return DecodeUdp(in, pkt);
    case kIpProtoIcmp:
      return DecodeIcmp(in, pkt);
    case kIpProtoIcmpv6:
      return DecodeIcmpv6(in, pkt);
    case kIpProtoSctp:
      return DecodeSctp(in, pkt);
    default:
      return DecodeStatus::kOk;  // GRE, ESP, IGMP...: counted per address pair
  }
}

void QuotedPorts(uint8_t proto, ByteReader in, QuotedPacket& q) noexcept {
  if (!IsPortProtocol(proto)) return;
  const auto src = in.U16Be();
  const auto dst = in.U16Be();
  if (!src || !dst) return;
  q.src_port = *src;
  q.dst_port = *dst;
}

}  // namespace tapwatch::decoders
