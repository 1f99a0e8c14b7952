// Ethernet II / 802.3 framing (decoders/ethernet.cc).
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

const Bytes kFrame = Cat({kEthIpv4, kIpv4Tcp, kTcpMss});  // 62 bytes

TEST(Ethernet, MinimalValidFrameIsIpv4) {
  const auto r = DecodeAs(LinkType::kEthernet, kFrame);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.anomaly_count, 0);
  EXPECT_TRUE(r.pkt.has_mac);
  EXPECT_EQ(r.pkt.dst_mac, (std::array<uint8_t, 6>{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}));
  EXPECT_EQ(r.pkt.src_mac, (std::array<uint8_t, 6>{0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}));
  EXPECT_EQ(r.pkt.ether_type, 0x0800);
  EXPECT_EQ(r.pkt.vlan_outer, 0);
  EXPECT_EQ(r.pkt.ip_version, 4);
  EXPECT_EQ(r.pkt.depth, 3);  // Ethernet, IPv4, TCP
}

TEST(Ethernet, ArpIsUnsupportedWithEtherType) {
  const uint8_t arp[] = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,              // broadcast
      0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,              // source
      0x08, 0x06,                                      // EtherType ARP
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // ARP request header
  };
  const auto r = DecodeAs(LinkType::kEthernet, arp);
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(r.pkt.ether_type, 0x0806);
  EXPECT_EQ(r.pkt.anomaly_count, 0);
  EXPECT_FALSE(r.pkt.is_ip());
}

TEST(Ethernet, Ieee8023LengthFieldIsLlcUnsupported) {
  const uint8_t llc[] = {
      0x03, 0x00, 0x00, 0x00, 0x00, 0x01,  // NetBIOS functional address
      0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // source
      0x00, 0x05,                          // 802.3 length 5
      0xf0, 0xf0, 0x03,                    // LLC: DSAP NetBIOS, SSAP NetBIOS, UI
      0x2c, 0x00,                          // NetBIOS frame start
      0x00, 0x00, 0x00,                    // padding beyond the 802.3 length
  };
  const auto r = DecodeAs(LinkType::kEthernet, llc);
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(r.pkt.ether_type, 0);
  EXPECT_EQ(r.pkt.anomaly_count, 0);
  EXPECT_EQ(r.payload(), (Bytes{0xf0, 0xf0, 0x03, 0x2c, 0x00}));  // clipped to the length
}

TEST(Ethernet, LengthFieldBoundary) {
  Bytes frame = Cat({kEthIpv4, kIpv4Tcp, kTcpMss});
  frame[12] = 0x05;  // 0x05dc = 1500: still a length
  frame[13] = 0xdc;
  EXPECT_EQ(DecodeAs(LinkType::kEthernet, frame).status, DecodeStatus::kUnsupported);
  frame[12] = 0x06;  // 0x0600: first EtherType value (unknown one)
  frame[13] = 0x00;
  const auto r = DecodeAs(LinkType::kEthernet, frame);
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(r.pkt.ether_type, 0x0600);
}

TEST(Ethernet, TruncatedHeaderIsFlagged) {
  for (size_t n = 0; n < 14; ++n) {
    // Both a genuinely short frame and a snaplen cut: without the header nothing decodes.
    for (const auto& r :
         {DecodeShort(LinkType::kEthernet, kFrame, n), DecodeAs(LinkType::kEthernet, kFrame, n)}) {
      EXPECT_EQ(r.status, DecodeStatus::kMalformed) << n;
      EXPECT_TRUE(r.pkt.Has(Anomaly::kEthernetTruncated)) << n;
      EXPECT_FALSE(r.pkt.has_mac) << n;
    }
  }
}

TEST(Ethernet, PaddingBeyondIpTotalLengthIsIgnored) {
  // 60-byte minimum frame carrying a 32-byte IPv4/UDP datagram: 14 bytes of padding.
  Bytes frame = Cat({kEthIpv4, kIpv4Udp, kUdp12});
  frame.resize(60, 0xee);
  const auto r = DecodeAs(LinkType::kEthernet, frame);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_total_len, 32);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 4u);
  EXPECT_EQ(r.payload(), (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(Ethernet, EveryPrefixIsHandled) {
  for (size_t n = 0; n <= kFrame.size(); ++n) {
    const auto snap = DecodeAs(LinkType::kEthernet, kFrame, n);  // snaplen cut
    if (n < 14) {
      EXPECT_TRUE(snap.pkt.Has(Anomaly::kEthernetTruncated)) << n;
    } else if (n < 34) {
      EXPECT_TRUE(snap.pkt.Has(Anomaly::kIpv4Truncated)) << n;
    } else {
      EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;  // snaplen is not an anomaly
      EXPECT_EQ(snap.pkt.src, V4(192, 168, 1, 2)) << n;
      EXPECT_EQ(snap.pkt.has_l4, n >= 54) << n;
    }
    const auto shrt = DecodeShort(LinkType::kEthernet, kFrame, n);  // wire really this short
    if (n == kFrame.size()) {
      EXPECT_EQ(shrt.status, DecodeStatus::kOk);
    } else if (n >= 34) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIpv4TotalLengthExceedsFrame)) << n;
      EXPECT_FALSE(shrt.pkt.has_l4) << n;
    } else {
      EXPECT_EQ(shrt.status, DecodeStatus::kMalformed) << n;
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
