// `tapwatch-collector flows`: filters select the hand-picked rows they should, text output has
// the documented aligned columns (expected lines written out by hand), and every jsonl line
// parses back (with protobuf's own JSON parser) into exactly the FlowRecord that was stored.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "collector/store.h"
#include "collector_test_util.h"

namespace tapwatch::collector {
namespace {

using testing::Lines;
using testing::RunCollector;
using testing::TempDbPath;

constexpr uint64_t kT0 = 1092114948000000000ull;  // 2004-08-10 05:15:48 UTC
constexpr uint64_t kSecond = 1000000000ull;

std::vector<proto::FlowRecord> Flows() {
  std::vector<proto::FlowRecord> flows(4);
  proto::FlowRecord& a = flows[0];
  a.set_sensor_id("fw1");
  a.set_flow_id(1);
  a.set_src_addr("172.30.3.56");
  a.set_src_port(4425);
  a.set_dst_addr("1.11.68.22");
  a.set_dst_port(445);
  a.set_ip_proto(6);
  a.set_start_ns(kT0 + kSecond / 2);
  a.set_end_ns(kT0 + 3 * kSecond);
  a.set_src_pkts(3);
  a.set_src_wire_bytes(240);
  a.set_src_ip_bytes(198);
  a.set_src_ttl_min(128);
  a.set_src_ttl_max(128);
  a.set_src_tcp_flags(0x02);
  a.set_src_initial_tcp_flags(0x02);
  a.set_direction("syn");
  a.set_argus_state("REQ");
  a.set_conn_state("S0");
  a.set_history("S");
  (*a.mutable_anomalies())["tcp_bad_checksum"] = 2;
  a.set_src_first_bytes(std::string("\x00\x01\xfe\xff", 4));
  a.add_payload_labels("x: y");
  a.mutable_smb()->set_version(1);
  (*a.mutable_smb()->mutable_smb1_commands())[0x71] = 3;
  a.set_interim(true);
  a.set_community_id("1:wCb3OG7yAFWelaUydu0D+125CLM=");

  proto::FlowRecord& b = flows[1];
  b.set_sensor_id("fw1");
  b.set_flow_id(2);
  b.set_src_addr("172.30.3.57");
  b.set_src_port(137);
  b.set_dst_addr("1.11.0.1");
  b.set_dst_port(137);
  b.set_ip_proto(17);
  b.set_start_ns(kT0 + 10 * kSecond);
  b.set_end_ns(kT0 + 11 * kSecond);
  b.set_src_pkts(1);
  b.set_dst_pkts(1);
  b.set_src_wire_bytes(92);
  b.set_dst_wire_bytes(92);
  b.set_direction("guess");
  b.set_argus_state("CON");
  b.set_conn_state("SF");
  b.set_history("Dd");
  b.mutable_netbios()->add_nbns_names("WORKGROUP<1d>");

  proto::FlowRecord& c = flows[2];
  c.set_sensor_id("fw2");
  c.set_flow_id(3);
  c.set_src_addr("10.0.0.5");
  c.set_src_port(512);
  c.set_dst_addr("10.0.0.9");
  c.set_ip_proto(1);
  c.set_icmp_type(8);
  c.set_start_ns(kT0 + 20 * kSecond);
  c.set_end_ns(kT0 + 21 * kSecond);
  c.set_src_pkts(2);
  c.set_dst_pkts(2);
  c.set_src_wire_bytes(148);
  c.set_dst_wire_bytes(148);
  c.set_argus_state("ECO");
  c.set_conn_state("OTH");
  c.mutable_icmp()->set_echo_requests(2);
  c.mutable_icmp()->set_echo_replies(2);

  proto::FlowRecord& d = flows[3];
  d.set_sensor_id("fw2");
  d.set_flow_id(4);
  d.set_src_addr("2001:db8::1");
  d.set_src_port(40000);
  d.set_dst_addr("2001:db8::2");
  d.set_dst_port(80);
  d.set_ip_proto(6);
  d.set_start_ns(kT0 + 30 * kSecond + 1000);
  d.set_end_ns(kT0 + 31 * kSecond);
  d.set_src_pkts(5);
  d.set_dst_pkts(4);
  d.set_src_wire_bytes(600);
  d.set_dst_wire_bytes(2000);
  d.set_direction("syn");
  d.set_argus_state("FIN");
  d.set_conn_state("SF");
  d.set_history("ShADadFf");
  d.set_http_method("GET");
  d.set_http_uri("/index.html");
  d.set_community_id("1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
  return flows;
}

class FlowsCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new std::string(TempDbPath("flows"));
    std::string error;
    auto store = Store::Open(*db_, error);
    ASSERT_TRUE(store) << error;
    uint64_t seq = 0;
    // Stored out of time order: the command sorts by start time.
    for (int i : {2, 0, 3, 1}) {
      proto::Envelope e;
      const proto::FlowRecord f = Flows()[static_cast<size_t>(i)];
      e.set_sensor_id(f.sensor_id());
      e.set_seq(++seq);
      *e.mutable_flow() = f;
      ASSERT_TRUE(store->Add(e)) << store->error();
    }
  }
  static void TearDownTestSuite() { delete db_; }

  // flow_ids of the jsonl rows printed for `filters`, in output order.
  static std::vector<std::string> Ids(std::vector<std::string> filters) {
    std::vector<std::string> args = {"flows", "--db", *db_, "--format", "jsonl"};
    args.insert(args.end(), filters.begin(), filters.end());
    const auto r = RunCollector(args);
    EXPECT_EQ(r.code(), 0) << r.err;
    std::vector<std::string> ids;
    for (const std::string& line : Lines(r.out)) {
      proto::FlowRecord f;
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = true;  // "seq" is the envelope's, not a FlowRecord field
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &f, options).ok()) << line;
      ids.push_back(std::to_string(f.flow_id()));
    }
    return ids;
  }

  static std::string* db_;
};
std::string* FlowsCommand::db_ = nullptr;

using IdList = std::vector<std::string>;

TEST_F(FlowsCommand, TextOutputHasAlignedColumnsInStartOrder) {
  const auto r = RunCollector({"flows", "--db", *db_});
  ASSERT_EQ(r.code(), 0) << r.err;
  const std::vector<std::string> expected = {
      "StartTime                      Proto         SrcAddr:Sport Dir DstAddr:Dport          "
      "TotPkts   TotBytes State Conn   History      CommunityID",
      "2004-08-10T05:15:48.5Z         tcp        172.30.3.56:4425 ->  1.11.68.22:445           "
      "    3        240 REQ   S0     S            1:wCb3OG7yAFWelaUydu0D+125CLM=",
      "2004-08-10T05:15:58Z           udp         172.30.3.57:137 <?> 1.11.0.1:137             "
      "    2        184 CON   SF     Dd           -",
      "2004-08-10T05:16:08Z           icmp           10.0.0.5:512 <?> 10.0.0.9:0               "
      "    4        296 ECO   OTH    -            -",
      "2004-08-10T05:16:18.000001Z    tcp     [2001:db8::1]:40000 <-> [2001:db8::2]:80         "
      "    9       2600 FIN   SF     ShADadFf     1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
  };
  EXPECT_EQ(Lines(r.out), expected);
}

TEST_F(FlowsCommand, JsonlRoundTripsEveryField) {
  const auto r = RunCollector({"flows", "--db", *db_, "--format", "jsonl"});
  ASSERT_EQ(r.code(), 0) << r.err;
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u);
  const auto flows = Flows();
  for (size_t i = 0; i < lines.size(); ++i) {
    proto::FlowRecord parsed;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &parsed, options).ok())
        << lines[i];
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, flows[i]))
        << lines[i] << "\nexpected:\n"
        << flows[i].DebugString();
  }
  // Proto field names, not column names; the envelope seq is included; bytes are base64.
  EXPECT_NE(lines[0].find("\"anomalies\": {\"tcp_bad_checksum\": 2}"), std::string::npos);
  EXPECT_NE(lines[0].find("\"src_first_bytes\": \"AAH+/w==\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"interim\": true"), std::string::npos);
  EXPECT_NE(lines[0].find("\"seq\": 2"), std::string::npos);
  EXPECT_EQ(lines[0].find("_json"), std::string::npos);
  EXPECT_EQ(lines[0].find("src_v4"), std::string::npos);
}

TEST_F(FlowsCommand, AddressFilters) {
  EXPECT_EQ(Ids({"--src", "172.30.3.56"}), (IdList{"1"}));
  EXPECT_EQ(Ids({"--src", "172.30.0.0/16"}), (IdList{"1", "2"}));
  EXPECT_EQ(Ids({"--src", "172.30.3.57/32"}), (IdList{"2"}));
  EXPECT_EQ(Ids({"--dst", "1.11.0.0/16"}), (IdList{"1", "2"}));
  EXPECT_EQ(Ids({"--dst", "0.0.0.0/0"}), (IdList{"1", "2", "3"}));  // IPv4 only
  EXPECT_EQ(Ids({"--dst", "2001:db8:0:0::2"}), (IdList{"4"}));      // canonicalised
  EXPECT_EQ(Ids({"--src", "192.0.2.1"}), (IdList{}));
}

TEST_F(FlowsCommand, PortProtoSensorFilters) {
  EXPECT_EQ(Ids({"--port", "137"}), (IdList{"2"}));
  EXPECT_EQ(Ids({"--port", "4425"}), (IdList{"1"}));  // either side
  EXPECT_EQ(Ids({"--port", "9999"}), (IdList{}));
  EXPECT_EQ(Ids({"--proto", "udp"}), (IdList{"2"}));
  EXPECT_EQ(Ids({"--proto", "icmp"}), (IdList{"3"}));
  EXPECT_EQ(Ids({"--proto", "6"}), (IdList{"1", "4"}));
  EXPECT_EQ(Ids({"--sensor", "fw2"}), (IdList{"3", "4"}));
  EXPECT_EQ(Ids({"--proto", "tcp", "--sensor=fw2"}), (IdList{"4"}));
}

TEST_F(FlowsCommand, TimeFiltersAndLimit) {
  // [from, to) on the start time; ISO 8601 UTC or epoch seconds.
  EXPECT_EQ(Ids({"--from", "2004-08-10T05:15:58Z", "--to", "2004-08-10T05:16:18"}),
            (IdList{"2", "3"}));
  EXPECT_EQ(Ids({"--from", "1092114958"}), (IdList{"2", "3", "4"}));
  EXPECT_EQ(Ids({"--to", "1092114948.5"}), (IdList{}));
  EXPECT_EQ(Ids({"--to", "1092114948.500000001"}), (IdList{"1"}));
  EXPECT_EQ(Ids({"--from", "2004-08-10 05:16:18.000001"}), (IdList{"4"}));
  EXPECT_EQ(Ids({"--from", "2004-08-11"}), (IdList{}));
  EXPECT_EQ(Ids({"--limit", "2"}), (IdList{"1", "2"}));
  EXPECT_EQ(Ids({"--limit", "0"}), (IdList{}));
}

TEST_F(FlowsCommand, CommunityIdFilter) {
  EXPECT_EQ(Ids({"--community-id", "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="}), (IdList{"4"}));
  EXPECT_EQ(Ids({"--community-id", "1:none"}), (IdList{}));
}

// A store written before community_id existed: `flows` reads it as it is (no IDs), and the next
// collector to open it adds the column, so new records keep theirs.
TEST(FlowsCommandOldStore, ReadThenGainsTheColumn) {
  const std::string db = TempDbPath("old_store");
  std::string error;
  ASSERT_TRUE(Store::Open(db, error)) << error;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(raw, "ALTER TABLE flows DROP COLUMN community_id", nullptr, nullptr,
                           &message),
              SQLITE_OK)
        << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(raw);
  }
  proto::Envelope e;
  e.set_sensor_id("old");
  e.set_seq(1);
  *e.mutable_flow() = Flows()[0];
  {
    // Written as an old collector would: through SQL without the column.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw,
                           "INSERT INTO flows (sensor_id, seq, flow_id, src_addr, dst_addr, "
                           "src_port, dst_port, ip_proto, start_ns, end_ns, src_pkts, dst_pkts, "
                           "src_ip_bytes, dst_ip_bytes, src_wire_bytes, dst_wire_bytes, "
                           "src_payload_bytes, dst_payload_bytes, src_tcp_flags, dst_tcp_flags) "
                           "VALUES ('old', 1, 7, '10.0.0.1', '10.0.0.2', 1, 2, 6, 1, 2, 1, 0, 40, "
                           "0, 60, 0, 0, 0, 2, 0)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  auto text = RunCollector({"flows", "--db", db});
  ASSERT_EQ(text.code(), 0) << text.err;
  ASSERT_EQ(Lines(text.out).size(), 2u);
  EXPECT_TRUE(Lines(text.out)[1].ends_with(" -")) << Lines(text.out)[1];
  EXPECT_EQ(RunCollector({"flows", "--db", db, "--community-id", "1:x"}).out.find("10.0.0.1"),
            std::string::npos);

  auto store = Store::Open(db, error);
  ASSERT_TRUE(store) << error;
  e.set_seq(2);
  ASSERT_TRUE(store->Add(e)) << store->error();
  store.reset();
  text = RunCollector({"flows", "--db", db, "--community-id", "1:wCb3OG7yAFWelaUydu0D+125CLM="});
  ASSERT_EQ(Lines(text.out).size(), 2u) << text.out;
  EXPECT_NE(Lines(text.out)[1].find("172.30.3.56:4425"), std::string::npos);
  EXPECT_EQ(testing::Query(db, "SELECT count(*) FROM flows WHERE community_id IS NULL"),
            (std::vector<std::vector<std::string>>{{"1"}}));
}

TEST_F(FlowsCommand, NoMatchPrintsOnlyTheHeader) {
  const auto r = RunCollector({"flows", "--db", *db_, "--port", "9999"});
  EXPECT_EQ(r.code(), 0);
  EXPECT_EQ(Lines(r.out).size(), 1u);
}

}  // namespace
}  // namespace tapwatch::collector
