// Real captures through DecodeFrame + FlowTable, checked against two independent tools:
// - tshark: per TCP/UDP 5-tuple and sending endpoint, packets, frame (wire) bytes and IP bytes;
// - Argus (argus + ra -Z b): per TCP flow, the initiator orientation, packets per side and the
//   "<src flags>_<dst flags>" string (records of one flow, split by Argus' status interval, are
//   merged by OR-ing their flags and adding their packets), and the state (REQ/ACC/CON/FIN/RST)
//   of its last record.
// Timeouts are set far beyond the captures' length so one 5-tuple is one flow, as in the tools.
// Captures come from $TAPWATCH_SHARED/pcaps; absent data or tools skip (fail when CI=true).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "decoders/decode_frame.h"
#include "flow_test_util.h"

namespace tapwatch::flowtable {
namespace {

using namespace testing;  // NOLINT

std::string SharedDir() {
  if (const char* env = std::getenv("TAPWATCH_SHARED"); env != nullptr && *env != '\0') {
    return env;
  }
  return TAPWATCH_DEFAULT_SHARED_DIR;
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

#define SKIP_OR_FAIL(msg)        \
  do {                           \
    if (InCi()) FAIL() << (msg); \
    GTEST_SKIP() << (msg);       \
  } while (0)

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

bool HaveTool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(line);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

// Feeds every frame of `path` through DecodeFrame and a FlowTable; returns all records.
std::vector<Rec> RunPcap(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  EXPECT_NE(pc, nullptr) << err;
  if (pc == nullptr) return {};
  FlowTableConfig cfg;
  cfg.capacity_log2 = 16;
  cfg.hash_seed = 3;
  const uint64_t forever = 1'000'000 * kSec;
  cfg.timeouts = {forever, forever, forever, forever, forever, forever, 0};
  FlowTable table(cfg);
  RecordingSink sink(&table);
  const auto link = static_cast<decoders::LinkType>(pcap_datalink(pc));
  pcap_pkthdr* hdr;
  const u_char* data;
  while (pcap_next_ex(pc, &hdr, &data) == 1) {
    decoders::DecodedPacket pkt;
    pkt.ts_ns = uint64_t(hdr->ts.tv_sec) * kSec + uint64_t(hdr->ts.tv_usec) * 1000;
    pkt.wire_len = hdr->len;
    pkt.cap_len = hdr->caplen;
    decoders::DecodeFrame(link, std::span<const uint8_t>(data, hdr->caplen), pkt);
    table.Update(pkt, sink);
  }
  pcap_close(pc);
  table.FlushAll(sink);
  EXPECT_EQ(table.stats().evicted, 0u);
  return sink.records;
}

struct Side {
  uint64_t pkts = 0, wire = 0, ip = 0;
  bool operator==(const Side&) const = default;
};

std::string Endpoint(const std::string& addr, uint32_t port) {
  return addr + "/" + std::to_string(port);
}

class PcapCrossCheck : public ::testing::TestWithParam<const char*> {};

TEST_P(PcapCrossCheck, CountsPerEndpointMatchTshark) {
  const std::string path = SharedDir() + "/pcaps/" + GetParam();
  if (!std::filesystem::exists(path)) SKIP_OR_FAIL("capture not found: " + path);
  if (!HaveTool("tshark")) SKIP_OR_FAIL("tshark not installed");
  // key "proto a b" (a < b) -> sender endpoint -> counts
  std::map<std::string, std::map<std::string, Side>> want, got;
  const std::string out = RunCommand(
      "tshark -n -r '" + path +
      "' -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y '(tcp or udp) and not icmp and not "
      "icmpv6 and not (ip.flags.mf == 1 or ip.frag_offset > 0) and not ipv6.fragment' "
      "-T fields -E separator=/t -E occurrence=f -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e "
      "ip.proto "
      "-e ipv6.nxt -e tcp.srcport -e udp.srcport -e tcp.dstport -e udp.dstport -e frame.len "
      "-e ip.len -e ipv6.plen 2>/dev/null");
  size_t lines = 0;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const auto f = Split(line, '\t');
    ASSERT_EQ(f.size(), 13u) << line;
    const bool v6 = f[0].empty();
    const std::string src = v6 ? f[1] : f[0], dst = v6 ? f[3] : f[2];
    const bool tcp = !f[6].empty();
    const uint32_t sport = std::stoul(tcp ? f[6] : f[7]), dport = std::stoul(tcp ? f[8] : f[9]);
    const std::string a = Endpoint(src, sport), b = Endpoint(dst, dport);
    const std::string key = std::string(tcp ? "6 " : "17 ") + std::min(a, b) + " " + std::max(a, b);
    Side& s = want[key][a];
    ++s.pkts;
    s.wire += std::stoull(f[10]);
    s.ip += v6 ? 40 + std::stoull(f[12]) : std::stoull(f[11]);
    ++lines;
  }
  ASSERT_GT(lines, 0u) << "tshark produced nothing for " << path;

  for (const Rec& r : RunPcap(path)) {
    if (r.proto != decoders::kIpProtoTcp && r.proto != decoders::kIpProtoUdp) continue;
    if (r.sport == 0 && r.dport == 0) continue;  // L3 flows of undecodable L4 headers
    const std::string a = Endpoint(r.src, r.sport), b = Endpoint(r.dst, r.dport);
    const std::string key = std::to_string(r.proto) + " " + std::min(a, b) + " " + std::max(a, b);
    for (int side = 0; side < 2; ++side) {
      const DirStats& d = side == 0 ? r.d0 : r.d1;
      if (d.pkts == 0) continue;
      Side& s = got[key][side == 0 ? a : b];
      s.pkts += d.pkts;
      s.wire += d.wire_bytes;
      s.ip += d.ip_bytes;
    }
  }
  EXPECT_EQ(got.size(), want.size());
  for (const auto& [key, sides] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end()) << "missing flow " << key;
    for (const auto& [ep, s] : sides) {
      const Side& g = it->second[ep];
      EXPECT_EQ(g.pkts, s.pkts) << key << " from " << ep;
      EXPECT_EQ(g.wire, s.wire) << key << " from " << ep;
      EXPECT_EQ(g.ip, s.ip) << key << " from " << ep;
    }
  }
}

TEST_P(PcapCrossCheck, TcpOrientationPacketsAndFlagsMatchArgus) {
  const std::string path = SharedDir() + "/pcaps/" + GetParam();
  if (!std::filesystem::exists(path)) SKIP_OR_FAIL("capture not found: " + path);
  if (!HaveTool("argus") || !HaveTool("ra")) SKIP_OR_FAIL("argus/ra not installed");
  const std::string tmp = (std::filesystem::temp_directory_path() /
                           ("ft_xcheck_" + std::to_string(getpid()) + ".argus"))
                              .string();
  RunCommand("argus -r '" + path + "' -w '" + tmp + "' 2>/dev/null");
  const std::string out = RunCommand("ra -r '" + tmp +
                                     "' -n -Z b -c , -s saddr sport dir daddr dport spkts dpkts "
                                     "state:40 - tcp 2>/dev/null");
  // The same records (same order) with the plain state column (REQ/ACC/CON/FIN/RST/...).
  const std::string states =
      RunCommand("ra -r '" + tmp + "' -n -c , -s state:10 - tcp 2>/dev/null");
  std::filesystem::remove(tmp);

  struct ArgusFlow {
    uint64_t spkts = 0, dpkts = 0;
    uint8_t sflags = 0, dflags = 0;
    bool guessed = false;  // Argus "?" direction: no SYN seen, oriented by its port heuristic
    int records = 0;       // Argus splits long flows at its status interval
    std::string state;     // of the last record
  };
  auto parse_flags = [](const std::string& s) {
    static const std::string kLetters = "FSRPAUEC";
    uint8_t v = 0;
    for (char c : s) {
      const size_t i = kLetters.find(c);
      if (i != std::string::npos) v = static_cast<uint8_t>(v | (1u << i));
    }
    return v;
  };
  std::map<std::string, ArgusFlow> want;  // "src/sport>dst/dport"
  std::istringstream in(out), state_in(states);
  std::string line, state_line;
  std::getline(in, line);  // header
  std::getline(state_in, state_line);
  while (std::getline(in, line)) {
    std::getline(state_in, state_line);
    const auto f = Split(line, ',');
    if (f.size() != 8) continue;
    const size_t us = f[7].find('_');
    ASSERT_NE(us, std::string::npos) << line;
    ArgusFlow& a = want[Endpoint(f[0], std::stoul(f[1])) + ">" + Endpoint(f[3], std::stoul(f[4]))];
    a.spkts += std::stoull(f[5]);
    a.dpkts += std::stoull(f[6]);
    a.sflags |= parse_flags(f[7].substr(0, us));
    a.dflags |= parse_flags(f[7].substr(us + 1));
    if (f[2].find('?') != std::string::npos) a.guessed = true;
    ++a.records;
    a.state = state_line;
  }
  ASSERT_FALSE(want.empty()) << "argus produced no TCP flows for " << path;

  std::map<std::string, Rec> got;
  for (const Rec& r : RunPcap(path)) {
    if (r.proto == decoders::kIpProtoTcp && (r.sport || r.dport)) {
      got[Endpoint(r.src, r.sport) + ">" + Endpoint(r.dst, r.dport)] = r;
    }
  }
  size_t compared = 0, states_compared = 0;
  for (const auto& [key, a] : want) {
    auto it = got.find(key);
    bool swapped = false;
    if (it == got.end() && a.guessed) {
      // Midstream flow: we orient by the first packet (direction "guess"), Argus by ports.
      const size_t gt = key.find('>');
      it = got.find(key.substr(gt + 1) + ">" + key.substr(0, gt));
      swapped = true;
    }
    ASSERT_NE(it, got.end()) << "no flow oriented as Argus' " << key;
    const Rec& r = it->second;
    const DirStats& s = swapped ? r.d1 : r.d0;
    const DirStats& d = swapped ? r.d0 : r.d1;
    if (!a.guessed) {
      EXPECT_NE(r.direction, "guess") << key;
    }
    EXPECT_EQ(s.pkts, a.spkts) << key;
    EXPECT_EQ(d.pkts, a.dpkts) << key;
    EXPECT_EQ(s.tcp_flags, a.sflags) << key << " ours " << r.argus_flags;
    EXPECT_EQ(d.tcp_flags, a.dflags) << key << " ours " << r.argus_flags;
    // Argus closes its last record at end of input like our "shutdown". Its state there matched
    // ours on every flow of these captures, split ones included (checked: 6 captures).
    {
      EXPECT_EQ(std::string(ArgusState(r.flow, EndReason::kShutdown)), a.state)
          << key << " " << r.argus_flags;
      ++states_compared;
    }
    ++compared;
  }
  EXPECT_EQ(compared, want.size());
  EXPECT_GT(states_compared, 0u);
}

INSTANTIATE_TEST_SUITE_P(Captures, PcapCrossCheck,
                         ::testing::Values("markofu-pcaps__attack-trace.pcap",
                                           "markofu-pcaps__portscan.pcap", "nDPI__synscan.pcap",
                                           "markofu-pcaps__FIN_SCAN.pcap",
                                           "markofu-pcaps__xscan_capture.pcap",
                                           "markofu-pcaps__puzzle1.pcap"));

}  // namespace
}  // namespace tapwatch::flowtable
