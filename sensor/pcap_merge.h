#pragma once
// Several capture files read as one capture: packets come in timestamp order across the files (a
// merge on each file's next packet), so files named out of time order, or overlapping in time,
// make the same flows as their merged capture. Equal timestamps go to the file named first.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "sensor/pcap_source.h"

namespace tapwatch::sensor {

class PcapMerge {
 public:
  enum class Result { kPacket, kEnd, kError };

  /// The opened files, in command-line order.
  explicit PcapMerge(std::vector<std::unique_ptr<PcapSource>> files);

  /// The next packet of all files; `link_type` is its file's. `out.data` is valid until the next
  /// call. kError: a file is damaged (error() names the place); that file ends there and the
  /// next call goes on with the others.
  Result Next(RawPacket& out, int& link_type);
  const std::string& error() const { return error_; }

 private:
  struct Pending {
    std::unique_ptr<PcapSource> source;
    RawPacket packet;
  };
  // Reads the next packet of file `i` into the queue; false on damage (error_ set).
  bool Refill(size_t i);

  std::vector<Pending> files_;
  // (timestamp, file index) of each file's next packet, earliest first.
  using Key = std::pair<uint64_t, size_t>;
  std::priority_queue<Key, std::vector<Key>, std::greater<Key>> queue_;
  std::vector<size_t> to_refill_;  // files whose next packet has not been read yet
  std::string error_;
};

}  // namespace tapwatch::sensor
