// The per-record export path (Publisher::BeginFlow + EncodeFlowRecord + Publisher::EndFlow):
//  - allocates nothing itself once warm: malloc is interposed in this test binary and counted in
//    the exporting thread; the only allocations left are libzmq's own message buffers (one per
//    message longer than 33 bytes, made by zmq_msg_init_size, freed by libzmq's I/O thread);
//  - keeps the wire format: every body a subscriber receives is byte-identical to protobuf's own
//    SerializeAsString() of an Envelope filled from a fresh FlowRecord (no reuse), so nothing
//    leaks from one reused record into the next (IPv6 then IPv4, with and without MACs).

#include <gtest/gtest.h>
#include <tins/tins.h>
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cstdlib>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "decoders/decode_frame.h"
#include "flowtable/flow_table.h"
#include "sensor/packet_counters.h"
#include "sensor/publisher.h"
#include "sensor/flow_record_encoder.h"
#include "sensor/record_builder.h"

// --- allocation counting (this thread only, while enabled) ---------------------------------
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);

namespace {
thread_local bool t_counting = false;
thread_local uint64_t t_allocs = 0;
}  // namespace

// AddressSanitizer owns malloc: there the counts are not taken (the wire checks still run).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCountingAllocations = false;
#else
constexpr bool kCountingAllocations = true;
extern "C" void* malloc(size_t n) {
  if (t_counting) ++t_allocs;
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t n, size_t m) {
  if (t_counting) ++t_allocs;
  return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, size_t n) {
  if (t_counting) ++t_allocs;
  return __libc_realloc(p, n);
}
#endif

namespace tapwatch::sensor {
namespace {

using namespace Tins;

/// What Pipeline::Export does for a flow (without app fields).
void ExportFlow(Publisher& p, const flowtable::Flow& flow, flowtable::EndReason why,
                std::string_view sensor_id, const std::vector<std::string>& labels) {
  FlowRecordSource source;
  source.flow = &flow;
  source.why = why;
  source.sensor_id = sensor_id;
  source.labels = &labels;
  source.community_id_seed = 0;
  EncodeFlowRecord(source, p.BeginFlow());
  p.EndFlow();
}

/// Copies of exported flows, to export again under measurement.
class Keep : public flowtable::ExportSink {
 public:
  void Export(const flowtable::Flow& flow, flowtable::EndReason why, bool) override {
    flows.push_back(flow);
    reasons.push_back(why);
  }
  std::vector<flowtable::Flow> flows;
  std::vector<flowtable::EndReason> reasons;
};

/// A mix of flows: TCP over IPv4 with MACs, UDP over IPv6, and IPv4 UDP without a link layer
/// (LINKTYPE_RAW: all-zero MACs, empty MAC fields).
Keep MakeFlows() {
  flowtable::FlowTableConfig c;
  c.capacity_log2 = 12;
  flowtable::FlowTable table(c);
  Keep keep;
  uint64_t ts = 1'700'000'000'000'000'000ull;
  auto feed = [&](decoders::LinkType link, const std::vector<uint8_t>& bytes) {
    decoders::DecodedPacket pkt;
    pkt.ts_ns = ts += 1'000'000;
    pkt.wire_len = static_cast<uint32_t>(bytes.size());
    pkt.cap_len = pkt.wire_len;
    ASSERT_EQ(decoders::DecodeFrame(link, std::span<const uint8_t>(bytes), pkt),
              decoders::DecodeStatus::kOk);
    table.Update(pkt, keep);
  };
  for (int i = 0; i < 40; ++i) {
    const std::string client = "192.0.2." + std::to_string(i + 1);
    EthernetII syn = EthernetII("02:00:00:00:00:02", "02:00:00:00:00:01") /
                     IP("198.51.100.7", client) / TCP(80, static_cast<uint16_t>(40000 + i));
    syn.rfind_pdu<TCP>().flags(TCP::SYN);
    feed(decoders::LinkType::kEthernet, syn.serialize());
    EthernetII ack = EthernetII("02:00:00:00:00:01", "02:00:00:00:00:02") /
                     IP(client, "198.51.100.7") / TCP(static_cast<uint16_t>(40000 + i), 80);
    ack.rfind_pdu<TCP>().flags(TCP::SYN | TCP::ACK);
    feed(decoders::LinkType::kEthernet, ack.serialize());
    EthernetII v6 = EthernetII("02:00:00:00:00:04", "02:00:00:00:00:03") /
                    IPv6("2001:db8:ffff::" + std::to_string(i + 1), "2001:db8::1") /
                    UDP(53, static_cast<uint16_t>(5000 + i)) / RawPDU("query");
    feed(decoders::LinkType::kEthernet, v6.serialize());
    IP raw = IP("203.0.113.9", "10.0.0." + std::to_string(i + 1)) / UDP(123, 123) / RawPDU("x");
    feed(decoders::LinkType::kRaw, raw.serialize());
  }
  table.FlushAll(keep);
  return keep;
}

// The per-packet counters too: a non-IP frame of a never-seen EtherType takes a slot of a fixed
// table, and types past the 64th are counted as "other", so every frame still lands somewhere.
TEST(PacketCountersAlloc, NewEtherTypesAllocateNothingAndOverflowIntoOther) {
  PacketCounters c;
  decoders::DecodedPacket pkt;  // ip_version 0: not IP
  ASSERT_FALSE(pkt.is_ip());
  t_allocs = 0;
  t_counting = true;
  for (uint16_t round = 0; round < 3; ++round) {
    for (uint16_t type = 0x9000; type < 0x9000 + 70; ++type) {
      pkt.ether_type = type;
      c.Count(decoders::DecodeStatus::kUnsupported, pkt);
    }
  }
  t_counting = false;
  if (kCountingAllocations) {
    EXPECT_EQ(t_allocs, 0u);
  }
  EXPECT_EQ(c.non_ip, 210u);
  ASSERT_EQ(c.non_ip_ethertype_slots_used, PacketCounters::kEtherTypeSlots);
  uint64_t listed = 0;
  for (size_t i = 0; i < c.non_ip_ethertype_slots_used; ++i) {
    EXPECT_EQ(c.non_ip_ethertypes[i].type, 0x9000 + i);  // order of first appearance
    EXPECT_EQ(c.non_ip_ethertypes[i].count, 3u);
    listed += c.non_ip_ethertypes[i].count;
  }
  EXPECT_EQ(c.non_ip_other_ethertypes, 6u * 3u);
  EXPECT_EQ(listed + c.non_ip_other_ethertypes, c.non_ip);
}

TEST(ExportPath, EncodingIntoTheReusedBufferAllocatesNothing) {
  const Keep keep = MakeFlows();
  ASSERT_EQ(keep.flows.size(), 120u);
  PublisherOptions o;  // neither ZeroMQ nor JSON lines: the encoder and its buffer only
  o.sensor_id = "sensor-with-a-name-longer-than-sso";
  std::string error;
  auto p = Publisher::Create(o, error);
  ASSERT_TRUE(p) << error;
  const std::vector<std::string> labels{std::string()};
  auto export_all = [&] {
    for (size_t i = 0; i < keep.flows.size(); ++i) {
      ExportFlow(*p, keep.flows[i], keep.reasons[i], o.sensor_id, labels);
    }
  };
  export_all();  // warm-up: the reused buffer grows to size
  t_allocs = 0;
  t_counting = true;
  for (int round = 0; round < 10; ++round) export_all();
  t_counting = false;
  if (!kCountingAllocations) GTEST_SKIP() << "built with AddressSanitizer: malloc not counted";
  EXPECT_EQ(t_allocs, 0u) << "allocations in 1200 warm exports";
  EXPECT_EQ(p->sent(), 11 * keep.flows.size());
  // The counter itself works: one std::string longer than SSO is one malloc.
  t_allocs = 0;
  t_counting = true;
  std::string* big = new std::string(100, 'x');
  t_counting = false;
  delete big;
  EXPECT_EQ(t_allocs, 2u);  // the string object and its buffer
}

TEST(ExportPath, ZeroMqBodiesAreProtobufsOwnBytesAndOnlyLibzmqAllocates) {
  const Keep keep = MakeFlows();
  const std::string endpoint = "ipc:///tmp/tw_export_alloc_" + std::to_string(getpid());
  PublisherOptions o;
  o.endpoint = endpoint;
  o.sensor_id = "s-export";
  o.sensor_start_ns = 77;
  std::string error;
  auto p = Publisher::Create(o, error);
  ASSERT_TRUE(p) << error;

  constexpr int kRounds = 20;
  const size_t total = kRounds * keep.flows.size();
  std::vector<std::string> bodies;
  bodies.reserve(total);
  std::atomic<bool> subscribed{false};
  std::thread sub([&] {
    void* ctx = zmq_ctx_new();
    void* s = zmq_socket(ctx, ZMQ_SUB);
    const int timeout_ms = 20000;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "flow", 4);
    zmq_connect(s, endpoint.c_str());
    subscribed = true;
    for (size_t i = 0; i < total; ++i) {
      zmq_msg_t topic, body;
      zmq_msg_init(&topic);
      zmq_msg_init(&body);
      if (zmq_msg_recv(&topic, s, 0) < 0 || zmq_msg_recv(&body, s, 0) < 0) break;
      bodies.emplace_back(static_cast<const char*>(zmq_msg_data(&body)), zmq_msg_size(&body));
      zmq_msg_close(&topic);
      zmq_msg_close(&body);
    }
    const int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_close(s);
    zmq_ctx_term(ctx);
  });
  ASSERT_EQ(p->WaitForSubscribers(1, 20000), 1);

  const std::vector<std::string> labels{std::string()};
  uint64_t allocs = 0;
  for (int round = 0; round < kRounds; ++round) {
    if (round == 1) {  // round 0 warms the record up
      t_allocs = 0;
      t_counting = true;
    }
    for (size_t i = 0; i < keep.flows.size(); ++i) {
      ExportFlow(*p, keep.flows[i], keep.reasons[i], o.sensor_id, labels);
    }
  }
  t_counting = false;
  allocs = t_allocs;
  sub.join();
  p->Close();
  unlink(endpoint.substr(6).c_str());

  // One libzmq message buffer per record (every body is > 33 bytes), plus a little slack for
  // libzmq's queue chunks (yqueue allocates 256 messages at a time when its spare is in use).
  const uint64_t measured = (kRounds - 1) * keep.flows.size();
  if (kCountingAllocations) {
    EXPECT_LE(allocs, measured + measured / 64) << "allocations per record must be libzmq's only";
    EXPECT_GE(allocs, measured);  // and the counter does see libzmq's buffer
  }

  ASSERT_EQ(bodies.size(), total);
  for (size_t k = 0; k < total; ++k) {
    const size_t i = k % keep.flows.size();
    proto::Envelope want;
    want.set_sensor_id("s-export");
    want.set_sensor_start_ns(77);
    want.set_seq(k + 1);
    BuildFlowRecord(keep.flows[i], keep.reasons[i], false, "s-export", labels,
                    *want.mutable_flow());
    ASSERT_EQ(bodies[k], want.SerializeAsString()) << "record " << k;
  }
  // Spot checks against the frames (independent of the builder): IPv6 text and empty MACs.
  int v6 = 0, raw = 0;
  for (size_t k = 0; k < keep.flows.size(); ++k) {
    proto::Envelope e;
    ASSERT_TRUE(e.ParseFromString(bodies[k]));
    const proto::FlowRecord& r = e.flow();
    if (r.dst_port() == 53) {
      ++v6;
      EXPECT_EQ(r.src_addr(), "2001:db8::1");
      EXPECT_EQ(r.dst_addr(), "2001:db8:ffff::" + std::to_string(r.src_port() - 5000 + 1));
      EXPECT_EQ(r.src_mac(), "02:00:00:00:00:03");
    } else if (r.dst_port() == 123) {
      ++raw;
      EXPECT_EQ(r.dst_addr(), "203.0.113.9");
      EXPECT_EQ(r.src_mac(), "");
      EXPECT_EQ(r.dst_mac(), "");
    }
  }
  EXPECT_EQ(v6, 40);
  EXPECT_EQ(raw, 40);
}

}  // namespace
}  // namespace tapwatch::sensor
