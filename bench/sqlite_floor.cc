// SQLite's own cost for the collector_ingest rows, without ZeroMQ, Protobuf or the collector:
// the same schema and pragmas as the store, the same 59 columns bound from precomputed values
// (addresses formatted before the clock starts), a commit every 10,000 rows, then the flows
// indexes built by one sort each, in the store's sorted runs (kStoreIndexBuild below). Then, on a fresh store, the collector's own path on one thread:
// parse each envelope from wire bytes and Store::Add() it, indexes deferred and rebuilt (as
// tapwatch-collector does on an empty store). The difference between the two is what the
// collector adds per row on top of SQLite; the first is the floor for one writer thread.
//
// usage: sqlite_floor [--flows N] [--db FILE] [--pragma SQL] [--after SQL] [--index-pragma SQL]
//                     [--index-sql SQL] [--pmasz PAGES] [--floor-only]
// Floor run only: --pragma runs before the schema (e.g. "PRAGMA page_size = 65536"; the store's
// 16384 otherwise), --after after the store's pragmas (e.g. "PRAGMA cache_size = -262144"),
// --index-pragma after the store's index-build pragmas (e.g. "PRAGMA temp_store = MEMORY;
// PRAGMA cache_size = -65536", the earlier index build's), --index-sql instead of the
// schema's flows indexes, --pmasz the sorter's run size in pages (the store's 16 otherwise).
// Each phase is timed in wall and process CPU seconds (user + sys, all threads): the CPU figure
// is the steadier one on a shared machine.

#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench/synthetic_flow.h"
#include "collector/schema_sql.h"
#include "collector/store.h"
#include "tapwatch.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
using tapwatch::bench::FillFlow;
using tapwatch::bench::kStartNs;
using tapwatch::bench::SerializeSyntheticEnvelopes;

constexpr uint64_t kCommitRows = 10000;
// As collector/store.cc builds the deferred indexes (kIndexBuildPragmas, kSortRunPages).
constexpr char kStoreIndexBuild[] =
    "PRAGMA temp_store = FILE; PRAGMA cache_size = -256; PRAGMA threads = 0;";
constexpr unsigned kStoreSortRunPages = 16;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// User + system CPU seconds of this process so far (every thread, SQLite's sorter helper too).
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Wall and CPU seconds of one phase.
struct PhaseTime {
  double wall = 0;
  double cpu = 0;
};

class PhaseTimer {
 public:
  PhaseTimer() : wall0_(Clock::now()), cpu0_(ProcessCpuSeconds()) {}
  PhaseTime Elapsed() const { return {Since(wall0_), ProcessCpuSeconds() - cpu0_}; }

 private:
  Clock::time_point wall0_;
  double cpu0_;
};

void RemoveDb(const std::string& db) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
}

bool Exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return true;
  std::fprintf(stderr, "sqlite: %s\n", message ? message : sqlite3_errmsg(db));
  sqlite3_free(message);
  return false;
}

// The schema without its flows indexes (built after the load, as the collector does).
std::string SchemaWithoutFlowsIndexes(std::string& index_sql) {
  std::string schema = tapwatch::collector::kSchemaSql;
  constexpr std::string_view kPrefix = "CREATE INDEX IF NOT EXISTS flows_";
  for (size_t pos; (pos = schema.find(kPrefix)) != std::string::npos;) {
    const size_t end = schema.find(';', pos) + 1;
    index_sql += schema.substr(pos, end - pos);
    schema.erase(pos, end - pos);
  }
  return schema;
}

struct Addresses {
  char src[16];
  char dst[16];
};

// Pure SQLite: bind + step + commit per row, then the index build. Returns false on error.
bool RunFloor(const std::string& path, uint64_t flows, const std::string& pragmas,
              const std::string& after, const std::string& index_pragmas,
              const std::string& index_override, PhaseTime& insert, PhaseTime& index) {
  // Formatted up front: the floor must not include our snprintf. Values equal FillFlow's.
  std::vector<Addresses> addresses(flows);
  std::vector<uint32_t> src_v4(flows);
  std::vector<uint32_t> dst_v4(flows);
  for (uint64_t i = 0; i < flows; ++i) {
    tapwatch::proto::FlowRecord f;
    FillFlow(i, f);
    std::snprintf(addresses[i].src, sizeof(addresses[i].src), "%s", f.src_addr().c_str());
    std::snprintf(addresses[i].dst, sizeof(addresses[i].dst), "%s", f.dst_addr().c_str());
    const uint64_t h = (i * 0x9E3779B97F4A7C15ull) >> 32;
    src_v4[i] = (10u << 24) | (1u << 16) | static_cast<uint32_t>(((h >> 8) & 3) << 8 | (h & 255));
    dst_v4[i] = (1u << 24) | (11u << 16) |
                static_cast<uint32_t>(((h >> 12) & 255) << 8 | ((h >> 20) & 255));
  }
  RemoveDb(path);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
  std::string index_sql;
  std::string sql = "INSERT INTO flows VALUES (NULL";
  for (int i = 0; i < 59; ++i) sql += ",?";
  sql += ")";
  sqlite3_stmt* stmt = nullptr;
  // The store's pragmas (collector/store.cc).
  if (!Exec(db, "PRAGMA page_size = 16384") || (!pragmas.empty() && !Exec(db, pragmas)) ||
      !Exec(db, SchemaWithoutFlowsIndexes(index_sql)) ||
      !Exec(db,
            "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; "
            "PRAGMA wal_autocheckpoint = 4096") ||
      (!after.empty() && !Exec(db, after)) ||
      sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
          SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return false;
  }
  bool ok = true;
  const PhaseTimer insert_timer;
  for (uint64_t i = 0; i < flows && ok; ++i) {
    if (i % kCommitRows == 0) ok = Exec(db, i == 0 ? "BEGIN" : "COMMIT; BEGIN");
    const bool udp = i % 10 == 3;
    const auto text = [&](int col, const char* s) {
      sqlite3_bind_text(stmt, col, s, static_cast<int>(std::strlen(s)), SQLITE_STATIC);
    };
    const auto num = [&](int col, uint64_t v) {
      sqlite3_bind_int64(stmt, col, static_cast<sqlite3_int64>(v));
    };
    const auto null = [&](int col) { sqlite3_bind_null(stmt, col); };
    int c = 0;
    text(++c, "bench");
    num(++c, i + 1);
    num(++c, i + 1);
    text(++c, addresses[i].src);
    text(++c, addresses[i].dst);
    num(++c, src_v4[i]);
    num(++c, dst_v4[i]);
    num(++c, 1024 + i % 60000);
    num(++c, udp ? 53 : (i % 3 == 0 ? 445 : 80));
    num(++c, udp ? 17 : 6);
    num(++c, 0);
    num(++c, 0);
    text(++c, "00:0c:29:12:34:56");
    text(++c, "00:50:56:ab:cd:ef");
    num(++c, kStartNs + i * 1000000);
    num(++c, kStartNs + i * 1000000 + 250000000);
    num(++c, 6 + i % 7);
    num(++c, 5 + i % 5);
    num(++c, 700 + i % 1000);
    num(++c, 4000 + i % 9000);
    num(++c, 800 + i % 1000);
    num(++c, 4100 + i % 9000);
    num(++c, 400 + i % 1000);
    num(++c, 3600 + i % 9000);
    num(++c, udp ? 0 : 0x1b);
    num(++c, udp ? 0 : 0x1b);
    udp ? null(++c) : num(++c, 0x02);
    udp ? null(++c) : num(++c, 0x12);
    num(++c, 64);
    num(++c, 64);
    num(++c, 128);
    num(++c, 128);
    sqlite3_bind_null(stmt, ++c);  // icmp_type
    sqlite3_bind_null(stmt, ++c);  // icmp_code
    text(++c, udp ? "guess" : "syn");
    text(++c, "SF");
    text(++c, udp ? "Dd" : "ShADadFf");
    text(++c, udp ? "CON" : "FIN");
    udp ? null(++c) : text(++c, "A_RPA");
    text(++c, udp ? "idle" : "tcp-close");
    num(++c, 0);  // interim
    num(++c, 0);  // record_seq
    num(++c, 0);
    num(++c, 0);
    i % 100 == 0 ? text(++c, "{\"tcp_bad_checksum\": 1}") : null(++c);
    num(++c, 0);  // bare_ack
    num(++c, 0);
    num(++c, 0);
    while (c < 59) sqlite3_bind_null(stmt, ++c);  // first bytes .. out_iface: unset
    ok = ok && sqlite3_step(stmt) == SQLITE_DONE;
    sqlite3_reset(stmt);
  }
  ok = ok && Exec(db, "COMMIT");
  insert = insert_timer.Elapsed();
  const PhaseTimer index_timer;
  ok = ok && Exec(db, kStoreIndexBuild) && (index_pragmas.empty() || Exec(db, index_pragmas)) &&
       Exec(db, index_override.empty() ? index_sql : index_override);
  index = index_timer.Elapsed();
  if (!ok) std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ok;
}

// The collector's path on one thread: parse from wire bytes, Store::Add, deferred indexes.
bool RunStore(const std::string& path, uint64_t flows, double& parse_s, PhaseTime& insert,
              PhaseTime& index) {
  std::string all;
  std::vector<size_t> ends;
  SerializeSyntheticEnvelopes(flows, all, ends);
  tapwatch::proto::Envelope env;
  const auto parse_all = [&](auto&& each) {
    size_t begin = 0;
    for (uint64_t i = 0; i < flows; ++i) {
      if (!env.ParseFromArray(all.data() + begin, static_cast<int>(ends[i] - begin))) return false;
      begin = ends[i];
      if (!each()) return false;
    }
    return true;
  };
  auto t0 = Clock::now();
  if (!parse_all([] { return true; })) return false;
  parse_s = Since(t0);

  RemoveDb(path);
  std::string error;
  std::unique_ptr<tapwatch::collector::Store> store = tapwatch::collector::Store::Open(path, error);
  if (!store || !store->DeferIndexes()) {
    std::fprintf(stderr, "store: %s\n", store ? store->error().c_str() : error.c_str());
    return false;
  }
  const PhaseTimer insert_timer;
  const bool ok = parse_all(
      [&] { return store->Add(env) && (store->pending_rows() < kCommitRows || store->Commit()); });
  if (!ok || !store->Commit()) {
    std::fprintf(stderr, "store: %s\n", store->error().c_str());
    return false;
  }
  insert = insert_timer.Elapsed();
  const PhaseTimer index_timer;
  if (!store->RebuildIndexes()) return false;
  index = index_timer.Elapsed();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t flows = 500000;
  unsigned sort_run_pages = kStoreSortRunPages;
  std::string pragmas;
  std::string after;
  std::string index_pragmas;
  std::string index_override;
  bool floor_only = false;
  std::string db = "/tmp/tapwatch_sqlite_floor_" + std::to_string(getpid()) + ".db";
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--flows" && i + 1 < argc) {
      flows = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--db" && i + 1 < argc) {
      db = argv[++i];
    } else if (a == "--after" && i + 1 < argc) {
      after += argv[++i];
      after += ";";
    } else if (a == "--index-pragma" && i + 1 < argc) {
      index_pragmas += argv[++i];
      index_pragmas += ";";
    } else if (a == "--index-sql" && i + 1 < argc) {
      index_override += argv[++i];
      index_override += ";";
    } else if (a == "--pmasz" && i + 1 < argc) {
      sort_run_pages = static_cast<unsigned>(std::atoi(argv[++i]));
    } else if (a == "--floor-only") {
      floor_only = true;
    } else if (a == "--pragma" && i + 1 < argc) {
      pragmas += argv[++i];
      pragmas += ";";
    } else {
      std::fprintf(stderr, "usage: %s [--flows N] [--db FILE] [--pragma SQL] [--after SQL] "
                   "[--index-pragma SQL] [--index-sql SQL] [--floor-only]\n",
                   argv[0]);
      return 2;
    }
  }
  // Process-wide, before SQLite initialises (the store's own setting comes too late for the floor).
  sqlite3_config(SQLITE_CONFIG_PMASZ, sort_run_pages);
  const double n = static_cast<double>(flows);
  const auto print = [n](const char* what, const PhaseTime& insert, const PhaseTime& index) {
    std::printf("%s insert %.2f s (%.0f rows/s; CPU %.2f s), indexes %.2f s (CPU %.2f s), "
                "total %.0f rows/s, %.0f rows per CPU-second\n",
                what, insert.wall, n / insert.wall, insert.cpu, index.wall, index.cpu,
                n / (insert.wall + index.wall), n / (insert.cpu + index.cpu));
  };
  PhaseTime insert, index;
  if (!RunFloor(db, flows, pragmas, after, index_pragmas, index_override, insert, index)) return 1;
  print("sqlite floor:  ", insert, index);
  if (floor_only) {
    RemoveDb(db);
    return 0;
  }
  double parse_s = 0;
  if (!RunStore(db, flows, parse_s, insert, index)) return 1;
  std::printf("parse alone:    %.2f s (%.0f envelopes/s)\n", parse_s, n / parse_s);
  print("parse + Store: ", insert, index);
  RemoveDb(db);
  return 0;
}
