// Differential test of the DNS decoder against tshark's on the real captures of
// $TAPWATCH_SHARED/pcaps that carry DNS: per flow (5-tuple), the query and response messages,
// the first 4 distinct question names in order, the multiset of question types, the multiset of
// response codes, the answer records read and, for the answer data we keep, that tshark decodes
// the same text in that flow (A, AAAA, CNAME, PTR, NS, MX).
//
// Deliberate differences, normalised here:
//  - tshark writes the root name "<Root>"; we write ".".
//  - We read at most 32 answer records per message (tshark's count is capped likewise here).
//  - A flow with a message tshark calls malformed: we count it in `malformed` too, or in
//    `tcp_segments_skipped` when it spans TCP segments (tshark reassembles, we do not); the
//    flow's messages, names, types and answers are not compared (each decoder stops at a
//    different point of the damage).
//  - Inside a label we escape '.' and '\' ("\."), tshark shows them bare: unescaped here.
//  - DNS quoted inside ICMP errors: tshark dissects it, we attribute the error to the quoted
//    flow without decoding its payload; such frames are filtered out (!icmp).
//  - kKnownDifferences below: flows where the two cannot agree (each explained).

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "decoders/dns/dns.h"
#include "tests/app/pcap_flows.h"

namespace tapwatch::apptest {
namespace {

struct KnownDifference {
  const char* file;
  const char* why;
};
constexpr KnownDifference kKnownDifferences[] = {
    {"zeek__ipv6-fragmented-dns.pcap",
     "a response in IPv6 fragments: tshark reassembles it, we decode the first fragment's bytes "
     "(no IP reassembly) and count the message malformed; compared on messages only"},
};

struct Expected {
  uint32_t queries = 0, responses = 0, answer_records = 0, malformed = 0;
  std::vector<std::string> names;  // first 4 distinct, in order
  std::map<uint32_t, uint32_t> qtypes, rcodes;
  std::set<std::string> answer_texts;  // every answer datum tshark decoded in the flow
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::vector<std::string> Values(const std::string& field) {
  std::vector<std::string> out;
  if (field.empty()) return out;
  for (auto& v : Split(field, '|')) out.push_back(v == "<Root>" ? "." : v);
  return out;
}

// Our "\." and "\\" inside a label, as tshark shows them.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '.' || s[i + 1] == '\\')) ++i;
    out += s[i];
  }
  return out;
}

uint32_t ParseNum(const std::string& s) { return static_cast<uint32_t>(std::stoul(s, nullptr, 0)); }

std::map<std::string, Expected> Tshark(const std::string& path) {
  const std::string cmd =
      "tshark -n -r '" + path +
      "' -Y 'dns && !icmp && !icmpv6' -T fields -E separator=/t -E occurrence=a -E aggregator='|' "
      "-e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e udp.srcport -e udp.dstport "
      "-e tcp.srcport -e tcp.dstport -e dns.flags.response -e dns.qry.name -e dns.qry.type "
      "-e dns.flags.rcode -e dns.count.answers -e _ws.malformed -e dns.a -e dns.aaaa "
      "-e dns.cname -e dns.ptr.domain_name -e dns.ns -e dns.mx.mail_exchange 2>/dev/null";
  std::map<std::string, Expected> out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[65536];
  while (fgets(buf, sizeof(buf), f)) {
    std::string line = buf;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    const auto c = Split(line, '\t');
    if (c.size() < 20) continue;
    const std::string src = !c[0].empty()          ? Values(c[0])[0]
                            : Values(c[2]).empty() ? ""
                                                   : Values(c[2])[0];
    const std::string dst = !c[1].empty()          ? Values(c[1])[0]
                            : Values(c[3]).empty() ? ""
                                                   : Values(c[3])[0];
    const bool udp = !c[4].empty();
    if (src.empty() || (!udp && c[6].empty())) continue;
    const uint32_t sp = ParseNum(Values(udp ? c[4] : c[6])[0]);
    const uint32_t dp = ParseNum(Values(udp ? c[5] : c[7])[0]);
    Expected& e = out[CanonicalKey(udp ? 17 : 6, src, sp, dst, dp)];
    // One line per frame; a TCP frame may carry several messages (one value each).
    const auto response = Values(c[8]);
    const bool malformed = !c[13].empty();
    for (const auto& r : response) ++(r == "1" || r == "True" ? e.responses : e.queries);
    if (malformed) {
      ++e.malformed;
      continue;
    }
    for (const auto& name : Values(c[9])) {
      bool seen = false;
      for (const auto& n : e.names) seen |= n == name;
      if (!seen && e.names.size() < 4) e.names.push_back(name);
    }
    for (const auto& t : Values(c[10])) ++e.qtypes[ParseNum(t)];
    for (const auto& rc : Values(c[11])) ++e.rcodes[ParseNum(rc)];
    const auto counts = Values(c[12]);
    for (size_t i = 0; i < counts.size() && i < response.size(); ++i) {
      if (response[i] == "1" || response[i] == "True") {
        e.answer_records +=
            std::min<uint32_t>(ParseNum(counts[i]), decoders::kDnsAnswersPerMessage);
      }
    }
    for (size_t col = 14; col < 20; ++col) {
      for (const auto& v : Values(c[col])) e.answer_texts.insert(v);
    }
  }
  pclose(f);
  return out;
}

class DnsTshark : public ::testing::TestWithParam<const char*> {};

TEST_P(DnsTshark, PerFlowMessagesNamesTypesAndCodesMatchTshark) {
  const std::string file = GetParam();
  const std::string path = SharedDir() + "/pcaps/" + file;
  if (FILE* probe = fopen(path.c_str(), "rb")) {
    fclose(probe);
  } else {
    if (InCi()) FAIL() << "missing capture " << path << " (CI=true)";
    GTEST_SKIP() << "capture not found: " << path << " (set TAPWATCH_SHARED)";
  }
  if (std::system("tshark -v >/dev/null 2>&1") != 0) {
    if (InCi()) FAIL() << "tshark not installed (CI=true)";
    GTEST_SKIP() << "tshark not installed";
  }
  bool messages_only = false;
  for (const auto& k : kKnownDifferences) messages_only |= file == k.file;

  PcapFlows flows;
  std::string error;
  ASSERT_TRUE(flows.Run(path, error)) << error;
  const auto expected = Tshark(path);
  ASSERT_FALSE(expected.empty()) << "tshark found no DNS in " << path;
  size_t compared = 0;
  for (const auto& [key, want] : expected) {
    SCOPED_TRACE(key);
    auto it = flows.flows().find(key);
    ASSERT_NE(it, flows.flows().end()) << "no flow for a tshark DNS flow";
    const auto* d = flows.pool().Get<decoders::DnsDetail>(it->second.state.detail);
    ASSERT_NE(d, nullptr) << "no DNS detail";
    ++compared;
    if (messages_only) {
      EXPECT_GE(d->queries + d->responses + d->malformed, 1u);
      continue;
    }
    if (want.malformed != 0) {
      EXPECT_GE(d->malformed + d->tcp_segments_skipped, 1u) << "tshark calls a message malformed";
      continue;
    }
    EXPECT_EQ(d->queries, want.queries);
    EXPECT_EQ(d->responses, want.responses);
    EXPECT_EQ(d->malformed, 0u);
    std::vector<std::string> names;
    for (const auto& n : d->query_names.Items(d->sets_used)) names.push_back(Unescape(n.view()));
    EXPECT_EQ(names, want.names);
    std::map<uint32_t, uint32_t> qtypes, rcodes;
    for (uint8_t i = 0; i < d->query_types.size; ++i) {
      qtypes[d->query_types.keys[i]] = d->query_types.counts[i];
    }
    for (size_t i = 0; i < d->rcodes.size(); ++i) {
      if (d->rcodes[i]) rcodes[static_cast<uint32_t>(i)] = d->rcodes[i];
    }
    EXPECT_EQ(qtypes, want.qtypes);
    EXPECT_EQ(rcodes, want.rcodes);
    EXPECT_EQ(d->answer_records, want.answer_records);
    for (const auto& a : d->answers.Items(d->sets_used)) {
      EXPECT_TRUE(want.answer_texts.count(std::string(a.view()))) << "answer " << a.view();
    }
  }
  EXPECT_EQ(compared, expected.size());
}

INSTANTIATE_TEST_SUITE_P(
    RealCaptures, DnsTshark,
    ::testing::Values("markofu-pcaps__evilprogram.pcap", "markofu-pcaps__xscan_capture.pcap",
                      "markofu-pcaps__puzzle1.pcap", "markofu-pcaps__ICMP_echo_fingerprinting.pcap",
                      "zeek__pcapng-multi-interface.pcapng", "zeek__ipv6-fragmented-dns.pcap",
                      "nDPI__netbios_wildcard_dns_query.pcap"),
    [](const auto& info) {
      std::string name = info.param;
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace tapwatch::apptest
