#pragma once
// Every packet lands in exactly one of decoded / unsupported / malformed; malformed packets are
// also counted per anomaly, and non-IP frames per EtherType. Kept twice: for the current stats
// interval and since start.

#include <array>
#include <cstdint>

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
  // Non-IP frames per EtherType, in order of first appearance: a fixed table, so a new
  // EtherType costs the per-packet path no allocation. Types past the 64th distinct one are
  // counted together in non_ip_other_ethertypes (reported as "other").
  struct EtherTypeCount {
    uint16_t type = 0;
    uint64_t count = 0;
  };
  static constexpr size_t kEtherTypeSlots = 64;
  std::array<EtherTypeCount, kEtherTypeSlots> non_ip_ethertypes{};
  size_t non_ip_ethertype_slots_used = 0;
  uint64_t non_ip_other_ethertypes = 0;

  void CountEtherType(uint16_t type) {
    for (size_t i = 0; i < non_ip_ethertype_slots_used; ++i) {
      if (non_ip_ethertypes[i].type == type) {
        ++non_ip_ethertypes[i].count;
        return;
      }
    }
    if (non_ip_ethertype_slots_used < kEtherTypeSlots) {
      non_ip_ethertypes[non_ip_ethertype_slots_used++] = {type, 1};
    } else {
      ++non_ip_other_ethertypes;
    }
  }

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
          CountEtherType(pkt.ether_type);
        }
        break;
      case decoders::DecodeStatus::kMalformed:
        ++malformed;
        break;
    }
    CountAnomalies(pkt);
  }

  /// The anomalies `pkt` names, from index `first` on (a later decoder passes the count it found
  /// when it flags more after Count).
  void CountAnomalies(const decoders::DecodedPacket& pkt, uint8_t first = 0) {
    const uint8_t named = pkt.anomaly_count < decoders::kMaxAnomaliesPerPacket
                              ? pkt.anomaly_count
                              : decoders::kMaxAnomaliesPerPacket;
    for (uint8_t i = first; i < named; ++i) ++anomalies[static_cast<size_t>(pkt.anomalies[i])];
  }
};

}  // namespace tapwatch::sensor
