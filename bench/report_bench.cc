// report_bench: times `tapwatch-collector report` on a synthetic store.
//   report_bench [--rows N] [--db PATH] [--format json|text|html]
// Generates N flow rows into PATH (default /tmp/tapwatch_report_bench_<N>.db; reused when it
// already holds N rows) with the collector schema and its indexes, then runs the full report once
// and prints rows, generation time, report time, rows/s and peak RSS.
//
// Traffic mix (seeded, deterministic), home 172.20.0.0/16 with 4096 live hosts, 30 days:
//   55% inbound TCP from a pool of 300k external sources to 40 popular ports (30% answered),
//   15% inbound UDP, 10% ICMP echo with an IcmpSummary JSON (lengths 92/60/28),
//   10% outbound TCP from home hosts (ident, web, a few others), 5% DNS, 5% broadcast;
//   1% carry payload labels, 0.5% SMB JSON, every row a MAC pair.
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "collector/report/report_command.h"
#include "tests/report/store_builder.h"

using tapwatch::collector::report::testing::At;
using tapwatch::collector::report::testing::FlowRow;
using tapwatch::collector::report::testing::StoreBuilder;

namespace {

std::string Dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

int64_t CountRows(const std::string& path) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT max(id) FROM flows", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

void Generate(const std::string& path, int64_t rows) {
  StoreBuilder store(path, TAPWATCH_SCHEMA_SQL);
  if (!store.ok()) {
    std::fprintf(stderr, "report_bench: %s\n", store.error().c_str());
    std::exit(1);
  }
  std::mt19937_64 rng(42);
  const uint32_t home = 0xAC140000u;  // 172.20.0.0
  const int64_t t0 = At("2004-02-01 00:00:00"), span = 30LL * 86400 * 1000000000LL;
  static const int kPorts[] = {445, 135, 139, 80, 1433, 3127, 6129, 4899, 21, 22, 23, 25, 443,
                               3128, 1080, 8080, 17300, 27374, 10080, 12345, 111, 901, 2745, 5554,
                               9898, 3389, 5900, 1025, 6667, 110, 143, 53, 389, 20168, 45295, 4000,
                               31337, 5000, 7000, 69};
  static const int kUdpPorts[] = {137, 1434, 1026, 1027, 135, 53, 500, 161, 1812, 69};
  auto pick = [&](uint64_t n) { return rng() % n; };
  for (int64_t i = 0; i < rows; ++i) {
    FlowRow r;
    uint32_t host = home + 1 + static_cast<uint32_t>(pick(4096));
    // Skewed source pool: a few heavy hitters, a long tail.
    uint32_t ext = 0x3D000000u + static_cast<uint32_t>(pick(pick(10) == 0 ? 300 : 300000)) * 7919u % 0x20000000u;
    r.start_ns = t0 + static_cast<int64_t>(pick(static_cast<uint64_t>(span)));
    r.end_ns = r.start_ns + static_cast<int64_t>(pick(5000000000ULL));
    r.src_mac = "00:11:22:33:44:55";
    r.dst_mac = "00:aa:bb:" + std::to_string(10 + host % 80) + ":00:01";
    int kind = static_cast<int>(pick(100));
    if (kind < 55) {
      r.src = Dotted(ext);
      r.dst = Dotted(host);
      r.src_port = 1024 + static_cast<int>(pick(60000));
      r.dst_port = kPorts[pick(pick(3) == 0 ? 40 : 8)];
      r.src_pkts = 1 + static_cast<int64_t>(pick(3));
      r.src_ip_bytes = 48 * r.src_pkts;
      if (pick(10) < 3) {
        r.dst_pkts = 1 + static_cast<int64_t>(pick(3));
        r.dst_flags = 0x12;
        r.dst_ip_bytes = 44 * r.dst_pkts;
        r.conn_state = "S1";
      } else if (pick(2)) {
        r.dst_pkts = 1;
        r.dst_flags = 0x14;
        r.conn_state = "REJ";
      }
      if (pick(100) == 0) {
        r.labels_json = "[\"code_red: GET /default.ida?NNNN\"]";
        r.src_payload = 3800;
      }
      if (pick(200) == 0) r.smb_json = "{\"version\":1,\"smb1_commands\":{\"114\":1,\"115\":1},\"messages\":2}";
    } else if (kind < 70) {
      r.src = Dotted(ext);
      r.dst = Dotted(host);
      r.ip_proto = 17;
      r.src_flags = 0;
      r.src_port = 1024 + static_cast<int>(pick(60000));
      r.dst_port = kUdpPorts[pick(10)];
      r.direction = "guess";
      if (pick(10) == 0) r.dst_pkts = 1;
    } else if (kind < 80) {
      static const int kLens[] = {92, 92, 92, 60, 28};
      static const char* kFp[] = {"welchia", "welchia", "welchia", "windows_ping", "nmap"};
      int l = static_cast<int>(pick(5));
      r.src = Dotted(ext);
      r.dst = Dotted(host);
      r.ip_proto = 1;
      r.src_flags = 0;
      r.src_port = static_cast<int>(pick(65536));
      r.dst_port = 0;
      r.icmp_type = 8;
      r.icmp_code = 0;
      r.direction = "guess";
      r.src_pkts = 1 + static_cast<int64_t>(pick(3));
      r.icmp_json = "{\"echo_requests\":" + std::to_string(r.src_pkts) + ",\"ip_length_histogram\":{\"" +
                    std::to_string(kLens[l]) + "\":" + std::to_string(r.src_pkts) + "},\"fingerprint\":\"" +
                    kFp[l] + "\"}";
    } else if (kind < 90) {
      r.src = Dotted(host);
      r.dst = Dotted(ext);
      r.src_port = 32768 + static_cast<int>(pick(28000));
      int p = static_cast<int>(pick(10));
      r.dst_port = p < 7 ? 113 : p < 9 ? 80 : 6667;
      r.dst_pkts = 2;
      r.dst_flags = 0x12 | 0x10;
      r.src_pkts = 4;
      r.conn_state = "SF";
    } else if (kind < 95) {
      r.src = Dotted(host);
      r.dst = "22.22.22.22";
      r.ip_proto = 17;
      r.src_flags = 0;
      r.src_port = 1024 + static_cast<int>(pick(60000));
      r.dst_port = 53;
      r.dst_pkts = 1;
      r.direction = "guess";
    } else {
      r.src = Dotted(host);
      r.dst = "172.20.255.255";
      r.ip_proto = 17;
      r.src_flags = 0;
      r.src_port = 137;
      r.dst_port = 137;
      r.direction = "guess";
    }
    store.Add(r);
    if ((i + 1) % 1000000 == 0) {
      store.Commit();
      std::fprintf(stderr, "report_bench: generated %lld rows\n", static_cast<long long>(i + 1));
    }
  }
  store.Commit();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 1000000;
  std::string db, format = "json";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::atoll(argv[i + 1]);
    else if (a == "--db") db = argv[i + 1];
    else if (a == "--format") format = argv[i + 1];
  }
  if (db.empty()) db = "/tmp/tapwatch_report_bench_" + std::to_string(rows) + ".db";
  double gen_s = 0;
  if (CountRows(db) != rows) {
    auto g0 = std::chrono::steady_clock::now();
    Generate(db, rows);
    gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
  }
  std::string out = "/tmp/tapwatch_report_bench_out." + format;
  std::vector<std::string> args = {"report", "--db", db, "--home", "172.20.0.0/16", "--format", format,
                                   "--out", out, "--data-dir", TAPWATCH_DATA_DIR, "--no-progress"};
  std::vector<char*> av;
  for (auto& a : args) av.push_back(a.data());
  auto t0 = std::chrono::steady_clock::now();
  int rc = tapwatch::collector::RunReport(static_cast<int>(av.size()), av.data());
  double report_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  struct stat sb {};
  stat(db.c_str(), &sb);
  // CPU seconds (both report threads) beside wall time: the shared machine inflates wall time.
  // They include the generation when it ran in this process.
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  std::printf("rows=%lld db_bytes=%lld generate_s=%.1f report_s=%.2f rows_per_s=%.0f "
              "cpu_user_s=%.2f cpu_sys_s=%.2f peak_rss_mb=%ld rc=%d\n",
              static_cast<long long>(rows), static_cast<long long>(sb.st_size), gen_s, report_s,
              rows / report_s, secs(ru.ru_utime), secs(ru.ru_stime), ru.ru_maxrss / 1024, rc);
  return rc;
}
