#include "sensor/log/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <ctime>

#include "sensor/log/line_parser.h"

namespace tapwatch::sensor {
namespace {

constexpr size_t kBufferBytes = 1 << 20;  // line buffer; a longer line is malformed
constexpr size_t kRawBytes = 256 * 1024;     // compressed input chunk
constexpr int kMaxWrappedParts = 4;          // a packet line split over at most 4 lines
constexpr size_t kMaxPendingBytes = 8192;

}  // namespace

// gzip input: inflate with automatic header detection (windowBits 15 + 32).
struct LogSource::Inflater {
  z_stream zs{};
  std::vector<unsigned char> raw = std::vector<unsigned char>(kRawBytes);
  bool initialized = false;
  bool raw_eof = false;
  bool in_member = true;  // inside a gzip member: the input must not end here
  ~Inflater() {
    if (initialized) inflateEnd(&zs);
  }
};

LogSource::~LogSource() {
  if (own_fd_ && fd_ >= 0) close(fd_);
}

std::unique_ptr<LogSource> LogSource::Open(const LogSourceOptions& options, std::string* error) {
  std::unique_ptr<LogSource> src(new LogSource());
  int year = options.year;
  int month = 0;
  if (options.path == "-") {
    src->fd_ = 0;
  } else {
    src->fd_ = open(options.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (src->fd_ < 0) {
      if (error) *error = options.path + ": " + std::strerror(errno);
      return nullptr;
    }
    src->own_fd_ = true;
  }
  if (year == 0) {
    // The file's date (stdin: now) gives the year of its last line.
    time_t when = time(nullptr);
    struct stat st {};
    if (options.path != "-" && fstat(src->fd_, &st) == 0) when = st.st_mtime;
    std::tm tm{};
    gmtime_r(&when, &tm);
    year = tm.tm_year + 1900;
    month = tm.tm_mon + 1;
  }
  LogSourceOptions o = options;
  o.year = year;
  if (!src->Init(o, error)) return nullptr;
  if (month != 0) src->clock_.InferFromFileDate(year, month);
  return src;
}

std::unique_ptr<LogSource> LogSource::FromMemory(std::string data, const LogSourceOptions& options,
                                                 std::string* error) {
  std::unique_ptr<LogSource> src(new LogSource());
  src->from_memory_ = true;
  src->memory_ = std::move(data);
  LogSourceOptions o = options;
  if (o.year == 0) o.year = 1970;
  if (!src->Init(o, error)) return nullptr;
  return src;
}

bool LogSource::Init(const LogSourceOptions& options, std::string* error) {
  format_ = options.format;
  if (!clock_.Init(options.year, options.timezone, error)) return false;
  // From memory, a buffer one byte longer than the data holds any line of it (and keeps the
  // fuzzer fast); files get the full line buffer.
  buf_.resize(from_memory_ ? std::min(kBufferBytes, memory_.size() + 1) : kBufferBytes);
  pending_.reserve(1024);
  joined_.reserve(2048);
  return true;
}

std::string_view LogSource::label_name(uint16_t id) const {
  return id < labels_.size() ? std::string_view(labels_[id]) : std::string_view();
}

std::string LogSource::EndProblem(std::string_view name) const {
  const LogCounters& c = counters_;
  const std::string counts = std::to_string(c.lines) + " lines (" + std::to_string(c.packet) +
                             " packets, " + std::to_string(c.non_packet + c.continuation) +
                             " other, " + std::to_string(c.malformed) + " malformed)";
  if (!read_error_.empty()) {
    return std::string(name) + ": damaged input after " + counts + ": " + read_error_;
  }
  if (c.packet == 0) {
    return std::string(name) + ": no packet line in " + counts +
           ": not a netfilter or ipchains firewall log";
  }
  return "";
}

long LogSource::ReadRaw(char* dst, size_t n) {
  if (!read_error_.empty()) return -1;  // damaged: nothing after the damage is read
  if (from_memory_) {
    const size_t k = std::min(n, memory_.size() - memory_pos_);
    std::memcpy(dst, memory_.data() + memory_pos_, k);
    memory_pos_ += k;
    return static_cast<long>(k);
  }
  if (!gzip_checked_) {
    // Peek at the first two bytes for the gzip magic (RFC 1952: 1f 8b).
    gzip_checked_ = true;
    unsigned char head[2];
    size_t have = 0;
    while (have < 2) {
      const ssize_t r = read(fd_, head + have, 2 - have);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      have += static_cast<size_t>(r);
    }
    if (have == 2 && head[0] == 0x1f && head[1] == 0x8b) {
      inflater_ = std::make_unique<Inflater>();
      inflater_->raw[0] = head[0];
      inflater_->raw[1] = head[1];
      inflater_->zs.next_in = inflater_->raw.data();
      inflater_->zs.avail_in = 2;
      if (inflateInit2(&inflater_->zs, 15 + 32) != Z_OK) {
        read_error_ = "zlib inflateInit2 failed";
        return -1;
      }
      inflater_->initialized = true;
    } else {
      std::memcpy(dst, head, have);
      return static_cast<long>(have);  // 0 = empty input
    }
  }
  if (!inflater_) {
    while (true) {
      const ssize_t r = read(fd_, dst, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) read_error_ = std::string("read: ") + std::strerror(errno);
      return static_cast<long>(r);
    }
  }
  Inflater& z = *inflater_;
  while (true) {
    if (z.zs.avail_in == 0 && !z.raw_eof) {
      ssize_t r;
      do {
        r = read(fd_, z.raw.data(), z.raw.size());
      } while (r < 0 && errno == EINTR);
      if (r < 0) {
        read_error_ = std::string("read: ") + std::strerror(errno);
        return -1;
      }
      if (r == 0) z.raw_eof = true;
      z.zs.next_in = z.raw.data();
      z.zs.avail_in = static_cast<uInt>(r);
    }
    if (z.zs.avail_in == 0 && z.raw_eof) {
      // The end of the file is clean only between members; inside one, the file was cut short.
      if (!z.in_member) return 0;
      read_error_ = "gzip: truncated input";
      return -1;
    }
    if (z.zs.avail_in > 0) z.in_member = true;
    z.zs.next_out = reinterpret_cast<unsigned char*>(dst);
    z.zs.avail_out = static_cast<uInt>(n);
    const int rc = inflate(&z.zs, Z_NO_FLUSH);
    const size_t produced = n - z.zs.avail_out;
    if (rc == Z_STREAM_END) {
      inflateReset(&z.zs);  // a following gzip member continues the stream
      z.in_member = false;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      read_error_ = std::string("gzip: ") + (z.zs.msg ? z.zs.msg : "corrupt data");
      return produced > 0 ? static_cast<long>(produced) : -1;
    }
    if (produced > 0) return static_cast<long>(produced);
    if (rc == Z_BUF_ERROR && z.raw_eof) {
      read_error_ = "gzip: truncated input";
      return -1;
    }
  }
}

bool LogSource::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) return false;
  const long r = ReadRaw(buf_.data() + end_, buf_.size() - end_);
  if (r <= 0) {
    eof_ = true;
    return false;
  }
  end_ += static_cast<size_t>(r);
  return true;
}

bool LogSource::NextLine(std::string_view* line) {
  while (true) {
    const char* start = buf_.data() + begin_;
    const void* nl = begin_ < end_ ? std::memchr(start, '\n', end_ - begin_) : nullptr;
    if (nl != nullptr) {
      const size_t len = static_cast<size_t>(static_cast<const char*>(nl) - start);
      begin_ += len + 1;
      if (skipping_long_line_) {  // the tail of an over-long line: already counted
        skipping_long_line_ = false;
        continue;
      }
      *line = std::string_view(start, len);
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      return true;
    }
    if (Fill()) continue;
    if (end_ - begin_ == buf_.size()) {
      // No newline in a full buffer: report the line as too long, drop bytes until its end.
      begin_ = end_ = 0;
      if (!skipping_long_line_) {
        skipping_long_line_ = true;
        *line = std::string_view();
        ++line_number_;
        ++counters_.lines;
        CountMalformed(line_number_, LogParseError{"line", "longer than 1 MiB"});
      }
      continue;
    }
    // End of input: a last line without '\n' (unless the input broke off inside it).
    if (begin_ < end_ && !read_error_.empty()) begin_ = end_;
    if (begin_ < end_) {
      *line = std::string_view(buf_.data() + begin_, end_ - begin_);
      begin_ = end_;
      const bool skip = skipping_long_line_;
      skipping_long_line_ = false;
      if (skip) continue;
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      return true;
    }
    return false;
  }
}

void LogSource::CountMalformed(uint64_t line_number, const LogParseError& err) {
  ++counters_.malformed;
  if (counters_.first_errors.size() < LogCounters::kMaxKeptErrors) {
    counters_.first_errors.push_back("line " + std::to_string(line_number) + ": field " +
                                     err.field + ": " + err.why);
  }
}

void LogSource::FinishPending() {
  if (!has_pending_) return;
  has_pending_ = false;
  CountMalformed(pending_line_, pending_err_);
}

uint16_t LogSource::InternLabel(std::string_view label) {
  if (label.empty()) return 0;
  if (last_label_ == label) return last_label_id_;
  auto it = label_ids_.find(label);
  if (it != label_ids_.end()) {
    last_label_id_ = it->second;
    last_label_ = labels_[it->second];
    return it->second;
  }
  if (labels_.size() > 0xFFFF) return 0;  // table full: counted under "no label"
  const auto id = static_cast<uint16_t>(labels_.size());
  labels_.emplace_back(label);
  label_ids_.emplace(labels_.back(), id);
  last_label_id_ = id;
  last_label_ = labels_.back();
  return id;
}

bool LogSource::Process(std::string_view line, uint64_t line_number, LogFrame& out) {
  SyslogTime time;
  std::string_view message;
  if (!SplitSyslogLine(line, time, &message)) {
    bool blank = true;
    for (char c : line) blank = blank && (c == ' ' || c == '\t');
    if (blank) {
      ++counters_.non_packet;
    } else {
      CountMalformed(line_number, LogParseError{"timestamp", "not a syslog timestamp"});
    }
    return false;
  }
  uint64_t ts_ns = 0;
  if (!clock_.ToUtcNs(time, &ts_ns)) {
    CountMalformed(line_number, LogParseError{"timestamp", "no such date"});
    return false;
  }
  last_line_ts_ns_ = ts_ns;
  counters_.year_rollovers = clock_.rollovers();
  counters_.guessed_year = clock_.guessed_year();
  rec_.Clear();
  LogParseError err;
  switch (ParseLogMessage(message, format_, rec_, err)) {
    case LineKind::kNonPacket:
      ++counters_.non_packet;
      return false;
    case LineKind::kMalformed:
      CountMalformed(line_number, err);
      return false;
    case LineKind::kIncomplete:
      // Possibly wrapped: keep it until the next line shows whether it continues.
      if (line.size() > kMaxPendingBytes || pending_parts_ >= kMaxWrappedParts) {
        CountMalformed(line_number, err);
        return false;
      }
      if (line.data() != pending_.data()) pending_.assign(line);
      has_pending_ = true;
      pending_line_ = line_number;
      pending_err_ = err;
      return false;
    case LineKind::kPacket:
      break;
  }
  out.ts_ns = ts_ns;
  const size_t built = BuildLogFrame(rec_, std::span<uint8_t, kLogFrameCapacity>(out.bytes));
  const uint32_t ip_len = rec_.ip.ip_len;
  out.wire_len = 14 + ip_len;
  out.cap_len = static_cast<uint16_t>(built < out.wire_len ? built : out.wire_len);
  out.label_id = InternLabel(rec_.label);
  out.label = label_name(out.label_id);
  out.logical_in_iface = rec_.in_iface;
  out.logical_out_iface = rec_.out_iface;
  out.in_iface = rec_.phys_in.empty() ? rec_.in_iface : rec_.phys_in;
  out.out_iface = rec_.phys_out.empty() ? rec_.out_iface : rec_.phys_out;
  out.line_number = line_number;
  out.format = rec_.format;
  ++counters_.packet;
  return true;
}

bool LogSource::Next(LogFrame& out) {
  std::string_view line;
  while (NextLine(&line)) {
    ++line_number_;
    ++counters_.lines;
    if (has_pending_) {
      SyslogTime probe;
      const bool continues = !line.empty() &&
                             ParseSyslogTimestamp(line, probe) == 0 &&
                             pending_.size() + line.size() < kMaxPendingBytes;
      if (continues) {
        // The wrapped second half: join with one space and parse the whole.
        ++counters_.continuation;
        has_pending_ = false;
        ++pending_parts_;
        joined_.assign(pending_);
        joined_.push_back(' ');
        joined_.append(line);
        pending_.swap(joined_);  // pending_ now holds the joined line (Process may keep it)
        const bool packet = Process(pending_, pending_line_, out);
        if (!has_pending_) pending_parts_ = 0;
        if (packet) return true;
        continue;
      }
      FinishPending();
      pending_parts_ = 0;
    }
    if (Process(line, line_number_, out)) return true;
  }
  FinishPending();
  return false;
}

}  // namespace tapwatch::sensor
