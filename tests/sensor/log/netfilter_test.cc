// netfilter LOG lines -> frames, every field checked by decoding the frame with libtins.
// Lines marked "verbatim" are copied from the SOTM30 analysis or the real logs in
// $TAPWATCH_SHARED/logs; the ones marked "kernel format" follow nf_log_ipv4.c / nf_log_ipv6.c for
// cases the real logs lack (ICMP errors, IPv6, fragments, SEQ/ACK).

#include <gtest/gtest.h>
#include <tins/tins.h>

#include <string>

#include "sensor/log/line_parser.h"
#include "sensor/log/netfilter_parser.h"
#include "sensor/log/source.h"
#include "tests/sensor/log/test_util.h"

namespace tapwatch::sensor {
namespace {

using testing::Decode;
using testing::HeaderChecksumOk;
using testing::ParseOne;
using testing::UtcSeconds;

// verbatim: SOTM30 head line 1 (trailing spaces kept)
constexpr const char* kSotmSyn =
    "Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 "
    "SRC=192.150.249.87 DST=11.11.11.84 LEN=40 TOS=0x00 PREC=0x00 TTL=110 ID=12973 PROTO=TCP "
    "SPT=220 DPT=6129 WINDOW=16384 RES=0x00 SYN URGP=0  ";

TEST(LogNetfilter, SotmTcpSyn) {
  const auto r = ParseOne(kSotmSyn);
  const LogFrame& f = r.frame;
  EXPECT_EQ(f.ts_ns, static_cast<uint64_t>(UtcSeconds(2004, 2, 1, 0, 0, 2)) * 1000000000ull);
  EXPECT_EQ(f.wire_len, 14u + 40u);
  EXPECT_EQ(f.cap_len, 54u);
  EXPECT_EQ(r.label, "INBOUND TCP");
  EXPECT_EQ(r.in, "eth0");  // PHYSIN preferred
  EXPECT_EQ(r.out, "eth1");
  EXPECT_EQ(r.logical_in, "br0");
  EXPECT_EQ(r.logical_out, "br0");
  EXPECT_EQ(f.line_number, 1u);
  Tins::EthernetII eth = Decode(f);
  EXPECT_EQ(eth.dst_addr(), Tins::HWAddress<6>("00:00:00:00:00:00"));
  EXPECT_EQ(eth.src_addr(), Tins::HWAddress<6>("00:00:00:00:00:00"));
  EXPECT_EQ(eth.payload_type(), 0x0800);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.src_addr(), Tins::IPv4Address("192.150.249.87"));
  EXPECT_EQ(ip.dst_addr(), Tins::IPv4Address("11.11.11.84"));
  EXPECT_EQ(ip.tot_len(), 40);
  EXPECT_EQ(ip.tos(), 0);
  EXPECT_EQ(ip.ttl(), 110);
  EXPECT_EQ(ip.id(), 12973);
  EXPECT_EQ(ip.flags(), 0);
  EXPECT_EQ(ip.fragment_offset(), 0);
  EXPECT_EQ(ip.protocol(), 6);
  EXPECT_EQ(ip.head_len(), 5);
  EXPECT_TRUE(HeaderChecksumOk(f.bytes.data() + 14, 20));
  const auto& tcp = eth.rfind_pdu<Tins::TCP>();
  EXPECT_EQ(tcp.sport(), 220);
  EXPECT_EQ(tcp.dport(), 6129);
  EXPECT_EQ(tcp.window(), 16384);
  EXPECT_EQ(tcp.flags(), Tins::TCP::SYN);
  EXPECT_EQ(tcp.data_offset(), 5);
  EXPECT_EQ(tcp.seq(), 0u);
  EXPECT_EQ(tcp.ack_seq(), 0u);
  EXPECT_EQ(tcp.urg_ptr(), 0);
}

TEST(LogNetfilter, SotmAckRstFromLoopbackSource) {
  // verbatim: SOTM30 (the spoofed 127.0.0.1 RSTs)
  const auto r = ParseOne(
      "Feb 16 08:08:09 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 "
      "SRC=127.0.0.1 DST=11.11.11.82 LEN=40 TOS=0x00 PREC=0x00 TTL=119 ID=21925 PROTO=TCP SPT=80 "
      "DPT=1537 WINDOW=0 RES=0x00 ACK RST URGP=0");
  Tins::EthernetII eth = Decode(r.frame);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.src_addr(), Tins::IPv4Address("127.0.0.1"));
  EXPECT_EQ(ip.ttl(), 119);
  EXPECT_EQ(ip.id(), 21925);
  const auto& tcp = eth.rfind_pdu<Tins::TCP>();
  EXPECT_EQ(tcp.flags(), Tins::TCP::ACK | Tins::TCP::RST);
  EXPECT_EQ(tcp.window(), 0);
  EXPECT_EQ(tcp.dport(), 1537);
}

TEST(LogNetfilter, SotmOutgoingDfAck) {
  // verbatim: SOTM30 (tail -1 of the month)
  const auto r = ParseOne(
      "Feb 27 14:40:06 bridge kernel: OUTG CONN TCP: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 "
      "SRC=11.11.11.71 DST=220.210.69.62 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=50688 DF PROTO=TCP "
      "SPT=80 DPT=1325 WINDOW=6432 RES=0x00 ACK URGP=0");
  EXPECT_EQ(r.label, "OUTG CONN TCP");
  EXPECT_EQ(r.in, "eth1");
  Tins::EthernetII eth = Decode(r.frame);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.flags(), Tins::IP::DONT_FRAGMENT);
  EXPECT_EQ(ip.id(), 50688);
  EXPECT_TRUE(HeaderChecksumOk(r.frame.bytes.data() + 14, 20));
  const auto& tcp = eth.rfind_pdu<Tins::TCP>();
  EXPECT_EQ(tcp.flags(), Tins::TCP::ACK);
  EXPECT_EQ(tcp.window(), 6432);
  EXPECT_EQ(tcp.sport(), 80);
}

TEST(LogNetfilter, SotmIcmpEcho) {
  // verbatim: SOTM30 head (Welchia ping, LEN=92)
  const auto r = ParseOne(
      "Feb  1 00:04:19 bridge kernel: INBOUND ICMP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 "
      "SRC=190.0.0.39 DST=11.11.11.105 LEN=92 TOS=0x00 PREC=0x00 TTL=107 ID=12037 PROTO=ICMP "
      "TYPE=8 CODE=0 ID=512 SEQ=733  ");
  EXPECT_EQ(r.frame.wire_len, 14u + 92u);
  EXPECT_EQ(r.frame.cap_len, 14u + 20u + 8u);
  Tins::EthernetII eth = Decode(r.frame);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.id(), 12037);  // the IP ID, not the ICMP one
  EXPECT_EQ(ip.protocol(), 1);
  const auto& icmp = eth.rfind_pdu<Tins::ICMP>();
  EXPECT_EQ(icmp.type(), Tins::ICMP::ECHO_REQUEST);
  EXPECT_EQ(icmp.code(), 0);
  EXPECT_EQ(icmp.id(), 512);
  EXPECT_EQ(icmp.sequence(), 733);
}

TEST(LogNetfilter, SotmLegalBroadcastUdp) {
  // verbatim: SOTM30 head
  const auto r = ParseOne(
      "Feb  1 00:09:27 bridge kernel: Legal Broadcast: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 "
      "SRC=11.11.11.67 DST=11.11.11.255 LEN=241 TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP "
      "SPT=138 DPT=138 LEN=221  ");
  EXPECT_EQ(r.label, "Legal Broadcast");
  EXPECT_EQ(r.frame.wire_len, 14u + 241u);
  Tins::EthernetII eth = Decode(r.frame);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.tot_len(), 241);
  EXPECT_EQ(ip.flags(), Tins::IP::DONT_FRAGMENT);
  const auto& udp = eth.rfind_pdu<Tins::UDP>();
  EXPECT_EQ(udp.sport(), 138);
  EXPECT_EQ(udp.dport(), 138);
  EXPECT_EQ(udp.length(), 221);
}

TEST(LogNetfilter, SeedInblockWithMac) {
  // verbatim: SOTM30 (syslog to the bridge, MAC= present)
  const auto r = ParseOne(
      "Feb 10 14:03:35 bridge kernel: INBLOCK: IN=eth1 OUT= "
      "MAC=00:02:b3:65:c9:71:00:b0:d0:87:85:c3:08:00 SRC=11.11.11.69 DST=11.11.11.65 LEN=65 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=1025 DPT=514 LEN=45");
  EXPECT_EQ(r.label, "INBLOCK");
  EXPECT_EQ(r.in, "eth1");
  EXPECT_EQ(r.out, "");
  Tins::EthernetII eth = Decode(r.frame);
  EXPECT_EQ(eth.dst_addr(), Tins::HWAddress<6>("00:02:b3:65:c9:71"));
  EXPECT_EQ(eth.src_addr(), Tins::HWAddress<6>("00:b0:d0:87:85:c3"));
  const auto& udp = eth.rfind_pdu<Tins::UDP>();
  EXPECT_EQ(udp.dport(), 514);
  EXPECT_EQ(udp.length(), 45);
}

TEST(LogNetfilter, UfwSynWithMacAndUptime) {
  // verbatim: UFW log line 1
  const auto r = ParseOne(
      "May 29 06:53:55 vultr kernel: [547219.375133] [UFW BLOCK] IN=ens3 OUT= "
      "MAC=56:00:03:85:82:df:fe:00:03:85:82:df:08:00 SRC=192.241.219.198 DST=158.247.223.84 "
      "LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=60834 DPT=5985 WINDOW=65535 "
      "RES=0x00 SYN URGP=0 ",
      testing::Year(2022));
  EXPECT_EQ(r.label, "[UFW BLOCK]");
  EXPECT_EQ(r.in, "ens3");
  EXPECT_EQ(r.frame.ts_ns,
            static_cast<uint64_t>(UtcSeconds(2022, 5, 29, 6, 53, 55)) * 1000000000ull);
  Tins::EthernetII eth = Decode(r.frame);
  EXPECT_EQ(eth.dst_addr(), Tins::HWAddress<6>("56:00:03:85:82:df"));
  EXPECT_EQ(eth.src_addr(), Tins::HWAddress<6>("fe:00:03:85:82:df"));
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.ttl(), 241);
  EXPECT_EQ(ip.id(), 54321);
  const auto& tcp = eth.rfind_pdu<Tins::TCP>();
  EXPECT_EQ(tcp.sport(), 60834);
  EXPECT_EQ(tcp.dport(), 5985);
  EXPECT_EQ(tcp.window(), 65535);
  EXPECT_EQ(tcp.flags(), Tins::TCP::SYN);
}

TEST(LogNetfilter, UfwPshAndIcmpTimestampReply) {
  // verbatim: UFW log (a PSH-only segment; the one ICMP line, type 14 without ID/SEQ)
  const auto psh = ParseOne(
      "May 29 08:06:28 vultr kernel: [551573.022306] [UFW BLOCK] IN=ens3 OUT=ens3 "
      "MAC=56:00:03:85:82:df:fe:00:03:85:82:df:08:00 SRC=92.118.39.30 DST=158.247.200.34 LEN=77 "
      "TOS=0x00 PREC=0x00 TTL=235 ID=4610 PROTO=TCP SPT=25671 DPT=80 WINDOW=65535 RES=0x00 PSH "
      "URGP=0 ");
  EXPECT_EQ(Decode(psh.frame).rfind_pdu<Tins::TCP>().flags(), Tins::TCP::PSH);
  EXPECT_EQ(psh.frame.wire_len, 14u + 77u);
  const auto icmp = ParseOne(
      "May 29 11:55:51 vultr kernel: [565335.445429] [UFW BLOCK] IN=ens3 OUT=ens3 "
      "MAC=56:00:03:85:82:df:fe:00:03:85:82:df:08:00 SRC=95.156.193.3 DST=158.247.200.34 LEN=40 "
      "TOS=0x00 PREC=0x00 TTL=113 ID=52439 PROTO=ICMP TYPE=14 CODE=0 ");
  Tins::EthernetII eth = Decode(icmp.frame);
  EXPECT_EQ(eth.rfind_pdu<Tins::IP>().id(), 52439);
  EXPECT_EQ(eth.rfind_pdu<Tins::ICMP>().type(), 14);
  EXPECT_EQ(eth.rfind_pdu<Tins::ICMP>().code(), 0);
}

TEST(LogNetfilter, IcmpErrorQuotesInnerPacket) {
  // kernel format (nf_log_ipv4.c: "[" dump_ipv4_packet "] " for destination unreachable)
  const auto r = ParseOne(
      "Feb  3 10:00:00 fw kernel: OUT ICMP: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=68 "
      "TOS=0x00 PREC=0xC0 TTL=64 ID=1234 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.2 DST=10.0.0.1 "
      "LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=42 DF PROTO=UDP SPT=5353 DPT=53 LEN=20 ] ");
  EXPECT_EQ(r.in, "");
  EXPECT_EQ(r.out, "eth0");
  const LogFrame& f = r.frame;
  EXPECT_EQ(f.cap_len, 14u + 20u + 8u + 20u + 8u);
  Tins::EthernetII eth = Decode(f);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.tos(), 0xC0);
  EXPECT_EQ(ip.tot_len(), 68);
  const auto& icmp = eth.rfind_pdu<Tins::ICMP>();
  EXPECT_EQ(icmp.type(), Tins::ICMP::DEST_UNREACHABLE);
  EXPECT_EQ(icmp.code(), 3);
  // The quoted packet, decoded by libtins from the bytes after the 8-byte ICMP header.
  Tins::IP inner(f.bytes.data() + 14 + 20 + 8, 28);
  EXPECT_EQ(inner.src_addr(), Tins::IPv4Address("10.0.0.2"));
  EXPECT_EQ(inner.dst_addr(), Tins::IPv4Address("10.0.0.1"));
  EXPECT_EQ(inner.tot_len(), 40);
  EXPECT_EQ(inner.ttl(), 63);
  EXPECT_EQ(inner.id(), 42);
  EXPECT_EQ(inner.flags(), Tins::IP::DONT_FRAGMENT);
  EXPECT_EQ(inner.protocol(), 17);
  EXPECT_TRUE(HeaderChecksumOk(f.bytes.data() + 42, 20));
  const auto& udp = inner.rfind_pdu<Tins::UDP>();
  EXPECT_EQ(udp.sport(), 5353);
  EXPECT_EQ(udp.dport(), 53);
  EXPECT_EQ(udp.length(), 20);
}

TEST(LogNetfilter, FragmentsAndSequenceNumbers) {
  // kernel format: a later fragment ("FRAG:185", no L4 header) and a first fragment with MF.
  const auto later = ParseOne(
      "Mar  1 00:00:00 fw kernel: FRAG: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=548 TOS=0x10 "
      "PREC=0x20 TTL=50 ID=777 FRAG:185 PROTO=UDP ");
  EXPECT_EQ(later.frame.cap_len, 34u);
  Tins::EthernetII eth = Decode(later.frame);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.fragment_offset(), 185);
  EXPECT_EQ(ip.flags(), 0);
  EXPECT_EQ(ip.tos(), 0x30);
  EXPECT_EQ(ip.protocol(), 17);
  EXPECT_TRUE(HeaderChecksumOk(later.frame.bytes.data() + 14, 20));
  // The spelling FRAG=n is accepted too.
  const auto eq = ParseOne(
      "Mar  1 00:00:00 fw kernel: FRAG: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=548 TOS=0x00 "
      "PREC=0x00 TTL=50 ID=777 MF FRAG=3 PROTO=UDP ");
  Tins::EthernetII eth2 = Decode(eq.frame);
  const auto& ip2 = eth2.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip2.fragment_offset(), 3);
  EXPECT_EQ(ip2.flags(), Tins::IP::MORE_FRAGMENTS);
  // --log-tcp-sequence and all eight flag words.
  const auto seq = ParseOne(
      "Mar  1 00:00:01 fw kernel: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=60 TOS=0x00 "
      "PREC=0x00 TTL=50 ID=1 CE DF PROTO=TCP SPT=1 DPT=2 SEQ=4000000000 ACK=123456 WINDOW=5 "
      "RES=0x00 CWR ECE URG ACK PSH RST SYN FIN URGP=7 ");
  EXPECT_EQ(seq.label, "");
  EXPECT_EQ(seq.frame.label_id, 0);
  Tins::EthernetII eth3 = Decode(seq.frame);
  // libtins calls the reserved bit (netfilter "CE") FLAG_RESERVED.
  EXPECT_EQ(eth3.rfind_pdu<Tins::IP>().flags(), Tins::IP::FLAG_RESERVED | Tins::IP::DONT_FRAGMENT);
  const auto& tcp = eth3.rfind_pdu<Tins::TCP>();
  EXPECT_EQ(tcp.seq(), 4000000000u);
  EXPECT_EQ(tcp.ack_seq(), 123456u);
  EXPECT_EQ(tcp.flags(), 0xFF);
  EXPECT_EQ(tcp.urg_ptr(), 7);
  EXPECT_EQ(tcp.window(), 5);
}

TEST(LogNetfilter, Ipv6TcpAndIcmpv6) {
  // kernel format (nf_log_ipv6.c: LEN includes the 40-byte header; TC, HOPLIMIT, FLOWLBL)
  const auto r = ParseOne(
      "Jun  2 12:00:00 host kernel: [UFW BLOCK] IN=eth0 OUT= "
      "MAC=33:33:00:00:00:01:00:11:22:33:44:55:86:dd SRC=2001:db8::1 DST=fe80::2:3 LEN=80 TC=0 "
      "HOPLIMIT=57 FLOWLBL=654321 PROTO=TCP SPT=443 DPT=50000 WINDOW=100 RES=0x00 ACK FIN "
      "URGP=0 ");
  EXPECT_EQ(r.frame.wire_len, 14u + 80u);
  EXPECT_EQ(r.frame.cap_len, 14u + 40u + 20u);
  EXPECT_EQ(testing::Ipv6PayloadLengthField(r.frame), 40u);
  Tins::EthernetII eth = testing::DecodeIpv6Clipped(r.frame);
  EXPECT_EQ(eth.payload_type(), 0x86DD);
  EXPECT_EQ(eth.src_addr(), Tins::HWAddress<6>("00:11:22:33:44:55"));
  const auto& ip6 = eth.rfind_pdu<Tins::IPv6>();
  EXPECT_EQ(ip6.src_addr(), Tins::IPv6Address("2001:db8::1"));
  EXPECT_EQ(ip6.dst_addr(), Tins::IPv6Address("fe80::2:3"));
  EXPECT_EQ(ip6.hop_limit(), 57);
  EXPECT_EQ(ip6.flow_label(), 654321u);
  EXPECT_EQ(ip6.next_header(), 6);
  const auto& tcp = eth.rfind_pdu<Tins::TCP>();
  EXPECT_EQ(tcp.sport(), 443);
  EXPECT_EQ(tcp.flags(), Tins::TCP::ACK | Tins::TCP::FIN);

  const auto echo = ParseOne(
      "Jun  2 12:00:01 host kernel: v6ping IN=eth0 OUT= SRC=::ffff:1.2.3.4 DST=2001:db8::99 "
      "LEN=104 TC=16 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=9 ");
  EXPECT_EQ(echo.label, "v6ping");
  EXPECT_EQ(testing::Ipv6PayloadLengthField(echo.frame), 64u);
  Tins::EthernetII e2 = testing::DecodeIpv6Clipped(echo.frame);
  const auto& ip62 = e2.rfind_pdu<Tins::IPv6>();
  EXPECT_EQ(ip62.src_addr(), Tins::IPv6Address("::ffff:1.2.3.4"));
  EXPECT_EQ(ip62.traffic_class(), 16);
  const auto& icmp6 = e2.rfind_pdu<Tins::ICMPv6>();
  EXPECT_EQ(icmp6.type(), Tins::ICMPv6::ECHO_REQUEST);
  EXPECT_EQ(icmp6.identifier(), 7);
  EXPECT_EQ(icmp6.sequence(), 9);
}

TEST(LogNetfilter, NonPacketLinesFromSeed) {
  // verbatim: SOTM30 bridge and klogd messages
  const std::string text =
      "Feb 10 13:51:02 bridge kernel: eth0: 0 multicast blocks dropped.\n"
      "Feb 10 13:51:03 bridge kernel: br0: port 2(eth0) entering disabled state\n"
      "Feb 10 13:51:35 bridge kernel: br0: topology change detected, propagating\n"
      "Feb 10 13:52:24 bridge kernel: device eth0 left promiscuous mode\n"
      "Feb 11 11:03:31 bridge kernel: Kernel logging (proc) stopped.\n"
      "Feb 11 11:03:31 bridge kernel: Kernel log daemon terminating.\n";
  LogSource* src = nullptr;
  const auto frames = testing::FramesOf(text, &src);
  EXPECT_TRUE(frames.empty());
  ASSERT_NE(src, nullptr);
  EXPECT_EQ(src->counters().lines, 6u);
  EXPECT_EQ(src->counters().non_packet, 6u);
  EXPECT_EQ(src->counters().malformed, 0u);
}

TEST(LogNetfilter, SeedWrappedOtherProtocolLine) {
  // verbatim: SOTM30 prints the IGMP lines wrapped after LEN=32
  const std::string text =
      "Feb  3 13:43:51 bridge kernel: OUTG CONN OTHER: IN=br0 PHYSIN=eth1 OUT=br0 PHYSOUT=eth0 "
      "SRC=11.11.11.67 DST=224.0.0.2 LEN=32\n"
      "TOS=0x00 PREC=0x00 TTL=1 ID=0 DF PROTO=2\n";
  const auto r = ParseOne(text);
  EXPECT_EQ(r.counters.lines, 2u);
  EXPECT_EQ(r.counters.packet, 1u);
  EXPECT_EQ(r.counters.continuation, 1u);
  EXPECT_EQ(r.label, "OUTG CONN OTHER");
  EXPECT_EQ(r.frame.cap_len, 34u);
  EXPECT_EQ(r.frame.wire_len, 46u);
  Tins::EthernetII eth = Decode(r.frame);
  const auto& ip = eth.rfind_pdu<Tins::IP>();
  EXPECT_EQ(ip.dst_addr(), Tins::IPv4Address("224.0.0.2"));
  EXPECT_EQ(ip.protocol(), 2);
  EXPECT_EQ(ip.ttl(), 1);
  EXPECT_EQ(ip.flags(), Tins::IP::DONT_FRAGMENT);
}

TEST(LogNetfilter, MalformedFieldsAreNamed) {
  struct Case {
    const char* line;
    const char* field;
  } cases[] = {
      {"Feb  1 00:00:02 bridge kernel: X: IN=br0 OUT=br0 SRC=1.2.3.999 DST=1.1.1.1 LEN=40 "
       "TTL=1 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0",
       "SRC"},
      {"Feb  1 00:00:02 bridge kernel: X: IN=br0 OUT=br0 SRC=1.2.3.4 DST=1.1.1.1 LEN=40 "
       "TTL=300 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0",
       "TTL"},
      {"Feb  1 00:00:02 bridge kernel: X: IN=br0 OUT=br0 SRC=1.2.3.4 DST=1.1.1.1 LEN=40 "
       "TTL=3 ID=1 PROTO=TCP SPT=1 DPT=70000 WINDOW=1 RES=0x00 SYN URGP=0",
       "DPT"},
      {"Feb  1 00:00:02 bridge kernel: X: IN=br0 OUT=br0 SRC=1.2.3.4 DST=1.1.1.1 LEN=12 "
       "TTL=3 ID=1 PROTO=UDP SPT=1 DPT=7 LEN=8",
       "LEN"},
      {"Feb  1 00:00:02 bridge kernel: X: IN=br0 OUT=br0 SRC=1.2.3.4 DST=1.1.1.1 LEN=40 "
       "TTL=3 ID=1 PROTO=ICMP TYPE=8 CODE=0",
       "SEQ"},
      {"Feb  1 00:00:02 bridge kernel: X: IN=br0 OUT=br0 SRC=1.2.3.4 DST=1.1.1.1 LEN=40 "
       "TTL=3 ID=1 PROTO=ICMP TYPE=3 CODE=1 [SRC=1.1.1.1 DST=1.2.3.4 LEN=20 PROTO=UDP",
       "["},
      {"Feb  1 00:00:02 bridge kernel: X: IN=br0 OUT=br0 SRC=1.2.3.4 DST=1.1.1.1 LEN=65536 "
       "TTL=3 ID=1 PROTO=UDP SPT=1 DPT=7 LEN=8",
       "LEN"},
      {"Feb 31 99:00:02 bridge kernel: X: IN=br0", "timestamp"},
      {"garbage", "timestamp"},
  };
  for (const auto& c : cases) {
    std::string error;
    auto src = LogSource::FromMemory(std::string(c.line) + "\n", testing::Year(2004),
                                     &error);
    ASSERT_NE(src, nullptr);
    LogFrame f;
    EXPECT_FALSE(src->Next(f)) << c.line;
    EXPECT_EQ(src->counters().malformed, 1u) << c.line;
    ASSERT_EQ(src->counters().first_errors.size(), 1u);
    EXPECT_EQ(src->counters().first_errors[0].rfind(std::string("line 1: field ") + c.field, 0),
              0u)
        << src->counters().first_errors[0];
  }
}

TEST(LogNetfilter, LargestFrameFitsTheBuffer) {
  // The frame builder writes without bounds checks: the largest frame it can build is an IPv6
  // first fragment (fragment header) carrying an ICMPv6 error that quotes another IPv6 first
  // fragment: 14 + 40 + 8 + 8 + 40 + 8 + 8 = 126 bytes (tshark reads 126 bytes, the inner
  // fragment header and UDP ports at the offsets below).
  const auto r = ParseOne(
      "Jun  2 12:00:00 host kernel: big6 IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=1280 "
      "TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:0 INCOMPLETE ID:0000abcd PROTO=ICMPv6 TYPE=1 CODE=4 "
      "[SRC=2001:db8::2 DST=2001:db8::3 LEN=1232 TC=0 HOPLIMIT=63 FLOWLBL=0 FRAG:0 INCOMPLETE "
      "ID:00001234 PROTO=UDP SPT=1 DPT=2 LEN=1192 ] ");
  ASSERT_EQ(r.frame.cap_len, 126u);
  ASSERT_LE(r.frame.cap_len, r.frame.bytes.size());
  const uint8_t* b = r.frame.bytes.data();
  EXPECT_EQ(b[14 + 6], 44);             // outer next header: fragment
  EXPECT_EQ(b[14 + 40], 58);            // fragment header -> ICMPv6
  EXPECT_EQ(b[14 + 48], 1);             // ICMPv6 type 1
  EXPECT_EQ(b[14 + 56 + 6], 44);        // quoted IPv6: next header fragment
  EXPECT_EQ(b[14 + 56 + 40], 17);       // quoted fragment header -> UDP
  EXPECT_EQ(b[14 + 56 + 48 + 1], 1);    // quoted UDP source port 1
  EXPECT_EQ(b[14 + 56 + 48 + 3], 2);    // quoted UDP destination port 2
}

}  // namespace
}  // namespace tapwatch::sensor
