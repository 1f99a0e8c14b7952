#pragma once
// Per-sensor sequence accounting. Every Envelope carries (sensor_id, instance_id,
// sensor_start_ns, seq) with seq = 1, 2, 3, ... for every record of any kind, per sensor
// process, so the collector can tell exactly what it missed (a jump), what it saw twice (a seq at
// or below the highest seen that fills no hole) and when a sensor restarted (a new instance with
// a newer sensor_start_ns: its sequence starts again at 1).
//
// The stream is not trusted: a jump larger than any real loss (kMaxPlausibleJump, either way) is
// a resynchronisation, never billions lost; two live processes sending under one sensor_id are a
// conflict, each keeping its own sequence, so neither hides the other's losses. The holes are
// remembered (and persisted by the store), so a record is stored at most once per
// (sensor_id, instance, seq) even across collector restarts, and the holes can be asked for again.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tapwatch::collector {

/// What one record did to its sensor's accounting.
enum class SeqVerdict {
  kInOrder,    // seq == last_seq + 1 (or the first record of a run with seq 1)
  kGap,        // seq jumped ahead: the records in between count as lost (until they come late)
  kLate,       // seq fills a hole counted as lost earlier: lost goes down by one
  kDuplicate,  // seq already seen: not stored again
  kRestart,    // a new instance with a newer sensor_start_ns: the sequence restarted
  kResync,     // an implausible jump: the sequence is taken up from here, nothing counted lost
  kConflict,   // first record of a second live process under the sensor_id (said once each)
};

/// Records further apart than this in one sequence are not a loss: no sensor publishes this many
/// records while a collector misses them (a million-flow replay is 10^6), and a forged or
/// corrupted seq must not count 2^64 records lost.
inline constexpr uint64_t kMaxPlausibleJump = uint64_t{1} << 28;

/// Inclusive sequence range.
struct SeqRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t size() const { return last - first + 1; }
};

/// Counters for one sensor id, as kept in the `sensors` table.
struct SensorCounters {
  uint64_t sensor_start_ns = 0;  // of the newest instance
  uint64_t instance_id = 0;      // the newest instance (its key: see InstanceKey)
  uint64_t received = 0;         // records received (every verdict)
  uint64_t gaps = 0;             // records lost: sum of seq jumps, minus late arrivals
  uint64_t duplicates = 0;       // records whose seq had already been seen
  uint64_t restarts = 0;         // newer instances seen after the first
  uint64_t last_seq = 0;         // highest seq seen of the newest instance
  uint64_t final_records = 0;    // StatsRecord.final seen (counted by the caller)
  uint64_t resyncs = 0;          // implausible jumps
  uint64_t conflicts = 0;        // instances still sending after a newer one took over the id
  uint64_t recovered = 0;        // records stored that a sensor sent again on request
  uint64_t unrecoverable = 0;    // of gaps: records the sensor said had left its buffer
};

/// Sequence state of one sensor process, as kept in the `sensor_instances` table.
struct InstanceState {
  uint64_t sensor_start_ns = 0;
  uint64_t last_seq = 0;
  std::map<uint64_t, uint64_t> holes;  // first missing seq -> last missing seq (inclusive)
  bool conflicting = false;            // counted once in SensorCounters::conflicts
  bool seen_this_run = false;          // restored from the store: not yet heard from
  bool final_seen = false;             // its final stats record arrived: it sends no more
  // The sensor said everything missing up to here had left its buffer, also past last_seq (a
  // restarted collector asks before the stream shows the gap): a gap below it is lost for good.
  uint64_t lost_through = 0;
  std::string resend_endpoint;         // where it answers resend requests (empty: nowhere)

  /// Highest seq below which everything was received (the resend starting point).
  uint64_t contiguous_seq() const { return holes.empty() ? last_seq : holes.begin()->first - 1; }
};

/// A range a sensor instance should be asked to send again.
struct WantedRange {
  std::string sensor_id;
  uint64_t instance_id = 0;
  SeqRange range;
};

/// The key of an instance: its instance_id, or for a sensor that sends none its start time.
inline uint64_t InstanceKey(uint64_t instance_id, uint64_t sensor_start_ns) {
  return instance_id != 0 ? instance_id : sensor_start_ns;
}

class SequenceTracker {
 public:
  /// Holes remembered per instance for late arrivals; beyond this the oldest hole is forgotten
  /// (its records stay counted as lost, and a late copy would count as a duplicate).
  static constexpr size_t kMaxHoles = 4096;
  /// Instances remembered per sensor id; beyond this the one started first is forgotten.
  static constexpr size_t kMaxInstances = 16;

  /// Accounts one record. `instance_id` and `sensor_start_ns` 0 mean "unknown". A record sent
  /// again on request (`resent`) that was already stored is no stream duplicate: not counted.
  SeqVerdict Observe(std::string_view sensor_id, uint64_t instance_id, uint64_t sensor_start_ns,
                     uint64_t seq, bool resent = false);
  /// Without an instance id (older sensors): the start time tells instances apart.
  SeqVerdict Observe(std::string_view sensor_id, uint64_t sensor_start_ns, uint64_t seq) {
    return Observe(sensor_id, 0, sensor_start_ns, seq);
  }

  /// The sensor said the records of `range` have left its buffer: they stay lost, counted as
  /// unrecoverable, and are not asked for again.
  void GiveUp(std::string_view sensor_id, uint64_t instance_id, SeqRange range);

  /// Seeds a sensor's counters and its instances (e.g. from an existing store) before any
  /// Observe for it.
  void Restore(const std::string& sensor_id, const SensorCounters& counters);
  void RestoreInstance(const std::string& sensor_id, uint64_t instance_key,
                       const InstanceState& state);

  /// Mutable access for counters the tracker does not compute itself (final_records).
  SensorCounters& MutableCounters(std::string_view sensor_id);
  /// An instance already observed (nullptr if none), for what the caller keeps in it.
  InstanceState* FindInstance(std::string_view sensor_id, uint64_t instance_key);

  /// After a restore: every instance that has a resend endpoint and has not sent its final
  /// record may hold what the store lacks (a collector killed while the sensor went on): its
  /// holes and everything after its last seq are wanted now, without waiting to hear from it.
  /// Returns those instances' (sensor_id, key, endpoint).
  struct Unfinished {
    std::string sensor_id;
    uint64_t instance_key;
    std::string endpoint;
  };
  std::vector<Unfinished> WantUnfinished();

  /// Ranges to ask for again, found since the last call: new holes, and the holes (and the part
  /// after the last seq) of a restored instance when it is heard from again.
  std::vector<WantedRange> TakeWanted();

  const std::map<std::string, SensorCounters, std::less<>>& sensors() const { return sensors_; }
  /// Instances per sensor id, by key.
  const std::map<std::string, std::map<uint64_t, InstanceState>, std::less<>>& instances() const {
    return instances_;
  }

 private:
  void Forget(std::map<uint64_t, InstanceState>& instances, uint64_t keep);
  void Want(std::string_view sensor_id, uint64_t key, SeqRange range);

  std::map<std::string, SensorCounters, std::less<>> sensors_;
  std::map<std::string, std::map<uint64_t, InstanceState>, std::less<>> instances_;
  std::vector<WantedRange> wanted_;
};

}  // namespace tapwatch::collector
