// Distinct 32-bit keys (addresses, ports) counted in bounded memory: exactly while few, then by a
// HyperLogLog sketch. A flood where every flow brings a new source must not grow the report's
// memory with the flows. No Debian package offers a HyperLogLog for C++; the sketch is ~30 lines.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

namespace tapwatch::collector::report {

/// A HyperLogLog of 2^kBits one-byte registers (standard error ~1.04 / sqrt(2^kBits)).
template <int kBits>
class HyperLogLog {
 public:
  static constexpr size_t kRegisters = size_t{1} << kBits;
  void Add(uint32_t key) {
    uint64_t h = key * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    const size_t idx = h >> (64 - kBits);
    const uint64_t rest = h << kBits | (uint64_t{1} << (kBits - 1));
    const uint8_t rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    registers_[idx] = std::max(registers_[idx], rank);
  }
  int64_t Estimate() const {
    double sum = 0;
    int zeros = 0;
    for (uint8_t r : registers_) {
      sum += std::ldexp(1.0, -r);
      zeros += r == 0;
    }
    const double m = kRegisters;
    double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / zeros);  // small-range correction
    return static_cast<int64_t>(std::llround(e));
  }

 private:
  std::array<uint8_t, kRegisters> registers_{};
};

/// Exact up to kExactLimit keys, then a HyperLogLog of 1024 registers (~3%).
class DistinctCounter {
 public:
  static constexpr size_t kExactLimit = 4096;

  void Add(uint32_t key) {
    if (sketch_) {
      sketch_->Add(key);
      return;
    }
    if (!exact_.empty() && exact_.back() == key) return;  // runs of one key are common
    exact_.push_back(key);
    if (exact_.size() >= 2 * kExactLimit) Compact();
  }
  int64_t Count() const {
    return sketch_ ? sketch_->Estimate() : static_cast<int64_t>(Keys().size());
  }
  bool Exact() const { return !sketch_; }
  /// The distinct keys while counting is exact (sorted), else empty.
  std::vector<uint32_t> Keys() const {
    if (sketch_) return {};
    std::vector<uint32_t> v = exact_;
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }

 private:
  void Compact() {
    std::sort(exact_.begin(), exact_.end());
    exact_.erase(std::unique(exact_.begin(), exact_.end()), exact_.end());
    if (exact_.size() < kExactLimit) return;
    sketch_ = std::make_unique<HyperLogLog<10>>();
    for (uint32_t k : exact_) sketch_->Add(k);
    std::vector<uint32_t>().swap(exact_);
  }
  std::vector<uint32_t> exact_;
  std::unique_ptr<HyperLogLog<10>> sketch_;
};

/// The same in a few bytes for the many small sets of a per-address table: exact up to 8 keys
/// (a linear scan of an inline array), then a HyperLogLog of 256 registers (~6.5%).
class SmallDistinct {
 public:
  void Add(uint32_t key) {
    if (sketch_) {
      sketch_->Add(key);
      return;
    }
    for (uint8_t i = 0; i < n_; ++i) {
      if (keys_[i] == key) return;
    }
    if (n_ < kInline) {
      keys_[n_++] = key;
      return;
    }
    sketch_ = std::make_unique<HyperLogLog<8>>();
    for (uint32_t k : keys_) sketch_->Add(k);
    sketch_->Add(key);
  }
  int64_t Count() const {
    return sketch_ ? std::max<int64_t>(kInline + 1, sketch_->Estimate()) : n_;
  }
  bool Exact() const { return !sketch_; }
  /// The keys while exact, in insertion order.
  std::vector<uint32_t> Keys() const { return {keys_.begin(), keys_.begin() + n_}; }

 private:
  static constexpr uint8_t kInline = 8;
  std::array<uint32_t, kInline> keys_{};
  uint8_t n_ = 0;
  std::unique_ptr<HyperLogLog<8>> sketch_;
};

}  // namespace tapwatch::collector::report
