#include "sensor/log/prefetcher.h"

namespace tapwatch::sensor {

LogPrefetcher::LogPrefetcher(std::unique_ptr<LogSource> source)
    : source_(std::move(source)), chunks_(std::make_unique<Chunk[]>(kChunks)) {
  producer_ = std::thread([this] { Produce(); });
}

LogPrefetcher::~LogPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  producer_.join();
}

const PrefetchedFrame* LogPrefetcher::Next() {
  if (reading_ != nullptr && read_pos_ < reading_->count) return &reading_->frames[read_pos_++];
  std::unique_lock<std::mutex> lock(mutex_);
  if (reading_ != nullptr) {
    reading_ = nullptr;
    ++consumed_;
    changed_.notify_all();
  }
  changed_.wait(lock, [this] { return produced_ > consumed_ || producer_done_; });
  if (produced_ == consumed_) return nullptr;  // the producer is done and every chunk was read
  reading_ = &chunks_[consumed_ % kChunks];
  read_pos_ = 0;
  return &reading_->frames[read_pos_++];  // a chunk is handed over only when it holds a frame
}

std::string_view LogPrefetcher::StableInterface(std::string_view name) {
  if (name.empty()) return {};
  if (const auto it = interface_views_.find(name); it != interface_views_.end()) return it->second;
  if (interface_names_.size() >= kMaxInterfaceNames) return {};
  const std::string_view kept = interface_names_.emplace_back(name);
  interface_views_.emplace(kept, kept);
  return kept;
}

void LogPrefetcher::Produce() {
  // Only this thread changes produced_, so it reads it without the lock.
  for (bool more = true; more;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stop_ || produced_ - consumed_ < kChunks; });
      if (stop_) break;
    }
    Chunk& chunk = chunks_[produced_ % kChunks];
    chunk.count = 0;
    const PrefetchedFrame* previous = nullptr;
    while (chunk.count < kChunkFrames) {
      PrefetchedFrame& f = chunk.frames[chunk.count];
      if (!source_->Next(f.frame)) {
        more = false;
        break;
      }
      // Interface names repeat line after line: compare with the previous frame's before hashing.
      const auto stable = [&](std::string_view name, std::string_view previous_name) {
        return previous != nullptr && name == previous_name ? previous_name : StableInterface(name);
      };
      f.frame.in_iface = stable(f.frame.in_iface, previous ? previous->frame.in_iface : "");
      f.frame.out_iface = stable(f.frame.out_iface, previous ? previous->frame.out_iface : "");
      f.frame.logical_in_iface =
          stable(f.frame.logical_in_iface, previous ? previous->frame.logical_in_iface : "");
      f.frame.logical_out_iface =
          stable(f.frame.logical_out_iface, previous ? previous->frame.logical_out_iface : "");
      const LogCounters& c = source_->counters();
      f.packet_lines = c.packet;
      f.other_lines = c.non_packet + c.continuation;
      f.malformed_lines = c.malformed;
      previous = &f;
      ++chunk.count;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (chunk.count > 0) ++produced_;
      if (!more) producer_done_ = true;
    }
    changed_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  producer_done_ = true;
  changed_.notify_all();
}

}  // namespace tapwatch::sensor
