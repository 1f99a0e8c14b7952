#pragma once
// The sensor's latest published messages, kept so that a collector that missed some (it
// restarted, or its socket dropped them) can ask for them again (sensor/resend_server.h). A
// message is kept as sent: its topic and body, and the range of seqs it holds (a batch holds
// many). Memory holds at most `max_records` records; with a spool directory the messages that
// leave memory go on to files there, up to `spool_max_bytes`, oldest file dropped first. What is
// kept is always the latest stretch of the sequence, so a range asked for that is no longer held
// is lost for good from its first seq up to the oldest seq held.
//
// Add() runs on the publishing thread, Collect() on the resend thread: one mutex, taken once per
// message (a batch of 64 records by default).

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::sensor {

struct ReplayBufferOptions {
  uint64_t max_records = 131072;          // in memory
  std::string spool_dir;                  // empty = memory only
  uint64_t spool_max_bytes = 1ull << 30;  // files in spool_dir
};

/// One kept message.
struct KeptMessage {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::string topic;
  std::string body;
};

/// Counters a stats record carries (cumulative).
struct ResendCounters {
  std::atomic<uint64_t> requested{0};    // records asked for
  std::atomic<uint64_t> sent{0};         // records sent again
  std::atomic<uint64_t> unavailable{0};  // records asked for that had left the buffer
};

class ReplayBuffer {
 public:
  /// Opens the spool directory (its files from an earlier run are removed: they belong to an
  /// instance no collector can ask for any more). nullptr and a one-line `error` on failure.
  static std::unique_ptr<ReplayBuffer> Create(const ReplayBufferOptions& options,
                                              std::string& error);
  ~ReplayBuffer();

  /// Keeps a message holding records first_seq..last_seq (seqs rise from message to message).
  void Add(uint64_t first_seq, uint64_t last_seq, std::string_view topic, const void* body,
           size_t size);

  /// Appends to `out` every kept message holding a seq in [first, last] and returns how many
  /// of the range's records are no longer held (a prefix of it: first .. first + n - 1).
  /// Updates the counters.
  uint64_t Collect(uint64_t first, uint64_t last, std::vector<KeptMessage>& out);

  /// The oldest seq still held, 0 when nothing is.
  uint64_t oldest_seq();
  /// The newest seq held, 0 when nothing is.
  uint64_t newest_seq();

  const ResendCounters& counters() const { return counters_; }
  /// A line of spool trouble (a write that failed), empty when none; the spool stops then and
  /// memory goes on alone.
  std::string spool_error();

 private:
  struct SpoolIndexEntry {
    uint64_t first_seq;
    uint64_t last_seq;
    uint64_t offset;
    uint32_t topic_bytes;
    uint32_t body_bytes;
  };
  struct SpoolFile {
    std::string path;
    int fd = -1;
    uint64_t bytes = 0;
    std::vector<SpoolIndexEntry> index;
  };

  explicit ReplayBuffer(const ReplayBufferOptions& options) : options_(options) {}
  // Writes one message leaving memory to the spool (under the mutex).
  void Spool(const KeptMessage& message);
  bool ReadSpooled(const SpoolFile& file, const SpoolIndexEntry& entry, KeptMessage& out);

  ReplayBufferOptions options_;
  std::mutex mutex_;
  std::deque<KeptMessage> memory_;
  uint64_t memory_records_ = 0;
  std::deque<SpoolFile> spool_;
  uint64_t spool_bytes_ = 0;
  uint64_t next_spool_file_ = 0;
  bool spool_failed_ = false;
  std::string spool_error_;
  ResendCounters counters_;
};

}  // namespace tapwatch::sensor
