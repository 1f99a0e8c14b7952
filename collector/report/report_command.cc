#include "collector/report/report_command.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "collector/report/reference_data.h"
#include "collector/report/render.h"
#include "collector/report/report_builder.h"
#include "collector/store.h"

namespace tapwatch::collector {

namespace {

using report::ReportOptions;

constexpr const char* kUsage =
    "usage: tapwatch-collector report --db FILE [--home CIDR]... [--from T] [--to T]\n"
    "         [--format text|md|json|html] [--out FILE] [--data-dir DIR] [--allow LIST]\n"
    "         [--min-gap SECONDS] [--top N] [--honeynet] [--progress]\n"
    "  --home CIDR     the protected network (repeatable or comma-separated); inferred if absent\n"
    "  --from/--to T   2004-02-01, 2004-02-01T10:00:00Z, epoch seconds or ns (start_ns filter)\n"
    "  --allow LIST    outbound services that do not count as compromise, e.g.\n"
    "                  tcp/113,udp/53,tcp/53 (the default); 'none' allows nothing\n"
    "  --min-gap S     shortest capture gap reported (default 3600 s for spans >= 2 days, else "
    "300)\n"
    "  --data-dir DIR  where ports.tsv and reserved_networks.tsv live\n"
    "  --honeynet      home hosts are honeypots: any outbound connection is a compromise\n";

int Fail(const std::string& msg) {
  std::fprintf(stderr, "tapwatch-collector report: %s\n", msg.c_str());
  return 2;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Renders report members handed over by the builder (ReportOptions::on_section) on its own
// thread, in order, with the same text as report::RenderJsonTo, and passes each to sink.
class SectionWriter {
 public:
  explicit SectionWriter(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
  ~SectionWriter() { Finish(); }
  SectionWriter(const SectionWriter&) = delete;
  SectionWriter& operator=(const SectionWriter&) = delete;

  void Push(std::string_view key, report::JsonValue&& section) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
      queue_.emplace_back(std::string(key), std::move(section));
    }
    cv_.notify_one();
  }
  /// Waits until every pushed member is written; returns how many were.
  size_t Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    return written_;
  }

 private:
  void Run() {
    std::string chunk;
    for (;;) {
      std::pair<std::string, report::JsonValue> item;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
        if (queue_.empty()) return;
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      report::AppendJsonMember(chunk, written_++, item.first, item.second);
      item.second = report::JsonValue();
      sink_(chunk);
      chunk.clear();
      chunk.shrink_to_fit();
    }
  }

  std::function<void(std::string_view)> sink_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, report::JsonValue>> queue_;
  bool closed_ = false;
  size_t written_ = 0;
  std::thread thread_;
};

}  // namespace

int RunReport(int argc, char** argv) {
  ReportOptions opt;
  std::string format = "text", out_path, data_dir;
  bool progress = isatty(STDERR_FILENO) != 0;
  // collector/main.cc passes argv[0] = "report" (getopt style); accept argv starting at the
  // first option as well.
  int first = argc > 0 && argv[0][0] != '-' ? 1 : 0;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= argc) return false;
      *dst = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--honeynet") {
      opt.honeynet = true;
    } else if (a == "--progress") {
      progress = true;
    } else if (a == "--no-progress") {
      progress = false;
    } else if (!value(&v)) {
      return Fail(a.rfind("--", 0) == 0 ? "option " + a + " needs a value (see --help)"
                                        : "unexpected argument '" + a + "' (see --help)");
    } else if (a == "--db") {
      opt.db_path = v;
    } else if (a == "--home") {
      for (const auto& c : SplitCommas(v)) {
        auto cidr = report::ParseCidr(c);
        if (!cidr) return Fail("bad CIDR '" + c + "' for --home (expected a.b.c.d/n)");
        opt.home.push_back(*cidr);
      }
    } else if (a == "--from" || a == "--to") {
      try {
        (a == "--from" ? opt.from_ns : opt.to_ns) = static_cast<int64_t>(ParseTimeNs(a, v));
      } catch (const UsageError&) {
        return Fail("bad time '" + v + "' for " + a +
                    " (expected 2004-02-01[T10:00:00Z], epoch seconds or ns)");
      }
    } else if (a == "--format") {
      if (v != "text" && v != "md" && v != "json" && v != "html") {
        return Fail("bad --format '" + v + "' (expected text, md, json or html)");
      }
      format = v;
    } else if (a == "--out") {
      out_path = v;
    } else if (a == "--data-dir") {
      data_dir = v;
    } else if (a == "--allow") {
      opt.allowed.clear();
      if (v != "none") {
        for (const auto& item : SplitCommas(v)) {
          size_t slash = item.find('/');
          std::string proto = item.substr(0, slash);
          char* end = nullptr;
          long port =
              slash == std::string::npos ? -1 : std::strtol(item.c_str() + slash + 1, &end, 10);
          if ((proto != "tcp" && proto != "udp") || port < 0 || port > 65535 || (end && *end)) {
            return Fail("bad --allow entry '" + item + "' (expected tcp/PORT or udp/PORT)");
          }
          opt.allowed.push_back({proto == "tcp" ? 6 : 17, static_cast<uint32_t>(port)});
        }
      }
    } else if (a == "--min-gap") {
      char* end = nullptr;
      long long s = std::strtoll(v.c_str(), &end, 10);
      if (*end || s <= 0) return Fail("bad --min-gap '" + v + "' (expected seconds > 0)");
      opt.min_gap_ns = s * 1000000000LL;
    } else if (a == "--top") {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n <= 0) return Fail("bad --top '" + v + "'");
      opt.top = static_cast<size_t>(n);
    } else {
      return Fail("unknown option '" + a + "' (see --help)");
    }
  }
  // Tests and benchmarks only (the output does not depend on them): how the flows pass reads
  // the store, TAPWATCH_REPORT_SCAN_READERS (0: one statement) and _CHUNK_IDS.
  if (const char* e = std::getenv("TAPWATCH_REPORT_SCAN_READERS")) {
    opt.scan_readers = std::clamp(std::atoi(e), 0, 16);
  }
  if (const char* e = std::getenv("TAPWATCH_REPORT_SCAN_CHUNK_IDS")) {
    opt.scan_chunk_ids = std::max<int64_t>(1, std::atoll(e));
  }
  if (opt.db_path.empty()) return Fail("--db FILE is required (see --help)");
  if (opt.from_ns && opt.to_ns && *opt.from_ns >= *opt.to_ns)
    return Fail("--from must be before --to");
  struct stat sb {};
  if (stat(opt.db_path.c_str(), &sb) != 0)
    return Fail("cannot open database '" + opt.db_path + "': no such file");
  if (sb.st_size == 0) return Fail("database '" + opt.db_path + "' is empty");

  report::ReferenceData ref;
  std::string error;
  if (!data_dir.empty()) {
    if (!ref.Load(data_dir, &error)) return Fail(error);
  } else {
    bool loaded = false;
    std::string first_error;
    for (const auto& dir : report::DefaultDataDirs()) {
      if (ref.Load(dir, &error)) {
        loaded = true;
        break;
      }
      if (first_error.empty()) first_error = error;
    }
    if (!loaded)
      return Fail(first_error.empty() ? "no data directory (use --data-dir)" : first_error);
  }

  std::string index_error;  // best effort: flows indexes deferred by a bulk load come back here
  EnsureFlowsIndexes(opt.db_path, index_error);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(opt.db_path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Fail("cannot open database '" + opt.db_path + "': " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  // No memory map: a mapped store counts in the report's resident memory as it is read (2.8 GB
  // for 10M rows); pread() into a bounded page cache costs little more CPU for one pass.
  sqlite3_exec(db, "PRAGMA mmap_size = 0; PRAGMA cache_size = -32768", nullptr, nullptr, nullptr);
  if (progress) {
    auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    opt.progress = [last](double f, const char* stage) mutable {
      auto now = std::chrono::steady_clock::now();
      if (f < 1.0 && now - last < std::chrono::milliseconds(200)) return;
      last = now;
      std::fprintf(stderr, "\rreport: %-16s %3d%%", stage, static_cast<int>(f * 100));
      if (f >= 1.0) std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
    };
  }
  // JSON is written one section at a time (the 10M-row report's JSON is ~160 MB of text) by a
  // writer thread, while the builder computes the next section; each section's tree is freed
  // once written. The output file is created with the first section (none on an error).
  std::ofstream out;
  auto sink = [&](std::string_view chunk) {
    if (out_path.empty()) {
      std::fwrite(chunk.data(), 1, chunk.size(), stdout);
    } else {
      if (!out.is_open()) out.open(out_path, std::ios::binary);
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  };
  SectionWriter writer(sink);
  if (format == "json") {
    opt.on_section = [&](std::string_view key, report::JsonValue&& section) {
      writer.Push(key, std::move(section));
    };
  }
  report::JsonValue doc;
  bool ok = report::BuildReport(db, opt, ref, &doc, &error);
  sqlite3_close(db);
  const size_t written = writer.Finish();
  if (!ok) {
    if (progress) std::fputs("\n", stderr);
    return Fail(error);
  }
  if (format == "json") {
    if (written == 0) {
      report::RenderJsonTo(std::move(doc), sink);
    } else {
      sink("\n}\n");
    }
    if (out_path.empty()) {
      std::fflush(stdout);
    } else if (!out) {
      return Fail("cannot write '" + out_path + "'");
    }
    return 0;
  }
  std::string text = format == "md"     ? report::RenderMarkdown(doc)
                     : format == "html" ? report::RenderHtml(doc)
                                        : report::RenderText(doc);
  if (out_path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    std::ofstream out(out_path, std::ios::binary);
    out << text;
    if (!out) return Fail("cannot write '" + out_path + "'");
  }
  return 0;
}

}  // namespace tapwatch::collector
