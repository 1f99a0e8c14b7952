// The replay buffer and the resend socket against planted messages: bodies are the seq range
// written out, so what comes back is checked against what was put in, byte for byte, and the
// unavailable prefix against the bound computed by hand.
#include "sensor/replay_buffer.h"

#include <gtest/gtest.h>
#include <zmq.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sensor/resend_server.h"
#include "tapwatch.pb.h"

namespace tapwatch::sensor {
namespace {

std::string Body(uint64_t first, uint64_t last, size_t pad = 0) {
  return std::to_string(first) + ".." + std::to_string(last) + std::string(pad, 'x');
}

// Messages of `per` records each, seqs 1 .. count * per.
void Fill(ReplayBuffer& b, uint64_t count, uint64_t per, size_t pad = 0) {
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t first = i * per + 1;
    const std::string body = Body(first, first + per - 1, pad);
    b.Add(first, first + per - 1, "batch.flow", body.data(), body.size());
  }
}

TEST(ReplayBuffer, MemoryKeepsTheLatestRecordsAndSaysWhatLeft) {
  std::string error;
  ReplayBufferOptions o;
  o.max_records = 250;
  auto b = ReplayBuffer::Create(o, error);
  ASSERT_TRUE(b) << error;
  Fill(*b, 100, 10);  // seqs 1..1000; the last 25 messages (751..1000) fit in 250 records
  EXPECT_EQ(b->oldest_seq(), 751u);
  std::vector<KeptMessage> out;
  EXPECT_EQ(b->Collect(700, 800, out), 51u);  // 700..750 have left
  ASSERT_EQ(out.size(), 5u);
  for (size_t i = 0; i < out.size(); ++i) {
    const uint64_t first = 751 + 10 * i;
    EXPECT_EQ(out[i].first_seq, first);
    EXPECT_EQ(out[i].topic, "batch.flow");
    EXPECT_EQ(out[i].body, Body(first, first + 9));
  }
  out.clear();
  // A range inside one message gives that whole message.
  EXPECT_EQ(b->Collect(995, 996, out), 0u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first_seq, 991u);
  EXPECT_EQ(b->counters().requested.load(), 103u);
  EXPECT_EQ(b->counters().unavailable.load(), 51u);
  EXPECT_EQ(b->counters().sent.load(), 60u);
}

TEST(ReplayBuffer, SpoolHoldsWhatLeavesMemoryUpToItsBound) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tw_spool_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string error;
  ReplayBufferOptions o;
  o.max_records = 64;
  o.spool_dir = dir.string();
  o.spool_max_bytes = 2 << 20;  // files of 1 MiB (the least), two of them at most
  {
    auto b = ReplayBuffer::Create(o, error);
    ASSERT_TRUE(b) << error;
    // 200 messages of 64 records and ~32 KiB: 6.4 MB, far more than memory and spool hold.
    Fill(*b, 200, 64, 32 << 10);
    const uint64_t oldest = b->oldest_seq();
    EXPECT_GT(oldest, 1u);
    EXPECT_EQ((oldest - 1) % 64, 0u);  // whole messages are dropped
    // Held: everything from `oldest` on: memory (one message of 64 records) and the spool,
    // never over its 2 MiB (64 messages) and at least the newest full file (32 messages).
    const uint64_t held_messages = (200 * 64 - oldest + 1) / 64;
    EXPECT_GE(held_messages, 1u + 32);
    EXPECT_LE(held_messages, 1u + 64);
    std::vector<KeptMessage> out;
    EXPECT_EQ(b->Collect(1, 200 * 64, out), oldest - 1);
    ASSERT_EQ(out.size(), held_messages);
    for (size_t i = 0; i < out.size(); ++i) {
      const uint64_t first = oldest + 64 * i;
      ASSERT_EQ(out[i].first_seq, first);
      ASSERT_EQ(out[i].body, Body(first, first + 63, 32 << 10)) << first;
    }
  }
  // The buffer removes its files when it goes.
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(ReplayBuffer, SpoolDirectoryMustExist) {
  std::string error;
  ReplayBufferOptions o;
  o.spool_dir = "/nonexistent/tapwatch-spool";
  EXPECT_FALSE(ReplayBuffer::Create(o, error));
  EXPECT_NE(error.find("--spool /nonexistent/tapwatch-spool"), std::string::npos) << error;
}

// A real DEALER asks a real ResendServer over TCP on loopback.
struct Answer {
  std::vector<std::pair<std::string, std::string>> messages;
  proto::ResendDone done;
};

Answer Ask(const std::string& endpoint, const proto::ResendRequest& request) {
  void* ctx = zmq_ctx_new();
  void* s = zmq_socket(ctx, ZMQ_DEALER);
  const int timeout_ms = 5000;
  zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
  EXPECT_EQ(zmq_connect(s, endpoint.c_str()), 0);
  const std::string bytes = request.SerializeAsString();
  zmq_send(s, bytes.data(), bytes.size(), 0);
  Answer a;
  while (true) {
    char topic[64];
    const int tn = zmq_recv(s, topic, sizeof(topic), 0);
    if (tn < 0) break;
    zmq_msg_t body;
    zmq_msg_init(&body);
    zmq_msg_recv(&body, s, 0);
    const std::string b(static_cast<const char*>(zmq_msg_data(&body)), zmq_msg_size(&body));
    zmq_msg_close(&body);
    const std::string t(topic, static_cast<size_t>(tn));
    if (t == kResendDoneTopic) {
      EXPECT_TRUE(a.done.ParseFromString(b));
      break;
    }
    a.messages.emplace_back(t, b);
  }
  zmq_close(s);
  zmq_ctx_term(ctx);
  return a;
}

TEST(ResendServer, AnswersARangeThenSaysWhatHadLeft) {
  std::string error;
  ReplayBufferOptions o;
  o.max_records = 100;
  auto b = ReplayBuffer::Create(o, error);
  ASSERT_TRUE(b);
  Fill(*b, 30, 10);  // 1..300, held 201..300
  auto server = ResendServer::Start("tcp://127.0.0.1:*", "s1", 77, *b, error);
  ASSERT_TRUE(server) << error;
  EXPECT_EQ(server->endpoint().rfind("tcp://127.0.0.1:", 0), 0u) << server->endpoint();

  proto::ResendRequest r;
  r.set_sensor_id("s1");
  r.set_instance_id(77);
  r.set_first_seq(191);
  r.set_last_seq(215);
  Answer a = Ask(server->endpoint(), r);
  EXPECT_EQ(a.done.first_seq(), 191u);
  EXPECT_EQ(a.done.last_seq(), 215u);
  EXPECT_EQ(a.done.unavailable(), 10u);  // 191..200
  EXPECT_EQ(a.done.sent(), 20u);         // 201..210, 211..220
  ASSERT_EQ(a.messages.size(), 2u);
  EXPECT_EQ(a.messages[0].second, Body(201, 210));
  EXPECT_EQ(a.messages[1].second, Body(211, 220));

  // Another process's records (the sensor restarted): none of them is here.
  r.set_instance_id(78);
  a = Ask(server->endpoint(), r);
  EXPECT_EQ(a.done.unavailable(), 25u);
  EXPECT_TRUE(a.messages.empty());
  EXPECT_EQ(b->counters().unavailable.load(), 10u);  // only requests for this instance count
}

}  // namespace
}  // namespace tapwatch::sensor
