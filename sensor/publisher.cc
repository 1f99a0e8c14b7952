#include "sensor/publisher.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/json_util.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "sensor/wire_json.h"

namespace tapwatch::sensor {

std::unique_ptr<Publisher> Publisher::Create(const PublisherOptions& options, std::string& error) {
  std::unique_ptr<Publisher> p(new Publisher());
  p->options_ = options;
  for (proto::Envelope* e : {&p->flow_envelope_, &p->stats_envelope_}) {
    e->set_sensor_id(options.sensor_id);
    e->set_sensor_start_ns(options.sensor_start_ns);
    // Only on the stream, where two processes can meet: a JSON lines file is one process's.
    if (!options.endpoint.empty()) e->set_instance_id(options.instance_id);
    if (!options.endpoint.empty()) e->set_resend_endpoint(options.resend_endpoint);
  }
  p->flow_envelope_.mutable_flow();
  p->stats_envelope_.mutable_stats();
  if (!options.jsonl_path.empty()) {
    if (options.jsonl_path == "-") {
      p->jsonl_ = stdout;
      p->jsonl_is_stdout_ = true;
    } else {
      p->jsonl_ = std::fopen(options.jsonl_path.c_str(), "w");
      if (p->jsonl_ == nullptr) {
        error = "--jsonl " + options.jsonl_path + ": " + std::strerror(errno);
        return nullptr;
      }
    }
  }
  if (!options.endpoint.empty()) {
    p->context_ = zmq_ctx_new();
    p->socket_ = zmq_socket(p->context_, ZMQ_XPUB);
    // XPUB_VERBOSE: every subscription reaches us, so we can count subscribers.
    // XPUB_NODROP: at the high-water mark send fails (EAGAIN) instead of dropping silently;
    // file replay then blocks (lossless), live capture counts the drop.
    const int one = 1;
    // The high-water mark counts messages: about 200,000 records either way.
    const int hwm = std::max(1000, 200000 / std::max(1, options.batch_records));
    const int linger_ms = 30000;
    zmq_setsockopt(p->socket_, ZMQ_XPUB_VERBOSE, &one, sizeof(one));
    zmq_setsockopt(p->socket_, ZMQ_XPUB_NODROP, &one, sizeof(one));
    zmq_setsockopt(p->socket_, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(p->socket_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    if (!options.curve_keys_dir.empty()) {
      // The handler is bound before the server socket, so no client is ever admitted unasked.
      curve::ServerKeys keys;
      p->auth_ = std::make_unique<curve::ZapAuthenticator>();
      if (!curve::LoadServerKeys(options.curve_keys_dir, keys, error) ||
          !p->auth_->Start(p->context_, keys.authorized, error) ||
          !curve::ApplyServerKeys(p->socket_, keys.own, error)) {
        return nullptr;
      }
    }
    if (zmq_bind(p->socket_, options.endpoint.c_str()) != 0) {
      error = "--publish " + options.endpoint + ": cannot bind: " + zmq_strerror(zmq_errno());
      return nullptr;
    }
  }
  return p;
}

Publisher::~Publisher() { Close(); }

int Publisher::WaitForSubscribers(int count, int timeout_ms) {
  if (socket_ == nullptr || count <= 0) return subscribers_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (subscribers_ < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, static_cast<long>(left)) <= 0) continue;
    char buf[64];
    const int n = zmq_recv(socket_, buf, sizeof(buf), ZMQ_DONTWAIT);
    // A subscription message is 0x01 followed by the topic prefix; count a subscriber by its
    // subscription that receives flow records.
    if (n >= 1 && buf[0] == 1) {
      const std::string_view prefix(buf + 1, static_cast<size_t>(std::min(n, 64) - 1));
      const std::string_view flows =
          options_.batch_records > 1 ? std::string_view(kBatchFlowTopic) : "flow";
      if (flows.substr(0, prefix.size()) == prefix) ++subscribers_;
    }
  }
  return subscribers_;
}

proto::FlowRecord& Publisher::NextFlow() {
  // Clear() keeps the strings' buffers: the next record is assigned into them.
  proto::FlowRecord* r = flow_envelope_.mutable_flow();
  r->Clear();
  return *r;
}

proto::StatsRecord& Publisher::NextStats() {
  proto::StatsRecord* r = stats_envelope_.mutable_stats();
  r->Clear();
  return *r;
}

void Publisher::SendFlow() {
  const proto::FlowRecord& record = flow_envelope_.flow();
  const size_t size = record.ByteSizeLong();
  WireWriter& w = BeginFlow();
  record.SerializeWithCachedSizesToArray(w.Extend(size));
  EndFlow();
}

void Publisher::SendStats() {
  if (options_.replay != nullptr) {
    const ResendCounters& c = options_.replay->counters();
    proto::StatsRecord& st = *stats_envelope_.mutable_stats();
    st.set_resend_requested(c.requested.load());
    st.set_resend_sent(c.sent.load());
    st.set_resend_unavailable(c.unavailable.load());
  }
  Send("stats", stats_envelope_);
}

namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A partial batch waits at most this long (wall time) before FlushIfDue sends it.
constexpr int64_t kBatchDelayNs = 100'000'000;

// Field numbers from the generated code, as the flow record encoder takes them.
using Envelope = proto::Envelope;
using EnvelopeBatch = proto::EnvelopeBatch;

}  // namespace

WireWriter& Publisher::BeginFlow() {
  // Without a socket nothing accumulates: JSON lines (if any) take each envelope on its own.
  flow_batched_ = socket_ != nullptr && options_.batch_records > 1;
  WireWriter& w = flow_batched_ ? batch_ : single_;
  if (!flow_batched_) w.Clear();
  if (flow_batched_) envelope_mark_ = w.BeginNested(EnvelopeBatch::kEnvelopesFieldNumber);
  envelope_start_ = w.size();
  // Fields in number order, as libprotobuf writes them (the oneof's flow = 3 before 5).
  w.StringField(Envelope::kSensorIdFieldNumber, options_.sensor_id);
  w.VarintField(Envelope::kSeqFieldNumber, ++seq_);
  flow_mark_ = w.BeginNested(Envelope::kFlowFieldNumber);
  return w;
}

void Publisher::EndFlow() {
  WireWriter& w = flow_batched_ ? batch_ : single_;
  const size_t record_bytes = w.size() - (flow_mark_ + 2);
  w.EndNested(flow_mark_);
  const size_t record_offset = w.size() - record_bytes - envelope_start_;  // in the envelope
  w.VarintField(Envelope::kSensorStartNsFieldNumber, options_.sensor_start_ns);
  if (socket_ != nullptr) {
    w.VarintField(Envelope::kInstanceIdFieldNumber, options_.instance_id);
    // A batch announces the endpoint once, for all its envelopes (FlushBatch).
    if (!flow_batched_) {
      w.StringField(Envelope::kResendEndpointFieldNumber, options_.resend_endpoint);
    }
  }
  const size_t envelope_bytes = w.size() - envelope_start_;
  if (flow_batched_) w.EndNested(envelope_mark_);  // may move the envelope by a byte or two
  const uint8_t* envelope = w.data() + w.size() - envelope_bytes;
  if (jsonl_ != nullptr) {
    // Printed from the bytes just encoded (wire_json.h). What the walk leaves to protobuf
    // (non-ASCII text) goes through the record libprotobuf parses from them, parsed into the
    // kept record (not the whole envelope, whose Clear would free the record and its strings).
    json_.clear();
    const std::string_view bytes(reinterpret_cast<const char*>(envelope), envelope_bytes);
    if (AppendJsonFromWire(*proto::Envelope::descriptor(), bytes, json_)) {
      json_.push_back('\n');
      std::fwrite(json_.data(), 1, json_.size(), jsonl_);
    } else if (proto::FlowRecord* record = flow_envelope_.mutable_flow();
               record->ParseFromArray(envelope + record_offset, static_cast<int>(record_bytes))) {
      flow_envelope_.set_seq(seq_);
      WriteJsonLine(flow_envelope_);
    }
  }
  if (socket_ == nullptr) {
    ++sent_;
    return;
  }
  if (flow_batched_) {
    if (batch_count_++ == 0) {
      batch_started_ns_ = SteadyNowNs();
      batch_first_seq_ = seq_;
    }
    batch_last_seq_ = seq_;
    if (batch_count_ >= static_cast<uint64_t>(options_.batch_records)) FlushBatch();
    return;
  }
  zmq_msg_t msg;
  zmq_msg_init_size(&msg, envelope_bytes);
  std::memcpy(zmq_msg_data(&msg), envelope, envelope_bytes);
  // Kept before the send: a record the socket refuses can still be asked for.
  if (options_.replay != nullptr) {
    options_.replay->Add(seq_, seq_, "flow", envelope, envelope_bytes);
  }
  if (SendMessage("flow", msg)) {
    ++sent_;
  } else {
    ++send_drops_;
  }
}

void Publisher::WriteJsonLine(const google::protobuf::Message& envelope) {
  json_.clear();
  if (!AppendJson(envelope, json_)) {
    json_.clear();
    google::protobuf::util::JsonPrintOptions json_options;
    json_options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(envelope, &json_, json_options);
  }
  json_.push_back('\n');
  std::fwrite(json_.data(), 1, json_.size(), jsonl_);
}

void Publisher::Send(const char* topic, proto::Envelope& envelope) {
  envelope.set_seq(++seq_);
  if (jsonl_ != nullptr) WriteJsonLine(envelope);
  if (socket_ == nullptr) {
    ++sent_;
    return;
  }
  // A stats record never overtakes the flow records before it.
  FlushBatch();
  // Serialized once, straight into the message libzmq sends (zmq_send would copy a staging
  // buffer into a fresh message of its own).
  const size_t size = envelope.ByteSizeLong();
  zmq_msg_t msg;
  zmq_msg_init_size(&msg, size);
  SerializeDeterministic(envelope, size, zmq_msg_data(&msg));  // map entries in key order
  if (options_.replay != nullptr) {
    options_.replay->Add(seq_, seq_, topic, zmq_msg_data(&msg), size);
  }
  if (SendMessage(topic, msg)) {
    ++sent_;
  } else {
    ++send_drops_;
  }
}

void Publisher::FlushBatch() {
  if (batch_count_ == 0 || socket_ == nullptr) return;
  batch_.StringField(EnvelopeBatch::kResendEndpointFieldNumber, options_.resend_endpoint);
  if (options_.replay != nullptr) {
    options_.replay->Add(batch_first_seq_, batch_last_seq_, kBatchFlowTopic, batch_.data(),
                         batch_.size());
  }
  zmq_msg_t msg;
  zmq_msg_init_size(&msg, batch_.size());
  std::memcpy(zmq_msg_data(&msg), batch_.data(), batch_.size());
  if (SendMessage(kBatchFlowTopic, msg)) {
    sent_ += batch_count_;
  } else {
    send_drops_ += batch_count_;
  }
  batch_.Clear();
  batch_count_ = 0;
}

void Publisher::FlushIfDue() {
  if (batch_count_ > 0 && SteadyNowNs() - batch_started_ns_ >= kBatchDelayNs) FlushBatch();
}

bool Publisher::SendMessage(const char* topic, zmq_msg_t& msg) {
  const int flags = options_.lossless ? 0 : ZMQ_DONTWAIT;
  // With NODROP the first frame is the one refused at the high-water mark; once it is
  // accepted the second frame of the message always follows.
  int rc;
  do {
    rc = zmq_send(socket_, topic, std::strlen(topic), flags | ZMQ_SNDMORE);
  } while (rc < 0 && zmq_errno() == EINTR);
  if (rc >= 0) {
    do {
      rc = zmq_msg_send(&msg, socket_, flags);
    } while (rc < 0 && zmq_errno() == EINTR);
  }
  if (rc < 0) {
    zmq_msg_close(&msg);  // a refused message stays ours
    return false;
  }
  // Drain subscription messages now and then so the XPUB inbound queue never fills.
  if ((++messages_ & 1023) == 0) {
    char buf[64];
    while (zmq_recv(socket_, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0) {
    }
  }
  return true;
}

void Publisher::Close() {
  FlushBatch();
  if (jsonl_ != nullptr) {
    std::fflush(jsonl_);
    if (!jsonl_is_stdout_) std::fclose(jsonl_);
    jsonl_ = nullptr;
  }
  if (socket_ != nullptr) {
    zmq_close(socket_);  // blocks up to ZMQ_LINGER while queued messages are delivered
    socket_ = nullptr;
  }
  if (auth_) auth_->Stop();
  if (context_ != nullptr) {
    zmq_ctx_term(context_);
    context_ = nullptr;
  }
}

}  // namespace tapwatch::sensor
