// Fuzz target: ICMP fingerprint table parser (text) and matcher. The first byte picks TTL, the
// next two the IP length; the rest is both table text and the echo data.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "decoders/icmp_fingerprint.h"

using namespace tapwatch::decoders;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t ttl = data[0];
  const uint16_t len = static_cast<uint16_t>((data[1] << 8) | data[2]);
  const std::string_view text(reinterpret_cast<const char*>(data + 3), size - 3);
  IcmpFingerprintTable table;
  std::string error;
  if (!ParseIcmpFingerprints(text, table, error)) {
    ParseIcmpFingerprints(DefaultIcmpFingerprintsTsv(), table, error);
  }
  table.Match(len, ttl, {data + 3, size - 3}, static_cast<uint32_t>(size - 3));
  return 0;
}
