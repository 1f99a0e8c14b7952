#pragma once
// One firewall log line: the syslog header ("Feb  1 00:00:02 bridge kernel: "), then the message,
// dispatched to the netfilter or ipchains parser. Allocation-free; views point into the line.

#include <string_view>

#include "sensor/log/record.h"
#include "sensor/log/syslog_time.h"

namespace tapwatch::sensor {

/// Splits "<timestamp> <host> [kernel: | prog[pid]:] [[uptime]] <message>". False when the line
/// does not start with a syslog timestamp.
bool SplitSyslogLine(std::string_view line, SyslogTime& time, std::string_view* message);

/// Parses a message (the part after the syslog header) in `format`. kNonPacket for messages of
/// neither format (bridge state, "Kernel logging stopped", other daemons) and for lines of the
/// other format when `format` is not kAuto.
LineKind ParseLogMessage(std::string_view message, LogFormat format, LogRecord& rec,
                         LogParseError& err);

/// SplitSyslogLine + ParseLogMessage. A line without a timestamp is kMalformed (field
/// "timestamp").
LineKind ParseLogLine(std::string_view line, LogFormat format, SyslogTime& time, LogRecord& rec,
                      LogParseError& err);

}  // namespace tapwatch::sensor
