#include "decoders/payload_signature.h"

#include <string_view>

#include "decoders/signature_text.h"

namespace tapwatch::decoders {
namespace {

uint8_t Lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c; }

bool MatchAt(std::span<const uint8_t> hay, size_t at, std::string_view needle) {
  for (size_t k = 0; k < needle.size(); ++k) {
    if (Lower(hay[at + k]) != static_cast<uint8_t>(needle[k])) return false;
  }
  return true;
}

// How common a byte is in typical payloads (HTTP text, SMB, binary): lower is rarer. The search
// anchors on the rarest byte of a pattern so memchr stops at few false candidates.
int Commonness(uint8_t c) {
  if (c == '%' || c == '?' || c == '$' || c == '\\') return 0;
  if (c == 'x' || c == 'q' || c == 'z' || c == 'j' || c == 'k' || c == 'v') return 1;
  if (c >= '0' && c <= '9') return 2;
  if (c >= 'a' && c <= 'z') return 3;
  if (c == '.' || c == '/' || c == ' ' || c == 0) return 5;
  return 4;
}

bool Contains(std::span<const uint8_t> hay, std::string_view needle, size_t anchor) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  // Candidates come from memchr (via string_view::find) on both cases of the anchor byte: this
  // is on the per-packet path, and a byte-at-a-time loop over 1460 bytes per rule was the
  // largest cost of the app decoders in the benchmark.
  const std::string_view text(reinterpret_cast<const char*>(hay.data()), hay.size());
  const char lower = needle[anchor];
  const char upper = lower >= 'a' && lower <= 'z' ? static_cast<char>(lower - 32) : lower;
  const size_t last = hay.size() - needle.size() + anchor;  // last anchor position that fits
  for (const char c : {lower, upper}) {
    for (size_t at = text.find(c, anchor); at != std::string_view::npos && at <= last;
         at = text.find(c, at + 1)) {
      if (MatchAt(hay, at - anchor, needle)) return true;
    }
    if (upper == lower) break;
  }
  return false;
}

}  // namespace

uint32_t PayloadSignatureTable::Match(uint8_t ip_proto, uint16_t dst_port,
                                      std::span<const uint8_t> payload,
                                      uint32_t wire_len) const noexcept {
  uint32_t mask = 0;
  for (size_t i = 0; i < rules.size() && i < kMaxPayloadRules; ++i) {
    const PayloadRule& r = rules[i];
    if (r.ip_proto != 0 && r.ip_proto != ip_proto) continue;
    if (r.dst_port != 0 && r.dst_port != dst_port) continue;
    if (wire_len < r.min_len || wire_len > r.max_len) continue;
    bool ok = true;
    switch (r.match) {
      case PayloadMatch::kNone:
        break;
      case PayloadMatch::kPrefix:
        ok = payload.size() >= r.pattern.size() && MatchAt(payload, 0, r.pattern);
        break;
      case PayloadMatch::kSubstring:
        ok = Contains(payload, r.pattern, r.anchor);
        break;
    }
    if (ok) mask |= 1u << i;
  }
  return mask;
}

bool ParsePayloadSignatures(std::string_view text, PayloadSignatureTable& out, std::string& error) {
  out.rules.clear();
  std::vector<int> lines;
  const auto rows = table_text::Rows(text, lines);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& f = rows[i];
    const std::string where = "payload signatures line " + std::to_string(lines[i]) + ": ";
    if (f.size() != 7) {
      error = where + "expected 7 tab-separated fields";
      return false;
    }
    PayloadRule r;
    r.name = std::string(f[0]);
    if (r.name.empty()) {
      error = where + "empty name";
      return false;
    }
    if (f[1] == "substring") {
      r.match = PayloadMatch::kSubstring;
    } else if (f[1] == "prefix") {
      r.match = PayloadMatch::kPrefix;
    } else if (f[1] == "-") {
      r.match = PayloadMatch::kNone;
    } else {
      error = where + "match must be substring, prefix or -";
      return false;
    }
    if (r.match != PayloadMatch::kNone) {
      const auto p = table_text::Unescape(f[2]);
      if (!p || p->empty()) {
        error = where + "bad or empty pattern";
        return false;
      }
      r.pattern = *p;
      for (char& c : r.pattern) c = static_cast<char>(Lower(static_cast<uint8_t>(c)));
      for (size_t k = 1; k < r.pattern.size() && k < 0xFFFF; ++k) {
        if (Commonness(static_cast<uint8_t>(r.pattern[k])) <
            Commonness(static_cast<uint8_t>(r.pattern[r.anchor]))) {
          r.anchor = static_cast<uint16_t>(k);
        }
      }
    }
    if (f[3] == "tcp") {
      r.ip_proto = 6;
    } else if (f[3] == "udp") {
      r.ip_proto = 17;
    } else if (f[3] != "*") {
      error = where + "proto must be tcp, udp or *";
      return false;
    }
    if (f[4] != "*") {
      const auto port = table_text::Number(f[4], 65535);
      if (!port || *port == 0) {
        error = where + "bad dst_port";
        return false;
      }
      r.dst_port = static_cast<uint16_t>(*port);
    }
    if (f[5] != "*") {
      const size_t dash = f[5].find('-');
      const auto lo = table_text::Number(f[5].substr(0, dash), 65535);
      const auto hi =
          dash == std::string_view::npos ? lo : table_text::Number(f[5].substr(dash + 1), 65535);
      if (!lo || !hi || *hi < *lo) {
        error = where + "bad length (N, N-M or *)";
        return false;
      }
      r.min_len = *lo;
      r.max_len = *hi;
    }
    if (r.match == PayloadMatch::kNone && r.dst_port == 0 && f[5] == "*") {
      error = where + "a rule without a pattern needs a port or a length";
      return false;
    }
    r.hint = std::string(f[6]);
    out.rules.push_back(std::move(r));
  }
  if (out.rules.size() > kMaxPayloadRules) {
    error = "payload signatures: more than 32 rules";
    return false;
  }
  return true;
}

}  // namespace tapwatch::decoders
