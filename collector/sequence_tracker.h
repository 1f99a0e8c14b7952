#pragma once
// Per-sensor sequence accounting. Every Envelope carries (sensor_id, sensor_start_ns, seq) with
// seq = 1, 2, 3, ... for every record of any kind, so the collector can tell exactly what it
// missed (a jump), what it saw twice (a seq at or below the highest seen that fills no hole) and
// when a sensor restarted (a newer sensor_start_ns: its sequence starts again at 1).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace tapwatch::collector {

/// What one record did to its sensor's accounting.
enum class SeqVerdict {
  kInOrder,    // seq == last_seq + 1 (or the first record of a run with seq 1)
  kGap,        // seq jumped ahead: the records in between count as lost
  kLate,       // seq fills a hole counted as lost earlier: lost goes down by one
  kDuplicate,  // seq already seen
  kRestart,    // a newer sensor_start_ns: the sequence restarted (and may also have jumped)
  kStale,      // an older sensor_start_ns than the current run: counted as received only
};

/// Counters for one sensor, as kept in the `sensors` table.
struct SensorCounters {
  uint64_t sensor_start_ns = 0;
  uint64_t received = 0;       // records received (every verdict)
  uint64_t gaps = 0;           // records lost: sum of seq jumps, minus late arrivals
  uint64_t duplicates = 0;     // records whose seq had already been seen
  uint64_t restarts = 0;       // newer sensor_start_ns seen after the first
  uint64_t last_seq = 0;       // highest seq seen in the current run
  uint64_t final_records = 0;  // StatsRecord.final seen (counted by the caller)
};

class SequenceTracker {
 public:
  /// Holes remembered per sensor for late arrivals; beyond this the oldest hole is forgotten
  /// (its records stay counted as lost, and a late copy would count as a duplicate).
  static constexpr size_t kMaxHoles = 4096;

  /// Accounts one record. `sensor_start_ns` 0 means "unknown" and never signals a restart.
  SeqVerdict Observe(std::string_view sensor_id, uint64_t sensor_start_ns, uint64_t seq);

  /// Seeds a sensor's counters (e.g. from an existing store) before any Observe for it.
  void Restore(const std::string& sensor_id, const SensorCounters& counters);

  /// Mutable access for counters the tracker does not compute itself (final_records).
  SensorCounters& MutableCounters(std::string_view sensor_id);

  const std::map<std::string, SensorCounters, std::less<>>& sensors() const { return sensors_; }

 private:
  struct Holes {
    std::map<uint64_t, uint64_t> ranges;  // first missing seq -> last missing seq (inclusive)
  };
  std::map<std::string, SensorCounters, std::less<>> sensors_;
  std::map<std::string, Holes, std::less<>> holes_;
};

}  // namespace tapwatch::collector
