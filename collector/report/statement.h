// A prepared SQLite statement that finalizes itself.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tapwatch::collector::report {

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() { return stmt_; }
  bool Step() { return sqlite3_step(stmt_) == SQLITE_ROW; }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int64_t Int(int i) { return sqlite3_column_int64(stmt_, i); }
  bool Null(int i) { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string_view Text(int i) {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    return p ? std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string_view();
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace tapwatch::collector::report
