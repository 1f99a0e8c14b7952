#pragma once
// LogSource: firewall logs (netfilter LOG/UFW/ulogd, ipchains) as a packet source. Each packet
// line becomes one header-only Ethernet frame (log_frame_builder.h) that goes through the same
// decoders and flow table as captured packets.
//
// Lines and counters: every physical line lands in exactly one counter:
//   packet + non_packet + malformed + continuation == lines
// where `continuation` counts second halves of wrapped lines (a packet line that stops before its
// required fields, followed by a line without a timestamp, as in quoted ipchains logs) that
// were joined to the line before. A malformed line never stops the run; the first
// kMaxKeptErrors are kept as "line N: field X: why".
//
// Input: a file (plain or gzip, detected by its magic, concatenated gzip members allowed) or "-"
// for standard input. Reads use read(2) + zlib inflate rather than gzread, because gzread waits
// for a full buffer and would stall `tail -F | tapwatch-sensor --log -`.
//
// Interfaces: LogFrame::in_iface/out_iface are PHYSIN=/PHYSOUT= when logged (a bridge such as the
// SOTM30 honeynet, where IN=/OUT= are both "br0" and only the physical port tells the direction),
// else IN=/OUT=; logical_in_iface/logical_out_iface always carry IN=/OUT=.

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sensor/log/frame_builder.h"
#include "sensor/log/record.h"
#include "sensor/log/syslog_time.h"

namespace tapwatch::sensor {

/// One log line turned into a header-only Ethernet frame.
struct LogFrame {
  uint64_t ts_ns = 0;
  uint32_t wire_len = 0;  // 14 + the IP LEN= of the line
  uint16_t cap_len = 0;   // header bytes built, <= wire_len
  std::array<uint8_t, kLogFrameCapacity> bytes{};
  /// Log prefix ("INBOUND TCP", "[UFW BLOCK]", ipchains "input REJECT"); valid as long as the
  /// LogSource. label_id indexes LogSource::label_name (0 = no prefix) for
  /// DecodedPacket::source_label.
  std::string_view label;
  uint16_t label_id = 0;
  /// Valid until the next call of Next().
  std::string_view in_iface, out_iface;                  // PHYSIN/PHYSOUT if logged, else IN/OUT
  std::string_view logical_in_iface, logical_out_iface;  // IN= / OUT=
  uint64_t line_number = 0;  // 1-based; for a wrapped line, its first physical line
  LogFormat format = LogFormat::kNetfilter;

  std::span<const uint8_t> data() const { return {bytes.data(), cap_len}; }
};

struct LogCounters {
  static constexpr size_t kMaxKeptErrors = 10;
  uint64_t lines = 0;
  uint64_t packet = 0;
  uint64_t non_packet = 0;
  uint64_t malformed = 0;
  uint64_t continuation = 0;
  uint64_t year_rollovers = 0;
  int guessed_year = 0;  // no year given: the one the first year-less timestamp got (LogClock)
  std::vector<std::string> first_errors;  // "line N: field X: why"
};

struct LogSourceOptions {
  std::string path;  // "-" = standard input
  LogFormat format = LogFormat::kAuto;
  int year = 0;          // 0: the year of the file's mtime (stdin: now), see LogClock
  std::string timezone;  // "" = UTC; IANA name or +HH:MM
};

class LogSource {
 public:
  /// Opens the input; nullptr and *error on a bad path, year or timezone.
  static std::unique_ptr<LogSource> Open(const LogSourceOptions& options, std::string* error);
  /// Reads lines from memory (tests, fuzzing). options.path is ignored.
  static std::unique_ptr<LogSource> FromMemory(std::string data, const LogSourceOptions& options,
                                               std::string* error);
  ~LogSource();
  LogSource(const LogSource&) = delete;
  LogSource& operator=(const LogSource&) = delete;

  /// Next packet line as a frame; false at end of input (or on a read error: see read_error()).
  /// Never throws.
  bool Next(LogFrame& out);

  const LogCounters& counters() const { return counters_; }
  /// Name of a label id (0 = ""), valid for the lifetime of the source.
  std::string_view label_name(uint16_t id) const;
  size_t label_count() const { return labels_.size(); }
  /// UTC time of the last line that had a timestamp (packet or not), for gap detection.
  uint64_t last_line_ts_ns() const { return last_line_ts_ns_; }
  const std::string& read_error() const { return read_error_; }
  /// After the end of input: "" if the input was read whole and gave at least one packet line,
  /// else one line naming `name`, how far reading got and why (damaged input, or no packet
  /// line at all: not a firewall log this source reads).
  std::string EndProblem(std::string_view name) const;

 private:
  LogSource() = default;
  bool Init(const LogSourceOptions& options, std::string* error);
  bool NextLine(std::string_view* line);
  bool Fill();
  long ReadRaw(char* dst, size_t n);
  // Handles one logical line; true when `out` holds a packet.
  bool Process(std::string_view line, uint64_t line_number, LogFrame& out);
  void CountMalformed(uint64_t line_number, const LogParseError& err);
  void FinishPending();
  uint16_t InternLabel(std::string_view label);

  struct Inflater;
  int fd_ = -1;
  bool own_fd_ = false;
  bool eof_ = false;
  bool gzip_checked_ = false;
  std::unique_ptr<Inflater> inflater_;
  std::string memory_;
  size_t memory_pos_ = 0;
  bool from_memory_ = false;
  std::string read_error_;

  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool skipping_long_line_ = false;

  LogFormat format_ = LogFormat::kAuto;
  LogClock clock_;
  LogRecord rec_;
  uint64_t line_number_ = 0;
  uint64_t last_line_ts_ns_ = 0;

  bool has_pending_ = false;
  uint64_t pending_line_ = 0;
  int pending_parts_ = 0;
  LogParseError pending_err_;
  std::string pending_;
  std::string joined_;

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::deque<std::string> labels_{std::string()};  // deque: views into it stay valid
  std::unordered_map<std::string, uint16_t, Hash, std::equal_to<>> label_ids_;
  uint16_t last_label_id_ = 0;
  std::string_view last_label_;  // labels_[last_label_id_] (a deque: the view stays valid)

  LogCounters counters_;
};

}  // namespace tapwatch::sensor
