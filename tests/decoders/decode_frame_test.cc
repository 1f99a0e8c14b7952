// DecodeFrame dispatch (decoders/decode_frame.cc): link types, record reset, raw IP.
#include <gtest/gtest.h>

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
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
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

}  // namespace
}  // namespace tapwatch::decoders::testing
