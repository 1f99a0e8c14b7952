#include "collector/report/report_builder.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "collector/report/address_class.h"
#include "collector/report/flow_row.h"
#include "collector/report/home_inference.h"
#include "collector/report/section.h"
#include "collector/report/sections/floods.h"

namespace tapwatch::collector::report {

std::string FormatTimeNs(int64_t ns) {
  int64_t secs = ns >= 0 ? ns / 1000000000LL : (ns - 999999999LL) / 1000000000LL;
  int64_t frac = ns - secs * 1000000000LL;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf);
  if (frac != 0) {
    char f[16];
    std::snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs(f);
    while (fs.back() == '0') fs.pop_back();
    out += fs;
  }
  return out + "Z";
}

std::optional<int64_t> ParseTimeArg(const std::string& text) {
  if (text.empty()) return std::nullopt;
  bool numeric = std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric) {
    if (text.size() > 19) return std::nullopt;
    long long v = std::stoll(text);
    return v > 1000000000000LL ? v : v * 1000000000LL;
  }
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char sep = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &year, &month, &day, &sep, &hour,
                      &minute, &second);
  if (n != 3 && n != 6 && n != 7) return std::nullopt;
  if (n >= 6 && sep != 'T' && sep != ' ') return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  // Accept an optional trailing "Z" only.
  size_t expected = n == 3 ? 10 : (n == 6 ? 16 : 19);
  if (text.size() != expected && !(text.size() == expected + 1 && text.back() == 'Z')) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000000000LL;
}

namespace {

constexpr int64_t kSecondNs = 1000000000LL;
constexpr int64_t kHourNs = 3600 * kSecondNs;
constexpr int64_t kDayNs = 24 * kHourNs;

// RAII statement.
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

// The flows pass reads its rows through reader threads: decoding SQLite records (more than
// half of the pass's CPU) overlaps with aggregating them. Rows travel in batches of 8-byte cells
// (an integer, or a text column's arena offset << 32 | length) and a NULL bit per column; the
// text columns are copied into the batch's arena.
constexpr int kScanCols = 29;
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

std::string ProtoName(int p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    default:
      return "ip" + std::to_string(p);
  }
}

std::string FlagNames(int flags) {
  static const char* kNames[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (flags & (1 << i)) {
      if (!out.empty()) out += "|";
      out += kNames[i];
    }
  }
  return out.empty() ? "none" : out;
}

// Least-squares slope of y over x = 0..n-1.
double Slope(const std::vector<double>& y) {
  size_t n = y.size();
  if (n < 2) return 0;
  double mx = (n - 1) / 2.0, my = 0;
  for (double v : y) my += v;
  my /= n;
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    num += (i - mx) * (y[i] - my);
    den += (i - mx) * (i - mx);
  }
  return den == 0 ? 0 : num / den;
}

// Direction of a series: the fitted change across the whole window relative to its mean, and
// only when the slope is clearly non-zero (|t| >= 2 for the least-squares slope), so a handful of
// packets on two days is not a "trend".
std::string Direction(const std::vector<double>& y, double* slope_out, double* change_out) {
  double slope = Slope(y);
  const size_t n = y.size();
  double mean = 0;
  for (double v : y) mean += v;
  mean = n == 0 ? 0 : mean / n;
  double change = mean > 0 && n > 1 ? slope * (n - 1) / mean : 0;
  *slope_out = slope;
  *change_out = change;
  if (n < 3) return "insufficient-data";
  double mx = (n - 1) / 2.0, sxx = 0, ssr = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (i - mx) * (i - mx);
    double fit = mean + slope * (i - mx);
    ssr += (y[i] - fit) * (y[i] - fit);
  }
  double se = std::sqrt(ssr / (n - 2) / sxx);
  bool significant = se == 0 ? slope != 0 : std::fabs(slope / se) >= 2.0;
  if (significant && change > 0.25) return "growing";
  if (significant && change < -0.25) return "shrinking";
  return "stable";
}

std::string SmbCommandName(int code) {
  switch (code) {
    case 0x04:
      return "Close";
    case 0x25:
      return "Trans";
    case 0x2b:
      return "Echo";
    case 0x2d:
      return "Open AndX";
    case 0x2e:
      return "Read AndX";
    case 0x2f:
      return "Write AndX";
    case 0x32:
      return "Trans2";
    case 0x71:
      return "Tree Disconnect";
    case 0x72:
      return "Negotiate";
    case 0x73:
      return "Session Setup AndX";
    case 0x74:
      return "Logoff AndX";
    case 0x75:
      return "Tree Connect AndX";
    case 0xa2:
      return "NT Create AndX";
    default: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%02x", code);
      return buf;
    }
  }
}

// Sorted-vector distinct counting: pushes keys, then sorts and dedupes once.
void SortUnique(std::vector<uint64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

struct Counter {
  int64_t flows = 0;
  int64_t packets = 0;
};

// Appends a key to a vector counted as a set. Before the vector would grow (from 1M keys on),
// it drops its duplicates, and grows only when they were few: memory follows the distinct keys,
// not the rows (one MAC seen with the same few addresses on every row).
void PushKey(std::vector<uint64_t>& v, uint64_t k) {
  if (v.size() == v.capacity() && v.size() >= (size_t{1} << 20)) {
    SortUnique(v);
    if (v.size() > v.capacity() / 4 * 3) v.reserve(v.capacity() * 2);
  }
  v.push_back(k);
}

// A section object with its title and the seed question it answers (members in this order).
JsonValue Section(const char* title, const char* question) {
  JsonValue s = JsonValue::Object();
  s.Set("title", title);
  s.Set("question", question);
  return s;
}

template <typename T>
void Release(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

// The members of an IcmpSummary JSON object (collector/store.cc, protobuf JSON mapping) the
// report reads. Parsed once per ICMP row in C++: three json_extract calls per row and a second
// json_each query over the ICMP rows cost more than the whole object scan.
struct IcmpJson {
  int64_t ttl1_probes = 0;
  std::string fingerprint;
  std::vector<std::pair<int64_t, int64_t>> lengths;  // ip_length_histogram: length -> packets
  void Clear() {
    ttl1_probes = 0;
    fingerprint.clear();
    lengths.clear();
  }
};

// Fast path for the printer's compact output: flat keys without escapes, unsigned numbers
// (bare or quoted), one nested object (the histogram). Returns false on anything else.
bool ParseIcmpJsonFast(std::string_view s, IcmpJson* out) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  };
  auto eat = [&](char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  auto str = [&](std::string_view* v) {
    if (!eat('"')) return false;
    size_t b = i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\') return false;  // escapes: leave to the full parser
      ++i;
    }
    if (i >= s.size()) return false;
    *v = s.substr(b, i - b);
    ++i;
    return true;
  };
  auto num = [&](int64_t* v) {
    ws();
    bool quoted = i < s.size() && s[i] == '"';
    if (quoted) ++i;
    size_t b = i;
    int64_t x = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - b < 18) x = x * 10 + (s[i++] - '0');
    if (i == b || (i < s.size() && s[i] >= '0' && s[i] <= '9')) return false;
    if (quoted && !(i < s.size() && s[i++] == '"')) return false;
    *v = x;
    return true;
  };
  // Skips a string or number value; anything else (nested objects, arrays, literals) -> false.
  auto skip = [&] {
    ws();
    if (i < s.size() && s[i] == '"') {
      std::string_view unused;
      return str(&unused);
    }
    int64_t unused = 0;
    return num(&unused);
  };
  out->Clear();
  if (!eat('{')) return false;
  if (eat('}')) return true;
  do {
    std::string_view key;
    if (!str(&key) || !eat(':')) return false;
    if (key == "ip_length_histogram") {
      if (!eat('{')) return false;
      if (!eat('}')) {
        do {
          std::string_view len_text;
          int64_t len = 0, packets = 0;
          if (!str(&len_text) || !eat(':') || !num(&packets)) return false;
          for (char c : len_text) {
            if (c < '0' || c > '9' || len > 1000000) return false;
            len = len * 10 + (c - '0');
          }
          if (len_text.empty()) return false;
          out->lengths.emplace_back(len, packets);
        } while (eat(','));
        if (!eat('}')) return false;
      }
    } else if (key == "ttl1_probes") {
      if (!num(&out->ttl1_probes)) return false;
    } else if (key == "fingerprint") {
      std::string_view fp;
      if (!str(&fp)) return false;
      out->fingerprint.assign(fp.data(), fp.size());
    } else if (!skip()) {
      return false;
    }
  } while (eat(','));
  if (!eat('}')) return false;
  ws();
  return i == s.size();
}

void ParseIcmpJson(std::string_view s, IcmpJson* out) {
  if (ParseIcmpJsonFast(s, out)) return;
  out->Clear();
  auto v = JsonValue::Parse(s);
  if (!v || !v->is_object()) return;
  if (const JsonValue* t = v->Find("ttl1_probes")) {
    out->ttl1_probes =
        t->is_string() ? std::strtoll(t->as_string().c_str(), nullptr, 10) : t->as_int();
  }
  if (const JsonValue* f = v->Find("fingerprint"); f && f->is_string())
    out->fingerprint = f->as_string();
  if (const JsonValue* h = v->Find("ip_length_histogram"); h && h->is_object()) {
    for (const auto& [k, n] : h->members()) {
      int64_t packets =
          n.is_string() ? std::strtoll(n.as_string().c_str(), nullptr, 10) : n.as_int();
      out->lengths.emplace_back(std::strtoll(k.c_str(), nullptr, 10), packets);
    }
  }
}

const char* const kCategories[] = {"inbound_tcp",    "inbound_udp",  "inbound_icmp",
                                   "inbound_other",  "outbound_tcp", "outbound_udp",
                                   "outbound_other", "broadcast",    "dns",
                                   "internal",       "transit"};
constexpr int kNumCategories = 11;
enum Category {
  kInTcp,
  kInUdp,
  kInIcmp,
  kInOther,
  kOutTcp,
  kOutUdp,
  kOutOther,
  kBroadcast,
  kDns,
  kInternal,
  kTransit
};

// A compact probe record for scan analysis (inbound flows from non-home sources).
struct ScanEv {
  uint32_t src;
  uint32_t dst;
  uint32_t t_s;   // seconds since period start
  uint16_t port;  // 0 for ICMP
  uint8_t proto;
  uint8_t bits;     // kEv*
  uint8_t pattern;  // ProbePattern
};
constexpr uint8_t kEvSuccess = 1, kEvEcho = 2, kEvNmap28 = 4, kEvOddFlags = 8, kEvWelchia = 16,
                  kEvConversation = 32, kEvFromHome = 64;

// What a TCP probe's first packet looked like: nmap's scan types differ by flags alone.
enum ProbePattern : uint8_t {
  kProbeOther,
  kProbeSyn,      // SYN, never acknowledged (-sS)
  kProbeConnect,  // SYN then ACK, no payload (-sT)
  kProbeAck,      // a lone ACK without payload (-sA / -sW)
  kProbeFin,
  kProbeXmas,
  kProbeNull,
  kProbeSynFin,
  kProbeMaimon,  // FIN|ACK (-sM)
  kProbePatterns
};
constexpr const char* kProbeNames[kProbePatterns] = {"other", "SYN",  "connect", "ACK",    "FIN",
                                                     "XMAS",  "NULL", "SYN|FIN", "FIN|ACK"};
constexpr const char* kProbeTools[kProbePatterns] = {
    "TCP port scan",        "SYN scan (nmap -sS)", "connect scan (nmap -sT)",
    "ACK scan (nmap -sA)",  "FIN scan (nmap -sF)", "Xmas scan (nmap -sX)",
    "NULL scan (nmap -sN)", "SYN|FIN probes",      "Maimon scan (nmap -sM)"};

ProbePattern ClassifyProbe(const FlowRow& r) {
  if (!r.Tcp()) return kProbeOther;
  const int f = (r.src_initial_flags >= 0 ? r.src_initial_flags : r.src_flags) & 0x3F;
  if (f == 0x01) return kProbeFin;
  if ((f & 0x29) == 0x29 && !(f & 0x02)) return kProbeXmas;
  if (f == 0 && r.src_initial_flags >= 0) return kProbeNull;
  if ((f & 0x03) == 0x03) return kProbeSynFin;
  if (f == 0x11 && r.src_payload == 0) return kProbeMaimon;
  if (f == 0x10 && r.src_payload == 0 && r.src_pkts <= 2) return kProbeAck;
  if (f == 0x02 && r.src_payload == 0)
    return (r.src_flags & 0x10) && (r.dst_flags & 0x12) == 0x12 ? kProbeConnect : kProbeSyn;
  return kProbeOther;
}

struct HostAgg {
  std::array<Counter, kNumCategories> cat{};
};

struct OpenPortAgg {
  int64_t flows = 0;
  int64_t first_ns = 0;
  uint32_t id = 0;      // index for the (id, client) pairs counted after the pass
  int64_t clients = 0;  // distinct clients, filled after the pass
};

struct MacAgg {
  uint32_t id = 0;                 // index for the (id, address) pairs counted after the pass
  std::vector<uint32_t> home_ips;  // filled after the pass
  int64_t external_ips = 0;        // filled after the pass
  int64_t flows = 0;
  uint32_t last_home_ip = 0;
  std::vector<uint32_t> external_sample;  // distinct external addresses, up to the sample size
};
constexpr size_t kMacExternalSample = 64;

struct SpoofAgg {
  std::string category;
  std::string note;
  int64_t flows = 0, packets = 0;
  int flags = 0;
  std::set<uint32_t> targets;
  std::map<uint32_t, int64_t> ports;
  int64_t first_ns = INT64_MAX, last_ns = 0;
};

struct BackscatterAgg {
  int64_t flows = 0, packets = 0, synack = 0, rst = 0;
  std::set<uint32_t> victims;  // the home hosts it answered (capped)
  std::map<uint32_t, int64_t> src_ports;
  int64_t first_ns = INT64_MAX, last_ns = 0;
};

struct OutboundAgg {
  int64_t flows = 0, bytes = 0, payload_bytes = 0, established = 0;
  int64_t first_ns = INT64_MAX, last_ns = 0;
};

struct ReservedAgg {
  std::string range, category, note;
  std::set<uint32_t> hosts;
  int64_t flows = 0, packets = 0, answered_flows = 0, payload_bytes_sent = 0,
          payload_bytes_received = 0;
  std::map<std::string, int64_t> services;
  std::map<int, int64_t> smb_commands;
  int64_t smb_failed = 0, smb_messages = 0, nbstat_queries = 0, nb_queries = 0;
  std::set<std::string> nbns_names;
  std::set<uint32_t> dsts;
  int64_t first_ns = INT64_MAX, last_ns = 0;
};

struct BareAckAgg {
  int64_t flows = 0, packets = 0, payload_bytes = 0;
  std::set<uint32_t> sources, targets;
  std::map<std::string, int64_t> labels;
  int64_t cmd_exe = 0, ida = 0;
};

struct ProbeAgg {
  int64_t nmap28_packets = 0, odd_flag_flows = 0;
  std::map<std::string, int64_t> combos;
  std::set<uint32_t> targets;
};

struct TraceAgg {
  int64_t flows = 0, packets = 0;
  std::set<uint32_t> dsts;
  std::string tool;
  int64_t first_ns = INT64_MAX;
};

// Hashes for the pass's keys (std::map lookups per row were the pass's main cost).
struct TupleHash {
  static size_t Mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return static_cast<size_t>(h);
  }
  template <typename... T>
  size_t operator()(const std::tuple<T...>& t) const {
    size_t h = 0;
    std::apply([&](const auto&... v) { ((h = Mix(h, static_cast<uint64_t>(v))), ...); }, t);
    return h;
  }
  template <typename A, typename B>
  size_t operator()(const std::pair<A, B>& p) const {
    return Mix(Mix(0, static_cast<uint64_t>(p.first)), static_cast<uint64_t>(p.second));
  }
};
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Everything accumulated during the one pass.
struct Accumulators {
  int64_t rows = 0, flows = 0, interim_rows = 0, ipv6_rows = 0, packets = 0;
  int64_t min_start = INT64_MAX, max_end = 0;
  std::vector<HostAgg> hosts;  // by home slot (see Builder::HostSlot)
  std::vector<uint8_t> host_seen;
  std::unordered_map<uint32_t, HostAgg> hosts_big;  // homes larger than 2^20 addresses
  std::vector<uint64_t> mac_ips;                    // mac id << 33 | home bit << 32 | address
  std::unordered_map<std::tuple<uint32_t, int, uint32_t>, OpenPortAgg, TupleHash> open_ports;
  std::vector<uint64_t> open_port_clients;  // id << 32 | client
  std::unordered_map<std::string, MacAgg, StringHash, std::equal_to<>> macs;
  std::map<uint32_t, std::map<uint32_t, int64_t>> syslog;  // receiver -> sender -> packets
  // ports: key = proto_bit<<63 | port<<47 | addr<<15 | bucket
  std::vector<uint64_t> port_src_keys, port_dst_keys;
  std::unordered_map<std::pair<int, uint32_t>, Counter, TupleHash> port_counts;
  std::vector<std::array<Counter, kNumCategories>> trend;  // per bucket
  std::vector<ScanEv> scan;
  std::map<uint32_t, ProbeAgg> probes;
  std::map<uint32_t, TraceAgg> traces;
  int64_t multicast_ttl1_flows = 0;
  std::map<uint32_t, SpoofAgg> spoofed;
  std::map<uint32_t, BackscatterAgg> backscatter;
  std::unordered_map<std::tuple<uint32_t, uint32_t, int, uint32_t>, OutboundAgg, TupleHash>
      outbound;
  std::map<std::string, ReservedAgg> reserved;
  std::vector<uint64_t> reserved_week_hosts;  // week_day<<32 | host
  std::map<uint32_t, BareAckAgg> bare_ack;    // by /16
  std::set<uint32_t> bare_ack_sources;
  int64_t labels_cmd_exe_handshake = 0, labels_ida_handshake = 0;
  int64_t labels_cmd_exe_bare = 0, labels_ida_bare = 0;
  struct IcmpLenAgg {
    int64_t packets = 0, flows = 0;
    std::vector<uint32_t> sources;  // sorted and deduplicated in IcmpLengths()
    std::map<std::string, int64_t, std::less<>> fingerprints;
  };
  std::map<int64_t, IcmpLenAgg> icmp_lens;  // by IP length

  // gaps: per bin
  std::vector<int32_t> cover_diff;
  std::vector<int64_t> bin_max_end, bin_min_start;
};

struct Period {
  int64_t first_ns = 0, last_ns = 0;  // flow start times
  int64_t bucket_ns = kDayNs;
  size_t buckets = 1;
  int64_t bin_ns = 60 * kSecondNs;
  size_t bins = 1;
  // Buckets are aligned to the end of the period so the last one is exactly the last 24 h
  // (or hour), as the ISC trend compares "the last 24 hours" with the days before.
  size_t Bucket(int64_t t) const {
    if (t > last_ns) t = last_ns;
    if (t < first_ns) t = first_ns;
    int64_t back = (last_ns - t) / bucket_ns;
    return buckets - 1 - static_cast<size_t>(std::min<int64_t>(back, buckets - 1));
  }
  int64_t BucketStart(size_t b) const {
    return last_ns - static_cast<int64_t>(buckets - 1 - b) * bucket_ns - bucket_ns + 1;
  }
  size_t Bin(int64_t t) const {
    if (t < first_ns) return 0;
    return std::min<size_t>(static_cast<size_t>((t - first_ns) / bin_ns), bins - 1);
  }
};

// The pass's columns (ScanFlows) by name.
FlowRow ReadFlowRow(const RowView& st) {
  FlowRow r;
  r.ipv4 = !st.Null(1) && !st.Null(2);
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
  r.icmp_type = st.Null(18) ? -1 : static_cast<int>(st.Int(18));
  r.direction = st.Text(19);
  r.bare_ack = st.Int(20) != 0;
  r.first_record = st.Int(27) == 0;
  return r;
}

class Builder {
 public:
  Builder(sqlite3* db, const ReportOptions& opt, const ReferenceData& ref)
      : db_(db), opt_(opt), ref_(ref) {}

  bool Run(JsonValue* out, std::string* error);

 private:
  bool IsHome(uint32_t a) const {
    for (const auto& c : home_) {
      if (c.Contains(a)) return true;
    }
    return false;
  }
  // Home hosts live in a flat array when the home networks hold at most 2^20 addresses.
  void InitHostSlots() {
    uint64_t total = 0;
    for (const auto& c : home_) {
      slot_base_.push_back(total);
      total += uint64_t{1} << (32 - c.prefix_len);
    }
    if (total <= (1u << 20)) {
      acc_.hosts.resize(total);
      acc_.host_seen.assign(total, 0);
    }
  }
  HostAgg& HostSlot(uint32_t a) {
    if (!acc_.hosts.empty()) {
      for (size_t i = 0; i < home_.size(); ++i) {
        if (home_[i].Contains(a)) {
          size_t slot = slot_base_[i] + (a - home_[i].network);
          acc_.host_seen[slot] = 1;
          return acc_.hosts[slot];
        }
      }
    }
    return acc_.hosts_big[a];
  }
  uint32_t SlotAddress(size_t slot) const {
    for (size_t i = home_.size(); i-- > 0;) {
      if (slot >= slot_base_[i])
        return home_[i].network + static_cast<uint32_t>(slot - slot_base_[i]);
    }
    return 0;
  }
  bool IsBroadcastDst(uint32_t a) const {
    if (a == 0xFFFFFFFFu || IsMulticast(a)) return true;
    for (const auto& c : home_) {
      if (c.prefix_len <= 30 && c.Contains(a) && (a | c.mask) == 0xFFFFFFFFu) return true;
      // Subnet-directed broadcast of a /24 inside a larger home network.
      if (c.Contains(a) && (a & 0xFF) == 0xFF) return true;
    }
    return false;
  }
  bool Allowed(int proto, uint32_t port) const {
    for (const auto& a : opt_.allowed) {
      if (a.ip_proto == proto && a.port == port) return true;
    }
    return false;
  }
  std::string TimeClause() const;
  bool LoadPeriod(std::string* error);
  void InferHome();
  bool ScanFlows(std::string* error);
  void Progress(double f, const char* stage) {
    if (opt_.progress) opt_.progress(f, stage);
  }
  // TAPWATCH_REPORT_TIMING=1: CPU seconds per stage on stderr (benchmarking).
  void Mark(const char* stage) {
    static const bool enabled = std::getenv("TAPWATCH_REPORT_TIMING") != nullptr;
    if (!enabled) return;
    std::clock_t now = std::clock();
    auto wall = std::chrono::steady_clock::now();
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::fprintf(stderr, "report timing: %-22s %.2f s cpu %.2f s wall, peak rss %ld MB\n", stage,
                 static_cast<double>(now - mark_) / CLOCKS_PER_SEC,
                 std::chrono::duration<double>(wall - wall_mark_).count(), ru.ru_maxrss / 1024);
    mark_ = now;
    wall_mark_ = wall;
  }
  std::clock_t mark_ = std::clock();
  std::chrono::steady_clock::time_point wall_mark_ = std::chrono::steady_clock::now();

  JsonValue Meta();
  JsonValue Hosts();
  JsonValue OpenPorts();
  JsonValue MacAliases();
  JsonValue IcmpLengths();
  JsonValue Ports();
  JsonValue Trends();
  JsonValue Recon();
  JsonValue SlowScans();
  JsonValue Spoofed();
  JsonValue Compromise();
  JsonValue HoneynetCompromise();
  JsonValue Gaps();
  JsonValue ReservedDestinations();
  JsonValue BareAck();
  JsonValue LogLines();
  JsonValue Threats();

  std::string Service(int proto, uint32_t port) const {
    const PortInfo* p = ref_.FindPort(proto, port);
    return p ? p->service : "";
  }
  // A host is dark when it never sent a packet: never an initiator (flows_src index) and never
  // answered as a responder (flows_dst index). Asked only for the few bare-ACK targets.
  bool Dark(uint32_t a) {
    if (!dark_src_) {
      dark_src_ = std::make_unique<Stmt>(
          db_, "SELECT 1 FROM flows WHERE src_addr = ?1 AND src_pkts > 0 LIMIT 1");
      dark_dst_ = std::make_unique<Stmt>(
          db_, "SELECT 1 FROM flows WHERE dst_addr = ?1 AND dst_pkts > 0 LIMIT 1");
    }
    const std::string addr = FormatIpv4(a);
    for (Stmt* st : {dark_src_.get(), dark_dst_.get()}) {
      if (!st->ok()) continue;
      sqlite3_reset(st->get());
      sqlite3_bind_text(st->get(), 1, addr.c_str(), -1, SQLITE_TRANSIENT);
      if (st->Step()) return false;
    }
    return true;
  }
  void AddThreat(uint32_t addr, bool home, int score, const std::string& section,
                 const std::string& reason) {
    auto& t = threats_[addr];
    t.home = home;
    t.score += score;
    t.sections.insert(section);
    if (t.reasons.size() < 6) t.reasons.push_back(reason);
  }

  sqlite3* db_;
  const ReportOptions& opt_;
  const ReferenceData& ref_;
  std::vector<Cidr> home_;
  std::vector<uint64_t> slot_base_;
  bool home_inferred_ = false;
  std::string home_how_;
  Period period_;
  Accumulators acc_;
  int64_t max_id_ = 0;
  struct ThreatAgg {
    bool home = false;
    int score = 0;
    std::set<std::string> sections;
    std::vector<std::string> reasons;
  };
  std::map<uint32_t, ThreatAgg> threats_;
  std::unique_ptr<Stmt> dark_src_, dark_dst_;
  IcmpJson icmp_;  // the current row's ICMP summary (buffers reused across rows)
  std::string last_mac_[2];
  MacAgg* last_mac_agg_[2] = {nullptr, nullptr};
  std::set<uint32_t> compromised_;
  HomeVerdict home_verdict_;
  // Evidence that a host was attacked: the compromise section looks for a change of behaviour
  // after it. Filled by the pass (exploit payloads, bare ACKs, SMB/RPC sessions from outside)
  // and by recon (a scanner that found an open port).
  struct Attack {
    uint32_t victim, attacker;
    int port;
    uint32_t t_s;  // seconds since the period start
    const char* what;
  };
  std::vector<Attack> attacks_;
  // Home hosts that sent known malware payloads out: (host, time, label, destination).
  struct MalwareOut {
    uint32_t host, dst;
    int64_t t_ns;
    std::string label;
  };
  std::vector<MalwareOut> malware_out_;
  static constexpr size_t kMaxAttacks = size_t{1} << 20;
  // A reserved source address that cannot be genuine where it was seen (docs/report.md).
  bool SpoofedSource(const FlowRow& r, const ReservedRange& range, bool src_home) const {
    const std::string& c = range.category;
    if (c == "loopback") return !IsLoopback(r.dst);  // a loopback capture is genuine
    if (c == "this-network") return !(r.Udp() && r.sport == 68 && r.dport == 67);  // DHCP
    if (c == "multicast" || c == "reserved" || c == "broadcast") return true;
    if (c == "private" || c == "shared" || c == "link-local") {
      // Genuine on the inside. Outside a known home (given, or inferred with its private
      // side), a private source can only have come from outside: it cannot be genuine there.
      return !src_home && !home_.empty();
    }
    return !src_home;  // unallocated, documentation, benchmarking: not routed on the Internet
  }
  std::string Scope(uint32_t src, uint32_t dst) const {
    const bool s = IsHome(src), d = IsHome(dst);
    return s && d ? "internal" : s ? "outbound" : d ? "inbound" : "external";
  }
  FloodsSection floods_;
  std::vector<Finding> findings_;  // from the sections built as separate units
  SectionContext Context() const {
    SectionContext c;
    c.is_home = [this](uint32_t a) { return IsHome(a); };
    c.first_ns = period_.first_ns;
    c.top = opt_.top;
    return c;
  }
};

std::string Builder::TimeClause() const {
  std::string w;
  if (opt_.from_ns) w += " AND start_ns >= " + std::to_string(*opt_.from_ns);
  if (opt_.to_ns) w += " AND start_ns < " + std::to_string(*opt_.to_ns);
  return w;
}

bool Builder::LoadPeriod(std::string* error) {
  {
    Stmt check(db_, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='flows'");
    if (!check.ok() || !check.Step()) {
      *error = "no flows table: not a tapwatch store";
      return false;
    }
  }
  // min/max over the flows_start index: no scan.
  Stmt st(db_,
          "SELECT min(start_ns), max(start_ns), (SELECT max(id) FROM flows) FROM flows "
          "WHERE 1" +
              TimeClause());
  if (!st.ok() || !st.Step() || st.Null(0)) {
    *error =
        "no flows in the store" + std::string(opt_.from_ns || opt_.to_ns ? " for the period" : "");
    return false;
  }
  period_.first_ns = st.Int(0);
  period_.last_ns = st.Int(1);
  max_id_ = st.Int(2);
  int64_t span = period_.last_ns - period_.first_ns;
  period_.bucket_ns = span >= 3 * kDayNs ? kDayNs : kHourNs;
  period_.buckets = static_cast<size_t>(span / period_.bucket_ns) + 1;
  if (period_.buckets > 32767) {
    period_.bucket_ns = span / 32000 + 1;
    period_.buckets = static_cast<size_t>(span / period_.bucket_ns) + 1;
  }
  period_.bin_ns = 60 * kSecondNs;
  if (span / period_.bin_ns > 2000000) period_.bin_ns = span / 2000000 + 1;
  period_.bins = static_cast<size_t>(span / period_.bin_ns) + 2;
  return true;
}

void Builder::InferHome() {
  // Evidence from the rows themselves (home_inference.h). A store of up to kWholeRows rows is
  // read whole; a larger one through ~100 evenly spaced id windows (primary-key range lookups,
  // no scan) of up to 2000 rows each.
  constexpr int64_t kWholeRows = 200000;
  HomeEvidence evidence;
  const bool whole = max_id_ <= kWholeRows;
  const int64_t step = whole ? max_id_ + 1 : std::max<int64_t>(1, max_id_ / 100);
  const int64_t window = whole ? max_id_ + 1 : std::min<int64_t>(step, 2000);
  Stmt st(
      db_,
      "SELECT src_v4, dst_v4, src_port, dst_port, ip_proto, src_pkts, dst_pkts, "
      "src_payload_bytes, dst_payload_bytes, src_tcp_flags, dst_tcp_flags, record_seq, "
      "in_iface, out_iface, icmp_type FROM flows WHERE id >= ? AND id < ? AND src_v4 IS NOT NULL" +
          TimeClause());
  if (!st.ok()) return;
  for (int64_t lo = 0; lo <= max_id_; lo += step) {
    sqlite3_reset(st.get());
    st.Bind(1, lo);
    st.Bind(2, lo + window);
    while (st.Step()) {
      FlowRow r;
      r.ipv4 = !st.Null(1);
      r.src = static_cast<uint32_t>(st.Int(0));
      r.dst = static_cast<uint32_t>(st.Int(1));
      r.sport = static_cast<uint32_t>(st.Int(2));
      r.dport = static_cast<uint32_t>(st.Int(3));
      r.proto = static_cast<int>(st.Int(4));
      r.src_pkts = st.Int(5);
      r.dst_pkts = st.Int(6);
      r.src_payload = st.Int(7);
      r.dst_payload = st.Int(8);
      r.src_flags = static_cast<int>(st.Int(9));
      r.dst_flags = static_cast<int>(st.Int(10));
      r.first_record = st.Int(11) == 0;
      r.in_iface = st.Text(12);
      r.out_iface = st.Text(13);
      r.icmp_type = st.Null(14) ? -1 : static_cast<int>(st.Int(14));
      evidence.Observe(r);
    }
  }
  home_verdict_ = evidence.Decide();
  home_ = home_verdict_.home;
  home_inferred_ = true;
  home_how_ = "inferred (" + home_verdict_.rule + ", confidence " + home_verdict_.confidence +
              (whole ? ", every flow read)" : ", sampled windows of the store)");
}

bool Builder::ScanFlows(std::string* error) {
  const std::string columns =
      "SELECT id, src_v4, dst_v4, src_port, dst_port, ip_proto, start_ns, end_ns, src_pkts, "
      "dst_pkts, src_ip_bytes, dst_ip_bytes, src_payload_bytes, dst_payload_bytes, "
      "src_tcp_flags, dst_tcp_flags, src_initial_tcp_flags, src_ttl_min, icmp_type, direction, "
      "bare_ack, src_mac, dst_mac, payload_labels_json, smb_json, netbios_json, "
      "CASE WHEN ip_proto = 1 THEN icmp_json END, record_seq, interim ";
  const std::string sql = columns + "FROM flows WHERE 1" + TimeClause();
  Stmt sql_st(db_, sql);
  if (!sql_st.ok()) {
    *error = std::string("flows table does not match collector/schema.sql: ") + sqlite3_errmsg(db_);
    return false;
  }
  acc_.trend.resize(period_.buckets);
  acc_.cover_diff.assign(period_.bins + 1, 0);
  acc_.bin_max_end.assign(period_.bins, INT64_MIN);
  acc_.bin_min_start.assign(period_.bins, INT64_MAX);
  ColumnFlags is_text{};
  for (int i : {19, 21, 22, 23, 24, 25, 26}) is_text[i] = true;
  ColumnFlags may_be_null{};
  for (int i : {1, 2, 16, 17, 18}) may_be_null[i] = true;

  // The whole store (no --from/--to) is read in rowid order, which chunks of rowid ranges on
  // several connections reproduce. A period is read through the flows_start index instead (in
  // start_ns order): one statement, as before.
  std::vector<sqlite3*> readers;
  const char* path = sqlite3_db_filename(db_, "main");
  int64_t first_id = 0;
  if (opt_.scan_readers > 0 && TimeClause().empty() && path != nullptr && path[0] != '\0') {
    Stmt first(db_, "SELECT min(id) FROM flows");
    if (first.ok() && first.Step() && !first.Null(0)) first_id = first.Int(0);
    for (int k = 0; k < opt_.scan_readers; ++k) {
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
    if (static_cast<int>(readers.size()) < opt_.scan_readers) {
      for (sqlite3* c : readers) sqlite3_close(c);
      readers.clear();
    }
  }

  auto row = [&](const RowView& st) {
    ++acc_.rows;
    if ((acc_.rows & 0xFFFF) == 0 && max_id_ > 0) {
      Progress(0.05 + 0.85 * std::min(1.0, static_cast<double>(st.Int(0)) / max_id_),
               "scanning flows");
    }
    const int64_t start = st.Int(6), end = std::max(st.Int(7), st.Int(6));
    const int64_t spk = st.Int(8), dpk = st.Int(9);
    const bool first_record = st.Int(27) == 0;
    if (st.Int(28)) ++acc_.interim_rows;
    if (first_record) ++acc_.flows;
    acc_.packets += spk + dpk;
    acc_.min_start = std::min(acc_.min_start, start);
    acc_.max_end = std::max(acc_.max_end, end);
    // Gap coverage (all flows, IPv6 too).
    {
      size_t b0 = period_.Bin(start), b1 = period_.Bin(end);
      acc_.cover_diff[b0] += 1;
      acc_.cover_diff[b1 + 1] -= 1;
      acc_.bin_max_end[b1] = std::max(acc_.bin_max_end[b1], end);
      acc_.bin_min_start[b0] = std::min(acc_.bin_min_start[b0], start);
    }
    // ICMP summary (icmp_lengths, nmap length-28 probes, traceroutes, Welchia).
    const bool has_icmp = !st.Null(26);
    int64_t n28 = 0;
    if (has_icmp) {
      ParseIcmpJson(st.Text(26), &icmp_);
      // Both arms as views: a mixed ternary would build a temporary std::string and leave fp
      // dangling (ASan: stack-use-after-scope).
      const std::string_view fp = icmp_.fingerprint.empty() ? std::string_view("unlabelled")
                                                            : std::string_view(icmp_.fingerprint);
      for (const auto& [len, n] : icmp_.lengths) {
        auto& l = acc_.icmp_lens[len];
        l.packets += n;
        if (first_record) ++l.flows;
        if (!st.Null(1)) l.sources.push_back(static_cast<uint32_t>(st.Int(1)));
        auto it = l.fingerprints.find(fp);
        if (it == l.fingerprints.end()) it = l.fingerprints.emplace(std::string(fp), 0).first;
        it->second += n;
        if (len == 28) n28 = n;
      }
    }
    const FlowRow fr = ReadFlowRow(st);
    floods_.Observe(fr);
    if (!fr.ipv4) {
      ++acc_.ipv6_rows;
      return;
    }
    const uint32_t src = static_cast<uint32_t>(st.Int(1)), dst = static_cast<uint32_t>(st.Int(2));
    const uint32_t sport = static_cast<uint32_t>(st.Int(3)),
                   dport = static_cast<uint32_t>(st.Int(4));
    const int proto = static_cast<int>(st.Int(5));
    const int64_t sbytes = st.Int(10), dbytes = st.Int(11);
    const int64_t spay = st.Int(12), dpay = st.Int(13);
    const int sflags = static_cast<int>(st.Int(14)), dflags = static_cast<int>(st.Int(15));
    const bool has_sinit = !st.Null(16);
    const int sinit = static_cast<int>(st.Int(16));
    const int64_t ttl_min = st.Null(17) ? 255 : st.Int(17);
    const int icmp_type = st.Null(18) ? -1 : static_cast<int>(st.Int(18));
    const std::string_view direction = st.Text(19);
    const bool bare = st.Int(20) != 0;
    const bool src_home = IsHome(src), dst_home = IsHome(dst);
    const bool dst_bcast = IsBroadcastDst(dst);
    const int64_t pk = spk + dpk;
    const int flows_inc = first_record ? 1 : 0;

    // --- category (hosts, trends) -------------------------------------------------------
    // A flow whose initiator sent nothing (the sensor inferred the initiator from a lone
    // SYN-ACK) is traffic *to* the initiator: count it as inbound to it.
    const bool reversed = spk == 0 && dpk > 0;
    const uint32_t a = reversed ? dst : src, b = reversed ? src : dst;
    const bool a_home = reversed ? dst_home : src_home, b_home = reversed ? src_home : dst_home;
    Category cat;
    uint32_t host = 0;
    bool has_host = true;
    if (a_home && (reversed ? false : dst_bcast)) {
      cat = kBroadcast;
      host = a;
    } else if (a_home && !b_home) {
      host = a;
      if (dport == 53 && !reversed)
        cat = kDns;
      else
        cat = proto == 6 ? kOutTcp : proto == 17 ? kOutUdp : kOutOther;
    } else if (!a_home && b_home) {
      host = b;
      cat = proto == 6 ? kInTcp : proto == 17 ? kInUdp : proto == 1 ? kInIcmp : kInOther;
    } else if (a_home && b_home) {
      cat = kInternal;
      host = a;
    } else {
      cat = kTransit;
      has_host = false;
    }
    if (has_host) {
      auto& h = HostSlot(host).cat[cat];
      h.flows += flows_inc;
      h.packets += pk;
      if (cat == kInternal) {
        auto& h2 = HostSlot(b).cat[cat];
        h2.flows += flows_inc;
        h2.packets += pk;
      }
    }
    {
      auto& t = acc_.trend[period_.Bucket(start)][cat];
      t.flows += flows_inc;
      t.packets += pk;
    }

    // --- open ports ----------------------------------------------------------------------
    if (dst_home && dpk > 0) {
      bool answered = proto == 6 ? ((dflags & 0x12) == 0x12 || dpay > 0) : proto == 17;
      if (answered && (proto == 6 || proto == 17)) {
        auto [it, fresh] = acc_.open_ports.try_emplace({dst, proto, dport});
        auto& o = it->second;
        if (fresh) o.id = static_cast<uint32_t>(acc_.open_ports.size());
        o.flows += flows_inc;
        PushKey(acc_.open_port_clients, uint64_t{o.id} << 32 | src);
        if (o.first_ns == 0 || start < o.first_ns) o.first_ns = start;
      }
    }
    if (src_home && proto == 6 && direction == "guess" && spk > 0 && !(sflags & 0x06) &&
        (sflags & 0x10) && sport < dport && sport < 49152) {
      // Mid-stream flow first seen from the home side: the home host is the server (the
      // seed's "outgoing logs without SYN nor RST").
      auto [it, fresh] = acc_.open_ports.try_emplace({src, proto, sport});
      auto& o = it->second;
      if (fresh) o.id = static_cast<uint32_t>(acc_.open_ports.size());
      o.flows += flows_inc;
      PushKey(acc_.open_port_clients, uint64_t{o.id} << 32 | dst);
      if (o.first_ns == 0 || start < o.first_ns) o.first_ns = start;
    }
    if (proto == 17 && dport == 514 && src_home && dst_home) acc_.syslog[dst][src] += spk;

    // --- MACs ----------------------------------------------------------------------------
    for (int side = 0; side < 2; ++side) {
      std::string_view mac = st.Text(side == 0 ? 21 : 22);
      if (mac.empty() || mac == "ff:ff:ff:ff:ff:ff" || mac == "00:00:00:00:00:00") continue;
      uint32_t ip = side == 0 ? src : dst;
      if ((side == 0 ? spk : dpk) == 0 && side == 0) continue;
      if (IsMulticast(ip) || ip == 0xFFFFFFFFu) continue;
      // Consecutive rows often carry the same MAC: remember the last lookup per side.
      MacAgg* mp;
      if (mac == last_mac_[side]) {
        mp = last_mac_agg_[side];
      } else {
        auto it = acc_.macs.find(mac);
        if (it == acc_.macs.end()) {
          it = acc_.macs.emplace(std::string(mac), MacAgg{}).first;
          it->second.id = static_cast<uint32_t>(acc_.macs.size());
        }
        mp = &it->second;
        last_mac_[side].assign(mac.data(), mac.size());  // reuses the buffer: no allocation
        last_mac_agg_[side] = mp;
      }
      auto& m = *mp;
      m.flows += flows_inc;
      const bool ip_home = side == 0 ? src_home : dst_home;
      if (ip_home && !(dst_bcast && side == 1)) {
        if (ip != m.last_home_ip)
          PushKey(acc_.mac_ips, uint64_t{m.id} << 33 | uint64_t{1} << 32 | ip);
        m.last_home_ip = ip;
      } else if (!ip_home && m.external_sample.size() < kMacExternalSample &&
                 std::find(m.external_sample.begin(), m.external_sample.end(), ip) ==
                     m.external_sample.end()) {
        // Only "many" matters (a router): stop counting external addresses at the sample size.
        m.external_sample.push_back(ip);
      }
    }

    // --- ports (inbound) -------------------------------------------------------------------
    if (!src_home && dst_home && (proto == 6 || proto == 17) && !reversed) {
      uint64_t pbit = proto == 6 ? 0 : 1;
      uint64_t bucket = period_.Bucket(start);
      PushKey(acc_.port_src_keys,
              pbit << 63 | uint64_t{dport} << 47 | uint64_t{src} << 15 | bucket);
      PushKey(acc_.port_dst_keys,
              pbit << 63 | uint64_t{dport} << 47 | uint64_t{dst} << 15 | bucket);
      auto& c = acc_.port_counts[{proto, dport}];
      c.flows += flows_inc;
      c.packets += spk;
    }

    // --- spoofed sources and backscatter ---------------------------------------------------
    if (spk > 0) {
      const ReservedRange* r = ref_.FindReserved(src, start);
      if (r && SpoofedSource(fr, *r, src_home)) {
        auto& s = acc_.spoofed[src];
        s.category = r->category;
        s.note = r->note;
        s.flows += flows_inc;
        s.packets += spk;
        s.flags |= sflags;
        if (s.targets.size() < 1000) s.targets.insert(dst);
        if (proto == 6 || proto == 17) s.ports[sport] += 1;
        s.first_ns = std::min(s.first_ns, start);
        s.last_ns = std::max(s.last_ns, end);
      }
    }
    if (proto == 6) {
      // The side that sent packets is external, the home side sent nothing, and what it sent
      // is an answer (SYN-ACK or RST without SYN, no payload): a reply to a SYN the home host
      // never sent, i.e. backscatter of a spoofed flood.
      uint32_t reflector = 0, victim = 0;
      int flags = 0, init = 0;
      bool candidate = false;
      if (src_home && !dst_home && spk == 0 && dpk > 0 && dpay == 0) {
        reflector = dst, victim = src, flags = dflags, init = dflags, candidate = true;
      } else if (!src_home && dst_home && dpk == 0 && spk > 0 && spay == 0 && direction != "syn") {
        reflector = src, victim = dst, flags = sflags, init = has_sinit ? sinit : sflags;
        candidate = true;
      }
      if (candidate) {
        bool synack = (init & 0x12) == 0x12;
        bool rst = (flags & 0x04) && !(flags & 0x02);
        if (synack || rst) {
          auto& bs = acc_.backscatter[reflector];
          bs.flows += flows_inc;
          bs.packets += std::max(spk, dpk);
          (synack ? bs.synack : bs.rst) += flows_inc;
          if (bs.victims.size() < 1000) bs.victims.insert(victim);
          bs.src_ports[reflector == src ? sport : dport] += 1;
          bs.first_ns = std::min(bs.first_ns, start);
          bs.last_ns = std::max(bs.last_ns, end);
        }
      }
    }

    // --- recon probes (non-home sources) ------------------------------------------------
    // Every source, home or not: a scan is a scan whoever sends it.
    if (spk > 0 && first_record && !IsMulticast(dst) && !IsLimitedBroadcast(dst) &&
        !(IsThisNetwork(src) && proto == 17)) {
      ScanEv ev{};
      ev.pattern = ClassifyProbe(fr);
      if (fr.Conversation()) ev.bits |= kEvConversation;
      if (src_home) ev.bits |= kEvFromHome;
      ev.src = src;
      ev.dst = dst;
      ev.t_s = static_cast<uint32_t>(std::max<int64_t>(0, start - period_.first_ns) / kSecondNs);
      ev.proto = static_cast<uint8_t>(proto);
      ev.port = proto == 6 || proto == 17 ? static_cast<uint16_t>(dport) : 0;
      bool success = proto == 6 ? ((dflags & 0x12) == 0x12 || dpay > 0) : dpk > 0;
      if (success) ev.bits |= kEvSuccess;
      if (proto == 1 && icmp_type == 8) ev.bits |= kEvEcho;
      if (n28 > 0) ev.bits |= kEvNmap28;
      std::string_view fp = has_icmp ? std::string_view(icmp_.fingerprint) : std::string_view();
      if (fp.find("welchia") != std::string_view::npos ||
          fp.find("nachi") != std::string_view::npos) {
        ev.bits |= kEvWelchia;
      }
      std::string combo;
      if (proto == 6) {
        int f = has_sinit ? sinit : sflags;
        if ((f & 0x3F) == 0x01)
          combo = "FIN";
        else if ((f & 0x29) == 0x29 && !(f & 0x02))
          combo = "XMAS";
        else if ((f & 0x3F) == 0 && has_sinit)
          combo = "NULL";
        else if ((f & 0x03) == 0x03)
          combo = "SYN|FIN";
      }
      if (!combo.empty()) ev.bits |= kEvOddFlags;
      acc_.scan.push_back(ev);
      if (n28 > 0 || !combo.empty()) {
        auto& p = acc_.probes[src];
        p.nmap28_packets += n28;
        if (!combo.empty()) {
          ++p.odd_flag_flows;
          ++p.combos[combo];
        }
        if (p.targets.size() < 1000) p.targets.insert(dst);
      }
    }
    // Traceroutes: TTL <= 1 probes.
    int64_t ttl1 = has_icmp ? icmp_.ttl1_probes : 0;
    if (spk > 0 && (ttl_min <= 1 || ttl1 > 0)) {
      if (IsMulticast(dst)) {
        acc_.multicast_ttl1_flows += flows_inc;
      } else {
        auto& tr = acc_.traces[src];
        tr.flows += flows_inc;
        tr.packets += ttl1 > 0 ? ttl1 : spk;
        if (tr.dsts.size() < 100) tr.dsts.insert(dst);
        tr.first_ns = std::min(tr.first_ns, start);
        if (proto == 1)
          tr.tool = "ICMP echo with TTL 1 (Windows tracert or traceroute -I)";
        else if (proto == 17 && dport >= 33434 && dport <= 33534)
          tr.tool = "UDP traceroute (Unix)";
        else if (tr.tool.empty())
          tr.tool = "TTL-limited " + ProtoName(proto) + " probe (tcptraceroute or similar)";
      }
    }

    // --- compromise: outbound from home -------------------------------------------------
    if (src_home && !dst_home && spk > 0 && !dst_bcast) {
      bool initiated = true;
      if (proto == 6)
        initiated = (sflags & 0x02) && !((has_sinit ? sinit : sflags) & 0x10 &&
                                         (has_sinit ? (sinit & 0x12) == 0x12 : false));
      else if (proto == 17)
        initiated = !(sport < 1024 && dport >= 1024);
      else if (proto == 1)
        initiated = icmp_type == 8;
      const ReservedRange* rr = ref_.FindReserved(dst, start);
      if (initiated && !rr && !Allowed(proto, proto == 6 || proto == 17 ? dport : 0)) {
        auto& o = acc_.outbound[{src, dst, proto, proto == 6 || proto == 17 ? dport : 0}];
        o.flows += flows_inc;
        o.bytes += sbytes + dbytes;
        o.payload_bytes += spay + dpay;
        bool est = proto == 6 ? (dflags & 0x12) == 0x12 || dpay > 0 : dpk > 0;
        if (est) o.established += flows_inc;
        o.first_ns = std::min(o.first_ns, start);
        o.last_ns = std::max(o.last_ns, end);
      }
    }

    // --- reserved destinations ----------------------------------------------------------
    if (src_home && !dst_bcast) {
      if (const ReservedRange* r = ref_.FindReserved(dst, start)) {
        const std::string& c = r->category;
        if (c != "private" && c != "multicast" && c != "broadcast" && c != "link-local" &&
            c != "shared" && c != "loopback") {
          std::string key = FormatIpv4(dst & 0xFFFF0000u) + "/16";
          auto& ra = acc_.reserved[key];
          ra.range = r->cidr.ToString();
          ra.category = c;
          ra.note = r->note;
          ra.hosts.insert(src);
          if (ra.dsts.size() < 1000) ra.dsts.insert(dst);
          ra.flows += flows_inc;
          ra.packets += pk;
          if (dpk > 0) ra.answered_flows += flows_inc;
          ra.payload_bytes_sent += spay;
          ra.payload_bytes_received += dpay;
          ra.services[ProtoName(proto) + "/" +
                      std::to_string(proto == 6 || proto == 17 ? dport : 0)] += flows_inc;
          ra.first_ns = std::min(ra.first_ns, start);
          ra.last_ns = std::max(ra.last_ns, end);
          int64_t day = start >= 0 ? start / kDayNs : (start - kDayNs + 1) / kDayNs;
          int64_t monday = day - ((day + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
          acc_.reserved_week_hosts.push_back(static_cast<uint64_t>(monday) << 32 | src);
          if (!st.Null(24)) {
            if (auto smb = JsonValue::Parse(st.Text(24))) {
              if (const JsonValue* cmds = smb->Find("smb1_commands")) {
                for (const auto& [k, v] : cmds->members()) {
                  int code = static_cast<int>(std::strtol(k.c_str(), nullptr, 0));
                  ra.smb_commands[code] += v.as_int();
                }
              }
              if (const JsonValue* f = smb->Find("failed_responses")) ra.smb_failed += f->as_int();
              if (const JsonValue* m = smb->Find("messages")) ra.smb_messages += m->as_int();
            }
          }
          if (!st.Null(25)) {
            if (auto nb = JsonValue::Parse(st.Text(25))) {
              if (const JsonValue* q = nb->Find("nbns_nbstat_queries"))
                ra.nbstat_queries += q->as_int();
              if (const JsonValue* q = nb->Find("nbns_nb_queries")) ra.nb_queries += q->as_int();
              if (const JsonValue* names = nb->Find("nbns_names")) {
                for (const auto& n : names->items()) {
                  if (ra.nbns_names.size() < 20) ra.nbns_names.insert(n.as_string());
                }
              }
            }
          }
        }
      }
    }

    // --- bare ACK and payload labels ----------------------------------------------------
    int64_t cmd = 0, ida = 0;
    std::vector<std::string> labels;
    if (!st.Null(23)) {
      if (auto arr = JsonValue::Parse(st.Text(23))) {
        for (const auto& l : arr->items()) {
          const std::string& s = l.as_string();
          if (s.find("cmd.exe") != std::string::npos) ++cmd;
          if (s.find(".ida") != std::string::npos) ++ida;
          labels.push_back(s);
        }
      }
    }
    // Attacks a compromise verdict can follow: exploit or worm payloads, bare-ACK worm
    // payloads, and SMB/RPC sessions opened from outside home.
    if (first_record && spk > 0 && src != dst && attacks_.size() < kMaxAttacks) {
      const uint32_t t_s =
          static_cast<uint32_t>(std::max<int64_t>(0, start - period_.first_ns) / kSecondNs);
      const bool smb_rpc = proto == 6 && (dport == 135 || dport == 139 || dport == 445) &&
                           fr.Conversation() && !src_home;
      if (!labels.empty() || (bare && spay > 0) || smb_rpc) {
        attacks_.push_back({dst, src, static_cast<int>(dport), t_s,
                            !labels.empty() ? "exploit payload"
                            : bare          ? "bare-ACK worm payload"
                                            : "SMB/RPC session from outside"});
      }
    }
    if (src_home && !labels.empty() && spay > 0 && malware_out_.size() < 1000) {
      malware_out_.push_back({src, dst, start, labels.front()});
    }
    if (bare) {
      auto& ba = acc_.bare_ack[src & 0xFFFF0000u];
      ba.flows += flows_inc;
      ba.packets += spk;
      ba.payload_bytes += spay;
      if (ba.sources.size() < 10000) ba.sources.insert(src);
      if (ba.targets.size() < 10000) ba.targets.insert(dst);
      for (const auto& l : labels) ++ba.labels[l];
      ba.cmd_exe += cmd;
      ba.ida += ida;
      acc_.labels_cmd_exe_bare += cmd;
      acc_.labels_ida_bare += ida;
      acc_.bare_ack_sources.insert(src);
    } else {
      acc_.labels_cmd_exe_handshake += cmd;
      acc_.labels_ida_handshake += ida;
    }
  };
  if (readers.empty()) {
    ForEachRow(sql_st, is_text, may_be_null, row);
  } else {
    ForEachRowChunked(readers, columns + "FROM flows WHERE id >= ?1 AND id < ?2", first_id,
                      std::max(first_id, max_id_), std::max<int64_t>(1, opt_.scan_chunk_ids),
                      is_text, may_be_null, row);
    for (sqlite3* c : readers) sqlite3_close(c);
  }
  return true;
}

// ---------------------------------------------------------------------------------------
JsonValue Builder::Meta() {
  JsonValue m = JsonValue::Object();
  m.Set("schema_version", 1);
  m.Set("db", opt_.db_path);
  JsonValue home = JsonValue::Array();
  for (const auto& c : home_) home.Push(c.ToString());
  m.Set("home", home);
  m.Set("home_inferred", home_inferred_);
  m.Set("home_how", home_inferred_ ? home_how_ : "given with --home");
  m.Set("home_confidence", home_inferred_ ? home_verdict_.confidence : "given");
  JsonValue evidence = JsonValue::Array();
  for (const auto& e : home_verdict_.evidence) evidence.Push(e);
  m.Set("home_evidence", evidence);
  m.Set("mode", opt_.honeynet ? "honeynet" : "network");
  m.Set("first", FormatTimeNs(acc_.min_start));
  m.Set("last", FormatTimeNs(acc_.max_end));
  m.Set("first_ns", acc_.min_start);
  m.Set("last_ns", acc_.max_end);
  m.Set("bucket", period_.bucket_ns == kDayNs    ? "day"
                  : period_.bucket_ns == kHourNs ? "hour"
                                                 : "custom");
  m.Set("rows", acc_.rows);
  m.Set("flows", acc_.flows);
  m.Set("interim_rows", acc_.interim_rows);
  m.Set("ipv6_rows", acc_.ipv6_rows);
  m.Set("packets", acc_.packets);
  JsonValue allowed = JsonValue::Array();
  for (const auto& a : opt_.allowed)
    allowed.Push(ProtoName(a.ip_proto) + "/" + std::to_string(a.port));
  m.Set("allowed_outbound", allowed);
  return m;
}

JsonValue Builder::Hosts() {
  struct Row {
    uint32_t host;
    int64_t inbound, outbound, total;
  };
  std::vector<Row> rows;
  std::vector<std::pair<uint32_t, const HostAgg*>> all;
  for (size_t i = 0; i < acc_.hosts.size(); ++i) {
    if (acc_.host_seen[i]) all.push_back({SlotAddress(i), &acc_.hosts[i]});
  }
  for (const auto& [h, agg] : acc_.hosts_big) all.push_back({h, &agg});
  std::unordered_map<uint32_t, const HostAgg*> by_addr;
  for (const auto& [h, aggp] : all) {
    const HostAgg& agg = *aggp;
    by_addr[h] = aggp;
    Row r{h, 0, 0, 0};
    for (int c = 0; c < kNumCategories; ++c) {
      r.total += agg.cat[c].packets;
      if (c <= kInOther) r.inbound += agg.cat[c].packets;
      if (c >= kOutTcp && c <= kDns) r.outbound += agg.cat[c].packets;
    }
    rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.inbound != b.inbound) return a.inbound > b.inbound;
    return a.total != b.total ? a.total > b.total : a.host < b.host;
  });
  JsonValue s = Section("Most attacked / most active home hosts",
                        "What home systems were attacked the most?");
  JsonValue arr = JsonValue::Array();
  size_t rank = 0;
  for (const auto& r : rows) {
    if (rank >= std::max<size_t>(opt_.top, 256)) break;
    const auto& agg = *by_addr[r.host];
    JsonValue row = JsonValue::Object();
    row.Set("rank", static_cast<int64_t>(++rank));
    row.Set("host", FormatIpv4(r.host));
    row.Set("inbound_packets", r.inbound);
    row.Set("outbound_packets", r.outbound);
    row.Set("total_packets", r.total);
    JsonValue pk = JsonValue::Object(), fl = JsonValue::Object();
    for (int c = 0; c < kNumCategories - 1; ++c) {
      pk.Set(kCategories[c], agg.cat[c].packets);
      fl.Set(kCategories[c], agg.cat[c].flows);
    }
    row.Set("packets", pk);
    row.Set("flows", fl);
    arr.Push(row);
  }
  std::string answer = rows.empty() ? "no home hosts seen" : "most attacked: ";
  for (size_t i = 0; i < rows.size() && i < 3; ++i) {
    answer += (i ? ", " : "") + FormatIpv4(rows[i].host) + " (" + std::to_string(rows[i].inbound) +
              " inbound packets)";
  }
  s.Set("answer", answer);
  s.Set("hosts", arr);
  return s;
}

JsonValue Builder::OpenPorts() {
  JsonValue s = Section("Open ports per home host", "What ports were open on each of them?");
  SortUnique(acc_.open_port_clients);
  std::vector<int64_t> clients(acc_.open_ports.size() + 1, 0);
  for (uint64_t k : acc_.open_port_clients) ++clients[k >> 32];
  std::map<uint32_t, std::vector<std::pair<std::pair<int, uint32_t>, const OpenPortAgg*>>> by_host;
  for (auto& [k, v] : acc_.open_ports) {
    v.clients = clients[v.id];
    by_host[std::get<0>(k)].push_back({{std::get<1>(k), std::get<2>(k)}, &v});
  }
  for (auto& [host, ports] : by_host) std::sort(ports.begin(), ports.end());
  JsonValue arr = JsonValue::Array();
  for (const auto& [host, ports] : by_host) {
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(host));
    JsonValue tcp = JsonValue::Array(), udp = JsonValue::Array();
    JsonValue detail = JsonValue::Array();
    for (const auto& [pp, agg] : ports) {
      (pp.first == 6 ? tcp : udp).Push(static_cast<int64_t>(pp.second));
      JsonValue d = JsonValue::Object();
      d.Set("proto", ProtoName(pp.first));
      d.Set("port", static_cast<int64_t>(pp.second));
      d.Set("service", Service(pp.first, pp.second));
      d.Set("flows", agg->flows);
      d.Set("clients", agg->clients);
      d.Set("first", FormatTimeNs(agg->first_ns));
      detail.Push(d);
    }
    row.Set("tcp", tcp);
    row.Set("udp", udp);
    row.Set("ports", detail);
    arr.Push(row);
  }
  s.Set("answer", std::to_string(by_host.size()) + " home hosts answered on at least one port");
  s.Set("hosts", arr);
  return s;
}

JsonValue Builder::MacAliases() {
  JsonValue s = Section("MAC to IP mapping",
                        "Which addresses share a network card (IP aliasing), which is the bridge / "
                        "logging host?");
  JsonValue macs = JsonValue::Array(), aliases = JsonValue::Array();
  std::vector<std::string> keys;
  std::vector<MacAgg*> by_id(acc_.macs.size() + 1, nullptr);
  for (auto& [mac, agg] : acc_.macs) {
    keys.push_back(mac);
    by_id[agg.id] = &agg;
  }
  std::sort(keys.begin(), keys.end());
  SortUnique(acc_.mac_ips);
  for (uint64_t k : acc_.mac_ips) {
    MacAgg* m = by_id[k >> 33];
    if ((k >> 32) & 1) m->home_ips.push_back(static_cast<uint32_t>(k));
  }
  for (auto& [mac, agg] : acc_.macs)
    agg.external_ips = static_cast<int64_t>(agg.external_sample.size());
  for (const auto& mac : keys) {
    const MacAgg& m = acc_.macs[mac];
    if (m.home_ips.empty()) continue;
    JsonValue row = JsonValue::Object();
    row.Set("mac", mac);
    JsonValue ips = JsonValue::Array();
    for (uint32_t ip : m.home_ips) ips.Push(FormatIpv4(ip));
    row.Set("home_ips", ips);
    row.Set("external_ips", m.external_ips);
    std::string role = m.external_ips >= 16    ? "gateway/router (many external addresses)"
                       : m.home_ips.size() > 1 ? "IP aliasing (several home addresses)"
                                               : "host";
    row.Set("role", role);
    macs.Push(row);
    if (m.home_ips.size() > 1 && m.external_ips < 16) aliases.Push(row);
  }
  JsonValue logging = JsonValue::Array();
  for (const auto& [recv, senders] : acc_.syslog) {
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(recv));
    JsonValue ss = JsonValue::Array();
    int64_t packets = 0;
    for (const auto& [snd, p] : senders) {
      ss.Push(FormatIpv4(snd));
      packets += p;
    }
    row.Set("senders", ss);
    row.Set("packets", packets);
    row.Set("why", "receives syslog (udp/514) from home hosts: the logging host / bridge");
    logging.Push(row);
  }
  s.Set("answer", std::to_string(aliases.size()) + " MAC(s) carry several home addresses; " +
                      std::to_string(logging.size()) + " logging host(s)");
  s.Set("aliases", aliases);
  s.Set("logging_hosts", logging);
  s.Set("macs", macs);
  return s;
}

JsonValue Builder::IcmpLengths() {
  JsonValue s = Section("ICMP packets by IP length, with fingerprints",
                        "What ICMP is this (Welchia, Windows tracert, nmap, ping)?");
  // Filled by the flows pass (icmp_json of the ip_proto = 1 rows).
  auto& lens = acc_.icmp_lens;
  auto known = [](int64_t len) -> std::string {
    switch (len) {
      case 28:
        return "nmap ping (no data)";
      case 60:
        return "Windows ping (32 bytes abcdefghi...)";
      case 84:
        return "Linux/BSD ping (56 bytes)";
      case 92:
        return "Welchia/Nachi (0xAA x64) or Windows tracert (zeros)";
      case 100:
        return "Cisco IOS ping (100 bytes)";
      case 128:
        return "Cisco IOS ping (alternate size)";
      default:
        return "";
    }
  };
  JsonValue arr = JsonValue::Array();
  int64_t total = 0;
  for (auto& [len, l] : lens) {
    std::sort(l.sources.begin(), l.sources.end());
    l.sources.erase(std::unique(l.sources.begin(), l.sources.end()), l.sources.end());
    JsonValue row = JsonValue::Object();
    row.Set("ip_length", len);
    row.Set("packets", l.packets);
    row.Set("flows", l.flows);
    row.Set("sources", static_cast<int64_t>(l.sources.size()));
    JsonValue fps = JsonValue::Object();
    for (const auto& [k, v] : l.fingerprints) fps.Set(k, v);
    row.Set("fingerprints", fps);
    row.Set("known_as", known(len));
    arr.Push(row);
    total += l.packets;
  }
  std::string answer =
      std::to_string(total) + " ICMP packets in " + std::to_string(lens.size()) + " lengths";
  if (!lens.empty()) {
    auto top = std::max_element(lens.begin(), lens.end(), [](auto& a, auto& b) {
      return a.second.packets < b.second.packets;
    });
    answer += "; most common IP length " + std::to_string(top->first);
    std::string best_fp;
    int64_t best = -1;
    for (const auto& [k, v] : top->second.fingerprints) {
      if (v > best) best = v, best_fp = k;
    }
    answer += " (" + best_fp + ")";
  }
  s.Set("answer", answer);
  s.Set("lengths", arr);
  return s;
}

JsonValue Builder::Ports() {
  JsonValue s = Section("Inbound destination ports",
                        "Which ports are attacked, is it growing (ISC trend), what malware?");
  struct PortAgg {
    int64_t sources = 0, targets = 0;
    std::vector<int64_t> src_per_bucket, dst_per_bucket;
  };
  std::map<std::pair<int, uint32_t>, PortAgg> agg;
  auto count = [&](std::vector<uint64_t>& keys, bool is_src) {
    // Sorted by (proto, port, addr, bucket): a run of equal (proto, port, addr) is one distinct
    // address; a run of equal full keys is one distinct (address, bucket).
    SortUnique(keys);
    uint64_t prev_addr_key = ~uint64_t{0};
    for (uint64_t k : keys) {
      int proto = (k >> 63) ? 17 : 6;
      uint32_t port = static_cast<uint32_t>((k >> 47) & 0xFFFF);
      size_t bucket = static_cast<size_t>(k & 0x7FFF);
      auto& p = agg[{proto, port}];
      auto& series = is_src ? p.src_per_bucket : p.dst_per_bucket;
      if (series.empty()) series.assign(period_.buckets, 0);
      ++series[std::min(bucket, period_.buckets - 1)];
      if ((k >> 15) != prev_addr_key) {
        ++(is_src ? p.sources : p.targets);
        prev_addr_key = k >> 15;
      }
    }
    keys.clear();
    keys.shrink_to_fit();
  };
  count(acc_.port_src_keys, true);
  count(acc_.port_dst_keys, false);
  auto avg_before_last = [&](const std::vector<int64_t>& v) {
    if (v.size() < 2) return 0.0;
    size_t n = std::min<size_t>(30, v.size() - 1);
    double sum = 0;
    for (size_t i = v.size() - 1 - n; i < v.size() - 1; ++i) sum += v[i];
    return sum / n;
  };
  JsonValue tcp = JsonValue::Array(), udp = JsonValue::Array();
  for (int proto : {6, 17}) {
    std::vector<std::pair<std::pair<int, uint32_t>, Counter>> rows;
    for (const auto& [k, c] : acc_.port_counts) {
      if (k.first == proto) rows.push_back({k, c});
    }
    std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) {
      return a.second.packets != b.second.packets ? a.second.packets > b.second.packets
                                                  : a.first.second < b.first.second;
    });
    int64_t other_packets = 0;
    JsonValue& out = proto == 6 ? tcp : udp;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i >= opt_.top) {
        other_packets += rows[i].second.packets;
        continue;
      }
      const auto& [key, c] = rows[i];
      PortAgg& p = agg[key];
      JsonValue row = JsonValue::Object();
      row.Set("port", static_cast<int64_t>(key.second));
      row.Set("service", Service(proto, key.second));
      row.Set("packets", c.packets);
      row.Set("flows", c.flows);
      row.Set("sources", p.sources);
      row.Set("targets", p.targets);
      if (period_.buckets >= 2 && !p.src_per_bucket.empty()) {
        double S = static_cast<double>(p.src_per_bucket.back()),
               sa = avg_before_last(p.src_per_bucket);
        double T = static_cast<double>(p.dst_per_bucket.back()),
               ta = avg_before_last(p.dst_per_bucket);
        double ss = std::max(sa, 1.0), tt = std::max(ta, 1.0);
        double mag = std::sqrt((S - sa) * (S - sa) / ss + (T - ta) * (T - ta) / tt);
        double sign = ((S - sa) / ss + (T - ta) / tt) < 0 ? -1 : 1;
        row.Set("trend", mag == 0 ? 0.0 : sign * mag);
        row.Set("last_bucket_sources", static_cast<int64_t>(S));
        row.Set("avg_sources", sa);
      } else {
        row.Set("trend", JsonValue());
      }
      const PortInfo* info = ref_.FindPort(proto, key.second);
      row.Set("annotation", info ? info->note : "");
      out.Push(row);
    }
    if (other_packets > 0) {
      JsonValue row = JsonValue::Object();
      row.Set("port", "other");
      row.Set("packets", other_packets);
      out.Push(row);
    }
  }
  s.Set("trend_formula",
        "sign * sqrt((S-s)^2/max(s,1) + (T-t)^2/max(t,1)); S,T = distinct sources/targets in "
        "the last " +
            std::string(period_.bucket_ns == kDayNs ? "24 h" : "hour") +
            ", s,t = their average over up to 30 earlier buckets (ISC trends.html)");
  std::string answer = "top TCP port: ";
  answer += tcp.size() ? std::to_string(tcp.items()[0].Find("port")->as_int()) : "none";
  answer += ", top UDP port: ";
  answer += udp.size() && udp.items()[0].Find("port")->is_number()
                ? std::to_string(udp.items()[0].Find("port")->as_int())
                : "none";
  s.Set("answer", answer);
  s.Set("tcp", tcp);
  s.Set("udp", udp);
  return s;
}

JsonValue Builder::Trends() {
  JsonValue s = Section("Trends per traffic category",
                        "What are the high-level trends? What was growing / decreasing?");
  s.Set("bucket", period_.bucket_ns == kDayNs    ? "day"
                  : period_.bucket_ns == kHourNs ? "hour"
                                                 : "custom");
  JsonValue starts = JsonValue::Array();
  for (size_t b = 0; b < period_.buckets; ++b) {
    starts.Push(FormatTimeNs((period_.BucketStart(b) - 1) / kSecondNs * kSecondNs));
  }
  s.Set("bucket_starts", starts);
  JsonValue cats = JsonValue::Array();
  std::string answer;
  for (int c = 0; c < kNumCategories; ++c) {
    std::vector<double> y(period_.buckets);
    int64_t total = 0;
    for (size_t b = 0; b < period_.buckets; ++b) {
      y[b] = static_cast<double>(acc_.trend[b][c].packets);
      total += acc_.trend[b][c].packets;
    }
    if (total == 0) continue;
    // Bursts first: buckets far above the typical level (3x the median and mean + 3 sd). The
    // direction is fitted with those buckets replaced by the median, so one burst does not
    // decide whether a category grows.
    std::vector<double> sorted = y;
    std::sort(sorted.begin(), sorted.end());
    double median = sorted[sorted.size() / 2];
    double mean = static_cast<double>(total) / y.size(), var = 0;
    for (double v : y) var += (v - mean) * (v - mean);
    double sd = std::sqrt(var / y.size());
    JsonValue bursts = JsonValue::Array();
    std::vector<double> fitted = y;
    for (size_t b = 0; b < y.size(); ++b) {
      if (y[b] >= 10 && y[b] > 3 * median && y[b] > mean + 3 * sd) {
        JsonValue burst = JsonValue::Object();
        burst.Set("start", FormatTimeNs((period_.BucketStart(b) - 1) / kSecondNs * kSecondNs));
        burst.Set("packets", static_cast<int64_t>(y[b]));
        bursts.Push(burst);
        fitted[b] = median;
      }
    }
    double slope = 0, change = 0;
    std::string dir = Direction(fitted, &slope, &change);
    JsonValue row = JsonValue::Object();
    row.Set("category", kCategories[c]);
    row.Set("packets", total);
    row.Set("direction", dir);
    row.Set("slope_per_bucket", slope);
    row.Set("relative_change", change);
    JsonValue series = JsonValue::Array();
    for (double v : y) series.Push(static_cast<int64_t>(v));
    row.Set("series", series);
    row.Set("bursts", bursts);
    cats.Push(row);
    if (dir == "growing" || dir == "shrinking") {
      answer += (answer.empty() ? "" : "; ") + std::string(kCategories[c]) + " " + dir;
    }
  }
  s.Set("answer", answer.empty() ? "no category grows or shrinks clearly" : answer);
  s.Set("categories", cats);
  return s;
}

std::string SuggestHorizontalTool(int proto, uint32_t port, bool sequential, bool welchia,
                                  bool nmap28) {
  if (proto == 1) {
    if (welchia) return "Welchia/Nachi worm ping sweep";
    if (nmap28) return "nmap ping sweep (-sn / -PE)";
    return "ICMP ping sweep";
  }
  std::string base = sequential ? "sequential sweep" : "random-order sweep";
  if (proto == 6 && (port == 135 || port == 445 || port == 139))
    return base + ": RPC/SMB worm (Blaster/Welchia/Sasser-style)";
  if (proto == 17 && port == 1434) return base + ": SQL Slammer";
  if (proto == 6 && (port == 80 || port == 443))
    return base + ": web worm or vulnerability scanner";
  if (proto == 6 && (port == 3127 || port == 1080 || port == 3128 || port == 8080))
    return base + ": MyDoom backdoor / open-proxy scanner";
  return base + (sequential ? " (worm or scanner walking the address space)"
                            : " (worm with random targets)");
}

JsonValue Builder::Recon() {
  JsonValue s =
      Section("Reconnaissance",
              "What types of reconnaissance and scan patterns (sequential, ...) are there?");
  constexpr uint32_t kEpisodeGapS = 3600;
  constexpr size_t kHorizontalMin = 5, kVerticalMin = 10;
  auto& ev = acc_.scan;
  JsonValue horizontal = JsonValue::Array(), vertical = JsonValue::Array(),
            sweeps = JsonValue::Array();
  // Horizontal scans and ping sweeps: (src, proto, port) episodes.
  std::sort(ev.begin(), ev.end(), [](const ScanEv& a, const ScanEv& b) {
    if (a.src != b.src) return a.src < b.src;
    if (a.proto != b.proto) return a.proto < b.proto;
    if (a.port != b.port) return a.port < b.port;
    return a.t_s < b.t_s;
  });
  struct Found {
    int64_t targets;
    JsonValue row;
  };
  std::vector<Found> hz, sw;
  for (size_t i = 0; i < ev.size();) {
    size_t j = i + 1;
    while (j < ev.size() && ev[j].src == ev[i].src && ev[j].proto == ev[i].proto &&
           ev[j].port == ev[i].port && ev[j].t_s - ev[j - 1].t_s <= kEpisodeGapS) {
      ++j;
    }
    // Fewer probes than the threshold cannot be a sweep: skip without building sets.
    if ((ev[i].proto == 1 && !(ev[i].bits & kEvEcho)) || j - i < kHorizontalMin) {
      i = j;
      continue;
    }
    // First-contact order of the targets.
    std::vector<uint32_t> order;
    std::unordered_set<uint32_t> seen;
    bool welchia = false, nmap28 = false;
    int64_t answered = 0, conversations = 0;
    for (size_t k = i; k < j; ++k) {
      if (seen.insert(ev[k].dst).second) order.push_back(ev[k].dst);
      welchia |= (ev[k].bits & kEvWelchia) != 0;
      nmap28 |= (ev[k].bits & kEvNmap28) != 0;
      if (ev[k].bits & kEvSuccess) ++answered;
      if (ev[k].bits & kEvConversation) ++conversations;
    }
    // A client talking to many servers on one port (web, DNS) holds conversations; a sweep
    // mostly does not.
    if (order.size() >= kHorizontalMin && conversations * 2 < static_cast<int64_t>(j - i)) {
      size_t up = 0, down = 0;
      for (size_t k = 1; k < order.size(); ++k) {
        if (order[k] > order[k - 1])
          ++up;
        else
          ++down;
      }
      size_t pairs = order.size() - 1;
      std::string pattern = up * 10 >= pairs * 8     ? "sequential-ascending"
                            : down * 10 >= pairs * 8 ? "sequential-descending"
                                                     : "random";
      bool sequential = pattern != "random";
      auto [mn, mx] = std::minmax_element(order.begin(), order.end());
      JsonValue row = JsonValue::Object();
      row.Set("source", FormatIpv4(ev[i].src));
      row.Set("scope", Scope(ev[i].src, order.front()));
      row.Set("proto", ProtoName(ev[i].proto));
      if (ev[i].proto != 1) row.Set("port", static_cast<int64_t>(ev[i].port));
      row.Set("targets", static_cast<int64_t>(order.size()));
      row.Set("pattern", pattern);
      row.Set("sequential", sequential);
      row.Set("first_target", FormatIpv4(order.front()));
      row.Set("last_target", FormatIpv4(order.back()));
      row.Set("range", FormatIpv4(*mn) + "-" + FormatIpv4(*mx));
      row.Set("answered", answered);
      int64_t t0 = period_.first_ns + int64_t{ev[i].t_s} * kSecondNs;
      row.Set("start", FormatTimeNs(t0));
      row.Set("duration_s", static_cast<int64_t>(ev[j - 1].t_s - ev[i].t_s));
      row.Set("tool", SuggestHorizontalTool(ev[i].proto, ev[i].port, sequential, welchia, nmap28));
      (ev[i].proto == 1 ? sw : hz).push_back({static_cast<int64_t>(order.size()), row});
      AddThreat(ev[i].src, IsHome(ev[i].src),
                10 + static_cast<int>(std::min<size_t>(order.size(), 50) / 5), "recon",
                std::string(ev[i].proto == 1 ? "ping sweep of " : "horizontal scan of ") +
                    std::to_string(order.size()) + " hosts" +
                    (ev[i].proto == 1 ? "" : " on port " + std::to_string(ev[i].port)));
    }
    i = j;
  }
  // Vertical scans: (src, dst) episodes with many ports.
  std::sort(ev.begin(), ev.end(), [](const ScanEv& a, const ScanEv& b) {
    if (a.src != b.src) return a.src < b.src;
    if (a.dst != b.dst) return a.dst < b.dst;
    return a.t_s < b.t_s;
  });
  std::vector<Found> vt;
  for (size_t i = 0; i < ev.size();) {
    size_t j = i + 1;
    while (j < ev.size() && ev[j].src == ev[i].src && ev[j].dst == ev[i].dst &&
           ev[j].t_s - ev[j - 1].t_s <= kEpisodeGapS) {
      ++j;
    }
    if (j - i < kVerticalMin) {
      i = j;
      continue;
    }
    std::set<std::pair<int, int>> ports;
    std::set<int> open, protocols;
    int udp = 0, tcp = 0, conversations = 0;
    std::array<int, kProbePatterns> patterns{};
    for (size_t k = i; k < j; ++k) {
      protocols.insert(ev[k].proto);
      if (ev[k].bits & kEvConversation) ++conversations;
      if (ev[k].proto != 6 && ev[k].proto != 17) continue;
      ports.insert({ev[k].proto, ev[k].port});
      if (ev[k].bits & kEvSuccess) open.insert(ev[k].port);
      if (ev[k].proto == 17) ++udp;
      if (ev[k].proto == 6) {
        ++tcp;
        ++patterns[ev[k].pattern];
      }
    }
    const bool protocol_scan = protocols.size() >= kVerticalMin;
    if ((ports.size() >= kVerticalMin || protocol_scan) &&
        conversations * 2 < static_cast<int>(j - i)) {
      JsonValue row = JsonValue::Object();
      row.Set("source", FormatIpv4(ev[i].src));
      row.Set("target", FormatIpv4(ev[i].dst));
      row.Set("scope", Scope(ev[i].src, ev[i].dst));
      row.Set("ports", static_cast<int64_t>(ports.size()));
      row.Set("protocols", static_cast<int64_t>(protocols.size()));
      row.Set("lowest_port", static_cast<int64_t>(ports.empty() ? 0 : ports.begin()->second));
      row.Set("highest_port", static_cast<int64_t>(ports.empty() ? 0 : ports.rbegin()->second));
      JsonValue pats = JsonValue::Object();
      for (int p = 1; p < kProbePatterns; ++p) {
        if (patterns[p]) pats.Set(kProbeNames[p], static_cast<int64_t>(patterns[p]));
      }
      row.Set("tcp_probes", pats);
      JsonValue op = JsonValue::Array();
      for (int p : open) op.Push(static_cast<int64_t>(p));
      row.Set("answered_ports", op);
      row.Set("start", FormatTimeNs(period_.first_ns + int64_t{ev[i].t_s} * kSecondNs));
      row.Set("duration_s", static_cast<int64_t>(ev[j - 1].t_s - ev[i].t_s));
      // The tool: IP protocols when many protocols and few ports; else the majority of the
      // probes (UDP, or the commonest TCP flag pattern).
      const int top_pattern = static_cast<int>(
          std::max_element(patterns.begin() + 1, patterns.end()) - patterns.begin());
      std::string tool = protocol_scan && ports.size() < kVerticalMin
                             ? "IP protocol scan (nmap -sO)"
                         : udp > tcp                       ? "UDP port scan (nmap -sU)"
                         : patterns[top_pattern] * 2 > tcp ? kProbeTools[top_pattern]
                                                           : kProbeTools[kProbeOther];
      row.Set("tool", tool);
      vt.push_back({static_cast<int64_t>(std::max(ports.size(), protocols.size())), row});
      for (int p : open) attacks_.push_back({ev[i].dst, ev[i].src, p, ev[i].t_s, "port scan"});
      AddThreat(ev[i].src, IsHome(ev[i].src),
                10 + static_cast<int>(std::min<size_t>(ports.size(), 100) / 10), "recon",
                (protocol_scan && ports.size() < kVerticalMin
                     ? "IP protocol scan of " + std::to_string(protocols.size()) + " protocols"
                     : "vertical scan of " + std::to_string(ports.size()) + " ports") +
                    " on " + FormatIpv4(ev[i].dst) +
                    (Scope(ev[i].src, ev[i].dst) == "internal"
                         ? " (internal host scanning its neighbours)"
                         : ""));
    }
    i = j;
  }
  auto emit = [&](std::vector<Found>& v, JsonValue& out) {
    std::stable_sort(v.begin(), v.end(),
                     [](const Found& a, const Found& b) { return a.targets > b.targets; });
    for (size_t i = 0; i < v.size() && i < std::max<size_t>(opt_.top, 50); ++i) out.Push(v[i].row);
  };
  emit(hz, horizontal);
  emit(vt, vertical);
  emit(sw, sweeps);
  JsonValue probes = JsonValue::Array();
  for (const auto& [src, p] : acc_.probes) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    row.Set("icmp_length28_packets", p.nmap28_packets);
    row.Set("odd_flag_flows", p.odd_flag_flows);
    JsonValue combos = JsonValue::Object();
    for (const auto& [k, v] : p.combos) combos.Set(k, v);
    row.Set("flag_combinations", combos);
    row.Set("targets", static_cast<int64_t>(p.targets.size()));
    row.Set("tool", p.odd_flag_flows ? "nmap (-sF/-sX/-sN or OS detection)"
                                     : "nmap ping (ICMP echo without data)");
    probes.Push(row);
    AddThreat(src, false, 5, "recon", "nmap-style probes");
  }
  JsonValue traces = JsonValue::Array();
  for (const auto& [src, t] : acc_.traces) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    JsonValue d = JsonValue::Array();
    for (uint32_t a : t.dsts) d.Push(FormatIpv4(a));
    row.Set("targets", d);
    row.Set("packets", t.packets);
    row.Set("first", FormatTimeNs(t.first_ns));
    row.Set("tool", t.tool);
    traces.Push(row);
    AddThreat(src, IsHome(src), 2, "recon", "traceroute (TTL 1 probes)");
  }
  int64_t internal = 0;
  for (const auto* v : {&hz, &vt, &sw}) {
    for (const auto& f : *v) internal += f.row.Find("scope")->as_string() == "internal";
  }
  s.Set("answer", std::to_string(hz.size()) + " horizontal scans, " + std::to_string(vt.size()) +
                      " vertical scans, " + std::to_string(sw.size()) + " ping sweeps, " +
                      std::to_string(probes.size()) + " nmap-style probers, " +
                      std::to_string(traces.size()) + " traceroutes" +
                      (internal ? "; " + std::to_string(internal) +
                                      " by internal hosts scanning their neighbours"
                                : ""));
  s.Set("horizontal_total", static_cast<int64_t>(hz.size()));
  s.Set("vertical_total", static_cast<int64_t>(vt.size()));
  s.Set("ping_sweeps_total", static_cast<int64_t>(sw.size()));
  s.Set("horizontal", horizontal);
  s.Set("vertical", vertical);
  s.Set("ping_sweeps", sweeps);
  s.Set("nmap_probes", probes);
  s.Set("traceroutes", traces);
  s.Set("multicast_ttl1_flows", acc_.multicast_ttl1_flows);
  s.Set("method",
        "episodes: probes from one source separated by at most 1 h; horizontal = >= 5 "
        "hosts on one port, sequential when >= 80% of consecutive first contacts move "
        "the same way through the address space; vertical = >= 10 ports (or IP protocols) on "
        "one host. Any source counts, home or not (scope: inbound, outbound, internal, "
        "external); episodes where most probes held a conversation (payload both ways) are "
        "clients, not scans. The tool follows the commonest TCP flag pattern of the probes.");
  return s;
}

JsonValue Builder::SlowScans() {
  JsonValue s = Section("Low-and-slow scanners", "Any long-term (low and slow) scanning activity?");
  const int64_t unit_s = period_.bucket_ns / kSecondNs;  // day, or hour for short captures
  const std::string unit = period_.bucket_ns == kDayNs ? "day" : "hour";
  constexpr int kMinActiveUnits = 3;
  constexpr int64_t kMaxFlowsPerUnit = 50;
  const double kStep = std::log(0.8 / 0.2);  // TRW, theta0 = 0.8, theta1 = 0.2
  const double kEta1 = std::log(0.99 / 0.01), kEta0 = std::log(0.01 / 0.99);
  auto& ev = acc_.scan;
  std::sort(ev.begin(), ev.end(), [](const ScanEv& a, const ScanEv& b) {
    return a.src != b.src ? a.src < b.src : a.t_s < b.t_s;
  });
  struct Found {
    double score;
    JsonValue row;
  };
  std::vector<Found> found;
  for (size_t i = 0; i < ev.size();) {
    size_t j = i;
    while (j < ev.size() && ev[j].src == ev[i].src) ++j;
    // Fewer flows than active units needed, or all in one unit: not low-and-slow; skip cheaply.
    // Home hosts coming back to the same places every day are their own users, not probers.
    if (j - i < kMinActiveUnits || (ev[i].bits & kEvFromHome) ||
        ev[j - 1].t_s / unit_s - ev[i].t_s / unit_s + 1 < kMinActiveUnits) {
      i = j;
      continue;
    }
    // Events are in time order, so units are non-decreasing: runs give the per-unit counts.
    std::vector<std::pair<int64_t, int64_t>> per_unit;  // (unit, flows)
    std::vector<uint64_t> target_unit;                  // dst << 32 | unit
    double lambda = 0, lambda_max = 0;
    std::unordered_set<uint32_t> contacted;
    int64_t answered = 0;
    for (size_t k = i; k < j; ++k) {
      if (ev[k].bits & kEvSuccess) ++answered;
      int64_t u = ev[k].t_s / unit_s;
      if (per_unit.empty() || per_unit.back().first != u) per_unit.push_back({u, 0});
      ++per_unit.back().second;
      target_unit.push_back(uint64_t{ev[k].dst} << 32 | static_cast<uint32_t>(u));
      if (contacted.insert(ev[k].dst).second) {
        lambda += (ev[k].bits & kEvSuccess) ? -kStep : kStep;
        lambda_max = std::max(lambda_max, lambda);
      }
    }
    int64_t active = static_cast<int64_t>(per_unit.size());
    int64_t max_per_unit = 0;
    for (auto& [u, c] : per_unit) max_per_unit = std::max(max_per_unit, c);
    int64_t span_units = per_unit.back().first - per_unit.front().first + 1;
    SortUnique(target_unit);
    int64_t returning = 0, targets = 0;
    std::string returning_example;
    for (size_t a = 0; a < target_unit.size();) {
      size_t b = a;
      while (b < target_unit.size() && (target_unit[b] >> 32) == (target_unit[a] >> 32)) ++b;
      ++targets;
      if (b - a >= 2) {
        ++returning;
        if (returning_example.empty())
          returning_example = FormatIpv4(static_cast<uint32_t>(target_unit[a] >> 32));
      }
      a = b;
    }
    // A regular client (a web user coming back every day) is answered; a prober mostly is not.
    const bool mostly_unanswered = answered * 2 <= static_cast<int64_t>(j - i);
    if (active >= kMinActiveUnits && max_per_unit <= kMaxFlowsPerUnit && returning >= 1 &&
        span_units >= kMinActiveUnits && (mostly_unanswered || lambda_max >= kEta1)) {
      JsonValue row = JsonValue::Object();
      row.Set("source", FormatIpv4(ev[i].src));
      row.Set("flows", static_cast<int64_t>(j - i));
      row.Set("active_" + unit + "s", active);
      row.Set("span_" + unit + "s", span_units);
      row.Set("max_flows_per_" + unit, max_per_unit);
      row.Set("targets", targets);
      row.Set("answered_flows", answered);
      row.Set("returning_targets", returning);
      row.Set("example_target", returning_example);
      JsonValue visits = JsonValue::Array();
      for (auto& [u, c] : per_unit) {
        if (visits.size() >= 40) break;
        visits.Push(FormatTimeNs(period_.first_ns + u * unit_s * kSecondNs)
                        .substr(0, unit == "day" ? 10 : 13));
      }
      row.Set("active_" + unit + "_list", visits);
      row.Set("trw_lambda", lambda);
      row.Set("trw_max_lambda", lambda_max);
      row.Set("trw_decision", lambda_max >= kEta1 ? "scanner"
                              : lambda <= kEta0   ? "benign"
                                                  : "pending");
      char why[320];
      std::snprintf(why, sizeof why,
                    "active on %lld of %lld %ss, never more than %lld flows in one %s, returned to "
                    "%lld target(s) (e.g. %s) on different %ss; TRW log-likelihood %.2f (scanner "
                    "threshold %.2f)",
                    static_cast<long long>(active), static_cast<long long>(span_units),
                    unit.c_str(), static_cast<long long>(max_per_unit), unit.c_str(),
                    static_cast<long long>(returning), returning_example.c_str(), unit.c_str(),
                    lambda_max, kEta1);
      row.Set("why", why);
      found.push_back({static_cast<double>(active) * static_cast<double>(targets), row});
      AddThreat(ev[i].src, false, 25, "slow_scans",
                "low-and-slow: active on " + std::to_string(active) + " " + unit + "s");
    }
    i = j;
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Found& a, const Found& b) { return a.score > b.score; });
  JsonValue arr = JsonValue::Array();
  for (size_t i = 0; i < found.size() && i < std::max<size_t>(opt_.top, 50); ++i)
    arr.Push(found[i].row);
  s.Set("unit", unit);
  s.Set("method",
        "a source is low-and-slow when it is active on >= 3 distinct " + unit +
            "s spread over >= 3 " + unit + "s, never exceeds 50 new flows in one " + unit +
            ", returns to at least one target on a different " + unit +
            ", and at most half of its flows were answered (or the random walk says scanner): a "
            "regular client coming back every day is answered. The threshold random walk (Jung et "
            "al. 2004: theta0 0.8, theta1 0.2, alpha = beta = 0.01) "
            "adds +1.386 per unanswered first contact and -1.386 per answered one; >= 4.595 means "
            "scanner.");
  s.Set("answer", std::to_string(arr.size()) + " low-and-slow source(s)");
  s.Set("sources", arr);
  return s;
}

JsonValue Builder::Spoofed() {
  JsonValue s =
      Section("Spoofed sources and backscatter",
              "Any traffic that cannot be genuine (RFC 1918, 127.0.0.1, reserved, backscatter)?");
  JsonValue arr = JsonValue::Array();
  for (const auto& [src, a] : acc_.spoofed) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    row.Set("category", a.category);
    row.Set("flows", a.flows);
    row.Set("packets", a.packets);
    row.Set("targets", static_cast<int64_t>(a.targets.size()));
    row.Set("tcp_flags", FlagNames(a.flags));
    std::vector<std::pair<int64_t, uint32_t>> ports;
    for (auto& [p, c] : a.ports) ports.push_back({c, p});
    std::sort(ports.rbegin(), ports.rend());
    JsonValue sp = JsonValue::Array();
    for (size_t i = 0; i < ports.size() && i < 5; ++i)
      sp.Push(static_cast<int64_t>(ports[i].second));
    row.Set("source_ports", sp);
    row.Set("first", FormatTimeNs(a.first_ns));
    row.Set("last", FormatTimeNs(a.last_ns));
    row.Set("note", a.note);
    arr.Push(row);
    AddThreat(src, false, 3, "spoofed", a.category + " source address (spoofed)");
  }
  JsonValue bs = JsonValue::Array();
  for (const auto& [src, a] : acc_.backscatter) {
    JsonValue row = JsonValue::Object();
    row.Set("source", FormatIpv4(src));
    row.Set("flows", a.flows);
    row.Set("packets", a.packets);
    row.Set("synack_flows", a.synack);
    row.Set("rst_flows", a.rst);
    row.Set("home_hosts", static_cast<int64_t>(a.victims.size()));
    std::vector<std::pair<int64_t, uint32_t>> ports;
    for (auto& [p, c] : a.src_ports) ports.push_back({c, p});
    std::sort(ports.rbegin(), ports.rend());
    JsonValue sp = JsonValue::Array();
    for (size_t i = 0; i < ports.size() && i < 5; ++i)
      sp.Push(static_cast<int64_t>(ports[i].second));
    row.Set("service_ports", sp);
    row.Set("first", FormatTimeNs(a.first_ns));
    row.Set("why",
            "answers (SYN-ACK / RST) to connections no home host opened: someone spoofed "
            "home addresses in a flood against this host");
    bs.Push(row);
  }
  s.Set("answer", std::to_string(arr.size()) + " spoofed source(s), " + std::to_string(bs.size()) +
                      " backscatter source(s)");
  s.Set("sources", arr);
  s.Set("backscatter", bs);
  return s;
}

JsonValue Builder::Compromise() {
  if (opt_.honeynet) return HoneynetCompromise();
  JsonValue s = Section("Compromised hosts", "Was a home host compromised? How do you know?");
  static const std::set<uint32_t> kIrc = {6660, 6661, 6662, 6663, 6664, 6665,
                                          6666, 6667, 6668, 6669, 7000};
  constexpr size_t kMaxVictimsQueried = 2000;
  constexpr int64_t kMinNewDestinations = 20;
  std::sort(attacks_.begin(), attacks_.end(), [](const Attack& a, const Attack& b) {
    return a.victim != b.victim ? a.victim < b.victim : a.t_s < b.t_s;
  });
  Stmt before(db_,
              "SELECT DISTINCT dst_v4 FROM flows WHERE src_addr = ?1 AND start_ns < ?2 "
              "AND dst_v4 IS NOT NULL LIMIT 100000");
  Stmt after(db_,
             "SELECT dst_v4, src_port, dst_port, ip_proto, start_ns, src_tcp_flags, "
             "src_initial_tcp_flags, dst_pkts, dst_tcp_flags, dst_payload_bytes FROM flows "
             "WHERE src_addr = ?1 AND start_ns >= ?2 AND record_seq = 0 AND dst_v4 IS NOT NULL "
             "ORDER BY start_ns LIMIT 100000");
  struct Verdict {
    uint32_t host;
    bool compromised;
    int64_t first_ns;
    JsonValue row;
  };
  std::vector<Verdict> verdicts;
  std::map<uint32_t, std::vector<std::string>> malware;
  for (const auto& m : malware_out_) {
    if (malware[m.host].size() < 5)
      malware[m.host].push_back("sent '" + m.label + "' to " + FormatIpv4(m.dst) + " at " +
                                FormatTimeNs(m.t_ns));
  }
  size_t victims = 0;
  for (size_t i = 0; i < attacks_.size();) {
    size_t j = i;
    while (j < attacks_.size() && attacks_[j].victim == attacks_[i].victim) ++j;
    const uint32_t host = attacks_[i].victim;
    const int64_t attacked_ns = period_.first_ns + int64_t{attacks_[i].t_s} * kSecondNs;
    JsonValue reasons = JsonValue::Array(), evidence = JsonValue::Array(),
              attacks = JsonValue::Array();
    std::map<uint32_t, int64_t> attacker_since;  // attacker -> first attack (ns)
    for (size_t k = i; k < j; ++k) {
      const int64_t t = period_.first_ns + int64_t{attacks_[k].t_s} * kSecondNs;
      attacker_since.try_emplace(attacks_[k].attacker, t);
      if (attacks.size() < 10) {
        JsonValue a = JsonValue::Object();
        a.Set("time", FormatTimeNs(t));
        a.Set("attacker", FormatIpv4(attacks_[k].attacker));
        a.Set("port", static_cast<int64_t>(attacks_[k].port));
        a.Set("what", attacks_[k].what);
        attacks.Push(a);
      }
    }
    if (auto m = malware.find(host); m != malware.end()) {
      for (const auto& r : m->second) reasons.Push(r);
      malware.erase(m);
    }
    const std::string addr = FormatIpv4(host);
    if (victims++ < kMaxVictimsQueried && before.ok() && after.ok()) {
      std::unordered_set<uint32_t> known;
      sqlite3_reset(before.get());
      sqlite3_bind_text(before.get(), 1, addr.c_str(), -1, SQLITE_TRANSIENT);
      before.Bind(2, attacked_ns);
      while (before.Step()) known.insert(static_cast<uint32_t>(before.Int(0)));
      sqlite3_reset(after.get());
      sqlite3_bind_text(after.get(), 1, addr.c_str(), -1, SQLITE_TRANSIENT);
      after.Bind(2, attacked_ns);
      std::unordered_set<uint32_t> fresh;
      std::set<std::string> said;
      while (after.Step()) {
        const uint32_t dst = static_cast<uint32_t>(after.Int(0));
        const uint32_t sport = static_cast<uint32_t>(after.Int(1));
        const uint32_t dport = static_cast<uint32_t>(after.Int(2));
        const int proto = static_cast<int>(after.Int(3));
        const int64_t t = after.Int(4);
        const int sflags = static_cast<int>(after.Int(5));
        const int sinit = after.Null(6) ? sflags : static_cast<int>(after.Int(6));
        // Opened by the host: a TCP SYN without ACK, a UDP datagram not from a service port.
        // Pings and traceroutes (ICMP) never count.
        // Opened by the host: a TCP SYN without ACK, a UDP datagram from an ephemeral port (a
        // reply from a service port, 137 -> 137 or 500 -> 500, is not). ICMP never counts.
        bool opened = proto == 6 ? (sinit & 0x12) == 0x02 : proto == 17 && sport >= 1024;
        if (!opened || sport == 20 || Allowed(proto, dport) || IsMulticast(dst) ||
            IsLimitedBroadcast(dst) || dst == host)
          continue;
        const bool answered =
            after.Int(7) > 0 && (proto != 6 || (after.Int(8) & 0x12) == 0x12 || after.Int(9) > 0);
        const std::string what = ProtoName(proto) + "/" + std::to_string(dport);
        std::string why;
        auto a = attacker_since.find(dst);
        if (a != attacker_since.end() && a->second <= t) {
          why = "connected back to its attacker";
        } else if (proto == 6 && kIrc.count(dport)) {
          why = "IRC";
        } else if (((proto == 6 && dport == 21) || (proto == 17 && dport == 69)) &&
                   !known.count(dst)) {
          why = proto == 6 ? "FTP fetch from a new host" : "TFTP fetch from a new host";
        }
        if (!known.count(dst) && !IsHome(dst)) fresh.insert(dst);
        if (why.empty()) continue;
        if (said.insert(why + FormatIpv4(dst) + what).second && evidence.size() < 50) {
          JsonValue e = JsonValue::Object();
          e.Set("time", FormatTimeNs(t));
          e.Set("destination", FormatIpv4(dst));
          e.Set("proto", ProtoName(proto));
          e.Set("port", static_cast<int64_t>(dport));
          e.Set("answered", answered);
          e.Set("why", why);
          evidence.Push(e);
          if (reasons.size() < 8)
            reasons.Push(why + ": " + what + " to " + FormatIpv4(dst) + " at " + FormatTimeNs(t));
        }
      }
      if (static_cast<int64_t>(fresh.size()) >= kMinNewDestinations) {
        reasons.Push("after the attack it opened connections to " + std::to_string(fresh.size()) +
                     " hosts it had never contacted (spreading)");
      }
    }
    const bool compromised = reasons.size() > 0;
    JsonValue row = JsonValue::Object();
    row.Set("host", addr);
    row.Set("home", IsHome(host));
    row.Set("verdict", compromised ? "compromised" : "attacked");
    row.Set("attacked_at", FormatTimeNs(attacked_ns));
    row.Set("attacks", attacks);
    row.Set("reasons", reasons);
    row.Set("evidence", evidence);
    verdicts.push_back({host, compromised, attacked_ns, row});
    i = j;
  }
  // Malware sent out by a home host nobody was seen attacking.
  for (auto& [host, rs] : malware) {
    JsonValue row = JsonValue::Object(), reasons = JsonValue::Array();
    for (const auto& r : rs) reasons.Push(r);
    row.Set("host", FormatIpv4(host));
    row.Set("home", IsHome(host));
    row.Set("verdict", "compromised");
    row.Set("reasons", reasons);
    row.Set("evidence", JsonValue::Array());
    verdicts.push_back({host, true, 0, row});
  }
  std::stable_sort(verdicts.begin(), verdicts.end(), [](const Verdict& a, const Verdict& b) {
    return a.compromised != b.compromised ? a.compromised : a.first_ns < b.first_ns;
  });
  JsonValue judged = JsonValue::Array(), arr = JsonValue::Array();
  int64_t compromised = 0;
  for (const auto& v : verdicts) {
    if (v.compromised) {
      ++compromised;
      judged.Push(FormatIpv4(v.host));
      compromised_.insert(v.host);
      AddThreat(v.host, IsHome(v.host), 100, "compromise",
                v.row.Find("reasons")->items()[0].as_string());
    }
    if (arr.size() < opt_.top) arr.Push(v.row);
  }
  s.Set("answer", compromised ? std::to_string(compromised) + " host(s) judged compromised, " +
                                    std::to_string(verdicts.size()) + " attacked"
                              : "no host judged compromised (" + std::to_string(verdicts.size()) +
                                    " attacked)");
  s.Set("mode", "network");
  s.Set("compromised", judged);
  s.Set("attacked_total", static_cast<int64_t>(verdicts.size()));
  s.Set("hosts", arr);
  s.Set("method",
        "a host is compromised when, after an attack on it (exploit or worm payload, bare-ACK "
        "worm payload, an SMB/RPC session from outside home, a port scan that found an open "
        "port), it opens what it never did before: a connection back to its attacker, IRC, an "
        "FTP/TFTP fetch from a new host, or connections to >= 20 hosts it had never contacted; "
        "or when a home host sends a known malware payload out. Pings and traceroutes never "
        "count. --honeynet instead judges any outbound connection of a honeypot.");
  return s;
}

JsonValue Builder::HoneynetCompromise() {
  JsonValue s = Section("Outbound connections and compromised home hosts",
                        "Was a home host compromised? How do you know?");
  std::map<uint32_t,
           std::vector<std::pair<std::tuple<uint32_t, int, uint32_t>, const OutboundAgg*>>>
      by_host;
  for (const auto& [k, v] : acc_.outbound) {
    by_host[std::get<0>(k)].push_back({{std::get<1>(k), std::get<2>(k), std::get<3>(k)}, &v});
  }
  static const std::set<uint32_t> kIrc = {6660, 6661, 6662, 6663, 6664, 6665,
                                          6666, 6667, 6668, 6669, 7000};
  JsonValue arr = JsonValue::Array(), judged = JsonValue::Array();
  for (auto& [host, entries] : by_host) {
    std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) {
      return a.second->first_ns != b.second->first_ns ? a.second->first_ns < b.second->first_ns
                                                      : a.first < b.first;
    });
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(host));
    JsonValue reasons = JsonValue::Array();
    std::set<uint32_t> dsts;
    int64_t established = 0, first_ns = INT64_MAX;
    JsonValue timeline = JsonValue::Array();
    for (const auto& [k, o] : entries) {
      auto [dst, proto, port] = k;
      dsts.insert(dst);
      first_ns = std::min(first_ns, o->first_ns);
      std::string svc = Service(proto, port);
      std::string what = ProtoName(proto) + (proto == 1 ? "" : "/" + std::to_string(port)) +
                         (svc.empty() ? "" : " (" + svc + ")");
      if (o->established > 0) {
        ++established;
        if (reasons.size() < 8) {
          reasons.Push("established outbound " + what + " to " + FormatIpv4(dst) + " at " +
                       FormatTimeNs(o->first_ns));
        }
      } else if (proto == 6 && kIrc.count(port) && reasons.size() < 8) {
        reasons.Push("outbound IRC attempt " + what + " to " + FormatIpv4(dst));
      }
      if (timeline.size() < 200) {
        JsonValue t = JsonValue::Object();
        t.Set("first", FormatTimeNs(o->first_ns));
        t.Set("destination", FormatIpv4(dst));
        t.Set("proto", ProtoName(proto));
        t.Set("port", static_cast<int64_t>(port));
        t.Set("service", svc);
        t.Set("flows", o->flows);
        t.Set("bytes", o->bytes);
        t.Set("payload_bytes", o->payload_bytes);
        t.Set("established", o->established > 0);
        timeline.Push(t);
      }
    }
    bool scanning = dsts.size() >= 20;
    if (scanning)
      reasons.Push("outbound connections to " + std::to_string(dsts.size()) +
                   " external hosts (scanning)");
    bool compromised =
        established > 0 || scanning || std::any_of(entries.begin(), entries.end(), [&](auto& e) {
          return std::get<1>(e.first) == 6 && kIrc.count(std::get<2>(e.first));
        });
    row.Set("verdict", compromised ? "compromised" : "suspicious");
    if (!compromised) reasons.Push("outbound attempts to non-allowed services, none answered");
    row.Set("reasons", reasons);
    row.Set("first_outbound", FormatTimeNs(first_ns));
    row.Set("destinations", static_cast<int64_t>(dsts.size()));
    row.Set("established_destinations", established);
    row.Set("timeline", timeline);
    arr.Push(row);
    if (compromised) {
      judged.Push(FormatIpv4(host));
      compromised_.insert(host);
      AddThreat(host, true, 100, "compromise",
                reasons.size() ? reasons.items()[0].as_string() : "compromised");
    } else {
      AddThreat(host, true, 20, "compromise", "unanswered outbound attempts");
    }
  }
  s.Set("answer", judged.size() ? std::to_string(judged.size()) + " home host(s) judged compromised"
                                : "no home host judged compromised");
  s.Set("mode", "honeynet");
  s.Set("compromised", judged);
  s.Set("hosts", arr);
  s.Set("method",
        "honeynet mode (a honeypot never initiates): outbound flows initiated by home hosts (TCP "
        "with the host's SYN, UDP not from a service "
        "port, ICMP echo) to external, non-reserved destinations, excluding the allowed services; "
        "compromised = an answered (established) connection, IRC, or >= 20 external destinations");
  return s;
}

JsonValue Builder::Gaps() {
  JsonValue s = Section("Capture gaps", "When was nothing captured or logged?");
  int64_t span = period_.last_ns - period_.first_ns;
  int64_t min_gap =
      opt_.min_gap_ns > 0 ? opt_.min_gap_ns : (span >= 2 * kDayNs ? kHourNs : 5 * 60 * kSecondNs);
  s.Set("min_gap_s", min_gap / kSecondNs);
  JsonValue arr = JsonValue::Array();
  // Stats intervals lying wholly inside the gap tell a sensor that was up and saw nothing
  // from one that was down (stats_time index).
  Stmt stats(db_,
             "SELECT count(*), coalesce(sum(packets),0) FROM stats WHERE "
             "interval_start_ns >= ? AND interval_start_ns < ? AND interval_end_ns <= ?");
  int64_t cover = 0, last_end = INT64_MIN;
  bool prev_active = false;
  for (size_t b = 0; b < period_.bins; ++b) {
    cover += acc_.cover_diff[b];
    const bool active = cover > 0;
    if (active && !prev_active && last_end != INT64_MIN && acc_.bin_min_start[b] != INT64_MAX) {
      // The first flow after the empty run starts in this bin; the last activity before it is
      // the latest flow end seen so far.
      const int64_t gap_end = acc_.bin_min_start[b];
      if (gap_end - last_end >= min_gap) {
        JsonValue row = JsonValue::Object();
        row.Set("start", FormatTimeNs(last_end));
        row.Set("end", FormatTimeNs(gap_end));
        row.Set("start_ns", last_end);
        row.Set("end_ns", gap_end);
        row.Set("duration_s", (gap_end - last_end) / kSecondNs);
        int64_t rows = 0, packets = 0;
        if (stats.ok()) {
          sqlite3_reset(stats.get());
          stats.Bind(1, last_end);
          stats.Bind(2, gap_end);
          stats.Bind(3, gap_end);
          if (stats.Step()) rows = stats.Int(0), packets = stats.Int(1);
        }
        row.Set("stats_records", rows);
        row.Set("stats_packets", packets);
        row.Set("sensor", rows == 0      ? "no stats records inside: sensor or logger not running"
                          : packets == 0 ? "sensor running, zero packets"
                                         : "packets seen but no IP flows");
        arr.Push(row);
      }
    }
    if (active && acc_.bin_max_end[b] != INT64_MIN)
      last_end = std::max(last_end, acc_.bin_max_end[b]);
    prev_active = active;
  }
  s.Set("answer", arr.size() ? std::to_string(arr.size()) + " gap(s); longest starts " +
                                   arr.items()[0].Find("start")->as_string()
                             : "no gap longer than " + std::to_string(min_gap / kSecondNs) + " s");
  if (arr.size() > 1) {
    size_t best = 0;
    for (size_t i = 1; i < arr.size(); ++i) {
      if (arr.items()[i].Find("duration_s")->as_int() >
          arr.items()[best].Find("duration_s")->as_int())
        best = i;
    }
    s.Set("answer", std::to_string(arr.size()) + " gap(s); longest from " +
                        arr.items()[best].Find("start")->as_string() + " to " +
                        arr.items()[best].Find("end")->as_string());
  } else if (arr.size() == 1) {
    s.Set("answer", "nothing captured between " + arr.items()[0].Find("start")->as_string() +
                        " and " + arr.items()[0].Find("end")->as_string());
  }
  s.Set("gaps", arr);
  return s;
}

JsonValue Builder::ReservedDestinations() {
  JsonValue s =
      Section("Home hosts sending to reserved / unallocated networks",
              "Which internal hosts send to reserved networks (1.11.0.0/16), is it growing, "
              "what do they send, does anything get through?");
  SortUnique(acc_.reserved_week_hosts);
  std::map<int64_t, int64_t> per_week;
  for (uint64_t k : acc_.reserved_week_hosts) ++per_week[static_cast<int64_t>(k >> 32)];
  JsonValue weeks = JsonValue::Array();
  std::vector<double> y;
  if (!per_week.empty()) {
    for (int64_t w = per_week.begin()->first; w <= per_week.rbegin()->first; w += 7) {
      JsonValue row = JsonValue::Object();
      row.Set("week_start", FormatTimeNs(w * kDayNs).substr(0, 10));
      int64_t n = per_week.count(w) ? per_week[w] : 0;
      row.Set("hosts", n);
      weeks.Push(row);
      y.push_back(static_cast<double>(n));
    }
  }
  double slope = 0, change = 0;
  std::string dir = Direction(y, &slope, &change);
  if (y.size() == 2) dir = y[1] > y[0] ? "growing" : y[1] < y[0] ? "shrinking" : "stable";
  JsonValue nets = JsonValue::Array();
  std::set<uint32_t> all_hosts;
  int64_t answered = 0;
  for (const auto& [key, r] : acc_.reserved) {
    JsonValue row = JsonValue::Object();
    row.Set("network", key);
    row.Set("range", r.range);
    row.Set("category", r.category);
    row.Set("hosts", static_cast<int64_t>(r.hosts.size()));
    JsonValue hl = JsonValue::Array();
    for (uint32_t h : r.hosts) {
      if (hl.size() < 100) hl.Push(FormatIpv4(h));
      all_hosts.insert(h);
      AddThreat(h, true, 10, "reserved_destinations", "sends to reserved network " + key);
    }
    row.Set("host_list", hl);
    row.Set("destinations", static_cast<int64_t>(r.dsts.size()));
    row.Set("flows", r.flows);
    row.Set("packets", r.packets);
    JsonValue svc = JsonValue::Object();
    for (const auto& [k, v] : r.services) svc.Set(k, v);
    row.Set("services", svc);
    JsonValue smb = JsonValue::Object();
    for (const auto& [code, n] : r.smb_commands) smb.Set(SmbCommandName(code), n);
    row.Set("smb_commands", smb);
    row.Set("smb_failed_responses", r.smb_failed);
    row.Set("nbns_nbstat_queries", r.nbstat_queries);
    row.Set("nbns_nb_queries", r.nb_queries);
    JsonValue names = JsonValue::Array();
    for (const auto& n : r.nbns_names) names.Push(n);
    row.Set("nbns_names", names);
    row.Set("answered_flows", r.answered_flows);
    row.Set("payload_bytes_sent", r.payload_bytes_sent);
    row.Set("payload_bytes_received", r.payload_bytes_received);
    row.Set("data_got_through", r.answered_flows > 0 && r.payload_bytes_received > 0);
    row.Set("first", FormatTimeNs(r.first_ns));
    row.Set("last", FormatTimeNs(r.last_ns));
    row.Set("note", r.note);
    nets.Push(row);
    answered += r.answered_flows;
  }
  s.Set("answer", all_hosts.empty()
                      ? "no home host sends to reserved networks"
                      : std::to_string(all_hosts.size()) +
                            " home host(s) send to reserved networks; weekly host "
                            "count " +
                            dir + "; " +
                            (answered ? "some flows were answered" : "nothing was ever answered"));
  s.Set("hosts_total", static_cast<int64_t>(all_hosts.size()));
  s.Set("weekly_direction", dir);
  s.Set("weekly_slope", slope);
  s.Set("weeks", weeks);
  s.Set("networks", nets);
  return s;
}

JsonValue Builder::BareAck() {
  JsonValue s =
      Section("Payload without a handshake (bare ACK)",
              "Why is the cmd.exe count higher than the .ida count; are the targets dark?");
  JsonValue arr = JsonValue::Array();
  int64_t flows = 0;
  for (const auto& [net, b] : acc_.bare_ack) {
    JsonValue row = JsonValue::Object();
    row.Set("source_network", FormatIpv4(net) + "/16");
    row.Set("flows", b.flows);
    row.Set("packets", b.packets);
    row.Set("payload_bytes", b.payload_bytes);
    row.Set("sources", static_cast<int64_t>(b.sources.size()));
    row.Set("targets", static_cast<int64_t>(b.targets.size()));
    int64_t dark = 0;
    for (uint32_t t : b.targets) dark += Dark(t) ? 1 : 0;
    row.Set("dark_targets", dark);
    row.Set("targets_all_dark", dark == static_cast<int64_t>(b.targets.size()));
    JsonValue labels = JsonValue::Object();
    for (const auto& [k, v] : b.labels) labels.Set(k, v);
    row.Set("payload_labels", labels);
    row.Set("cmd_exe_labels", b.cmd_exe);
    row.Set("ida_labels", b.ida);
    arr.Push(row);
    flows += b.flows;
  }
  for (uint32_t src : acc_.bare_ack_sources)
    AddThreat(src, false, 10, "bare_ack", "sends payload without a handshake");
  JsonValue labels = JsonValue::Object();
  labels.Set("cmd_exe_with_handshake", acc_.labels_cmd_exe_handshake);
  labels.Set("ida_with_handshake", acc_.labels_ida_handshake);
  labels.Set("cmd_exe_bare_ack", acc_.labels_cmd_exe_bare);
  labels.Set("ida_bare_ack", acc_.labels_ida_bare);
  int64_t cmd = acc_.labels_cmd_exe_handshake + acc_.labels_cmd_exe_bare;
  int64_t ida = acc_.labels_ida_handshake + acc_.labels_ida_bare;
  labels.Set("cmd_exe_total", cmd);
  labels.Set("ida_total", ida);
  s.Set("label_counts", labels);
  std::string answer =
      std::to_string(flows) + " bare-ACK flow(s) from " + std::to_string(arr.size()) + " /16(s)";
  if (cmd > ida) {
    answer +=
        "; cmd.exe exceeds .ida by " + std::to_string(cmd - ida) + ", of which " +
        std::to_string(std::max<int64_t>(0, acc_.labels_cmd_exe_bare - acc_.labels_ida_bare)) +
        " come from bare-ACK flows (payload fired without a handshake)";
  }
  s.Set("answer", answer);
  s.Set("networks", arr);
  return s;
}

JsonValue Builder::Threats() {
  for (const auto& f : findings_) AddThreat(f.address, f.home, f.score, f.section, f.reason);
  JsonValue s =
      Section("Highest threats",
              "Which source IPs or home hosts should be focused on as the highest threat?");
  std::vector<std::pair<uint32_t, const ThreatAgg*>> v;
  for (const auto& [a, t] : threats_) v.push_back({a, &t});
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) {
    return a.second->score != b.second->score ? a.second->score > b.second->score
                                              : a.first < b.first;
  });
  JsonValue arr = JsonValue::Array();
  for (size_t i = 0; i < v.size() && i < opt_.top; ++i) {
    JsonValue row = JsonValue::Object();
    row.Set("rank", static_cast<int64_t>(i + 1));
    row.Set("address", FormatIpv4(v[i].first));
    row.Set("kind", v[i].second->home ? "home host" : "external source");
    row.Set("score", static_cast<int64_t>(v[i].second->score));
    JsonValue secs = JsonValue::Array();
    for (const auto& sec : v[i].second->sections) secs.Push(sec);
    row.Set("sections", secs);
    JsonValue rs = JsonValue::Array();
    for (const auto& r : v[i].second->reasons) rs.Push(r);
    row.Set("reasons", rs);
    arr.Push(row);
  }
  s.Set("scoring",
        "compromised home host 100, unanswered outbound 20, low-and-slow 25, scan "
        "10 + size, bare ACK 10, reserved destinations 10, nmap probes 5, spoofed 3, "
        "traceroute 2; summed over sections");
  s.Set("answer",
        arr.size() ? "highest threat: " + arr.items()[0].Find("address")->as_string() : "none");
  s.Set("ranked", arr);
  return s;
}

bool Builder::Run(JsonValue* out, std::string* error) {
  Progress(0, "reading period");
  Mark("start");
  if (!LoadPeriod(error)) return false;
  home_ = opt_.home;
  if (home_.empty()) InferHome();
  InitHostSlots();
  if (!ScanFlows(error)) return false;
  if (acc_.rows == 0) {
    *error = "no flows in the store";
    return false;
  }
  Mark("scan flows");
  Progress(0.9, "analysing");
  JsonValue r = JsonValue::Object();
  auto emit = [&](std::string_view key, JsonValue section) {
    if (opt_.on_section) {
      opt_.on_section(key, std::move(section));
    } else {
      r.Set(key, std::move(section));
    }
  };
  emit("meta", Meta());
  emit("hosts", Hosts());
  emit("open_ports", OpenPorts());
  emit("mac_aliases", MacAliases());
  // Release pass data no later section reads, before the large sections build their trees.
  Release(acc_.mac_ips);
  Release(acc_.open_port_clients);
  Mark("hosts/open_ports/macs");
  emit("icmp_lengths", IcmpLengths());
  Mark("icmp_lengths (query)");
  emit("ports", Ports());
  emit("trends", Trends());
  Mark("ports/trends");
  Progress(0.93, "recon");
  emit("recon", Recon());
  Mark("recon");
  emit("slow_scans", SlowScans());
  Release(acc_.scan);
  Mark("slow_scans");
  emit("spoofed", Spoofed());
  emit("floods", floods_.Build(Context(), &findings_));
  emit("compromise", Compromise());
  acc_.outbound = {};
  Progress(0.97, "gaps");
  emit("gaps", Gaps());
  emit("reserved_destinations", ReservedDestinations());
  emit("bare_ack", BareAck());
  emit("log_lines", LogLines());
  emit("threats", Threats());
  Mark("other sections");
  Progress(1.0, "done");
  *out = std::move(r);
  return true;
}

// Firewall logs (issue 5): each packet line became one packet of a flow, so summing the flows'
// directions gives exact per-line counts: by log prefix (the records' log_labels), by the address
// that sent the line's packet, by destination port, and the seed's per-host table by prefix.
// Present only when the store holds log-derived records (stats.log_lines_packet), so a capture
// store pays nothing for it.
JsonValue Builder::LogLines() {
  JsonValue s =
      Section("Firewall log lines",
              "What did the firewall log, per prefix, per source, per port and per host?");
  int64_t lines = 0;
  {
    Stmt st(db_, "SELECT coalesce(max(log_lines_packet), 0) FROM stats");
    if (st.ok() && st.Step()) lines = st.Int(0);
  }
  s.Set("present", lines > 0);
  if (lines == 0) {
    s.Set("answer", "no firewall-log records in this store");
    return s;
  }
  const std::string where = TimeClause();
  constexpr int kTop = 100;
  int64_t labelled = 0;
  JsonValue prefixes = JsonValue::Array();
  {
    Stmt st(db_,
            "SELECT j.key, sum(j.value), sum(flows.record_seq = 0) FROM flows, "
            "json_each(flows.log_labels_json) j WHERE flows.log_labels_json IS NOT NULL" +
                where + " GROUP BY j.key ORDER BY 2 DESC, 1");
    while (st.ok() && st.Step()) {
      JsonValue row = JsonValue::Object();
      row.Set("prefix", std::string(st.Text(0)));
      row.Set("packets", st.Int(1));
      row.Set("flows", st.Int(2));
      labelled += st.Int(1);
      prefixes.Push(row);
    }
  }
  int64_t packets = 0, source_count = 0;
  JsonValue sources = JsonValue::Array();
  {
    // Both directions: a flow's dst_pkts were sent by its dst_addr.
    Stmt st(db_,
            "SELECT addr, sum(n) FROM (SELECT src_addr AS addr, src_pkts AS n FROM flows "
            "WHERE src_pkts > 0" +
                where +
                " UNION ALL SELECT dst_addr, dst_pkts FROM flows "
                "WHERE dst_pkts > 0" +
                where + ") GROUP BY addr ORDER BY 2 DESC, 1");
    while (st.ok() && st.Step()) {
      packets += st.Int(1);
      if (source_count++ >= kTop) continue;
      JsonValue row = JsonValue::Object();
      row.Set("address", std::string(st.Text(0)));
      row.Set("packets", st.Int(1));
      sources.Push(row);
    }
  }
  JsonValue ports = JsonValue::Array();
  int64_t port_count = 0;
  {
    Stmt st(db_,
            "SELECT proto, port, sum(n) FROM (SELECT ip_proto AS proto, dst_port AS port, "
            "src_pkts AS n FROM flows WHERE ip_proto IN (6, 17) AND src_pkts > 0" +
                where +
                " UNION ALL SELECT ip_proto, src_port, dst_pkts FROM flows WHERE ip_proto IN "
                "(6, 17) AND dst_pkts > 0" +
                where + ") GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2");
    while (st.ok() && st.Step()) {
      if (port_count++ >= kTop) continue;
      JsonValue row = JsonValue::Object();
      row.Set("proto", st.Int(0) == 6 ? "tcp" : "udp");
      row.Set("port", st.Int(1));
      row.Set("packets", st.Int(2));
      ports.Push(row);
    }
  }
  // Per home host by prefix: a flow's labelled packets count for each of its home addresses.
  std::map<uint32_t, std::map<std::string, int64_t>> by_host;
  {
    Stmt st(db_,
            "SELECT flows.src_v4, flows.dst_v4, j.key, j.value FROM flows, "
            "json_each(flows.log_labels_json) j WHERE flows.log_labels_json IS NOT NULL" +
                where);
    while (st.ok() && st.Step()) {
      for (int c : {0, 1}) {
        if (st.Null(c) || !IsHome(static_cast<uint32_t>(st.Int(c)))) continue;
        if (c == 1 && !st.Null(0) && st.Int(0) == st.Int(1)) continue;  // same host twice
        by_host[static_cast<uint32_t>(st.Int(c))][std::string(st.Text(2))] += st.Int(3);
      }
    }
  }
  std::vector<std::pair<int64_t, uint32_t>> ranked;
  for (const auto& [host, counts] : by_host) {
    int64_t total = 0;
    for (const auto& [prefix, n] : counts) total += n;
    ranked.emplace_back(-total, host);
  }
  std::sort(ranked.begin(), ranked.end());
  JsonValue hosts = JsonValue::Array();
  for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(kTop); ++i) {
    JsonValue row = JsonValue::Object();
    row.Set("host", FormatIpv4(ranked[i].second));
    row.Set("packets", -ranked[i].first);
    JsonValue counts = JsonValue::Object();
    for (const auto& [prefix, n] : by_host[ranked[i].second]) counts.Set(prefix, n);
    row.Set("by_prefix", counts);
    hosts.Push(row);
  }
  s.Set("log_lines_packet", lines);
  s.Set("packets", packets);
  s.Set("labelled_packets", labelled);
  s.Set("prefixes", prefixes);
  s.Set("sources_total", source_count);
  s.Set("sources", sources);
  s.Set("ports_total", port_count);
  s.Set("ports", ports);
  s.Set("hosts", hosts);
  s.Set("answer", std::to_string(packets) + " logged packets (" + std::to_string(labelled) +
                      " under " + std::to_string(prefixes.size()) + " prefixes) from " +
                      std::to_string(source_count) + " addresses, to " +
                      std::to_string(port_count) + " TCP/UDP ports; " +
                      std::to_string(by_host.size()) + " home hosts");
  return s;
}

}  // namespace

bool BuildReport(sqlite3* db, const ReportOptions& options, const ReferenceData& reference,
                 JsonValue* report, std::string* error) {
  Builder b(db, options, reference);
  return b.Run(report, error);
}

}  // namespace tapwatch::collector::report
