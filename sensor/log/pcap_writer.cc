#include "sensor/log/pcap_writer.h"

#include <cerrno>
#include <cstring>

#include "sensor/log/source.h"

namespace tapwatch::sensor {
namespace {

void Le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void Le32(uint8_t* p, uint32_t v) {
  Le16(p, static_cast<uint16_t>(v));
  Le16(p + 2, static_cast<uint16_t>(v >> 16));
}

}  // namespace

std::unique_ptr<PcapWriter> PcapWriter::Open(const std::string& path, std::string* error,
                                             uint32_t snaplen) {
  std::unique_ptr<PcapWriter> w(new PcapWriter());
  if (path == "-") {
    w->file_ = stdout;
  } else {
    w->file_ = std::fopen(path.c_str(), "wb");
    if (w->file_ == nullptr) {
      if (error) *error = path + ": " + std::strerror(errno);
      return nullptr;
    }
    w->own_ = true;
  }
  // pcap file header (little-endian, written byte by byte): magic a1b2c3d4 (microseconds),
  // version 2.4, thiszone 0, sigfigs 0, snaplen, network 1 = LINKTYPE_ETHERNET.
  uint8_t h[24];
  Le32(h, 0xa1b2c3d4);
  Le16(h + 4, 2);
  Le16(h + 6, 4);
  Le32(h + 8, 0);
  Le32(h + 12, 0);
  Le32(h + 16, snaplen);
  Le32(h + 20, 1);
  if (std::fwrite(h, 1, sizeof h, w->file_) != sizeof h) {
    if (error) *error = path + ": write failed";
    return nullptr;
  }
  return w;
}

PcapWriter::~PcapWriter() {
  if (own_ && file_ != nullptr) std::fclose(file_);
}

bool PcapWriter::Write(uint64_t ts_ns, uint32_t wire_len, std::span<const uint8_t> bytes) {
  if (failed_ || file_ == nullptr) return false;
  uint8_t h[16];
  const uint64_t sec = ts_ns / 1000000000ull;
  Le32(h, static_cast<uint32_t>(sec));
  Le32(h + 4, static_cast<uint32_t>((ts_ns % 1000000000ull) / 1000));
  Le32(h + 8, static_cast<uint32_t>(bytes.size()));
  Le32(h + 12, wire_len < bytes.size() ? static_cast<uint32_t>(bytes.size()) : wire_len);
  if (std::fwrite(h, 1, sizeof h, file_) != sizeof h ||
      std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    failed_ = true;
    return false;
  }
  ++records_;
  return true;
}

bool PcapWriter::Write(const LogFrame& frame) {
  return Write(frame.ts_ns, frame.wire_len, frame.data());
}

bool PcapWriter::Close(std::string* error) {
  if (file_ == nullptr) return !failed_;
  bool ok = std::fflush(file_) == 0 && !failed_;
  if (own_) ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (!ok && error) *error = "pcap write failed";
  return ok;
}

}  // namespace tapwatch::sensor
