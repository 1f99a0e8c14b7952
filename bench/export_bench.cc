// The export path alone, in records per second: the flows of a capture are collected first
// (decoder + flow table, not timed), then exported again and again:
//   encode     Publisher::BeginFlow + EncodeFlowRecord + EndFlow without output (before the
//              direct encoder this row was "build": NextFlow + BuildFlowRecord, no serializing);
//              encode/no-cid the same without the Community ID
//   publish    the same to a ZeroMQ subscriber thread (ipc), batches of 64; publish/1 unbatched
//   message    the message-object path, for the same-run comparison: each record's
//              proto::FlowRecord (built before timing, by BuildFlowRecord) is copied into the
//              envelope field by field, as a message-building exporter assigns it, serialized
//              by libprotobuf into a staging string, and sent with a copying zmq_send
// Application fields (EncodeAppRecord) are not part of this measurement.
// Usage: export_bench FILE [ROUNDS]
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "decoders/decode_frame.h"
#include "flowtable/flow_table.h"
#include "sensor/pcap_file_reader.h"
#include "sensor/publisher.h"
#include "sensor/flow_record_encoder.h"
#include "sensor/record_builder.h"

namespace {

using namespace tapwatch;

class Keep : public flowtable::ExportSink {
 public:
  void Export(const flowtable::Flow& flow, flowtable::EndReason why, bool) override {
    flows.push_back(flow);
    flows.back().app = decoders::AppState{};  // app details live in a pool not kept here
    reasons.push_back(why);
  }
  std::vector<flowtable::Flow> flows;
  std::vector<flowtable::EndReason> reasons;
};

double ThreadCpuS() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timer {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double cpu0 = ThreadCpuS();
  void Report(const char* name, size_t records) const {
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = ThreadCpuS() - cpu0;
    std::printf("%-8s %9zu records  %6.3f s wall  %6.3f s cpu  %10.0f records/s (cpu)\n", name,
                records, wall, cpu, static_cast<double>(records) / cpu);
  }
};

// Receives `expect` two-frame messages on `topic`.
void Subscriber(const std::string& endpoint, const char* topic, size_t expect,
                std::atomic<bool>* ready) {
  void* ctx = zmq_ctx_new();
  void* s = zmq_socket(ctx, ZMQ_SUB);
  const int zero = 0;
  zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof(zero));
  zmq_setsockopt(s, ZMQ_SUBSCRIBE, topic, std::strlen(topic));
  zmq_connect(s, endpoint.c_str());
  *ready = true;
  zmq_msg_t m;
  zmq_msg_init(&m);
  for (size_t i = 0; i < 2 * expect; ++i) {
    if (zmq_msg_recv(&m, s, 0) < 0) break;
  }
  zmq_msg_close(&m);
  zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
  zmq_close(s);
  zmq_ctx_term(ctx);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: export_bench FILE [ROUNDS]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  sensor::PcapFileReader reader;
  std::string error;
  if (!reader.OpenFile(argv[1], error)) {
    std::fprintf(stderr, "export_bench: %s: %s\n", argv[1], error.empty() ? "not pcap" : error.c_str());
    return 1;
  }
  flowtable::FlowTableConfig config;
  config.capacity_log2 = 19;
  flowtable::FlowTable table(config);
  Keep keep;
  sensor::RawPacket raw;
  const auto link = static_cast<decoders::LinkType>(reader.header().linktype);
  while (reader.Next(raw) == sensor::PcapFileReader::Result::kPacket) {
    decoders::DecodedPacket pkt;
    pkt.ts_ns = raw.ts_ns;
    pkt.wire_len = raw.wire_len;
    pkt.cap_len = raw.cap_len;
    if (decoders::DecodeFrame(link, std::span<const uint8_t>(raw.data, raw.cap_len), pkt) !=
        decoders::DecodeStatus::kOk) {
      continue;
    }
    table.Update(pkt, keep);
  }
  table.FlushAll(keep);
  const size_t n = keep.flows.size();
  std::printf("%zu flow records from %llu packets, %d rounds each\n", n,
              static_cast<unsigned long long>(reader.records()), rounds);
  const std::vector<std::string> labels{std::string()};
  const std::string sensor_id = "bench";
  // The sensor's export path (Pipeline::Export without app fields); without the Community ID
  // for the encode/no-cid row, which tells its cost.
  const auto Export = [&](size_t i, sensor::Publisher& p, bool community_id = true) {
    sensor::FlowRecordSource source;
    source.flow = &keep.flows[i];
    source.why = keep.reasons[i];
    source.sensor_id = sensor_id;
    source.labels = &labels;
    if (community_id) source.community_id_seed = 0;
    sensor::EncodeFlowRecord(source, p.BeginFlow());
    p.EndFlow();
  };

  for (const bool community_id : {false, true}) {
    sensor::PublisherOptions o;
    o.sensor_id = sensor_id;
    auto p = sensor::Publisher::Create(o, error);
    Timer t;
    for (int r = 0; r < rounds; ++r) {
      for (size_t i = 0; i < n; ++i) Export(i, *p, community_id);
    }
    t.Report(community_id ? "encode" : "encode/no-cid", n * rounds);
  }
  for (const int mode : {0, 1, 2}) {  // 0: publish (batched), 1: publish --batch 1, 2: message
    const bool message = mode == 2;
    const int batch = mode == 0 ? 64 : 1;
    const std::string endpoint =
        "ipc:///tmp/tw_export_bench_" + std::to_string(getpid()) + "_" + std::to_string(mode);
    std::atomic<bool> ready{false};
    std::thread sub;
    if (!message) {
      sensor::PublisherOptions o;
      o.sensor_id = sensor_id;
      o.endpoint = endpoint;
      o.batch_records = batch;
      auto p = sensor::Publisher::Create(o, error);
      if (!p) {
        std::fprintf(stderr, "export_bench: %s\n", error.c_str());
        return 1;
      }
      const size_t messages = (n * rounds + batch - 1) / batch;
      sub = std::thread(Subscriber, endpoint, batch > 1 ? sensor::kBatchFlowTopic : "flow",
                        messages, &ready);
      p->WaitForSubscribers(1, 10000);
      Timer t;
      for (int r = 0; r < rounds; ++r) {
        for (size_t i = 0; i < n; ++i) Export(i, *p);
      }
      p->Close();  // sends the last partial batch
      t.Report(batch > 1 ? "publish" : "publish/1", n * rounds);
      sub.join();
    } else {
      // One envelope, staging string, copying zmq_send.
      std::vector<proto::FlowRecord> records(n);
      for (size_t i = 0; i < n; ++i) {
        sensor::BuildFlowRecord(keep.flows[i], keep.reasons[i], false, sensor_id, labels,
                                records[i]);
      }
      void* ctx = zmq_ctx_new();
      void* s = zmq_socket(ctx, ZMQ_XPUB);
      const int one = 1, hwm = 200000;
      zmq_setsockopt(s, ZMQ_XPUB_NODROP, &one, sizeof(one));
      zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
      zmq_bind(s, endpoint.c_str());
      sub = std::thread(Subscriber, endpoint, "flow", n * rounds, &ready);
      char buf[64];
      zmq_recv(s, buf, sizeof(buf), 0);  // the subscription
      proto::Envelope env;
      env.set_sensor_id(sensor_id);
      std::string wire;
      uint64_t seq = 0;
      Timer t;
      for (int r = 0; r < rounds; ++r) {
        for (size_t i = 0; i < n; ++i) {
          env.mutable_flow()->CopyFrom(records[i]);
          env.set_seq(++seq);
          wire.clear();
          env.SerializeToString(&wire);
          zmq_send(s, "flow", 4, ZMQ_SNDMORE);
          zmq_send(s, wire.data(), wire.size(), 0);
        }
      }
      t.Report("message", n * rounds);
      sub.join();
      zmq_close(s);
      zmq_ctx_term(ctx);
    }
    unlink(endpoint.substr(6).c_str());
  }
  return 0;
}
