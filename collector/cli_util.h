#pragma once
// Command-line helpers shared by the collector's subcommands: option scanning ("--opt value" and
// "--opt=value"), number and time parsing, and the usage-error convention (one line, exit 2).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tapwatch::collector {

/// Exit status for bad command-line input, unknown subcommands and unreadable databases.
inline constexpr int kExitUsage = 2;

/// A command-line problem; what() is the one line shown to the user.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Walks argv[first..argc) option by option.
class ArgScanner {
 public:
  ArgScanner(int argc, char** argv, int first) : argc_(argc), argv_(argv), i_(first) {}
  bool Done() const { return i_ >= argc_; }
  /// The next argument; for "--opt=value" returns "--opt" and keeps "value" for Value().
  std::string_view Next();
  /// The value of the option just returned by Next(); throws UsageError naming it when missing.
  std::string Value();

 private:
  int argc_;
  char** argv_;
  int i_;
  std::string_view current_;
  std::string inline_value_;
  bool has_inline_value_ = false;
};

/// Decimal unsigned integer no larger than `max`; throws UsageError("<option>: ...") otherwise.
uint64_t ParseUint(std::string_view option, std::string_view text, uint64_t max);

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
