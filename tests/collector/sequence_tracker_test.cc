// Sequence accounting against hand-computed expectations: seq starts at 1 and rises by one per
// record, so lost = sum of jumps, duplicates = seqs seen twice, restart = newer sensor_start_ns,
// and a stream that lies (forged seqs, two processes under one id) cannot inflate or hide losses.
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
  // The old run still sending after the new one took over: a second live process, a conflict.
  EXPECT_EQ(t.Observe("s", kRun1, 51), SeqVerdict::kConflict);
  EXPECT_EQ(Of(t, "s").received, 53u);
  EXPECT_EQ(Of(t, "s").last_seq, 2u);
  EXPECT_EQ(Of(t, "s").conflicts, 1u);
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

TEST(SequenceTracker, ForgedHugeSeqIsAResyncNotBillionsLost) {
  SequenceTracker t;
  for (uint64_t seq = 1; seq <= 10; ++seq) t.Observe("s", kRun1, seq);
  // The tester's forged record: 2^64 - 5 would have counted 18446744073709551601 lost.
  EXPECT_EQ(t.Observe("s", kRun1, UINT64_MAX - 4), SeqVerdict::kResync);
  // The genuine sequence goes on: back by far more than any duplicate, a second resync.
  EXPECT_EQ(t.Observe("s", kRun1, 11), SeqVerdict::kResync);
  EXPECT_EQ(t.Observe("s", kRun1, 12), SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe("s", kRun1, 14), SeqVerdict::kGap);
  EXPECT_EQ(Of(t, "s").resyncs, 2u);
  EXPECT_EQ(Of(t, "s").gaps, 1u);  // 13 only
  EXPECT_EQ(Of(t, "s").received, 14u);
}

TEST(SequenceTracker, FirstRecordFarAlongIsAResync) {
  SequenceTracker t;
  EXPECT_EQ(t.Observe("s", 7, kRun1, kMaxPlausibleJump + 2), SeqVerdict::kResync);
  EXPECT_EQ(Of(t, "s").gaps, 0u);
  // Right at the bound it is still a loss.
  EXPECT_EQ(t.Observe("z", 7, kRun1, kMaxPlausibleJump + 1), SeqVerdict::kGap);
  EXPECT_EQ(Of(t, "z").gaps, kMaxPlausibleJump);
}

TEST(SequenceTracker, TwoLiveProcessesWithOneIdKeepTheirOwnLosses) {
  SequenceTracker t;
  // Process A (instance 11, started first) and B (instance 22) interleave under id "s".
  // A loses 3 (seq 4..6), B loses 1 (seq 3); with one sequence for both these would hide.
  const uint64_t a = 11;
  const uint64_t b = 22;
  EXPECT_EQ(t.Observe("s", a, kRun1, 1), SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe("s", a, kRun1, 2), SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe("s", b, kRun2, 1), SeqVerdict::kRestart);
  EXPECT_EQ(t.Observe("s", a, kRun1, 3), SeqVerdict::kConflict);
  EXPECT_EQ(t.Observe("s", b, kRun2, 2), SeqVerdict::kInOrder);
  EXPECT_EQ(t.Observe("s", a, kRun1, 7), SeqVerdict::kGap);
  EXPECT_EQ(t.Observe("s", b, kRun2, 4), SeqVerdict::kGap);
  EXPECT_EQ(t.Observe("s", a, kRun1, 8), SeqVerdict::kInOrder);
  EXPECT_EQ(Of(t, "s").gaps, 4u);
  EXPECT_EQ(Of(t, "s").duplicates, 0u);
  EXPECT_EQ(Of(t, "s").conflicts, 1u);
  EXPECT_EQ(Of(t, "s").received, 8u);
  // Same start time, different processes: still told apart by the instance id.
  SequenceTracker same;
  same.Observe("x", a, kRun1, 1);
  EXPECT_EQ(same.Observe("x", b, kRun1, 1), SeqVerdict::kConflict);
  EXPECT_EQ(same.Observe("x", a, kRun1, 2), SeqVerdict::kInOrder);
  EXPECT_EQ(Of(same, "x").duplicates, 0u);
  EXPECT_EQ(Of(same, "x").conflicts, 1u);
}

TEST(SequenceTracker, GapsAreWantedOnceAndGivingUpCountsUnrecoverable) {
  SequenceTracker t;
  t.Observe("s", 5, kRun1, 1);
  t.Observe("s", 5, kRun1, 10);  // 2..9 missing
  std::vector<WantedRange> wanted = t.TakeWanted();
  ASSERT_EQ(wanted.size(), 1u);
  EXPECT_EQ(wanted[0].sensor_id, "s");
  EXPECT_EQ(wanted[0].instance_id, 5u);
  EXPECT_EQ(wanted[0].range.first, 2u);
  EXPECT_EQ(wanted[0].range.last, 9u);
  EXPECT_TRUE(t.TakeWanted().empty());
  // 6..9 come back; the sensor no longer had 2..4; 5 is still missing.
  for (uint64_t seq = 6; seq <= 9; ++seq) {
    EXPECT_EQ(t.Observe("s", 5, kRun1, seq, /*resent=*/true), SeqVerdict::kLate);
  }
  // A copy sent again of a record already stored is no stream duplicate.
  EXPECT_EQ(t.Observe("s", 5, kRun1, 7, /*resent=*/true), SeqVerdict::kDuplicate);
  EXPECT_EQ(Of(t, "s").duplicates, 0u);
  t.GiveUp("s", 5, {1, 4});
  EXPECT_EQ(Of(t, "s").gaps, 4u);
  EXPECT_EQ(Of(t, "s").recovered, 4u);
  EXPECT_EQ(Of(t, "s").unrecoverable, 3u);
  const InstanceState& s = t.instances().at("s").at(5);
  ASSERT_EQ(s.holes.size(), 1u);
  EXPECT_EQ(s.holes.begin()->first, 5u);
  EXPECT_EQ(s.contiguous_seq(), 4u);
  // A copy of a given-up seq is not stored as new: it is a duplicate.
  EXPECT_EQ(t.Observe("s", 5, kRun1, 3), SeqVerdict::kDuplicate);
  // Given up before the stream showed the gap (a restarted collector asks at once): the gap,
  // when it shows, is unrecoverable up to where the sensor said, and only the rest is wanted.
  t.TakeWanted();
  t.GiveUp("s", 5, {11, 20});
  EXPECT_EQ(t.Observe("s", 5, kRun1, 31), SeqVerdict::kGap);
  EXPECT_EQ(Of(t, "s").gaps, 4u + 20u);
  EXPECT_EQ(Of(t, "s").unrecoverable, 3u + 10u);
  const std::vector<WantedRange> wanted_after = t.TakeWanted();
  ASSERT_EQ(wanted_after.size(), 1u);
  EXPECT_EQ(wanted_after[0].range.first, 21u);
  EXPECT_EQ(wanted_after[0].range.last, 30u);
}

TEST(SequenceTracker, RestoredInstanceAsksForItsHolesWhenHeardFromAgain) {
  SequenceTracker t;
  SensorCounters c;
  c.instance_id = 9;
  c.sensor_start_ns = kRun1;
  c.last_seq = 100;
  c.gaps = 5;
  t.Restore("s", c);
  InstanceState s;
  s.sensor_start_ns = kRun1;
  s.last_seq = 100;
  s.holes = {{40, 44}};
  t.RestoreInstance("s", 9, s);
  EXPECT_TRUE(t.TakeWanted().empty());
  // After the collector restart the sensor is at 150: 41 came late, 101..149 are new holes.
  EXPECT_EQ(t.Observe("s", 9, kRun1, 150), SeqVerdict::kGap);
  const std::vector<WantedRange> wanted = t.TakeWanted();
  ASSERT_EQ(wanted.size(), 2u);
  EXPECT_EQ(wanted[0].range.first, 40u);
  EXPECT_EQ(wanted[0].range.last, 44u);
  EXPECT_EQ(wanted[1].range.first, 101u);
  EXPECT_EQ(wanted[1].range.last, 149u);
  EXPECT_EQ(t.Observe("s", 9, kRun1, 50), SeqVerdict::kDuplicate);  // stored before the restart
  EXPECT_EQ(t.Observe("s", 9, kRun1, 42), SeqVerdict::kLate);
  EXPECT_EQ(Of(t, "s").gaps, 5u + 49u - 1u);
}

}  // namespace
}  // namespace tapwatch::collector
