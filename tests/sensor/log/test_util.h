#pragma once
// Helpers shared by the log tests: decoding a frame with libtins (independent of our builder),
// locating $TAPWATCH_SHARED, running shell pipelines.

#include <gtest/gtest.h>
#include <tins/tins.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "sensor/log/source.h"

namespace tapwatch::sensor::testing {

inline std::string SharedDir() {
  const char* env = std::getenv("TAPWATCH_SHARED");
  return env != nullptr ? std::string(env) : std::string(TAPWATCH_SHARED_DEFAULT);
}

inline bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

inline bool FileExists(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::fclose(f);
  return true;
}

// Skips the test (fails under CI=true) when a shared file is absent.
#define TAPWATCH_REQUIRE_SHARED(path)                                               \
  do {                                                                              \
    if (!::tapwatch::sensor::testing::FileExists(path)) {                           \
      if (::tapwatch::sensor::testing::InCi()) FAIL() << "missing " << (path);      \
      GTEST_SKIP() << "shared data not found: " << (path) << " (set TAPWATCH_SHARED)"; \
    }                                                                               \
  } while (0)

// Runs a shell command, returns its standard output.
inline std::string Run(const std::string& cmd) {
  std::string out;
  std::FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

inline std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    lines.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// All frames of an in-memory log.
inline std::vector<LogFrame> FramesOf(const std::string& text, LogSource** keep = nullptr,
                                      LogSourceOptions opts = {}) {
  std::string error;
  static std::unique_ptr<LogSource> last;
  if (opts.year == 0) opts.year = 2004;
  last = LogSource::FromMemory(text, opts, &error);
  EXPECT_NE(last, nullptr) << error;
  std::vector<LogFrame> frames;
  if (!last) return frames;
  LogFrame f;
  while (last->Next(f)) frames.push_back(f);
  if (keep) *keep = last.get();
  return frames;
}

// libtins view of a frame: the bytes as an Ethernet II frame.
inline Tins::EthernetII Decode(const LogFrame& f) {
  return Tins::EthernetII(f.bytes.data(), f.cap_len);
}

}  // namespace tapwatch::sensor::testing

namespace tapwatch::sensor::testing {

// One line in, one frame out (with its views copied while they are valid).
struct OneFrame {
  LogFrame frame;
  std::string label, in, out, logical_in, logical_out;
  LogCounters counters;
};

inline OneFrame ParseOne(const std::string& text, LogSourceOptions opts = {}) {
  OneFrame r;
  std::string error;
  if (opts.year == 0) opts.year = 2004;
  auto src = LogSource::FromMemory(text, opts, &error);
  EXPECT_NE(src, nullptr) << error;
  if (!src) return r;
  bool got = src->Next(r.frame);
  EXPECT_TRUE(got) << "no packet from: " << text;
  if (got) {
    r.label = std::string(r.frame.label);
    r.in = std::string(r.frame.in_iface);
    r.out = std::string(r.frame.out_iface);
    r.logical_in = std::string(r.frame.logical_in_iface);
    r.logical_out = std::string(r.frame.logical_out_iface);
  }
  LogFrame extra;
  EXPECT_FALSE(src->Next(extra)) << "more than one packet from: " << text;
  r.counters = src->counters();
  return r;
}

// RFC 1071 property: the 16-bit ones' complement sum over a header with a correct checksum is
// 0xFFFF.
inline bool HeaderChecksumOk(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t{p[i]} << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return sum == 0xFFFF;
}

// UTC seconds of a civil time, computed by the C library (independent of LogClock).
inline int64_t UtcSeconds(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace tapwatch::sensor::testing

namespace tapwatch::sensor::testing {

inline LogSourceOptions Year(int year) {
  LogSourceOptions o;
  o.year = year;
  return o;
}

// libtins rejects an IPv6 packet whose payload length exceeds the captured bytes (it has no
// snaplen notion for IPv6), so this copy sets the payload length to what was captured; callers
// check the original field (bytes 18-19) by hand.
inline Tins::EthernetII DecodeIpv6Clipped(const LogFrame& f) {
  std::vector<uint8_t> b(f.bytes.begin(), f.bytes.begin() + f.cap_len);
  const size_t payload = b.size() - 14 - 40;
  b[18] = static_cast<uint8_t>(payload >> 8);
  b[19] = static_cast<uint8_t>(payload);
  return Tins::EthernetII(b.data(), static_cast<uint32_t>(b.size()));
}

inline unsigned Ipv6PayloadLengthField(const LogFrame& f) {
  return (unsigned{f.bytes[18]} << 8) | f.bytes[19];
}

}  // namespace tapwatch::sensor::testing
