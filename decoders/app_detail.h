#pragma once
// Bulky per-flow application details (SMB, NetBIOS, ICMP histogram) kept OUTSIDE the flow slot:
// a fixed pool of AppDetail slots allocated once at start-up, with a free list. A flow takes a
// slot on the first packet that needs one and gives it back at export. Everything here is bounded:
// first N names, first K distinct commands (+ "other"), histograms of at most K keys (+ "other").
// Standard library only; no allocation after the pool's constructor.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

namespace tapwatch::decoders {

/// A string of at most N-1 bytes stored inline; longer input is cut (never an error).
template <size_t N>
struct FixedString {
  // Only the first `len` bytes mean anything; the rest is left uninitialised on purpose, so that
  // resetting a pool slot for a new flow writes a few lengths, not kilobytes.
  std::array<char, N> data;
  uint8_t len = 0;
  static_assert(N <= 255);

  std::string_view view() const { return {data.data(), len}; }
  void Assign(std::string_view s) noexcept {
    len = static_cast<uint8_t>(s.size() < N ? s.size() : N - 1);
    for (size_t i = 0; i < len; ++i) data[i] = s[i];
  }
  bool Push(char c) noexcept {
    if (len + 1u >= N) return false;
    data[len++] = c;
    return true;
  }
};

/// The first M distinct strings (each cut to N-1 bytes); later ones are counted in `dropped`.
template <size_t N, size_t M>
struct FixedStringSet {
  std::array<FixedString<N>, M> items;  // default-initialised: each len = 0
  uint8_t count = 0;
  uint32_t dropped = 0;

  bool Contains(std::string_view s) const noexcept {
    for (uint8_t i = 0; i < count; ++i) {
      if (items[i].view() == s) return true;
    }
    return false;
  }
  /// Adds `s` (cut to N-1 bytes) unless already present; false when the set is full.
  bool Add(std::string_view s) noexcept {
    if (s.size() >= N) s = s.substr(0, N - 1);
    if (Contains(s)) return true;
    if (count >= M) {
      ++dropped;
      return false;
    }
    items[count++].Assign(s);
    return true;
  }
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

// The user-provided constructors below stop value-initialisation (variant::emplace<T>()) from
// zeroing the whole struct first: only the members with initialisers are written.
struct SmbDetail {
  SmbDetail() noexcept {}
  uint8_t version = 0;  // 1 = SMB1, 2 = SMB2/3 (highest seen)
  BoundedCounter<uint8_t, 16> smb1_commands;
  std::array<uint32_t, 19> smb2_commands{};  // SMB2 commands 0x00..0x12
  uint32_t smb2_other_commands = 0;
  uint32_t failed_responses = 0;
  uint32_t first_error_status = 0;
  FixedStringSet<32, 6> dialects;
  FixedStringSet<kPathLen, 4> tree_paths;
  FixedStringSet<kPathLen, 4> pipes;
  uint16_t smb2_dialect = 0;
  FixedStringSet<kNameLen, 2> nbss_called;
  FixedStringSet<kNameLen, 2> nbss_calling;
  BoundedCounter<uint8_t, 6> nbss_types;
  uint32_t messages = 0;
  std::array<SmbStreamState, 2> stream{};  // [0] from src, [1] from dst
};

struct NetbiosDetail {
  NetbiosDetail() noexcept {}
  std::array<uint32_t, 16> nbns_opcodes{};
  FixedStringSet<kNameLen, 8> nbns_names;  // question and resource-record owner names
  uint32_t nb_queries = 0;                 // questions of type NB (0x20)
  uint32_t nbstat_queries = 0;             // questions of type NBSTAT (0x21)
  uint32_t rr_nb = 0;                      // resource records of type NB
  uint32_t rr_nbstat = 0;                  // resource records of type NBSTAT
  uint32_t other_types = 0;                // questions + records of any other type
  uint32_t broadcast = 0;
  uint32_t responses = 0;
  uint32_t error_responses = 0;
  FixedStringSet<kNameLen, 8> nbstat_names;
  std::array<uint8_t, 6> nbstat_mac{};
  bool has_nbstat_mac = false;
  FixedStringSet<kNameLen, 4> nbds_source_names;
  FixedStringSet<kNameLen, 4> nbds_destination_names;
  FixedStringSet<kNameLen, 4> browser_hosts;
  FixedStringSet<8, 4> browser_os;
};

struct IcmpDetail {
  IcmpDetail() noexcept {}
  BoundedCounter<uint16_t, 8> ip_lengths;  // IP total length -> packets
};

/// One pool slot: empty, or the details of one application kind.
using AppDetail = std::variant<std::monostate, SmbDetail, NetbiosDetail, IcmpDetail>;

inline constexpr uint32_t kNoDetail = 0xFFFFFFFFu;

/// Fixed-size pool of AppDetail slots with a free list. All memory is allocated in the
/// constructor; Acquire/Release never allocate. Not thread-safe (one pool per capture thread).
class AppDetailPool {
 public:
  explicit AppDetailPool(uint32_t capacity) : slots_(capacity), free_(capacity) {
    for (uint32_t i = 0; i < capacity; ++i) free_[i] = capacity - 1 - i;
  }
  /// Takes a slot and resets it to `T{}`; kNoDetail (and counts it) when the pool is empty.
  template <typename T>
  uint32_t Acquire() noexcept {
    if (free_.empty()) {
      ++exhausted_;
      return kNoDetail;
    }
    const uint32_t i = free_.back();
    free_.pop_back();  // never reallocates: capacity was reserved in the constructor
    slots_[i].template emplace<T>();
    return i;
  }
  /// Returns slot `i` to the free list. kNoDetail or an out-of-range index is ignored.
  void Release(uint32_t i) noexcept {
    if (i >= slots_.size() || std::holds_alternative<std::monostate>(slots_[i])) return;
    slots_[i].emplace<std::monostate>();
    free_.push_back(i);
  }
  template <typename T>
  T* Get(uint32_t i) noexcept {
    return i < slots_.size() ? std::get_if<T>(&slots_[i]) : nullptr;
  }
  template <typename T>
  const T* Get(uint32_t i) const noexcept {
    return i < slots_.size() ? std::get_if<T>(&slots_[i]) : nullptr;
  }
  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t in_use() const { return capacity() - static_cast<uint32_t>(free_.size()); }
  /// Acquire calls that found the pool empty (the flow kept only its inline counters).
  uint64_t exhausted() const { return exhausted_; }
  size_t memory_bytes() const { return slots_.size() * (sizeof(AppDetail) + sizeof(uint32_t)); }

 private:
  std::vector<AppDetail> slots_;
  std::vector<uint32_t> free_;
  uint64_t exhausted_ = 0;
};

}  // namespace tapwatch::decoders
