// A minimal subscriber for the pipeline benchmark: counts flow and stats records until the
// sensor's final stats record arrives, so the sensor's publish cost is measured with a real
// consumer on the other end of the socket. A "batch.flow" message is counted by walking its
// length-delimited entries (no parse: a consumer's cost is not what is measured).
#include <zmq.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "tapwatch.pb.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: zmq_count_sub ENDPOINT\n");
    return 2;
  }
  void* ctx = zmq_ctx_new();
  void* sub = zmq_socket(ctx, ZMQ_SUB);
  const int zero = 0;
  zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof(zero));
  // The benchmark starts this subscriber before the sensor binds: retry every 5 ms rather than
  // libzmq's default 100, so the sensor's timed run does not wait out a reconnect interval.
  const int reconnect_ms = 5;
  zmq_setsockopt(sub, ZMQ_RECONNECT_IVL, &reconnect_ms, sizeof(reconnect_ms));
  zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "flow", 4);
  zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "stats", 5);
  zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "batch.flow", 10);
  zmq_connect(sub, argv[1]);
  unsigned long long flows = 0, stats = 0;
  zmq_msg_t topic, body;
  zmq_msg_init(&topic);
  zmq_msg_init(&body);
  tapwatch::proto::Envelope env;
  for (;;) {
    if (zmq_msg_recv(&topic, sub, 0) < 0) break;
    if (zmq_msg_recv(&body, sub, 0) < 0) break;
    if (zmq_msg_size(&topic) == 4) {
      ++flows;
      continue;
    }
    if (zmq_msg_size(&topic) == 10) {  // batch.flow: tag, varint length, envelope; repeated
      const auto* p = static_cast<const unsigned char*>(zmq_msg_data(&body));
      const auto* end = p + zmq_msg_size(&body);
      while (p < end && *p == 0x0A) {
        ++p;
        unsigned long long len = 0;
        for (int shift = 0; p < end && shift < 64; shift += 7) {
          const unsigned char b = *p++;
          len |= static_cast<unsigned long long>(b & 0x7F) << shift;
          if ((b & 0x80) == 0) break;
        }
        if (len > static_cast<unsigned long long>(end - p)) break;
        p += len;
        ++flows;
      }
      continue;
    }
    ++stats;
    env.ParseFromArray(zmq_msg_data(&body), static_cast<int>(zmq_msg_size(&body)));
    if (env.has_stats() && env.stats().final()) break;
  }
  std::printf("received %llu flow records, %llu stats records\n", flows, stats);
  zmq_close(sub);
  zmq_ctx_term(ctx);
  return 0;
}
