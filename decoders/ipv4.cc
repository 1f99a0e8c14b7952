#include "decoders/ipv4.h"

#include "decoders/l2l4_util.h"
#include "decoders/transport.h"

namespace tapwatch::decoders {

namespace {

constexpr size_t kIpv4MinHeaderLen = 20;
constexpr uint16_t kFlagDf = 0x4000;
constexpr uint16_t kFlagMf = 0x2000;
constexpr uint16_t kOffsetMask = 0x1FFF;
constexpr uint32_t kMaxDatagramLen = 65535;

// RFC 791 3.1: options are EOL (0), NOP (1), or type-length-value with length >= 2 covering the
// type and length octets. The option area is at most 40 bytes, so this loop is bounded.
bool OptionsWellFormed(ByteReader opts) noexcept {
  while (!opts.empty()) {
    const uint8_t type = *opts.U8();
    if (type == 0) return true;  // end of option list; the rest is padding
    if (type == 1) continue;     // no-operation
    const auto len = opts.U8();
    if (!len || *len < 2 || !opts.Skip(*len - 2u)) return false;
  }
  return true;
}

}  // namespace

DecodeStatus DecodeIpv4(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const size_t wire_avail = WireRemaining(in, pkt);
  if (in.remaining() < kIpv4MinHeaderLen) return pkt.Flag(Anomaly::kIpv4Truncated);
  const uint8_t version_ihl = *in.U8();
  if ((version_ihl >> 4) != 4) return pkt.Flag(Anomaly::kIpv4BadVersion);
  const size_t header_len = size_t{version_ihl & 0x0Fu} * 4;
  if (header_len < kIpv4MinHeaderLen) return pkt.Flag(Anomaly::kIpv4BadHeaderLength);
  const uint8_t tos = *in.U8();
  const uint16_t total_len = *in.U16Be();
  const uint16_t id = *in.U16Be();
  const uint16_t flags_offset = *in.U16Be();
  const uint8_t ttl = *in.U8();
  const uint8_t proto = *in.U8();
  in.Skip(2);  // header checksum: not verified (NIC offload makes it unreliable in captures)
  const uint32_t src = *in.U32Be();
  const uint32_t dst = *in.U32Be();

  pkt.ip_version = 4;
  pkt.tos = tos;
  pkt.ip_total_len = total_len;
  pkt.ip_id = id;
  pkt.ttl = ttl;
  pkt.ip_proto = proto;
  pkt.src = IpAddress::FromV4(src);
  pkt.dst = IpAddress::FromV4(dst);
  pkt.dont_fragment = (flags_offset & kFlagDf) != 0;
  pkt.fragment_offset = static_cast<uint16_t>((flags_offset & kOffsetMask) * 8u);
  pkt.is_fragment = (flags_offset & kFlagMf) != 0 || pkt.fragment_offset != 0;
  pkt.is_later_fragment = pkt.fragment_offset != 0;

  if (total_len < header_len) return pkt.Flag(Anomaly::kIpv4TotalLengthTooSmall);
  if (total_len > wire_avail) return pkt.Flag(Anomaly::kIpv4TotalLengthExceedsFrame);
  const uint32_t payload_wire_len = total_len - static_cast<uint32_t>(header_len);
  if (pkt.fragment_offset + payload_wire_len > kMaxDatagramLen) {
    // RFC 791 allows 65535 bytes per datagram; more is the "ping of death" (CVE-1999-0128).
    return pkt.Flag(Anomaly::kIpv4FragmentOverflow);
  }
  // Bound everything after this by total length (Ethernet padding is ignored), clipped to what
  // was captured.
  ByteReader datagram = in.TakeUpTo(total_len - kIpv4MinHeaderLen);
  const size_t options_len = header_len - kIpv4MinHeaderLen;
  pkt.l4_payload_wire_len = payload_wire_len;
  if (datagram.remaining() < options_len) {
    // Snaplen cut inside the options (the wire had them: total_len >= header_len): the network
    // layer is known, the transport layer was not captured.
    return DecodeStatus::kOk;
  }
  if (!OptionsWellFormed(*datagram.Take(options_len))) {
    return pkt.Flag(Anomaly::kIpv4BadOptions);
  }
  pkt.l4_payload = datagram.Rest();
  if (pkt.is_later_fragment) return DecodeStatus::kOk;  // no transport header in this fragment
  return DecodeTransport(proto, datagram, pkt);
}

bool ParseQuotedIpv4(ByteReader in, size_t quote_wire_len, QuotedPacket& q) noexcept {
  if (quote_wire_len < kIpv4MinHeaderLen) return false;
  if (in.remaining() < kIpv4MinHeaderLen) return true;  // snaplen
  const uint8_t version_ihl = *in.U8();
  const size_t header_len = size_t{version_ihl & 0x0Fu} * 4;
  if ((version_ihl >> 4) != 4 || header_len < kIpv4MinHeaderLen) return true;  // not IPv4
  if (quote_wire_len < header_len) return false;
  in.Skip(1);
  const uint16_t total_len = *in.U16Be();
  in.Skip(2);
  const uint16_t flags_offset = *in.U16Be();
  in.Skip(1);
  const uint8_t proto = *in.U8();
  in.Skip(2);
  q.present = true;
  q.ip_total_len = total_len;
  q.ip_proto = proto;
  q.src = IpAddress::FromV4(*in.U32Be());
  q.dst = IpAddress::FromV4(*in.U32Be());
  q.src_port = 0;
  q.dst_port = 0;
  if (!in.Skip(header_len - kIpv4MinHeaderLen)) return true;  // options cut by snaplen
  if ((flags_offset & kOffsetMask) != 0) return true;         // quoted later fragment: no ports
  QuotedPorts(proto, in, q);
  return true;
}

}  // namespace tapwatch::decoders
