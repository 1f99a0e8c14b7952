// Fuzz target: DNS message decoder (UDP 53 payload, or a TCP message without its length).
#include <cstddef>
#include <cstdint>

#include "decoders/dns/dns.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tapwatch::decoders::DnsDetail d;
  tapwatch::decoders::DecodeDnsMessage({data, size}, d);
  return 0;
}
