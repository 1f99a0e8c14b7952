#pragma once
// Syslog timestamps. BSD syslog (RFC 3164) writes "Feb  1 00:00:02" with no year and no zone;
// rsyslog's high-precision format (RFC 5424 style) writes "2011-04-26T18:47:57.123-06:00".
// LogClock turns either into UTC nanoseconds: the year comes from --year or the file's mtime,
// advanced on roll-over (a month step backwards by 6 or more, e.g. Dec -> Jan, starts a new year;
// one line out of order, e.g. a late "Dec 31" among January lines, changes nothing for the lines
// after it);
// the zone is --timezone (IANA name via TZ + localtime_r, "+HH:MM"/"-HH:MM", or UTC by default).

#include <cstdint>
#include <string>
#include <string_view>

namespace tapwatch::sensor {

/// The civil time a line carries. has_year/has_offset are true only for ISO timestamps.
struct SyslogTime {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;  // 0..60
  uint32_t nanos = 0;
  bool has_year = false;
  bool has_offset = false;
  int32_t offset_s = 0;  // local - UTC
};

/// Parses a timestamp at the start of `line` and the single space after it. Returns the number of
/// bytes consumed, 0 if the line does not start with a timestamp.
size_t ParseSyslogTimestamp(std::string_view line, SyslogTime& t);

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

class LogClock {
 public:
  /// `year`: the year of the first BSD timestamp (>= 1970). `timezone`: "" or "UTC" for UTC,
  /// "+HH:MM"/"-HH:MM", or an IANA name found under /usr/share/zoneinfo. False + error otherwise.
  bool Init(int year, std::string_view timezone, std::string* error);

  /// UTC nanoseconds of `t` into *ns (0 for times before 1970). Tracks the year across lines.
  /// False, changing nothing, for a date that does not exist (Feb 30, Feb 29 of a common year).
  bool ToUtcNs(const SyslogTime& t, uint64_t* ns);

  /// Year inferred from a file date (mtime): the last line is assumed to be of `year`/`month`, so
  /// a first line with a later month belongs to the year before.
  void InferFromFileDate(int year, int month) {
    year_ = year;
    infer_month_ = month;
  }

  int year() const { return year_; }
  uint64_t rollovers() const { return rollovers_; }
  /// The year given to the first timestamp without one when it came from InferFromFileDate;
  /// 0 when the year was given or no timestamp lacked one yet.
  int guessed_year() const { return guessed_year_; }

 private:
  int32_t OffsetForLocal(int64_t local_s);

  int year_ = 1970;
  int last_month_ = 0;          // month of the last line in order
  int jump_month_ = 0;          // a line 6+ months after last_month_, until the next line
  int rolled_from_month_ = 0;   // the last roll-over: from this month ...
  int rolled_into_month_ = 0;   // ... into this one
  int infer_month_ = 0;
  int guessed_year_ = 0;
  uint64_t rollovers_ = 0;
  bool iana_ = false;
  int32_t fixed_offset_s_ = 0;
  std::string tz_name_;
  // Zone offsets change only at transitions, which fall on whole hours in practice: cache per hour.
  int64_t cached_hour_ = INT64_MIN;
  int32_t cached_offset_s_ = 0;
  // days_from_civil per (year, month, day): lines arrive in date order.
  int64_t cached_day_key_ = -1;
  int64_t cached_days_ = 0;
};

/// True if day `d` exists in month `m` (1..12) of year `y` (proleptic Gregorian).
bool IsCalendarDate(int64_t y, int m, int d);

/// Parses "+HH:MM", "-HHMM", "+HH", "Z", "UTC" into seconds east of UTC; false otherwise.
bool ParseUtcOffset(std::string_view s, int32_t* offset_s);

}  // namespace tapwatch::sensor
