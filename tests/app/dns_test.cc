// DNS decoder units: hand-built messages whose fields are planted (RFC 1035 layout), bad input
// (truncation at every prefix, pointer loops, forward pointers, reserved label types), escapes,
// the bounds, and TCP length prefixes.
#include "decoders/dns/dns.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decoders/app_state.h"

namespace tapwatch::decoders {
namespace {

using Bytes = std::vector<uint8_t>;

void Put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void PutName(Bytes& b, const std::vector<std::string>& labels) {
  for (const auto& l : labels) {
    b.push_back(static_cast<uint8_t>(l.size()));
    b.insert(b.end(), l.begin(), l.end());
  }
  b.push_back(0);
}
Bytes Header(uint16_t flags, uint16_t qd, uint16_t an) {
  Bytes b;
  Put16(b, 0x1234);
  Put16(b, flags);
  Put16(b, qd);
  Put16(b, an);
  Put16(b, 0);
  Put16(b, 0);
  return b;
}
// A response: question www.example.com A, answers: A 192.0.2.1 (owner by pointer to offset 12),
// CNAME alias.example.com (with "example.com" by pointer), AAAA 2001:db8::1.
Bytes Response(uint8_t rcode = 0) {
  Bytes b = Header(static_cast<uint16_t>(0x8180 | rcode), 1, 3);
  PutName(b, {"www", "example", "com"});
  Put16(b, 1);
  Put16(b, 1);
  auto rr = [&](uint16_t type, const Bytes& rdata) {
    Put16(b, 0xC00C);
    Put16(b, type);
    Put16(b, 1);
    Put16(b, 0);
    Put16(b, 60);
    Put16(b, static_cast<uint16_t>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
  };
  rr(1, {192, 0, 2, 1});
  rr(5, {5, 'a', 'l', 'i', 'a', 's', 0xC0, 16});  // offset 16: "example.com"
  rr(28, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  return b;
}

std::vector<std::string> Strings(const auto& set, uint16_t used) {
  std::vector<std::string> out;
  for (const auto& s : set.Items(used)) out.emplace_back(s.view());
  return out;
}

TEST(Dns, ResponseFields) {
  DnsDetail d;
  const Bytes msg = Response(3);
  ASSERT_TRUE(DecodeDnsMessage(msg, d));
  EXPECT_EQ(d.responses, 1u);
  EXPECT_EQ(d.queries, 0u);
  EXPECT_EQ(d.rcodes[3], 1u);
  EXPECT_EQ(d.answer_records, 3u);
  EXPECT_EQ(d.query_types.Get(1), 1u);
  EXPECT_EQ(Strings(d.query_names, d.sets_used), std::vector<std::string>{"www.example.com"});
  EXPECT_EQ(Strings(d.answers, d.sets_used),
            (std::vector<std::string>{"192.0.2.1", "alias.example.com", "2001:db8::1"}));
}

TEST(Dns, EveryPrefixIsMalformedOrWholeAndNeverReadsPast) {
  const Bytes msg = Response();
  for (size_t n = 0; n < msg.size(); ++n) {
    DnsDetail d;
    const Bytes prefix(msg.begin(), msg.begin() + static_cast<long>(n));
    EXPECT_FALSE(DecodeDnsMessage(prefix, d)) << n;
    EXPECT_EQ(d.malformed, 1u) << n;
  }
}

TEST(Dns, PointerLoopsForwardPointersAndReservedLabelsAreMalformed) {
  for (const Bytes& name : {Bytes{0xC0, 12}, Bytes{0xC0, 40}, Bytes{0x40, 'a', 0}}) {
    Bytes b = Header(0x0100, 1, 0);
    b.insert(b.end(), name.begin(), name.end());
    Put16(b, 1);
    Put16(b, 1);
    DnsDetail d;
    EXPECT_FALSE(DecodeDnsMessage(b, d));
    EXPECT_EQ(d.malformed, 1u);
    EXPECT_EQ(d.queries, 1u);
  }
}

TEST(Dns, NameBytesAreEscapedToAscii) {
  Bytes b = Header(0x0100, 1, 0);
  PutName(b, {std::string("a.b\\c"), std::string("\xff\x01 z", 4)});
  Put16(b, 16);
  Put16(b, 1);
  DnsDetail d;
  ASSERT_TRUE(DecodeDnsMessage(b, d));
  EXPECT_EQ(Strings(d.query_names, d.sets_used),
            std::vector<std::string>{"a\\.b\\\\c.\\xff\\x01\\x20z"});
  Bytes root = Header(0x0100, 1, 0);
  PutName(root, {});
  Put16(root, 2);
  Put16(root, 1);
  ASSERT_TRUE(DecodeDnsMessage(root, d));
  EXPECT_EQ(Strings(d.query_names, d.sets_used).back(), ".");
}

TEST(Dns, NamesAndAnswersAreBounded) {
  DnsDetail d;
  for (int i = 0; i < 10; ++i) {
    Bytes b = Header(0x0100, 1, 0);
    PutName(b, {std::string(63, static_cast<char>('a' + i)), std::string(63, 'x'),
                std::string(63, 'y'), std::string(61, 'z')});
    Put16(b, static_cast<uint16_t>(100 + i));
    Put16(b, 1);
    ASSERT_TRUE(DecodeDnsMessage(b, d));
  }
  EXPECT_EQ(d.queries, 10u);
  EXPECT_LE(d.query_names.Items(d.sets_used).size(), 4u);
  EXPECT_GE(d.query_names.Dropped(d.sets_used), 6u);
  EXPECT_EQ(d.query_types.size, 8u);
  EXPECT_EQ(d.query_types.other, 2u);
}

// Through UpdateAppState: UDP 53 routes to the DNS detail; TCP messages with their length
// prefix, in one segment or with the prefix alone first.
TEST(Dns, RoutedByPortOverUdpAndTcp) {
  AppDetailPool pool(4);
  AppScratch scratch;
  scratch.pool = &pool;
  AppConfig config;
  const Bytes msg = Response();
  auto packet = [](uint8_t proto, std::span<const uint8_t> payload, uint16_t sport,
                   uint16_t dport) {
    DecodedPacket pkt;
    pkt.ip_version = 4;
    pkt.ip_proto = proto;
    pkt.has_l4 = true;
    pkt.src_port = sport;
    pkt.dst_port = dport;
    pkt.l4_payload = payload;
    pkt.l4_payload_wire_len = static_cast<uint32_t>(payload.size());
    return pkt;
  };
  AppState udp;
  DecodedPacket p = packet(kIpProtoUdp, msg, 53, 40000);
  UpdateAppState(p, false, config, udp, scratch);
  ASSERT_EQ(udp.kind, kAppKind<DnsDetail>);
  EXPECT_EQ(pool.Get<DnsDetail>(udp.detail)->responses, 1u);

  AppState tcp;
  Bytes framed;
  Put16(framed, static_cast<uint16_t>(msg.size()));
  framed.insert(framed.end(), msg.begin(), msg.end());
  framed.insert(framed.end(), framed.begin(), framed.end());  // two messages in one segment
  p = packet(kIpProtoTcp, framed, 53, 40001);
  UpdateAppState(p, false, config, tcp, scratch);
  const Bytes prefix(framed.begin(), framed.begin() + 2);
  p = packet(kIpProtoTcp, prefix, 53, 40001);
  UpdateAppState(p, false, config, tcp, scratch);
  p = packet(kIpProtoTcp, msg, 53, 40001);
  UpdateAppState(p, false, config, tcp, scratch);
  const Bytes partial(framed.begin(), framed.begin() + 20);
  p = packet(kIpProtoTcp, partial, 53, 40001);
  UpdateAppState(p, false, config, tcp, scratch);
  const DnsDetail* d = pool.Get<DnsDetail>(tcp.detail);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->responses, 3u);
  EXPECT_EQ(d->tcp_segments_skipped, 1u);
  EXPECT_EQ(d->malformed, 0u);
}

}  // namespace
}  // namespace tapwatch::decoders
