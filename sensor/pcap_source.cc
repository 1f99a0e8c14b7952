#include "sensor/pcap_source.h"

#include <sys/stat.h>

#include <cstdio>

#include "decoders/decode_frame.h"

namespace tapwatch::sensor {

std::unique_ptr<PcapSource> PcapSource::OpenFile(const std::string& path, const std::string& bpf,
                                                 std::string& error) {
  std::unique_ptr<PcapSource> s(new PcapSource());
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  s->handle_ =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (s->handle_ == nullptr) {
    error = path + ": " + errbuf;
    return nullptr;
  }
  s->name_ = path;
  s->is_file_ = true;
  // libpcap reports a pcapng section's version (1.x), a classic file's (2.x). Asking libpcap
  // rather than reading the magic again keeps a pipe or FIFO read once, by libpcap alone.
  s->is_pcapng_ = pcap_major_version(s->handle_) == 1;
  s->nano_ = pcap_get_tstamp_precision(s->handle_) == PCAP_TSTAMP_PRECISION_NANO;
  s->link_type_ = pcap_datalink(s->handle_);
  // libpcap reports LINKTYPE_RAW (101) as DLT_RAW (12 on Linux); the decoders use LINKTYPE_*.
  if (s->link_type_ == DLT_RAW) s->link_type_ = 101;
  // libpcap has validated the file and named the link type; classic pcap of a link type the
  // decoders read is then read in place. Those link types have no pseudo-header libpcap would
  // byte-swap and share libpcap's 262144-byte sanity limit. The snapshot check is a guard: both
  // must agree on where records are cut, else libpcap keeps the file.
  // Only a regular file is mapped: opening a FIFO again could wait for a writer that has gone.
  struct stat st {};
  FILE* f = pcap_file(s->handle_);
  const bool regular = f != nullptr && ::fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
  if (!s->is_pcapng_ && regular && path != "-" && s->nano_ &&
      decoders::IsSupportedLinkType(s->link_type_)) {
    auto reader = std::make_unique<PcapFileReader>();
    std::string ignored;
    if (reader->OpenFile(path, ignored) &&
        reader->header().snapshot == static_cast<uint32_t>(pcap_snapshot(s->handle_))) {
      s->reader_ = std::move(reader);
    }
  }
  if (!s->ApplyFilter(bpf, error)) return nullptr;
  return s;
}

std::unique_ptr<PcapSource> PcapSource::OpenLive(const std::string& iface, const std::string& bpf,
                                                 const LiveOptions& options, std::string& error) {
  std::unique_ptr<PcapSource> s(new PcapSource());
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  s->handle_ = pcap_create(iface.c_str(), errbuf);
  if (s->handle_ == nullptr) {
    error = "-i " + iface + ": " + errbuf;
    return nullptr;
  }
  s->name_ = iface;
  pcap_set_snaplen(s->handle_, static_cast<int>(options.snaplen));
  pcap_set_promisc(s->handle_, 1);
  pcap_set_timeout(s->handle_, options.timeout_ms);
  pcap_set_buffer_size(s->handle_, static_cast<int>(options.buffer_mb) * 1024 * 1024);
  // Immediate mode: packets are delivered as they arrive, not when a buffer block fills.
  pcap_set_immediate_mode(s->handle_, 1);
  s->nano_ = pcap_set_tstamp_precision(s->handle_, PCAP_TSTAMP_PRECISION_NANO) == 0;
  const int rc = pcap_activate(s->handle_);
  if (rc < 0) {
    std::string why = pcap_geterr(s->handle_);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) why = "no such interface";
    if (rc == PCAP_ERROR_PERM_DENIED) why = "permission denied (run as root or grant CAP_NET_RAW)";
    error = "-i " + iface + ": " + why;
    return nullptr;
  }
  s->link_type_ = pcap_datalink(s->handle_);
  // libpcap reports LINKTYPE_RAW (101) as DLT_RAW (12 on Linux); the decoders use LINKTYPE_*.
  if (s->link_type_ == DLT_RAW) s->link_type_ = 101;
  if (!s->ApplyFilter(bpf, error)) return nullptr;
  return s;
}

bool PcapSource::ApplyFilter(const std::string& bpf, std::string& error) {
  if (bpf.empty()) return true;
  bpf_program program{};
  if (pcap_compile(handle_, &program, bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    error = "invalid BPF expression '" + bpf + "': " + pcap_geterr(handle_);
    return false;
  }
  if (reader_) {
    // The zero-copy reader runs the program itself (pcap_offline_filter), as libpcap would.
    program_ = program;
    has_program_ = true;
    return true;
  }
  const int rc = pcap_setfilter(handle_, &program);
  pcap_freecode(&program);
  if (rc != 0) {
    error = "cannot apply BPF expression '" + bpf + "': " + pcap_geterr(handle_);
    return false;
  }
  return true;
}

PcapSource::~PcapSource() {
  if (has_program_) pcap_freecode(&program_);
  if (handle_ != nullptr) pcap_close(handle_);
}

PcapSource::Result PcapSource::NextFromReader(RawPacket& out) {
  for (;;) {
    const PcapFileReader::Result r = reader_->Next(out);
    if (r == PcapFileReader::Result::kPacket) {
      if (has_program_) {
        pcap_pkthdr h{};
        h.caplen = out.cap_len;
        h.len = out.wire_len;
        if (pcap_offline_filter(&program_, &h, out.data) == 0) continue;
      }
      ++packets_;
      return Result::kPacket;
    }
    if (r == PcapFileReader::Result::kEnd) return Result::kEnd;
    error_ = name_ + ": damaged input at byte offset " + std::to_string(reader_->offset()) +
             " after " + std::to_string(reader_->records()) +
             " complete packets: " + reader_->error();
    return Result::kError;
  }
}

PcapSource::Result PcapSource::Next(RawPacket& out) {
  if (reader_) return NextFromReader(out);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &header, &data);
  if (rc == 1) {
    const uint64_t frac = static_cast<uint64_t>(header->ts.tv_usec);
    out.ts_ns = static_cast<uint64_t>(header->ts.tv_sec) * 1000000000ull +
                (nano_ ? frac : frac * 1000ull);
    out.wire_len = header->len;
    out.cap_len = header->caplen;
    out.data = data;
    ++packets_;
    next_record_offset_ += 16 + header->caplen;
    return Result::kPacket;
  }
  if (rc == 0) return Result::kTimeout;
  if (rc == PCAP_ERROR_BREAK) return Result::kEnd;
  error_ = name_ + ": damaged input";
  if (is_file_ && !is_pcapng_) {
    error_ += " at byte offset " + std::to_string(next_record_offset_);
  } else if (FILE* f = is_file_ ? pcap_file(handle_) : nullptr) {
    // pcapng blocks vary in size: name where reading stopped, which is inside the bad block
    // (a pipe has no position to tell).
    if (const long at = std::ftell(f); at >= 0) {
      error_ += " at or before byte offset " + std::to_string(at);
    }
  }
  error_ += " after " + std::to_string(packets_) + " complete packets: " + pcap_geterr(handle_);
  return Result::kError;
}

void PcapSource::KernelDrops(uint64_t& dropped, uint64_t& if_dropped) const {
  dropped = 0;
  if_dropped = 0;
  if (is_file_ || handle_ == nullptr) return;
  pcap_stat st{};
  if (pcap_stats(handle_, &st) == 0) {
    dropped = st.ps_drop;
    if_dropped = st.ps_ifdrop;
  }
}

void PcapSource::BreakLoop() {
  if (handle_ != nullptr) pcap_breakloop(handle_);
}

}  // namespace tapwatch::sensor
