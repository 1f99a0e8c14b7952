// Writes tapwatch stores (collector/schema.sql) directly, for the report tests and benchmark.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace tapwatch::collector::report::testing {

/// One flows row; defaults describe a one-packet TCP SYN with no answer.
struct FlowRow {
  std::string src = "10.0.0.1", dst = "10.0.0.2";
  int src_port = 40000, dst_port = 80, ip_proto = 6;
  int64_t start_ns = 0, end_ns = -1;  // end -1: same as start
  int64_t src_pkts = 1, dst_pkts = 0;
  int64_t src_ip_bytes = 40, dst_ip_bytes = 0, src_payload = 0, dst_payload = 0;
  int src_flags = 0x02, dst_flags = 0;
  int src_init = -2, dst_init = -1;  // -2: same as src_flags; -1: NULL
  int ttl_min = -1;                  // -1: NULL (64 stored when not given? no: NULL)
  int icmp_type = -1, icmp_code = -1;
  std::string direction = "syn", conn_state = "S0", history = "S";
  bool bare_ack = false;
  std::string src_mac, dst_mac;
  std::string labels_json, smb_json, netbios_json, icmp_json, log_labels_json, dns_json;
  int record_seq = 0;
  bool interim = false;
};

/// Opens (creating) a store at path with the project schema; rows are inserted inside one
/// transaction committed by Commit() or the destructor.
class StoreBuilder {
 public:
  StoreBuilder(const std::string& path, const std::string& schema_sql_path);
  ~StoreBuilder();
  StoreBuilder(const StoreBuilder&) = delete;
  StoreBuilder& operator=(const StoreBuilder&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  void Add(const FlowRow& row);
  void AddStats(int64_t start_ns, int64_t end_ns, int64_t packets);
  void Commit();

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* stats_ = nullptr;
  bool ok_ = false;
  bool in_tx_ = false;
  std::string error_;
  int64_t seq_ = 0;
};

/// Host-order integer of a dotted quad (no validation; test input).
uint32_t Ip(const std::string& dotted);
/// ns since the epoch for a UTC date-time "YYYY-MM-DD HH:MM:SS".
int64_t At(const std::string& utc);

}  // namespace tapwatch::collector::report::testing
