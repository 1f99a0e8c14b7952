#pragma once
// Helpers for the record encoders of the application protocols (smb_record.h, dns/dns_record.h,
// ...): they write a detail's bounded containers through any Writer with WireWriter's field
// calls (sensor/wire_writer.h). Standard library only: the sensor instantiates them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>

#include "decoders/app_detail.h"

namespace tapwatch::decoders {

/// The generated message type of Record's sub-message field `field` (e.g. SmbSummary for
/// FlowRecord::smb()).
#define TAPWATCH_SUMMARY_TYPE(Record, field) \
  std::remove_cvref_t<decltype(std::declval<const Record&>().field())>

/// The strings of a MarkedStringSet, one repeated-string element each. An empty set is skipped
/// on its owner's mask alone, without reading the set's own cache line.
template <typename Writer, typename StringSet>
void WriteSet(uint32_t field, const StringSet& set, uint16_t sets_used, Writer& out) {
  for (const auto& item : set.Items(sets_used)) out.RepeatedString(field, item.view());
}

/// A BoundedCounter as map entries (its keys are distinct by construction); the `other` count
/// goes under `other_key`, outside the keys' range, when non-zero.
template <typename Writer, typename Key, size_t K>
void WriteCounter(uint32_t field, const BoundedCounter<Key, K>& c, uint32_t other_key,
                  Writer& out) {
  for (uint8_t i = 0; i < c.size; ++i) out.MapEntry(field, c.keys[i], c.counts[i]);
  if (c.other) out.MapEntry(field, other_key, c.other);
}

/// Index -> count tables (SMB2 commands, NBNS opcodes): an entry per non-zero count.
template <typename Writer>
void WriteIndexCounts(uint32_t field, std::span<const uint32_t> counts, Writer& out) {
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i]) out.MapEntry(field, static_cast<uint32_t>(i), counts[i]);
  }
}

/// "aa:bb:cc:dd:ee:ff" into `buf` (17 bytes); returns 17.
inline size_t FormatMacTo(const std::array<uint8_t, 6>& mac, char* buf) {
  constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i) buf[3 * i - 1] = ':';
    buf[3 * i] = kHex[mac[i] >> 4];
    buf[3 * i + 1] = kHex[mac[i] & 0xF];
  }
  return 3 * mac.size() - 1;
}

}  // namespace tapwatch::decoders
