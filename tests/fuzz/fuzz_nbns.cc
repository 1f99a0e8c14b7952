// Fuzz target: NBNS message decoder (UDP 137 payload).
#include <cstddef>
#include <cstdint>

#include "decoders/app_detail.h"
#include "decoders/nbns.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tapwatch::decoders::NbnsDetail d;
  tapwatch::decoders::DecodedPacket pkt;
  tapwatch::decoders::DecodeNbns({data, size}, d, pkt);
  return 0;
}
