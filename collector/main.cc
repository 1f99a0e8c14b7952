// tapwatch-collector: subscribes to tapwatch sensors and stores their records in SQLite
// (default command), prints stored flows (`flows`), writes reports (`report`), and goes from
// capture files to a report in one run (`analyze`).

#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include "collector/analyze_command.h"
#include "collector/cli_util.h"
#include "collector/flows_command.h"
#include "collector/ingest_command.h"

#if __has_include("collector/report/report_command.h")
#include "collector/report/report_command.h"
#define TAPWATCH_HAVE_REPORT 1
#endif

namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  tapwatch-collector --connect ENDPOINT [--connect ENDPOINT...] --db FILE\n"
    "                     [--exit-after-final N] [--idle-exit SECONDS] [--quiet]\n"
    "                     [--commit-rows N] [--commit-ms MS]\n"
    "                     [--defer-indexes | --index-during-load] [--index-idle-ms MS]\n"
    "  tapwatch-collector flows --db FILE [--src A] [--dst A] [--port P]\n"
    "                     [--proto tcp|udp|icmp|N] [--sensor ID] [--from T] [--to T]\n"
    "                     [--community-id ID] [--limit N] [--format text|jsonl]\n"
    "  tapwatch-collector report ...\n"
    "  tapwatch-collector analyze CAPTURE... [--log FILE]... [--db FILE] [--sensor PATH]\n"
    "                     [--sensor-arg ARG]... [report options: --format F --out FILE ...]\n";

int Run(int argc, char** argv) {
  using namespace tapwatch::collector;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "flows") return RunFlowsCommand(argc, argv, 2);
  if (command == "analyze") return RunAnalyzeCommand(argc, argv, 2);
  if (command == "report") {
#ifdef TAPWATCH_HAVE_REPORT
    // The report command sees its own argv: argv[0] = "report", options from argv[1].
    return RunReport(argc - 1, argv + 1);
#else
    std::fprintf(stderr, "tapwatch-collector: report not available in this build\n");
    return kExitUsage;
#endif
  }
  if (command == "ingest") return RunIngestCommand(argc, argv, 2);
  if (command.starts_with("-")) return RunIngestCommand(argc, argv, 1);
  throw UsageError("unknown command '" + std::string(command) +
                   "' (expected flows, report, analyze or ingest options; see --help)");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const tapwatch::collector::UsageError& e) {
    std::fprintf(stderr, "tapwatch-collector: %s\n", e.what());
    return tapwatch::collector::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tapwatch-collector: error: %s\n", e.what());
    return 1;
  }
}
