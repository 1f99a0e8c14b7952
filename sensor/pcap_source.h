#pragma once
// Packets from a capture file (pcap or pcapng) or a live interface, with a BPF filter. Classic
// pcap files are read by PcapFileReader (memory-mapped, zero-copy); pcapng, stdin, old pcap
// variants and live capture go through libpcap.

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>
#include <string>

#include "sensor/pcap_file_reader.h"

namespace tapwatch::sensor {

struct LiveOptions {
  uint32_t snaplen = 65535;
  uint32_t buffer_mb = 64;
  int timeout_ms = 100;  // how often an idle link wakes us to advance flow-table time
};

class PcapSource {
 public:
  enum class Result { kPacket, kTimeout, kEnd, kError };

  /// Opens a capture file. nullptr and a one-line `error` naming the file on failure.
  static std::unique_ptr<PcapSource> OpenFile(const std::string& path, const std::string& bpf,
                                              std::string& error);
  /// Opens a live interface (promiscuous, immediate mode, large ring buffer).
  static std::unique_ptr<PcapSource> OpenLive(const std::string& iface, const std::string& bpf,
                                              const LiveOptions& options, std::string& error);
  ~PcapSource();

  /// Next packet. kError means the input is damaged: error() says where (byte offset).
  Result Next(RawPacket& out);
  int link_type() const { return link_type_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  /// Packets handed out by Next() (after the BPF filter).
  uint64_t packets_read() const { return packets_; }
  /// True when the file is read by the zero-copy reader rather than libpcap.
  bool zero_copy() const { return reader_ != nullptr; }
  /// Kernel drop counters of a live capture (cumulative; zero for files).
  void KernelDrops(uint64_t& dropped, uint64_t& if_dropped) const;
  /// Makes a blocked Next() return kEnd soon (signal-safe).
  void BreakLoop();

 private:
  PcapSource() = default;
  bool ApplyFilter(const std::string& bpf, std::string& error);
  Result NextFromReader(RawPacket& out);

  pcap_t* handle_ = nullptr;
  std::string name_;
  std::string error_;
  int link_type_ = 0;
  bool is_file_ = false;
  bool is_pcapng_ = false;
  // Classic pcap: byte offset of the next record header, computed (24 + sum of 16 + caplen) so
  // the per-packet path makes no lseek call; a damaged record is reported at this offset.
  uint64_t next_record_offset_ = 24;
  bool nano_ = false;
  uint64_t packets_ = 0;
  // Zero-copy path: the reader, and the compiled filter run with pcap_offline_filter().
  std::unique_ptr<PcapFileReader> reader_;
  bpf_program program_{};
  bool has_program_ = false;
};

}  // namespace tapwatch::sensor
