// Small helpers the report's sections share: names, trend statistics, distinct counting.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "collector/report/json_value.h"

namespace tapwatch::collector::report {

constexpr int64_t kSecondNs = 1000000000LL;
constexpr int64_t kHourNs = 3600 * kSecondNs;
constexpr int64_t kDayNs = 24 * kHourNs;

/// "tcp", "udp", "icmp", else "ip<N>".
std::string ProtoName(int p);
/// "SYN|ACK", or "none".
std::string FlagNames(int flags);
/// Least-squares slope of y over x = 0..n-1.
double Slope(const std::vector<double>& y);
/// "growing", "shrinking", "stable" or "insufficient-data"; sets the slope and relative change.
std::string Direction(const std::vector<double>& y, double* slope_out, double* change_out);
/// SMB1 command name for a code ("Negotiate"), else "0x.." .
std::string SmbCommandName(int code);
/// Sorts and drops duplicates.
void SortUnique(std::vector<uint64_t>& v);
/// Appends a key to a vector counted as a set; drops duplicates before growing past 1M keys.
void PushKey(std::vector<uint64_t>& v, uint64_t k);
/// A section object with its title and the question it answers (members in this order).
JsonValue NewSection(const char* title, const char* question);

struct Counter {
  int64_t flows = 0;
  int64_t packets = 0;
};

// Hashes for the pass's keys (std::map lookups per row were the pass's main cost).
struct TupleHash {
  static size_t Mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return static_cast<size_t>(h);
  }
  template <typename... T>
  size_t operator()(const std::tuple<T...>& t) const {
    size_t h = 0;
    std::apply([&](const auto&... v) { ((h = Mix(h, static_cast<uint64_t>(v))), ...); }, t);
    return h;
  }
  template <typename A, typename B>
  size_t operator()(const std::pair<A, B>& p) const {
    return Mix(Mix(0, static_cast<uint64_t>(p.first)), static_cast<uint64_t>(p.second));
  }
};
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <typename T>
void Release(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

}  // namespace tapwatch::collector::report
