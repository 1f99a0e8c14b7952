#pragma once
// Payload signatures (Code Red, Nimda and friends): a table parsed at start-up from a data file
// (data/payload_signatures.tsv; the default contents are embedded at build time). Each row has a
// rule name, a match (substring anywhere / prefix / none), optional IP protocol, destination port
// and payload length conditions, and a hint text. A match is a HINT with its rule name, never a
// verdict. Text matches are ASCII case-insensitive ("cmd.exe" also finds "CMD.EXE").

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::decoders {

enum class PayloadMatch : uint8_t { kSubstring, kPrefix, kNone };

struct PayloadRule {
  std::string name;
  PayloadMatch match = PayloadMatch::kNone;
  std::string pattern;    // lower-cased for the case-insensitive compare
  uint16_t anchor = 0;  // index in pattern of its rarest-looking byte (the memchr target)
  uint8_t ip_proto = 0;   // 0: any; 6 tcp; 17 udp
  uint16_t dst_port = 0;  // 0: any
  uint32_t min_len = 0;   // payload length on the wire (from headers)
  uint32_t max_len = UINT32_MAX;
  std::string hint;
};

inline constexpr size_t kMaxPayloadRules = 32;  // matches are kept as a 32-bit mask per flow

struct PayloadSignatureTable {
  std::vector<PayloadRule> rules;

  /// Bit i set when rule i matches this payload (captured bytes `payload`, wire length
  /// `wire_len`) sent to `dst_port` over `ip_proto`. Never allocates. Uses the index built by
  /// BuildIndex (ParsePayloadSignatures builds it); without an index matching `rules` it checks
  /// every rule one by one, with the same result.
  uint32_t Match(uint8_t ip_proto, uint16_t dst_port, std::span<const uint8_t> payload,
                 uint32_t wire_len) const noexcept;

  /// Builds the per-packet lookup index from `rules` (start-up only). Call again after editing
  /// `rules` by hand.
  void BuildIndex();

  /// "name: hint" of rule i (the payload label text), built by BuildIndex; empty without it.
  std::string_view Label(size_t i) const noexcept {
    return i < labels_.size() && index_rules_ == rules.size() ? std::string_view(labels_[i])
                                                                : std::string_view();
  }

 private:
  // Rules whose pattern shares one (lower-case) anchor byte: one memchr pass per case finds the
  // candidates of all of them.
  struct AnchorGroup {
    char lower = 0, upper = 0;
    uint32_t mask = 0;
  };
  uint32_t MatchSlow(uint8_t ip_proto, uint16_t dst_port, std::span<const uint8_t> payload,
                     uint32_t wire_len) const noexcept;

  size_t index_rules_ = SIZE_MAX;          // rules.size() when the index was built
  uint32_t proto_mask_[3] = {};            // rules allowed for tcp, udp, other protocols
  uint32_t port_rules_ = 0;                // rules with a dst_port condition
  uint32_t len_rules_ = 0;                 // rules with a length condition
  uint32_t none_rules_ = 0;                // rules without a pattern
  uint32_t prefix_first_byte_[256] = {};   // prefix rules whose first byte matches payload[0]
  std::vector<AnchorGroup> anchor_groups_;  // substring rules by anchor byte
  std::vector<std::string> labels_;
};

/// Parses the TSV text: name, match (substring|prefix|-), pattern (escapes \xHH \s \t \\),
/// proto (tcp|udp|*), dst_port|*, length (N | N-M | *), hint. Start-up only.
bool ParsePayloadSignatures(std::string_view text, PayloadSignatureTable& out, std::string& error);

/// The contents of data/payload_signatures.tsv at build time.
std::string_view DefaultPayloadSignaturesTsv() noexcept;

}  // namespace tapwatch::decoders
