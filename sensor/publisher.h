#pragma once
// Publishes records: ZeroMQ XPUB and/or JSON lines. Flow records go out in batches (topic
// "batch.flow", an EnvelopeBatch) or, with batch_records = 1, one per message (topic "flow", an
// Envelope); stats records always go one per message (topic "stats"). A flow record is encoded
// straight into a reused buffer (BeginFlow/EndFlow, the export path: no message object); JSON
// lines parse those bytes back into a message. The export path allocates nothing but the message
// buffer libzmq allocates per message. Every record gets the next per-sensor sequence number, so a subscriber
// can count exactly what it missed; with a ReplayBuffer (sensor --resend) every ZeroMQ message is
// also kept there, so a collector can ask for what it missed (sensor/resend_server.h).

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <zmq.h>

#include "curve/zap_authenticator.h"
#include "sensor/replay_buffer.h"
#include "sensor/wire_writer.h"
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
  // CURVE: encrypt the stream and admit only the collectors in DIR/authorized (see
  // curve/curve_keys.h); empty = plain ZeroMQ.
  std::string curve_keys_dir;
  // Random per process, in every envelope on ZeroMQ (Envelope.instance_id); 0 = none.
  uint64_t instance_id = 0;
  // With a replay buffer (not owned; nullptr = none) every message published on ZeroMQ is kept
  // there too, and the resend endpoint is announced in the stream.
  ReplayBuffer* replay = nullptr;
  std::string resend_endpoint;
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

  /// Starts the next flow record: writes its envelope's head (sensor id, seq) and returns the
  /// writer the FlowRecord's fields go into (see EncodeFlowRecord); EndFlow() finishes and sends
  /// (or batches) it. Nothing else may be written to the publisher in between.
  WireWriter& BeginFlow();
  void EndFlow();

  /// A record built as a message (tests, tools): fill the one NextFlow() returns (cleared, owned
  /// by the publisher), then SendFlow() serializes it through BeginFlow/EndFlow.
  proto::FlowRecord& NextFlow();
  void SendFlow();
  /// Stats records (rare) are messages: fill NextStats(), then SendStats().
  proto::StatsRecord& NextStats();
  void SendStats();

  /// Sends a partial batch that has waited longer than the batch delay (live capture calls this
  /// now and then, so a quiet link does not hold records back).
  void FlushIfDue();

  /// Sends the pending batch, flushes JSON lines and waits (bounded) for ZeroMQ to hand over
  /// what is queued.
  void Close();

  uint64_t sent() const { return sent_; }
  uint64_t send_drops() const { return send_drops_; }
  /// Subscribers whose CURVE key was not authorized (0 without --curve-keys).
  uint64_t curve_refused() const { return auth_ ? auth_->refused() : 0; }

 private:
  Publisher() = default;
  void Send(const char* topic, proto::Envelope& envelope);
  void WriteJsonLine(const google::protobuf::Message& envelope);
  void FlushBatch();
  /// Sends one ZeroMQ message (topic frame, then `msg`, which it takes over); false when the
  /// socket refused it.
  bool SendMessage(const char* topic, zmq_msg_t& msg);

  PublisherOptions options_;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  std::unique_ptr<curve::ZapAuthenticator> auth_;  // with CURVE: stopped before the context
  FILE* jsonl_ = nullptr;
  bool jsonl_is_stdout_ = false;
  // One envelope per record kind, each reused: switching the oneof of a single envelope between
  // flow and stats would free and reallocate the flow record (and all its strings) every time.
  // flow_envelope_ holds NextFlow()'s record, and the parsed flow record of a JSON line.
  proto::Envelope flow_envelope_;
  proto::Envelope stats_envelope_;
  std::string json_;
  // The pending batch: EnvelopeBatch wire bytes (field 1 entries), capacity kept across batches.
  WireWriter batch_;
  uint64_t batch_count_ = 0;
  // An unbatched flow envelope, before it is copied into its ZeroMQ message.
  WireWriter single_;
  // The flow record between BeginFlow and EndFlow: which writer, and its length marks.
  bool flow_batched_ = false;
  size_t envelope_mark_ = 0;
  size_t envelope_start_ = 0;
  size_t flow_mark_ = 0;
  int64_t batch_started_ns_ = 0;  // steady clock when the first pending record was added
  uint64_t seq_ = 0;
  uint64_t batch_first_seq_ = 0;  // seqs of the pending batch's first and last records
  uint64_t batch_last_seq_ = 0;
  uint64_t messages_ = 0;  // ZeroMQ messages sent
  uint64_t sent_ = 0;
  uint64_t send_drops_ = 0;
  int subscribers_ = 0;
};

}  // namespace tapwatch::sensor
