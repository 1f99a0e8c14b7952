#pragma once
// Small helpers shared by the data-file table parsers (payload signatures, ICMP fingerprints):
// tab-separated rows, '#' comments, C-style \xHH escapes. Start-up only (may allocate).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::decoders::table_text {

/// Splits `text` into non-comment, non-blank lines, each split on tabs. `line_numbers` gets the
/// 1-based line number of each row.
std::vector<std::vector<std::string_view>> Rows(std::string_view text,
                                                std::vector<int>& line_numbers);

/// Unescapes \xHH, \\, \t, \n, \r, \s (space); nullopt on a bad escape.
std::optional<std::string> Unescape(std::string_view s);

/// Parses a decimal number in [0, max]; nullopt otherwise.
std::optional<uint32_t> Number(std::string_view s, uint32_t max);

}  // namespace tapwatch::decoders::table_text
