#pragma once
// Text from packets, logs and the command line as valid UTF-8, the one function every string
// field of a record goes through. A proto3 `string` must be valid UTF-8 (RFC 3629): libprotobuf
// refuses to parse a message holding one that is not, and with it the whole batch of records.
// Valid text is kept as it is; each byte that does not belong to a valid sequence (a stray
// continuation byte, an overlong form, a surrogate, a sequence cut short) becomes the four
// characters \xNN, so it stays visible and the record stays readable.

#include <utf8cpp/utf8.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tapwatch::sensor {

namespace valid_utf8_detail {

/// True when no byte has its top bit set. Most text is short ASCII (addresses, state names,
/// interface names): it is checked with a few overlapping word loads and no byte loop.
inline bool IsAscii(std::string_view s) {
  constexpr uint64_t kHigh64 = 0x8080808080808080ull;
  constexpr uint32_t kHigh32 = 0x80808080u;
  const char* p = s.data();
  const size_t n = s.size();
  const auto load64 = [](const char* q) {
    uint64_t w;
    std::memcpy(&w, q, 8);
    return w;
  };
  const auto load32 = [](const char* q) {
    uint32_t w;
    std::memcpy(&w, q, 4);
    return w;
  };
  if (n >= 8) {
    uint64_t any = load64(p + n - 8);
    for (size_t i = 0; i + 8 < n; i += 8) any |= load64(p + i);
    return (any & kHigh64) == 0;
  }
  if (n >= 4) return ((load32(p) | load32(p + n - 4)) & kHigh32) == 0;
  uint32_t any = 0;
  for (size_t i = 0; i < n; ++i) any |= static_cast<uint8_t>(p[i]);
  return (any & 0x80u) == 0;
}

/// The rare path: text with a byte of 0x80 or more, checked and escaped.
[[gnu::noinline]] inline std::string_view EscapeInvalid(std::string_view text,
                                                        std::string& scratch) {
  const char* const end = text.data() + text.size();
  const char* bad = utf8::find_invalid(text.data(), end);
  if (bad == end) return text;
  static constexpr char kHex[] = "0123456789ABCDEF";
  scratch.clear();
  const char* p = text.data();
  while (bad != end) {
    scratch.append(p, bad);
    const auto b = static_cast<uint8_t>(*bad);
    const char escaped[4] = {'\\', 'x', kHex[b >> 4], kHex[b & 0xF]};
    scratch.append(escaped, 4);
    p = bad + 1;
    bad = utf8::find_invalid(p, end);
  }
  scratch.append(p, end);
  return scratch;
}

}  // namespace valid_utf8_detail

/// `text` when it is valid UTF-8; else `text` with every invalid byte written as \xNN (upper-case
/// hex), built in `scratch`. The view is valid as long as `text` and `scratch` are unchanged.
inline std::string_view ValidUtf8(std::string_view text, std::string& scratch) {
  if (valid_utf8_detail::IsAscii(text)) [[likely]] return text;
  return valid_utf8_detail::EscapeInvalid(text, scratch);
}

/// The same, as a string of its own (command-line text, interned names).
inline std::string ValidUtf8(std::string_view text) {
  std::string scratch;
  return std::string(ValidUtf8(text, scratch));
}

}  // namespace tapwatch::sensor
