#include "sensor/pcap_file_reader.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace tapwatch::sensor {
namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;

// The SIGBUS guard. Touching a page of a mapped file beyond the file's current end raises
// SIGBUS, which would kill the sensor if someone truncates a capture while it is read. The
// handler maps a zero page over the faulting page of a registered mapping and flags it; the
// reader sees the flag at its next record and reports the damage. Faults anywhere else get the
// previous disposition.
struct GuardedMapping {
  std::atomic<uintptr_t> begin{UINTPTR_MAX};  // matches no address until a mapping is published
  std::atomic<uintptr_t> end{0};              // 0: the slot is free
  std::atomic<bool> faulted{false};
};
constexpr int kGuardSlots = 16;
GuardedMapping g_guarded[kGuardSlots];
struct sigaction g_previous_sigbus {};
uintptr_t g_page_bytes = 4096;
std::once_flag g_guard_installed;

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (GuardedMapping& g : g_guarded) {
    if (addr < g.begin.load(std::memory_order_acquire) ||
        addr >= g.end.load(std::memory_order_acquire)) {
      continue;
    }
    void* page = reinterpret_cast<void*>(addr & ~(g_page_bytes - 1));
    if (::mmap(page, g_page_bytes, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) !=
        MAP_FAILED) {
      g.faulted.store(true, std::memory_order_relaxed);
      return;  // the access is retried and reads zeros
    }
    break;
  }
  if ((g_previous_sigbus.sa_flags & SA_SIGINFO) != 0 && g_previous_sigbus.sa_sigaction != nullptr) {
    g_previous_sigbus.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous_sigbus.sa_handler != SIG_DFL && g_previous_sigbus.sa_handler != SIG_IGN) {
    g_previous_sigbus.sa_handler(sig);
    return;
  }
  ::signal(SIGBUS, SIG_DFL);  // the access faults again and gets the default action
}

void InstallGuard() {
  g_page_bytes = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  struct sigaction action {};
  action.sa_sigaction = OnSigbus;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, &g_previous_sigbus);
}

/// A guard slot for [begin, begin + bytes), or -1 when all are taken (the map is then unguarded).
int GuardMapping(const void* begin, size_t bytes) {
  std::call_once(g_guard_installed, InstallGuard);
  for (int i = 0; i < kGuardSlots; ++i) {
    uintptr_t expected = 0;
    GuardedMapping& g = g_guarded[i];
    if (g.end.load() != 0) continue;
    // Claim the slot through `end` (a mapping never ends at address 0), then publish `begin`.
    if (!g.end.compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(begin) + bytes)) {
      continue;
    }
    g.faulted.store(false);
    g.begin.store(reinterpret_cast<uintptr_t>(begin), std::memory_order_release);
    return i;
  }
  return -1;
}

void UnguardMapping(int slot) {
  if (slot < 0) return;
  g_guarded[slot].begin.store(UINTPTR_MAX, std::memory_order_release);  // matches nothing
  g_guarded[slot].end.store(0, std::memory_order_release);             // free again
}

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
  UnguardMapping(guard_slot_);
  guard_slot_ = -1;
  sigbus_flag_ = nullptr;
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
  map_ = nullptr;
  map_bytes_ = 0;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

size_t PcapFileReader::CurrentFileSize() const {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) return SIZE_MAX;
  return static_cast<size_t>(st.st_size);
}

PcapFileReader::Result PcapFileReader::Shrunk() {
  if (!error_.empty()) return Result::kError;
  const size_t now = CurrentFileSize();
  char msg[256];
  std::snprintf(msg, sizeof(msg),
                "the file shrank while being read (from %zu to %zu bytes): records from here on "
                "are gone%s",
                map_bytes_, now == SIZE_MAX ? size_t{0} : now,
                records_ > 0 && now != SIZE_MAX && now < offset_
                    ? ", and the last packet read may hold zeros where its bytes were"
                    : "");
  error_ = msg;
  offset_ = std::min(offset_, size_);
  size_ = offset_;  // nothing more is read from the map
  return Result::kError;
}

bool PcapFileReader::OpenBuffer(const uint8_t* data, size_t size) {
  if (!ParseHeader(data, size, header_)) return false;
  fast_caplen_limit_ = std::min(header_.snapshot, kMaxSnaplen);
  base_ = data;
  size_ = size;
  offset_ = kFileHeaderBytes;
  prefetched_to_ = 0;
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
  if (m == MAP_FAILED) {
    ::close(fd);
    return false;
  }
  // The file is read once, front to back: aggressive read-ahead, and the first window asked for.
  ::madvise(m, bytes, MADV_SEQUENTIAL);
  ::madvise(m, std::min(bytes, kWindowBytes), MADV_WILLNEED);
  map_ = m;
  map_bytes_ = bytes;
  fd_ = fd;
  guard_slot_ = GuardMapping(m, bytes);
  sigbus_flag_ = guard_slot_ >= 0 ? &g_guarded[guard_slot_].faulted : nullptr;
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

bool PcapFileReader::ReleaseBehind() {
  release_at_ = offset_ + kWindowBytes;
  if (map_ == nullptr) return true;
  // Once per window: has the file been cut below what is mapped?
  if (CurrentFileSize() < map_bytes_) return false;
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
  return true;
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
  // A zero-length record is legal but also what a shrunk file's zero-filled last page holds.
  if (caplen == 0 && map_ != nullptr && CurrentFileSize() < offset_ + kRecordHeaderBytes) {
    return Shrunk();
  }
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
