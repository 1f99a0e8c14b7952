#pragma once
// Option files for --config (e.g. /etc/tapwatch/tapwatch.conf): one option per line, in the
// command line's own names, so a file and a command line can never mean different things.
//
//   # comment                       ; comment
//   [sensor]                        section: the program (or program.qualifier) it applies to
//   publish = tcp://0.0.0.0:5556    KEY = value   (the same as --publish=tcp://0.0.0.0:5556)
//   --max-flows=1048576             the command line's spelling works too
//   quiet                           a flag
//   F = /etc/tapwatch/filter.bpf    one-letter keys are short options (-F)
//
// Hand-written rather than CLI11's INI reader: CLI11 2.1's reader silently drops values that
// follow a repeated key (two `connect =` lines) and ignores unknown keys; here every line is
// either an option, handed to the same parser as the command line, or a one-line error.

#include <string>
#include <vector>

namespace tapwatch::cli {

/// Reads `path` and returns the command-line tokens of the lines in `sections`, in file order.
/// Throws UsageError("FILE:LINE: ...") on a line that is neither blank, a comment, a section
/// header nor KEY[=value], and when the file cannot be read.
std::vector<std::string> ReadConfigTokens(const std::string& path,
                                          const std::vector<std::string>& sections);

}  // namespace tapwatch::cli
