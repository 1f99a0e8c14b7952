#include "decoders/ipv6.h"

#include "decoders/l2l4_util.h"
#include "decoders/transport.h"

namespace tapwatch::decoders {

namespace {

constexpr size_t kIpv6HeaderLen = 40;
constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAh = 51;
constexpr uint8_t kNoNextHeader = 59;
constexpr uint8_t kDestinationOptions = 60;
constexpr uint32_t kMinExtensionHeaderLen = 8;

enum class ChainEnd : uint8_t {
  kUpperLayer,     // `next` is a transport protocol (or unknown): decode it
  kNoTransport,    // ESP or no-next-header: nothing more to read
  kLaterFragment,  // fragment header with offset != 0: the rest is fragment data
  kWireTruncated,  // a header runs past the payload length
  kSnaplen,        // a header was not captured
  kTooMany,
};

struct FragmentInfo {
  bool present = false;
  bool more = false;
  uint16_t offset_bytes = 0;
};

// Walks extension headers starting with `next`, advancing `in` and shrinking `wire_left` (the
// payload's wire length still ahead). Bounded by kMaxIpv6ExtensionHeaders iterations.
ChainEnd WalkExtensionHeaders(ByteReader& in, uint32_t& wire_left, uint8_t& next,
                              FragmentInfo& frag) noexcept {
  for (int count = 0;; ++count) {
    switch (next) {
      case kHopByHop:
      case kRouting:
      case kFragment:
      case kDestinationOptions:
      case kAh:
        break;
      case kEsp:
      case kNoNextHeader:
        return ChainEnd::kNoTransport;
      default:
        return ChainEnd::kUpperLayer;
    }
    if (count >= kMaxIpv6ExtensionHeaders) return ChainEnd::kTooMany;
    if (wire_left < kMinExtensionHeaderLen) return ChainEnd::kWireTruncated;
    const auto len_field = in.PeekU8(1);
    if (!len_field) return ChainEnd::kSnaplen;
    uint32_t len = kMinExtensionHeaderLen;  // RFC 8200 4.5: the fragment header is 8 bytes
    if (next == kAh) {
      len = (uint32_t{*len_field} + 2) * 4;  // RFC 4302 2.2: in 4-byte units, minus 2
    } else if (next != kFragment) {
      len = (uint32_t{*len_field} + 1) * 8;  // RFC 8200 4.3: in 8-byte units, not counting 8
    }
    if (len > wire_left) return ChainEnd::kWireTruncated;
    if (in.remaining() < len) return ChainEnd::kSnaplen;
    const uint8_t header = next;
    next = *in.U8();
    if (header == kFragment) {
      in.Skip(1);  // reserved
      const uint16_t offset_flags = *in.U16Be();
      in.Skip(4);  // identification
      frag.present = true;
      frag.offset_bytes = offset_flags & 0xFFF8;  // 13-bit offset in 8-byte units, pre-shifted
      frag.more = (offset_flags & 1) != 0;
    } else {
      in.Skip(len - 1);
    }
    wire_left -= len;
    if (frag.present && frag.offset_bytes != 0) return ChainEnd::kLaterFragment;
  }
}

uint16_t TotalLen(uint16_t payload_len) noexcept {
  const uint32_t total = uint32_t{payload_len} + kIpv6HeaderLen;
  return total > 65535 ? uint16_t{65535} : static_cast<uint16_t>(total);
}

}  // namespace

DecodeStatus DecodeIpv6(ByteReader in, DecodedPacket& pkt) noexcept {
  if (!EnterLayer(pkt)) return pkt.Flag(Anomaly::kTooManyLayers);
  const size_t wire_avail = WireRemaining(in, pkt);
  if (in.remaining() < kIpv6HeaderLen) return pkt.Flag(Anomaly::kIpv6Truncated);
  const uint32_t first_word = *in.U32Be();  // version (4), traffic class (8), flow label (20)
  if ((first_word >> 28) != 6) return pkt.Flag(Anomaly::kIpv6BadVersion);
  const uint16_t payload_len = *in.U16Be();
  uint8_t next = *in.U8();
  const uint8_t hop_limit = *in.U8();
  pkt.ip_version = 6;
  pkt.tos = static_cast<uint8_t>(first_word >> 20);
  pkt.ttl = hop_limit;
  pkt.ip_proto = next;
  pkt.ip_total_len = TotalLen(payload_len);
  ReadIpv6Address(in, pkt.src);
  ReadIpv6Address(in, pkt.dst);
  if (kIpv6HeaderLen + payload_len > wire_avail) {
    return pkt.Flag(Anomaly::kIpv6PayloadLengthExceedsFrame);
  }
  ByteReader payload = in.TakeUpTo(payload_len);  // Ethernet padding is not payload
  uint32_t wire_left = payload_len;
  FragmentInfo frag;
  const ChainEnd end = WalkExtensionHeaders(payload, wire_left, next, frag);
  pkt.ip_proto = next;
  pkt.is_fragment = frag.present;
  pkt.is_later_fragment = frag.offset_bytes != 0;
  pkt.fragment_offset = frag.offset_bytes;
  pkt.l4_payload_wire_len = wire_left;
  switch (end) {
    case ChainEnd::kTooMany:
      return pkt.Flag(Anomaly::kIpv6TooManyExtensionHeaders);
    case ChainEnd::kWireTruncated:
      return pkt.Flag(Anomaly::kIpv6ExtensionHeaderTruncated);
    case ChainEnd::kSnaplen:
      return DecodeStatus::kOk;
    case ChainEnd::kNoTransport:
    case ChainEnd::kLaterFragment:
      pkt.l4_payload = payload.Rest();
      return DecodeStatus::kOk;
    case ChainEnd::kUpperLayer:
      break;
  }
  pkt.l4_payload = payload.Rest();
  return DecodeTransport(next, payload, pkt);
}

bool ParseQuotedIpv6(ByteReader in, size_t quote_wire_len, QuotedPacket& q) noexcept {
  if (quote_wire_len < kIpv6HeaderLen) return false;
  if (in.remaining() < kIpv6HeaderLen) return true;  // snaplen
  const uint32_t first_word = *in.U32Be();
  if ((first_word >> 28) != 6) return true;  // not IPv6: nothing to report
  const uint16_t payload_len = *in.U16Be();
  uint8_t next = *in.U8();
  in.Skip(1);
  q.present = true;
  ReadIpv6Address(in, q.src);
  ReadIpv6Address(in, q.dst);
  q.ip_total_len = TotalLen(payload_len);
  q.src_port = 0;
  q.dst_port = 0;
  // The quote is cut to fit the minimum MTU, so walk what the quote holds, not payload_len.
  const size_t quoted_wire = quote_wire_len - kIpv6HeaderLen;
  uint32_t wire_left = static_cast<uint32_t>(quoted_wire < payload_len ? quoted_wire : payload_len);
  FragmentInfo frag;
  const ChainEnd end = WalkExtensionHeaders(in, wire_left, next, frag);
  q.ip_proto = next;
  if (end == ChainEnd::kUpperLayer) QuotedPorts(next, in, q);
  return true;
}

}  // namespace tapwatch::decoders
