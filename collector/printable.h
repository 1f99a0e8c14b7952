#pragma once
// Text from the store for a terminal or a text file. Sensor ids, log prefixes and interface
// names come from the network and from logs: a control character in them (an ANSI escape
// sequence, a carriage return, a C1 CSI) would act on the reader's terminal or forge lines of the
// output. Each is shown as \xNN instead, one escape per byte; all other text is kept.

#include <cstddef>
#include <string>
#include <string_view>

namespace tapwatch::collector {

/// Bytes of the control character `s` starts with: 1 for C0 (U+0000..U+001F) and DEL, 2 for a
/// C1 control (U+0080..U+009F, UTF-8 C2 80..C2 9F), 0 when it starts with none.
inline size_t ControlCharBytes(std::string_view s) {
  if (s.empty()) return 0;
  const auto b = static_cast<unsigned char>(s[0]);
  if (b < 0x20 || b == 0x7f) return 1;
  if (b == 0xc2 && s.size() > 1 && static_cast<unsigned char>(s[1]) >= 0x80 &&
      static_cast<unsigned char>(s[1]) <= 0x9f) {
    return 2;
  }
  return 0;
}

/// Appends `s` to `out` with every control character's bytes written as \xNN.
inline void AppendPrintable(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < s.size();) {
    size_t n = ControlCharBytes(s.substr(i));
    if (n == 0) {
      out.push_back(s[i++]);
      continue;
    }
    for (; n > 0 && i < s.size(); --n, ++i) {
      const auto b = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
}

/// `s` with every control character's bytes written as \xNN.
inline std::string Printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendPrintable(out, s);
  return out;
}

}  // namespace tapwatch::collector
