#pragma once
// Community ID v1 (github.com/corelight/community-id-spec): a flow identifier that Zeek,
// Suricata, Arkime and others compute the same way, so their records and ours join on one
// string. SHA-1 over the seed and the ordered tuple, rendered "1:" + base64. Computed once per
// exported record, never per packet.

#include <array>
#include <cstddef>
#include <cstdint>

#include "decoders/packet.h"
#include "flowtable/flow.h"

namespace tapwatch::sensor {

/// Length of "1:" + base64 of a 20-byte SHA-1 digest.
inline constexpr size_t kCommunityIdBytes = 30;

/// A flow tuple as observed (src sent the first packet). Both addresses have the same family.
struct CommunityIdTuple {
  decoders::IpAddress src, dst;
  uint8_t ip_proto = 0;
  /// TCP, UDP, SCTP and ICMP/ICMPv6 hash ports; other protocols hash addresses and protocol only.
  bool has_ports = false;
  uint16_t src_port = 0;  // ICMP/ICMPv6: the message type
  uint16_t dst_port = 0;  // ICMP/ICMPv6: the code
};

/// The SHA-1 digest the ID renders: ICMP type/code mapped to ports as the spec (after Zeek)
/// does, endpoints ordered unless the ICMP message is one-way.
std::array<uint8_t, 20> CommunityIdDigest(const CommunityIdTuple& t, uint16_t seed);

/// Writes "1:<base64 digest>" (kCommunityIdBytes) to `out`; returns its length.
size_t FormatCommunityId(const CommunityIdTuple& t, uint16_t seed, char* out);

/// The tuple of an exported flow: its initiator and responder, and ports as the record has them
/// (ICMP: the type and code of its first message). False when the spec has nothing to hash: an
/// ICMP flow whose header never decoded (no type), which the record then leaves without an ID.
bool FlowCommunityIdTuple(const flowtable::Flow& f, CommunityIdTuple& out);

}  // namespace tapwatch::sensor
