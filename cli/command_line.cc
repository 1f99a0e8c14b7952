#include "cli/command_line.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>

#include "cli/config_file.h"
#include "cli/version.h"

namespace tapwatch::cli {
namespace {

// Every spelling in a CLI11 names string: "-q,--quiet" -> {"-q", "--quiet"}.
std::vector<std::string> Spellings(const std::string& names) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= names.size()) {
    const size_t comma = names.find(',', start);
    const size_t end = comma == std::string::npos ? names.size() : comma;
    if (end > start) out.push_back(names.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The values of option `names` in tokens, in order: "-i X", "-iX", "--opt X", "--opt=X".
std::vector<std::string> ValuesOf(const std::vector<std::string>& tokens,
                                  const std::string& names) {
  std::vector<std::string> values;
  const std::vector<std::string> spellings = Spellings(names);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    for (const std::string& s : spellings) {
      if (t == s) {
        if (i + 1 < tokens.size()) values.push_back(tokens[++i]);
        break;
      }
      if (s.starts_with("--") && t.starts_with(s + "=")) {
        values.push_back(t.substr(s.size() + 1));
        break;
      }
      if (s.size() == 2 && !s.starts_with("--") && t.size() > 2 && t.starts_with(s)) {
        values.push_back(t.substr(2));
        break;
      }
    }
  }
  return values;
}

}  // namespace

std::string VersionLine(std::string_view program) {
  return std::string(program) + " " + kVersion;
}

uint64_t ParseUint(std::string_view option, std::string_view text, uint64_t max, uint64_t min) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max ||
      value < min) {
    throw UsageError(std::string(option) + ": expected a number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", got '" + std::string(text) + "'");
  }
  return value;
}

CommandLine::CommandLine(std::vector<std::string> config_sections)
    : app_(std::make_unique<CLI::App>()), config_sections_(std::move(config_sections)) {
  // Each program prints its own usage text; CLI11's generated help is not used.
  app_->set_help_flag();
  // Unknown options are collected, not thrown at once: an unknown option before -h is an
  // error, -h before it is help (as with the hand-written parsers this replaces).
  app_->allow_extras();
  app_->add_flag_callback("-h,--help", [this] { help_ = true; });
  app_->add_flag_callback("--version", [this] { version_ = true; });
  if (!config_sections_.empty()) {
    app_->add_option("--config", config_files_)->allow_extra_args(false);
  }
}

CommandLine::~CommandLine() = default;

std::string CommandLine::LongName(const std::string& names) {
  const std::vector<std::string> all = Spellings(names);
  return all.empty() ? names : all.back();
}

void CommandLine::Text(const std::string& names, std::string& field) {
  app_->add_option(names, field)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void CommandLine::Texts(const std::string& names, std::vector<std::string>& field) {
  // One value per occurrence: "-r a.pcap tcp" leaves "tcp" to the positional words.
  app_->add_option(names, field)->allow_extra_args(false);
}

void CommandLine::Custom(const std::string& names,
                         std::function<void(const std::string&)> parse) {
  app_->add_option_function<std::string>(names, std::move(parse))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void CommandLine::CustomEach(const std::string& names,
                             std::function<void(const std::string&)> parse) {
  app_->add_option_function<std::vector<std::string>>(
          names,
          [parse = std::move(parse)](const std::vector<std::string>& values) {
            for (const std::string& v : values) parse(v);
          })
      ->allow_extra_args(false);
}

void CommandLine::Flag(const std::string& names, bool& field, bool value) {
  app_->add_flag_callback(names, [&field, value] { field = value; });
}

void CommandLine::OnFlag(const std::string& names, std::function<void()> act) {
  app_->add_flag_callback(names, std::move(act));
}

void CommandLine::Positionals(std::vector<std::string>& words) {
  app_->add_option("words", words);
}

std::string CommandLine::Peek(int argc, char** argv, int first, const std::string& names) {
  const std::vector<std::string> tokens(argv + std::min(first, argc), argv + argc);
  const std::vector<std::string> values = ValuesOf(tokens, names);
  return values.empty() ? std::string() : values.back();
}

ParseOutcome CommandLine::Parse(int argc, char** argv, int first) {
  std::vector<std::string> tokens;
  const std::vector<std::string> given(argv + std::min(first, argc), argv + argc);
  if (!config_sections_.empty()) {
    for (const std::string& path : ValuesOf(given, "--config")) {
      const std::vector<std::string> from_file = ReadConfigTokens(path, config_sections_);
      tokens.insert(tokens.end(), from_file.begin(), from_file.end());
    }
  }
  tokens.insert(tokens.end(), given.begin(), given.end());
  return ParseTokens(std::move(tokens));
}

ParseOutcome CommandLine::ParseTokens(std::vector<std::string> tokens) {
  const std::vector<std::string> in_order = tokens;
  std::reverse(tokens.begin(), tokens.end());  // CLI11 takes them last first
  try {
    app_->parse(tokens);
  } catch (const CLI::ArgumentMismatch& e) {
    // "--db: 1 required TEXT missing": the option is named, the value is not there.
    const std::string what = e.what();
    throw UsageError(what.substr(0, what.find(':')) + ": missing value");
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  const std::vector<std::string> extras = app_->remaining();
  const auto first_of = [&](auto match) {
    return std::find_if(in_order.begin(), in_order.end(), match) - in_order.begin();
  };
  const auto help_at = first_of([](const std::string& t) { return t == "-h" || t == "--help"; });
  if (!extras.empty()) {
    const auto extra_at = first_of([&](const std::string& t) { return t == extras.front(); });
    if (help_ && help_at < extra_at) return ParseOutcome::kHelp;
    if (extras.front().starts_with("-")) {
      const std::string& option = extras.front();
      throw UsageError("unknown option '" + option.substr(0, option.find('=')) + "' (see --help)");
    }
    throw UsageError("unexpected argument '" + extras.front() + "' (see --help)");
  }
  if (help_) return ParseOutcome::kHelp;
  if (version_) return ParseOutcome::kVersion;
  return ParseOutcome::kRun;
}

}  // namespace tapwatch::cli
