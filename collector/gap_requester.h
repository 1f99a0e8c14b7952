#pragma once
// Asks sensors again for the records the collector missed. The writer thread finds the gaps
// (SequenceTracker::TakeWanted: new holes, and after a collector restart what each sensor
// instance still owes the store) and Post()s them; the receiving thread learns each instance's
// resend endpoint from the stream (Envelope / EnvelopeBatch resend_endpoint) and calls Pump(),
// which sends ResendRequests on a ZeroMQ DEALER per endpoint, in chunks, one outstanding per
// instance, and hands the answers over: records as stream messages (stored like any other, once:
// the tracker knows which seqs are stored), and the part of a range the sensor no longer held as
// lost for good. A range of a sensor that announces no endpoint is not asked for: it stays lost.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/sequence_tracker.h"

namespace tapwatch::collector {

class GapRequester {
 public:
  /// Records per request (the sensor answers a request in one go; this bounds its memory and
  /// ours, and lets other instances' requests take turns).
  static constexpr uint64_t kChunkRecords = 32768;
  /// A request not answered in this time is dropped: its records stay counted as lost (and a
  /// later collector run asks again if the sensor is still there).
  static constexpr std::chrono::seconds kAnswerTimeout{10};
  /// Endpoints followed at most (each is one socket; the stream names them, so it is bounded).
  static constexpr size_t kMaxEndpoints = 256;

  /// An answered record message: its topic ("batch.flow", "flow", "stats") and body.
  using MessageHandler = std::function<void(std::string_view topic, std::string_view body)>;
  /// A range the sensor said had left its buffer.
  using LostHandler =
      std::function<void(const std::string& sensor_id, uint64_t instance_key, SeqRange range)>;

  GapRequester();
  ~GapRequester();
  GapRequester(const GapRequester&) = delete;
  GapRequester& operator=(const GapRequester&) = delete;

  /// Receiving thread: where an instance answers (empty: nowhere).
  void NoteEndpoint(std::string_view sensor_id, uint64_t instance_key, std::string_view endpoint);

  /// Any thread: ranges to ask for.
  void Post(std::vector<WantedRange> ranges);

  /// Receiving thread: sends what is due, takes every answer already arrived, drops requests
  /// that timed out.
  void Pump(const MessageHandler& on_message, const LostHandler& on_lost);

  /// Nothing posted, queued or waiting for an answer.
  bool idle();

  uint64_t records_requested() const { return records_requested_; }
  uint64_t requests_timed_out() const { return requests_timed_out_; }
  uint64_t records_not_askable() const { return records_not_askable_; }

 private:
  using InstanceId = std::pair<std::string, uint64_t>;  // sensor_id, instance key
  struct Instance {
    std::string endpoint;
    std::deque<SeqRange> queue;  // chunks to ask for
    bool outstanding = false;
    SeqRange asked;
    uint64_t asked_through = 0;  // the highest seq asked for so far
    std::chrono::steady_clock::time_point asked_at;
  };

  void* Socket(const std::string& endpoint);
  void Receive(const std::string& endpoint, void* socket, const MessageHandler& on_message,
               const LostHandler& on_lost);

  void* context_ = nullptr;
  std::map<std::string, void*> sockets_;  // by endpoint
  std::map<InstanceId, Instance> instances_;
  // The last endpoint noted, to skip the map on every message of a run from one sensor.
  InstanceId last_noted_;
  std::string last_endpoint_;

  std::mutex posted_mutex_;
  std::vector<WantedRange> posted_;

  uint64_t records_requested_ = 0;
  uint64_t requests_timed_out_ = 0;
  uint64_t records_not_askable_ = 0;
};

}  // namespace tapwatch::collector
