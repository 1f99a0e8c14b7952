#pragma once
// A hashed, memory-bounded, bidirectional flow table (house style "Flow table"; ipfixprobe's
// fixed rows and end reasons, SwissTable/DPDK tag bytes). The constructor reserves the slots of
// the full capacity once (zero pages the kernel supplies on first touch); Update() never
// allocates, never throws, and makes no virtual call except into ExportSink.
//
// Growth on demand: the table starts with 2^initial_capacity_log2 slots in use and doubles in
// place, inside the reservation, when it is 3/4 full, or when a new flow finds its whole group
// of four buckets (index ^ 1..3, 32 slots) full. A full bucket spills into the group first (a
// per-bucket count tells lookups when to look there), so one unlucky bucket does not double the
// table: Poisson tails of 8-slot buckets would otherwise force doublings at a third full. A doubling splits each bucket b into b and b + n (linear hashing done at
// once), so only the slots of live flows are ever touched and slot indices stay below
// active_capacity(): memory follows the peak number of concurrent flows, not the cap.
//
// Keying (FlowKey, canonical: lower endpoint first):
// - TCP/UDP/SCTP: addresses, ports, protocol, outer and inner VLAN.
// - Other IP protocols, packets whose L4 header failed to decode, and later fragments whose
//   first fragment was not seen: addresses + protocol, ports 0.
// - ICMP/ICMPv6 echo and ICMPv4 timestamp (13/14), information (15/16) and address-mask (17/18)
//   request/reply: addresses + the pair + id: the request's sender holds the id in its port
//   slot, so request and reply meet in one flow and the record shows src_port = id.
// - Other ICMP (errors included): addresses + type (sender's slot) and code (receiver's slot).
// - ICMP errors also look up (never create) the flow of the packet they quote: `quoted_flow`.
// - A first fragment (offset 0) is keyed by its ports, even one that ends inside the TCP header
//   (decoders set ports_only). Later fragments find their ports in a small fixed fragment cache
//   filled by first fragments (fragment_timeout_ns); without a hit they get ports 0.
//
// Time comes only from packet timestamps (and Advance()). Expiry is checked for a flow whenever
// one of its packets arrives, for a full bucket before eviction, and by an incremental sweep of
// `sweep_buckets_per_packet` buckets per Update(). Active-timeout periods are aligned to the
// flow's first packet (first_ns + k * active), so which records a flow produces does not depend
// on when the sweep reaches it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "decoders/packet.h"
#include "flowtable/flow.h"

namespace tapwatch::flowtable {

/// Idle timeouts per protocol/state, and the active timeout, in nanoseconds.
struct Timeouts {
  uint64_t tcp_new_ns = 30'000'000'000;           // handshake not complete / one-sided
  uint64_t tcp_established_ns = 300'000'000'000;  // both sides established
  uint64_t tcp_closed_ns = 10'000'000'000;        // FIN both ways, or RST: ends as kTcpClose
  uint64_t udp_ns = 60'000'000'000;
  uint64_t icmp_ns = 60'000'000'000;
  uint64_t other_ns = 60'000'000'000;
  uint64_t active_ns = 300'000'000'000;  // 0 disables interim records
};

struct FlowTableConfig {
  uint32_t capacity_log2 = 19;                 // slots = 2^capacity_log2, 3..30
  uint32_t initial_capacity_log2 = 12;         // slots in use at start (clamped to capacity)
  uint64_t hash_seed = 0x5eed'1234'abcd'9876;  // set from a random source at start-up
  Timeouts timeouts;
  uint32_t sweep_buckets_per_packet = 2;          // expiry work per Update()
  uint32_t fragment_cache_log2 = 10;              // fragment-cache entries = 2^n (0..20)
  uint64_t fragment_timeout_ns = 30'000'000'000;  // cache entries older than this are ignored
  /// Optional: called once with the slot array (2 MiB aligned) right after allocation, so the
  /// sensor can ask for transparent huge pages (madvise(MADV_HUGEPAGE)); the table itself stays
  /// standard-library only. Huge pages cut the TLB misses of random slot access.
  void (*advise_memory)(void* addr, size_t bytes) = nullptr;
};

/// Receives every record leaving the table. `flow` is valid only during the call; its slot may
/// be reused right after. `interim` is true for active-timeout records (why == kActive). Called
/// from the noexcept packet path: Export must not throw. It may read the table but must not call
/// Update/Advance/FlushAll.
class ExportSink {
 public:
  virtual ~ExportSink() = default;
  virtual void Export(const Flow& flow, EndReason why, bool interim) = 0;
  /// The table doubled and moved a live flow from slot `from` to slot `to` (its bytes already
  /// copied): state the sink keeps per slot must follow it.
  virtual void Moved(uint32_t from, uint32_t to) {
    (void)from;
    (void)to;
  }
};

struct UpdateResult {
  Flow* flow = nullptr;         // nullptr for non-IP packets
  bool from_src = false;        // the packet was sent by the flow's initiator
  Flow* quoted_flow = nullptr;  // ICMP errors: the flow of the quoted packet, if present
  bool created = false;         // this packet created `flow`
};

struct FlowTableStats {
  uint64_t packets = 0;                // Update() calls with an IP packet
  uint64_t non_ip = 0;                 // Update() calls ignored (ip_version == 0)
  uint64_t created = 0;                // flows created
  uint64_t exported = 0;               // final records (one per flow that left the table)
  uint64_t interim_records = 0;        // interim (active) records
  uint64_t evicted = 0;                // final records with kEvicted
  uint64_t idle = 0;                   // final records with kIdle
  uint64_t tcp_close = 0;              // final records with kTcpClose
  uint64_t shutdown = 0;               // final records with kShutdown
  uint64_t active = 0;                 // flows currently in the table
  uint64_t fragment_cache_hits = 0;    // later fragments whose ports were found
  uint64_t fragment_cache_misses = 0;  // later fragments counted against the L3 flow
  uint64_t quoted_found = 0;           // ICMP errors whose quoted flow was present
  uint64_t quoted_missing = 0;
  uint64_t doublings = 0;              // growth steps taken
  uint64_t flows_moved = 0;            // flows relocated by doublings
};

class FlowTable {
 public:
  static constexpr uint32_t kWays = 8;

  /// Allocates every slot. Throws std::invalid_argument for an out-of-range config (start-up
  /// only).
  explicit FlowTable(const FlowTableConfig& config);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  /// Counts `pkt` in its flow (creating it, evicting the bucket's least recently seen flow if
  /// the bucket is full), after exporting whatever expired by pkt.ts_ns. Non-IP: flow nullptr.
  UpdateResult Update(const decoders::DecodedPacket& pkt, ExportSink& sink) noexcept;

  /// Time passes with no packet (live capture idle): moves the clock to `now_ns` (never back)
  /// and sweeps every bucket, so everything expired by then is exported.
  void Advance(uint64_t now_ns, ExportSink& sink);

  /// End of input: exports what expired by the current time with its reason, then every
  /// remaining flow with kShutdown. The table is empty afterwards.
  void FlushAll(ExportSink& sink);

  /// Bytes reserved by the constructor (the memory cap): slots, bucket metadata, fragment cache.
  uint64_t memory_bytes() const;
  /// Bytes of the slots and metadata in use now (what growth has touched at most).
  uint64_t active_memory_bytes() const;
  /// Maximum slots (the cap); every slot index is below it.
  uint32_t capacity() const { return capacity_; }
  /// Slots in use now (a power of two <= capacity()); every live slot index is below it.
  uint32_t active_capacity() const { return (bucket_mask_ + 1) * kWays; }
  uint32_t SlotIndex(const Flow& flow) const;
  const FlowTableStats& stats() const { return stats_; }
  uint64_t now_ns() const { return now_ns_; }

  /// The bucket `pkt` maps to (tests use it to fill one bucket deliberately).
  uint32_t BucketOf(const decoders::DecodedPacket& pkt) const;
  /// Looks up the flow of `pkt` without changing anything; nullptr when absent.
  const Flow* Find(const decoders::DecodedPacket& pkt) const;

  /// Seeded hash of a canonical key (symmetric because the key is canonical).
  static uint64_t HashKey(const FlowKey& key, uint64_t seed) noexcept;

  struct KeyedPacket {
    FlowKey key;
    bool sender_is_lo = true;
  };
  /// The canonical key of `pkt` (without the fragment cache: later fragments get ports 0).
  static KeyedPacket KeyOf(const decoders::DecodedPacket& pkt) noexcept;

 private:
  struct FragEntry;

  uint32_t FindSlot(const FlowKey& key, uint64_t hash) const;
  // Doubles the slots in use (false at capacity), moving each flow whose hash has the new bit.
  bool Grow(ExportSink& sink);
  void ActivateBuckets(uint32_t first, uint32_t count);
  // Exports what is due for slot `i` at `now`; returns true if the flow left the table.
  static void PrefetchWholeFlow(const Flow& f);
  bool CheckTimers(uint32_t i, uint64_t now, ExportSink& sink);
  void ExportInterim(Flow& f, ExportSink& sink);
  void ExportFinal(uint32_t i, EndReason why, ExportSink& sink);
  void Sweep(uint32_t buckets, uint64_t now, ExportSink& sink);
  void CountPacket(Flow& f, int side, const decoders::DecodedPacket& pkt, ExportSink& sink);
  uint64_t IdleTimeout(const Flow& f, EndReason* why) const;
  KeyedPacket KeyWithFragments(const decoders::DecodedPacket& pkt) noexcept;

  FlowTableConfig config_;
  uint32_t capacity_ = 0;
  uint32_t bucket_mask_ = 0;
  uint32_t frag_mask_ = 0;
  uint32_t sweep_cursor_ = 0;
  uint64_t now_ns_ = 0;
  uint64_t next_flow_id_ = 1;
  // The reservation: zeroed by the allocator without being touched (large calloc = fresh pages).
  struct Reservation {
    void* base = nullptr;
    ~Reservation();
  };
  // Records when slot's flow may next be due, so the sweep knows it without reading the flow.
  void NoteDue(uint32_t slot, const Flow& f);
  // Per bucket, one cache line: the 8 tag bytes scanned before the wide Flow entries (0 = empty
  // slot) and, per way, the tick (2^30 ns) from which its flow may be due: a lower bound, so the
  // sweep reads only the flows that are due instead of every flow of a bucket with one due.
  // The lookup has already loaded this line when the packet's NoteDue writes it.
  struct alignas(64) BucketMeta {
    std::array<uint8_t, kWays> tags{};
    uint32_t spilled = 0;  // flows of this home bucket stored elsewhere in its group of four
    // At most the smallest due_tick: one compare lets the sweep pass a bucket with nothing due.
    uint32_t earliest_due_tick = 0;
    std::array<uint32_t, kWays> due_tick{};  // UINT32_MAX: empty slot
  };
  // Bit w set: way w holds a flow that may be due at `now_tick` (below kNeverDue).
  static uint32_t DueWays(const BucketMeta& m, uint32_t now_tick);
  uint32_t FindEmpty(uint32_t bucket) const;
  void RecountSpills();
  uint8_t& Tag(uint32_t slot) { return meta_[slot / kWays].tags[slot % kWays]; }
  uint8_t Tag(uint32_t slot) const { return meta_[slot / kWays].tags[slot % kWays]; }
  uint32_t& DueTick(uint32_t slot) { return meta_[slot / kWays].due_tick[slot % kWays]; }
  uint32_t& EarliestDueTick(uint32_t slot) { return meta_[slot / kWays].earliest_due_tick; }
  Reservation meta_block_;
  Reservation flow_block_;
  BucketMeta* meta_ = nullptr;  // capacity / kWays entries reserved, cache-line aligned
  Flow* flows_ = nullptr;       // capacity entries reserved, 2 MiB aligned
  std::unique_ptr<FragEntry[]> frags_;
  FlowTableStats stats_;
};

}  // namespace tapwatch::flowtable
