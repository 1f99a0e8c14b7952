// Syslog timestamps and the LogClock, against timegm (the C library) and hand-computed offsets.

#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "sensor/log/line_parser.h"
#include "sensor/log/syslog_time.h"
#include "tests/sensor/log/test_util.h"

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

// The clock's UTC seconds for a line's timestamp; -1 when the clock refuses the date.
int64_t ClockSeconds(LogClock& clock, const char* line) {
  SyslogTime t;
  EXPECT_NE(ParseSyslogTimestamp(line, t), 0u) << line;
  uint64_t ns = 0;
  if (!clock.ToUtcNs(t, &ns)) return -1;
  return static_cast<int64_t>(ns / 1000000000ull);
}

TEST(LogSyslogTime, ClockRollsOverAndAppliesOffsets) {
  LogClock clock;
  std::string error;
  ASSERT_TRUE(clock.Init(2004, "-07:00", &error)) << error;
  EXPECT_EQ(ClockSeconds(clock, "Dec 31 23:00:00 x"), UtcSeconds(2004, 12, 31, 23, 0, 0) + 7 * 3600);
  EXPECT_EQ(ClockSeconds(clock, "Jan  1 01:00:00 x"), UtcSeconds(2005, 1, 1, 1, 0, 0) + 7 * 3600);
  EXPECT_EQ(clock.rollovers(), 1u);
  // Small steps back (clock adjustments, out-of-order lines) do not roll the year.
  ClockSeconds(clock, "Jan  1 00:59:00 x");
  EXPECT_EQ(clock.year(), 2005);
  EXPECT_FALSE(clock.Init(2004, "+24:00", &error));
  EXPECT_FALSE(clock.Init(2004, "Not/AZone", &error));
  EXPECT_TRUE(clock.Init(2004, "Europe/Berlin", &error));
  EXPECT_EQ(ClockSeconds(clock, "Jul  1 12:00:00 x"), UtcSeconds(2004, 7, 1, 12, 0, 0) - 2 * 3600);
}

TEST(LogSyslogTime, OneOutOfOrderLineDoesNotMoveTheYear) {
  LogClock clock;
  std::string error;
  ASSERT_TRUE(clock.Init(2004, "", &error)) << error;
  EXPECT_EQ(ClockSeconds(clock, "Jan  5 10:00:00 x"), UtcSeconds(2004, 1, 5, 10, 0, 0));
  ClockSeconds(clock, "Dec 31 23:59:59 x");  // which year it is cannot be told from here
  EXPECT_EQ(ClockSeconds(clock, "Jan  5 10:00:01 x"), UtcSeconds(2004, 1, 5, 10, 0, 1));
  EXPECT_EQ(ClockSeconds(clock, "Feb  1 00:00:00 x"), UtcSeconds(2004, 2, 1, 0, 0, 0));
  EXPECT_EQ(clock.rollovers(), 0u);
  EXPECT_EQ(clock.year(), 2004);
  // Right after a real roll-over, a late December line is of the year that just ended.
  ASSERT_TRUE(clock.Init(2004, "", &error)) << error;
  EXPECT_EQ(ClockSeconds(clock, "Dec 31 23:59:58 x"), UtcSeconds(2004, 12, 31, 23, 59, 58));
  EXPECT_EQ(ClockSeconds(clock, "Jan  1 00:00:01 x"), UtcSeconds(2005, 1, 1, 0, 0, 1));
  EXPECT_EQ(ClockSeconds(clock, "Dec 31 23:59:59 x"), UtcSeconds(2004, 12, 31, 23, 59, 59));
  EXPECT_EQ(ClockSeconds(clock, "Jan  1 00:00:02 x"), UtcSeconds(2005, 1, 1, 0, 0, 2));
  EXPECT_EQ(clock.rollovers(), 1u);
}

TEST(LogSyslogTime, ImpossibleDatesAreRefused) {
  LogClock clock;
  std::string error;
  ASSERT_TRUE(clock.Init(2003, "", &error)) << error;
  EXPECT_EQ(ClockSeconds(clock, "Feb 28 12:00:00 x"), UtcSeconds(2003, 2, 28, 12, 0, 0));
  for (const char* bad : {"Feb 30 12:00:00 x", "Feb 29 12:00:00 x", "Apr 31 00:00:00 x",
                          "Jun 31 00:00:00 x", "Sep 31 00:00:00 x", "Nov 31 00:00:00 x",
                          "2003-02-29T00:00:00Z x", "2004-02-30T00:00:00Z x"}) {
    EXPECT_EQ(ClockSeconds(clock, bad), -1) << bad;
  }
  // A refused line moves nothing: the next line is still of 2003.
  EXPECT_EQ(ClockSeconds(clock, "Mar  1 00:00:00 x"), UtcSeconds(2003, 3, 1, 0, 0, 0));
  EXPECT_EQ(ClockSeconds(clock, "2004-02-29T00:00:00Z x"), UtcSeconds(2004, 2, 29, 0, 0, 0));
  EXPECT_EQ(ClockSeconds(clock, "Feb 29 01:00:00 x"), UtcSeconds(2004, 2, 29, 1, 0, 0));
  EXPECT_EQ(clock.rollovers(), 0u);
  // Every day of every month of a leap and a common year against timegm's normalisation.
  for (int y : {2003, 2004}) {
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= 31; ++d) {
        std::tm tm{};
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_hour = 12;
        const time_t when = timegm(&tm);
        std::tm back{};
        gmtime_r(&when, &back);
        EXPECT_EQ(IsCalendarDate(y, m, d), back.tm_mday == d) << y << "-" << m << "-" << d;
      }
    }
  }
}

}  // namespace
}  // namespace tapwatch::sensor
