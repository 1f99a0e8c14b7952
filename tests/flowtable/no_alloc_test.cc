// After construction the flow table never allocates: this binary replaces the global operator
// new and counts calls while packets, expiry, eviction and flushing run.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "flow_test_util.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace tapwatch::flowtable {
namespace {

using namespace testing;  // NOLINT

class CountingSink : public ExportSink {
 public:
  void Export(const Flow& f, EndReason why, bool interim) override {
    ++exports;
    pkts += f.dir[0].pkts + f.dir[1].pkts;
    // Renders into a fixed buffer, as the export path does.
    char flags[kArgusFlagsTextBytes];
    state_len += HistoryView(f).size() + FormatArgusFlags(f, flags);
    state_len += ConnState(f).size() + ArgusState(f, why).size();
  }
  uint64_t exports = 0, pkts = 0, state_len = 0;
};

TEST(NoAllocation, UpdateAdvanceAndFlushNeverAllocate) {
  // Build every packet first: the test itself must not allocate in the measured region.
  std::mt19937 rng(7);
  std::vector<decoders::DecodedPacket> pkts;
  const char* hosts[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "2001:db8::1", "2001:db8::2"};
  uint64_t t = kSec;
  for (int i = 0; i < 50000; ++i) {
    t += rng() % 400'000'000;
    const int a = static_cast<int>(rng() % 3), b = (a + 1) % 3;
    const uint16_t sport = static_cast<uint16_t>(rng() % 2000);
    switch (rng() % 4) {
      case 0:
        pkts.push_back(Tcp(hosts[a], sport, hosts[b], 80, static_cast<uint8_t>(rng()), t, 10));
        break;
      case 1:
        pkts.push_back(Udp(hosts[a], sport, hosts[b], 53, t));
        break;
      case 2:
        pkts.push_back(Icmp(hosts[3], hosts[4], 128, 0, sport, t));
        break;
      default: {
        auto p = Udp(hosts[a], sport, hosts[b], 53, t);
        p.is_fragment = true;
        p.is_later_fragment = rng() % 2 == 0;
        p.has_l4 = !p.is_later_fragment;
        p.ip_id = static_cast<uint16_t>(rng() % 50);
        p.source_label = static_cast<uint16_t>(rng() % 7);
        p.Flag(decoders::Anomaly::kUdpBadLength);
        pkts.push_back(p);
      }
    }
  }
  FlowTableConfig cfg;
  cfg.capacity_log2 = 8;          // small: forces eviction
  cfg.initial_capacity_log2 = 3;  // and every doubling up to it happens inside the measurement
  cfg.timeouts.active_ns = 20 * kSec;
  FlowTable table(cfg);
  CountingSink sink;

  const uint64_t before = g_allocations.load();
  uint64_t found = 0;
  for (const auto& p : pkts) found += table.Update(p, sink).flow != nullptr;
  table.Advance(t + 30 * kSec, sink);
  table.FlushAll(sink);
  const uint64_t after = g_allocations.load();

  EXPECT_EQ(after - before, 0u);
  EXPECT_EQ(found, pkts.size());
  EXPECT_EQ(sink.pkts, pkts.size());  // every packet is in exactly one record
  EXPECT_GT(table.stats().evicted, 0u);
  EXPECT_EQ(table.stats().doublings, 5u);  // 8 -> 256 slots
  EXPECT_GT(table.stats().interim_records, 0u);
  EXPECT_GT(g_allocations.load(), 0u);  // the counter works: construction allocated
}

}  // namespace
}  // namespace tapwatch::flowtable
