// Flow table: keying, direction, timeouts against synthetic timestamps, interim records,
// eviction, capacity, ICMP, fragments, L4 failures. Expected values are hand-computed.

#include "flowtable/flow_table.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>
#include <vector>

#include "flow_test_util.h"

namespace tapwatch::flowtable {
namespace {

using namespace testing;  // NOLINT
using decoders::kTcpAck;
using decoders::kTcpFin;
using decoders::kTcpRst;
using decoders::kTcpSyn;

FlowTableConfig SmallConfig(uint32_t log2 = 8) {
  FlowTableConfig cfg;
  cfg.capacity_log2 = log2;
  cfg.hash_seed = 0x1234;
  return cfg;
}

TEST(FlowKey, BothDirectionsGiveTheSameKeyAndHash) {
  const auto ab = Tcp("192.168.1.10", 40000, "10.0.0.2", 80, kTcpAck, 0);
  const auto ba = Tcp("10.0.0.2", 80, "192.168.1.10", 40000, kTcpAck, 0);
  const auto kab = FlowTable::KeyOf(ab), kba = FlowTable::KeyOf(ba);
  EXPECT_EQ(kab.key, kba.key);
  EXPECT_NE(kab.sender_is_lo, kba.sender_is_lo);
  EXPECT_EQ(FlowTable::HashKey(kab.key, 99), FlowTable::HashKey(kba.key, 99));
  // 10.0.0.2 < 192.168.1.10: the lower endpoint comes first.
  EXPECT_EQ(kab.key.addr_lo, Addr("10.0.0.2").bytes);
  EXPECT_EQ(kab.key.port_lo, 80);
  // The seed changes the hash.
  EXPECT_NE(FlowTable::HashKey(kab.key, 1), FlowTable::HashKey(kab.key, 2));
}

TEST(FlowKey, SameAddressesOrderedByPort) {
  const auto a = FlowTable::KeyOf(Udp("10.0.0.1", 9, "10.0.0.1", 7, 0));
  const auto b = FlowTable::KeyOf(Udp("10.0.0.1", 7, "10.0.0.1", 9, 0));
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.key.port_lo, 7);
}

TEST(FlowKey, LowerEndpointIsTheLowerAddressInByteOrder) {
  // Pairs differing first in each 8-byte half and in a byte's high bit (signed/unsigned and
  // word-endianness mistakes would flip some of them).
  const char* pairs[][2] = {
      {"10.0.0.2", "9.255.255.255"},
      {"10.0.0.1", "10.0.0.2"},
      {"128.0.0.1", "127.255.255.255"},
      {"10.0.1.0", "10.0.0.255"},
      {"2001:db8::1", "2001:db8::2"},
      {"2001:db8:0:0:8000::", "2001:db8:0:0:7fff::"},
      {"::1", "8000::"},
      {"fe80::1:0", "fe80::ff"},
  };
  for (const auto& pair : pairs) {
    const auto a = Addr(pair[0]), b = Addr(pair[1]);
    const bool a_lower = std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) < 0;
    const auto k = FlowTable::KeyOf(Udp(pair[0], 5, pair[1], 5, 0));
    EXPECT_EQ(k.sender_is_lo, a_lower) << pair[0] << " " << pair[1];
    EXPECT_EQ(k.key.addr_lo, a_lower ? a.bytes : b.bytes) << pair[0] << " " << pair[1];
  }
}

TEST(FlowTable, BothDirectionsUpdateOneFlow) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  const auto r1 = table.Update(Tcp("10.0.0.1", 1025, "10.0.0.2", 80, kTcpSyn, kSec), sink);
  const auto r2 =
      table.Update(Tcp("10.0.0.2", 80, "10.0.0.1", 1025, kTcpSyn | kTcpAck, kSec + 1), sink);
  ASSERT_NE(r1.flow, nullptr);
  EXPECT_EQ(r1.flow, r2.flow);
  EXPECT_TRUE(r1.created);
  EXPECT_FALSE(r2.created);
  EXPECT_TRUE(r1.from_src);
  EXPECT_FALSE(r2.from_src);
  EXPECT_EQ(table.stats().created, 1u);
  EXPECT_EQ(table.stats().active, 1u);
  EXPECT_EQ(r1.flow->flow_id, 1u);
}

TEST(FlowTable, VlansArePartOfTheKey) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  auto p = Udp("10.0.0.1", 1000, "10.0.0.2", 53, kSec);
  const Flow* untagged = table.Update(p, sink).flow;
  p.vlan_outer = 10;
  const Flow* outer = table.Update(p, sink).flow;
  p.vlan_inner = 20;
  const Flow* inner = table.Update(p, sink).flow;
  EXPECT_NE(untagged, outer);
  EXPECT_NE(outer, inner);
  EXPECT_EQ(table.stats().created, 3u);
}

TEST(FlowTable, NonIpPacketsHaveNoFlow) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  decoders::DecodedPacket arp;
  arp.ether_type = 0x0806;
  const auto r = table.Update(arp, sink);
  EXPECT_EQ(r.flow, nullptr);
  EXPECT_EQ(table.stats().non_ip, 1u);
  EXPECT_EQ(table.stats().created, 0u);
}

TEST(Direction, SynSenderIsTheInitiator) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  // The SYN goes from the higher address, so orientation is not the key order.
  table.Update(Tcp("10.0.0.9", 5555, "10.0.0.1", 22, kTcpSyn, kSec), sink);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].src, "10.0.0.9");
  EXPECT_EQ(sink.records[0].sport, 5555);
  EXPECT_EQ(sink.records[0].dport, 22);
  EXPECT_EQ(sink.records[0].direction, "syn");
}

TEST(Direction, SynAckFirstMakesItsReceiverTheInitiator) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  const auto r = table.Update(Tcp("10.0.0.1", 22, "10.0.0.9", 5555, kTcpSyn | kTcpAck, kSec), sink);
  EXPECT_FALSE(r.from_src);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].src, "10.0.0.9");
  EXPECT_EQ(sink.records[0].dst, "10.0.0.1");
  EXPECT_EQ(sink.records[0].direction, "synack");
  EXPECT_EQ(sink.records[0].d0.pkts, 0u);
  EXPECT_EQ(sink.records[0].d1.pkts, 1u);
}

TEST(Direction, OtherwiseTheFirstSenderIsAGuess) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  table.Update(Udp("10.0.0.200", 53, "10.0.0.3", 40000, kSec), sink);
  table.Update(Tcp("10.0.0.200", 80, "10.0.0.3", 40001, kTcpAck, kSec), sink);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 2u);
  for (const Rec& r : sink.records) {
    EXPECT_EQ(r.src, "10.0.0.200");
    EXPECT_EQ(r.direction, "guess");
  }
}

TEST(Direction, MacsAreOrientedToTheInitiator) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  auto p = Tcp("10.0.0.1", 22, "10.0.0.9", 5555, kTcpSyn | kTcpAck, kSec);
  p.has_mac = true;
  p.src_mac = {0, 0, 0, 0, 0, 1};
  p.dst_mac = {0, 0, 0, 0, 0, 9};
  table.Update(p, sink);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 1u);
  const Flow& f = sink.records[0].flow;
  EXPECT_EQ(f.mac[0][5], 9);  // initiator 10.0.0.9 received the SYN-ACK
  EXPECT_EQ(f.mac[1][5], 1);
}

// Per-protocol idle timeouts. Each case: packets up to t0, then the flow must still be there at
// t0 + timeout - 1 ns and be gone, with the given reason, at t0 + timeout.
struct IdleCase {
  const char* name;
  std::vector<decoders::DecodedPacket> pkts;
  uint64_t timeout_ns;
  EndReason why;
};

TEST(Timeouts, PerProtocolIdleDefaults) {
  const uint64_t t0 = 1000 * kSec;
  const std::vector<IdleCase> cases = {
      {"tcp_new", {Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpSyn, t0)}, 30 * kSec, EndReason::kIdle},
      {"tcp_established",
       {Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpSyn, t0 - 2),
        Tcp("10.0.0.2", 2, "10.0.0.1", 1, kTcpSyn | kTcpAck, t0 - 1),
        Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpAck, t0)},
       300 * kSec,
       EndReason::kIdle},
      {"tcp_fin_both",
       {Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpSyn, t0 - 4),
        Tcp("10.0.0.2", 2, "10.0.0.1", 1, kTcpSyn | kTcpAck, t0 - 3),
        Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpFin | kTcpAck, t0 - 2),
        Tcp("10.0.0.2", 2, "10.0.0.1", 1, kTcpFin | kTcpAck, t0 - 1),
        Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpAck, t0)},
       10 * kSec,
       EndReason::kTcpClose},
      {"tcp_rst",
       {Tcp("10.0.0.1", 1, "10.0.0.2", 2, kTcpSyn, t0 - 1),
        Tcp("10.0.0.2", 2, "10.0.0.1", 1, kTcpRst | kTcpAck, t0)},
       10 * kSec,
       EndReason::kTcpClose},
      {"udp", {Udp("10.0.0.1", 1, "10.0.0.2", 2, t0)}, 60 * kSec, EndReason::kIdle},
      {"icmp", {Icmp("10.0.0.1", "10.0.0.2", 8, 0, 1, t0)}, 60 * kSec, EndReason::kIdle},
      {"icmpv6", {Icmp("2001:db8::1", "2001:db8::2", 128, 0, 1, t0)}, 60 * kSec, EndReason::kIdle},
      {"gre", {Ip("10.0.0.1", "10.0.0.2", 47, t0)}, 60 * kSec, EndReason::kIdle},
  };
  for (const IdleCase& c : cases) {
    FlowTableConfig cfg = SmallConfig();
    cfg.timeouts.active_ns = 0;  // no interim records here (established idle == active)
    FlowTable table(cfg);
    RecordingSink sink;
    for (const auto& p : c.pkts) table.Update(p, sink);
    table.Advance(t0 + c.timeout_ns - 1, sink);
    EXPECT_TRUE(sink.records.empty()) << c.name;
    table.Advance(t0 + c.timeout_ns, sink);
    ASSERT_EQ(sink.records.size(), 1u) << c.name;
    EXPECT_EQ(sink.records[0].why, c.why) << c.name;
    EXPECT_FALSE(sink.records[0].interim) << c.name;
    EXPECT_EQ(table.stats().active, 0u) << c.name;
  }
}

TEST(Timeouts, ConfiguredValuesAreUsed) {
  FlowTableConfig cfg = SmallConfig();
  cfg.timeouts.udp_ns = 5 * kSec;
  FlowTable table(cfg);
  RecordingSink sink;
  table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, kSec), sink);
  table.Advance(6 * kSec - 1, sink);
  EXPECT_TRUE(sink.records.empty());
  table.Advance(6 * kSec, sink);
  EXPECT_EQ(sink.records.size(), 1u);
}

TEST(Timeouts, PacketAfterIdleStartsANewFlowAndExportsTheOld) {
  FlowTableConfig cfg = SmallConfig();
  cfg.sweep_buckets_per_packet = 0;  // only the packet path notices
  FlowTable table(cfg);
  RecordingSink sink;
  table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, kSec), sink);
  const auto r = table.Update(Udp("10.0.0.2", 2, "10.0.0.1", 1, 61 * kSec), sink);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].why, EndReason::kIdle);
  EXPECT_EQ(sink.records[0].flow_id, 1u);
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.flow->flow_id, 2u);
  EXPECT_TRUE(r.from_src);  // the new flow's first sender
}

TEST(Timeouts, TimeComesOnlyFromPacketsAndNeverGoesBack) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, 100 * kSec), sink);
  EXPECT_EQ(table.now_ns(), 100 * kSec);
  table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, 50 * kSec), sink);  // out of order
  EXPECT_EQ(table.now_ns(), 100 * kSec);
  table.Advance(10 * kSec, sink);
  EXPECT_EQ(table.now_ns(), 100 * kSec);
  table.Advance(159 * kSec, sink);
  EXPECT_TRUE(sink.records.empty());
  table.Advance(160 * kSec, sink);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].first_ns, 100 * kSec);  // first packet's timestamp
  EXPECT_EQ(sink.records[0].last_ns, 100 * kSec);   // latest timestamp
}

TEST(ActiveTimeout, InterimRecordsAreDeltasThatSumToTotals) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  // 100 UDP packets of IP length 100 every 10 s from t = 0 s to 990 s, one reply every 100 s.
  for (int i = 0; i < 100; ++i) {
    const uint64_t t = uint64_t(i) * 10 * kSec;
    table.Update(Udp("10.0.0.1", 1000, "10.0.0.2", 2000, t, 72), sink);
    if (i % 10 == 5) table.Update(Udp("10.0.0.2", 2000, "10.0.0.1", 1000, t, 12), sink);
  }
  table.FlushAll(sink);
  // Periods [0,300) [300,600) [600,900) [900,...): 30, 30, 30, 10 forward packets; replies at
  // 50,150,250 | 350,450,550 | 650,750,850 | 950.
  ASSERT_EQ(sink.records.size(), 4u);
  const uint32_t fwd[] = {30, 30, 30, 10}, rev[] = {3, 3, 3, 1};
  uint64_t sum_pkts = 0, sum_bytes = 0;
  for (int i = 0; i < 4; ++i) {
    const Rec& r = sink.records[i];
    EXPECT_EQ(r.flow_id, 1u);
    EXPECT_EQ(r.record_seq, i);
    EXPECT_EQ(r.interim, i < 3);
    EXPECT_EQ(r.why, i < 3 ? EndReason::kActive : EndReason::kShutdown);
    EXPECT_EQ(r.d0.pkts, fwd[i]) << i;
    EXPECT_EQ(r.d1.pkts, rev[i]) << i;
    EXPECT_EQ(r.d0.ip_bytes, fwd[i] * 100) << i;
    EXPECT_EQ(r.d1.ip_bytes, rev[i] * 40) << i;
    sum_pkts += r.d0.pkts + r.d1.pkts;
    sum_bytes += r.d0.wire_bytes + r.d1.wire_bytes;
  }
  EXPECT_EQ(sum_pkts, 110u);
  EXPECT_EQ(sum_bytes, 100u * 114 + 10u * 54);
  EXPECT_EQ(table.stats().interim_records, 3u);
  EXPECT_EQ(table.stats().exported, 1u);
}

TEST(ActiveTimeout, IdleFlowDoesNotGetAnInterimAfterItsDeadline) {
  // Packets every 50 s up to `last`. With last = 250 s the UDP idle deadline is 310 s, after the
  // 300 s boundary: an interim record at the boundary, then an empty final record. With
  // last = 200 s the flow ended at 260 s, before the boundary: one final record only, even
  // though nobody looks until 1000 s.
  for (const uint64_t last : {250 * kSec, 200 * kSec}) {
    FlowTableConfig cfg = SmallConfig();
    cfg.sweep_buckets_per_packet = 0;
    FlowTable table(cfg);
    RecordingSink sink;
    uint32_t n = 0;
    for (uint64_t t = 0; t <= last; t += 50 * kSec, ++n) {
      table.Update(Udp("10.0.0.1", 1, "10.0.0.2", 2, t), sink);
    }
    table.Advance(1000 * kSec, sink);
    if (last == 250 * kSec) {
      ASSERT_EQ(sink.records.size(), 2u);
      EXPECT_TRUE(sink.records[0].interim);
      EXPECT_EQ(sink.records[0].d0.pkts, 6u);
      EXPECT_EQ(sink.records[1].why, EndReason::kIdle);
      EXPECT_EQ(sink.records[1].d0.pkts, 0u);
      EXPECT_EQ(sink.records[1].record_seq, 1);
    } else {
      ASSERT_EQ(sink.records.size(), 1u);
      EXPECT_EQ(sink.records[0].why, EndReason::kIdle);
      EXPECT_EQ(sink.records[0].d0.pkts, 5u);
    }
  }
}

TEST(ActiveTimeout, CounterOverflowClosesTheRecordEarly) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  auto p = Udp("10.0.0.1", 1, "10.0.0.2", 2, kSec);
  p.wire_len = 3'000'000'000u;  // two of these overflow a 32-bit per-record counter
  table.Update(p, sink);
  table.Update(p, sink);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 2u);
  EXPECT_TRUE(sink.records[0].interim);
  EXPECT_EQ(sink.records[0].d0.wire_bytes, 3'000'000'000u);
  EXPECT_EQ(sink.records[1].d0.wire_bytes, 3'000'000'000u);
  EXPECT_EQ(sink.records[1].record_seq, 1);
}

// Builds UDP packets that all land in bucket `bucket` (fixed seed), with distinct ports.
std::vector<decoders::DecodedPacket> SameBucket(const FlowTable& table, uint32_t bucket, int n) {
  std::vector<decoders::DecodedPacket> out;
  for (uint16_t port = 1; out.size() < size_t(n); ++port) {
    auto p = Udp("10.1.0.1", port, "10.2.0.1", 53, 0);
    if (table.BucketOf(p) == bucket) out.push_back(p);
  }
  return out;
}

TEST(Eviction, FullBucketInAFullGroupEvictsTheLeastRecentlySeenFlow) {
  FlowTable table(SmallConfig(6));  // 64 slots, 8 buckets, at its cap from the start
  RecordingSink sink(&table);
  // The rest of bucket 3's group of four is full too, so a ninth flow cannot spill.
  for (uint32_t other : {0u, 1u, 2u}) {
    for (auto& p : SameBucket(table, other, 8)) {
      p.ts_ns = 5 * kSec;
      table.Update(p, sink);
    }
  }
  auto pkts = SameBucket(table, 3, 9);
  for (int i = 0; i < 8; ++i) {
    pkts[i].ts_ns = (10 + i) * kSec;
    table.Update(pkts[i], sink);
  }
  pkts[0].ts_ns = 20 * kSec;  // refresh the oldest; flow 26 (pkts[1]) is least recent of bucket 3
  table.Update(pkts[0], sink);
  EXPECT_TRUE(sink.records.empty());
  EXPECT_EQ(table.stats().active, 32u);
  pkts[8].ts_ns = 21 * kSec;
  const auto r = table.Update(pkts[8], sink);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].why, EndReason::kEvicted);
  EXPECT_EQ(sink.records[0].flow_id, 26u);
  EXPECT_EQ(sink.records[0].sport, pkts[1].src_port);
  EXPECT_EQ(table.stats().evicted, 1u);
  EXPECT_EQ(table.stats().active, 32u);
  // The new flow took the victim's slot, inside bucket 3 (the older flows of the group stay).
  EXPECT_EQ(table.SlotIndex(*r.flow), sink.records[0].slot);
  EXPECT_EQ(table.SlotIndex(*r.flow) / FlowTable::kWays, 3u);
}

TEST(Growth, FullBucketBelowHalfLoadSpillsIntoItsNeighbour) {
  FlowTable table(SmallConfig(6));  // at its cap: cannot grow, must not evict either
  RecordingSink sink(&table);
  auto pkts = SameBucket(table, 3, 9);
  for (int i = 0; i < 9; ++i) {
    pkts[i].ts_ns = (10 + i) * kSec;
    table.Update(pkts[i], sink);
  }
  EXPECT_TRUE(sink.records.empty()) << "nine flows in a 64-slot table: nothing to evict";
  EXPECT_EQ(table.stats().active, 9u);
  // The ninth lives next door, and its next packet finds it there.
  const Flow* spilled = table.Find(pkts[8]);
  ASSERT_NE(spilled, nullptr);
  EXPECT_EQ(table.SlotIndex(*spilled) / FlowTable::kWays, 2u);
  pkts[8].ts_ns = 30 * kSec;
  const auto again = table.Update(pkts[8], sink);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.flow, spilled);
  EXPECT_EQ(again.flow->dir[0].pkts, 2u);
  // Once it leaves, bucket 3's flows still resolve and a new spill works again.
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 9u);
  EXPECT_EQ(table.stats().evicted, 0u);
  EXPECT_EQ(table.stats().created, 9u);
}

TEST(Growth, DoublesInPlaceKeepingEveryFlowAndTouchingOnlyWhatItUses) {
  FlowTableConfig cfg = SmallConfig(16);  // cap 65,536 slots
  cfg.initial_capacity_log2 = 3;          // start with one bucket
  FlowTable table(cfg);
  EXPECT_EQ(table.active_capacity(), 8u);
  RecordingSink sink(&table);
  std::vector<decoders::DecodedPacket> pkts;
  for (int i = 0; i < 3000; ++i) {
    pkts.push_back(Udp("10.0.0.1", static_cast<uint16_t>(1000 + i), "10.9.0.2", 53, kSec + i));
    table.Update(pkts.back(), sink);
  }
  for (auto& p : pkts) {  // every flow is found again after all the moves
    p.ts_ns += kSec;
    const auto r = table.Update(p, sink);
    ASSERT_FALSE(r.created) << "lost flow, port " << p.src_port;
    ASSERT_EQ(r.flow->dir[0].pkts, 2u);
  }
  EXPECT_TRUE(sink.records.empty());
  EXPECT_EQ(table.stats().created, 3000u);
  EXPECT_GE(table.stats().doublings, 9u);  // 8 -> >= 4096 slots
  EXPECT_GT(table.stats().flows_moved, 0u);
  // 3,000 flows at <= 3/4 load need 4,096 slots; spills keep one bad bucket from doubling more.
  EXPECT_LE(table.active_capacity(), 8192u);
  EXPECT_LT(table.active_memory_bytes(), table.memory_bytes() / 4);
  table.FlushAll(sink);
  EXPECT_EQ(sink.records.size(), 3000u);
  EXPECT_EQ(table.stats().active, 0u);
}

TEST(Eviction, ExpiredFlowsInAFullBucketLeaveAsIdleNotEvicted) {
  FlowTableConfig cfg = SmallConfig(6);
  cfg.sweep_buckets_per_packet = 0;
  FlowTable table(cfg);
  RecordingSink sink;
  auto pkts = SameBucket(table, 5, 9);
  for (int i = 0; i < 8; ++i) {
    pkts[i].ts_ns = (i == 0 ? 1 : 100) * kSec;
    table.Update(pkts[i], sink);
  }
  pkts[8].ts_ns = 100 * kSec;  // flow 1 (t = 1 s) is past its 60 s UDP timeout
  table.Update(pkts[8], sink);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].why, EndReason::kIdle);
  EXPECT_EQ(table.stats().evicted, 0u);
}

TEST(Capacity, NeverExceeded) {
  FlowTable table(SmallConfig(4));  // 16 slots
  RecordingSink sink;
  for (int i = 0; i < 2000; ++i) {
    table.Update(Udp("10.0.0.1", static_cast<uint16_t>(i), "10.0.0.2", 53, kSec + i), sink);
    ASSERT_LE(table.stats().active, table.capacity());
    ASSERT_EQ(table.stats().created, table.stats().exported + table.stats().active);
  }
  EXPECT_EQ(table.stats().active, 16u);  // every bucket filled
  EXPECT_EQ(table.stats().evicted, 2000u - 16u);
  table.FlushAll(sink);
  EXPECT_EQ(table.stats().active, 0u);
  EXPECT_EQ(sink.records.size(), 2000u);
  std::set<uint64_t> ids;
  for (const Rec& r : sink.records) ids.insert(r.flow_id);
  EXPECT_EQ(ids.size(), 2000u);  // flow ids are unique
  // Slots + tag bytes + the default 1024-entry fragment cache.
  EXPECT_GE(table.memory_bytes(), 16 * (sizeof(Flow) + 1) + 1024 * 40);
  EXPECT_LE(table.memory_bytes(), 16 * (sizeof(Flow) + 1) + 1024 * 64);
}

TEST(Icmp, EchoRequestAndReplyShareAFlowKeyedById) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  const auto a = table.Update(Icmp("10.0.0.1", "10.0.0.2", 8, 0, 0x1234, kSec), sink);
  const auto b = table.Update(Icmp("10.0.0.2", "10.0.0.1", 0, 0, 0x1234, kSec + 1), sink);
  const auto c = table.Update(Icmp("10.0.0.1", "10.0.0.2", 8, 0, 0x9999, kSec + 2), sink);
  // A timestamp request with the same id: its own pair, not the echo flow.
  const auto d = table.Update(Icmp("10.0.0.1", "10.0.0.2", 13, 0, 0x1234, kSec + 3), sink);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_FALSE(b.from_src);
  EXPECT_NE(a.flow, c.flow);
  EXPECT_NE(a.flow, d.flow);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 3u);
  for (const Rec& r : sink.records) {
    if (r.flow_id == 1) {
      EXPECT_EQ(r.sport, 0x1234);
      EXPECT_EQ(r.src, "10.0.0.1");
      EXPECT_EQ(r.d0.pkts, 1u);
      EXPECT_EQ(r.d1.pkts, 1u);
      EXPECT_EQ(r.argus_state, "ECO");
      EXPECT_EQ(r.conn_state, "OTH");
    } else if (r.flow_id == 3) {
      EXPECT_EQ(r.sport, 0x1234);
      EXPECT_EQ(r.argus_state, "TST");
    }
  }
}

// Timestamp, information and address-mask requests meet their replies as echo does (argus 3.0.8
// prints one "<->" TST record for xprobe2's timestamp request and reply), each pair apart from
// the others even with the same id; an unknown type is still keyed by type/code.
TEST(Icmp, QueryRequestsAndRepliesShareAFlowPerPair) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  struct Pair {
    uint8_t request, reply;
    const char* state;
  };
  const Pair pairs[] = {{8, 0, "ECO"}, {13, 14, "TST"}, {15, 16, "IRQ"}, {17, 18, "MAS"}};
  std::vector<const Flow*> flows;
  uint64_t t = kSec;
  for (const Pair& p : pairs) {
    const auto q = table.Update(Icmp("10.0.0.1", "10.0.0.2", p.request, 0, 0x77, t++), sink);
    const auto a = table.Update(Icmp("10.0.0.2", "10.0.0.1", p.reply, 0, 0x77, t++), sink);
    EXPECT_EQ(q.flow, a.flow) << int{p.request};
    EXPECT_TRUE(q.from_src);
    EXPECT_FALSE(a.from_src) << int{p.reply};
    for (const Flow* other : flows) EXPECT_NE(other, q.flow) << int{p.request};
    flows.push_back(q.flow);
  }
  // Type 19 (reserved) has no id: keyed by type/code, one flow per direction's type.
  const auto x = table.Update(Icmp("10.0.0.1", "10.0.0.2", 19, 0, 0x77, t++), sink);
  const auto y = table.Update(Icmp("10.0.0.2", "10.0.0.1", 20, 0, 0x77, t++), sink);
  EXPECT_NE(x.flow, y.flow);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 6u);
  for (const Rec& r : sink.records) {
    if (r.flow_id > 4) continue;
    const Pair& p = pairs[r.flow_id - 1];
    EXPECT_EQ(r.argus_state, p.state);
    EXPECT_EQ(r.src, "10.0.0.1");
    EXPECT_EQ(r.sport, 0x77);
    EXPECT_EQ(r.dport, 0);
    EXPECT_EQ(r.d0.pkts, 1u);
    EXPECT_EQ(r.d1.pkts, 1u);
  }
}

TEST(Icmp, Icmpv6EchoSharesAFlow) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  const auto a = table.Update(Icmp("2001:db8::1", "2001:db8::2", 128, 0, 7, kSec), sink);
  const auto b = table.Update(Icmp("2001:db8::2", "2001:db8::1", 129, 0, 7, kSec), sink);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_EQ(SrcPort(*a.flow), 7);
  EXPECT_EQ(SrcAddr(*a.flow), Addr("2001:db8::1"));
}

TEST(Icmp, ErrorsReturnTheQuotedFlowAndNeverCreateIt) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  const auto tcp = table.Update(Tcp("10.0.0.1", 40000, "10.9.9.9", 80, kTcpSyn, kSec), sink);
  auto err = Icmp("10.5.5.5", "10.0.0.1", 3, 1, 0, 2 * kSec);  // host unreachable from a router
  err.icmp_quoted.present = true;
  err.icmp_quoted.src = Addr("10.0.0.1");
  err.icmp_quoted.dst = Addr("10.9.9.9");
  err.icmp_quoted.ip_proto = decoders::kIpProtoTcp;
  err.icmp_quoted.src_port = 40000;
  err.icmp_quoted.dst_port = 80;
  const auto r = table.Update(err, sink);
  EXPECT_EQ(r.quoted_flow, tcp.flow);
  EXPECT_NE(r.flow, tcp.flow);
  EXPECT_EQ(SrcAddr(*r.flow), Addr("10.5.5.5"));
  EXPECT_EQ(SrcPort(*r.flow), 3);        // type
  EXPECT_EQ(DstPort(*r.flow), 1);        // code
  EXPECT_EQ(tcp.flow->dir[0].pkts, 1u);  // the quoted flow is not counted
  // A quote of an unknown flow: nullptr, and only the ICMP flow exists afterwards.
  err.icmp_quoted.dst_port = 81;
  err.ts_ns = 3 * kSec;
  const auto r2 = table.Update(err, sink);
  EXPECT_EQ(r2.quoted_flow, nullptr);
  EXPECT_EQ(r2.flow, r.flow);
  EXPECT_EQ(table.stats().created, 2u);
  EXPECT_EQ(table.stats().quoted_found, 1u);
  EXPECT_EQ(table.stats().quoted_missing, 1u);
}

TEST(Fragments, LaterFragmentsFollowTheirFirstFragmentsFlow) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  auto first = Udp("10.0.0.1", 5000, "10.0.0.2", 53, kSec, 1472);
  first.is_fragment = true;
  first.ip_id = 77;
  auto later = Ip("10.0.0.1", "10.0.0.2", decoders::kIpProtoUdp, kSec + 1, 548);
  later.is_fragment = later.is_later_fragment = true;
  later.ip_id = 77;
  later.fragment_offset = 1480;
  const auto a = table.Update(first, sink);
  const auto b = table.Update(later, sink);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_EQ(a.flow->dir[0].pkts, 2u);
  EXPECT_EQ(a.flow->dir[0].fragments, 2u);
  EXPECT_EQ(a.flow->dir[0].ip_bytes, 1500u + 548u);
  // A later fragment whose first was never seen counts against the L3 flow (ports 0).
  later.ip_id = 78;
  const auto c = table.Update(later, sink);
  EXPECT_NE(c.flow, a.flow);
  EXPECT_EQ(SrcPort(*c.flow), 0);
  EXPECT_EQ(DstPort(*c.flow), 0);
  EXPECT_EQ(c.flow->key.ip_proto, decoders::kIpProtoUdp);
  EXPECT_EQ(table.stats().fragment_cache_hits, 1u);
  EXPECT_EQ(table.stats().fragment_cache_misses, 1u);
}

// A first fragment that ends inside the TCP header (decoders set ports_only, not has_l4) is
// keyed by its ports, and its later fragments follow it; its missing flags change no TCP state.
TEST(Fragments, FirstFragmentWithPortsOnlyKeepsItsFlow) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  auto first = Ip("10.0.0.1", "10.0.0.2", decoders::kIpProtoTcp, kSec, 28);
  first.is_fragment = true;
  first.ports_only = true;
  first.src_port = 40000;
  first.dst_port = 80;
  first.ip_id = 9;
  auto later = Ip("10.0.0.1", "10.0.0.2", decoders::kIpProtoTcp, kSec + 1, 32);
  later.is_fragment = later.is_later_fragment = true;
  later.ip_id = 9;
  later.fragment_offset = 8;
  const auto a = table.Update(first, sink);
  const auto b = table.Update(later, sink);
  const auto c = table.Update(Tcp("10.0.0.2", 80, "10.0.0.1", 40000, kTcpSyn | kTcpAck,
                                  kSec + 2), sink);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_EQ(a.flow, c.flow);
  EXPECT_EQ(SrcPort(*a.flow), 40000);
  EXPECT_EQ(DstPort(*a.flow), 80);
  EXPECT_EQ(a.flow->dir[0].fragments, 2u);
  EXPECT_EQ(a.flow->TcpState(0), TcpEndpointState::kInactive);
  EXPECT_EQ(table.stats().fragment_cache_hits, 1u);
}

TEST(L4Failure, CountsAgainstTheL3FlowWithItsAnomaly) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  auto bad = Ip("10.0.0.1", "10.0.0.2", decoders::kIpProtoTcp, kSec, 30);
  bad.Flag(decoders::Anomaly::kTcpTruncated);
  const auto r = table.Update(bad, sink);
  ASSERT_NE(r.flow, nullptr);
  EXPECT_EQ(SrcPort(*r.flow), 0);
  EXPECT_EQ(DstPort(*r.flow), 0);
  EXPECT_EQ(r.flow->anomaly[0], decoders::Anomaly::kTcpTruncated);
  EXPECT_EQ(r.flow->anomaly_count[0], 1);
  table.Update(bad, sink);
  EXPECT_EQ(r.flow->anomaly_count[0], 2);
  EXPECT_EQ(r.flow->dir[0].pkts, 2u);
}

TEST(Anomalies, ThreeSlotsThenOther) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  auto p = Udp("10.0.0.1", 1, "10.0.0.2", 2, kSec);
  p.Flag(decoders::Anomaly::kIpv4BadOptions);
  p.Flag(decoders::Anomaly::kUdpBadLength);
  p.Flag(decoders::Anomaly::kNbnsBadName);
  p.Flag(decoders::Anomaly::kNbnsBadCount);
  p.Flag(decoders::Anomaly::kNbnsTruncated);  // counted beyond the packet's 4 kept kinds
  const auto r = table.Update(p, sink);
  EXPECT_EQ(r.flow->anomaly[2], decoders::Anomaly::kNbnsBadName);
  EXPECT_EQ(r.flow->anomaly_other, 2);
}

TEST(Labels, FourSlotsThenOverflow) {
  FlowTable table(SmallConfig());
  RecordingSink sink;
  const Flow* f = nullptr;
  for (uint16_t label : {5, 6, 5, 7, 8, 9, 10}) {
    auto p = Udp("10.0.0.1", 1, "10.0.0.2", 2, kSec);
    p.source_label = label;
    f = table.Update(p, sink).flow;
  }
  auto p = Udp("10.0.0.1", 1, "10.0.0.2", 2, kSec);
  table.Update(p, sink);  // label 0: none
  EXPECT_EQ(f->label_id[0], 5);
  EXPECT_EQ(f->label_pkts[0], 2);
  EXPECT_EQ(f->label_id[3], 8);
  EXPECT_EQ(f->label_other, 2);
}

TEST(Config, RejectsBadValuesAtStartUp) {
  FlowTableConfig cfg;
  cfg.capacity_log2 = 2;
  EXPECT_THROW(FlowTable{cfg}, std::invalid_argument);
  cfg.capacity_log2 = 8;
  cfg.timeouts.udp_ns = 0;
  EXPECT_THROW(FlowTable{cfg}, std::invalid_argument);
}

TEST(FlowSize, FitsTheBudget) {
  EXPECT_LE(offsetof(Flow, app), 200u);
  EXPECT_LE(sizeof(Flow), 256u);
  std::printf("sizeof(Flow) = %zu (own fields %zu, AppState %zu)\n", sizeof(Flow),
              offsetof(Flow, app), sizeof(decoders::AppState));
}

}  // namespace
}  // namespace tapwatch::flowtable
