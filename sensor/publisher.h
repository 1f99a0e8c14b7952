#pragma once
// Publishes records: ZeroMQ XPUB and/or JSON lines. Flow records go out in batches (topic
// "batch.flow", an EnvelopeBatch) or, with batch_records = 1, one per message (topic "flow", an
// Envelope); stats records always go one per message (topic "stats"). Envelopes are serialized
// straight into a reused buffer (unbatched: into the ZeroMQ message's own buffer); the record
// objects are reused, so the export path allocates nothing but the message buffer libzmq
// allocates per message. Every record gets the next per-sensor sequence number, so a subscriber
// can count exactly what it missed.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <zmq.h>

#include "tapwatch.pb.h"

namespace tapwatch::sensor {

struct PublisherOptions {
  std::string endpoint;    // empty = no ZeroMQ
  std::string jsonl_path;  // empty = no JSON lines; "-" = stdout
  std::string sensor_id;
  uint64_t sensor_start_ns = 0;
  // File replay: block when the subscriber is slow (nothing is lost). Live capture: never block,
  // count what the socket refused.
  bool lossless = true;
  // Flow records per ZeroMQ message (1 = unbatched, topic "flow").
  int batch_records = 1;
};

/// Topic of batched flow records; see EnvelopeBatch in tapwatch.proto.
inline constexpr char kBatchFlowTopic[] = "batch.flow";

class Publisher {
 public:
  /// Binds/opens everything; nullptr and `error` set (one line) on failure.
  static std::unique_ptr<Publisher> Create(const PublisherOptions& options, std::string& error);
  ~Publisher();

  /// Waits until `count` subscribers have subscriptions that receive flow records (topic
  /// "batch.flow", or "flow" unbatched; a prefix of it counts, "" too), at most `timeout_ms`.
  /// Returns the number seen. No-op (returns 0) without ZeroMQ.
  int WaitForSubscribers(int count, int timeout_ms);

  /// The record to fill in for the next Send*(): cleared, owned by the publisher.
  proto::FlowRecord& NextFlow();
  proto::StatsRecord& NextStats();
  void SendFlow();
  void SendStats();

  /// Sends a partial batch that has waited longer than the batch delay (live capture calls this
  /// now and then, so a quiet link does not hold records back).
  void FlushIfDue();

  /// Sends the pending batch, flushes JSON lines and waits (bounded) for ZeroMQ to hand over
  /// what is queued.
  void Close();

  uint64_t sent() const { return sent_; }
  uint64_t send_drops() const { return send_drops_; }

 private:
  Publisher() = default;
  void Send(const char* topic, proto::Envelope& envelope);
  void AppendToBatch(const proto::Envelope& envelope);
  void FlushBatch();
  /// Sends one ZeroMQ message (topic frame, then `msg`, which it takes over); false when the
  /// socket refused it.
  bool SendMessage(const char* topic, zmq_msg_t& msg);

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
  // The pending batch: EnvelopeBatch wire bytes (field 1 entries), capacity kept across batches.
  std::unique_ptr<uint8_t[]> batch_;
  size_t batch_capacity_ = 0;
  size_t batch_bytes_ = 0;
  uint64_t batch_count_ = 0;
  int64_t batch_started_ns_ = 0;  // steady clock when the first pending record was added
  uint64_t seq_ = 0;
  uint64_t messages_ = 0;  // ZeroMQ messages sent
  uint64_t sent_ = 0;
  uint64_t send_drops_ = 0;
  int subscribers_ = 0;
};

}  // namespace tapwatch::sensor
