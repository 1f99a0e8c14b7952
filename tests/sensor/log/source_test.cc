// LogSource: counters, truncated prefixes, year roll-over, file-date year, time zones, gzip,
// standard input, over-long lines.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tins/tins.h>
#include <unistd.h>
#include <utime.h>
#include <zlib.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "sensor/log/source.h"
#include "tests/sensor/log/test_util.h"

namespace tapwatch::sensor {
namespace {

using testing::UtcSeconds;

constexpr uint64_t kNs = 1000000000ull;

// verbatim lines of every format (SOTM30 TCP/ICMP/UDP, UFW, the leak's ipchains joined) and two in
// kernel format (ICMP error with a quoted packet, IPv6).
const std::vector<std::string>& SampleLines() {
  static const std::vector<std::string> lines = {
      "Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 "
      "SRC=192.150.249.87 DST=11.11.11.84 LEN=40 TOS=0x00 PREC=0x00 TTL=110 ID=12973 PROTO=TCP "
      "SPT=220 DPT=6129 WINDOW=16384 RES=0x00 SYN URGP=0  ",
      "Feb  1 00:04:19 bridge kernel: INBOUND ICMP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 "
      "SRC=190.0.0.39 DST=11.11.11.105 LEN=92 TOS=0x00 PREC=0x00 TTL=107 ID=12037 PROTO=ICMP "
      "TYPE=8 CODE=0 ID=512 SEQ=733  ",
      "Feb 10 14:47:18 bridge kernel: INBLOCK: IN=eth1 OUT= "
      "MAC=ff:ff:ff:ff:ff:ff:00:b0:d0:87:85:c3:08:00 SRC=11.11.11.69 DST=11.11.11.255 LEN=241 "
      "TOS=0x00 PREC=0x00 TTL=64 ID=0 DF PROTO=UDP SPT=138 DPT=138 LEN=221",
      "May 29 06:53:55 vultr kernel: [547219.375133] [UFW BLOCK] IN=ens3 OUT= "
      "MAC=56:00:03:85:82:df:fe:00:03:85:82:df:08:00 SRC=192.241.219.198 DST=158.247.223.84 "
      "LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=60834 DPT=5985 WINDOW=65535 "
      "RES=0x00 SYN URGP=0 ",
      "Aug 10 05:15:48 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6 "
      "172.30.3.56:4425 1.11.68.22:445 L=40 S=0x00 I=42620 F=0x4000 T=128 (#13)",
      "Feb  3 10:00:00 fw kernel: OUT ICMP: IN= OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=68 "
      "TOS=0x00 PREC=0xC0 TTL=64 ID=1234 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.2 DST=10.0.0.1 "
      "LEN=40 TOS=0x00 PREC=0x00 TTL=63 ID=42 DF PROTO=UDP SPT=5353 DPT=53 LEN=20 ] ",
      "Jun  2 12:00:00 host kernel: [UFW BLOCK] IN=eth0 OUT= SRC=2001:db8::1 DST=fe80::2:3 "
      "LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=654321 PROTO=TCP SPT=443 DPT=50000 WINDOW=100 RES=0x00 "
      "ACK FIN URGP=0 ",
  };
  return lines;
}

void ExpectCountersAddUp(const LogCounters& c) {
  EXPECT_EQ(c.packet + c.non_packet + c.malformed + c.continuation, c.lines);
}

TEST(LogSource, EveryTruncatedPrefixIsOneCounterAndNeverCrashes) {
  for (const std::string& line : SampleLines()) {
    for (size_t k = 0; k <= line.size(); ++k) {
      const std::string prefix = line.substr(0, k);
      std::string error;
      auto src = LogSource::FromMemory(prefix + "\n", testing::Year(2004), &error);
      ASSERT_NE(src, nullptr);
      LogFrame f;
      uint64_t frames = 0;
      while (src->Next(f)) {
        ++frames;
        EXPECT_LE(f.cap_len, f.wire_len) << prefix;
        EXPECT_GE(f.cap_len, 34u) << prefix;
        // A shorter valid line still yields a frame an independent decoder reads (IPv4 here;
        // the IPv6 header length field is checked in the netfilter tests).
        if (f.bytes[12] == 0x08) {
          EXPECT_NO_THROW(testing::Decode(f)) << prefix;
        }
      }
      const LogCounters& c = src->counters();
      EXPECT_EQ(c.lines, 1u) << prefix;
      EXPECT_EQ(c.packet, frames);
      ExpectCountersAddUp(c);
      if (k == line.size()) {
        EXPECT_EQ(c.packet, 1u) << line;
      }
    }
  }
}

TEST(LogSource, TruncatedTcpLineIsMalformedUntilUrgp) {
  // netfilter always ends a TCP header dump with URGP=: any prefix that stops before "URGP=0"
  // (or a blank/timestamp-only prefix) is not a packet; from "URGP=0" on it is.
  const std::string& line = SampleLines()[0];
  const size_t complete = line.find("URGP=0") + 6;
  for (size_t k = 0; k <= line.size(); ++k) {
    std::string error;
    auto src = LogSource::FromMemory(line.substr(0, k), testing::Year(2004), &error);
    LogFrame f;
    const bool packet = src->Next(f);
    EXPECT_EQ(packet, k >= complete) << line.substr(0, k);
    // Before the timestamp is complete: malformed; then a syslog line without "IN=": non-packet;
    // with "IN=" but cut before URGP=0: malformed.
    const size_t stamp = std::string_view("Feb  1 00:00:02").size();
    const size_t in_token = line.find(" IN=") + 4;
    const LogCounters& c = src->counters();
    EXPECT_EQ(c.lines, k == 0 ? 0u : 1u);
    if (k > 0 && k < stamp) {
      EXPECT_EQ(c.malformed, 1u) << line.substr(0, k);
    } else if (k >= stamp && k < in_token) {
      EXPECT_EQ(c.non_packet, 1u) << line.substr(0, k);
    } else if (k >= in_token && k < complete) {
      EXPECT_EQ(c.malformed, 1u) << line.substr(0, k);
    }
  }
}

TEST(LogSource, CountersAddUpOnMixedInput) {
  std::string text;
  for (const auto& l : SampleLines()) text += l + "\n";
  text +=
      "Feb 11 11:03:31 bridge kernel: Kernel logging (proc) stopped.\n"
      "\n"
      "random garbage\n"
      "Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0 SRC=1.2.3.4 DST=5.6.7.8 LEN=40 "
      "PROTO=TCP SPT=1 DPT=99999 WINDOW=1 RES=0x00 SYN URGP=0\r\n"
      "Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0 SRC=1.2.3.4 DST=5.6.7.8 LEN=40 "
      "PROTO=TCP SPT=1 DPT=9 WINDOW=1 RES=0x00 SYN URGP=0\r\n"
      "no newline at the end";
  LogSource* src = nullptr;
  const auto frames = testing::FramesOf(text, &src);
  const LogCounters& c = src->counters();
  EXPECT_EQ(c.lines, 13u);
  EXPECT_EQ(c.packet, 8u);
  EXPECT_EQ(frames.size(), 8u);
  EXPECT_EQ(c.non_packet, 2u);  // "Kernel logging", the empty line
  EXPECT_EQ(c.malformed, 3u);
  ExpectCountersAddUp(c);
  ASSERT_EQ(c.first_errors.size(), 3u);
  EXPECT_EQ(c.first_errors[0], "line 10: field timestamp: not a syslog timestamp");
  EXPECT_EQ(c.first_errors[1], "line 11: field DPT: not a port");
  EXPECT_EQ(c.first_errors[2], "line 13: field timestamp: not a syslog timestamp");
  // CRLF stripped: the packet on line 12 parsed (URGP=0 not "0\r").
  EXPECT_EQ(frames.back().line_number, 12u);
  // Same label, same id; distinct labels, distinct ids.
  EXPECT_EQ(frames[0].label_id, frames.back().label_id);
  EXPECT_EQ(frames[0].label, "INBOUND TCP");
  EXPECT_NE(frames[0].label_id, frames[1].label_id);
  EXPECT_EQ(src->label_name(frames[3].label_id), "[UFW BLOCK]");
}

TEST(LogSource, OnlyTenErrorsKeptAllCounted) {
  std::string text;
  for (int i = 0; i < 25; ++i) text += "junk\n";
  LogSource* src = nullptr;
  testing::FramesOf(text, &src);
  EXPECT_EQ(src->counters().malformed, 25u);
  EXPECT_EQ(src->counters().first_errors.size(), LogCounters::kMaxKeptErrors);
}

std::string TcpLine(const std::string& stamp) {
  return stamp +
         " bridge kernel: INBOUND TCP: IN=br0 SRC=1.2.3.4 DST=5.6.7.8 LEN=40 TOS=0x00 PREC=0x00 "
         "TTL=1 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0\n";
}

TEST(LogSource, YearRollOver) {
  const std::string text = TcpLine("Dec 31 23:59:58") + TcpLine("Jan  1 00:00:03") +
                           TcpLine("Mar  4 05:06:07") + TcpLine("Dec 30 00:00:00") +
                           TcpLine("Jan  2 00:00:00");
  LogSource* src = nullptr;
  const auto frames = testing::FramesOf(text, &src, testing::Year(2003));
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].ts_ns, UtcSeconds(2003, 12, 31, 23, 59, 58) * kNs);
  EXPECT_EQ(frames[1].ts_ns, UtcSeconds(2004, 1, 1, 0, 0, 3) * kNs);
  EXPECT_EQ(frames[2].ts_ns, UtcSeconds(2004, 3, 4, 5, 6, 7) * kNs);
  EXPECT_EQ(frames[3].ts_ns, UtcSeconds(2004, 12, 30, 0, 0, 0) * kNs);
  EXPECT_EQ(frames[4].ts_ns, UtcSeconds(2005, 1, 2, 0, 0, 0) * kNs);
  EXPECT_EQ(src->counters().year_rollovers, 2u);
}

TEST(LogSource, OutOfOrderLineKeepsTheYearAndImpossibleDateIsMalformed) {
  const std::string text = TcpLine("Jan  5 10:00:00") + TcpLine("Dec 31 23:59:59") +
                           TcpLine("Jan  5 10:00:01") + TcpLine("Feb 30 00:00:00") +
                           TcpLine("Mar  1 00:00:00");
  LogSource* src = nullptr;
  const auto frames = testing::FramesOf(text, &src, testing::Year(2004));
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[2].ts_ns, UtcSeconds(2004, 1, 5, 10, 0, 1) * kNs);
  EXPECT_EQ(frames[3].ts_ns, UtcSeconds(2004, 3, 1, 0, 0, 0) * kNs);
  EXPECT_EQ(frames[3].line_number, 5u);
  const LogCounters& c = src->counters();
  EXPECT_EQ(c.year_rollovers, 0u);
  EXPECT_EQ(c.malformed, 1u);
  ASSERT_EQ(c.first_errors.size(), 1u);
  EXPECT_EQ(c.first_errors[0], "line 4: field timestamp: no such date");
  ExpectCountersAddUp(c);
}

std::string TempPath(const char* name) {
  return ::testing::TempDir() + "/tapwatch_log_" + std::to_string(getpid()) + "_" + name;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
}

std::vector<LogFrame> ReadAll(const LogSourceOptions& opts, LogCounters* counters = nullptr) {
  std::string error;
  auto src = LogSource::Open(opts, &error);
  EXPECT_NE(src, nullptr) << error;
  std::vector<LogFrame> frames;
  if (!src) return frames;
  LogFrame f;
  while (src->Next(f)) frames.push_back(f);
  EXPECT_EQ(src->read_error(), "");
  if (counters) *counters = src->counters();
  return frames;
}

TEST(LogSource, YearFromFileDate) {
  // A file last written in Jan 2005 holding Dec -> Jan lines: the December is 2004's.
  const std::string path = TempPath("mtime.log");
  WriteFile(path, TcpLine("Dec 31 23:59:58") + TcpLine("Jan  1 00:00:03"));
  struct utimbuf times {};
  times.actime = times.modtime = UtcSeconds(2005, 1, 15, 12, 0, 0);
  ASSERT_EQ(utime(path.c_str(), &times), 0);
  LogSourceOptions opts;
  opts.path = path;
  LogCounters counters;
  const auto frames = ReadAll(opts, &counters);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].ts_ns, UtcSeconds(2004, 12, 31, 23, 59, 58) * kNs);
  EXPECT_EQ(frames[1].ts_ns, UtcSeconds(2005, 1, 1, 0, 0, 3) * kNs);
  // The sensor warns with the year the first line got.
  EXPECT_EQ(counters.guessed_year, 2004);
  // A file of the same year's summer: its February lines are of that year.
  WriteFile(path, TcpLine("Feb  1 00:00:02"));
  times.actime = times.modtime = UtcSeconds(2004, 7, 1, 0, 0, 0);
  ASSERT_EQ(utime(path.c_str(), &times), 0);
  const auto frames2 = ReadAll(opts, &counters);
  ASSERT_EQ(frames2.size(), 1u);
  EXPECT_EQ(frames2[0].ts_ns, UtcSeconds(2004, 2, 1, 0, 0, 2) * kNs);
  EXPECT_EQ(counters.guessed_year, 2004);
  // Nothing guessed: the year given, or timestamps that carry their own.
  opts.year = 2001;
  ReadAll(opts, &counters);
  EXPECT_EQ(counters.guessed_year, 0);
  opts.year = 0;
  WriteFile(path, TcpLine("2011-04-26T18:47:57Z"));
  ReadAll(opts, &counters);
  EXPECT_EQ(counters.guessed_year, 0);
  std::remove(path.c_str());
}

TEST(LogSource, TimeZones) {
  const std::string text = TcpLine("Feb  1 00:00:02") + TcpLine("Jul  1 12:00:00");
  LogSourceOptions opts = testing::Year(2004);
  opts.timezone = "+02:00";
  auto frames = testing::FramesOf(text, nullptr, opts);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].ts_ns, (UtcSeconds(2004, 2, 1, 0, 0, 2) - 7200) * kNs);
  opts.timezone = "-05:30";
  frames = testing::FramesOf(text, nullptr, opts);
  EXPECT_EQ(frames[0].ts_ns, (UtcSeconds(2004, 2, 1, 0, 0, 2) + 5 * 3600 + 1800) * kNs);
  // New York: EST (UTC-5) in February, EDT (UTC-4) in July 2004.
  opts.timezone = "America/New_York";
  frames = testing::FramesOf(text, nullptr, opts);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].ts_ns, (UtcSeconds(2004, 2, 1, 0, 0, 2) + 5 * 3600) * kNs);
  EXPECT_EQ(frames[1].ts_ns, (UtcSeconds(2004, 7, 1, 12, 0, 0) + 4 * 3600) * kNs);
  // The process TZ is left as it was.
  EXPECT_EQ(std::getenv("TZ"), nullptr);
  std::string error;
  opts.timezone = "Mars/Olympus_Mons";
  EXPECT_EQ(LogSource::FromMemory(text, opts, &error), nullptr);
  EXPECT_NE(error.find("timezone"), std::string::npos);
  opts.timezone = "../../etc/passwd";
  EXPECT_EQ(LogSource::FromMemory(text, opts, &error), nullptr);
}

TEST(LogSource, IsoTimestampsCarryYearAndOffset) {
  const std::string text = TcpLine("2011-04-26T18:47:57-06:00") +
                           TcpLine("2011-04-26T18:47:57.250Z");
  const auto frames = testing::FramesOf(text, nullptr, testing::Year(1999));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].ts_ns, (UtcSeconds(2011, 4, 26, 18, 47, 57) + 6 * 3600) * kNs);
  EXPECT_EQ(frames[1].ts_ns, UtcSeconds(2011, 4, 26, 18, 47, 57) * kNs + 250000000ull);
}

void WriteGzip(const std::string& path, const std::vector<std::string>& members) {
  // Each string becomes one gzip member (gzip files may be concatenated, RFC 1952 2.2).
  std::FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  for (const std::string& m : members) {
    const std::string tmp = path + ".member";
    gzFile gz = gzopen(tmp.c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    gzwrite(gz, m.data(), static_cast<unsigned>(m.size()));
    gzclose(gz);
    std::FILE* in = std::fopen(tmp.c_str(), "rb");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) std::fwrite(buf, 1, n, out);
    std::fclose(in);
    std::remove(tmp.c_str());
  }
  std::fclose(out);
}

TEST(LogSource, GzipInputEqualsPlain) {
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    for (const auto& l : SampleLines()) text += l + "\n";
  }
  text += "Aug 10 05:15:48 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6\n"
          "172.30.3.56:4425 1.11.68.22:445 L=40 S=0x00 I=42620 F=0x4000 T=128 (#13)\n";
  const std::string plain = TempPath("plain.log");
  const std::string gz = TempPath("log.gz");
  WriteFile(plain, text);
  const size_t half = text.size() / 2;
  WriteGzip(gz, {text.substr(0, half), text.substr(half)});
  LogSourceOptions opts = testing::Year(2004);
  opts.path = plain;
  LogCounters cp, cg;
  const auto a = ReadAll(opts, &cp);
  opts.path = gz;
  const auto b = ReadAll(opts, &cg);
  EXPECT_EQ(a.size(), 3000u * SampleLines().size() + 1);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].ts_ns, b[i].ts_ns);
    ASSERT_EQ(a[i].wire_len, b[i].wire_len);
    ASSERT_EQ(a[i].cap_len, b[i].cap_len);
    ASSERT_TRUE(std::equal(a[i].bytes.begin(), a[i].bytes.begin() + a[i].cap_len,
                           b[i].bytes.begin()));
    ASSERT_EQ(a[i].line_number, b[i].line_number);
  }
  EXPECT_EQ(cp.lines, cg.lines);
  EXPECT_EQ(cg.continuation, 1u);
  std::remove(plain.c_str());
  std::remove(gz.c_str());
}

// Reads `path` to its end: the frames, and the source (for counters and errors) in *keep.
std::vector<LogFrame> ReadToEnd(const std::string& path, std::unique_ptr<LogSource>* keep) {
  std::string error;
  LogSourceOptions opts = testing::Year(2004);
  opts.path = path;
  *keep = LogSource::Open(opts, &error);
  EXPECT_NE(*keep, nullptr) << error;
  std::vector<LogFrame> frames;
  LogFrame f;
  while (*keep && (*keep)->Next(f)) frames.push_back(f);
  return frames;
}

TEST(LogSource, DamagedGzipEndsWithTheLinesBeforeTheDamageAndSaysSo) {
  std::string text;
  for (int i = 0; i < 4000; ++i) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "Feb  1 %02d:%02d:%02d", i / 3600, i / 60 % 60, i % 60);
    text += TcpLine(stamp);
  }
  const std::string gz = TempPath("damaged.log.gz");
  WriteGzip(gz, {text});
  std::FILE* f = std::fopen(gz.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string packed;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) packed.append(buf, n);
  std::fclose(f);

  // Cut short: the complete lines before the cut, then a one-line problem naming the file.
  WriteFile(gz, packed.substr(0, packed.size() / 2));
  std::unique_ptr<LogSource> src;
  auto frames = ReadToEnd(gz, &src);
  EXPECT_GT(frames.size(), 100u);
  EXPECT_LT(frames.size(), 4000u);
  for (size_t i = 0; i < frames.size(); ++i) ASSERT_EQ(frames[i].line_number, i + 1);
  EXPECT_EQ(src->read_error(), "gzip: truncated input");
  EXPECT_EQ(src->counters().lines, frames.size());  // the line cut in two is not read
  const std::string problem = src->EndProblem(gz);
  EXPECT_EQ(problem, gz + ": damaged input after " + std::to_string(frames.size()) + " lines (" +
                         std::to_string(frames.size()) +
                         " packets, 0 other, 0 malformed): gzip: truncated input");

  // Cut inside the trailer (CRC and length): every line is there, the file is still damaged.
  WriteFile(gz, packed.substr(0, packed.size() - 4));
  frames = ReadToEnd(gz, &src);
  EXPECT_EQ(frames.size(), 4000u);
  EXPECT_NE(src->EndProblem(gz), "");

  // A corrupt byte in the compressed data: zlib's reason, nothing after it.
  std::string corrupt = packed;
  for (size_t i = corrupt.size() / 3; i < corrupt.size() / 3 + 64; ++i) corrupt[i] ^= 0x55;
  WriteFile(gz, corrupt);
  frames = ReadToEnd(gz, &src);
  EXPECT_LT(frames.size(), 4000u);
  EXPECT_EQ(src->read_error().rfind("gzip: ", 0), 0u) << src->read_error();
  EXPECT_NE(src->EndProblem(gz).find(gz + ": damaged input after "), std::string::npos);

  // Two whole members end cleanly at the boundary.
  WriteGzip(gz, {text.substr(0, text.size() / 2), text.substr(text.size() / 2)});
  frames = ReadToEnd(gz, &src);
  EXPECT_EQ(frames.size(), 4000u);
  EXPECT_EQ(src->EndProblem(gz), "");
  std::remove(gz.c_str());
}

TEST(LogSource, InputWithoutAPacketLineIsAProblem) {
  // An Apache access log and a Cisco ASA line: lines, but no packet line.
  const std::string apache =
      "10.0.0.1 - - [10/Oct/2004:13:55:36 -0700] \"GET /default.ida?NNNN HTTP/1.0\" 404 287\n"
      "10.0.0.2 - - [10/Oct/2004:13:55:37 -0700] \"GET /scripts/root.exe HTTP/1.0\" 404 290\n";
  const std::string asa =
      "2011-04-26T18:47:57-06:00 ant-fw : %ASA-6-106100: access-list inside permitted udp "
      "inside/192.168.30.30(56542) -> dmz/10.30.30.20(53) hit-cnt 1 first hit [0xb820d39, 0x0]\n";
  LogSource* src = nullptr;
  EXPECT_TRUE(testing::FramesOf(apache, &src, testing::Year(2004)).empty());
  EXPECT_EQ(src->EndProblem("access_log"),
            "access_log: no packet line in 2 lines (0 packets, 0 other, 2 malformed): not a "
            "netfilter or ipchains firewall log");
  EXPECT_TRUE(testing::FramesOf(asa, &src, testing::Year(2004)).empty());
  EXPECT_EQ(src->EndProblem("asa.log"),
            "asa.log: no packet line in 1 lines (0 packets, 1 other, 0 malformed): not a "
            "netfilter or ipchains firewall log");
  EXPECT_EQ(testing::FramesOf(asa + TcpLine("Feb  1 00:00:02"), &src).size(), 1u);
  EXPECT_EQ(src->EndProblem("mixed.log"), "");
}

TEST(LogSource, StandardInput) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string text = TcpLine("Feb  1 00:00:02") + TcpLine("Feb  1 00:00:03");
  ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  const int saved = dup(0);
  ASSERT_EQ(dup2(fds[0], 0), 0);
  close(fds[0]);
  LogSourceOptions opts = testing::Year(2004);
  opts.path = "-";
  const auto frames = ReadAll(opts);
  dup2(saved, 0);
  close(saved);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].ts_ns, UtcSeconds(2004, 2, 1, 0, 0, 3) * kNs);
}

TEST(LogSource, OverlongLineIsMalformedAndSkipped) {
  std::string text = TcpLine("Feb  1 00:00:01");
  text += std::string(3 << 20, 'x') + "\n";
  text += TcpLine("Feb  1 00:00:02");
  const std::string path = TempPath("long.log");
  WriteFile(path, text);
  LogSourceOptions opts = testing::Year(2004);
  opts.path = path;
  LogCounters c;
  const auto frames = ReadAll(opts, &c);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].line_number, 3u);
  EXPECT_EQ(c.lines, 3u);
  EXPECT_EQ(c.malformed, 1u);
  ExpectCountersAddUp(c);
  std::remove(path.c_str());
}

TEST(LogSource, OpenErrors) {
  std::string error;
  LogSourceOptions opts;
  opts.path = "/nonexistent/file.log";
  EXPECT_EQ(LogSource::Open(opts, &error), nullptr);
  EXPECT_NE(error.find("/nonexistent/file.log"), std::string::npos);
  opts = testing::Year(1969);
  EXPECT_EQ(LogSource::FromMemory("", opts, &error), nullptr);
}

}  // namespace
}  // namespace tapwatch::sensor
