// Packet and payload builders shared by the generators: Ethernet/IPv4/TCP/UDP/ICMP frames built
// with libtins, plus hand-built application payloads (NBNS, NBSS+SMB1, DNS, syslog).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <tins/tins.h>

#include "tools/gen/capture.h"

namespace tapwatch::tools {

using Bytes = std::vector<uint8_t>;

/// Deterministic RNG (splitmix64): the same sequence on every platform and library, unlike the
/// std distributions whose algorithms are implementation-defined.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n).
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  /// Uniform in [lo, hi].
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  uint64_t state_;
};

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20;

/// Builds frames and adds them to a Capture. MAC addresses come from a resolver so that the
/// layer-2 picture is consistent (home hosts have their own MAC, everything else is behind the
/// router MAC). IP IDs are per-source counters.
class PacketFactory {
 public:
  using MacResolver = std::function<std::string(uint32_t ip)>;
  PacketFactory(Capture& cap, MacResolver mac) : cap_(cap), mac_(std::move(mac)) {}

  struct Tcp {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t flags;
    uint32_t seq = 0, ack = 0;
    uint16_t window = 16384;
    uint8_t ttl = 64;
    bool df = true;
  };
  void AddTcp(uint64_t ts_us, const Tcp& t, const Bytes& payload = {}, const std::string& label = "");
  void AddUdp(uint64_t ts_us, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
              const Bytes& payload, uint8_t ttl = 64, const std::string& label = "");
  /// ICMP echo request (type 8) or reply (type 0) with `data` after the 8-byte header.
  /// Returns the IPv4 bytes of the frame (for quoting in a time-exceeded message).
  Bytes AddEcho(uint64_t ts_us, uint32_t src, uint32_t dst, bool request, uint16_t id,
                uint16_t seq, const Bytes& data, uint8_t ttl, const std::string& label = "");
  /// ICMP time exceeded (11/0) quoting the first 28 bytes of `quoted_ip` (RFC 792).
  void AddTimeExceeded(uint64_t ts_us, uint32_t router, uint32_t dst, const Bytes& quoted_ip,
                       uint8_t ttl);
  /// Sets the next IP ID used for `src`.
  void SetIpId(uint32_t src, uint16_t id) { ip_ids_[src] = id; }

 private:
  Tins::EthernetII Eth(uint32_t src, uint32_t dst);
  Tins::IP Ip(uint32_t src, uint32_t dst, uint8_t ttl, bool df);

  Capture& cap_;
  MacResolver mac_;
  std::map<uint32_t, uint16_t> ip_ids_;
};

/// NetBIOS first-level name encoding (RFC 1002 4.1): 16 bytes (padded with `pad`, last byte
/// `suffix`) into 32 letters, with the length byte and the terminating root label.
Bytes NetbiosName(const std::string& name, uint8_t suffix, uint8_t pad = ' ');
/// NBNS node status (NBSTAT, type 0x21) query for "*" (RFC 1002 4.2.17).
Bytes NbnsNbstatQuery(uint16_t id);
/// NBSTAT response listing `names` (each 15 chars max, suffix 0x00) and the adapter `mac`.
Bytes NbnsNbstatResponse(uint16_t id, const std::vector<std::string>& names, const Bytes& mac);
/// NBNS name registration (opcode 5, broadcast) for `name` at `ip` (RFC 1002 4.2.2).
Bytes NbnsRegistration(uint16_t id, const std::string& name, uint32_t ip);
/// NBSS session message (RFC 1002 4.3.6) carrying an SMB1 request `command` (0x71 Tree
/// Disconnect: WCT 0; 0x2b Echo: WCT 1, echo count 1, one data byte).
Bytes NbssSmb1Request(uint8_t command, uint16_t tid, uint16_t pid, uint16_t uid, uint16_t mid);
/// DNS A query / response for `qname` (RFC 1035 4.1).
Bytes DnsQuery(uint16_t id, const std::string& qname);
Bytes DnsResponse(uint16_t id, const std::string& qname, uint32_t addr);
Bytes Str(const std::string& s);

}  // namespace tapwatch::tools
