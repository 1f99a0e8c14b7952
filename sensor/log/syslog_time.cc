#include "sensor/log/syslog_time.h"

#include <sys/stat.h>

#include <cstdlib>
#include <ctime>

#include "sensor/log/text.h"

namespace tapwatch::sensor {
namespace {

int MonthFromAbbrev(std::string_view m) {
  static constexpr std::string_view kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (m == kMonths[i]) return i + 1;
  }
  return 0;
}

bool Digits(std::string_view s, size_t at, size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "hh:mm:ss" at `at`.
bool ParseClock(std::string_view s, size_t at, SyslogTime& t) {
  return Digits(s, at, 2, &t.hour) && at + 2 < s.size() && s[at + 2] == ':' &&
         Digits(s, at + 3, 2, &t.minute) && at + 5 < s.size() && s[at + 5] == ':' &&
         Digits(s, at + 6, 2, &t.second) && t.hour < 24 && t.minute < 60 && t.second <= 60;
}

// ".ffffff" at `at`; returns the bytes consumed.
size_t ParseFraction(std::string_view s, size_t at, uint32_t* nanos) {
  if (at >= s.size() || s[at] != '.') return 0;
  size_t i = at + 1;
  uint32_t v = 0;
  int n = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (n < 9) {
      v = v * 10 + static_cast<uint32_t>(s[i] - '0');
      ++n;
    }
    ++i;
  }
  if (i == at + 1) return 0;
  for (; n < 9; ++n) v *= 10;
  *nanos = v;
  return i - at;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseUtcOffset(std::string_view s, int32_t* offset_s) {
  if (s == "Z" || s == "UTC" || s == "GMT" || s == "utc") {
    *offset_s = 0;
    return true;
  }
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return false;
  int h = 0;
  int m = 0;
  if (!Digits(s, 1, 2, &h)) return false;
  if (s.size() == 6 && s[3] == ':') {
    if (!Digits(s, 4, 2, &m)) return false;
  } else if (s.size() == 5) {
    if (!Digits(s, 3, 2, &m)) return false;
  } else if (s.size() != 3) {
    return false;
  }
  if (h > 23 || m > 59) return false;
  *offset_s = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

size_t ParseSyslogTimestamp(std::string_view s, SyslogTime& t) {
  if (s.size() < 14) return 0;
  if (s[0] >= '0' && s[0] <= '9') {
    if (s.size() < 19) return 0;
    // ISO 8601: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM)
    if (!Digits(s, 0, 4, &t.year) || s[4] != '-' || !Digits(s, 5, 2, &t.month) || s[7] != '-' ||
        !Digits(s, 8, 2, &t.day) || (s[10] != 'T' && s[10] != ' ') || !ParseClock(s, 11, t)) {
      return 0;
    }
    if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31) return 0;
    size_t at = 19;
    at += ParseFraction(s, at, &t.nanos);
    t.has_year = true;
    size_t end = at;
    while (end < s.size() && s[end] != ' ') ++end;
    if (end > at) {
      if (!ParseUtcOffset(s.substr(at, end - at), &t.offset_s)) return 0;
      t.has_offset = true;
    }
    return end < s.size() ? end + 1 : end;
  }
  // BSD: "Mmm dd hh:mm:ss" with the day space-padded ("Feb  1") or zero-padded.
  t.month = MonthFromAbbrev(s.substr(0, 3));
  if (t.month == 0 || s[3] != ' ') return 0;
  size_t at = 4;
  if (s[at] == ' ') ++at;
  int day = 0;
  size_t digits = 0;
  while (at < s.size() && s[at] >= '0' && s[at] <= '9' && digits < 2) {
    day = day * 10 + (s[at] - '0');
    ++at;
    ++digits;
  }
  if (digits == 0 || day < 1 || day > 31 || at >= s.size() || s[at] != ' ') return 0;
  t.day = day;
  ++at;
  if (!ParseClock(s, at, t)) return 0;
  at += 8;
  at += ParseFraction(s, at, &t.nanos);
  if (at < s.size()) {
    if (s[at] != ' ') return 0;
    ++at;
  }
  return at;
}

bool LogClock::Init(int year, std::string_view timezone, std::string* error) {
  if (year < 1970 || year > 9999) {
    if (error) *error = "year must be between 1970 and 9999";
    return false;
  }
  year_ = year;
  iana_ = false;
  fixed_offset_s_ = 0;
  if (timezone.empty() || ParseUtcOffset(timezone, &fixed_offset_s_)) return true;
  // An IANA zone name: must exist in the zoneinfo database (no path tricks).
  if (timezone.find("..") != std::string_view::npos || timezone.front() == '/') {
    if (error) *error = "bad timezone name";
    return false;
  }
  const std::string path = "/usr/share/zoneinfo/" + std::string(timezone);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (error) *error = "unknown timezone '" + std::string(timezone) + "' (IANA name or +HH:MM)";
    return false;
  }
  iana_ = true;
  tz_name_ = std::string(timezone);
  cached_hour_ = INT64_MIN;
  return true;
}

int32_t LogClock::OffsetForLocal(int64_t local_s) {
  if (!iana_) return fixed_offset_s_;
  const int64_t hour = local_s >= 0 ? local_s / 3600 : (local_s - 3599) / 3600;
  if (hour == cached_hour_) return cached_offset_s_;
  // localtime_r follows $TZ: switch it to the requested zone for this lookup, then restore it.
  // Runs once per log hour, so the cost (and the process-wide TZ write) is rare.
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", tz_name_.c_str(), 1);
  tzset();
  auto offset_at = [](int64_t utc) {
    std::tm tm{};
    const time_t tt = static_cast<time_t>(utc);
    localtime_r(&tt, &tm);
    return static_cast<int32_t>(tm.tm_gmtoff);
  };
  // Find utc with utc + offset(utc) == local: two fixed-point steps settle except in DST gaps.
  int32_t off = offset_at(local_s);
  off = offset_at(local_s - off);
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  cached_hour_ = hour;
  cached_offset_s_ = off;
  return off;
}

bool IsCalendarDate(int64_t y, int m, int d) {
  static constexpr int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m != 2 || d <= 28 || leap;
}

bool LogClock::ToUtcNs(const SyslogTime& t, uint64_t* ns) {
  int year = t.year;
  // What this line does to the year tracking, applied only if its date exists.
  int next_year = year_;
  int next_last = t.month;
  int next_jump = 0;
  bool rolled = false;
  if (!t.has_year) {
    // RFC 3164 has no year: it is tracked from month to month. A step back of 6+ months (Dec ->
    // Jan) starts a new year. A step forward of 6+ months is kept apart until the next line:
    // when that line steps back to where the lines before the jump were, the jump was one
    // out-of-order line (a late "Dec 31" among January lines) and moves nothing for the rest;
    // any other next line confirms the jump.
    if (last_month_ == 0 && infer_month_ != 0 && t.month > infer_month_) --next_year;
    year = next_year;
    if (jump_month_ != 0 && t.month + 6 <= jump_month_ && t.month >= last_month_) {
      next_last = t.month;  // the jump was one line out of order
    } else if (last_month_ != 0 && t.month + 6 <= (jump_month_ ? jump_month_ : last_month_)) {
      ++next_year;
      year = next_year;
      rolled = true;
    } else if (jump_month_ == 0 && last_month_ != 0 && t.month >= last_month_ + 6) {
      if (rollovers_ != 0 && last_month_ == rolled_into_month_ && t.month >= rolled_from_month_) {
        --year;  // a late line of the year that just ended
      } else {
        next_jump = t.month;
      }
      next_last = last_month_;
    }
  }
  // Checked before any state moves: an impossible date is a malformed line, not a later day.
  if (!IsCalendarDate(year, t.month, t.day)) return false;
  if (rolled) {
    ++rollovers_;
    rolled_from_month_ = jump_month_ ? jump_month_ : last_month_;
    rolled_into_month_ = t.month;
  }
  // The year the first yearless line got from the file's date, for the "year guessed" warning.
  if (!t.has_year && guessed_year_ == 0 && infer_month_ != 0) guessed_year_ = year;
  year_ = t.has_year ? t.year : next_year;
  last_month_ = next_last;
  jump_month_ = next_jump;
  const int64_t key = (int64_t{year} * 13 + t.month) * 32 + t.day;
  if (key != cached_day_key_) {
    cached_day_key_ = key;
    cached_days_ = DaysFromCivil(year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day));
  }
  const int64_t local_s = cached_days_ * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
  const int64_t utc_s = local_s - (t.has_offset ? t.offset_s : OffsetForLocal(local_s));
  *ns = utc_s < 0 ? 0 : static_cast<uint64_t>(utc_s) * 1000000000ull + t.nanos;
  return true;
}

}  // namespace tapwatch::sensor
