// `tapwatch-collector report`: answers the seed documents' questions from a tapwatch store.
#pragma once

namespace tapwatch::collector {

/// Entry point for `tapwatch-collector report ...`. argv[0] may be "report" (skipped, as
/// collector/main.cc passes it) or already the first option. Writes the report to stdout or --out;
/// a progress line to stderr when stderr is a terminal or with --progress. Returns 0 on success, 2
/// on bad input (missing or empty store, bad CIDR, bad --format, ...) after printing one line to
/// stderr. `--help` lists the options.
int RunReport(int argc, char** argv);

}  // namespace tapwatch::collector
