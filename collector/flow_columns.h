#pragma once
// The flows table's columns, each bound by name from a FlowRecord: one table of column name ->
// value (kFlowColumns), from which the INSERT statement and its named parameters (:column) are
// made. A column of collector/schema.sql that is written from a record is one line here.

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tapwatch.pb.h"

namespace tapwatch::collector {

/// One flow record as the columns read it: the record, its envelope, and the values derived
/// from it once (IPv4 as integers, maps and sub-messages as JSON text).
struct FlowRowValues {
  FlowRowValues(const proto::Envelope& envelope, std::string_view sensor_id);
  const proto::Envelope& envelope;
  const proto::FlowRecord& f;
  std::string_view sensor_id;
  bool tcp = false;
  bool icmp = false;
  bool src_is_v4 = false;
  bool dst_is_v4 = false;
  uint32_t src_v4 = 0;
  uint32_t dst_v4 = 0;
  std::string anomalies, payload_labels, smb, netbios, icmp_json, dns, log_labels;
};

/// Binds one parameter of a prepared statement. Strings and blobs are SQLITE_STATIC, so what is
/// bound must outlive the sqlite3_step() that follows.
class ParamBinder {
 public:
  ParamBinder(sqlite3_stmt* stmt, int index) : stmt_(stmt), i_(index) {}
  // SQLite integers are signed 64-bit; a uint64 above INT64_MAX is stored as its two's
  // complement (no field we store gets near it: nanoseconds since 1970 are ~2^61).
  void U64(uint64_t v) { sqlite3_bind_int64(stmt_, i_, static_cast<sqlite3_int64>(v)); }
  void Null() { sqlite3_bind_null(stmt_, i_); }
  void U64OrNull(bool present, uint64_t v) { present ? U64(v) : Null(); }
  void Text(std::string_view s) {
    sqlite3_bind_text(stmt_, i_, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void TextOrNull(std::string_view s) { s.empty() ? Null() : Text(s); }
  void BlobOrNull(std::string_view s) {
    if (s.empty()) return Null();
    sqlite3_bind_blob(stmt_, i_, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }

 private:
  sqlite3_stmt* stmt_;
  int i_;
};

struct FlowColumn {
  std::string_view name;
  void (*bind)(const FlowRowValues& row, ParamBinder& out);
};

/// Every column of `flows` written from a record (all but the row id).
std::span<const FlowColumn> FlowColumns();

/// "INSERT INTO flows (a, b, ...) VALUES (:a, :b, ...)" over FlowColumns().
std::string InsertFlowSql();

}  // namespace tapwatch::collector
