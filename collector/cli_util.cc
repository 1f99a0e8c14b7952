#include "collector/cli_util.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace tapwatch::collector {

std::string_view ArgScanner::Next() {
  std::string_view arg = argv_[i_++];
  has_inline_value_ = false;
  const size_t eq = arg.find('=');
  if (arg.starts_with("--") && eq != std::string_view::npos) {
    inline_value_ = std::string(arg.substr(eq + 1));
    has_inline_value_ = true;
    arg = arg.substr(0, eq);
  }
  current_ = arg;
  return arg;
}

std::string ArgScanner::Value() {
  if (has_inline_value_) {
    has_inline_value_ = false;
    return inline_value_;
  }
  if (i_ >= argc_) throw UsageError(std::string(current_) + ": missing value");
  return argv_[i_++];
}

uint64_t ParseUint(std::string_view option, std::string_view text, uint64_t max) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max) {
    throw UsageError(std::string(option) + ": expected an integer from 0 to " +
                     std::to_string(max) + ", got '" + std::string(text) + "'");
  }
  return value;
}

namespace {

// Parses "digits[.digits]" into whole seconds and nanoseconds; false on anything else.
bool ParseDecimalSeconds(std::string_view text, uint64_t& seconds, uint64_t& nanos) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  if (whole.empty()) return false;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (ec != std::errc() || end != whole.data() + whole.size()) return false;
  nanos = 0;
  if (dot == std::string_view::npos) return true;
  const std::string_view frac = text.substr(dot + 1);
  if (frac.empty() || frac.size() > 9) return false;
  uint64_t scale = 100000000;
  for (const char c : frac) {
    if (c < '0' || c > '9') return false;
    nanos += static_cast<uint64_t>(c - '0') * scale;
    scale /= 10;
  }
  return true;
}

bool ParseIso(std::string_view text, uint64_t& ns) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int n = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &n) != 3 || n != 10) {
    return false;
  }
  std::string_view rest = text.substr(10);
  uint64_t seconds = 0;
  uint64_t nanos = 0;
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != ' ') return false;
    rest.remove_prefix(1);
    if (rest.ends_with('Z')) rest.remove_suffix(1);
    const std::string r(rest);
    int m = 0;
    if (std::sscanf(r.c_str(), "%2d:%2d%n", &hour, &minute, &m) != 2 || m != 5) return false;
    rest.remove_prefix(5);
    if (!rest.empty()) {
      if (rest[0] != ':' || !ParseDecimalSeconds(rest.substr(1), seconds, nanos)) return false;
      if (seconds > 60) return false;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || year < 1970) {
    return false;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  const time_t t = timegm(&tm);
  if (t < 0) return false;
  ns = (static_cast<uint64_t>(t) + seconds) * 1000000000ull + nanos;
  return true;
}

}  // namespace

double ParseSeconds(std::string_view option, std::string_view text) {
  uint64_t seconds = 0;
  uint64_t nanos = 0;
  if (!ParseDecimalSeconds(text, seconds, nanos) || seconds > 1000000000ull) {
    throw UsageError(std::string(option) + ": expected seconds (e.g. 5 or 0.5), got '" +
                     std::string(text) + "'");
  }
  return static_cast<double>(seconds) + static_cast<double>(nanos) / 1e9;
}

uint64_t ParseTimeNs(std::string_view option, std::string_view text) {
  uint64_t seconds = 0;
  uint64_t nanos = 0;
  uint64_t ns = 0;
  if (text.find('-') == std::string_view::npos && ParseDecimalSeconds(text, seconds, nanos)) {
    if (seconds < 10000000000ull) return seconds * 1000000000ull + nanos;
    // A whole number this large is already nanoseconds (the stored start_ns values).
    if (nanos == 0 && text.find('.') == std::string_view::npos && seconds > 1000000000000ull) {
      return seconds;
    }
  }
  if (ParseIso(text, ns)) return ns;
  throw UsageError(std::string(option) +
                   ": expected epoch seconds, epoch ns or YYYY-MM-DD[THH:MM[:SS[.frac]]][Z] "
                   "(UTC), got '" + std::string(text) + "'");
}

std::string FormatTimeNs(int64_t ns) {
  const int64_t secs = ns >= 0 ? ns / 1000000000LL : (ns - 999999999LL) / 1000000000LL;
  const int64_t frac = ns - secs * 1000000000LL;
  const auto t = static_cast<time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (frac != 0) {
    n += static_cast<size_t>(
        std::snprintf(buf + n, sizeof buf - n, ".%09lld", static_cast<long long>(frac)));
    while (buf[n - 1] == '0') --n;
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

}  // namespace tapwatch::collector
