// Fuzz target for DecodeFrame. The first input byte selects the link type (and, through its high
// bit, whether the capture claims a longer wire length, i.e. a snaplen cut); the rest is the frame.
// Besides crashes, it traps on broken invariants: kMalformed <=> an anomaly was flagged; spans
// stay inside the frame; depth never exceeds kMaxLayers.
#include <cstddef>
#include <cstdint>
#include <span>

#include "decoders/decode_frame.h"
#include "decoders/packet.h"

namespace {

using tapwatch::decoders::DecodedPacket;
using tapwatch::decoders::DecodeStatus;
using tapwatch::decoders::LinkType;

constexpr LinkType kLinks[] = {
    LinkType::kEthernet,
    LinkType::kNull,
    LinkType::kLoop,
    LinkType::kRaw,
    LinkType::kIpv4,
    LinkType::kIpv6,
    LinkType::kLinuxSll,
    LinkType::kLinuxSll2,
    static_cast<LinkType>(147),  // unknown link type
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const LinkType link = kLinks[(data[0] & 0x7f) % (sizeof(kLinks) / sizeof(kLinks[0]))];
  const std::span<const uint8_t> frame(data + 1, size - 1);
  DecodedPacket pkt;
  pkt.cap_len = static_cast<uint32_t>(frame.size());
  pkt.wire_len = pkt.cap_len + ((data[0] & 0x80) ? 1500 : 0);
  const DecodeStatus status = DecodeFrame(link, frame, pkt);

  if ((status == DecodeStatus::kMalformed) != (pkt.anomaly_count > 0)) __builtin_trap();
  if (pkt.depth > tapwatch::decoders::kMaxLayers) __builtin_trap();
  if (!pkt.l4_payload.empty() &&
      (pkt.l4_payload.data() < frame.data() ||
       pkt.l4_payload.data() + pkt.l4_payload.size() > frame.data() + frame.size())) {
    __builtin_trap();
  }
  if (pkt.has_l4 && !pkt.is_ip()) __builtin_trap();
  if (pkt.has_l4 && pkt.is_later_fragment) __builtin_trap();
  // Touch every payload byte so ASan checks the span.
  volatile uint8_t sink = 0;
  for (uint8_t b : pkt.l4_payload) sink = sink ^ b;
  (void)sink;
  return 0;
}
