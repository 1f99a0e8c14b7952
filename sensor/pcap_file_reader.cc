#include "sensor/pcap_file_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>

namespace tapwatch::sensor {
namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;

}  // namespace

bool PcapFileReader::ParseHeader(const uint8_t* data, size_t size, PcapFileHeader& out) {
  if (size < kFileHeaderBytes) return false;
  uint32_t magic;
  std::memcpy(&magic, data, 4);
  PcapFileHeader h;
  if (magic == kMagicMicro || magic == kMagicNano) {
    h.swapped = false;
  } else if (__builtin_bswap32(magic) == kMagicMicro || __builtin_bswap32(magic) == kMagicNano) {
    h.swapped = true;
    magic = __builtin_bswap32(magic);
  } else {
    return false;  // pcapng, modified pcap, garbage: libpcap decides
  }
  h.nano = magic == kMagicNano;
  auto load16 = [&](size_t at) {
    uint16_t v;
    std::memcpy(&v, data + at, 2);
    return h.swapped ? __builtin_bswap16(v) : v;
  };
  auto load32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, data + at, 4);
    return h.swapped ? __builtin_bswap32(v) : v;
  };
  // Versions before 2.4 may have caplen and len swapped (libpcap guesses per record): leave them
  // to libpcap.
  if (load16(4) != 2 || load16(6) != 4) return false;
  h.snaplen = load32(16);
  h.linktype = load32(20) & 0x03FFFFFF;  // LT_LINKTYPE(): the upper bits carry the FCS length
  // pcap_adjust_snapshot(): zero or beyond INT_MAX means the link type's maximum; anything else
  // (even above that maximum) stands.
  h.snapshot = (h.snaplen == 0 || h.snaplen > 0x7fffffffu) ? kMaxSnaplen : h.snaplen;
  out = h;
  return true;
}

PcapFileReader::~PcapFileReader() { Unmap(); }

void PcapFileReader::Unmap() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
  map_ = nullptr;
  map_bytes_ = 0;
}

bool PcapFileReader::OpenBuffer(const uint8_t* data, size_t size) {
  if (!ParseHeader(data, size, header_)) return false;
  fast_caplen_limit_ = std::min(header_.snapshot, kMaxSnaplen);
  base_ = data;
  size_ = size;
  offset_ = kFileHeaderBytes;
  records_ = 0;
  error_.clear();
  return true;
}

bool PcapFileReader::OpenFile(const std::string& path, std::string& error) {
  error.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24) {
    ::close(fd);
    return false;  // a pipe, a device, an empty file: libpcap's stream reader handles those
  }
  const size_t bytes = static_cast<size_t>(st.st_size);
  void* m = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return false;
  // The file is read once, front to back: aggressive read-ahead, and the first window asked for.
  ::madvise(m, bytes, MADV_SEQUENTIAL);
  ::madvise(m, std::min(bytes, kWindowBytes), MADV_WILLNEED);
  map_ = m;
  map_bytes_ = bytes;
  if (!OpenBuffer(static_cast<const uint8_t*>(m), bytes)) {
    Unmap();
    base_ = nullptr;
    size_ = 0;
    offset_ = 0;
    return false;
  }
  released_ = 0;
  release_at_ = kWindowBytes;
  return true;
}

void PcapFileReader::ReleaseBehind() {
  release_at_ = offset_ + kWindowBytes;
  if (map_ == nullptr) return;
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  // Everything before the next record header is done with; keep its page.
  const size_t end = offset_ / page * page;
  if (end > released_) {
    ::madvise(static_cast<uint8_t*>(map_) + released_, end - released_, MADV_DONTNEED);
    released_ = end;
  }
  // Ask for the window after the next one, so read-ahead stays ahead of the parser.
  if (offset_ + kWindowBytes < map_bytes_) {
    const size_t ahead = (offset_ + kWindowBytes) / page * page;
    ::madvise(static_cast<uint8_t*>(map_) + ahead, std::min(kWindowBytes, map_bytes_ - ahead),
              MADV_WILLNEED);
  }
}

PcapFileReader::Result PcapFileReader::NextSlow(RawPacket& out) {
  if (!error_.empty()) return Result::kError;
  const size_t left = size_ - offset_;
  if (left == 0) return Result::kEnd;
  char msg[160];
  if (left < kRecordHeaderBytes) {
    std::snprintf(msg, sizeof(msg),
                  "truncated dump file; tried to read %zu header bytes, only got %zu",
                  kRecordHeaderBytes, left);
    error_ = msg;
    return Result::kError;
  }
  const uint8_t* h = base_ + offset_;
  const uint32_t caplen = Load32(h + 8);
  const size_t body = left - kRecordHeaderBytes;
  if (caplen > kMaxSnaplen) {
    if (caplen > header_.snapshot) {
      std::snprintf(msg, sizeof(msg),
                    "invalid packet capture length %u, bigger than snaplen of %d", caplen,
                    static_cast<int>(header_.snapshot));
    } else {
      std::snprintf(msg, sizeof(msg),
                    "invalid packet capture length %u, bigger than maximum of %u", caplen,
                    kMaxSnaplen);
    }
    error_ = msg;
    return Result::kError;
  }
  uint32_t deliver = caplen;
  if (caplen > header_.snapshot) {
    // Sane but above the file's snapshot length: libpcap reads snapshot bytes, skips the rest
    // and reports the snapshot length as the captured length.
    if (body < header_.snapshot) {
      std::snprintf(msg, sizeof(msg),
                    "truncated dump file; tried to read %u captured bytes, only got %zu",
                    header_.snapshot, body);
      error_ = msg;
      return Result::kError;
    }
    deliver = header_.snapshot;
  }
  if (body < caplen) {
    std::snprintf(msg, sizeof(msg),
                  "truncated dump file; tried to read %u captured bytes, only got %zu", caplen,
                  body);
    error_ = msg;
    return Result::kError;
  }
  out.ts_ns = TimestampNs(h);
  out.wire_len = Load32(h + 12);
  out.cap_len = deliver;
  out.data = h + kRecordHeaderBytes;
  offset_ += kRecordHeaderBytes + caplen;
  ++records_;
  return Result::kPacket;
}

}  // namespace tapwatch::sensor
