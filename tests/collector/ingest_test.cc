// Ingest end to end inside the test process: a real ZeroMQ XPUB on 127.0.0.1 plays the sensor,
// RunIngest (the collector's receive + writer threads) stores into a real SQLite file, and the
// test reads the file back with plain SQL and compares field by field with what it sent.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "collector/ingest_command.h"
#include "collector_test_util.h"

namespace tapwatch::collector {
namespace {

using testing::FinalStats;
using testing::FlowEnvelope;
using testing::Query;
using testing::QueryRow;
using testing::SimpleFlow;
using testing::TempDbPath;
using testing::TestPublisher;

constexpr uint64_t kStart = 1092114948000000000ull;

// Runs RunIngest on a thread; Finish() joins and returns the summary it printed.
class IngestRun {
 public:
  IngestRun(std::vector<std::string> endpoints, const std::string& db, uint64_t finals) {
    options_.endpoints = std::move(endpoints);
    options_.db_path = db;
    options_.exit_after_final = finals;
    options_.idle_exit_s = 20;  // a safety net: a broken test ends instead of hanging
    out_ = open_memstream(&buffer_, &size_);
    thread_ = std::thread([this] { result_ = RunIngest(options_, stop_, out_); });
  }
  ~IngestRun() {
    if (thread_.joinable()) Finish();
    std::free(buffer_);
  }
  void Stop() { stop_ = true; }
  std::string Finish() {
    thread_.join();
    std::fclose(out_);
    out_ = nullptr;
    return std::string(buffer_, size_);
  }
  const IngestResult& result() const { return result_; }

 private:
  IngestOptions options_;
  std::atomic<bool> stop_{false};
  IngestResult result_;
  FILE* out_ = nullptr;
  char* buffer_ = nullptr;
  size_t size_ = 0;
  std::thread thread_;
};

proto::FlowRecord FullTcpFlow() {
  proto::FlowRecord f;
  f.set_flow_id(77);
  f.set_sensor_id("s1");
  f.set_src_addr("172.30.3.56");
  f.set_dst_addr("1.11.68.22");
  f.set_src_port(4425);
  f.set_dst_port(445);
  f.set_ip_proto(6);
  f.set_vlan(10);
  f.set_vlan_inner(20);
  f.set_src_mac("00:11:22:33:44:55");
  f.set_dst_mac("66:77:88:99:aa:bb");
  f.set_start_ns(1092114948123456789ull);
  f.set_end_ns(1092114951000000001ull);
  f.set_src_pkts(3);
  f.set_dst_pkts(2);
  f.set_src_ip_bytes(198);
  f.set_dst_ip_bytes(120);
  f.set_src_wire_bytes(240);
  f.set_dst_wire_bytes(148);
  f.set_src_payload_bytes(39);
  f.set_dst_payload_bytes(0);
  f.set_src_tcp_flags(0x1a);
  f.set_dst_tcp_flags(0x14);
  f.set_src_ttl_min(127);
  f.set_src_ttl_max(128);
  f.set_dst_ttl_min(60);
  f.set_dst_ttl_max(61);
  f.set_direction("syn");
  f.set_conn_state("RSTR");
  f.set_history("ShADr");
  f.set_argus_state("RST");
  f.set_end_reason("tcp-close");
  (*f.mutable_anomalies())["tcp_bad_checksum"] = 1;
  (*f.mutable_anomalies())["ipv4_bad_header_length"] = 2;
  f.set_interim(true);
  f.set_record_seq(2);
  f.set_src_fragments(1);
  f.set_dst_fragments(0);
  f.set_argus_flags("A_RPA");
  f.set_src_initial_tcp_flags(0x02);
  f.set_dst_initial_tcp_flags(0x14);
  f.set_bare_ack(true);
  f.set_src_bare_ack_pkts(1);
  f.set_dst_bare_ack_pkts(0);
  f.set_src_first_bytes(std::string("\x00\x00\x00\x85\xffSMB", 8));
  f.add_payload_labels("smb: tree disconnect");
  f.add_payload_labels("hint \"quoted\"");
  f.mutable_smb()->set_version(1);
  (*f.mutable_smb()->mutable_smb1_commands())[0x71] = 1;
  f.mutable_smb()->add_dialects("NT LM 0.12");
  f.mutable_smb()->add_tree_paths("\\\\HOST\\IPC$");
  (*f.mutable_log_labels())["input REJECT"] = 3;
  f.set_in_iface("eth0");
  return f;
}

proto::FlowRecord IcmpV6Flow() {
  proto::FlowRecord f;
  f.set_flow_id(78);
  f.set_sensor_id("s1");
  f.set_src_addr("2001:db8::1");
  f.set_dst_addr("2001:db8::2");
  f.set_src_port(99);
  f.set_ip_proto(58);
  f.set_icmp_type(128);
  f.set_icmp_code(0);
  f.set_start_ns(kStart + 5);
  f.set_end_ns(kStart + 6);
  f.set_src_pkts(4);
  f.set_src_ttl_min(64);
  f.set_src_ttl_max(64);
  f.set_direction("guess");
  f.mutable_icmp()->set_echo_requests(4);
  (*f.mutable_icmp()->mutable_ip_length_histogram())[104] = 4;
  f.mutable_icmp()->set_fingerprint("welchia");
  return f;
}

proto::Envelope FullStats(uint64_t seq) {
  proto::Envelope e;
  e.set_sensor_id("s1");
  e.set_seq(seq);
  e.set_sensor_start_ns(kStart);
  proto::StatsRecord* s = e.mutable_stats();
  s->set_sensor_id("s1");
  s->set_interval_start_ns(kStart);
  s->set_interval_end_ns(kStart + 10);
  s->set_packets(101);
  s->set_wire_bytes(102);
  s->set_decoded(103);
  s->set_unsupported(104);
  s->set_malformed(105);
  (*s->mutable_anomalies())["ipv4_bad_checksum"] = 5;
  s->set_flows_created(106);
  s->set_flows_exported(107);
  s->set_flows_evicted(108);
  s->set_flows_active(109);
  s->set_kernel_drops(110);
  s->set_kernel_if_drops(111);
  s->set_zmq_send_drops(112);
  s->set_final(true);
  s->set_total_packets(113);
  s->set_log_lines_packet(114);
  s->set_log_lines_other(115);
  s->set_log_lines_malformed(116);
  s->set_non_ip(117);
  (*s->mutable_non_ip_ethertypes())["0x0806"] = 12;
  return e;
}

// Parses stored sub-message JSON with protobuf's own parser and compares with what was sent.
template <typename Message>
void ExpectJsonEquals(const std::string& json, const Message& sent) {
  Message parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, sent))
      << json << "\nvs\n"
      << sent.DebugString();
}

TEST(Ingest, EveryFieldIsStoredAsSent) {
  const std::string db = TempDbPath("fields");
  TestPublisher pub;
  IngestRun run({pub.endpoint()}, db, 1);
  ASSERT_TRUE(pub.WaitForSubscriptions());
  pub.Send(FlowEnvelope("s1", kStart, 1, FullTcpFlow()));
  pub.Send(FlowEnvelope("s1", kStart, 2, IcmpV6Flow()));
  pub.Send(FullStats(3));
  const std::string summary = run.Finish();
  EXPECT_EQ(run.result().exit_code, 0);
  EXPECT_NE(summary.find("sensor s1: received 3, lost 0, duplicates 0\n"), std::string::npos)
      << summary;

  auto r = QueryRow(db, "SELECT * FROM flows WHERE seq = 1");
  const proto::FlowRecord f = FullTcpFlow();
  EXPECT_EQ(r["sensor_id"], "s1");
  EXPECT_EQ(r["flow_id"], "77");
  EXPECT_EQ(r["src_addr"], "172.30.3.56");
  EXPECT_EQ(r["dst_addr"], "1.11.68.22");
  EXPECT_EQ(r["src_v4"], std::to_string((172u << 24) | (30u << 16) | (3u << 8) | 56u));
  EXPECT_EQ(r["dst_v4"], std::to_string((1u << 24) | (11u << 16) | (68u << 8) | 22u));
  EXPECT_EQ(r["src_port"], "4425");
  EXPECT_EQ(r["dst_port"], "445");
  EXPECT_EQ(r["ip_proto"], "6");
  EXPECT_EQ(r["vlan"], "10");
  EXPECT_EQ(r["vlan_inner"], "20");
  EXPECT_EQ(r["src_mac"], "00:11:22:33:44:55");
  EXPECT_EQ(r["dst_mac"], "66:77:88:99:aa:bb");
  EXPECT_EQ(r["start_ns"], "1092114948123456789");
  EXPECT_EQ(r["end_ns"], "1092114951000000001");
  EXPECT_EQ(r["src_pkts"], "3");
  EXPECT_EQ(r["dst_pkts"], "2");
  EXPECT_EQ(r["src_ip_bytes"], "198");
  EXPECT_EQ(r["dst_ip_bytes"], "120");
  EXPECT_EQ(r["src_wire_bytes"], "240");
  EXPECT_EQ(r["dst_wire_bytes"], "148");
  EXPECT_EQ(r["src_payload_bytes"], "39");
  EXPECT_EQ(r["dst_payload_bytes"], "0");
  EXPECT_EQ(r["src_tcp_flags"], "26");
  EXPECT_EQ(r["dst_tcp_flags"], "20");
  EXPECT_EQ(r["src_initial_tcp_flags"], "2");
  EXPECT_EQ(r["dst_initial_tcp_flags"], "20");
  EXPECT_EQ(r["src_ttl_min"], "127");
  EXPECT_EQ(r["src_ttl_max"], "128");
  EXPECT_EQ(r["dst_ttl_min"], "60");
  EXPECT_EQ(r["dst_ttl_max"], "61");
  EXPECT_EQ(r["icmp_type"], "NULL");  // not ICMP
  EXPECT_EQ(r["icmp_code"], "NULL");
  EXPECT_EQ(r["direction"], "syn");
  EXPECT_EQ(r["conn_state"], "RSTR");
  EXPECT_EQ(r["history"], "ShADr");
  EXPECT_EQ(r["argus_state"], "RST");
  EXPECT_EQ(r["argus_flags"], "A_RPA");
  EXPECT_EQ(r["end_reason"], "tcp-close");
  EXPECT_EQ(r["interim"], "1");
  EXPECT_EQ(r["record_seq"], "2");
  EXPECT_EQ(r["src_fragments"], "1");
  EXPECT_EQ(r["dst_fragments"], "0");
  EXPECT_EQ(r["anomalies_json"], R"({"ipv4_bad_header_length": 2, "tcp_bad_checksum": 1})");
  EXPECT_EQ(r["bare_ack"], "1");
  EXPECT_EQ(r["src_bare_ack_pkts"], "1");
  EXPECT_EQ(r["dst_bare_ack_pkts"], "0");
  EXPECT_EQ(r["src_first_bytes"], std::string("\x00\x00\x00\x85\xffSMB", 8));
  EXPECT_EQ(r["dst_first_bytes"], "NULL");
  EXPECT_EQ(r["payload_labels_json"], R"(["smb: tree disconnect", "hint \"quoted\""])");
  EXPECT_EQ(r["http_method"], "NULL");
  EXPECT_EQ(r["http_uri"], "NULL");
  ExpectJsonEquals(r["smb_json"], f.smb());
  EXPECT_NE(r["smb_json"].find("\"smb1_commands\""), std::string::npos) << "proto field names";
  EXPECT_EQ(r["netbios_json"], "NULL");
  EXPECT_EQ(r["icmp_json"], "NULL");
  EXPECT_EQ(r["log_labels_json"], R"({"input REJECT": 3})");
  EXPECT_EQ(r["in_iface"], "eth0");
  EXPECT_EQ(r["out_iface"], "NULL");
  EXPECT_EQ(r["sensor_id"], "s1");

  r = QueryRow(db, "SELECT * FROM flows WHERE seq = 2");
  EXPECT_EQ(r["src_addr"], "2001:db8::1");
  EXPECT_EQ(r["src_v4"], "NULL");
  EXPECT_EQ(r["dst_v4"], "NULL");
  EXPECT_EQ(r["ip_proto"], "58");
  EXPECT_EQ(r["src_port"], "99");
  EXPECT_EQ(r["icmp_type"], "128");
  EXPECT_EQ(r["icmp_code"], "0");
  EXPECT_EQ(r["src_initial_tcp_flags"], "NULL");  // not TCP
  EXPECT_EQ(r["dst_ttl_min"], "NULL");            // the responder sent nothing
  EXPECT_EQ(r["dst_ttl_max"], "NULL");
  EXPECT_EQ(r["src_ttl_min"], "64");
  EXPECT_EQ(r["anomalies_json"], "NULL");
  EXPECT_EQ(r["smb_json"], "NULL");
  EXPECT_EQ(r["src_mac"], "NULL");
  EXPECT_EQ(r["interim"], "0");
  ExpectJsonEquals(r["icmp_json"], IcmpV6Flow().icmp());

  r = QueryRow(db, "SELECT * FROM stats");
  EXPECT_EQ(r["sensor_id"], "s1");
  EXPECT_EQ(r["seq"], "3");
  EXPECT_EQ(r["interval_start_ns"], std::to_string(kStart));
  EXPECT_EQ(r["interval_end_ns"], std::to_string(kStart + 10));
  const char* in_order[] = {
      "packets",       "wire_bytes",       "decoded",         "unsupported",
      "malformed",     "flows_created",    "flows_exported",  "flows_evicted",
      "flows_active",  "kernel_drops",     "kernel_if_drops", "zmq_send_drops",
      "total_packets", "log_lines_packet", "log_lines_other", "log_lines_malformed",
      "non_ip"};
  // FullStats numbers the fields 101, 102, ... in this order.
  for (size_t i = 0; i < std::size(in_order); ++i) {
    EXPECT_EQ(r[in_order[i]], std::to_string(101 + i)) << in_order[i];
  }
  EXPECT_EQ(r["is_final"], "1");
  EXPECT_EQ(r["anomalies_json"], R"({"ipv4_bad_checksum": 5})");
  EXPECT_EQ(r["non_ip_ethertypes_json"], R"({"0x0806": 12})");

  r = QueryRow(db, "SELECT * FROM sensors");
  EXPECT_EQ(r["sensor_id"], "s1");
  EXPECT_EQ(r["sensor_start_ns"], std::to_string(kStart));
  EXPECT_EQ(r["received"], "3");
  EXPECT_EQ(r["gaps"], "0");
  EXPECT_EQ(r["duplicates"], "0");
  EXPECT_EQ(r["last_seq"], "3");
  EXPECT_EQ(r["final_records"], "1");
  EXPECT_EQ(Query(db, "PRAGMA journal_mode")[0][0], "wal");
}

TEST(Ingest, SkippedAndRepeatedSeqsAreCountedAndDuplicatesNotStored) {
  const std::string db = TempDbPath("gaps");
  TestPublisher pub;
  IngestRun run({pub.endpoint()}, db, 1);
  ASSERT_TRUE(pub.WaitForSubscriptions());
  // seqs 1 2 3 3 6 7 2 8(final): 4 and 5 are lost; the second 3 and the second 2 are duplicates.
  for (uint64_t seq : {1, 2, 3, 3, 6, 7, 2}) {
    pub.Send(FlowEnvelope("s1", kStart, seq, SimpleFlow(seq)));
  }
  pub.Send(FinalStats("s1", kStart, 8));
  const std::string summary = run.Finish();
  EXPECT_NE(summary.find("sensor s1: received 8, lost 2, duplicates 2\n"), std::string::npos)
      << summary;
  EXPECT_EQ(Query(db, "SELECT group_concat(seq) FROM (SELECT seq FROM flows ORDER BY seq)")[0][0],
            "1,2,3,6,7");
  const auto r = QueryRow(db, "SELECT received, gaps, duplicates, last_seq FROM sensors");
  EXPECT_EQ(r.at("received"), "8");
  EXPECT_EQ(r.at("gaps"), "2");
  EXPECT_EQ(r.at("duplicates"), "2");
  EXPECT_EQ(r.at("last_seq"), "8");
}

TEST(Ingest, TwoSensorsAtOnce) {
  const std::string db = TempDbPath("two");
  TestPublisher a;
  TestPublisher b;
  IngestRun run({a.endpoint(), b.endpoint()}, db, 2);
  ASSERT_TRUE(a.WaitForSubscriptions());
  ASSERT_TRUE(b.WaitForSubscriptions());
  // Interleaved: sensor a loses seq 3; sensor b repeats seq 2.
  for (uint64_t i = 1; i <= 500; ++i) {
    if (i != 3) a.Send(FlowEnvelope("a", kStart, i, SimpleFlow(i)));
    b.Send(FlowEnvelope("b", kStart + 1, i, SimpleFlow(1000 + i)));
    if (i == 2) b.Send(FlowEnvelope("b", kStart + 1, 2, SimpleFlow(1002)));
  }
  a.Send(FinalStats("a", kStart, 501));
  b.Send(FinalStats("b", kStart + 1, 501));
  const std::string summary = run.Finish();
  EXPECT_NE(summary.find("sensor a: received 500, lost 1, duplicates 0\n"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("sensor b: received 502, lost 0, duplicates 1\n"), std::string::npos)
      << summary;
  const auto rows =
      Query(db, "SELECT sensor_id, count(*), sum(flow_id) FROM flows GROUP BY 1 ORDER BY 1");
  ASSERT_EQ(rows.size(), 2u);
  // a: flow ids 1..500 without 3; b: 1001..1500 once each.
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "499", std::to_string(500 * 501 / 2 - 3)}));
  EXPECT_EQ(rows[1],
            (std::vector<std::string>{"b", "500", std::to_string(500 * 1000 + 500 * 501 / 2)}));
  EXPECT_EQ(Query(db, "SELECT count(*) FROM stats WHERE is_final = 1")[0][0], "2");
}

TEST(Ingest, RestartIsNeitherLossNorDuplicate) {
  const std::string db = TempDbPath("restart");
  TestPublisher pub;
  IngestRun run({pub.endpoint()}, db, 1);
  ASSERT_TRUE(pub.WaitForSubscriptions());
  for (uint64_t seq = 1; seq <= 3; ++seq) pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  for (uint64_t seq = 1; seq <= 2; ++seq) {
    pub.Send(FlowEnvelope("s", kStart + 60, seq, SimpleFlow(10 + seq)));
  }
  pub.Send(FinalStats("s", kStart + 60, 3));
  const std::string summary = run.Finish();
  EXPECT_NE(summary.find("sensor s: received 6, lost 0, duplicates 0, restarts 1\n"),
            std::string::npos)
      << summary;
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "5");
  EXPECT_EQ(Query(db, "SELECT restarts, sensor_start_ns FROM sensors")[0],
            (std::vector<std::string>{"1", std::to_string(kStart + 60)}));
}

TEST(Ingest, MalformedMessagesAreCountedAndSkipped) {
  const std::string db = TempDbPath("malformed");
  TestPublisher pub;
  IngestRun run({pub.endpoint()}, db, 1);
  ASSERT_TRUE(pub.WaitForSubscriptions());
  pub.SendRaw("flow", std::string("\xff\xff\xff\xff\x0f", 5));  // not an Envelope
  pub.SendFrames({"flow"});                                     // one frame
  pub.SendFrames({"flow", "", "extra"});                        // three frames
  pub.Send(FlowEnvelope("s", kStart, 1, SimpleFlow(1)));
  pub.Send(FinalStats("s", kStart, 2));
  run.Finish();
  EXPECT_EQ(run.result().malformed, 3u);
  EXPECT_EQ(run.result().messages, 5u);
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "1");
}

// Batches (topic "batch.flow") mixed with single-record messages: every envelope of a batch is
// stored and counted in sequence; a batch that does not parse is one malformed message and its
// records show up as lost, never silently.
TEST(Ingest, BatchedEnvelopesAreStoredAndABadBatchIsCountedAsLost) {
  const std::string db = TempDbPath("batch");
  TestPublisher pub;
  IngestRun run({pub.endpoint()}, db, 1);
  ASSERT_TRUE(pub.WaitForSubscriptions());
  std::vector<proto::Envelope> first, third;
  for (uint64_t seq = 1; seq <= 40; ++seq) {
    first.push_back(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  }
  pub.SendBatch(first);
  pub.Send(FlowEnvelope("s", kStart, 41, SimpleFlow(41)));
  // seqs 42..44 were in this batch, cut short: it does not parse.
  proto::EnvelopeBatch lost;
  for (uint64_t seq = 42; seq <= 44; ++seq) {
    *lost.add_envelopes() = FlowEnvelope("s", kStart, seq, SimpleFlow(seq));
  }
  const std::string cut = lost.SerializeAsString();
  pub.SendRaw("batch.flow", cut.substr(0, cut.size() - 5));
  for (uint64_t seq = 45; seq <= 50; ++seq) {
    third.push_back(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  }
  pub.SendBatch(third);
  pub.Send(FinalStats("s", kStart, 51));
  const std::string summary = run.Finish();
  EXPECT_NE(summary.find("sensor s: received 48, lost 3, duplicates 0\n"), std::string::npos)
      << summary;
  EXPECT_EQ(run.result().messages, 5u);
  EXPECT_EQ(run.result().malformed, 1u);
  EXPECT_EQ(Query(db, "SELECT count(*), sum(flow_id) FROM flows")[0],
            (std::vector<std::string>{"47", std::to_string(50 * 51 / 2 - 42 - 43 - 44)}));
}

TEST(Ingest, StopRequestCommitsWhatWasReceived) {
  const std::string db = TempDbPath("stop");
  TestPublisher pub;
  IngestRun run({pub.endpoint()}, db, 0);
  ASSERT_TRUE(pub.WaitForSubscriptions());
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    pub.Send(FlowEnvelope("s", kStart, seq, SimpleFlow(seq)));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  run.Stop();
  run.Finish();
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "1000");
}

TEST(Ingest, CountersContinueAcrossCollectorRuns) {
  const std::string db = TempDbPath("rerun");
  {
    TestPublisher pub;
    IngestRun run({pub.endpoint()}, db, 1);
    ASSERT_TRUE(pub.WaitForSubscriptions());
    pub.Send(FlowEnvelope("s", kStart, 1, SimpleFlow(1)));
    pub.Send(FinalStats("s", kStart, 2));
    run.Finish();
  }
  {
    // The collector was down while seqs 3 and 4 went out.
    TestPublisher pub;
    IngestRun run({pub.endpoint()}, db, 1);
    ASSERT_TRUE(pub.WaitForSubscriptions());
    pub.Send(FlowEnvelope("s", kStart, 5, SimpleFlow(5)));
    pub.Send(FinalStats("s", kStart, 6));
    const std::string summary = run.Finish();
    EXPECT_NE(summary.find("sensor s: received 4, lost 2, duplicates 0\n"), std::string::npos)
        << summary;
  }
  EXPECT_EQ(Query(db, "SELECT count(*) FROM flows")[0][0], "2");
}

}  // namespace
}  // namespace tapwatch::collector
