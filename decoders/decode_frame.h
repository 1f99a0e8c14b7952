#pragma once
// Entry point of the per-packet path: one captured frame in, one DecodedPacket out.

#include <cstdint>
#include <span>

#include "decoders/packet.h"

namespace tapwatch::decoders {

/// Decodes one captured frame of link type `link` into `pkt`, from the link header down to the
/// transport header. pkt.ts_ns, pkt.wire_len and pkt.cap_len are set by the caller; frame holds
/// cap_len bytes. Every other field of `pkt` is reset first, so one DecodedPacket can be reused.
/// (cap_len is corrected to frame.size() and wire_len raised to at least cap_len if they
/// disagree.) Never allocates, never throws.
///
/// Returns kOk for an IP packet (has_l4 tells whether a TCP/UDP/ICMP header decoded: a later
/// fragment, another protocol or a header cut by snaplen leave it false); kUnsupported for
/// non-IP frames (ARP, LLC, IPX...; pkt.ether_type says which, 0 for 802.3/LLC); kMalformed when
/// at least one anomaly was flagged (pkt.anomalies). Fields decoded before the failure stay set.
/// A snaplen-truncated capture is not an anomaly unless the link or IP header itself is missing.
DecodeStatus DecodeFrame(LinkType link, std::span<const uint8_t> frame,
                         DecodedPacket& pkt) noexcept;

/// True for the LINKTYPE_ values DecodeFrame understands (see LinkType).
bool IsSupportedLinkType(int linktype) noexcept;

/// Decodes a raw IP packet (link types 101, 228, 229): the version nibble selects IPv4 or IPv6.
/// An empty frame is kIpv4Truncated (kIpv6Truncated when `expected_version` is 6, link type
/// 229); another version nibble kIpv4BadVersion (kIpv6BadVersion).
DecodeStatus DecodeRawIp(std::span<const uint8_t> frame, DecodedPacket& pkt,
                         uint8_t expected_version) noexcept;

}  // namespace tapwatch::decoders
