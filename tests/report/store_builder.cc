#include "tests/report/store_builder.h"

#include <ctime>
#include <fstream>
#include <sstream>

namespace tapwatch::collector::report::testing {

uint32_t Ip(const std::string& d) {
  unsigned a = 0, b = 0, c = 0, e = 0;
  std::sscanf(d.c_str(), "%u.%u.%u.%u", &a, &b, &c, &e);
  return (a << 24) | (b << 16) | (c << 8) | e;
}

int64_t At(const std::string& utc) {
  std::tm tm{};
  std::sscanf(utc.c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
              &tm.tm_min, &tm.tm_sec);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000000000LL;
}

StoreBuilder::StoreBuilder(const std::string& path, const std::string& schema_sql_path) {
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  std::ifstream in(schema_sql_path);
  std::stringstream schema;
  schema << in.rdbuf();
  if (!in || sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    error_ = "cannot open " + path + " or read " + schema_sql_path;
    return;
  }
  char* err = nullptr;
  if (sqlite3_exec(db_, schema.str().c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    error_ = err ? err : "schema failed";
    sqlite3_free(err);
    return;
  }
  sqlite3_exec(db_, "PRAGMA synchronous=OFF; BEGIN", nullptr, nullptr, nullptr);
  in_tx_ = true;
  const char* sql =
      "INSERT INTO flows (sensor_id, seq, flow_id, src_addr, dst_addr, src_v4, dst_v4, src_port, "
      "dst_port, ip_proto, src_mac, dst_mac, start_ns, end_ns, src_pkts, dst_pkts, src_ip_bytes, "
      "dst_ip_bytes, src_wire_bytes, dst_wire_bytes, src_payload_bytes, dst_payload_bytes, "
      "src_tcp_flags, dst_tcp_flags, src_initial_tcp_flags, dst_initial_tcp_flags, src_ttl_min, "
      "src_ttl_max, icmp_type, icmp_code, direction, conn_state, history, bare_ack, "
      "src_bare_ack_pkts, payload_labels_json, smb_json, netbios_json, icmp_json, "
      "log_labels_json, record_seq, interim, dns_json) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
      "?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,?32,?33,?34,?35,"
      "?36,?37,?38,?39,?40,?41,?42,?43)";
  if (sqlite3_prepare_v2(db_, sql, -1, &insert_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_,
                         "INSERT INTO stats (sensor_id, seq, interval_start_ns, interval_end_ns, "
                         "packets, wire_bytes, decoded, unsupported, malformed, flows_created, "
                         "flows_exported, flows_evicted, flows_active, kernel_drops, "
                         "kernel_if_drops, zmq_send_drops, total_packets) VALUES ('test', ?1, ?2, "
                         "?3, ?4, 0, ?4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
                         -1, &stats_, nullptr) != SQLITE_OK) {
    error_ = sqlite3_errmsg(db_);
    return;
  }
  ok_ = true;
}

StoreBuilder::~StoreBuilder() {
  Commit();
  sqlite3_finalize(insert_);
  sqlite3_finalize(stats_);
  sqlite3_close(db_);
}

void StoreBuilder::Commit() {
  if (in_tx_ && db_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  in_tx_ = false;
}

namespace {
void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  if (v.empty()) sqlite3_bind_null(s, i);
  else sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void BindOpt(sqlite3_stmt* s, int i, int64_t v) {
  if (v < 0) sqlite3_bind_null(s, i);
  else sqlite3_bind_int64(s, i, v);
}
bool IsV4(const std::string& a) { return a.find(':') == std::string::npos; }
}  // namespace

void StoreBuilder::Add(const FlowRow& r) {
  if (!ok_) return;
  if (!in_tx_) {
    sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
    in_tx_ = true;
  }
  sqlite3_stmt* s = insert_;
  sqlite3_reset(s);
  ++seq_;
  sqlite3_bind_text(s, 1, "test", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, seq_);
  sqlite3_bind_int64(s, 3, seq_);
  BindText(s, 4, r.src);
  BindText(s, 5, r.dst);
  if (IsV4(r.src)) sqlite3_bind_int64(s, 6, Ip(r.src)); else sqlite3_bind_null(s, 6);
  if (IsV4(r.dst)) sqlite3_bind_int64(s, 7, Ip(r.dst)); else sqlite3_bind_null(s, 7);
  sqlite3_bind_int(s, 8, r.src_port);
  sqlite3_bind_int(s, 9, r.dst_port);
  sqlite3_bind_int(s, 10, r.ip_proto);
  BindText(s, 11, r.src_mac);
  BindText(s, 12, r.dst_mac);
  sqlite3_bind_int64(s, 13, r.start_ns);
  sqlite3_bind_int64(s, 14, r.end_ns < 0 ? r.start_ns : r.end_ns);
  sqlite3_bind_int64(s, 15, r.src_pkts);
  sqlite3_bind_int64(s, 16, r.dst_pkts);
  sqlite3_bind_int64(s, 17, r.src_ip_bytes);
  sqlite3_bind_int64(s, 18, r.dst_ip_bytes);
  sqlite3_bind_int64(s, 19, r.src_ip_bytes + 14 * r.src_pkts);
  sqlite3_bind_int64(s, 20, r.dst_ip_bytes + 14 * r.dst_pkts);
  sqlite3_bind_int64(s, 21, r.src_payload);
  sqlite3_bind_int64(s, 22, r.dst_payload);
  sqlite3_bind_int(s, 23, r.src_flags);
  sqlite3_bind_int(s, 24, r.dst_flags);
  BindOpt(s, 25, r.ip_proto != 6 ? -1 : r.src_init == -2 ? r.src_flags : r.src_init);
  BindOpt(s, 26, r.dst_init);
  BindOpt(s, 27, r.ttl_min);
  BindOpt(s, 28, r.ttl_min);
  BindOpt(s, 29, r.icmp_type);
  BindOpt(s, 30, r.icmp_code);
  BindText(s, 31, r.direction);
  BindText(s, 32, r.conn_state);
  BindText(s, 33, r.history);
  sqlite3_bind_int(s, 34, r.bare_ack ? 1 : 0);
  sqlite3_bind_int64(s, 35, r.bare_ack ? r.src_pkts : 0);
  BindText(s, 36, r.labels_json);
  BindText(s, 37, r.smb_json);
  BindText(s, 38, r.netbios_json);
  BindText(s, 39, r.icmp_json);
  BindText(s, 40, r.log_labels_json);
  sqlite3_bind_int(s, 41, r.record_seq);
  sqlite3_bind_int(s, 42, r.interim ? 1 : 0);
  BindText(s, 43, r.dns_json);
  if (sqlite3_step(s) != SQLITE_DONE) error_ = sqlite3_errmsg(db_);
}

void StoreBuilder::AddStats(int64_t start_ns, int64_t end_ns, int64_t packets) {
  if (!ok_) return;
  sqlite3_reset(stats_);
  sqlite3_bind_int64(stats_, 1, ++seq_);
  sqlite3_bind_int64(stats_, 2, start_ns);
  sqlite3_bind_int64(stats_, 3, end_ns);
  sqlite3_bind_int64(stats_, 4, packets);
  if (sqlite3_step(stats_) != SQLITE_DONE) error_ = sqlite3_errmsg(db_);
}

}  // namespace tapwatch::collector::report::testing
