// The store's page size: a new store gets 16 KiB pages; a store created before (4 KiB pages, the
// SQLite default) keeps its own and still takes rows. Read back with plain SQLite.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "collector/store.h"
#include "collector_test_util.h"
#include "tapwatch.pb.h"

namespace tapwatch::collector {
namespace {

class StorePageSizeTest : public ::testing::Test {
 protected:
  // One integer from a query on a fresh read-only connection; -1 when there is none
  // (testing::Query reports SQLite errors itself).
  long long Query(const char* sql) {
    const auto rows = testing::Query(path_, sql);
    return rows.empty() || rows[0].empty() ? -1 : std::stoll(rows[0][0]);
  }

  void AddOneFlow() {
    std::string error;
    auto store = Store::Open(path_, error);
    ASSERT_TRUE(store) << error;
    proto::Envelope envelope;
    envelope.set_sensor_id("s1");
    envelope.set_seq(1);
    envelope.mutable_flow()->set_src_addr("10.0.0.1");
    envelope.mutable_flow()->set_dst_addr("10.0.0.2");
    envelope.mutable_flow()->set_dst_port(80);
    ASSERT_TRUE(store->Add(envelope)) << store->error();
    ASSERT_TRUE(store->Commit()) << store->error();
  }

  const std::string path_ = testing::TempDbPath("store_page_size");
};

TEST_F(StorePageSizeTest, NewStoreGets16KiBPages) {
  AddOneFlow();
  EXPECT_EQ(Query("PRAGMA page_size"), 16384);
  EXPECT_EQ(Query("SELECT dst_port FROM flows WHERE dst_addr = '10.0.0.2'"), 80);
}

TEST_F(StorePageSizeTest, ExistingStoreKeepsItsPageSize) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; "
                         "CREATE TABLE unrelated (x INTEGER)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  AddOneFlow();
  EXPECT_EQ(Query("PRAGMA page_size"), 4096);
  EXPECT_EQ(Query("SELECT count(*) FROM flows"), 1);
  EXPECT_EQ(Query("SELECT received FROM sensors WHERE sensor_id = 's1'"), 1);
}

}  // namespace
}  // namespace tapwatch::collector
