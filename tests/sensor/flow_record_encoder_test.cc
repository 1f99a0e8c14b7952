// The direct flow-record encoder against libprotobuf: for every flow of the real captures (the
// shared pcaps and the bundled ones), of the firewall logs, and of hand-made flows with every map
// and sub-message filled, libprotobuf must parse the encoder's bytes, and where the record has no
// map of two or more entries (whose order libprotobuf leaves to its hash map), the bytes must be
// libprotobuf's own serialization of what it parsed: field order, proto3 omission of defaults,
// packed and nested lengths. The hand-made flows' values are checked field by field; the values
// of real traffic are pinned by the golden JSON lines (tests/golden/) and judged by tshark and
// argus (tests/integration/). The wire writer's length patching is checked against libprotobuf
// at each varint-size boundary, with buffer growth.

#include "sensor/flow_record_encoder.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "decoders/decode_frame.h"
#include "decoders/icmp_fingerprint.h"
#include "decoders/payload_signature.h"
#include "flowtable/flow_table.h"
#include "sensor/app_record.h"
#include "sensor/log/source.h"
#include "sensor/name_table.h"

namespace tapwatch::sensor {
namespace {

std::string SharedDir() {
  const char* env = std::getenv("TAPWATCH_SHARED");
  return env ? env : TAPWATCH_SHARED_DEFAULT;
}

/// Records whose every map has at most one entry serialize in one order only.
bool MapsAreOrdered(const proto::FlowRecord& r) {
  if (r.anomalies_size() > 1 || r.log_labels_size() > 1) return false;
  if (r.has_smb() && (r.smb().smb1_commands_size() > 1 || r.smb().smb2_commands_size() > 1 ||
                      r.smb().nbss_types_size() > 1)) {
    return false;
  }
  if (r.has_netbios() && r.netbios().nbns_opcodes_size() > 1) return false;
  if (r.has_icmp() &&
      (r.icmp().ip_length_histogram_size() > 1 || r.icmp().error_types_size() > 1)) {
    return false;
  }
  return true;
}

struct Tally {
  uint64_t records = 0;
  uint64_t byte_identical = 0;
  uint64_t smb = 0, netbios = 0, icmp = 0, payload_labels = 0, first_bytes = 0, http = 0;
  uint64_t anomalies = 0, log_labels = 0, ifaces = 0, interim = 0;
};

/// Checks one exported flow: libprotobuf parses the encoder's bytes, and re-serializes them to
/// the same bytes when the order of maps cannot differ. Returns the parsed record.
proto::FlowRecord Check(const FlowRecordSource& source, Tally& tally) {
  WireWriter bytes;
  EncodeFlowRecord(source, bytes);
  proto::FlowRecord got;
  EXPECT_TRUE(got.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      << "flow " << source.flow->flow_id;
  if (MapsAreOrdered(got)) {
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
              got.SerializeAsString())
        << "flow " << source.flow->flow_id;
    ++tally.byte_identical;
  }
  ++tally.records;
  tally.smb += got.has_smb();
  tally.netbios += got.has_netbios();
  tally.icmp += got.has_icmp();
  tally.payload_labels += got.payload_labels_size() > 0;
  tally.first_bytes += !got.src_first_bytes().empty() || !got.dst_first_bytes().empty();
  tally.http += !got.http_method().empty();
  tally.anomalies += got.anomalies_size() > 0;
  tally.log_labels += got.log_labels_size() > 0;
  tally.ifaces += !got.in_iface().empty();
  tally.interim += got.interim();
  return got;
}

/// The sensor's per-frame path (Pipeline::OnFrame) with the app decoders, comparing each export.
class Harness : public flowtable::ExportSink {
 public:
  Harness(const decoders::PayloadSignatureTable& signatures,
          const decoders::IcmpFingerprintTable& fingerprints, Tally& tally)
      : table_(TableConfig()),
        pool_(table_.capacity() / 4 + 1),
        first_bytes_(table_.capacity(), app_.first_bytes),
        tally_(tally) {
    scratch_.pool = &pool_;
    scratch_.first_bytes_pool = &first_bytes_;
    scratch_.signatures = &signatures;
    scratch_.icmp_fingerprints = &fingerprints;
  }

  void Frame(decoders::LinkType link, uint64_t ts_ns, uint32_t wire_len, const uint8_t* data,
             uint32_t cap_len, std::string_view label = {}, std::string_view in_iface = {},
             std::string_view out_iface = {}) {
    pkt_.ts_ns = ts_ns;
    pkt_.wire_len = wire_len;
    pkt_.cap_len = cap_len;
    decoders::DecodeFrame(link, std::span<const uint8_t>(data, cap_len), pkt_);
    pkt_.source_label = labels_.IdOf(label);
    if (!pkt_.is_ip()) return;
    const flowtable::UpdateResult r = table_.Update(pkt_, *this);
    if (r.flow == nullptr) return;
    if (r.created && !(in_iface.empty() && out_iface.empty())) {
      r.flow->iface_id = {ifaces_.IdOf(in_iface), ifaces_.IdOf(out_iface)};
    }
    decoders::UpdateAppState(pkt_, r.from_src, app_, r.flow->app, scratch_);
    if (r.quoted_flow != nullptr) decoders::NoteIcmpError(pkt_, r.quoted_flow->app);
  }
  void Finish() { table_.FlushAll(*this); }

  void Export(const flowtable::Flow& flow, flowtable::EndReason why, bool interim) override {
    FlowRecordSource source;
    source.flow = &flow;
    source.why = why;
    source.interim = interim;
    source.sensor_id = "encoder-test";
    source.labels = &labels_.names();
    if (flow.iface_id[0] != 0) source.in_iface = ifaces_.Name(flow.iface_id[0]);
    if (flow.iface_id[1] != 0) source.out_iface = ifaces_.Name(flow.iface_id[1]);
    source.app = &scratch_;
    Check(source, tally_);
    if (!interim) {
      decoders::ReleaseAppState(const_cast<flowtable::Flow&>(flow).app, &pool_, &first_bytes_);
    }
  }

 private:
  static flowtable::FlowTableConfig TableConfig() {
    flowtable::FlowTableConfig c;
    c.capacity_log2 = 12;  // small: evictions and interim records happen too
    return c;
  }
  flowtable::FlowTable table_;
  decoders::AppConfig app_;
  decoders::AppDetailPool pool_;
  decoders::FirstBytesPool first_bytes_;
  decoders::AppScratch scratch_;
  decoders::DecodedPacket pkt_;
  NameTable<uint16_t> labels_{0xFFFE};
  NameTable<uint8_t> ifaces_{0xFF};
  Tally& tally_;
};

class FlowRecordEncoder : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(decoders::ParsePayloadSignatures(decoders::DefaultPayloadSignaturesTsv(),
                                                 signatures_, error))
        << error;
    ASSERT_TRUE(decoders::ParseIcmpFingerprints(decoders::DefaultIcmpFingerprintsTsv(),
                                                fingerprints_, error))
        << error;
  }

  /// Runs a capture (pcap or pcapng) through the harness; false if libpcap cannot open it.
  bool RunPcap(const std::string& path, Tally& tally) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    if (p == nullptr) return false;
    int link = pcap_datalink(p);
    if (link == DLT_RAW) link = 101;  // LINKTYPE_RAW, as the sensor maps it
    if (!decoders::IsSupportedLinkType(link)) {
      pcap_close(p);
      return true;
    }
    Harness h(signatures_, fingerprints_, tally);
    pcap_pkthdr* hdr;
    const u_char* data;
    while (pcap_next_ex(p, &hdr, &data) == 1) {
      const uint64_t ts = uint64_t(hdr->ts.tv_sec) * 1'000'000'000ull + hdr->ts.tv_usec * 1000ull;
      h.Frame(static_cast<decoders::LinkType>(link), ts, hdr->len, data, hdr->caplen);
    }
    h.Finish();
    pcap_close(p);
    return true;
  }

  decoders::PayloadSignatureTable signatures_;
  decoders::IcmpFingerprintTable fingerprints_;
};

TEST_F(FlowRecordEncoder, RealCapturesAreLibprotobufEncodings) {
  std::vector<std::string> paths;
  for (const auto& dir : {SharedDir() + "/pcaps", std::string(TAPWATCH_SOURCE_DIR) + "/pcaps"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".pcap" || ext == ".pcapng") paths.push_back(e.path().string());
    }
  }
  if (paths.size() < 10) GTEST_SKIP() << "shared captures not found (set TAPWATCH_SHARED)";
  Tally t;
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    EXPECT_TRUE(RunPcap(path, t));
  }
  // The captures reach every part of the record.
  EXPECT_GT(t.records, 1000u);
  EXPECT_GT(t.byte_identical, t.records / 2);
  EXPECT_GT(t.smb, 0u);
  EXPECT_GT(t.netbios, 0u);
  EXPECT_GT(t.icmp, 0u);
  EXPECT_GT(t.payload_labels, 0u);
  EXPECT_GT(t.first_bytes, 0u);
  EXPECT_GT(t.http, 0u);
  EXPECT_GT(t.anomalies, 0u);
}

TEST_F(FlowRecordEncoder, FirewallLogsAreLibprotobufEncodings) {
  Tally t;
  int logs = 0;
  for (const char* name :
       {"Tetoronie-Scripting-and-Automation__iptables.log",
        "munetworkforensics-Ch8-EventLogs__firewall.log", "teliten-log.plemma__ufw.log"}) {
    const std::string path = SharedDir() + "/logs/" + name;
    if (!std::filesystem::exists(path)) continue;
    SCOPED_TRACE(path);
    LogSourceOptions o;
    o.path = path;
    o.year = 2004;
    std::string error;
    auto log = LogSource::Open(o, &error);
    ASSERT_TRUE(log) << error;
    Harness h(signatures_, fingerprints_, t);
    LogFrame f;
    while (log->Next(f)) {
      h.Frame(decoders::LinkType::kEthernet, f.ts_ns, f.wire_len, f.bytes.data(), f.cap_len,
              f.label, f.in_iface, f.out_iface);
    }
    h.Finish();
    ++logs;
  }
  if (logs == 0) GTEST_SKIP() << "shared logs not found (set TAPWATCH_SHARED)";
  EXPECT_GT(t.records, 100u);
  EXPECT_GT(t.log_labels, 0u);
  EXPECT_GT(t.ifaces, 0u);
}

/// A flow with every flow-level map full (3 anomalies + other, 4 labels + other, one label id
/// past the table, a label longer than the writer's first buffer) and MACs, ICMP type, TTLs.
flowtable::Flow FullFlow() {
  flowtable::Flow f;
  f.key.ip_proto = decoders::kIpProtoTcp;
  f.key.vlan_outer = 100;
  f.key.vlan_inner = 200;
  f.bits = flowtable::kBitSeenSrc | flowtable::kBitSeenDst | flowtable::kBitHasMac |
           flowtable::kBitHasIcmp | flowtable::kBitBareAckSrc;
  f.mac[0] = {2, 0, 0, 0, 0, 1};
  f.mac[1] = {2, 0, 0, 0, 0, 2};
  f.first_ns = 1'700'000'000'000'000'000ull;
  f.last_ns = f.first_ns + 5;
  f.flow_id = 0xFFFFFFFFFFull;
  for (int side = 0; side < 2; ++side) {
    auto& d = f.dir[side];
    d.pkts = 0xFFFFFFFF;
    d.ip_bytes = 300 + side;
    d.wire_bytes = 1 << 20;
    d.payload_bytes = 7;
    d.fragments = 3;
    d.bare_ack_pkts = 2;
    d.tcp_flags = 0xFF;
    d.initial_tcp_flags = 0x02;
    d.ttl_min = 1;
    d.ttl_max = 255;
  }
  f.icmp_type = 3;
  f.icmp_code = 13;
  std::memcpy(f.history.data(), "ShADadFfRrTt", flowtable::kHistoryChars);  // no NUL: full
  f.record_seq = 65535;
  for (int i = 0; i < flowtable::kFlowAnomalySlots; ++i) {
    f.anomaly[i] = static_cast<decoders::Anomaly>(i + 1);
    f.anomaly_count[i] = static_cast<uint16_t>(1000 * (i + 1));
  }
  f.anomaly_other = 9;
  f.label_id = {1, 2, 3, 999};
  f.label_pkts = {1, 200, 65535, 4};
  f.label_other = 5;
  return f;
}

TEST_F(FlowRecordEncoder, EveryMapAndSubMessageAndGrowth) {
  const std::vector<std::string> labels{"", "INBOUND TCP", "other", std::string(20000, 'L')};
  decoders::AppDetailPool pool(4);
  decoders::FirstBytesPool first_bytes(1, 64);
  const uint32_t chunk = first_bytes.Acquire();
  const std::span<uint8_t> kept = first_bytes.Chunk(chunk);
  ASSERT_EQ(kept.size(), 2u * 64);
  std::fill(kept.begin(), kept.end(), 0);
  const std::string get = "GET /index.html HTTP/1.0\r\n";
  std::memcpy(kept.data(), get.data(), get.size());
  for (size_t i = 64; i < kept.size(); ++i) kept[i] = static_cast<uint8_t>(i * 7);
  decoders::AppScratch scratch;
  scratch.pool = &pool;
  scratch.signatures = &signatures_;
  scratch.icmp_fingerprints = &fingerprints_;
  scratch.first_bytes_pool = &first_bytes;
  ASSERT_FALSE(fingerprints_.rules.empty());

  flowtable::Flow smb_flow = FullFlow();
  decoders::AppState& a = smb_flow.app;
  a.kind = decoders::AppKind::kSmb;
  a.detail = pool.Acquire<decoders::SmbDetail>();
  a.label_mask = (1u << std::min<size_t>(signatures_.rules.size(), 32)) - 1;
  a.first_chunk = chunk;
  a.first_len = {64, 64};
  a.bare_ack_pkts = {0, 3};
  a.flags = decoders::AppState::kBareAck;
  a.errors_quoted = 4;  // an SMB flow with ICMP errors about it: IcmpSummary too
  a.error_type_codes = {0x0303, 0x0B00};
  a.error_type_counts = {3, 1};
  a.icmp_rule = 0;
  decoders::SmbDetail& smb = *pool.Get<decoders::SmbDetail>(a.detail);
  smb.version = 2;
  smb.smb2_dialect = 0x0311;
  smb.messages = 1'000'000;
  smb.failed_responses = 2;
  smb.first_error_status = 0xC0000022;
  for (uint8_t c = 0; c < 20; ++c) smb.smb1_commands.Add(c, c + 1u);  // 16 + other
  for (size_t i = 1; i < smb.smb2_commands.size(); ++i) {
    smb.smb2_commands.Add(smb.sets_used, i, static_cast<uint32_t>(200 * i));
  }
  smb.smb2_other_commands = 5;
  for (uint8_t t : {0x00, 0x81, 0x82, 0x83, 0x85}) smb.nbss_types.Add(t, 2);
  smb.dialects.Add(smb.sets_used, "NT LM 0.12");
  smb.dialects.Add(smb.sets_used, "");  // an empty element of a repeated string is still written
  smb.tree_paths.Add(smb.sets_used, std::string(200, 'T'));  // cut to 95
  smb.pipes.Add(smb.sets_used, "\\PIPE\\srvsvc");
  smb.nbss_called.Add(smb.sets_used, "SERVER<20>");
  smb.nbss_calling.Add(smb.sets_used, "CLIENT<00>");

  flowtable::Flow nbns_flow = FullFlow();
  nbns_flow.key.ip_proto = decoders::kIpProtoUdp;
  decoders::AppState& b = nbns_flow.app;
  b.kind = decoders::AppKind::kNbns;
  b.detail = pool.Acquire<decoders::NbnsDetail>();
  decoders::NbnsDetail& nbns = *pool.Get<decoders::NbnsDetail>(b.detail);
  for (size_t i = 0; i < nbns.nbns_opcodes.size(); ++i) nbns.nbns_opcodes[i] = (i % 3) * 70;
  nbns.nb_queries = 1;
  nbns.nbstat_queries = 2;
  nbns.broadcast = 3;
  nbns.responses = 4;
  nbns.error_responses = 5;
  nbns.has_nbstat_mac = true;  // all zero: still "00:00:00:00:00:00"
  for (const char* n : {"WORKGROUP<00>", "HOST<20>"}) {
    nbns.nbns_names.Add(nbns.sets_used, n);
    nbns.nbstat_names.Add(nbns.sets_used, n);
  }

  flowtable::Flow nbds_flow = FullFlow();
  nbds_flow.key.ip_proto = decoders::kIpProtoUdp;
  decoders::AppState& n = nbds_flow.app;
  n.kind = decoders::AppKind::kNbds;
  n.detail = pool.Acquire<decoders::NbdsDetail>();
  decoders::NbdsDetail& nbds = *pool.Get<decoders::NbdsDetail>(n.detail);
  for (const char* name : {"WORKGROUP<00>", "HOST<20>"}) {
    nbds.nbds_source_names.Add(nbds.sets_used, name);
    nbds.nbds_destination_names.Add(nbds.sets_used, name);
    nbds.browser_hosts.Add(nbds.sets_used, name);
  }
  nbds.browser_os.Add(nbds.sets_used, "5.1");

  flowtable::Flow icmp_flow = FullFlow();
  icmp_flow.key.ip_proto = decoders::kIpProtoIcmp;
  decoders::AppState& c = icmp_flow.app;
  c.kind = decoders::AppKind::kIcmp;
  c.detail = pool.Acquire<decoders::IcmpDetail>();
  c.echo_requests = 10;
  c.echo_replies = 0;
  c.ttl1_probes = 3;
  c.icmp_rule = static_cast<uint8_t>(fingerprints_.rules.size() - 1);
  decoders::IcmpDetail& icmp = *pool.Get<decoders::IcmpDetail>(c.detail);
  for (uint16_t len = 28; len < 28 + 12; ++len) icmp.ip_lengths.Add(len, len);  // 8 + other

  Tally t;
  for (flowtable::Flow* f : {&smb_flow, &nbns_flow, &nbds_flow, &icmp_flow}) {
    for (const bool with_app : {true, false}) {
      FlowRecordSource source;
      source.flow = f;
      source.why = flowtable::EndReason::kActive;
      source.interim = true;
      source.sensor_id = "s";
      source.labels = &labels;
      source.in_iface = "eth0";
      source.out_iface = std::string_view("eth1");
      source.app = with_app ? &scratch : nullptr;
      const proto::FlowRecord r = Check(source, t);
      // What FullFlow planted, read back by libprotobuf.
      EXPECT_EQ(r.sensor_id(), "s");
      EXPECT_EQ(r.vlan(), 100u);
      EXPECT_EQ(r.vlan_inner(), 200u);
      EXPECT_EQ(r.src_mac(), "02:00:00:00:00:01");
      EXPECT_EQ(r.dst_mac(), "02:00:00:00:00:02");
      EXPECT_EQ(r.start_ns(), 1'700'000'000'000'000'000ull);
      EXPECT_EQ(r.end_ns(), r.start_ns() + 5);
      EXPECT_EQ(r.src_pkts(), 0xFFFFFFFFu);
      EXPECT_EQ(r.dst_ip_bytes(), 301u);
      EXPECT_EQ(r.src_fragments(), 3u);
      EXPECT_EQ(r.history(), "ShADadFfRrTt");
      EXPECT_EQ(r.record_seq(), 65535u);
      EXPECT_TRUE(r.interim());
      EXPECT_EQ(r.in_iface(), "eth0");
      EXPECT_EQ(r.out_iface(), "eth1");
      EXPECT_EQ(r.anomalies_size(), flowtable::kFlowAnomalySlots + 1);
      EXPECT_EQ(r.log_labels().at("INBOUND TCP"), 1u);
      EXPECT_EQ(r.has_smb(), with_app && f == &smb_flow);
      EXPECT_EQ(r.has_netbios(), with_app && (f == &nbns_flow || f == &nbds_flow));
      if (r.has_smb()) {
        EXPECT_EQ(r.smb().version(), 2u);
        EXPECT_EQ(r.smb().smb2_dialect(), 0x0311u);
        EXPECT_EQ(r.smb().messages(), 1'000'000u);
        EXPECT_EQ(r.smb().failed_responses(), 2u);
        EXPECT_EQ(r.smb().first_error_status(), 0xC0000022u);
        ASSERT_EQ(r.smb().dialects_size(), 2);
        EXPECT_EQ(r.smb().dialects(0), "NT LM 0.12");
        EXPECT_EQ(r.smb().pipes(0), "\\PIPE\\srvsvc");
        EXPECT_EQ(r.smb().nbss_types().at(0x85), 2u);
        EXPECT_EQ(r.http_method(), "GET");
        EXPECT_EQ(r.icmp().errors_quoted(), 4u);
        EXPECT_EQ(r.icmp().error_types().at(0x0303), 3u);
      }
      if (with_app && f == &nbns_flow) {
        EXPECT_EQ(r.netbios().nbns_nbstat_queries(), 2u);
        EXPECT_EQ(r.netbios().nbns_error_responses(), 5u);
        EXPECT_EQ(r.netbios().nbstat_mac(), "00:00:00:00:00:00");
        ASSERT_EQ(r.netbios().nbns_names_size(), 2);
        EXPECT_EQ(r.netbios().nbns_names(1), "HOST<20>");
      }
      if (with_app && f == &nbds_flow) {
        ASSERT_EQ(r.netbios().browser_os_size(), 1);
        EXPECT_EQ(r.netbios().browser_os(0), "5.1");
        EXPECT_EQ(r.netbios().nbds_destination_names(0), "WORKGROUP<00>");
      }
      if (with_app && f == &icmp_flow) {
        EXPECT_EQ(r.icmp().echo_requests(), 10u);
        EXPECT_EQ(r.icmp().ttl1_probes(), 3u);
        EXPECT_EQ(r.icmp().ip_length_histogram().at(28), 28u);
        EXPECT_FALSE(r.icmp().fingerprint().empty());
      }
    }
  }
  EXPECT_EQ(t.records, 8u);
  EXPECT_EQ(t.smb, 1u);
  EXPECT_EQ(t.netbios, 2u);
  EXPECT_EQ(t.icmp, 2u);
  EXPECT_EQ(t.http, 1u);  // first bytes and labels: the SMB flow only
  EXPECT_EQ(t.payload_labels, signatures_.rules.empty() ? 0u : 1u);

  // The 20000-byte label makes the record outgrow the writer's first buffer (4096 bytes) in
  // the middle of a field, and needs a three-byte length as a nested message.
  WireWriter w;
  FlowRecordSource source;
  source.flow = &smb_flow;
  source.labels = &labels;
  source.app = &scratch;
  const size_t mark = w.BeginNested(3);
  EncodeFlowRecord(source, w);
  w.EndNested(mark);
  EXPECT_GT(w.capacity(), 20000u);
  proto::Envelope e;
  ASSERT_TRUE(e.ParseFromArray(w.data(), static_cast<int>(w.size())));
  EXPECT_EQ(e.flow().log_labels().at(labels[3]), 65535u);
  EXPECT_EQ(e.flow().log_labels().at("label999"), 4u);      // an id past the table
  EXPECT_EQ(e.flow().log_labels().at("other"), 200u + 5u);  // a label named "other" adds up
  EXPECT_EQ(e.flow().smb().tree_paths(0).size(), 95u);
  EXPECT_EQ(e.flow().smb().smb1_commands().at(kSmb1OtherCommandsKey), 17u + 18u + 19u + 20u);
}

// Nested lengths at each varint-size boundary, in a writer that grows while writing: the bytes
// are libprotobuf's own (an Envelope whose flow record holds a string of n bytes).
TEST(WireWriter, NestedLengthsEqualLibprotobufAtEveryVarintBoundary) {
  WireWriter w;  // reused: Clear keeps the capacity, content must not leak between rounds
  for (size_t n : {0ul, 1ul, 120ul, 125ul, 126ul, 127ul, 128ul, 16380ul, 16381ul, 16383ul, 16384ul,
                   2097151ul, 2097152ul, 3ul}) {
    SCOPED_TRACE(n);
    const std::string s(n, 'x');
    w.Clear();
    const size_t outer = w.BeginNested(1);  // EnvelopeBatch.envelopes
    w.VarintField(2, 7);
    const size_t inner = w.BeginNested(3);
    w.StringField(2, s);
    w.EndNested(inner);
    w.VarintField(5, 9);
    w.EndNested(outer);

    proto::EnvelopeBatch want;
    proto::Envelope* e = want.add_envelopes();
    e->set_seq(7);
    e->set_sensor_start_ns(9);
    e->mutable_flow()->set_sensor_id(s);
    ASSERT_EQ(std::string(reinterpret_cast<const char*>(w.data()), w.size()),
              want.SerializeAsString());
  }
}

}  // namespace
}  // namespace tapwatch::sensor
