#include "decoders/icmp.h"

#include "decoders/ipv4.h"
#include "decoders/ipv6.h"
#include "decoders/l2l4_util.h"

namespace tapwatch::decoders {

namespace {

constexpr uint32_t kIcmpHeaderLen = 8;  // type, code, checksum, 4 type-specific bytes

bool Icmpv4HasIdSeq(uint8_t type) noexcept {
  switch (type) {
    case 0:   // echo reply
    case 8:   // echo request
    case 13:  // timestamp
    case 14:  // timestamp reply
    case 15:  // information request
    case 16:  // information reply
    case 17:  // address mask request (RFC 950)
    case 18:  // address mask reply
      return true;
    default:
      return false;
  }
}

bool Icmpv4IsError(uint8_t type) noexcept {
  // Destination unreachable, source quench, redirect, time exceeded, parameter problem.
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// Shared by both versions: reads the 8-byte header and fills the outer ICMP fields. Returns false
// when the header was cut by snaplen (not an anomaly: the packet keeps its L3 flow).
bool ReadIcmpHeader(ByteReader& in, bool has_id_seq, DecodedPacket& pkt) noexcept {
  if (in.remaining() < kIcmpHeaderLen) return false;
  pkt.icmp_type = *in.U8();
  pkt.icmp_code = *in.U8();
  in.Skip(2);  // checksum: not verified
  const uint16_t id = *in.U16Be();
  const uint16_t seq = *in.U16Be();
  if (has_id_seq) {
    pkt.icmp_id = id;
    pkt.icmp_seq = seq;
  }
  pkt.l4_payload_wire_len -= kIcmpHeaderLen;
  pkt.l4_payload = in.Rest();
  pkt.has_l4 = true;
  return true;
}

}  // namespace

DecodeStatus DecodeIcmp(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  if (pkt.l4_payload_wire_len < kIcmpHeaderLen) return pkt.Flag(Anomaly::kIcmpTruncated);
  const auto type = in.PeekU8();
  if (!type || !ReadIcmpHeader(in, Icmpv4HasIdSeq(*type), pkt)) return DecodeStatus::kOk;
  if (Icmpv4IsError(pkt.icmp_type) &&
      !ParseQuotedIpv4(in, pkt.l4_payload_wire_len, pkt.icmp_quoted)) {
    return pkt.Flag(Anomaly::kIcmpQuotedPacketTruncated);
  }
  return DecodeStatus::kOk;
}

DecodeStatus DecodeIcmpv6(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  // Every ICMPv6 message defined so far has at least 8 bytes (RFC 4443 2.1 + 4 body bytes).
  if (pkt.l4_payload_wire_len < kIcmpHeaderLen) return pkt.Flag(Anomaly::kIcmpv6Truncated);
  const auto type = in.PeekU8();
  if (!type || !ReadIcmpHeader(in, *type == 128 || *type == 129, pkt)) return DecodeStatus::kOk;
  // RFC 4443 2.1: types 1-4 (unreachable, packet too big, time exceeded, parameter problem).
  if (pkt.icmp_type >= 1 && pkt.icmp_type <= 4 &&
      !ParseQuotedIpv6(in, pkt.l4_payload_wire_len, pkt.icmp_quoted)) {
    return pkt.Flag(Anomaly::kIcmpQuotedPacketTruncated);
  }
  return DecodeStatus::kOk;
}

}  // namespace tapwatch::decoders
