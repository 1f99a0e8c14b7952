#pragma once
// The sensor's resend socket (--resend ENDPOINT): a ZeroMQ ROUTER, served by its own thread,
// that answers a collector's ResendRequest (proto/tapwatch.proto) with the messages the
// ReplayBuffer still holds for the range, then a "resend.done" ResendDone saying how much of
// the range had left the buffer.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "sensor/replay_buffer.h"

namespace tapwatch::sensor {

/// Topic of the message that closes an answer.
inline constexpr char kResendDoneTopic[] = "resend.done";

class ResendServer {
 public:
  /// Binds `endpoint` and starts serving requests for (sensor_id, instance_id) from `buffer`
  /// (which must outlive the server). nullptr and a one-line `error` on failure.
  static std::unique_ptr<ResendServer> Start(const std::string& endpoint,
                                             const std::string& sensor_id, uint64_t instance_id,
                                             ReplayBuffer& buffer, std::string& error);
  /// Stops the thread and closes the socket.
  ~ResendServer();

  /// The endpoint as bound (a port given as * resolved), for the stream's resend_endpoint.
  const std::string& endpoint() const { return endpoint_; }

  /// At the end of input: keeps answering until no request came for `quiet`, at most `limit`
  /// (a collector asks for what it missed when it sees the last records).
  void Linger(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);

 private:
  ResendServer(ReplayBuffer& buffer) : buffer_(buffer) {}
  void Serve();
  void Answer(const void* identity, size_t identity_size, const std::string& request);

  ReplayBuffer& buffer_;
  std::string endpoint_;
  std::string sensor_id_;
  uint64_t instance_id_ = 0;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> last_request_ns_{0};  // steady clock
};

}  // namespace tapwatch::sensor
