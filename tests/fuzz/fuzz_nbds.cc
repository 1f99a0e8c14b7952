// Fuzz target: NetBIOS datagram decoder (UDP 138 payload), browser announcements included.
#include <cstddef>
#include <cstdint>

#include "decoders/app_detail.h"
#include "decoders/nbds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tapwatch::decoders::NbdsDetail d;
  tapwatch::decoders::DecodedPacket pkt;
  tapwatch::decoders::DecodeNbds({data, size}, d, pkt);
  return 0;
}
