#pragma once
// Publishes records: ZeroMQ XPUB (topics "flow" and "stats", then a serialized Envelope) and/or
// JSON lines. The Envelope is serialized straight into the ZeroMQ message's buffer (one copy,
// no staging string); the record objects are reused, so the export path allocates nothing but
// the message buffer libzmq itself allocates for every message longer than 33 bytes. Every record gets the next per-sensor sequence number, so a subscriber can count
// exactly what it missed.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "tapwatch.pb.h"

namespace google::protobuf {
class Message;
}

namespace tapwatch::sensor {

/// Appends `message` as protobuf's JSON mapping, byte for byte what
/// util::MessageToJsonString(message, preserve_proto_field_names) prints (fields in number order,
/// proto field names, 64-bit integers quoted, defaults omitted, bytes in base64, its escaping),
/// without its binary round trip. Handles the types tapwatch.proto uses (integers, bool, string,
/// bytes, messages, repeated, maps); returns false, leaving `out` as it was, for anything else or
/// for a string with a non-ASCII byte (whose escaping and UTF-8 checks stay protobuf's own).
bool AppendJson(const google::protobuf::Message& message, std::string& out);

struct PublisherOptions {
  std::string endpoint;    // empty = no ZeroMQ
  std::string jsonl_path;  // empty = no JSON lines; "-" = stdout
  std::string sensor_id;
  uint64_t sensor_start_ns = 0;
  // File replay: block when the subscriber is slow (nothing is lost). Live capture: never block,
  // count what the socket refused.
  bool lossless = true;
};

class Publisher {
 public:
  /// Binds/opens everything; nullptr and `error` set (one line) on failure.
  static std::unique_ptr<Publisher> Create(const PublisherOptions& options, std::string& error);
  ~Publisher();

  /// Waits until `count` subscribers have subscribed to the "flow" topic, at most
  /// `timeout_ms`. Returns the number seen. No-op (returns 0) without ZeroMQ.
  int WaitForSubscribers(int count, int timeout_ms);

  /// The record to fill in for the next Send*(): cleared, owned by the publisher.
  proto::FlowRecord& NextFlow();
  proto::StatsRecord& NextStats();
  void SendFlow();
  void SendStats();

  /// Flushes JSON lines and waits (bounded) for ZeroMQ to hand over what is queued.
  void Close();

  uint64_t sent() const { return sent_; }
  uint64_t send_drops() const { return send_drops_; }

 private:
  Publisher() = default;
  void Send(const char* topic, proto::Envelope& envelope);

  PublisherOptions options_;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  FILE* jsonl_ = nullptr;
  bool jsonl_is_stdout_ = false;
  // One envelope per record kind, each reused: switching the oneof of a single envelope between
  // flow and stats would free and reallocate the flow record (and all its strings) every time.
  proto::Envelope flow_envelope_;
  proto::Envelope stats_envelope_;
  std::string json_;
  uint64_t seq_ = 0;
  uint64_t sent_ = 0;
  uint64_t send_drops_ = 0;
  int subscribers_ = 0;
};

}  // namespace tapwatch::sensor
