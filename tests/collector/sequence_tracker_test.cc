// Sequence accounting against hand-computed expectations: seq starts at 1 and rises by one per
// record, so lost = sum of jumps, duplicates = seqs seen twice, restart = newer sensor_start_ns.
#include "collector/sequence_tracker.h"

#include <gtest/gtest.h>

namespace tapwatch::collector {
namespace {

constexpr uint64_t kRun1 = 1000;
constexpr uint64_t kRun2 = 2000;

const SensorCounters& Of(const SequenceTracker& t, const std::string& id) {
  return t.sensors().at(id);
}

TEST(SequenceTracker, InOrderRunHasNoLossOrDuplicates) {
  SequenceTracker t;
  for (uint64_t seq = 1; seq <= 100; ++seq) {
    EXPECT_EQ(t.Observe("s", kRun1, seq), SeqVerdict::kInOrder) << seq;
  }
  EXPECT_EQ(Of(t, "s").received, 100u);
  EXPECT_EQ(Of(t, "s").gaps, 0u);
  EXPECT_EQ(Of(t, "s").duplicates, 0u);
  EXPECT_EQ(Of(t, "s").last_seq, 100u);
}

TEST(SequenceTracker, JumpsCountTheSkippedRecords) {
  SequenceTracker t;
  // 1 2 _ _ 5 6 _ 8: seqs 3, 4 and 7 were lost.
  for (uint64_t seq : {1, 2}) t.Observe("s", kRun1, seq);
  EXPECT_EQ(t.Observe("s", kRun1, 5), SeqVerdict::kGap);
  EXPECT_EQ(t.Observe("s", kRun1, 6), SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe("s", kRun1, 8), SeqVerdict::kGap);
  EXPECT_EQ(Of(t, "s").received, 5u);
  EXPECT_EQ(Of(t, "s").gaps, 3u);
  EXPECT_EQ(Of(t, "s").duplicates, 0u);
}

TEST(SequenceTracker, FirstRecordAfterTheStartCountsEarlierOnesAsLost) {
  SequenceTracker t;
  EXPECT_EQ(t.Observe("s", kRun1, 11), SeqVerdict::kGap);  // 1..10 never arrived
  EXPECT_EQ(Of(t, "s").gaps, 10u);
}

TEST(SequenceTracker, RepeatedSeqsAreDuplicates) {
  SequenceTracker t;
  for (uint64_t seq : {1, 2, 3}) t.Observe("s", kRun1, seq);
  EXPECT_EQ(t.Observe("s", kRun1, 3), SeqVerdict::kDuplicate);
  EXPECT_EQ(t.Observe("s", kRun1, 1), SeqVerdict::kDuplicate);
  EXPECT_EQ(t.Observe("s", kRun1, 4), SeqVerdict::kInOrder);
  EXPECT_EQ(Of(t, "s").received, 6u);
  EXPECT_EQ(Of(t, "s").duplicates, 2u);
  EXPECT_EQ(Of(t, "s").gaps, 0u);
}

TEST(SequenceTracker, LateArrivalFillsAHoleOnceThenIsADuplicate) {
  SequenceTracker t;
  t.Observe("s", kRun1, 1);
  t.Observe("s", kRun1, 5);  // 2, 3, 4 missing
  EXPECT_EQ(Of(t, "s").gaps, 3u);
  EXPECT_EQ(t.Observe("s", kRun1, 3), SeqVerdict::kLate);
  EXPECT_EQ(Of(t, "s").gaps, 2u);
  EXPECT_EQ(t.Observe("s", kRun1, 3), SeqVerdict::kDuplicate);
  EXPECT_EQ(t.Observe("s", kRun1, 2), SeqVerdict::kLate);
  EXPECT_EQ(t.Observe("s", kRun1, 4), SeqVerdict::kLate);
  EXPECT_EQ(Of(t, "s").gaps, 0u);
  EXPECT_EQ(Of(t, "s").duplicates, 1u);
  EXPECT_EQ(Of(t, "s").received, 6u);
}

TEST(SequenceTracker, NewerStartTimeIsARestartNotAGapOrDuplicate) {
  SequenceTracker t;
  for (uint64_t seq = 1; seq <= 50; ++seq) t.Observe("s", kRun1, seq);
  EXPECT_EQ(t.Observe("s", kRun2, 1), SeqVerdict::kRestart);
  EXPECT_EQ(t.Observe("s", kRun2, 2), SeqVerdict::kInOrder);
  EXPECT_EQ(Of(t, "s").restarts, 1u);
  EXPECT_EQ(Of(t, "s").gaps, 0u);
  EXPECT_EQ(Of(t, "s").duplicates, 0u);
  EXPECT_EQ(Of(t, "s").sensor_start_ns, kRun2);
  EXPECT_EQ(Of(t, "s").last_seq, 2u);
  // A straggler from the old run is received but changes nothing else.
  EXPECT_EQ(t.Observe("s", kRun1, 51), SeqVerdict::kStale);
  EXPECT_EQ(Of(t, "s").received, 53u);
  EXPECT_EQ(Of(t, "s").last_seq, 2u);
}

TEST(SequenceTracker, RestartThatAlsoLostItsFirstRecords) {
  SequenceTracker t;
  t.Observe("s", kRun1, 1);
  EXPECT_EQ(t.Observe("s", kRun2, 4), SeqVerdict::kRestart);
  EXPECT_EQ(Of(t, "s").gaps, 3u);
}

TEST(SequenceTracker, SensorsAreIndependent) {
  SequenceTracker t;
  t.Observe("a", kRun1, 1);
  t.Observe("b", kRun1, 1);
  t.Observe("a", kRun1, 3);
  t.Observe("b", kRun1, 2);
  t.Observe("b", kRun1, 2);
  EXPECT_EQ(Of(t, "a").gaps, 1u);
  EXPECT_EQ(Of(t, "a").duplicates, 0u);
  EXPECT_EQ(Of(t, "b").gaps, 0u);
  EXPECT_EQ(Of(t, "b").duplicates, 1u);
}

TEST(SequenceTracker, RestoredCountersContinue) {
  SequenceTracker t;
  SensorCounters c;
  c.sensor_start_ns = kRun1;
  c.received = 10;
  c.last_seq = 10;
  c.gaps = 1;
  t.Restore("s", c);
  EXPECT_EQ(t.Observe("s", kRun1, 11), SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe("s", kRun1, 14), SeqVerdict::kGap);
  EXPECT_EQ(Of(t, "s").received, 12u);
  EXPECT_EQ(Of(t, "s").gaps, 3u);
}

TEST(SequenceTracker, ManyHolesStayBounded) {
  SequenceTracker t;
  // Every other seq lost: far more holes than are remembered; the count stays exact.
  for (uint64_t seq = 1; seq <= 2 * (SequenceTracker::kMaxHoles + 100); seq += 2) {
    t.Observe("s", kRun1, seq);
  }
  EXPECT_EQ(Of(t, "s").gaps, SequenceTracker::kMaxHoles + 99);
}

}  // namespace
}  // namespace tapwatch::collector
