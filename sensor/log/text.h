#pragma once
// Allocation-free parsers for the values found in firewall log lines: decimal and hex numbers,
// IPv4/IPv6 addresses, MAC addresses, and a space tokenizer. All take string_views and return
// false on anything they do not accept completely.

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string_view>

namespace tapwatch::sensor {

/// Decimal digits only (no sign, no spaces), value <= max.
inline bool ParseDec(std::string_view s, uint64_t max, uint64_t* out) {
  // At most 19 digits cannot overflow 64 bits, so one comparison at the end suffices (no
  // per-digit division: this runs ~15 times per log line).
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    const auto d = static_cast<unsigned char>(c - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
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

// Hex digit values, -1 for anything else.
struct HexDigitTable {
  int8_t value[256] = {};
  constexpr HexDigitTable() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<int8_t>(i);
    for (int i = 0; i < 6; ++i) {
      value['a' + i] = static_cast<int8_t>(10 + i);
      value['A' + i] = static_cast<int8_t>(10 + i);
    }
  }
};
inline constexpr HexDigitTable kHexDigit{};

/// Hex digits with an optional 0x/0X prefix, value <= max. Inline: three per netfilter line
/// (TOS=, PREC=, RES=).
inline bool ParseHex(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    const int d = kHexDigit.value[static_cast<uint8_t>(c)];
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  if (v > max) return false;
  *out = v;
  return true;
}

/// Dotted quad a.b.c.d, each 0..255 in 1-3 digits, no leading '+' or spaces. Writes 4 bytes.
/// Inline: two per log line.
inline bool ParseIpv4(std::string_view s, uint8_t* out4) {
  const char* p = s.data();
  const char* const end = p + s.size();
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p == end || *p != '.') return false;
      ++p;
    }
    const char* const first = p;
    unsigned v = 0;
    while (p != end && p - first < 3) {
      const auto d = static_cast<unsigned>(static_cast<unsigned char>(*p) - '0');
      if (d > 9) break;
      v = v * 10 + d;
      ++p;
    }
    if (p == first || v > 255) return false;
    out4[part] = static_cast<uint8_t>(v);
  }
  return p == end;
}

/// Textual IPv6 (RFC 4291 2.2, incl. "::" and an embedded IPv4 tail). Writes 16 bytes.
bool ParseIpv6(std::string_view s, std::array<uint8_t, 16>* out);

/// `n` hex byte pairs separated by ':' ("56:00:03:85:82:df"). Writes n bytes.
bool ParseMacBytes(std::string_view s, size_t n, uint8_t* out);

// Byte classes for the tokenizer: 0 plain, 1 blank (space, tab), 2 '='. A CR only ends a line
// (LogSource strips it there).
struct TokenClassTable {
  uint8_t cls[256] = {};
  constexpr TokenClassTable() {
    cls[static_cast<uint8_t>(' ')] = 1;
    cls[static_cast<uint8_t>('\t')] = 1;
    cls[static_cast<uint8_t>('=')] = 2;
  }
};
inline constexpr TokenClassTable kTokenClass{};

/// Splits on runs of spaces and tabs; Next() returns false at the end.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s) : s_(s) {}
  bool Next(std::string_view* tok) {
    size_t eq;
    return Next(tok, &eq);
  }
  /// Also reports the position of the first '=' in the token (npos if none), found in the same
  /// pass.
  __attribute__((always_inline)) bool Next(std::string_view* tok, size_t* eq) {
    const char* p = s_.data();
    const size_t n = s_.size();
    while (pos_ < n && Class(p[pos_]) == kBlank) ++pos_;
    if (pos_ >= n) return false;
    const size_t start = pos_;
    size_t e = std::string_view::npos;
#if defined(__SSE2__)
    // 16 bytes at a time: one compare each for blank and '=', a movemask, a count of trailing
    // zeros. Most tokens fit in one block; this loop is most of the parsing time.
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i equals = _mm_set1_epi8('=');
    while (pos_ + 16 <= n) {
      const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + pos_));
      const unsigned blank = static_cast<unsigned>(_mm_movemask_epi8(
          _mm_or_si128(_mm_cmpeq_epi8(b, space), _mm_cmpeq_epi8(b, tab))));
      const unsigned eqm = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, equals)));
      const unsigned blank_at = blank ? static_cast<unsigned>(__builtin_ctz(blank)) : 16;
      if (e == std::string_view::npos && eqm) {
        const unsigned eq_at = static_cast<unsigned>(__builtin_ctz(eqm));
        if (eq_at < blank_at) e = pos_ + eq_at - start;
      }
      if (blank_at < 16) {
        pos_ += blank_at;
        *tok = std::string_view(p + start, pos_ - start);
        *eq = e;
        return true;
      }
      pos_ += 16;
    }
#endif
    while (pos_ < n) {
      const uint8_t c = Class(p[pos_]);
      if (c != kPlain) {
        if (c == kBlank) break;
        if (e == std::string_view::npos) e = pos_ - start;
      }
      ++pos_;
    }
    *tok = std::string_view(p + start, pos_ - start);
    *eq = e;
    return true;
  }
  size_t position() const { return pos_; }

 private:
  static constexpr uint8_t kPlain = 0;
  static constexpr uint8_t kBlank = 1;
  static uint8_t Class(char c) { return kTokenClass.cls[static_cast<uint8_t>(c)]; }
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace tapwatch::sensor
