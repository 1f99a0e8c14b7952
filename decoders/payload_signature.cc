#include "decoders/payload_signature.h"

#include <algorithm>
#include <bit>
#include <string_view>

#include "decoders/signature_text.h"

namespace tapwatch::decoders {
namespace {

uint32_t LowBit(uint32_t m) { return m & (~m + 1); }

uint8_t Lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c; }

bool MatchAt(std::span<const uint8_t> hay, size_t at, std::string_view needle) {
  for (size_t k = 0; k < needle.size(); ++k) {
    if (Lower(hay[at + k]) != static_cast<uint8_t>(needle[k])) return false;
  }
  return true;
}

// How common a byte is in typical payloads (HTTP text, SMB, binary): lower is rarer. The search
// anchors on the cheapest byte of a pattern (AnchorCost) so memchr stops at few false candidates.
int Commonness(uint8_t c) {
  if (c == '%' || c == '?' || c == '$' || c == '\\') return 0;
  if (c == 'x' || c == 'q' || c == 'z' || c == 'j' || c == 'k' || c == 'v') return 1;
  if (c >= '0' && c <= '9') return 2;
  if (c >= 'a' && c <= 'z') return 3;
  if (c == '.') return 5;
  if (c == '/' || c == ' ' || c == 0) return 6;
  return 4;
}

// What anchoring a search on `c` costs: a letter takes two memchr passes (both cases), so it
// must be much rarer than a caseless byte to win ("cmd.exe" anchors on '.', not 'x').
int AnchorCost(uint8_t c) { return Commonness(c) + (c >= 'a' && c <= 'z' ? 4 : 0); }

// The most a byte may cost (AnchorCost) to be shared as an anchor by patterns that have a rarer
// byte of their own: one memchr pass over the payload costs far more than the few extra
// candidates a '.' brings, but a letter (two passes) or '/', ' ', NUL (in every request) do not
// pay for themselves.
constexpr int kMaxSharedAnchorCost = 5;

// Re-anchors the substring rules so that they share as few anchor bytes as possible: each
// distinct byte is one memchr pass per payload. Greedy: the byte found in the most patterns
// still unshared (the cheaper on a tie) takes them all; a rule whose bytes are all too common to
// share keeps its own cheapest byte.
void ShareAnchors(std::vector<PayloadRule>& rules) {
  std::vector<PayloadRule*> todo;
  for (PayloadRule& r : rules) {
    if (r.match == PayloadMatch::kSubstring && !r.pattern.empty()) todo.push_back(&r);
  }
  while (!todo.empty()) {
    int best = -1;
    size_t best_count = 0;
    for (int c = 0; c < 256; ++c) {
      if (AnchorCost(static_cast<uint8_t>(c)) > kMaxSharedAnchorCost) continue;
      const size_t n =
          static_cast<size_t>(std::count_if(todo.begin(), todo.end(), [&](const PayloadRule* r) {
            return r->pattern.find(static_cast<char>(c)) != std::string::npos;
          }));
      if (n > best_count ||
          (n == best_count && n != 0 &&
           AnchorCost(static_cast<uint8_t>(c)) < AnchorCost(static_cast<uint8_t>(best)))) {
        best = c;
        best_count = n;
      }
    }
    if (best_count < 2) return;  // nothing left to share: each keeps its own cheapest byte
    std::erase_if(todo, [&](PayloadRule* r) {
      const size_t at = r->pattern.find(static_cast<char>(best));
      if (at == std::string::npos) return false;
      r->anchor = static_cast<uint16_t>(at);
      return true;
    });
  }
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

uint32_t PayloadSignatureTable::MatchSlow(uint8_t ip_proto, uint16_t dst_port,
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

void PayloadSignatureTable::BuildIndex() {
  index_rules_ = SIZE_MAX;
  for (auto& m : proto_mask_) m = 0;
  for (auto& m : prefix_first_byte_) m = 0;
  port_rules_ = len_rules_ = none_rules_ = 0;
  anchor_groups_.clear();
  labels_.clear();
  for (size_t i = 0; i < rules.size(); ++i) {
    const PayloadRule& r = rules[i];
    labels_.push_back(r.name + ": " + r.hint);
    if (i >= kMaxPayloadRules) continue;
    const uint32_t bit = 1u << i;
    if (r.ip_proto == 0 || r.ip_proto == 6) proto_mask_[0] |= bit;
    if (r.ip_proto == 0 || r.ip_proto == 17) proto_mask_[1] |= bit;
    if (r.ip_proto != 6 && r.ip_proto != 17) proto_mask_[2] |= bit;
    if (r.dst_port != 0) port_rules_ |= bit;
    if (r.min_len != 0 || r.max_len != UINT32_MAX) len_rules_ |= bit;
    // An empty pattern matches everything (as in MatchSlow): treat it as a rule without one.
    if (r.match == PayloadMatch::kNone || r.pattern.empty()) {
      none_rules_ |= bit;
    } else if (r.match == PayloadMatch::kPrefix) {
      const auto first = static_cast<uint8_t>(r.pattern[0]);
      for (int b = 0; b < 256; ++b) {
        if (Lower(static_cast<uint8_t>(b)) == first) prefix_first_byte_[b] |= bit;
      }
    } else {
      const char lower = r.pattern[r.anchor];
      auto it = std::find_if(anchor_groups_.begin(), anchor_groups_.end(),
                             [&](const AnchorGroup& g) { return g.lower == lower; });
      if (it == anchor_groups_.end()) {
        AnchorGroup g;
        g.lower = lower;
        g.upper = lower >= 'a' && lower <= 'z' ? static_cast<char>(lower - 32) : lower;
        it = anchor_groups_.insert(anchor_groups_.end(), g);
      }
      it->mask |= bit;
    }
  }
  index_rules_ = rules.size();
}

uint32_t PayloadSignatureTable::Match(uint8_t ip_proto, uint16_t dst_port,
                                      std::span<const uint8_t> payload,
                                      uint32_t wire_len) const noexcept {
  if (index_rules_ != rules.size()) return MatchSlow(ip_proto, dst_port, payload, wire_len);
  uint32_t cand = proto_mask_[ip_proto == 6 ? 0 : ip_proto == 17 ? 1 : 2];
  // Port and length conditions: only the few rules that have one are looked at.
  for (uint32_t m = cand & (port_rules_ | len_rules_); m != 0; m &= m - 1) {
    const PayloadRule& r = rules[static_cast<size_t>(std::countr_zero(m))];
    if ((r.dst_port != 0 && r.dst_port != dst_port) || wire_len < r.min_len ||
        wire_len > r.max_len) {
      cand &= ~(LowBit(m));
    }
  }
  if (cand == 0) return 0;
  uint32_t mask = cand & none_rules_;
  // Prefix rules: only those whose first byte is the payload's first byte.
  if (!payload.empty()) {
    for (uint32_t m = cand & prefix_first_byte_[payload[0]]; m != 0; m &= m - 1) {
      const PayloadRule& r = rules[static_cast<size_t>(std::countr_zero(m))];
      if (payload.size() >= r.pattern.size() && MatchAt(payload, 0, r.pattern)) mask |= LowBit(m);
    }
  }
  // Substring rules: one memchr pass per anchor byte (and its upper case) for the whole group;
  // every hit is tried against each rule of the group not matched yet.
  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  for (const AnchorGroup& g : anchor_groups_) {
    uint32_t todo = cand & g.mask;
    for (const char c : {g.lower, g.upper}) {
      for (size_t at = todo ? text.find(c) : std::string_view::npos; at != std::string_view::npos;
           at = todo ? text.find(c, at + 1) : std::string_view::npos) {
        for (uint32_t m = todo; m != 0; m &= m - 1) {
          const PayloadRule& r = rules[static_cast<size_t>(std::countr_zero(m))];
          if (at < r.anchor || at - r.anchor + r.pattern.size() > payload.size()) continue;
          if (MatchAt(payload, at - r.anchor, r.pattern)) {
            mask |= LowBit(m);
            todo &= ~(LowBit(m));
          }
        }
      }
      if (g.upper == g.lower) break;
    }
  }
  return mask;
}

bool ParsePayloadSignatures(std::string_view text, PayloadSignatureTable& out, std::string& error) {
  out.rules.clear();
  out.BuildIndex();  // an index of no rules: Match checks rule by rule until the one below
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
        if (AnchorCost(static_cast<uint8_t>(r.pattern[k])) <
            AnchorCost(static_cast<uint8_t>(r.pattern[r.anchor]))) {
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
  ShareAnchors(out.rules);
  out.BuildIndex();
  return true;
}

}  // namespace tapwatch::decoders
