// IPv6 and extension headers (decoders/ipv6.cc), through raw-IP link type 229.
#include "decoders/ipv6.h"

#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

constexpr LinkType kIp = LinkType::kIpv6;

// IPv6 header with payload length `plen` and next header `next`: ::1 -> ::2.
Bytes Ipv6Header(uint16_t plen, uint8_t next) {
  Bytes h = {
      0x6a,
      0xb0,
      0x00,
      0x01,  // version 6, traffic class 0xab, flow label 1
      static_cast<uint8_t>(plen >> 8),
      static_cast<uint8_t>(plen),  // payload length
      next,                        // next header
      0x05,                        // hop limit 5
  };
  for (int i = 0; i < 15; ++i) h.push_back(0);
  h.push_back(1);  // source ::1
  for (int i = 0; i < 15; ++i) h.push_back(0);
  h.push_back(2);  // destination ::2
  return h;
}

const uint8_t kUdp8[] = {0x30, 0x39, 0x01, 0xbb, 0x00, 0x08, 0x00, 0x00};  // 12345 -> 443, len 8
// Hop-by-hop options header, 8 bytes: next = 60 (destination options), length 0, PadN(4).
const uint8_t kHopByHopToDstOpts[] = {0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00};
// Destination options, 16 bytes: next = UDP, length 1 (2 x 8 bytes), PadN(12).
const uint8_t kDstOptsToUdp[] = {0x11, 0x01, 0x01, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

TEST(Ipv6, MinimalPacketNoNextHeader) {
  const auto r = DecodeAs(kIp, Ipv6Header(0, 59));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_version, 6);
  EXPECT_EQ(r.pkt.ip_proto, 59);
  EXPECT_EQ(r.pkt.ip_total_len, 40);
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.ether_type, 0x86dd);
}

TEST(Ipv6, FieldExtraction) {
  const auto r = DecodeAs(kIp, Cat({Ipv6Header(8, 17), kUdp8}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.tos, 0xab);
  EXPECT_EQ(r.pkt.ttl, 5);
  EXPECT_EQ(r.pkt.ip_total_len, 48);
  EXPECT_EQ(r.pkt.src, V6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(r.pkt.dst, V6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(r.pkt.ip_proto, 17);
  EXPECT_EQ(r.pkt.src_port, 12345);
  EXPECT_EQ(r.pkt.dst_port, 443);
  EXPECT_FALSE(r.pkt.is_fragment);
}

TEST(Ipv6, ExtensionHeadersAreWalked) {
  const auto r = DecodeAs(kIp, Cat({Ipv6Header(32, 0), kHopByHopToDstOpts, kDstOptsToUdp, kUdp8}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_proto, 17);
  EXPECT_EQ(r.pkt.dst_port, 443);
  EXPECT_EQ(r.pkt.ip_total_len, 72);
}

TEST(Ipv6, RoutingAndAuthenticationHeaders) {
  const uint8_t routing[] = {0x33, 0x00, 0x00, 0x00, 0, 0, 0, 0};  // next AH, length 0, type 0
  const uint8_t ah[] = {
      0x11, 0x04,              // next UDP, payload length 4: (4 + 2) * 4 = 24 bytes
      0x00, 0x00,              // reserved
      0x00, 0x00, 0x01, 0x00,  // SPI
      0x00, 0x00, 0x00, 0x01,  // sequence
      0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0,  // ICV (12 bytes)
  };
  const auto r = DecodeAs(kIp, Cat({Ipv6Header(40, 43), routing, ah, kUdp8}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_proto, 17);
  EXPECT_EQ(r.pkt.src_port, 12345);
}

TEST(Ipv6, EspStopsTheChain) {
  const uint8_t esp[] = {0, 0, 0, 1, 0, 0, 0, 1, 0xaa, 0xbb};  // SPI, sequence, ciphertext
  const auto r = DecodeAs(kIp, Cat({Ipv6Header(10, 50), esp}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_proto, 50);
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 10u);
}

TEST(Ipv6, Fragments) {
  const uint8_t frag_first[] = {
      0x11, 0x00,              // next UDP, reserved
      0x00, 0x01,              // offset 0, M = 1
      0x00, 0x00, 0x00, 0x2a,  // identification 42
  };
  auto r = DecodeAs(kIp, Cat({Ipv6Header(16, 44), frag_first, kUdp8}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.is_fragment);
  EXPECT_FALSE(r.pkt.is_later_fragment);
  EXPECT_TRUE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.ip_proto, 17);

  const uint8_t frag_later[] = {
      0x11, 0x00,              // next UDP, reserved
      0x00, 0xb8,              // offset 23 (184 bytes), M = 0
      0x00, 0x00, 0x00, 0x2a,  // identification 42
  };
  r = DecodeAs(kIp, Cat({Ipv6Header(16, 44), frag_later, kUdp8}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.is_fragment);
  EXPECT_TRUE(r.pkt.is_later_fragment);
  EXPECT_EQ(r.pkt.fragment_offset, 184);
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 0);
  EXPECT_EQ(r.pkt.ip_proto, 17);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 8u);
}

TEST(Ipv6, BadVersionAndTruncation) {
  Bytes h = Ipv6Header(0, 59);
  h[0] = 0x40;  // version 4 behind EtherType 0x86dd
  auto r = DecodeAs(LinkType::kEthernet, Cat({kEthIpv6, h}));
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv6BadVersion));
  EXPECT_EQ(r.pkt.ip_version, 0);
  r = DecodeAs(LinkType::kEthernet, Cat({kEthIpv6, Ipv6Header(0, 59)}), 14 + 39);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv6Truncated));
}

TEST(Ipv6, PayloadLengthBeyondWire) {
  auto r = DecodeAs(kIp, Cat({Ipv6Header(100, 17), kUdp8}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv6PayloadLengthExceedsFrame));
  EXPECT_EQ(r.pkt.ip_version, 6);                                 // addresses stay usable
  r = DecodeAs(kIp, Cat({Ipv6Header(100, 17), kUdp8}), 48, 140);  // snaplen 48 of 140
  EXPECT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.has_l4);
}

TEST(Ipv6, ExtensionHeaderTruncated) {
  // Payload length 8, but the hop-by-hop header says it is 16 bytes long.
  const uint8_t hbh16[] = {0x11, 0x01, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00};
  auto r = DecodeAs(kIp, Cat({Ipv6Header(8, 0), hbh16}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv6ExtensionHeaderTruncated));
  // Payload shorter than any extension header.
  r = DecodeAs(kIp, Cat({Ipv6Header(4, 60), std::span(hbh16, 4)}));
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv6ExtensionHeaderTruncated));
}

TEST(Ipv6, TooManyExtensionHeaders) {
  const uint8_t dst_to_dst[] = {0x3c, 0x00, 0x01, 0x04, 0, 0, 0, 0};  // next 60, 8 bytes
  Bytes chain;
  for (int i = 0; i < kMaxIpv6ExtensionHeaders; ++i) chain = Cat({chain, dst_to_dst});
  const uint8_t last[] = {0x11, 0x00, 0x01, 0x04, 0, 0, 0, 0};  // next UDP
  // kMax headers is fine...
  Bytes ok_chain = chain;
  ok_chain.resize(ok_chain.size() - 8);
  ok_chain = Cat({ok_chain, last, kUdp8});
  auto r = DecodeAs(kIp, Cat({Ipv6Header(static_cast<uint16_t>(ok_chain.size()), 60), ok_chain}));
  EXPECT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.has_l4);
  // ...one more is not.
  chain = Cat({chain, last, kUdp8});
  r = DecodeAs(kIp, Cat({Ipv6Header(static_cast<uint16_t>(chain.size()), 60), chain}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv6TooManyExtensionHeaders));
  EXPECT_FALSE(r.pkt.has_l4);
}

TEST(Ipv6, EveryPrefixIsHandled) {
  const Bytes p = Cat({Ipv6Header(32, 0), kHopByHopToDstOpts, kDstOptsToUdp, kUdp8});  // 72
  for (size_t n = 0; n <= p.size(); ++n) {
    const auto snap = DecodeAs(kIp, p, n);
    const auto shrt = DecodeShort(kIp, p, n);
    if (n < 40) {
      EXPECT_TRUE(snap.pkt.Has(Anomaly::kIpv6Truncated)) << n;
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIpv6Truncated)) << n;
      continue;
    }
    EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
    EXPECT_EQ(snap.pkt.anomaly_count, 0) << n;
    EXPECT_EQ(snap.pkt.has_l4, n >= 72) << n;
    if (n < p.size()) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIpv6PayloadLengthExceedsFrame)) << n;
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
