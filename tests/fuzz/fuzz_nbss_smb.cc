// Fuzz target: the NBSS/SMB stream walker over a sequence of segments. Input: repeated
// [len_hi len_lo flags] + bytes; flags bit 0 picks the direction, bit 1 a sequence gap.
#include <cstddef>
#include <cstdint>
#include <span>

#include "decoders/app_protocols.h"
#include "decoders/nbss.h"

using namespace tapwatch::decoders;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static AppDetailPool pool(1);
  const uint32_t slot = pool.Acquire<SmbDetail>();
  SmbDetail* d = pool.Get<SmbDetail>(slot);
  std::span<const uint8_t> in(data, size);
  uint32_t seq[2] = {1000, 5000};
  while (in.size() >= 3 && d != nullptr) {
    const size_t len = std::min<size_t>((size_t{in[0]} << 8) | in[1], in.size() - 3);
    const uint8_t flags = in[2];
    const auto seg = in.subspan(3, len);
    const int dir = flags & 1;
    if (flags & 2) seq[dir] += 7;  // a gap
    // The wire length may exceed the captured bytes (snaplen).
    const uint32_t wire = static_cast<uint32_t>(len) + ((flags & 4) ? 100u : 0u);
    DecodedPacket pkt;
    DecodeNbssSegment(seg, wire, seq[dir], d->stream[dir], *d, pkt);
    seq[dir] += wire;
    in = in.subspan(3 + len);
  }
  pool.Release(slot);
  return 0;
}
