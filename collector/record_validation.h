#pragma once
// What the collector refuses to store. A record that parses is not yet a record a sensor could
// have sent: a publisher that is not a tapwatch sensor (or a damaged one) can put port 70000,
// protocol 4294967295, "not-an-ip" or a megabyte of sensor id into well-formed Protobuf. Every
// record is checked against what a sensor can produce before it is stored; a rejected record is
// counted under exactly one reason (the first check it fails) and never stored.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tapwatch.pb.h"

namespace tapwatch::collector {

/// Why a record was not stored. Names (RejectReasonName) appear in the ingest summary and in the
/// store's `rejected_records` table; docs/fields.md lists them.
enum class RejectReason : uint8_t {
  kSensorId,       // sensor id longer than kMaxSensorIdBytes
  kAddress,        // src/dst address not an IPv4 or IPv6 address, or of different families
  kPort,           // a port above 65535
  kIpProto,        // ip_proto above 255
  kVlan,           // a VLAN id above 4095
  kOctetField,     // TCP flags, TTLs, ICMP type or code above 255
  kCounter,        // a 64-bit count or sequence number above 2^63-1 (the store's integers)
  kTextLength,     // a string or bytes field longer than its limit, or a list longer than its limit
  kTimeOrder,      // end before start (flow or stats interval)
  kFutureTime,     // a time more than kMaxFutureNs after the collector received the record
  kCount,          // number of reasons, not a reason
};

inline constexpr size_t kRejectReasonCount = static_cast<size_t>(RejectReason::kCount);

/// Limits (docs/fields.md, "What the collector stores").
inline constexpr size_t kMaxSensorIdBytes = 255;
inline constexpr size_t kMaxAddressBytes = 45;      // INET6_ADDRSTRLEN - 1
inline constexpr size_t kMaxMacBytes = 17;          // aa:bb:cc:dd:ee:ff
inline constexpr size_t kMaxFirstBytes = 1024;      // tapwatch-sensor --first-bytes at most
inline constexpr size_t kMaxTextBytes = 8192;       // any other string (URI, names, labels)
inline constexpr size_t kMaxListEntries = 4096;     // entries of one list or map
inline constexpr uint64_t kMaxFutureNs = 86400ull * 1000000000ull;  // a day of clock skew

/// Messages: the largest body parsed (a larger one is counted and dropped unread), and the most
/// envelopes one batch message may hold (tapwatch-sensor --batch at most). A sensor's largest
/// batch, 4096 records with 1024 first bytes a side, stays under a quarter of the byte limit.
/// Not ZMQ_MAXMSGSIZE: libzmq takes a larger message as a protocol error and never reconnects
/// to that endpoint (session_base.cpp), so one rogue frame would cut a sensor off for good.
inline constexpr int64_t kMaxMessageBytes = 64 << 20;
inline constexpr size_t kMaxEnvelopesPerMessage = 4096;

/// The number of envelopes in an EnvelopeBatch body, counted on the wire without parsing (a
/// megabyte of empty envelopes parses into tens of megabytes of objects); nullopt when the body
/// is not a well-formed EnvelopeBatch at the top level.
std::optional<size_t> CountBatchEnvelopes(std::string_view body);

/// "port", "address", ... (stable: stored and parsed by tests).
const char* RejectReasonName(RejectReason reason);

/// Only the sensor id of `envelope` (the envelope's, else its body's): nullopt when it is fit to
/// key sequence accounting.
std::optional<RejectReason> CheckSensorId(std::string_view sensor_id);

/// Every check on `envelope` (sensor id included); `received_ns` is the collector's wall clock
/// when the record arrived. nullopt when the record may be stored.
std::optional<RejectReason> ValidateEnvelope(const proto::Envelope& envelope,
                                             uint64_t received_ns);

/// Rejected records by reason.
struct RejectCounts {
  std::array<uint64_t, kRejectReasonCount> by_reason{};

  void Add(RejectReason reason, uint64_t n = 1) { by_reason[static_cast<size_t>(reason)] += n; }
  uint64_t total() const;
};

}  // namespace tapwatch::collector
