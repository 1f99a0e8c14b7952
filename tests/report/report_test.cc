// tapwatch-collector report: synthetic stores with planted phenomena from real incidents
// (Honeynet SOTM30 month, the 1.11.0.0/16 SMB leak, the Code Red bare ACKs). Every assertion is
// against the planted ground truth written in this file; the report's JSON is read back with
// SQLite's JSON1 functions, not with the report's own parser.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "collector/report/report_command.h"
#include "tests/report/store_builder.h"

namespace tapwatch::collector::report::testing {
namespace {

constexpr int64_t kS = 1000000000LL;
constexpr int64_t kMin = 60 * kS;
constexpr int64_t kHour = 3600 * kS;
constexpr int64_t kDay = 24 * kHour;

std::set<std::string>& TempFiles() {
  static std::set<std::string> files;
  return files;
}

std::string TempPath(const std::string& name) {
  std::string path = ::testing::TempDir() + "/report_test_" + std::to_string(getpid()) + "_" + name;
  TempFiles().insert(path);
  return path;
}

// Removes every store and output file the tests wrote.
class TempCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& f : TempFiles()) {
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((f + suffix).c_str());
    }
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new TempCleanup);

// Runs the report; returns the exit code, fills *out with the output file and *err with stderr.
int RunReportCli(std::vector<std::string> args, std::string* out, std::string* err = nullptr) {
  std::string out_path = TempPath("out");
  std::remove(out_path.c_str());
  // Defaults first so that the test's own options override them.
  args.insert(args.begin(), {"report", "--data-dir", TAPWATCH_DATA_DIR, "--no-progress"});
  args.push_back("--out");
  args.push_back(out_path);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStderr();
  int rc = RunReport(static_cast<int>(argv.size()), argv.data());
  std::string e = ::testing::internal::GetCapturedStderr();
  if (err) *err = e;
  std::ifstream in(out_path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (out) *out = ss.str();
  return rc;
}

// JSON1 accessors over the report text: an independent JSON reader.
class Json {
 public:
  explicit Json(std::string text) : text_(std::move(text)) { sqlite3_open(":memory:", &db_); }
  ~Json() { sqlite3_close(db_); }
  bool Valid() { return Query("SELECT json_valid(?1)") == "1"; }
  // json_extract as text ("" for NULL / missing).
  std::string Get(const std::string& path) { return Query("SELECT json_extract(?1, ?2)", path); }
  int64_t Int(const std::string& path) { return std::stoll("0" + Get(path)); }
  double Num(const std::string& path) {
    std::string v = Get(path);
    return v.empty() ? 0 : std::stod(v);
  }
  int64_t Len(const std::string& path) {
    return std::stoll("0" + Query("SELECT json_array_length(?1, ?2)", path));
  }
  // The values at `field` of every element of the array at `path`, in order.
  std::vector<std::string> Column(const std::string& path, const std::string& field) {
    std::vector<std::string> out;
    sqlite3_stmt* st = nullptr;
    // Scalars come back as SQL values; objects are read with json_extract.
    std::string sql = field.empty() ? "SELECT value FROM json_each(?1, ?2)"
                                    : "SELECT json_extract(value, ?3) FROM json_each(?1, ?2)";
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    sqlite3_bind_text(st, 1, text_.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path.c_str(), -1, SQLITE_TRANSIENT);
    std::string f = "$." + field;
    if (!field.empty()) sqlite3_bind_text(st, 3, f.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out.push_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    sqlite3_finalize(st);
    return out;
  }
  // Index of the element of array `path` whose `field` equals `value`, or -1.
  int Find(const std::string& path, const std::string& field, const std::string& value) {
    auto col = Column(path, field);
    auto it = std::find(col.begin(), col.end(), value);
    return it == col.end() ? -1 : static_cast<int>(it - col.begin());
  }

 private:
  std::string Query(const std::string& sql, const std::string& arg = "") {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr);
    sqlite3_bind_text(st, 1, text_.c_str(), -1, SQLITE_STATIC);
    if (!arg.empty()) sqlite3_bind_text(st, 2, arg.c_str(), -1, SQLITE_TRANSIENT);
    std::string r;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
      r = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return r;
  }
  std::string text_;
  sqlite3* db_ = nullptr;
};

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// ---------------------------------------------------------------------------------------------
// The honeynet month (SOTM30). Home 11.11.11.0/24, Feb 1 00:00:02 .. Feb 27 14:40:06 2004,
// nothing between Feb 10 14:47:18 and Feb 11 10:03:32.
struct Honeynet {
  std::string path = TempPath("honeynet.db");
  int64_t first = At("2004-02-01 00:00:02");
  int64_t last = At("2004-02-27 14:40:06");
  int64_t gap_start = At("2004-02-10 14:47:18");
  int64_t gap_end = At("2004-02-11 10:03:32");
  std::map<std::string, int64_t> inbound;  // home host -> inbound packets (tally)
  int64_t flows = 0;
  int64_t welchia_packets = 0;
  int64_t flows_from_feb20 = 0;
};

bool IsHome(const std::string& a) { return a.rfind("11.11.11.", 0) == 0; }

class Planter {
 public:
  Planter(StoreBuilder& store, Honeynet& h) : store_(store), h_(h) {}
  void Plant(FlowRow r) {
    // Nothing may fall in the capture gap: move it after the gap.
    if (r.start_ns > h_.gap_start && r.start_ns < h_.gap_end)
      r.start_ns += h_.gap_end - h_.gap_start + kHour;
    if (r.end_ns >= 0 && r.end_ns < r.start_ns) r.end_ns = r.start_ns;
    if (!IsHome(r.src) && IsHome(r.dst) && r.src_pkts > 0)
      h_.inbound[r.dst] += r.src_pkts + r.dst_pkts;
    if (IsHome(r.src) && !IsHome(r.dst) && r.src_pkts == 0) h_.inbound[r.src] += r.dst_pkts;
    if (r.record_seq == 0) {
      ++h_.flows;
      if (r.start_ns >= At("2004-02-20 00:00:00")) ++h_.flows_from_feb20;
    }
    store_.Add(r);
  }

 private:
  StoreBuilder& store_;
  Honeynet& h_;
};

std::string Dotted(int a, int b, int c, int d) {
  return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c) + "." +
         std::to_string(d);
}

FlowRow Answered(FlowRow r) {  // TCP flow the responder accepted (SYN-ACK, data)
  r.dst_pkts = r.src_pkts;
  r.dst_ip_bytes = 40 * r.dst_pkts;
  r.dst_flags = 0x12 | 0x10;
  r.conn_state = "SF";
  r.history = "ShADadFf";
  return r;
}

FlowRow Icmp(const std::string& src, const std::string& dst, int64_t t, int packets, int ip_len,
             const std::string& fingerprint, int ttl1 = 0) {
  FlowRow r;
  r.src = src;
  r.dst = dst;
  r.ip_proto = 1;
  r.src_port = 512;
  r.dst_port = 0;
  r.icmp_type = 8;
  r.icmp_code = 0;
  r.start_ns = t;
  r.src_pkts = packets;
  r.dst_pkts = 0;
  r.src_flags = 0;
  r.src_ip_bytes = int64_t{ip_len} * packets;
  r.direction = "guess";
  r.conn_state = "OTH";
  r.history = "";
  r.icmp_json = "{\"echo_requests\":" + std::to_string(packets) + ",\"ip_length_histogram\":{\"" +
                std::to_string(ip_len) + "\":" + std::to_string(packets) + "},\"fingerprint\":\"" +
                fingerprint + "\",\"ttl1_probes\":" + std::to_string(ttl1) + "}";
  if (ttl1) r.ttl_min = 1;
  return r;
}

FlowRow Udp(const std::string& src, int sport, const std::string& dst, int dport, int64_t t) {
  FlowRow r;
  r.src = src;
  r.dst = dst;
  r.src_port = sport;
  r.dst_port = dport;
  r.ip_proto = 17;
  r.start_ns = t;
  r.src_flags = 0;
  r.direction = "guess";
  r.conn_state = "S0";
  r.history = "D";
  return r;
}

FlowRow Tcp(const std::string& src, int sport, const std::string& dst, int dport, int64_t t,
            int flags = 0x02) {
  FlowRow r;
  r.src = src;
  r.dst = dst;
  r.src_port = sport;
  r.dst_port = dport;
  r.start_ns = t;
  r.src_flags = flags;
  r.direction = flags & 0x02 ? "syn" : "guess";
  return r;
}

const Honeynet& BuildHoneynet() {
  static Honeynet* h = nullptr;
  if (h) return *h;
  h = new Honeynet;
  StoreBuilder store(h->path, TAPWATCH_SCHEMA_SQL);
  EXPECT_TRUE(store.ok()) << store.error();
  Planter p(store, *h);
  const std::string mac67 = "b0:d0:87:85:c3:08", mac65 = "00:02:b3:65:c9:71";
  auto day = [&](int d, int64_t offset) { return At("2004-02-01 00:00:00") + d * kDay + offset; };
  auto noon = [&](int d) { return day(d, 12 * kHour); };

  // Filler: a NetBIOS broadcast from .67 every 30 minutes (Legal Broadcast), so the only gap
  // longer than an hour is the planted one.
  for (int64_t t = h->first; t <= h->last; t += 30 * kMin) {
    if (t > h->gap_start && t < h->gap_end) continue;
    FlowRow r = Udp("11.11.11.67", 137, "11.11.11.255", 137, t);
    r.src_mac = mac67;
    r.dst_mac = "ff:ff:ff:ff:ff:ff";
    p.Plant(r);
  }
  // The gap's exact bounds (the two SOTM30 log lines around it) and the last line of the month.
  {
    FlowRow r = Udp("11.11.11.69", 138, "11.11.11.255", 138, h->gap_start);
    r.src_mac = mac67;
    p.Plant(r);
    FlowRow r2 = Udp("11.11.11.67", 137, "11.11.11.255", 137, h->gap_end);
    r2.src_mac = mac67;
    p.Plant(r2);
    FlowRow last = Tcp("11.11.11.71", 80, "220.210.69.62", 1325, h->last, 0x10);
    last.src_payload = 0;
    p.Plant(last);  // mid-stream, first seen from the server side: .71 tcp/80 is open
  }
  // Stats every 10 minutes, none while the logger was down.
  for (int64_t t = At("2004-02-01 00:00:00"); t < h->last; t += 10 * kMin) {
    if (t + 10 * kMin > h->gap_start && t < h->gap_end) continue;
    store.AddStats(t, t + 10 * kMin, 5);
  }
  // Syslog from the aliased card to the logging host .65.
  for (const char* src : {"11.11.11.67", "11.11.11.69"}) {
    FlowRow r = Udp(src, 1025, "11.11.11.65", 514, day(9, 14 * kHour + 3 * kMin));
    r.src_mac = mac67;
    r.dst_mac = mac65;
    p.Plant(r);
  }
  // Open ports (hand list; see kOpenPorts in the test): one answered client each.
  int client = 1;
  auto open_tcp = [&](const std::string& host, int port) {
    ++client;
    p.Plant(Answered(Tcp(Dotted(150, 0, 0, client), 3000, host, port, noon(1) + client * kS)));
  };
  for (int port : {80, 139, 443}) open_tcp("11.11.11.67", port);
  for (int port : {21, 80, 443}) open_tcp("11.11.11.69", port);
  for (int port : {21, 80, 443}) open_tcp("11.11.11.71", port);
  for (int port : {21, 80, 139, 443, 3128}) open_tcp("11.11.11.73", port);
  {
    FlowRow r = Udp("150.0.2.1", 1030, "11.11.11.67", 137, noon(2));
    r.dst_pkts = 1;
    p.Plant(r);
    // A closed port answers with RST: not open.
    FlowRow c = Tcp("150.0.2.2", 3000, "11.11.11.67", 22, noon(2));
    c.dst_pkts = 1;
    c.dst_flags = 0x14;
    c.conn_state = "REJ";
    p.Plant(c);
  }
  // An interim flow: two records of one flow to .126:22, delta counters.
  {
    FlowRow a = Answered(Tcp("150.0.1.1", 4000, "11.11.11.126", 22, noon(3)));
    a.src_pkts = 30;
    a.dst_pkts = 20;
    a.interim = true;
    p.Plant(a);
    FlowRow b = a;
    b.record_seq = 1;
    b.interim = false;
    b.start_ns = noon(3) + 5 * kMin;
    b.src_pkts = 7;
    b.dst_pkts = 3;
    p.Plant(b);
  }
  // Web clients every day (answered): not scanners, not slow scanners.
  for (int d = 0; d < 27; ++d) {
    for (int c = 1; c <= 5; ++c) {
      FlowRow r =
          Answered(Tcp(Dotted(200, 1, 1, c), 2000 + d, "11.11.11.75", 80, noon(d) + c * kS));
      r.src_pkts = 3;
      r.dst_pkts = 3;
      p.Plant(r);
    }
  }
  // Attack volume: .80 (139, daily) and .67 (80, daily), and the 66.60.166.84 HTTPS burst.
  for (int d = 0; d < 27; ++d) {
    FlowRow a =
        Answered(Tcp(Dotted(80, 80, 80, d + 1), 1500, "11.11.11.80", 139, noon(d) + 30 * kS));
    a.src_pkts = 100;
    a.dst_pkts = 50;
    p.Plant(a);
    FlowRow b =
        Answered(Tcp(Dotted(67, 67, 67, d + 1), 1500, "11.11.11.67", 80, noon(d) + 40 * kS));
    b.src_pkts = 60;
    b.dst_pkts = 40;
    p.Plant(b);
  }
  {
    FlowRow burst =
        Answered(Tcp("66.60.166.84", 1900, "11.11.11.75", 443, At("2004-02-07 17:00:00")));
    burst.end_ns = burst.start_ns + 10 * kMin;
    burst.src_pkts = 5000;
    burst.dst_pkts = 10;
    p.Plant(burst);
  }
  // Port trends: 445 grows (d+1 sources on day d), 6129 shrinks (20-d sources, none at the end).
  int src_id = 0;
  for (int d = 0; d < 27; ++d) {
    for (int k = 0; k <= d; ++k, ++src_id) {
      FlowRow r = Tcp(Dotted(70, src_id / 250, src_id % 250 + 1, 1), 1100,
                      Dotted(11, 11, 11, 100 + k % 26), 445, noon(d) + k * kS);
      r.src_pkts = 40;
      p.Plant(r);
    }
    for (int k = 0; k < 20 - d; ++k, ++src_id) {
      FlowRow r = Tcp(Dotted(71, src_id / 250, src_id % 250 + 1, 1), 220,
                      Dotted(11, 11, 11, 100 + k % 20), 6129, noon(d) + k * kS);
      r.src_pkts = 2;
      p.Plant(r);
    }
  }
  // Welchia pings, fewer every day: one target per source.
  for (int d = 0; d < 27; ++d) {
    for (int k = 0; k < 27 - d; ++k) {
      p.Plant(Icmp(Dotted(62, 10, d + 1, k + 1), Dotted(11, 11, 11, 64 + k % 26), noon(d) + k * kS,
                   3, 92, "welchia"));
      h->welchia_packets += 3;
    }
  }
  // Recon (Feb 14): sequential sweep of tcp/135 (.64 .. .95, RST answers), random sweep of
  // tcp/445, vertical SYN scan of .80, FIN scan of .81, nmap ping sweep, Welchia ping sweep.
  {
    int64_t t = day(13, 3 * kHour);
    for (int i = 64; i <= 95; ++i) {
      FlowRow r = Tcp("61.1.1.1", 4000, Dotted(11, 11, 11, i), 135, t + i * kS);
      r.dst_pkts = 1;
      r.dst_flags = 0x14;
      r.conn_state = "REJ";
      p.Plant(r);
    }
    int order[20] = {107, 101, 119, 103, 112, 100, 116, 110, 104, 118,
                     102, 115, 108, 111, 106, 117, 105, 113, 109, 114};
    for (int i = 0; i < 20; ++i) {
      p.Plant(Tcp("61.2.2.2", 4100, Dotted(11, 11, 11, order[i]), 445, t + kHour + i * kS));
    }
    for (int port = 1; port <= 100; ++port) {
      FlowRow r = Tcp("61.3.3.3", 50000, "11.11.11.80", port, t + 2 * kHour + port * kS / 10);
      if (port == 21 || port == 80) {
        r = Answered(r);
        r.dst_payload = 0;
      } else {
        r.dst_pkts = 1;
        r.dst_flags = 0x14;
      }
      p.Plant(r);
    }
    for (int port = 1; port <= 20; ++port) {
      p.Plant(Tcp("61.4.4.4", 50001, "11.11.11.81", port, t + 3 * kHour + port * kS, 0x01));
    }
    for (int i = 0; i < 20; ++i) {
      p.Plant(
          Icmp("203.69.14.162", Dotted(11, 11, 11, 64 + i), t + 4 * kHour + i * kS, 1, 28, "nmap"));
    }
    for (int i = 0; i < 25; ++i) {
      p.Plant(
          Icmp("62.1.1.1", Dotted(11, 11, 11, 64 + i), t + 5 * kHour + i * kS, 1, 92, "welchia"));
      h->welchia_packets += 1;
    }
    // Traceroute (Windows tracert: ICMP, IP length 92 zeros, TTL 1) and an IGMP join with TTL 1.
    p.Plant(Icmp("161.58.176.160", "11.11.11.75", At("2004-02-08 11:02:10"), 3, 92,
                 "windows_tracert", 3));
    p.Plant(Icmp("150.0.3.1", "11.11.11.64", noon(4), 4, 84, "linux_ping"));
    FlowRow igmp = Udp("11.11.11.67", 0, "224.0.0.2", 0, At("2004-02-03 13:43:51"));
    igmp.ip_proto = 2;
    igmp.ttl_min = 1;
    p.Plant(igmp);
  }
  // Low and slow: 63.126.133.117 returns to .72 tcp/135 every few days; 64.156.39.12 probes
  // udp/135 on .72/.73 daily. A one-off burst (30 probes in an hour) is not slow.
  for (const char* when : {"2004-02-03 16:13:17", "2004-02-05 21:48:39", "2004-02-12 22:25:07",
                           "2004-02-18 23:10:38", "2004-02-23 04:00:00"}) {
    p.Plant(Tcp("63.126.133.117", 3999, "11.11.11.72", 135, At(when)));
  }
  for (int d = 0; d < 17; ++d) {
    p.Plant(Udp("64.156.39.12", 1026, "11.11.11.72", 135, day(d, 10 * kHour + 7 * kMin)));
    p.Plant(Udp("64.156.39.12", 1026, "11.11.11.73", 135, day(d, 22 * kHour + 41 * kMin)));
  }
  for (int i = 0; i < 30; ++i)
    p.Plant(Tcp("65.0.0.1", 5000 + i, "11.11.11.90", 80, day(5, 9 * kHour) + i * kMin));
  // Spoofed sources: 127.0.0.1 RST|ACK from port 80 (Feb 16), RFC 1918 and 1.0.0.0/8 (2004).
  {
    int i = 0;
    for (const char* dst : {"11.11.11.82", "11.11.11.72", "11.11.11.85"}) {
      FlowRow r =
          Tcp("127.0.0.1", 80, dst, 1537 + i, At("2004-02-16 08:08:09") + i * 13 * kS, 0x14);
      r.src_init = 0x14;
      r.ttl_min = 119;
      ++i;
      p.Plant(r);
    }
    for (const char* src : {"192.168.0.1", "10.10.228.18", "172.16.3.74", "1.2.3.4"}) {
      p.Plant(Tcp(src, 1234, "11.11.11.75", 80, noon(15) + (i++) * kS));
    }
  }
  // Backscatter: lone SYN-ACKs from 198.133.219.25:80 to five home hosts (the sensor infers the
  // home host as initiator and records no packets from it).
  for (int i = 0; i < 5; ++i) {
    FlowRow r =
        Tcp(Dotted(11, 11, 11, 90 + i), 2000 + i, "198.133.219.25", 80, noon(18) + i * kS, 0);
    r.src_pkts = 0;
    r.src_ip_bytes = 0;
    r.src_init = -1;
    r.dst_pkts = 1;
    r.dst_flags = 0x12;
    r.dst_init = 0x12;
    r.direction = "synack";
    r.conn_state = "SHR";
    r.history = "^h";
    p.Plant(r);
  }
  // Compromise: .67 opens FTP/HTTP/IRC to the outside (answered); .71 only ident and DNS;
  // .73 one unanswered attempt.
  {
    auto out = [&](const char* src, const char* dst, int port, const char* when, bool answered) {
      FlowRow r = Tcp(src, 32768, dst, port, At(when));
      if (answered) {
        r = Answered(r);
        r.src_payload = 200;
        r.dst_payload = 5000;
      }
      p.Plant(r);
    };
    out("11.11.11.67", "209.63.57.10", 80, "2004-02-07 16:28:50", true);
    out("11.11.11.67", "193.230.153.133", 21, "2004-02-08 07:14:07", true);
    out("11.11.11.67", "195.27.176.155", 80, "2004-02-08 10:57:25", true);
    out("11.11.11.67", "64.161.61.115", 6667, "2004-02-08 10:50:04", true);
    out("11.11.11.67", "199.0.0.1", 113, "2004-02-02 01:00:00", true);
    out("11.11.11.71", "199.0.0.2", 113, "2004-02-02 02:00:00", true);
    out("11.11.11.71", "199.0.0.3", 113, "2004-02-04 02:00:00", true);
    out("11.11.11.73", "199.0.0.4", 8080, "2004-02-21 02:00:00", false);
    for (const char* src : {"11.11.11.67", "11.11.11.71"}) {
      FlowRow dns = Udp(src, 1027, "22.22.22.22", 53, At("2004-02-02 03:00:00"));
      dns.dst_pkts = 1;
      p.Plant(dns);
    }
  }
  store.Commit();
  EXPECT_EQ(store.error(), "");
  return *h;
}

class HoneynetReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const Honeynet& h = BuildHoneynet();
    std::string err;
    rc_ = RunReportCli(
        {"--db", h.path, "--home", "11.11.11.0/24", "--honeynet", "--format", "json"}, &out_, &err);
    err_ = err;
  }
  static int rc_;
  static std::string out_, err_;
};
int HoneynetReport::rc_ = -1;
std::string HoneynetReport::out_, HoneynetReport::err_;

TEST_F(HoneynetReport, ProducesValidJsonWithEverySection) {
  ASSERT_EQ(rc_, 0) << err_;
  Json j(out_);
  ASSERT_TRUE(j.Valid());
  for (const char* key : {"meta", "hosts", "open_ports", "mac_aliases", "icmp_lengths", "ports",
                          "trends", "recon", "slow_scans", "spoofed", "compromise", "gaps",
                          "reserved_destinations", "bare_ack", "log_lines", "threats"}) {
    EXPECT_NE(j.Get(std::string("$.") + key), "") << key;
  }
  const Honeynet& h = BuildHoneynet();
  EXPECT_EQ(j.Int("$.meta.flows"), h.flows);
  EXPECT_EQ(j.Get("$.meta.first"), "2004-02-01T00:00:02Z");
  EXPECT_EQ(j.Get("$.meta.last"), "2004-02-27T14:40:06Z");
  EXPECT_EQ(j.Get("$.meta.bucket"), "day");
  EXPECT_EQ(j.Get("$.meta.home_inferred"), "0");
}

TEST_F(HoneynetReport, HostsRankedByInboundPackets) {
  const Honeynet& h = BuildHoneynet();
  std::vector<std::pair<int64_t, std::string>> tally;
  for (const auto& [host, pk] : h.inbound) tally.push_back({pk, host});
  std::sort(tally.rbegin(), tally.rend());
  Json j(out_);
  ASSERT_GE(j.Len("$.hosts.hosts"), 3);
  for (int i = 0; i < 3; ++i) {
    std::string row = "$.hosts.hosts[" + std::to_string(i) + "]";
    EXPECT_EQ(j.Get(row + ".host"), tally[i].second);
    EXPECT_EQ(j.Int(row + ".inbound_packets"), tally[i].first);
  }
  EXPECT_EQ(tally[0].second, "11.11.11.75");  // the burst host, as in SOTM30
  // The interim flow: two records, one flow, packets summed.
  int i76 = j.Find("$.hosts.hosts", "host", "11.11.11.126");
  ASSERT_GE(i76, 0);
  std::string row = "$.hosts.hosts[" + std::to_string(i76) + "]";
  EXPECT_EQ(j.Int(row + ".flows.inbound_tcp"), 1);
  EXPECT_EQ(j.Int(row + ".packets.inbound_tcp"), 30 + 20 + 7 + 3);
  // Broadcast and DNS categories.
  int i67 = j.Find("$.hosts.hosts", "host", "11.11.11.67");
  ASSERT_GE(i67, 0);
  EXPECT_GT(j.Int("$.hosts.hosts[" + std::to_string(i67) + "].packets.broadcast"), 1000);
  EXPECT_EQ(j.Int("$.hosts.hosts[" + std::to_string(i67) + "].packets.dns"), 2);
}

TEST_F(HoneynetReport, OpenPortsAreExactlyThePlantedOnes) {
  const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> expected = {
      {"11.11.11.67", {{"80", "139", "443"}, {"137"}}},
      {"11.11.11.69", {{"21", "80", "443"}, {}}},
      {"11.11.11.71", {{"21", "80", "443"}, {}}},
      {"11.11.11.73", {{"21", "80", "139", "443", "3128"}, {}}},
      {"11.11.11.75", {{"80", "443"}, {}}},
      {"11.11.11.126", {{"22"}, {}}},
      {"11.11.11.80", {{"21", "80", "139"}, {}}},
  };
  Json j(out_);
  auto hosts = j.Column("$.open_ports.hosts", "host");
  EXPECT_EQ(AsSet(hosts).size(), expected.size());
  for (const auto& [host, ports] : expected) {
    int i = j.Find("$.open_ports.hosts", "host", host);
    ASSERT_GE(i, 0) << host;
    std::string row = "$.open_ports.hosts[" + std::to_string(i) + "]";
    EXPECT_EQ(AsSet(j.Column(row + ".tcp", "")), ports.first) << host;
    EXPECT_EQ(AsSet(j.Column(row + ".udp", "")), ports.second) << host;
  }
  int i67 = j.Find("$.open_ports.hosts", "host", "11.11.11.67");
  EXPECT_EQ(j.Get("$.open_ports.hosts[" + std::to_string(i67) + "].ports[1].service"),
            "netbios-ssn");
}

TEST_F(HoneynetReport, MacAliasingAndLoggingHost) {
  Json j(out_);
  ASSERT_EQ(j.Len("$.mac_aliases.aliases"), 1);
  EXPECT_EQ(j.Get("$.mac_aliases.aliases[0].mac"), "b0:d0:87:85:c3:08");
  EXPECT_EQ(j.Column("$.mac_aliases.aliases[0].home_ips", ""),
            (std::vector<std::string>{"11.11.11.67", "11.11.11.69"}));
  ASSERT_EQ(j.Len("$.mac_aliases.logging_hosts"), 1);
  EXPECT_EQ(j.Get("$.mac_aliases.logging_hosts[0].host"), "11.11.11.65");
  EXPECT_EQ(j.Column("$.mac_aliases.logging_hosts[0].senders", ""),
            (std::vector<std::string>{"11.11.11.67", "11.11.11.69"}));
  int i = j.Find("$.mac_aliases.macs", "mac", "00:02:b3:65:c9:71");
  ASSERT_GE(i, 0);
  EXPECT_EQ(j.Get("$.mac_aliases.macs[" + std::to_string(i) + "].home_ips[0]"), "11.11.11.65");
}

TEST_F(HoneynetReport, IcmpLengthsTellWelchiaFromTracert) {
  const Honeynet& h = BuildHoneynet();
  Json j(out_);
  EXPECT_EQ(j.Column("$.icmp_lengths.lengths", "ip_length"),
            (std::vector<std::string>{"28", "84", "92"}));
  EXPECT_EQ(j.Int("$.icmp_lengths.lengths[0].packets"), 20);
  EXPECT_EQ(j.Int("$.icmp_lengths.lengths[0].fingerprints.nmap"), 20);
  EXPECT_EQ(j.Int("$.icmp_lengths.lengths[1].packets"), 4);
  EXPECT_EQ(j.Int("$.icmp_lengths.lengths[2].packets"), h.welchia_packets + 3);
  EXPECT_EQ(j.Int("$.icmp_lengths.lengths[2].fingerprints.welchia"), h.welchia_packets);
  EXPECT_EQ(j.Int("$.icmp_lengths.lengths[2].fingerprints.windows_tracert"), 3);
}

TEST_F(HoneynetReport, PortsWithTrendSignAndAnnotations) {
  Json j(out_);
  int i445 = j.Find("$.ports.tcp", "port", "445");
  int i6129 = j.Find("$.ports.tcp", "port", "6129");
  ASSERT_GE(i445, 0);
  ASSERT_GE(i6129, 0);
  std::string r445 = "$.ports.tcp[" + std::to_string(i445) + "]";
  std::string r6129 = "$.ports.tcp[" + std::to_string(i6129) + "]";
  EXPECT_GT(j.Num(r445 + ".trend"), 1.0);
  EXPECT_LT(j.Num(r6129 + ".trend"), -1.0);
  // 445: 1+2+...+27 growth sources plus the random sweeper.
  EXPECT_EQ(j.Int(r445 + ".sources"), 27 * 28 / 2 + 1);
  EXPECT_EQ(j.Int(r445 + ".targets"), 26 + 20 - 20 + 0);  // .100-.125 (the sweep's are inside)
  EXPECT_EQ(j.Int(r6129 + ".sources"), 20 * 21 / 2);
  EXPECT_EQ(j.Int(r6129 + ".packets"), 2 * 20 * 21 / 2);
  EXPECT_NE(j.Get(r6129 + ".annotation").find("DameWare"), std::string::npos);
  EXPECT_EQ(j.Get(r445 + ".service"), "microsoft-ds");
  int i135 = j.Find("$.ports.udp", "port", "135");
  ASSERT_GE(i135, 0);
  EXPECT_EQ(j.Int("$.ports.udp[" + std::to_string(i135) + "].flows"), 34);
  // Ranked by initiator packets: 445 (40 x 378 + 20), 443 (the burst + 4 clients), 139.
  EXPECT_EQ(j.Column("$.ports.tcp", "port")[0], "445");
  EXPECT_EQ(j.Column("$.ports.tcp", "port")[1], "443");
  EXPECT_EQ(j.Int("$.ports.tcp[1].packets"), 5000 + 4);
  EXPECT_EQ(j.Column("$.ports.tcp", "port")[2], "139");
}

TEST_F(HoneynetReport, TrendsDirectionAndBurst) {
  Json j(out_);
  int tcp = j.Find("$.trends.categories", "category", "inbound_tcp");
  int icmp = j.Find("$.trends.categories", "category", "inbound_icmp");
  ASSERT_GE(tcp, 0);
  ASSERT_GE(icmp, 0);
  std::string t = "$.trends.categories[" + std::to_string(tcp) + "]";
  std::string c = "$.trends.categories[" + std::to_string(icmp) + "]";
  EXPECT_EQ(j.Get(t + ".direction"), "growing");
  EXPECT_EQ(j.Get(c + ".direction"), "shrinking");
  EXPECT_LT(j.Num(c + ".slope_per_bucket"), 0);
  ASSERT_EQ(j.Len(t + ".bursts"), 1);
  EXPECT_EQ(j.Get(t + ".bursts[0].start").substr(0, 10), "2004-02-07");
  EXPECT_EQ(j.Len(t + ".series"), 27);
  int bc = j.Find("$.trends.categories", "category", "broadcast");
  ASSERT_GE(bc, 0);
  EXPECT_EQ(j.Len("$.trends.categories[" + std::to_string(bc) + "].bursts"), 0);
}

TEST_F(HoneynetReport, ReconFindsEachPlantedScanAndNothingElse) {
  Json j(out_);
  ASSERT_EQ(j.Len("$.recon.horizontal"), 2);
  int seq = j.Find("$.recon.horizontal", "source", "61.1.1.1");
  int rnd = j.Find("$.recon.horizontal", "source", "61.2.2.2");
  ASSERT_GE(seq, 0);
  ASSERT_GE(rnd, 0);
  std::string s = "$.recon.horizontal[" + std::to_string(seq) + "]";
  std::string r = "$.recon.horizontal[" + std::to_string(rnd) + "]";
  EXPECT_EQ(j.Int(s + ".port"), 135);
  EXPECT_EQ(j.Int(s + ".targets"), 32);
  EXPECT_EQ(j.Get(s + ".pattern"), "sequential-ascending");
  EXPECT_EQ(j.Get(s + ".sequential"), "1");
  EXPECT_EQ(j.Get(s + ".range"), "11.11.11.64-11.11.11.95");
  EXPECT_EQ(j.Int(r + ".port"), 445);
  EXPECT_EQ(j.Int(r + ".targets"), 20);
  EXPECT_EQ(j.Get(r + ".pattern"), "random");
  EXPECT_EQ(j.Get(r + ".sequential"), "0");

  ASSERT_EQ(j.Len("$.recon.vertical"), 2);
  EXPECT_EQ(j.Get("$.recon.vertical[0].source"), "61.3.3.3");
  EXPECT_EQ(j.Get("$.recon.vertical[0].target"), "11.11.11.80");
  EXPECT_EQ(j.Int("$.recon.vertical[0].ports"), 100);
  EXPECT_EQ(j.Column("$.recon.vertical[0].answered_ports", ""),
            (std::vector<std::string>{"21", "80"}));
  EXPECT_EQ(j.Get("$.recon.vertical[1].source"), "61.4.4.4");
  EXPECT_NE(j.Get("$.recon.vertical[1].tool").find("-sF"), std::string::npos);

  EXPECT_EQ(AsSet(j.Column("$.recon.ping_sweeps", "source")),
            (std::set<std::string>{"62.1.1.1", "203.69.14.162"}));
  int w = j.Find("$.recon.ping_sweeps", "source", "62.1.1.1");
  int n = j.Find("$.recon.ping_sweeps", "source", "203.69.14.162");
  EXPECT_NE(j.Get("$.recon.ping_sweeps[" + std::to_string(w) + "].tool").find("Welchia"),
            std::string::npos);
  EXPECT_NE(j.Get("$.recon.ping_sweeps[" + std::to_string(n) + "].tool").find("nmap"),
            std::string::npos);

  EXPECT_EQ(AsSet(j.Column("$.recon.nmap_probes", "source")),
            (std::set<std::string>{"203.69.14.162", "61.4.4.4"}));
  int f = j.Find("$.recon.nmap_probes", "source", "61.4.4.4");
  EXPECT_EQ(j.Int("$.recon.nmap_probes[" + std::to_string(f) + "].flag_combinations.FIN"), 20);

  ASSERT_EQ(j.Len("$.recon.traceroutes"), 1);
  EXPECT_EQ(j.Get("$.recon.traceroutes[0].source"), "161.58.176.160");
  EXPECT_EQ(j.Get("$.recon.traceroutes[0].targets[0]"), "11.11.11.75");
  EXPECT_EQ(j.Int("$.recon.multicast_ttl1_flows"), 1);
}

TEST_F(HoneynetReport, SlowScannersFoundOneOffBurstNot) {
  Json j(out_);
  EXPECT_EQ(AsSet(j.Column("$.slow_scans.sources", "source")),
            (std::set<std::string>{"63.126.133.117", "64.156.39.12"}));
  int i = j.Find("$.slow_scans.sources", "source", "63.126.133.117");
  std::string r = "$.slow_scans.sources[" + std::to_string(i) + "]";
  EXPECT_EQ(j.Int(r + ".active_days"), 5);
  EXPECT_EQ(j.Int(r + ".returning_targets"), 1);
  EXPECT_EQ(j.Get(r + ".example_target"), "11.11.11.72");
  auto days = j.Column(r + ".active_day_list", "");
  EXPECT_EQ(days, (std::vector<std::string>{"2004-02-03", "2004-02-05", "2004-02-12", "2004-02-18",
                                            "2004-02-23"}));
  int k = j.Find("$.slow_scans.sources", "source", "64.156.39.12");
  EXPECT_EQ(j.Int("$.slow_scans.sources[" + std::to_string(k) + "].active_days"), 17);
  EXPECT_EQ(j.Int("$.slow_scans.sources[" + std::to_string(k) + "].targets"), 2);
}

TEST_F(HoneynetReport, SpoofedSourcesAndBackscatter) {
  Json j(out_);
  std::map<std::string, std::string> got;
  auto src = j.Column("$.spoofed.sources", "source");
  auto cat = j.Column("$.spoofed.sources", "category");
  for (size_t i = 0; i < src.size(); ++i) got[src[i]] = cat[i];
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"127.0.0.1", "loopback"},
                                                     {"192.168.0.1", "private"},
                                                     {"10.10.228.18", "private"},
                                                     {"172.16.3.74", "private"},
                                                     {"1.2.3.4", "unallocated"}}));
  int lo = j.Find("$.spoofed.sources", "source", "127.0.0.1");
  EXPECT_EQ(j.Get("$.spoofed.sources[" + std::to_string(lo) + "].tcp_flags"), "RST|ACK");
  EXPECT_EQ(j.Int("$.spoofed.sources[" + std::to_string(lo) + "].targets"), 3);
  EXPECT_EQ(AsSet(j.Column("$.spoofed.backscatter", "source")),
            (std::set<std::string>{"198.133.219.25", "127.0.0.1"}));
  int b = j.Find("$.spoofed.backscatter", "source", "198.133.219.25");
  std::string r = "$.spoofed.backscatter[" + std::to_string(b) + "]";
  EXPECT_EQ(j.Int(r + ".synack_flows"), 5);
  EXPECT_EQ(j.Int(r + ".home_hosts"), 5);
  EXPECT_EQ(j.Int(r + ".service_ports[0]"), 80);
}

TEST_F(HoneynetReport, CompromiseOnlyTheHostWithRealOutboundConnections) {
  Json j(out_);
  EXPECT_EQ(j.Column("$.compromise.compromised", ""), (std::vector<std::string>{"11.11.11.67"}));
  EXPECT_EQ(j.Column("$.compromise.hosts", "host"),
            (std::vector<std::string>{"11.11.11.67", "11.11.11.73"}));
  EXPECT_EQ(j.Get("$.compromise.hosts[0].verdict"), "compromised");
  EXPECT_EQ(j.Get("$.compromise.hosts[1].verdict"), "suspicious");
  // Timeline in time order, ident excluded.
  EXPECT_EQ(j.Column("$.compromise.hosts[0].timeline", "destination"),
            (std::vector<std::string>{"209.63.57.10", "193.230.153.133", "64.161.61.115",
                                      "195.27.176.155"}));
  EXPECT_EQ(j.Get("$.compromise.hosts[0].timeline[0].first"), "2004-02-07T16:28:50Z");
  EXPECT_EQ(j.Int("$.compromise.hosts[0].timeline[1].port"), 21);
  EXPECT_EQ(j.Get("$.compromise.hosts[0].timeline[1].service"), "ftp");
  EXPECT_EQ(j.Int("$.compromise.hosts[0].timeline[0].bytes"), 40 + 40);
  // .71 has only ident and DNS: not listed at all.
  EXPECT_EQ(j.Find("$.compromise.hosts", "host", "11.11.11.71"), -1);
}

TEST_F(HoneynetReport, GapWithExactBounds) {
  const Honeynet& h = BuildHoneynet();
  Json j(out_);
  ASSERT_EQ(j.Len("$.gaps.gaps"), 1);
  EXPECT_EQ(j.Int("$.gaps.gaps[0].start_ns"), h.gap_start);
  EXPECT_EQ(j.Int("$.gaps.gaps[0].end_ns"), h.gap_end);
  EXPECT_EQ(j.Get("$.gaps.gaps[0].start"), "2004-02-10T14:47:18Z");
  EXPECT_EQ(j.Get("$.gaps.gaps[0].end"), "2004-02-11T10:03:32Z");
  EXPECT_EQ(j.Int("$.gaps.gaps[0].stats_records"), 0);
}

TEST_F(HoneynetReport, NoReservedDestinationsNoBareAck) {
  Json j(out_);
  EXPECT_EQ(j.Len("$.reserved_destinations.networks"), 0);
  EXPECT_EQ(j.Int("$.reserved_destinations.hosts_total"), 0);
  EXPECT_EQ(j.Len("$.bare_ack.networks"), 0);
}

TEST_F(HoneynetReport, ThreatsRankTheCompromisedHostFirst) {
  Json j(out_);
  EXPECT_EQ(j.Get("$.threats.ranked[0].address"), "11.11.11.67");
  EXPECT_EQ(j.Get("$.threats.ranked[0].kind"), "home host");
  EXPECT_NE(j.Get("$.threats.ranked[0].sections").find("compromise"), std::string::npos);
  int s = j.Find("$.threats.ranked", "address", "63.126.133.117");
  ASSERT_GE(s, 0);
  EXPECT_NE(j.Get("$.threats.ranked[" + std::to_string(s) + "].sections").find("slow_scans"),
            std::string::npos);
}

TEST(ReportHome, InferredWhenNotGiven) {
  const Honeynet& h = BuildHoneynet();
  std::string out, err;
  ASSERT_EQ(RunReportCli({"--db", h.path, "--format", "json"}, &out, &err), 0) << err;
  Json j(out);
  EXPECT_EQ(j.Get("$.meta.home[0]"), "11.11.11.0/24");
  EXPECT_EQ(j.Get("$.meta.home_inferred"), "1");
  EXPECT_NE(j.Get("$.meta.home_how").find("inferred"), std::string::npos);
}

TEST(ReportPeriod, FromFiltersFlows) {
  const Honeynet& h = BuildHoneynet();
  std::string out, err;
  ASSERT_EQ(RunReportCli({"--db", h.path, "--home", "11.11.11.0/24", "--from", "2004-02-20",
                          "--format", "json"},
                         &out, &err),
            0)
      << err;
  Json j(out);
  EXPECT_EQ(j.Int("$.meta.flows"), h.flows_from_feb20);
  EXPECT_EQ(j.Get("$.meta.first").substr(0, 10), "2004-02-20");
}

// A whole-store report reads the flows table in rowid chunks on several reader threads. With
// tiny chunks, holes in the ids and a first id far from 0, every row is still read exactly once
// (rows and packets as SQLite counts them) and in the same order as one statement (the
// one-statement path, TAPWATCH_REPORT_SCAN_READERS=0, gives the same bytes).
TEST(ReportScan, ChunkedReadersSeeEveryRowOnceInOrder) {
  const Honeynet& h = BuildHoneynet();
  std::string holes = TempPath("holes.db");
  std::remove(holes.c_str());
  int64_t rows = 0, packets = 0;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(h.path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, ("VACUUM INTO '" + holes + "'").c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
    ASSERT_EQ(sqlite3_open(holes.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "DELETE FROM flows WHERE id < 40 OR id % 5 = 0 OR id BETWEEN 100 AND 160",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*), sum(src_pkts + dst_pkts) FROM flows", -1, &st,
                       nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    rows = sqlite3_column_int64(st, 0);
    packets = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  ASSERT_GT(rows, 200);
  for (const std::string& path : {h.path, holes}) {
    std::string one, chunked, err;
    setenv("TAPWATCH_REPORT_SCAN_READERS", "0", 1);
    ASSERT_EQ(
        RunReportCli({"--db", path, "--home", "11.11.11.0/24", "--format", "json"}, &one, &err), 0)
        << err;
    setenv("TAPWATCH_REPORT_SCAN_READERS", "3", 1);
    setenv("TAPWATCH_REPORT_SCAN_CHUNK_IDS", "7", 1);
    ASSERT_EQ(
        RunReportCli({"--db", path, "--home", "11.11.11.0/24", "--format", "json"}, &chunked, &err),
        0)
        << err;
    unsetenv("TAPWATCH_REPORT_SCAN_READERS");
    unsetenv("TAPWATCH_REPORT_SCAN_CHUNK_IDS");
    Json j(chunked);
    if (path == h.path) {
      EXPECT_EQ(j.Int("$.meta.flows"), h.flows);
    } else {
      EXPECT_EQ(j.Int("$.meta.rows"), rows);
      EXPECT_EQ(j.Int("$.meta.packets"), packets);
    }
    EXPECT_TRUE(chunked == one) << path;
  }
}

TEST(ReportFormats, TextMarkdownHtmlAreSelfContained) {
  const Honeynet& h = BuildHoneynet();
  std::string text, md, html, err;
  ASSERT_EQ(RunReportCli({"--db", h.path, "--home", "11.11.11.0/24"}, &text, &err), 0) << err;
  EXPECT_NE(text.find("[slow_scans]"), std::string::npos);
  EXPECT_NE(text.find("63.126.133.117"), std::string::npos);
  ASSERT_EQ(RunReportCli({"--db", h.path, "--home", "11.11.11.0/24", "--format", "md"}, &md, &err),
            0)
      << err;
  EXPECT_NE(md.find("## "), std::string::npos);
  EXPECT_NE(md.find("| source |"), std::string::npos);
  ASSERT_EQ(
      RunReportCli({"--db", h.path, "--home", "11.11.11.0/24", "--format", "html"}, &html, &err), 0)
      << err;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Three kinds of chart: the trend lines, the port bars, the ICMP length bars.
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  EXPECT_NE(html.find("Inbound tcp packets by destination port"), std::string::npos);
  EXPECT_NE(html.find("ICMP packets by IP total length"), std::string::npos);
  // Self-contained: the one script is inline; nothing is fetched at view time.
  EXPECT_NE(html.find("<script>"), std::string::npos);
  for (const char* banned : {"<script ", " src=", "@import", "url(", "<link"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }
}

// ---------------------------------------------------------------------------------------------
// The 1.11.0.0/16 leak: 172.30.0.0/16 hosts sending SMB and NBNS to 1.11.0.0/16 in Aug-Sep
// 2004, growing from 4 hosts in the first week to 18; nothing answered.
TEST(ReportReserved, SmbLeakToUnallocatedNetCountedPerWeek) {
  std::string path = TempPath("leak.db");
  const int hosts_per_week[5] = {4, 7, 10, 14, 18};
  const int64_t monday = At("2004-08-09 00:00:00");  // the week of 2004-08-10
  int64_t smb_flows = 0, nbns = 0;
  {
    StoreBuilder store(path, TAPWATCH_SCHEMA_SQL);
    ASSERT_TRUE(store.ok()) << store.error();
    for (int w = 0; w < 5; ++w) {
      for (int hst = 0; hst < hosts_per_week[w]; ++hst) {
        int64_t t = monday + w * 7 * kDay + kDay + hst * kHour + 5 * kHour;
        FlowRow r = Tcp(Dotted(172, 30, 3, 50 + hst), 4425, Dotted(1, 11, 68, 22 + hst), 445, t);
        r.src_pkts = 7;
        r.src_payload = 39 * 6;
        r.smb_json =
            "{\"version\":1,\"smb1_commands\":{\"113\":2,\"43\":1},\"failed_responses\":1,"
            "\"messages\":3}";
        store.Add(r);
        ++smb_flows;
        if (hst % 2 == 0) {
          FlowRow q = Udp(Dotted(172, 30, 3, 50 + hst), 137, Dotted(1, 11, 31, 99), 137, t + kMin);
          q.netbios_json =
              "{\"nbns_opcodes\":{\"0\":1},\"nbns_names\":[\"*<00>\"],\"nbns_nbstat_queries\":1}";
          store.Add(q);
          ++nbns;
        }
      }
    }
    // Ordinary internal and outbound traffic: not reserved destinations.
    for (int i = 0; i < 50; ++i) {
      store.Add(
          Answered(Tcp(Dotted(172, 30, 2, i + 1), 3000, "192.0.32.10", 80, monday + i * kHour)));
      store.Add(Udp(Dotted(172, 30, 2, i + 1), 5353, "224.0.0.251", 5353, monday + i * kHour));
      store.Add(Udp(Dotted(172, 30, 2, i + 1), 1025, "10.0.0.53", 53, monday + i * kHour));
    }
  }
  std::string out, err;
  // An office LAN browses the web: allow it, so that only the leak stands out.
  ASSERT_EQ(RunReportCli({"--db", path, "--home", "172.30.0.0/16", "--allow",
                          "tcp/80,tcp/113,udp/53", "--format", "json"},
                         &out, &err),
            0)
      << err;
  Json j(out);
  EXPECT_EQ(j.Int("$.reserved_destinations.hosts_total"), 18);
  EXPECT_EQ(j.Column("$.reserved_destinations.weeks", "hosts"),
            (std::vector<std::string>{"4", "7", "10", "14", "18"}));
  EXPECT_EQ(j.Get("$.reserved_destinations.weeks[0].week_start"), "2004-08-09");
  EXPECT_EQ(j.Get("$.reserved_destinations.weekly_direction"), "growing");
  EXPECT_EQ(j.Column("$.reserved_destinations.networks", "network"),
            (std::vector<std::string>{"1.11.0.0/16"}));
  std::string n = "$.reserved_destinations.networks[0]";
  EXPECT_EQ(j.Get(n + ".range"), "1.0.0.0/8");
  EXPECT_EQ(j.Get(n + ".category"), "unallocated");
  EXPECT_EQ(j.Int(n + ".hosts"), 18);
  EXPECT_EQ(j.Int(n + ".flows"), smb_flows + nbns);
  EXPECT_EQ(j.Int(n + ".smb_commands.\"Tree Disconnect\""), 2 * smb_flows);
  EXPECT_EQ(j.Int(n + ".smb_commands.Echo"), smb_flows);
  EXPECT_EQ(j.Int(n + ".smb_failed_responses"), smb_flows);
  EXPECT_EQ(j.Int(n + ".nbns_nbstat_queries"), nbns);
  EXPECT_EQ(j.Int(n + ".services.\"tcp/445\""), smb_flows);
  EXPECT_EQ(j.Int(n + ".answered_flows"), 0);
  EXPECT_EQ(j.Get(n + ".data_got_through"), "0");
  // Leaking is not "compromise" by itself, and none of this is spoofed.
  EXPECT_EQ(j.Len("$.compromise.compromised"), 0);
  EXPECT_EQ(j.Len("$.spoofed.sources"), 0);
}

// Bare ACKs with Code Red payload from 130.67.0.0/16 to dark 130.216 addresses.
TEST(ReportBareAck, ByNetworkWithLabelsAndDarkTargets) {
  std::string path = TempPath("codered.db");
  const int64_t t0 = At("2001-09-06 00:02:34");
  {
    StoreBuilder store(path, TAPWATCH_SCHEMA_SQL);
    ASSERT_TRUE(store.ok()) << store.error();
    // Ordinary Code Red with a handshake to a live server: .ida requests.
    for (int i = 0; i < 10; ++i) {
      FlowRow r = Answered(Tcp(Dotted(24, 0, 0, i + 1), 3000, "130.216.1.1", 80, t0 + i * kMin));
      r.src_payload = 3800;
      r.labels_json = "[\"code_red: GET /default.ida?NNNN\"]";
      store.Add(r);
    }
    // Bare ACKs: payload with no SYN, from four 130.67 hosts; six targets never answer, one RSTs.
    const char* srcs[7] = {"130.67.216.237", "130.67.216.237", "130.67.114.61", "130.67.10.87",
                           "130.67.240.225", "130.67.118.172", "130.67.240.131"};
    for (int i = 0; i < 7; ++i) {
      FlowRow r =
          Tcp(srcs[i], 3339 + i, Dotted(130, 216, 200 + i, 91), 80, t0 + kHour + i * kMin, 0x18);
      r.src_init = 0x10;
      r.src_payload = 1460;
      r.bare_ack = true;
      r.direction = "guess";
      r.conn_state = "OTH";
      r.labels_json = "[\"code_red: cmd.exe in payload\"]";
      if (i == 6) {
        r.dst_pkts = 1;
        r.dst_flags = 0x04;
      }
      store.Add(r);
    }
  }
  std::string out, err;
  ASSERT_EQ(
      RunReportCli({"--db", path, "--home", "130.216.0.0/16", "--format", "json"}, &out, &err), 0)
      << err;
  Json j(out);
  EXPECT_EQ(j.Column("$.bare_ack.networks", "source_network"),
            (std::vector<std::string>{"130.67.0.0/16"}));
  std::string n = "$.bare_ack.networks[0]";
  EXPECT_EQ(j.Int(n + ".flows"), 7);
  EXPECT_EQ(j.Int(n + ".sources"), 6);
  EXPECT_EQ(j.Int(n + ".targets"), 7);
  EXPECT_EQ(j.Int(n + ".dark_targets"), 6);
  EXPECT_EQ(j.Get(n + ".targets_all_dark"), "0");
  EXPECT_EQ(j.Int(n + ".payload_labels.\"code_red: cmd.exe in payload\""), 7);
  EXPECT_EQ(j.Int("$.bare_ack.label_counts.cmd_exe_bare_ack"), 7);
  EXPECT_EQ(j.Int("$.bare_ack.label_counts.ida_with_handshake"), 10);
  EXPECT_EQ(j.Int("$.bare_ack.label_counts.ida_bare_ack"), 0);
  EXPECT_EQ(j.Int("$.bare_ack.label_counts.cmd_exe_with_handshake"), 0);
  // Two days of capture at most: hourly buckets.
  EXPECT_EQ(j.Get("$.meta.bucket"), "hour");
}

// ---------------------------------------------------------------------------------------------
// Bad input: one line on stderr, exit 2.
void ExpectBadInput(const std::vector<std::string>& args, const std::string& needle) {
  std::string out, err;
  EXPECT_EQ(RunReportCli(args, &out, &err), 2) << needle;
  EXPECT_NE(err.find(needle), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(ReportBadInput, MissingEmptyAndMalformed) {
  const Honeynet& h = BuildHoneynet();
  ExpectBadInput({"--db", TempPath("does-not-exist.db")}, "no such file");
  std::string empty_file = TempPath("empty.db");
  { std::ofstream(empty_file).flush(); }
  ExpectBadInput({"--db", empty_file}, "is empty");
  std::string no_rows = TempPath("norows.db");
  { StoreBuilder store(no_rows, TAPWATCH_SCHEMA_SQL); }
  ExpectBadInput({"--db", no_rows}, "no flows");
  std::string not_store = TempPath("notstore.db");
  {
    sqlite3* db = nullptr;
    sqlite3_open(not_store.c_str(), &db);
    sqlite3_exec(db, "CREATE TABLE x(a)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  ExpectBadInput({"--db", not_store}, "no flows table");
  std::string garbage = TempPath("garbage.db");
  { std::ofstream(garbage) << "this is not sqlite at all, just text that is long enough......"; }
  ExpectBadInput({"--db", garbage}, "tapwatch-collector report:");
  ExpectBadInput({"--db", h.path, "--home", "11.11.11.0/33"}, "bad CIDR");
  ExpectBadInput({"--db", h.path, "--home", "11.11.300.0/24"}, "bad CIDR");
  ExpectBadInput({"--db", h.path, "--format", "pdf"}, "bad --format");
  ExpectBadInput({"--db", h.path, "--from", "yesterday"}, "bad time");
  ExpectBadInput({"--db", h.path, "--from", "2004-02-20", "--to", "2004-02-01"},
                 "--from must be before");
  ExpectBadInput({"--db", h.path, "--home", "11.11.11.0/24", "--from", "2010-01-01"}, "no flows");
  ExpectBadInput({"--home", "11.11.11.0/24"}, "--db FILE is required");
  ExpectBadInput({"--db", h.path, "--allow", "icmp/8"}, "bad --allow");
  ExpectBadInput({"--db", h.path, "--data-dir", "/nonexistent"}, "cannot read");
}

}  // namespace
}  // namespace tapwatch::collector::report::testing
