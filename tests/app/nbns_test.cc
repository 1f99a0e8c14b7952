#include "decoders/nbns.h"

#include <gtest/gtest.h>

#include "tests/app/test_bytes.h"

namespace tapwatch::apptest {
namespace {

using decoders::Anomaly;
using decoders::DecodedPacket;
using decoders::DecodeStatus;
using decoders::NbnsDetail;

std::string Wildcard() { return std::string("*") + std::string(14, '\0'); }

// The 1.11.0.0/16 leak's "Name query NBSTAT": RFC 1002 4.2.17 NODE STATUS REQUEST for "*<00>".
Bytes NbstatQuery() {
  Bytes b;
  Be16(b, 0x8021);  // NAME_TRN_ID
  Be16(b, 0x0000);  // query, opcode 0, unicast
  Be16(b, 1);       // QDCOUNT
  Be16(b, 0);
  Be16(b, 0);
  Be16(b, 0);
  Append(b, EncodeNetbiosName(Wildcard(), 0x00));
  Be16(b, 0x0021);  // NBSTAT
  Be16(b, 0x0001);  // IN
  return b;
}

// RFC 1002 4.2.12 NAME QUERY REQUEST, broadcast (B bit 0x0010, RD 0x0100).
Bytes BroadcastQuery() {
  Bytes b;
  Be16(b, 0x1234);
  Be16(b, 0x0110);
  Be16(b, 1);
  Be16(b, 0);
  Be16(b, 0);
  Be16(b, 0);
  Append(b, EncodeNetbiosName("WORKGROUP", 0x1D));
  Be16(b, 0x0020);
  Be16(b, 0x0001);
  return b;
}

// RFC 1002 4.2.2 NAME REGISTRATION REQUEST: opcode 5, question + additional RR (pointer 0xC00C).
Bytes Registration() {
  Bytes b;
  Be16(b, 0x0001);
  Be16(b, 0x2910);  // opcode 5, RD, B
  Be16(b, 1);
  Be16(b, 0);
  Be16(b, 0);
  Be16(b, 1);
  Append(b, EncodeNetbiosName("HOST1", 0x00));
  Be16(b, 0x0020);
  Be16(b, 0x0001);
  Append(b, {0xC0, 0x0C});  // name: pointer to offset 12
  Be16(b, 0x0020);
  Be16(b, 0x0001);
  Append(b, {0x00, 0x04, 0x93, 0xE0});  // TTL
  Be16(b, 6);
  Append(b, {0x00, 0x00, 10, 0, 0, 5});  // NB_FLAGS, NB_ADDRESS
  return b;
}

// RFC 1002 4.2.18 NODE STATUS RESPONSE: two names, then the unit ID (MAC).
Bytes NbstatResponse() {
  Bytes rdata{2};
  for (auto [name, suffix] : {std::pair{"GUNNAR", 0x00}, std::pair{"VIGILANT_GROUP", 0x1e}}) {
    std::string raw(name);
    raw.resize(15, ' ');
    AppendText(rdata, raw);
    rdata.push_back(static_cast<uint8_t>(suffix));
    Append(rdata, {0x04, 0x00});  // NAME_FLAGS
  }
  Append(rdata, {0x00, 0x1c, 0xc4, 0x10, 0x79, 0x0f});  // unit ID
  rdata.insert(rdata.end(), 40, 0);                     // statistics
  Bytes b;
  Be16(b, 0x20a8);
  Be16(b, 0x8400);  // response, AA
  Be16(b, 0);
  Be16(b, 1);
  Be16(b, 0);
  Be16(b, 0);
  Append(b, EncodeNetbiosName(Wildcard(), 0x00));
  Be16(b, 0x0021);
  Be16(b, 0x0001);
  Append(b, {0, 0, 0, 0});
  Be16(b, static_cast<uint16_t>(rdata.size()));
  Append(b, rdata);
  return b;
}

TEST(Nbns, NbstatQueryFromSeed) {
  NbnsDetail d;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeNbns(NbstatQuery(), d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.nbstat_queries, 1u);
  EXPECT_EQ(d.nb_queries, 0u);
  EXPECT_EQ(d.nbns_opcodes[0], 1u);
  EXPECT_EQ(d.broadcast, 0u);
  ASSERT_EQ(d.nbns_names.Items(d.sets_used).size(), 1);
  EXPECT_EQ(d.nbns_names.Items(d.sets_used)[0].view().substr(0, 5), "*<00>");
}

TEST(Nbns, BroadcastQueryAndRegistration) {
  NbnsDetail d;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeNbns(BroadcastQuery(), d, pkt), DecodeStatus::kOk);
  ASSERT_EQ(decoders::DecodeNbns(Registration(), d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.broadcast, 2u);
  EXPECT_EQ(d.nb_queries, 2u);  // both questions are type NB
  EXPECT_EQ(d.rr_nb, 1u);       // the additional record
  EXPECT_EQ(d.nbns_opcodes[0], 1u);
  EXPECT_EQ(d.nbns_opcodes[5], 1u);
  ASSERT_EQ(d.nbns_names.Items(d.sets_used).size(), 2);
  EXPECT_EQ(d.nbns_names.Items(d.sets_used)[0].view(), "WORKGROUP<1d>");
  EXPECT_EQ(d.nbns_names.Items(d.sets_used)[1].view(), "HOST1<00>");
  EXPECT_EQ(pkt.anomaly_count, 0);
}

TEST(Nbns, NodeStatusResponseNameTableAndMac) {
  NbnsDetail d;
  DecodedPacket pkt;
  ASSERT_EQ(decoders::DecodeNbns(NbstatResponse(), d, pkt), DecodeStatus::kOk);
  EXPECT_EQ(d.responses, 1u);
  EXPECT_EQ(d.rr_nbstat, 1u);
  ASSERT_EQ(d.nbstat_names.Items(d.sets_used).size(), 2);
  EXPECT_EQ(d.nbstat_names.Items(d.sets_used)[0].view(), "GUNNAR<00>");
  EXPECT_EQ(d.nbstat_names.Items(d.sets_used)[1].view(), "VIGILANT_GROUP<1e>");
  ASSERT_TRUE(d.has_nbstat_mac);
  EXPECT_EQ(d.nbstat_mac, (std::array<uint8_t, 6>{0x00, 0x1c, 0xc4, 0x10, 0x79, 0x0f}));
}

TEST(Nbns, NegativeResponseCounted) {
  Bytes b = BroadcastQuery();
  b[2] = 0x85;  // response, AA, opcode 0
  b[3] = 0x03;  // RCODE 3 (NAM_ERR)
  NbnsDetail d;
  DecodedPacket pkt;
  decoders::DecodeNbns(b, d, pkt);
  EXPECT_EQ(d.responses, 1u);
  EXPECT_EQ(d.error_responses, 1u);
}

TEST(Nbns, Anomalies) {
  NbnsDetail d;
  {
    Bytes b = NbstatQuery();
    b[4] = 0x10;  // QDCOUNT 4096
    DecodedPacket pkt;
    EXPECT_EQ(decoders::DecodeNbns(b, d, pkt), DecodeStatus::kMalformed);
    EXPECT_TRUE(pkt.Has(Anomaly::kNbnsBadCount));
  }
  {
    Bytes b = NbstatQuery();
    b[12] = 0x80;  // reserved label type (RFC 1035 4.1.4)
    DecodedPacket pkt;
    EXPECT_EQ(decoders::DecodeNbns(b, d, pkt), DecodeStatus::kMalformed);
    EXPECT_TRUE(pkt.Has(Anomaly::kNbnsBadName));
  }
  {
    // X-Scan's probe (xscan_capture.pcap): a 62-byte then 63-byte label instead of a NetBIOS
    // name. Flagged, not added, but the question type is still read (as tshark does).
    Bytes b;
    Append(b, {0x83, 0x98, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0});  // id, RD, QDCOUNT 1
    b.push_back(62);
    b.insert(b.end(), 62, 'A');
    b.push_back(63);
    b.insert(b.end(), 63, '?');
    Append(b, {0, 0x00, 0x20, 0x00, 0x01});
    NbnsDetail x;
    DecodedPacket pkt;
    EXPECT_EQ(decoders::DecodeNbns(b, x, pkt), DecodeStatus::kMalformed);
    EXPECT_TRUE(pkt.Has(Anomaly::kNbnsBadName));
    EXPECT_EQ(x.nb_queries, 1u);
    EXPECT_EQ(x.nbns_names.Items(x.sets_used).size(), 0);
  }
}

TEST(Nbns, EveryPrefix) {
  for (const Bytes& full : {NbstatQuery(), BroadcastQuery(), Registration(), NbstatResponse()}) {
    // RDATA of the last record may be cut by snaplen without an anomaly.
    const size_t rdata_len = full == NbstatResponse() ? 83 : full == Registration() ? 6 : 0;
    for (size_t n = 0; n < full.size(); ++n) {
      NbnsDetail d;
      DecodedPacket pkt;
      const auto s = decoders::DecodeNbns({full.data(), n}, d, pkt);
      if (n < full.size() - rdata_len) {
        EXPECT_EQ(s, DecodeStatus::kMalformed) << n;
        EXPECT_TRUE(pkt.Has(Anomaly::kNbnsTruncated)) << n;
      } else {
        EXPECT_EQ(s, DecodeStatus::kOk) << n;
      }
    }
  }
}

}  // namespace
}  // namespace tapwatch::apptest
