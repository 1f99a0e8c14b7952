// ipchains "Packet log" lines (the 1.11.0.0/16 leak, verbatim, wrapped over two lines as quoted)
// -> frames, decoded with libtins.

#include <gtest/gtest.h>
#include <tins/tins.h>

#include <string>
#include <vector>

#include "sensor/log/source.h"
#include "tests/sensor/log/test_util.h"

namespace tapwatch::sensor {
namespace {

using testing::Decode;
using testing::HeaderChecksumOk;
using testing::UtcSeconds;

// verbatim: the 1.11.0.0/16 leak (first three records, each wrapped after PROTO=6)
constexpr const char* kSeedWrapped =
    "Aug 10 05:15:48 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6\n"
    "172.30.3.56:4425 1.11.68.22:445 L=40 S=0x00 I=42620 F=0x4000 T=128 (#13)\n"
    "Aug 10 05:15:49 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6\n"
    "172.30.3.56:4425 1.11.68.22:445 L=79 S=0x00 I=42665 F=0x4000 T=128 (#13)\n"
    "Aug 10 05:15:50 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6\n"
    "172.30.3.56:4425 1.11.68.22:445 L=79 S=0x00 I=42673 F=0x4000 T=128 (#13)\n";

struct Expect {
  uint64_t line;
  int sec;
  uint16_t len;
  uint16_t id;
};

void CheckSeedFrames(const std::string& text, LogFormat format) {
  std::string error;
  LogSourceOptions opts;
  opts.year = 2004;
  opts.format = format;
  auto src = LogSource::FromMemory(text, opts, &error);
  ASSERT_NE(src, nullptr) << error;
  const Expect expect[] = {{1, 48, 40, 42620}, {3, 49, 79, 42665}, {5, 50, 79, 42673}};
  LogFrame f;
  for (const Expect& e : expect) {
    ASSERT_TRUE(src->Next(f));
    EXPECT_EQ(f.line_number, e.line);
    EXPECT_EQ(f.ts_ns, static_cast<uint64_t>(UtcSeconds(2004, 8, 10, 5, 15, e.sec)) * 1000000000ull);
    EXPECT_EQ(f.label, "input REJECT");
    EXPECT_EQ(f.in_iface, "eth0");
    EXPECT_EQ(f.out_iface, "");
    EXPECT_EQ(f.format, LogFormat::kIpchains);
    EXPECT_EQ(f.wire_len, 14u + e.len);
    EXPECT_EQ(f.cap_len, 54u);
    Tins::EthernetII eth = Decode(f);
    const auto& ip = eth.rfind_pdu<Tins::IP>();
    EXPECT_EQ(ip.src_addr(), Tins::IPv4Address("172.30.3.56"));
    EXPECT_EQ(ip.dst_addr(), Tins::IPv4Address("1.11.68.22"));
    EXPECT_EQ(ip.tot_len(), e.len);
    EXPECT_EQ(ip.tos(), 0);
    EXPECT_EQ(ip.id(), e.id);
    EXPECT_EQ(ip.flags(), Tins::IP::DONT_FRAGMENT);
    EXPECT_EQ(ip.fragment_offset(), 0);
    EXPECT_EQ(ip.ttl(), 128);
    EXPECT_EQ(ip.protocol(), 6);
    EXPECT_TRUE(HeaderChecksumOk(f.bytes.data() + 14, 20));
    const auto& tcp = eth.rfind_pdu<Tins::TCP>();
    EXPECT_EQ(tcp.sport(), 4425);
    EXPECT_EQ(tcp.dport(), 445);
    // Documented assumption: no SYN word -> established: ACK, + PSH when L > 40.
    EXPECT_EQ(tcp.flags(), e.len > 40 ? (Tins::TCP::ACK | Tins::TCP::PSH) : Tins::TCP::ACK);
  }
  EXPECT_FALSE(src->Next(f));
  const auto& c = src->counters();
  EXPECT_EQ(c.lines, 6u);
  EXPECT_EQ(c.packet, 3u);
  EXPECT_EQ(c.continuation, 3u);
  EXPECT_EQ(c.malformed, 0u);
  EXPECT_EQ(c.non_packet, 0u);
}

TEST(LogIpchains, SeedWrappedLinesAuto) { CheckSeedFrames(kSeedWrapped, LogFormat::kAuto); }

TEST(LogIpchains, SeedWrappedLinesExplicitFormat) {
  CheckSeedFrames(kSeedWrapped, LogFormat::kIpchains);
}

TEST(LogIpchains, UnwrappedLineSynUdpIcmpAndOutput) {
  // kernel format (ip_fw.c): one line each; " SYN" marks a bare SYN; ICMP type:code as ports.
  const std::string text =
      "Sep  8 18:03:14 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6 "
      "172.30.2.201:4801 1.11.69.61:445 L=48 S=0x10 I=23459 F=0x0000 T=128 SYN (#13)\n"
      "Sep  8 18:03:15 peter-172 kernel: Packet log: output DENY ppp0 PROTO=17 10.0.0.1:137 "
      "10.0.0.255:137 L=78 S=0x00 I=7 F=0x2000 T=64 (#2)\n"
      "Sep  8 18:03:16 peter-172 kernel: Packet log: forward ACCEPT eth1 PROTO=1 10.0.0.1:8 "
      "10.0.0.9:0 L=84 S=0x00 I=9 F=0x4000 T=63 (#1)\n";
  std::string error;
  auto src = LogSource::FromMemory(text, testing::Year(2004), &error);
  ASSERT_NE(src, nullptr);
  LogFrame f;
  ASSERT_TRUE(src->Next(f));
  {
    Tins::EthernetII eth = Decode(f);
    EXPECT_EQ(eth.rfind_pdu<Tins::IP>().tos(), 0x10);
    EXPECT_EQ(eth.rfind_pdu<Tins::IP>().flags(), 0);
    EXPECT_EQ(eth.rfind_pdu<Tins::TCP>().flags(), Tins::TCP::SYN);
  }
  ASSERT_TRUE(src->Next(f));
  EXPECT_EQ(f.label, "output DENY");
  EXPECT_EQ(f.out_iface, "ppp0");
  EXPECT_EQ(f.in_iface, "");
  {
    // MF set: libtins stops at IP for fragments; check the UDP bytes by hand.
    Tins::EthernetII eth = Decode(f);
    EXPECT_EQ(eth.rfind_pdu<Tins::IP>().flags(), Tins::IP::MORE_FRAGMENTS);
    EXPECT_EQ(eth.rfind_pdu<Tins::IP>().protocol(), 17);
    ASSERT_EQ(f.cap_len, 14u + 20u + 8u);
    EXPECT_EQ((f.bytes[34] << 8) | f.bytes[35], 137);
    EXPECT_EQ((f.bytes[36] << 8) | f.bytes[37], 137);
    EXPECT_EQ((f.bytes[38] << 8) | f.bytes[39], 78 - 20);  // UDP length = L - 20
  }
  ASSERT_TRUE(src->Next(f));
  EXPECT_EQ(f.label, "forward ACCEPT");
  {
    Tins::EthernetII eth = Decode(f);
    const auto& icmp = eth.rfind_pdu<Tins::ICMP>();
    EXPECT_EQ(icmp.type(), Tins::ICMP::ECHO_REQUEST);
    EXPECT_EQ(icmp.code(), 0);
    EXPECT_EQ(eth.rfind_pdu<Tins::IP>().ttl(), 63);
  }
  EXPECT_FALSE(src->Next(f));
  EXPECT_EQ(src->counters().packet, 3u);
}

TEST(LogIpchains, WrappedLineFollowedByNewRecordIsMalformed) {
  // The first half only, then a new timestamped line: the half is malformed, the next parses.
  const std::string text =
      "Aug 10 05:15:48 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6\n"
      "Aug 10 05:15:49 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6 "
      "172.30.3.56:4425 1.11.68.22:445 L=79 S=0x00 I=42665 F=0x4000 T=128 (#13)\n";
  LogSource* src = nullptr;
  const auto frames = testing::FramesOf(text, &src);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].line_number, 2u);
  EXPECT_EQ(src->counters().malformed, 1u);
  ASSERT_EQ(src->counters().first_errors.size(), 1u);
  EXPECT_EQ(src->counters().first_errors[0], "line 1: field source: line ends before this field");
}

TEST(LogIpchains, NetfilterLinesAreNonPacketInIpchainsMode) {
  const std::string text =
      "Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 "
      "SRC=192.150.249.87 DST=11.11.11.84 LEN=40 TOS=0x00 PREC=0x00 TTL=110 ID=12973 PROTO=TCP "
      "SPT=220 DPT=6129 WINDOW=16384 RES=0x00 SYN URGP=0\n";
  LogSourceOptions opts = testing::Year(2004);
  opts.format = LogFormat::kIpchains;
  LogSource* src = nullptr;
  EXPECT_TRUE(testing::FramesOf(text, &src, opts).empty());
  EXPECT_EQ(src->counters().non_packet, 1u);
}

}  // namespace
}  // namespace tapwatch::sensor
