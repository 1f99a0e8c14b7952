#pragma once
// Per-flow application-layer state (SMB, NetBIOS, ICMP fingerprints, first payload bytes,
// payload labels). Fixed size: it lives inside every flow-table slot, so it never allocates.
// OWNED BY the application-decoder work (issue 3); this is the interface the sensor calls.

#include <cstdint>

#include "decoders/packet.h"

namespace tapwatch::decoders {

struct AppConfig {
  uint16_t first_bytes = 64;  // payload bytes kept per direction; 0 disables
  bool enabled = true;        // false: skip all application decoding (benchmarks)
};

struct AppState {
  // Filled in by the application decoders.
};

/// Updates `state` with one packet of its flow. `from_src` is true when the packet was sent by
/// the flow's initiator side. Never allocates, never throws.
void UpdateAppState(const DecodedPacket& pkt, bool from_src, const AppConfig& config,
                    AppState& state) noexcept;

}  // namespace tapwatch::decoders
