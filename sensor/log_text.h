#pragma once
// Allocation-free parsers for the values found in firewall log lines: decimal and hex numbers,
// IPv4/IPv6 addresses, MAC addresses, and a space tokenizer. All take string_views and return
// false on anything they do not accept completely.

#include <array>
#include <cstdint>
#include <string_view>

namespace tapwatch::sensor {

/// Decimal digits only (no sign, no spaces), value <= max.
inline bool ParseDec(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

template <typename T>
inline bool ParseDecAs(std::string_view s, T* out, uint64_t max = static_cast<T>(~T{0})) {
  uint64_t v = 0;
  if (!ParseDec(s, max, &v)) return false;
  *out = static_cast<T>(v);
  return true;
}

/// Hex digits with an optional 0x/0X prefix, value <= max.
bool ParseHex(std::string_view s, uint64_t max, uint64_t* out);

/// Dotted quad a.b.c.d, each 0..255, no leading '+' or spaces. Writes 4 bytes.
bool ParseIpv4(std::string_view s, uint8_t* out4);

/// Textual IPv6 (RFC 4291 2.2, incl. "::" and an embedded IPv4 tail). Writes 16 bytes.
bool ParseIpv6(std::string_view s, std::array<uint8_t, 16>* out);

/// `n` hex byte pairs separated by ':' ("56:00:03:85:82:df"). Writes n bytes.
bool ParseMacBytes(std::string_view s, size_t n, uint8_t* out);

/// Splits on runs of spaces; Next() returns false at the end.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}
  bool Next(std::string_view* tok) {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r')) ++pos_;
    if (pos_ >= s_.size()) return false;
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != '\t' && s_[pos_] != '\r') ++pos_;
    *tok = s_.substr(start, pos_ - start);
    return true;
  }
  size_t position() const { return pos_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace tapwatch::sensor
