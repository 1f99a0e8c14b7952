// TCP (decoders/tcp.cc), behind a hand-written IPv4 header (raw-IP link type 228).
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

constexpr LinkType kIp = LinkType::kIpv4;

// IPv4 header for a TCP segment of `segment_len` bytes: 172.16.0.1 -> 172.16.0.2.
Bytes Ip(uint16_t segment_len) {
  const uint16_t total = static_cast<uint16_t>(20 + segment_len);
  return {0x45,
          0x00,
          static_cast<uint8_t>(total >> 8),
          static_cast<uint8_t>(total),  // total
          0x00,
          0x00,
          0x00,
          0x00,  // id, frag
          0x40,
          0x06,
          0x00,
          0x00,  // TTL, TCP
          0xac,
          0x10,
          0x00,
          0x01,  // source
          0xac,
          0x10,
          0x00,
          0x02};  // dest
}

// Minimal valid segment: 20-byte header, no options, no payload.
const uint8_t kMinimal[] = {
    0xff, 0xfe,              // source port 65534
    0x00, 0x01,              // destination port 1
    0xde, 0xad, 0xbe, 0xef,  // sequence number
    0x01, 0x02, 0x03, 0x04,  // acknowledgment number
    0x50,                    // data offset 5, reserved 0
    0xff,                    // all eight flags: CWR ECE URG ACK PSH RST SYN FIN
    0xff, 0xff,              // window 65535
    0x00, 0x00,              // checksum
    0x00, 0x00,              // urgent pointer
};

TEST(Tcp, MinimalSegmentFields) {
  const auto r = DecodeAs(kIp, Cat({Ip(20), kMinimal}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 65534);
  EXPECT_EQ(r.pkt.dst_port, 1);
  EXPECT_EQ(r.pkt.tcp_seq, 0xdeadbeefu);
  EXPECT_EQ(r.pkt.tcp_ack, 0x01020304u);
  EXPECT_EQ(r.pkt.tcp_flags, 0xff);
  EXPECT_EQ(r.pkt.tcp_window, 65535);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 0u);
  EXPECT_TRUE(r.pkt.l4_payload.empty());
}

TEST(Tcp, OptionsAndPayload) {
  const auto r = DecodeAs(kIp, Cat({kIpv4Tcp, kTcpMss}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.src_port, 1234);
  EXPECT_EQ(r.pkt.dst_port, 80);
  EXPECT_EQ(r.pkt.tcp_seq, 1u);
  EXPECT_EQ(r.pkt.tcp_ack, 2u);
  EXPECT_EQ(r.pkt.tcp_flags, kTcpPsh | kTcpAck);
  EXPECT_EQ(r.pkt.tcp_window, 8192);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 4u);
  EXPECT_EQ(r.payload(), (Bytes{'a', 'b', 'c', 'd'}));
}

TEST(Tcp, ReservedAndAeBitsAreNotFlags) {
  Bytes seg(kMinimal, kMinimal + sizeof(kMinimal));
  seg[12] = 0x5f;  // data offset 5 with the 3 reserved bits and AE/NS set
  seg[13] = kTcpSyn;
  const auto r = DecodeAs(kIp, Cat({Ip(20), seg}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.tcp_flags, kTcpSyn);
}

TEST(Tcp, BadDataOffset) {
  for (uint8_t off = 0; off < 5; ++off) {
    Bytes seg(kMinimal, kMinimal + sizeof(kMinimal));
    seg[12] = static_cast<uint8_t>(off << 4);
    const auto r = DecodeAs(kIp, Cat({Ip(20), seg}));
    EXPECT_EQ(r.status, DecodeStatus::kMalformed);
    EXPECT_TRUE(r.pkt.Has(Anomaly::kTcpBadDataOffset)) << int{off};
    EXPECT_FALSE(r.pkt.has_l4);
    EXPECT_EQ(r.pkt.src_port, 0);
    EXPECT_EQ(r.pkt.ip_proto, 6);
  }
}

TEST(Tcp, OptionsBeyondSegment) {
  Bytes seg(kMinimal, kMinimal + sizeof(kMinimal));
  seg[12] = 0xf0;  // data offset 15 = 60 bytes, the segment has 20
  const auto r = DecodeAs(kIp, Cat({Ip(20), seg}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kTcpOptionsTruncated));
  EXPECT_FALSE(r.pkt.has_l4);
}

TEST(Tcp, SegmentShorterThanHeader) {
  const auto r = DecodeAs(kIp, Cat({Ip(19), std::span(kMinimal, 19)}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kTcpTruncated));
  EXPECT_EQ(r.pkt.src, V4(172, 16, 0, 1));
}

// nmap -f: the first fragment (offset 0, MF) carries 8 bytes of the TCP header. It is cut (the
// flags are in the next fragment) but holds the ports, as tshark shows them: they are kept, with
// ports_only. The same bytes in an unfragmented packet keep ports 0.
TEST(Tcp, FirstFragmentCutInsideTheHeaderKeepsItsPorts) {
  Bytes ip = Ip(8);
  ip[6] = 0x20;  // MF, offset 0
  const auto r = DecodeAs(kIp, Cat({ip, std::span(kMinimal, 8)}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kTcpTruncated));
  EXPECT_TRUE(r.pkt.is_fragment);
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_TRUE(r.pkt.ports_only);
  EXPECT_EQ(r.pkt.src_port, 65534);
  EXPECT_EQ(r.pkt.dst_port, 1);
  EXPECT_EQ(r.pkt.tcp_flags, 0);

  // Options that continue in the next fragment.
  Bytes seg(kMinimal, kMinimal + sizeof(kMinimal));
  seg[12] = 0x80;  // data offset 8 = 32 bytes, the fragment has 24
  seg.resize(24);
  Bytes ip24 = Ip(24);
  ip24[6] = 0x20;
  const auto o = DecodeAs(kIp, Cat({ip24, seg}));
  EXPECT_TRUE(o.pkt.Has(Anomaly::kTcpOptionsTruncated));
  EXPECT_TRUE(o.pkt.ports_only);
  EXPECT_EQ(o.pkt.dst_port, 1);

  const auto whole = DecodeAs(kIp, Cat({Ip(8), std::span(kMinimal, 8)}));
  EXPECT_TRUE(whole.pkt.Has(Anomaly::kTcpTruncated));
  EXPECT_FALSE(whole.pkt.ports_only);
  EXPECT_EQ(whole.pkt.src_port, 0);
}

TEST(Tcp, SnaplenInOptionsStillDecodes) {
  const Bytes p = Cat({kIpv4Tcp, kTcpMss});
  const auto r = DecodeAs(kIp, p, 42);  // 22 of 28 TCP bytes captured: options cut
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.dst_port, 80);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 4u);
  EXPECT_TRUE(r.pkt.l4_payload.empty());
}

TEST(Tcp, EveryPrefixIsHandled) {
  const Bytes p = Cat({kIpv4Tcp, kTcpMss});
  for (size_t n = 20; n <= p.size(); ++n) {
    const auto snap = DecodeAs(kIp, p, n);
    EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
    EXPECT_EQ(snap.pkt.has_l4, n >= 40) << n;
    if (n >= 40) {
      EXPECT_EQ(snap.pkt.src_port, 1234) << n;
      EXPECT_EQ(snap.pkt.l4_payload.size(), n > 44 ? n - 44 : 0) << n;
    }
    // The IP header tells the truth about a short segment: the TCP layer must catch it.
    Bytes shrunk(p.begin(), p.begin() + static_cast<long>(n));
    shrunk[3] = static_cast<uint8_t>(n);  // total length = n
    const auto shrt = DecodeAs(kIp, shrunk);
    const size_t seg = n - 20;
    if (seg < 20) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kTcpTruncated)) << n;
    } else if (seg < 24) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kTcpOptionsTruncated)) << n;
    } else {
      EXPECT_EQ(shrt.status, DecodeStatus::kOk) << n;
      EXPECT_EQ(shrt.pkt.l4_payload_wire_len, seg - 24) << n;
    }
    EXPECT_EQ(shrt.pkt.has_l4, seg >= 24) << n;
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
