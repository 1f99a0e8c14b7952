#include "collector/report/flow_scan.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "collector/report/statement.h"

namespace tapwatch::collector::report {
namespace {

// The flows pass reads its rows through reader threads: decoding SQLite records (more than
// half of the pass's CPU) overlaps with aggregating them. Rows travel in batches of 8-byte cells
// (an integer, or a text column's arena offset << 32 | length) and a NULL bit per column; the
// text columns are copied into the batch's arena.
constexpr int kScanCols = 31;
constexpr size_t kBatchRows = 4096;
struct RowBatch {
  std::vector<int64_t> cells = std::vector<int64_t>(kBatchRows * kScanCols);
  std::vector<uint32_t> nulls = std::vector<uint32_t>(kBatchRows);  // bit i: column i is NULL
  std::string arena;
  size_t rows = 0;
};
static_assert(kScanCols <= 32, "one NULL bit per column in a uint32_t");

// One row of a batch, read with Stmt's accessors.
class RowView {
 public:
  RowView(const RowBatch& b, size_t row)
      : c_(&b.cells[row * kScanCols]), nulls_(b.nulls[row]), arena_(b.arena.data()) {}
  int64_t Int(int i) const { return c_[i]; }
  bool Null(int i) const { return (nulls_ >> i) & 1; }
  std::string_view Text(int i) const {
    if (Null(i)) return std::string_view();
    const uint64_t v = static_cast<uint64_t>(c_[i]);
    return std::string_view(arena_ + (v >> 32), v & 0xFFFFFFFFu);
  }

 private:
  const int64_t* c_;
  uint32_t nulls_;
  const char* arena_;
};

using ColumnFlags = std::array<bool, kScanCols>;

// Steps st into b (after emptying it) until b is full or st has no more rows. Returns false when
// st is finished (done or failed). is_text[i]: column i is read as text, else as an integer;
// may_be_null[i]: RowView::Null(i) is asked of that integer column.
bool FillBatch(sqlite3_stmt* st, const ColumnFlags& is_text, const ColumnFlags& may_be_null,
               RowBatch* b) {
  b->rows = 0;
  b->arena.clear();
  while (b->rows < kBatchRows) {
    if (sqlite3_step(st) != SQLITE_ROW) return false;
    int64_t* c = &b->cells[b->rows * kScanCols];
    uint32_t nulls = 0;
    // One sqlite3_column_* call per column (each enters and leaves the API), then the cheap
    // sqlite3_value_* accessors on the column's value, which only this thread touches. A text
    // column's NULL is a null pointer; an integer column's type is asked only where the pass
    // tells NULL from 0 (elsewhere NULL reads as 0).
    for (int i = 0; i < kScanCols; ++i) {
      sqlite3_value* v = sqlite3_column_value(st, i);
      if (is_text[i]) {
        const unsigned char* p = sqlite3_value_text(v);
        if (p == nullptr) {
          nulls |= uint32_t{1} << i;
          c[i] = 0;
        } else {
          const int n = sqlite3_value_bytes(v);
          c[i] = static_cast<int64_t>(uint64_t{b->arena.size()} << 32 | static_cast<uint32_t>(n));
          b->arena.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
        }
      } else if (may_be_null[i] && sqlite3_value_type(v) == SQLITE_NULL) {
        nulls |= uint32_t{1} << i;
        c[i] = 0;
      } else {
        c[i] = sqlite3_value_int64(v);
      }
    }
    b->nulls[b->rows] = nulls;
    ++b->rows;
  }
  return true;
}

// Steps st on a reader thread and calls f(RowView) for every row on this thread, in order.
// st's connection must not be used by anyone else meanwhile.
template <typename F>
void ForEachRow(Stmt& st, const ColumnFlags& is_text, const ColumnFlags& may_be_null, F&& f) {
  std::mutex mu;
  std::condition_variable cv;
  std::array<RowBatch, 3> batches;
  std::deque<RowBatch*> full, empty;
  for (auto& b : batches) empty.push_back(&b);
  bool done = false;
  std::thread reader([&] {
    for (;;) {
      RowBatch* b;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !empty.empty(); });
        b = empty.front();
        empty.pop_front();
      }
      const bool more = FillBatch(st.get(), is_text, may_be_null, b);
      {
        std::lock_guard<std::mutex> lock(mu);
        full.push_back(b);
        done = !more;
      }
      cv.notify_all();
      if (!more) return;
    }
  });
  for (;;) {
    RowBatch* b;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return !full.empty(); });
      b = full.front();
      full.pop_front();
    }
    for (size_t r = 0; r < b->rows; ++r) f(RowView(*b, r));
    bool finished;
    {
      std::lock_guard<std::mutex> lock(mu);
      finished = done && full.empty();
      empty.push_back(b);
    }
    cv.notify_all();
    if (finished) break;
  }
  reader.join();
}

// The same rows in the same (rowid) order as one full-table statement, read by several reader
// threads: decoding SQLite records is most of the pass's CPU, more than one thread can do while
// the main thread keeps up. The rowid range [first_id, +inf) is cut into chunks of chunk_ids ids;
// reader k reads chunks k, k + n, k + 2n, ... on its own connection (one read transaction each)
// with chunk_sql, whose ?1 and ?2 bind a chunk's [lo, hi) (the last chunk is open-ended, so rows
// appended after the period was read are still seen, as with one statement). The main thread
// takes the chunks back in order, so every order-dependent aggregate sees the rows as before.
template <typename F>
void ForEachRowChunked(const std::vector<sqlite3*>& conns, const std::string& chunk_sql,
                       int64_t first_id, int64_t last_id, int64_t chunk_ids,
                       const ColumnFlags& is_text, const ColumnFlags& may_be_null, F&& f) {
  const size_t n = conns.size();
  const int64_t last_chunk = (last_id - first_id) / chunk_ids + 1;  // open-ended
  struct Reader {
    std::array<RowBatch, 4> batches;
    std::deque<RowBatch*> empty;
    // Filled batches in order; the bool is true on a chunk's last batch.
    std::deque<std::pair<RowBatch*, bool>> full;
  };
  std::vector<Reader> readers(n);
  std::mutex mu;
  std::condition_variable cv;
  for (auto& r : readers) {
    for (auto& b : r.batches) r.empty.push_back(&b);
  }
  std::vector<std::thread> threads;
  for (size_t k = 0; k < n; ++k) {
    threads.emplace_back([&, k] {
      Reader& me = readers[k];
      sqlite3* db = conns[k];
      sqlite3_stmt* st = nullptr;
      const bool prepared =
          sqlite3_prepare_v2(db, chunk_sql.c_str(), -1, &st, nullptr) == SQLITE_OK;
      // One snapshot for all of this reader's chunks.
      sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      for (int64_t c = static_cast<int64_t>(k); c <= last_chunk; c += static_cast<int64_t>(n)) {
        if (prepared) {
          sqlite3_reset(st);
          sqlite3_bind_int64(st, 1, first_id + c * chunk_ids);
          sqlite3_bind_int64(st, 2, c == last_chunk ? INT64_MAX : first_id + (c + 1) * chunk_ids);
        }
        for (bool more = prepared;;) {
          RowBatch* b;
          {
            std::unique_lock<std::mutex> lock(mu);
            cv.wait(lock, [&] { return !me.empty.empty(); });
            b = me.empty.front();
            me.empty.pop_front();
          }
          if (more) {
            more = FillBatch(st, is_text, may_be_null, b);
          } else {
            b->rows = 0;
          }
          {
            std::lock_guard<std::mutex> lock(mu);
            me.full.emplace_back(b, !more);
          }
          cv.notify_all();
          if (!more) break;
        }
      }
      sqlite3_finalize(st);
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    });
  }
  for (int64_t c = 0; c <= last_chunk; ++c) {
    Reader& r = readers[static_cast<size_t>(c) % n];
    for (bool chunk_done = false; !chunk_done;) {
      RowBatch* b;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !r.full.empty(); });
        b = r.full.front().first;
        chunk_done = r.full.front().second;
        r.full.pop_front();
      }
      for (size_t i = 0; i < b->rows; ++i) f(RowView(*b, i));
      {
        std::lock_guard<std::mutex> lock(mu);
        r.empty.push_back(b);
      }
      cv.notify_all();
    }
  }
  for (auto& t : threads) t.join();
}

// The columns every section may read, in the order ReadFlowRow names them.
constexpr const char* kColumns =
    "SELECT id, src_v4, dst_v4, src_port, dst_port, ip_proto, start_ns, end_ns, src_pkts, "
    "dst_pkts, src_ip_bytes, dst_ip_bytes, src_payload_bytes, dst_payload_bytes, "
    "src_tcp_flags, dst_tcp_flags, src_initial_tcp_flags, src_ttl_min, icmp_type, direction, "
    "bare_ack, src_mac, dst_mac, payload_labels_json, smb_json, netbios_json, "
    "CASE WHEN ip_proto = 1 THEN icmp_json END, record_seq, interim, in_iface, out_iface ";

FlowRow ReadFlowRow(const RowView& st) {
  FlowRow r;
  r.id = st.Int(0);
  r.ipv4 = !st.Null(1) && !st.Null(2);
  r.has_src_v4 = !st.Null(1);
  r.src = static_cast<uint32_t>(st.Int(1));
  r.dst = static_cast<uint32_t>(st.Int(2));
  r.sport = static_cast<uint32_t>(st.Int(3));
  r.dport = static_cast<uint32_t>(st.Int(4));
  r.proto = static_cast<int>(st.Int(5));
  r.start_ns = st.Int(6);
  r.end_ns = std::max(st.Int(7), st.Int(6));
  r.src_pkts = st.Int(8);
  r.dst_pkts = st.Int(9);
  r.src_ip_bytes = st.Int(10);
  r.dst_ip_bytes = st.Int(11);
  r.src_payload = st.Int(12);
  r.dst_payload = st.Int(13);
  r.src_flags = static_cast<int>(st.Int(14));
  r.dst_flags = static_cast<int>(st.Int(15));
  r.src_initial_flags = st.Null(16) ? -1 : static_cast<int>(st.Int(16));
  r.src_ttl_min = st.Null(17) ? 255 : st.Int(17);
  r.icmp_type = st.Null(18) ? -1 : static_cast<int>(st.Int(18));
  r.direction = st.Text(19);
  r.bare_ack = st.Int(20) != 0;
  r.src_mac = st.Text(21);
  r.dst_mac = st.Text(22);
  r.payload_labels_json = st.Text(23);
  r.smb_json = st.Text(24);
  r.netbios_json = st.Text(25);
  r.has_icmp_json = !st.Null(26);
  r.icmp_json = st.Text(26);
  r.first_record = st.Int(27) == 0;
  r.interim = st.Int(28) != 0;
  r.in_iface = st.Text(29);
  r.out_iface = st.Text(30);
  return r;
}

ColumnFlags TextColumns() {
  ColumnFlags is_text{};
  for (int i : {19, 21, 22, 23, 24, 25, 26, 29, 30}) is_text[i] = true;
  return is_text;
}

ColumnFlags NullableColumns() {
  ColumnFlags may_be_null{};
  for (int i : {1, 2, 16, 17, 18}) may_be_null[i] = true;
  return may_be_null;
}

}  // namespace

bool ScanFlowRows(const ScanPlan& plan, const std::function<void(const FlowRow&)>& f,
                  std::string* error) {
  sqlite3* db = plan.db;
  const std::string columns = kColumns;
  Stmt sql_st(db, columns + "FROM flows WHERE 1" + plan.time_clause);
  if (!sql_st.ok()) {
    *error = std::string("flows table does not match collector/schema.sql: ") + sqlite3_errmsg(db);
    return false;
  }
  const ColumnFlags is_text = TextColumns(), may_be_null = NullableColumns();

  // The whole store (no --from/--to) is read in rowid order, which chunks of rowid ranges on
  // several connections reproduce. A period is read through the flows_start index instead (in
  // start_ns order): one statement.
  std::vector<sqlite3*> readers;
  const char* path = sqlite3_db_filename(db, "main");
  int64_t first_id = 0;
  if (plan.readers > 0 && plan.time_clause.empty() && path != nullptr && path[0] != '\0') {
    Stmt first(db, "SELECT min(id) FROM flows");
    if (first.ok() && first.Step() && !first.Null(0)) first_id = first.Int(0);
    for (int k = 0; k < plan.readers; ++k) {
      sqlite3* c = nullptr;
      if (sqlite3_open_v2(path, &c, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
          SQLITE_OK) {
        sqlite3_close(c);
        break;
      }
      sqlite3_busy_timeout(c, 5000);
      // As the main connection (report_command.cc): no memory map, a bounded page cache.
      sqlite3_exec(c, "PRAGMA mmap_size = 0; PRAGMA cache_size = -16384", nullptr, nullptr,
                   nullptr);
      readers.push_back(c);
    }
    if (static_cast<int>(readers.size()) < plan.readers) {
      for (sqlite3* c : readers) sqlite3_close(c);
      readers.clear();
    }
  }
  auto row = [&](const RowView& st) { f(ReadFlowRow(st)); };
  if (readers.empty()) {
    ForEachRow(sql_st, is_text, may_be_null, row);
  } else {
    ForEachRowChunked(readers, columns + "FROM flows WHERE id >= ?1 AND id < ?2", first_id,
                      std::max(first_id, plan.max_id), std::max<int64_t>(1, plan.chunk_ids),
                      is_text, may_be_null, row);
    for (sqlite3* c : readers) sqlite3_close(c);
  }
  return true;
}

bool ScanFlowWindows(const ScanPlan& plan, int64_t step, int64_t window,
                     const std::function<void(const FlowRow&)>& f, std::string* error) {
  Stmt st(plan.db, std::string(kColumns) + "FROM flows WHERE id >= ?1 AND id < ?2" +
                       plan.time_clause);
  if (!st.ok()) {
    *error = std::string("flows table does not match collector/schema.sql: ") +
             sqlite3_errmsg(plan.db);
    return false;
  }
  const ColumnFlags is_text = TextColumns(), may_be_null = NullableColumns();
  for (int64_t lo = 0; lo <= plan.max_id; lo += std::max<int64_t>(1, step)) {
    sqlite3_reset(st.get());
    st.Bind(1, lo);
    st.Bind(2, lo + window);
    ForEachRow(st, is_text, may_be_null, [&](const RowView& v) { f(ReadFlowRow(v)); });
  }
  return true;
}

}  // namespace tapwatch::collector::report
