// Community ID v1 (sensor/community_id.cc) on the hand-built tuples of the specification's
// baseline tables (community-id-spec baseline/README.md): defaults, seed 1 and the SHA-1 digest
// the no-base64 table prints, each tuple in both directions where the table gives both.

#include "sensor/community_id.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

namespace tapwatch::sensor {
namespace {

decoders::IpAddress Addr(const char* text) {
  decoders::IpAddress a;
  if (inet_pton(AF_INET, text, a.bytes.data()) == 1) {
    a.family = 4;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, a.bytes.data()), 1) << text;
    a.family = 6;
  }
  return a;
}

CommunityIdTuple Tuple(uint8_t proto, const char* src, const char* dst, int sport = -1,
                       int dport = -1) {
  CommunityIdTuple t;
  t.ip_proto = proto;
  t.src = Addr(src);
  t.dst = Addr(dst);
  t.has_ports = sport >= 0;
  if (t.has_ports) {
    t.src_port = static_cast<uint16_t>(sport);
    t.dst_port = static_cast<uint16_t>(dport);
  }
  return t;
}

std::string Id(const CommunityIdTuple& t, uint16_t seed) {
  char out[kCommunityIdBytes];
  return std::string(out, FormatCommunityId(t, seed, out));
}

std::string Hex(const CommunityIdTuple& t) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "1:";
  for (const uint8_t b : CommunityIdDigest(t, 0)) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

struct Row {
  CommunityIdTuple tuple;
  const char* deflt;
  const char* seed1;
  const char* hex;
};

constexpr const char* kV6a = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D";
constexpr const char* kV6b = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D";

const Row kRows[] = {
    {Tuple(6, "1.2.3.4", "5.6.7.8", 1122, 3344), "1:wCb3OG7yAFWelaUydu0D+125CLM=",
     "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "1:c026f7386ef200559e95a53276ed03fb5db908b3"},
    {Tuple(6, "5.6.7.8", "1.2.3.4", 3344, 1122), "1:wCb3OG7yAFWelaUydu0D+125CLM=",
     "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "1:c026f7386ef200559e95a53276ed03fb5db908b3"},
    {Tuple(17, "1.2.3.4", "5.6.7.8", 1122, 3344), "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
     "1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8"},
    {Tuple(17, "5.6.7.8", "1.2.3.4", 3344, 1122), "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
     "1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8"},
    {Tuple(132, "1.2.3.4", "5.6.7.8", 1122, 3344), "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
     "1:uitchpn5MMGAQKBJh7bIr/bAr7s=", "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f"},
    {Tuple(132, "5.6.7.8", "1.2.3.4", 3344, 1122), "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
     "1:uitchpn5MMGAQKBJh7bIr/bAr7s=", "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f"},
    // ICMP echo request (type 8) and its reply (type 0) are one flow ...
    {Tuple(1, "1.2.3.4", "5.6.7.8", 8, 0), "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=",
     "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d"},
    {Tuple(1, "5.6.7.8", "1.2.3.4", 0, 0), "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=",
     "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d"},
    // ... time exceeded (type 11) is one-way.
    {Tuple(1, "1.2.3.4", "5.6.7.8", 11, 0), "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=",
     "1:1DD7cWGC/Yg91YGsQeni8du3pIA=", "1:7ff6224b25aa733ad381f5026650549ef1d170f9"},
    {Tuple(58, kV6a, kV6b, 128, 0), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=",
     "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "1:d1b7fb872309530b777cc103ef3f0b21f46905ea"},
    {Tuple(58, kV6b, kV6a, 129, 0), "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=",
     "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "1:d1b7fb872309530b777cc103ef3f0b21f46905ea"},
    {Tuple(58, kV6a, kV6b, 146, 0), "1:fYC8+pz24E+EhANP1EZhpX0Dw10=",
     "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=", "1:7d80bcfa9cf6e04f8484034fd44661a57d03c35d"},
    // RSVP (46): no ports, still bidirectional.
    {Tuple(46, "1.2.3.4", "5.6.7.8"), "1:ikv3kmf89luf73WPz1jOs49S768=",
     "1:/buhqeOmaRCopOZFy9HnoJd5XW8=", "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf"},
    {Tuple(46, "5.6.7.8", "1.2.3.4"), "1:ikv3kmf89luf73WPz1jOs49S768=",
     "1:/buhqeOmaRCopOZFy9HnoJd5XW8=", "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf"},
    {Tuple(46, kV6a, kV6b), "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
     "1:c10ff69b0ae75cfe259897077462f978f8d1f9ed"},
    {Tuple(46, kV6b, kV6a), "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
     "1:c10ff69b0ae75cfe259897077462f978f8d1f9ed"},
};

TEST(CommunityId, SpecificationTables) {
  for (const Row& row : kRows) {
    SCOPED_TRACE(testing::Message() << int{row.tuple.ip_proto} << " " << row.deflt);
    EXPECT_EQ(Id(row.tuple, 0), row.deflt);
    EXPECT_EQ(Id(row.tuple, 1), row.seed1);
    EXPECT_EQ(Hex(row.tuple), row.hex);
  }
}

// The specification's own example: an IPv6 router solicitation (133, answered by 134).
TEST(CommunityId, SpecificationExample) {
  EXPECT_EQ(Id(Tuple(58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0), 0),
            "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=");
}

// A one-way ICMP message is hashed in the direction it was sent: the reverse is another ID,
// while a two-way message's reverse (its answer) is the same one.
TEST(CommunityId, OneWayIcmpKeepsItsDirection) {
  EXPECT_NE(Id(Tuple(1, "5.6.7.8", "1.2.3.4", 11, 0), 0), "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
  EXPECT_EQ(Id(Tuple(1, "5.6.7.8", "1.2.3.4", 8, 0), 0),
            Id(Tuple(1, "1.2.3.4", "5.6.7.8", 0, 0), 0));
}

// Equal addresses: the ports decide the order.
TEST(CommunityId, EqualAddressesOrderedByPort) {
  EXPECT_EQ(Id(Tuple(6, "10.0.0.1", "10.0.0.1", 80, 1234), 0),
            Id(Tuple(6, "10.0.0.1", "10.0.0.1", 1234, 80), 0));
}

}  // namespace
}  // namespace tapwatch::sensor
