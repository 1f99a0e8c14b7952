#include "decoders/netbios_name.h"

#include <array>

namespace tapwatch::decoders {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void PushHexByte(uint8_t b, NetbiosNameString& out) {
  out.Push('<');
  out.Push(kHex[b >> 4]);
  out.Push(kHex[b & 0xF]);
  out.Push('>');
}

// Bounds on a name: a pointer loop or an endless label list is bad input, not a hang.
constexpr int kMaxPointers = 8;
constexpr int kMaxLabels = 16;

}  // namespace

void RenderNetbiosName(std::span<const uint8_t, 16> raw, NetbiosNameString& out) noexcept {
  out.len = 0;
  for (size_t i = 0; i < 15; ++i) {
    const uint8_t c = raw[i];
    if (c >= 0x20 && c <= 0x7e) {
      out.Push(static_cast<char>(c));
    } else {
      PushHexByte(c, out);
    }
  }
  // Wireshark trims trailing spaces (the NetBIOS padding) after rendering.
  while (out.len > 0 && out.data[out.len - 1] == ' ') --out.len;
  PushHexByte(raw[15], out);
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
      std::array<uint8_t, 16> raw{};
      for (size_t i = 0; i < 16; ++i) {
        const auto hi = cur.U8();
        const auto lo = cur.U8();
        if (!hi || !lo) return NameStatus::kTruncated;
        if (*hi < 'A' || *hi > 'P' || *lo < 'A' || *lo > 'P') return NameStatus::kBad;
        raw[i] = static_cast<uint8_t>(((*hi - 'A') << 4) | (*lo - 'A'));
      }
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
