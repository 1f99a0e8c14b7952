#pragma once
// Zero-copy reader of classic pcap files (version 2.4, either byte order, microsecond or
// nanosecond magic) over a memory-mapped file: a packet's bytes are handed out in place, so the
// per-packet path makes no read syscall and no copy. Records are checked exactly as libpcap 1.10
// checks them (sf-pcap.c): a short record header or body, or a caplen beyond what libpcap accepts,
// is damage, reported with the byte offset of the damaged record's header; a caplen above the
// file's snapshot length (but sane) is cut to the snapshot length, as libpcap does.
// pcapng, stdin and other variants (modified pcap, version 2.3 and older) stay with libpcap.
// A mapped file that shrinks while it is read (truncated, rewritten) is damage too, never a
// crash: the size is checked at every window and at zero-length records, and a page that is
// gone anyway (SIGBUS) is replaced by a zero page by a guard handler, then reported.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tapwatch::sensor {

struct RawPacket {
  uint64_t ts_ns = 0;
  uint32_t wire_len = 0;
  uint32_t cap_len = 0;
  const uint8_t* data = nullptr;  // valid until the next call to Next()
};

/// What the 24-byte global header says (after byte-order correction).
struct PcapFileHeader {
  bool swapped = false;     // written in the other byte order
  bool nano = false;        // nanosecond magic 0xa1b23c4d
  uint32_t snaplen = 0;     // as in the file
  uint32_t snapshot = 0;    // libpcap's effective snapshot (0 or > INT_MAX -> 262144)
  uint32_t linktype = 0;    // LINKTYPE_* (low 26 bits; FCS bits dropped)
};

class PcapFileReader {
 public:
  static constexpr size_t kFileHeaderBytes = 24;
  static constexpr size_t kRecordHeaderBytes = 16;
  /// libpcap's max_snaplen_for_dlt() for every link type the decoders support.
  static constexpr uint32_t kMaxSnaplen = 262144;

  /// True if `data` starts with a classic pcap 2.4 header this reader handles (fills `out`).
  static bool ParseHeader(const uint8_t* data, size_t size, PcapFileHeader& out);

  PcapFileReader() = default;
  ~PcapFileReader();
  PcapFileReader(const PcapFileReader&) = delete;
  PcapFileReader& operator=(const PcapFileReader&) = delete;

  /// Maps a regular file. False (and `error`) if it cannot, or if ParseHeader() refuses it
  /// (then `error` is empty: the caller should use libpcap instead).
  bool OpenFile(const std::string& path, std::string& error);
  /// Reads from a caller-owned buffer (tests); the buffer must outlive the reader.
  bool OpenBuffer(const uint8_t* data, size_t size);

  enum class Result { kPacket, kEnd, kError };
  /// The next record. kError: error() has libpcap's wording, error_offset() the record's offset.
  Result Next(RawPacket& out) {
    // A page of the file vanished under the previous packet (the file shrank): stop here.
    if (sigbus_flag_ != nullptr && sigbus_flag_->load(std::memory_order_relaxed)) return Shrunk();
    // The previous packet's bytes are released now (they were valid until this call).
    if (offset_ >= release_at_ && !ReleaseBehind()) return Shrunk();
    PrefetchAhead();
    const size_t left = size_ - offset_;
    if (left >= kRecordHeaderBytes) {
      const uint8_t* h = base_ + offset_;
      const uint32_t caplen = Load32(h + 8);
      // caplen 0 goes the slow way: it is rare, and what the zeros after a shrunk file's new
      // end look like.
      if (caplen - 1 < fast_caplen_limit_ && left - kRecordHeaderBytes >= caplen) {
        out.ts_ns = TimestampNs(h);
        out.wire_len = Load32(h + 12);
        out.cap_len = caplen;
        out.data = h + kRecordHeaderBytes;
        offset_ += kRecordHeaderBytes + caplen;
        ++records_;
        return Result::kPacket;
      }
    }
    return NextSlow(out);
  }

  const PcapFileHeader& header() const { return header_; }
  const std::string& error() const { return error_; }
  /// Byte offset of the next record header (of the damaged one after kError).
  uint64_t offset() const { return offset_; }
  /// Complete records read so far.
  uint64_t records() const { return records_; }

 private:
  uint32_t Load32(const uint8_t* p) const {
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return header_.swapped ? __builtin_bswap32(v) : v;
  }
  /// The record's time as PcapSource computed it from libpcap's header: libpcap sign-extends
  /// the 32-bit seconds and fraction of a native-order file but not of a swapped one
  /// (SWAPLONG yields an unsigned value), and scales microseconds up.
  uint64_t TimestampNs(const uint8_t* h) const {
    const uint32_t s = Load32(h);
    const uint32_t f = Load32(h + 4);
    const int64_t sec = header_.swapped ? int64_t{s} : int64_t{static_cast<int32_t>(s)};
    int64_t frac = header_.swapped ? int64_t{f} : int64_t{static_cast<int32_t>(f)};
    if (!header_.nano) frac *= 1000;
    return static_cast<uint64_t>(sec) * 1000000000ull + static_cast<uint64_t>(frac);
  }
  Result NextSlow(RawPacket& out);
  /// Asks for the cache lines of the next kPrefetchBytes of records. They are read in order,
  /// but the flow table and decoders touch so much memory between two records that the hardware
  /// prefetcher loses the stream: without this, every record header was a cache miss.
  void PrefetchAhead() {
    const size_t want = std::min(offset_ + kPrefetchBytes, size_);
    for (; prefetched_to_ < want; prefetched_to_ += kCacheLine) {
      __builtin_prefetch(base_ + prefetched_to_);
    }
  }
  /// False when the file has shrunk below what is mapped.
  bool ReleaseBehind();
  /// Reports a file that shrank while being read (kError, error() says how much is gone).
  Result Shrunk();
  /// The file's size now, or SIZE_MAX when it cannot be asked.
  size_t CurrentFileSize() const;
  void Unmap();

  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t offset_ = 0;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  int fd_ = -1;                                   // kept open to ask the file's size
  const std::atomic<bool>* sigbus_flag_ = nullptr;  // set by the SIGBUS guard for this map
  int guard_slot_ = -1;
  // Pages already read are unmapped every kWindowBytes, so a mapped file does not add its size
  // to the resident set (the pages stay in the page cache): about +2.5 MiB over libpcap's loop
  // with 1 MiB, +7 MiB with 8 MiB, at the same CPU time.
  static constexpr size_t kWindowBytes = size_t{1} << 20;
  static constexpr size_t kPrefetchBytes = 2048;
  static constexpr size_t kCacheLine = 64;
  size_t prefetched_to_ = 0;            // lines before this offset were prefetched
  size_t released_ = 0;                 // [0, released_) is unmapped
  size_t release_at_ = ~size_t{0};      // next offset at which to release
  PcapFileHeader header_;
  uint32_t fast_caplen_limit_ = 0;  // min(snapshot, kMaxSnaplen): larger goes the slow way
  uint64_t records_ = 0;
  std::string error_;
};

}  // namespace tapwatch::sensor
