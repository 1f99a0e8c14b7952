#include "sensor/pcap_merge.h"

namespace tapwatch::sensor {

PcapMerge::PcapMerge(std::vector<std::unique_ptr<PcapSource>> files) {
  files_.reserve(files.size());
  for (auto& f : files) files_.push_back({std::move(f), {}});
  // Read last-to-first off the back: the first file is read first, so its damage shows first.
  for (size_t i = files_.size(); i-- > 0;) to_refill_.push_back(i);
}

bool PcapMerge::Refill(size_t i) {
  Pending& p = files_[i];
  if (!p.source) return true;
  switch (p.source->Next(p.packet)) {
    case PcapSource::Result::kPacket:
      queue_.emplace(p.packet.ts_ns, i);
      return true;
    case PcapSource::Result::kError:
      error_ = p.source->error();
      p.source.reset();
      return false;
    case PcapSource::Result::kEnd:
    case PcapSource::Result::kTimeout:  // files do not time out
      p.source.reset();
      return true;
  }
  return true;
}

PcapMerge::Result PcapMerge::Next(RawPacket& out, int& link_type) {
  // A file's packet is handed out before the file is read again: its bytes stay valid until then.
  while (!to_refill_.empty()) {
    const size_t i = to_refill_.back();
    to_refill_.pop_back();
    if (!Refill(i)) return Result::kError;
  }
  if (queue_.empty()) return Result::kEnd;
  const size_t i = queue_.top().second;
  queue_.pop();
  out = files_[i].packet;
  link_type = files_[i].source->link_type();
  to_refill_.push_back(i);
  return Result::kPacket;
}

}  // namespace tapwatch::sensor
