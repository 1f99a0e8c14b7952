#pragma once
// ICMP echo length fingerprints: a table parsed at start-up from a data file
// (data/icmp_fingerprints.tsv; the default contents are embedded at build time). A rule matches
// on the IP total length, an optional payload pattern (e.g. 0xAA fill for Welchia vs zero fill for
// Windows tracert, which share length 92) and an optional TTL ceiling (TTL <= 1: traceroute).
// Rows are in priority order: the first matching row wins.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::decoders {

enum class IcmpPayloadPattern : uint8_t {
  kAny,     // "*"
  kEmpty,   // "empty": no data after the 8-byte ICMP header
  kFill,    // "fill:HH": every data byte equals HH (at least one byte)
  kPrefix,  // "prefix:TEXT": data starts with TEXT (escapes \xHH allowed)
};

struct IcmpFingerprintRule {
  std::string name;           // label, e.g. "welchia"
  int32_t ip_total_len = -1;  // -1: any
  IcmpPayloadPattern pattern = IcmpPayloadPattern::kAny;
  uint8_t fill = 0;
  std::string prefix;
  int16_t ttl_max = -1;     // -1: any; else matches TTL <= ttl_max
  std::string hint;         // human text
  std::string description;  // "name: ip_len=92 payload=fill:aa ttl=*" (for the record)
};

struct IcmpFingerprintTable {
  std::vector<IcmpFingerprintRule> rules;

  /// Index of the first rule matching an echo packet with this IP total length, TTL and ICMP
  /// data (the bytes after the 8-byte echo header, as captured); -1 when none. Never allocates.
  int Match(uint16_t ip_total_len, uint8_t ttl, std::span<const uint8_t> data,
            uint32_t data_wire_len) const noexcept;
};

/// Parses the TSV text: name, ip_total_len|*, payload pattern, ttl_max|*, hint. On error returns
/// false with `error` naming the line. Start-up only.
bool ParseIcmpFingerprints(std::string_view text, IcmpFingerprintTable& out, std::string& error);

/// The contents of data/icmp_fingerprints.tsv at build time.
std::string_view DefaultIcmpFingerprintsTsv() noexcept;

}  // namespace tapwatch::decoders
