#include "sensor/log/line_parser.h"

#include "sensor/log/ipchains_parser.h"
#include "sensor/log/netfilter_parser.h"

namespace tapwatch::sensor {
namespace {

// "kernel:" or "prog[123]:" (RFC 3164 TAG). A bare "word:" is not taken: it may be the log
// prefix of a ulogd line, which has no tag.
bool IsSyslogTag(std::string_view tok) {
  if (tok == "kernel:") return true;
  if (tok.size() < 5 || !tok.ends_with("]:")) return false;
  const size_t open = tok.find('[');
  if (open == std::string_view::npos || open == 0) return false;
  for (size_t i = open + 1; i + 2 < tok.size(); ++i) {
    if (tok[i] < '0' || tok[i] > '9') return false;
  }
  return open + 3 <= tok.size() - 1;
}

}  // namespace

bool SplitSyslogLine(std::string_view line, SyslogTime& time, std::string_view* message) {
  const size_t ts_len = ParseSyslogTimestamp(line, time);
  if (ts_len == 0) return false;
  std::string_view rest = line.substr(ts_len);
  // Host name.
  const size_t host_end = rest.find(' ');
  if (host_end == std::string_view::npos) {
    *message = {};
    return true;
  }
  rest.remove_prefix(host_end + 1);
  // Tag.
  const size_t tag_end = rest.find(' ');
  if (IsSyslogTag(rest.substr(0, tag_end))) {
    rest.remove_prefix(tag_end == std::string_view::npos ? rest.size() : tag_end + 1);
  }
  // Kernel uptime stamp "[547219.375133]" or "[    5.123456]".
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    bool uptime = close != std::string_view::npos && close > 1;
    for (size_t i = 1; uptime && i < close; ++i) {
      const char c = rest[i];
      uptime = (c >= '0' && c <= '9') || c == '.' || c == ' ';
    }
    if (uptime) {
      rest.remove_prefix(close + 1);
      if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    }
  }
  *message = rest;
  return true;
}

LineKind ParseLogMessage(std::string_view message, LogFormat format, LogRecord& rec,
                         LogParseError& err) {
  if (format != LogFormat::kNetfilter && LooksLikeIpchains(message)) {
    return ParseIpchainsMessage(message, rec, err);
  }
  if (format != LogFormat::kIpchains) {
    const size_t in_pos = FindNetfilterInToken(message);  // found once, not twice
    if (in_pos != std::string_view::npos) return ParseNetfilterMessage(message, in_pos, rec, err);
  }
  return LineKind::kNonPacket;
}

LineKind ParseLogLine(std::string_view line, LogFormat format, SyslogTime& time, LogRecord& rec,
                      LogParseError& err) {
  std::string_view message;
  if (!SplitSyslogLine(line, time, &message)) {
    err.field = "timestamp";
    err.why = "line does not start with a syslog timestamp";
    return LineKind::kMalformed;
  }
  return ParseLogMessage(message, format, rec, err);
}

bool ParseLogFormat(std::string_view text, LogFormat* out) {
  if (text == "auto") {
    *out = LogFormat::kAuto;
  } else if (text == "netfilter") {
    *out = LogFormat::kNetfilter;
  } else if (text == "ipchains") {
    *out = LogFormat::kIpchains;
  } else {
    return false;
  }
  return true;
}

}  // namespace tapwatch::sensor
