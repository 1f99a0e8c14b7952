// Cross-check against tshark over the real captures in $TAPWATCH_SHARED/pcaps: every packet is
// read with libpcap (pcap_open_offline handles pcapng), decoded by DecodeFrame, and compared
// with the fields tshark prints for the same frame (no reassembly/defragmentation):
// ip.src/dst/proto/len, ipv6.src/dst/plen, tcp/udp ports, icmp/icmpv6 type, vlan.id.
// tshark prints nested (ICMP-quoted, tunnelled) headers comma-separated: the first value is the
// outermost one. Where we deliberately differ, the packet is counted by reason (see Reason) and
// printed, and only those reasons are accepted.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "decoders/decode_frame.h"

namespace tapwatch::decoders {
namespace {

namespace fs = std::filesystem;

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

fs::path SharedDir() {
  const char* env = std::getenv("TAPWATCH_SHARED");
  return env != nullptr && *env != '\0' ? fs::path(env) : fs::path(TAPWATCH_DEFAULT_SHARED_DIR);
}

std::vector<fs::path> Captures() {
  std::vector<fs::path> out;
  const fs::path dir = SharedDir() / "pcaps";
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.find(".pcap") != std::string::npos) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool HaveTshark() { return std::system("tshark -v > /dev/null 2>&1") == 0; }

// Skips (or fails under CI=true) when the captures or tshark are missing. Returns true to go on.
#define TAPWATCH_REQUIRE(cond, what)                        \
  do {                                                      \
    if (!(cond)) {                                          \
      if (InCi()) FAIL() << what << " (CI=true: required)"; \
      GTEST_SKIP() << what;                                 \
    }                                                       \
  } while (0)

struct Packet {
  uint32_t wire_len;
  std::vector<uint8_t> bytes;
};

struct Capture {
  LinkType link;
  int dlt;
  std::vector<Packet> packets;
};

// libpcap reports DLT_ values; DecodeFrame takes LINKTYPE_ values. They differ for raw IP.
LinkType LinkFromDlt(int dlt) {
  switch (dlt) {
    case DLT_RAW:  // 12 on Linux (14 on OpenBSD): LINKTYPE_RAW 101
    case 14:
      return LinkType::kRaw;
    default:
      return static_cast<LinkType>(dlt);
  }
}

bool ReadCapture(const fs::path& path, Capture& cap, std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
  if (p == nullptr) {
    error = errbuf;
    return false;
  }
  cap.dlt = pcap_datalink(p);
  cap.link = LinkFromDlt(cap.dlt);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
    cap.packets.push_back({hdr->len, std::vector<uint8_t>(data, data + hdr->caplen)});
  }
  // A file cut short mid-record (http-fault-post.pcap) ends with an error: keep what was read.
  pcap_close(p);
  return true;
}

constexpr const char* kFields[] = {
    "frame.number", "ip.src",      "ip.dst",    "ip.proto",    "ip.len",
    "ipv6.src",     "ipv6.dst",    "ipv6.plen", "tcp.srcport", "tcp.dstport",
    "udp.srcport",  "udp.dstport", "icmp.type", "icmpv6.type", "vlan.id",
};
enum Field {
  kFrame,
  kIpSrc,
  kIpDst,
  kIpProto,
  kIpLen,
  kIp6Src,
  kIp6Dst,
  kIp6Plen,
  kTcpSport,
  kTcpDport,
  kUdpSport,
  kUdpDport,
  kIcmpType,
  kIcmp6Type,
  kVlanId,
  kFieldCount
};

using Row = std::vector<std::string>;  // all values of a field, comma-joined as tshark prints

std::map<uint64_t, Row> RunTshark(const fs::path& path) {
  std::string cmd = "tshark -n -r '" + path.string() +
                    "' -o ip.defragment:FALSE -o ipv6.defragment:FALSE -T fields -E separator=/t";
  for (const char* f : kFields) cmd += std::string(" -e ") + f;
  cmd += " 2>/dev/null";
  std::map<uint64_t, Row> rows;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return rows;
  std::string line;
  char buf[4096];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) {
    line += buf;
    if (line.empty() || line.back() != '\n') continue;
    line.pop_back();
    Row row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) row.push_back(cell);
    row.resize(kFieldCount);
    rows[std::strtoull(row[kFrame].c_str(), nullptr, 10)] = row;
    line.clear();
  }
  pclose(pipe);
  return rows;
}

std::string First(const std::string& v) { return v.substr(0, v.find(',')); }
std::string Nth(const std::string& v, int n) {
  size_t start = 0;
  for (int i = 0; i < n; ++i) {
    start = v.find(',', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  return v.substr(start, v.find(',', start) - start);
}

std::string ToString(const IpAddress& a) {
  char buf[64];
  if (a.family == 4) {
    std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]);
    return buf;
  }
  // RFC 5952 text form (as tshark prints it), via the longest run of zero groups.
  uint16_t g[8];
  for (int i = 0; i < 8; ++i)
    g[i] = static_cast<uint16_t>((a.bytes[2 * i] << 8) | a.bytes[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof(buf), "%x", g[i]);
    out += buf;
  }
  return out;
}

std::string U(unsigned v) { return std::to_string(v); }

// Deliberate differences with tshark, counted per capture under these names:
//  malformed:<anomaly>  we flagged an anomaly at this layer and dropped its fields (has_l4 false,
//                       ports 0); tshark prints what it could read anyway, e.g. the ports of a
//                       UDP header whose length field is wrong (pevma-mrp__nbns.pcap: 1000
//                       randpkt packets, all udp_bad_length).
//  snaplen_transport_header  the transport header was cut by snaplen: we keep the L3 flow only
//                       (has_l4 false), tshark prints the fields that happen to be captured
//                       (zeek__icmp-header-trunc.pcap).
//  tunnel               IPv6-in-IPv4, GRE, Teredo...: tshark's first port value may belong to
//                       the inner packet; we report the outer flow.
std::string MalformedReason(const DecodedPacket& pkt) {
  return "malformed:" + std::string(AnomalyName(pkt.anomalies[0]));
}

struct Stats {
  size_t packets = 0, ip = 0, l4 = 0, compared_fields = 0;
  std::map<std::string, size_t> accepted;
  std::vector<std::string> mismatches;
};

// Compares one transport port pair. `ours_*` are the ports we report for this packet (ICMP:
// the quoted ones). Returns false on an unexplained mismatch.
void ComparePorts(const DecodedPacket& pkt, DecodeStatus status, const Row& row, Field sf, Field df,
                  uint8_t proto, const std::string& where, Stats& st) {
  const std::string ts = First(row[sf]);
  const std::string td = First(row[df]);
  if (ts.empty() && td.empty()) return;
  uint16_t src = 0, dst = 0;
  bool have = false;
  if (pkt.ip_proto == proto && pkt.has_l4) {
    src = pkt.src_port;
    dst = pkt.dst_port;
    have = true;
  } else if ((pkt.ip_proto == kIpProtoIcmp || pkt.ip_proto == kIpProtoIcmpv6) &&
             pkt.icmp_quoted.present && pkt.icmp_quoted.ip_proto == proto &&
             (pkt.icmp_quoted.src_port != 0 || pkt.icmp_quoted.dst_port != 0)) {
    src = pkt.icmp_quoted.src_port;
    dst = pkt.icmp_quoted.dst_port;
    have = true;
  }
  if (have) {
    st.compared_fields += 2;
    if (U(src) != ts || U(dst) != td) {
      st.mismatches.push_back(where + " ports " + U(src) + ">" + U(dst) + " tshark " + ts + ">" +
                              td);
    }
    return;
  }
  // tshark saw ports that we did not report: only acceptable for a documented reason.
  if (status == DecodeStatus::kMalformed) {
    ++st.accepted[MalformedReason(pkt)];
  } else if (pkt.cap_len < pkt.wire_len) {
    ++st.accepted["snaplen_transport_header"];
  } else if (pkt.ip_proto == 41 || pkt.ip_proto == 4 || pkt.ip_proto == 47 || pkt.ip_proto == 17 ||
             pkt.ip_proto == 6) {
    // 6in4 / IPIP / GRE carry another IP packet; UDP/TCP tunnels (Teredo) too: tshark's first
    // port value can then belong to the inner packet (e.g. UDP ports for a TCP-over-Teredo flow).
    ++st.accepted["tunnel"];
  } else {
    st.mismatches.push_back(where + " tshark ports " + ts + ">" + td + " but we have none (proto " +
                            U(pkt.ip_proto) + ")");
  }
}

void ComparePacket(const Packet& p, LinkType link, const Row& row, const std::string& where,
                   Stats& st) {
  DecodedPacket pkt;
  pkt.wire_len = p.wire_len;
  pkt.cap_len = static_cast<uint32_t>(p.bytes.size());
  const DecodeStatus status = DecodeFrame(link, p.bytes, pkt);
  ++st.packets;
  auto mismatch = [&](const std::string& what, const std::string& ours, const std::string& theirs) {
    st.mismatches.push_back(where + " " + what + ": ours '" + ours + "' tshark '" + theirs + "'");
  };
  auto eq = [&](const std::string& what, const std::string& ours, const std::string& theirs) {
    ++st.compared_fields;
    if (ours != theirs) mismatch(what, ours, theirs);
  };

  // VLAN tags (outer, inner).
  const std::string vlan = row[kVlanId];
  if (!vlan.empty()) {
    eq("vlan outer", U(pkt.vlan_outer), First(vlan));
    const std::string inner = Nth(vlan, 1);
    if (!inner.empty()) eq("vlan inner", U(pkt.vlan_inner), inner);
  } else if (pkt.vlan_outer != 0) {
    mismatch("vlan", U(pkt.vlan_outer), "");
  }

  const std::string ip_src = First(row[kIpSrc]);
  const std::string ip6_src = First(row[kIp6Src]);
  if (!ip_src.empty() && (pkt.ip_version == 4 || ip6_src.empty() || pkt.ip_version == 0)) {
    // tshark's outermost IP is IPv4 unless an IPv6 packet quotes/tunnels IPv4: then ours is 6.
    if (pkt.ip_version == 0 && status == DecodeStatus::kMalformed) {
      ++st.accepted[MalformedReason(pkt)];
      return;
    }
    if (pkt.ip_version == 6) goto ipv6;
    ++st.ip;
    eq("ip.src", ToString(pkt.src), ip_src);
    eq("ip.dst", ToString(pkt.dst), First(row[kIpDst]));
    eq("ip.proto", U(pkt.ip_proto), First(row[kIpProto]));
    eq("ip.len", U(pkt.ip_total_len), First(row[kIpLen]));
  } else if (!ip6_src.empty()) {
  ipv6:
    if (pkt.ip_version == 0 && status == DecodeStatus::kMalformed) {
      ++st.accepted[MalformedReason(pkt)];
      return;
    }
    ++st.ip;
    eq("ipv6.src", ToString(pkt.src), ip6_src);
    eq("ipv6.dst", ToString(pkt.dst), First(row[kIp6Dst]));
    eq("ipv6.plen", U(pkt.ip_total_len - 40u), First(row[kIp6Plen]));
  } else {
    // tshark saw no IP header at all.
    if (pkt.ip_version != 0) mismatch("ip", "v" + U(pkt.ip_version), "none");
    return;
  }
  if (pkt.has_l4) ++st.l4;

  ComparePorts(pkt, status, row, kTcpSport, kTcpDport, kIpProtoTcp, where, st);
  ComparePorts(pkt, status, row, kUdpSport, kUdpDport, kIpProtoUdp, where, st);
  const std::string icmp = First(row[kIcmpType]);
  if (!icmp.empty()) {
    if (pkt.ip_proto == kIpProtoIcmp && pkt.has_l4) {
      eq("icmp.type", U(pkt.icmp_type), icmp);
    } else if (status == DecodeStatus::kMalformed) {
      ++st.accepted[MalformedReason(pkt)];
    } else if (pkt.cap_len < pkt.wire_len) {
      ++st.accepted["snaplen_transport_header"];
    } else {
      mismatch("icmp.type", "none", icmp);
    }
  }
  const std::string icmp6 = First(row[kIcmp6Type]);
  if (!icmp6.empty() && pkt.ip_proto == kIpProtoIcmpv6 && pkt.has_l4) {
    eq("icmpv6.type", U(pkt.icmp_type), icmp6);
  }
}

TEST(TsharkCrossCheck, EveryPacketOfEveryCaptureMatchesTshark) {
  const auto captures = Captures();
  TAPWATCH_REQUIRE(!captures.empty(), "no captures in " << SharedDir() / "pcaps"
                                                        << " (set TAPWATCH_SHARED)");
  TAPWATCH_REQUIRE(HaveTshark(), "tshark not installed");
  Stats total;
  for (const auto& path : captures) {
    Capture cap;
    std::string error;
    ASSERT_TRUE(ReadCapture(path, cap, error)) << path << ": " << error;
    if (!IsSupportedLinkType(static_cast<int>(cap.link))) {
      std::printf("  %-70s linktype %d not supported: skipped\n", path.filename().c_str(), cap.dlt);
      continue;
    }
    const auto rows = RunTshark(path);
    ASSERT_FALSE(rows.empty()) << "tshark printed nothing for " << path;
    Stats st;
    for (size_t i = 0; i < cap.packets.size(); ++i) {
      const auto it = rows.find(i + 1);
      if (it == rows.end()) continue;  // tshark stops at a cut-short record, libpcap too
      ComparePacket(cap.packets[i], cap.link, it->second,
                    path.filename().string() + "#" + std::to_string(i + 1), st);
    }
    std::printf("  %-70s %6zu pkts %6zu ip %6zu l4 %7zu fields", path.filename().c_str(),
                st.packets, st.ip, st.l4, st.compared_fields);
    for (const auto& [why, n] : st.accepted) std::printf("  %s=%zu", why.c_str(), n);
    std::printf("\n");
    total.packets += st.packets;
    total.ip += st.ip;
    total.l4 += st.l4;
    total.compared_fields += st.compared_fields;
    for (const auto& [why, n] : st.accepted) total.accepted[why] += n;
    for (size_t k = 0; k < st.mismatches.size() && k < 10; ++k) ADD_FAILURE() << st.mismatches[k];
    EXPECT_TRUE(st.mismatches.empty()) << st.mismatches.size() << " mismatches in " << path;
  }
  std::printf("TOTAL %zu packets, %zu IP, %zu with L4, %zu fields compared;", total.packets,
              total.ip, total.l4, total.compared_fields);
  for (const auto& [why, n] : total.accepted) std::printf(" %s=%zu", why.c_str(), n);
  std::printf("\n");
  EXPECT_GT(total.compared_fields, 10000u);
}

// Not a correctness test: decodes every packet of every capture many times and prints the rate,
// so regressions of the per-packet cost are visible in the log.
TEST(TsharkCrossCheck, DecodeThroughput) {
  const auto captures = Captures();
  TAPWATCH_REQUIRE(!captures.empty(), "no captures in " << SharedDir() / "pcaps");
  std::vector<std::pair<LinkType, Packet>> all;
  for (const auto& path : captures) {
    Capture cap;
    std::string error;
    if (!ReadCapture(path, cap, error)) continue;
    for (auto& p : cap.packets) all.emplace_back(cap.link, std::move(p));
  }
  ASSERT_FALSE(all.empty());
  constexpr int kPasses = 20;
  size_t ok = 0;
  // Thread CPU time, not wall time: the build machines are shared and heavily loaded.
  const auto cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  const double start = cpu_ns();
  for (int pass = 0; pass < kPasses; ++pass) {
    for (const auto& [link, p] : all) {
      DecodedPacket pkt;
      pkt.wire_len = p.wire_len;
      pkt.cap_len = static_cast<uint32_t>(p.bytes.size());
      ok += DecodeFrame(link, p.bytes, pkt) == DecodeStatus::kOk;
    }
  }
  const double ns = cpu_ns() - start;
  const double per_packet = ns / (static_cast<double>(all.size()) * kPasses);
  std::printf("decoded %zu packets x %d: %.1f ns/packet CPU (%.2f Mpps per core), %zu ok\n",
              all.size(), kPasses, per_packet, 1000.0 / per_packet, ok / kPasses);
  EXPECT_GT(ok, 0u);
}

}  // namespace
}  // namespace tapwatch::decoders
