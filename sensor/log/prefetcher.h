#pragma once
// LogPrefetcher: runs a LogSource on a thread of its own, a bounded number of frames ahead of the
// pipeline. Parsing lines is about a fifth of the sensor's CPU on a log; on its own core it
// overlaps decoding, the flow table and export instead of adding to them.
//
// Frames travel in chunks of kChunkFrames through a ring of kChunks, handed over under a mutex
// once per chunk (not per frame), all allocated once. Each frame carries the line counters as
// they stood right after its line, so the pipeline's stats intervals count lines exactly as with
// the LogSource read directly.
//
// For regular files only: the producer never blocks for long, so stopping it (SIGINT) is prompt.
// Standard input (`tail -F | tapwatch-sensor --log -`) keeps the direct LogSource, whose frames
// must reach the pipeline as each line arrives, not when a chunk fills.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sensor/log/source.h"

namespace tapwatch::sensor {

/// A frame and the source's line counters right after its line.
struct PrefetchedFrame {
  LogFrame frame;
  uint64_t packet_lines = 0;
  uint64_t other_lines = 0;  // non-packet + continuation lines
  uint64_t malformed_lines = 0;
};

class LogPrefetcher {
 public:
  static constexpr size_t kChunkFrames = 256;
  static constexpr size_t kChunks = 8;
  /// Distinct interface names kept per source; further ones reach the pipeline as "" (its own
  /// interface table holds far fewer, so those names would get no id there either).
  static constexpr size_t kMaxInterfaceNames = 4096;

  explicit LogPrefetcher(std::unique_ptr<LogSource> source);
  ~LogPrefetcher();  // stops the producer and joins it
  LogPrefetcher(const LogPrefetcher&) = delete;
  LogPrefetcher& operator=(const LogPrefetcher&) = delete;

  /// The next frame, valid until the following call; nullptr at the end of the input (then
  /// source() is final: counters, read_error).
  const PrefetchedFrame* Next();

  /// The LogSource itself: read it only after Next() returned nullptr (the producer owns it
  /// until then).
  const LogSource& source() const { return *source_; }

 private:
  struct Chunk {
    std::array<PrefetchedFrame, kChunkFrames> frames;
    size_t count = 0;
  };

  void Produce();
  // A view of `name` that stays valid for the prefetcher's lifetime (LogFrame's interface views
  // are only valid until the source's next line).
  std::string_view StableInterface(std::string_view name);

  std::unique_ptr<LogSource> source_;
  std::unique_ptr<Chunk[]> chunks_;

  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t produced_ = 0;  // chunks handed to the consumer (ring index = count % kChunks)
  uint64_t consumed_ = 0;  // chunks given back
  bool producer_done_ = false;
  bool stop_ = false;

  // Consumer side.
  const Chunk* reading_ = nullptr;
  size_t read_pos_ = 0;

  // Producer side.
  std::deque<std::string> interface_names_;  // deque: views into it stay valid
  std::unordered_map<std::string_view, std::string_view> interface_views_;

  std::thread producer_;
};

}  // namespace tapwatch::sensor
