#include "decoders/netbios_name.h"

#include <algorithm>
#include <array>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tapwatch::decoders {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// "<xx>" for every byte, so a name's escapes are one 4-byte copy each.
constexpr std::array<std::array<char, 4>, 256> MakeHexEscapes() {
  std::array<std::array<char, 4>, 256> t{};
  for (size_t b = 0; b < 256; ++b) t[b] = {'<', kHex[b >> 4], kHex[b & 0xF], '>'};
  return t;
}
constexpr std::array<std::array<char, 4>, 256> kHexEscapes = MakeHexEscapes();

void PushHexByte(uint8_t b, NetbiosNameString& out) {
  for (const char c : kHexEscapes[b]) out.Push(c);
}

// RFC 1001 14.1 first-level decoding of a whole 32-byte label: each byte is 'A' + a nibble, two
// nibbles (high first) per name byte. False when a byte is not 'A'..'P'. On every NBNS packet:
// SSE2 does it in a few instructions (the scalar loop was ~200, not vectorised by the compiler).
bool FoldFirstLevel(std::span<const uint8_t, 32> enc, std::array<uint8_t, 16>& raw) noexcept {
#if defined(__SSE2__)
  const __m128i a = _mm_set1_epi8('A');
  const __m128i v0 = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(enc.data())), a);
  const __m128i v1 =
      _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(enc.data() + 16)), a);
  // Valid bytes are 0..15 after the subtraction (below 'A' wraps above 15): max(v, 15) == 15.
  const __m128i fifteen = _mm_set1_epi8(15);
  const __m128i ok = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v0, fifteen), fifteen),
                                   _mm_cmpeq_epi8(_mm_max_epu8(v1, fifteen), fifteen));
  if (_mm_movemask_epi8(ok) != 0xFFFF) return false;
  // Little-endian 16-bit lanes hold (high nibble | low nibble << 8): byte = high << 4 | low.
  const __m128i low_byte = _mm_set1_epi16(0x00FF);
  const __m128i w0 = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v0, low_byte), 4),
                                  _mm_srli_epi16(v0, 8));
  const __m128i w1 = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v1, low_byte), 4),
                                  _mm_srli_epi16(v1, 8));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(raw.data()), _mm_packus_epi16(w0, w1));
  return true;
#else
  uint8_t bad = 0;
  for (size_t i = 0; i < 16; ++i) {
    const auto hi = static_cast<uint8_t>(enc[2 * i] - 'A');  // wraps above 15 below 'A'
    const auto lo = static_cast<uint8_t>(enc[2 * i + 1] - 'A');
    bad |= static_cast<uint8_t>(hi | lo);
    raw[i] = static_cast<uint8_t>((hi << 4) | (lo & 0xF));
  }
  return bad <= 0xF;
#endif
}

// Bounds on a name: a pointer loop or an endless label list is bad input, not a hang.
constexpr int kMaxPointers = 8;
constexpr int kMaxLabels = 16;

}  // namespace

void RenderNetbiosName(std::span<const uint8_t, 16> raw, NetbiosNameString& out) noexcept {
  // Rendered into a local buffer, then cut as FixedString::Push would cut it (at kNameLen - 1
  // bytes): one bounds check per name instead of one per character. 15 bytes render to at most
  // 60 characters, so only the suffix can be cut.
  char buf[15 * 4 + 4];
  size_t n = 0;
  const auto push_hex = [&](uint8_t b) {
    std::memcpy(buf + n, kHexEscapes[b].data(), 4);
    n += 4;
  };
  for (size_t i = 0; i < 15; ++i) {
    const uint8_t c = raw[i];
    if (c >= 0x20 && c <= 0x7e) {
      buf[n++] = static_cast<char>(c);
    } else {
      push_hex(c);
    }
  }
  // Wireshark trims trailing spaces (the NetBIOS padding) after rendering.
  while (n > 0 && buf[n - 1] == ' ') --n;
  push_hex(raw[15]);
  out.len = static_cast<uint8_t>(std::min(n, kNameLen - 1));
  std::memcpy(out.data.data(), buf, out.len);
}

NameStatus DecodeNetbiosName(ByteReader& in, std::span<const uint8_t> message,
                             NetbiosNameString& out) noexcept {
  ByteReader cur = in;
  bool jumped = false;
  int pointers = 0;
  bool have_first = false;
  bool illegal = false;
  bool terminated = false;
  for (int labels = 0; labels < kMaxLabels + kMaxPointers; ++labels) {
    const auto len = cur.U8();
    if (!len) return NameStatus::kTruncated;
    if ((*len & 0xC0) == 0xC0) {
      // RFC 1035 4.1.4 compression pointer: 14-bit offset from the message start.
      const auto lo = cur.U8();
      if (!lo) return NameStatus::kTruncated;
      if (++pointers > kMaxPointers) return NameStatus::kBad;
      const size_t offset = (size_t{*len & 0x3Fu} << 8) | *lo;
      if (!jumped) {
        in = cur;
        jumped = true;
      }
      if (offset >= message.size()) return NameStatus::kBad;
      cur = ByteReader(message.subspan(offset));
      continue;
    }
    if ((*len & 0xC0) != 0) return NameStatus::kBad;  // 0x40/0x80: reserved label types
    if (*len == 0) {
      terminated = true;
      break;
    }
    if (!have_first) {
      // RFC 1001 14.1: the first label is the 32-byte first-level encoding of 16 bytes.
      if (*len != 32) {
        // Not a NetBIOS encoding, but still a DNS label: skip it so the caller can go on.
        if (!cur.Skip(*len)) return NameStatus::kTruncated;
        illegal = true;
        have_first = true;
        continue;
      }
      // The 32 bytes are checked and folded as one span. A bad byte in the pairs that are there
      // wins over truncation (kBad before kTruncated), as when reading pair by pair.
      const std::span<const uint8_t> enc = cur.Rest();
      std::array<uint8_t, 16> raw;
      if (enc.size() >= 32) {
        if (!FoldFirstLevel(enc.first<32>(), raw)) return NameStatus::kBad;
      } else {
        for (size_t i = 0; i < enc.size() / 2; ++i) {
          if (enc[2 * i] - unsigned{'A'} > 0xF || enc[2 * i + 1] - unsigned{'A'} > 0xF) {
            return NameStatus::kBad;
          }
        }
        return NameStatus::kTruncated;
      }
      cur.Skip(32);
      RenderNetbiosName(raw, out);
      have_first = true;
      continue;
    }
    // Scope label: appended as ".label" (printable bytes only; others shown as <xx>).
    if (illegal) {
      if (!cur.Skip(*len)) return NameStatus::kTruncated;
      continue;
    }
    out.Push('.');
    for (uint8_t i = 0; i < *len; ++i) {
      const auto c = cur.U8();
      if (!c) return NameStatus::kTruncated;
      if (*c >= 0x20 && *c <= 0x7e) {
        out.Push(static_cast<char>(*c));
      } else {
        PushHexByte(*c, out);
      }
    }
  }
  if (!have_first) return NameStatus::kBad;
  if (!terminated) return NameStatus::kBad;
  if (!jumped) in = cur;
  return illegal ? NameStatus::kIllegal : NameStatus::kOk;
}

}  // namespace tapwatch::decoders
