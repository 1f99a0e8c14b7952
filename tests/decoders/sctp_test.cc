// SCTP common header (decoders/sctp.cc, RFC 9260 section 3.1), behind a hand-written IPv4 header
// (raw-IP link type 228).
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

constexpr LinkType kIp = LinkType::kIpv4;

// kIpv4Udp as protocol 132 with total length 20 + `ip_payload_len`.
Bytes Ip(uint16_t ip_payload_len) {
  Bytes h(kIpv4Udp, kIpv4Udp + sizeof(kIpv4Udp));
  const uint16_t total = static_cast<uint16_t>(20 + ip_payload_len);
  h[2] = static_cast<uint8_t>(total >> 8);
  h[3] = static_cast<uint8_t>(total);
  h[9] = 132;
  return h;
}

const uint8_t kHeader[] = {
    0x0b, 0x59,              // source port 2905 (M3UA)
    0x0b, 0x5a,              // destination port 2906
    0x12, 0x34, 0x56, 0x78,  // verification tag
    0x00, 0x00, 0x00, 0x00,  // checksum (not verified)
};
const uint8_t kChunk[] = {0x0a, 0x00, 0x00, 0x04};  // COOKIE ACK, length 4

TEST(Sctp, MinimalHeader) {
  const auto r = DecodeAs(kIp, Cat({Ip(12), kHeader}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.ip_proto, 132);
  EXPECT_EQ(r.pkt.src_port, 2905);
  EXPECT_EQ(r.pkt.dst_port, 2906);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 0u);
}

TEST(Sctp, ChunksAreThePayload) {
  const auto r = DecodeAs(kIp, Cat({Ip(16), kHeader, kChunk}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 4u);
  EXPECT_EQ(r.payload(), Bytes(kChunk, kChunk + sizeof(kChunk)));
}

TEST(Sctp, IpPayloadShorterThanHeader) {
  const auto r = DecodeAs(kIp, Cat({Ip(11), std::span(kHeader, 11)}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kSctpTruncated));
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 0);
}

TEST(Sctp, EveryPrefixIsHandled) {
  const Bytes p = Cat({Ip(16), kHeader, kChunk});
  for (size_t n = 20; n <= p.size(); ++n) {
    const auto snap = DecodeAs(kIp, p, n);  // snaplen: IP still says 36 bytes
    EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
    EXPECT_EQ(snap.pkt.has_l4, n >= 32) << n;
    if (n >= 32) {
      EXPECT_EQ(snap.pkt.src_port, 2905) << n;
      EXPECT_EQ(snap.pkt.l4_payload_wire_len, 4u) << n;
      EXPECT_EQ(snap.pkt.l4_payload.size(), n - 32) << n;
    }
    Bytes shrunk(p.begin(), p.begin() + static_cast<long>(n));
    shrunk[3] = static_cast<uint8_t>(n);  // IP total length says n: SCTP must notice
    const auto shrt = DecodeAs(kIp, shrunk);
    if (n < 32) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kSctpTruncated)) << n;
    } else {
      EXPECT_EQ(shrt.status, DecodeStatus::kOk) << n;
      EXPECT_EQ(shrt.pkt.l4_payload_wire_len, n - 32) << n;
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
