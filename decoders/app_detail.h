#pragma once
// Bulky per-flow application details (SMB, NetBIOS, ICMP histogram) kept OUTSIDE the flow slot,
// the bounded containers they are made of, and DetailSlots, the slots of one detail type (the
// pool of all types is app_detail_pool.h; the list of types is app_protocols.h). A flow takes a
// slot on the first packet that needs one and gives it back at export. Everything is bounded:
// first N names, first K distinct commands (+ "other"), histograms of at most K keys (+ "other").
// Standard library only; no allocation after the pool's constructor.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "decoders/packet.h"

namespace tapwatch::decoders {

/// A transport port whose flows an application decoder takes (see app_protocols.h).
struct AppPort {
  uint8_t ip_proto;
  uint16_t port;
};

/// A string of at most N-1 bytes stored inline; longer input is cut (never an error).
template <size_t N>
struct FixedString {
  // Only the first `len` bytes mean anything; the rest is left uninitialised on purpose (these
  // are filled on the per-packet path).
  std::array<char, N> data;
  uint8_t len = 0;
  static_assert(N <= 255);

  std::string_view view() const { return {data.data(), len}; }
  void Assign(std::string_view s) noexcept {
    len = static_cast<uint8_t>(s.size() < N ? s.size() : N - 1);
    if (len != 0) std::memcpy(data.data(), s.data(), len);
  }
  bool Push(char c) noexcept {
    if (len + 1u >= N) return false;
    data[len++] = c;
    return true;
  }
};

/// The first M distinct strings (each cut to N-1 bytes) of one kind in a detail, while their bytes
/// fit in `Bytes`; later ones are counted as dropped. The default budget, M x (N-1), holds any M
/// strings; a smaller one suits names mostly far shorter than the longest they must allow (NBNS:
/// "WORKGROUP<1d>" beside the 61-character "*<00><00>..."). The strings are packed one after
/// another, so a short one shares the set's first cache line with the lengths.
/// Bit `Bit` of the owning detail's `sets_used` mask, on the detail's first cache line, says
/// whether the set holds anything, and it is the only truth: a set whose bit is clear is empty
/// whatever its own count holds. So nothing in the set is written when a pool slot is reset for a
/// new flow (each set sits on its own lines of the detail: resetting the counts wrote up to five
/// cold lines per new flow), and export skips the empty sets without reading them. The first Add
/// empties the set and sets the bit; every read takes the mask, so no caller can read a stale
/// count.
template <size_t N, size_t M, unsigned Bit, size_t Bytes = M * (N - 1)>
class MarkedStringSet {
 public:
  static_assert(Bit < 16 && M <= 255 && N <= 256 && Bytes >= N - 1 && Bytes <= 65535);
  static constexpr uint16_t kBit = uint16_t{1} << Bit;

  /// One kept string.
  struct Item {
    std::string_view text;
    std::string_view view() const { return text; }
  };
  /// The strings kept, in the order first seen.
  class Range {
   public:
    const Item* begin() const { return items_.data(); }
    const Item* end() const { return items_.data() + size_; }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const Item& operator[](size_t i) const { return items_[i]; }

   private:
    friend class MarkedStringSet;
    std::array<Item, M> items_{};
    size_t size_ = 0;
  };

  bool UsedIn(uint16_t sets_used) const noexcept { return (sets_used & kBit) != 0; }
  /// The strings kept (empty while the bit is clear).
  Range Items(uint16_t sets_used) const noexcept {
    Range r;
    if (!UsedIn(sets_used)) return r;
    size_t at = 0;
    for (; r.size_ < count_; ++r.size_) {
      r.items_[r.size_].text = {bytes_.data() + at, len_[r.size_]};
      at += len_[r.size_];
    }
    return r;
  }
  /// Distinct strings that found the set full (M strings, or no room for their bytes).
  uint32_t Dropped(uint16_t sets_used) const noexcept { return UsedIn(sets_used) ? dropped_ : 0; }
  bool Contains(uint16_t sets_used, std::string_view s) const noexcept {
    if (!UsedIn(sets_used)) return false;
    size_t at = 0;
    for (size_t i = 0; i < count_; ++i) {
      if (len_[i] == s.size() && std::memcmp(bytes_.data() + at, s.data(), s.size()) == 0) {
        return true;
      }
      at += len_[i];
    }
    return false;
  }
  /// Adds `s` (cut to N-1 bytes) unless already present; false when the set is full.
  bool Add(uint16_t& sets_used, std::string_view s) noexcept {
    if (!UsedIn(sets_used)) {
      count_ = 0;
      used_ = 0;
      dropped_ = 0;
      sets_used |= kBit;
    }
    if (s.size() >= N) s = s.substr(0, N - 1);
    if (Contains(sets_used, s)) return true;
    if (count_ >= M || Bytes - used_ < s.size()) {
      ++dropped_;
      return false;
    }
    if (!s.empty()) std::memcpy(bytes_.data() + used_, s.data(), s.size());
    len_[count_++] = static_cast<uint8_t>(s.size());
    used_ = static_cast<uint16_t>(used_ + s.size());
    return true;
  }

 private:
  // Meaningful only while the bit is set: lengths [0, count_) and bytes [0, used_).
  uint8_t count_;
  uint16_t used_;
  uint32_t dropped_;
  std::array<uint8_t, M> len_;
  std::array<char, Bytes> bytes_;
};

/// A count per index 0..N-1 (a command table) kept in a detail like a MarkedStringSet: bit `Bit`
/// of the owner's `sets_used` mask says whether anything was counted, and the table is zeroed on
/// the first Add, not when a pool slot is reset. A flow that never counts here (an SMB1 session's
/// SMB2 table) leaves the table's lines untouched, at reset and at export. Counts saturate.
template <size_t N, unsigned Bit>
class MarkedIndexCounts {
 public:
  static_assert(Bit < 16);
  static constexpr uint16_t kBit = uint16_t{1} << Bit;
  static constexpr size_t size() { return N; }

  bool UsedIn(uint16_t sets_used) const noexcept { return (sets_used & kBit) != 0; }
  /// Adds `n` to index `i` (< N).
  void Add(uint16_t& sets_used, size_t i, uint32_t n = 1) noexcept {
    if (!UsedIn(sets_used)) {
      counts_.fill(0);
      sets_used |= kBit;
    }
    counts_[i] = counts_[i] > UINT32_MAX - n ? UINT32_MAX : counts_[i] + n;
  }
  uint32_t Get(uint16_t sets_used, size_t i) const noexcept {
    return UsedIn(sets_used) && i < N ? counts_[i] : 0;
  }
  /// All N counts (zeros included); empty while the bit is clear.
  std::span<const uint32_t> Counts(uint16_t sets_used) const noexcept {
    if (!UsedIn(sets_used)) return {};
    return std::span<const uint32_t>(counts_);
  }

 private:
  std::array<uint32_t, N> counts_;  // meaningful only while the bit is set
};

/// Counts per key for the first K distinct keys; the rest go to `other`. Counts saturate.
template <typename Key, size_t K>
struct BoundedCounter {
  std::array<Key, K> keys{};
  std::array<uint32_t, K> counts{};
  uint8_t size = 0;
  uint32_t other = 0;

  void Add(Key key, uint32_t n = 1) noexcept {
    for (uint8_t i = 0; i < size; ++i) {
      if (keys[i] == key) {
        counts[i] = Sat(counts[i], n);
        return;
      }
    }
    if (size < K) {
      keys[size] = key;
      counts[size++] = n;
      return;
    }
    other = Sat(other, n);
  }
  uint32_t Get(Key key) const noexcept {
    for (uint8_t i = 0; i < size; ++i) {
      if (keys[i] == key) return counts[i];
    }
    return 0;
  }
  static uint32_t Sat(uint32_t a, uint32_t b) { return a > UINT32_MAX - b ? UINT32_MAX : a + b; }
};

inline constexpr size_t kNameLen = 64;  // "NAME<xx>", room for non-printables shown as <xx>
inline constexpr size_t kPathLen = 96;  // \\HOST\SHARE, pipe names, dialect strings

/// Per-direction state of the NBSS/SMB stream walker (no reassembly: see nbss.h).
struct SmbStreamState {
  uint32_t next_seq = 0;    // TCP sequence number expected next
  uint32_t skip_bytes = 0;  // rest of the current NBSS message still to come
  bool seq_valid = false;
};

// The user-provided constructors below stop value-initialisation (new (p) T()) from
// zeroing the whole struct first: only the members with initialisers are written. Scalars and
// counters come first (a few cache lines, what every packet and every export touches), the
// string sets last (their items are touched only when a string is kept).
struct SmbDetail {
  SmbDetail() noexcept {}
  uint8_t version = 0;     // 1 = SMB1, 2 = SMB2/3 (highest seen)
  uint16_t sets_used = 0;  // which sets and tables below hold anything (Marked*)
  uint16_t smb2_dialect = 0;
  uint32_t messages = 0;
  uint32_t smb2_other_commands = 0;
  uint32_t failed_responses = 0;
  uint32_t first_error_status = 0;
  std::array<SmbStreamState, 2> stream{};  // [0] from src, [1] from dst
  BoundedCounter<uint8_t, 6> nbss_types;
  BoundedCounter<uint8_t, 16> smb1_commands;
  MarkedIndexCounts<19, 5> smb2_commands;  // SMB2 commands 0x00..0x12
  MarkedStringSet<32, 6, 0> dialects;
  MarkedStringSet<kNameLen, 2, 1> nbss_called;
  MarkedStringSet<kNameLen, 2, 2> nbss_calling;
  MarkedStringSet<kPathLen, 4, 3> tree_paths;
  MarkedStringSet<kPathLen, 4, 4> pipes;

  /// NetBIOS session service and direct-hosted SMB (IANA).
  static constexpr AppPort kPorts[] = {{kIpProtoTcp, 139}, {kIpProtoTcp, 445}};
  /// One payload segment of the flow, from side `dir` (0 initiator) (nbss.cc).
  void Decode(DecodedPacket& pkt, int dir) noexcept;
  /// Starts loading the lines EncodeRecord reads first.
  void PrefetchForExport() const noexcept;
  /// The record's `smb` summary (smb_record.h).
  template <typename Record>
  static constexpr uint32_t RecordField() { return Record::kSmbFieldNumber; }
  template <typename Record, typename Writer>
  void EncodeRecord(Writer& out) const;
};

// NBNS (UDP 137) and NBDS (UDP 138) flows fill disjoint fields of the record's one `netbios`
// message, so each service has its own detail: a name-service flow's slot does not carry the
// datagram service's sets, nor the reverse.
struct NbnsDetail {
  NbnsDetail() noexcept {}
  uint16_t sets_used = 0;       // which string sets below hold anything (MarkedStringSet)
  uint32_t nb_queries = 0;      // questions of type NB (0x20)
  uint32_t nbstat_queries = 0;  // questions of type NBSTAT (0x21)
  uint32_t rr_nb = 0;           // resource records of type NB
  uint32_t rr_nbstat = 0;       // resource records of type NBSTAT
  uint32_t other_types = 0;     // questions + records of any other type
  uint32_t broadcast = 0;
  uint32_t responses = 0;
  uint32_t error_responses = 0;
  std::array<uint8_t, 6> nbstat_mac{};
  bool has_nbstat_mac = false;
  std::array<uint32_t, 16> nbns_opcodes{};
  // Question and resource-record owner names, and the names of node status (NBSTAT) responses:
  // 8 each, in 256 bytes (a wildcard query's 61-character name and seven of "WORKGROUP<1d>"'s
  // length fit; the default 8 x 63 would hold eight wildcards, which no flow sends).
  MarkedStringSet<kNameLen, 8, 0, 256> nbns_names;
  MarkedStringSet<kNameLen, 8, 1, 256> nbstat_names;

  /// NetBIOS name service (IANA).
  static constexpr AppPort kPorts[] = {{kIpProtoUdp, 137}};
  void Decode(DecodedPacket& pkt, int dir) noexcept;  // nbns.cc
  void PrefetchForExport() const noexcept;
  /// The NBNS fields of the record's `netbios` summary (netbios_record.h).
  template <typename Record>
  static constexpr uint32_t RecordField() { return Record::kNetbiosFieldNumber; }
  template <typename Record, typename Writer>
  void EncodeRecord(Writer& out) const;
};

struct NbdsDetail {
  NbdsDetail() noexcept {}
  uint16_t sets_used = 0;  // which string sets below hold anything (MarkedStringSet)
  MarkedStringSet<kNameLen, 4, 0> nbds_source_names;
  MarkedStringSet<kNameLen, 4, 1> nbds_destination_names;
  MarkedStringSet<kNameLen, 4, 2> browser_hosts;
  MarkedStringSet<8, 4, 3> browser_os;

  /// NetBIOS datagram service (IANA).
  static constexpr AppPort kPorts[] = {{kIpProtoUdp, 138}};
  void Decode(DecodedPacket& pkt, int dir) noexcept;  // nbds.cc
  void PrefetchForExport() const noexcept;
  /// The NBDS fields of the record's `netbios` summary (netbios_record.h).
  template <typename Record>
  static constexpr uint32_t RecordField() { return Record::kNetbiosFieldNumber; }
  template <typename Record, typename Writer>
  void EncodeRecord(Writer& out) const;
};

struct IcmpDetail {
  IcmpDetail() noexcept {}
  BoundedCounter<uint16_t, 8> ip_lengths;  // IP total length -> packets

  // No ports: UpdateAppState feeds every ICMPv4 packet here, and the histogram is written by
  // the record's ICMP summary (sensor/app_record.cc), which also needs the flow's inline
  // counters.
  void PrefetchForExport() const noexcept { __builtin_prefetch(this, 0, 3); }
};


inline constexpr uint32_t kNoDetail = 0xFFFFFFFFu;

/// One slot of a DetailSlots<T>: an in-use byte, then the detail, starting on a cache line (the
/// byte and the detail's first members share it). The detail is constructed by Acquire, not here.
template <typename T>
struct alignas(64) DetailSlot {
  DetailSlot() noexcept {}
  bool in_use = false;
  union {
    T detail;
  };
};

/// The slots of one detail type, sized for that type: an ICMP histogram takes one cache line,
/// not the ~1.5 KiB of an SMB detail, so the pages a capture touches follow what its live flows
/// need. Reserved once and touched lazily; Acquire reuses the most recently released slot (still
/// warm in cache) and only takes a never-used slot, the lowest one, when none is free.
template <typename T>
class DetailSlots {
 public:
  explicit DetailSlots(uint32_t capacity)
      : capacity_(capacity),
        slots_(static_cast<DetailSlot<T>*>(
            capacity ? std::aligned_alloc(alignof(DetailSlot<T>),
                                          size_t{capacity} * sizeof(DetailSlot<T>))
                     : nullptr)) {
    if (capacity != 0 && slots_ == nullptr) throw std::bad_alloc();
    free_.reserve(capacity);  // reserved, not touched: pushes never reallocate
  }
  ~DetailSlots() { std::free(slots_); }  // details are trivially destructible
  DetailSlots(const DetailSlots&) = delete;
  DetailSlots& operator=(const DetailSlots&) = delete;

  uint32_t Acquire() noexcept {
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else if (used_ < capacity_) {
      i = used_++;
      new (&slots_[i]) DetailSlot<T>();  // first use of this slot's memory
    } else {
      ++exhausted_;
      return kNoDetail;
    }
    // T's user-provided constructor writes only the members with initialisers (see SmbDetail).
    new (&slots_[i].detail) T();
    slots_[i].in_use = true;
    return i;
  }
  void Release(uint32_t i) noexcept {
    if (i >= used_ || !slots_[i].in_use) return;
    slots_[i].in_use = false;
    free_.push_back(i);
  }
  T* Get(uint32_t i) noexcept {
    return i < used_ && slots_[i].in_use ? &slots_[i].detail : nullptr;
  }
  const T* Peek(uint32_t i) const noexcept { return i < used_ ? &slots_[i].detail : nullptr; }
  void Prefetch(uint32_t i) const noexcept {
    if (i < used_) __builtin_prefetch(&slots_[i]);
  }
  uint32_t in_use() const { return used_ - static_cast<uint32_t>(free_.size()); }
  uint32_t touched() const { return used_; }
  uint64_t exhausted() const { return exhausted_; }
  static constexpr size_t kSlotBytes = sizeof(DetailSlot<T>) + sizeof(uint32_t);  // + free list
  size_t memory_bytes() const { return size_t{capacity_} * kSlotBytes; }
  size_t touched_bytes() const { return size_t{used_} * kSlotBytes; }

 private:
  static_assert(std::is_trivially_destructible_v<T>, "slots are reused without destructors");
  uint32_t capacity_;
  uint32_t used_ = 0;  // slots [0, used_) have been constructed; the rest is untouched memory
  DetailSlot<T>* slots_;
  std::vector<uint32_t> free_;  // released slots, most recent last
  uint64_t exhausted_ = 0;
};

}  // namespace tapwatch::decoders
