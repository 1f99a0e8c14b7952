// UDP (decoders/udp.cc), behind a hand-written IPv4 header (raw-IP link type 228).
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

constexpr LinkType kIp = LinkType::kIpv4;

// kIpv4Udp with total length 20 + `udp_len_on_wire`.
Bytes Ip(uint16_t ip_payload_len) {
  Bytes h(kIpv4Udp, kIpv4Udp + sizeof(kIpv4Udp));
  const uint16_t total = static_cast<uint16_t>(20 + ip_payload_len);
  h[2] = static_cast<uint8_t>(total >> 8);
  h[3] = static_cast<uint8_t>(total);
  return h;
}

const uint8_t kMinimal[] = {
    0x00, 0x44,  // source port 68
    0x00, 0x43,  // destination port 67
    0x00, 0x08,  // length 8: header only
    0x00, 0x00,  // checksum (none)
};

TEST(Udp, MinimalDatagram) {
  const auto r = DecodeAs(kIp, Cat({Ip(8), kMinimal}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 68);
  EXPECT_EQ(r.pkt.dst_port, 67);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 0u);
}

TEST(Udp, FieldsAndPayload) {
  const auto r = DecodeAs(kIp, Cat({kIpv4Udp, kUdp12}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.src_port, 137);
  EXPECT_EQ(r.pkt.dst_port, 53);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 4u);
  EXPECT_EQ(r.payload(), (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(Udp, LengthShorterThanHeader) {
  Bytes u(kUdp12, kUdp12 + sizeof(kUdp12));
  u[5] = 0x07;  // length 7 < 8
  const auto r = DecodeAs(kIp, Cat({kIpv4Udp, u}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kUdpBadLength));
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 0);
  EXPECT_EQ(r.pkt.src, V4(10, 1, 1, 1));
}

TEST(Udp, LengthLongerThanIpPayload) {
  Bytes u(kUdp12, kUdp12 + sizeof(kUdp12));
  u[5] = 0x0d;  // length 13 > 12 bytes of IP payload
  const auto r = DecodeAs(kIp, Cat({kIpv4Udp, u}));
  EXPECT_TRUE(r.pkt.Has(Anomaly::kUdpBadLength));
  EXPECT_FALSE(r.pkt.has_l4);
}

TEST(Udp, BytesAfterUdpLengthAreNotPayload) {
  Bytes u(kUdp12, kUdp12 + sizeof(kUdp12));
  u[5] = 0x0a;  // length 10: 2 payload bytes, 2 trailing bytes inside the IP payload
  const auto r = DecodeAs(kIp, Cat({kIpv4Udp, u}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 2u);
  EXPECT_EQ(r.payload(), (Bytes{0xde, 0xad}));
}

TEST(Udp, IpPayloadShorterThanHeader) {
  const auto r = DecodeAs(kIp, Cat({Ip(7), std::span(kMinimal, 7)}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kUdpTruncated));
}

TEST(Udp, EveryPrefixIsHandled) {
  const Bytes p = Cat({kIpv4Udp, kUdp12});
  for (size_t n = 20; n <= p.size(); ++n) {
    const auto snap = DecodeAs(kIp, p, n);
    EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
    EXPECT_EQ(snap.pkt.has_l4, n >= 28) << n;
    if (n >= 28) {
      EXPECT_EQ(snap.pkt.l4_payload_wire_len, 4u) << n;
      EXPECT_EQ(snap.pkt.l4_payload.size(), n - 28) << n;
    }
    Bytes shrunk(p.begin(), p.begin() + static_cast<long>(n));
    shrunk[3] = static_cast<uint8_t>(n);  // IP total length says n: UDP must notice
    const auto shrt = DecodeAs(kIp, shrunk);
    if (n < 28) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kUdpTruncated)) << n;
    } else if (n < p.size()) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kUdpBadLength)) << n;
    } else {
      EXPECT_EQ(shrt.status, DecodeStatus::kOk);
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
