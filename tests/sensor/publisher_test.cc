// The publisher: JSON lines in the Protobuf JSON mapping with proto field names, ZeroMQ frames
// (topic, then a serialized Envelope or EnvelopeBatch) received by a plain libzmq SUB socket,
// sequence numbers 1..n across record kinds and batches, bounded subscriber waits, one-line
// errors.

#include "sensor/publisher.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace tapwatch::sensor {
namespace {

std::string TempPath(const std::string& name) {
  return "/tmp/tw_pub_test_" + std::to_string(getpid()) + "_" + name;
}

TEST(Publisher, JsonLinesUseProtoNamesAndCountEveryRecordKind) {
  const std::string path = TempPath("out.jsonl");
  PublisherOptions o;
  o.jsonl_path = path;
  o.sensor_id = "s-json";
  o.sensor_start_ns = 123456789012345ull;
  std::string error;
  auto p = Publisher::Create(o, error);
  ASSERT_TRUE(p) << error;
  for (int i = 0; i < 5; ++i) {
    if (i % 2 == 0) {
      proto::FlowRecord& r = p->NextFlow();
      r.set_src_addr("192.0.2.1");
      r.set_src_port(1000 + i);
      r.set_src_pkts(18446744073709551615ull);  // uint64: a JSON string, exactly
    } else {
      proto::StatsRecord& s = p->NextStats();
      s.set_total_packets(i);
    }
    if (i % 2 == 0) {
      p->SendFlow();
    } else {
      p->SendStats();
    }
  }
  p->Close();
  EXPECT_EQ(p->sent(), 5u);
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  std::remove(path.c_str());
  ASSERT_EQ(lines.size(), 5u);
  for (size_t i = 0; i < lines.size(); ++i) {
    proto::Envelope e;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &e).ok()) << lines[i];
    EXPECT_EQ(e.seq(), i + 1);
    EXPECT_EQ(e.sensor_id(), "s-json");
    EXPECT_EQ(e.sensor_start_ns(), 123456789012345ull);
    EXPECT_EQ(e.has_flow(), i % 2 == 0);
    EXPECT_EQ(e.has_stats(), i % 2 == 1);
    // Proto field names, uint64 as strings (the mapping the tests and the collector rely on).
    EXPECT_NE(lines[i].find("\"sensor_id\":\"s-json\""), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("\"seq\":\"" + std::to_string(i + 1) + "\""), std::string::npos);
    if (i % 2 == 0) {
      EXPECT_NE(lines[i].find("\"src_addr\":\"192.0.2.1\""), std::string::npos) << lines[i];
      EXPECT_NE(lines[i].find("\"src_pkts\":\"18446744073709551615\""), std::string::npos);
      EXPECT_EQ(e.flow().src_pkts(), 18446744073709551615ull);
    }
  }
}

TEST(Publisher, JsonlPathErrorIsOneLineNamingTheFile) {
  PublisherOptions o;
  o.jsonl_path = "/nonexistent-dir-tw/x.jsonl";
  std::string error;
  EXPECT_FALSE(Publisher::Create(o, error));
  EXPECT_NE(error.find("/nonexistent-dir-tw/x.jsonl"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

class ZmqSub {
 public:
  ZmqSub(const std::string& endpoint, const std::string& topic) {
    ctx_ = zmq_ctx_new();
    sock_ = zmq_socket(ctx_, ZMQ_SUB);
    const int timeout_ms = 10000;
    zmq_setsockopt(sock_, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
    zmq_setsockopt(sock_, ZMQ_SUBSCRIBE, topic.data(), topic.size());
    zmq_connect(sock_, endpoint.c_str());
  }
  ~ZmqSub() {
    const int zero = 0;
    zmq_setsockopt(sock_, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_close(sock_);
    zmq_ctx_term(ctx_);
  }
  // One message: topic and body. False on timeout or a malformed message.
  bool Receive(std::string& topic, std::string& body) {
    zmq_msg_t part;
    std::vector<std::string> parts;
    int more = 1;
    while (more) {
      zmq_msg_init(&part);
      if (zmq_msg_recv(&part, sock_, 0) < 0) {
        zmq_msg_close(&part);
        return false;
      }
      parts.emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
      more = zmq_msg_more(&part);
      zmq_msg_close(&part);
    }
    if (parts.size() != 2) return false;
    topic = parts[0];
    body = parts[1];
    return true;
  }

 private:
  void* ctx_ = nullptr;
  void* sock_ = nullptr;
};

/// A publisher bound to `endpoint`, once the one subscriber connecting there is counted.
std::unique_ptr<Publisher> ConnectedPublisher(const std::string& endpoint, PublisherOptions o) {
  o.endpoint = endpoint;
  std::string error;
  auto p = Publisher::Create(o, error);
  EXPECT_TRUE(p) << error;
  if (p && p->WaitForSubscribers(1, 10000) != 1) {
    ADD_FAILURE() << "no subscriber on " << endpoint;
    return nullptr;
  }
  return p;
}

/// Records 0..n-1: a stats record (packets = i) at every i % stats_every == stats_every - 1,
/// else a flow record (flow_id = i + 1).
void SendMixed(Publisher& p, int n, int stats_every) {
  for (int i = 0; i < n; ++i) {
    if (i % stats_every == stats_every - 1) {
      p.NextStats().set_packets(i);
      p.SendStats();
    } else {
      p.NextFlow().set_flow_id(i + 1);
      p.SendFlow();
    }
  }
}

TEST(Publisher, ZeroMqFramesTopicsAndContiguousSequence) {
  const std::string endpoint = "ipc://" + TempPath("zmq.sock");
  PublisherOptions o;
  o.sensor_id = "s-zmq";
  o.sensor_start_ns = 42;
  ZmqSub sub(endpoint, "");
  auto p = ConnectedPublisher(endpoint, o);
  ASSERT_TRUE(p);
  constexpr int kRecords = 5000;
  SendMixed(*p, kRecords, 100);
  EXPECT_EQ(p->sent(), static_cast<uint64_t>(kRecords));
  EXPECT_EQ(p->send_drops(), 0u);
  for (int i = 0; i < kRecords; ++i) {
    std::string topic, body;
    ASSERT_TRUE(sub.Receive(topic, body)) << "record " << i + 1 << " of " << kRecords;
    proto::Envelope e;
    ASSERT_TRUE(e.ParseFromString(body));
    EXPECT_EQ(e.seq(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(e.sensor_id(), "s-zmq");
    EXPECT_EQ(e.sensor_start_ns(), 42u);
    if (i % 100 == 99) {
      EXPECT_EQ(topic, "stats");
      EXPECT_TRUE(e.has_stats());
      EXPECT_EQ(e.stats().packets(), static_cast<uint64_t>(i));
    } else {
      EXPECT_EQ(topic, "flow");
      EXPECT_TRUE(e.has_flow());
      EXPECT_EQ(e.flow().flow_id(), static_cast<uint64_t>(i + 1));
    }
  }
  p->Close();
  unlink(endpoint.substr(6).c_str());
}

// Unbatched, a "stats" subscriber is not counted and a "flow" one is; batched, a "flow"
// subscriber (which would receive nothing) is not counted and a "batch." prefix is.
TEST(Publisher, WaitForSubscribersIsBoundedAndCountsFlowSubscribersOnly) {
  struct Mode {
    int batch;
    const char* ignored;
    const char* counted;
  };
  for (const Mode& m : {Mode{1, "stats", "flow"}, Mode{64, "flow", "batch."}}) {
    const std::string endpoint = "ipc://" + TempPath("wait" + std::to_string(m.batch) + ".sock");
    PublisherOptions o;
    o.endpoint = endpoint;
    o.batch_records = m.batch;
    std::string error;
    auto p = Publisher::Create(o, error);
    ASSERT_TRUE(p) << error;
    ZmqSub ignored(endpoint, m.ignored);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(p->WaitForSubscribers(1, 400), 0) << m.batch;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t0)
                        .count();
    EXPECT_GE(ms, 350);
    EXPECT_LT(ms, 3000);
    ZmqSub counted(endpoint, m.counted);
    EXPECT_EQ(p->WaitForSubscribers(1, 10000), 1) << m.batch;
    p->Close();
    unlink(endpoint.substr(6).c_str());
  }
}

// Batched: flow records arrive as EnvelopeBatch messages of at most N envelopes, parsed here by
// protobuf itself; a stats record flushes the pending flows first, so seq is 1..n in arrival
// order across both topics; Close() sends the last partial batch.
TEST(Publisher, BatchesFlowsInSequenceOrderAndFlushesBeforeStatsAndAtClose) {
  const std::string endpoint = "ipc://" + TempPath("batch.sock");
  PublisherOptions o;
  o.sensor_id = "s-batch";
  o.batch_records = 10;
  ZmqSub sub(endpoint, "");
  auto p = ConnectedPublisher(endpoint, o);
  ASSERT_TRUE(p);
  constexpr int kRecords = 1000;  // stats at every 97th: partial batches before each
  SendMixed(*p, kRecords, 97);
  p->Close();
  EXPECT_EQ(p->sent(), static_cast<uint64_t>(kRecords));
  EXPECT_EQ(p->send_drops(), 0u);
  uint64_t next_seq = 1;
  int batches = 0, full_batches = 0;
  while (next_seq <= kRecords) {
    std::string topic, body;
    ASSERT_TRUE(sub.Receive(topic, body)) << "waiting for seq " << next_seq;
    if (topic == "stats") {
      proto::Envelope e;
      ASSERT_TRUE(e.ParseFromString(body));
      EXPECT_EQ(e.seq(), next_seq);
      EXPECT_EQ(e.seq() % 97, 0u);
      EXPECT_TRUE(e.has_stats());
      ++next_seq;
      continue;
    }
    ASSERT_EQ(topic, "batch.flow");
    proto::EnvelopeBatch batch;
    ASSERT_TRUE(batch.ParseFromString(body));
    ASSERT_GE(batch.envelopes_size(), 1);
    ASSERT_LE(batch.envelopes_size(), 10);
    ++batches;
    if (batch.envelopes_size() == 10) ++full_batches;
    for (const proto::Envelope& e : batch.envelopes()) {
      EXPECT_EQ(e.seq(), next_seq);
      EXPECT_EQ(e.sensor_id(), "s-batch");
      ASSERT_TRUE(e.has_flow());
      EXPECT_EQ(e.flow().flow_id(), next_seq);
      ++next_seq;
    }
  }
  // 10 stretches of 96 flows, each ended by a stats record: 9 full batches and a partial one of
  // 6 each; then 30 flows ended by Close(): 3 full batches.
  EXPECT_EQ(full_batches, 93);
  EXPECT_EQ(batches, 103);
  unlink(endpoint.substr(6).c_str());
}

TEST(Publisher, PartialBatchWaitsAtMostTheBatchDelay) {
  const std::string endpoint = "ipc://" + TempPath("bdelay.sock");
  PublisherOptions o;
  o.batch_records = 64;
  ZmqSub sub(endpoint, "batch.flow");
  auto p = ConnectedPublisher(endpoint, o);
  ASSERT_TRUE(p);
  for (int i = 0; i < 3; ++i) {
    p->NextFlow().set_flow_id(i + 1);
    p->SendFlow();
  }
  p->FlushIfDue();  // too young: nothing is sent
  EXPECT_EQ(p->sent(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  p->FlushIfDue();
  EXPECT_EQ(p->sent(), 3u);
  std::string topic, body;
  ASSERT_TRUE(sub.Receive(topic, body));
  proto::EnvelopeBatch batch;
  ASSERT_TRUE(batch.ParseFromString(body));
  EXPECT_EQ(batch.envelopes_size(), 3);
  p->Close();
  unlink(endpoint.substr(6).c_str());
}

TEST(Publisher, BindConflictIsOneLineNamingTheEndpoint) {
  // A free loopback port: bind to port 0, read it back, release it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  PublisherOptions o;
  o.endpoint = endpoint;
  std::string error;
  auto first = Publisher::Create(o, error);
  ASSERT_TRUE(first) << error;
  error.clear();
  EXPECT_FALSE(Publisher::Create(o, error));
  EXPECT_NE(error.find(endpoint), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
  // An endpoint that cannot be parsed fails the same way.
  o.endpoint = "tcp://999.0.0.1:5556";
  error.clear();
  EXPECT_FALSE(Publisher::Create(o, error));
  EXPECT_NE(error.find("tcp://999.0.0.1:5556"), std::string::npos) << error;
  first->Close();
}

TEST(Publisher, WithoutZeroMqWaitingReturnsAtOnce) {
  PublisherOptions o;
  o.jsonl_path = TempPath("nozmq.jsonl");
  std::string error;
  auto p = Publisher::Create(o, error);
  ASSERT_TRUE(p) << error;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(p->WaitForSubscribers(1, 5000), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  p->Close();
  std::remove(o.jsonl_path.c_str());
}

}  // namespace
}  // namespace tapwatch::sensor
