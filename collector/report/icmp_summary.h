// The members of a stored IcmpSummary the report reads, parsed from the store's JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapwatch::collector::report {

// The members of an IcmpSummary JSON object (collector/store.cc, protobuf JSON mapping) the
// report reads. Parsed once per ICMP row in C++: three json_extract calls per row and a second
// json_each query over the ICMP rows cost more than the whole object scan.
struct IcmpJson {
  int64_t ttl1_probes = 0;
  std::string fingerprint;
  std::vector<std::pair<int64_t, int64_t>> lengths;  // ip_length_histogram: length -> packets
  void Clear() {
    ttl1_probes = 0;
    fingerprint.clear();
    lengths.clear();
  }
};

/// Parses the printer's compact JSON (fast path), else any JSON, into *out (reset first).
void ParseIcmpJson(std::string_view s, IcmpJson* out);

}  // namespace tapwatch::collector::report
