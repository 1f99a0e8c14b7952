#pragma once
// Every packet lands in exactly one of decoded / unsupported / malformed; malformed packets are
// also counted per anomaly, and non-IP frames per EtherType. Kept twice: for the current stats
// interval and since start.

#include <array>
#include <cstdint>
#include <map>

#include "decoders/anomaly.h"
#include "decoders/packet.h"

namespace tapwatch::sensor {

struct PacketCounters {
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;
  uint64_t decoded = 0;
  uint64_t unsupported = 0;
  uint64_t malformed = 0;
  uint64_t non_ip = 0;
  std::array<uint64_t, static_cast<size_t>(decoders::Anomaly::kCount)> anomalies{};
  // Keyed by EtherType; a handful of entries at most, touched only for non-IP frames.
  std::map<uint16_t, uint64_t> non_ip_ethertypes;

  void Count(decoders::DecodeStatus status, const decoders::DecodedPacket& pkt) {
    ++packets;
    wire_bytes += pkt.wire_len;
    switch (status) {
      case decoders::DecodeStatus::kOk:
        ++decoded;
        break;
      case decoders::DecodeStatus::kUnsupported:
        ++unsupported;
        if (!pkt.is_ip()) {
          ++non_ip;
          if (non_ip_ethertypes.size() < 64 || non_ip_ethertypes.count(pkt.ether_type)) {
            ++non_ip_ethertypes[pkt.ether_type];
          }
        }
        break;
      case decoders::DecodeStatus::kMalformed:
        ++malformed;
        break;
    }
    const uint8_t n = pkt.anomaly_count < decoders::kMaxAnomaliesPerPacket
                          ? pkt.anomaly_count
                          : decoders::kMaxAnomaliesPerPacket;
    for (uint8_t i = 0; i < n; ++i) ++anomalies[static_cast<size_t>(pkt.anomalies[i])];
  }
};

}  // namespace tapwatch::sensor
