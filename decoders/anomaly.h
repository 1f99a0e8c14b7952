#pragma once
// Named anomalies. The snake_case names (AnomalyName) are part of the output schema: they appear
// in flow records, stats records and the collector's store, so never rename one; add new ones at
// the end of their group, before kCount.

#include <cstdint>
#include <string_view>

namespace tapwatch::decoders {

enum class Anomaly : uint8_t {
  kNone = 0,
  // Link layer
  kEthernetTruncated,
  kVlanTruncated,
  kTooManyLayers,
  kSllTruncated,
  kNullTruncated,
  kUnknownLinkType,
  // IPv4
  kIpv4Truncated,
  kIpv4BadVersion,
  kIpv4BadHeaderLength,
  kIpv4TotalLengthTooSmall,
  kIpv4TotalLengthExceedsFrame,  // wire length shorter than the IP total length says
  kIpv4BadOptions,
  kIpv4FragmentOverflow,  // offset + length beyond 65535
  // IPv6
  kIpv6Truncated,
  kIpv6BadVersion,
  kIpv6PayloadLengthExceedsFrame,
  kIpv6ExtensionHeaderTruncated,
  kIpv6TooManyExtensionHeaders,
  // TCP / UDP / ICMP
  kTcpTruncated,
  kTcpBadDataOffset,
  kTcpOptionsTruncated,
  kUdpTruncated,
  kUdpBadLength,
  kIcmpTruncated,
  kIcmpv6Truncated,
  kIcmpQuotedPacketTruncated,
  kSctpTruncated,
  // Application decoders
  kNbssTruncated,
  kNbssBadType,
  kNbnsTruncated,
  kNbnsBadName,
  kNbnsBadCount,
  kNbdsTruncated,
  kSmbTruncated,
  kSmbBadHeader,
  kSmbBadAndxChain,
  kSmb2Truncated,
  // Log source
  kLogMissingField,
  kCount
};

/// Stable snake_case name of `a`, e.g. "ipv4_bad_header_length". Never empty.
std::string_view AnomalyName(Anomaly a) noexcept;

/// Inverse of AnomalyName; kNone when unknown.
Anomaly AnomalyFromName(std::string_view name) noexcept;

}  // namespace tapwatch::decoders
