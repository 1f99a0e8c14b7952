#pragma once
// Helpers shared by the decoder tests: frame assembly and one-call decoding with capture metadata.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

#include "decoders/decode_frame.h"
#include "decoders/packet.h"

namespace tapwatch::decoders::testing {

using Bytes = std::vector<uint8_t>;

/// Concatenates byte fixtures (link header + IP header + transport header + payload...).
inline Bytes Cat(std::initializer_list<std::span<const uint8_t>> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Result {
  DecodeStatus status;
  DecodedPacket pkt;
  std::shared_ptr<const Bytes> captured;  // keeps pkt.l4_payload valid

  /// The captured L4 payload as a vector (empty when none).
  Bytes payload() const { return Bytes(pkt.l4_payload.begin(), pkt.l4_payload.end()); }
};

/// Decodes the first `cap_len` bytes of `frame` as a capture whose wire length is `wire_len`
/// (default: the whole frame, i.e. a snaplen cut when cap_len < frame.size()).
inline Result DecodeAs(LinkType link, std::span<const uint8_t> frame, size_t cap_len = SIZE_MAX,
                       size_t wire_len = SIZE_MAX) {
  if (cap_len > frame.size()) cap_len = frame.size();
  if (wire_len == SIZE_MAX) wire_len = frame.size();
  // Exact-size heap copy so AddressSanitizer catches any read past the captured bytes.
  auto captured =
      std::make_shared<const Bytes>(frame.begin(), frame.begin() + static_cast<long>(cap_len));
  Result r{DecodeStatus::kOk, DecodedPacket{}, captured};
  r.pkt.wire_len = static_cast<uint32_t>(wire_len);
  r.pkt.cap_len = static_cast<uint32_t>(cap_len);
  r.status = DecodeFrame(link, *captured, r.pkt);
  return r;
}

/// A frame whose wire length is exactly what was captured (a genuinely short packet).
inline Result DecodeShort(LinkType link, std::span<const uint8_t> frame, size_t n) {
  return DecodeAs(link, frame, n, n);
}

inline IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return IpAddress::FromV4((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
}

inline IpAddress V6(std::initializer_list<uint8_t> bytes) {
  IpAddress a;
  a.family = 6;
  size_t i = 0;
  for (uint8_t b : bytes) a.bytes[i++] = b;
  return a;
}

/// True for anomalies that mean "a link or IP header is not all there" (the only ones a snaplen
/// cut may produce).
inline bool IsHeaderMissingAnomaly(Anomaly a) {
  switch (a) {
    case Anomaly::kEthernetTruncated:
    case Anomaly::kVlanTruncated:
    case Anomaly::kSllTruncated:
    case Anomaly::kNullTruncated:
    case Anomaly::kIpv4Truncated:
    case Anomaly::kIpv6Truncated:
      return true;
    default:
      return false;
  }
}

}  // namespace tapwatch::decoders::testing
