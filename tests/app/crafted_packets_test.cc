// Packets crafted with libtins for what the real captures lack:
// Welchia pings vs Windows tracert (both IP length 92), nmap/Windows/Linux pings, Code Red and
// Nimda bare-ACK segments, Slammer, SMB Tree Disconnect / Echo to an unreachable network over 445
// and over NBSS 139 with a session request, and an NBNS NBSTAT query. The frames are written to a
// pcap (libtins PacketWriter), read back through libpcap + DecodeFrame + UpdateAppState, and the
// exported FlowRecord fields are checked against what was planted.

#include <gtest/gtest.h>
#include <tins/tins.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sensor/app_record.h"
#include "tests/app/pcap_flows.h"
#include "tests/app/test_bytes.h"

namespace tapwatch::apptest {
namespace {

using Tins::EthernetII;
using Tins::ICMP;
using Tins::IP;
using Tins::RawPDU;
using Tins::TCP;
using Tins::UDP;

const char* kMacA = "00:0c:29:86:c8:36";
const char* kMacB = "00:1a:4b:6a:ce:fe";

class Crafted : public ::testing::Test {
 protected:
  void SetUp() override {
    // One file per process: ctest -j runs this fixture's tests in parallel processes.
    path_ = (std::filesystem::path(::testing::TempDir()) /
             ("tapwatch_app_crafted_" + std::to_string(getpid()) + ".pcap"))
                .string();
    writer_ = std::make_unique<Tins::PacketWriter>(path_, Tins::DataLinkType<EthernetII>());
  }
  void TearDown() override {
    writer_.reset();
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

  void Add(const IP& ip) {
    EthernetII eth{Tins::HWAddress<6>{kMacB}, Tins::HWAddress<6>{kMacA}};
    eth /= ip;
    writer_->write(eth);
  }

  IP Echo(const std::string& src, const std::string& dst, uint16_t id, uint16_t seq, uint8_t ttl,
          const std::vector<uint8_t>& data, ICMP::Flags type = ICMP::ECHO_REQUEST) {
    IP ip(dst, src);
    ip.ttl(ttl);
    ICMP icmp(type);
    icmp.id(id);
    icmp.sequence(seq);
    ip /= icmp;
    if (!data.empty()) ip /= RawPDU(data.data(), static_cast<uint32_t>(data.size()));
    return ip;
  }

  IP Tcp(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport,
         uint16_t flags, uint32_t seq, const Bytes& payload) {
    IP ip(dst, src);
    ip.ttl(128);
    TCP tcp(dport, sport);
    tcp.flags(flags);
    tcp.seq(seq);
    ip /= tcp;
    if (!payload.empty()) ip /= RawPDU(payload.data(), static_cast<uint32_t>(payload.size()));
    return ip;
  }

  IP Udp(const std::string& src, uint16_t sport, const std::string& dst, uint16_t dport,
         const Bytes& payload) {
    IP ip(dst, src);
    ip /= UDP(dport, sport);
    ip /= RawPDU(payload.data(), static_cast<uint32_t>(payload.size()));
    return ip;
  }

  // Runs the pcap through the decoders and returns each flow's exported record, by key.
  std::map<std::string, proto::FlowRecord> Records() {
    writer_.reset();  // flush
    std::string error;
    EXPECT_TRUE(flows_.Run(path_, error)) << error;
    std::map<std::string, proto::FlowRecord> out;
    for (auto& [key, flow] : flows_.flows()) {
      sensor::FillAppRecord(flow.state, flows_.Scratch(), out[key]);
    }
    return out;
  }

  std::string path_;
  std::unique_ptr<Tins::PacketWriter> writer_;
  PcapFlows flows_;
};

TEST_F(Crafted, IcmpLengthFingerprints) {
  // Welchia/Nachi: echo, 64 data bytes of 0xAA (IP length 92), TTL 128, to a reserved network.
  for (uint16_t s = 1; s <= 3; ++s) {
    Add(Echo("10.0.0.5", "1.11.68.22", 0x0200, s, 128, std::vector<uint8_t>(64, 0xAA)));
  }
  // Windows tracert: same length 92 but 64 zero bytes, TTL 1,1,1,2,2,2; routers answer with
  // time exceeded quoting the probe (RFC 792: IP header + 8 bytes).
  for (uint8_t ttl = 1; ttl <= 2; ++ttl) {
    for (uint16_t k = 0; k < 3; ++k) {
      IP probe = Echo("10.0.0.6", "192.0.2.1", 1, static_cast<uint16_t>(ttl * 3 + k), ttl,
                      std::vector<uint8_t>(64, 0));
      Add(probe);
      const auto bytes = probe.serialize();
      IP err(std::string("10.0.0.6"), ttl == 1 ? "10.0.0.1" : "198.51.100.1");
      err /= ICMP(ICMP::TIME_EXCEEDED);
      err /= RawPDU(bytes.data(), 28);
      Add(err);
    }
  }
  Add(Echo("10.0.0.7", "10.0.0.9", 7, 1, 50, {}));  // nmap -sn: no data, IP length 28
  const std::string win = "abcdefghijklmnopqrstuvwabcdefghi";
  Add(Echo("10.0.0.8", "10.0.0.9", 8, 1, 128, std::vector<uint8_t>(win.begin(), win.end())));
  Add(Echo("10.0.0.9", "10.0.0.8", 8, 1, 128, std::vector<uint8_t>(win.begin(), win.end()),
           ICMP::ECHO_REPLY));
  Add(Echo("10.0.0.10", "10.0.0.9", 10, 1, 64, std::vector<uint8_t>(56, 0x22)));  // Linux

  auto recs = Records();
  const auto& welchia = recs.at(CanonicalKey(1, "10.0.0.5", 0x200, "1.11.68.22", 0x200));
  EXPECT_EQ(welchia.icmp().fingerprint(), "welchia");
  EXPECT_EQ(welchia.icmp().echo_requests(), 3u);
  EXPECT_EQ(welchia.icmp().ip_length_histogram().at(92), 3u);
  EXPECT_EQ(welchia.icmp().ttl1_probes(), 0u);

  const auto& tracert = recs.at(CanonicalKey(1, "10.0.0.6", 1, "192.0.2.1", 1));
  EXPECT_EQ(tracert.icmp().fingerprint(), "windows_tracert");
  EXPECT_EQ(tracert.icmp().ip_length_histogram().at(92), 6u);
  EXPECT_EQ(tracert.icmp().ttl1_probes(), 3u);
  EXPECT_EQ(tracert.icmp().errors_quoted(), 6u);
  EXPECT_EQ(tracert.icmp().error_types().at(11u << 8), 6u);
  EXPECT_NE(tracert.icmp().fingerprint_rule().find("fill:00"), std::string::npos);

  EXPECT_EQ(recs.at(CanonicalKey(1, "10.0.0.7", 7, "10.0.0.9", 7)).icmp().fingerprint(), "nmap");
  const auto& winping = recs.at(CanonicalKey(1, "10.0.0.8", 8, "10.0.0.9", 8));
  EXPECT_EQ(winping.icmp().fingerprint(), "windows_ping");
  EXPECT_EQ(winping.icmp().echo_replies(), 1u);
  EXPECT_EQ(recs.at(CanonicalKey(1, "10.0.0.10", 10, "10.0.0.9", 10)).icmp().fingerprint(),
            "linux_ping");
}

TEST_F(Crafted, BareAckCodeRedNimdaAndSlammer) {
  // Bare ACK: ACK+PSH carrying the Code Red request, no SYN anywhere.
  Bytes code_red;
  AppendText(code_red, "GET /default.ida?" + std::string(224, 'N') +
                           "%u9090%u6858%ucbd3%u7801 HTTP/1.0\r\nContent-type: text/xml\r\n");
  Add(Tcp("130.67.240.225", 1450, "130.216.223.150", 80, TCP::ACK | TCP::PSH, 0xE68E61F7,
          code_red));
  Bytes nimda;
  AppendText(nimda, "GET /scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir HTTP/1.0\r\n\r\n");
  Add(Tcp("130.67.216.237", 3339, "130.216.246.91", 80, TCP::ACK, 1000, nimda));
  Add(Tcp("130.67.216.237", 3339, "130.216.246.91", 80, TCP::ACK, 1000 + 66, nimda));
  // A normal connection for contrast.
  Add(Tcp("10.1.1.1", 40000, "10.1.1.2", 80, TCP::SYN, 1, {}));
  Add(Tcp("10.1.1.2", 80, "10.1.1.1", 40000, TCP::SYN | TCP::ACK, 9, {}));
  Bytes get;
  AppendText(get, "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n");
  Add(Tcp("10.1.1.1", 40000, "10.1.1.2", 80, TCP::ACK | TCP::PSH, 2, get));
  // Slammer: UDP to 1434, 376-byte payload starting 0x04.
  Bytes slammer(376, 0x01);
  slammer[0] = 0x04;
  Add(Udp("10.2.2.2", 1042, "10.3.3.3", 1434, slammer));

  auto recs = Records();
  const auto& cr = recs.at(CanonicalKey(6, "130.67.240.225", 1450, "130.216.223.150", 80));
  EXPECT_TRUE(cr.bare_ack());
  EXPECT_EQ(cr.src_bare_ack_pkts(), 1u);
  ASSERT_EQ(cr.payload_labels_size(), 1);
  EXPECT_EQ(cr.payload_labels(0).rfind("code_red: ", 0), 0u);
  EXPECT_EQ(cr.http_method(), "GET");
  EXPECT_EQ(cr.http_uri().rfind("/default.ida?NNNN", 0), 0u);
  EXPECT_EQ(cr.src_first_bytes(), std::string(code_red.begin(), code_red.begin() + 64));
  EXPECT_TRUE(cr.dst_first_bytes().empty());

  const auto& ni = recs.at(CanonicalKey(6, "130.67.216.237", 3339, "130.216.246.91", 80));
  EXPECT_TRUE(ni.bare_ack());
  EXPECT_EQ(ni.src_bare_ack_pkts(), 2u);
  std::vector<std::string> labels(ni.payload_labels().begin(), ni.payload_labels().end());
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].rfind("iis_cmd_exe: ", 0), 0u);
  EXPECT_EQ(labels[1].rfind("iis_unicode_traversal: ", 0), 0u);

  const auto& normal = recs.at(CanonicalKey(6, "10.1.1.1", 40000, "10.1.1.2", 80));
  EXPECT_FALSE(normal.bare_ack());
  EXPECT_EQ(normal.src_bare_ack_pkts(), 0u);
  EXPECT_EQ(normal.http_uri(), "/index.html");
  EXPECT_EQ(normal.payload_labels_size(), 0);

  const auto& sq = recs.at(CanonicalKey(17, "10.2.2.2", 1042, "10.3.3.3", 1434));
  ASSERT_EQ(sq.payload_labels_size(), 1);
  EXPECT_EQ(sq.payload_labels(0).rfind("slammer: ", 0), 0u);
  EXPECT_FALSE(sq.bare_ack());
}

TEST_F(Crafted, SmbAndNbnsLeakToUnreachableNetwork) {
  // 445: SYN, then (no answer) Tree Disconnect and Echo segments, like the leak's REJECT log.
  Add(Tcp("172.30.3.56", 4425, "1.11.68.22", 445, TCP::SYN, 100, {}));
  const Bytes td = Nbss(0x00, Smb1TreeDisconnect());
  const Bytes echo = Nbss(0x00, Smb1Echo());
  Add(Tcp("172.30.3.56", 4425, "1.11.68.22", 445, TCP::ACK | TCP::PSH, 101, td));
  Add(Tcp("172.30.3.56", 4425, "1.11.68.22", 445, TCP::ACK | TCP::PSH,
          101 + static_cast<uint32_t>(td.size()), echo));
  // 139: session request then an Echo.
  Bytes req_body = EncodeNetbiosName("*SMBSERVER", 0x20);
  Append(req_body, EncodeNetbiosName("PETER-172", 0x00));
  const Bytes req = Nbss(0x81, req_body);
  Add(Tcp("172.30.3.78", 1160, "1.11.31.99", 139, TCP::SYN, 5, {}));
  Add(Tcp("172.30.3.78", 1160, "1.11.31.99", 139, TCP::ACK | TCP::PSH, 6, req));
  Add(Tcp("172.30.3.78", 1160, "1.11.31.99", 139, TCP::ACK | TCP::PSH,
          6 + static_cast<uint32_t>(req.size()), echo));
  // NBNS "Name query NBSTAT" for *<00>.
  Bytes nbstat;
  Append(nbstat, {0x80, 0x21, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0});
  Append(nbstat, EncodeNetbiosName(std::string("*") + std::string(14, '\0'), 0x00));
  Append(nbstat, {0x00, 0x21, 0x00, 0x01});
  Add(Udp("172.30.3.56", 137, "1.11.68.22", 137, nbstat));

  auto recs = Records();
  const auto& direct = recs.at(CanonicalKey(6, "172.30.3.56", 4425, "1.11.68.22", 445));
  ASSERT_TRUE(direct.has_smb());
  EXPECT_EQ(direct.smb().version(), 1u);
  EXPECT_EQ(direct.smb().smb1_commands().at(0x71), 1u);
  EXPECT_EQ(direct.smb().smb1_commands().at(0x2B), 1u);
  EXPECT_EQ(direct.smb().messages(), 2u);
  EXPECT_FALSE(direct.bare_ack());

  const auto& nbss = recs.at(CanonicalKey(6, "172.30.3.78", 1160, "1.11.31.99", 139));
  ASSERT_TRUE(nbss.has_smb());
  EXPECT_EQ(nbss.smb().smb1_commands().at(0x2B), 1u);
  ASSERT_EQ(nbss.smb().nbss_called_names_size(), 1);
  EXPECT_EQ(nbss.smb().nbss_called_names(0), "*SMBSERVER<20>");
  EXPECT_EQ(nbss.smb().nbss_calling_names(0), "PETER-172<00>");
  EXPECT_EQ(nbss.smb().nbss_types().at(0x81), 1u);
  EXPECT_EQ(nbss.smb().nbss_types().at(0x00), 1u);

  const auto& nbns = recs.at(CanonicalKey(17, "172.30.3.56", 137, "1.11.68.22", 137));
  ASSERT_TRUE(nbns.has_netbios());
  EXPECT_EQ(nbns.netbios().nbns_nbstat_queries(), 1u);
  EXPECT_EQ(nbns.netbios().nbns_opcodes().at(0), 1u);
  ASSERT_EQ(nbns.netbios().nbns_names_size(), 1);
  EXPECT_EQ(nbns.netbios().nbns_names(0).rfind("*<00>", 0), 0u);
}

}  // namespace
}  // namespace tapwatch::apptest
