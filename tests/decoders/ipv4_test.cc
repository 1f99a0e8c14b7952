// IPv4 (decoders/ipv4.cc), fed through raw-IP link type 228 so no link header is involved.
#include <gtest/gtest.h>

#include "tests/decoders/fixtures.h"
#include "tests/decoders/test_util.h"

namespace tapwatch::decoders::testing {
namespace {

constexpr LinkType kIp = LinkType::kIpv4;

// Minimal valid packet: 20-byte header, protocol 253 (experimental), no payload.
const uint8_t kMinimal[] = {
    0x45, 0x00, 0x00, 0x14,  // version 4, IHL 5, TOS 0, total length 20
    0x00, 0x01, 0x00, 0x00,  // id 1, no flags, offset 0
    0x01, 0xfd, 0x00, 0x00,  // TTL 1, protocol 253, checksum
    0x01, 0x02, 0x03, 0x04,  // source 1.2.3.4
    0x05, 0x06, 0x07, 0x08,  // destination 5.6.7.8
};

TEST(Ipv4, MinimalPacketIsAnAddressPairFlow) {
  const auto r = DecodeAs(kIp, kMinimal);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.ip_version, 4);
  EXPECT_EQ(r.pkt.src, V4(1, 2, 3, 4));
  EXPECT_EQ(r.pkt.dst, V4(5, 6, 7, 8));
  EXPECT_EQ(r.pkt.ip_proto, 253);
  EXPECT_EQ(r.pkt.ip_total_len, 20);
  EXPECT_EQ(r.pkt.ttl, 1);
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 0u);
  EXPECT_EQ(r.pkt.ether_type, 0x0800);
}

TEST(Ipv4, FieldExtraction) {
  const auto r = DecodeAs(kIp, Cat({kIpv4Tcp, kTcpMss}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.tos, 0x10);
  EXPECT_EQ(r.pkt.ip_total_len, 48);
  EXPECT_EQ(r.pkt.ip_id, 0x1234);
  EXPECT_TRUE(r.pkt.dont_fragment);
  EXPECT_FALSE(r.pkt.is_fragment);
  EXPECT_EQ(r.pkt.ttl, 64);
  EXPECT_EQ(r.pkt.ip_proto, 6);
  EXPECT_EQ(r.pkt.src, V4(192, 168, 1, 2));
  EXPECT_EQ(r.pkt.dst, V4(10, 0, 0, 1));
  EXPECT_TRUE(r.pkt.has_l4);
}

TEST(Ipv4, BadVersion) {
  Bytes p = Cat({kMinimal});
  p[0] = 0x55;  // version 5: through EtherType 0x0800, so flagged as a bad IPv4 version
  const auto r = DecodeAs(LinkType::kEthernet, Cat({kEthIpv4, p}));
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv4BadVersion));
  EXPECT_EQ(r.pkt.ip_version, 0);
}

TEST(Ipv4, BadHeaderLength) {
  Bytes p = Cat({kMinimal});
  p[0] = 0x44;  // IHL 4 = 16 bytes < 20
  const auto r = DecodeAs(kIp, p);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv4BadHeaderLength));
  EXPECT_EQ(r.pkt.ip_version, 0);
}

TEST(Ipv4, TotalLengthTooSmall) {
  Bytes p = Cat({kMinimal});
  p[3] = 0x13;  // total length 19 < IHL*4
  const auto r = DecodeAs(kIp, p);
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv4TotalLengthTooSmall));
  EXPECT_EQ(r.pkt.src, V4(1, 2, 3, 4));  // header fields stay usable
}

TEST(Ipv4, TotalLengthBeyondWireIsAnomalyBeyondCaptureIsNot) {
  Bytes p = Cat({kMinimal});
  p[3] = 0x40;                // total length 64, the frame has 20 bytes
  auto r = DecodeAs(kIp, p);  // wire length 20
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv4TotalLengthExceedsFrame));
  EXPECT_EQ(r.pkt.ip_total_len, 64);
  // Same 20 captured bytes of a 64-byte wire frame (snaplen 20): fine.
  r = DecodeAs(kIp, p, 20, 64);
  EXPECT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 44u);
  EXPECT_TRUE(r.pkt.l4_payload.empty());
}

TEST(Ipv4, OptionsAreSkipped) {
  const uint8_t with_options[] = {
      0x47, 0x00, 0x00, 0x24,  // IHL 7 (28 bytes), total length 36 (28 + 8 UDP)
      0x00, 0x00, 0x00, 0x00,  // id, flags, offset
      0x40, 0x11, 0x00, 0x00,  // TTL 64, UDP
      0x0a, 0x00, 0x00, 0x01,  // source 10.0.0.1
      0x0a, 0x00, 0x00, 0x02,  // destination 10.0.0.2
      0x94, 0x04, 0x00, 0x00,  // option: router alert (type 148, length 4)
      0x01, 0x01, 0x01, 0x00,  // NOP, NOP, NOP, end of option list
  };
  const Bytes p(with_options, with_options + sizeof(with_options));
  const uint8_t udp[] = {0x00, 0x07, 0x00, 0x09, 0x00, 0x08, 0x00, 0x00};  // 7 -> 9, length 8
  const auto r = DecodeAs(kIp, Cat({p, udp}));
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_EQ(r.pkt.src_port, 7);
  EXPECT_EQ(r.pkt.dst_port, 9);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 0u);

  // An option whose length runs past the option area.
  Bytes bad = p;
  bad[24] = 0x07;  // record route
  bad[25] = 0x08;  // length 8, only 4 bytes left
  const auto rb = DecodeAs(kIp, Cat({bad, udp}));
  EXPECT_EQ(rb.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(rb.pkt.Has(Anomaly::kIpv4BadOptions));
  EXPECT_FALSE(rb.pkt.has_l4);
  EXPECT_EQ(rb.pkt.ip_proto, 17);
  // Option length 1 is impossible (it must cover type and length).
  bad[25] = 0x01;
  EXPECT_TRUE(DecodeAs(kIp, Cat({bad, udp})).pkt.Has(Anomaly::kIpv4BadOptions));

  // Options cut by snaplen: network layer known, no transport, no anomaly.
  const auto rs = DecodeAs(kIp, Cat({p, udp}), 22);
  EXPECT_EQ(rs.status, DecodeStatus::kOk);
  EXPECT_FALSE(rs.pkt.has_l4);
  EXPECT_EQ(rs.pkt.dst, V4(10, 0, 0, 2));
}

TEST(Ipv4, FirstAndLaterFragments) {
  // First fragment (MF, offset 0) of a UDP datagram whose UDP length (1008) is larger than this
  // fragment: ports decode, the UDP length is not checked against the fragment.
  const uint8_t first[] = {
      0x45, 0x00, 0x00, 0x24,                          // total length 36
      0x00, 0x07, 0x20, 0x00,                          // id 7, MF, offset 0
      0x40, 0x11, 0x00, 0x00,                          // TTL 64, UDP
      0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,  // 10.0.0.1 -> 10.0.0.2
      0x00, 0x35, 0x04, 0x00, 0x03, 0xf0, 0x00, 0x00,  // UDP 53 -> 1024, length 1008
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // first 8 data bytes
  };
  auto r = DecodeAs(kIp, first);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.is_fragment);
  EXPECT_FALSE(r.pkt.is_later_fragment);
  EXPECT_EQ(r.pkt.fragment_offset, 0);
  EXPECT_TRUE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 53);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 8u);

  Bytes later(first, first + sizeof(first));
  later[6] = 0x00;  // no MF, offset 2 (16 bytes): the last fragment
  later[7] = 0x02;
  r = DecodeAs(kIp, later);
  ASSERT_EQ(r.status, DecodeStatus::kOk);
  EXPECT_TRUE(r.pkt.is_fragment);
  EXPECT_TRUE(r.pkt.is_later_fragment);
  EXPECT_EQ(r.pkt.fragment_offset, 16);
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 0);  // bytes 20.. are data, not a UDP header
  EXPECT_EQ(r.pkt.ip_proto, 17);
  EXPECT_EQ(r.pkt.l4_payload_wire_len, 16u);
}

TEST(Ipv4, FragmentOverflow) {
  // Offset 8189*8 = 65512 plus 24 payload bytes = 65536 > 65535 (ping of death).
  const uint8_t pod[] = {
      0x45, 0x00, 0x00, 0x2c,  // total length 44: 24 payload bytes
      0x00, 0x01, 0x1f, 0xfd,  // offset 0x1ffd = 8189
      0x40, 0x01, 0x00, 0x00,  // ICMP
      0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,
      0,    0,    0,    0,    0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0, 0,
  };
  auto r = DecodeAs(kIp, pod);
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kIpv4FragmentOverflow));
  EXPECT_EQ(r.pkt.fragment_offset, 65512);
  Bytes ok(pod, pod + sizeof(pod));
  ok[3] = 0x2b;  // 23 payload bytes: ends exactly at 65535
  ok.pop_back();
  r = DecodeAs(kIp, ok);
  EXPECT_EQ(r.status, DecodeStatus::kOk);
}

TEST(Ipv4, TcpFailureKeepsNetworkFields) {
  Bytes p = Cat({kIpv4Tcp, kTcpMss});
  p[20 + 12] = 0x40;  // TCP data offset 4 (16 bytes) < 5
  const auto r = DecodeAs(kIp, p);
  EXPECT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_TRUE(r.pkt.Has(Anomaly::kTcpBadDataOffset));
  EXPECT_EQ(r.pkt.ip_version, 4);
  EXPECT_EQ(r.pkt.src, V4(192, 168, 1, 2));
  EXPECT_EQ(r.pkt.ip_proto, 6);
  EXPECT_EQ(r.pkt.ip_total_len, 48);
  EXPECT_FALSE(r.pkt.has_l4);
  EXPECT_EQ(r.pkt.src_port, 0);
}

TEST(Ipv4, EveryPrefixIsHandled) {
  const Bytes p = Cat({kIpv4Tcp, kTcpMss});
  for (size_t n = 0; n <= p.size(); ++n) {
    const auto snap = DecodeAs(kIp, p, n);
    const auto shrt = DecodeShort(kIp, p, n);
    if (n < 20) {
      EXPECT_TRUE(snap.pkt.Has(Anomaly::kIpv4Truncated)) << n;
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIpv4Truncated)) << n;
      EXPECT_EQ(snap.pkt.ip_version, 0) << n;
      continue;
    }
    EXPECT_EQ(snap.status, DecodeStatus::kOk) << n;
    EXPECT_EQ(snap.pkt.anomaly_count, 0) << n;
    EXPECT_EQ(snap.pkt.dst, V4(10, 0, 0, 1)) << n;
    EXPECT_EQ(snap.pkt.has_l4, n >= 40) << n;
    if (n >= 40) {
      EXPECT_EQ(snap.pkt.l4_payload_wire_len, 4u) << n;
    }
    if (n < p.size()) {
      EXPECT_TRUE(shrt.pkt.Has(Anomaly::kIpv4TotalLengthExceedsFrame)) << n;
      EXPECT_EQ(shrt.pkt.src, V4(192, 168, 1, 2)) << n;
    } else {
      EXPECT_EQ(shrt.status, DecodeStatus::kOk);
    }
  }
}

}  // namespace
}  // namespace tapwatch::decoders::testing
