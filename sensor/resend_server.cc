#include "sensor/resend_server.h"

#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "tapwatch.pb.h"

namespace tapwatch::sensor {
namespace {

// One answer holds at most this many records: a collector asks in chunks (and is told which
// part was answered), so a huge or forged range never makes us copy the whole buffer at once.
constexpr uint64_t kMaxRecordsPerAnswer = 1 << 18;
constexpr int kPollMs = 100;

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool SendFrames(void* socket, const void* identity, size_t identity_size, std::string_view topic,
                std::string_view body) {
  return zmq_send(socket, identity, identity_size, ZMQ_SNDMORE) >= 0 &&
         zmq_send(socket, topic.data(), topic.size(), ZMQ_SNDMORE) >= 0 &&
         zmq_send(socket, body.data(), body.size(), 0) >= 0;
}

}  // namespace

std::unique_ptr<ResendServer> ResendServer::Start(const std::string& endpoint,
                                                  const std::string& sensor_id,
                                                  uint64_t instance_id, ReplayBuffer& buffer,
                                                  std::string& error) {
  std::unique_ptr<ResendServer> s(new ResendServer(buffer));
  s->sensor_id_ = sensor_id;
  s->instance_id_ = instance_id;
  s->context_ = zmq_ctx_new();
  s->socket_ = zmq_socket(s->context_, ZMQ_ROUTER);
  const int one = 1;
  const int unlimited = 0;  // an answer is bounded (kMaxRecordsPerAnswer), and wanted whole
  const int linger_ms = 1000;
  // A peer that went away makes the send fail at once instead of queueing into nothing.
  zmq_setsockopt(s->socket_, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
  zmq_setsockopt(s->socket_, ZMQ_SNDHWM, &unlimited, sizeof(unlimited));
  zmq_setsockopt(s->socket_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
  if (zmq_bind(s->socket_, endpoint.c_str()) != 0) {
    error = "--resend " + endpoint + ": cannot bind: " + zmq_strerror(zmq_errno());
    zmq_close(s->socket_);
    s->socket_ = nullptr;
    return nullptr;
  }
  char bound[256] = {};
  size_t bound_size = sizeof(bound);
  if (zmq_getsockopt(s->socket_, ZMQ_LAST_ENDPOINT, bound, &bound_size) == 0) {
    s->endpoint_ = bound;
  } else {
    s->endpoint_ = endpoint;
  }
  s->last_request_ns_ = SteadyNowNs();
  // The socket is handed to the thread here and never touched by this one again.
  s->thread_ = std::thread([server = s.get()] { server->Serve(); });
  return s;
}

ResendServer::~ResendServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (socket_ != nullptr) zmq_close(socket_);
  if (context_ != nullptr) zmq_ctx_term(context_);
}

void ResendServer::Linger(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) {
  const int64_t start = SteadyNowNs();
  const int64_t quiet_ns = std::chrono::nanoseconds(quiet).count();
  const int64_t limit_ns = std::chrono::nanoseconds(limit).count();
  // Quiet counts from the end of input, or from the last request if later.
  last_request_ns_ = std::max<int64_t>(last_request_ns_.load(), start);
  while (true) {
    const int64_t now = SteadyNowNs();
    if (now - start >= limit_ns || now - last_request_ns_.load() >= quiet_ns) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void ResendServer::Serve() {
  std::string request;
  while (!stop_.load()) {
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, kPollMs) <= 0) continue;
    // ROUTER: the peer's identity frame, then its frames; the request is the last one.
    zmq_msg_t identity;
    zmq_msg_init(&identity);
    if (zmq_msg_recv(&identity, socket_, ZMQ_DONTWAIT) < 0) {
      zmq_msg_close(&identity);
      continue;
    }
    bool more = zmq_msg_more(&identity);
    request.clear();
    while (more) {
      zmq_msg_t frame;
      zmq_msg_init(&frame);
      if (zmq_msg_recv(&frame, socket_, 0) < 0) {
        zmq_msg_close(&frame);
        break;
      }
      request.assign(static_cast<const char*>(zmq_msg_data(&frame)), zmq_msg_size(&frame));
      more = zmq_msg_more(&frame);
      zmq_msg_close(&frame);
    }
    last_request_ns_ = SteadyNowNs();
    Answer(zmq_msg_data(&identity), zmq_msg_size(&identity), request);
    last_request_ns_ = SteadyNowNs();
    zmq_msg_close(&identity);
  }
}

void ResendServer::Answer(const void* identity, size_t identity_size,
                          const std::string& request_bytes) {
  proto::ResendRequest request;
  // A request that does not parse, or names a range backwards, gets no answer: nothing in it
  // can be trusted, not even where to send.
  if (!request.ParseFromString(request_bytes) || request.first_seq() == 0 ||
      request.last_seq() < request.first_seq()) {
    return;
  }
  proto::ResendDone done;
  done.set_sensor_id(sensor_id_);
  done.set_instance_id(instance_id_);
  done.set_first_seq(request.first_seq());
  // A collector that restarted asks for everything after what it stored: up to the newest.
  const uint64_t newest = buffer_.newest_seq();
  done.set_newest_seq(newest);
  uint64_t last = std::min(request.last_seq(), request.first_seq() + kMaxRecordsPerAnswer - 1);
  if (newest >= request.first_seq()) last = std::min(last, newest);
  done.set_last_seq(last);
  std::vector<KeptMessage> messages;
  if (request.sensor_id() != sensor_id_ || request.instance_id() != instance_id_) {
    // Another process's records (this sensor restarted): none of them is here.
    done.set_unavailable(last - request.first_seq() + 1);
  } else {
    done.set_unavailable(buffer_.Collect(request.first_seq(), last, messages));
  }
  uint64_t sent = 0;
  for (const KeptMessage& m : messages) {
    if (!SendFrames(socket_, identity, identity_size, m.topic, m.body)) return;  // peer gone
    sent += m.last_seq - m.first_seq + 1;
  }
  done.set_sent(sent);
  SendFrames(socket_, identity, identity_size, kResendDoneTopic, done.SerializeAsString());
}

}  // namespace tapwatch::sensor
