// --write-pcap round trip: frames of the real logs (and kernel-format extras) written as pcap,
// read back with tshark, compared field by field with the log lines (fields extracted by awk).

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sensor/log/pcap_writer.h"
#include "sensor/log/source.h"
#include "tests/sensor/log/test_util.h"

namespace tapwatch::sensor {
namespace {

std::string TempPath(const char* name) {
  return ::testing::TempDir() + "/tapwatch_logpcap_" + std::to_string(getpid()) + "_" + name;
}

uint64_t WritePcap(const std::string& log, const std::string& pcap, int year) {
  LogSourceOptions opts;
  opts.path = log;
  opts.year = year;
  std::string error;
  auto src = LogSource::Open(opts, &error);
  EXPECT_NE(src, nullptr) << error;
  auto writer = PcapWriter::Open(pcap, &error);
  EXPECT_NE(writer, nullptr) << error;
  if (!src || !writer) return 0;
  LogFrame f;
  while (src->Next(f)) EXPECT_TRUE(writer->Write(f));
  EXPECT_TRUE(writer->Close(&error)) << error;
  return writer->records();
}

// One row per packet line: the values of KEY= tokens (first occurrence), "" when absent.
std::vector<std::string> AwkFields(const std::string& log, const std::string& keys) {
  const std::string prog =
      "awk -v keys='" + keys +
      "' 'BEGIN{n=split(keys,k,\",\")} /IN=/ {delete v; for(i=1;i<=NF;i++){p=index($i,\"=\");"
      " if(p>0){key=substr($i,1,p-1); if(!(key in v)) v[key]=substr($i,p+1)}}"
      " line=\"\"; for(j=1;j<=n;j++){line=line (j>1?\"|\":\"\") v[k[j]]} print line}' '" +
      log + "'";
  return testing::SplitLines(testing::Run(prog));
}

std::vector<std::string> TsharkFields(const std::string& pcap, const std::string& fields) {
  std::string cmd = "tshark -n -o ip.check_checksum:TRUE -r '" + pcap +
                    "' -T fields -E separator='|' -E occurrence=f";
  size_t start = 0;
  while (start < fields.size()) {
    size_t comma = fields.find(',', start);
    if (comma == std::string::npos) comma = fields.size();
    cmd += " -e " + fields.substr(start, comma - start);
    start = comma + 1;
  }
  return testing::SplitLines(testing::Run(cmd + " 2>/dev/null"));
}

void RoundTrip(const std::string& log, int year) {
  const std::string pcap = TempPath("out.pcap");
  const uint64_t written = WritePcap(log, pcap, year);
  const auto expect = AwkFields(log, "SRC,DST,LEN,TTL,ID,SPT,DPT,WINDOW");
  ASSERT_EQ(written, expect.size());
  // tcp/udp ports: the first of tcp.*/udp.* that is present; ip.id printed in decimal via -o.
  const auto got = TsharkFields(
      pcap, "ip.src,ip.dst,ip.len,ip.ttl,ip.id,tcp.srcport,udp.srcport,tcp.dstport,udp.dstport,"
            "tcp.window_size_value,ip.checksum.status,frame.len,frame.cap_len");
  ASSERT_EQ(got.size(), expect.size());
  for (size_t i = 0; i < got.size(); ++i) {
    std::vector<std::string> g;
    size_t start = 0;
    while (true) {
      const size_t bar = got[i].find('|', start);
      g.push_back(got[i].substr(start, bar == std::string::npos ? std::string::npos : bar - start));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    ASSERT_EQ(g.size(), 13u) << got[i];
    // ip.id prints as hex (0x...); convert.
    const std::string id = g[4].rfind("0x", 0) == 0 ? std::to_string(std::stoul(g[4], nullptr, 16))
                                                    : g[4];
    const std::string sport = !g[5].empty() ? g[5] : g[6];
    const std::string dport = !g[7].empty() ? g[7] : g[8];
    const std::string row = g[0] + "|" + g[1] + "|" + g[2] + "|" + g[3] + "|" + id + "|" +
                            sport + "|" + dport + "|" + g[9];
    ASSERT_EQ(row, expect[i]) << "record " << i;
    // epan/proto.h: PROTO_CHECKSUM_E_BAD 0, _GOOD 1 (checked: a flipped byte reads 0).
    EXPECT_EQ(g[10], "1") << "IPv4 header checksum not good, record " << i;
    EXPECT_EQ(std::stoul(g[11]), 14 + std::stoul(g[2])) << "wire length, record " << i;
  }
  std::remove(pcap.c_str());
}

TEST(LogPcapRoundTrip, Sotm30Head) {
  const std::string file =
      testing::SharedDir() + "/logs/Tetoronie-Scripting-and-Automation__iptables.log";
  TAPWATCH_REQUIRE_SHARED(file);
  RoundTrip(file, 2004);
}

TEST(LogPcapRoundTrip, Ufw) {
  const std::string file = testing::SharedDir() + "/logs/teliten-log.plemma__ufw.log";
  TAPWATCH_REQUIRE_SHARED(file);
  RoundTrip(file, 2022);
}

TEST(LogPcapRoundTrip, TimestampsAndMacs) {
  // verbatim SOTM30 lines with MAC=; tshark reads the time and Ethernet addresses back.
  const std::string log = TempPath("mac.log");
  std::FILE* f = std::fopen(log.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "Feb 10 14:03:35 bridge kernel: INBLOCK: IN=eth1 OUT= "
      "MAC=00:02:b3:65:c9:71:00:b0:d0:87:85:c3:08:00 SRC=11.11.11.69 DST=11.11.11.65 LEN=65 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=1025 DPT=514 LEN=45\n"
      "Feb 11 10:03:32 bridge kernel: INBLOCK: IN=eth1 OUT= "
      "MAC=ff:ff:ff:ff:ff:ff:00:b0:d0:87:85:c3:08:00 SRC=11.11.11.67 DST=11.11.11.255 LEN=96 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=137 DPT=137 LEN=76\n",
      f);
  std::fclose(f);
  const std::string pcap = TempPath("mac.pcap");
  ASSERT_EQ(WritePcap(log, pcap, 2004), 2u);
  const auto got = TsharkFields(pcap, "frame.time_epoch,eth.dst,eth.src,udp.length,ip.flags.df");
  ASSERT_EQ(got.size(), 2u);
  // 2004-02-10 14:03:35 UTC = 1076421815, 2004-02-11 10:03:32 UTC = 1076493812 (date -u -d).
  EXPECT_EQ(got[0].substr(0, got[0].find('|')).rfind("1076421815", 0), 0u) << got[0];
  EXPECT_NE(got[0].find("|00:02:b3:65:c9:71|00:b0:d0:87:85:c3|45|"), std::string::npos) << got[0];
  EXPECT_EQ(got[1].rfind("1076493812", 0), 0u) << got[1];
  EXPECT_NE(got[1].find("|ff:ff:ff:ff:ff:ff|00:b0:d0:87:85:c3|76|"), std::string::npos) << got[1];
  std::remove(log.c_str());
  std::remove(pcap.c_str());
}

}  // namespace
}  // namespace tapwatch::sensor
