// The real logs in $TAPWATCH_SHARED/logs (SOTM30 head, UFW): per destination port, per source
// address and per prefix, the packet counts from our frames (decoded by libtins) equal counts
// computed independently with awk/sed over the log file itself.

#include <gtest/gtest.h>
#include <tins/tins.h>

#include <map>
#include <sstream>
#include <string>

#include "sensor/log/source.h"
#include "tests/sensor/log/test_util.h"

namespace tapwatch::sensor {
namespace {

using Counts = std::map<std::string, uint64_t>;

// "  219 135" lines of `uniq -c` into a map.
Counts ParseUniqC(const std::string& out) {
  Counts c;
  std::istringstream in(out);
  uint64_t n;
  std::string key;
  while (in >> n) {
    std::getline(in, key);
    const size_t start = key.find_first_not_of(' ');
    key = start == std::string::npos ? "" : key.substr(start);
    c[key] += n;
  }
  return c;
}

Counts Awk(const std::string& pipeline, const std::string& file) {
  return ParseUniqC(testing::Run(pipeline + " '" + file + "' | sort | uniq -c"));
}

struct OurCounts {
  Counts dst_port, src, prefix;
  LogCounters counters;
};

OurCounts FromFrames(const std::string& file) {
  OurCounts ours;
  LogSourceOptions opts;
  opts.path = file;
  std::string error;
  auto src = LogSource::Open(opts, &error);
  EXPECT_NE(src, nullptr) << error;
  if (!src) return ours;
  LogFrame f;
  while (src->Next(f)) {
    Tins::EthernetII eth = testing::Decode(f);
    const auto& ip = eth.rfind_pdu<Tins::IP>();
    ++ours.src[ip.src_addr().to_string()];
    if (const auto* tcp = eth.find_pdu<Tins::TCP>()) ++ours.dst_port[std::to_string(tcp->dport())];
    if (const auto* udp = eth.find_pdu<Tins::UDP>()) ++ours.dst_port[std::to_string(udp->dport())];
    ++ours.prefix[std::string(f.label)];
  }
  ours.counters = src->counters();
  return ours;
}

// Independent extraction: the first DPT=/SRC= token of each line; the prefix is what lies between
// "kernel: " (and a kernel uptime stamp) and " IN=", without a trailing colon.
constexpr const char* kAwkDpt =
    "awk '{for(i=1;i<=NF;i++) if ($i ~ /^DPT=/) {print substr($i,5); break}}'";
constexpr const char* kAwkSrc =
    "awk '{for(i=1;i<=NF;i++) if ($i ~ /^SRC=/) {print substr($i,5); break}}'";
constexpr const char* kSedPrefix =
    "grep 'IN=' | sed -E 's/^.*kernel: (\\[[0-9. ]+\\] )?//; s/ ?IN=.*//; s/:$//'";

void CheckLog(const std::string& file, uint64_t expected_lines) {
  const OurCounts ours = FromFrames(file);
  EXPECT_EQ(ours.counters.lines, expected_lines);
  const std::string total = testing::Run("grep -c 'IN=' '" + file + "'");
  EXPECT_EQ(ours.counters.packet, std::stoull(total));
  EXPECT_EQ(ours.counters.malformed, 0u);
  EXPECT_EQ(ours.dst_port, Awk(kAwkDpt, file));
  EXPECT_EQ(ours.src, Awk(kAwkSrc, file));
  EXPECT_EQ(ours.prefix, ParseUniqC(testing::Run("cat '" + file + "' | " + kSedPrefix +
                                                 " | sort | uniq -c")));
  EXPECT_GT(ours.dst_port.size(), 5u);
}

TEST(LogRealLogs, Sotm30HeadCountsMatchAwk) {
  const std::string file =
      testing::SharedDir() + "/logs/Tetoronie-Scripting-and-Automation__iptables.log";
  TAPWATCH_REQUIRE_SHARED(file);
  CheckLog(file, 500);
  // The MANIFEST's figures, as a second independent source.
  const OurCounts ours = FromFrames(file);
  EXPECT_EQ(ours.dst_port.at("135"), 219u);
  EXPECT_EQ(ours.dst_port.at("445"), 83u);
  EXPECT_EQ(ours.dst_port.at("6129"), 43u);
  EXPECT_EQ(ours.prefix.at("INBOUND ICMP"), 81u);
}

TEST(LogRealLogs, UfwCountsMatchAwk) {
  const std::string file = testing::SharedDir() + "/logs/teliten-log.plemma__ufw.log";
  TAPWATCH_REQUIRE_SHARED(file);
  CheckLog(file, 1832);
  EXPECT_EQ(FromFrames(file).prefix.at("[UFW BLOCK]"), 1832u);
}

TEST(LogRealLogs, CiscoAsaLinesAreCountedNotPackets) {
  // Optional format not parsed (yet): every line must still land in the non-packet counter.
  const std::string file =
      testing::SharedDir() + "/logs/munetworkforensics-Ch8-EventLogs__firewall.log";
  TAPWATCH_REQUIRE_SHARED(file);
  const OurCounts ours = FromFrames(file);
  EXPECT_EQ(ours.counters.lines, 6556u);
  EXPECT_EQ(ours.counters.packet, 0u);
  EXPECT_EQ(ours.counters.non_packet + ours.counters.malformed, 6556u);
}

}  // namespace
}  // namespace tapwatch::sensor
