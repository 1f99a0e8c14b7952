// ICMP and ICMPv6 (decoders/icmp.cc), including the packets quoted by error messages.
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

// IPv4 header carrying ICMP with an IP payload of `len` bytes: 8.8.8.8 -> 192.168.0.10.
Bytes Ip(uint16_t len) {
  const uint16_t total = static_cast<uint16_t>(20 + len);
  return {0x45,
          0x00,
          static_cast<uint8_t>(total >> 8),
          static_cast<uint8_t>(total),
          0x00,
          0x00,
          0x00,
          0x00,  // id, flags, offset
          0x40,
          0x01,
          0x00,
          0x00,  // TTL 64, ICMP
          0x08,
          0x08,
          0x08,
          0x08,  // source 8.8.8.8
          0xc0,
          0xa8,
          0x00,
          0x0a};  // destination 192.168.0.10
}

const uint8_t kEchoRequest[] = {
    0x08, 0x00,            // type 8 echo request, code 0
    0x00, 0x00,            // checksum
    0x02, 0x00,            // identifier 512
    0x4b, 0x62,            // sequence 19298
    'p',  'i',  'n', 'g',  // data
};

// Port unreachable quoting UDP 192.168.0.10:33434 -> 8.8.8.8:53.
const uint8_t kPortUnreachable[] = {
    0x03, 0x03,              // type 3 destination unreachable, code 3 port unreachable
    0x00, 0x00,              // checksum
    0x00, 0x00, 0x00, 0x00,  // unused
    // quoted IPv4 header
    0x45, 0x00, 0x00, 0x3c,  // IHL 5, total length 60
    0x00, 0x00, 0x00, 0x00,  // id, flags
    0x01, 0x11, 0x00, 0x00,  // TTL 1, UDP
    0xc0, 0xa8, 0x00, 0x0a,  // source 192.168.0.10
    0x08, 0x08, 0x08, 0x08,  // destination 8.8.8.8
    // first 8 bytes of the quoted datagram
    0x82, 0x9a, 0x00, 0x35,  // UDP 33434 -> 53
    0x00, 0x28, 0x00, 0x00,  // length 40, checksum
};

TEST(Icmp, EchoRequest) {
  const auto r = DecodeAs(LinkType::kIpv4, Cat({Ip(12), kEchoRequest}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.icmp_type, 8);
  EXPECT_EQ(r.pkt.icmp_code, 0);
  EXPECT_EQ(r.pkt.icmp_id, 512);
  EXPECT_EQ(r.pkt.icmp_seq, 19298);
  EXPECT_EQ(r.pkt.src_port, 0);  // the flow table keys ICMP itself
  EXPECT_EQ(r.pkt.dst_port, 0);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 4u);
  EXPECT_FALSE(r.pkt.icmp_quoted.present);
}

TEST(Icmp, MinimalMessage) {
  const uint8_t timestamp[] = {0x0d, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x09};
  const auto r = DecodeAs(LinkType::kIpv4, Cat({Ip(8), timestamp}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.icmp_type, 13);
  EXPECT_EQ(r.pkt.icmp_id, 7);
  EXPECT_EQ(r.pkt.icmp_seq, 9);
}

TEST(Icmp, ErrorQuotesThePacket) {
  const auto r = DecodeAs(LinkType::kIpv4, Cat({Ip(36), kPortUnreachable}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.icmp_type, 3);
  EXPECT_EQ(r.pkt.icmp_code, 3);
  EXPECT_EQ(r.pkt.icmp_id, 0);  // not an echo
  const QuotedPacket& q = r.pkt.icmp_quoted;
  ASSERT_TRUE(q.present);
  EXPECT_EQ(q.src, V4(192, 168, 0, 10));
  EXPECT_EQ(q.dst, V4(8, 8, 8, 8));
  EXPECT_EQ(q.ip_proto, 17);
  EXPECT_EQ(q.src_port, 33434);
  EXPECT_EQ(q.dst_port, 53);
  EXPECT_EQ(q.ip_total_len, 60);
}

TEST(Icmp, QuoteTooShortForItsIpHeader) {
  // Only 12 of the 20 quoted IP header bytes are in the datagram.
  const auto r = DecodeAs(LinkType::kIpv4, Cat({Ip(20), std::span(kPortUnreachable, 20)}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIcmpQuotedPacketTruncated));
  EXPECT_TRUE(r.pkt.has_l4);  // the outer ICMP header did decode
  EXPECT_EQ(r.pkt.icmp_type, 3);
  EXPECT_FALSE(r.pkt.icmp_quoted.present);
  // A quoted IHL of 6 needs 24 bytes; 20 + 8 are there but that is only the header + 4.
  Bytes ihl6(kPortUnreachable, kPortUnreachable + sizeof(kPortUnreachable));
  ihl6[8] = 0x46;
  const auto r6 = DecodeAs(LinkType::kIpv4, Cat({Ip(22), std::span(ihl6.data(), 22)}));
  EXPECT_TRUE(r6.pkt.Has(Anomaly::kIcmpQuotedPacketTruncated));
}

TEST(Icmp, QuoteWithoutPorts) {
  // Exactly the quoted IP header, no transport bytes: addresses but ports 0.
  const auto r = DecodeAs(LinkType::kIpv4, Cat({Ip(28), std::span(kPortUnreachable, 28)}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.icmp_quoted.present);
  EXPECT_EQ(r.pkt.icmp_quoted.src_port, 0);
  EXPECT_EQ(r.pkt.icmp_quoted.ip_proto, 17);
}

TEST(Icmp, Truncated) {
  const auto r = DecodeAs(LinkType::kIpv4, Cat({Ip(7), std::span(kEchoRequest, 7)}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIcmpTruncated));
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.ip_proto, 1);
}

// ICMPv6 over IPv6: fe80::1 -> ff02::1.
Bytes Ip6(uint16_t plen) {
  Bytes h = {0x60, 0x00, 0x00, 0x00, static_cast<uint8_t>(plen >> 8), static_cast<uint8_t>(plen),
             0x3a,   // next header ICMPv6
             0xff};  // hop limit 255
  const uint8_t src[] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const uint8_t dst[] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return Cat({h, src, dst});
}

TEST(Icmpv6, EchoReply) {
  const uint8_t echo_reply[] = {0x81, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x05};  // 129, id, seq
  const auto r = DecodeAs(LinkType::kIpv6, Cat({Ip6(8), echo_reply}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_proto, 58);
  EXPECT_EQ(r.pkt.icmp_type, 129);
  EXPECT_EQ(r.pkt.icmp_id, 0x1234);
  EXPECT_EQ(r.pkt.icmp_seq, 5);
}

TEST(Icmpv6, NeighborSolicitationHasNoIdentifier) {
  const uint8_t ns[] = {0x87, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44};  // 135, reserved
  const auto r = DecodeAs(LinkType::kIpv6, Cat({Ip6(8), ns}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.icmp_type, 135);
  EXPECT_EQ(r.pkt.icmp_id, 0);
}

TEST(Icmpv6, UnreachableQuotesTcp) {
  const uint8_t unreach[] = {0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};  // port unreach
  // Quoted: 2001:db8::2 -> 2001:db8::1 TCP 80 -> 5555, payload length 20.
  Bytes quoted = {0x60, 0, 0, 0, 0x00, 0x14, 0x06, 0x40};
  const uint8_t a2[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const uint8_t a1[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const uint8_t ports[] = {0x00, 0x50, 0x15, 0xb3, 0, 0, 0, 0};  // 80 -> 5555, seq
  quoted = Cat({quoted, a2, a1, ports});
  const auto r = DecodeAs(LinkType::kIpv6, Cat({Ip6(8 + 48), unreach, quoted}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  const QuotedPacket& q = r.pkt.icmp_quoted;
  ASSERT_TRUE(q.present);
  EXPECT_EQ(q.ip_proto, 6);
  EXPECT_EQ(q.src_port, 80);
  EXPECT_EQ(q.dst_port, 5555);
  EXPECT_EQ(q.ip_total_len, 60);
  EXPECT_EQ(q.src, V6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
  // Quote shorter than its 40-byte IPv6 header.
  const auto rt =
      DecodeAs(LinkType::kIpv6, Cat({Ip6(8 + 30), unreach, std::span(quoted.data(), 30)}));
  EXPECT_EQ(rt.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(rt.pkt.Has(Anomaly::kIcmpQuotedPacketTruncated));
  EXPECT_TRUE(rt.pkt.has_l4);
}

TEST(Icmpv6, Truncated) {
  const uint8_t four[] = {0x80, 0x00, 0x00, 0x00};
  const auto r = DecodeAs(LinkType::kIpv6, Cat({Ip6(4), four}));
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIcmpv6Truncated));
  EXPECT_FALSE(r.pkt.has_l4);
}

TEST(Icmp, EveryPrefixIsHandled) {
  const Bytes p = Cat({Ip(36), kPortUnreachable});  // 56 bytes
  for (size_t n = 20; n <= p.size(); ++n) {
    const auto snap = DecodeAs(LinkType::kIpv4, p, n);
    EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;  // snaplen: never an anomaly
    EXPECT_EQ(snap.pkt.has_l4, n >= 28) << n;
    EXPECT_EQ(snap.pkt.icmp_quoted.present, n >= 48) << n;
    EXPECT_EQ(snap.pkt.icmp_quoted.dst_port, n >= 52 ? 53 : 0) << n;
    Bytes shrunk(p.begin(), p.begin() + static_cast<long>(n));
    shrunk[3] = static_cast<uint8_t>(n);  // IP total length = n
    const auto shrt = DecodeAs(LinkType::kIpv4, shrunk);
    if (n < 28) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIcmpTruncated)) << n;
    } else if (n < 48) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIcmpQuotedPacketTruncated)) << n;
      EXPECT_TRUE(shrt.pkt.has_l4) << n;
    } else {
      EXPECT_EQ(shrt.status, DecodeStatus::kOk) << n;
      EXPECT_TRUE(shrt.pkt.icmp_quoted.present) << n;
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
