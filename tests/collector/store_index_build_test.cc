// The deferred flows indexes of a bulk load, built at the end in sorted runs spilled to temporary
// files and merged (collector/store.cc, kIndexBuildPragmas): enough rows for many runs, then the
// indexes must agree with the table (integrity_check compares every index entry with its row),
// answer lookups like a full scan, and the store must keep taking rows afterwards.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <string>
#include <utility>

#include "collector/store.h"
#include "collector_test_util.h"
#include "tapwatch.pb.h"

namespace tapwatch::collector {
namespace {

constexpr uint64_t kStartNs = 1092114948000000000ull;
// ~30 bytes of sort key per row and index: ~1 MiB per index, four or more 256 KiB runs.
constexpr uint64_t kRows = 40000;

class StoreIndexBuildTest : public ::testing::Test {
 protected:
  // The first column of the first row of a query on a fresh read-only connection, as text;
  // "error" when there is none (testing::Query reports SQLite errors itself).
  std::string Query(const std::string& sql) {
    const auto rows = testing::Query(path_, sql);
    return rows.empty() || rows[0].empty() ? "error" : rows[0][0];
  }

  // Flow `i`: addresses scattered over 4,096 sources and 65,536 destinations (the index keys
  // arrive in no particular order), start times out of order within each thousand.
  static proto::Envelope Flow(uint64_t i) {
    const uint64_t h = (i * 0x9E3779B97F4A7C15ull) >> 32;
    proto::Envelope envelope;
    envelope.set_sensor_id("s1");
    envelope.set_seq(i + 1);
    envelope.set_sensor_start_ns(kStartNs);
    proto::FlowRecord& f = *envelope.mutable_flow();
    f.set_flow_id(i + 1);
    // Every 50th flow is IPv6, both sides (the collector refuses mixed or invalid addresses).
    auto hex = [](uint64_t v) {
      char text[8];
      std::snprintf(text, sizeof(text), "%x", static_cast<unsigned>(v & 0xffff));
      return std::string(text);
    };
    const bool v6 = i % 50 == 0;
    f.set_src_addr(v6 ? "2001:db8:1::" + hex(h & 0xfff)
                      : "10.1." + std::to_string((h >> 8) & 15) + "." + std::to_string(h & 255));
    f.set_dst_addr(v6 ? "2001:db8::" + hex(h)
                      : "1.11." + std::to_string((h >> 12) & 255) + "." +
                            std::to_string((h >> 20) & 255));
    f.set_dst_port(static_cast<uint32_t>(h % 1024));
    f.set_ip_proto(i % 10 == 3 ? 17 : 6);
    f.set_start_ns(kStartNs + (i / 1000) * 1000000000 + (h % 1000) * 1000);
    f.set_end_ns(f.start_ns() + 1000);
    f.set_src_pkts(1);
    return envelope;
  }

  const std::string path_ = testing::TempDbPath("store_index_build");
};

TEST_F(StoreIndexBuildTest, IndexesBuiltAfterABulkLoadMatchTheTable) {
  {
    std::string error;
    auto store = Store::Open(path_, error);
    ASSERT_TRUE(store) << error;
    ASSERT_TRUE(store->DeferIndexes()) << store->error();
    ASSERT_TRUE(store->indexes_deferred());
    for (uint64_t i = 0; i < kRows; ++i) {
      ASSERT_TRUE(store->Add(Flow(i))) << store->error();
      if (store->pending_rows() >= 10000) {
        ASSERT_TRUE(store->Commit()) << store->error();
      }
    }
    ASSERT_TRUE(store->RebuildIndexes()) << store->error();
    EXPECT_FALSE(store->indexes_deferred());
    // Still a working store after the build's own pragmas.
    ASSERT_TRUE(store->Add(Flow(kRows))) << store->error();
    ASSERT_TRUE(store->Commit()) << store->error();
  }
  EXPECT_EQ(Query("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(Query("SELECT count(*) FROM flows"), std::to_string(kRows + 1));
  EXPECT_EQ(Query("SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = "
                  "'index' AND tbl_name = 'flows' AND sql IS NOT NULL ORDER BY name)"),
            "flows_dst,flows_src,flows_start");
  // Each index answers as a full scan does (NOT INDEXED), for keys of both address families.
  const std::string dst_v6 = Flow(50).flow().dst_addr();
  const std::string dst_v4 = Flow(7).flow().dst_addr();
  const std::string src = Flow(7).flow().src_addr();
  const std::pair<std::string, std::string> lookups[] = {
      {"flows_dst", "dst_addr = '" + dst_v6 + "'"},
      {"flows_dst", "dst_addr = '" + dst_v4 + "'"},
      {"flows_src", "src_addr = '" + src + "'"},
      {"flows_start", "start_ns BETWEEN " + std::to_string(kStartNs + 5000000000) + " AND " +
                          std::to_string(kStartNs + 9000000000)}};
  for (const auto& [index, where] : lookups) {
    const std::string count = Query("SELECT count(*) FROM flows NOT INDEXED WHERE " + where);
    EXPECT_NE(count, "0") << where;
    EXPECT_EQ(Query("SELECT count(*) FROM flows INDEXED BY " + index + " WHERE " + where), count)
        << where;
  }
}

// An older store has flows_proto_port too: the collector drops it at open (the
// schema no longer builds it) and keeps the rows and the other indexes.
TEST_F(StoreIndexBuildTest, OlderStoreLosesTheProtoPortIndexAndKeepsItsRows) {
  {
    std::string error;
    auto store = Store::Open(path_, error);
    ASSERT_TRUE(store) << error;
    ASSERT_TRUE(store->Add(Flow(1))) << store->error();
    ASSERT_TRUE(store->Commit()) << store->error();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE INDEX flows_proto_port ON flows (ip_proto, dst_port)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_EQ(Query("SELECT count(*) FROM sqlite_master WHERE name = 'flows_proto_port'"), "1");
  {
    std::string error;
    auto store = Store::Open(path_, error);
    ASSERT_TRUE(store) << error;
    ASSERT_TRUE(store->Add(Flow(2))) << store->error();
    ASSERT_TRUE(store->Commit()) << store->error();
  }
  EXPECT_EQ(Query("SELECT count(*) FROM sqlite_master WHERE name = 'flows_proto_port'"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM flows INDEXED BY flows_dst WHERE dst_addr = '" +
                  Flow(2).flow().dst_addr() + "'"),
            "1");
  EXPECT_EQ(Query("SELECT count(*) FROM flows"), "2");
  EXPECT_EQ(Query("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace tapwatch::collector
