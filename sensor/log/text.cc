#include "sensor/log/text.h"

namespace tapwatch::sensor {
namespace {

int HexDigit(char c) { return kHexDigit.value[static_cast<uint8_t>(c)]; }

}  // namespace

bool ParseIpv6(std::string_view s, std::array<uint8_t, 16>* out) {
  // Up to 8 groups; one "::" may stand for a run of zero groups; the last 32 bits may be a dotted
  // quad (RFC 4291 section 2.2, forms 1-3).
  uint16_t head[8] = {};
  uint16_t tail[8] = {};
  int n_head = 0;
  int n_tail = 0;
  bool seen_gap = false;
  size_t pos = 0;
  if (s.size() < 2 || s.size() > 45) return false;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    seen_gap = true;
    pos = 2;
  }
  std::array<uint8_t, 4> v4{};
  bool has_v4 = false;
  while (pos < s.size()) {
    // One group, or a dotted quad at the end.
    size_t end = pos;
    while (end < s.size() && s[end] != ':') ++end;
    const std::string_view group = s.substr(pos, end - pos);
    if (group.find('.') != std::string_view::npos) {
      if (end != s.size() || !ParseIpv4(group, v4.data())) return false;
      has_v4 = true;
      pos = end;
      break;
    }
    uint64_t v = 0;
    if (group.empty() || group.size() > 4 || !ParseHex(group, 0xFFFF, &v)) return false;
    if (group[0] == '0' && group.size() > 1 && (group[1] == 'x' || group[1] == 'X')) return false;
    if (seen_gap) {
      if (n_tail >= 8) return false;
      tail[n_tail++] = static_cast<uint16_t>(v);
    } else {
      if (n_head >= 8) return false;
      head[n_head++] = static_cast<uint16_t>(v);
    }
    pos = end;
    if (pos == s.size()) break;
    ++pos;  // ':'
    if (pos < s.size() && s[pos] == ':') {
      if (seen_gap) return false;
      seen_gap = true;
      ++pos;
    } else if (pos == s.size()) {
      return false;  // trailing single ':'
    }
  }
  const int groups = n_head + n_tail + (has_v4 ? 2 : 0);
  if (seen_gap ? groups > 7 : groups != 8) return false;
  out->fill(0);
  for (int i = 0; i < n_head; ++i) {
    (*out)[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    (*out)[2 * i + 1] = static_cast<uint8_t>(head[i]);
  }
  const int tail_bytes = n_tail * 2 + (has_v4 ? 4 : 0);
  int at = 16 - tail_bytes;
  for (int i = 0; i < n_tail; ++i) {
    (*out)[at++] = static_cast<uint8_t>(tail[i] >> 8);
    (*out)[at++] = static_cast<uint8_t>(tail[i]);
  }
  if (has_v4) {
    for (int i = 0; i < 4; ++i) (*out)[at++] = v4[i];
  }
  return true;
}

bool ParseMacBytes(std::string_view s, size_t n, uint8_t* out) {
  if (n == 0 || s.size() != n * 3 - 1) return false;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && s[i * 3 - 1] != ':') return false;
    const int hi = HexDigit(s[i * 3]);
    const int lo = HexDigit(s[i * 3 + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return true;
}

}  // namespace tapwatch::sensor
