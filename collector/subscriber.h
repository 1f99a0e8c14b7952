#pragma once
// The collector's ZeroMQ side: one SUB socket connected to every sensor endpoint, subscribed to
// "flow" and "stats", with no receive high-water mark (a file replay must lose nothing: the
// sensor's XPUB blocks rather than drops, and our side never refuses).

#include <zmq.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::collector {

/// One received message: the topic frame and the Envelope bytes, owned until the next Receive.
class RawMessage {
 public:
  RawMessage();
  ~RawMessage();
  RawMessage(const RawMessage&) = delete;
  RawMessage& operator=(const RawMessage&) = delete;

  std::string_view topic() const;
  std::string_view body() const;
  /// Number of frames the message had; a well-formed one has exactly 2 (extra frames are dropped).
  int frames() const { return frames_; }

 private:
  friend class Subscriber;
  zmq_msg_t topic_;
  zmq_msg_t body_;
  int frames_ = 0;
};

class Subscriber {
 public:
  enum class Result { kMessage, kTimeout, kInterrupted, kError };

  /// Creates the socket and connects it to every endpoint (connect is asynchronous: a sensor
  /// may start later). nullptr and a one-line `error` naming the bad endpoint on failure.
  /// With `curve_keys_dir` (see curve/curve_keys.h) every connection is a CURVE client with
  /// DIR/collector.key, expecting the server key DIR/sensor.pub.
  static std::unique_ptr<Subscriber> Create(const std::vector<std::string>& endpoints,
                                            std::string& error,
                                            const std::string& curve_keys_dir = "");
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  /// Waits at most `timeout_ms` (0: only what is already queued) for one message.
  /// kInterrupted when a signal arrived while waiting.
  Result Receive(int timeout_ms, RawMessage& message);

  /// The last error as text (for kError).
  std::string error() const;

 private:
  Subscriber() = default;
  void* context_ = nullptr;
  void* socket_ = nullptr;
};

}  // namespace tapwatch::collector
