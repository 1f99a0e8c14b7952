// 802.1Q / 802.1ad tags (decoders/vlan.cc).
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

const uint8_t kMacs[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // destination MAC
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,  // source MAC
};
const uint8_t kDot1q100Ipv4[] = {
    0x81, 0x00,  // TPID 802.1Q
    0xa0, 0x64,  // PCP 5, DEI 0, VID 100
    0x08, 0x00,  // inner EtherType IPv4
};
const uint8_t kQinQ[] = {
    0x88, 0xa8,  // TPID 802.1ad (S-tag)
    0x00, 0xc8,  // VID 200
    0x81, 0x00,  // TPID 802.1Q (C-tag)
    0x1f, 0xff,  // PCP 0, DEI 1, VID 4095
    0x86, 0xdd,  // inner EtherType IPv6
};
const uint8_t kUdp12Over6[] = {
    0x00, 0x89, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00,  // UDP 137 -> 53, length 12
    0xde, 0xad, 0xbe, 0xef,                          // payload
};

TEST(Vlan, SingleTag) {
  const Bytes frame = Cat({kMacs, kDot1q100Ipv4, kIpv4Udp, kUdp12});
  const auto r = DecodeAs(LinkType::kEthernet, frame);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.vlan_outer, 100);
  EXPECT_EQ(r.pkt.vlan_inner, 0);
  EXPECT_EQ(r.pkt.ether_type, 0x0800);
  EXPECT_EQ(r.pkt.src_port, 137);
  EXPECT_EQ(r.pkt.depth, 4);
}

TEST(Vlan, QinQOuterAndInner) {
  const Bytes frame = Cat({kMacs, kQinQ, kIpv6Udp, kUdp12Over6});
  const auto r = DecodeAs(LinkType::kEthernet, frame);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.vlan_outer, 200);
  EXPECT_EQ(r.pkt.vlan_inner, 4095);
  EXPECT_EQ(r.pkt.ether_type, 0x86dd);
  EXPECT_EQ(r.pkt.ip_version, 6);
  EXPECT_EQ(r.pkt.dst_port, 53);
}

TEST(Vlan, PreStandardQinQ9100) {
  Bytes frame = Cat({kMacs, kQinQ, kIpv6Udp, kUdp12Over6});
  frame[12] = 0x91;  // TPID 0x9100
  frame[13] = 0x00;
  const auto r = DecodeAs(LinkType::kEthernet, frame);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.vlan_outer, 200);
  EXPECT_EQ(r.pkt.vlan_inner, 4095);
}

TEST(Vlan, LlcInsideTagIsUnsupported) {
  const uint8_t tag_llc[] = {
      0x81, 0x00, 0x00, 0x0a,  // 802.1Q VID 10
      0x00, 0x03,              // 802.3 length 3
      0x42, 0x42, 0x03,        // LLC: STP
  };
  const auto r = DecodeAs(LinkType::kEthernet, Cat({kMacs, tag_llc}));
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(r.pkt.vlan_outer, 10);
  EXPECT_EQ(r.pkt.ether_type, 0);
}

TEST(Vlan, TruncatedTagIsFlagged) {
  const Bytes frame = Cat({kMacs, kDot1q100Ipv4});
  for (size_t n = 14; n < 18; ++n) {
    const auto r = DecodeShort(LinkType::kEthernet, frame, n);
    EXPECT_EQ(r.status, DecodeStatus::kMalformed) << n;
    EXPECT_TRUE(r.pkt.Has(Anomaly::kVlanTruncated)) << n;
  }
}

TEST(Vlan, TooManyTagsIsFlagged) {
  // Ethernet + 7 tags = 8 layers: the IPv4 layer would be the 9th.
  Bytes frame(kMacs, kMacs + sizeof(kMacs));
  const uint8_t tag[] = {0x81, 0x00, 0x00, 0x01};  // TPID 802.1Q, VID 1
  for (int i = 0; i < 7; ++i) frame.insert(frame.end(), tag, tag + 4);
  const uint8_t ipv4_type[] = {0x08, 0x00};
  frame = Cat({frame, ipv4_type, kIpv4Udp, kUdp12});
  const auto r = DecodeAs(LinkType::kEthernet, frame);
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kTooManyLayers));
  EXPECT_EQ(r.pkt.depth, kMaxLayers);
  EXPECT_EQ(r.pkt.ip_version, 0);
  // Six tags still fit (Ethernet + 6 + IPv4 = 8 layers), but UDP would be the 9th.
  Bytes six(kMacs, kMacs + sizeof(kMacs));
  for (int i = 0; i < 6; ++i) six.insert(six.end(), tag, tag + 4);
  six = Cat({six, ipv4_type, kIpv4Udp, kUdp12});
  const auto r6 = DecodeAs(LinkType::kEthernet, six);
  EXPECT_EQ(r6.pkt.ip_version, 4);
  EXPECT_TRUE(r6.pkt.Has(Anomaly::kTooManyLayers));
  EXPECT_FALSE(r6.pkt.has_l4);
}

TEST(Vlan, EveryPrefixIsHandled) {
  const Bytes frame = Cat({kMacs, kQinQ, kIpv6Udp, kUdp12Over6});  // 76 bytes
  for (size_t n = 0; n <= frame.size(); ++n) {
    const auto snap = DecodeAs(LinkType::kEthernet, frame, n);
    const auto shrt = DecodeShort(LinkType::kEthernet, frame, n);
    if (n < 14) {
      EXPECT_TRUE(snap.pkt.Has(Anomaly::kEthernetTruncated)) << n;
    } else if (n < 22) {
      EXPECT_TRUE(snap.pkt.Has(Anomaly::kVlanTruncated)) << n;
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kVlanTruncated)) << n;
    } else if (n < 62) {
      EXPECT_TRUE(snap.pkt.Has(Anomaly::kIpv6Truncated)) << n;
    } else {
      EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
      EXPECT_EQ(snap.pkt.vlan_inner, 4095) << n;
      EXPECT_EQ(snap.pkt.has_l4, n >= 70) << n;
      if (n < frame.size()) {
        EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIpv6PayloadLengthExceedsFrame)) << n;
      }
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
