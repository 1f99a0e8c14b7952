// An open-addressing table from 64-bit keys to values, for the per-address aggregates the report
// looks up on most rows. std::unordered_map costs two dependent cache misses per lookup (bucket,
// then node); here key and value share one slot, so a hit is one miss: the floods section's
// pass cost 15% of the report's CPU on the benchmark store with the node map.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace tapwatch::collector::report {

template <typename V>
class FlatTable {
 public:
  /// The value for key, default-constructed on first use; nullptr when the table holds
  /// max_size keys already and key is not one of them.
  V* FindOrInsert(uint64_t key, size_t max_size) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    size_t i = Hash(key) & (slots_.size() - 1);
    while (slots_[i].used) {
      if (slots_[i].key == key) return &slots_[i].value;
      i = (i + 1) & (slots_.size() - 1);
    }
    if (size_ >= max_size) return nullptr;
    slots_[i].used = true;
    slots_[i].key = key;
    ++size_;
    return &slots_[i].value;
  }
  size_t size() const { return size_; }
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& s : slots_) {
      if (s.used) f(s.key, s.value);
    }
  }

 private:
  struct Slot {
    uint64_t key = 0;
    bool used = false;
    V value{};
  };
  static uint64_t Hash(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDULL;
    k ^= k >> 33;
    return k;
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 1024 : old.size() * 2);
    size_ = 0;
    for (auto& s : old) {
      if (!s.used) continue;
      size_t i = Hash(s.key) & (slots_.size() - 1);
      while (slots_[i].used) i = (i + 1) & (slots_.size() - 1);
      slots_[i].used = true;
      slots_[i].key = s.key;
      slots_[i].value = std::move(s.value);
      ++size_;
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace tapwatch::collector::report
