// Cross-check against libtins: a few thousand random but valid packets (Ethernet, 802.1Q tags,
// IPv4/IPv6 with extension headers and fragments, TCP with options, UDP, ICMP, ICMPv6 echo and
// errors) are built and serialized by libtins with a fixed seed, decoded by DecodeFrame, and every
// field is compared with libtins' parse of the same bytes (or, where libtins does not parse a
// field, with the value we asked libtins to write).
#include <gtest/gtest.h>
#include <tins/tins.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "decoders/decode_frame.h"

namespace tapwatch::decoders {
namespace {

using Tins::Dot1Q;
using Tins::EthernetII;
using Tins::ICMP;
using Tins::ICMPv6;
using Tins::IP;
using Tins::IPv6;
using Tins::RawPDU;
using Tins::TCP;
using Tins::UDP;

std::string ToString(const IpAddress& a) {
  if (a.family == 4) {
    return std::to_string(a.bytes[0]) + "." + std::to_string(a.bytes[1]) + "." +
           std::to_string(a.bytes[2]) + "." + std::to_string(a.bytes[3]);
  }
  return Tins::IPv6Address(a.bytes.data()).to_string();
}

// The transport PDU as libtins parses it. libtins leaves the payload of a fragmented IP packet raw
// (it does not parse transport headers of fragments), so parse those bytes explicitly.
template <typename T>
std::optional<T> Transport(const EthernetII& parsed) {
  if (const T* p = parsed.find_pdu<T>()) return *p;
  const RawPDU* raw = parsed.find_pdu<RawPDU>();
  if (raw == nullptr) return std::nullopt;
  return T(raw->payload().data(), static_cast<uint32_t>(raw->payload().size()));
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  uint32_t Next(uint32_t lo, uint32_t hi) {  // inclusive
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng_);
  }
  bool Coin(int percent = 50) { return Next(0, 99) < static_cast<uint32_t>(percent); }

  Tins::HWAddress<6> Mac() {
    uint8_t b[6];
    for (auto& x : b) x = static_cast<uint8_t>(Next(0, 255));
    return Tins::HWAddress<6>(b);
  }
  std::string V4() {
    return std::to_string(Next(1, 223)) + "." + std::to_string(Next(0, 255)) + "." +
           std::to_string(Next(0, 255)) + "." + std::to_string(Next(1, 254));
  }
  Tins::IPv6Address V6() {
    uint8_t b[16];
    for (auto& x : b) x = static_cast<uint8_t>(Next(0, 255));
    b[0] = 0x20;
    return Tins::IPv6Address(b);
  }
  std::vector<uint8_t> Payload(uint32_t max) {
    std::vector<uint8_t> p(Next(0, max));
    for (auto& x : p) x = static_cast<uint8_t>(Next(0, 255));
    return p;
  }

 private:
  std::mt19937 rng_;
};

// What we asked libtins to build, for fields libtins does not parse back.
struct Intent {
  int vlan_tags = 0;
  uint16_t vlan[2] = {0, 0};
  bool ipv6 = false;
  bool later_fragment = false;
  uint16_t fragment_offset_bytes = 0;
  bool fragment = false;
  uint8_t l4 = 0;  // 6, 17, 1, 58
  bool icmp_error = false;
  std::string quoted_src, quoted_dst;
  uint16_t quoted_sport = 0, quoted_dport = 0;
  std::vector<uint8_t> payload;
};

Tins::PDU* MakeL4(Generator& g, Intent& in) {
  in.payload = g.Payload(300);
  switch (in.l4) {
    case kIpProtoTcp: {
      auto* tcp =
          new TCP(static_cast<uint16_t>(g.Next(0, 65535)), static_cast<uint16_t>(g.Next(0, 65535)));
      tcp->seq(g.Next(0, UINT32_MAX));
      tcp->ack_seq(g.Next(0, UINT32_MAX));
      tcp->flags(static_cast<uint16_t>(g.Next(0, 255)));
      tcp->window(static_cast<uint16_t>(g.Next(0, 65535)));
      if (g.Coin()) tcp->mss(static_cast<uint16_t>(g.Next(500, 9000)));
      if (g.Coin(30)) tcp->sack_permitted();
      if (g.Coin(30)) tcp->timestamp(g.Next(0, UINT32_MAX), g.Next(0, UINT32_MAX));
      if (g.Coin(30)) tcp->winscale(static_cast<uint8_t>(g.Next(0, 14)));
      if (!in.payload.empty()) *tcp /= RawPDU(in.payload);
      return tcp;
    }
    case kIpProtoUdp: {
      auto* udp =
          new UDP(static_cast<uint16_t>(g.Next(0, 65535)), static_cast<uint16_t>(g.Next(0, 65535)));
      if (!in.payload.empty()) *udp /= RawPDU(in.payload);
      return udp;
    }
    case kIpProtoIcmp: {
      if (g.Coin(70)) {
        auto* icmp = new ICMP(g.Coin() ? ICMP::ECHO_REQUEST : ICMP::ECHO_REPLY);
        icmp->id(static_cast<uint16_t>(g.Next(0, 65535)));
        icmp->sequence(static_cast<uint16_t>(g.Next(0, 65535)));
        if (!in.payload.empty()) *icmp /= RawPDU(in.payload);
        return icmp;
      }
      // Error quoting an IPv4/UDP packet (RFC 792: IP header + 8 bytes, here the whole packet).
      in.icmp_error = true;
      in.payload.clear();
      auto* icmp = new ICMP(g.Coin() ? ICMP::DEST_UNREACHABLE : ICMP::TIME_EXCEEDED);
      in.quoted_src = g.V4();
      in.quoted_dst = g.V4();
      in.quoted_sport = static_cast<uint16_t>(g.Next(1, 65535));
      in.quoted_dport = static_cast<uint16_t>(g.Next(1, 65535));
      *icmp /= IP(in.quoted_dst, in.quoted_src) / UDP(in.quoted_dport, in.quoted_sport);
      return icmp;
    }
    default: {
      if (g.Coin(70)) {
        auto* icmp = new ICMPv6(g.Coin() ? ICMPv6::ECHO_REQUEST : ICMPv6::ECHO_REPLY);
        icmp->identifier(static_cast<uint16_t>(g.Next(0, 65535)));
        icmp->sequence(static_cast<uint16_t>(g.Next(0, 65535)));
        if (!in.payload.empty()) *icmp /= RawPDU(in.payload);
        return icmp;
      }
      in.icmp_error = true;
      in.payload.clear();
      auto* icmp = new ICMPv6(ICMPv6::DEST_UNREACHABLE);
      const auto qs = g.V6();
      const auto qd = g.V6();
      in.quoted_src = qs.to_string();
      in.quoted_dst = qd.to_string();
      in.quoted_sport = static_cast<uint16_t>(g.Next(1, 65535));
      in.quoted_dport = static_cast<uint16_t>(g.Next(1, 65535));
      *icmp /= IPv6(qd, qs) / UDP(in.quoted_dport, in.quoted_sport);
      return icmp;
    }
  }
}

EthernetII MakeFrame(Generator& g, Intent& in) {
  EthernetII eth(g.Mac(), g.Mac());
  Tins::PDU* tail = &eth;
  in.vlan_tags = static_cast<int>(g.Next(0, 2));
  for (int i = 0; i < in.vlan_tags; ++i) {
    in.vlan[i] = static_cast<uint16_t>(g.Next(1, 4094));
    tail->inner_pdu(new Dot1Q(in.vlan[i]));
    tail = tail->inner_pdu();
  }
  in.ipv6 = g.Coin(40);
  if (!in.ipv6) {
    IP* ip = new IP(g.V4(), g.V4());
    ip->ttl(static_cast<uint8_t>(g.Next(1, 255)));
    ip->tos(static_cast<uint8_t>(g.Next(0, 255)));
    ip->id(static_cast<uint16_t>(g.Next(0, 65535)));
    const uint32_t kind = g.Next(0, 9);  // 0: later fragment, 1: first fragment, else whole
    if (kind == 0) {
      ip->fragment_offset(static_cast<uint16_t>(g.Next(1, 1000)));
      in.fragment = in.later_fragment = true;
      in.fragment_offset_bytes = static_cast<uint16_t>(ip->fragment_offset() * 8);
      ip->flags(g.Coin() ? IP::MORE_FRAGMENTS : IP::Flags(0));
    } else if (kind == 1) {
      ip->flags(IP::MORE_FRAGMENTS);
      in.fragment = true;
    } else {
      ip->flags(g.Coin() ? IP::DONT_FRAGMENT : IP::Flags(0));
    }
    const uint8_t protos[] = {kIpProtoTcp, kIpProtoUdp, kIpProtoIcmp};
    in.l4 = protos[g.Next(0, 2)];
    tail->inner_pdu(ip);
    ip->inner_pdu(MakeL4(g, in));
  } else {
    IPv6* ip = new IPv6(g.V6(), g.V6());
    ip->hop_limit(static_cast<uint8_t>(g.Next(1, 255)));
    ip->traffic_class(static_cast<uint8_t>(g.Next(0, 255)));
    if (g.Coin(20)) {
      const uint8_t pad[] = {1, 4, 0, 0, 0, 0};  // PadN(4): 8-byte hop-by-hop header
      ip->add_header(IPv6::ext_header(IPv6::HOP_BY_HOP, pad, pad + sizeof(pad)));
    }
    if (g.Coin(20)) {
      const uint8_t pad[] = {1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // 16-byte dst options
      ip->add_header(IPv6::ext_header(IPv6::DESTINATION_OPTIONS, pad, pad + sizeof(pad)));
    }
    if (g.Coin(15)) {
      in.fragment = true;
      const uint16_t off8 = g.Coin() ? static_cast<uint16_t>(g.Next(1, 500)) : 0;
      in.later_fragment = off8 != 0;
      in.fragment_offset_bytes = static_cast<uint16_t>(off8 * 8);
      const uint16_t of = static_cast<uint16_t>((off8 << 3) | (g.Coin() ? 1 : 0));
      const uint8_t frag[] = {static_cast<uint8_t>(of >> 8), static_cast<uint8_t>(of), 0, 0, 0, 7};
      ip->add_header(IPv6::ext_header(IPv6::FRAGMENT, frag, frag + sizeof(frag)));
    }
    const uint8_t protos[] = {kIpProtoTcp, kIpProtoUdp, kIpProtoIcmpv6};
    in.l4 = protos[g.Next(0, 2)];
    tail->inner_pdu(ip);
    ip->inner_pdu(MakeL4(g, in));
  }
  return eth;
}

TEST(LibtinsCrossCheck, RandomValidPacketsDecodeLikeLibtins) {
  Generator g(20261121);
  constexpr int kPackets = 4000;
  int checked_l4 = 0;
  for (int i = 0; i < kPackets; ++i) {
    Intent in;
    EthernetII built = MakeFrame(g, in);
    const std::vector<uint8_t> bytes = built.serialize();
    SCOPED_TRACE("packet " + std::to_string(i) + " size " + std::to_string(bytes.size()));

    DecodedPacket pkt;
    pkt.wire_len = pkt.cap_len = static_cast<uint32_t>(bytes.size());
    const DecodeStatus status = DecodeFrame(LinkType::kEthernet, bytes, pkt);
    ASSERT_EQ(status, DecodeStatus::kOk);
    ASSERT_EQ(pkt.anomaly_count, 0);

    const EthernetII parsed(bytes.data(), static_cast<uint32_t>(bytes.size()));
    ASSERT_TRUE(pkt.has_mac);
    EXPECT_EQ(Tins::HWAddress<6>(pkt.src_mac.data()), parsed.src_addr());
    EXPECT_EQ(Tins::HWAddress<6>(pkt.dst_mac.data()), parsed.dst_addr());

    // VLAN tags: libtins parses 0x8100 tags as nested Dot1Q PDUs.
    uint16_t ether_type = parsed.payload_type();
    int tags = 0;
    uint16_t vids[2] = {0, 0};
    for (const Tins::PDU* p = parsed.inner_pdu(); p && p->pdu_type() == Tins::PDU::DOT1Q;
         p = p->inner_pdu()) {
      const auto* d = static_cast<const Dot1Q*>(p);
      if (tags < 2) vids[tags] = d->id();
      ++tags;
      ether_type = d->payload_type();
    }
    ASSERT_EQ(tags, in.vlan_tags);
    EXPECT_EQ(pkt.vlan_outer, vids[0]);
    EXPECT_EQ(pkt.vlan_inner, vids[1]);
    EXPECT_EQ(pkt.vlan_outer, in.vlan[0]);
    EXPECT_EQ(pkt.ether_type, ether_type);

    if (!in.ipv6) {
      const IP* ip = parsed.find_pdu<IP>();
      ASSERT_NE(ip, nullptr);
      EXPECT_EQ(pkt.ip_version, 4);
      EXPECT_EQ(ToString(pkt.src), ip->src_addr().to_string());
      EXPECT_EQ(ToString(pkt.dst), ip->dst_addr().to_string());
      EXPECT_EQ(pkt.ip_proto, ip->protocol());
      EXPECT_EQ(pkt.ip_total_len, ip->tot_len());
      EXPECT_EQ(pkt.ttl, ip->ttl());
      EXPECT_EQ(pkt.tos, ip->tos());
      EXPECT_EQ(pkt.ip_id, ip->id());
      EXPECT_EQ(pkt.dont_fragment, (ip->flags() & IP::DONT_FRAGMENT) != 0);
      EXPECT_EQ(pkt.fragment_offset, ip->fragment_offset() * 8);
      EXPECT_EQ(pkt.is_fragment,
                (ip->flags() & IP::MORE_FRAGMENTS) != 0 || ip->fragment_offset() != 0);
    } else {
      const IPv6* ip = parsed.find_pdu<IPv6>();
      ASSERT_NE(ip, nullptr);
      EXPECT_EQ(pkt.ip_version, 6);
      EXPECT_EQ(ToString(pkt.src), ip->src_addr().to_string());
      EXPECT_EQ(ToString(pkt.dst), ip->dst_addr().to_string());
      EXPECT_EQ(pkt.ip_total_len, 40 + ip->payload_length());
      EXPECT_EQ(pkt.ttl, ip->hop_limit());
      EXPECT_EQ(pkt.tos, ip->traffic_class());
      EXPECT_EQ(pkt.is_fragment, in.fragment);
      EXPECT_EQ(pkt.fragment_offset, in.fragment_offset_bytes);
      EXPECT_EQ(pkt.ip_proto, in.l4);
    }
    EXPECT_EQ(pkt.is_later_fragment, in.later_fragment);
    if (in.later_fragment) {
      EXPECT_FALSE(pkt.has_l4);
      continue;  // libtins parses the fragment data as a transport header; we must not
    }
    ASSERT_TRUE(pkt.has_l4);
    ++checked_l4;
    switch (in.l4) {
      case kIpProtoTcp: {
        const auto tcp = Transport<TCP>(parsed);
        ASSERT_TRUE(tcp.has_value());
        EXPECT_EQ(pkt.src_port, tcp->sport());
        EXPECT_EQ(pkt.dst_port, tcp->dport());
        EXPECT_EQ(pkt.tcp_seq, tcp->seq());
        EXPECT_EQ(pkt.tcp_ack, tcp->ack_seq());
        EXPECT_EQ(pkt.tcp_flags, tcp->flags() & 0xff);
        EXPECT_EQ(pkt.tcp_window, tcp->window());
        break;
      }
      case kIpProtoUdp: {
        const auto udp = Transport<UDP>(parsed);
        ASSERT_TRUE(udp.has_value());
        EXPECT_EQ(pkt.src_port, udp->sport());
        EXPECT_EQ(pkt.dst_port, udp->dport());
        if (!in.fragment) {
          EXPECT_EQ(pkt.l4_payload_wire_len, udp->length() - 8u);
        }
        break;
      }
      case kIpProtoIcmp: {
        const auto icmp = Transport<ICMP>(parsed);
        ASSERT_TRUE(icmp.has_value());
        EXPECT_EQ(pkt.icmp_type, icmp->type());
        EXPECT_EQ(pkt.icmp_code, icmp->code());
        EXPECT_EQ(pkt.src_port, 0);
        if (!in.icmp_error) {
          EXPECT_EQ(pkt.icmp_id, icmp->id());
          EXPECT_EQ(pkt.icmp_seq, icmp->sequence());
        }
        break;
      }
      default: {
        const auto icmp = Transport<ICMPv6>(parsed);
        ASSERT_TRUE(icmp.has_value());
        EXPECT_EQ(pkt.icmp_type, icmp->type());
        EXPECT_EQ(pkt.icmp_code, icmp->code());
        if (!in.icmp_error) {
          EXPECT_EQ(pkt.icmp_id, icmp->identifier());
          EXPECT_EQ(pkt.icmp_seq, icmp->sequence());
        }
        break;
      }
    }
    if (in.icmp_error) {
      ASSERT_TRUE(pkt.icmp_quoted.present);
      EXPECT_EQ(ToString(pkt.icmp_quoted.src), in.quoted_src);
      EXPECT_EQ(ToString(pkt.icmp_quoted.dst), in.quoted_dst);
      EXPECT_EQ(pkt.icmp_quoted.ip_proto, kIpProtoUdp);
      EXPECT_EQ(pkt.icmp_quoted.src_port, in.quoted_sport);
      EXPECT_EQ(pkt.icmp_quoted.dst_port, in.quoted_dport);
    } else if (!in.fragment) {
      // The payload we asked for, byte for byte (padding excluded).
      EXPECT_EQ(pkt.l4_payload_wire_len, in.payload.size());
      EXPECT_EQ(std::vector<uint8_t>(pkt.l4_payload.begin(), pkt.l4_payload.end()), in.payload);
    }
  }
  EXPECT_GT(checked_l4, kPackets / 2);
}

}  // namespace
}  // namespace tapwatch::decoders
