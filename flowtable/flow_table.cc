#include "flowtable/flow_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <cstdlib>
#include <stdexcept>
#include <type_traits>

namespace tapwatch::flowtable {
namespace {

using decoders::DecodedPacket;

constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kNeverDue = std::numeric_limits<uint32_t>::max();
// Due times are kept in ticks of 2^30 ns (~1.07 s): a shift where seconds would need a
// division per packet.
constexpr int kDueTickShift = 30;
// Rounded down, and capped below kNeverDue (which marks an empty way).
uint32_t DueTickOf(uint64_t ns) {
  return static_cast<uint32_t>(std::min<uint64_t>(ns >> kDueTickShift, kNeverDue - 1));
}
// How many buckets ahead Sweep() prefetches the flows it will check, and their bucket lines.
// At the default 2 buckets a packet, 8 buckets ahead left most misses in place on the bench
// capture; 32 hides them.
constexpr uint32_t kSweepFlowPrefetchBuckets = 32;
constexpr uint32_t kSweepLinePrefetchBuckets = 64;
constexpr size_t kSlotAlignment = size_t{2} << 20;  // a transparent huge page
// Slots are raw zeroed memory, constructed on insert and copied with memcpy when the table
// doubles.
static_assert(std::is_trivially_copyable_v<tapwatch::flowtable::Flow>);
static_assert(std::is_trivially_destructible_v<tapwatch::flowtable::Flow>);

uint64_t Mix64(uint64_t h) {
  // MurmurHash3 fmix64 finaliser.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Hashes `n` bytes (n <= 64) read as little words. Not for packet bytes: only our own structs.
uint64_t HashBytes(const void* data, size_t n, uint64_t seed) {
  uint8_t buf[64] = {};
  std::memcpy(buf, data, n);
  uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
  for (size_t off = 0; off < n; off += 8) {
    uint64_t w;
    std::memcpy(&w, buf + off, 8);
    h ^= w;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  return Mix64(h ^ n);
}

// The first address at or after `p` that is a multiple of `alignment` (a power of two).
void* AlignUp(void* p, size_t alignment) {
  const auto raw = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<void*>((raw + alignment - 1) & ~(uintptr_t{alignment} - 1));
}

// The tag byte of a hash (0 marks an empty slot).
uint8_t SlotTag(uint64_t hash) {
  const auto tag = static_cast<uint8_t>(hash >> 56);
  return tag == 0 ? 1 : tag;
}

bool IsIcmp(uint8_t proto) {
  return proto == decoders::kIpProtoIcmp || proto == decoders::kIpProtoIcmpv6;
}

bool IsIcmpError(const DecodedPacket& pkt) {
  if (!pkt.has_l4) return false;
  const uint8_t t = pkt.icmp_type;
  if (pkt.ip_proto == decoders::kIpProtoIcmp) {
    // RFC 792: destination unreachable, source quench, redirect, time exceeded, parameter problem.
    return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
  }
  if (pkt.ip_proto == decoders::kIpProtoIcmpv6) return t >= 1 && t <= 4;  // RFC 4443 2.1
  return false;
}

struct L4Ports {
  uint16_t sport = 0;
  uint16_t dport = 0;
  FlowKeyKind kind = FlowKeyKind::kPorts;
};

// The ICMP queries answered by a reply that echoes their id: which pair `type` belongs to, and
// whether it is the request. kPorts for any other type.
FlowKeyKind IcmpQueryPair(uint8_t proto, uint8_t type, bool* request) {
  if (proto == decoders::kIpProtoIcmpv6) {
    *request = type == 128;
    return type == 128 || type == 129 ? FlowKeyKind::kIcmpEcho : FlowKeyKind::kPorts;
  }
  *request = type == 8 || type == 13 || type == 15 || type == 17;
  switch (type) {
    case 8:
    case 0:
      return FlowKeyKind::kIcmpEcho;
    case 13:
    case 14:
      return FlowKeyKind::kIcmpTimestamp;
    case 15:
    case 16:
      return FlowKeyKind::kIcmpInfo;
    case 17:
    case 18:
      return FlowKeyKind::kIcmpAddressMask;
    default:
      return FlowKeyKind::kPorts;
  }
}

L4Ports PortsOf(const DecodedPacket& pkt) {
  L4Ports p;
  const uint8_t proto = pkt.ip_proto;
  if (decoders::IsPortProtocol(proto)) {
    // L4 failed (or a later fragment): the L3 flow.
    if (!pkt.has_l4 && !pkt.ports_only) return p;
    p.sport = pkt.src_port;
    p.dport = pkt.dst_port;
  } else if (IsIcmp(proto) && pkt.has_l4) {
    bool request = false;
    const FlowKeyKind pair = IcmpQueryPair(proto, pkt.icmp_type, &request);
    if (pair != FlowKeyKind::kPorts) {
      // The requester's port slot holds the id, so the reply (sent the other way) matches.
      p = request ? L4Ports{pkt.icmp_id, 0, pair} : L4Ports{0, pkt.icmp_id, pair};
    } else {
      p = {pkt.icmp_type, pkt.icmp_code, FlowKeyKind::kIcmpTypeCode};
    }
  }
  return p;
}

// memcmp's order (bytes, first byte most significant) from two 8-byte loads: the canonical order
// the keys have always had, without a library call per packet.
int CompareAddresses(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b) {
  for (size_t off = 0; off < a.size(); off += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + off, 8);
    std::memcpy(&y, b.data() + off, 8);
    if constexpr (std::endian::native == std::endian::little) {
      x = __builtin_bswap64(x);
      y = __builtin_bswap64(y);
    }
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

FlowTable::KeyedPacket MakeKey(const std::array<uint8_t, 16>& src,
                               const std::array<uint8_t, 16>& dst, uint8_t version, uint8_t proto,
                               uint16_t vlan_outer, uint16_t vlan_inner, const L4Ports& p) {
  FlowTable::KeyedPacket kp;
  FlowKey& k = kp.key;
  k.vlan_outer = vlan_outer;
  k.vlan_inner = vlan_inner;
  k.ip_proto = proto;
  k.meta = static_cast<uint8_t>((version & 0x0f) | (static_cast<uint8_t>(p.kind) << 4));
  const int c = CompareAddresses(src, dst);
  kp.sender_is_lo = c < 0 || (c == 0 && p.sport <= p.dport);
  if (kp.sender_is_lo) {
    k.addr_lo = src;
    k.addr_hi = dst;
    k.port_lo = p.sport;
    k.port_hi = p.dport;
  } else {
    k.addr_lo = dst;
    k.addr_hi = src;
    k.port_lo = p.dport;
    k.port_hi = p.sport;
  }
  return kp;
}

}  // namespace

// One remembered first fragment: its ports, so later fragments find the 5-tuple flow.
struct FlowTable::FragEntry {
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  uint64_t ts_ns = 0;
  uint16_t ip_id = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  uint8_t version = 0;  // 0 = empty
  FlowKeyKind kind = FlowKeyKind::kPorts;
};

namespace {
struct FragId {
  std::array<uint8_t, 16> src;
  std::array<uint8_t, 16> dst;
  uint16_t ip_id;
  uint8_t proto;
  uint8_t version;
};
static_assert(sizeof(FragId) == 36);
}  // namespace

FlowTable::FlowTable(const FlowTableConfig& config) : config_(config) {
  if (config.capacity_log2 < 3 || config.capacity_log2 > 30) {
    throw std::invalid_argument("flow table capacity_log2 must be in 3..30");
  }
  if (config.fragment_cache_log2 > 20) {
    throw std::invalid_argument("fragment_cache_log2 must be in 0..20");
  }
  const Timeouts& t = config.timeouts;
  if (t.tcp_new_ns == 0 || t.tcp_established_ns == 0 || t.tcp_closed_ns == 0 || t.udp_ns == 0 ||
      t.icmp_ns == 0 || t.other_ns == 0) {
    throw std::invalid_argument("idle timeouts must be > 0");
  }
  capacity_ = 1u << config.capacity_log2;
  frag_mask_ = (1u << config.fragment_cache_log2) - 1;
  const uint32_t max_buckets = capacity_ / kWays;
  // calloc of a large block maps fresh zero pages without writing them: nothing is touched
  // until a bucket is activated or a flow stored.
  meta_block_.base = std::calloc(1, size_t{max_buckets} * sizeof(BucketMeta) + alignof(BucketMeta));
  const size_t bytes = size_t{capacity_} * sizeof(Flow);
  flow_block_.base = std::calloc(1, bytes + kSlotAlignment);
  if (meta_block_.base == nullptr || flow_block_.base == nullptr) throw std::bad_alloc();
  meta_ = static_cast<BucketMeta*>(AlignUp(meta_block_.base, alignof(BucketMeta)));
  flows_ = static_cast<Flow*>(AlignUp(flow_block_.base, kSlotAlignment));
  if (config.advise_memory != nullptr) config.advise_memory(flows_, bytes);
  const uint32_t initial_log2 = std::min(config.initial_capacity_log2, config.capacity_log2);
  const uint32_t initial_buckets = std::max<uint32_t>(1, (1u << initial_log2) / kWays);
  bucket_mask_ = initial_buckets - 1;
  ActivateBuckets(0, initial_buckets);
  frags_ = std::make_unique<FragEntry[]>(frag_mask_ + 1);
}

FlowTable::~FlowTable() = default;

FlowTable::Reservation::~Reservation() { std::free(base); }

void FlowTable::ActivateBuckets(uint32_t first, uint32_t count) {
  for (uint32_t b = first; b < first + count; ++b) {
    meta_[b].tags = {};
    meta_[b].due_tick.fill(kNeverDue);
    meta_[b].earliest_due_tick = kNeverDue;
    meta_[b].spilled = 0;
  }
}

bool FlowTable::Grow(ExportSink& sink) {
  const uint32_t n = bucket_mask_ + 1;
  if (size_t{n} * 2 * kWays > capacity_) return false;
  ActivateBuckets(n, n);
  for (uint32_t b = 0; b < n; ++b) {
    uint32_t next_way = 0;
    for (uint32_t w = 0; w < kWays; ++w) {
      const uint32_t from = b * kWays + w;
      if (Tag(from) == 0) continue;
      if ((HashKey(flows_[from].key, config_.hash_seed) & n) == 0) continue;
      // Bucket b + n receives only flows from bucket b: it has a free way for each.
      const uint32_t to = (b + n) * kWays + next_way++;
      std::memcpy(static_cast<void*>(&flows_[to]), &flows_[from], sizeof(Flow));
      Tag(to) = Tag(from);
      Tag(from) = 0;
      DueTick(to) = DueTick(from);
      DueTick(from) = kNeverDue;
      flows_[from].bits = 0;
      sink.Moved(from, to);
      ++stats_.flows_moved;
    }
    // Still a lower bound for both halves.
    meta_[b + n].earliest_due_tick = meta_[b].earliest_due_tick;
  }
  bucket_mask_ = 2 * n - 1;
  // A spilled flow moves with the same bit as its home (both indices gain n), so it stays in
  // its home's group at the same XOR; the counts are rebuilt for the new bucket numbering.
  RecountSpills();
  ++stats_.doublings;
  return true;
}

uint32_t FlowTable::FindEmpty(uint32_t bucket) const {
  for (uint32_t i = bucket * kWays; i < (bucket + 1) * kWays; ++i) {
    if (Tag(i) == 0) return i;
  }
  return kNoSlot;
}

void FlowTable::RecountSpills() {
  for (uint32_t b = 0; b <= bucket_mask_; ++b) meta_[b].spilled = 0;
  for (uint32_t i = 0; i < active_capacity(); ++i) {
    if (Tag(i) == 0) continue;  // tags first: empty slots' flow memory stays untouched
    const uint32_t x = (flows_[i].bits & kSpillMask) >> kSpillShift;
    if (x != 0) ++meta_[(i / kWays) ^ x].spilled;
  }
}

void FlowTable::NoteDue(uint32_t slot, const Flow& f) {
  EndReason why;
  uint64_t due_ns = f.last_ns + IdleTimeout(f, &why);
  if (config_.timeouts.active_ns != 0) {
    due_ns = std::min(due_ns, f.record_start_ns + config_.timeouts.active_ns);
  }
  const uint32_t tick = DueTickOf(due_ns);  // rounded down: still a lower bound
  DueTick(slot) = tick;
  EarliestDueTick(slot) = std::min(EarliestDueTick(slot), tick);
}

uint64_t FlowTable::memory_bytes() const {
  return uint64_t{capacity_} * sizeof(Flow) + uint64_t{capacity_ / kWays} * sizeof(BucketMeta) +
         uint64_t{frag_mask_ + 1} * sizeof(FragEntry);
}

uint64_t FlowTable::active_memory_bytes() const {
  return uint64_t{active_capacity()} * sizeof(Flow) +
         uint64_t{bucket_mask_ + 1} * sizeof(BucketMeta) +
         uint64_t{frag_mask_ + 1} * sizeof(FragEntry);
}

uint32_t FlowTable::SlotIndex(const Flow& flow) const {
  return static_cast<uint32_t>(&flow - flows_);
}

uint64_t FlowTable::HashKey(const FlowKey& key, uint64_t seed) noexcept {
  // Same construction as HashBytes, without the staging buffer: five 8-byte words + 2 bytes.
  static_assert(sizeof(FlowKey) == 42);
  const auto* bytes = reinterpret_cast<const uint8_t*>(&key);
  uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL;
  for (size_t off = 0; off < 40; off += 8) {
    uint64_t w;
    std::memcpy(&w, bytes + off, 8);
    h ^= w;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  uint16_t tail;
  std::memcpy(&tail, bytes + 40, 2);
  h ^= tail;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 31;
  return Mix64(h ^ sizeof(FlowKey));
}

FlowTable::KeyedPacket FlowTable::KeyOf(const DecodedPacket& pkt) noexcept {
  return MakeKey(pkt.src.bytes, pkt.dst.bytes, pkt.ip_version, pkt.ip_proto, pkt.vlan_outer,
                 pkt.vlan_inner, PortsOf(pkt));
}

FlowTable::KeyedPacket FlowTable::KeyWithFragments(const DecodedPacket& pkt) noexcept {
  if (!pkt.is_fragment) return KeyOf(pkt);
  FragId id{pkt.src.bytes, pkt.dst.bytes, pkt.ip_id, pkt.ip_proto, pkt.ip_version};
  FragEntry& e = frags_[HashBytes(&id, sizeof(id), config_.hash_seed) & frag_mask_];
  if (!pkt.is_later_fragment) {
    // First fragment: remember its ports for the rest of the datagram.
    const L4Ports p = PortsOf(pkt);
    if (pkt.has_l4 || pkt.ports_only) {
      e.src = id.src;
      e.dst = id.dst;
      e.ip_id = id.ip_id;
      e.proto = id.proto;
      e.version = id.version;
      e.sport = p.sport;
      e.dport = p.dport;
      e.kind = p.kind;
      e.ts_ns = pkt.ts_ns;
    }
    return MakeKey(pkt.src.bytes, pkt.dst.bytes, pkt.ip_version, pkt.ip_proto, pkt.vlan_outer,
                   pkt.vlan_inner, p);
  }
  L4Ports p;  // ports 0 unless the first fragment was seen
  if (e.version == id.version && e.ip_id == id.ip_id && e.proto == id.proto && e.src == id.src &&
      e.dst == id.dst && now_ns_ - std::min(now_ns_, e.ts_ns) < config_.fragment_timeout_ns) {
    p = {e.sport, e.dport, e.kind};
    ++stats_.fragment_cache_hits;
  } else {
    ++stats_.fragment_cache_misses;
  }
  return MakeKey(pkt.src.bytes, pkt.dst.bytes, pkt.ip_version, pkt.ip_proto, pkt.vlan_outer,
                 pkt.vlan_inner, p);
}

uint32_t FlowTable::FindSlot(const FlowKey& key, uint64_t hash) const {
  const uint32_t home = static_cast<uint32_t>(hash & bucket_mask_);
  const uint8_t tag = SlotTag(hash);
  // Other buckets of the group only when some flow of this home was spilled there.
  const uint32_t passes = meta_[home].spilled != 0 ? 4 : 1;
  for (uint32_t x = 0; x < passes; ++x) {
    const uint32_t bucket = home ^ x;
    if (bucket > bucket_mask_) continue;
    const auto& tags = meta_[bucket].tags;
    for (uint32_t w = 0; w < kWays; ++w) {
      if (tags[w] == tag && flows_[bucket * kWays + w].key == key) return bucket * kWays + w;
    }
  }
  return kNoSlot;
}

uint32_t FlowTable::BucketOf(const DecodedPacket& pkt) const {
  return static_cast<uint32_t>(HashKey(KeyOf(pkt).key, config_.hash_seed) & bucket_mask_);
}

const Flow* FlowTable::Find(const DecodedPacket& pkt) const {
  const FlowKey key = KeyOf(pkt).key;
  const uint32_t i = FindSlot(key, HashKey(key, config_.hash_seed));
  return i == kNoSlot ? nullptr : &flows_[i];
}

uint64_t FlowTable::IdleTimeout(const Flow& f, EndReason* why) const {
  const Timeouts& t = config_.timeouts;
  *why = EndReason::kIdle;
  switch (f.key.ip_proto) {
    case decoders::kIpProtoTcp: {
      const TcpEndpointState os = f.TcpState(0), rs = f.TcpState(1);
      using S = TcpEndpointState;
      if ((os == S::kClosed && rs == S::kClosed) || os == S::kReset || rs == S::kReset) {
        *why = EndReason::kTcpClose;
        return t.tcp_closed_ns;
      }
      auto opened = [](S s) { return s == S::kEstablished || s == S::kPartial || s == S::kClosed; };
      return opened(os) && opened(rs) ? t.tcp_established_ns : t.tcp_new_ns;
    }
    case decoders::kIpProtoUdp:
      return t.udp_ns;
    case decoders::kIpProtoIcmp:
    case decoders::kIpProtoIcmpv6:
      return t.icmp_ns;
    default:
      return t.other_ns;
  }
}

void FlowTable::ExportInterim(Flow& f, ExportSink& sink) {
  PrefetchWholeFlow(f);
  sink.Export(f, EndReason::kActive, true);
  ++stats_.interim_records;
  ++f.record_seq;
  for (DirStats& d : f.dir) {
    d.pkts = d.ip_bytes = d.wire_bytes = d.payload_bytes = 0;
    d.fragments = d.bare_ack_pkts = 0;
  }
  f.anomaly = {};
  f.anomaly_count = {};
  f.anomaly_other = 0;
  f.label_id = {};
  f.label_pkts = {};
  f.label_other = 0;
}

void FlowTable::ExportFinal(uint32_t i, EndReason why, ExportSink& sink) {
  PrefetchWholeFlow(flows_[i]);
  sink.Export(flows_[i], why, false);
  ++stats_.exported;
  --stats_.active;
  switch (why) {
    case EndReason::kIdle:
      ++stats_.idle;
      break;
    case EndReason::kTcpClose:
      ++stats_.tcp_close;
      break;
    case EndReason::kEvicted:
      ++stats_.evicted;
      break;
    case EndReason::kShutdown:
      ++stats_.shutdown;
      break;
    case EndReason::kActive:
      break;
  }
  const uint32_t x = (flows_[i].bits & kSpillMask) >> kSpillShift;
  if (x != 0) --meta_[(i / kWays) ^ x].spilled;
  Tag(i) = 0;
  DueTick(i) = kNeverDue;
  flows_[i].bits = 0;
}

// An exported flow is read whole (the record builder reads all its lines): ask for the lines
// at once, so their misses overlap instead of following one another. Into every cache level
// (locality 3): with locality 1 the sweep still stalled on the first line of three flows in four
// it had prefetched 32 buckets earlier (CheckTimers 4.1% of samples, 1.6% with 3).
void FlowTable::PrefetchWholeFlow(const Flow& f) {
  const char* p = reinterpret_cast<const char*>(&f);
  for (size_t off = 0; off < sizeof(Flow); off += 64) __builtin_prefetch(p + off, 0, 3);
}

bool FlowTable::CheckTimers(uint32_t i, uint64_t now, ExportSink& sink) {
  Flow& f = flows_[i];
  EndReason why;
  const uint64_t deadline = f.last_ns + IdleTimeout(f, &why);
  // A flow that went idle ended at its idle deadline: active periods are judged at that time,
  // so the records do not depend on how late the sweep (or the next packet) notices.
  const uint64_t effective = std::min(now, deadline);
  const uint64_t active = config_.timeouts.active_ns;
  if (active != 0 && effective >= f.record_start_ns + active) {
    if (f.dir[0].pkts != 0 || f.dir[1].pkts != 0) ExportInterim(f, sink);
    f.record_start_ns = f.first_ns + (effective - f.first_ns) / active * active;
  }
  if (now >= deadline) {
    ExportFinal(i, why, sink);
    return true;
  }
  return false;
}

uint32_t FlowTable::DueWays(const BucketMeta& m, uint32_t now_tick) {
  uint32_t ways = 0;
  for (uint32_t w = 0; w < kWays; ++w) {
    ways |= static_cast<uint32_t>(m.due_tick[w] <= now_tick) << w;
  }
  return ways;
}

void FlowTable::Sweep(uint32_t buckets, uint64_t now, ExportSink& sink) {
  const uint32_t now_tick = DueTickOf(now);  // below kNeverDue: empty ways never count
  for (uint32_t b = 0; b < buckets; ++b) {
    const uint32_t bucket = sweep_cursor_;
    sweep_cursor_ = (sweep_cursor_ + 1) & bucket_mask_;
    // The bucket lines the sweep reaches have usually left the cache since lookups last touched
    // them, and so have the flows it will read (most of them to be exported, read whole): start
    // loading both well ahead (one packet's work is far too short), the lines first, since
    // finding the due flows needs them.
    __builtin_prefetch(&meta_[(bucket + kSweepLinePrefetchBuckets) & bucket_mask_]);
    const BucketMeta& later = meta_[(bucket + kSweepFlowPrefetchBuckets) & bucket_mask_];
    if (now_tick >= later.earliest_due_tick) {
      const uint32_t base = static_cast<uint32_t>(&later - meta_) * kWays;
      for (uint32_t ways = DueWays(later, now_tick); ways != 0; ways &= ways - 1) {
        PrefetchWholeFlow(flows_[base + static_cast<uint32_t>(__builtin_ctz(ways))]);
      }
    }
    BucketMeta& m = meta_[bucket];
    if (now_tick < m.earliest_due_tick) continue;
    // Only the flows that may be due are read; CheckTimers would do nothing to the others.
    for (uint32_t ways = DueWays(m, now_tick); ways != 0; ways &= ways - 1) {
      const uint32_t i = bucket * kWays + static_cast<uint32_t>(__builtin_ctz(ways));
      if (!CheckTimers(i, now, sink)) NoteDue(i, flows_[i]);
    }
    m.earliest_due_tick = *std::min_element(m.due_tick.begin(), m.due_tick.end());
  }
}

void FlowTable::Advance(uint64_t now_ns, ExportSink& sink) {
  now_ns_ = std::max(now_ns_, now_ns);
  Sweep(bucket_mask_ + 1, now_ns_, sink);
}

void FlowTable::FlushAll(ExportSink& sink) {
  for (uint32_t i = 0; i < active_capacity(); ++i) {
    if (Tag(i) == 0) continue;
    if (!CheckTimers(i, now_ns_, sink)) ExportFinal(i, EndReason::kShutdown, sink);
  }
}

namespace {

bool WouldOverflow(const Flow& f, const DirStats& d, const DecodedPacket& pkt) {
  constexpr uint32_t kMax32 = std::numeric_limits<uint32_t>::max();
  if (d.pkts == kMax32 || d.fragments == 0xffff || d.bare_ack_pkts == 0xffff) return true;
  if (d.ip_bytes > kMax32 - pkt.ip_total_len || d.wire_bytes > kMax32 - pkt.wire_len ||
      d.payload_bytes > kMax32 - pkt.l4_payload_wire_len) {
    return true;
  }
  if (pkt.anomaly_count != 0) {
    if (f.anomaly_other >= 0xffff - 255) return true;
    for (uint16_t c : f.anomaly_count) {
      if (c == 0xffff) return true;
    }
  }
  if (pkt.source_label != 0) {
    if (f.label_other == 0xffff) return true;
    for (uint16_t c : f.label_pkts) {
      if (c == 0xffff) return true;
    }
  }
  return false;
}

void AddLabel(Flow& f, uint16_t label) {
  for (int i = 0; i < kFlowLabelSlots; ++i) {
    if (f.label_id[i] == label || f.label_id[i] == 0) {
      f.label_id[i] = label;
      ++f.label_pkts[i];
      return;
    }
  }
  ++f.label_other;
}

}  // namespace

void FlowTable::CountPacket(Flow& f, int side, const DecodedPacket& pkt, ExportSink& sink) {
  DirStats& d = f.dir[side];
  // Per-record counters are 32/16 bits to keep Flow small: close the record early (as an
  // interim record) rather than let one wrap.
  if (WouldOverflow(f, d, pkt)) ExportInterim(f, sink);

  const uint16_t seen_bit = side == 0 ? kBitSeenSrc : kBitSeenDst;
  const bool first_from_side = (f.bits & seen_bit) == 0;
  ++d.pkts;
  d.ip_bytes += pkt.ip_total_len;
  d.wire_bytes += pkt.wire_len;
  d.payload_bytes += pkt.l4_payload_wire_len;
  if (pkt.is_fragment) ++d.fragments;
  if (first_from_side) {
    d.ttl_min = d.ttl_max = pkt.ttl;
  } else {
    d.ttl_min = std::min(d.ttl_min, pkt.ttl);
    d.ttl_max = std::max(d.ttl_max, pkt.ttl);
  }
  if (pkt.l4_payload_wire_len > 0) f.bits |= side == 0 ? kBitPayloadSrc : kBitPayloadDst;

  if (pkt.has_l4 && pkt.ip_proto == decoders::kIpProtoTcp) {
    const uint8_t flags = pkt.tcp_flags;
    if (first_from_side) d.initial_tcp_flags = flags;
    d.tcp_flags |= flags;
    // Payload while no SYN was ever seen: Zeek "D" without S/H, Argus "?>".
    if (pkt.l4_payload_wire_len > 0 && !(flags & decoders::kTcpSyn) && !(f.bits & kBitSynSeen)) {
      ++d.bare_ack_pkts;
      if (first_from_side) f.bits |= side == 0 ? kBitBareAckSrc : kBitBareAckDst;
    }
    if (flags & decoders::kTcpSyn) f.bits |= kBitSynSeen;
    UpdateTcp(f, side, flags, pkt.tcp_seq, pkt.tcp_ack, pkt.l4_payload_wire_len);
  } else if (pkt.has_l4 && pkt.ip_proto == decoders::kIpProtoUdp) {
    UpdateUdp(f, side);
  }

  AddPacketAnomalies(f, pkt);
  if (pkt.source_label != 0) AddLabel(f, pkt.source_label);

  f.bits |= seen_bit;
  f.last_ns = std::max(f.last_ns, pkt.ts_ns);
}

UpdateResult FlowTable::Update(const DecodedPacket& pkt, ExportSink& sink) noexcept {
  UpdateResult result;
  if (!pkt.is_ip()) {
    ++stats_.non_ip;
    return result;
  }
  ++stats_.packets;
  now_ns_ = std::max(now_ns_, pkt.ts_ns);
  const uint64_t now = now_ns_;
  Sweep(config_.sweep_buckets_per_packet, now, sink);

  const KeyedPacket kp = KeyWithFragments(pkt);
  const uint64_t hash = HashKey(kp.key, config_.hash_seed);
  uint32_t slot = FindSlot(kp.key, hash);
  // A flow whose timers ran out is exported before this packet starts a new one. Its due tick,
  // in the line the lookup just read, rules that out for almost every packet.
  if (slot != kNoSlot && DueTick(slot) <= DueTickOf(now) && CheckTimers(slot, now, sink)) {
    slot = kNoSlot;
  }

  if (slot == kNoSlot) {
    // Keep the load below 3/4 while there is room to grow: short buckets, fast lookups.
    if (stats_.active + 1 > uint64_t{active_capacity()} / 4 * 3) Grow(sink);
    uint32_t bucket = static_cast<uint32_t>(hash & bucket_mask_);
    slot = FindEmpty(bucket);
    if (slot == kNoSlot) {
      // Full bucket: first let expired flows leave with their own reason.
      for (uint32_t i = bucket * kWays; i < (bucket + 1) * kWays; ++i) CheckTimers(i, now, sink);
      slot = FindEmpty(bucket);
    }
    uint32_t spill_xor = 0;
    while (slot == kNoSlot) {
      // Spill within the group of four (expired flows there leave first); grow when it is full.
      for (uint32_t x = 1; x < 4 && slot == kNoSlot; ++x) {
        const uint32_t other = bucket ^ x;
        if (other > bucket_mask_) continue;
        slot = FindEmpty(other);
        if (slot == kNoSlot) {
          for (uint32_t i = other * kWays; i < (other + 1) * kWays; ++i) {
            if (Tag(i) != 0) CheckTimers(i, now, sink);
          }
          slot = FindEmpty(other);
        }
        if (slot != kNoSlot) spill_xor = x;
      }
      if (slot != kNoSlot || !Grow(sink)) break;
      bucket = static_cast<uint32_t>(hash & bucket_mask_);
      slot = FindEmpty(bucket);
    }
    const uint32_t base = bucket * kWays;
    if (slot == kNoSlot) {
      uint32_t victim = base;
      for (uint32_t i = base + 1; i < base + kWays; ++i) {
        if (flows_[i].last_ns < flows_[victim].last_ns) victim = i;
      }
      ExportFinal(victim, EndReason::kEvicted, sink);
      slot = victim;
    }

    Flow& f = *new (&flows_[slot]) Flow{};
    f.key = kp.key;
    f.flow_id = next_flow_id_++;
    f.first_ns = f.last_ns = f.record_start_ns = pkt.ts_ns;
    bool initiator_is_sender = true;
    if (pkt.has_l4 && pkt.ip_proto == decoders::kIpProtoTcp &&
        (pkt.tcp_flags & decoders::kTcpSyn)) {
      if (pkt.tcp_flags & decoders::kTcpAck) {
        initiator_is_sender = false;
        f.direction = DirectionConfidence::kSynAck;
        f.history[0] = '^';  // Zeek marks a flipped orientation this way
      } else {
        f.direction = DirectionConfidence::kSyn;
      }
    }
    f.bits = kBitInUse;
    if (spill_xor != 0) {
      f.bits |= static_cast<uint16_t>(spill_xor << kSpillShift);
      ++meta_[bucket].spilled;
    }
    if (initiator_is_sender == kp.sender_is_lo) f.bits |= kBitInitiatorIsLo;
    if (pkt.has_mac) {
      f.bits |= kBitHasMac;
      f.mac[0] = initiator_is_sender ? pkt.src_mac : pkt.dst_mac;
      f.mac[1] = initiator_is_sender ? pkt.dst_mac : pkt.src_mac;
    }
    if (pkt.has_l4 && IsIcmp(pkt.ip_proto)) {
      f.bits |= kBitHasIcmp;
      f.icmp_type = pkt.icmp_type;
      f.icmp_code = pkt.icmp_code;
    }
    Tag(slot) = SlotTag(hash);
    ++stats_.created;
    ++stats_.active;
    result.created = true;
  }

  Flow& f = flows_[slot];
  const int side = kp.sender_is_lo == f.initiator_is_lo() ? 0 : 1;
  CountPacket(f, side, pkt, sink);
  NoteDue(slot, f);
  result.flow = &f;
  result.from_src = side == 0;

  if (IsIcmpError(pkt) && pkt.icmp_quoted.present) {
    const decoders::QuotedPacket& q = pkt.icmp_quoted;
    L4Ports p;
    if (decoders::IsPortProtocol(q.ip_proto)) {
      p.sport = q.src_port;
      p.dport = q.dst_port;
    }
    const uint8_t qv = q.src.family != 0 ? q.src.family : pkt.ip_version;
    const FlowKey qk =
        MakeKey(q.src.bytes, q.dst.bytes, qv, q.ip_proto, pkt.vlan_outer, pkt.vlan_inner, p).key;
    const uint32_t qi = FindSlot(qk, HashKey(qk, config_.hash_seed));
    if (qi != kNoSlot && qi != slot) {
      result.quoted_flow = &flows_[qi];
      ++stats_.quoted_found;
    } else {
      ++stats_.quoted_missing;
    }
  }
  return result;
}

}  // namespace tapwatch::flowtable
