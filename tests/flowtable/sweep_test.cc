// Timers against the table's internal due ticks (2^30 ns). The incremental sweep, driven by
// other flows' packets, must export each flow at the first packet time at or after the flow's own
// deadline (idle, TCP close or active), never before, even when the flows share a bucket,
// deadlines sit on either side of a tick boundary, a deadline moves earlier, timestamps go
// backwards, or the table has doubled. A flow's own packet must do the same with no sweep.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "flow_test_util.h"

namespace tapwatch::flowtable {
namespace {

using namespace testing;  // NOLINT
using decoders::kTcpAck;
using decoders::kTcpFin;
using decoders::kTcpSyn;

constexpr uint64_t kTick = uint64_t{1} << 30;  // the table's due-time granularity
constexpr uint64_t kMs = 1'000'000;

// A table small enough for every packet to sweep all of it: the tests then see exactly when the
// sweep (not the flow's own packets) finds a flow.
FlowTableConfig SweepAllConfig(uint32_t log2 = 6) {
  FlowTableConfig cfg;
  cfg.capacity_log2 = log2;
  cfg.initial_capacity_log2 = log2;
  cfg.hash_seed = 0x1234;
  cfg.sweep_buckets_per_packet = (1u << log2) / FlowTable::kWays;
  return cfg;
}

struct Seen {
  uint64_t flow_id;
  EndReason why;
  bool interim;
  uint32_t pkts;
  uint64_t now_ns;  // the table's clock when the record left
};

class TimedSink : public ExportSink {
 public:
  explicit TimedSink(const FlowTable& table) : table_(table) {}
  void Export(const Flow& f, EndReason why, bool interim) override {
    seen.push_back({f.flow_id, why, interim, f.dir[0].pkts + f.dir[1].pkts, table_.now_ns()});
  }
  std::vector<Seen> seen;

 private:
  const FlowTable& table_;
};

// UDP packets (one flow per source port) whose flows all map to `bucket`.
std::vector<decoders::DecodedPacket> SameBucket(const FlowTable& table, uint32_t bucket, int n) {
  std::vector<decoders::DecodedPacket> out;
  for (uint16_t port = 1; out.size() < static_cast<size_t>(n); ++port) {
    auto p = Udp("10.1.0.1", port, "10.2.0.1", 53, 0);
    if (table.BucketOf(p) == bucket) out.push_back(p);
  }
  return out;
}

// One packet of a flow outside `avoid_bucket` at `t`: moves the clock and sweeps.
void Tick(FlowTable& table, ExportSink& sink, uint32_t avoid_bucket, uint64_t t) {
  // The same flow every call (the first match of a fixed bucket).
  auto clock = SameBucket(table, (avoid_bucket + 4) % (table.active_capacity() / 8), 1)[0];
  clock.ts_ns = t;
  table.Update(clock, sink);
}

TEST(Sweep, FindsEachFlowOfABucketExactlyAtItsDeadline) {
  FlowTableConfig cfg = SweepAllConfig();
  cfg.timeouts.active_ns = 0;
  FlowTable table(cfg);
  TimedSink sink(table);
  const uint64_t udp = cfg.timeouts.udp_ns;
  // Eight flows of one bucket, in deadline order: just before, at and after due-tick boundaries,
  // and two inside one tick.
  const uint64_t k = 100;
  const std::vector<uint64_t> deadlines = {k * kTick - 1,
                                           k * kTick,
                                           (k * kTick) + 1,
                                           ((k + 1) * kTick) - 1,
                                           (k + 1) * kTick,
                                           ((k + 2) * kTick) + 7,
                                           ((k + 2) * kTick) + (kTick / 2),
                                           (k + 3) * kTick};
  auto pkts = SameBucket(table, 2, 8);
  for (size_t i = 0; i < pkts.size(); ++i) {
    pkts[i].ts_ns = deadlines[i] - udp;
    table.Update(pkts[i], sink);
  }
  ASSERT_TRUE(sink.seen.empty());
  for (size_t i = 0; i < deadlines.size(); ++i) {
    Tick(table, sink, 2, deadlines[i] - 1);
    ASSERT_EQ(sink.seen.size(), i) << "flow " << i + 1 << " left before its deadline";
    Tick(table, sink, 2, deadlines[i]);
    ASSERT_EQ(sink.seen.size(), i + 1) << "flow " << i + 1 << " not found at its deadline";
    EXPECT_EQ(sink.seen[i].flow_id, i + 1);
    EXPECT_EQ(sink.seen[i].why, EndReason::kIdle);
    EXPECT_EQ(sink.seen[i].now_ns, deadlines[i]);
  }
}

TEST(Sweep, FindsADeadlineThatMovedEarlier) {
  FlowTableConfig cfg = SweepAllConfig();
  cfg.timeouts.active_ns = 0;
  FlowTable table(cfg);
  TimedSink sink(table);
  const uint64_t t0 = 1000 * kSec;
  // Established (300 s idle), then closed by FINs both ways at t0 + 3 ms (10 s): due at
  // t0 + 3 ms + 10 s, long before the deadline the flow had a packet earlier.
  table.Update(Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpSyn, t0), sink);
  table.Update(Tcp("10.0.0.2", 2, "10.0.0.1", 1, kTcpSyn | kTcpAck, t0 + kMs), sink);
  table.Update(Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpAck, t0 + 2 * kMs), sink);
  table.Update(Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpFin | kTcpAck, t0 + 3 * kMs), sink);
  table.Update(Tcp("10.0.0.2", 2, "10.0.0.1", 1, kTcpFin | kTcpAck, t0 + 3 * kMs), sink);
  const uint32_t bucket = table.BucketOf(Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpAck, 0));
  const uint64_t due = t0 + 3 * kMs + cfg.timeouts.tcp_closed_ns;
  Tick(table, sink, bucket, due - 1);
  EXPECT_TRUE(sink.seen.empty());
  Tick(table, sink, bucket, due);
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].why, EndReason::kTcpClose);
  EXPECT_EQ(sink.seen[0].pkts, 5u);
}

TEST(Sweep, FindsAnActiveTimeoutWithoutAPacketOfTheFlow) {
  FlowTable table(SweepAllConfig());
  TimedSink sink(table);
  auto pkts = SameBucket(table, 1, 1);
  // Packets every 50 s from 0 to 250 s: the 300 s active boundary comes before the 310 s idle
  // deadline, so the sweep closes an interim record at 300 s and the final one at 310 s.
  for (uint64_t t = 0; t <= 250 * kSec; t += 50 * kSec) {
    pkts[0].ts_ns = t;
    table.Update(pkts[0], sink);
  }
  auto of_flow_1 = [&] {
    std::vector<Seen> out;
    for (const Seen& s : sink.seen) {
      if (s.flow_id == 1) out.push_back(s);
    }
    return out;
  };
  Tick(table, sink, 1, 300 * kSec - 1);
  EXPECT_TRUE(of_flow_1().empty());
  Tick(table, sink, 1, 300 * kSec);
  ASSERT_EQ(of_flow_1().size(), 1u);
  EXPECT_TRUE(of_flow_1()[0].interim);
  EXPECT_EQ(of_flow_1()[0].pkts, 6u);
  Tick(table, sink, 1, 310 * kSec - 1);
  EXPECT_EQ(of_flow_1().size(), 1u);
  Tick(table, sink, 1, 310 * kSec);
  ASSERT_EQ(of_flow_1().size(), 2u);
  EXPECT_FALSE(of_flow_1()[1].interim);
  EXPECT_EQ(of_flow_1()[1].why, EndReason::kIdle);
  EXPECT_EQ(of_flow_1()[1].pkts, 0u);
}

TEST(Sweep, TimestampsGoingBackwardsKeepEachFlowsOwnDeadline) {
  FlowTableConfig cfg = SweepAllConfig();
  cfg.timeouts.active_ns = 0;
  FlowTable table(cfg);
  TimedSink sink(table);
  auto pkts = SameBucket(table, 3, 2);
  pkts[0].ts_ns = 100 * kSec;
  table.Update(pkts[0], sink);
  pkts[0].ts_ns = 50 * kSec;  // older: the flow's last packet stays at 100 s
  table.Update(pkts[0], sink);
  pkts[1].ts_ns = 90 * kSec;  // a new flow whose first packet is older than the clock
  table.Update(pkts[1], sink);
  EXPECT_EQ(table.now_ns(), 100 * kSec);
  Tick(table, sink, 3, 150 * kSec - 1);
  EXPECT_TRUE(sink.seen.empty());
  Tick(table, sink, 3, 150 * kSec);
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].flow_id, 2u);
  Tick(table, sink, 3, 160 * kSec - 1);
  EXPECT_EQ(sink.seen.size(), 1u);
  Tick(table, sink, 3, 160 * kSec);
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[1].flow_id, 1u);
  EXPECT_EQ(sink.seen[1].pkts, 2u);
}

TEST(Sweep, FindsFlowsThatADoublingMoved) {
  FlowTableConfig cfg;
  cfg.capacity_log2 = 12;
  cfg.initial_capacity_log2 = 3;  // one bucket: 500 flows force six doublings
  cfg.hash_seed = 0x1234;
  cfg.sweep_buckets_per_packet = 512;  // the whole table at its cap
  cfg.timeouts.active_ns = 0;
  FlowTable table(cfg);
  TimedSink sink(table);
  for (uint16_t i = 0; i < 500; ++i) {
    table.Update(Udp("10.0.0.1", static_cast<uint16_t>(1000 + i), "10.9.0.2", 53, kSec + i * kMs),
                 sink);
  }
  ASSERT_GE(table.stats().doublings, 6u);
  ASSERT_GT(table.stats().flows_moved, 0u);
  ASSERT_TRUE(sink.seen.empty());
  // A clock flow ticking every 100 ms: each flow leaves at the first tick at or after its
  // deadline (61 s + i ms).
  for (uint64_t t = 2 * kSec; t <= 62 * kSec; t += 100 * kMs) {
    table.Update(Udp("10.5.0.1", 7, "10.5.0.2", 7, t), sink);
  }
  ASSERT_EQ(sink.seen.size(), 500u);
  for (const Seen& s : sink.seen) {
    const uint64_t deadline = kSec + (s.flow_id - 1) * kMs + cfg.timeouts.udp_ns;
    EXPECT_EQ(s.why, EndReason::kIdle) << s.flow_id;
    EXPECT_GE(s.now_ns, deadline) << s.flow_id;
    EXPECT_LT(s.now_ns, deadline + 100 * kMs) << s.flow_id;
  }
}

TEST(PacketPath, EndsItsFlowExactlyAtTheDeadlineWithoutASweep) {
  const uint64_t k = 200;
  for (const uint64_t deadline : {k * kTick - 1, k * kTick, k * kTick + 1}) {
    for (const uint64_t late :
         {uint64_t{0}, uint64_t{1}}) {  // the next packet: 1 ns early, or on time
      FlowTableConfig cfg = SweepAllConfig();
      cfg.sweep_buckets_per_packet = 0;
      cfg.timeouts.active_ns = 0;
      FlowTable table(cfg);
      TimedSink sink(table);
      auto p = Udp("10.0.0.1", 1, "10.0.0.2", 2, deadline - cfg.timeouts.udp_ns);
      table.Update(p, sink);
      p.ts_ns = deadline - 1 + late;
      EXPECT_EQ(table.Update(p, sink).created, late == 1) << deadline;
      ASSERT_EQ(sink.seen.size(), late) << deadline;
      if (late == 1) {
        EXPECT_EQ(sink.seen[0].why, EndReason::kIdle);
        EXPECT_EQ(sink.seen[0].pkts, 1u);
      }
    }
  }
}

TEST(PacketPath, ClosesAnInterimRecordAtTheActiveBoundaryWithoutASweep) {
  FlowTableConfig cfg = SweepAllConfig();
  cfg.sweep_buckets_per_packet = 0;
  FlowTable table(cfg);
  TimedSink sink(table);
  // Every 10 s from 0 to 300 s: the packet at 300 s first closes [0, 300 s) (30 packets).
  for (uint64_t t = 0; t < 300 * kSec; t += 10 * kSec) {
    table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, t), sink);
  }
  table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, 300 * kSec - 1), sink);
  EXPECT_TRUE(sink.seen.empty());
  table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, 300 * kSec), sink);
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_TRUE(sink.seen[0].interim);
  EXPECT_EQ(sink.seen[0].pkts, 31u);
}

}  // namespace
}  // namespace tapwatch::flowtable
