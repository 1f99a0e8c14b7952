// The command-line grammar both executables share: every spelling of an option lands in the
// same field, a --config file means exactly what the same words on the command line mean, and
// every error is one line naming the option or the file and line.

#include "cli/command_line.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "cli/config_file.h"

namespace tapwatch::cli {
namespace {

struct Fields {
  std::vector<std::string> files;
  std::string out;
  uint32_t count = 0;
  bool quiet = false;
  std::vector<std::string> words;
};

struct Argv {
  explicit Argv(std::initializer_list<std::string> args) : storage{"prog"} {
    storage.insert(storage.end(), args);
    for (std::string& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage.size()); }
  char** argv() { return pointers.data(); }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
};

ParseOutcome Parse(Fields& f, std::initializer_list<std::string> args) {
  CommandLine cl({"prog"});
  cl.Texts("-r", f.files);
  cl.Text("--out", f.out);
  cl.Uint("-c,--count", f.count, 1000, 1);
  cl.Flag("-q,--quiet", f.quiet);
  cl.Positionals(f.words);
  Argv a(args);
  return cl.Parse(a.argc(), a.argv(), 1);
}

std::string ErrorOf(std::initializer_list<std::string> args) {
  Fields f;
  try {
    Parse(f, args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

std::string TempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(CommandLine, EverySpellingLandsInTheSameField) {
  for (const auto& args : {std::initializer_list<std::string>{"--out", "x", "-c", "7"},
                           std::initializer_list<std::string>{"--out=x", "--count=7"},
                           std::initializer_list<std::string>{"--out", "x", "-c7"},
                           std::initializer_list<std::string>{"--out=x", "--count", "7"}}) {
    Fields f;
    EXPECT_EQ(Parse(f, args), ParseOutcome::kRun);
    EXPECT_EQ(f.out, "x");
    EXPECT_EQ(f.count, 7u);
  }
}

TEST(CommandLine, RepeatableOptionsTakeOneValueEachAndWordsStayPositional) {
  Fields f;
  ASSERT_EQ(Parse(f, {"-r", "a.pcap", "tcp", "-r", "-", "port", "80", "-q"}), ParseOutcome::kRun);
  EXPECT_EQ(f.files, (std::vector<std::string>{"a.pcap", "-"}));
  EXPECT_EQ(f.words, (std::vector<std::string>{"tcp", "port", "80"}));
  EXPECT_TRUE(f.quiet);
}

TEST(CommandLine, RepeatableCustomSeesEveryValue) {
  std::vector<std::string> seen;
  std::string last;
  CommandLine cl;
  cl.CustomEach("--home", [&](const std::string& v) { seen.push_back(v); });
  cl.Custom("--top", [&](const std::string& v) { last = v; });
  Argv a({"--home", "10.0.0.0/8", "--top=1", "--home=192.0.2.0/24", "--top", "2"});
  ASSERT_EQ(cl.Parse(a.argc(), a.argv(), 1), ParseOutcome::kRun);
  EXPECT_EQ(seen, (std::vector<std::string>{"10.0.0.0/8", "192.0.2.0/24"}));
  EXPECT_EQ(last, "2");
}

TEST(CommandLine, ErrorsAreOneLineNamingTheOption) {
  EXPECT_EQ(ErrorOf({"--bogus"}), "unknown option '--bogus' (see --help)");
  EXPECT_EQ(ErrorOf({"--out"}), "--out: missing value");
  EXPECT_EQ(ErrorOf({"-c", "0"}), "--count: expected a number from 1 to 1000, got '0'");
  EXPECT_EQ(ErrorOf({"--count=12x"}), "--count: expected a number from 1 to 1000, got '12x'");
}

TEST(CommandLine, HelpAndVersion) {
  Fields f;
  EXPECT_EQ(Parse(f, {"-h", "--bogus"}), ParseOutcome::kHelp);
  EXPECT_EQ(Parse(f, {"--version"}), ParseOutcome::kVersion);
  EXPECT_NE(ErrorOf({"--bogus", "--help"}), "");
  EXPECT_EQ(VersionLine("prog").rfind("prog ", 0), 0u);
}

TEST(CommandLine, ConfigFileMeansTheSameWordsAndTheCommandLineWins) {
  const std::string conf = TempFile("tw_cli.conf",
                                    "# a comment\n"
                                    "; another\n"
                                    "[other]\n"
                                    "out = not-mine\n"
                                    "[prog]\n"
                                    "out = \"from file\"\n"
                                    "--count=9\n"
                                    "r = one.pcap\n"
                                    "r = two.pcap\n"
                                    "quiet\n");
  Fields f;
  ASSERT_EQ(Parse(f, {"--config", conf, "-r", "three.pcap"}), ParseOutcome::kRun);
  EXPECT_EQ(f.out, "from file");
  EXPECT_EQ(f.count, 9u);
  EXPECT_TRUE(f.quiet);
  EXPECT_EQ(f.files, (std::vector<std::string>{"one.pcap", "two.pcap", "three.pcap"}));
  Fields g;
  ASSERT_EQ(Parse(g, {"--config=" + conf, "--count", "3", "--out", "cli"}), ParseOutcome::kRun);
  EXPECT_EQ(g.count, 3u);
  EXPECT_EQ(g.out, "cli");
}

TEST(CommandLine, BadConfigFileNamesFileAndLine) {
  const std::string bad = TempFile("tw_cli_bad.conf", "[prog]\nout = x\nnot an option line\n");
  EXPECT_EQ(ErrorOf({"--config", bad}),
            bad + ":3: expected KEY = value, KEY or [section]: 'not an option line'");
  const std::string unknown = TempFile("tw_cli_unknown.conf", "[prog]\nfrobnicate = 1\n");
  EXPECT_EQ(ErrorOf({"--config", unknown}), "unknown option '--frobnicate' (see --help)");
  const std::string range = TempFile("tw_cli_range.conf", "[prog]\ncount = 5000\n");
  EXPECT_EQ(ErrorOf({"--config", range}), "--count: expected a number from 1 to 1000, got '5000'");
  EXPECT_EQ(ErrorOf({"--config", "/nonexistent/tw.conf"}),
            "--config /nonexistent/tw.conf: cannot read");
}

TEST(CommandLine, PeekFindsAValueBeforeParsing) {
  Argv a({"-r", "x", "-ieth1", "--out=y"});
  EXPECT_EQ(CommandLine::Peek(a.argc(), a.argv(), 1, "-i"), "eth1");
  EXPECT_EQ(CommandLine::Peek(a.argc(), a.argv(), 1, "--out"), "y");
  EXPECT_EQ(CommandLine::Peek(a.argc(), a.argv(), 1, "-c,--count"), "");
}

}  // namespace
}  // namespace tapwatch::cli
