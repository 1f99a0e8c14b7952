// Which addresses are "home" (the protected side of the capture point), inferred from evidence
// in the flows themselves when --home is not given. The result is a set of prefixes and single
// addresses, the evidence behind it, and how sure it is; when the data cannot tell, the set is
// empty and the report says so instead of guessing.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/report/flow_row.h"
#include "collector/report/reference_data.h"

namespace tapwatch::collector::report {

struct HomeVerdict {
  std::vector<Cidr> home;
  std::string rule;        // firewall_interfaces, private_side, answering_hosts, all_private, none
  std::string confidence;  // high, medium, low, none
  std::vector<std::string> evidence;  // one sentence per piece of evidence
};

class HomeEvidence {
 public:
  /// Feeds one flow (IPv4 rows only matter).
  void Observe(const FlowRow& row);
  /// Decides from everything observed.
  HomeVerdict Decide() const;

 private:
  struct AddressStats {
    int64_t initiated = 0;       // flows it opened that sent packets
    int64_t answered = 0;        // flows opened to it that it answered
    int64_t firewall_input = 0;  // log lines on the INPUT side naming it as destination
  };
  std::unordered_map<uint32_t, AddressStats> by_address_;
  // Forwarded log lines with a public source, per incoming interface: the interface most of
  // them arrive on is the outside.
  std::unordered_map<std::string, int64_t> public_sources_by_in_iface_;
  int64_t flows_ = 0, log_input_lines_ = 0, forwarded_lines_ = 0, same_iface_lines_ = 0;
  int64_t private_public_ = 0, private_initiated_answered_ = 0, public_public_ = 0;
  int64_t private_private_ = 0;
  struct ForwardedLine {
    uint32_t src, dst;
    std::string in_iface;
  };
  std::vector<ForwardedLine> forwarded_;
  static constexpr size_t kMaxContacts = size_t{1} << 22;
  std::vector<uint64_t> contacts_;  // destination << 32 | source, per flow (deduplicated later)
};

/// Widens a set of home addresses into prefixes: addresses sharing a /24 with another home
/// address become that /24; a lone address stays a /32. `always_24`: every address becomes its
/// /24 (a private LAN).
std::vector<Cidr> GroupHomeAddresses(std::vector<uint32_t> addresses, bool always_24);

}  // namespace tapwatch::collector::report
