// Zeek conn_state/history and Argus state/flags for hand-built packet sequences. Expected values
// are derived by hand from Zeek's rules (main.zeek conn_state, TCPSessionAdapter endpoint
// transitions and update_history letters) and Argus's ArgusGetTCPStatus precedence, not from the
// code.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flow_test_util.h"

namespace tapwatch::flowtable {
namespace {

using namespace testing;  // NOLINT
using decoders::kTcpAck;
using decoders::kTcpFin;
using decoders::kTcpPsh;
using decoders::kTcpRst;
using decoders::kTcpSyn;

constexpr uint8_t S = kTcpSyn, SA = kTcpSyn | kTcpAck, A = kTcpAck, PA = kTcpPsh | kTcpAck,
                  FA = kTcpFin | kTcpAck, F = kTcpFin, R = kTcpRst, RA = kTcpRst | kTcpAck;

struct Step {
  bool from_a;  // sent by 10.0.0.1:1025 (else by 10.0.0.2:445)
  uint8_t flags;
  uint32_t payload = 0;
  uint32_t seq = 1000;
};

// Runs the steps (1 ms apart) through a table and returns the single exported record.
Rec RunSteps(const std::vector<Step>& steps, bool idle_out = false) {
  FlowTableConfig cfg;
  cfg.capacity_log2 = 6;
  cfg.hash_seed = 1;
  cfg.timeouts.active_ns = 0;  // one record per flow
  FlowTable table(cfg);
  RecordingSink sink(&table);
  uint64_t t = 1000 * kSec;
  for (const Step& s : steps) {
    const auto pkt = s.from_a
                         ? Tcp("10.0.0.1", 1025, "10.0.0.2", 445, s.flags, t, s.payload, s.seq)
                         : Tcp("10.0.0.2", 445, "10.0.0.1", 1025, s.flags, t, s.payload, s.seq);
    table.Update(pkt, sink);
    t += 1'000'000;
  }
  if (idle_out) table.Advance(t + 3600 * kSec, sink);
  table.FlushAll(sink);
  EXPECT_EQ(sink.records.size(), 1u);
  return sink.records.empty() ? Rec{} : sink.records[0];
}

struct Row {
  const char* name;
  std::vector<Step> steps;
  const char* conn_state;
  const char* history;
  const char* argus_state;  // end of input (shutdown)
  const char* argus_flags;
};

class ConnStateTable : public ::testing::TestWithParam<Row> {};

TEST_P(ConnStateTable, MatchesPriorArtRules) {
  const Row& row = GetParam();
  const Rec r = RunSteps(row.steps);
  EXPECT_EQ(r.conn_state, row.conn_state) << row.name;
  EXPECT_EQ(r.history, row.history) << row.name;
  EXPECT_EQ(r.argus_state, row.argus_state) << row.name;
  EXPECT_EQ(r.argus_flags, row.argus_flags) << row.name;
  // The initiator is always 10.0.0.1:1025 in these rows (SYN sender or SYN-ACK receiver).
  EXPECT_EQ(r.src, "10.0.0.1") << row.name;
  EXPECT_EQ(r.sport, 1025) << row.name;
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    PriorArt4a, ConnStateTable,
    ::testing::Values(
        // S0: attempt, no reply. 4b "S / S0"; 4c REQ; -Z b "S_".
        Row{"S0", {{true, S}}, "S0", "S", "REQ", "S_"},
        // S1: established, not terminated. SYN-ACK without a completing ACK yet is ACC.
        Row{"S1", {{true, S}, {false, SA}, {true, A}}, "S1", "ShA", "CON", "SA_SA"},
        Row{"S1_acc", {{true, S}, {false, SA}}, "S1", "Sh", "ACC", "S_SA"},
        // SF: 4b "ShADdFf / SF"; 4c FIN; -Z b FSPA_FSPA.
        Row{"SF", {{true, S}, {false, SA}, {true, A, 0, 1001}, {true, PA, 100, 1001},
                   {false, PA, 200, 1001},
                   {true, FA, 0, 1101}, {false, FA, 0, 1201}, {true, A}},
            "SF", "ShADdFf", "FIN", "FSPA_FSPA"},
        // REJ: 4b "Sr / REJ"; 4c RST; -Z b "S_RA".
        Row{"REJ", {{true, S}, {false, RA}}, "REJ", "Sr", "RST", "S_RA"},
        Row{"S2", {{true, S}, {false, SA}, {true, A}, {true, FA}}, "S2", "ShAF", "FIN", "FSA_SA"},
        Row{"S3", {{true, S}, {false, SA}, {true, A}, {false, FA}}, "S3", "ShAf", "FIN", "SA_FSA"},
        Row{"RSTO", {{true, S}, {false, SA}, {true, A}, {true, R}}, "RSTO", "ShAR", "RST",
            "SRA_SA"},
        Row{"RSTR", {{true, S}, {false, SA}, {true, A}, {false, R}}, "RSTR", "ShAr", "RST",
            "SA_SRA"},
        Row{"RSTOS0", {{true, S}, {true, R}}, "RSTOS0", "SR", "RST", "SR_"},
        // RSTRH: SYN-ACK then RST from the responder, no SYN: Zeek marks the flip with '^'.
        Row{"RSTRH", {{false, SA}, {false, R}}, "RSTRH", "^hr", "RST", "_SRA"},
        Row{"SH", {{true, S}, {true, F}}, "SH", "SF", "FIN", "FS_"},
        Row{"SHR", {{false, SA}, {false, FA}}, "SHR", "^hf", "FIN", "_FSA"},
        // OTH: 4b "D / OTH" (bare ACK with payload); 4c CON.
        Row{"OTH", {{true, PA, 50}}, "OTH", "D", "CON", "PA_"},
        // 4c "A_RPA": the source sent only ACKs, the destination RST+PSH+ACK.
        // Rule 4a: responder RESET with the originator only PARTIAL gives RSTRH.
        Row{"A_RPA", {{true, A}, {false, R | PA}}, "RSTRH", "Ar", "RST", "A_RPA"}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });
// clang-format on

TEST(ArgusState, IdleTimedOutEstablishedFlowIsTim) {
  const Rec r = RunSteps({{true, S}, {false, SA}, {true, A}}, /*idle_out=*/true);
  EXPECT_EQ(r.why, EndReason::kIdle);
  EXPECT_EQ(r.argus_state, "TIM");
}

// argus 3.0.8 on a capture whose lone SYN, retransmitted SYN and SYN + SYN-ACK went idle for
// 300 s printed REQ, REQ and ACC: an unfinished handshake keeps its stage.
TEST(ArgusState, IdleTimedOutHandshakeKeepsItsStage) {
  const std::vector<Step> lone = {{true, S}}, resent = {{true, S}, {true, S}};
  for (const auto& steps : {lone, resent}) {
    const Rec r = RunSteps(steps, /*idle_out=*/true);
    EXPECT_EQ(r.why, EndReason::kIdle);
    EXPECT_EQ(r.argus_state, "REQ");
    EXPECT_EQ(r.conn_state, "S0");
  }
  const Rec acc = RunSteps({{true, S}, {false, SA}}, /*idle_out=*/true);
  EXPECT_EQ(acc.why, EndReason::kIdle);
  EXPECT_EQ(acc.argus_state, "ACC");
  // Nothing from the handshake: still TIM.
  const Rec mid = RunSteps({{true, A}}, /*idle_out=*/true);
  EXPECT_EQ(mid.argus_state, "TIM");
}

TEST(ArgusState, UdpOneWayIsIntBothWaysIsCon) {
  FlowTableConfig cfg;
  cfg.capacity_log2 = 6;
  FlowTable table(cfg);
  RecordingSink sink;
  table.Update(Udp("10.0.0.1", 137, "10.0.0.255", 137, kSec), sink);
  table.Update(Udp("10.0.0.1", 5000, "10.0.0.2", 53, kSec), sink);
  table.Update(Udp("10.0.0.2", 53, "10.0.0.1", 5000, 2 * kSec), sink);
  table.FlushAll(sink);
  ASSERT_EQ(sink.records.size(), 2u);
  for (const Rec& r : sink.records) {
    if (r.sport == 137) {
      EXPECT_EQ(r.argus_state, "INT");
      EXPECT_EQ(r.conn_state, "S0");
      EXPECT_EQ(r.history, "D");
    } else {
      EXPECT_EQ(r.argus_state, "CON");
      EXPECT_EQ(r.conn_state, "SF");
      EXPECT_EQ(r.history, "Dd");
    }
  }
}

TEST(ZeekHistory, SynRetransmissionWithSameSeqIsNotRepeated) {
  EXPECT_EQ(RunSteps({{true, S, 0, 7}, {true, S, 0, 7}}).history, "S");
  EXPECT_EQ(RunSteps({{true, S, 0, 7}, {true, S, 0, 9000}}).history, "SS");
}

TEST(ZeekHistory, FinRepeatsOnlyWithNewSequenceNumber) {
  EXPECT_EQ(RunSteps({{true, S}, {false, SA}, {true, A}, {true, FA, 0, 2000}, {true, FA, 0, 2000}})
                .history,
            "ShAF");
  EXPECT_EQ(RunSteps({{true, S}, {false, SA}, {true, A}, {true, FA, 0, 2000}, {true, FA, 0, 3000}})
                .history,
            "ShAFF");
}

// Zeek T/t: payload that starts before what the side already sent. Sequence numbers follow a
// real handshake: a's ISN 1000 (data from 1001), b's ISN 5000 (data from 5001).
TEST(ZeekHistory, RetransmittedPayloadIsTOncePerDirection) {
  const std::vector<Step> open = {{true, S, 0, 1000}, {false, SA, 0, 5000}, {true, A, 0, 1001}};
  auto with = [&](std::vector<Step> more) {
    std::vector<Step> all = open;
    all.insert(all.end(), more.begin(), more.end());
    return RunSteps(all).history;
  };
  // In order, both ways: no T.
  EXPECT_EQ(with({{true, PA, 100, 1001}, {true, PA, 100, 1101}, {false, PA, 50, 5001}}), "ShADd");
  // The originator resends its first segment, then the responder its own; a second
  // retransmission adds nothing (once per direction).
  EXPECT_EQ(with({{true, PA, 100, 1001}, {true, PA, 100, 1001}, {false, PA, 50, 5001},
                  {false, PA, 50, 5001}, {true, PA, 100, 1001}, {true, PA, 60, 1050}}),
            "ShADTdt");
  // A segment that overlaps the front only partly is a retransmission too.
  EXPECT_EQ(with({{true, PA, 100, 1001}, {true, PA, 100, 1051}}), "ShADT");
  // Keep-alives (one byte or none, one below the front) and a resent SYN carry no new payload.
  EXPECT_EQ(with({{true, PA, 100, 1001}, {true, A, 1, 1100}, {true, A, 0, 1100}}), "ShAD");
  EXPECT_EQ(RunSteps({{true, S, 0, 1000}, {true, S, 0, 1000}}).history, "S");
  // Sequence numbers that wrap through 2^32 are still in order.
  EXPECT_EQ(RunSteps({{true, S, 0, 0xFFFFFFF0u}, {false, SA, 0, 5000}, {true, PA, 100, 0xFFFFFFF1u},
                      {true, PA, 100, 0x55u}})
                .history,
            "ShD");
  // A segment 4 MiB ahead (a capture gap) is not behind; data from before the gap then is.
  EXPECT_EQ(with({{true, PA, 100, 1001}, {true, PA, 100, 1001 + (4u << 20)},
                  {true, PA, 100, 1101}}),
            "ShADT");
}

TEST(ZeekHistory, MultiFlagPacketsAreIAndQ) {
  EXPECT_EQ(RunSteps({{true, S}, {false, SA}, {true, FA | R}}).history, "ShI");
  EXPECT_EQ(RunSteps({{true, S | F}}).history, "Q");
}

TEST(ZeekConnState, FinThenRstFromOriginatorAfterPeerFinIsStillSf) {
  // Both sides FIN, then a RST from the originator: Zeek keeps CLOSED (peer already CLOSED).
  const Rec r = RunSteps({{true, S}, {false, SA}, {true, A}, {true, FA}, {false, FA}, {true, R}});
  EXPECT_EQ(r.conn_state, "SF");
  EXPECT_EQ(r.history, "ShAFfR");
}

TEST(BareAck, PayloadWithoutSynIsFlaggedPerSide) {
  const Rec r = RunSteps({{true, PA, 50}, {false, PA, 60}, {true, PA, 10}});
  EXPECT_TRUE(BareAck(r.flow, 0));
  EXPECT_TRUE(BareAck(r.flow, 1));
  EXPECT_EQ(r.d0.bare_ack_pkts, 2);
  EXPECT_EQ(r.d1.bare_ack_pkts, 1);
  EXPECT_EQ(ArgusDir(r.flow), "?>");
  EXPECT_EQ(r.direction, "guess");

  const Rec normal = RunSteps({{true, S}, {false, SA}, {true, PA, 10}});
  EXPECT_FALSE(BareAck(normal.flow));
  EXPECT_EQ(normal.d0.bare_ack_pkts, 0);
  EXPECT_EQ(ArgusDir(normal.flow), "<->");
}

TEST(ArgusFlags, EceAndCwrRenderAsEAndC) {
  // Argus 3.0.8 printed "SRE_SA" for an nmap ECN probe (SYN|ECE, then RST) in xscan_capture.pcap.
  const Rec r = RunSteps({{true, static_cast<uint8_t>(S | decoders::kTcpEce | decoders::kTcpCwr)},
                          {false, SA},
                          {true, R}});
  EXPECT_EQ(r.argus_flags, "SREC_SA");
}

TEST(Records, InitialFlagsAndFlagUnionPerDirection) {
  const Rec r = RunSteps({{true, S}, {false, SA}, {true, A}, {true, PA, 5}});
  EXPECT_EQ(r.d0.initial_tcp_flags, S);
  EXPECT_EQ(r.d1.initial_tcp_flags, SA);
  EXPECT_EQ(r.d0.tcp_flags, S | A | PA);
  EXPECT_EQ(r.d1.tcp_flags, SA);
  EXPECT_EQ(r.d0.pkts, 3u);
  EXPECT_EQ(r.d1.pkts, 1u);
  EXPECT_EQ(r.d0.payload_bytes, 5u);
  EXPECT_EQ(r.d0.ip_bytes, 40u * 3 + 5);
}

}  // namespace
}  // namespace tapwatch::flowtable
