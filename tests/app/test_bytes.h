#pragma once
// Byte-building helpers for the app-decoder fixtures. Independent of the code under test: the
// NetBIOS first-level encoding here is written from RFC 1001 14.1 directly.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::apptest {

using Bytes = std::vector<uint8_t>;

inline void Append(Bytes& b, std::initializer_list<uint8_t> v) { b.insert(b.end(), v); }
inline void Append(Bytes& b, const Bytes& v) { b.insert(b.end(), v.begin(), v.end()); }
// Byte by byte: GCC 12 mistakes the inlined range insert into a fresh vector for an overflow
// (-Wstringop-overflow).
inline void AppendText(Bytes& b, std::string_view s) {
  for (const char c : s) b.push_back(static_cast<uint8_t>(c));
}
inline void Le16(Bytes& b, uint16_t v) { Append(b, {uint8_t(v), uint8_t(v >> 8)}); }
inline void Le32(Bytes& b, uint32_t v) {
  Append(b, {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)});
}
inline void Be16(Bytes& b, uint16_t v) { Append(b, {uint8_t(v >> 8), uint8_t(v)}); }
inline void Utf16(Bytes& b, std::string_view s, bool nul = true) {
  for (char c : s) Le16(b, static_cast<uint8_t>(c));
  if (nul) Le16(b, 0);
}

/// RFC 1001 14.1: name padded with spaces to 15 bytes + suffix, each nibble + 'A'; length 32
/// label, then the root label (0).
inline Bytes EncodeNetbiosName(std::string_view name, uint8_t suffix, bool terminate = true) {
  std::string raw(name);
  raw.resize(15, ' ');
  raw.push_back(static_cast<char>(suffix));
  Bytes out{32};
  for (unsigned char c : raw) {
    out.push_back(static_cast<uint8_t>('A' + (c >> 4)));
    out.push_back(static_cast<uint8_t>('A' + (c & 0xF)));
  }
  if (terminate) out.push_back(0);
  return out;
}

/// SMB1 header (MS-CIFS 2.2.3.1), 32 bytes.
inline Bytes Smb1Header(uint8_t cmd, uint32_t status = 0, uint8_t flags = 0x18,
                        uint16_t flags2 = 0xC803) {
  Bytes b{0xFF, 'S', 'M', 'B', cmd};
  Le32(b, status);
  b.push_back(flags);
  Le16(b, flags2);
  Le16(b, 0);               // PIDHigh
  b.insert(b.end(), 8, 0);  // SecurityFeatures
  Le16(b, 0);               // Reserved
  Le16(b, 0x0800);          // TID
  Le16(b, 0xfeff);          // PIDLow
  Le16(b, 0x0800);          // UID
  Le16(b, 0x0040);          // MID
  return b;
}

/// SMB1 "Tree Disconnect Request" (0x71), as in the 1.11.0.0/16 leak: header + WordCount 0 +
/// ByteCount 0.
inline Bytes Smb1TreeDisconnect() {
  Bytes b = Smb1Header(0x71);
  Append(b, {0x00, 0x00, 0x00});
  return b;
}

/// SMB1 "Echo Request" (0x2B, MS-CIFS 2.2.4.39.1): WordCount 1, EchoCount 1, ByteCount 4, data.
inline Bytes Smb1Echo() {
  Bytes b = Smb1Header(0x2B);
  Append(b, {0x01, 0x01, 0x00, 0x04, 0x00, 'p', 'i', 'n', 'g'});
  return b;
}

/// NBSS header (RFC 1002 4.3.1): type, flags 0, 16-bit length.
inline Bytes Nbss(uint8_t type, const Bytes& body) {
  Bytes b{type, 0};
  Be16(b, static_cast<uint16_t>(body.size()));
  Append(b, body);
  return b;
}

}  // namespace tapwatch::apptest
