#pragma once
// `tapwatch-collector flows --db FILE [filters] [--format text|jsonl]`: prints stored flows, one
// line each, ordered by start time. Filters combine with AND:
//   --src A / --dst A   address (IPv4, IPv6) or IPv4 CIDR block ("1.11.0.0/16")
//   --port P            either side's port
//   --proto tcp|udp|icmp|icmp6|N   --sensor ID   --limit N
//   --community-id ID   the flow's Community ID v1 (the same string other monitors log)
//   --from T / --to T   start time in [from, to); epoch seconds or ISO 8601 UTC

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace tapwatch::collector {

struct FlowsOptions {
  std::string db_path;
  std::string src;  // as given; validated by ParseFlowsOptions
  std::string dst;
  std::optional<uint32_t> port;
  std::optional<uint32_t> ip_proto;
  std::optional<std::string> sensor;
  std::optional<std::string> community_id;
  std::optional<uint64_t> from_ns;
  std::optional<uint64_t> to_ns;
  std::optional<uint64_t> limit;
  bool jsonl = false;
};

/// Parses argv[first..argc) (after the word "flows"). Throws UsageError (one line).
FlowsOptions ParseFlowsOptions(int argc, char** argv, int first);

/// Runs the query and writes rows to `out`. Throws UsageError when the database cannot be
/// opened or is not a tapwatch store. Returns the number of rows written.
uint64_t RunFlows(const FlowsOptions& options, FILE* out);

/// Command-line entry point; returns the process exit status.
int RunFlowsCommand(int argc, char** argv, int first);

}  // namespace tapwatch::collector
