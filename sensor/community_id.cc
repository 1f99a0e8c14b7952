#include "sensor/community_id.h"

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include <cstring>
#include <span>
#include <utility>

namespace tapwatch::sensor {
namespace {

// Request/answer message types (Zeek's ICMP_counterpart, the spec's port mapping): either one
// hashes the other as its second port, so a request and its answer get one ID.
struct TypePair {
  uint8_t request, answer;
};
constexpr TypePair kIcmpPairs[] = {
    {8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18},  // echo, timestamp, info, router, mask
};
constexpr TypePair kIcmpv6Pairs[] = {
    // echo, multicast listener, router, neighbour, node information, home agent discovery
    {128, 129}, {130, 131}, {133, 134}, {135, 136}, {139, 140}, {144, 145},
};

// The type answering (or answered by) `type`; -1 for a one-way message (errors, redirects...).
int IcmpCounterpart(uint8_t proto, uint16_t type) {
  const std::span<const TypePair> pairs =
      proto == decoders::kIpProtoIcmp ? std::span<const TypePair>(kIcmpPairs) : kIcmpv6Pairs;
  for (const TypePair& p : pairs) {
    if (type == p.request) return p.answer;
    if (type == p.answer) return p.request;
  }
  return -1;
}

void PutU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace

std::array<uint8_t, 20> CommunityIdDigest(const CommunityIdTuple& t, uint16_t seed) {
  const size_t addr_len = t.src.family == 6 ? 16 : 4;
  uint16_t sport = t.src_port, dport = t.dst_port;
  bool one_way = false;
  if (t.has_ports &&
      (t.ip_proto == decoders::kIpProtoIcmp || t.ip_proto == decoders::kIpProtoIcmpv6)) {
    const int counterpart = IcmpCounterpart(t.ip_proto, sport);
    if (counterpart >= 0) {
      dport = static_cast<uint16_t>(counterpart);
    } else {
      one_way = true;  // an error or a one-way message keeps its direction
    }
  }
  const uint8_t* a = t.src.bytes.data();
  const uint8_t* b = t.dst.bytes.data();
  const int order = std::memcmp(a, b, addr_len);
  if (!one_way && (order > 0 || (order == 0 && t.has_ports && sport > dport))) {
    std::swap(a, b);
    std::swap(sport, dport);
  }
  // seed(2) . saddr . daddr . proto(1) . 0(1) [. sport(2) . dport(2)]: 32-bit aligned.
  uint8_t input[2 + 16 + 16 + 2 + 4];
  uint8_t* p = input;
  PutU16(p, seed);
  p += 2;
  std::memcpy(p, a, addr_len);
  p += addr_len;
  std::memcpy(p, b, addr_len);
  p += addr_len;
  *p++ = t.ip_proto;
  *p++ = 0;
  if (t.has_ports) {
    PutU16(p, sport);
    PutU16(p + 2, dport);
    p += 4;
  }
  sha1_ctx ctx;
  sha1_init(&ctx);
  sha1_update(&ctx, static_cast<size_t>(p - input), input);
  std::array<uint8_t, 20> digest;
  sha1_digest(&ctx, digest.size(), digest.data());
  return digest;
}

size_t FormatCommunityId(const CommunityIdTuple& t, uint16_t seed, char* out) {
  static_assert(kCommunityIdBytes == 2 + BASE64_ENCODE_RAW_LENGTH(20));
  const std::array<uint8_t, 20> digest = CommunityIdDigest(t, seed);
  out[0] = '1';
  out[1] = ':';
  base64_encode_raw(out + 2, digest.size(), digest.data());
  return kCommunityIdBytes;
}

bool FlowCommunityIdTuple(const flowtable::Flow& f, CommunityIdTuple& out) {
  out.src = flowtable::SrcAddr(f);
  out.dst = flowtable::DstAddr(f);
  out.ip_proto = f.key.ip_proto;
  if (decoders::IsPortProtocol(f.key.ip_proto)) {
    out.has_ports = true;
    out.src_port = flowtable::SrcPort(f);
    out.dst_port = flowtable::DstPort(f);
    return true;
  }
  switch (f.key.ip_proto) {
    case decoders::kIpProtoIcmp:
    case decoders::kIpProtoIcmpv6:
      if ((f.bits & flowtable::kBitHasIcmp) == 0) return false;
      out.has_ports = true;
      out.src_port = f.icmp_type;
      out.dst_port = f.icmp_code;
      return true;
    default:
      out.has_ports = false;
      return true;
  }
}

}  // namespace tapwatch::sensor
