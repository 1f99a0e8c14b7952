// Ingest benchmark: binds an XPUB socket on tcp://127.0.0.1 (ephemeral port), starts the real
// tapwatch-collector as a child connected to it, waits for its subscriptions, then publishes N
// synthetic flow envelopes (default 1,000,000) and a final StatsRecord. The collector runs with
// --exit-after-final 1, so the time from the first send to the child's exit covers receiving,
// parsing and committing every row. Prints flows/s, the child's peak RSS (wait4 ru_maxrss) and
// checks the row count in the database. The collector's default index handling applies (the
// store starts empty, so the flows indexes are deferred and built at exit, inside the timed
// window); `--arg --index-during-load` measures the row-by-row index upkeep instead.
//
// Flows go out as the sensor sends them by default: 64 envelopes per "batch.flow" message;
// `--batch 1` sends one per "flow" message.
//
// usage: collector_ingest [--flows N] [--batch N] [--db FILE] [--collector PATH] [--keep-db]
//                         [--arg COLLECTOR_OPTION]...   (e.g. --arg --index-during-load)

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench/synthetic_flow.h"
#include "tapwatch.pb.h"

namespace {

using tapwatch::bench::kStartNs;
using tapwatch::bench::SerializeSyntheticEnvelopes;
using Clock = std::chrono::steady_clock;

rusage WaitChild(pid_t pid, int& status) {
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
  }
  return usage;
}

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

std::string LoadAverage() {
  char buf[128] = "?\n";
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (!std::fgets(buf, sizeof(buf), f)) buf[0] = 0;
    std::fclose(f);
  }
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t flows = 1000000;
  std::string db = "/tmp/tapwatch_collector_bench_" + std::to_string(getpid()) + ".db";
  std::string collector = TAPWATCH_COLLECTOR_PATH;
  bool keep_db = false;
  uint64_t batch = 64;
  std::vector<std::string> extra_args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--flows" && i + 1 < argc) {
      flows = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--batch" && i + 1 < argc) {
      batch = std::max<uint64_t>(1, std::strtoull(argv[++i], nullptr, 10));
    } else if (a == "--db" && i + 1 < argc) {
      db = argv[++i];
    } else if (a == "--collector" && i + 1 < argc) {
      collector = argv[++i];
    } else if (a == "--arg" && i + 1 < argc) {
      extra_args.push_back(argv[++i]);
    } else if (a == "--keep-db") {
      keep_db = true;
    } else {
      std::fprintf(
          stderr, "usage: %s [--flows N] [--batch N] [--db FILE] [--collector PATH] [--keep-db] "
          "[--arg A]...\n",
          argv[0]);
      return 2;
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());

  void* ctx = zmq_ctx_new();
  void* pub = zmq_socket(ctx, ZMQ_XPUB);
  const int zero = 0;
  const int one = 1;
  zmq_setsockopt(pub, ZMQ_SNDHWM, &zero, sizeof(zero));  // unlimited: never drop
  zmq_setsockopt(pub, ZMQ_XPUB_NODROP, &one, sizeof(one));
  zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof(zero));
  if (zmq_bind(pub, "tcp://127.0.0.1:*") != 0) {
    std::fprintf(stderr, "bind: %s\n", zmq_strerror(zmq_errno()));
    return 1;
  }
  char endpoint[256];
  size_t endpoint_len = sizeof(endpoint);
  zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_len);

  const pid_t child = fork();
  if (child == 0) {
    std::vector<std::string> args = {collector, "--connect",          endpoint, "--db",
                                     db,        "--exit-after-final", "1",      "--idle-exit",
                                     "60"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> cargs;
    for (auto& arg : args) cargs.push_back(arg.data());
    cargs.push_back(nullptr);
    execv(collector.c_str(), cargs.data());
    std::perror("exec collector");
    _exit(127);
  }
  // Wait for all three subscriptions ("flow", "stats", "batch.flow") so nothing is published
  // into the void.
  int subscriptions = 0;
  while (subscriptions < 3) {
    char buf[64];
    zmq_pollitem_t item{pub, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, 10000) <= 0) {
      std::fprintf(stderr, "collector did not subscribe within 10 s\n");
      kill(child, SIGTERM);
      return 1;
    }
    if (zmq_recv(pub, buf, sizeof(buf), 0) > 0 && buf[0] == 1) ++subscriptions;
  }

  // Serialize everything first so the timed window measures the collector, not our encoder.
  std::string all;
  std::vector<size_t> ends;
  SerializeSyntheticEnvelopes(flows, all, ends);
  // Batches as EnvelopeBatch wire bytes: field 1 (tag 0x0a), varint length, envelope; repeated.
  std::vector<std::string> batches;
  if (batch > 1) {
    size_t begin = 0;
    for (uint64_t i = 0; i < flows; i += batch) {
      std::string b;
      for (uint64_t k = i; k < std::min(flows, i + batch); ++k) {
        size_t len = ends[k] - begin;
        b.push_back('\x0a');
        while (len >= 0x80) {
          b.push_back(static_cast<char>((len & 0x7f) | 0x80));
          len >>= 7;
        }
        b.push_back(static_cast<char>(len));
        b.append(all, begin, ends[k] - begin);
        begin = ends[k];
      }
      batches.push_back(std::move(b));
    }
  }
  const auto t0 = Clock::now();
  if (batch > 1) {
    for (const std::string& b : batches) {
      zmq_send(pub, "batch.flow", 10, ZMQ_SNDMORE);
      zmq_send(pub, b.data(), b.size(), 0);
    }
  } else {
    size_t begin = 0;
    for (uint64_t i = 0; i < flows; ++i) {
      zmq_send(pub, "flow", 4, ZMQ_SNDMORE);
      zmq_send(pub, all.data() + begin, ends[i] - begin, 0);
      begin = ends[i];
    }
  }
  tapwatch::proto::Envelope env;
  std::string wire;
  env.set_sensor_id("bench");
  env.set_seq(flows + 1);
  env.set_sensor_start_ns(kStartNs);
  env.mutable_stats()->set_final(true);
  env.mutable_stats()->set_sensor_id("bench");
  env.SerializeToString(&wire);
  zmq_send(pub, "stats", 5, ZMQ_SNDMORE);
  zmq_send(pub, wire.data(), wire.size(), 0);
  const auto t_sent = Clock::now();

  int status = 0;
  const rusage usage = WaitChild(child, status);
  const long peak_rss_kb = usage.ru_maxrss;
  const double cpu_s = Seconds(usage.ru_utime) + Seconds(usage.ru_stime);
  const auto t1 = Clock::now();
  const double send_s = std::chrono::duration<double>(t_sent - t0).count();
  const double total_s = std::chrono::duration<double>(t1 - t0).count();

  sqlite3* handle = nullptr;
  long long rows = -1;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(handle, "SELECT count(*) FROM flows", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      rows = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(handle);

  std::printf("flows published:  %llu (%.2f s to publish, %.0f/s)\n",
              static_cast<unsigned long long>(flows), send_s, flows / send_s);
  std::printf("collector exit:   %s %d\n", WIFEXITED(status) ? "status" : "signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  std::printf("rows stored:      %lld%s\n", rows,
              rows == static_cast<long long>(flows) ? "" : "  MISMATCH");
  std::printf("ingest rate:      %.0f flows/s (%.2f s first send to collector exit)\n",
              flows / total_s, total_s);
  // On a shared machine the wall-clock rate depends on everyone else's load; flows per CPU
  // second of the collector (user + sys, all its threads) is the steadier figure.
  std::printf("collector CPU:    %.2f s user + %.2f s sys = %.0f flows per CPU-second\n",
              Seconds(usage.ru_utime), Seconds(usage.ru_stime), flows / cpu_s);
  std::printf("machine load:     %s", LoadAverage().c_str());
  std::printf("collector peak RSS: %.1f MiB\n", peak_rss_kb / 1024.0);
  zmq_close(pub);
  zmq_ctx_term(ctx);
  if (!keep_db) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  }
  return rows == static_cast<long long>(flows) && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0
                                                                                                : 1;
}
