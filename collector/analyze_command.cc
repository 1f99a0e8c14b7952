#include "collector/analyze_command.h"

#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "collector/cli_util.h"
#include "collector/ingest_command.h"
#include "collector/report/report_command.h"

extern char** environ;

namespace tapwatch::collector {
namespace {

namespace fs = std::filesystem;

struct AnalyzeOptions {
  std::vector<std::string> captures;     // positional: pcap / pcapng files
  std::vector<std::string> logs;         // --log FILE (firewall logs)
  std::vector<std::string> sensor_args;  // --sensor-arg ARG: passed to the sensor as is
  std::string db;                        // --db FILE: keep the store there
  std::string sensor;                    // --sensor PATH
  std::vector<std::string> report_args;  // everything else
};

AnalyzeOptions ParseAnalyzeOptions(int argc, char** argv, int first) {
  AnalyzeOptions o;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) throw UsageError(std::string("analyze: ") + name + " needs a value");
      return argv[++i];
    };
    if (arg == "--log") {
      o.logs.push_back(value("--log"));
    } else if (arg == "--db") {
      o.db = value("--db");
    } else if (arg == "--sensor") {
      o.sensor = value("--sensor");
    } else if (arg == "--sensor-arg") {
      o.sensor_args.push_back(value("--sensor-arg"));
    } else if (arg.rfind("--log=", 0) == 0) {
      o.logs.push_back(arg.substr(6));
    } else if (arg.rfind("--db=", 0) == 0) {
      o.db = arg.substr(5);
    } else if (!arg.empty() && arg[0] != '-') {
      o.captures.push_back(arg);
    } else {
      // A report option, with its value when it takes one (the report parses it).
      o.report_args.push_back(arg);
      const bool flag = arg == "--honeynet" || arg == "--progress" || arg == "--no-progress" ||
                        arg.find('=') != std::string::npos;
      if (!flag && i + 1 < argc && argv[i + 1][0] != '-') o.report_args.push_back(argv[++i]);
    }
  }
  if (o.captures.empty() && o.logs.empty())
    throw UsageError("analyze: give at least one capture file or --log FILE");
  return o;
}

// The sensor beside this executable (installed side by side, or the build tree's sensor/),
// else the one on PATH.
std::string FindSensor(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("TAPWATCH_SENSOR"); env && *env) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& p : {self.parent_path() / "tapwatch-sensor",
                              self.parent_path().parent_path() / "sensor" / "tapwatch-sensor"}) {
      if (access(p.c_str(), X_OK) == 0) return p.string();
    }
  }
  return "tapwatch-sensor";
}

// Runs argv to completion; its exit status, or -1 when it could not be started.
int RunProcess(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int RunAnalyzeCommand(int argc, char** argv, int first) {
  const AnalyzeOptions o = ParseAnalyzeOptions(argc, argv, first);
  char dir_template[] = "/tmp/tapwatch-analyze-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::perror("tapwatch-collector: analyze: cannot create a temporary directory");
    return 1;
  }
  const fs::path dir = dir_template;
  const std::string db = o.db.empty() ? (dir / "flows.db").string() : o.db;
  if (!o.db.empty()) {
    // A fresh store per run, as the two-process path starts with: no flows from another run.
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(o.db + suffix);
  }

  // The collector side first, on a private ipc:// endpoint; each sensor run waits for it. A
  // sensor reads one kind of input: captures (merged by time) in one run, logs in another.
  std::vector<std::pair<std::string, std::vector<std::string>>> runs;  // sensor id, inputs
  if (!o.captures.empty()) {
    runs.push_back({"analyze", {}});
    for (const auto& f : o.captures) runs.back().second.insert(runs.back().second.end(), {"-r", f});
  }
  if (!o.logs.empty()) {
    runs.push_back({"analyze-log", {}});
    for (const auto& f : o.logs) runs.back().second.insert(runs.back().second.end(), {"--log", f});
  }
  IngestOptions ingest;
  ingest.endpoints = {"ipc://" + (dir / "stream").string()};
  ingest.db_path = db;
  ingest.exit_after_final = runs.size();
  ingest.idle_exit_s = 120;
  ingest.quiet = true;
  std::atomic<bool> stop{false};
  IngestResult stored;
  std::thread collector([&] { stored = RunIngest(ingest, stop, stdout); });

  const std::string sensor_path = FindSensor(o.sensor);
  int sensor_status = 0;
  for (const auto& [id, inputs] : runs) {
    std::vector<std::string> sensor = {sensor_path};
    sensor.insert(sensor.end(), inputs.begin(), inputs.end());
    sensor.insert(sensor.end(), {"--publish", ingest.endpoints[0], "--sensor-id", id,
                                 "--wait-subscribers", "1", "--stats-interval", "3600", "-q"});
    sensor.insert(sensor.end(), o.sensor_args.begin(), o.sensor_args.end());
    sensor_status = RunProcess(sensor);
    if (sensor_status != 0) break;
  }
  if (sensor_status != 0) stop = true;  // no (further) final record is coming
  collector.join();

  int status = 0;
  if (sensor_status != 0) {
    std::fprintf(stderr, "tapwatch-collector: analyze: %s %s\n", sensor_path.c_str(),
                 sensor_status < 0 ? "could not be started" : "failed; no report written");
    status = sensor_status < 0 ? 1 : sensor_status;
  } else if (stored.exit_code != 0) {
    status = stored.exit_code;
  } else {
    std::vector<std::string> report = {"report", "--db", db};
    report.insert(report.end(), o.report_args.begin(), o.report_args.end());
    std::vector<char*> rargv;
    for (auto& a : report) rargv.push_back(a.data());
    rargv.push_back(nullptr);
    status = RunReport(static_cast<int>(report.size()), rargv.data());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (status == 0 && !o.db.empty())
    std::fprintf(stderr, "tapwatch-collector: analyze: flows kept in %s\n", db.c_str());
  return status;
}

}  // namespace tapwatch::collector
