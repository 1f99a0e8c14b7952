#include "cli/config_file.h"

#include <algorithm>
#include <fstream>

#include "cli/command_line.h"

namespace tapwatch::cli {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// A value in double quotes keeps its spaces at the ends; the quotes go.
std::string_view Unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

}  // namespace

std::vector<std::string> ReadConfigTokens(const std::string& path,
                                          const std::vector<std::string>& sections) {
  std::ifstream in(path);
  if (!in) throw UsageError("--config " + path + ": cannot read");
  std::vector<std::string> tokens;
  std::string line;
  bool selected = false;  // lines before the first section apply to nobody
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string_view text = Trim(line);
    const auto fail = [&](const std::string& why) {
      throw UsageError(path + ":" + std::to_string(number) + ": " + why + ": '" +
                       std::string(text) + "'");
    };
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    if (text.front() == '[') {
      if (text.back() != ']' || text.size() < 3) fail("expected [section]");
      const std::string name(Trim(text.substr(1, text.size() - 2)));
      selected = std::find(sections.begin(), sections.end(), name) != sections.end();
      continue;
    }
    std::string_view key = text;
    std::string_view value;
    const size_t eq = text.find('=');
    const bool has_value = eq != std::string_view::npos;
    if (has_value) {
      key = Trim(text.substr(0, eq));
      value = Unquote(Trim(text.substr(eq + 1)));
    }
    while (key.starts_with('-')) key.remove_prefix(1);
    if (key.empty() || key.find_first_of(" \t") != std::string_view::npos) {
      fail("expected KEY = value, KEY or [section]");
    }
    if (!selected) continue;
    if (key.size() == 1) {
      tokens.push_back("-" + std::string(key));
      if (has_value) tokens.emplace_back(value);
    } else if (has_value) {
      tokens.push_back("--" + std::string(key) + "=" + std::string(value));
    } else {
      tokens.push_back("--" + std::string(key));
    }
  }
  if (in.bad()) throw UsageError("--config " + path + ": read error");
  return tokens;
}

}  // namespace tapwatch::cli
