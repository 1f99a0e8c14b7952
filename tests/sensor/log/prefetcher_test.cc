// LogPrefetcher: the frames and line counters it hands over, chunk after chunk, are exactly those
// of the same LogSource read directly (the sensor's path for standard input); stopping early
// never hangs; interface names stay valid after the source has moved on.

#include "sensor/log/prefetcher.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "sensor/log/source.h"
#include "tests/sensor/log/test_util.h"

namespace tapwatch::sensor {
namespace {

// A frame as plain values (LogFrame's views point into buffers the source reuses).
struct FrameCopy {
  uint64_t ts_ns, line_number, packet, other, malformed;
  uint32_t wire_len;
  std::vector<uint8_t> bytes;
  std::string label, in_iface, out_iface, logical_in, logical_out;
  uint16_t label_id;
  LogFormat format;
  bool operator==(const FrameCopy&) const = default;
};

FrameCopy Copy(const LogFrame& f, uint64_t packet, uint64_t other, uint64_t malformed) {
  const auto data = f.data();
  return {f.ts_ns,
          f.line_number,
          packet,
          other,
          malformed,
          f.wire_len,
          std::vector<uint8_t>(data.begin(), data.end()),
          std::string(f.label),
          std::string(f.in_iface),
          std::string(f.out_iface),
          std::string(f.logical_in_iface),
          std::string(f.logical_out_iface),
          f.label_id,
          f.format};
}

std::unique_ptr<LogSource> FromText(const std::string& text) {
  std::string error;
  LogSourceOptions options;
  options.year = 2004;
  auto source = LogSource::FromMemory(text, options, &error);
  EXPECT_NE(source, nullptr) << error;
  return source;
}

std::unique_ptr<LogSource> FromFile(const std::string& path) {
  std::string error;
  LogSourceOptions options;
  options.path = path;
  options.year = 2004;
  auto source = LogSource::Open(options, &error);
  EXPECT_NE(source, nullptr) << error;
  return source;
}

using SourceFactory = std::function<std::unique_ptr<LogSource>()>;

std::vector<FrameCopy> ReadDirect(const SourceFactory& open, LogCounters* final_counters) {
  auto source = open();
  std::vector<FrameCopy> out;
  LogFrame frame;
  while (source->Next(frame)) {
    const LogCounters& c = source->counters();
    out.push_back(Copy(frame, c.packet, c.non_packet + c.continuation, c.malformed));
  }
  *final_counters = source->counters();
  return out;
}

std::vector<FrameCopy> ReadPrefetched(const SourceFactory& open, LogCounters* final_counters) {
  LogPrefetcher ahead(open());
  std::vector<FrameCopy> out;
  while (const PrefetchedFrame* f = ahead.Next()) {
    out.push_back(Copy(f->frame, f->packet_lines, f->other_lines, f->malformed_lines));
  }
  EXPECT_EQ(ahead.Next(), nullptr) << "the end stays the end";
  *final_counters = ahead.source().counters();
  return out;
}

void ExpectSameAsDirect(const SourceFactory& open, size_t min_frames) {
  LogCounters direct_counters, ahead_counters;
  const std::vector<FrameCopy> direct = ReadDirect(open, &direct_counters);
  const std::vector<FrameCopy> ahead = ReadPrefetched(open, &ahead_counters);
  ASSERT_GE(direct.size(), min_frames);
  ASSERT_EQ(ahead.size(), direct.size());
  for (size_t i = 0; i < direct.size(); ++i) {
    ASSERT_TRUE(ahead[i] == direct[i])
        << "frame " << i << " (line " << direct[i].line_number << ") differs";
  }
  EXPECT_EQ(ahead_counters.lines, direct_counters.lines);
  EXPECT_EQ(ahead_counters.packet, direct_counters.packet);
  EXPECT_EQ(ahead_counters.non_packet, direct_counters.non_packet);
  EXPECT_EQ(ahead_counters.malformed, direct_counters.malformed);
  EXPECT_EQ(ahead_counters.continuation, direct_counters.continuation);
  EXPECT_EQ(ahead_counters.first_errors, direct_counters.first_errors);
}

// Packet lines of every format, with non-packet, malformed and wrapped lines between them, and
// interface names that change from line to line.
std::string MixedLog(int repeats) {
  std::string text;
  for (int i = 0; i < repeats; ++i) {
    const std::string physin = "eth" + std::to_string(i % 7);
    text += "Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0 PHYSIN=" + physin +
            " OUT=br0 PHYSOUT=eth1 SRC=192.150.249.87 DST=11.11.11.84 LEN=40 TOS=0x00 "
            "PREC=0x00 TTL=110 ID=12973 PROTO=TCP SPT=220 DPT=6129 WINDOW=16384 RES=0x00 SYN "
            "URGP=0\n";
    if (i % 5 == 0)
      text += "Feb  1 00:00:03 bridge kernel: br0: port 1(eth0) entering forwarding state\n";
    if (i % 11 == 0) text += "Feb  1 00:00:03 bridge kernel: INBOUND TCP: IN=br0 SRC=300.1.1.1\n";
    if (i % 13 == 0) text += "garbage \x01\x02 line\n";
    text +=
        "May 29 06:53:55 vultr kernel: [547219.375133] [UFW BLOCK] IN=ens3 OUT= "
        "MAC=56:00:03:85:82:df:fe:00:03:85:82:df:08:00 SRC=192.241.219.198 "
        "DST=158.247.223.84 LEN=40 TOS=0x00 PREC=0x00 TTL=241 ID=54321 PROTO=TCP SPT=60834 "
        "DPT=5985 WINDOW=65535 RES=0x00 SYN URGP=0\n";
    // The 1.11.0.0/16 leak's ipchains line, wrapped over two lines.
    text +=
        "Aug 10 05:15:48 peter-172 kernel: Packet log: input REJECT eth0 PROTO=6\n"
        "172.30.3.56:4425 1.11.68.22:445 L=40 S=0x00 I=42620 F=0x4000 T=128 (#13)\n";
  }
  return text;
}

TEST(LogPrefetcher, SameFramesAndCountersAsTheSourceReadDirectly) {
  // 3 packet frames per repeat: 4000 repeats fill the 8-chunk ring several times over.
  const int repeats = 4000;
  static_assert(LogPrefetcher::kChunks * LogPrefetcher::kChunkFrames < 3 * 4000);
  const std::string text = MixedLog(repeats);
  ExpectSameAsDirect([&] { return FromText(text); }, 3 * repeats);
}

TEST(LogPrefetcher, ChunkBoundariesAndSmallInputs) {
  // Inputs whose frame count falls on, just before and just after chunk and ring boundaries.
  constexpr size_t kChunk = LogPrefetcher::kChunkFrames;
  const std::string line =
      "Feb  1 00:00:02 bridge kernel: INBOUND ICMP: IN=br0 PHYSIN=eth0 OUT=br0 PHYSOUT=eth1 "
      "SRC=190.0.0.39 DST=11.11.11.105 LEN=92 TOS=0x00 PREC=0x00 TTL=107 ID=12037 PROTO=ICMP "
      "TYPE=8 CODE=0 ID=512 SEQ=733\n";
  for (size_t n : {size_t{0}, size_t{1}, kChunk - 1, kChunk, kChunk + 1,
                   LogPrefetcher::kChunks * kChunk, LogPrefetcher::kChunks * kChunk + 1}) {
    std::string text;
    for (size_t i = 0; i < n; ++i) text += line;
    text += "Feb  1 00:00:09 bridge kernel: Kernel logging (proc) stopped.\n";
    SCOPED_TRACE("frames: " + std::to_string(n));
    ExpectSameAsDirect([&] { return FromText(text); }, n);
  }
}

TEST(LogPrefetcher, RealLogsGiveTheSameFrames) {
  // The Cisco ASA log has no line we parse as a packet: all of it goes through the counters.
  const std::vector<std::pair<const char*, size_t>> logs = {
      {"Tetoronie-Scripting-and-Automation__iptables.log", 400},
      {"teliten-log.plemma__ufw.log", 100},
      {"munetworkforensics-Ch8-EventLogs__firewall.log", 0}};
  for (const auto& [name, min_frames] : logs) {
    const std::string path = testing::SharedDir() + "/logs/" + name;
    TAPWATCH_REQUIRE_SHARED(path);
    SCOPED_TRACE(name);
    ExpectSameAsDirect([&] { return FromFile(path); }, min_frames);
  }
}

TEST(LogPrefetcher, StoppingEarlyNeverHangs) {
  const std::string text = MixedLog(3000);
  {
    LogPrefetcher untouched(FromText(text));  // destroyed while the producer fills the ring
  }
  {
    LogPrefetcher ahead(FromText(text));
    for (int i = 0; i < 10; ++i) ASSERT_NE(ahead.Next(), nullptr);
  }  // destroyed with the producer waiting for room
}

TEST(LogPrefetcher, InterfaceNamesPastTheCapArriveEmpty) {
  // Every line names a new interface: the first kMaxInterfaceNames keep their names.
  const size_t n = LogPrefetcher::kMaxInterfaceNames + 50;
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text += "Feb  1 00:00:02 fw kernel: IN TCP: IN=if" + std::to_string(i) +
            " OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=TCP "
            "SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0\n";
  }
  LogPrefetcher ahead(FromText(text));
  size_t i = 0;
  while (const PrefetchedFrame* f = ahead.Next()) {
    const std::string expected =
        i < LogPrefetcher::kMaxInterfaceNames ? "if" + std::to_string(i) : "";
    ASSERT_EQ(f->frame.in_iface, expected) << "frame " << i;
    ASSERT_EQ(f->frame.logical_in_iface, expected) << "frame " << i;
    ++i;
  }
  EXPECT_EQ(i, n);
}

}  // namespace
}  // namespace tapwatch::sensor
