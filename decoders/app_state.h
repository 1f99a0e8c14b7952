#pragma once
// Per-flow application-layer state (SMB, NetBIOS, ICMP fingerprints, bare-ACK payloads, first
// payload bytes, payload labels). AppState lives inside every flow-table slot, so it is small and
// fixed-size (<= 48 bytes); the bulky parts live outside it, allocated once at start-up:
//   - the first payload bytes of each direction: a FirstBytesPool chunk of 2 x first_bytes, taken
//     on the flow's first kept payload byte and given back by ReleaseAppState at export; AppState
//     keeps the lengths and the chunk's index. No pool, or an empty one: no bytes kept;
//   - the application protocols' details (app_protocols.h): an AppDetailPool slot referenced by index, taken on
//     the first packet that needs it and given back by ReleaseAppState at export. When the pool is
//     empty the flow keeps only its inline counters (the pool counts it).
// Nothing here allocates, throws or logs on the per-packet path.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <vector>

#include "decoders/app_protocols.h"
#include "decoders/icmp_fingerprint.h"
#include "decoders/packet.h"
#include "decoders/payload_signature.h"

namespace tapwatch::decoders {

struct AppConfig {
  uint16_t first_bytes = 64;      // payload bytes kept per direction; 0 disables
  bool enabled = true;            // false: skip all application decoding (benchmarks)
  uint8_t signature_packets = 4;  // payload packets per direction checked against signatures
};

struct AppState {
  // Flag bits.
  static constexpr uint8_t kSeenSrc = 0x01;  // a packet from the initiator was seen
  static constexpr uint8_t kSeenDst = 0x02;
  static constexpr uint8_t kSynSrc = 0x04;  // a SYN from the initiator was seen
  static constexpr uint8_t kSynDst = 0x08;
  static constexpr uint8_t kBareAck = 0x10;       // first packet: TCP payload without SYN seen
  static constexpr uint8_t kNoDetailSlot = 0x20;  // the pool was empty when this flow asked

  uint32_t detail = kNoDetail;              // AppDetailPool slot, kNoDetail when none
  uint32_t label_mask = 0;                  // bit i: payload rule i matched (PayloadSignatureTable)
  std::array<uint16_t, 2> first_len{};      // first payload bytes kept, [0] from src, [1] from dst
  std::array<uint16_t, 2> bare_ack_pkts{};  // payload packets with no SYN seen from that side
  std::array<uint8_t, 2> scanned_pkts{};    // payload packets checked against signatures
  AppKind kind = AppKind::kNone;
  uint8_t flags = 0;
  uint32_t echo_requests = 0;  // ICMP echo requests (type 8) in this flow
  uint32_t echo_replies = 0;   // ICMP echo replies (type 0)
  uint16_t ttl1_probes = 0;    // ICMP packets with TTL <= 1 (traceroute)
  uint8_t icmp_rule = 0xFF;    // best (lowest-index) ICMP fingerprint rule, 0xFF none
  uint8_t reserved = 0;
  uint16_t errors_quoted = 0;                  // ICMP errors that quoted a packet of this flow
  std::array<uint16_t, 2> error_type_codes{};  // first two distinct type<<8|code
  std::array<uint16_t, 2> error_type_counts{};
  uint16_t error_other = 0;  // errors of further types
  uint32_t first_chunk = kNoDetail;  // FirstBytesPool chunk holding the first bytes, or none

  bool bare_ack() const { return (flags & kBareAck) != 0; }
};
static_assert(sizeof(AppState) <= 48, "AppState lives in every flow slot: keep it <= 48 bytes");

/// The first-payload-bytes store as a pool of chunks (2 x first_bytes each: [0, first_bytes) from
/// the initiator, then the responder's), one per flow that kept a payload byte. Reserved once
/// (`capacity` chunks: the sensor gives one per flow-table slot) and touched lazily; Acquire hands
/// out the most recently released chunk first, so the chunks in use stay few, dense and warm in
/// cache instead of one per flow-table slot spread over the whole reservation (a page fault, a TLB
/// miss and a cache miss per new flow). A chunk index moves with its AppState when the flow table
/// moves a flow. Acquire/Release never allocate. Not thread-safe (one pool per capture thread).
class FirstBytesPool {
 public:
  FirstBytesPool(uint32_t capacity, uint16_t first_bytes)
      : chunk_bytes_(size_t{2} * first_bytes),
        capacity_(first_bytes ? capacity : 0),
        size_(size_t{capacity_} * chunk_bytes_),
        // Chunks start on a cache line (the default 128-byte chunk is exactly two lines), from
        // one aligned block as AppDetailPool's: a large block comes from fresh, untouched pages.
        bytes_(static_cast<uint8_t*>(
            size_ ? std::aligned_alloc(kAlign, (size_ + kAlign - 1) / kAlign * kAlign)
                  : nullptr)) {
    if (size_ != 0 && bytes_ == nullptr) throw std::bad_alloc();
    free_.reserve(capacity_);  // reserved, not touched: pushes never reallocate
  }
  /// Takes a chunk (its bytes are stale: the kept lengths say what is valid); kNoDetail when the
  /// pool is empty or first_bytes is 0.
  uint32_t Acquire() noexcept {
    if (!free_.empty()) {
      const uint32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    return used_ < capacity_ ? used_++ : kNoDetail;
  }
  /// Gives chunk `i` back; kNoDetail is ignored.
  void Release(uint32_t i) noexcept {
    if (i < used_) free_.push_back(i);
  }
  /// Chunk `i`'s bytes (2 x first_bytes); empty for kNoDetail.
  std::span<uint8_t> Chunk(uint32_t i) noexcept {
    if (i >= used_) return {};
    return std::span<uint8_t>(bytes_.get() + size_t{i} * chunk_bytes_, chunk_bytes_);
  }
  uint32_t in_use() const { return used_ - static_cast<uint32_t>(free_.size()); }
  /// Bytes reserved at start (the cap).
  size_t memory_bytes() const { return size_; }

 private:
  static constexpr size_t kAlign = 64;
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  size_t chunk_bytes_;
  uint32_t capacity_;
  uint32_t used_ = 0;  // chunks [0, used_) have been handed out at least once
  size_t size_;
  std::unique_ptr<uint8_t, Free> bytes_;
  std::vector<uint32_t> free_;  // released chunks, most recent last
};

/// What UpdateAppState needs besides the flow: the capture thread's tables and pools, set once at
/// start.
struct AppScratch {
  AppDetailPool* pool = nullptr;                      // nullptr: inline counters only
  const PayloadSignatureTable* signatures = nullptr;  // nullptr: no payload labels
  const IcmpFingerprintTable* icmp_fingerprints = nullptr;
  FirstBytesPool* first_bytes_pool = nullptr;  // AppState::first_chunk's; nullptr: keep no bytes
};

/// Updates `state` with one packet of its flow. `from_src` is true when the packet was sent by
/// the flow's initiator side. A new flow must start from `AppState{}` (that also resets the kept
/// first-bytes lengths). Malformed application payloads add their anomaly to `pkt` (the packet's
/// status is not changed). Never allocates, never throws.
void UpdateAppState(DecodedPacket& pkt, bool from_src, const AppConfig& config, AppState& state,
                    AppScratch& scratch) noexcept;

/// True when all UpdateAppState would do with `pkt` is set AppState's seen / SYN flags (no
/// payload for the decoders, or none they may read: no L4 header, a later fragment): then
/// UpdateAppFlags is the whole update, with no first-bytes part to look up. ICMPv4 never: its
/// counters and fingerprints do not need a payload.
inline bool AppFlagsOnly(const DecodedPacket& pkt) noexcept {
  return pkt.ip_proto != kIpProtoIcmp &&
         (!pkt.has_l4 || pkt.is_later_fragment || pkt.l4_payload_wire_len == 0);
}

/// UpdateAppState for a packet AppFlagsOnly() accepts (same result, inline, a few instructions:
/// most packets of a flow are such, e.g. TCP ACKs).
inline void UpdateAppFlags(const DecodedPacket& pkt, bool from_src, AppState& state) noexcept {
  state.flags |= from_src ? AppState::kSeenSrc : AppState::kSeenDst;
  if (pkt.has_l4 && !pkt.is_later_fragment && pkt.ip_proto == kIpProtoTcp &&
      (pkt.tcp_flags & kTcpSyn)) {
    state.flags |= from_src ? AppState::kSynSrc : AppState::kSynDst;
  }
}

/// Attributes the ICMP error `pkt` (unreachable, time exceeded, ...) to the flow whose packet it
/// quotes (`quoted` is that flow's state).
void NoteIcmpError(const DecodedPacket& pkt, AppState& quoted) noexcept;

/// Gives the flow's detail slot back to `pool`, its first-bytes chunk back to `first_bytes` (when
/// given) and resets `state`. Call after export.
void ReleaseAppState(AppState& state, AppDetailPool* pool,
                     FirstBytesPool* first_bytes = nullptr) noexcept;

}  // namespace tapwatch::decoders
