#pragma once
// Test harness: drives the application decoders over a pcap without the sensor. Reads frames
// with libpcap, decodes them with DecodeFrame, keeps its own per-5-tuple map of AppState (the
// first packet's sender is the initiator; a SYN without ACK overrides that), and attributes ICMP
// errors to the flow they quote. ICMP echo flows are keyed by the echo identifier (as the flow
// table does), other ICMP by addresses only. Flows never end, so each keeps its pooled detail and
// first-bytes chunk until the harness goes.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "decoders/app_state.h"

namespace tapwatch::apptest {

/// Canonical flow key as text: "proto lowaddr:port highaddr:port" (independent of direction).
std::string CanonicalKey(uint8_t proto, const std::string& a, uint32_t pa, const std::string& b,
                         uint32_t pb);

struct TestFlow {
  decoders::AppState state;
  uint64_t packets = 0;
};

/// Shared root of the real captures: $TAPWATCH_SHARED or <repo>/../shared.
std::string SharedDir();

/// True when the test must fail instead of skipping on missing data (env CI=true).
bool InCi();

class PcapFlows {
 public:
  /// Chunks of the first-bytes pool: more flows than any test capture has (flows past it would
  /// keep no first bytes, as in the sensor when the pool is empty). Reserved, touched as used.
  static constexpr uint32_t kFirstBytesFlows = 1 << 16;

  explicit PcapFlows(uint16_t first_bytes = 64, uint32_t pool_slots = 8192);
  /// Processes every frame of `path`; false (with `error`) if the file cannot be read.
  bool Run(const std::string& path, std::string& error);

  std::map<std::string, TestFlow>& flows() { return flows_; }
  /// What UpdateAppState and FillAppRecord need for any of the flows.
  decoders::AppScratch Scratch();
  decoders::AppDetailPool& pool() { return *pool_; }
  const decoders::PayloadSignatureTable& signatures() const { return signatures_; }
  const decoders::IcmpFingerprintTable& icmp_fingerprints() const { return icmp_; }
  uint64_t frames() const { return frames_; }
  /// Anomalies flagged by DecodeFrame and by the application decoders.
  uint64_t anomalies() const { return anomalies_; }

 private:
  decoders::AppConfig config_;
  std::unique_ptr<decoders::AppDetailPool> pool_;
  decoders::FirstBytesPool first_bytes_;
  decoders::PayloadSignatureTable signatures_;
  decoders::IcmpFingerprintTable icmp_;
  std::map<std::string, TestFlow> flows_;
  std::map<std::string, std::string> initiator_;  // key -> "addr:port" of the initiator
  uint64_t frames_ = 0;
  uint64_t anomalies_ = 0;
};

/// "a.b.c.d" or IPv6 text.
std::string AddrText(const decoders::IpAddress& a);

}  // namespace tapwatch::apptest
