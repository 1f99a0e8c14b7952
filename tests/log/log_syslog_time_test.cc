// Syslog timestamps and the LogClock, against timegm (the C library) and hand-computed offsets.

#include <gtest/gtest.h>

#include <string>

#include "sensor/log_line_parser.h"
#include "sensor/log_syslog_time.h"
#include "tests/log/log_test_util.h"

namespace tapwatch::sensor {
namespace {

using testing::UtcSeconds;

TEST(LogSyslogTime, DaysFromCivilAgreesWithTimegm) {
  for (int y : {1970, 1999, 2000, 2004, 2100, 2400}) {
    for (int m = 1; m <= 12; ++m) {
      for (int d : {1, 15, 28}) {
        EXPECT_EQ(DaysFromCivil(y, m, d) * 86400, UtcSeconds(y, m, d, 0, 0, 0)) << y << m << d;
      }
    }
  }
}

TEST(LogSyslogTime, BsdAndIsoForms) {
  SyslogTime t;
  EXPECT_EQ(ParseSyslogTimestamp("Feb  1 00:00:02 bridge", t), 16u);
  EXPECT_EQ(t.month, 2);
  EXPECT_EQ(t.day, 1);
  EXPECT_EQ(t.second, 2);
  EXPECT_FALSE(t.has_year);
  t = {};
  EXPECT_EQ(ParseSyslogTimestamp("Dec 31 23:59:60 h", t), 16u);
  t = {};
  EXPECT_EQ(ParseSyslogTimestamp("Sep 8 18:03:14 h", t), 15u);
  t = {};
  EXPECT_EQ(ParseSyslogTimestamp("2011-04-26T18:47:57-06:00 ant-fw", t), 26u);
  EXPECT_TRUE(t.has_year);
  EXPECT_EQ(t.offset_s, -6 * 3600);
  for (const char* bad : {"Feb 32 00:00:02 x", "Foo  1 00:00:02 x", "Feb  1 24:00:00 x",
                          "Feb  1 00:60:00 x", "Feb  1 00:00:02x", "2011-13-26T18:47:57Z x",
                          "2011-04-26T18:47:57+25:00 x", "Feb  1", ""}) {
    t = {};
    EXPECT_EQ(ParseSyslogTimestamp(bad, t), 0u) << bad;
  }
}

TEST(LogSyslogTime, HeaderSplitting) {
  SyslogTime t;
  std::string_view msg;
  ASSERT_TRUE(SplitSyslogLine("May 29 06:53:55 vultr kernel: [547219.375133] [UFW BLOCK] IN=x",
                              t, &msg));
  EXPECT_EQ(msg, "[UFW BLOCK] IN=x");
  ASSERT_TRUE(SplitSyslogLine("Feb  1 00:00:02 bridge kernel: INBOUND TCP: IN=br0", t, &msg));
  EXPECT_EQ(msg, "INBOUND TCP: IN=br0");
  // ulogd (no tag) and a tagged daemon.
  ASSERT_TRUE(SplitSyslogLine("Feb  1 00:00:02 gw DROP: IN=eth0", t, &msg));
  EXPECT_EQ(msg, "DROP: IN=eth0");
  ASSERT_TRUE(SplitSyslogLine("Feb  1 00:00:02 gw ulogd[812]: DROP IN=eth0", t, &msg));
  EXPECT_EQ(msg, "DROP IN=eth0");
  ASSERT_TRUE(SplitSyslogLine("Feb  1 00:00:02 gw kernel: [    5.100000] X IN=eth0", t, &msg));
  EXPECT_EQ(msg, "X IN=eth0");
}

TEST(LogSyslogTime, ClockRollsOverAndAppliesOffsets) {
  LogClock clock;
  std::string error;
  ASSERT_TRUE(clock.Init(2004, "-07:00", &error)) << error;
  SyslogTime t;
  ParseSyslogTimestamp("Dec 31 23:00:00 x", t);
  EXPECT_EQ(clock.ToUtcNs(t), (UtcSeconds(2004, 12, 31, 23, 0, 0) + 7 * 3600) * 1000000000ull);
  ParseSyslogTimestamp("Jan  1 01:00:00 x", t);
  EXPECT_EQ(clock.ToUtcNs(t), (UtcSeconds(2005, 1, 1, 1, 0, 0) + 7 * 3600) * 1000000000ull);
  EXPECT_EQ(clock.rollovers(), 1u);
  // Small steps back (clock adjustments, out-of-order lines) do not roll the year.
  ParseSyslogTimestamp("Jan  1 00:59:00 x", t);
  ParseSyslogTimestamp("Jan  1 00:59:00 x", t);
  clock.ToUtcNs(t);
  EXPECT_EQ(clock.year(), 2005);
  EXPECT_FALSE(clock.Init(2004, "+24:00", &error));
  EXPECT_FALSE(clock.Init(2004, "Not/AZone", &error));
  EXPECT_TRUE(clock.Init(2004, "Europe/Berlin", &error));
  ParseSyslogTimestamp("Jul  1 12:00:00 x", t);
  EXPECT_EQ(clock.ToUtcNs(t), (UtcSeconds(2004, 7, 1, 12, 0, 0) - 2 * 3600) * 1000000000ull);
}

}  // namespace
}  // namespace tapwatch::sensor
