#include "sensor/replay_buffer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tapwatch::sensor {
namespace {

constexpr char kSpoolPrefix[] = "tapwatch-spool-";
// A spool file is dropped whole: several per spool, so dropping one frees a fraction of it.
constexpr uint64_t kSpoolFilesPerSpool = 8;
constexpr uint64_t kMinSpoolFileBytes = 1 << 20;

// On-disk message header: first seq, last seq, topic bytes, body bytes (host order: the files
// live only as long as the process that wrote them).
struct SpoolHeader {
  uint64_t first_seq;
  uint64_t last_seq;
  uint32_t topic_bytes;
  uint32_t body_bytes;
};

bool WriteAll(int fd, iovec* iov, int count) {
  while (count > 0) {
    const ssize_t n = ::writev(fd, iov, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<ReplayBuffer> ReplayBuffer::Create(const ReplayBufferOptions& options,
                                                   std::string& error) {
  std::unique_ptr<ReplayBuffer> buffer(new ReplayBuffer(options));
  if (options.spool_dir.empty()) return buffer;
  DIR* dir = ::opendir(options.spool_dir.c_str());
  if (dir == nullptr) {
    error = "--spool " + options.spool_dir + ": " + std::strerror(errno);
    return nullptr;
  }
  while (const dirent* entry = ::readdir(dir)) {
    if (std::strncmp(entry->d_name, kSpoolPrefix, sizeof(kSpoolPrefix) - 1) == 0) {
      ::unlink((options.spool_dir + "/" + entry->d_name).c_str());
    }
  }
  ::closedir(dir);
  // Fail now, not on the first eviction: the directory must take a file.
  const std::string probe = options.spool_dir + "/" + kSpoolPrefix + "probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "--spool " + options.spool_dir + ": cannot write: " + std::strerror(errno);
    return nullptr;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return buffer;
}

ReplayBuffer::~ReplayBuffer() {
  for (SpoolFile& file : spool_) {
    if (file.fd >= 0) ::close(file.fd);
    ::unlink(file.path.c_str());
  }
}

void ReplayBuffer::Add(uint64_t first_seq, uint64_t last_seq, std::string_view topic,
                       const void* body, size_t size) {
  KeptMessage message{first_seq, last_seq, std::string(topic),
                      std::string(static_cast<const char*>(body), size)};
  std::lock_guard lock(mutex_);
  memory_records_ += last_seq - first_seq + 1;
  memory_.push_back(std::move(message));
  while (memory_records_ > options_.max_records && memory_.size() > 1) {
    KeptMessage& oldest = memory_.front();
    memory_records_ -= oldest.last_seq - oldest.first_seq + 1;
    if (!options_.spool_dir.empty() && !spool_failed_) Spool(oldest);
    memory_.pop_front();
  }
}

void ReplayBuffer::Spool(const KeptMessage& message) {
  const uint64_t file_bytes =
      std::max(kMinSpoolFileBytes, options_.spool_max_bytes / kSpoolFilesPerSpool);
  if (spool_.empty() || spool_.back().bytes >= file_bytes) {
    SpoolFile file;
    file.path = options_.spool_dir + "/" + kSpoolPrefix + std::to_string(next_spool_file_++);
    file.fd = ::open(file.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (file.fd < 0) {
      spool_failed_ = true;
      spool_error_ = "--spool: " + file.path + ": " + std::strerror(errno);
      return;
    }
    spool_.push_back(std::move(file));
  }
  SpoolFile& file = spool_.back();
  SpoolHeader header{message.first_seq, message.last_seq,
                     static_cast<uint32_t>(message.topic.size()),
                     static_cast<uint32_t>(message.body.size())};
  iovec iov[3] = {{&header, sizeof(header)},
                  {const_cast<char*>(message.topic.data()), message.topic.size()},
                  {const_cast<char*>(message.body.data()), message.body.size()}};
  if (!WriteAll(file.fd, iov, 3)) {
    spool_failed_ = true;
    spool_error_ = "--spool: " + file.path + ": " + std::strerror(errno);
    return;
  }
  file.index.push_back(SpoolIndexEntry{message.first_seq, message.last_seq,
                                       file.bytes + sizeof(header), header.topic_bytes,
                                       header.body_bytes});
  const uint64_t written = sizeof(header) + message.topic.size() + message.body.size();
  file.bytes += written;
  spool_bytes_ += written;
  while (spool_bytes_ > options_.spool_max_bytes && spool_.size() > 1) {
    SpoolFile& oldest = spool_.front();
    spool_bytes_ -= oldest.bytes;
    ::close(oldest.fd);
    ::unlink(oldest.path.c_str());
    spool_.pop_front();
  }
}

bool ReplayBuffer::ReadSpooled(const SpoolFile& file, const SpoolIndexEntry& entry,
                               KeptMessage& out) {
  out.first_seq = entry.first_seq;
  out.last_seq = entry.last_seq;
  out.topic.resize(entry.topic_bytes);
  out.body.resize(entry.body_bytes);
  const auto read_at = [&](char* to, size_t n, uint64_t at) {
    while (n > 0) {
      const ssize_t got = ::pread(file.fd, to, n, static_cast<off_t>(at));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      to += got;
      n -= static_cast<size_t>(got);
      at += static_cast<uint64_t>(got);
    }
    return true;
  };
  return read_at(out.topic.data(), out.topic.size(), entry.offset) &&
         read_at(out.body.data(), out.body.size(), entry.offset + entry.topic_bytes);
}

uint64_t ReplayBuffer::oldest_seq() {
  std::lock_guard lock(mutex_);
  for (const SpoolFile& file : spool_) {
    if (!file.index.empty()) return file.index.front().first_seq;
  }
  return memory_.empty() ? 0 : memory_.front().first_seq;
}

uint64_t ReplayBuffer::newest_seq() {
  std::lock_guard lock(mutex_);
  return memory_.empty() ? 0 : memory_.back().last_seq;
}

std::string ReplayBuffer::spool_error() {
  std::lock_guard lock(mutex_);
  return spool_error_;
}

uint64_t ReplayBuffer::Collect(uint64_t first, uint64_t last, std::vector<KeptMessage>& out) {
  if (last < first) return 0;
  const uint64_t oldest = oldest_seq();
  std::lock_guard lock(mutex_);
  uint64_t unavailable = 0;
  if (oldest == 0) {
    unavailable = last - first + 1;
  } else if (first < oldest) {
    unavailable = std::min(last, oldest - 1) - first + 1;
  }
  uint64_t sent = 0;
  for (const SpoolFile& file : spool_) {
    if (file.index.empty() || file.index.back().last_seq < first) continue;
    if (file.index.front().first_seq > last) break;
    for (const SpoolIndexEntry& entry : file.index) {
      if (entry.last_seq < first || entry.first_seq > last) continue;
      KeptMessage message;
      // Unreadable now: not sent, so they stay missing (and counted) at the collector.
      if (!ReadSpooled(file, entry, message)) continue;
      sent += message.last_seq - message.first_seq + 1;
      out.push_back(std::move(message));
    }
  }
  auto it = std::lower_bound(memory_.begin(), memory_.end(), first,
                             [](const KeptMessage& m, uint64_t seq) { return m.last_seq < seq; });
  for (; it != memory_.end() && it->first_seq <= last; ++it) {
    sent += it->last_seq - it->first_seq + 1;
    out.push_back(*it);
  }
  counters_.requested += last - first + 1;
  counters_.sent += sent;
  counters_.unavailable += unavailable;
  return unavailable;
}

}  // namespace tapwatch::sensor
