#include "collector/sequence_tracker.h"

#include <algorithm>
#include <utility>

namespace tapwatch::collector {

SensorCounters& SequenceTracker::MutableCounters(std::string_view sensor_id) {
  auto it = sensors_.find(sensor_id);
  if (it == sensors_.end()) it = sensors_.emplace(std::string(sensor_id), SensorCounters{}).first;
  return it->second;
}

void SequenceTracker::Restore(const std::string& sensor_id, const SensorCounters& counters) {
  sensors_[sensor_id] = counters;
  // A store from before per-instance state: its newest instance goes on from last_seq (a
  // sensor_instances row, restored next, replaces this).
  if (counters.last_seq > 0) {
    InstanceState state;
    state.sensor_start_ns = counters.sensor_start_ns;
    state.last_seq = counters.last_seq;
    RestoreInstance(sensor_id, InstanceKey(counters.instance_id, counters.sensor_start_ns),
                    state);
  }
}

void SequenceTracker::RestoreInstance(const std::string& sensor_id, uint64_t instance_key,
                                      const InstanceState& state) {
  InstanceState& s = instances_[sensor_id][instance_key];
  s = state;
  s.seen_this_run = false;
}

InstanceState* SequenceTracker::FindInstance(std::string_view sensor_id, uint64_t instance_key) {
  auto by_id = instances_.find(sensor_id);
  if (by_id == instances_.end()) return nullptr;
  auto it = by_id->second.find(instance_key);
  return it == by_id->second.end() ? nullptr : &it->second;
}

std::vector<SequenceTracker::Unfinished> SequenceTracker::WantUnfinished() {
  std::vector<Unfinished> out;
  for (auto& [id, instances] : instances_) {
    for (auto& [key, s] : instances) {
      if (s.seen_this_run || s.final_seen || s.resend_endpoint.empty()) continue;
      s.seen_this_run = true;
      for (const auto& [first, last] : s.holes) Want(id, key, {first, last});
      Want(id, key, {s.last_seq + 1, UINT64_MAX});
      out.push_back(Unfinished{id, key, s.resend_endpoint});
    }
  }
  return out;
}

std::vector<WantedRange> SequenceTracker::TakeWanted() { return std::exchange(wanted_, {}); }

void SequenceTracker::Want(std::string_view sensor_id, uint64_t key, SeqRange range) {
  wanted_.push_back(WantedRange{std::string(sensor_id), key, range});
}

void SequenceTracker::Forget(std::map<uint64_t, InstanceState>& instances, uint64_t keep) {
  while (instances.size() > kMaxInstances) {
    auto oldest = instances.end();
    for (auto it = instances.begin(); it != instances.end(); ++it) {
      if (it->first == keep) continue;
      if (oldest == instances.end() || it->second.sensor_start_ns < oldest->second.sensor_start_ns) {
        oldest = it;
      }
    }
    instances.erase(oldest);
  }
}

SeqVerdict SequenceTracker::Observe(std::string_view sensor_id, uint64_t instance_id,
                                    uint64_t sensor_start_ns, uint64_t seq, bool resent) {
  SensorCounters& c = MutableCounters(sensor_id);
  ++c.received;
  auto by_id = instances_.find(sensor_id);
  if (by_id == instances_.end()) by_id = instances_.emplace(std::string(sensor_id), std::map<uint64_t, InstanceState>{}).first;
  auto& instances = by_id->second;
  const uint64_t key = InstanceKey(instance_id, sensor_start_ns);
  const uint64_t current = InstanceKey(c.instance_id, c.sensor_start_ns);

  bool restarted = false;
  bool conflict = false;
  auto it = instances.find(key);
  if (it == instances.end()) {
    const bool first = instances.empty();
    it = instances.emplace(key, InstanceState{}).first;
    it->second.sensor_start_ns = sensor_start_ns;
    it->second.seen_this_run = true;
    // A new process that started later took over the id; one that started earlier than the
    // current one is a second live sensor with the same id.
    if (first || sensor_start_ns > c.sensor_start_ns || sensor_start_ns == 0) {
      restarted = !first;
      if (restarted) ++c.restarts;
      c.sensor_start_ns = sensor_start_ns;
      c.instance_id = instance_id;
      c.last_seq = 0;
    } else {
      conflict = true;
    }
    Forget(instances, key);
  } else if (key != current) {
    // An instance superseded by a newer one still sends: two live processes share the id.
    conflict = true;
  }
  InstanceState& s = it->second;
  // Said once per instance; its records are accounted as any other's afterwards.
  conflict = conflict && !s.conflicting;
  if (conflict) {
    s.conflicting = true;
    ++c.conflicts;
  }
  if (!s.seen_this_run) {
    // Restored from the store and heard from again: what it still owes us can be asked for.
    s.seen_this_run = true;
    for (const auto& [first, last] : s.holes) Want(sensor_id, key, {first, last});
  }

  SeqVerdict verdict = SeqVerdict::kInOrder;
  if (seq > s.last_seq) {
    // Everything between the highest seq seen and this one was lost (seq starts at 1, so a
    // first record with seq N means N - 1 records were published before we saw any).
    const uint64_t first_missing = s.last_seq + 1;
    if (seq - first_missing > kMaxPlausibleJump) {
      ++c.resyncs;
      verdict = SeqVerdict::kResync;
    } else if (seq > first_missing) {
      c.gaps += seq - first_missing;
      uint64_t hole_first = first_missing;
      if (s.lost_through >= first_missing) {
        const uint64_t lost_last = std::min(s.lost_through, seq - 1);
        c.unrecoverable += lost_last - first_missing + 1;
        hole_first = lost_last + 1;
      }
      if (hole_first < seq) {
        s.holes.emplace(hole_first, seq - 1);
        if (s.holes.size() > kMaxHoles) s.holes.erase(s.holes.begin());
        Want(sensor_id, key, {hole_first, seq - 1});
      }
      verdict = SeqVerdict::kGap;
    }
    s.last_seq = seq;
  } else {
    // seq <= last_seq: it fills a hole counted as lost, or it is a duplicate, or the sequence
    // went back further than any duplicate could.
    auto hole = s.holes.upper_bound(seq);
    bool filled = false;
    if (hole != s.holes.begin()) {
      --hole;
      const uint64_t first = hole->first;
      const uint64_t last = hole->second;
      if (seq >= first && seq <= last) {
        s.holes.erase(hole);
        if (seq > first) s.holes.emplace(first, seq - 1);
        if (seq < last) s.holes.emplace(seq + 1, last);
        if (s.holes.size() > kMaxHoles) s.holes.erase(s.holes.begin());
        if (c.gaps > 0) --c.gaps;
        filled = true;
        verdict = SeqVerdict::kLate;
      }
    }
    if (!filled && s.last_seq - seq > kMaxPlausibleJump) {
      ++c.resyncs;
      s.holes.erase(s.holes.lower_bound(seq), s.holes.end());
      s.last_seq = seq;
      verdict = SeqVerdict::kResync;
    } else if (!filled) {
      if (!resent) ++c.duplicates;
      return SeqVerdict::kDuplicate;
    }
  }
  if (resent) ++c.recovered;
  if (key == InstanceKey(c.instance_id, c.sensor_start_ns)) c.last_seq = s.last_seq;
  if (restarted) return SeqVerdict::kRestart;
  if (conflict) return SeqVerdict::kConflict;
  return verdict;
}

void SequenceTracker::GiveUp(std::string_view sensor_id, uint64_t instance_id, SeqRange range) {
  auto by_id = instances_.find(sensor_id);
  if (by_id == instances_.end()) return;
  auto it = by_id->second.find(instance_id);
  if (it == by_id->second.end()) return;
  auto& holes = it->second.holes;
  SensorCounters& c = MutableCounters(sensor_id);
  if (range.last > it->second.last_seq) {
    it->second.lost_through = std::max(it->second.lost_through, range.last);
  }
  // Every hole overlapping the range loses the overlap.
  auto hole = holes.upper_bound(range.first);
  if (hole != holes.begin()) --hole;
  while (hole != holes.end() && hole->first <= range.last) {
    const uint64_t first = hole->first;
    const uint64_t last = hole->second;
    if (last < range.first) {
      ++hole;
      continue;
    }
    const uint64_t from = std::max(first, range.first);
    const uint64_t to = std::min(last, range.last);
    c.unrecoverable += to - from + 1;
    hole = holes.erase(hole);
    if (first < from) holes.emplace(first, from - 1);
    if (last > to) hole = holes.emplace(to + 1, last).first;
  }
}

}  // namespace tapwatch::collector
