#pragma once
// PcapWriter: writes frames (e.g. the reconstructed frames of a log, --write-pcap) as a classic
// libpcap file: LINKTYPE_ETHERNET (DLT_EN10MB), microsecond timestamps (the most widely read
// variant: argus, Zeek, tshark, tcpdump), caplen = bytes written, len = wire length.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

namespace tapwatch::sensor {

struct LogFrame;

class PcapWriter {
 public:
  /// Creates (truncates) `path`; "-" writes to standard output. nullptr and *error on failure.
  static std::unique_ptr<PcapWriter> Open(const std::string& path, std::string* error,
                                          uint32_t snaplen = 65535);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  /// One record. `bytes.size()` is the caplen; wire_len >= it. False after a write error.
  bool Write(uint64_t ts_ns, uint32_t wire_len, std::span<const uint8_t> bytes);
  bool Write(const LogFrame& frame);
  /// Flushes and closes; false + *error if any write failed.
  bool Close(std::string* error);
  uint64_t records() const { return records_; }

 private:
  PcapWriter() = default;
  std::FILE* file_ = nullptr;
  bool own_ = false;
  bool failed_ = false;
  uint64_t records_ = 0;
};

}  // namespace tapwatch::sensor
