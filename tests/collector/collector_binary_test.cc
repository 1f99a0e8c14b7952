// The real tapwatch-collector binary as a child process: SIGTERM/SIGINT commit everything
// received, --exit-after-final with two sensors, --idle-exit, and one-line exit-2 errors for
// bad command lines and unreadable databases.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "collector/store.h"
#include "collector_test_util.h"

namespace tapwatch::collector {
namespace {

using testing::Child;
using testing::FinalStats;
using testing::FlowEnvelope;
using testing::Lines;
using testing::Query;
using testing::RunCollector;
using testing::SimpleFlow;
using testing::TempDbPath;
using testing::TestPublisher;

constexpr uint64_t kStart = 1092114948000000000ull;

// The explicit indexes on flows, sorted and comma-joined ("NULL" when there are none).
std::string FlowsIndexes(const std::string& db) {
  return Query(db,
               "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = "
               "'index' AND tbl_name = 'flows' AND sql IS NOT NULL ORDER BY name)")[0][0];
}

// collector/schema.sql's three flows indexes.
constexpr char kAllFlowsIndexes[] = "flows_dst,flows_src,flows_start";

// Polls `db` until `predicate` holds, at most `timeout_ms`.
template <typename Predicate>
bool Eventually(Predicate predicate, int timeout_ms = 20000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return predicate();
}

void ExpectStopSignalCommitsEverything(int sig) {
  const std::string db = TempDbPath("sig" + std::to_string(sig));
  TestPublisher pub;
  // Commit thresholds far out of reach: rows can only reach the file through the exit path.
  Child child({"--connect", pub.endpoint(), "--db", db, "--commit-rows", "100000000", "--commit-ms",
               "600000"});
  ASSERT_TRUE(pub.WaitForSubscriptions());
  constexpr uint64_t kRecords = 3000;
  for (uint64_t seq = 1; seq <= kRecords; ++seq) {
    pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "0") << "nothing committed yet";
  child.Signal(sig);
  const int status = child.Wait();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << child.err();
  EXPECT_EQ(Query(db, "SELECT count(*), min(seq), max(seq) FROM flows")[0],
            (std::vector<std::string>{"3000", "1", "3000"}));
  EXPECT_EQ(Query(db, "SELECT received, gaps, duplicates FROM sensors")[0],
            (std::vector<std::string>{"3000", "0", "0"}));
  EXPECT_NE(child.out().find("sensor s: received 3000, lost 0, duplicates 0"), std::string::npos)
      << child.out();
  // The store started empty, so the indexes were deferred; the stop path builds them.
  EXPECT_EQ(FlowsIndexes(db), kAllFlowsIndexes);
}

TEST(CollectorBinary, SigtermCommitsEverythingReceived) {
  ExpectStopSignalCommitsEverything(SIGTERM);
}

TEST(CollectorBinary, SigintCommitsEverythingReceived) {
  ExpectStopSignalCommitsEverything(SIGINT);
}

TEST(CollectorBinary, ExitsAfterFinalStatsFromTwoSensors) {
  const std::string db = TempDbPath("final2");
  TestPublisher a;
  TestPublisher b;
  Child child({"--connect", a.endpoint(), "--connect", b.endpoint(), "--db", db,
               "--exit-after-final", "2"});
  ASSERT_TRUE(a.WaitForSubscriptions());
  ASSERT_TRUE(b.WaitForSubscriptions());
  for (uint64_t seq = 1; seq <= 2000; ++seq) {
    a.Send(FlowEnvelope("sensor-a", kStart, seq, SimpleFlow(seq)));
    if (seq % 2 == 0) b.Send(FlowEnvelope("sensor-b", kStart, seq / 2, SimpleFlow(seq)));
  }
  a.Send(FinalStats("sensor-a", kStart, 2001));
  // One final is not enough: the collector must still be running.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(child.Running()) << "exited after one final record";
  b.Send(FinalStats("sensor-b", kStart, 1001));
  const int status = child.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << child.err();
  EXPECT_EQ(Query(db, "SELECT sensor_id, count(*) FROM flows GROUP BY 1 ORDER BY 1"),
            (std::vector<std::vector<std::string>>{{"sensor-a", "2000"}, {"sensor-b", "1000"}}));
  const std::string out = child.out();
  EXPECT_NE(out.find("sensor sensor-a: received 2001, lost 0, duplicates 0\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("sensor sensor-b: received 1001, lost 0, duplicates 0\n"), std::string::npos)
      << out;
}

TEST(CollectorBinary, DeferredIndexesAreBuiltAtExit) {
  const std::string db = TempDbPath("defer");
  TestPublisher pub;
  Child child(
      {"--connect", pub.endpoint(), "--db", db, "--exit-after-final", "1", "--defer-indexes"});
  ASSERT_TRUE(pub.WaitForSubscriptions());
  EXPECT_EQ(FlowsIndexes(db), "NULL") << "dropped while loading";
  for (uint64_t seq = 1; seq <= 100; ++seq) {
    pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  }
  pub.Send(FinalStats("s", kStart, 101));
  const int status = child.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << child.err();
  // The indexes of collector/schema.sql are back.
  EXPECT_EQ(FlowsIndexes(db), kAllFlowsIndexes);
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "100");
}

// Default mode on an empty store: no flows indexes while waiting for a sensor or while rows
// stream in, all back once a --index-idle-ms window stored (almost) nothing, with the
// collector still running.
TEST(CollectorBinary, DeferredIndexesAreBuiltWhenIngestSlowsDown) {
  const std::string db = TempDbPath("idle_index");
  TestPublisher pub;
  Child child({"--connect", pub.endpoint(), "--db", db, "--index-idle-ms", "300"});
  ASSERT_TRUE(pub.WaitForSubscriptions());
  EXPECT_EQ(FlowsIndexes(db), "NULL") << "dropped for the bulk load";
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(FlowsIndexes(db), "NULL") << "no flow stored yet: still waiting for the load";
  for (uint64_t seq = 1; seq <= 500; ++seq) {
    pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  }
  EXPECT_TRUE(Eventually([&] { return FlowsIndexes(db) == kAllFlowsIndexes; }))
      << "indexes not rebuilt while idle: " << FlowsIndexes(db);
  EXPECT_TRUE(child.Running());
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "500");
  // Rows after the rebuild go through the indexes: the index and the table agree.
  for (uint64_t seq = 501; seq <= 600; ++seq) {
    pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  }
  pub.Send(FinalStats("s", kStart, 601));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  child.Signal(SIGTERM);
  const int status = child.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << child.err();
  EXPECT_NE(child.err().find("built flows indexes (ingest slowed down)"), std::string::npos)
      << child.err();
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows INDEXED BY flows_start WHERE start_ns > 0")[0][0],
            "600");
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows NOT INDEXED")[0][0], "600");
  EXPECT_EQ(Query(db, "PRAGMA integrity_check")[0][0], "ok");
}

// A live sensor's trickle never leaves the writer idle for a whole window, but it is far from a
// bulk load: the indexes come back after a few slow windows while records keep arriving.
TEST(CollectorBinary, DeferredIndexesAreBuiltDuringATrickle) {
  const std::string db = TempDbPath("trickle_index");
  TestPublisher pub;
  Child child({"--connect", pub.endpoint(), "--db", db, "--index-idle-ms", "300"});
  ASSERT_TRUE(pub.WaitForSubscriptions());
  uint64_t seq = 0;
  bool rebuilt = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!rebuilt && std::chrono::steady_clock::now() < deadline) {
    ++seq;
    pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // 50 flows/s
    if (seq % 10 == 0) rebuilt = FlowsIndexes(db) == kAllFlowsIndexes;
  }
  EXPECT_TRUE(rebuilt) << "still no indexes after " << seq << " trickled flows";
  EXPECT_TRUE(child.Running());
  child.Signal(SIGTERM);
  const int status = child.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << child.err();
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], std::to_string(seq));
  EXPECT_EQ(Query(db, "PRAGMA integrity_check")[0][0], "ok");
}

// --index-during-load keeps the indexes the whole time; a store that already holds flows is
// never stripped of its indexes, whatever the mode.
TEST(CollectorBinary, IndexesKeptDuringLoadOrOnANonEmptyStore) {
  const std::string db = TempDbPath("keep_index");
  {
    TestPublisher pub;
    Child child({"--connect", pub.endpoint(), "--db", db, "--exit-after-final", "1",
                 "--index-during-load"});
    ASSERT_TRUE(pub.WaitForSubscriptions());
    EXPECT_EQ(FlowsIndexes(db), kAllFlowsIndexes);
    pub.Send(FlowEnvelope("s", kStart, 1, SimpleFlow(1)));
    pub.Send(FinalStats("s", kStart, 2));
    const int status = child.Wait();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << child.err();
  }
  {
    TestPublisher pub;
    Child child({"--connect", pub.endpoint(), "--db", db, "--exit-after-final", "1",
                 "--defer-indexes"});
    ASSERT_TRUE(pub.WaitForSubscriptions());
    EXPECT_EQ(FlowsIndexes(db), kAllFlowsIndexes) << "1 row stored: not a bulk load";
    pub.Send(FlowEnvelope("s", kStart, 3, SimpleFlow(3)));
    pub.Send(FinalStats("s", kStart, 4));
    const int status = child.Wait();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << child.err();
  }
  EXPECT_EQ(FlowsIndexes(db), kAllFlowsIndexes);
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "2");
}

// A collector killed during a bulk load leaves the flows indexes out; `flows` (and `report`)
// create the missing ones before reading.
TEST(CollectorBinary, FlowsCommandCreatesIndexesLeftOutByAKilledLoad) {
  const std::string db = TempDbPath("killed_load");
  {
    TestPublisher pub;
    Child child({"--connect", pub.endpoint(), "--db", db, "--index-idle-ms", "600000"});
    ASSERT_TRUE(pub.WaitForSubscriptions());
    for (uint64_t seq = 1; seq <= 500; ++seq) {
      pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
    }
    EXPECT_TRUE(Eventually([&] { return Query(db, "SELECT count(*) FROM flows")[0][0] == "500"; }));
    child.Signal(SIGKILL);
    child.Wait();
  }
  EXPECT_EQ(FlowsIndexes(db), "NULL") << "killed before the rebuild";
  const auto r = RunCollector({"flows", "--db", db, "--format", "jsonl"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 500u);
  EXPECT_EQ(FlowsIndexes(db), kAllFlowsIndexes);
  EXPECT_EQ(Query(db, "PRAGMA integrity_check")[0][0], "ok");
}

// EnsureFlowsIndexes never creates a database or a table.
TEST(CollectorBinary, EnsureFlowsIndexesLeavesOtherFilesAlone) {
  const std::string missing = TempDbPath("missing");
  std::string error;
  EXPECT_FALSE(EnsureFlowsIndexes(missing, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(missing));

  const std::string other = TempDbPath("no_flows_table");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  error.clear();
  EXPECT_TRUE(EnsureFlowsIndexes(other, error)) << error;
  EXPECT_EQ(Query(other, "SELECT group_concat(name) FROM sqlite_master")[0][0], "t");
}

TEST(CollectorBinary, IdleExit) {
  const std::string db = TempDbPath("idle");
  TestPublisher pub;  // nobody publishes
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      RunCollector({"--connect", pub.endpoint(), "--db", db, "--idle-exit", "0.3", "--quiet"});
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_GE(elapsed_s, 0.3);
  EXPECT_LT(elapsed_s, 10);
  EXPECT_EQ(r.out, "") << "--quiet prints nothing";
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "0");
}

// Bad input: exit status 2 (not a crash), one stderr line that names the problem.
void ExpectUsageError(const std::vector<std::string>& args, const std::string& needle) {
  const auto r = RunCollector(args);
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  ASSERT_TRUE(r.exited()) << joined << ": died by signal " << WTERMSIG(r.status);
  EXPECT_EQ(r.code(), 2) << joined;
  EXPECT_NE(r.err.find(needle), std::string::npos) << joined << ": stderr was: " << r.err;
  EXPECT_EQ(r.out, "") << joined;
}

TEST(CollectorBinary, BadCommandLinesExitTwoNamingTheProblem) {
  const std::string db = TempDbPath("cli");
  const std::string ep = "tcp://127.0.0.1:1";
  ExpectUsageError({"bogus"}, "unknown command 'bogus'");
  ExpectUsageError({"--connect", ep}, "missing --db");
  ExpectUsageError({"--db", db}, "missing --connect");
  ExpectUsageError({"--connect", ep, "--db", db, "--frobnicate"}, "unknown option '--frobnicate'");
  ExpectUsageError({"--connect", ep, "--db", db, "--exit-after-final", "two"},
                   "--exit-after-final");
  ExpectUsageError({"--connect", ep, "--db", db, "--idle-exit", "-1"}, "--idle-exit");
  ExpectUsageError({"--connect", ep, "--db"}, "--db: missing value");
  ExpectUsageError({"--connect", "nonsense://x", "--db", db}, "--connect nonsense://x");
  ExpectUsageError({"--connect", ep, "--db", "/nonexistent-dir/x.db"}, "/nonexistent-dir/x.db");
  ExpectUsageError({"flows"}, "missing --db");
  ExpectUsageError({"flows", "--db", "/nonexistent-dir/x.db"}, "/nonexistent-dir/x.db");
  ExpectUsageError({"flows", "--db", db, "--bogus"}, "unknown option '--bogus'");
  ExpectUsageError({"flows", "--db", db, "--proto", "xyz"}, "--proto");
  ExpectUsageError({"flows", "--db", db, "--src", "1.2.3"}, "--src");
  ExpectUsageError({"flows", "--db", db, "--dst", "10.0.0.0/33"}, "--dst");
  ExpectUsageError({"flows", "--db", db, "--port", "65536"}, "--port");
  ExpectUsageError({"flows", "--db", db, "--from", "yesterday"}, "--from");
  ExpectUsageError({"flows", "--db", db, "--limit", "-5"}, "--limit");
  ExpectUsageError({"flows", "--db", db, "--format", "xml"}, "--format");
#if !__has_include("collector/report/report_command.h")
  ExpectUsageError({"report"}, "report not available");
#endif
}

TEST(CollectorBinary, NoArgumentsPrintsUsageAndExitsTwo) {
  const auto r = RunCollector({});
  EXPECT_EQ(r.code(), 2);
  EXPECT_NE(r.err.find("usage:"), std::string::npos) << r.err;
}

TEST(CollectorBinary, UnreadableDatabasesExitTwo) {
  const std::string garbage = TempDbPath("garbage");
  {
    std::ofstream out(garbage);
    out << std::string(4096, 'x');
  }
  ExpectUsageError({"flows", "--db", garbage}, garbage);
  ExpectUsageError({"--connect", "tcp://127.0.0.1:1", "--db", garbage}, garbage);
  // A valid SQLite file that is not a tapwatch store.
  const std::string other = TempDbPath("other");
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "CREATE TABLE x (a)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  ExpectUsageError({"flows", "--db", other}, "no flows table");
  // A directory.
  ExpectUsageError({"flows", "--db", ::testing::TempDir()}, ::testing::TempDir());
}

}  // namespace
}  // namespace tapwatch::collector
