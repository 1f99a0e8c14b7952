// The store's sequence state across collector restarts, against planted seqs: a store reopened
// (as after kill -9: only committed rows and the sensor state committed with them survive)
// stores each (sensor, instance, seq) once, knows its holes and asks for them again.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "collector/store.h"
#include "collector_test_util.h"

namespace tapwatch::collector {
namespace {

using testing::FlowEnvelope;
using testing::Query;
using testing::SimpleFlow;
using testing::TempDbPath;

constexpr uint64_t kStart = 1'700'000'000'000'000'000ull;
constexpr uint64_t kInstance = 0xfeedf00d;

proto::Envelope Flow(uint64_t seq, uint64_t instance = kInstance) {
  proto::Envelope e = FlowEnvelope("s", kStart, seq, SimpleFlow(seq));
  e.set_instance_id(instance);
  e.set_resend_endpoint("tcp://127.0.0.1:9");
  return e;
}

std::unique_ptr<Store> Open(const std::string& db) {
  std::string error;
  auto store = Store::Open(db, error);
  EXPECT_TRUE(store) << error;
  return store;
}

TEST(StoreSequence, ReopenedStoreStoresEachSeqOnceAndAsksForWhatItLacks) {
  const std::string db = TempDbPath("store_sequence");
  {
    auto store = Open(db);
    for (uint64_t seq : {1, 2, 5, 6, 7}) ASSERT_TRUE(store->Add(Flow(seq)));
    ASSERT_TRUE(store->Commit());
  }
  // The sensor state is committed with the rows: what a restart after kill -9 finds.
  EXPECT_EQ(Query(db, "SELECT contiguous_seq, last_seq, holes, resend_endpoint "
                      "FROM sensor_instances")[0],
            (std::vector<std::string>{"2", "7", "3-4", "tcp://127.0.0.1:9"}));
  auto store = Open(db);
  // At start, before hearing from the sensor: its hole and everything after seq 7.
  const auto unfinished = store->WantUnfinished();
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].endpoint, "tcp://127.0.0.1:9");
  EXPECT_EQ(unfinished[0].instance_key, kInstance);
  const auto wanted = store->TakeWanted();
  ASSERT_EQ(wanted.size(), 2u);
  EXPECT_EQ(wanted[0].range.first, 3u);
  EXPECT_EQ(wanted[0].range.last, 4u);
  EXPECT_EQ(wanted[1].range.first, 8u);
  EXPECT_EQ(wanted[1].range.last, UINT64_MAX);
  // The sensor sends 1..9 again (a whole resend) and the stream goes on with 10.
  for (uint64_t seq = 1; seq <= 9; ++seq) ASSERT_TRUE(store->Add(Flow(seq), /*resent=*/true));
  ASSERT_TRUE(store->Add(Flow(10)));
  // A second process under the same id (started at the same time) keeps its own sequence.
  ASSERT_TRUE(store->Add(Flow(1, 42)));
  ASSERT_TRUE(store->Commit());
  store.reset();
  EXPECT_EQ(Query(db, "SELECT group_concat(seq) FROM (SELECT seq FROM flows "
                      "WHERE flow_id = seq ORDER BY seq)")[0][0],
            "1,1,2,3,4,5,6,7,8,9,10");
  EXPECT_EQ(Query(db, "SELECT gaps, duplicates, recovered, conflicts FROM sensors")[0],
            (std::vector<std::string>{"0", "0", "4", "1"}));
}

}  // namespace
}  // namespace tapwatch::collector
