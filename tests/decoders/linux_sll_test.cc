// Linux cooked capture v1 / v2 (decoders/linux_sll.cc).
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

const uint8_t kSllIpv4[] = {
    0x00, 0x00,                                      // packet type: to us
    0x00, 0x01,                                      // ARPHRD_ETHER
    0x00, 0x06,                                      // address length 6
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x00,  // source address, padded to 8
    0x08, 0x00,                                      // protocol IPv4
};
const uint8_t kSll2Ipv4[] = {
    0x08, 0x00,                                      // protocol IPv4
    0x00, 0x00,                                      // reserved
    0x00, 0x00, 0x00, 0x02,                          // interface index 2
    0x00, 0x01,                                      // ARPHRD_ETHER
    0x04,                                            // packet type: outgoing
    0x06,                                            // address length 6
    0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x00, 0x00,  // address, padded to 8
};

TEST(LinuxSll, V1Ipv4Udp) {
  const auto r = DecodeAs(LinkType::kLinuxSll, Cat({kSllIpv4, kIpv4Udp, kUdp12}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ether_type, 0x0800);
  EXPECT_FALSE(r.pkt.has_mac);
  EXPECT_EQ(r.pkt.src, V4(10, 1, 1, 1));
  EXPECT_EQ(r.pkt.dst_port, 53);
}

TEST(LinuxSll, V1ArpAndLlcAreUnsupported) {
  Bytes arp = Cat({kSllIpv4});
  arp[14] = 0x08;  // protocol ARP
  arp[15] = 0x06;
  auto r = DecodeAs(LinkType::kLinuxSll, arp);
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(r.pkt.ether_type, 0x0806);
  Bytes llc = Cat({kSllIpv4});
  llc[14] = 0x00;  // protocol 4: 802.2 LLC frame follows
  llc[15] = 0x04;
  r = DecodeAs(LinkType::kLinuxSll, llc);
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(r.pkt.ether_type, 0);
  EXPECT_EQ(r.pkt.anomaly_count, 0);
}

TEST(LinuxSll, NetlinkIsUnsupported) {
  Bytes nl = Cat({kSllIpv4, kIpv4Udp});
  nl[2] = 0x03;  // ARPHRD_NETLINK (824): protocol is a netlink family
  nl[3] = 0x38;
  EXPECT_EQ(DecodeAs(LinkType::kLinuxSll, nl).status, DecodeStatus::kUnsupported);
}

TEST(LinuxSll, V2Ipv4Udp) {
  const auto r = DecodeAs(LinkType::kLinuxSll2, Cat({kSll2Ipv4, kIpv4Udp, kUdp12}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ether_type, 0x0800);
  EXPECT_EQ(r.pkt.dst, V4(10, 2, 2, 2));
  EXPECT_EQ(r.pkt.src_port, 137);
}

TEST(LinuxSll, V1VlanProtocolIsFollowed) {
  Bytes frame = Cat({kSllIpv4});
  frame[14] = 0x81;  // protocol 802.1Q: a tag follows
  frame[15] = 0x00;
  const uint8_t tag[] = {0x00, 0x07, 0x08, 0x00};  // VID 7, IPv4
  const auto r = DecodeAs(LinkType::kLinuxSll, Cat({frame, tag, kIpv4Udp, kUdp12}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.vlan_outer, 7);
}

TEST(LinuxSll, EveryPrefixIsHandled) {
  const Bytes v1 = Cat({kSllIpv4, kIpv4Udp, kUdp12});
  const Bytes v2 = Cat({kSll2Ipv4, kIpv4Udp, kUdp12});
  for (const auto& [link, frame, hdr] : {std::tuple{LinkType::kLinuxSll, v1, size_t{16}},
                                         std::tuple{LinkType::kLinuxSll2, v2, size_t{20}}}) {
    for (size_t n = 0; n <= frame.size(); ++n) {
      const auto snap = DecodeAs(link, frame, n);
      const auto shrt = DecodeShort(link, frame, n);
      if (n < hdr) {
        EXPECT_TRUE(snap.pkt.Has(Anomaly::kSllTruncated)) << n;
        EXPECT_TRUE(shrt.pkt.Has(Anomaly::kSllTruncated)) << n;
      } else if (n < hdr + 20) {
        EXPECT_TRUE(snap.pkt.Has(Anomaly::kIpv4Truncated)) << n;
      } else {
        EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
        EXPECT_EQ(snap.pkt.has_l4, n >= hdr + 28) << n;
        EXPECT_EQ(shrt.status, n == frame.size() ? DecodeStatus::kOk : DecodeStatus::kMalformed);
      }
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
