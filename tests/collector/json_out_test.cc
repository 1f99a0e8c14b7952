// JSON helpers: escaping per RFC 8259.
#include "collector/json_out.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "collector/printable.h"
#include "tapwatch.pb.h"

namespace tapwatch::collector {
namespace {

// Every code point U+0000..U+00FF as UTF-8: the controls (C0, DEL, C1) and nothing else change.
TEST(JsonOut, NoControlCharacterLeftForATerminal) {
  for (unsigned cp = 0; cp < 0x100; ++cp) {
    std::string utf8;
    if (cp < 0x80) {
      utf8.push_back(static_cast<char>(cp));
    } else {
      utf8.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
    const bool control = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
    const std::string in = "a" + utf8 + "z";
    const std::string shown = Printable(in);
    if (!control) {
      EXPECT_EQ(shown, in) << cp;
    } else {
      std::string want = "a";
      for (unsigned char b : utf8) {
        char hex[5];
        std::snprintf(hex, sizeof hex, "\\x%02X", b);
        want += hex;
      }
      EXPECT_EQ(shown, want + "z") << cp;
    }
    std::string json;
    AppendJsonString(json, in);
    if (control) {
      char u[7];
      std::snprintf(u, sizeof u, "\\u%04x", cp);
      const bool short_form = cp == '\n' || cp == '\r' || cp == '\t' || cp == '\b' || cp == '\f';
      EXPECT_TRUE(short_form || json == std::string("\"a") + u + "z\"") << cp << " " << json;
    }
    for (unsigned char b : json) EXPECT_TRUE(b >= 0x20 && b != 0x7f) << cp;
    EXPECT_EQ(json.find("\xc2\x9b"), std::string::npos);
  }
  // A terminal escape in a sensor id stays visible and inert.
  EXPECT_EQ(Printable("s\x1b]0;owned\x07\x1b[2J"), "s\\x1B]0;owned\\x07\\x1B[2J");
}

TEST(JsonOut, StringEscaping) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\nd\x01\te", 10));
  EXPECT_EQ(out, R"("a\"b\\c\nd\u0001\te")");
}

TEST(JsonOut, MapsAreSortedWithNumericValues) {
  proto::FlowRecord f;
  (*f.mutable_anomalies())["tcp_bad_checksum"] = 1;
  (*f.mutable_anomalies())["ipv4_bad_header_length"] = 2;
  EXPECT_EQ(MapToJson(f.anomalies()), R"({"ipv4_bad_header_length": 2, "tcp_bad_checksum": 1})");
  EXPECT_EQ(MapToJson(proto::FlowRecord().anomalies()), "");
  proto::StatsRecord s;
  (*s.mutable_anomalies())["x"] = 12345678901234ull;
  EXPECT_EQ(MapToJson(s.anomalies()), R"({"x": 12345678901234})");
}

TEST(JsonOut, ListsAndMessages) {
  proto::FlowRecord f;
  f.add_payload_labels("code_red: GET /default.ida?NNNN");
  f.add_payload_labels("q\"uote");
  EXPECT_EQ(ListToJson(f.payload_labels()), R"(["code_red: GET /default.ida?NNNN", "q\"uote"])");
  EXPECT_EQ(ListToJson(proto::FlowRecord().payload_labels()), "");
  proto::IcmpSummary icmp;
  EXPECT_EQ(MessageToJson(icmp), "");
  icmp.set_echo_requests(3);
  icmp.set_fingerprint("welchia");
  EXPECT_EQ(MessageToJson(icmp), R"({"echo_requests":3,"fingerprint":"welchia"})");
}

}  // namespace
}  // namespace tapwatch::collector
