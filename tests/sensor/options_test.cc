// tapwatch-sensor command-line parsing: every error is one line naming the problem, and the
// accepted forms land in the documented fields (the usage text is the contract).

#include "sensor/options.h"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace tapwatch::sensor {
namespace {

struct Parsed {
  std::optional<SensorOptions> options;
  std::string error;
  bool help = false;
};

Parsed Parse(std::initializer_list<const char*> args) {
  std::vector<std::string> storage{"tapwatch-sensor"};
  for (const char* a : args) storage.emplace_back(a);
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  Parsed p;
  p.options = ParseSensorOptions(static_cast<int>(storage.size()), argv.data(), p.error, p.help);
  return p;
}

void ExpectError(std::initializer_list<const char*> args, const std::string& needle) {
  const Parsed p = Parse(args);
  EXPECT_FALSE(p.options.has_value()) << "accepted: " << needle;
  EXPECT_NE(p.error.find(needle), std::string::npos) << "error '" << p.error << "' lacks '"
                                                     << needle << "'";
  EXPECT_EQ(p.error.find('\n'), std::string::npos) << "error is not one line: " << p.error;
  EXPECT_FALSE(p.error.empty());
}

// The collector refuses records whose sensor id is longer than 255 bytes: so does the sensor.
TEST(SensorOptions, SensorIdFitsTheCollectorsLimit) {
  const std::string longest(255, 's');
  const std::string too_long(256, 's');
  const Parsed ok = Parse({"-r", "a.pcap", "--sensor-id", longest.c_str()});
  ASSERT_TRUE(ok.options.has_value()) << ok.error;
  EXPECT_EQ(ok.options->sensor_id, longest);
  ExpectError({"-r", "a.pcap", "--sensor-id", too_long.c_str()}, "--sensor-id: at most 255 bytes");
}

TEST(SensorOptions, ErrorsNameTheProblem) {
  ExpectError({}, "no input");
  ExpectError({"--jsonl", "-"}, "no input");
  ExpectError({"-r", "a.pcap", "--bogus"}, "--bogus");
  ExpectError({"-r"}, "-r");
  ExpectError({"-r", "a.pcap", "--max-flows"}, "--max-flows");
  ExpectError({"-r", "a.pcap", "--max-flows", "12x"}, "12x");
  ExpectError({"-r", "a.pcap", "--max-flows", "10"}, "--max-flows");
  ExpectError({"-r", "a.pcap", "--stats-interval", "0"}, "--stats-interval");
  ExpectError({"-r", "a.pcap", "--stats-interval", "-5"}, "--stats-interval");
  ExpectError({"-r", "a.pcap", "--wait-subscribers", "many"}, "many");
  ExpectError({"-r", "a.pcap", "--idle-timeout", "tcp=x"}, "--idle-timeout");
  ExpectError({"-r", "a.pcap", "--idle-timeout", "sctp=5"}, "sctp");
  ExpectError({"-r", "a.pcap", "--idle-timeout", "tcp"}, "--idle-timeout");
  ExpectError({"-r", "a.pcap", "--log-format", "cisco"}, "cisco");
  ExpectError({"-r", "a.pcap", "-i", "eth0"}, "only one");
  ExpectError({"--log", "fw.log", "tcp"}, "BPF");
  ExpectError({"-r", "a.pcap", "--write-pcap", "out.pcap"}, "--write-pcap");
  ExpectError({"-r", "a.pcap", "--year", "1900"}, "--year");
  ExpectError({"-r", "a.pcap", "--community-id-seed", "65536"}, "--community-id-seed");
  ExpectError({"-r", "a.pcap", "--spool", "/tmp"}, "--resend");
  ExpectError({"-r", "a.pcap", "--jsonl", "-", "--resend", "tcp://127.0.0.1:7001"}, "--resend");
  ExpectError({"-r", "a.pcap", "--resend", "tcp://x", "--replay-buffer", "0"}, "--replay-buffer");
  ExpectError({"-r", "a.pcap", "--resend", "tcp://x", "--spool-mb", "0"}, "--spool-mb");
}

TEST(SensorOptions, ResendBufferAndSpool) {
  Parsed p = Parse({"-r", "a.pcap"});
  ASSERT_TRUE(p.options);
  EXPECT_TRUE(p.options->resend.empty());  // off unless asked for
  p = Parse({"-r", "a.pcap", "--resend", "tcp://127.0.0.1:7001", "--replay-buffer", "5000",
             "--spool", "/var/spool/tw", "--spool-mb", "64"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->resend, "tcp://127.0.0.1:7001");
  EXPECT_EQ(p.options->replay_buffer, 5000u);
  EXPECT_EQ(p.options->spool, "/var/spool/tw");
  EXPECT_EQ(p.options->spool_mb, 64u);
}

TEST(SensorOptions, HelpWins) {
  const Parsed p = Parse({"--bogus-later-ignored", "-h"});
  // An unknown option before -h is reported; -h first gives help.
  EXPECT_FALSE(p.help);
  const Parsed h = Parse({"--help", "--bogus"});
  EXPECT_TRUE(h.help);
  EXPECT_NE(std::string(SensorUsage()).find("--jsonl"), std::string::npos);
}

TEST(SensorOptions, FilesInOrderAndBpfJoined) {
  const Parsed p = Parse({"-r", "one.pcap", "tcp", "port", "80", "-r", "two.pcapng", "or", "udp"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->read_files, (std::vector<std::string>{"one.pcap", "two.pcapng"}));
  EXPECT_EQ(p.options->bpf, "tcp port 80 or udp");
}

TEST(SensorOptions, PublishDefaults) {
  // Neither --publish nor --jsonl: publish on the default endpoint.
  Parsed p = Parse({"-r", "a.pcap"});
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->publish, "tcp://127.0.0.1:5556");
  // --jsonl alone publishes nothing.
  p = Parse({"-r", "a.pcap", "--jsonl", "-"});
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->publish, "");
  EXPECT_EQ(p.options->jsonl, "-");
  // Both given: both.
  p = Parse({"-r", "a.pcap", "--jsonl", "x.jsonl", "--publish", "tcp://127.0.0.1:7000"});
  ASSERT_TRUE(p.options);
  EXPECT_EQ(p.options->publish, "tcp://127.0.0.1:7000");
  EXPECT_EQ(p.options->jsonl, "x.jsonl");
  EXPECT_EQ(p.options->wait_subscribers, 1);
  EXPECT_EQ(p.options->batch_records, 64);
  ExpectError({"-r", "a.pcap", "--batch", "0"}, "--batch");
  ExpectError({"-r", "a.pcap", "--batch", "5000"}, "--batch");
  EXPECT_FALSE(p.options->sensor_id.empty());  // host name by default
}

TEST(SensorOptions, IdleTimeoutForms) {
  Parsed p = Parse({"-r", "a.pcap", "--idle-timeout", "42"});
  ASSERT_TRUE(p.options) << p.error;
  const IdleTimeouts& t = p.options->idle;
  for (uint32_t v : {t.tcp_new_s, t.tcp_established_s, t.tcp_closed_s, t.udp_s, t.icmp_s,
                     t.other_s}) {
    EXPECT_EQ(v, 42u);
  }
  p = Parse({"-r", "a.pcap", "--idle-timeout", "tcp=300,udp=7,icmp=8,other=9,tcp-new=5,tcp-closed=3"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->idle.tcp_established_s, 300u);
  EXPECT_EQ(p.options->idle.udp_s, 7u);
  EXPECT_EQ(p.options->idle.icmp_s, 8u);
  EXPECT_EQ(p.options->idle.other_s, 9u);
  EXPECT_EQ(p.options->idle.tcp_new_s, 5u);
  EXPECT_EQ(p.options->idle.tcp_closed_s, 3u);
  // Timeouts longer than any capture (the differential tests use this) are accepted.
  p = Parse({"-r", "a.pcap", "--idle-timeout", "4000000000", "--active-timeout", "0"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->idle.udp_s, 4000000000u);
  EXPECT_EQ(p.options->active_timeout_s, 0u);
  ExpectError({"-r", "a.pcap", "--idle-timeout", "5000000000"}, "--idle-timeout");
}

TEST(SensorOptions, NumbersLandInFields) {
  const Parsed p = Parse({"-i", "eth9", "--max-flows", "1000", "--stats-interval", "5",
                          "--wait-subscribers", "0", "--wait-timeout", "3", "--snaplen", "2048",
                          "--buffer-mb", "16", "--sensor-id", "s1", "--hash-seed", "77", "-q",
                          "--no-app", "--first-bytes", "0", "--batch", "1",
                          "--community-id-seed", "65535"});
  ASSERT_TRUE(p.options) << p.error;
  const SensorOptions& o = *p.options;
  EXPECT_EQ(o.interface, "eth9");
  EXPECT_EQ(o.max_flows, 1000u);
  EXPECT_EQ(o.stats_interval_s, 5u);
  EXPECT_EQ(o.wait_subscribers, 0);
  EXPECT_EQ(o.wait_timeout_s, 3u);
  EXPECT_EQ(o.snaplen, 2048u);
  EXPECT_EQ(o.buffer_mb, 16u);
  EXPECT_EQ(o.sensor_id, "s1");
  EXPECT_EQ(o.hash_seed, 77u);
  EXPECT_TRUE(o.quiet);
  EXPECT_FALSE(o.app_decoders);
  EXPECT_EQ(o.first_bytes, 0u);
  EXPECT_EQ(o.batch_records, 1);
  EXPECT_EQ(o.community_id_seed, 65535u);
  EXPECT_EQ(Parse({"-r", "a.pcap"}).options->community_id_seed, 0u);  // the spec's default
}

TEST(SensorOptions, TcpdumpFormsCountAndFilterFile) {
  Parsed p = Parse({"-r", "a.pcap", "-c", "100", "--max-flows=4096", "--jsonl=-"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->packet_count, 100u);
  EXPECT_EQ(p.options->max_flows, 4096u);
  EXPECT_EQ(p.options->jsonl, "-");
  EXPECT_EQ(Parse({"-r", "a.pcap"}).options->packet_count, 0u);  // every packet
  ExpectError({"-r", "a.pcap", "-c", "0"}, "--count");

  const std::string filter = ::testing::TempDir() + "/tw_filter.bpf";
  std::ofstream(filter) << "# web only\ntcp   # the protocol\n  and port 80\n";
  p = Parse({"-r", "a.pcap", "-F", filter.c_str()});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->bpf, "tcp and port 80");
  ExpectError({"-r", "a.pcap", "-F", filter.c_str(), "udp"}, "-F");
  ExpectError({"-r", "a.pcap", "-F", "/nonexistent/f.bpf"}, "/nonexistent/f.bpf");
}

TEST(SensorOptions, ConfigSectionsPerInterface) {
  const std::string conf = ::testing::TempDir() + "/tw_sensor.conf";
  std::ofstream(conf) << "[sensor]\npublish = tcp://0.0.0.0:5556\nmax-flows = 1024\n"
                         "[sensor.eth2]\npublish = tcp://0.0.0.0:5557\n"
                         "[collector]\ndb = /var/lib/tapwatch/flows.db\n";
  Parsed p = Parse({"--config", conf.c_str(), "-i", "eth1"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->publish, "tcp://0.0.0.0:5556");
  EXPECT_EQ(p.options->max_flows, 1024u);
  p = Parse({"--config", conf.c_str(), "-i", "eth2", "--max-flows", "2048"});
  ASSERT_TRUE(p.options) << p.error;
  EXPECT_EQ(p.options->publish, "tcp://0.0.0.0:5557");
  EXPECT_EQ(p.options->max_flows, 2048u);
}

}  // namespace
}  // namespace tapwatch::sensor
