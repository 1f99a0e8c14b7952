#pragma once
// The command-line grammar both executables share, on CLI11: `--opt value` and `--opt=value`,
// short options with attached values (`-rFILE`), repeatable options, positional words, `-h`,
// `--help`, `--version`, and `--config FILE` (option lines read from a file, see config_file.h).
// Each option converts its own value and reports a bad one as a UsageError: one line that names
// the option and the value, and exit status 2.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace tapwatch::cli {

/// A command-line problem; what() is the one line shown to the user.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// "tapwatch-sensor 0.1.0": the project version from CMake.
std::string VersionLine(std::string_view program);

/// Decimal unsigned integer in [min, max]; throws UsageError("<option>: ...") otherwise.
uint64_t ParseUint(std::string_view option, std::string_view text, uint64_t max,
                   uint64_t min = 0);

/// How a parse ended.
enum class ParseOutcome {
  kRun,      // options parsed
  kHelp,     // -h / --help came before any error: print the usage, exit 0
  kVersion,  // --version: print VersionLine, exit 0
};

/// One program's (or subcommand's) options. Register them, then Parse once.
class CommandLine {
 public:
  /// `config_sections`: the sections of a --config file this command reads, in order (later
  /// ones override earlier); empty = no --config option.
  explicit CommandLine(std::vector<std::string> config_sections = {});
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  /// `names` in CLI11 form: "-r", "--jsonl", "-q,--quiet". The last value given wins.
  void Text(const std::string& names, std::string& field);
  /// Repeatable: every value, in order.
  void Texts(const std::string& names, std::vector<std::string>& field);
  /// A number in [min, max], stored into an integer field of any width.
  template <typename T>
  void Uint(const std::string& names, T& field, uint64_t max, uint64_t min = 0) {
    Custom(names, [&field, max, min, option = LongName(names)](const std::string& v) {
      field = static_cast<T>(ParseUint(option, v, max, min));
    });
  }
  /// A value converted (and checked) by `parse`, which throws UsageError on a bad one. The last
  /// value given wins.
  void Custom(const std::string& names, std::function<void(const std::string&)> parse);
  /// Repeatable: `parse` sees every value given, in order.
  void CustomEach(const std::string& names, std::function<void(const std::string&)> parse);
  /// A flag: sets `field` to `value` when given.
  void Flag(const std::string& names, bool& field, bool value = true);
  /// A flag that runs `act` when given.
  void OnFlag(const std::string& names, std::function<void()> act);
  /// The words that are not options (a BPF expression), in order.
  void Positionals(std::vector<std::string>& words);

  /// Parses argv[first..argc). Throws UsageError (one line) on a bad command line or config
  /// file. A config file's options come before the command line's, so the command line wins
  /// (and repeatable options get the file's values first).
  ParseOutcome Parse(int argc, char** argv, int first);

  /// The value of option `names` ("-i,--interface") as given in argv[first..argc), or "": a
  /// look ahead, before parsing, to choose the config sections.
  static std::string Peek(int argc, char** argv, int first, const std::string& names);

  /// The --config files given (empty when none); valid after Parse.
  const std::vector<std::string>& config_files() const { return config_files_; }

 private:
  static std::string LongName(const std::string& names);
  ParseOutcome ParseTokens(std::vector<std::string> tokens);

  std::unique_ptr<CLI::App> app_;
  std::vector<std::string> config_sections_;
  std::vector<std::string> config_files_;
  bool help_ = false;
  bool version_ = false;
};

}  // namespace tapwatch::cli
