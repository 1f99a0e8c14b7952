// Tests for tapwatch-gen and the committed captures in pcaps/:
//  - regenerating every committed capture gives byte-identical files;
//  - tshark reads each committed capture without malformed packets, and its per-protocol counts
//    and 5-tuple flow count equal the "totals" of the truth JSON;
//  - the planted phenomena of the honeynet month hold when measured independently with tshark;
//  - argus agrees with the hand-derived Argus states of tcp_states.pcap;
//  - the bench capture is deterministic, has exactly the requested packets and flows, and its
//    --app-share is met.
// tshark, jq and argus are external tools: missing ones skip visibly, or fail when CI=true.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::string kGen = TAPWATCH_GEN_PATH;
const std::string kPcaps = std::string(TAPWATCH_SOURCE_DIR) + "/pcaps";
const std::vector<std::string> kSmall = {"welchia_vs_tracert", "codered_bare_ack",
                                         "smb_reserved_leak", "tcp_states"};

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

bool HaveTool(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

#define REQUIRE_TOOL(tool)                                                  \
  do {                                                                      \
    if (!HaveTool(tool)) {                                                  \
      if (InCi()) FAIL() << tool << " is not installed (CI=true)";          \
      GTEST_SKIP() << tool << " is not installed; skipping this check";     \
    }                                                                       \
  } while (0)

// Runs a shell command; returns stdout and sets `status` to the exit code.
std::string Shell(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int rc = pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Evaluates a jq filter on a JSON file (raw output, trimmed).
std::string Jq(const std::string& file, const std::string& filter) {
  int rc = 0;
  std::string out = Shell("jq -r '" + filter + "' '" + file + "'", &rc);
  EXPECT_EQ(rc, 0) << "jq failed: " << filter;
  return Trim(out);
}

uint64_t JqNum(const std::string& file, const std::string& filter) {
  return std::stoull(Jq(file, filter));
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("tapwatch_gen_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// One tshark row per frame (first occurrence of each field, so ICMP errors give the outer IP).
struct Row {
  uint64_t ts_ns = 0;
  std::string eth_src, src, dst, payload, data, smb_cmd, protocols;
  int proto = 0, ip_len = 0, ttl = -1, sport = 0, dport = 0, flags = -1, stream = -1, icmp_type = -1;
  uint64_t frame_len = 0;
};

std::vector<Row> Tshark(const std::string& pcap, int* status) {
  // ctest runs every test in its own process; cache tshark's output for an unchanged file.
  const auto mtime = fs::last_write_time(pcap).time_since_epoch().count();
  const fs::path cache =
      fs::temp_directory_path() /
      ("tapwatch_gen_tshark_" + std::to_string(std::hash<std::string>{}(fs::absolute(pcap))) +
       "_" + std::to_string(fs::file_size(pcap)) + "_" + std::to_string(mtime) + ".tsv");
  // Only the committed captures are cached; temporary files come and go.
  const bool cacheable = pcap.rfind(kPcaps + "/", 0) == 0;
  std::string text;
  if (cacheable && fs::exists(cache)) {
    text = ReadFile(cache.string());
    *status = 0;
  }
  const std::string cmd =
      "tshark -n -r '" + pcap +
      "' -T fields -E separator=/t -E occurrence=f -e frame.time_epoch -e frame.len -e eth.src "
      "-e ip.src -e ip.dst -e ip.proto -e ip.len -e tcp.srcport -e tcp.dstport -e udp.srcport "
      "-e udp.dstport -e tcp.flags -e tcp.stream -e tcp.payload -e icmp.type -e data.data "
      "-e smb.cmd -e frame.protocols -e ip.ttl 2>/dev/null";
  if (text.empty()) {
    text = Shell(cmd, status);
    if (cacheable && *status == 0 && !text.empty()) {
      const std::string tmp = cache.string() + "." + std::to_string(getpid());
      std::ofstream(tmp, std::ios::binary) << text;
      fs::rename(tmp, cache);
    }
  }
  std::vector<Row> rows;
  std::istringstream in(text);
  std::string line;
  auto num = [](const std::string& s, int base = 10) {
    return s.empty() ? -1 : static_cast<int>(std::stol(s, nullptr, base));
  };
  while (std::getline(in, line)) {
    const auto f = Split(line, '\t');
    if (f.size() < 19) continue;
    Row r;
    const auto dot = f[0].find('.');
    r.ts_ns = std::stoull(f[0].substr(0, dot)) * 1000000000ULL +
              std::stoull((f[0].substr(dot + 1) + "000000000").substr(0, 9));
    r.frame_len = std::stoull(f[1]);
    r.eth_src = f[2];
    r.src = f[3];
    r.dst = f[4];
    r.proto = std::max(0, num(f[5]));
    r.ip_len = num(f[6]);
    r.sport = f[7].empty() ? std::max(0, num(f[9])) : num(f[7]);
    r.dport = f[8].empty() ? std::max(0, num(f[10])) : num(f[8]);
    r.flags = f[11].empty() ? -1 : num(f[11].substr(2), 16);
    r.stream = num(f[12]);
    r.payload = f[13];
    r.icmp_type = num(f[14]);
    r.data = f[15];
    r.smb_cmd = f[16];
    r.protocols = f[17];
    r.ttl = num(f[18]);
    rows.push_back(r);
  }
  return rows;
}

bool HasProto(const Row& r, const std::string& p) {
  for (const auto& t : Split(r.protocols, ':')) {
    if (t == p) return true;
  }
  return false;
}

uint32_t Addr(const std::string& dotted) {
  const auto p = Split(dotted, '.');
  if (p.size() != 4) return 0;
  uint32_t a = 0;
  for (const auto& o : p) a = (a << 8) | static_cast<uint32_t>(std::stoul(o));
  return a;
}

bool IsHome(const std::string& ip) { return ip.rfind("11.11.11.", 0) == 0; }

// ---------------------------------------------------------------------------------------------

TEST(GeneratorDeterminism, RegeneratedCapturesAreByteIdenticalToCommitted) {
  TempDir tmp;
  int rc = -1;
  Shell("'" + kGen + "' honeynet --out '" + (tmp / "honeynet.pcap") + "' --truth '" +
          (tmp / "honeynet.truth.json") + "'",
      &rc);
  ASSERT_EQ(rc, 0);
  for (const auto& name : kSmall) {
    Shell("'" + kGen + "' small " + name + " --dir '" + tmp.path.string() + "'", &rc);
    ASSERT_EQ(rc, 0) << name;
  }
  std::vector<std::string> names = {"honeynet"};
  names.insert(names.end(), kSmall.begin(), kSmall.end());
  for (const auto& name : names) {
    for (const char* ext : {".pcap", ".truth.json"}) {
      const std::string committed = ReadFile(kPcaps + "/" + name + ext);
      ASSERT_FALSE(committed.empty()) << "missing committed pcaps/" << name << ext;
      EXPECT_TRUE(committed == ReadFile(tmp / (name + ext)))
          << name << ext << " differs from the committed file: run scripts/gen_pcaps.sh";
    }
  }
  EXPECT_LT(fs::file_size(kPcaps + "/honeynet.pcap"), 3u * 1024 * 1024);
}

TEST(GeneratorTshark, CommittedCapturesMatchTruthTotals) {
  REQUIRE_TOOL("tshark");
  REQUIRE_TOOL("jq");
  std::vector<std::string> names = {"honeynet"};
  names.insert(names.end(), kSmall.begin(), kSmall.end());
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const std::string pcap = kPcaps + "/" + name + ".pcap";
    const std::string truth = kPcaps + "/" + name + ".truth.json";
    int rc = -1;
    const auto rows = Tshark(pcap, &rc);
    ASSERT_EQ(rc, 0);
    uint64_t bytes = 0, ip = 0, tcp = 0, udp = 0, icmp = 0, nbns = 0, smb = 0, dns = 0,
             syslog = 0, malformed = 0;
    std::set<std::tuple<int, std::string, std::string>> flows;
    for (const Row& r : rows) {
      bytes += r.frame_len;
      if (HasProto(r, "_ws.malformed")) ++malformed;
      if (r.src.empty()) continue;
      ++ip;
      tcp += r.proto == 6;
      udp += r.proto == 17;
      icmp += r.proto == 1;
      nbns += HasProto(r, "nbns");
      smb += HasProto(r, "smb");
      dns += HasProto(r, "dns");
      syslog += HasProto(r, "syslog");
      std::string a = r.src + ":" + std::to_string(r.sport), b = r.dst + ":" +
                                                              std::to_string(r.dport);
      if (b < a) std::swap(a, b);
      flows.emplace(r.proto, a, b);
    }
    EXPECT_EQ(malformed, 0u);
    EXPECT_EQ(rows.size(), JqNum(truth, ".totals.packets"));
    EXPECT_EQ(bytes, JqNum(truth, ".totals.bytes"));
    EXPECT_EQ(ip, JqNum(truth, ".totals.ip"));
    EXPECT_EQ(tcp, JqNum(truth, ".totals.tcp"));
    EXPECT_EQ(udp, JqNum(truth, ".totals.udp"));
    EXPECT_EQ(icmp, JqNum(truth, ".totals.icmp"));
    EXPECT_EQ(nbns, JqNum(truth, ".totals.nbns"));
    EXPECT_EQ(smb, JqNum(truth, ".totals.smb"));
    EXPECT_EQ(dns, JqNum(truth, ".totals.dns"));
    EXPECT_EQ(syslog, JqNum(truth, ".totals.syslog"));
    EXPECT_EQ(flows.size(), JqNum(truth, ".totals.flows_5tuple"));
  }
}

// Every planted item of the honeynet truth, measured independently from tshark's dissection.
class HoneynetTshark : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!HaveTool("tshark") || !HaveTool("jq")) return;
    int rc = -1;
    rows_ = new std::vector<Row>(Tshark(kPcaps + "/honeynet.pcap", &rc));
    if (rc != 0) rows_->clear();
  }
  static void TearDownTestSuite() {
    delete rows_;
    rows_ = nullptr;
  }
  void SetUp() override {
    REQUIRE_TOOL("tshark");
    REQUIRE_TOOL("jq");
    ASSERT_NE(rows_, nullptr);
    ASSERT_GT(rows_->size(), 1000u);
  }
  static const std::vector<Row>& rows() { return *rows_; }
  static std::string Truth(const std::string& filter) { return Jq(truth_, filter); }

  static std::vector<Row>* rows_;
  static inline const std::string truth_ = kPcaps + "/honeynet.truth.json";
};
std::vector<Row>* HoneynetTshark::rows_ = nullptr;

TEST_F(HoneynetTshark, GapIsTheOnlyLongSilence) {
  uint64_t best = 0, from = 0, to = 0, second = 0;
  for (size_t i = 1; i < rows().size(); ++i) {
    const uint64_t d = rows()[i].ts_ns - rows()[i - 1].ts_ns;
    if (d > best) {
      second = best;
      best = d;
      from = rows()[i - 1].ts_ns;
      to = rows()[i].ts_ns;
    } else {
      second = std::max(second, d);
    }
  }
  EXPECT_EQ(std::to_string(from), Truth(".gaps[0].from_ns"));
  EXPECT_EQ(std::to_string(to), Truth(".gaps[0].to_ns"));
  EXPECT_EQ(Truth(".gaps | length"), "1");
  EXPECT_GT(best, 18ull * 3600 * 1000000000ull);    // ~19 hours
  EXPECT_LT(second, 3600ull * 1000000000ull);       // background never pauses for an hour
}

TEST_F(HoneynetTshark, Top3MostAttackedHostsAreClearlyAhead) {
  std::map<std::string, uint64_t> inbound;
  for (const Row& r : rows()) {
    if (IsHome(r.dst) && !IsHome(r.src) && r.dst != "11.11.11.255") ++inbound[r.dst];
  }
  std::vector<std::pair<uint64_t, std::string>> rank;
  for (const auto& [ip, n] : inbound) rank.push_back({n, ip});
  std::sort(rank.rbegin(), rank.rend());
  ASSERT_GE(rank.size(), 4u);
  EXPECT_EQ(rank[0].second + "," + rank[1].second + "," + rank[2].second,
            Truth(".hosts_top3 | join(\",\")"));
  EXPECT_GT(rank[2].first * 2, rank[3].first * 3) << "third is not 1.5x the fourth";
  EXPECT_EQ(std::to_string(rank[0].first), Truth(".hosts_inbound_packets[\"" + rank[0].second +
                                                 "\"]"));
}

TEST_F(HoneynetTshark, OpenPortsAreExactlyTheAnsweringPorts) {
  std::map<std::string, std::set<int>> tcp, udp;
  std::set<std::pair<std::string, int>> udp_asked;
  for (const Row& r : rows()) {
    if (r.proto == 6 && IsHome(r.src) && r.flags >= 0 && (r.flags & 0x12) == 0x12) {
      tcp[r.src].insert(r.sport);
    }
    if (r.proto == 17 && IsHome(r.dst) && !IsHome(r.src)) udp_asked.insert({r.dst, r.dport});
    if (r.proto == 17 && IsHome(r.src) && !IsHome(r.dst) && udp_asked.count({r.src, r.sport})) {
      udp[r.src].insert(r.sport);
    }
  }
  std::set<std::string> hosts;
  for (const auto& [h, p] : tcp) hosts.insert(h);
  for (const auto& [h, p] : udp) hosts.insert(h);
  std::vector<std::string> parts;
  for (const auto& h : hosts) {
    std::vector<std::string> t, u;
    for (int p : tcp[h]) t.push_back(std::to_string(p));
    for (int p : udp[h]) u.push_back(std::to_string(p));
    parts.push_back(h + ":" + Join(t, ".") + "/" + Join(u, "."));
  }
  EXPECT_EQ(Join(parts, ","),
            Truth(".open_ports | to_entries | map(.key + \":\" + (.value.tcp | map(tostring) | "
                  "join(\".\")) + \"/\" + (.value.udp | map(tostring) | join(\".\"))) | "
                  "join(\",\")"));
}

TEST_F(HoneynetTshark, OneMacCarriesTwoHomeAddresses) {
  std::map<std::string, std::set<std::string>> ips_by_mac;
  for (const Row& r : rows()) {
    if (IsHome(r.src)) ips_by_mac[r.eth_src].insert(r.src);
  }
  std::vector<std::string> aliases;
  for (const auto& [mac, ips] : ips_by_mac) {
    if (ips.size() > 1) aliases.push_back(mac + "=" + Join({ips.begin(), ips.end()}, "+"));
  }
  EXPECT_EQ(Join(aliases, ","),
            Truth(".mac_aliases | map(.mac + \"=\" + (.ips | join(\"+\"))) | join(\",\")"));
  // The logging host receives syslog from exactly the two aliased addresses.
  std::set<std::string> senders;
  const std::string logger = Truth(".logging_host.ip");
  for (const Row& r : rows()) {
    if (r.proto == 17 && r.dport == 514 && r.dst == logger) senders.insert(r.src);
  }
  EXPECT_EQ(Join({senders.begin(), senders.end()}, ","),
            Truth(".logging_host.senders | join(\",\")"));
}

TEST_F(HoneynetTshark, IcmpLengthsAndWelchiaVersusTracert) {
  std::map<int, uint64_t> by_len;
  uint64_t welchia = 0, tracert = 0;
  for (const Row& r : rows()) {
    if (r.proto != 1) continue;
    ++by_len[r.ip_len];  // every ICMP packet, by outer IP total length
    if (r.icmp_type != 8 || r.ip_len != 92) continue;
    if (r.data.rfind("aaaaaaaa", 0) == 0) ++welchia;
    if (r.data.rfind("00000000", 0) == 0) ++tracert;
  }
  std::vector<std::string> parts;
  for (const auto& [len, n] : by_len) {
    parts.push_back(std::to_string(len) + "=" + std::to_string(n));
  }
  EXPECT_EQ(Join(parts, ","), Truth(".icmp_lengths | to_entries | map(.key + \"=\" + "
                                    "(.value.packets | tostring)) | join(\",\")"));
  EXPECT_EQ(std::to_string(welchia), Truth(".icmp_lengths[\"92\"].by_fingerprint.welchia"));
  EXPECT_EQ(std::to_string(tracert),
            Truth(".icmp_lengths[\"92\"].by_fingerprint.windows_tracert"));
  // The tracert: zero-filled echoes with TTLs 1, 2, 3, ... from one source; the routers' time-
  // exceeded messages go back to it.
  uint64_t time_exceeded = 0;
  std::set<int> ttls;
  const std::string tracer = Truth(".traceroutes[0].src");
  for (const Row& r : rows()) {
    if (r.proto == 1 && r.icmp_type == 11 && r.dst == tracer) ++time_exceeded;
    if (r.proto == 1 && r.icmp_type == 8 && r.src == tracer && r.data.rfind("00000000", 0) == 0) {
      ttls.insert(r.ttl);
    }
  }
  EXPECT_EQ(std::to_string(time_exceeded), Truth(".traceroutes[0].time_exceeded"));
  std::vector<std::string> ttl_list;
  for (int t : ttls) ttl_list.push_back(std::to_string(t));
  EXPECT_EQ(Join(ttl_list, ","), Truth(".traceroutes[0].ttls_seen | map(tostring) | join(\",\")"));
}

TEST_F(HoneynetTshark, ScansSweepsAndOddFlags) {
  // Per source: destinations in order, and (dst, port) of SYN probes.
  std::map<std::string, std::vector<std::string>> syn_dsts, echo_dsts;
  std::map<std::string, std::set<int>> syn_ports;
  std::map<std::string, int> odd;
  for (const Row& r : rows()) {
    if (IsHome(r.src) || !IsHome(r.dst)) continue;
    if (r.proto == 6 && r.flags == 0x02) {
      syn_dsts[r.src].push_back(r.dst + ":" + std::to_string(r.dport));
      syn_ports[r.src + ">" + r.dst].insert(r.dport);
    }
    if (r.proto == 1 && r.icmp_type == 8) echo_dsts[r.src].push_back(r.dst);
    if (r.proto == 6 && (r.flags & 0x17) == 0x01) odd[r.src] = 1;      // FIN only
    if (r.proto == 6 && (r.flags & 0x3f) == 0x29) odd[r.src] = 2;      // FIN PSH URG
    if (r.proto == 6 && r.flags == 0x00) odd[r.src] = 3;               // NULL
  }
  const auto n = JqNum(truth_, ".horizontal_scans | length");
  for (uint64_t i = 0; i < n; ++i) {
    const std::string q = ".horizontal_scans[" + std::to_string(i) + "]";
    const std::string src = Jq(truth_, q + ".src");
    std::vector<uint32_t> order;
    std::set<std::string> targets;
    const std::string port = Jq(truth_, q + ".port");
    for (const auto& d : syn_dsts[src]) {
      const auto hp = Split(d, ':');
      EXPECT_EQ(hp[1], port) << src;
      targets.insert(hp[0]);
      order.push_back(Addr(hp[0]));
    }
    EXPECT_EQ(std::to_string(targets.size()), Jq(truth_, q + ".targets")) << src;
    EXPECT_EQ(std::is_sorted(order.begin(), order.end()) ? "true" : "false",
              Jq(truth_, q + ".sequential"))
        << src;
  }
  const std::string vsrc = Truth(".vertical_scans[0].src"), vdst = Truth(".vertical_scans[0].dst");
  EXPECT_EQ(std::to_string(syn_ports[vsrc + ">" + vdst].size()), Truth(".vertical_scans[0].ports"));
  const std::string sweeper = Truth(".ping_sweeps[0].src");
  EXPECT_EQ(std::to_string(std::set<std::string>(echo_dsts[sweeper].begin(),
                                                 echo_dsts[sweeper].end())
                               .size()),
            Truth(".ping_sweeps[0].targets"));
  std::vector<std::string> kinds;
  for (const auto& [src, k] : odd) {
    kinds.push_back(src + "=" + (k == 1 ? "FIN" : k == 2 ? "XMAS" : "NULL"));
  }
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(Join(kinds, ","),
            Truth(".odd_flag_probes | map(.src + \"=\" + .kind) | sort | join(\",\")"));
  // Background noise stays below any scan threshold: no other source sends SYNs to more than
  // 5 distinct (host, port) pairs.
  std::set<std::string> planted = {vsrc};
  for (uint64_t i = 0; i < n; ++i) {
    planted.insert(Jq(truth_, ".horizontal_scans[" + std::to_string(i) + "].src"));
  }
  for (const auto& s : Split(Truth(".slow_scanners | join(\",\")"), ',')) planted.insert(s);
  for (const auto& s : Split(Truth(".not_slow | join(\",\")"), ',')) planted.insert(s);
  for (const auto& [src, dsts] : syn_dsts) {
    if (planted.count(src)) continue;
    EXPECT_LE(std::set<std::string>(dsts.begin(), dsts.end()).size(), 5u) << src;
  }
}

TEST_F(HoneynetTshark, SlowScannersSpanTheMonthAndBurstsDoNot) {
  std::map<std::string, std::set<uint64_t>> days;
  for (const Row& r : rows()) {
    if (IsHome(r.dst) && !IsHome(r.src)) days[r.src].insert(r.ts_ns / (86400ull * 1000000000));
  }
  for (const auto& s : Split(Truth(".slow_scanners | join(\",\")"), ',')) {
    EXPECT_GE(days[s].size(), 8u) << s;
  }
  for (const auto& s : Split(Truth(".not_slow | join(\",\")"), ',')) {
    EXPECT_EQ(days[s].size(), 1u) << s;
  }
}

TEST_F(HoneynetTshark, SpoofedAndBackscatterSources) {
  auto special = [](const std::string& ip) {
    const uint32_t a = Addr(ip);
    return (a >> 24) == 10 || (a >> 24) == 127 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8;
  };
  std::set<std::string> spoofed;
  std::map<int, int> first_flags;
  std::map<int, std::string> first_src;
  for (const Row& r : rows()) {
    if (!IsHome(r.dst) || IsHome(r.src)) continue;
    if (special(r.src)) spoofed.insert(r.src);
  }
  for (const Row& r : rows()) {
    if (r.proto != 6 || r.stream < 0 || first_flags.count(r.stream)) continue;
    first_flags[r.stream] = r.flags;
    first_src[r.stream] = IsHome(r.dst) && !IsHome(r.src) ? r.src : "";
  }
  std::set<std::string> backscatter;
  for (const auto& [stream, flags] : first_flags) {
    const bool synack = (flags & 0x12) == 0x12, rst = (flags & 0x04) != 0;
    if (!first_src[stream].empty() && (synack || rst)) backscatter.insert(first_src[stream]);
  }
  EXPECT_EQ(Join({spoofed.begin(), spoofed.end()}, ","),
            Truth(".spoofed | map(.src) | sort | join(\",\")"));
  EXPECT_EQ(Join({backscatter.begin(), backscatter.end()}, ","),
            Truth(".backscatter | sort | join(\",\")"));
}

TEST_F(HoneynetTshark, CompromisedHostOpensOutboundConnections) {
  // Outbound connections that were answered (SYN from a home host, then SYN-ACK), by host.
  std::map<int, std::pair<std::string, std::string>> syn_by_stream;  // stream -> host, dst:port
  std::map<std::string, std::set<std::string>> answered;
  for (const Row& r : rows()) {
    if (r.proto != 6) continue;
    if (r.flags == 0x02 && IsHome(r.src) && !IsHome(r.dst)) {
      syn_by_stream[r.stream] = {r.src, r.dst + ":" + std::to_string(r.dport)};
    } else if ((r.flags & 0x12) == 0x12 && syn_by_stream.count(r.stream)) {
      const auto& [host, dst] = syn_by_stream[r.stream];
      answered[host].insert(dst);
    }
  }
  std::vector<std::string> compromised, allowed_only;
  for (const auto& [host, dsts] : answered) {
    std::vector<std::string> bad;
    for (const auto& d : dsts) {
      const std::string port = Split(d, ':')[1];
      if (port != "113" && port != "53") bad.push_back(d);
    }
    (bad.empty() ? allowed_only : compromised).push_back(host + "=" + Join(bad, "+"));
  }
  EXPECT_EQ(Join(compromised, ","),
            Truth(".compromised | map(.host + \"=\" + (.outbound | map(.dst + \":\" + "
                  "(.port | tostring)) | sort | join(\"+\"))) | join(\",\")"));
  // The ident/DNS host made outbound ident connections and DNS queries, nothing else.
  const std::string nc = Truth(".not_compromised[0]");
  EXPECT_EQ(Join(allowed_only, ","), nc + "=");
  uint64_t dns = 0;
  for (const Row& r : rows()) dns += r.proto == 17 && r.src == nc && r.dport == 53;
  EXPECT_GT(dns, 10u);
}

TEST_F(HoneynetTshark, ReservedNetworkLeakGrowsWeekly) {
  const uint64_t week0 = JqNum(truth_, ".reserved_destinations.week_start_ns[0]");
  const uint64_t week_ns = 7ull * 86400 * 1000000000;
  std::vector<std::set<std::string>> weeks(4);
  std::set<std::string> hosts;
  uint64_t tree_disconnect = 0, echo = 0, nbstat = 0, answers = 0;
  for (const Row& r : rows()) {
    if (r.dst.rfind("1.11.", 0) == 0) {
      weeks[std::min<uint64_t>(3, (r.ts_ns - week0) / week_ns)].insert(r.src);
      hosts.insert(r.src);
      tree_disconnect += r.smb_cmd == "0x71";
      echo += r.smb_cmd == "0x2b";
      nbstat += HasProto(r, "nbns");
    }
    answers += r.src.rfind("1.11.", 0) == 0;
  }
  std::vector<std::string> per_week;
  for (const auto& w : weeks) per_week.push_back(std::to_string(w.size()));
  EXPECT_EQ(Join(per_week, ","),
            Truth(".reserved_destinations.hosts_per_week | map(tostring) | join(\",\")"));
  EXPECT_EQ(Join({hosts.begin(), hosts.end()}, ","),
            Truth(".reserved_destinations.hosts | sort | join(\",\")"));
  EXPECT_EQ(std::to_string(tree_disconnect), Truth(".reserved_destinations.smb1_commands[\"0x71\"]"));
  EXPECT_EQ(std::to_string(echo), Truth(".reserved_destinations.smb1_commands[\"0x2b\"]"));
  EXPECT_EQ(std::to_string(nbstat), Truth(".reserved_destinations.nbns_nbstat_queries"));
  EXPECT_EQ(answers, 0u);
}

TEST_F(HoneynetTshark, BareAckSegmentsHitDarkAddresses) {
  std::set<int> streams_with_syn;
  std::set<std::string> replied;  // every address that ever sent a packet
  for (const Row& r : rows()) {
    if (r.proto == 6 && r.flags >= 0 && (r.flags & 0x02)) streams_with_syn.insert(r.stream);
    replied.insert(r.src);
  }
  std::set<std::string> sources, targets;
  uint64_t ida = 0, cmd = 0;
  for (const Row& r : rows()) {
    if (r.proto != 6 || r.payload.empty() || streams_with_syn.count(r.stream)) continue;
    if (!IsHome(r.dst)) continue;
    sources.insert(r.src);
    targets.insert(r.dst);
    ida += r.payload.find("64656661756c742e696461") != std::string::npos;  // "default.ida"
    cmd += r.payload.find("636d642e657865") != std::string::npos;          // "cmd.exe"
  }
  EXPECT_EQ(Join({sources.begin(), sources.end()}, ","),
            Truth(".bare_ack.sources | sort | join(\",\")"));
  EXPECT_EQ(Join({targets.begin(), targets.end()}, ","),
            Truth(".bare_ack.targets | sort | join(\",\")"));
  EXPECT_EQ(std::to_string(ida), Truth(".bare_ack.labels.code_red"));
  EXPECT_EQ(std::to_string(cmd), Truth(".bare_ack.labels.nimda"));
  EXPECT_GT(cmd, ida);
  for (const auto& t : targets) EXPECT_EQ(replied.count(t), 0u) << t << " is not dark";
}

TEST_F(HoneynetTshark, PortTrendsDailySources) {
  const uint64_t day_ns = 86400ull * 1000000000;
  const uint64_t first = JqNum(truth_, ".capture.first_ns"), t0 = first - first % day_ns;
  for (const std::string port : {"6129", "17300"}) {
    std::vector<std::set<std::string>> days(27);
    for (const Row& r : rows()) {
      if (r.proto == 6 && r.flags == 0x02 && std::to_string(r.dport) == port) {
        days[(r.ts_ns - t0) / day_ns].insert(r.src);
      }
    }
    std::vector<std::string> counts;
    for (const auto& d : days) counts.push_back(std::to_string(d.size()));
    EXPECT_EQ(Join(counts, ","),
              Truth(".port_trends.daily_sources[\"" + port + "\"] | map(tostring) | join(\",\")"))
        << port;
  }
  EXPECT_EQ(Truth(".port_trends.growing[0]"), "6129");
  EXPECT_EQ(Truth(".port_trends.shrinking[0]"), "17300");
}

// Argus is an independent implementation of the state rules the truth was derived from by hand.
TEST(GeneratorArgus, ArgusAgreesWithHandDerivedTcpStates) {
  REQUIRE_TOOL("argus");
  REQUIRE_TOOL("ra");
  REQUIRE_TOOL("jq");
  TempDir tmp;
  int rc = -1;
  Shell("argus -r '" + kPcaps + "/tcp_states.pcap' -w '" + (tmp / "s.argus") + "' 2>/dev/null", &rc);
  ASSERT_EQ(rc, 0);
  const std::string out =
      Shell("ra -r '" + (tmp / "s.argus") + "' -n -s sport dport state:6 -- tcp 2>/dev/null", &rc);
  std::map<std::string, std::string> state_by_ports;
  std::istringstream in(out);
  std::string sport, dport, state;
  while (in >> sport >> dport >> state) {
    state_by_ports[sport + "/" + dport] = state;
    state_by_ports[dport + "/" + sport] = state;
  }
  const std::string truth = kPcaps + "/tcp_states.truth.json";
  const auto lines = Split(Jq(truth, ".connections[] | \"\\(.orig_p)/\\(.resp_p) \\(.argus_state)"
                                     " \\(.conn_state)\""),
                           '\n');
  ASSERT_EQ(lines.size(), 13u);
  for (const auto& line : lines) {
    const auto f = Split(line, ' ');
    EXPECT_EQ(state_by_ports[f[0]], f[1]) << "conn_state " << f[2];
  }
}

TEST(GeneratorBench, DeterministicExactCountsAndAppShare) {
  TempDir tmp;
  int rc = -1;
  const std::string a = tmp / "a.pcap", b = tmp / "b.pcap", c = tmp / "c.pcap";
  Shell("'" + kGen + "' bench --out '" + a + "' --packets 20000 --flows 2500 2>/dev/null", &rc);
  ASSERT_EQ(rc, 0);
  Shell("'" + kGen + "' bench --out '" + b + "' --packets 20000 --flows 2500 2>/dev/null", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(ReadFile(a) == ReadFile(b));
  Shell("'" + kGen + "' bench --out '" + c + "' --packets 20000 --flows 2500 --app-share 0.33 "
      "2>/dev/null",
      &rc);
  ASSERT_EQ(rc, 0);
  Shell("'" + kGen + "' bench --out '" + c + "' --packets 10 --flows 20 2>/dev/null", &rc);
  EXPECT_EQ(rc, 2) << "more flows than packets must be rejected";
  if (!HaveTool("tshark")) {
    if (InCi()) FAIL() << "tshark is not installed (CI=true)";
    GTEST_SKIP() << "tshark is not installed; determinism checked, counts not";
  }
  for (const auto& [path, share] : {std::pair{a, 0.0}, std::pair{c, 0.33}}) {
    SCOPED_TRACE(path);
    const auto rows = Tshark(path, &rc);
    ASSERT_EQ(rc, 0);
    EXPECT_EQ(rows.size(), 20000u);
    std::set<std::tuple<int, std::string, std::string>> flows;
    uint64_t app = 0, malformed = 0;
    for (const Row& r : rows) {
      std::string x = r.src + ":" + std::to_string(r.sport), y = r.dst + ":" +
                                                             std::to_string(r.dport);
      if (y < x) std::swap(x, y);
      flows.emplace(r.proto, x, y);
      // App packets: every packet of a TCP/445 (NBSS/SMB) flow, NBNS, and ICMP.
      app += (r.proto == 6 && (r.sport == 445 || r.dport == 445)) || HasProto(r, "nbns") ||
             r.proto == 1;
      malformed += HasProto(r, "_ws.malformed");
    }
    EXPECT_EQ(flows.size(), 2500u);
    EXPECT_EQ(malformed, 0u);
    if (share > 0) {
      EXPECT_NEAR(static_cast<double>(app) / rows.size(), share, 0.02);
    }
  }
}

}  // namespace
