#pragma once
// Command-line helpers shared by the collector's subcommands: time parsing and the usage-error
// convention (one line, exit 2). The grammar itself is cli/command_line.h, shared with the sensor.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cli/command_line.h"

namespace tapwatch::collector {

/// Exit status for bad command-line input, unknown subcommands and unreadable databases.
inline constexpr int kExitUsage = 2;

/// A command-line problem; what() is the one line shown to the user.
using cli::UsageError;
/// Decimal unsigned integer in [min, max]; throws UsageError("<option>: ...") otherwise.
using cli::ParseUint;

/// Non-negative decimal seconds ("2", "0.5"); throws UsageError otherwise.
double ParseSeconds(std::string_view option, std::string_view text);

/// A point in time as nanoseconds since 1970 UTC. Accepts epoch seconds with an optional
/// fraction ("1092114948.25"), epoch nanoseconds (an integer over 1e12) or ISO 8601 UTC:
/// "2004-08-10", "2004-08-10T05:15[:48[.fff]][Z]" (a space may replace the T). Throws UsageError
/// otherwise.
uint64_t ParseTimeNs(std::string_view option, std::string_view text);

/// ISO 8601 UTC, "2004-08-10T05:15:48Z", with the fraction of a second only when it is not
/// whole and without trailing zeros ("2004-08-10T05:15:48.5Z"). Every time the collector prints.
std::string FormatTimeNs(int64_t ns);

}  // namespace tapwatch::collector
