#pragma once
// `tapwatch-collector analyze FILE... [--log FILE]... [--db FILE] [report options]`: the replay
// use in one command. It starts tapwatch-sensor on the files, receives its stream on a private
// ipc:// endpoint (no port to choose), stores every record exactly as the two-process path
// does, then writes the report. Options it does not know are the report's (--format, --out,
// --home, --honeynet, ...).

namespace tapwatch::collector {

/// Entry point: argv[first..argc) are analyze's arguments. Returns the process exit status.
int RunAnalyzeCommand(int argc, char** argv, int first);

}  // namespace tapwatch::collector
