// Entry points of the tapwatch-gen subcommands.
#pragma once

#include <cstdint>
#include <string>

namespace tapwatch::tools {

/// Writes the honeynet-month capture and its ground truth. Returns 0 on success; throws
/// std::runtime_error if a planted phenomenon fails its own margin check (a generator bug).
int GenerateHoneynet(const std::string& pcap_path, const std::string& truth_path);

/// The small focused captures: "welchia_vs_tracert", "codered_bare_ack", "smb_reserved_leak",
/// "tcp_states". Writes <dir>/<name>.pcap and <dir>/<name>.truth.json.
int GenerateSmall(const std::string& name, const std::string& dir);

struct BenchOptions {
  std::string out;
  uint64_t packets = 2000000;
  uint64_t flows = 250000;
  double app_share = 0.0;  // share of packets that are SMB/NBNS/ICMP
  uint64_t seed = 1;
};
/// Writes the benchmark capture with raw pcap records; prints what it wrote to stderr.
int GenerateBench(const BenchOptions& opt);

}  // namespace tapwatch::tools
