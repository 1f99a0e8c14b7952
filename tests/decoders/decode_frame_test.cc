// DecodeFrame dispatch (decoders/decode_frame.cc): link types, record reset, raw IP.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

TEST(DecodeFrame, SupportedLinkTypes) {
  for (int lt : {0, 1, 101, 108, 113, 228, 229, 276}) EXPECT_TRUE(IsSupportedLinkType(lt)) << lt;
  for (int lt : {-1, 2, 9, 105, 127, 147, 230, 1000}) EXPECT_FALSE(IsSupportedLinkType(lt)) << lt;
}

TEST(DecodeFrame, UnknownLinkTypeIsFlagged) {
  const Bytes frame = Cat({kIpv4Udp, kUdp12});
  const auto r = DecodeAs(static_cast<LinkType>(127), frame);  // 802.11 radiotap
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kUnknownLinkType));
}

TEST(DecodeFrame, RawIpPicksVersionFromNibble) {
  const uint8_t v6[] = {0x60, 0, 0, 0, 0x00, 0x00, 0x3b, 0x40,  // payload 0, no next header
                        0,    0, 0, 0, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 1,
                        0,    0, 0, 0, 0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 2};
  EXPECT_EQ(DecodeAs(LinkType::kRaw, Cat({kIpv4Udp, kUdp12})).pkt.ip_version, 4);
  EXPECT_EQ(DecodeAs(LinkType::kRaw, v6).pkt.ip_version, 6);
  const uint8_t v5[] = {0x50, 0x00};
  EXPECT_TRUE(DecodeAs(LinkType::kRaw, v5).pkt.Has(Anomaly::kIpv4BadVersion));
  EXPECT_TRUE(DecodeAs(LinkType::kRaw, Bytes{}).pkt.Has(Anomaly::kIpv4Truncated));
}

TEST(DecodeFrame, ReusedRecordIsReset) {
  DecodedPacket pkt;
  const Bytes tcp = Cat({kEthIpv4, kIpv4Tcp, kTcpMss});
  pkt.wire_len = pkt.cap_len = static_cast<uint32_t>(tcp.size());
  ASSERT_EQ(DecodeFrame(LinkType::kEthernet, tcp, pkt), DecodeStatus::kOk);
  ASSERT_EQ(pkt.tcp_flags, kTcpPsh | kTcpAck);
  const uint8_t bad[] = {0x00, 0x01};
  pkt.ts_ns = 42;
  pkt.wire_len = pkt.cap_len = 2;
  pkt.source_label = 3;
  EXPECT_EQ(DecodeFrame(LinkType::kEthernet, bad, pkt), DecodeStatus::kMalformed);
  EXPECT_EQ(pkt.ts_ns, 42u);
  EXPECT_EQ(pkt.source_label, 3);
  EXPECT_EQ(pkt.tcp_flags, 0);
  EXPECT_EQ(pkt.ip_version, 0);
  EXPECT_FALSE(pkt.has_mac);
  EXPECT_EQ(pkt.anomaly_count, 1);
}

TEST(DecodeFrame, InconsistentCaptureMetadataIsRepaired) {
  DecodedPacket pkt;
  const Bytes udp = Cat({kEthIpv4, kIpv4Udp, kUdp12});
  pkt.wire_len = 0;  // caller forgot: treated as wire = captured
  pkt.cap_len = 9999;
  ASSERT_EQ(DecodeFrame(LinkType::kEthernet, udp, pkt), DecodeStatus::kOk);
  EXPECT_EQ(pkt.cap_len, udp.size());
  EXPECT_EQ(pkt.wire_len, udp.size());
}

TEST(DecodeFrame, AnomalyCountSaturatesArray) {
  DecodedPacket pkt;
  for (int i = 0; i < 10; ++i) pkt.Flag(Anomaly::kTcpTruncated);
  EXPECT_EQ(pkt.anomaly_count, 10);
  EXPECT_TRUE(pkt.Has(Anomaly::kTcpTruncated));
}

// Every anomaly of the link/IP/transport groups has at least one frame that triggers it, so a new
// anomaly added to those groups without a reachable test fails here.
TEST(DecodeFrame, EveryL2L4AnomalyIsReachable) {
  struct Case {
    Anomaly anomaly;
    LinkType link;
    Bytes frame;
    size_t wire_len;  // SIZE_MAX: the frame's size
  };
  const uint8_t ip_hdr_only[] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 253, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
  Bytes bad_ihl(ip_hdr_only, ip_hdr_only + 20);
  bad_ihl[0] = 0x41;
  Bytes short_total(ip_hdr_only, ip_hdr_only + 20);
  short_total[3] = 10;
  Bytes long_total(ip_hdr_only, ip_hdr_only + 20);
  long_total[3] = 200;
  Bytes bad_opt = {0x46, 0, 0, 24, 0, 0, 0, 0,    64,   253, 0, 0, 1,
                   1,    1, 1, 2,  2, 2, 2, 0x07, 0x09, 0,   0};  // record route with length 9 in a
                                                                  // 4-byte option area
  Bytes pod(ip_hdr_only, ip_hdr_only + 20);
  pod[3] = 28;
  pod[6] = 0x1f;  // offset 8191 * 8 = 65528, + 8 payload bytes
  pod[7] = 0xff;
  pod.resize(28);
  const uint8_t v6_hdr[] = {0x60, 0, 0, 0, 0, 0, 59, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0,    0, 0, 1, 0, 0, 0,  0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  Bytes v6_long(v6_hdr, v6_hdr + 40);
  v6_long[5] = 8;  // payload length 8, none present
  Bytes v6_ext(v6_hdr, v6_hdr + 40);
  v6_ext[5] = 8;
  v6_ext[6] = 0;  // hop-by-hop claiming 16 bytes
  v6_ext.insert(v6_ext.end(), {59, 1, 0, 0, 0, 0, 0, 0});
  Bytes v6_many(v6_hdr, v6_hdr + 40);
  v6_many[6] = 60;
  for (int i = 0; i < 9; ++i) v6_many.insert(v6_many.end(), {60, 0, 1, 4, 0, 0, 0, 0});
  v6_many[5] = 72;
  // IPv4 + transport with an IP payload of `l4.size()` bytes.
  auto l4 = [&](uint8_t proto, Bytes seg) {
    Bytes p(ip_hdr_only, ip_hdr_only + 20);
    p[3] = static_cast<uint8_t>(20 + seg.size());
    p[9] = proto;
    p.insert(p.end(), seg.begin(), seg.end());
    return p;
  };
  Bytes v6_icmp(v6_hdr, v6_hdr + 40);
  v6_icmp[5] = 4;
  v6_icmp[6] = 58;
  v6_icmp.insert(v6_icmp.end(), {128, 0, 0, 0});
  const uint8_t macs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  Bytes vlans(macs, macs + 12);
  for (int i = 0; i < 9; ++i) vlans.insert(vlans.end(), {0x81, 0x00, 0x00, 0x01});

  const std::vector<Case> cases = {
      {Anomaly::kEthernetTruncated, LinkType::kEthernet, Bytes(macs, macs + 12), SIZE_MAX},
      {Anomaly::kVlanTruncated, LinkType::kEthernet, Cat({macs, Bytes{0x81, 0x00, 0x00}}),
       SIZE_MAX},
      {Anomaly::kTooManyLayers, LinkType::kEthernet, vlans, SIZE_MAX},
      {Anomaly::kSllTruncated, LinkType::kLinuxSll, Bytes(15, 0), SIZE_MAX},
      {Anomaly::kNullTruncated, LinkType::kNull, Bytes{2, 0, 0}, SIZE_MAX},
      {Anomaly::kUnknownLinkType, static_cast<LinkType>(105), Bytes(40, 0), SIZE_MAX},
      {Anomaly::kIpv4Truncated, LinkType::kIpv4, Bytes(ip_hdr_only, ip_hdr_only + 19), SIZE_MAX},
      {Anomaly::kIpv4BadVersion, LinkType::kIpv4, Bytes{0x75, 0}, SIZE_MAX},
      {Anomaly::kIpv4BadHeaderLength, LinkType::kIpv4, bad_ihl, SIZE_MAX},
      {Anomaly::kIpv4TotalLengthTooSmall, LinkType::kIpv4, short_total, SIZE_MAX},
      {Anomaly::kIpv4TotalLengthExceedsFrame, LinkType::kIpv4, long_total, SIZE_MAX},
      {Anomaly::kIpv4BadOptions, LinkType::kIpv4, bad_opt, SIZE_MAX},
      {Anomaly::kIpv4FragmentOverflow, LinkType::kIpv4, pod, SIZE_MAX},
      {Anomaly::kIpv6Truncated, LinkType::kIpv6, Bytes(v6_hdr, v6_hdr + 39), SIZE_MAX},
      {Anomaly::kIpv6BadVersion, LinkType::kIpv6, Bytes{0x70, 0}, SIZE_MAX},
      {Anomaly::kIpv6PayloadLengthExceedsFrame, LinkType::kIpv6, v6_long, SIZE_MAX},
      {Anomaly::kIpv6ExtensionHeaderTruncated, LinkType::kIpv6, v6_ext, SIZE_MAX},
      {Anomaly::kIpv6TooManyExtensionHeaders, LinkType::kIpv6, v6_many, SIZE_MAX},
      {Anomaly::kTcpTruncated, LinkType::kIpv4, l4(6, Bytes(19, 0)), SIZE_MAX},
      {Anomaly::kTcpBadDataOffset, LinkType::kIpv4,
       l4(6, Bytes{0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 2, 0, 0, 0, 0, 0, 0}), SIZE_MAX},
      {Anomaly::kTcpOptionsTruncated, LinkType::kIpv4,
       l4(6, Bytes{0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 2, 0, 0, 0, 0, 0, 0}), SIZE_MAX},
      {Anomaly::kUdpTruncated, LinkType::kIpv4, l4(17, Bytes(7, 0)), SIZE_MAX},
      {Anomaly::kUdpBadLength, LinkType::kIpv4, l4(17, Bytes{0, 1, 0, 2, 0, 9, 0, 0}), SIZE_MAX},
      {Anomaly::kIcmpTruncated, LinkType::kIpv4, l4(1, Bytes{8, 0, 0, 0}), SIZE_MAX},
      {Anomaly::kIcmpv6Truncated, LinkType::kIpv6, v6_icmp, SIZE_MAX},
      {Anomaly::kIcmpQuotedPacketTruncated, LinkType::kIpv4,
       l4(1, Bytes{3, 1, 0, 0, 0, 0, 0, 0, 0x45, 0, 0, 40}), SIZE_MAX},
  };
  std::set<Anomaly> seen;
  for (const auto& c : cases) {
    const auto r = DecodeAs(c.link, c.frame, SIZE_MAX, c.wire_len);
    EXPECT_EQ(r.status, DecodeStatus::kMalformed) << AnomalyName(c.anomaly);
    EXPECT_TRUE(r.pkt.Has(c.anomaly))
        << AnomalyName(c.anomaly) << " got " << AnomalyName(r.pkt.anomalies[0]);
    seen.insert(c.anomaly);
  }
  for (auto a = static_cast<int>(Anomaly::kEthernetTruncated);
       a <= static_cast<int>(Anomaly::kIcmpQuotedPacketTruncated); ++a) {
    EXPECT_TRUE(seen.count(static_cast<Anomaly>(a))) << AnomalyName(static_cast<Anomaly>(a));
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
