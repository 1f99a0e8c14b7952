// The frames of a log go through the project's own decoders (decoders/decode_frame.h) like
// captured packets: no anomaly may be flagged (header-only frames are snaplen-truncated, which is
// not an anomaly), and every field the decoders extract must equal what libtins reads from the
// same bytes and what awk reads from the log line.

#include <gtest/gtest.h>
#include <tins/tins.h>

#include <string>
#include <vector>

#include "decoders/decode_frame.h"
#include "decoders/packet.h"
#include "sensor/log/source.h"
#include "tests/sensor/log/test_util.h"

namespace tapwatch::sensor {
namespace {

namespace d = tapwatch::decoders;

std::string V4(const d::IpAddress& a) {
  return std::to_string(a.bytes[0]) + "." + std::to_string(a.bytes[1]) + "." +
         std::to_string(a.bytes[2]) + "." + std::to_string(a.bytes[3]);
}

void CheckFrame(const LogFrame& f) {
  d::DecodedPacket pkt;
  pkt.ts_ns = f.ts_ns;
  pkt.wire_len = f.wire_len;
  pkt.cap_len = f.cap_len;
  const d::DecodeStatus st = d::DecodeFrame(d::LinkType::kEthernet, f.data(), pkt);
  ASSERT_EQ(st, d::DecodeStatus::kOk) << "line " << f.line_number;
  EXPECT_EQ(pkt.anomaly_count, 0) << "line " << f.line_number << " anomaly "
                                  << static_cast<int>(pkt.anomalies[0]);
  Tins::EthernetII eth = testing::Decode(f);
  if (const auto* ip = eth.find_pdu<Tins::IP>()) {
    EXPECT_EQ(V4(pkt.src), ip->src_addr().to_string());
    EXPECT_EQ(V4(pkt.dst), ip->dst_addr().to_string());
    EXPECT_EQ(pkt.ip_total_len, ip->tot_len());
    EXPECT_EQ(pkt.ttl, ip->ttl());
    EXPECT_EQ(pkt.ip_id, ip->id());
    EXPECT_EQ(pkt.ip_proto, ip->protocol());
    EXPECT_EQ(pkt.dont_fragment, (ip->flags() & Tins::IP::DONT_FRAGMENT) != 0);
  }
  if (const auto* tcp = eth.find_pdu<Tins::TCP>()) {
    EXPECT_TRUE(pkt.has_l4) << "line " << f.line_number;
    EXPECT_EQ(pkt.src_port, tcp->sport());
    EXPECT_EQ(pkt.dst_port, tcp->dport());
    EXPECT_EQ(pkt.tcp_flags, tcp->flags());
    EXPECT_EQ(pkt.tcp_window, tcp->window());
  }
  if (const auto* udp = eth.find_pdu<Tins::UDP>()) {
    EXPECT_TRUE(pkt.has_l4) << "line " << f.line_number;
    EXPECT_EQ(pkt.src_port, udp->sport());
    EXPECT_EQ(pkt.dst_port, udp->dport());
  }
  if (const auto* icmp = eth.find_pdu<Tins::ICMP>()) {
    EXPECT_TRUE(pkt.has_l4) << "line " << f.line_number;
    EXPECT_EQ(pkt.icmp_type, icmp->type());
    EXPECT_EQ(pkt.icmp_code, icmp->code());
  }
}

void CheckLog(const std::string& file, int year) {
  LogSourceOptions opts;
  opts.path = file;
  opts.year = year;
  std::string error;
  auto src = LogSource::Open(opts, &error);
  ASSERT_NE(src, nullptr) << error;
  LogFrame f;
  uint64_t n = 0;
  while (src->Next(f)) {
    CheckFrame(f);
    ++n;
  }
  EXPECT_EQ(n, src->counters().packet);
  EXPECT_GT(n, 0u);
}

TEST(LogDecoderCompat, Sotm30Head) {
  const std::string file =
      testing::SharedDir() + "/logs/Tetoronie-Scripting-and-Automation__iptables.log";
  TAPWATCH_REQUIRE_SHARED(file);
  CheckLog(file, 2004);
}

TEST(LogDecoderCompat, Ufw) {
  const std::string file = testing::SharedDir() + "/logs/teliten-log.plemma__ufw.log";
  TAPWATCH_REQUIRE_SHARED(file);
  CheckLog(file, 2022);
}

TEST(LogDecoderCompat, IcmpErrorQuoteIpchainsAndIpv6) {
  // kernel format ICMP error; verbatim leak ipchains (wrapped); kernel format IPv6 TCP.
  const std::string text =
      "Feb  3 10:00:00 fw kernel: OUT ICMP: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=68 "
      "TOS=0x00 PREC=0xC0 TTL=64 ID=1234 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.2 DST=10.0.0.1 "
      "LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=42 DF PROTO=UDP SPT=5353 DPT=53 LEN=20 ] \n"
      "Aug 10 05:15:49 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6\n"
      "172.30.3.56:4425 1.11.68.22:445 L=79 S=0x00 I=42665 F=0x4000 T=128 (#13)\n"
      "Jun  2 12:00:00 host kernel: [UFW BLOCK] IN=eth0 OUT= SRC=2001:db8::1 DST=fe80::2:3 "
      "LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=654321 PROTO=TCP SPT=443 DPT=50000 WINDOW=100 RES=0x00 "
      "ACK FIN URGP=0 \n";
  const auto frames = testing::FramesOf(text);
  ASSERT_EQ(frames.size(), 3u);
  d::DecodedPacket pkt;
  pkt.wire_len = frames[0].wire_len;
  pkt.cap_len = frames[0].cap_len;
  ASSERT_EQ(d::DecodeFrame(d::LinkType::kEthernet, frames[0].data(), pkt), d::DecodeStatus::kOk);
  EXPECT_EQ(pkt.anomaly_count, 0);
  ASSERT_TRUE(pkt.icmp_quoted.present);
  EXPECT_EQ(V4(pkt.icmp_quoted.src), "10.0.0.2");
  EXPECT_EQ(V4(pkt.icmp_quoted.dst), "10.0.0.1");
  EXPECT_EQ(pkt.icmp_quoted.ip_proto, 17);
  EXPECT_EQ(pkt.icmp_quoted.src_port, 5353);
  EXPECT_EQ(pkt.icmp_quoted.dst_port, 53);
  CheckFrame(frames[1]);
  pkt = {};
  pkt.wire_len = frames[2].wire_len;
  pkt.cap_len = frames[2].cap_len;
  ASSERT_EQ(d::DecodeFrame(d::LinkType::kEthernet, frames[2].data(), pkt), d::DecodeStatus::kOk);
  EXPECT_EQ(pkt.anomaly_count, 0);
  EXPECT_EQ(pkt.ip_version, 6);
  EXPECT_TRUE(pkt.has_l4);
  EXPECT_EQ(pkt.src_port, 443);
  EXPECT_EQ(pkt.dst_port, 50000);
  EXPECT_EQ(pkt.tcp_flags, d::kTcpAck | d::kTcpFin);
  EXPECT_EQ(pkt.ttl, 57);
  EXPECT_EQ(pkt.ip_total_len, 80);
}

}  // namespace
}  // namespace tapwatch::sensor
