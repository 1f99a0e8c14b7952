// IPv4 helpers (CIDR, formatting) and the run-time data files of the report:
// data/ports.tsv (port -> service, malware note) and data/reserved_networks.tsv.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::collector::report {

/// An IPv4 prefix; `mask` is the network mask as a host-order integer.
struct Cidr {
  uint32_t network = 0;
  uint32_t mask = 0;
  int prefix_len = 0;
  bool Contains(uint32_t addr) const { return (addr & mask) == network; }
  std::string ToString() const;
};

/// Parses "a.b.c.d" into a host-order integer; std::nullopt when malformed.
std::optional<uint32_t> ParseIpv4(std::string_view text);
/// Parses "a.b.c.d/n" (or a bare address as /32); std::nullopt when malformed.
std::optional<Cidr> ParseCidr(std::string_view text);
/// Dotted-quad rendering of a host-order address.
std::string FormatIpv4(uint32_t addr);

/// One row of reserved_networks.tsv.
struct ReservedRange {
  Cidr cidr;
  std::string category;          // private, loopback, multicast, unallocated, ...
  int64_t unallocated_until_ns;  // 0 = permanent special range; else allocation time (UTC)
  std::string note;
};

/// One row of ports.tsv.
struct PortInfo {
  std::string service;
  std::string note;
};

/// The reference tables the report reads at start-up.
class ReferenceData {
 public:
  /// Loads both TSV files from `dir`. On failure returns false and sets *error to one line.
  bool Load(const std::string& dir, std::string* error);

  /// The range containing addr at time_ns (unallocated ranges only before their allocation),
  /// or nullptr. The most specific range wins.
  const ReservedRange* FindReserved(uint32_t addr, int64_t time_ns) const;
  /// Service for proto (6/17) and port, or nullptr.
  const PortInfo* FindPort(int ip_proto, uint32_t port) const;
  size_t reserved_count() const { return reserved_.size(); }
  size_t port_count() const { return ports_.size(); }

  /// Adds entries directly (tests, fallbacks).
  void AddReserved(ReservedRange r) {
    reserved_.push_back(std::move(r));
    BuildIndex();
  }
  void AddPort(int ip_proto, uint32_t port, PortInfo info) {
    ports_[(static_cast<uint32_t>(ip_proto) << 16) | port] = std::move(info);
  }

 private:
  void AddSystemServices();
  void BuildIndex();

  std::vector<ReservedRange> reserved_;
  std::vector<uint16_t> by_octet_[256];  // first octet -> indexes into reserved_
  std::map<uint32_t, PortInfo> ports_;
};

/// Where the data files are looked for when --data-dir is not given: the install prefix
/// (share/tapwatch), then the source tree's data/ embedded at build time.
std::vector<std::string> DefaultDataDirs();

}  // namespace tapwatch::collector::report
