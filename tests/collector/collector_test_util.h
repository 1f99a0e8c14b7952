#pragma once
// Helpers for the collector tests: a real ZeroMQ XPUB publisher on 127.0.0.1 that waits for the
// collector's subscriptions, a child-process runner for the real binary, and raw SQLite reads
// (the tests read the store with plain SQL, never through the collector's own code).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tapwatch.pb.h"

namespace tapwatch::collector::testing {

/// A sensor stand-in: XPUB bound on an ephemeral loopback port, two-frame messages.
class TestPublisher {
 public:
  TestPublisher() {
    context_ = zmq_ctx_new();
    socket_ = zmq_socket(context_, ZMQ_XPUB);
    const int zero = 0;
    const int one = 1;
    zmq_setsockopt(socket_, ZMQ_SNDHWM, &zero, sizeof(zero));
    zmq_setsockopt(socket_, ZMQ_XPUB_NODROP, &one, sizeof(one));
    zmq_setsockopt(socket_, ZMQ_LINGER, &zero, sizeof(zero));
    EXPECT_EQ(zmq_bind(socket_, "tcp://127.0.0.1:*"), 0) << zmq_strerror(zmq_errno());
    char buf[256];
    size_t len = sizeof(buf);
    zmq_getsockopt(socket_, ZMQ_LAST_ENDPOINT, buf, &len);
    endpoint_ = buf;
  }
  ~TestPublisher() {
    zmq_close(socket_);
    zmq_ctx_term(context_);
  }
  const std::string& endpoint() const { return endpoint_; }

  /// Waits for the subscriber's "flow", "stats" and "batch.flow" subscriptions (ZeroMQ PUB
  /// drops whatever is sent before a subscription arrives). False after `timeout_ms`.
  bool WaitForSubscriptions(int timeout_ms = 10000) {
    bool flow = false;
    bool stats = false;
    bool batch = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!(flow && stats && batch)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) return false;
      zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
      if (zmq_poll(&item, 1, static_cast<long>(left)) <= 0) continue;
      char buf[64];
      const int n = zmq_recv(socket_, buf, sizeof(buf), 0);
      if (n < 1 || buf[0] != 1) continue;
      const std::string topic(buf + 1, static_cast<size_t>(n - 1));
      flow = flow || topic == "flow";
      stats = stats || topic == "stats";
      batch = batch || topic == "batch.flow";
    }
    return true;
  }

  void SendRaw(const std::string& topic, const std::string& body) {
    zmq_send(socket_, topic.data(), topic.size(), ZMQ_SNDMORE);
    zmq_send(socket_, body.data(), body.size(), 0);
  }
  void SendFrames(const std::vector<std::string>& frames) {
    for (size_t i = 0; i < frames.size(); ++i) {
      zmq_send(socket_, frames[i].data(), frames[i].size(),
               i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
    }
  }
  void Send(const proto::Envelope& envelope) {
    SendRaw(envelope.has_stats() ? "stats" : "flow", envelope.SerializeAsString());
  }
  /// Several envelopes in one "batch.flow" message, as the sensor sends them by default.
  void SendBatch(const std::vector<proto::Envelope>& envelopes) {
    proto::EnvelopeBatch batch;
    for (const proto::Envelope& e : envelopes) *batch.add_envelopes() = e;
    SendRaw("batch.flow", batch.SerializeAsString());
  }

 private:
  void* context_ = nullptr;
  void* socket_ = nullptr;
  std::string endpoint_;
};

inline proto::Envelope FlowEnvelope(const std::string& sensor, uint64_t start_ns, uint64_t seq,
                                    const proto::FlowRecord& flow) {
  proto::Envelope e;
  e.set_sensor_id(sensor);
  e.set_sensor_start_ns(start_ns);
  e.set_seq(seq);
  *e.mutable_flow() = flow;
  return e;
}

inline proto::Envelope FinalStats(const std::string& sensor, uint64_t start_ns, uint64_t seq) {
  proto::Envelope e;
  e.set_sensor_id(sensor);
  e.set_sensor_start_ns(start_ns);
  e.set_seq(seq);
  e.mutable_stats()->set_sensor_id(sensor);
  e.mutable_stats()->set_final(true);
  return e;
}

/// A simple flow whose fields are derived from `i` (used where only counts matter).
inline proto::FlowRecord SimpleFlow(uint64_t i) {
  proto::FlowRecord f;
  f.set_flow_id(i);
  f.set_src_addr("10.0.0." + std::to_string(i % 250 + 1));
  f.set_dst_addr("192.0.2.1");
  f.set_src_port(static_cast<uint32_t>(1024 + i));
  f.set_dst_port(80);
  f.set_ip_proto(6);
  f.set_start_ns(1000000000ull * (1000 + i));
  f.set_end_ns(1000000000ull * (1000 + i) + 5);
  f.set_src_pkts(1);
  return f;
}

/// This test process's scratch directory under the gtest temp dir, created on first use and
/// removed with everything in it when the process exits (databases, their -wal/-shm files and
/// child output), so test runs leave nothing behind in /tmp.
class ScratchDir {
 public:
  static const std::string& Path() {
    static ScratchDir dir;
    return dir.path_;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

 private:
  ScratchDir()
      : path_(::testing::TempDir() + "/tapwatch_collector_" + std::to_string(getpid())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string path_;
};

/// A fresh database path in the scratch directory (any old file and its WAL removed).
inline std::string TempDbPath(const std::string& name) {
  const std::string path = ScratchDir::Path() + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

/// Runs SQL and returns every row as text (NULL as "NULL").
inline std::vector<std::vector<std::string>> Query(const std::string& db_path,
                                                   const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "open " << db_path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
        row.push_back("NULL");
      } else {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        row.emplace_back(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
      }
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

/// One row as column name -> text value (NULL as "NULL").
inline std::map<std::string, std::string> QueryRow(const std::string& db_path,
                                                   const std::string& sql) {
  std::map<std::string, std::string> out;
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else if (sqlite3_step(stmt) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
        out[sqlite3_column_name(stmt, i)] = "NULL";
      } else {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
        out[sqlite3_column_name(stmt, i)] =
            std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
      }
    }
  } else {
    ADD_FAILURE() << "no row: " << sql;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// A child process running the real tapwatch-collector, stdout/stderr captured to files.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    static int counter = 0;
    const std::string base = ScratchDir::Path() + "/child_" + std::to_string(counter++);
    out_path_ = base + ".out";
    err_path_ = base + ".err";
    pid_ = fork();
    if (pid_ == 0) {
      const int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      static std::string bin = TAPWATCH_COLLECTOR_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Child() {
    if (!waited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    std::filesystem::remove(out_path_);
    std::filesystem::remove(err_path_);
  }
  void Signal(int sig) { kill(pid_, sig); }
  /// True while the child has not exited (reaps it if it has).
  bool Running() {
    if (waited_) return false;
    if (waitpid(pid_, &status_, WNOHANG) == pid_) waited_ = true;
    return !waited_;
  }
  /// Waits for exit (at most `timeout_ms`, then SIGKILL); returns the wait status.
  int Wait(int timeout_ms = 30000) {
    if (waited_) return status_;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      const pid_t r = waitpid(pid_, &status_, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "collector did not exit within " << timeout_ms << " ms; killing it";
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    waited_ = true;
    return status_;
  }
  std::string out() const { return ReadFile(out_path_); }
  std::string err() const { return ReadFile(err_path_); }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool waited_ = false;
  std::string out_path_;
  std::string err_path_;
};

struct RunResult {
  int status = 0;
  std::string out;
  std::string err;
  bool exited() const { return WIFEXITED(status); }
  int code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

/// Runs the collector to completion with `args`.
inline RunResult RunCollector(const std::vector<std::string>& args) {
  Child child(args);
  RunResult r;
  r.status = child.Wait();
  r.out = child.out();
  r.err = child.err();
  return r;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace tapwatch::collector::testing
