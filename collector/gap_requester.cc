#include "collector/gap_requester.h"

#include <zmq.h>

#include <algorithm>

#include "tapwatch.pb.h"

namespace tapwatch::collector {
namespace {

// As the sensor's resend_server.h names it.
constexpr std::string_view kResendDoneTopic = "resend.done";

bool Acceptable(std::string_view endpoint) {
  return endpoint.starts_with("tcp://") || endpoint.starts_with("ipc://");
}

}  // namespace

GapRequester::GapRequester() : context_(zmq_ctx_new()) {}

GapRequester::~GapRequester() {
  for (auto& [endpoint, socket] : sockets_) zmq_close(socket);
  if (context_ != nullptr) zmq_ctx_term(context_);
}

void GapRequester::NoteEndpoint(std::string_view sensor_id, uint64_t instance_key,
                                std::string_view endpoint) {
  if (endpoint.empty()) return;
  if (instance_key == last_noted_.second && sensor_id == last_noted_.first &&
      endpoint == last_endpoint_) {
    return;
  }
  last_noted_ = {std::string(sensor_id), instance_key};
  last_endpoint_.assign(endpoint);
  instances_[last_noted_].endpoint.assign(endpoint);
}

void GapRequester::Post(std::vector<WantedRange> ranges) {
  std::lock_guard lock(posted_mutex_);
  if (posted_.empty()) {
    posted_ = std::move(ranges);
  } else {
    for (WantedRange& r : ranges) posted_.push_back(std::move(r));
  }
}

bool GapRequester::idle() {
  {
    std::lock_guard lock(posted_mutex_);
    if (!posted_.empty()) return false;
  }
  return std::none_of(instances_.begin(), instances_.end(), [](const auto& entry) {
    return entry.second.outstanding || !entry.second.queue.empty();
  });
}

void* GapRequester::Socket(const std::string& endpoint) {
  auto it = sockets_.find(endpoint);
  if (it != sockets_.end()) return it->second;
  if (!Acceptable(endpoint) || sockets_.size() >= kMaxEndpoints) return nullptr;
  void* socket = zmq_socket(context_, ZMQ_DEALER);
  if (socket == nullptr) return nullptr;
  const int unlimited = 0;
  const int linger_ms = 0;
  zmq_setsockopt(socket, ZMQ_RCVHWM, &unlimited, sizeof(unlimited));
  zmq_setsockopt(socket, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
  if (zmq_connect(socket, endpoint.c_str()) != 0) {
    zmq_close(socket);
    return nullptr;
  }
  sockets_.emplace(endpoint, socket);
  return socket;
}

void GapRequester::Pump(const MessageHandler& on_message, const LostHandler& on_lost) {
  std::vector<WantedRange> posted;
  {
    std::lock_guard lock(posted_mutex_);
    posted.swap(posted_);
  }
  for (WantedRange& w : posted) {
    auto it = instances_.find(InstanceId(w.sensor_id, w.instance_id));
    if (it == instances_.end() || it->second.endpoint.empty()) {
      records_not_askable_ += w.range.size();
      continue;
    }
    // A range asked for already (a restarted collector asks for everything after its last
    // seq, and then sees the same stretch as a gap in the stream) is not asked for twice.
    Instance& instance = it->second;
    if (w.range.last <= instance.asked_through) continue;
    const uint64_t first = std::max(w.range.first, instance.asked_through + 1);
    if (!instance.queue.empty() && instance.queue.back().last >= first) {
      instance.queue.back().last = std::max(instance.queue.back().last, w.range.last);
    } else {
      instance.queue.push_back({first, w.range.last});
    }
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto& [id, instance] : instances_) {
    if (instance.outstanding && now - instance.asked_at >= kAnswerTimeout) {
      // The sensor is gone (or cannot keep up): what is queued for it would time out too.
      instance.outstanding = false;
      ++requests_timed_out_;
      for (const SeqRange& r : instance.queue) records_not_askable_ += r.size();
      instance.queue.clear();
    }
    if (instance.outstanding || instance.queue.empty()) continue;
    void* socket = Socket(instance.endpoint);
    if (socket == nullptr) {
      for (const SeqRange& r : instance.queue) records_not_askable_ += r.size();
      instance.queue.clear();
      continue;
    }
    proto::ResendRequest request;
    request.set_sensor_id(id.first);
    request.set_instance_id(id.second);
    // In chunks, taken off the front range as they are asked for.
    SeqRange& front = instance.queue.front();
    const SeqRange chunk{front.first, front.first + std::min(front.last - front.first,
                                                             kChunkRecords - 1)};
    request.set_first_seq(chunk.first);
    request.set_last_seq(chunk.last);
    const std::string bytes = request.SerializeAsString();
    // DEALER: a request waits in the socket until the connection is up.
    if (zmq_send(socket, bytes.data(), bytes.size(), ZMQ_DONTWAIT) < 0) continue;
    instance.asked = chunk;
    instance.asked_through = std::max(instance.asked_through, chunk.last);
    if (chunk.last == front.last) {
      instance.queue.pop_front();
    } else {
      front.first = chunk.last + 1;
    }
    instance.outstanding = true;
    instance.asked_at = now;
    records_requested_ += instance.asked.size();
  }
  for (auto& [endpoint, socket] : sockets_) Receive(endpoint, socket, on_message, on_lost);
}

void GapRequester::Receive(const std::string& endpoint, void* socket,
                           const MessageHandler& on_message,
                           const LostHandler& on_lost) {
  zmq_msg_t topic;
  zmq_msg_t body;
  zmq_msg_init(&topic);
  zmq_msg_init(&body);
  while (zmq_msg_recv(&topic, socket, ZMQ_DONTWAIT) >= 0) {
    if (!zmq_msg_more(&topic) || zmq_msg_recv(&body, socket, 0) < 0) continue;
    // Extra frames: not ours to read; skipped so the next message starts at its topic.
    bool more = zmq_msg_more(&body);
    while (more) {
      zmq_msg_t extra;
      zmq_msg_init(&extra);
      more = zmq_msg_recv(&extra, socket, 0) >= 0 && zmq_msg_more(&extra);
      zmq_msg_close(&extra);
    }
    const std::string_view t(static_cast<const char*>(zmq_msg_data(&topic)), zmq_msg_size(&topic));
    const std::string_view b(static_cast<const char*>(zmq_msg_data(&body)), zmq_msg_size(&body));
    if (t != kResendDoneTopic) {
      on_message(t, b);
      continue;
    }
    proto::ResendDone done;
    if (!done.ParseFromArray(b.data(), static_cast<int>(b.size()))) continue;
    // The answer to the instance's outstanding request (one at a time per instance).
    for (auto& [id, instance] : instances_) {
      if (!instance.outstanding || instance.endpoint != endpoint ||
          id.first != done.sensor_id() || instance.asked.first != done.first_seq()) {
        continue;
      }
      instance.outstanding = false;
      const uint64_t unavailable = std::min(done.unavailable(), instance.asked.size());
      if (unavailable > 0) {
        on_lost(id.first, id.second,
                {instance.asked.first, instance.asked.first + unavailable - 1});
      }
      // Nothing past the sensor's newest seq exists yet (it comes on the stream): a range
      // open at the end (a restarted collector's) stops there.
      const uint64_t newest = done.newest_seq();
      while (!instance.queue.empty() && instance.queue.back().first > newest) {
        instance.queue.pop_back();
      }
      if (!instance.queue.empty() && instance.queue.back().last > newest) {
        instance.queue.back().last = newest;
      }
      // A sensor answers at most part of a large range: the rest goes back in front.
      if (done.last_seq() >= instance.asked.first && done.last_seq() < instance.asked.last &&
          done.last_seq() < newest) {
        instance.queue.push_front({done.last_seq() + 1, std::min(instance.asked.last, newest)});
      }
      break;
    }
  }
  zmq_msg_close(&topic);
  zmq_msg_close(&body);
}

}  // namespace tapwatch::collector
