#include "collector/subscriber.h"

#include <cerrno>

#include "curve/curve_keys.h"

namespace tapwatch::collector {

RawMessage::RawMessage() {
  zmq_msg_init(&topic_);
  zmq_msg_init(&body_);
}

RawMessage::~RawMessage() {
  zmq_msg_close(&topic_);
  zmq_msg_close(&body_);
}

std::string_view RawMessage::topic() const {
  auto* m = const_cast<zmq_msg_t*>(&topic_);
  return {static_cast<const char*>(zmq_msg_data(m)), zmq_msg_size(m)};
}

std::string_view RawMessage::body() const {
  auto* m = const_cast<zmq_msg_t*>(&body_);
  return {static_cast<const char*>(zmq_msg_data(m)), zmq_msg_size(m)};
}

std::unique_ptr<Subscriber> Subscriber::Create(const std::vector<std::string>& endpoints,
                                               std::string& error,
                                               const std::string& curve_keys_dir) {
  std::unique_ptr<Subscriber> s(new Subscriber());
  s->context_ = zmq_ctx_new();
  if (s->context_ == nullptr) {
    error = std::string("zmq_ctx_new: ") + zmq_strerror(zmq_errno());
    return nullptr;
  }
  s->socket_ = zmq_socket(s->context_, ZMQ_SUB);
  if (s->socket_ == nullptr) {
    error = std::string("zmq_socket: ") + zmq_strerror(zmq_errno());
    return nullptr;
  }
  const int unlimited = 0;
  const int linger_ms = 0;
  // A large kernel buffer too, so a burst is absorbed even while our I/O thread is busy.
  const int rcvbuf_bytes = 4 << 20;
  zmq_setsockopt(s->socket_, ZMQ_RCVHWM, &unlimited, sizeof(unlimited));
  zmq_setsockopt(s->socket_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
  zmq_setsockopt(s->socket_, ZMQ_RCVBUF, &rcvbuf_bytes, sizeof(rcvbuf_bytes));
  zmq_setsockopt(s->socket_, ZMQ_SUBSCRIBE, "flow", 4);
  zmq_setsockopt(s->socket_, ZMQ_SUBSCRIBE, "stats", 5);
  zmq_setsockopt(s->socket_, ZMQ_SUBSCRIBE, "batch.flow", 10);
  if (!curve_keys_dir.empty()) {
    curve::ClientKeys keys;
    if (!curve::LoadClientKeys(curve_keys_dir, keys, error) ||
        !curve::ApplyClientKeys(s->socket_, keys, error)) {
      return nullptr;
    }
  }
  for (const std::string& endpoint : endpoints) {
    if (zmq_connect(s->socket_, endpoint.c_str()) != 0) {
      error = "--connect " + endpoint + ": invalid endpoint: " + zmq_strerror(zmq_errno());
      return nullptr;
    }
  }
  return s;
}

Subscriber::~Subscriber() {
  if (socket_ != nullptr) zmq_close(socket_);
  if (context_ != nullptr) zmq_ctx_term(context_);
}

std::string Subscriber::error() const { return zmq_strerror(zmq_errno()); }

Subscriber::Result Subscriber::Receive(int timeout_ms, RawMessage& message) {
  // Non-blocking first: under load the queue is never empty and polling would only add cost.
  int rc = zmq_msg_recv(&message.topic_, socket_, ZMQ_DONTWAIT);
  if (rc < 0) {
    if (zmq_errno() == EINTR) return Result::kInterrupted;
    if (zmq_errno() != EAGAIN) return Result::kError;
    if (timeout_ms <= 0) return Result::kTimeout;
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    rc = zmq_poll(&item, 1, timeout_ms);
    if (rc < 0) return zmq_errno() == EINTR ? Result::kInterrupted : Result::kError;
    if (rc == 0) return Result::kTimeout;
    rc = zmq_msg_recv(&message.topic_, socket_, ZMQ_DONTWAIT);
    if (rc < 0) {
      if (zmq_errno() == EINTR) return Result::kInterrupted;
      return zmq_errno() == EAGAIN ? Result::kTimeout : Result::kError;
    }
  }
  message.frames_ = 1;
  if (!zmq_msg_more(&message.topic_)) {
    // Single-frame message: make body() empty rather than a stale previous body.
    zmq_msg_close(&message.body_);
    zmq_msg_init(&message.body_);
    return Result::kMessage;
  }
  // The remaining frames of a multipart message are already here (ZeroMQ delivers atomically).
  do {
    rc = zmq_msg_recv(&message.body_, socket_, 0);
  } while (rc < 0 && zmq_errno() == EINTR);
  if (rc < 0) return Result::kError;
  message.frames_ = 2;
  bool more = zmq_msg_more(&message.body_);
  while (more) {
    // Extra frames: read and discard so the next Receive starts at a message boundary.
    zmq_msg_t scratch;
    zmq_msg_init(&scratch);
    do {
      rc = zmq_msg_recv(&scratch, socket_, 0);
    } while (rc < 0 && zmq_errno() == EINTR);
    ++message.frames_;
    more = rc >= 0 && zmq_msg_more(&scratch);
    zmq_msg_close(&scratch);
  }
  return Result::kMessage;
}

}  // namespace tapwatch::collector
