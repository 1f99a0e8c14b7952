// What every report section shares: the store, the options, the period, the home network, the
// per-row facts computed once for all sections, and the findings `threats` ranks.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "collector/report/analysis_util.h"
#include "collector/report/home_inference.h"
#include "collector/report/icmp_summary.h"
#include "collector/report/probe_events.h"
#include "collector/report/reference_data.h"
#include "collector/report/report_builder.h"

namespace tapwatch::collector::report {

struct Period {
  int64_t first_ns = 0, last_ns = 0;  // flow start times
  int64_t bucket_ns = kDayNs;
  size_t buckets = 1;
  int64_t bin_ns = 60 * kSecondNs;
  size_t bins = 1;
  // Buckets are aligned to the end of the period so the last one is exactly the last 24 h
  // (or hour), as the ISC trend compares "the last 24 hours" with the days before.
  size_t Bucket(int64_t t) const {
    if (t > last_ns) t = last_ns;
    if (t < first_ns) t = first_ns;
    int64_t back = (last_ns - t) / bucket_ns;
    return buckets - 1 - static_cast<size_t>(std::min<int64_t>(back, buckets - 1));
  }
  int64_t BucketStart(size_t b) const {
    return last_ns - static_cast<int64_t>(buckets - 1 - b) * bucket_ns - bucket_ns + 1;
  }
  size_t Bin(int64_t t) const {
    if (t < first_ns) return 0;
    return std::min<size_t>(static_cast<size_t>((t - first_ns) / bin_ns), bins - 1);
  }
  const char* BucketName() const {
    return bucket_ns == kDayNs ? "day" : bucket_ns == kHourNs ? "hour" : "custom";
  }
};

// Where a flow's traffic counts for `hosts` and `trends`.
constexpr int kNumCategories = 11;
enum Category {
  kInTcp,
  kInUdp,
  kInIcmp,
  kInOther,
  kOutTcp,
  kOutUdp,
  kOutOther,
  kBroadcast,
  kDns,
  kInternal,
  kTransit
};
extern const char* const kCategories[kNumCategories];

/// Facts about one row that several sections need, computed once per row.
struct RowFacts {
  bool src_home = false, dst_home = false, dst_broadcast = false;
  // A flow whose initiator sent nothing (the sensor inferred the initiator from a lone SYN-ACK)
  // is traffic *to* the initiator: reversed, it counts as inbound to it.
  bool reversed = false;
  Category category = kTransit;
  bool has_host = false;
  uint32_t host = 0;   // the home host the category is about
  uint32_t other = 0;  // the peer (for internal flows, the second home host)
  int64_t packets = 0;
  int64_t flows_inc = 0;              // 1 for a flow's first record, else 0
  const IcmpJson* icmp = nullptr;     // parsed icmp_json, or nullptr
  int64_t icmp_length28_packets = 0;  // nmap's data-less echo
  std::vector<std::string> labels;    // payload labels
  int64_t cmd_exe_labels = 0, ida_labels = 0;
};

/// One address a section found something about; `threats` ranks addresses by summed scores.
struct Finding {
  uint32_t address = 0;
  bool home = false;
  int score = 0;
  std::string section;
  std::string reason;
};

/// Evidence that a host was attacked; `compromise` looks for a change of behaviour after it.
struct Attack {
  uint32_t victim, attacker;
  int port;
  uint32_t t_s;  // seconds since the period start
  const char* what;
};

class ReportContext {
 public:
  ReportContext(sqlite3* db, const ReportOptions& opt, const ReferenceData& ref)
      : db(db), opt(opt), ref(ref) {}

  sqlite3* const db;
  const ReportOptions& opt;
  const ReferenceData& ref;
  Period period;
  std::vector<Cidr> home;
  bool home_inferred = false;
  std::string home_how;
  HomeVerdict home_verdict;
  std::vector<Finding> findings;
  std::vector<Attack> attacks;
  std::vector<ScanEv> probe_events;  // filled by recon, read by recon and slow_scans
  static constexpr size_t kMaxAttacks = size_t{1} << 20;

  bool IsHome(uint32_t a) const {
    for (const auto& c : home) {
      if (c.Contains(a)) return true;
    }
    return false;
  }
  bool IsBroadcastDst(uint32_t a) const;
  /// A service home hosts may use outbound without being judged compromised.
  bool Allowed(int proto, uint32_t port) const;
  std::string Service(int proto, uint32_t port) const;
  /// " AND start_ns >= .. AND start_ns < .." for --from/--to, else empty.
  std::string TimeClause() const;
  /// inbound, outbound, internal or external (neither end home, or home unknown).
  std::string Scope(uint32_t src, uint32_t dst) const;
  void AddFinding(uint32_t address, bool is_home, int score, std::string section,
                  std::string reason) {
    findings.push_back({address, is_home, score, std::move(section), std::move(reason)});
  }
  uint32_t SecondsIntoPeriod(int64_t t) const {
    return static_cast<uint32_t>(std::max<int64_t>(0, t - period.first_ns) / kSecondNs);
  }
};

}  // namespace tapwatch::collector::report
