#include "collector/sequence_tracker.h"

namespace tapwatch::collector {

SensorCounters& SequenceTracker::MutableCounters(std::string_view sensor_id) {
  auto it = sensors_.find(sensor_id);
  if (it == sensors_.end()) it = sensors_.emplace(std::string(sensor_id), SensorCounters{}).first;
  return it->second;
}

void SequenceTracker::Restore(const std::string& sensor_id, const SensorCounters& counters) {
  sensors_[sensor_id] = counters;
  holes_.erase(sensor_id);
}

SeqVerdict SequenceTracker::Observe(std::string_view sensor_id, uint64_t sensor_start_ns,
                                    uint64_t seq) {
  SensorCounters& c = MutableCounters(sensor_id);
  ++c.received;
  auto holes_it = holes_.find(sensor_id);
  if (holes_it == holes_.end()) holes_it = holes_.emplace(std::string(sensor_id), Holes{}).first;
  auto& holes = holes_it->second.ranges;

  bool restarted = false;
  if (sensor_start_ns != 0 && c.sensor_start_ns != 0 && sensor_start_ns != c.sensor_start_ns) {
    if (sensor_start_ns < c.sensor_start_ns) return SeqVerdict::kStale;
    restarted = true;
    ++c.restarts;
    c.last_seq = 0;
    holes.clear();
  }
  if (sensor_start_ns != 0) c.sensor_start_ns = sensor_start_ns;

  if (seq > c.last_seq) {
    // Everything between the highest seq seen and this one was lost (seq starts at 1, so a
    // first record with seq N means N - 1 records were published before we saw any).
    const uint64_t first_missing = c.last_seq + 1;
    const bool jumped = seq > first_missing;
    if (jumped) {
      c.gaps += seq - first_missing;
      holes.emplace(first_missing, seq - 1);
      if (holes.size() > kMaxHoles) holes.erase(holes.begin());
    }
    c.last_seq = seq;
    if (restarted) return SeqVerdict::kRestart;
    return jumped ? SeqVerdict::kGap : SeqVerdict::kInOrder;
  }
  // seq <= last_seq: either it fills a hole counted as lost, or it is a duplicate.
  auto it = holes.upper_bound(seq);
  if (it != holes.begin()) {
    --it;
    const uint64_t first = it->first;
    const uint64_t last = it->second;
    if (seq >= first && seq <= last) {
      holes.erase(it);
      if (seq > first) holes.emplace(first, seq - 1);
      if (seq < last) holes.emplace(seq + 1, last);
      if (holes.size() > kMaxHoles) holes.erase(holes.begin());
      --c.gaps;
      return SeqVerdict::kLate;
    }
  }
  ++c.duplicates;
  return SeqVerdict::kDuplicate;
}

}  // namespace tapwatch::collector
