// BSD NULL / OpenBSD LOOP (decoders/null_loopback.cc).
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

const uint8_t kNullLe2[] = {0x02, 0x00, 0x00, 0x00};   // AF_INET, little-endian host
const uint8_t kNullBe2[] = {0x00, 0x00, 0x00, 0x02};   // AF_INET, big-endian host
const uint8_t kNullLe30[] = {0x1e, 0x00, 0x00, 0x00};  // AF_INET6 (macOS), little-endian
const uint8_t kNullLe24[] = {0x18, 0x00, 0x00, 0x00};  // AF_INET6 (OpenBSD)
const uint8_t kNullBe28[] = {0x00, 0x00, 0x00, 0x1c};  // AF_INET6 (FreeBSD), big-endian
const uint8_t kNullLe7[] = {0x07, 0x00, 0x00, 0x00};   // AF_IMPLINK: not IP
const uint8_t kUdpOver6[] = {
    0x00, 0x89, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00,  // UDP 137 -> 53, length 12
    0xde, 0xad, 0xbe, 0xef,                          // payload
};

TEST(NullLoopback, HostOrderIpv4BothByteOrders) {
  for (const auto* hdr : {kNullLe2, kNullBe2}) {
    const auto r = DecodeAs(LinkType::kNull, Cat({std::span(hdr, 4), kIpv4Udp, kUdp12}));
    ASSERT_EQ(r.status, DecodeStatus::kOk);
    EXPECT_EQ(r.pkt.ether_type, 0x0800);
    EXPECT_EQ(r.pkt.src, V4(10, 1, 1, 1));
    EXPECT_EQ(r.pkt.dst_port, 53);
  }
}

TEST(NullLoopback, Ipv6Families) {
  for (const auto* hdr : {kNullLe30, kNullLe24, kNullBe28}) {
    const auto r = DecodeAs(LinkType::kNull, Cat({std::span(hdr, 4), kIpv6Udp, kUdpOver6}));
    ASSERT_EQ(r.status, DecodeStatus::kOk);
    EXPECT_EQ(r.pkt.ip_version, 6);
    EXPECT_EQ(r.pkt.src_port, 137);
  }
}

TEST(NullLoopback, OtherFamilyIsUnsupported) {
  const auto r = DecodeAs(LinkType::kNull, Cat({kNullLe7, kIpv4Udp}));
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
  EXPECT_EQ(r.pkt.anomaly_count, 0);
}

TEST(NullLoopback, LoopIsNetworkOrder) {
  auto r = DecodeAs(LinkType::kLoop, Cat({kNullBe2, kIpv4Udp, kUdp12}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_version, 4);
  // A little-endian 2 read in network order is 0x02000000: not a family.
  r = DecodeAs(LinkType::kLoop, Cat({kNullLe2, kIpv4Udp, kUdp12}));
  EXPECT_EQ(r.status, DecodeStatus::kUnsupported);
}

TEST(NullLoopback, EveryPrefixIsHandled) {
  const Bytes frame = Cat({kNullLe2, kIpv4Udp, kUdp12});
  for (const LinkType link : {LinkType::kNull, LinkType::kLoop}) {
    const Bytes f = link == LinkType::kNull ? frame : Cat({kNullBe2, kIpv4Udp, kUdp12});
    for (size_t n = 0; n <= f.size(); ++n) {
      const auto snap = DecodeAs(link, f, n);
      if (n < 4) {
        EXPECT_TRUE(snap.pkt.Has(Anomaly::kNullTruncated)) << n;
      } else if (n < 24) {
        EXPECT_TRUE(snap.pkt.Has(Anomaly::kIpv4Truncated)) << n;
      } else {
        EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
        EXPECT_EQ(snap.pkt.has_l4, n >= 32) << n;
      }
      const auto shrt = DecodeShort(link, f, n);
      EXPECT_EQ(shrt.status, n == f.size() ? DecodeStatus::kOk : DecodeStatus::kMalformed) << n;
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
