// The flow-record builder: frames crafted with libtins go through the real decoder and flow
// table; the FlowRecord built from each exported flow must carry what libtins says was sent
// (addresses, ports, MACs, per-side packets, IP/wire/payload bytes, TTLs, TCP flags). Address
// text is checked against inet_ntop.

#include "sensor/record_builder.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <tins/tins.h>

#include <array>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "decoders/decode_frame.h"
#include "flowtable/flow_table.h"

namespace tapwatch::sensor {
namespace {

using namespace Tins;

class Collect : public flowtable::ExportSink {
 public:
  void Export(const flowtable::Flow& flow, flowtable::EndReason why, bool interim) override {
    proto::FlowRecord r;
    BuildFlowRecord(flow, why, interim, "unit", labels_, r);
    records.push_back(r);
  }
  std::vector<proto::FlowRecord> records;

 private:
  std::vector<std::string> labels_{std::string()};
};

struct Feeder {
  flowtable::FlowTable table;
  Collect sink;
  uint64_t ts_ns = 1'700'000'000'000'000'000ull;

  static flowtable::FlowTableConfig Config() {
    flowtable::FlowTableConfig c;
    c.capacity_log2 = 10;
    return c;
  }
  Feeder() : table(Config()) {}

  void Feed(PDU& pdu) {
    const std::vector<uint8_t> bytes = pdu.serialize();
    decoders::DecodedPacket pkt;
    pkt.ts_ns = ts_ns;
    pkt.wire_len = static_cast<uint32_t>(bytes.size());
    pkt.cap_len = static_cast<uint32_t>(bytes.size());
    const auto status = decoders::DecodeFrame(decoders::LinkType::kEthernet,
                                              std::span<const uint8_t>(bytes), pkt);
    ASSERT_EQ(status, decoders::DecodeStatus::kOk);
    table.Update(pkt, sink);
    ts_ns += 1'000'000;  // 1 ms apart
  }
};

TEST(RecordBuilder, TcpFlowFieldsEqualWhatWasSent) {
  Feeder f;
  const EthernetII::address_type cmac("02:aa:bb:cc:dd:01"), smac("02:aa:bb:cc:dd:02");
  const std::string payload_c = "GET / HTTP/1.0\r\n\r\n", payload_s = "HTTP/1.0 200 OK\r\n\r\nhi";
  uint64_t c_pkts = 0, s_pkts = 0, c_ip = 0, s_ip = 0, c_wire = 0, s_wire = 0;
  // Initial sequence numbers; SYN and FIN take one each. Data sent twice at one sequence number
  // would be a retransmission (history T/t).
  uint32_t c_seq = 1000, s_seq = 5000;
  auto send = [&](bool from_client, uint16_t flags, const std::string& data, uint8_t ttl) {
    // libtins: IP(destination, source), TCP(destination port, source port).
    IP ip = from_client ? IP("198.51.100.7", "192.0.2.20") : IP("192.0.2.20", "198.51.100.7");
    ip.ttl(ttl);
    TCP tcp = from_client ? TCP(80, 43210) : TCP(43210, 80);
    tcp.flags(flags);
    uint32_t& seq = from_client ? c_seq : s_seq;
    tcp.seq(seq);
    seq += static_cast<uint32_t>(data.size()) + ((flags & TCP::SYN) ? 1 : 0) +
           ((flags & TCP::FIN) ? 1 : 0);
    EthernetII eth = from_client ? EthernetII(smac, cmac) : EthernetII(cmac, smac);
    if (data.empty()) {
      eth /= ip / tcp;
    } else {
      eth /= ip / tcp / RawPDU(data);
    }
    const auto* l3 = eth.find_pdu<IP>();
    (from_client ? c_pkts : s_pkts) += 1;
    (from_client ? c_ip : s_ip) += l3->size();
    (from_client ? c_wire : s_wire) += eth.size();
    f.Feed(eth);
  };
  send(true, TCP::SYN, "", 64);
  send(false, TCP::SYN | TCP::ACK, "", 120);
  send(true, TCP::ACK, "", 63);
  send(true, TCP::PSH | TCP::ACK, payload_c, 62);
  send(false, TCP::PSH | TCP::ACK, payload_s, 121);
  send(false, TCP::FIN | TCP::ACK, "", 122);
  send(true, TCP::FIN | TCP::ACK, "", 64);
  f.table.FlushAll(f.sink);

  ASSERT_EQ(f.sink.records.size(), 1u);
  const proto::FlowRecord& r = f.sink.records[0];
  EXPECT_EQ(r.sensor_id(), "unit");
  EXPECT_EQ(r.src_addr(), "192.0.2.20");
  EXPECT_EQ(r.dst_addr(), "198.51.100.7");
  EXPECT_EQ(r.src_port(), 43210u);
  EXPECT_EQ(r.dst_port(), 80u);
  EXPECT_EQ(r.ip_proto(), 6u);
  EXPECT_EQ(r.src_mac(), "02:aa:bb:cc:dd:01");
  EXPECT_EQ(r.dst_mac(), "02:aa:bb:cc:dd:02");
  EXPECT_EQ(r.src_pkts(), c_pkts);
  EXPECT_EQ(r.dst_pkts(), s_pkts);
  EXPECT_EQ(r.src_ip_bytes(), c_ip);
  EXPECT_EQ(r.dst_ip_bytes(), s_ip);
  EXPECT_EQ(r.src_wire_bytes(), c_wire);
  EXPECT_EQ(r.dst_wire_bytes(), s_wire);
  EXPECT_EQ(r.src_payload_bytes(), payload_c.size());
  EXPECT_EQ(r.dst_payload_bytes(), payload_s.size());
  EXPECT_EQ(r.src_tcp_flags(), static_cast<uint32_t>(TCP::SYN | TCP::ACK | TCP::PSH | TCP::FIN));
  EXPECT_EQ(r.dst_tcp_flags(), static_cast<uint32_t>(TCP::SYN | TCP::ACK | TCP::PSH | TCP::FIN));
  EXPECT_EQ(r.src_initial_tcp_flags(), static_cast<uint32_t>(TCP::SYN));
  EXPECT_EQ(r.dst_initial_tcp_flags(), static_cast<uint32_t>(TCP::SYN | TCP::ACK));
  EXPECT_EQ(r.src_ttl_min(), 62u);
  EXPECT_EQ(r.src_ttl_max(), 64u);
  EXPECT_EQ(r.dst_ttl_min(), 120u);
  EXPECT_EQ(r.dst_ttl_max(), 122u);
  EXPECT_EQ(r.start_ns(), 1'700'000'000'000'000'000ull);
  EXPECT_EQ(r.end_ns(), 1'700'000'000'000'000'000ull + 6'000'000ull);
  EXPECT_EQ(r.direction(), "syn");
  EXPECT_EQ(r.end_reason(), "shutdown");
  EXPECT_FALSE(r.interim());
  EXPECT_EQ(r.record_seq(), 0u);
  EXPECT_GT(r.flow_id(), 0u);
  // Zeek's and Argus's rules for this exchange (hand-derived).
  EXPECT_EQ(r.conn_state(), "SF");
  EXPECT_EQ(r.history(), "ShADdfF");
  EXPECT_EQ(r.argus_state(), "FIN");
  EXPECT_EQ(r.argus_flags(), "FSPA_FSPA");
}

// Community ID of flows built from the specification's baseline tables (community-id-spec
// baseline/README.md), whoever sends first: the record's tuple, ordered, hashed with seed 0.
TEST(RecordBuilder, CommunityIdOfTheSpecificationTuples) {
  Feeder f;
  const EthernetII::address_type m1("02:00:00:00:00:01"), m2("02:00:00:00:00:02");
  // libtins: IP(destination, source), TCP(destination port, source port).
  EthernetII tcp = EthernetII(m1, m2) / IP("1.2.3.4", "5.6.7.8") / TCP(1122, 3344);
  tcp.rfind_pdu<TCP>().flags(TCP::SYN);
  f.Feed(tcp);
  EthernetII echo = EthernetII(m2, m1) / IP("5.6.7.8", "1.2.3.4") / ICMP(ICMP::ECHO_REQUEST);
  f.Feed(echo);
  EthernetII reply = EthernetII(m1, m2) / IP("1.2.3.4", "5.6.7.8") / ICMP(ICMP::ECHO_REPLY);
  f.Feed(reply);
  IP rsvp_ip("1.2.3.4", "5.6.7.8");
  rsvp_ip.protocol(46);
  EthernetII rsvp = EthernetII(m1, m2) / rsvp_ip / RawPDU("rsvp");
  f.Feed(rsvp);
  EthernetII echo6 = EthernetII(m2, m1) /
                     IPv6("fe80:1011:1213:1415:1617:1819:1a1b:1c1d",
                          "fe80:1:203:405:607:809:a0b:c0d") /
                     ICMPv6(ICMPv6::ECHO_REQUEST);
  f.Feed(echo6);
  f.table.FlushAll(f.sink);

  std::map<uint32_t, std::string> by_proto;
  for (const proto::FlowRecord& r : f.sink.records) by_proto[r.ip_proto()] = r.community_id();
  EXPECT_EQ(by_proto[6], "1:wCb3OG7yAFWelaUydu0D+125CLM=");
  EXPECT_EQ(by_proto[1], "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
  EXPECT_EQ(by_proto[46], "1:ikv3kmf89luf73WPz1jOs49S768=");
  EXPECT_EQ(by_proto[58], "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=");
  EXPECT_EQ(f.sink.records.size(), 4u);  // the echo reply joined its request
}

TEST(RecordBuilder, UdpFirstSenderIsAGuessAndIcmpKeepsTypeCode) {
  Feeder f;
  EthernetII a = EthernetII("02:00:00:00:00:02", "02:00:00:00:00:01") /
                 IP("203.0.113.9", "10.0.0.1") / UDP(53, 5353) / RawPDU("abcd");
  f.Feed(a);
  // The port-unreachable answer quotes the datagram (RFC 792: IP header + 8 bytes).
  EthernetII b = EthernetII("02:00:00:00:00:01", "02:00:00:00:00:02") /
                 IP("10.0.0.1", "203.0.113.9") / ICMP(ICMP::DEST_UNREACHABLE) /
                 IP("203.0.113.9", "10.0.0.1") / UDP(53, 5353);
  b.find_pdu<ICMP>()->code(3);
  f.Feed(b);
  f.table.FlushAll(f.sink);
  ASSERT_EQ(f.sink.records.size(), 2u);
  bool udp = false, icmp = false;
  for (const proto::FlowRecord& r : f.sink.records) {
    if (r.ip_proto() == 17) {
      udp = true;
      EXPECT_EQ(r.src_addr(), "10.0.0.1");
      EXPECT_EQ(r.src_port(), 5353u);
      EXPECT_EQ(r.dst_port(), 53u);
      EXPECT_EQ(r.direction(), "guess");
      EXPECT_EQ(r.src_payload_bytes(), 4u);
      EXPECT_EQ(r.dst_pkts(), 0u);
      EXPECT_EQ(r.conn_state(), "S0");
      EXPECT_EQ(r.argus_state(), "INT");
    } else if (r.ip_proto() == 1) {
      icmp = true;
      EXPECT_EQ(r.icmp_type(), 3u);
      EXPECT_EQ(r.icmp_code(), 3u);
      EXPECT_EQ(r.src_addr(), "203.0.113.9");
      EXPECT_EQ(r.dst_addr(), "10.0.0.1");
      EXPECT_EQ(r.src_pkts(), 1u);
    }
  }
  EXPECT_TRUE(udp);
  EXPECT_TRUE(icmp);
}

TEST(RecordBuilder, FormatAddressMatchesInetNtop) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 2000; ++i) {
    decoders::IpAddress a{};
    const bool v6 = i % 2 == 1;
    std::array<uint8_t, 16> raw{};
    for (auto& b : raw) b = static_cast<uint8_t>(rng());
    // Runs of zeros make "::" compression interesting.
    if (v6 && i % 3 == 0) raw[2] = raw[3] = raw[4] = raw[5] = raw[6] = raw[7] = 0;
    if (v6 && i % 5 == 0) raw.fill(0);
    char want[INET6_ADDRSTRLEN] = {};
    if (v6) {
      a.bytes = raw;
      a.family = 6;
      inet_ntop(AF_INET6, raw.data(), want, sizeof(want));
    } else {
      a.bytes = {};
      for (int k = 0; k < 4; ++k) a.bytes[k] = raw[k];
      a.family = 4;
      inet_ntop(AF_INET, raw.data(), want, sizeof(want));
    }
    EXPECT_EQ(FormatAddress(a), want) << "case " << i;
  }
}

TEST(RecordBuilder, FormatLinkMac) {
  EXPECT_EQ(FormatLinkMac({0x00, 0x1b, 0x21, 0xAB, 0xcd, 0xEF}), "00:1b:21:ab:cd:ef");
  EXPECT_EQ(FormatLinkMac({0, 0, 0, 0, 0, 0}), "");
}

}  // namespace
}  // namespace tapwatch::sensor
